"""Standard clients against the running endpoint: SPARQLWrapper, rdflib's SPARQLStore, and curl.

Each client is used as its documentation shows it, and each answer is checked to the exact value.
A request that a standard client makes and the endpoint gets wrong is kept as a test of the right
outcome, marked ``xfail(strict=True)`` with what was sent and what came back: the day the endpoint
is fixed, the test passes and strict xfail turns that into a failure, so the mark gets removed.

SPARQLWrapper also offers ``RDF`` and ``JSON`` for CONSTRUCT and DESCRIBE; it warns that they are
unexpected there and sends ``Accept: */*``, so they are not tested as formats of their own.
"""

from __future__ import annotations

import io
import os
import shlex
import shutil
import subprocess
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from xml.dom.minidom import Document, Element

import pyoxigraph as ox
import pytest
from conftest import ANSWERS
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.compare import to_isomorphic
from rdflib.plugins.stores.sparqlstore import SPARQLStore, SPARQLUpdateStore
from rdflib.query import Result
from serverutil import TEST_SETTINGS, running_server
from SPARQLWrapper import CSV, GET, JSON, JSONLD, N3, POST, POSTDIRECTLY, RDFXML, TSV, TURTLE, URLENCODED, XML
from SPARQLWrapper import SPARQLWrapper as SPARQLWrapperClient
from tools import require

from kg.formats import RDF_SYNTAXES, RESULTS_SYNTAXES
from kg.query import run_query

ROOT = Path(__file__).resolve().parent.parent
COMPETENCY = Path(__file__).resolve().parent.parent / "queries"
ID = Namespace("https://w3id.org/newskg/id/")
NKG = Namespace("https://w3id.org/newskg/ontology#")
RDFS_LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")

#: A SELECT with language-tagged and plain literals, and its exact answer beside it (.tsv).
SELECT_QUESTION = COMPETENCY / "13-alaska-summit.rq"
#: ASK questions answered false and true (.txt).
ASK_QUESTIONS = [COMPETENCY / "23-putin-agreement-not-a-fact.rq", COMPETENCY / "24-putin-agreement-is-claimed.rq"]
CONSTRUCT = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX nkg: <https://w3id.org/newskg/ontology#>
PREFIX id: <https://w3id.org/newskg/id/>
CONSTRUCT { id:alaska-summit nkg:hostedBy ?host . ?host rdfs:label ?name }
WHERE { id:alaska-summit nkg:hostedBy ?host . ?host rdfs:label ?name }"""
CONSTRUCTED = """<https://w3id.org/newskg/id/alaska-summit> <https://w3id.org/newskg/ontology#hostedBy> <https://w3id.org/newskg/id/donald-trump> .
<https://w3id.org/newskg/id/donald-trump> <http://www.w3.org/2000/01/rdf-schema#label> "Donald Trump"@en .
"""
DESCRIBE = "DESCRIBE <https://w3id.org/newskg/id/alaska-summit>"
#: A triple the endpoint must never hold (updates are refused).
UPDATE = "INSERT DATA { <urn:newskg-test:s> <urn:newskg-test:p> <urn:newskg-test:o> }"
UPDATE_LEFT_NO_TRACE = "ASK { <urn:newskg-test:s> ?p ?o }"


@pytest.fixture(scope="module")
def endpoint(project, built, tmp_path_factory) -> Iterator[Any]:
    """``kg serve`` on the build alone (no extra graphs), so that counts are the build's."""
    settings = {name: value for name, value in TEST_SETTINGS.items() if name != "GRAPHS"}
    with running_server(project, tmp_path_factory.mktemp("clients") / "server.log", settings) as server:
        yield server


# ---------------------------------------------------------------------------------------------
# Expected answers


def expected_solutions(question: Path) -> tuple[list[str], list[tuple]]:
    """Variable names and rows (rdflib terms) of a competency question's exact answer."""
    with (ANSWERS / f"{question.stem}.tsv").open("rb") as tsv:
        result = Result.parse(tsv, format="tsv")
    return [str(v) for v in result.vars], [tuple(row) for row in result]


