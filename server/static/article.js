// The article page: hovering or focusing a highlighted passage shows the statements it supports.
"use strict";

(() => {
  const segments = JSON.parse(document.getElementById("segments").textContent);
  const panel = document.getElementById("span-details-body");
  const text = document.getElementById("article-text");
  const KINDS = { fact: "Fact", claim: "Claim", correction: "Correction" };

  function link(end) {
    if (!end.url) {
      const span = document.createElement("span");
      span.textContent = end.label;
      return span;
    }
    const a = document.createElement("a");
    a.href = end.url;
    a.textContent = end.label;
    return a;
  }

  function show(mark) {
    const segment = segments[Number(mark.dataset.segment)];
    if (!segment) return;
    const heading = document.createElement("p");
    heading.className = `kind ${segment.kind}`;
    heading.textContent = `${KINDS[segment.kind]}: characters ${segment.start}–${segment.end}`;
    const list = document.createElement("ul");
    for (const role of segment.roles) {
      const item = document.createElement("li");
      item.append(role.role === "correction" ? "Corrected by " : "Quoted by the claim ", link(role));
      list.append(item);
    }
    for (const statement of segment.statements) {
      const item = document.createElement("li");
      item.append(link(statement.subject), " ", link(statement.predicate), " ", link(statement.object));
      list.append(item);
    }
    if (!list.children.length) {
      const item = document.createElement("li");
      item.textContent = "Locates a mention; no statement cites these words alone.";
      list.append(item);
    }
    panel.replaceChildren(heading, list);
  }

  const target = (event) => event.target.closest("mark[data-segment]");
  text.addEventListener("mouseover", (event) => target(event) && show(target(event)));
  text.addEventListener("focusin", (event) => target(event) && show(target(event)));
  // A link to a passage (#char=start,end) shows it at once.
  const linked = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
  if (linked && linked.matches("mark[data-segment]")) {
    show(linked);
    linked.classList.add("target");
  }
})();
