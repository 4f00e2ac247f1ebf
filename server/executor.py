"""The supervised pool of query workers: each query borrows one, waits for it with a deadline, and gives it back.

A worker still busy at the deadline is killed (SIGKILL: the only stop a runaway Oxigraph query
cannot ignore) and replaced; so is one that died, most often at its memory limit. Replacements
start in the background: the client whose query was stopped gets its answer at once, and the
other workers keep serving meanwhile. The deadline counts from the moment the query arrives, so
time spent waiting for a free worker is part of the limit.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

from server.errors import WORKER_ERRORS, QueryAbortedError, QueryTimeoutError
from server.worker import QueryRequest, encode, read_frame

log = logging.getLogger(__name__)

#: How long a new worker may take to load the dataset and say it is ready.
_STARTUP_LIMIT = 60.0
#: Pauses between attempts to start a worker that failed to start.
_RETRY_PAUSES = (0.5, 1.0, 2.0, 4.0, 8.0)
#: The folder that holds the ``server`` package, so a worker imports the same code as we do.
_CODE_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Answer:
    """Serialised results, as a worker wrote them."""

    body: bytes
    #: 'solutions', 'boolean' or 'graph'.
    kind: str
    #: The name of the syntax in kg.formats.
    format: str
    rows: int
    #: True when the row limit cut the results.
    truncated: bool


class _Worker:
    """One worker process and the two ends of its pipes."""

    def __init__(self, command: list[str]) -> None:
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(_CODE_ROOT), os.environ.get("PYTHONPATH")])),
        }
        # The command is ours (worker_command), never built from a request. A process group of its
        # own: Ctrl-C in the terminal is for kg serve, which then stops its workers itself.
        self.process = subprocess.Popen(  # noqa: S603
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0, env=env, process_group=0
        )

    def send(self, frame: bytes) -> None:
        data = memoryview(frame)
        while data:  # a raw pipe may take part of a write (a signal, a full buffer)
            data = data[self.process.stdin.write(data) :]

    def receive(self, deadline: float) -> tuple[dict[str, Any], bytes]:
        """The next frame, or TimeoutError at ``deadline``, or EOFError if the worker is gone."""
        return read_frame(partial(self._read_exact, deadline))

    def _read_exact(self, deadline: float, n: int) -> bytes:
        fd = self.process.stdout.fileno()
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        chunks: list[bytes] = []
        while n:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not poller.poll(remaining * 1000):
                raise TimeoutError
            chunk = os.read(fd, min(n, 1 << 20))
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)

    def stop(self, *, grace: float = 0.0) -> int:
        """Kill the process (after ``grace`` seconds to end on its own), reap it; its exit status."""
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout):
            pipe.close()
        return self.process.returncode


class Executor:
    """A fixed number of worker processes serving queries on one build, or forwarding them to one backend.

    The two kinds of worker differ only in their command line; the limits, the error transport and
    the pool's bookkeeping are the same.

    :param command: how to start a worker (``worker_command`` or ``backend_worker_command``).
    """

    def __init__(
        self, command: list[str], *, size: int, time_limit: float, row_limit: int, memory_limit_mb: int
    ) -> None:
        self.command = command
        self.time_limit = time_limit
        self.row_limit = row_limit
        self.memory_limit_mb = memory_limit_mb
        self._idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        self._live: set[_Worker] = set()
        self._busy = 0
        self._lock = threading.Lock()
        self._closed = False
        for _ in range(size):
            self._start_in_background()

    def run(self, request: QueryRequest) -> Answer:
        """Run one query on a free worker.

        :raises QueryTimeoutError: past the time limit, waiting included.
        :raises QueryAbortedError: when the worker died (the memory limit).
        :raises QuerySyntaxError, UnsupportedFormat, OutsideDatasetError, QueryFailedError: as the worker reports them.
        :raises BackendError, BackendUnavailableError, BackendRefusedError, ProtocolError: as a worker forwarding
            to a backend reports them (``server.remote``).
        :raises RuntimeError: when the worker hit a bug (it logs the traceback).
        """
        deadline = time.monotonic() + self.time_limit
        worker = self._borrow(deadline)
        frame = encode({**asdict(request), "row_limit": self.row_limit, "time_limit": self.time_limit})
        try:
            worker.send(frame)
            header, body = worker.receive(deadline)
        except TimeoutError:
            self._replace(worker)
            raise QueryTimeoutError.at(self.time_limit) from None
        except (EOFError, OSError):
            status = self._replace(worker, grace=1.0)
            raise QueryAbortedError(self._death_message(status)) from None
        except BaseException:  # a garbled frame, or the pool closing: never leave a worker half-lent
            self._replace(worker)
            raise
        self._give_back(worker)
        if "error" in header:
            if header["error"] not in WORKER_ERRORS:
                raise RuntimeError(header["message"])  # a bug: 500, and the worker logged why
            raise WORKER_ERRORS[header["error"]](header["message"])
        return Answer(body=body, **header)

    def status(self) -> dict[str, int]:
        """Workers ready for a query, busy with one, and still starting."""
        with self._lock:
            idle = self._idle.qsize()
            return {"idle": idle, "busy": self._busy, "starting": len(self._live) - idle - self._busy}

    def close(self) -> None:
        """Stop every worker; queries still running get QueryAbortedError."""
        with self._lock:
            self._closed = True
            workers = list(self._live)
        while workers:
            try:
                workers[-1].stop()
                workers.pop()
            except (SystemExit, KeyboardInterrupt):
                # Gunicorn's quit handler raises SystemExit, and a stopping worker may get the signal
                # twice (the terminal's Ctrl-C, then the arbiter's): finish stopping the workers.
                continue

    def _borrow(self, deadline: float) -> _Worker:
        while True:
            try:
                worker = self._idle.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                limit = f"{self.time_limit:g} s"
                raise QueryTimeoutError(
                    f"no query worker became free within the {limit} time limit: retry later"
                ) from None
            with self._lock:
                self._busy += 1
            if worker.process.poll() is None:
                return worker
            self._replace(worker)  # died while idle (killed from outside)

    def _give_back(self, worker: _Worker) -> None:
        with self._lock:
            self._busy -= 1
        self._idle.put(worker)

    def _replace(self, worker: _Worker, *, grace: float = 0.0) -> int:
        status = worker.stop(grace=grace)
        with self._lock:
            self._busy -= 1
            self._live.discard(worker)
        log.warning("query worker %d stopped (exit status %d); starting another", worker.process.pid, status)
        self._start_in_background()
        return status

    def _death_message(self, status: int) -> str:
        if status in (-signal.SIGABRT, -signal.SIGKILL, -signal.SIGSEGV):
            return f"the query was stopped: it needed more than the {self.memory_limit_mb} MiB memory limit"
        return f"the query was stopped: its worker ended unexpectedly (exit status {status})"

    def _start_in_background(self) -> None:
        threading.Thread(target=self._start, name="kg-worker-start", daemon=True).start()

    def _start(self) -> None:
        for pause in _RETRY_PAUSES:
            with self._lock:
                if self._closed:
                    return
                worker = _Worker(self.command)
                self._live.add(worker)
            try:
                header, _ = worker.receive(time.monotonic() + _STARTUP_LIMIT)
                if header.get("ready"):
                    self._idle.put(worker)
                    return
            except (EOFError, TimeoutError, OSError, ValueError):
                pass
            with self._lock:
                self._live.discard(worker)
            status = worker.stop()
            if self._closed:
                return
            log.error("a query worker failed to start (exit status %s)", status)
            time.sleep(pause)
        log.error("gave up starting a query worker after %d attempts; the pool has one fewer", len(_RETRY_PAUSES))


def worker_command(build_dir: Path, graphs: Mapping[str, Path], memory_limit_mb: int) -> list[str]:
    """The command line of a worker serving ``build_dir`` plus the extra graphs from its own store."""
    extra = json.dumps({iri: str(path) for iri, path in graphs.items()})
    return [
        sys.executable,
        "-m",
        "server.worker",
        str(build_dir),
        f"--memory-limit={memory_limit_mb}",
        f"--graphs={extra}",
    ]


def backend_worker_command(backend: str, memory_limit_mb: int) -> list[str]:
    """The command line of a worker forwarding each query to the SPARQL endpoint at URL ``backend``."""
    return [sys.executable, "-m", "server.worker", f"--backend={backend}", f"--memory-limit={memory_limit_mb}"]
