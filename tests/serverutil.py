"""Start the real endpoint (``kg serve``) as a subprocess on a free port, for tests to talk HTTP to it.

The server prints its URLs as it starts to listen (port 0 lets the kernel pick a free port, so
two test runs never collide); it is ready when ``/health`` says so. Also: the small local HTTP
servers that stand in for the outside world (``local_http_server``), and the comparisons of a
server in front of a backend with the local one.
"""

from __future__ import annotations

import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
import requests
from rdflib import Graph
from rdflib.compare import isomorphic

from kg.formats import RDF_SYNTAXES, RESULTS_SYNTAXES
from kg.namespaces import INFERRED_GRAPH
from kg.project import ARTICLES_ENV, Project
from server.proctree import children

W3C = Path(__file__).resolve().parent / "w3c"
#: The W3C protocol tests' data, each file as the named graph its manifest names.
W3C_GRAPHS = {
    f"http://kasei.us/2009/09/sparql/data/data{n}.rdf": str(W3C / "protocol" / f"data{n}.nt") for n in (1, 2, 3)
}
#: Short limits, so that the tests of the limits run fast.
TEST_SETTINGS: dict[str, Any] = {
    "QUERY_TIMEOUT": 2,
    "ROW_LIMIT": 500,
    "MEMORY_LIMIT_MB": 512,
    "QUERY_WORKERS": 2,
    "GRAPHS": W3C_GRAPHS,
}


#: One triple that only the inferred graph holds (for the infer=false tests).
ONLY_INFERRED = f"""SELECT ?s ?p ?o {{
    GRAPH <{INFERRED_GRAPH}> {{ ?s ?p ?o }}
    FILTER NOT EXISTS {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{INFERRED_GRAPH}>) }}
    FILTER(isIRI(?s) && isIRI(?o))
}} ORDER BY ?s ?p ?o LIMIT 1"""


#: How the 503 of a query that found every query worker busy (or being replaced) begins.
BUSY = "every query worker is busy: retry in "


def assert_a_runaway_is_stopped_at_the_limit(send: Callable[[], requests.Response]) -> None:
    """``send``'s query ended with 503 and its one-line message, within the test limit plus a second.

    The query must have had a worker: when the workers that the previous test's runaway query took
    are still being replaced (slow on a loaded machine), the answer is the ``BUSY`` 503, which is right but
    not what is tested here, so the query is sent again, up to three times in all.
    """
    limit = TEST_SETTINGS["QUERY_TIMEOUT"]
    for _ in range(3):
        started = time.monotonic()
        response = send()
        elapsed = time.monotonic() - started
        if not response.text.startswith(BUSY):
            break
    assert response.status_code == 503
    assert response.text == (
        f"the query was stopped at the {limit} s time limit: narrow it down (LIMIT, more specific patterns)\n"
    )
    assert limit - 0.1 < elapsed < limit + 1


@dataclass
class Server:
    """A running ``kg serve``."""

    url: str
    process: subprocess.Popen
    log: Path
    #: Seconds from the start of the command to the first healthy answer.
    startup: float

    @property
    def sparql(self) -> str:
        return self.url + "sparql"

    @property
    def address(self) -> tuple[str, int]:
        """(host, port), for a socket of one's own."""
        parts = urllib.parse.urlsplit(self.url)
        return parts.hostname, parts.port

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def log_once(self, holds: Callable[[str], bool], seconds: float = 5) -> str:
        """The log once ``holds(text)`` (or after ``seconds``): a request's line is written after its answer is sent."""
        deadline = time.monotonic() + seconds
        while not holds(text := self.log_text()) and time.monotonic() < deadline:
            time.sleep(0.02)
        return text

    def http_processes(self) -> list[int]:
        """The HTTP processes: the children of kg serve's own process (query workers are theirs)."""
        return children(self.process.pid)

    def query_workers(self) -> list[int]:
        """The query worker processes, below the HTTP processes."""
        return [worker for http in self.http_processes() for worker in children(http)]


def kg_env(project: Project | None) -> dict[str, str]:
    """What a ``kg`` subprocess needs to build ``project`` as the tests do: its articles, if it has a selection."""
    return {ARTICLES_ENV: ",".join(project.articles)} if project is not None and project.articles else {}


