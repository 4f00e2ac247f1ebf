"""A query worker: a process that answers one query at a time over stdin/stdout, from the build's on-disk stores.

Every worker opens the same two stores read-only (``kg.dataset.open_store``: one whose default
graph holds the inferences, one for ``infer=false``): the operating system's page cache holds their
files once for all workers, and a new worker is ready as soon as Python has started and the
stores are open, whatever their size.

Queries run here, not in the HTTP process, because a process is the only thing that can be
stopped for sure: a Python thread cannot be, and an Oxigraph query offers no way to cancel it.
The supervisor (``server.executor``) kills a worker past the time limit and starts another.

A worker started with ``--backend URL`` holds no store: it forwards each query to that remote
SPARQL endpoint (``server.remote``) and writes the answer exactly as a local one, so the limits,
the row cap, the formats and the errors are the same for both kinds.

Before its first query a worker shuts itself in: it can open no file descriptor (so no file and no
socket: a ``SERVICE`` clause that slipped past ``kg.querytext`` still cannot make a request; the
stores' table files, opened read-only before, are all it holds besides its pipes),
its address space is capped (a runaway ``ORDER BY`` fails an allocation and the process dies),
no core file is written, and each query gets a CPU-time limit that ends the process even if its
supervisor is gone. A backend worker must open a connection per query, so it keeps a few file
descriptors, and shuts them off only while it checks a query (``server.remote``).

A worker dies with the HTTP process that started it, killed by the kernel (``PR_SET_PDEATHSIG``),
so that a query keeps no CPU busy once nobody waits for its answer, however that process ended.

Messages are the typed frames of ``server.frames``.
"""

from __future__ import annotations

import argparse
import ctypes
import errno
import os
import resource
import signal
import sys
import traceback
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pyoxigraph as ox

from kg.dataset import open_every_table, open_store, store_folder
from kg.errors import KgError
from kg.formats import GRAPH_SYNTAXES, RESULTS_SYNTAXES
from kg.query import result_kind, run_query
from server.answers import write_answer
from server.errors import OutsideDatasetError, QueryAbortedError, QueryFailedError
from server.frames import Answered, Failed, Job, QueryRequest, Ready, encode, read_header

#: Headroom above the time limit before the kernel's CPU limit ends a worker on its own.
_CPU_GRACE = 2
#: File descriptors a backend worker may hold: its pipes and stderr, a connection, name resolution.
_BACKEND_FILES = 64
#: The environment variable naming the process that started the worker, which it must not outlive.
PARENT_VARIABLE = "KG_WORKER_PARENT"
#: ``prctl`` option: the signal this process gets when its parent ends.
_PR_SET_PDEATHSIG = 1
#: ``mallopt`` option: how many memory arenas glibc's allocator may make (``M_ARENA_MAX``).
_M_ARENA_MAX = -8


#: Runs one job; returns the reply and the serialised results.
Evaluate = Callable[[Job], tuple[Answered, bytes]]
#: The store a query runs on, by whether it asks for the inferences (``QueryRequest.infer``).
Stores = dict[bool, ox.Store]


def answer(stores: Stores, job: Job) -> tuple[Answered | Failed, bytes]:
    """Run one job on the store it asks for: the reply and the serialised results.

    Errors the user can fix come back as ``Failed``, with the error's class name and one-line message.
    """
    return respond(partial(_evaluate, stores), job)


def _evaluate(stores: Stores, job: Job) -> tuple[Answered, bytes]:
    request = job.request
    result = run_query(
        stores[request.infer],
        request.query,
        default_graph_uris=request.default_graph_uris,
        named_graph_uris=request.named_graph_uris,
        base_iri=request.base_iri,
    )
    return write_answer(result_kind(result), result, request, row_limit=job.row_limit, byte_limit=job.byte_limit)


def respond(evaluate: Evaluate, job: Job) -> tuple[Answered | Failed, bytes]:
    """``evaluate(job)``, with every error turned into a ``Failed`` reply: the class name and a one-line message.

    A bug in ``evaluate`` must not kill the worker: it answers ``internal`` (500) and logs the traceback.
    """
    try:
        return evaluate(job)
    except KgError as error:
        return Failed(type(error).__name__, str(error)), b""
    except MemoryError:
        return Failed(QueryAbortedError.__name__, "the query needed more memory than the limit"), b""
    except OSError as error:
        if error.errno == errno.EMFILE or f"os error {errno.EMFILE}" in str(error):  # Oxigraph's errors carry no errno
            message = "the query tried to open a file or a connection; only the dataset can be queried"
            return Failed(OutsideDatasetError.__name__, message), b""
        return Failed(QueryFailedError.__name__, f"the query could not be evaluated: {error}"), b""
    except Exception:  # noqa: BLE001 - a bug must not kill the worker; the log gets the traceback, never the client
        traceback.print_exc(file=sys.stderr)
        return Failed("internal", "a query worker failed; its log has the traceback"), b""


def _warm_up(stores: Stores) -> None:
    """Run every code path once, so that nothing needs to open a file (a lazy import) once shut in."""
    for query in ("SELECT ?s { ?s ?p ?o } LIMIT 2", "ASK {}", "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 2", "SELECT"):
        for results_format in RESULTS_SYNTAXES:
            for graph_format in list(GRAPH_SYNTAXES):
                request = QueryRequest(query, results_format=results_format, graph_format=graph_format)
                answer(stores, Job(request, row_limit=1, byte_limit=1 << 20, time_limit=1.0))


