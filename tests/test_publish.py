"""``kg publish`` against a real Oxigraph server: every graph uploaded, idempotent, retried, resumed, counted.

Failures a real store does not produce on demand (a 503, a connection reset, a 401 asking for
Basic) come from a proxy in a thread in front of the real Oxigraph server, which forwards
everything else. Digest is tested against a real Virtuoso (tests/test_virtuoso.py).
"""

from __future__ import annotations

import http.client
import http.server
import json
import os
import pty
import re
import shutil
import socket
import struct
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import ANSWERS
from serverutil import kg_env, local_http_server
from tools import require

from kg.dataset import read_manifest
from kg.project import Project
from kg.publish import record_path
from localstores.oxigraph import INSTALL_HINT, free_port, oxigraph_command, oxigraph_server

pytestmark = pytest.mark.slow

QUESTIONS = sorted((Path(__file__).resolve().parent.parent / "queries").glob("*.rq"))
RATES = r"\d+ triples/s, \d+\.\d\d MB/s"


def kg(project, *args, env: dict | None = None, stderr=subprocess.PIPE):
    return subprocess.run(
        [sys.executable, "-m", "kg", "--project", str(project.root), "--build-dir", str(project.build_dir), *args],
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        timeout=300,
        env={**os.environ, **kg_env(project), **(env or {})},
    )


