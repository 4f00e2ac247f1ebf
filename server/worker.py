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

Messages are frames: two big-endian lengths, a JSON header, then raw bytes (the results).
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import resource
import struct
import sys
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.dataset import GraphInfo, Manifest, load_store, read_manifest
from kg.errors import KgError, NotBuiltError, UnsupportedFormat
from kg.formats import (
    GRAPH_SYNTAXES,
    RDF_SYNTAXES,
    RESULTS_SYNTAXES,
    RdfSyntax,
    ResultsSyntax,
    rdf_syntax_from_extension,
)
from kg.namespaces import PREFIX_IRIS
from kg.query import QueryResult, result_kind, run_query
from server.errors import OutsideDatasetError, QueryAbortedError, QueryFailedError

#: Lengths of the JSON header and of the body that follow.
_FRAME = struct.Struct("!II")
#: Headroom above the time limit before the kernel's CPU limit ends a worker on its own.
_CPU_GRACE = 2
#: Prefix IRIs for Turtle and RDF/XML output, as ``kg query`` writes them.
#: File descriptors a backend worker may hold: its pipes and stderr, a connection, name resolution.
_BACKEND_FILES = 64


@dataclass(frozen=True)
class QueryRequest:
    """One query, as a worker needs it. Field names follow ``kg.query.run_query``."""

    query: str
    default_graph_uris: tuple[str, ...] = ()
    named_graph_uris: tuple[str, ...] = ()
    #: False: the default graph holds the ontology and the asserted triples only.
    infer: bool = True
    #: The negotiated syntax for SELECT / ASK results, or None when the client accepts none.
    results_format: str | None = "json"
    #: The negotiated syntax for CONSTRUCT / DESCRIBE results, or None when the client accepts none.
    graph_format: str | None = "turtle"
    #: Relative IRIs in the query resolve against this: the endpoint's URL, as the protocol suggests.
    base_iri: str | None = None


def encode(header: Mapping[str, Any], body: bytes = b"") -> bytes:
    """One frame: lengths, JSON header, body.

    >>> import io
    >>> read_frame(io.BytesIO(encode({"rows": 2}, b"ab")).read)
    ({'rows': 2}, b'ab')
    """
    data = json.dumps(header).encode()
    return _FRAME.pack(len(data), len(body)) + data + body


def read_frame(read_exact: Callable[[int], bytes]) -> tuple[dict[str, Any], bytes]:
    """Read one frame with ``read_exact(n)``, which returns n bytes or raises EOFError."""
    header_length, body_length = _FRAME.unpack(read_exact(_FRAME.size))
    header = json.loads(read_exact(header_length))
    return header, read_exact(body_length) if body_length else b""


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


#: Runs one query request and returns the reply header and the serialised results.
Evaluate = Callable[[Mapping[str, Any]], tuple[dict[str, Any], bytes]]


def answer(store: ox.Store, manifest: Manifest | None, request: Mapping[str, Any]) -> tuple[dict[str, Any], bytes]:
    """Run one query request on ``store``; return the reply header and the serialised results.

    ``request`` holds the fields of a ``QueryRequest`` and ``row_limit``.
    Errors the user can fix come back as ``{"error": class name, "message": ...}``.
    """
    return respond(partial(_evaluate, store, manifest), request)


def _evaluate(store: ox.Store, manifest: Manifest | None, request: Mapping[str, Any]) -> tuple[dict[str, Any], bytes]:
    result = run_query(
        store,
        manifest,
        request["query"],
        infer=request["infer"],
        default_graph_uris=request["default_graph_uris"],
        named_graph_uris=request["named_graph_uris"],
        base_iri=request.get("base_iri"),
    )
    return write_capped(result_kind(result), result, request)


def respond(evaluate: Evaluate, request: Mapping[str, Any]) -> tuple[dict[str, Any], bytes]:
    """``evaluate(request)``, with every error turned into a reply: the class name and a one-line message.

    A bug in ``evaluate`` must not kill the worker: it answers ``internal`` (500) and logs the traceback.
    """
    try:
        return evaluate(request)
    except KgError as error:
        return {"error": type(error).__name__, "message": str(error)}, b""
    except MemoryError:
        return {"error": QueryAbortedError.__name__, "message": "the query needed more memory than the limit"}, b""
    except OSError as error:
        if error.errno == errno.EMFILE or f"os error {errno.EMFILE}" in str(error):  # Oxigraph's errors carry no errno
            message = "the query tried to open a file or a connection; only the dataset can be queried"
            return {"error": OutsideDatasetError.__name__, "message": message}, b""
        return {"error": QueryFailedError.__name__, "message": f"the query could not be evaluated: {error}"}, b""
    except Exception:  # noqa: BLE001 - a bug must not kill the worker; the log gets the traceback, never the client
        traceback.print_exc(file=sys.stderr)
        return {"error": "internal", "message": "a query worker failed; its log has the traceback"}, b""


