"""Safe to expose: nothing reaches outside the dataset, every query ends in time and memory, bad input gets 4xx.

The test server has a 2 s time limit, a 512 MiB memory limit per worker, 2 workers and a
500-row cap (tests/serverutil.py).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import requests
from serverutil import (  # noqa: F401 - endpoint_fixture is a fixture
    TEST_SETTINGS,
    assert_a_runaway_is_stopped_at_the_limit,
    endpoint_fixture,
    raw_http,
)

from server.errors import OutsideDatasetError
from server.executor import Executor
from server.frames import QueryRequest
from server.proctree import cpu_seconds, descendants
from server.worker import worker_command

LIMIT = TEST_SETTINGS["QUERY_TIMEOUT"]
CARTESIAN = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
#: Queries that would run for minutes or hours, each a different way of never letting go.
RUNAWAY = {
    "cartesian product": CARTESIAN,
    "property path (p|!p)*": "SELECT (COUNT(*) AS ?n) { ?a (<x:p>|!<x:p>)* ?b . ?b (<x:p>|!<x:p>)* ?c }",
    "regex over a product": 'SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f FILTER(REGEX(CONCAT(STR(?c), STR(?f)), "^(a|aa)+b$")) }',
    "nested aggregates": "SELECT (COUNT(*) AS ?n) { { SELECT ?a (COUNT(*) AS ?m) { ?a ?b ?c . ?d ?e ?f } GROUP BY ?a } }",
}


def get(endpoint, query: str, **params) -> requests.Response:
    return requests.get(endpoint.sparql, params={"query": query, **params}, timeout=LIMIT + 10)


@pytest.mark.parametrize(
    "template",
    [
        "SELECT * {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        "select * {{ service silent <{url}> {{ ?s ?p ?o }} }}",
        "SELECT * {{ BIND(<{url}> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
        "SELECT * {{ ?x ?y ?z .SERVICE<{url}>{{}} }}",
    ],
)
def test_service_is_refused_with_400_and_no_request_is_made(endpoint, listener, template):
    url, received = listener
    response = get(endpoint, template.format(url=url))
    assert response.status_code == 400
    assert response.text == "SERVICE is not allowed: this endpoint answers from its own dataset only\n"
    assert received == []


def test_service_in_strings_iris_and_names_is_not_a_service_clause(endpoint):
    query = 'SELECT ?service { BIND("SERVICE <http://x/>" AS ?service) } # SERVICE <http://x/>'
    assert get(endpoint, query).status_code == 200


def test_from_names_only_graphs_of_the_dataset(endpoint, listener, tmp_path):
    url, received = listener
    secret = tmp_path / "secret.nt"
    secret.write_text("<x:s> <x:p> <x:o> .\n")
    for graph in (url, secret.as_uri(), "file:///etc/hostname"):
        for query in (f"ASK FROM <{graph}> {{ ?s ?p ?o }}", f"ASK FROM NAMED <{graph}> {{ GRAPH ?g {{ ?s ?p ?o }} }}"):
            assert get(endpoint, query).json()["boolean"] is False, query
        assert get(endpoint, "ASK { ?s ?p ?o }", **{"default-graph-uri": graph}).json()["boolean"] is False
    assert received == []


def test_a_worker_cannot_open_a_connection_even_when_asked_directly(project, built, listener):
    """Past the HTTP layer's check, the worker itself cannot open a socket (no file descriptor left)."""
    url, received = listener
    executor = Executor(
        worker_command(project.build_dir, 512),
        size=1,
        time_limit=10,
        row_limit=10,
        byte_limit=1 << 20,
        memory_limit_mb=512,
    )
    try:
        with pytest.raises(OutsideDatasetError, match="tried to open a file or a connection"):
            executor.run(QueryRequest(f"SELECT * {{ SERVICE <{url}> {{ ?s ?p ?o }} }}"))
        assert executor.run(QueryRequest("ASK { ?s ?p ?o }")).body.endswith(b"true}")  # still serving
    finally:
        executor.close()
    assert received == []


