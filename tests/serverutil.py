"""Start the real endpoint (``kg serve``) as a subprocess on a free port, for tests to talk HTTP to it.

The server prints its URL once gunicorn listens (port 0 lets the kernel pick a free port, so
two test runs never collide); it is ready when ``/health`` says so.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
import requests
from conftest import kg_env

from kg.namespaces import INFERRED_GRAPH

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


def assert_stopped_at_the_limit(response: requests.Response, elapsed: float) -> None:
    """The query ended with 503 and its one-line message, within the test limit plus a second."""
    limit = TEST_SETTINGS["QUERY_TIMEOUT"]
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

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


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
        if line.startswith("kg: query page at "):
            return line.removeprefix("kg: query page at ").strip()
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
    """SIGTERM (gunicorn's graceful stop), then SIGKILL for whatever of its process group is left."""
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
