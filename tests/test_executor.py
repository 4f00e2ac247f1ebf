"""The pool of query workers in this process (``server.executor``), with real workers: what it owns and lets go.

Each test starts a pool of its own on the real build and closes it.
"""

from __future__ import annotations

import gc
import os
import tempfile
import time
import weakref
from collections.abc import Iterator

import pytest

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
        worker_command(project.build_dir, {}, 512),
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