def graph_sizes(base: str) -> dict[str, int]:
    query = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    request = urllib.request.Request(
        f"{base}/query?{urllib.parse.urlencode({'query': query})}",
        headers={"Accept": "application/sparql-results+json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        rows = json.load(response)["results"]["bindings"]
    return {row["g"]["value"]: int(row["n"]["value"]) for row in rows}


def delete_graph(base: str, iri: str) -> None:
    request = urllib.request.Request(f"{base}/store?{urllib.parse.urlencode({'graph': iri})}", method="DELETE")
    urllib.request.urlopen(request, timeout=30).read()


def published_lines(manifest, *, skipped: frozenset[int] = frozenset()) -> list[str]:
    """Patterns of the line per graph: published (with its rates) or skipped."""
    total = len(manifest.graphs)
    lines = []
    for number, g in enumerate(manifest.graphs, start=1):
        if number in skipped:
            why = "published before, unchanged, and whole in the store"
            lines.append(re.escape(f"kg: skipped {g.iri} ({g.triples} triples): {why} [{number}/{total}]"))
        else:
            head = re.escape(f"kg: published {g.iri} ({g.triples} triples, ")
            lines.append(rf"{head}\d+\.\d\d MB\) in \d+\.\d\d s: {RATES}{re.escape(f' [{number}/{total}]')}")
    return lines


def assert_lines(text: str, patterns: list[str]) -> None:
    lines = text.splitlines()
    assert len(lines) == len(patterns), text
    for line, pattern in zip(lines, patterns, strict=True):
        assert re.fullmatch(pattern, line), (line, pattern)


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory):
    require(None if oxigraph_command() else INSTALL_HINT)
    with oxigraph_server(tmp_path_factory.mktemp("oxigraph")) as base:
        yield base


@pytest.fixture
def own_build(project, built, tmp_path) -> Project:
    """A copy of the build in a folder of its own (its own publish record), to edit freely."""
    copy = tmp_path / "build"
    shutil.copytree(project.build_dir, copy)
    return Project(project.root, copy, project.articles)


# --- publishing --------------------------------------------------------------------------------


def test_publish_puts_every_graph_reports_rates_and_counts_and_a_repeat_changes_nothing(own_build, built, oxigraph):
    manifest, total = built.manifest, sum(g.triples for g in built.manifest.graphs)
    for _ in range(2):
        result = kg(own_build, "publish", "--to", f"{oxigraph}/store")
        assert (result.returncode, result.stderr) == (0, "")  # stderr is no terminal: no progress bar
        assert_lines(
            result.stdout,
            [
                *published_lines(manifest),
                re.escape(f"kg: published {len(manifest.graphs)} graphs ({total} triples, ")
                + rf"\d+\.\d\d MB\) to {re.escape(oxigraph)}/store in \d+\.\d\d s: {RATES}",
                re.escape(f"kg: the store holds {total} triples in the {len(manifest.graphs)} graphs, as built"),
            ],
        )
        assert graph_sizes(oxigraph) == {g.iri: g.triples for g in manifest.graphs}
    record = json.loads(record_path(own_build.build_dir).read_text())
    assert sorted(record[f"{oxigraph}/store"]) == sorted(g.iri for g in manifest.graphs)


def test_resume_skips_what_the_store_holds_unchanged_and_sends_the_rest(own_build, built, oxigraph):
    manifest = built.manifest
    assert kg(own_build, "publish", "--to", f"{oxigraph}/store").returncode == 0
    again = kg(own_build, "publish", "--to", f"{oxigraph}/store", "--resume")
    assert again.returncode == 0, again.stderr
    every = frozenset(range(1, len(manifest.graphs) + 1))
    assert_lines(again.stdout, [*published_lines(manifest, skipped=every), f".*skipped {len(every)} .*", ".*"])
    assert (
        again.stdout.startswith("kg: skipped")
        and f"kg: published 0 graphs, skipped {len(every)} (0 triples, 0.00 MB)" in again.stdout
    )

    delete_graph(oxigraph, manifest.graphs[1].iri)  # the store lost one graph
    ontology = own_build.build_dir / manifest.graphs[0].file  # and one changed, with as many triples
    ontology.write_text(ontology.read_text().replace('"broadcaster"@en', '"broadcaster (radio, TV)"@en', 1))
    resumed = kg(own_build, "publish", "--to", f"{oxigraph}/store", "--resume")
    assert resumed.returncode == 0, resumed.stderr
    unchanged = frozenset(range(3, len(manifest.graphs) + 1))  # all but the two
    assert_lines(
        resumed.stdout,
        [*published_lines(manifest, skipped=unchanged), f".*skipped {len(unchanged)} .*", ".* as built"],
    )
    assert graph_sizes(oxigraph) == {g.iri: g.triples for g in manifest.graphs}


def test_a_store_that_merges_triples_is_a_count_mismatch_and_exit_1(own_build, built, oxigraph):
    """Oxigraph stores values: "01" and "1" as xsd:integer are one literal there, two in the build."""
    manifest = built.manifest
    inferred = manifest.graph("inferred")
    with (own_build.build_dir / inferred.file).open("a") as file:
        xsd = "http://www.w3.org/2001/XMLSchema#integer"
        file.write(f'\n<urn:x:s> <urn:x:p> "01"^^<{xsd}>, "1"^^<{xsd}> .\n')
    data = json.loads((own_build.build_dir / "manifest.json").read_text())
    data["graphs"][manifest.graphs.index(inferred)]["triples"] += 2
    (own_build.build_dir / "manifest.json").write_text(json.dumps(data))
    result = kg(own_build, "publish", "--to", f"{oxigraph}/store")
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines()[-1] == (
        f"kg: the store holds {inferred.triples + 1} triples in {inferred.iri}, the build {inferred.triples + 2}:"
        " they differ"
    )


def test_a_terminal_gets_a_live_progress_bar(own_build, built, oxigraph):
    leader, follower = pty.openpty()
    try:
        result = kg(own_build, "publish", "--to", f"{oxigraph}/store", stderr=follower)
        os.close(follower)
        follower = -1
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal's other side is closed: all read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(leader)
        if follower != -1:
            os.close(follower)
    assert result.returncode == 0
    text = shown.decode()
    assert re.search(rf"\rinferred \[#{{20}}\] 100% \d+\.\d\d of \d+\.\d\d MB: {RATES}", text), text
    assert text.endswith("\r\x1b[K")  # the bar is wiped before each line on stdout
    assert len(result.stdout.splitlines()) == len(built.manifest.graphs) + 2


# --- failures ----------------------------------------------------------------------------------


@dataclass
class Proxy:
    """Forwards to the real store; plays the failures planned for the paths that contain a key, once each."""

    url: str
    #: {text in the request target: [what to do instead of forwarding, in order]}.
    plan: dict[str, list[str]] = field(default_factory=dict)
    #: (method, target, Authorization header) of every request.
    seen: list[tuple[str, str, str | None]] = field(default_factory=list)


def _proxy_handler(proxy: Proxy, upstream: str) -> type[http.server.BaseHTTPRequestHandler]:
    host, port = urllib.parse.urlsplit(upstream).hostname, urllib.parse.urlsplit(upstream).port

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def handle_any(self):
            proxy.seen.append((self.command, self.path, self.headers.get("Authorization")))
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            target = urllib.parse.unquote(self.path)
            action = next((steps.pop(0) for key, steps in proxy.plan.items() if key in target and steps), None)
            if action == "reset":  # an abrupt close (RST), as a crashed or restarted store gives
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
                self.close_connection = True
                return
            if action is not None and action.isdigit():
                return self.answer(int(action), {"Retry-After": "0"}, b"busy, try later")
            if action is not None and action.startswith("401 "):
                return self.answer(401, {"WWW-Authenticate": action[4:]}, b"")
            connection = http.client.HTTPConnection(host, port, timeout=30)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
            connection.request(self.command, self.path, body=body or None, headers=headers)
            response = connection.getresponse()
            data = response.read()
            connection.close()
            keep = {k: v for k, v in response.getheaders() if k.lower() in ("content-type", "www-authenticate")}
            self.answer(response.status, keep, data)

        def answer(self, status, headers, data):
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = handle_any

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def proxy(oxigraph) -> Iterator[Proxy]:
    with local_http_server(http.server.BaseHTTPRequestHandler) as server:
        front = Proxy(f"http://127.0.0.1:{server.server_port}")
        server.RequestHandlerClass = _proxy_handler(front, oxigraph)
        yield front


def test_a_transient_failure_is_tried_again_and_the_graph_gets_there(own_build, built, oxigraph, proxy):
    graphs = built.manifest.graphs
    number = graphs.index(built.manifest.graph("inferred")) + 1
    inferred = graphs[number - 1].iri
    delete_graph(oxigraph, inferred)
    proxy.plan = {"graph/inferred": ["503", "reset"]}
    result = kg(own_build, "publish", "--to", f"{proxy.url}/store")
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        f"kg: warning: the store refused graph {inferred}: HTTP 503 Service Unavailable: busy, try later;"
        " attempt 2 in 0 s",
        f"kg: warning: the store at {proxy.url}/store broke off for graph {inferred}: Connection reset by peer;"
        " attempt 3 in 2 s",
    ]
    line = result.stdout.splitlines()[number - 1]
    assert line.endswith(f", 3 attempts [{number}/{len(graphs)}]"), line
    assert graph_sizes(oxigraph)[inferred] == graphs[number - 1].triples