def expected_boolean(question: Path) -> bool:
    return (ANSWERS / f"{question.stem}.txt").read_text(encoding="utf-8").strip() == "true"


def graph_of(ntriples: str | bytes) -> Graph:
    return Graph().parse(data=ntriples, format="nt")


def described(store, query: str) -> Graph:
    """The answer of the in-process store (no HTTP) to a graph query."""
    _, oxigraph = store
    return graph_of(run_query(oxigraph, query).serialize(format=ox.RdfFormat.N_TRIPLES))


def same_graph(a: Graph, b: Graph) -> bool:
    return to_isomorphic(a) == to_isomorphic(b)


def as_csv(solutions: tuple[list[str], list[tuple]]) -> tuple[list[str], list[tuple]]:
    """Solutions as CSV carries them: every value a plain string."""
    names, rows = solutions
    return names, [tuple(Literal(str(term)) for term in row) for row in rows]


# ---------------------------------------------------------------------------------------------
# SPARQLWrapper

#: How SPARQLWrapper sends a query: (HTTP method, request method).
METHODS = {"GET": (GET, URLENCODED), "POST-form": (POST, URLENCODED), "POST-direct": (POST, POSTDIRECTLY)}
#: SPARQLWrapper's formats for SELECT and ASK, and the results syntax each must bring.
RESULTS_FORMATS = {JSON: "json", XML: "xml", CSV: "csv", TSV: "tsv"}
#: SPARQLWrapper's formats for CONSTRUCT and DESCRIBE, and the RDF syntax each must bring.
GRAPH_FORMATS = {TURTLE: "turtle", N3: "turtle", XML: "rdfxml", RDFXML: "rdfxml", JSONLD: "jsonld"}


def sparqlwrapper_cases(kind: str, formats: dict[str, str]) -> list[Any]:
    """(format, method, only_conneg) for every combination."""
    cases = []
    for return_format in formats:
        for method in METHODS:
            for only_conneg in (False, True):
                negotiation = "accept-only" if only_conneg else "format-param"
                cases.append(
                    pytest.param(return_format, method, only_conneg, id=f"{return_format}-{method}-{negotiation}")
                )
    return cases


def ask_with_sparqlwrapper(endpoint, query: str, return_format: str, method: str, only_conneg: bool) -> tuple[str, Any]:
    """(media type of the answer, the answer as SPARQLWrapper's ``convert()`` gives it)."""
    client = SPARQLWrapperClient(endpoint.sparql)
    client.setQuery(query)
    client.setReturnFormat(return_format)
    http_method, request_method = METHODS[method]
    client.setMethod(http_method)
    client.setRequestMethod(request_method)
    client.setOnlyConneg(only_conneg)
    with warnings.catch_warnings():
        # SPARQLWrapper warns when an answer is not in the format asked for: a failure here.
        warnings.simplefilter("error", RuntimeWarning)
        warnings.filterwarnings("ignore", "ConjunctiveGraph is deprecated", DeprecationWarning)
        result = client.query()
        return result.info()["content-type"].split(";")[0], result.convert()


def _json_term(value: dict | None):
    if value is None:
        return None
    if value["type"] == "uri":
        return URIRef(value["value"])
    if value["type"] == "bnode":
        return BNode(value["value"])
    return Literal(value["value"], lang=value.get("xml:lang"), datatype=value.get("datatype"))


def _json_solutions(answer: dict) -> tuple[list[str], list[tuple]]:
    names = answer["head"]["vars"]
    return names, [tuple(_json_term(b.get(name)) for name in names) for b in answer["results"]["bindings"]]


