// Every page: the search box finds things by label or alias as one types (an ARIA combobox:
// arrows move through the matches, Enter opens one, Escape closes the list). Without script the
// box still works: it submits to the search page.
"use strict";

(() => {
  const box = document.getElementById("search-box");
  const list = document.getElementById("search-results");
  if (!box || !list) return;
  let active = -1;
  let asked = 0;

  const options = () => Array.from(list.querySelectorAll("[role=option]"));

  function close() {
    list.hidden = true;
    box.setAttribute("aria-expanded", "false");
    box.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function highlight(index) {
    const all = options();
    all.forEach((option, n) => option.setAttribute("aria-selected", n === index ? "true" : "false"));
    active = index;
    if (index >= 0) box.setAttribute("aria-activedescendant", all[index].id);
    else box.removeAttribute("aria-activedescendant");
  }

  function show(results) {
    list.replaceChildren(
      ...results.map((result, n) => {
        const item = document.createElement("li");
        item.id = `search-option-${n}`;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        const link = document.createElement("a");
        link.href = result.url;
        link.tabIndex = -1;
        link.textContent = result.label;
        item.append(link);
        if (result.type) {
          const type = document.createElement("span");
          type.className = "type";
          type.textContent = ` ${result.type}`;
          item.append(type);
        }
        if (result.matched !== result.label) {
          const alias = document.createElement("span");
          alias.className = "alias";
          alias.textContent = ` (“${result.matched}”)`;
          item.append(alias);
        }
        return item;
      }),
    );
    if (!results.length) {
      const none = document.createElement("li");
      none.className = "none";
      none.textContent = "No match";
      list.append(none);
    }
    list.hidden = false;
    box.setAttribute("aria-expanded", "true");
    active = -1;
  }

  async function lookUp() {
    const text = box.value.trim();
    const ticket = ++asked;
    if (!text) return close();
    const response = await fetch(`${box.form.action}?q=${encodeURIComponent(text)}`, {
      headers: { Accept: "application/json" },
    });
    if (ticket !== asked || !response.ok) return; // a later keystroke has asked again
    const { results } = await response.json();
    show(results.map((r) => ({ ...r, url: r.url || pageUrl(r.iri) })));
  }

  box.addEventListener("input", lookUp);
  box.addEventListener("keydown", (event) => {
    const all = options();
    if (event.key === "ArrowDown" && all.length) {
      event.preventDefault();
      if (list.hidden) list.hidden = false;
      highlight((active + 1) % all.length);
    } else if (event.key === "ArrowUp" && all.length) {
      event.preventDefault();
      highlight((active - 1 + all.length) % all.length);
    } else if (event.key === "Enter" && active >= 0) {
      event.preventDefault();
      location.href = all[active].querySelector("a").href;
    } else if (event.key === "Escape") {
      close();
    }
  });
  box.addEventListener("blur", () => setTimeout(close, 200));
})();

// The page of a dataset IRI on this server (the server tells its IRI base in <body data-iri-base>).
function pageUrl(iri) {
  const base = document.body.dataset.iriBase || "";
  return base && iri.startsWith(base) ? `/${iri.slice(base.length)}` : iri;
}