def test_retries_are_bounded_and_the_last_failure_is_the_error(own_build, built, proxy):
    ontology = built.manifest.graphs[0].iri
    proxy.plan = {"graph/ontology": ["502", "502", "502"]}
    result = kg(own_build, "publish", "--to", f"{proxy.url}/store", "--retries", "1")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        f"kg: error: the store refused graph {ontology}: HTTP 502 Bad Gateway: busy, try later (tried 2 times)"
    )
    assert len(result.stderr.splitlines()) == 2  # one warning, one error
    assert [m for m, _, _ in proxy.seen].count("PUT") == 2


def test_credentials_go_as_the_store_asks_basic_or_bearer(own_build, proxy):
    assert kg(own_build, "publish", "--to", f"{proxy.url}/store", "--token", "s3cret").returncode == 0
    assert {(method, auth) for method, _, auth in proxy.seen} == {("PUT", "Bearer s3cret"), ("POST", "Bearer s3cret")}
    proxy.seen.clear()
    proxy.plan = {"graph/ontology": ['401 Basic realm="store"']}
    result = kg(own_build, "publish", "--to", f"{proxy.url}/store", "--user", "ann", env={"KG_PUBLISH_PASSWORD": "pw"})
    assert result.returncode == 0, result.stderr
    basic = "Basic YW5uOnB3"
    assert proxy.seen[:2] == [("HEAD", proxy.seen[0][1], None), ("PUT", proxy.seen[0][1], basic)]
    assert {auth for method, _, auth in proxy.seen if method == "PUT"} == {basic}
    assert [auth for method, _, auth in proxy.seen if method == "POST"] == [None]  # the count: asked without


