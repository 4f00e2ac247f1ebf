"""``kg serve --backend URL``: the same endpoint in front of a remote SPARQL endpoint, against real processes.

A real ``oxigraph serve --union-default-graph`` filled by ``kg publish``, with ``kg serve --backend``
in front of it, must answer as ``kg serve`` on the build does: every competency question byte for
byte in every results format, the same limits, the same refusals and errors. A fake backend (an
HTTP server in a thread here) plays what a real store does not do on demand: a 400 with a message
over several lines, a 500, a 503, a redirect, an answer that cannot be read, one that never comes.

Both servers have the short limits of ``tests/serverutil.py`` (2 s, 500 rows) and no extra graphs,
so that their datasets are the same.
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from conftest import ANSWERS
from serverutil import (
    ONLY_INFERRED,
    TEST_SETTINGS,
    assert_a_runaway_is_stopped_at_the_limit,
    assert_answers_as_locally,
    assert_graph_as_locally,
    kg_env,
    local_http_server,
    running_server,
)
from tools import require

from kg.namespaces import INFERRED_GRAPH, ONTOLOGY_GRAPH, PREFIXES, graph_for_article
from kg.project import Project
from localstores.oxigraph import INSTALL_HINT, free_port, oxigraph_command, oxigraph_server
from server.errors import OutsideDatasetError
from server.executor import Executor
from server.frames import QueryRequest
from server.worker import backend_worker_command

pytestmark = pytest.mark.slow

LIMIT = TEST_SETTINGS["QUERY_TIMEOUT"]
#: The test limits, without the W3C graphs: the backend holds the build's graphs only.
SETTINGS = {key: value for key, value in TEST_SETTINGS.items() if key != "GRAPHS"}
COMPETENCY = sorted((Path(__file__).resolve().parent.parent / "queries").glob("*.rq"))
#: Minutes of work for any store: a regex over every pair of triples.
SLOW = 'SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f FILTER(REGEX(CONCAT(STR(?c), STR(?f)), "^(a|aa)+b$")) }'
COUNT_GRAPHS = "SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"


def kg(project, *args) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "kg", "--project", str(project.root), "--build-dir", str(project.build_dir)]
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **kg_env(project)})  # fmt: skip


# --- the servers ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def published(project, built, tmp_path_factory) -> Iterator[str]:
    """A real Oxigraph server that queries the union of its graphs, filled by ``kg publish``.

    Its own time limit is a second above ours: closing the connection does not stop Oxigraph's
    evaluation, and a runaway query must not keep a core busy for the rest of the run.
    """
    require(None if oxigraph_command() else INSTALL_HINT)
    store = tmp_path_factory.mktemp("backend-store")
    with oxigraph_server(store, "--union-default-graph", "--timeout-s", str(LIMIT + 1)) as base:
        result = kg(project, "publish", "--to", f"{base}/store")
        assert result.returncode == 0, result.stderr
        yield base


@pytest.fixture(scope="module")
def no_build(tmp_path_factory) -> Path:
    """A build folder that must stay empty: ``kg serve --backend`` builds nothing."""
    return tmp_path_factory.mktemp("no-build") / "build"


@pytest.fixture(scope="module")
def fronted(project, published, no_build, tmp_path_factory):
    """``kg serve --backend`` in front of the published store, with a build folder that does not exist."""
    log = tmp_path_factory.mktemp("fronted") / "server.log"
    elsewhere = Project(project.root, no_build, project.articles)
    with running_server(elsewhere, log, SETTINGS, ["--backend", f"{published}/query"]) as server:
        yield server


@pytest.fixture(scope="module")
def local(project, built, tmp_path_factory):
    """``kg serve`` on the build itself, as the reference."""
    with running_server(project, tmp_path_factory.mktemp("local") / "server.log", SETTINGS) as server:
        yield server


@dataclass
class FakeBackend:
    """An HTTP server answering each query by the ``# fake:...`` marker in it; it records every request."""

    url: str
    #: (path, headers, form) of every request, in order.
    received: list[tuple[str, dict[str, str], dict[str, list[str]]]] = field(default_factory=list)
    #: What it lists as its named graphs (``GRAPH ?g {}``).
    graphs: list[str] = field(default_factory=list)

    def forms(self) -> list[dict[str, list[str]]]:
        return [form for _, _, form in self.received]