def _xml_term(binding: Element):
    node = next(child for child in binding.childNodes if child.nodeType == child.ELEMENT_NODE)
    text = "".join(child.data for child in node.childNodes if child.nodeType == child.TEXT_NODE)
    if node.tagName == "uri":
        return URIRef(text)
    if node.tagName == "bnode":
        return BNode(text)
    return Literal(text, lang=node.getAttribute("xml:lang") or None, datatype=node.getAttribute("datatype") or None)


def _xml_solutions(answer: Document) -> tuple[list[str], list[tuple]]:
    names = [v.getAttribute("name") for v in answer.getElementsByTagName("variable")]
    rows = []
    for result in answer.getElementsByTagName("result"):
        terms = {b.getAttribute("name"): _xml_term(b) for b in result.getElementsByTagName("binding")}
        rows.append(tuple(terms.get(name) for name in names))
    return names, rows


def _table_solutions(answer: bytes, format_name: str) -> tuple[list[str], list[tuple]]:
    result = Result.parse(io.BytesIO(answer), format=format_name)
    return [str(v) for v in result.vars], [tuple(row) for row in result]


#: SPARQLWrapper's converted SELECT answer (dict, DOM, bytes) as variable names and rows of rdflib terms.
READ_SOLUTIONS: dict[str, Callable[[Any], tuple[list[str], list[tuple]]]] = {
    JSON: _json_solutions,
    XML: _xml_solutions,
    CSV: lambda answer: _table_solutions(answer, "csv"),
    TSV: lambda answer: _table_solutions(answer, "tsv"),
}
#: SPARQLWrapper's converted ASK answer as a bool (CSV and TSV carry the bare word).
READ_BOOLEAN: dict[str, Callable[[Any], bool]] = {
    JSON: lambda answer: answer["boolean"],
    XML: lambda answer: answer.getElementsByTagName("boolean")[0].firstChild.data == "true",
    CSV: lambda answer: answer.decode("utf-8").strip() == "true",
    TSV: lambda answer: answer.decode("utf-8").strip() == "true",
}


def _parsed_graph(answer: bytes) -> Graph:
    return Graph().parse(data=answer, format="turtle")


def _copied_graph(answer: Any) -> Graph:
    graph = Graph()
    for triple in answer.triples((None, None, None)):
        graph.add(triple)
    return graph


#: SPARQLWrapper's converted CONSTRUCT/DESCRIBE answer (Turtle bytes, or an rdflib graph) as a Graph.
READ_GRAPH: dict[str, Callable[[Any], Graph]] = {
    TURTLE: _parsed_graph,
    N3: _parsed_graph,
    XML: _copied_graph,
    RDFXML: _copied_graph,
    JSONLD: _copied_graph,
}


@pytest.mark.parametrize(("return_format", "method", "only_conneg"), sparqlwrapper_cases("results", RESULTS_FORMATS))
def test_sparqlwrapper_select(endpoint, return_format, method, only_conneg):
    query = SELECT_QUESTION.read_text(encoding="utf-8")
    media_type, answer = ask_with_sparqlwrapper(endpoint, query, return_format, method, only_conneg)
    assert media_type == RESULTS_SYNTAXES[RESULTS_FORMATS[return_format]].media_type
    expected = expected_solutions(SELECT_QUESTION)
    assert READ_SOLUTIONS[return_format](answer) == (as_csv(expected) if return_format == CSV else expected)


@pytest.mark.parametrize("method", list(METHODS))
def test_sparqlwrapper_sends_text_beyond_ascii_by_every_method(endpoint, method):
    """The query page, SPARQLWrapper and YASGUI send a query by GET and form POST: "é" and "’" must pass."""
    query = 'SELECT ?x { BIND("é’ Zoë" AS ?x) FILTER(STRSTARTS(STR(id:zoë), "https://w3id.org/newskg/id/")) }'
    _, answer = ask_with_sparqlwrapper(endpoint, query, JSON, method, False)
    assert answer["results"]["bindings"] == [{"x": {"type": "literal", "value": "é’ Zoë"}}]


