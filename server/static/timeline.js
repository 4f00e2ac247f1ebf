// The timeline: choosing an actor filters the events at once (the form's button does the same without script).
"use strict";

(() => {
  const select = document.getElementById("actor");
  const events = Array.from(document.querySelectorAll(".event[data-actors]"));
  select.addEventListener("change", () => {
    const actor = select.value;
    for (const event of events) event.hidden = Boolean(actor) && !event.dataset.actors.split(" ").includes(actor);
    history.replaceState(null, "", actor ? `?actor=${encodeURIComponent(actor)}` : location.pathname);
  });
})();
