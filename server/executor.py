"""The supervised pool of query workers: a query waits for one (``server.admission``), runs, gives it back.

A worker still busy at the deadline is killed (SIGKILL: the only stop a runaway Oxigraph query
cannot ignore) and replaced; so is one that died, at its memory limit or on a stack overflow,
and the client is told which. The deadline counts from the moment the query arrives, so time
spent waiting for a free worker is part of the limit.

One long-lived thread, the supervisor, starts every worker: a worker dies with the thread that
started it (``PR_SET_PDEATHSIG``, see ``server.worker``), so with this process, however it ends.
The supervisor also replaces a worker that died while idle, at once, so that ``status()`` never
counts a dead worker as ready.

An answer comes back over the pipe in pieces: up to ``SPOOL_BYTES`` it is kept in memory, beyond
that written to an unnamed temporary file as it arrives, so that the HTTP process never holds a
large answer whole (``Answer.spool``).

For a server whose data cannot change (a pinned build), repeats of a query share one run, and
a failure is not tried again (``server.flights``).

An event loop may start a query itself (``run_soon``) when a worker can take it at once: it sends
the job and reads a quick, short answer without a thread; a query that turns out long goes on in
a thread, in the same code as ``run``'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import select
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor as Threads
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from server.admission import Admission, Ticket
from server.errors import WORKER_ERRORS, QueryAbortedError, QueryTimeoutError
from server.flights import Flights
from server.frames import HEADER_LENGTHS, Answered, Failed, Frame, Job, QueryRequest, Ready, decode, encode, read_header
from server.worker import PARENT_VARIABLE

log = logging.getLogger(__name__)

#: Answers longer than this (bytes) go to a temporary file rather than memory: an answer in memory
#: stays there until its client has read it, however slowly (``server.front``).
SPOOL_BYTES = 64 * 1024
#: How long a new worker may take to load the dataset and say it is ready.
_STARTUP_LIMIT = 60.0
#: Pauses between attempts to start a worker after a failed start (the last one repeats).
_RETRY_PAUSES = (0.5, 1.0, 2.0, 4.0, 8.0)
#: How often the supervisor looks at the idle workers when nothing wakes it, in seconds.
_WATCH_INTERVAL = 1.0
#: The niceness of a worker whose query runs past ``slow`` seconds: about a tenth of the CPU a
#: worker at the default niceness gets, when both want it. Light queries and the HTTP processes
#: keep the CPU while long ones run.
_LONG_QUERY_NICENESS = 10
#: Bytes read from a worker's pipe at a time.
_CHUNK = 1 << 20
#: Bytes read from a worker's pipe when a frame's header is due: the whole of a short answer, at once.
_READ_AHEAD = SPOOL_BYTES + 4096
#: The longest job an event loop sends itself (``run_soon``): it fits in an idle worker's empty pipe
#: (64 KiB on Linux), so that writing it never waits.
_LOOP_FRAME = 16 * 1024
#: The folder that holds the ``server`` package, so a worker imports the same code as we do.
_CODE_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Answer:
    """Serialised results, as a worker wrote them: in ``body``, or in ``spool`` when long."""

    #: 'solutions', 'boolean' or 'graph'.
    kind: str
    #: The name of the syntax in kg.formats.
    format: str
    rows: int
    #: True when the row or byte limit cut the results.
    truncated: bool
    body: bytes = b""
    #: The results in an unnamed temporary file, positioned at its start, for answers over
    #: ``SPOOL_BYTES``; ``body`` is then empty.
    spool: BinaryIO | None = None
    #: Bytes of the results.
    length: int = 0

    def content(self) -> bytes:
        """The results whole, from memory or from the file: for a reader in this process (the pages)."""
        if self.spool is None:
            return self.body
        return os.pread(self.spool.fileno(), self.length, 0)


class _Leashed(Exception):
    """A query on the kept worker ran past the leash; its worker was stopped."""


class _Gone(Exception):
    """The worker had died before it was given the query; its worker was stopped."""


class _Unkept(Exception):
    """This process could not keep a long answer in a temporary file (no space, no descriptor left).

    Not an OSError: those, from the worker's pipe, mean the worker died.
    """

    def __init__(self, error: OSError) -> None:
        super().__init__(error.strerror or str(error))


class _Worker:
    """One worker process and the two ends of its pipes."""

    def __init__(self, command: list[str]) -> None:
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(_CODE_ROOT), os.environ.get("PYTHONPATH")])),
            PARENT_VARIABLE: str(os.getpid()),
        }
        # The command is ours (worker_command), never built from a request. A process group of its
        # own: Ctrl-C in the terminal is for kg serve, which then stops its workers itself.
        self.process = subprocess.Popen(  # noqa: S603
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0, env=env, process_group=0
        )
        self.fd = self.process.stdout.fileno()
        #: Bytes read from the pipe ahead of need (the rest of a frame whose header was read).
        self.pending = b""
        #: True once it is stopped for good: it must never be lent again.
        self.retired = False
        #: True once it runs at a lower priority (``lower_priority``): it is replaced after its query.
        self.lowered = False

    def send(self, frame: bytes) -> None:
        data = memoryview(frame)
        while data:  # a raw pipe may take part of a write (a signal, a full buffer)
            data = data[self.process.stdin.write(data) :]

    def try_send(self, frame: bytes) -> bool:
        """Send a short frame (it fits in the idle worker's empty pipe: no wait); False when the pipe is broken."""
        try:
            self.send(frame)
        except OSError:
            return False
        return True

    def readable(self, until: float) -> bool:
        """True once the worker has something to say (or ended), False if it is still silent at ``until``."""
        if self.pending:
            return True
        poller = select.poll()
        poller.register(self.fd, select.POLLIN)
        return bool(poller.poll(max(0.0, until - time.monotonic()) * 1000))

    def lower_priority(self) -> None:
        """Let the CPU go to others first (nice 10): for a query that turned out long. There is no way back."""
        with contextlib.suppress(OSError):  # it ended meanwhile
            os.setpriority(os.PRIO_PROCESS, self.process.pid, _LONG_QUERY_NICENESS)
        self.lowered = True

    def read_exact(self, deadline: float, n: int) -> bytes:
        """``n`` bytes, or TimeoutError at ``deadline``, or EOFError if the worker is gone."""
        chunks = []
        while n:
            chunk = self.read_some(deadline, n)
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)

    def read_some(self, deadline: float, n: int) -> bytes:
        """Up to ``n`` bytes (at least one), or TimeoutError at ``deadline``, or EOFError.

        Asked for a few bytes (a header), it reads what the worker wrote, up to ``_READ_AHEAD``, and
        keeps the rest for the next reads: one system call for a short answer, not three.
        """
        if not self.pending:
            poller = select.poll()
            poller.register(self.fd, select.POLLIN)
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not poller.poll(remaining * 1000):
                raise TimeoutError
            self.pending = os.read(self.fd, min(max(n, _READ_AHEAD), _CHUNK))
            if not self.pending:
                raise EOFError
        chunk, self.pending = self.pending[:n], self.pending[n:]
        return chunk

    def take_frame(self) -> tuple[Frame, bytes] | None:
        """A whole frame with a short body, read without waiting (the pipe is readable); None when there is none yet.

        What was read stays for ``read_some`` otherwise: the rest of the frame is read the usual way.
        """
        try:
            self.pending += os.read(self.fd, _READ_AHEAD)
        except OSError:
            return None
        if len(self.pending) < HEADER_LENGTHS.size:
            return None
        header_length, body_length = HEADER_LENGTHS.unpack_from(self.pending)
        end = HEADER_LENGTHS.size + header_length + body_length
        if body_length > SPOOL_BYTES or len(self.pending) < end:
            return None
        try:
            frame = decode(json.loads(self.pending[HEADER_LENGTHS.size : HEADER_LENGTHS.size + header_length]))
        except ValueError:
            return None  # read again the usual way, which fails on it as it should
        body, self.pending = self.pending[end - body_length : end], self.pending[end:]
        return frame, body

    def stop(self, *, grace: float = 0.0) -> int:
        """Kill the process (after ``grace`` seconds to end on its own), reap it; its exit status."""
        self.retired = True
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

    :param command: how to start a worker (``server.worker.worker_command`` or ``backend_worker_command``).
    :param size: worker processes.
    :param time_limit: seconds a query may take, waiting included.
    :param row_limit: rows (or triples) an answer may hold.
    :param byte_limit: bytes an answer may take.
    :param memory_limit_mb: a worker's address space (for the message when a query exceeds it).
    :param queue_timeout: seconds a query may wait for a worker before a 503.
    :param slow: the leash on the worker kept for light queries, in seconds (``server.admission``).
    :param cooldown: seconds a client stays light, or barred from the kept worker.
    :param max_waiting: queries of clients that are not light that may wait at once.
    :param fixed_data: True when the answers cannot change while this pool lives (a pinned build):
        repeats of a running query share its answer, and failures are remembered. Only such a pool
        keeps a worker for light queries: a worker forwarding to a backend costs this machine nothing
        while the backend works, and stopping it would only make the backend work twice.
    """

    def __init__(
        self,
        command: list[str],
        *,
        size: int,
        time_limit: float,
        row_limit: int,
        byte_limit: int,
        memory_limit_mb: int,
        queue_timeout: float = 2.0,
        slow: float = 0.25,
        cooldown: float = 60.0,
        max_waiting: int = 16,
        fixed_data: bool = False,
    ) -> None:
        self.command = command
        self.size = size
        self.time_limit = time_limit
        self.row_limit = row_limit
        self.byte_limit = byte_limit
        self.memory_limit_mb = memory_limit_mb
        self.slow = slow
        self.fixed_data = fixed_data
        self._admission: Admission[_Worker] = Admission(
            time_limit=time_limit,
            slow=slow,
            cooldown=cooldown,
            queue_timeout=min(queue_timeout, time_limit),
            max_waiting_barred=2,
            max_waiting_unproven=max_waiting,
            keep_one=size > 1 and fixed_data,  # a backend's slow queries load the backend, not this machine
        )
        self._lock = threading.Lock()
        #: Every worker not yet stopped: starting, idle or lent. The supervisor starts one for each missing.
        self._live: set[_Worker] = set()
        #: The workers started but not yet ready, and when each must be (monotonic seconds).
        self._starting: dict[_Worker, float] = {}
        #: True once a worker was ready: from then on, replacements do not make the pool "starting".
        self._ever_ready = False
        self._closed = False
        self._flights: Flights[Answer] = Flights(time_limit)
        #: The supervisor's alarm: a byte written here wakes it. The supervisor closes it as it ends
        #: (None from then on): a late write must not land in whatever took its descriptor's number.
        self._wake_read, wake_write = os.pipe()
        os.set_blocking(wake_write, False)
        self._wake_write: int | None = wake_write
        #: Starts failed in a row, and when the next start may be tried (the supervisor's own).
        self._failed_starts = 0
        self._next_start = 0.0
        self._supervisor = threading.Thread(target=self._supervise, name="kg-worker-supervisor", daemon=True)
        self._supervisor.start()

    # --- queries --------------------------------------------------------------------------------

    def run(
        self, request: QueryRequest, *, client: str = "-", shared: bool = False, key: bytes | None = None
    ) -> Answer:
        """Run one query on a free worker.

        :param client: who asks (the remote address): queries take turns by client.
        :param shared: the query's answer is the same each time (no NOW(), RAND() ...): a repeat may
            share a running query's answer, and a failure is remembered (only with ``fixed_data``).
        :param key: ``request.digest()``, when the caller has it already.
        :raises QueryTimeoutError: past the time limit, waiting included.
        :raises QueryAbortedError: when the worker died: the memory limit, a stack overflow, or killed from outside.
        :raises BusyError: when no worker came free soon enough, or the client has too many queries waiting.
        :raises QuerySyntaxError, UnsupportedFormat, OutsideDatasetError, QueryFailedError: as the worker reports them.
        :raises BackendError, BackendUnavailableError, BackendRefusedError, ProtocolError: as a worker forwarding
            to a backend reports them (``server.remote``).
        :raises RuntimeError: when the worker hit a bug (it logs the traceback).
        """
        deadline = time.monotonic() + self.time_limit
        job = Job(request, row_limit=self.row_limit, byte_limit=self.byte_limit, time_limit=self.time_limit)
        if not (shared and self.fixed_data):
            return self._run(job, client, deadline)
        return self._flights.run(key or request.digest(), deadline, lambda: self._run(job, client, deadline))

    async def run_soon(
        self, request: QueryRequest, *, threads: Threads, client: str = "-", shared: bool = False,
        key: bytes | None = None,
    ) -> Answer | None:  # fmt: skip
        """``run``, from an event loop, when a worker can take the query at once; else None, and nothing was done.

        The job is sent at once and a quick, short answer read on the event loop; a query still
        running at ``slow`` seconds, or a long answer, is waited for in one of ``threads`` by
        ``run``'s own code. A repeat of a query running now waits for its answer on the event loop.
        None when the query would wait for a worker: the caller then calls ``run`` (in a thread). The
        parameters and errors are ``run``'s.
        """
        deadline = time.monotonic() + self.time_limit
        loop = asyncio.get_running_loop()
        sharing = shared and self.fixed_data
        if sharing:
            key = key or request.digest()
            run = self._flights.follow(key, loop)
            if run is not None:
                return await _within(run, deadline, self.time_limit)
        job = Job(request, row_limit=self.row_limit, byte_limit=self.byte_limit, time_limit=self.time_limit)
        frame = encode(job)
        if len(frame) > _LOOP_FRAME:
            return None
        ticket = self._admission.try_acquire(client, deadline)
        if ticket is None:
            return None
        flight = self._flights.lead(key) if sharing else None
        if sharing and flight is None:  # the same query started meanwhile
            self._admission.cancel(ticket)
            return None

        def ending_flight(exchange: Callable[[], Answer]) -> Answer:
            """The answer of ``exchange``; the flight, if any, ends with it (or its error)."""
            try:
                answer = exchange()
            except BaseException as error:
                if flight is not None:
                    self._flights.end(key, flight, error=error)
                raise
            if flight is not None:
                self._flights.end(key, flight, answer=answer)
            return answer

        def finish(sent: bool) -> Answer:
            """The rest of the exchange, in a thread."""
            return ending_flight(lambda: self._run(job, client, deadline, ticket, sent=sent))

        worker = ticket.worker
        assert worker is not None
        sent = worker.process.poll() is None and worker.try_send(frame)
        try:
            quick = sent and await _readable(loop, worker.fd, ticket.started + self.slow - time.monotonic())
        except asyncio.CancelledError:  # the request was dropped: the query still ends, and gives its worker back
            loop.run_in_executor(threads, finish, sent).add_done_callback(_retrieve)
            raise
        reply = worker.take_frame() if quick else None
        if reply is None:
            return await loop.run_in_executor(threads, finish, sent)
        return ending_flight(lambda: self._answered(ticket, worker, *reply))

    def _answered(self, ticket: Ticket[_Worker], worker: _Worker, reply: Frame, body: bytes) -> Answer:
        """The answer of a reply read whole on the event loop; the worker is given back (stopped if it misbehaved)."""
        if isinstance(reply, Answered):
            self._admission.release(ticket, give_back=True)
            return Answer(reply.kind, reply.format, reply.rows, reply.truncated, body=body, length=len(body))
        if not isinstance(reply, Failed):
            self._retire(worker)
            self._admission.release(ticket, give_back=False)
            raise ValueError(f"a worker answered a job with {type(reply).__name__}")
        self._admission.release(ticket, give_back=True)
        if reply.error not in WORKER_ERRORS:
            raise RuntimeError(reply.message)  # a bug: 500, and the worker logged why
        raise WORKER_ERRORS[reply.error](reply.message)

    def status(self) -> dict[str, int | bool]:
        """Workers ready for a query, busy with one, still starting; ``ready``: the pool can take queries.

        The pool is ready once a worker has started, and stays so while workers are replaced; it is
        not before the first one starts, nor when none is left and none is starting.
        """
        idle, busy = self._admission.counts()
        with self._lock:
            starting = len(self._starting) + max(0, self.size - len(self._live))
            ready = self._ever_ready and not self._closed and (idle + busy + starting > 0)
        return {"idle": idle, "busy": busy, "starting": starting, "ready": ready}

    def close(self) -> None:
        """Stop every worker; queries still running get QueryAbortedError."""
        with self._lock:
            self._closed = True
            workers = list(self._live)
        self._wake()
        while workers:
            try:
                workers[-1].stop()
                workers.pop()
            except (SystemExit, KeyboardInterrupt):
                # A stopping HTTP process may get a signal twice (the terminal's Ctrl-C, then the
                # server's own): finish stopping the workers.
                continue
        self._supervisor.join(timeout=5)

    def _run(
        self, job: Job, client: str, deadline: float, ticket: Ticket[_Worker] | None = None, *, sent: bool = False
    ) -> Answer:
        """Borrow a worker, exchange ``job`` with it, give it back.

        The query starts again on another worker when it held the kept one past its leash (its
        client now waits behind light ones), or when its worker turned out dead before it got the job.

        :param ticket: the worker already borrowed (by ``run_soon``), which was ``sent`` the job or not.
        """
        ticket = ticket or self._admission.acquire(client, deadline)
        while True:
            worker = ticket.worker
            assert worker is not None
            slow_at = ticket.started + self.slow
            leash = min(deadline, slow_at) if ticket.leashed else deadline
            try:
                answer = self._exchange(worker, job, deadline, leash, slow_at, sent=sent)
            except _Leashed:
                ticket, sent = self._admission.requeue(ticket), False
                continue
            except _Gone:
                self._admission.release(ticket, give_back=False)
                ticket, sent = self._admission.acquire(client, deadline), False
                continue
            except BaseException:
                self._admission.release(ticket, give_back=not worker.retired)
                raise
            self._admission.release(ticket, give_back=not worker.retired)  # retired: after a long query
            return answer

    def _exchange(
        self, worker: _Worker, job: Job, deadline: float, leash: float, slow_at: float, *, sent: bool = False
    ) -> Answer:
        """Send ``job`` to ``worker`` (unless it was ``sent``) and read its reply; the worker is stopped unless it
        can serve again.

        A query still running at ``slow_at`` goes on at a lower CPU priority, and its worker is
        replaced after it (a process cannot take its priority back).

        :raises _Leashed: past ``leash`` (before ``deadline``); the worker is stopped.
        :raises _Gone: when the worker had died before it got the job; it is stopped.
        """
        if not sent and worker.process.poll() is not None:
            self._retire(worker)
            raise _Gone
        try:
            if not sent:
                worker.send(encode(job))
        except OSError:  # the pipe is broken: it died while idle, before the watcher saw it
            self._retire(worker)
            raise _Gone from None
        try:
            if not worker.readable(min(slow_at, leash)) and time.monotonic() < leash:
                worker.lower_priority()
            reply, length = read_header(lambda n: worker.read_exact(leash, n))
            body = self._read_body(worker, length, leash)
            if worker.lowered:
                self._retire(worker, why="after a long query")
            if isinstance(reply, Failed):
                if reply.error not in WORKER_ERRORS:
                    raise RuntimeError(reply.message)  # a bug: 500, and the worker logged why
                raise WORKER_ERRORS[reply.error](reply.message)
            if not isinstance(reply, Answered):
                raise ValueError(f"a worker answered a job with {type(reply).__name__}")
        except TimeoutError:
            self._retire(worker)
            if leash < deadline:
                raise _Leashed from None
            raise QueryTimeoutError.at(self.time_limit) from None
        except _Unkept as error:  # the rest of the answer is still in the pipe: the worker cannot serve again
            self._retire(worker)
            message = f"the query was stopped: this server could not keep its answer in a temporary file ({error})"
            raise QueryAbortedError(f"{message}: retry later", repeats=False) from None
        except (EOFError, OSError):
            status = self._retire(worker, grace=1.0)
            raise self._death(status) from None
        except (RuntimeError, *WORKER_ERRORS.values()):
            raise
        except BaseException:  # a garbled frame, or the pool closing: never leave a worker half-lent
            if not worker.retired:
                self._retire(worker)
            raise
        if isinstance(body, bytes):
            return Answer(reply.kind, reply.format, reply.rows, reply.truncated, body=body, length=length)
        return Answer(reply.kind, reply.format, reply.rows, reply.truncated, spool=body, length=length)

    def _read_body(self, worker: _Worker, length: int, deadline: float) -> bytes | BinaryIO:
        """The body of a reply: in memory up to ``SPOOL_BYTES``, else in an unnamed temporary file.

        :raises _Unkept: when the temporary file cannot be made or written.
        """
        if length <= SPOOL_BYTES:
            return worker.read_exact(deadline, length) if length else b""
        try:
            spool = tempfile.TemporaryFile()  # noqa: SIM115 - handed on with the answer, closed when it is dropped
        except OSError as error:
            raise _Unkept(error) from None
        try:
            while length:
                chunk = worker.read_some(deadline, length)
                try:
                    spool.write(chunk)
                except OSError as error:
                    raise _Unkept(error) from None
                length -= len(chunk)
            spool.seek(0)
        except BaseException:
            spool.close()
            raise
        return spool

    def _death(self, status: int) -> QueryAbortedError:
        """The error for a worker that died on its own during a query, saying what happened.

        Only the memory limit and a stack overflow would happen again: the other deaths are not
        remembered against the query (``repeats=False``).
        """
        if status == -signal.SIGABRT:  # Oxigraph (Rust) aborts when an allocation fails
            return QueryAbortedError(
                f"the query was stopped: it needed more than the {self.memory_limit_mb} MiB memory limit"
            )
        if status == -signal.SIGSEGV:
            return QueryAbortedError(
                "the query was stopped: its worker crashed, most likely on a stack overflow (the query nests"
                " too deeply or chains too many operators): simplify it"
            )
        if status == -signal.SIGKILL:
            message = (
                "the query was stopped: its worker was killed from outside (the system's out-of-memory killer,"
                " an operator): retry"
            )
            return QueryAbortedError(message, repeats=False)
        message = f"the query was stopped: its worker ended unexpectedly (exit status {status})"
        return QueryAbortedError(message, repeats=False)

    # --- the workers ----------------------------------------------------------------------------

    def _retire(self, worker: _Worker, *, grace: float = 0.0, why: str = "") -> int:
        """Stop a worker for good; the supervisor starts another. Its exit status."""
        status = worker.stop(grace=grace)
        with self._lock:
            self._live.discard(worker)
        log.warning(
            "query worker %d stopped%s (exit status %d); starting another",
            worker.process.pid,
            f" {why}" if why else "",
            status,
        )
        self._wake()
        return status

    def _wake(self) -> None:
        with self._lock, contextlib.suppress(BlockingIOError):  # a full pipe: the supervisor will wake anyway
            if self._wake_write is not None:
                os.write(self._wake_write, b".")

    def _supervise(self) -> None:
        """Start the workers, see them ready, replace those that die idle or fail to start; until closed."""
        while not self._closed:
            try:
                self._start_missing()
                self._watch()
            except Exception:
                log.exception("the query worker supervisor failed; going on")
                time.sleep(_RETRY_PAUSES[0])
        with self._lock:
            os.close(self._wake_read)
            os.close(self._wake_write)
            self._wake_write = None

    def _start_missing(self) -> None:
        """Start as many workers as the pool lacks, unless the last start failed too recently."""
        with self._lock:
            missing = self.size - len(self._live)
        if missing > 0 and time.monotonic() >= self._next_start:
            self._start(missing)

    def _watch(self) -> None:
        """Wait until a starting worker says it is ready, an idle one speaks, a start takes too long, or a wake-up."""
        now = time.monotonic()
        with self._lock:
            starting = dict(self._starting)
            missing = self.size - len(self._live)
        idle = [w for w in self._admission.free() if not w.retired]
        waits = [_WATCH_INTERVAL, *(limit - now for limit in starting.values())]
        if missing > 0 and now < self._next_start:
            waits.append(self._next_start - now)  # the next try at a start that failed
        poller = select.poll()
        poller.register(self._wake_read, select.POLLIN)
        watched = {w.fd: w for w in [*starting, *idle]}
        for fd in watched:
            poller.register(fd, select.POLLIN)
        for fd, _ in poller.poll(max(0.0, min(waits)) * 1000):
            if fd == self._wake_read:
                os.read(self._wake_read, 4096)
            elif watched[fd] in starting:
                self._started(watched[fd])
            elif self._admission.withdraw(watched[fd]):  # an idle worker spoke: it died?
                self._check_idle(watched[fd])
        for worker, limit in starting.items():
            if limit <= time.monotonic():
                self._failed_start(worker, "did not say it was ready in time")

    def _check_idle(self, worker: _Worker) -> None:
        """Replace a withdrawn idle worker that was seen to speak, unless it still lives and is silent.

        What was seen may have been the answer to a query the worker was lent meanwhile, which read
        it and gave the worker back before this thread withdrew it; withdrawn, nobody else reads it.
        """
        if worker.process.poll() is None and not worker.readable(time.monotonic()):
            self._admission.offer(worker)
            return
        log.warning("query worker %d died while idle", worker.process.pid)
        self._retire(worker)

    def _start(self, count: int) -> None:
        """Start ``count`` workers (from the supervisor thread only: they die with it)."""
        for _ in range(count):
            worker = _Worker(self.command)
            with self._lock:
                if not self._closed:
                    self._live.add(worker)
                    self._starting[worker] = time.monotonic() + _STARTUP_LIMIT
                    continue
            worker.stop()

    def _started(self, worker: _Worker) -> None:
        """Read a starting worker's first frame: offer it to queries when it is ready, else stop it."""
        try:
            frame, _ = read_header(lambda n: worker.read_exact(time.monotonic() + _STARTUP_LIMIT, n))
        except (EOFError, TimeoutError, OSError, ValueError):
            frame = None
        if not isinstance(frame, Ready):
            self._failed_start(worker, "ended before it was ready")
            return
        with self._lock:
            self._starting.pop(worker, None)
            self._ever_ready = True
        self._failed_starts = 0
        self._admission.offer(worker)

    def _failed_start(self, worker: _Worker, what: str) -> None:
        """Stop a worker that did not start; the next start waits a little longer after each failure in a row."""
        with self._lock:
            if self._starting.pop(worker, None) is None:
                return  # it became ready meanwhile
            self._live.discard(worker)
        status = worker.stop()
        self._failed_starts += 1
        self._next_start = time.monotonic() + _RETRY_PAUSES[min(self._failed_starts, len(_RETRY_PAUSES)) - 1]
        if not self._closed:
            log.error("a query worker %s (exit status %s); trying again", what, status)


async def _readable(loop: asyncio.AbstractEventLoop, fd: int, timeout: float) -> bool:
    """True once ``fd`` is readable, False when it is not within ``timeout`` seconds."""
    ready = loop.create_future()
    loop.add_reader(fd, lambda: ready.done() or ready.set_result(True))
    try:
        async with asyncio.timeout(max(0.0, timeout)):
            return await ready
    except TimeoutError:
        return False
    finally:
        loop.remove_reader(fd)


async def _within(run: asyncio.Future, deadline: float, time_limit: float) -> Answer:
    """The answer of a shared run, or QueryTimeoutError at ``deadline``."""
    try:
        async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
            return await run  # each follower has a future of its own
    except TimeoutError:
        raise QueryTimeoutError.at(time_limit) from None


def _retrieve(future: asyncio.Future) -> None:
    """Read the outcome of a future nobody awaits, so that its error is not reported as never retrieved."""
    if not future.cancelled():
        future.exception()
