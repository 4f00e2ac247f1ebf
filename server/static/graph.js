// The graph view: cytoscape.js (served from this server) draws the nodes and links of the page's data;
// a click (or Enter on a focused node in the table) opens a node's page.
"use strict";

(() => {
  const elements = JSON.parse(document.getElementById("elements").textContent);
  const COLOURS = { Agent: "#1f5fa8", Event: "#b4461b", Proposal: "#6a3d9a", Place: "#2e7d32" };
  const SHAPES = { Agent: "ellipse", Event: "round-rectangle", Proposal: "diamond", Place: "triangle" };
  window.cy = drawGraph(document.getElementById("graph"), [...elements.nodes, ...elements.edges]);

  function drawGraph(container, items) {
    const cy = cytoscape({
      container,
      elements: items,
      layout: { name: "cose", animate: false, nodeRepulsion: () => 9000, idealEdgeLength: () => 90, randomize: false },
      style: [
        {
          selector: "node",
          style: {
            label: "data(label)",
            "font-size": 9,
            "text-wrap": "ellipsis",
            "text-max-width": 110,
            "background-color": (node) => COLOURS[node.data("kind")] || "#555",
            shape: (node) => SHAPES[node.data("kind")] || "ellipse",
            width: 14,
            height: 14,
            color: "#222",
          },
        },
        {
          selector: "edge",
          style: { width: 1, "line-color": "#aaa", "curve-style": "bezier", "target-arrow-shape": "triangle", "target-arrow-color": "#aaa", "arrow-scale": 0.6 },
        },
        { selector: "edge:selected, edge.hover", style: { label: "data(label)", "font-size": 8, color: "#333" } },
      ],
    });
    cy.on("tap", "node", (event) => {
      location.href = pageUrl(event.target.id());
    });
    cy.on("mouseover", "edge", (event) => event.target.addClass("hover"));
    cy.on("mouseout", "edge", (event) => event.target.removeClass("hover"));
    return cy;
  }
})();
