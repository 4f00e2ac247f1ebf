"""Signals to the real ``kg serve``: a reload reloads and serves on; an HTTP process that ends takes nothing else down.

The master (kg serve's own process) owns the pinned build; an HTTP process owns its query workers,
which die with it. Each test starts a server of its own, but the last: the master's record of the
builds it pinned, which a reload updates, is tested on its own.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from requests.adapters import HTTPAdapter
from serverutil import TEST_SETTINGS, Server, running_server
from urllib3.util import Retry

from kg.errors import KgError
from server.proctree import children, cpu_seconds
from server.run import _Pins

ASK = "ASK { ?s ?p ?o }"
HOST = "SELECT ?who WHERE { id:harbour-summit nkg:hostedBy/rdfs:label ?who }"
CARTESIAN = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
LIMIT = TEST_SETTINGS["QUERY_TIMEOUT"]
#: No extra graphs: the fixture project's server needs nothing of the W3C tests.
SETTINGS = {key: value for key, value in TEST_SETTINGS.items() if key != "GRAPHS"}


class Hammer:
    """Queries sent one after another on new connections while the block runs; their statuses."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.statuses: list[int | str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Hammer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with _retrying_client() as client:
                    self.statuses.append(client.get(self.server.sparql, params={"query": ASK}, timeout=10).status_code)
            except requests.RequestException as error:
                self.statuses.append(type(error).__name__)
            time.sleep(0.01)


def _retrying_client() -> requests.Session:
    """A client that sends a GET once more when its connection closes before any response, as browsers do.

    An HTTP process told to stop closes the connections it accepted but has not read a request from
    yet (hyper's graceful shutdown); HTTP/1.1 lets a client retry an idempotent request then
    (RFC 9112, section 9.3.1). A second failure, or any status but 200, still fails the test.
    """
    client = requests.Session()
    retry = Retry(total=1, connect=1, read=1, status=0, other=0, allowed_methods={"GET"}, raise_on_status=False)
    client.mount("http://", HTTPAdapter(max_retries=retry))
    return client


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"not within {seconds} s: {what}")


def ended(pid: int) -> bool:
    """Whether the process has ended: gone, or a zombie that whoever adopted it has not reaped yet.

    A worker whose HTTP process was killed is adopted by PID 1 (or the nearest subreaper), which may
    reap it late; until then its /proc entry stays, in state Z.
    """
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in {"Z", "X"}


def answer(server: Server, query: str) -> list[str]:
    rows = requests.get(server.sparql, params={"query": query}, timeout=10).json()["results"]["bindings"]
    return [row["who"]["value"] for row in rows]


def ask_and_lose_the_answer(server: Server, query: str) -> None:
    """A query whose HTTP process is killed under it: the connection breaks, as expected."""
    with contextlib.suppress(requests.ConnectionError):
        requests.get(server.sparql, params={"query": query}, timeout=30)


def test_sighup_reloads_the_rebuilt_build_and_serves_all_along(fixture_project, tmp_path):
    project = fixture_project()
    with running_server(project, tmp_path / "server.log", SETTINGS) as server:
        assert answer(server, HOST) == ["Ilse Varga"]
        mapping = project.root / "data" / "2031-04-02-harbour-summit" / "mapping.yaml"
        mapping.write_text(mapping.read_text().replace("label: Ilse Varga", "label: Ilse V. Varga"))
        command = [sys.executable, "-m", "kg", "--project", str(project.root), "--build-dir", str(project.build_dir)]
        subprocess.run([*command, "build"], check=True, capture_output=True, timeout=120)
        before = set(server.http_processes())
        with Hammer(server) as hammer:
            os.kill(server.process.pid, signal.SIGHUP)
            wait_for(
                lambda: len(server.http_processes()) == 2 and not set(server.http_processes()) & before,
                30,
                "both HTTP processes replaced",
            )
            time.sleep(0.5)
        assert hammer.statuses and set(hammer.statuses) == {200}, hammer.statuses
        assert answer(server, HOST) == ["Ilse V. Varga"]
        assert server.process.poll() is None
    assert "Traceback" not in server.log_text()


def busy_worker(server: Server) -> tuple[int, int]:
    """(the query worker using the CPU now, its HTTP process).

    Call it past the leash on the kept worker (SLOW_QUERY, 0.25 s) and the start of the worker that
    replaces a leashed one: the query may go on on another worker, and a starting worker uses the CPU too.
    """
    workers = {worker: http for http in server.http_processes() for worker in children(http)}
    before = {worker: cpu_seconds([worker]) for worker in workers}
    time.sleep(0.3)
    busy = max(workers, key=lambda worker: cpu_seconds([worker]) - before[worker])
    return busy, workers[busy]