def _close_inherited() -> None:
    """Close every descriptor but the pipes and stderr: none may outlive the start unseen."""
    os.closerange(3, resource.getrlimit(resource.RLIMIT_NOFILE)[0])


def _open_stores(build_dir: Path) -> Stores:
    """Open both stores of the build, each with every table file (``kg.dataset.open_every_table``), or exit (status 3).

    Shut in, the worker could not open a table file later: a query reading from it would fail.
    The build is pinned (``kg.dataset.pin_build``): both stores are of the same one.
    """
    stores = {infer: open_store(build_dir, infer=infer)[1] for infer in (True, False)}
    for infer, store in stores.items():
        _open_every_table(store, build_dir / store_folder(infer=infer))
    return stores


def _open_every_table(store: ox.Store, folder: Path) -> None:
    """Have the store open every table file now, or exit (status 3, saying why)."""
    unopened = open_every_table(store, folder)
    if unopened:
        print(
            f"kg: error: {len(unopened)} of the table files of the store in {folder} stay unopened"
            " after its probes (a store changed since it was built?): run 'kg build --force'",
            file=sys.stderr,
            flush=True,
        )
        os._exit(3)


def _shut_in(memory_limit_mb: int, files: int = 3) -> None:
    """No new file descriptor (``files``: the lowest number one may have), a capped address space, no core files.

    The descriptors open now stay usable: the pipes, stderr and the store's table files. A new one
    would take the lowest free number, at least 3, so none can be made with ``files`` at 3.
    """
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    limit = memory_limit_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_NOFILE, (files, files))


def _limit_cpu(seconds: float) -> None:
    """End this process (SIGXCPU) if the next query outlives its time limit with no supervisor to kill it."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = int(usage.ru_utime + usage.ru_stime + seconds) + _CPU_GRACE
    resource.setrlimit(resource.RLIMIT_CPU, (soft, resource.getrlimit(resource.RLIMIT_CPU)[1]))


def _die_with_parent() -> None:
    """Have the kernel kill this process when the process that started it ends (Linux's PR_SET_PDEATHSIG).

    The parent is named by ``PARENT_VARIABLE``: should it have ended before the signal was set,
    this process now has another parent, and ends at once.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if str(os.getppid()) != os.environ.get(PARENT_VARIABLE, str(os.getppid())):
        os._exit(1)


def _one_arena() -> None:
    """Have every thread allocate from one memory arena, so that the memory limit is the query's.

    glibc's allocator gives threads arenas of their own, each reserving 64 MiB of address space;
    RocksDB opens the store's files from a pool of threads, which left a worker holding anywhere
    from 380 to 650 MiB of address space before its first query, so that the cap on it (``_shut_in``)
    left a query more or less room by chance, or none. With one arena a worker starts at about 130 MiB.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.mallopt(_M_ARENA_MAX, 1) != 1:
        raise OSError(ctypes.get_errno(), "mallopt(M_ARENA_MAX) failed")


def _read_exact(stream) -> Callable[[int], bytes]:
    def read_exact(n: int) -> bytes:
        data = stream.read(n)
        if len(data) < n:
            raise EOFError
        return data

    return read_exact


def worker_command(build_dir: Path, memory_limit_mb: int) -> list[str]:
    """The command line of a worker serving the build (pinned or not) in ``build_dir`` from its store."""
    return [sys.executable, "-m", "server.worker", str(build_dir), f"--memory-limit={memory_limit_mb}"]


def backend_worker_command(backend: str, memory_limit_mb: int) -> list[str]:
    """The command line of a worker forwarding each query to the SPARQL endpoint at URL ``backend``."""
    return [sys.executable, "-m", "server.worker", f"--backend={backend}", f"--memory-limit={memory_limit_mb}"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server.worker", description=__doc__.splitlines()[0])
    parser.add_argument("build_dir", type=Path, nargs="?", help="the build to serve (not with --backend)")
    parser.add_argument("--backend", metavar="URL", help="forward each query to this SPARQL endpoint; no store")
    parser.add_argument("--memory-limit", type=int, required=True, metavar="MIB", help="address space cap")
    args = parser.parse_args(argv)
    if (args.build_dir is None) == (args.backend is None):
        parser.error("give either a build folder or --backend")
    _die_with_parent()
    _one_arena()
    _close_inherited()
    if args.backend:
        from server.remote import Backend  # a backend worker only: http.client, ssl

        backend = Backend(args.backend)
        empty = ox.Store()
        _warm_up({True: empty, False: empty})  # the query check runs on an empty store, shut off from files
        evaluate: Evaluate = backend.evaluate
        files = _BACKEND_FILES
    else:
        stores = _open_stores(args.build_dir)
        _warm_up(stores)
        evaluate, files = partial(_evaluate, stores), 3
    requests, replies = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not corrupt the frames
    _shut_in(args.memory_limit, files)
    replies.write(encode(Ready()))
    replies.flush()
    read_exact = _read_exact(requests)
    while True:
        try:
            job, _ = read_header(read_exact)
        except EOFError:  # the supervisor closed the pipe or died
            return 0
        if not isinstance(job, Job):
            raise ValueError(f"a worker expects Job frames, not {type(job).__name__}")
        _limit_cpu(job.time_limit)
        reply, body = respond(evaluate, job)
        replies.write(encode(reply, body))
        replies.flush()


if __name__ == "__main__":
    sys.exit(main())
