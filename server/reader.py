"""The pages' one way to the data: SPARQL queries run by the endpoint's query workers, answers parsed into rows.

The HTTP layer never holds a graph. Every page asks the same workers that answer ``/sparql`` (through
the endpoint's result cache, so a page seen twice costs no query), and reads their SPARQL JSON
results here. Queries are ``string.Template`` texts: ``$name`` placeholders take terms, written in
N-Triples syntax by Oxigraph (so an IRI or literal can never break out of its place in the query).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from string import Template

import pyoxigraph as ox

from kg.formats import GRAPH_SYNTAXES
from kg.prefixes import PREFIX_IRIS
from server.executor import Answer
from server.frames import QueryRequest
from server.sparql import Endpoint

XSD = "http://www.w3.org/2001/XMLSchema#"


@dataclass(frozen=True)
class Term:
    """An RDF term of a result row, as SPARQL JSON results give it."""

    #: 'uri', 'literal', 'bnode' or 'triple'.
    kind: str
    value: str
    lang: str | None = None
    datatype: str | None = None

    @property
    def is_iri(self) -> bool:
        return self.kind == "uri"

    def nt(self) -> str:
        """The term in N-Triples syntax (also valid SPARQL), for queries and the explain page's links.

        >>> Term("literal", 'say "no"', lang="en").nt()
        '"say \\\\"no\\\\""@en'
        """
        return str(self.oxigraph())

    def oxigraph(self) -> ox.NamedNode | ox.BlankNode | ox.Literal:
        if self.kind == "uri":
            return ox.NamedNode(self.value)
        if self.kind == "bnode":
            return ox.BlankNode(self.value)
        if self.lang:
            return ox.Literal(self.value, language=self.lang)
        return ox.Literal(self.value, datatype=ox.NamedNode(self.datatype or XSD + "string"))

    def __int__(self) -> int:
        return int(self.value)

    def is_true(self) -> bool:
        """The term as a boolean answer: ``true`` (or ``1``), as stores write a computed boolean.

        Virtuoso 7.2 gives every computed boolean (``EXISTS``, ``=``, ``isIRI()``) as the integer 1 or 0,
        where SPARQL says ``xsd:boolean``; both read the same here.

        >>> pairs = [("true", "boolean"), ("1", "integer"), ("0", "integer")]
        >>> [Term("literal", v, datatype=XSD + t).is_true() for v, t in pairs]
        [True, True, False]
        """
        return self.kind == "literal" and self.value in ("true", "1")


Row = dict[str, Term]


def _term(binding: Mapping) -> Term:
    kind = "literal" if binding["type"] == "typed-literal" else binding["type"]
    value = binding["value"] if kind != "triple" else json.dumps(binding["value"])
    return Term(kind, value, binding.get("xml:lang"), binding.get("datatype"))


def sparql_term(value: str | Term | ox.NamedNode | ox.Literal) -> str:
    """A term for a query: a str is an IRI (checked); Oxigraph terms and Terms are written as N-Triples.

    >>> sparql_term("https://w3id.org/newskg/id/x")
    '<https://w3id.org/newskg/id/x>'

    :raises ValueError: for a str that is not an absolute IRI.
    """
    if isinstance(value, Term):
        return value.nt()
    if isinstance(value, str):
        return str(ox.NamedNode(value))
    return str(value)


class Reader:
    """SELECT, ASK and CONSTRUCT over the served dataset, for pages.

    ``row_limit`` is the workers' cap on rows: a SELECT that reaches it (or their cap on bytes) is
    read in pages (``LIMIT``/``OFFSET`` over an ordered query), so a page never shows a silently
    cut list.
    """

    def __init__(self, endpoint: Endpoint, row_limit: int) -> None:
        self.endpoint = endpoint
        self.row_limit = row_limit

    def _run(self, query: str, *, results_format: str | None = "json", graph_format: str | None = None) -> Answer:
        request = QueryRequest(query=query, results_format=results_format, graph_format=graph_format)
        answer, _ = self.endpoint.answer(request, cacheable=True)
        return answer

    def select(self, template: str, **terms) -> list[Row]:
        """The rows of a SELECT query; ``$name`` in ``template`` takes ``terms[name]``.

        A query that fills the row limit is run again page by page; it must then have an ORDER BY
        that fixes the order of its rows (every page query below does).
        """
        query = fill(template, terms)
        rows, truncated = self._select_once(query)
        if not truncated:
            return rows
        return list(self._select_pages(query))

    def _select_once(self, query: str) -> tuple[list[Row], bool]:
        answer = self._run(query)
        data = json.loads(answer.content())
        rows = [{name: _term(value) for name, value in binding.items()} for binding in data["results"]["bindings"]]
        return rows, answer.truncated

    def _select_pages(self, query: str) -> Iterator[Row]:
        offset = 0
        while True:
            rows, truncated = self._select_once(f"{query}\nLIMIT {self.row_limit} OFFSET {offset}")
            yield from rows
            if not rows or (len(rows) < self.row_limit and not truncated):
                return
            offset += len(rows)  # the byte limit may have cut the page short

    def ask(self, template: str, **terms) -> bool:
        return json.loads(self._run(fill(template, terms)).content())["boolean"]

    def construct(self, template: str, syntax: str, **terms) -> tuple[bytes, int]:
        """A CONSTRUCT query's triples written in the syntax named ``syntax`` (``kg.formats``), and their number.

        ``template`` must read ``CONSTRUCT { ?s ?p ?o } WHERE { ... }``: a graph larger than the row
        limit is then fetched as N-Triples, page by page of distinct triples, and written here.
        """
        query = fill(template, terms)
        answer = self._run(query, results_format=None, graph_format=syntax)
        if not answer.truncated:
            return answer.content(), answer.rows
        head, where = query.split("WHERE", 1)
        triples: list[ox.Triple] = []
        offset = 0
        while True:
            page = self._run(
                f"{head} WHERE {{ SELECT DISTINCT ?s ?p ?o WHERE {where} ORDER BY ?s ?p ?o "
                f"LIMIT {self.row_limit} OFFSET {offset} }}",
                results_format=None,
                graph_format="ntriples",
            )
            triples.extend(ox.parse(page.content(), format=ox.RdfFormat.N_TRIPLES))
            if not page.rows or (page.rows < self.row_limit and not page.truncated):
                break
            offset += page.rows  # the byte limit may have cut the page short
        return ox.serialize(triples, format=GRAPH_SYNTAXES[syntax].oxigraph, prefixes=PREFIX_IRIS), len(triples)


def fill(template: str, terms: Mapping[str, object]) -> str:
    """``template`` with each ``$name`` replaced by the term ``terms[name]`` (see ``sparql_term``).

    >>> fill("ASK { $s ?p ?o }", {"s": "urn:x"})
    'ASK { <urn:x> ?p ?o }'
    """
    return Template(template).substitute({name: sparql_term(value) for name, value in terms.items()})
