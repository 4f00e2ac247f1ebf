// The query page: a CodeMirror editor (vendor/editor.min.js), the answer of ./sparql as a sortable, paged
// table with IRIs linking to their pages, graphs (CONSTRUCT, DESCRIBE) drawn with cytoscape beside a
// table of their triples. Every value from the data is inserted as text, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const data = (id) => JSON.parse($(id).textContent);
const examples = data("examples");
const formats = data("formats");
const prefixList = data("prefixes");
const prefixes = Object.entries(prefixList).sort((a, b) => b[1].length - a[1].length);
const RESULTS_JSON = "application/sparql-results+json";
const N_TRIPLES = "application/n-triples";
const PAGE_SIZE = 50;
const SYNTAX_ERROR = /^SPARQL syntax error at (\d+):(\d+): (.*)$/;

const editor = SparqlEditor.create($("query"), { prefixes: prefixList, terms: loadTerms, onRun: run, label: "query-label" });

for (const [index, example] of examples.entries()) {
  const option = document.createElement("option");
  option.value = String(index);
  option.textContent = `${example.name}: ${example.question}`;
  $("example").append(option);
}
$("example").addEventListener("change", (event) => {
  const example = examples[Number(event.target.value)];
  if (!example) return;
  editor.setValue(example.query);
  run();
});
$("run").addEventListener("click", run);

// A link to the page can carry a query (?query=...&infer=false): it fills the editor and runs (read-only).
const linked = new URLSearchParams(location.search);
if (linked.has("query")) {
  editor.setValue(linked.get("query"));
  $("infer").checked = linked.get("infer") !== "false";
  run();
}

/** Terms for completion: the ontology's classes and properties, and the named things, with their labels. */
async function loadTerms() {
  const query = `SELECT DISTINCT ?term (SAMPLE(?l) AS ?label) (SAMPLE(?k) AS ?kind) WHERE {
    ?term rdfs:label ?l . FILTER(isIRI(?term))
    OPTIONAL { ?term a ?t . BIND(IF(?t = owl:Class, "class", IF(?t IN (owl:ObjectProperty, owl:DatatypeProperty), "property", "variable")) AS ?k) }
  } GROUP BY ?term`;
  const response = await fetch("sparql", { method: "POST", headers: { Accept: RESULTS_JSON }, body: new URLSearchParams({ query }) });
  if (!response.ok) return [];
  const results = await response.json();
  const terms = [];
  for (const row of results.results.bindings) {
    const iri = row.term.value;
    for (const [prefix, namespace] of prefixes) {
      const local = iri.slice(namespace.length);
      if (iri.startsWith(namespace) && /^[\w.-]+$/.test(local)) {
        terms.push({ prefix, local, label: row.label ? row.label.value : "", kind: row.kind ? row.kind.value : "variable" });
        break;
      }
    }
  }
  return terms;
}