def test_a_terminated_http_process_finishes_its_query_then_ends_with_its_worker_and_is_replaced(
    project, built, tmp_path
):
    """SIGTERM is a graceful stop: the running query gets its answer (here: the time limit), then the process
    and its query workers end, another takes its place, and the server answers all along."""
    with running_server(project, tmp_path / "server.log", SETTINGS) as server:
        answers: list[int] = []
        query = threading.Thread(
            target=lambda: answers.append(
                requests.get(server.sparql, params={"query": CARTESIAN}, timeout=30).status_code
            ),
            daemon=True,
        )
        query.start()
        time.sleep(1)
        busy, http = busy_worker(server)
        with Hammer(server) as hammer:
            os.kill(http, signal.SIGTERM)
            wait_for(lambda: ended(busy), LIMIT + 3, "the busy worker ended with its process")
            wait_for(lambda: http not in server.http_processes(), 10, "the terminated HTTP process ended")
            wait_for(lambda: len(server.http_processes()) == 2, 10, "another HTTP process took its place")
            time.sleep(0.5)
        query.join()
        assert answers == [503]  # its answer: stopped at the time limit, not a broken connection
        assert hammer.statuses and set(hammer.statuses) == {200}, hammer.statuses
        assert server.process.poll() is None
        assert requests.get(server.url + "health", timeout=5).status_code == 200


def test_an_http_process_killed_mid_query_takes_its_query_worker_with_it(project, built, tmp_path):
    """SIGKILL leaves no time to stop anything: the kernel ends the worker (it burned its CPU limit, before)."""
    settings = {**SETTINGS, "QUERY_TIMEOUT": 20}
    with running_server(project, tmp_path / "server.log", settings) as server:
        thread = threading.Thread(target=ask_and_lose_the_answer, args=(server, CARTESIAN), daemon=True)
        thread.start()
        time.sleep(1)
        busy, http = busy_worker(server)
        os.kill(http, signal.SIGKILL)
        killed = time.monotonic()
        wait_for(lambda: ended(busy), 5, "the busy query worker ended with its HTTP process")
        print(f"the busy worker ended {time.monotonic() - killed:.2f} s after its HTTP process")
        # until kg serve reaps it, the killed process is still its child (a zombie): wait for it to go
        wait_for(lambda: http not in server.http_processes(), 10, "the killed HTTP process reaped")
        wait_for(lambda: len(server.http_processes()) == 2, 10, "another HTTP process took its place")
        with _retrying_client() as client:  # a connection the killed process had accepted is reset: sent again
            assert client.get(server.sparql, params={"query": ASK}, timeout=10).json()["boolean"] is True
        assert server.process.poll() is None


def test_a_failed_reload_leaves_the_builds_being_served_in_place(project, built, tmp_path, monkeypatch):
    """SIGHUP with no build to pin keeps the current one; the next reload must keep it too, since the HTTP
    processes being replaced one by one still serve it (their replacement query workers load it)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "pins"))
    monkeypatch.delenv("KG_SERVE_BUILD", raising=False)
    (tmp_path / "pins").mkdir()
    build = tmp_path / "build"
    shutil.copytree(project.build_dir, build)
    pins = _Pins(build)
    try:
        first = pins.current
        build.rename(tmp_path / "away")
        pins.reload()  # no build: serves the first on
        (tmp_path / "away").rename(build)
        pins.reload()
        assert pins.current != first
        assert sorted((tmp_path / "pins").iterdir()) == sorted([first, pins.current])
    finally:
        pins.remove()
    assert list((tmp_path / "pins").iterdir()) == []


def test_a_build_that_cannot_be_pinned_is_told_in_one_line_at_start_and_on_reload(
    project, built, tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.delenv("KG_SERVE_BUILD", raising=False)
    pins = _Pins(project.build_dir)
    try:
        first = pins.current
        (tmp_path / "a-file").write_text("")
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "a-file"))  # no folder can be made in it
        with pytest.raises(KgError) as refused:
            _Pins(project.build_dir)
        pins.reload()
        assert pins.current == first
    finally:
        pins.remove()
    message = f"cannot pin the build to serve in {tmp_path / 'a-file'}: Not a directory"
    assert str(refused.value) == message
    assert capsys.readouterr().err == f"kg: warning: reload keeps serving the build it had: {message}\n"