def output_syntax(kind: str, request: Mapping[str, Any]) -> RdfSyntax | ResultsSyntax:
    """The negotiated syntax for a result of ``kind`` ('solutions', 'boolean' or 'graph').

    :raises UnsupportedFormat: when the client accepts no syntax for that kind of result.
    """
    if kind == "graph":
        syntax = RDF_SYNTAXES.get(request["graph_format"] or "")
        if syntax is None:
            raise UnsupportedFormat(_not_acceptable("CONSTRUCT and DESCRIBE results", list(GRAPH_SYNTAXES)))
        return syntax
    syntax = RESULTS_SYNTAXES.get(request["results_format"] or "")
    if syntax is None:
        raise UnsupportedFormat(_not_acceptable("SELECT and ASK results", list(RESULTS_SYNTAXES)))
    return syntax


def write_capped(
    kind: str, result: QueryResult | Iterable[ox.Triple], request: Mapping[str, Any]
) -> tuple[dict[str, Any], bytes]:
    """Write at most ``row_limit`` rows (or triples) in the negotiated format; the reply header flags what was cut.

    :param kind: 'solutions', 'boolean' or 'graph'.
    :param result: live results: Oxigraph's own, or parsed from a backend's answer as it arrives; a
        graph may be any iterable of triples. Reading stops after ``row_limit`` + 1 rows.
    :raises UnsupportedFormat: when the client accepts no syntax for this kind of result.
    """
    syntax = output_syntax(kind, request)
    limit = request["row_limit"]
    if kind == "graph":
        triples = list(islice(result, limit + 1))
        truncated = len(triples) > limit
        body = ox.serialize(triples[:limit], format=syntax.oxigraph, prefixes=PREFIX_IRIS)
        rows = min(len(triples), limit)
    elif kind == "boolean":
        body, rows, truncated = result.serialize(format=syntax.oxigraph), 1, False
    else:
        body, rows, truncated = _capped_solutions(result, syntax.oxigraph, limit)
    return {"kind": kind, "format": syntax.name, "rows": rows, "truncated": truncated}, body


def _not_acceptable(what: str, names: list[str]) -> str:
    return f"{what} can be sent as {', '.join(names)}; the request accepts none of them"


class _LineCap:
    """A binary sink that keeps the first ``lines`` lines and stops the writer after them."""

    class FullError(Exception):
        """Raised inside the serialiser to stop it."""

    def __init__(self, lines: int) -> None:
        self.lines = lines
        self.chunks: list[bytes] = []
        self.seen = 0
        self.full = False

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        self.seen += data.count(b"\n")
        if self.seen > self.lines:
            self.full = True
            raise self.FullError
        return len(data)

    def flush(self) -> None:
        pass

    def text(self) -> bytes:
        data = b"".join(self.chunks)
        if self.full:
            data = b"".join(line for line in data.splitlines(keepends=True)[: self.lines])
        return data


def _capped_solutions(result: ox.QuerySolutions, target: ox.QueryResultsFormat, limit: int) -> tuple[bytes, int, bool]:
    """SELECT results cut to ``limit`` rows, written by Oxigraph's own serialisers.

    Oxigraph cannot write a list of solutions, only a live result. So the result is written as
    TSV, one row per line with every term in lossless N-Triples form, into a sink that stops
    after ``limit`` rows; that TSV is read back and written in the target format.
    """
    sink = _LineCap(limit + 1)  # the header line, then the rows
    with contextlib.suppress(_LineCap.FullError):
        result.serialize(sink, format=ox.QueryResultsFormat.TSV)
    tsv = sink.text()
    rows = tsv.count(b"\n") - 1
    if target == ox.QueryResultsFormat.TSV:
        return tsv, rows, sink.full
    return ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV).serialize(format=target), rows, sink.full


def _warm_up(store: ox.Store, manifest: Manifest | None) -> None:
    """Run every code path once, so that nothing needs to open a file (a lazy import) once shut in."""
    for query in ("SELECT ?s { ?s ?p ?o } LIMIT 2", "ASK {}", "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 2", "SELECT"):
        for results_format in RESULTS_SYNTAXES:
            for graph_format in list(GRAPH_SYNTAXES):
                request = QueryRequest(query, results_format=results_format, graph_format=graph_format)
                answer(store, manifest, {**asdict(request), "row_limit": 1})


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


def _read_exact(stream) -> Callable[[int], bytes]:
    def read_exact(n: int) -> bytes:
        data = stream.read(n)
        if len(data) < n:
            raise EOFError
        return data

    return read_exact


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server.worker", description=__doc__.splitlines()[0])
    parser.add_argument("build_dir", type=Path, nargs="?", help="the build to serve (not with --backend)")
    parser.add_argument("--graphs", type=json.loads, default={}, metavar="JSON", help="extra named graphs: {IRI: file}")
    parser.add_argument("--backend", metavar="URL", help="forward each query to this SPARQL endpoint; no store")
    parser.add_argument("--memory-limit", type=int, required=True, metavar="MIB", help="address space cap")
    args = parser.parse_args(argv)
    if (args.build_dir is None) == (args.backend is None):
        parser.error("give either a build folder or --backend")
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
    replies.write(encode({"ready": True}))
    replies.flush()
    read_exact = _read_exact(requests)
    while True:
        try:
            request, _ = read_frame(read_exact)
        except EOFError:  # the supervisor closed the pipe or died
            return 0
        _limit_cpu(request["time_limit"])
        header, body = respond(evaluate, request)
        replies.write(encode(header, body))
        replies.flush()


if __name__ == "__main__":
    sys.exit(main())