@pytest.mark.parametrize(("return_format", "method", "only_conneg"), sparqlwrapper_cases("results", RESULTS_FORMATS))
def test_sparqlwrapper_ask(endpoint, return_format, method, only_conneg):
    answers = []
    for question in ASK_QUESTIONS:
        query = question.read_text(encoding="utf-8")
        media_type, answer = ask_with_sparqlwrapper(endpoint, query, return_format, method, only_conneg)
        assert media_type == RESULTS_SYNTAXES[RESULTS_FORMATS[return_format]].media_type
        answers.append(READ_BOOLEAN[return_format](answer))
    assert answers == [expected_boolean(question) for question in ASK_QUESTIONS] == [False, True]


@pytest.mark.parametrize(("return_format", "method", "only_conneg"), sparqlwrapper_cases("graph", GRAPH_FORMATS))
def test_sparqlwrapper_construct(endpoint, return_format, method, only_conneg):
    media_type, answer = ask_with_sparqlwrapper(endpoint, CONSTRUCT, return_format, method, only_conneg)
    assert media_type == RDF_SYNTAXES[GRAPH_FORMATS[return_format]].media_type
    assert same_graph(READ_GRAPH[return_format](answer), graph_of(CONSTRUCTED))


@pytest.mark.parametrize(("return_format", "method", "only_conneg"), sparqlwrapper_cases("graph", GRAPH_FORMATS))
def test_sparqlwrapper_describe(endpoint, store, return_format, method, only_conneg):
    media_type, answer = ask_with_sparqlwrapper(endpoint, DESCRIBE, return_format, method, only_conneg)
    assert media_type == RDF_SYNTAXES[GRAPH_FORMATS[return_format]].media_type
    expected = described(store, DESCRIBE)
    assert len(expected) > 10
    assert same_graph(READ_GRAPH[return_format](answer), expected)


@pytest.mark.parametrize("request_method", [URLENCODED, POSTDIRECTLY])
def test_sparqlwrapper_update_is_refused_with_403(endpoint, request_method):
    client = SPARQLWrapperClient(endpoint.sparql, updateEndpoint=endpoint.sparql)
    client.setMethod(POST)
    client.setRequestMethod(request_method)
    client.setQuery(UPDATE)
    with pytest.raises(HTTPError) as refused:
        client.query()
    assert refused.value.code == 403
    assert b"read-only" in refused.value.read()
    assert SPARQLStore(endpoint.sparql).query(UPDATE_LEFT_NO_TRACE).askAnswer is False


# ---------------------------------------------------------------------------------------------
# rdflib's SPARQLStore: a Graph whose store is the endpoint


def remote_graph(endpoint, **options) -> Graph:
    return Graph(store=SPARQLStore(endpoint.sparql, **options))


@pytest.mark.parametrize("method", ["GET", "POST", "POST_FORM"])
@pytest.mark.parametrize("return_format", ["xml", "json", "csv", "tsv"])
def test_rdflib_sparqlstore_select(endpoint, return_format, method):
    graph = remote_graph(endpoint, returnFormat=return_format, method=method)
    result = graph.query(SELECT_QUESTION.read_text(encoding="utf-8"))
    expected = expected_solutions(SELECT_QUESTION)
    assert ([str(v) for v in result.vars], [tuple(row) for row in result]) == (
        as_csv(expected) if return_format == "csv" else expected
    )


@pytest.mark.parametrize("method", ["GET", "POST", "POST_FORM"])
def test_rdflib_sparqlstore_ask_construct_and_describe(endpoint, store, method):
    """With the store's default format (XML: SPARQL XML results, RDF/XML graphs)."""
    graph = remote_graph(endpoint, method=method)
    asked = [graph.query(question.read_text(encoding="utf-8")).askAnswer for question in ASK_QUESTIONS]
    assert asked == [expected_boolean(question) for question in ASK_QUESTIONS]
    assert same_graph(graph.query(CONSTRUCT).graph, graph_of(CONSTRUCTED))
    assert same_graph(graph.query(DESCRIBE).graph, described(store, DESCRIBE))


