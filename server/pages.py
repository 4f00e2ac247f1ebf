"""Pages that are not one resource: the home page, the timeline, the graph view, search, and proofs ("why?").

Each page is made from SPARQL queries answered by the query workers (``server.reader``); the
queries that know the story's model are in ``server.story``.
"""

from __future__ import annotations

import pyoxigraph as ox
from flask import Blueprint, Flask, Response, current_app, jsonify, redirect, render_template, request, url_for

from kg.errors import KgError
from kg.explain import Explainer, Proof, parse_term
from server import story
from server.linked_data import page_url, reader
from server.reader import Term

bp = Blueprint("pages", __name__)


def init_app(app: Flask, explainer_of_build: Explainer | None) -> None:
    app.extensions["kg.explainer"] = explainer_of_build
    app.register_blueprint(bp)
    for name in app.jinja_env.list_templates():  # compiled now, not on some visitor's first request
        app.jinja_env.get_template(name)


@bp.route("/")
def home() -> Response | str:
    """The story at a glance; a link with ``?query=`` (the query page's old address) goes to the query page."""
    if "query" in request.args:
        return redirect(url_for("ui.index", **request.args.to_dict(flat=False)), code=302)
    data = reader()
    return render_template("home.html", articles=story.articles(data), sections=story.home_sections(data))


@bp.route("/timeline")
def timeline() -> str:
    events = story.events(reader())
    actors = sorted({a for e in events for a in e.actors}, key=lambda a: ((a[1] or a[0]).lower(), a[0]))
    chosen = request.args.get("actor") or ""
    shown = [e for e in events if not chosen or any(iri == chosen for iri, _ in e.actors)]
    return render_template("timeline.html", events=shown, actors=actors, chosen=chosen)


@bp.route("/graph-view")
def graph_view() -> str:
    elements = story.graph_view(reader())
    return render_template("graph_view.html", elements=elements, kinds=story.GRAPH_KINDS)


@bp.route("/search")
def search() -> Response | str:
    """Things by label or alias: JSON for the search box (``Accept: application/json``), else a page."""
    text = request.args.get("q", "")
    found = story.search(reader(), text)
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json":
        return jsonify(results=[{**r, "url": page_url(r["iri"])} for r in found])
    return render_template("search.html", text=text, found=found)


@bp.route("/explain")
def explain() -> tuple[str, int] | str:
    """Why a statement holds: its proof, from the OWL 2 RL rules down to asserted triples and their evidence."""
    found = current_app.extensions["kg.explainer"]
    try:
        triple = tuple(parse_term(request.args.get(name, "")) for name in ("s", "p", "o"))
    except (KgError, ValueError) as error:
        return render_template("explain.html", proof=None, problem=str(error)), 400
    if found is None:
        return render_template(
            "explain.html", proof=None, problem="no proofs here: the server answers from a remote backend"
        ), 404
    proof = found.explain(triple)
    view = proof_view(proof, story.article_graphs(reader())) if proof else None
    return render_template("explain.html", proof=view, problem=None), 200 if proof else 404


def as_term(node) -> Term | list[Term]:
    """An Oxigraph term (or a tuple of them: a property chain) as the pages' Term."""
    if isinstance(node, tuple):
        return [as_term(n) for n in node]
    if isinstance(node, ox.NamedNode):
        return Term("uri", node.value)
    if isinstance(node, ox.BlankNode):
        return Term("bnode", node.value)
    return Term("literal", node.value, node.language, node.datatype.value)


def proof_view(proof: Proof, articles: dict[str, str]) -> dict:
    """A proof as the template shows it; ``articles`` maps a graph to the article its evidence quotes."""
    return {
        "triple": [as_term(node) for node in proof.triple],
        "rule": proof.rule,
        "premises": [proof_view(p, articles) for p in proof.premises],
        "graph": proof.graph,
        "evidence": [{**e, "article": e.get("article") or articles.get(proof.graph or "")} for e in proof.evidence],
        "sources": proof.sources,
    }
