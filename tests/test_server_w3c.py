"""The W3C SPARQL 1.1 Protocol tests, one pytest per manifest entry, against the running endpoint.

The manifest and its data are copied in tests/w3c/protocol/ (see tests/w3c/README.md). The data
files are served as the named graphs the manifest names, beside the article's graphs.
The endpoint is read-only, so the ``update_*`` entries change meaning: every update request must
get 403 with a one-line message, and the query that follows it must see that nothing changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.collection import Collection
from serverutil import W3C, endpoint_fixture  # noqa: F401 - the endpoint fixture

from kg.formats import RDF_SYNTAXES, RESULTS_SYNTAXES

MANIFEST = W3C / "protocol" / "manifest.ttl"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")

#: The status this endpoint gives each failing entry; the manifest only asks for some 4xx.
EXACT_STATUS = {
    "bad_query_method": 405,
    "bad_multiple_queries": 400,
    "bad_query_wrong_media_type": 415,
    "bad_query_missing_form_type": 415,
    "bad_query_missing_direct_type": 415,
    "bad_query_non_utf8": 415,
    "bad_query_syntax": 400,
    "bad_update_get": 403,
    "bad_multiple_updates": 403,
    "bad_update_wrong_media_type": 415,
    "bad_update_missing_form_type": 415,
    "bad_update_non_utf8": 403,
    "bad_update_syntax": 403,
    "bad_update_dataset_conflict": 403,
}


@dataclass
class HttpRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    statuses: set[str]
    expected_boolean: bool | None
    expected_format: str | None


def load_entries() -> list[tuple[str, list[HttpRequest]]]:
    graph = Graph().parse(MANIFEST, publicID="http://www.w3.org/2009/sparql/docs/tests/data-sparql11/protocol/")
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    entries = []
    for entry in Collection(graph, graph.value(manifest, MF.entries)):
        action = graph.value(entry, MF.action)
        requests_ = [_request(graph, r) for r in Collection(graph, graph.value(action, HT.requests))]
        entries.append((str(entry).rsplit("#", 1)[1], requests_))
    return entries


def _request(graph: Graph, node) -> HttpRequest:
    headers = {}
    for header in Collection(graph, graph.value(node, HT.headers)) if graph.value(node, HT.headers) else ():
        headers[str(graph.value(header, HT.fieldName))] = str(graph.value(header, HT.fieldValue))
    body = graph.value(node, HT.body)
    data = None
    if body is not None:
        data = str(graph.value(body, CNT.chars)).encode(str(graph.value(body, CNT.characterEncoding)))
    response = graph.value(node, HT.resp)
    statuses = {str(s).rsplit("#", 1)[1] for s in graph.objects(response, MF.expectedStatus)}
    boolean = graph.value(response, MF.expectedBoolean)
    expected_format = graph.value(response, MF.expectedFormat)
    return HttpRequest(
        method=str(graph.value(node, HT.methodName)),
        path=str(graph.value(node, HT.absolutePath)),
        headers=headers,
        body=data,
        statuses=statuses,
        expected_boolean=None if boolean is None else boolean.toPython(),
        expected_format=None if expected_format is None else str(expected_format),
    )


ENTRIES = load_entries()


def test_the_manifest_has_every_query_and_bad_entry():
    names = [name for name, _ in ENTRIES]
    assert len(names) == 34
    assert sum(name.startswith("query_") for name in names) == 13
    assert sum(name.startswith("bad_") for name in names) == 14


def send(endpoint, request: HttpRequest) -> requests.Response:
    # "A program using this manifest ... must replace this value with whatever path prefix is appropriate."
    url = endpoint.sparql + request.path.removeprefix("/sparql/")
    return requests.request(request.method, url, headers=request.headers, data=request.body, timeout=10)


@pytest.mark.parametrize(("name", "http_requests"), ENTRIES, ids=[name for name, _ in ENTRIES])
def test_w3c_protocol(endpoint, name, http_requests):
    updated = False
    for request in http_requests:
        response = send(endpoint, request)
        if _is_update(request):
            assert response.status_code == 403, response.text
            assert response.text == "this endpoint is read-only: SPARQL updates are not accepted\n"
            updated = True
            continue
        if "StatusCode4xx" in request.statuses:
            assert response.status_code == EXACT_STATUS[name], response.text
            assert response.text.count("\n") == 1 and response.headers["Content-Type"].startswith("text/plain")
            continue
        assert response.status_code // 100 in (2, 3), response.text
        check_format(response, request.expected_format)
        if request.expected_boolean is not None:
            # After a refused update the query that checks its effect must find nothing.
            assert json.loads(response.text)["boolean"] is (request.expected_boolean and not updated)


def _is_update(request: HttpRequest) -> bool:
    content_type = request.headers.get("content-type", "")
    return (
        "StatusCode4xx" not in request.statuses
        and request.body is not None
        and (content_type == "application/sparql-update" or request.body.startswith(b"update="))
    )


def check_format(response: requests.Response, expected: str | None) -> None:
    media_type = response.headers["Content-Type"].split(";")[0]
    if expected in ("boolean", "tabular"):
        assert media_type in {s.media_type for s in RESULTS_SYNTAXES.values()}
    elif expected == "RDF":
        syntax = next(s for s in RDF_SYNTAXES.values() if s.media_type == media_type)
        Graph().parse(data=response.content, format=syntax.rdflib_name)


def test_refused_updates_changed_nothing(endpoint):
    """CLEAR ALL and DROP ALL were among the updates: every graph must still be whole."""
    for _, http_requests in ENTRIES:
        for request in http_requests:
            if _is_update(request):
                send(endpoint, request)
    description = Graph().parse(data=requests.get(endpoint.sparql, timeout=10).text, format="turtle")
    void_triples = URIRef("http://rdfs.org/ns/void#triples")
    sd = Namespace("http://www.w3.org/ns/sparql-service-description#")
    for named_graph in description.subjects(RDF.type, sd.NamedGraph):
        iri = description.value(named_graph, sd.name)
        count = description.value(description.value(named_graph, sd.graph), void_triples).toPython()
        query = f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}"
        answer = requests.get(endpoint.sparql, params={"query": query}, timeout=10).json()
        assert int(answer["results"]["bindings"][0]["n"]["value"]) == count, iri


def test_the_copied_data_matches_the_manifest():
    assert sorted(p.name for p in (W3C / "protocol").glob("*.nt")) == ["data1.nt", "data2.nt", "data3.nt"]
    assert Path(W3C / "README.md").is_file()