def test_rdflib_sparqlstore_triples_and_value(endpoint):
    graph = remote_graph(endpoint)
    summit = ID["alaska-summit"]
    assert sorted(graph.triples((summit, NKG.hasParticipant, None))) == [
        (summit, NKG.hasParticipant, ID["donald-trump"]),
        (summit, NKG.hasParticipant, ID["vladimir-putin"]),
    ]
    assert list(graph.objects(summit, NKG.hostedBy)) == [ID["donald-trump"]]
    assert graph.value(ID["donald-trump"], RDFS_LABEL) == Literal("Donald Trump", lang="en")
    assert (summit, NKG.hostedBy, ID["vladimir-putin"]) not in graph


def test_rdflib_sparqlstore_len_counts_the_default_graph(endpoint, store):
    _, oxigraph = store
    count = next(iter(run_query(oxigraph, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")))["n"]
    assert len(remote_graph(endpoint)) == int(count.value) > 9000


def test_rdflib_sparqlstore_contexts_are_the_named_graphs(endpoint, store):
    manifest, _ = store
    contexts = SPARQLStore(endpoint.sparql).contexts()
    assert sorted(str(graph) for graph in contexts) == sorted(info.iri for info in manifest.graphs)


def test_rdflib_sparqlupdatestore_is_refused_with_403(endpoint, store):
    """rdflib surfaces the refusal as urllib's HTTPError, status 403, with the endpoint's message as body."""
    manifest, _ = store
    updates = SPARQLUpdateStore(query_endpoint=endpoint.sparql, update_endpoint=endpoint.sparql)
    with pytest.raises(HTTPError) as refused:
        updates.update(UPDATE)
    assert refused.value.code == 403
    assert refused.value.read() == b"this endpoint is read-only: SPARQL updates are not accepted\n"
    graph = Graph(store=updates, identifier=URIRef(manifest.graphs[0].iri))
    with pytest.raises(HTTPError) as refused:
        graph.add((URIRef("urn:newskg-test:s"), URIRef("urn:newskg-test:p"), URIRef("urn:newskg-test:o")))
    assert refused.value.code == 403
    assert remote_graph(endpoint).query(UPDATE_LEFT_NO_TRACE).askAnswer is False


# ---------------------------------------------------------------------------------------------
# curl: the README's command lines, run as they are written there

#: The address the README's commands use; the tests put their own server's in its place.
README_ADDRESS = "http://127.0.0.1:8000"
_WHO = "SELECT ?who WHERE { id:alaska-summit nkg:hostedBy/rdfs:label ?who }"
_WHO_JSON = (
    '{"head":{"vars":["who"]},"results":{"bindings":'
    '[{"who":{"type":"literal","value":"Donald Trump","xml:lang":"en"}}]}}'
)
_HOST_TRIPLE = (
    "<https://w3id.org/newskg/id/alaska-summit> <https://w3id.org/newskg/ontology#hostedBy> "
    "<https://w3id.org/newskg/id/donald-trump> .\n"
)
_READ_ONLY = "this endpoint is read-only: SPARQL updates are not accepted\n"


@dataclass(frozen=True)
class CurlExample:
    """A curl command line as the README shows it, and exactly what it must get back."""

    name: str
    #: Run from the repository's top folder (some read a query file), through ``shlex.split``.
    command: str
    status: int
    content_type: str
    #: The exact body, or the file that holds it.
    body: str | Path | None = None
    #: For answers too long to spell out: a line the body must contain.
    contains: str | None = None
    #: For Turtle, whose layout is the serialiser's: the N-Triples of the exact graph.
    graph: str | None = None
    content_encoding: str | None = None


CURL_EXAMPLES = [
    CurlExample(
        "select-get",
        f"curl -G {README_ADDRESS}/sparql --data-urlencode 'query={_WHO}'",
        200,
        "application/sparql-results+json",
        body=_WHO_JSON,
    ),
    CurlExample(
        "select-post-form",
        f"curl {README_ADDRESS}/sparql --data-urlencode 'query={_WHO}'",
        200,
        "application/sparql-results+json",
        body=_WHO_JSON,
    ),
    CurlExample(
        "select-post-direct",
        f"curl {README_ADDRESS}/sparql -H 'Content-Type: application/sparql-query' --data-binary '{_WHO}'",
        200,
        "application/sparql-results+json",
        body=_WHO_JSON,
    ),
    CurlExample(
        "select-accept-csv",
        f"curl -G {README_ADDRESS}/sparql -H 'Accept: text/csv' --data-urlencode 'query={_WHO}'",
        200,
        "text/csv; charset=utf-8",
        body="who\r\nDonald Trump\r\n",
    ),
    CurlExample(
        "select-format-xml",
        f"curl -G {README_ADDRESS}/sparql --data-urlencode 'query={_WHO}' -d format=xml",
        200,
        "application/sparql-results+xml",
        body='<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>'
        '<variable name="who"/></head><results><result><binding name="who"><literal xml:lang="en">'
        "Donald Trump</literal></binding></result></results></sparql>",
    ),
    CurlExample(
        "select-file-post-direct-accept-tsv",
        f"curl {README_ADDRESS}/sparql -H 'Content-Type: application/sparql-query' "
        "-H 'Accept: text/tab-separated-values' --data-binary @queries/13-alaska-summit.rq",
        200,
        "text/tab-separated-values; charset=utf-8",
        body=ANSWERS / "13-alaska-summit.tsv",
    ),
    CurlExample(
        "select-file-compressed-format-tsv",
        f"curl --compressed -G {README_ADDRESS}/sparql "
        "--data-urlencode query@queries/35-background-knowledge.rq -d format=tsv",
        200,
        "text/tab-separated-values; charset=utf-8",
        body=ANSWERS / "35-background-knowledge.tsv",
        content_encoding="gzip",
    ),
    CurlExample(
        "ask",
        f"curl -G {README_ADDRESS}/sparql "
        "--data-urlencode 'query=ASK { id:vladimir-putin nkg:agreesTo id:article-5-like-security-guarantees }'",
        200,
        "application/sparql-results+json",
        body='{"head":{},"boolean":false}',
    ),
    CurlExample(
        "ask-inferred",
        f"curl -G {README_ADDRESS}/sparql "
        "--data-urlencode 'query=ASK { id:keir-starmer nkg:holdsOfficeIn id:united-kingdom }'",
        200,
        "application/sparql-results+json",
        body='{"head":{},"boolean":true}',
    ),
    CurlExample(
        "ask-infer-false",
        f"curl -G {README_ADDRESS}/sparql "
        "--data-urlencode 'query=ASK { id:keir-starmer nkg:holdsOfficeIn id:united-kingdom }' -d infer=false",
        200,
        "application/sparql-results+json",
        body='{"head":{},"boolean":false}',
    ),
    CurlExample(
        "construct-turtle",
        f"curl -G {README_ADDRESS}/sparql --data-urlencode 'query=CONSTRUCT WHERE {{ id:alaska-summit nkg:hostedBy ?host }}'",
        200,
        "text/turtle; charset=utf-8",
        graph=_HOST_TRIPLE,
    ),
    CurlExample(
        "construct-accept-ntriples",
        f"curl -G {README_ADDRESS}/sparql -H 'Accept: application/n-triples' "
        "--data-urlencode 'query=CONSTRUCT WHERE { id:alaska-summit nkg:hostedBy ?host }'",
        200,
        "application/n-triples",
        body=_HOST_TRIPLE,
    ),
    CurlExample(
        "construct-format-jsonld",
        f"curl -G {README_ADDRESS}/sparql "
        "--data-urlencode 'query=CONSTRUCT WHERE { id:alaska-summit nkg:hostedBy ?host }' -d format=jsonld",
        200,
        "application/ld+json",
        body='[{"@id":"https://w3id.org/newskg/id/alaska-summit","https://w3id.org/newskg/ontology#hostedBy":'
        '[{"@id":"https://w3id.org/newskg/id/donald-trump"}]}]',
    ),
    CurlExample(
        "describe-accept-ntriples",
        f"curl -G {README_ADDRESS}/sparql -H 'Accept: application/n-triples' "
        "--data-urlencode 'query=DESCRIBE id:donald-trump'",
        200,
        "application/n-triples",
        contains='<https://w3id.org/newskg/id/donald-trump> <http://www.w3.org/2000/01/rdf-schema#label> "Donald Trump"@en .\n',
    ),
    CurlExample(
        "service-description",
        f"curl {README_ADDRESS}/sparql",
        200,
        "text/turtle; charset=utf-8",
        contains=f"\tsd:endpoint <{README_ADDRESS}/sparql> ;\n",
    ),
    CurlExample(
        "syntax-error",
        f"curl -G {README_ADDRESS}/sparql --data-urlencode 'query=SELECT * {{'",
        400,
        "text/plain; charset=utf-8",
        body='SPARQL syntax error at 1:11: expected one of "$", "\'", "\'\'\'", "(" ...\n',
    ),
    CurlExample(
        "update-form-refused",
        f"curl {README_ADDRESS}/sparql --data-urlencode 'update=INSERT DATA {{ id:a id:b id:c }}'",
        403,
        "text/plain; charset=utf-8",
        body=_READ_ONLY,
    ),
    CurlExample(
        "update-direct-refused",
        f"curl {README_ADDRESS}/sparql -H 'Content-Type: application/sparql-update' "
        "--data-binary 'INSERT DATA { id:a id:b id:c }'",
        403,
        "text/plain; charset=utf-8",
        body=_READ_ONLY,
    ),
]


def run_curl(command: str, address: str, headers_file: Path) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of a README curl command run against ``address``."""
    curl = shutil.which("curl")
    require(None if curl else "install curl (Debian package curl)")
    argv = shlex.split(command.replace(README_ADDRESS, address))
    assert argv[0] == "curl"
    # -q first: no ~/.curlrc; --dump-header keeps the headers out of the body
    argv = [curl, "-q", *argv[1:], "--silent", "--show-error", "--dump-header", str(headers_file)]
    env = {**os.environ, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
    completed = subprocess.run(argv, cwd=ROOT, capture_output=True, timeout=60, env=env, check=False)
    assert completed.returncode == 0, completed.stderr.decode(errors="replace")
    status_line, *lines = headers_file.read_text(encoding="latin-1").strip().splitlines()
    fields = dict(line.split(": ", 1) for line in lines if ": " in line)
    return int(status_line.split()[1]), {name.lower(): value for name, value in fields.items()}, completed.stdout


@pytest.mark.parametrize("example", CURL_EXAMPLES, ids=lambda example: example.name)
def test_curl_example(endpoint, example, tmp_path):
    address = endpoint.url.rstrip("/")
    status, headers, body = run_curl(example.command, address, tmp_path / "headers")
    assert status == example.status, body
    assert headers["content-type"] == example.content_type
    assert headers.get("content-encoding") == example.content_encoding
    text = body.decode("utf-8")
    if isinstance(example.body, Path):
        assert text == example.body.read_text(encoding="utf-8")
    elif example.body is not None:
        assert text == example.body
    if example.contains is not None:
        assert example.contains.replace(README_ADDRESS, address) in text
    if example.graph is not None:
        assert text.startswith("@prefix ")
        assert same_graph(Graph().parse(data=text, format="turtle"), graph_of(example.graph))