@contextmanager
def running_server(
    project, log: Path, settings: Mapping[str, Any] = TEST_SETTINGS, args: Sequence[str] = ()
) -> Iterator[Server]:
    """``kg serve --port 0`` on the project's build, configured through ``KG_SERVER_*`` variables.

    ``args`` go after ``serve``'s own (``--backend URL``, ``--graph IRI=FILE`` ...). With no
    ``project``, kg runs in the log's folder and is told of no project folder.
    """
    env = {
        **os.environ,
        **{f"KG_SERVER_{key}": json.dumps(value) for key, value in settings.items()},
        **kg_env(project),
    }
    command = [sys.executable, "-m", "kg"]
    if project is not None:
        command += ["--project", str(project.root), "--build-dir", str(project.build_dir)]
    started = time.monotonic()
    with open(log, "w", encoding="utf-8") as stderr:
        process = subprocess.Popen(
            [*command, "serve", "--host", "127.0.0.1", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env=env,
            cwd=log.parent,
            start_new_session=True,  # its own process group: the teardown can end every process of it
        )
    try:
        url = _wait_for_url(process, log)
        _wait_until_healthy(url, process, log)
        yield Server(url, process, log, time.monotonic() - started)
    finally:
        stop(process)


def _wait_for_url(process: subprocess.Popen, log: Path) -> str:
    for line in process.stdout:
        if line.startswith("kg: the story at "):
            return line.removeprefix("kg: the story at ").strip()
    raise AssertionError(f"kg serve ended before printing its URL:\n{log.read_text()}")


def _wait_until_healthy(url: str, process: subprocess.Popen, log: Path, limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"kg serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            if requests.get(url + "health", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.02)
    raise AssertionError(f"kg serve was not healthy within {limit} s:\n{log.read_text()}")


def stop(process: subprocess.Popen) -> None:
    """SIGTERM (a graceful stop), then SIGKILL for whatever of its process group is left."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="module", name="endpoint")
def endpoint_fixture(project, built, tmp_path_factory) -> Iterator[Server]:
    """``kg serve`` on the real build plus the W3C protocol graphs, with short limits.

    Imported by each test module, so each module gets a server of its own (stopped when the module
    ends), and a crash in one module's tests cannot spoil another's.
    """
    with running_server(project, tmp_path_factory.mktemp("server") / "server.log") as server:
        yield server


def select(endpoint: Server, query: str) -> list[dict]:
    """Rows of a SELECT, each term in N-Triples form (lossless, as TSV results give it).

    An answer cut at the server's row limit is read again page by page, ordered by every variable.
    """
    rows, truncated, names = _select_page(endpoint, query)
    offset = 0
    while truncated:
        if offset == 0:
            rows = []
        order = " ".join(f"?{name}" for name in names)
        page, truncated, _ = _select_page(
            endpoint, f"SELECT * {{ {{ {query} }} }} ORDER BY {order} LIMIT {LIMIT_PAGE} OFFSET {offset}"
        )
        rows += page
        offset += LIMIT_PAGE
        truncated = len(page) == LIMIT_PAGE
    return rows


#: Rows per page when an answer is read in pages: under the test server's row limit.
LIMIT_PAGE = 400


def _select_page(endpoint, query: str) -> tuple[list[dict], bool, list[str]]:
    response = requests.get(endpoint.sparql, params={"query": query, "format": "tsv"}, timeout=10)
    response.raise_for_status()
    solutions = ox.parse_query_results(response.content, format=ox.QueryResultsFormat.TSV)
    names = [v.value for v in solutions.variables]
    rows = [{name: solution[name] for name in names} for solution in solutions]
    return rows, response.headers["X-Result-Truncated"] == "true", names


def raw_http(server: Server, request: bytes, timeout: float = 10) -> tuple[int, bytes]:
    """Send bytes that no HTTP library would send; the status and the body."""
    with socket.create_connection(server.address, timeout=timeout) as connection:
        connection.sendall(request)
        data = b""
        while chunk := connection.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def assert_answers_as_locally(fronted: Server, local: Server, question: Path, answers: Path) -> None:
    """A competency question: the server in front of a backend answers it as the local one, in every results
    syntax, byte for byte and with the same headers, and as its golden answer in ``answers`` says."""
    query = question.read_text(encoding="utf-8")

    def post(server: Server, **params) -> requests.Response:
        return requests.post(
            server.sparql, data={"query": query, **params}, timeout=TEST_SETTINGS["QUERY_TIMEOUT"] + 10
        )

    for name in RESULTS_SYNTAXES:
        remote, reference = post(fronted, format=name), post(local, format=name)
        assert remote.status_code == reference.status_code == 200, remote.text
        assert remote.content == reference.content, name
        for header in ("Content-Type", "X-Result-Rows", "X-Result-Truncated"):
            assert remote.headers[header] == reference.headers[header], header
    golden = answers / question.stem
    if golden.with_suffix(".txt").exists():
        answer = "true\n" if post(fronted).json()["boolean"] else "false\n"
        assert answer == golden.with_suffix(".txt").read_text(encoding="utf-8")
    else:
        assert post(fronted, format="tsv").text == golden.with_suffix(".tsv").read_text(encoding="utf-8")


def assert_graph_as_locally(fronted: Server, local: Server, query: str) -> None:
    """A CONSTRUCT or DESCRIBE: the server in front of a backend answers it as the local one, in every syntax of
    one graph (the same triples, blank nodes aside, with the same headers)."""
    for name, syntax in RDF_SYNTAXES.items():
        if syntax.datasets:
            continue
        remote, reference = (
            requests.get(server.sparql, params={"query": query, "format": name}, timeout=30)
            for server in (fronted, local)
        )
        assert remote.status_code == reference.status_code == 200, remote.text
        assert remote.headers["Content-Type"] == reference.headers["Content-Type"]
        assert remote.headers["X-Result-Rows"] == reference.headers["X-Result-Rows"] != "0"
        graphs = [Graph().parse(data=r.content, format=syntax.rdflib_name) for r in (remote, reference)]
        assert isomorphic(*graphs), name


@contextmanager
def local_http_server(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[http.server.ThreadingHTTPServer]:
    """``handler`` serving on a free port of 127.0.0.1 from a thread for the block; then shut down and closed."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