@pytest.mark.parametrize("query", list(RUNAWAY.values()), ids=list(RUNAWAY))
def test_a_runaway_query_gets_503_within_the_limit_plus_a_second(endpoint, query):
    assert_a_runaway_is_stopped_at_the_limit(lambda: get(endpoint, query))


def test_other_clients_are_served_during_a_runaway_query(endpoint):
    slow: list[requests.Response] = []
    thread = threading.Thread(target=lambda: slow.append(get(endpoint, CARTESIAN + " # other clients")))
    thread.start()
    time.sleep(0.3)
    for n in range(5):
        started = time.monotonic()
        response = get(endpoint, f"SELECT ?s {{ ?s ?p ?o }} LIMIT {n + 1}")
        assert response.status_code == 200 and time.monotonic() - started < 1
    assert thread.is_alive()  # the runaway query was still running all along
    thread.join()
    assert slow[0].status_code == 503


def test_nothing_keeps_burning_cpu_after_a_timeout(endpoint):
    assert get(endpoint, CARTESIAN + " # cpu").status_code == 503
    time.sleep(0.5)  # the replacement worker starts (and loads the store) meanwhile
    processes = descendants(endpoint.process.pid)
    before = cpu_seconds(processes)
    time.sleep(1)
    assert cpu_seconds(processes) - before < 0.2
    workers = requests.get(endpoint.url + "health", timeout=5).json()["workers"]
    assert workers == {"idle": 2, "busy": 0, "starting": 0}


def test_memory_is_bounded(endpoint):
    """A label doubled forty times asks for terabytes: the worker's address space limit stops it.

    The first allocation past the limit fails, however fast or loaded the machine (an ORDER BY over a
    product also grows past it, but on a loaded machine may reach the time limit first).
    """
    doublings = "".join(f" BIND(CONCAT(?v{n}, ?v{n}) AS ?v{n + 1})" for n in range(40))
    query = f"SELECT (STRLEN(?v40) AS ?n) {{ ?s rdfs:label ?v0 {doublings} }} LIMIT 1"
    started = time.monotonic()
    response = get(endpoint, query)
    assert response.status_code == 503
    assert response.text == "the query was stopped: it needed more than the 512 MiB memory limit\n"
    assert time.monotonic() - started < LIMIT + 1
    after = get(endpoint, "ASK { ?s ?p ?o }")
    assert after.status_code == 200, after.text


def test_results_are_cut_at_the_row_limit_with_an_explicit_signal(endpoint):
    cut = get(endpoint, "SELECT * { ?s ?p ?o }", format="tsv")
    assert cut.status_code == 200
    assert (cut.headers["X-Result-Rows"], cut.headers["X-Result-Truncated"]) == ("500", "true")
    assert len(cut.text.splitlines()) == 501
    graph = get(endpoint, "CONSTRUCT WHERE { ?s ?p ?o }", format="ntriples")
    assert (graph.headers["X-Result-Rows"], graph.headers["X-Result-Truncated"]) == ("500", "true")
    assert len(graph.text.splitlines()) == 500
    whole = get(endpoint, "SELECT * { ?s ?p ?o } LIMIT 500")
    assert (whole.headers["X-Result-Rows"], whole.headers["X-Result-Truncated"]) == ("500", "false")
    assert len(whole.json()["results"]["bindings"]) == 500


def test_requests_and_queries_have_a_maximum_size(endpoint):
    huge = requests.post(endpoint.sparql, data={"query": "#" * (2 * 1024 * 1024)}, timeout=10)
    assert huge.status_code == 413 and huge.text.count("\n") == 1
    long_query = "ASK {} #" + "x" * 100_000
    too_long = requests.post(endpoint.sparql, data={"query": long_query}, timeout=10)
    assert (too_long.status_code, too_long.text) == (
        413,
        f"the query has {len(long_query)} characters; this endpoint accepts up to 100000\n",
    )


def test_a_syntax_error_gets_400_with_the_parsers_message_and_position(endpoint):
    response = get(endpoint, "SELECT * WHERE {\n  ?s ?p \n}")
    assert response.status_code == 400
    assert response.text.startswith("SPARQL syntax error at 3:2: expected ")
    assert get(endpoint, "SELECT * { ?s a foo:Bar }").text == (
        "SPARQL syntax error at 1:24: unknown prefix foo: (declare it with PREFIX foo: <...>)\n"
    )