def test_a_store_asking_for_credentials_none_were_given_for_is_one_line(own_build, built, proxy):
    proxy.plan = {"graph/ontology": ['401 Digest realm="SPARQL", nonce="n", qop="auth"']}
    result = kg(own_build, "publish", "--to", f"{proxy.url}/store")
    assert result.returncode == 2
    assert result.stderr == (
        f"kg: error: the store asks for credentials for graph {built.manifest.graphs[0].iri} (HTTP 401 Unauthorized):"
        " give --user (password in $KG_PUBLISH_PASSWORD) or --token\n"
    )


def test_an_unreachable_store_is_one_clear_line(project, built):
    port = free_port()
    result = kg(project, "publish", "--to", f"http://127.0.0.1:{port}/store")
    assert result.returncode == 2
    assert result.stderr == (
        f"kg: error: cannot reach the store at http://127.0.0.1:{port}/store for graph"
        " https://w3id.org/newskg/graph/ontology: Connection refused\n"
    )


def test_a_refusal_names_the_graph_and_the_status_and_is_not_retried(project, built, oxigraph):
    result = kg(project, "publish", "--to", f"{oxigraph}/no-such-endpoint", "--query-url", f"{oxigraph}/query")
    assert result.returncode == 2
    assert result.stderr.startswith(
        "kg: error: the store refused graph https://w3id.org/newskg/graph/ontology: HTTP 404 Not Found"
    )
    assert result.stderr.count("\n") == 1
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "file:///etc/passwd"], "--to must be an http(s) URL of the store, not 'file:///etc/passwd'"),
        (
            ["--to", "http://user:pw@127.0.0.1:1/store"],
            "--to must not carry credentials (user:password@): use --user or --token",
        ),
        (
            ["--to", "http://127.0.0.1:1/upload"],
            "cannot tell the SPARQL query endpoint of the store at http://127.0.0.1:1/upload, to count the triples"
            " published: give it with --query-url",
        ),
        (
            ["--to", "http://127.0.0.1:1/store", "--query-url", "ftp://x/q"],
            "--query-url must be an http(s) URL of the store, not 'ftp://x/q'",
        ),
        (
            ["--to", "http://127.0.0.1:1/store", "--retries", "-1"],
            "--retries must be a whole number from 0 to 100, not '-1'",
        ),
    ],
)
def test_bad_options_are_one_line_and_nothing_is_built(tmp_path, project, args, message):
    elsewhere = Project(project.root, tmp_path / "build", project.articles)
    result = kg(elsewhere, "publish", *args)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", f"kg: error: {message}\n")
    assert not (tmp_path / "build").exists()


# --- the published store answers as the build ---------------------------------------------------


@pytest.fixture(scope="module")
def published_union(project, built, tmp_path_factory):
    """A second Oxigraph server, querying the union of graphs by default as the project's endpoint does."""
    require(None if oxigraph_command() else INSTALL_HINT)
    with oxigraph_server(tmp_path_factory.mktemp("oxigraph-union"), "--union-default-graph") as base:
        result = kg(project, "publish", "--to", f"{base}/store")
        assert result.returncode == 0, result.stderr
        yield base


def ask_oxigraph(base: str, query: bytes, accept: str) -> bytes:
    request = urllib.request.Request(
        f"{base}/query", data=query, headers={"Content-Type": "application/sparql-query", "Accept": accept}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read()


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda p: p.stem)
def test_the_published_store_answers_every_competency_question_alike(published_union, question):
    if (ANSWERS / f"{question.stem}.txt").exists():
        answer = json.loads(ask_oxigraph(published_union, question.read_bytes(), "application/sparql-results+json"))
        assert f"{str(answer['boolean']).lower()}\n" == (ANSWERS / f"{question.stem}.txt").read_text()
    else:
        answer = ask_oxigraph(published_union, question.read_bytes(), "text/tab-separated-values")
        assert answer.decode("utf-8") == (ANSWERS / f"{question.stem}.tsv").read_text()


def test_the_build_is_untouched_by_publishing(project, built, published_union):
    assert read_manifest(project.build_dir) == built.manifest
    assert not list(project.build_dir.parent.glob(".publish-*"))  # the pinned copy is gone
