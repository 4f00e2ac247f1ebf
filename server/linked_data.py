"""Linked Data: every IRI of the dataset answers at this server, as a page for people or as RDF for programs.

The server maps its own paths to the dataset's IRIs: ``/<path>`` is ``IRI_BASE + path`` (the
``IRI_BASE`` setting, by default ``https://w3id.org/newskg/``; ``w3id/.htaccess`` redirects that
namespace here). Content negotiation follows the Linked Data conventions: HTML for browsers;
Turtle, N-Triples, JSON-LD or RDF/XML for clients that ask for them (or ``?format=``), always with
``Vary: Accept`` and ``Link`` headers naming the other forms. An IRI the dataset does not use
answers 404 in every form. Hash IRIs (``nkg:Person``, an article's ``#char=`` segments) are
described by the document of the IRI before the ``#``, as HTTP cannot see the fragment.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from flask import Blueprint, Flask, Response, current_app, render_template, request, url_for

from kg.errors import UnsupportedFormat
from kg.formats import GRAPH_SYNTAXES
from kg.namespaces import ONTOLOGY_IRI
from kg.prefixes import prefixed_name
from server import describe, ontology_doc, story
from server.headers import content_type
from server.highlight import Mark, lay_out
from server.protocol import find_syntax, negotiate
from server.reader import Reader, sparql_term

bp = Blueprint("linked_data", __name__)


@dataclass(frozen=True)
class PageSyntax:
    """HTML, negotiated beside the RDF syntaxes."""

    name: str
    media_type: str
    aliases: tuple[str, ...] = ()


HTML = PageSyntax("html", "text/html", ("application/xhtml+xml",))
#: What a resource can be sent as. Ties go to the first: a client that accepts anything (curl, ``*/*``)
#: gets Turtle; browsers, which name text/html, get the page.
RESOURCE_SYNTAXES = (GRAPH_SYNTAXES["turtle"], HTML, *(s for n, s in GRAPH_SYNTAXES.items() if n != "turtle"))


def init_app(app: Flask, data: Reader, base: str) -> None:
    app.extensions["kg.reader"] = data
    app.extensions["kg.iri_base"] = base
    app.add_template_filter(page_url)
    app.add_template_filter(short_name)
    app.add_template_global(page_url)
    app.add_template_global(lambda: page_url(ONTOLOGY_IRI), "ontology_url")
    app.add_template_global(iri_base)
    app.register_blueprint(bp)


def reader() -> Reader:
    return current_app.extensions["kg.reader"]


def iri_base() -> str:
    return current_app.extensions["kg.iri_base"]


def page_url(iri: str) -> str:
    """Where a dataset IRI is served here (root-relative, fragment kept); other IRIs stay as they are."""
    base = iri_base()
    if not iri.startswith(base):
        return iri
    return "/" + quote(iri[len(base) :], safe="/#=,:@!$&'()*+;~-._")


def short_name(iri: str) -> str:
    """A prefixed name where one fits, else the IRI."""
    return prefixed_name(iri) or iri


def choose_syntax(format_values: list[str], accept: str | None):
    """The negotiated syntax of a resource: ``format=`` first, then Accept.

    :raises UnsupportedFormat: when neither names HTML or an RDF syntax of one graph.
    """
    syntax = find_syntax(format_values[0], RESOURCE_SYNTAXES) if format_values else negotiate(accept, RESOURCE_SYNTAXES)
    if syntax is None:
        offered = ", ".join(s.media_type for s in RESOURCE_SYNTAXES)
        raise UnsupportedFormat(f"a resource is available as {offered}")
    return syntax


@bp.route("/<path:path>", methods=["GET", "HEAD"])
def resource(path: str) -> Response:
    """The thing, article, graph or ontology whose IRI is ``IRI_BASE + path``."""
    iri = iri_base() + path
    syntax = choose_syntax(request.args.getlist("format"), request.headers.get("Accept"))
    kind = describe.resource_kind(reader(), iri) if _is_iri(iri) else None
    if kind is None:
        response = _not_found(iri, html=syntax is HTML)
    elif syntax is HTML:
        response = Response(_page(kind, iri), mimetype="text/html")
    else:
        response = _rdf(kind, iri, syntax)
    response.vary.add("Accept")
    if kind is not None:
        response.headers["Link"] = _alternates(iri)
    return response


def _is_iri(iri: str) -> bool:
    try:
        sparql_term(iri)
    except ValueError:
        return False
    return True


def _alternates(iri: str) -> str:
    url = page_url(iri)
    return ", ".join(f'<{url}?format={s.name}>; rel="alternate"; type="{s.media_type}"' for s in RESOURCE_SYNTAXES)


def _not_found(iri: str, *, html: bool) -> Response:
    if html:
        return Response(render_template("not_found.html", iri=iri), status=404, mimetype="text/html")
    return Response(f"404 Not Found: the dataset has no resource {iri}\n", status=404, mimetype="text/plain")


def _rdf(kind: str, iri: str, syntax) -> Response:
    query = {
        "graph": describe.GRAPH_CONTENT,
        "ontology": ontology_doc.ONTOLOGY_CONTENT,
    }.get(kind, describe.DESCRIPTION)
    body, _ = reader().construct(query, syntax.name, this=iri)
    return Response(body, content_type=content_type(syntax.media_type))


def _segment_data(segment: story.Segment) -> dict:
    """What the article page's script shows for a span: its kind and the statements it supports, with links."""

    def end(iri: str, label: str | None) -> dict:
        return {"label": label or short_name(iri), "url": page_url(iri)}

    statements = [
        {
            "subject": end(s.subject, s.subject_label),
            "predicate": end(s.predicate, s.predicate_label),
            "object": end(s.object.value, s.object_label) if s.object.is_iri else {"label": s.object.value},
        }
        for s in segment.statements
    ]
    roles = [{"role": role, **end(iri, label)} for role, iri, label in segment.roles]
    return {"kind": segment.kind, "start": segment.start, "end": segment.end, "statements": statements, "roles": roles}


def _page(kind: str, iri: str) -> str:
    data = reader()
    formats = [(s.name, f"{page_url(iri)}?format={s.name}") for s in GRAPH_SYNTAXES.values()]
    if kind == "ontology":
        return render_template("ontology.html", doc=ontology_doc.document(data, iri), formats=formats)
    if kind == "graph":
        return render_template("named_graph.html", graph=describe.named_graph(data, iri), formats=formats)
    if kind == "article":
        found = story.article(data, iri)
        if found is not None:
            coverage = story.coverage(data, iri)
            unmapped = coverage.unmapped if coverage else ()
            marks = [Mark(s.start, s.end, n, s.kind) for n, s in enumerate(found.segments)]
            marks += [Mark(start, end, len(marks) + n, "unmapped") for n, (start, end) in enumerate(unmapped)]
            pieces = lay_out(found.body, marks)
            return render_template(
                "article.html",
                article=found,
                pieces=pieces,
                coverage=coverage,
                unmapped=unmapped,
                segment_data=[_segment_data(s) for s in found.segments],
                formats=formats,
            )
    return render_template(
        "entity.html",
        thing=describe.describe(data, iri),
        claims=story.claims(data, iri),
        corrections=story.corrections(data, iri),
        formats=formats,
        explain_url=url_for("pages.explain"),
    )