@pytest.mark.parametrize(
    ("method", "raw"),
    [
        ("GET", "query=ASK%20%7B%7D%FF"),  # not UTF-8
        ("GET", "query=ASK%20%7B%7D%00"),  # NUL
        ("GET", "query=ASK%20%7B%7D&default-graph-uri=not%20an%20iri"),
        ("GET", "query=ASK%20%7B%7D&query=ASK%20%7B%7D"),
        ("POST", "query=ASK%20%7B%C3%28%7D"),  # a broken two-byte sequence, in a form
    ],
)
def test_malformed_requests_get_400(endpoint, method, raw):
    if method == "GET":
        response = requests.get(f"{endpoint.sparql}?{raw}", timeout=10)
    else:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        response = requests.post(endpoint.sparql, data=raw.encode(), headers=headers, timeout=10)
    assert response.status_code == 400
    assert response.text.count("\n") == 1


def test_a_direct_query_that_is_not_utf8_gets_400(endpoint):
    headers = {"Content-Type": "application/sparql-query"}
    response = requests.post(endpoint.sparql, data="ASK { ?s ?p 'é' }".encode("latin-1"), headers=headers, timeout=10)
    assert (response.status_code, response.text) == (400, "the request is not valid UTF-8 (byte 13)\n")


@pytest.mark.parametrize(
    ("request_bytes", "status", "body"),
    [
        # Refused by hyper, granian's HTTP parser, before the endpoint sees them: its status, no body.
        # Too long or too many headers are 431 (RFC 6585, Request Header Fields Too Large): a
        # status that says which part of the request to shorten, where 400 would not.
        (b"GET /sparql HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 400_000 + b"\r\n\r\n", 431, b""),
        (b"GET /sparql HTTP/1.1\r\nHost: x\r\n" + b"X-Many: 1\r\n" * 200 + b"\r\n", 431, b""),
        (b"GET /sparql HTTP/1.1\r\nHost: x\r\nX-Nul: a\x00b\r\n\r\n", 400, b""),
        (b"GET /sparql HTTP/1.1\r\nHost: x\r\nBad Name: 1\r\n\r\n", 400, b""),
        (b"GET /sparql?query=" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, b""),
        (b"GARBAGE\r\n\r\n", 400, b""),
        # Read by the endpoint: one line of text.
        (
            b"GET /sparql HTTP/1.1\r\nHost: x\r\nAccept: " + b"a/b;q=0.1," * 700 + b"\r\nConnection: close\r\n\r\n",
            406,
            b"no acceptable format: SELECT and ASK give application/sparql-results+json, application/sparql-results+xml,"
            b" text/csv, text/tab-separated-values; CONSTRUCT and DESCRIBE give text/turtle, application/n-triples,"
            b" application/rdf+xml, application/ld+json\n",
        ),
    ],
    ids=["huge header", "too many headers", "NUL in a header", "space in a name", "huge URL", "garbage", "long Accept"],
)
def test_absurd_requests_get_a_client_error(endpoint, request_bytes, status, body):
    assert raw_http(endpoint, request_bytes) == (status, body)


def test_no_error_body_carries_a_stack_trace_or_a_path(endpoint):
    bodies = [
        get(endpoint, "SELECT * {").text,
        get(endpoint, CARTESIAN, infer="false").text,
        requests.put(endpoint.sparql, timeout=10).text,
        requests.get(endpoint.url + "no/such/page", timeout=10).text,
        requests.post(
            endpoint.sparql, data=b"\xff", headers={"Content-Type": "application/sparql-query"}, timeout=10
        ).text,
    ]
    for body in bodies:
        assert body.count("\n") == 1, body
        assert "Traceback" not in body and "File " not in body and ".py" not in body
        assert str(Path(__file__).parent.parent) not in body and "/tmp" not in body
    assert "Traceback" not in endpoint.log_text()
