"""The worker's capped serialisation writes exactly what Oxigraph writes, and cuts where it says.

Results are capped by writing TSV, reading it back and writing the target format (see
``server.answers``); these tests hold that round trip to Oxigraph's own output, and the row and
byte limits to a cut at a row with the truncation signal, in every format.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg.formats import RDF_SYNTAXES, RESULTS_SYNTAXES
from kg.query import run_query
from server.frames import Job, QueryRequest
from server.worker import Stores, answer

TRICKY = """SELECT ?iri ?plain ?lang ?dir ?typed ?blank ?triple ?unbound WHERE {
  VALUES (?iri ?plain ?lang ?typed) {
    (<http://example.org/a> "tab\\tnew\\nline \\"quoted\\" é" "bonjour"@fr "1.50"^^<http://www.w3.org/2001/XMLSchema#decimal>)
    (<http://example.org/b> "" "hello"@en-GB 42)
  }
  BIND(STRLANGDIR("مرحبا", "ar", "rtl") AS ?dir)
  OPTIONAL { ?blank <http://example.org/q> ?iri }
  BIND(<<( ?iri <http://example.org/p> ?plain )>> AS ?triple)
}"""


def both(store: ox.Store) -> Stores:
    """The one store, whether a query asks for the inferences or not (the answer's writing is under test)."""
    return {True: store, False: store}


def request(
    query: str,
    results_format: str = "json",
    graph_format: str = "turtle",
    row_limit: int = 1000,
    byte_limit: int = 1 << 30,
) -> Job:
    query_request = QueryRequest(query, results_format=results_format, graph_format=graph_format)
    return Job(query_request, row_limit=row_limit, byte_limit=byte_limit, time_limit=10.0)


@pytest.mark.parametrize("name", ["json", "xml", "tsv"])
def test_tricky_terms_survive_the_round_trip(name):
    store = ox.Store()
    store.add(ox.Quad(ox.BlankNode("b1"), ox.NamedNode("http://example.org/q"), ox.NamedNode("http://example.org/a")))
    header, body = answer(both(store), request(TRICKY, results_format=name))
    assert (header.rows, header.truncated) == (2, False), header
    syntax = RESULTS_SYNTAXES[name]
    assert body == store.query(TRICKY).serialize(format=syntax.oxigraph)
    assert b"b1" in body and "مرحبا".encode() in body


def test_without_a_cut_every_format_is_byte_for_byte_oxigraphs(store):
    _, oxigraph = store
    query = "SELECT ?s ?p ?o { ?s ?p ?o FILTER(isIRI(?s)) } ORDER BY ?s ?p ?o LIMIT 50"
    for name, syntax in RESULTS_SYNTAXES.items():
        _, body = answer(both(oxigraph), request(query, results_format=name))
        direct = run_query(oxigraph, query).serialize(format=syntax.oxigraph)
        assert body == direct, name


def test_the_cut_keeps_the_first_rows_and_says_so(store):
    _, oxigraph = store
    query = "SELECT ?s ?p ?o { ?s ?p ?o FILTER(isIRI(?s)) } ORDER BY ?s ?p ?o"
    header, body = answer(both(oxigraph), request(query, results_format="tsv", row_limit=7))
    assert (header.rows, header.truncated) == (7, True)
    full = run_query(oxigraph, query).serialize(format=ox.QueryResultsFormat.TSV)
    assert body.splitlines() == full.splitlines()[:8]
    exact = answer(both(oxigraph), request(query + " LIMIT 7", results_format="tsv", row_limit=7))[0]
    assert (exact.rows, exact.truncated) == (7, False)


def test_graph_results_are_cut_as_triples(store):
    _, oxigraph = store
    for name in ("turtle", "ntriples", "rdfxml", "jsonld"):
        header, body = answer(both(oxigraph), request("CONSTRUCT WHERE { ?s ?p ?o }", graph_format=name, row_limit=9))
        assert (header.kind, header.rows, header.truncated) == ("graph", 9, True)
        assert len(list(ox.parse(body, format=RDF_SYNTAXES[name].oxigraph))) == 9, name


def test_an_ask_is_one_row(store):
    _, oxigraph = store
    header, body = answer(both(oxigraph), request("ASK { ?s ?p ?o }", results_format="xml"))
    assert (header.kind, header.rows, header.truncated) == ("boolean", 1, False)
    assert b"<boolean>true</boolean>" in body


#: Rows of about 2 KB each: a long literal repeated over a VALUES table.
WIDE = (
    'SELECT ?n ?text {{ VALUES ?n {{ {numbers} }} BIND(CONCAT(STR(?n), "' + "é" * 1000 + '") AS ?text) }} ORDER BY ?n'
)


@pytest.mark.parametrize("name", list(RESULTS_SYNTAXES))
def test_the_byte_limit_cuts_at_a_row_in_every_results_format(name):
    query = WIDE.format(numbers=" ".join(str(n) for n in range(100)))
    store = ox.Store()
    whole = store.query(query).serialize(format=RESULTS_SYNTAXES[name].oxigraph)
    header, body = answer(both(store), request(query, results_format=name, byte_limit=len(whole) // 3))
    assert header.truncated is True and 0 < header.rows < 100
    assert len(body) <= len(whole) // 3
    if name == "csv":  # Oxigraph cannot read CSV back: its lines are the header and the rows
        assert body.count(b"\r\n") == header.rows + 1 and whole.startswith(body)
        return
    kept = list(ox.parse_query_results(body, format=RESULTS_SYNTAXES[name].oxigraph))
    assert [row["n"].value for row in kept] == [str(n) for n in range(header.rows)]
    exact = answer(both(store), request(query, results_format=name, byte_limit=len(whole)))
    assert (exact[0].rows, exact[0].truncated, exact[1]) == (100, False, whole)


@pytest.mark.parametrize("name", ["turtle", "ntriples", "rdfxml", "jsonld"])
def test_the_byte_limit_cuts_graphs_at_a_triple(name):
    query = (
        WIDE.format(numbers=" ".join(str(n) for n in range(100)))
        .replace("SELECT ?n ?text", "CONSTRUCT { ?s <http://example.org/text> ?text }")
        .replace("BIND(CONCAT", 'BIND(IRI(CONCAT("http://example.org/", STR(?n))) AS ?s) BIND(CONCAT')
    )
    store = ox.Store()
    header, body = answer(both(store), request(query, graph_format=name, byte_limit=50_000))
    assert header.truncated is True and 0 < header.rows < 100 and len(body) <= 50_000
    assert len(list(ox.parse(body, format=RDF_SYNTAXES[name].oxigraph))) == header.rows
