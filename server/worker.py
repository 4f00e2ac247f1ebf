"""A query worker: a process with its own Oxigraph store that answers one query at a time over stdin/stdout.

Queries run here, not in the HTTP process, because a process is the only thing that can be
stopped for sure: a Python thread cannot be, and an Oxigraph query offers no way to cancel it.
The supervisor (``server.executor``) kills a worker past the time limit and starts another.

A worker started with ``--backend URL`` holds no store: it forwards each query to that remote
SPARQL endpoint (``server.remote``) and writes the answer exactly as a local one, so the limits,
the row cap, the formats and the errors are the same for both kinds.

Before its first query a worker shuts itself in: it can open no file descriptor (so no file and no
socket: a ``SERVICE`` clause that slipped past ``kg.querytext`` still cannot make a request),
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
import json
import os
import resource
import signal
import sys
import traceback
from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import partial
from pathlib import Path

import pyoxigraph as ox

from kg.dataset import GraphInfo, Manifest, load_store, read_manifest
from kg.errors import KgError, NotBuiltError, UnsupportedFormat
from kg.formats import GRAPH_SYNTAXES, RESULTS_SYNTAXES, rdf_syntax_from_extension
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


def served_manifest(build_dir: Path, graphs: Mapping[str, Path]) -> Manifest:
    """The build's manifest, with one entry per extra named graph (IRI -> RDF file) served beside it.

    The extra graphs count as asserted data: ``infer=false`` keeps them in the default graph.

    :raises NotBuiltError: when ``build_dir`` holds no complete build.
    :raises UnsupportedFormat: for an extra graph file whose extension names no triple syntax.
    :raises KgError: for a graph name that is not an absolute IRI, or a file that cannot be read or parsed.
    """
    manifest = read_manifest(build_dir)
    if manifest is None:
        raise NotBuiltError(f"no build in {build_dir}: run 'kg build' first")
    extra = [
        GraphInfo(iri=iri, name=f"extra {iri}", file=str(path), triples=_count_triples(iri, path))
        for iri, path in graphs.items()
    ]
    return replace(manifest, graphs=[*manifest.graphs, *extra])


def _count_triples(iri: str, path: Path) -> int:
    try:
        ox.NamedNode(iri)
    except ValueError:
        raise KgError(f"the graph name {iri!r} is not an absolute IRI") from None
    syntax = _graph_syntax(path)
    if not path.is_file():
        raise KgError(f"cannot read the graph file {path}: there is no such file")
    try:
        return len(set(ox.parse(path=str(path), format=syntax.oxigraph)))
    except OSError as error:
        raise KgError(f"cannot read the graph file {path}: {error.strerror or error}") from None
    except SyntaxError as error:
        detail = " ".join(str(error).split())[:200]
        raise KgError(f"the graph file {path} is not valid {syntax.name}: {detail}") from None


def _graph_syntax(path: Path):
    syntax = rdf_syntax_from_extension(str(path))
    if syntax is None or syntax.datasets:
        raise UnsupportedFormat(f"cannot load {path.name} as one graph: use a .ttl, .nt, .rdf or .jsonld file")
    return syntax


def load_dataset(build_dir: Path, graphs: Mapping[str, Path]) -> tuple[Manifest, ox.Store]:
    """The served manifest and an in-memory store of the build plus the extra graphs."""
    manifest = served_manifest(build_dir, graphs)
    _, store = load_store(build_dir)
    for iri, path in graphs.items():  # labels renamed: two files' _:b0 are two different nodes
        store.bulk_load(path=str(path), format=_graph_syntax(path).oxigraph, to_graph=ox.NamedNode(iri))
    return manifest, store


#: Runs one job; returns the reply and the serialised results.
Evaluate = Callable[[Job], tuple[Answered, bytes]]


def answer(store: ox.Store, manifest: Manifest | None, job: Job) -> tuple[Answered | Failed, bytes]:
    """Run one job on ``store``: the reply and the serialised results.

    Errors the user can fix come back as ``Failed``, with the error's class name and one-line message.
    """
    return respond(partial(_evaluate, store, manifest), job)


def _evaluate(store: ox.Store, manifest: Manifest | None, job: Job) -> tuple[Answered, bytes]:
    request = job.request
    result = run_query(
        store,
        manifest,
        request.query,
        infer=request.infer,
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


def _warm_up(store: ox.Store, manifest: Manifest | None) -> None:
    """Run every code path once, so that nothing needs to open a file (a lazy import) once shut in."""
    for query in ("SELECT ?s { ?s ?p ?o } LIMIT 2", "ASK {}", "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 2", "SELECT"):
        for results_format in RESULTS_SYNTAXES:
            for graph_format in list(GRAPH_SYNTAXES):
                request = QueryRequest(query, results_format=results_format, graph_format=graph_format)
                answer(store, manifest, Job(request, row_limit=1, byte_limit=1 << 20, time_limit=1.0))


def _shut_in(memory_limit_mb: int, files: int = 3) -> None:
    """No file descriptor beyond ``files`` (by default none past the pipes), a capped address space, no core files."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    limit = memory_limit_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    os.closerange(3, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
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


def _read_exact(stream) -> Callable[[int], bytes]:
    def read_exact(n: int) -> bytes:
        data = stream.read(n)
        if len(data) < n:
            raise EOFError
        return data

    return read_exact


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server.worker", description=__doc__.splitlines()[0])
    parser.add_argument("build_dir", type=Path, nargs="?", help="the build to serve (not with --backend)")
    parser.add_argument("--graphs", type=json.loads, default={}, metavar="JSON", help="extra named graphs: {IRI: file}")
    parser.add_argument("--backend", metavar="URL", help="forward each query to this SPARQL endpoint; no store")
    parser.add_argument("--memory-limit", type=int, required=True, metavar="MIB", help="address space cap")
    args = parser.parse_args(argv)
    if (args.build_dir is None) == (args.backend is None):
        parser.error("give either a build folder or --backend")
    _die_with_parent()
    if args.backend:
        from server.remote import Backend  # a backend worker only: http.client, ssl

        backend = Backend(args.backend)
        _warm_up(ox.Store(), None)  # the query check runs on an empty store, shut off from files
        evaluate: Evaluate = backend.evaluate
        files = _BACKEND_FILES
    else:
        graphs = {iri: Path(file) for iri, file in args.graphs.items()}
        manifest, store = load_dataset(args.build_dir, graphs)
        _warm_up(store, manifest)
        evaluate, files = partial(_evaluate, store, manifest), 3
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
