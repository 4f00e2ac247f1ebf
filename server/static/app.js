// The query page: run the editor's query against ./sparql and show the answer. No libraries, no network
// beyond this server. Every value from the data is inserted as text, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const data = (id) => JSON.parse($(id).textContent);
const examples = data("examples");
const formats = data("formats");
const prefixes = Object.entries(data("prefixes")).sort((a, b) => b[1].length - a[1].length);
const RESULTS_JSON = "application/sparql-results+json";

for (const [index, example] of examples.entries()) {
  const option = document.createElement("option");
  option.value = String(index);
  option.textContent = `${example.name}: ${example.question}`;
  $("example").append(option);
}
$("example").addEventListener("change", (event) => {
  const example = examples[Number(event.target.value)];
  if (example) $("query").value = example.query;
});
$("run").addEventListener("click", run);
$("query").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    run();
  } else if (event.key === "Tab" && !event.shiftKey) {
    event.preventDefault();
    event.target.setRangeText("  ", event.target.selectionStart, event.target.selectionEnd, "end");
  }
});

// A link to the page can carry a query (?query=...&infer=false): it fills the editor and runs.
const linked = new URLSearchParams(location.search);
if (linked.has("query")) {
  $("query").value = linked.get("query");
  $("infer").checked = linked.get("infer") !== "false";
  run();
}

function parameters(extra) {
  const params = new URLSearchParams({ query: $("query").value, ...extra });
  if (!$("infer").checked) params.set("infer", "false");
  return params;
}

async function run() {
  $("run").disabled = true;
  $("status").textContent = "running…";
  $("message").hidden = true;
  $("downloads").hidden = true;
  $("output").replaceChildren();
  const started = performance.now();
  const link = parameters({});
  history.replaceState(null, "", `?${link}`); // the address bar now links to this query
  try {
    const response = await fetch("sparql", {
      method: "POST",
      headers: { Accept: `${RESULTS_JSON}, text/turtle;q=0.9` },
      body: link,
    });
    const text = await response.text();
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    if (!response.ok) {
      $("status").textContent = `${response.status} ${response.statusText} after ${seconds} s`;
      show(text.trim(), "error");
      return;
    }
    const rows = response.headers.get("X-Result-Rows");
    $("status").textContent = `${rows} row${rows === "1" ? "" : "s"} in ${seconds} s`;
    if (response.headers.get("X-Result-Truncated") === "true") {
      show(`Only the first ${rows} rows are shown: the endpoint's row limit cut the results. Add a LIMIT or narrow the query.`, "note");
    }
    if ((response.headers.get("Content-Type") || "").startsWith(RESULTS_JSON)) {
      const results = JSON.parse(text);
      if ("boolean" in results) showBoolean(results.boolean);
      else showTable(results);
      showDownloads(formats.results);
    } else {
      const pre = document.createElement("pre");
      pre.textContent = text;
      $("output").append(pre);
      showDownloads(formats.graph);
    }
  } catch (error) {
    $("status").textContent = "";
    show(`The endpoint could not be reached: ${error.message}`, "error");
  } finally {
    $("run").disabled = false;
  }
}

function show(text, kind) {
  $("message").textContent = text;
  $("message").className = kind === "note" ? "note" : "";
  $("message").hidden = false;
}

function showBoolean(value) {
  const answer = document.createElement("p");
  answer.className = "boolean";
  answer.textContent = value ? "true" : "false";
  $("output").append(answer);
}

function showTable(results) {
  const table = document.createElement("table");
  const head = table.createTHead().insertRow();
  for (const name of results.head.vars) {
    const th = document.createElement("th");
    th.textContent = `?${name}`;
    head.append(th);
  }
  const body = table.createTBody();
  for (const binding of results.results.bindings) {
    const row = body.insertRow();
    for (const name of results.head.vars) row.insertCell().append(...term(binding[name]));
  }
  $("output").append(table);
}

function shorten(iri) {
  for (const [prefix, namespace] of prefixes) {
    if (iri.startsWith(namespace) && /^[\w.-]+$/.test(iri.slice(namespace.length))) {
      return `${prefix}:${iri.slice(namespace.length)}`;
    }
  }
  return `<${iri}>`;
}

function term(value) {
  if (!value) return [];
  if (value.type === "uri") {
    const span = document.createElement("span");
    span.textContent = shorten(value.value);
    span.title = value.value;
    return [span];
  }
  if (value.type === "bnode") return [document.createTextNode(`_:${value.value}`)];
  if (value.type === "triple") return [document.createTextNode(JSON.stringify(value.value))];
  const parts = [document.createTextNode(value.value)];
  const note = document.createElement("span");
  if (value["xml:lang"]) {
    note.className = "lang";
    note.textContent = ` @${value["xml:lang"]}`;
    parts.push(note);
  } else if (value.datatype && !value.datatype.endsWith("#string")) {
    note.className = "datatype";
    note.textContent = ` ^^${shorten(value.datatype)}`;
    parts.push(note);
  }
  return parts;
}

function showDownloads(choices) {
  const links = choices.map(([name, extension]) => {
    const link = document.createElement("a");
    link.href = `sparql?${parameters({ format: name })}`;
    link.download = `results.${extension}`;
    link.textContent = name;
    return link;
  });
  $("links").replaceChildren(...links);
  $("downloads").hidden = false;
}