def _fake_handler(fake: FakeBackend) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            form = urllib.parse.parse_qs(body.decode(), keep_blank_values=True)
            fake.received.append((self.path, dict(self.headers), form))
            query = form.get("query", [""])[0]
            if "GRAPH ?g { }" in query:
                rows = "".join(f"<{iri}>\n" for iri in fake.graphs)
                return self.answer(200, "text/tab-separated-values", f"?g\n{rows}")
            marker = query.rsplit("# fake:", 1)[-1].strip() if "# fake:" in query else "ask"
            if marker == "400":
                return self.answer(400, "text/plain", "error at 1:3: this store\n  does not like\n\nthis query\n")
            if marker == "500":
                return self.answer(500, "text/plain", "boom")
            if marker == "503":
                return self.answer(503, "text/plain", "busy")
            if marker == "redirect":
                self.send_response(307)
                self.send_header("Location", f"{fake.url}elsewhere")
                self.send_header("Content-Length", "0")
                return self.end_headers()
            if marker == "garbage":
                return self.answer(200, "text/tab-separated-values", '?s\n<http://x/1>\n"unterminated\n')
            if marker == "csv":
                return self.answer(200, "text/csv", "s\r\nhttp://x/1\r\n")
            if marker == "slow":
                time.sleep(LIMIT + 3)
                return self.answer(200, "application/sparql-results+json", '{"head":{},"boolean":true}')
            return self.answer(200, "application/sparql-results+json", '{"head":{},"boolean":true}')

        def answer(self, status: int, media_type: str, text: str) -> None:
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", media_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeBackend]:
    with local_http_server(http.server.BaseHTTPRequestHandler) as server:
        backend = FakeBackend(f"http://127.0.0.1:{server.server_port}/")
        server.RequestHandlerClass = _fake_handler(backend)
        yield backend


@pytest.fixture(scope="module")
def fronted_fake(project, fake, no_build, tmp_path_factory):
    log = tmp_path_factory.mktemp("fronted-fake") / "server.log"
    with running_server(
        Project(project.root, no_build, project.articles), log, SETTINGS, ["--backend", f"{fake.url}sparql"]
    ) as server:
        yield server


def get(server, query: str, headers: dict | None = None, **params) -> requests.Response:
    return requests.get(server.sparql, params={"query": query, **params}, headers=headers or {}, timeout=LIMIT + 10)


def post(server, query: str, **params) -> requests.Response:
    return requests.post(server.sparql, data={"query": query, **params}, timeout=LIMIT + 10)


# --- the same answers ----------------------------------------------------------------------------


def test_kg_serve_backend_builds_nothing(fronted, no_build):
    assert not no_build.exists()
    assert get(fronted, "ASK { ?s ?p ?o }").json()["boolean"] is True
    assert "Traceback" not in fronted.log_text()


def test_kg_serve_backend_needs_no_project_folder(published, tmp_path):
    with running_server(None, tmp_path / "server.log", SETTINGS, ["--backend", f"{published}/query"]) as server:
        assert get(server, "ASK { ?s ?p ?o }").json() == {"head": {}, "boolean": True}
        page = requests.get(server.url, timeout=10)
        assert (page.status_code, page.text.count('"name": "')) == (200, 0)  # no project: no example questions
    assert [path.name for path in tmp_path.iterdir()] == ["server.log"]


@pytest.mark.parametrize("question", COMPETENCY, ids=lambda p: p.stem)
def test_every_competency_question_is_answered_as_by_the_local_endpoint(fronted, local, question):
    assert_answers_as_locally(fronted, local, question, ANSWERS)


@pytest.mark.parametrize(
    "query",
    [
        "CONSTRUCT { ?s a ?type } WHERE { ?s a ?type FILTER(isIRI(?s)) } ORDER BY ?s ?type LIMIT 40",
        "DESCRIBE id:keir-starmer",
        "CONSTRUCT WHERE { id:keir-starmer ?p ?o }",
    ],
)
def test_graph_results_equal_the_local_ones_in_every_syntax(fronted, local, query):
    assert_graph_as_locally(fronted, local, query)