function parameters(extra) {
  const params = new URLSearchParams({ query: editor.getValue(), ...extra });
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
      headers: { Accept: `${RESULTS_JSON}, ${N_TRIPLES};q=0.9` },
      body: link,
    });
    const text = await response.text();
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    if (!response.ok) {
      $("status").textContent = `${response.status} ${response.statusText} after ${seconds} s`;
      const message = text.trim();
      show(message, "error");
      const position = SYNTAX_ERROR.exec(message);
      if (position) editor.markError(Number(position[1]), Number(position[2]), position[3]);
      return;
    }
    const rows = Number(response.headers.get("X-Result-Rows"));
    const type = response.headers.get("Content-Type") || "";
    if (response.headers.get("X-Result-Truncated") === "true") {
      show(`Only the first ${rows} results are shown: the endpoint's row limit cut them. Add a LIMIT or narrow the query.`, "note");
    }
    if (type.startsWith(RESULTS_JSON)) {
      const results = JSON.parse(text);
      if ("boolean" in results) {
        $("status").textContent = `${results.boolean} in ${seconds} s`;
        showBoolean(results.boolean);
      } else {
        $("status").textContent = `${rows} row${rows === 1 ? "" : "s"} in ${seconds} s`;
        new ResultTable(results.head.vars, results.results.bindings).render($("output"));
      }
      showDownloads(formats.results);
    } else {
      const triples = parseNTriples(text);
      $("status").textContent = `${triples.length} triple${triples.length === 1 ? "" : "s"} in ${seconds} s`;
      showGraph(triples);
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

/** SELECT results: sortable by any column (click its heading), shown PAGE_SIZE rows at a time. */
class ResultTable {
  constructor(vars, bindings) {
    this.vars = vars;
    this.rows = bindings;
    this.page = 0;
    this.sortBy = null;
    this.ascending = true;
  }

  render(into) {
    this.root = document.createElement("div");
    into.append(this.root);
    this.draw();
  }

  sort(name) {
    this.ascending = this.sortBy === name ? !this.ascending : true;
    this.sortBy = name;
    const key = (row) => (row[name] ? row[name].value : "");
    const numeric = this.rows.every((row) => !row[name] || row[name].type === "literal" && row[name].datatype && /#(integer|decimal|double|float|int|long|nonNegativeInteger)$/.test(row[name].datatype));
    this.rows.sort((a, b) => {
      const order = numeric ? Number(key(a)) - Number(key(b)) : key(a).localeCompare(key(b));
      return this.ascending ? order : -order;
    });
    this.page = 0;
    this.draw();
    this.root.querySelector(`button[data-var="${name}"]`).focus();
  }

  draw() {
    const pages = Math.max(1, Math.ceil(this.rows.length / PAGE_SIZE));
    const table = document.createElement("table");
    table.className = "results-table";
    const head = table.createTHead().insertRow();
    for (const name of this.vars) {
      const th = document.createElement("th");
      th.scope = "col";
      const button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.dataset.var = name;
      button.textContent = `?${name}`;
      button.addEventListener("click", () => this.sort(name));
      if (this.sortBy === name) th.setAttribute("aria-sort", this.ascending ? "ascending" : "descending");
      th.append(button);
      head.append(th);
    }
    const body = table.createTBody();
    for (const binding of this.rows.slice(this.page * PAGE_SIZE, (this.page + 1) * PAGE_SIZE)) {
      const row = body.insertRow();
      for (const name of this.vars) row.insertCell().append(...term(binding[name]));
    }
    const parts = [table];
    if (pages > 1) parts.unshift(this.pager(pages));
    this.root.replaceChildren(...parts);
  }

  pager(pages) {
    const nav = document.createElement("nav");
    nav.className = "pager";
    nav.setAttribute("aria-label", "Result pages");
    const step = (label, page, disabled) => {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = label;
      button.disabled = disabled;
      button.addEventListener("click", () => {
        this.page = page;
        this.draw();
      });
      return button;
    };
    const where = document.createElement("span");
    const first = this.page * PAGE_SIZE + 1;
    where.textContent = `rows ${first}–${Math.min(first + PAGE_SIZE - 1, this.rows.length)} of ${this.rows.length} (page ${this.page + 1} of ${pages})`;
    nav.append(step("Previous", this.page - 1, this.page === 0), where, step("Next", this.page + 1, this.page >= pages - 1));
    return nav;
  }
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
    const link = document.createElement("a");
    link.href = pageUrl(value.value);
    link.textContent = shorten(value.value);
    link.title = value.value;
    return [link];
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

/** N-Triples, as the endpoint writes it (one triple per line), into [{subject, predicate, object}] of JSON-results terms. */
function parseNTriples(text) {
  const TERM = /\s*(<[^>]*>|_:\S+|"(?:[^"\\]|\\.)*"(?:@[\w-]+|\^\^<[^>]*>)?)/y;
  const triples = [];
  for (const line of text.split("\n")) {
    if (!line.trim() || line.startsWith("#")) continue;
    TERM.lastIndex = 0;
    const terms = [];
    for (let i = 0; i < 3; i++) {
      const match = TERM.exec(line);
      if (!match) break;
      terms.push(readTerm(match[1]));
    }
    if (terms.length === 3) triples.push({ subject: terms[0], predicate: terms[1], object: terms[2] });
  }
  return triples;
}

function readTerm(text) {
  if (text.startsWith("<")) return { type: "uri", value: text.slice(1, -1) };
  if (text.startsWith("_:")) return { type: "bnode", value: text.slice(2) };
  const end = text.lastIndexOf('"');
  const value = text.slice(1, end).replace(/\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)/g, (_, code) => {
    if (code[0] === "u" || code[0] === "U") return String.fromCodePoint(parseInt(code.slice(1), 16));
    return { n: "\n", t: "\t", r: "\r", b: "\b", f: "\f" }[code] ?? code;
  });
  const rest = text.slice(end + 1);
  if (rest.startsWith("@")) return { type: "literal", value, "xml:lang": rest.slice(1) };
  if (rest.startsWith("^^")) return { type: "literal", value, datatype: rest.slice(3, -1) };
  return { type: "literal", value };
}

/** A graph result: drawn (IRIs and blank nodes as nodes, literals in the table only) beside the table of its triples. */
function showGraph(triples) {
  const box = document.createElement("div");
  box.className = "graph-result";
  const drawing = document.createElement("div");
  drawing.className = "graph";
  drawing.id = "result-graph";
  drawing.setAttribute("role", "img");
  drawing.setAttribute("aria-label", "The triples drawn as a network; the table beside lists them");
  const holder = document.createElement("div");
  box.append(drawing, holder);
  $("output").append(box);
  new ResultTable(["subject", "predicate", "object"], triples).render(holder);
  const nodes = new Map();
  const edges = [];
  const node = (t) => {
    const id = t.type === "bnode" ? `_:${t.value}` : t.value;
    if (!nodes.has(id)) nodes.set(id, { data: { id, label: t.type === "uri" ? shorten(t.value) : id, iri: t.type === "uri" ? t.value : null } });
    return id;
  };
  triples.forEach((t, n) => {
    if (t.object.type === "literal") return;
    edges.push({ data: { id: `e${n}`, source: node(t.subject), target: node(t.object), label: shorten(t.predicate.value) } });
  });
  for (const t of triples) node(t.subject);
  window.resultGraph = cytoscape({
    container: drawing,
    elements: [...nodes.values(), ...edges],
    layout: { name: triples.length < 40 ? "circle" : "cose", animate: false, padding: 30 },
    style: [
      { selector: "node", style: { label: "data(label)", "font-size": 9, width: 12, height: 12, "background-color": "#1f5fa8" } },
      { selector: "edge", style: { width: 1, "line-color": "#aaa", "curve-style": "bezier", "target-arrow-shape": "triangle", "target-arrow-color": "#aaa", label: "data(label)", "font-size": 7, color: "#444" } },
    ],
  });
  window.resultGraph.on("tap", "node", (event) => {
    const iri = event.target.data("iri");
    if (iri) location.href = pageUrl(iri);
  });
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
