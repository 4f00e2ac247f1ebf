"""Every serialisation the project reads or writes, registered once by name, media type and extension.

Content negotiation, ``--format`` choices, exports and the service description all read these tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from kg.errors import UnsupportedFormat

#: https://www.w3.org/ns/formats/: the W3C's IRI for each format, as service descriptions name them.
FORMATS = "http://www.w3.org/ns/formats/"


@dataclass(frozen=True)
class RdfSyntax:
    """An RDF serialisation (for graphs, or for datasets of named graphs)."""

    name: str
    media_type: str
    extension: str
    #: The rdflib plugin name.
    rdflib_name: str
    #: Oxigraph's format, used to serialise query results and exports.
    oxigraph: ox.RdfFormat
    #: The W3C format IRI (``FORMATS`` + this).
    format_iri: str
    #: True when the syntax can carry named graphs (N-Quads, TriG).
    datasets: bool = False
    #: Other names and media types clients use for it.
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class ResultsSyntax:
    """A serialisation of SPARQL SELECT / ASK results."""

    name: str
    media_type: str
    extension: str
    oxigraph: ox.QueryResultsFormat
    #: The W3C format IRI (``FORMATS`` + this).
    format_iri: str
    aliases: tuple[str, ...] = ()


RDF_SYNTAXES: dict[str, RdfSyntax] = {
    s.name: s
    for s in (
        RdfSyntax(
            "turtle", "text/turtle", "ttl", "turtle", ox.RdfFormat.TURTLE, FORMATS + "Turtle",
            # Turtle is N3 too: N3 clients (SPARQLWrapper's "n3") get Turtle.
            aliases=("application/x-turtle", "n3", "text/n3", "text/rdf+n3", "application/n3"),
        ),
        RdfSyntax(
            "ntriples", "application/n-triples", "nt", "nt", ox.RdfFormat.N_TRIPLES, FORMATS + "N-Triples",
            aliases=("text/plain",),
        ),
        RdfSyntax(
            "rdfxml", "application/rdf+xml", "rdf", "xml", ox.RdfFormat.RDF_XML, FORMATS + "RDF_XML",
            # "xml" as a format name: clients asking a CONSTRUCT for "xml" mean RDF/XML.
            aliases=("application/xml", "xml"),
        ),
        RdfSyntax(
            "jsonld", "application/ld+json", "jsonld", "json-ld", ox.RdfFormat.JSON_LD, FORMATS + "JSON-LD",
            aliases=("json-ld", "application/x-json+ld"),
        ),
        RdfSyntax(
            "nquads", "application/n-quads", "nq", "nquads", ox.RdfFormat.N_QUADS, FORMATS + "N-Quads", datasets=True
        ),
        RdfSyntax("trig", "application/trig", "trig", "trig", ox.RdfFormat.TRIG, FORMATS + "TriG", datasets=True),
    )
}  # fmt: skip

#: The syntaxes of one graph (CONSTRUCT and DESCRIBE results, ``--graph`` exports): not N-Quads or TriG.
GRAPH_SYNTAXES: dict[str, RdfSyntax] = {name: s for name, s in RDF_SYNTAXES.items() if not s.datasets}

RESULTS_SYNTAXES: dict[str, ResultsSyntax] = {
    s.name: s
    for s in (
        ResultsSyntax(
            "json", "application/sparql-results+json", "srj", ox.QueryResultsFormat.JSON,
            FORMATS + "SPARQL_Results_JSON", aliases=("application/json",),
        ),
        ResultsSyntax(
            "xml", "application/sparql-results+xml", "srx", ox.QueryResultsFormat.XML,
            FORMATS + "SPARQL_Results_XML", aliases=("application/xml",),
        ),
        ResultsSyntax("csv", "text/csv", "csv", ox.QueryResultsFormat.CSV, FORMATS + "SPARQL_Results_CSV"),
        ResultsSyntax(
            "tsv", "text/tab-separated-values", "tsv", ox.QueryResultsFormat.TSV, FORMATS + "SPARQL_Results_TSV"
        ),
    )
}  # fmt: skip


def rdf_syntax(name: str) -> RdfSyntax:
    """The RDF syntax called ``name``.

    >>> rdf_syntax("turtle").media_type
    'text/turtle'

    :raises UnsupportedFormat: for an unknown name.
    """
    try:
        return RDF_SYNTAXES[name]
    except KeyError:
        raise UnsupportedFormat(f"unknown RDF format {name!r}; choose one of {', '.join(RDF_SYNTAXES)}") from None


def rdf_syntax_from_extension(path: str) -> RdfSyntax | None:
    """The RDF syntax a file name's extension stands for, or None.

    >>> rdf_syntax_from_extension("out/graph.nq").name
    'nquads'
    """
    extension = path.rsplit(".", 1)[-1].lower()
    return next((s for s in RDF_SYNTAXES.values() if s.extension == extension), None)