def test_infer_false_leaves_out_the_inferred_graph_as_locally(fronted, local):
    row = get(fronted, ONLY_INFERRED).json()["results"]["bindings"][0]
    ask = f"ASK {{ <{row['s']['value']}> <{row['p']['value']}> <{row['o']['value']}> }}"
    assert get(fronted, ask).json()["boolean"] is True
    assert get(fronted, ask, infer="false").json()["boolean"] is False
    assert post(fronted, ask, infer="false").json()["boolean"] is False
    for query in ("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", COUNT_GRAPHS):
        for infer in ("true", "false"):
            assert get(fronted, query, infer=infer).text == get(local, query, infer=infer).text, (query, infer)
    counts = [get(fronted, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", infer=i).json() for i in ("true", "false")]
    assert counts[0] != counts[1]


def test_the_protocols_dataset_and_a_querys_from_are_kept(fronted, local):
    ontology = str(ONTOLOGY_GRAPH)
    cases = [
        ("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", {"default-graph-uri": ontology}),
        (COUNT_GRAPHS, {"named-graph-uri": ontology}),
        (COUNT_GRAPHS, {"default-graph-uri": ontology, "infer": "false"}),
        (f"SELECT (COUNT(*) AS ?n) FROM <{ontology}> {{ ?s ?p ?o }}", {"infer": "false"}),
        (f"SELECT ?g (COUNT(*) AS ?n) FROM NAMED <{ontology}> {{ GRAPH ?g {{ ?s ?p ?o }} }} GROUP BY ?g", {}),
        (f"ASK FROM <{ontology}> {{ ?s ?p ?o }}", {"default-graph-uri": str(INFERRED_GRAPH)}),
        ("SELECT (COUNT(*) AS ?n) FROM graph:ontology FROM NAMED graph:inferred { ?s ?p ?o }", {}),
        (
            "PREFIX g: <https://w3id.org/newskg/graph/> SELECT ?g (COUNT(*) AS ?n) FROM NAMED g:inferred"
            " { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
            {},
        ),
        (
            "BASE <https://w3id.org/newskg/graph/> ASK FROM <ontology> { ?s a <http://www.w3.org/2002/07/owl#Class> }",
            {},
        ),
        ("ASK FROM <https://w3id.org/newskg/graph/no-such-graph> { ?s ?p ?o }", {}),
    ]
    for query, params in cases:
        remote, reference = get(fronted, query, **params), get(local, query, **params)
        assert remote.status_code == 200 and remote.text == reference.text, (query, params)


def test_the_projects_prefixes_are_predeclared_and_relative_iris_resolve_against_the_endpoint(fronted, local):
    query = "SELECT (<x> AS ?relative) (id:a AS ?declared) (schema:b AS ?predeclared) { }"
    own = f"PREFIX id: <urn:other:> {query}"
    for server in (fronted, local):
        row = get(server, own).json()["results"]["bindings"][0]
        assert row["relative"]["value"] == server.url + "x"
        assert row["declared"]["value"] == "urn:other:a"
        assert row["predeclared"]["value"] == f"{PREFIXES['schema']}b"
    based = "BASE <http://example.org/base/> SELECT (<x> AS ?relative) { }"
    assert get(fronted, based).json() == get(local, based).json()


@pytest.mark.parametrize(
    "query", ["SELECT * WHERE {\n  ?s ?p \n}", "SELECT * { ?s a foo:Bar }", "CLEAR ALL", "ASK {} trailing"]
)
def test_a_syntax_error_reads_as_the_local_endpoints(fronted, local, query):
    remote, reference = post(fronted, query), post(local, query)
    assert remote.status_code == reference.status_code == 400
    assert remote.text == reference.text
    assert remote.text.startswith("SPARQL syntax error at ") and remote.text.count("\n") == 1


# --- the same limits and refusals ----------------------------------------------------------------


def test_a_slow_query_gets_503_within_the_limit_plus_a_second(fronted):
    assert_a_runaway_is_stopped_at_the_limit(lambda: get(fronted, SLOW))
    assert get(fronted, "ASK { ?s ?p ?o }").json()["boolean"] is True  # the other worker still serves


def test_results_are_cut_at_the_row_limit_with_the_same_signal(fronted):
    cut = get(fronted, "SELECT * { ?s ?p ?o }", format="tsv")
    assert (cut.status_code, cut.headers["X-Result-Rows"], cut.headers["X-Result-Truncated"]) == (200, "500", "true")
    assert len(cut.text.splitlines()) == 501
    graph = get(fronted, "CONSTRUCT WHERE { ?s ?p ?o }", format="ntriples")
    assert (graph.headers["X-Result-Rows"], graph.headers["X-Result-Truncated"]) == ("500", "true")
    assert len(graph.text.splitlines()) == 500
    whole = get(fronted, "SELECT * { ?s ?p ?o } LIMIT 500")
    assert (whole.headers["X-Result-Rows"], whole.headers["X-Result-Truncated"]) == ("500", "false")
    assert len(whole.json()["results"]["bindings"]) == 500


def test_service_is_refused_with_400_and_nothing_is_asked(fronted, fake):
    before = len(fake.received)
    for query in (f"SELECT * {{ SERVICE <{fake.url}> {{ ?s ?p ?o }} }}", f"ASK {{ SERVICE SILENT <{fake.url}> {{}} }}"):
        response = get(fronted, query)
        assert (response.status_code, response.text) == (
            400,
            "SERVICE is not allowed: this endpoint answers from its own dataset only\n",
        )
    assert len(fake.received) == before


def test_a_backend_worker_cannot_call_a_service_while_it_checks_a_query(fake):
    """Past the HTTP layer's check: an ASK is evaluated on an empty store when checked, with no file to open."""
    executor = Executor(
        backend_worker_command(f"{fake.url}sparql", 512),
        size=1,
        time_limit=10,
        row_limit=10,
        byte_limit=1 << 20,
        memory_limit_mb=512,
    )
    before = len(fake.received)
    try:
        with pytest.raises(OutsideDatasetError, match="tried to open a file or a connection"):
            executor.run(QueryRequest(f"ASK {{ SERVICE <{fake.url}service> {{ ?s ?p ?o }} }}"))
        assert len(fake.received) == before
        assert executor.run(QueryRequest("ASK { ?s ?p ?o } # fake:ask")).body.endswith(b"true}")
    finally:
        executor.close()
    assert [path for path, _, _ in fake.received[before:]] == ["/sparql", "/sparql"]  # the graphs, then the ASK


def graph_sizes(published: str) -> str:
    return requests.get(f"{published}/query", params={"query": COUNT_GRAPHS}, timeout=10).text


@pytest.mark.parametrize(
    ("method", "kwargs"),
    [
        ("POST", {"data": {"update": "CLEAR ALL"}}),
        ("POST", {"data": b"DROP ALL", "headers": {"Content-Type": "application/sparql-update"}}),
        ("GET", {"params": {"update": "INSERT DATA { <x:s> <x:p> <x:o> }"}}),
        ("POST", {"data": {"query": "ASK {}", "update": "CLEAR ALL"}}),
    ],
)
def test_updates_get_403_and_never_reach_the_backend(fronted, published, method, kwargs):
    before = graph_sizes(published)
    response = requests.request(method, fronted.sparql, timeout=10, **kwargs)
    assert (response.status_code, response.text) == (
        403,
        "this endpoint is read-only: SPARQL updates are not accepted\n",
    )
    assert graph_sizes(published) == before


@pytest.mark.parametrize("update", ["CLEAR ALL", "DROP ALL", "INSERT DATA { <x:s> <x:p> <x:o> }"])
def test_an_update_sent_as_a_query_is_a_syntax_error_here_and_never_reaches_the_backend(fronted, published, update):
    """Some stores (Virtuoso) run an update sent as ``query``: only what parses as a query is forwarded."""
    before = graph_sizes(published)
    for response in (
        post(fronted, update),
        requests.post(
            fronted.sparql, data=update.encode(), headers={"Content-Type": "application/sparql-query"}, timeout=10
        ),
    ):
        assert response.status_code == 400 and response.text.startswith("SPARQL syntax error at 1:")
    assert graph_sizes(published) == before


def test_no_etag_and_no_cache_since_the_backends_data_may_change(fronted):
    query = "SELECT ?s { ?s ?p ?o } ORDER BY ?s LIMIT 3 # cache test"
    first, second = get(fronted, query), get(fronted, query)
    assert first.content == second.content
    assert "ETag" not in first.headers and "ETag" not in second.headers
    log = fronted.log_once(lambda text: text.count("cache=off") >= 2)
    assert log.count("cache=off") >= 2
    assert "cache=hit" not in log and "cache=miss" not in log


def test_service_description_says_what_is_known_and_claims_no_counts(fronted):
    response = requests.get(fronted.sparql, headers={"Accept": "application/n-triples"}, timeout=10)
    assert response.status_code == 200
    text = response.text
    assert f"<http://www.w3.org/ns/sparql-service-description#endpoint> <{fronted.sparql}>" in text
    assert "SPARQL11Query" in text and "SPARQL_Results_TSV" in text
    assert "A remote SPARQL endpoint answers the queries" in text
    assert f"infer=false, the union of the backend's named graphs except <{INFERRED_GRAPH}>" in text
    for unknown in ("void#triples", "UnionDefaultGraph", "namedGraph", "entailmentRegime", "EntailmentProfile"):
        assert unknown not in text, unknown


def test_the_query_page_offers_the_examples_and_says_a_backend_answers(fronted):
    page = requests.get(fronted.url + "query", timeout=10)
    assert page.status_code == 200
    assert "a remote SPARQL endpoint answers the queries" in page.text
    assert page.text.count('"name": "') == len(COMPETENCY)
    assert requests.get(fronted.url + "static/app.js", timeout=10).status_code == 200


# --- the backend's failures ----------------------------------------------------------------------


def test_an_unreachable_backend_is_a_502_naming_it_in_one_line(project, no_build, tmp_path):
    backend = f"http://127.0.0.1:{free_port()}/query"
    settings = {**SETTINGS, "QUERY_WORKERS": 1, "HTTP_WORKERS": 1}
    with running_server(
        Project(project.root, no_build, project.articles), tmp_path / "log", settings, ["--backend", backend]
    ) as server:
        assert requests.get(server.url + "health", timeout=10).status_code == 200
        assert requests.get(server.url + "query", timeout=10).status_code == 200  # the query page needs no data
        response = get(server, "ASK { ?s ?p ?o }")
        assert (response.status_code, response.text) == (
            502,
            f"the SPARQL backend at {backend} cannot be reached: Connection refused\n",
        )
        assert get(server, "SELECT * {").status_code == 400  # checked here; the backend is not needed
        log = server.log_text()
    assert f"kg: warning: the SPARQL backend at {backend} cannot be reached: Connection refused;" in log
    assert "Traceback" not in log
    assert not no_build.exists()


@pytest.mark.parametrize(
    ("marker", "status", "message"),
    [
        ("400", 400, "the SPARQL backend refused the query: error at 1:3: this store does not like this query"),
        ("500", 502, "the SPARQL backend at {url} answered HTTP 500 Internal Server Error: boom"),
        ("503", 503, "the SPARQL backend at {url} is unavailable (HTTP 503 Service Unavailable: busy): retry later"),
        (
            "redirect",
            502,
            "the SPARQL backend at {url} redirects to {base}elsewhere; redirects are not followed:"
            " give the final URL to --backend",
        ),
        ("garbage", 502, "the SPARQL backend at {url} sent tsv that cannot be read: "),
        (
            "csv",
            502,
            "the SPARQL backend at {url} answered in text/csv, which cannot be read back; it was asked for"
            " application/sparql-results+xml, application/sparql-results+json;q=0.9, text/tab-separated-values;q=0.8",
        ),
    ],
)
def test_the_backends_failures_are_one_line_errors(fronted_fake, fake, marker, status, message):
    before = len(fake.received)
    response = get(fronted_fake, f"SELECT ?s {{ ?s ?p ?o }} # fake:{marker}")
    assert response.status_code == status
    assert response.text.startswith(message.format(url=f"{fake.url}sparql", base=fake.url))
    assert response.text.count("\n") == 1 and "Traceback" not in response.text
    # the project's graphs listed, then the query; no redirect followed
    assert [path for path, _, _ in fake.received[before:]] == ["/sparql", "/sparql"]


def test_a_backend_that_never_answers_gets_503_within_the_limit_plus_a_second(fronted_fake):
    started = time.monotonic()
    response = get(fronted_fake, "ASK {} # fake:slow")
    assert time.monotonic() - started < LIMIT + 1
    assert (response.status_code, response.text) == (
        503,
        f"the query was stopped at the {LIMIT} s time limit: narrow it down (LIMIT, more specific patterns)\n",
    )


def test_what_is_forwarded(fronted_fake, fake):
    before = len(fake.received)
    query = "ASK { ?s a nkg:Event } # fake:ask"
    response = get(fronted_fake, query, **{"default-graph-uri": "http://example.org/d", "named-graph-uri": "urn:n"})
    assert response.json() == {"head": {}, "boolean": True}
    [(path, headers, form)] = fake.received[before:]
    assert path == "/sparql"
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert headers["Accept"] == "application/sparql-results+json, application/sparql-results+xml;q=0.9"
    assert form["default-graph-uri"] == ["http://example.org/d"] and form["named-graph-uri"] == ["urn:n"]
    [sent] = form["query"]
    assert sent.startswith(f"BASE <{fronted_fake.sparql}> PREFIX ") and sent.endswith(f"> {query}")
    for prefix, namespace in PREFIXES.items():
        assert sent.count(f"PREFIX {prefix}: <{namespace}> ") == 1, prefix
    own = "PREFIX nkg: <urn:own#> ASK { ?s a nkg:Event } # fake:ask"
    assert get(fronted_fake, own).status_code == 200
    [sent] = fake.forms()[-1]["query"]
    assert sent.count("PREFIX nkg:") == 1 and sent.endswith(own)  # no prefix declared twice


def test_the_dataset_sent_is_the_projects_graphs_and_infer_false_leaves_out_the_inferred_one(fronted_fake, fake):
    article = str(graph_for_article("a"))
    fake.graphs = [str(ONTOLOGY_GRAPH), str(INFERRED_GRAPH), article, "urn:other"]
    project_graphs = [str(ONTOLOGY_GRAPH), str(INFERRED_GRAPH), article]
    for infer, default in (("false", [str(ONTOLOGY_GRAPH), article]), ("true", project_graphs)):
        before = len(fake.received)
        assert get(fronted_fake, "ASK { ?s ?p ?o } # fake:ask", infer=infer).json()["boolean"] is True
        listing, forwarded = fake.forms()[before:]
        assert listing["query"] == ["SELECT DISTINCT ?g WHERE { GRAPH ?g { } }"]
        assert forwarded["default-graph-uri"] == default, infer
        assert forwarded["named-graph-uri"] == project_graphs, infer
    before = len(fake.received)
    fake.graphs = ["urn:other"]  # a store kg publish did not fill: queried as it is
    assert get(fronted_fake, "ASK { ?s ?p ?o } # fake:ask").status_code == 200
    forwarded = fake.forms()[-1]
    assert "default-graph-uri" not in forwarded and "named-graph-uri" not in forwarded
    fake.graphs = [str(INFERRED_GRAPH)]
    response = get(fronted_fake, "ASK { ?s ?p ?o } # fake:ask", infer="false")
    assert (response.status_code, response.text) == (
        400,
        "infer=false queries the project's graphs on the backend but the inferred one, and it has no other:"
        " query without infer=false\n",
    )


def test_nothing_is_sent_when_no_format_is_acceptable(fronted_fake, fake):
    before = len(fake.received)
    response = get(fronted_fake, "SELECT * { ?s ?p ?o }", headers={"Accept": "text/turtle"})
    assert response.status_code == 406 and response.text.startswith("SELECT and ASK results can be sent as json")
    assert len(fake.received) == before


def test_no_trace_in_the_fake_fronted_log(fronted_fake):
    assert "Traceback" not in fronted_fake.log_text()
    assert json.loads(requests.get(fronted_fake.url + "health", timeout=10).text)["status"] == "ok"
