"""The pool of query workers in this process (``server.executor``), with real workers: what it owns and lets go.

Each test starts a pool of its own on the real build and closes it.
"""

from __future__ import annotations

import asyncio
import gc
import os
import shutil
import subprocess
import sys
import tempfile
import time
import weakref
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.dataset import DATASET_FILE, MANIFEST_FILE, PROBES_FILE, STORE_DIR, STORE_DIRS, store_files, write_probes
from server import executor as executor_module
from server.errors import QueryAbortedError, QueryTimeoutError
from server.executor import Executor
from server.frames import QueryRequest
from server.proctree import children
from server.worker import worker_command

CARTESIAN = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.fixture
def pool(project, built) -> Iterator[Executor]:
    """One worker with a 1 s time limit, on a build whose answers cannot change."""
    executor = Executor(
        worker_command(project.build_dir, 512),
        size=1,
        time_limit=1,
        row_limit=10,
        byte_limit=1 << 20,
        memory_limit_mb=512,
        fixed_data=True,
    )
    wait_until(lambda: executor.status()["idle"] == 1)
    yield executor
    executor.close()


def wait_until(condition, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not in time"
        time.sleep(0.02)


def workers() -> set[int]:
    """The query workers of this process now."""
    return set(children(os.getpid()))


def test_closing_twice_writes_into_no_descriptor_it_no_longer_owns(pool):
    """The HTTP process closes its pool twice as it exits (granian's ``__rsgi_del__``, then atexit)."""
    pool.close()
    pipes = [os.pipe() for _ in range(64)]  # they take the lowest free numbers: those the pool closed among them
    try:
        pool.close()
        for read, _ in pipes:
            os.set_blocking(read, False)
            with pytest.raises(BlockingIOError):  # nothing was written into any of them
                os.read(read, 1)
    finally:
        for read, write in pipes:
            os.close(read)
            os.close(write)


def test_a_failure_is_remembered_by_its_hash_not_with_the_query(pool):
    """A client sending many long queries that time out must not fill memory with their texts."""
    request = QueryRequest(f"{CARTESIAN} # {'x' * 100_000}")
    query = weakref.ref(request)
    messages = []
    for sent in (request, QueryRequest(request.query)):  # the second is refused at once: the failure is remembered
        with pytest.raises(QueryTimeoutError) as failed:
            pool.run(sent, shared=True)
        messages.append(str(failed.value))
    assert messages == [
        "the query was stopped at the 1 s time limit: narrow it down (LIMIT, more specific patterns)",
        "the query was stopped at the 1 s time limit when it ran before, and the data has not changed:"
        " narrow it down (LIMIT, more specific patterns)",
    ]
    del request, sent, failed
    gc.collect()
    assert query() is None


def test_an_idle_worker_that_answered_a_query_is_not_taken_for_dead(pool, monkeypatch):
    """The supervisor watches the idle workers: one that speaks has died. But the worker it saw speak may
    have been lent meanwhile, and what it saw was the answer; the query may even have read it and given
    the worker back before the supervisor acts. Here the query reads its answer 0.1 s after it came,
    and the supervisor acts 0.3 s late, as a busy machine may make them."""
    readable, withdraw = executor_module._Worker.readable, pool._admission.withdraw

    def late_reader(worker, until: float) -> bool:
        time.sleep(0.1)
        return readable(worker, until)

    def late_withdraw(worker) -> bool:
        time.sleep(0.3)
        return withdraw(worker)

    monkeypatch.setattr(executor_module._Worker, "readable", late_reader)
    monkeypatch.setattr(pool._admission, "withdraw", late_withdraw)
    before = workers()
    time.sleep(0.1)  # the supervisor watches the idle worker now
    assert pool.run(QueryRequest("ASK {}")).body == b'{"head":{},"boolean":true}'
    time.sleep(0.6)
    assert (workers(), pool.status()) == (before, {"idle": 1, "busy": 0, "starting": 0, "ready": True})


def test_an_answer_this_process_cannot_keep_is_told_as_such(pool, monkeypatch, tmp_path):
    """A long answer goes to a temporary file: when none can be made (no space, no descriptor left), the
    client hears that, not that the worker was killed from outside, and a worker serves again."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no-such-folder"))
    over_64_kib = "SELECT ?text ?s { ?article <https://schema.org/articleBody> ?text . ?s ?p ?o } LIMIT 10"
    with pytest.raises(QueryAbortedError) as failed:
        pool.run(QueryRequest(over_64_kib))
    assert str(failed.value) == (
        "the query was stopped: this server could not keep its answer in a temporary file"
        " (No such file or directory): retry later"
    )
    assert pool.run(QueryRequest("ASK {}")).body == b'{"head":{},"boolean":true}'


def test_a_query_worker_imports_no_rdflib():
    """A worker needs Oxigraph only; rdflib would cost each one 10 MiB and 80 ms of its start."""
    code = "import sys, server.worker; print(sorted(m for m in sys.modules if m.partition('.')[0] == 'rdflib'))"
    imported = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert imported.stdout == "[]\n"


def test_a_worker_holds_its_pipes_and_the_stores_table_files_read_only_and_can_open_nothing(pool, project):
    """The stores are opened whole before the worker shuts itself in: no file is left for RocksDB to open later."""
    assert pool.run(QueryRequest("ASK { ?s ?p ?o }")).body.endswith(b"true}")
    (worker,) = workers()
    held = {}
    for fd in os.listdir(f"/proc/{worker}/fd"):
        flags = int(Path(f"/proc/{worker}/fdinfo/{fd}").read_text().split("flags:")[1].split()[0], 8)
        held[int(fd)] = (os.readlink(f"/proc/{worker}/fd/{fd}"), flags & os.O_ACCMODE)
    assert sorted(target for fd, (target, _) in held.items() if fd > 2) == tables_of(project.build_dir)
    assert {mode for fd, (_, mode) in held.items() if fd > 2} == {os.O_RDONLY}
    assert held[0][0].startswith("pipe:") and held[1][0].startswith("pipe:")
    limits = Path(f"/proc/{worker}/limits").read_text()
    assert [line.split()[3:5] for line in limits.splitlines() if line.startswith("Max open files")] == [["3", "3"]]


def tables_of(build_dir: Path) -> list[str]:
    """The table files of both stores of a build, as a process holding them names them."""
    return sorted(str(path) for folder in STORE_DIRS for path in store_files((build_dir / folder).resolve()))


@pytest.fixture
def store_of_many_tables(project, built, tmp_path) -> Path:
    """A build folder whose stores hold the build's quads in more than 16 table files each (40 bulk loads each,
    not compacted)."""
    build = tmp_path / "build"
    build.mkdir()
    for name in (MANIFEST_FILE, DATASET_FILE):
        shutil.copyfile(project.build_dir / name, build / name)
    lines = (build / DATASET_FILE).read_bytes().splitlines(keepends=True)
    for folder in STORE_DIRS:
        store = ox.Store(str(build / folder))
        for start in range(0, len(lines), len(lines) // 40 + 1):
            chunk = b"".join(lines[start : start + len(lines) // 40 + 1])
            store.bulk_extend(ox.parse(chunk, format=ox.RdfFormat.N_QUADS, rename_blank_nodes=False))
        del store
        write_probes(build / folder, build / DATASET_FILE)
    return build


def test_a_worker_opens_every_table_file_of_a_store_past_rocksdbs_initial_16(store_of_many_tables):
    """RocksDB opens 16 table files as a store opens; the build's probes have the worker open the others."""
    assert all(len(store_files(store_of_many_tables / folder)) > 16 for folder in STORE_DIRS)
    executor = Executor(
        worker_command(store_of_many_tables, 512), size=1, time_limit=5, row_limit=10, byte_limit=1 << 20,
        memory_limit_mb=512, fixed_data=True,
    )  # fmt: skip
    try:
        wait_until(lambda: executor.status()["idle"] == 1)
        count = executor.run(QueryRequest("SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }")).body
        (worker,) = workers()
        held = sorted(os.readlink(f"/proc/{worker}/fd/{fd}") for fd in os.listdir(f"/proc/{worker}/fd") if int(fd) > 2)
    finally:
        executor.close()
    lines = len((store_of_many_tables / DATASET_FILE).read_bytes().splitlines())
    assert b'"value":"%d"' % lines in count
    assert held == tables_of(store_of_many_tables)


def test_a_worker_whose_probes_miss_a_table_file_refuses_to_start_saying_why(store_of_many_tables):
    """With no probes, table files stay unopened: shut in, the worker could not read them."""
    probes = store_of_many_tables / STORE_DIR / PROBES_FILE
    probes.write_bytes(b"")
    command = [sys.executable, "-m", "server.worker", str(store_of_many_tables), "--memory-limit=512"]
    ended = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert ended.returncode == 3
    assert ended.stdout == ""
    unopened = ended.stderr.split()[2]
    assert int(unopened) > 0
    assert ended.stderr == (
        f"kg: error: {unopened} of the table files of the store in {store_of_many_tables / STORE_DIR} stay unopened"
        " after its probes (a store changed since it was built?): run 'kg build --force'\n"
    )


def test_on_an_event_loop_a_free_worker_answers_and_repeats_asked_meanwhile_share_its_run(pool):
    """``run_soon``: the job is sent and its short answer read on the loop; the same query asked while it runs
    waits for that run on the loop, and gets the very same answer."""
    request = QueryRequest("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")

    async def ask_three_times(threads):
        return await asyncio.gather(*(pool.run_soon(request, threads=threads, shared=True) for _ in range(3)))

    with ThreadPoolExecutor(1) as threads:
        answers = asyncio.run(ask_three_times(threads))
    assert answers[0] is answers[1] is answers[2]
    assert answers[0].body == pool.run(request).body
    assert pool.status() == {"idle": 1, "busy": 0, "starting": 0, "ready": True}


def test_on_an_event_loop_a_long_query_goes_on_in_a_thread_to_its_time_limit(pool):
    with ThreadPoolExecutor(1) as threads, pytest.raises(QueryTimeoutError):
        asyncio.run(pool.run_soon(QueryRequest(f"{CARTESIAN} # on the loop"), threads=threads))
    wait_until(lambda: pool.status() == {"idle": 1, "busy": 0, "starting": 0, "ready": True})


def test_a_query_dropped_on_the_event_loop_still_ends_and_gives_its_worker_back(pool):
    """A request cancelled while its query runs (its client went): the query is seen to its end in a thread."""

    async def ask_and_drop(threads):
        asked = asyncio.create_task(pool.run_soon(QueryRequest(f"{CARTESIAN} # dropped"), threads=threads))
        await asyncio.sleep(0.1)
        asked.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asked

    with ThreadPoolExecutor(1) as threads:
        asyncio.run(ask_and_drop(threads))
        assert pool.status()["busy"] == 1  # the query runs on, to its time limit
    wait_until(lambda: pool.status() == {"idle": 1, "busy": 0, "starting": 0, "ready": True})
    assert pool.run(QueryRequest("ASK {}")).body == b'{"head":{},"boolean":true}'
