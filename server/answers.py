"""Writing an answer in the negotiated syntax, cut to the row limit and the byte limit.

Shared by both kinds of query worker (``server.worker`` over its own store, ``server.remote`` over
a backend's answer), so that a local and a forwarded answer are the same bytes with the same
``X-Result-*`` signal. No Flask and no HTTP here: this runs inside the worker processes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

import pyoxigraph as ox

from kg.errors import UnsupportedFormat
from kg.formats import GRAPH_SYNTAXES, RDF_SYNTAXES, RESULTS_SYNTAXES, RdfSyntax, ResultsSyntax
from kg.prefixes import PREFIX_IRIS
from kg.query import QueryResult
from server.frames import Answered, QueryRequest


def output_syntax(kind: str, request: QueryRequest) -> RdfSyntax | ResultsSyntax:
    """The negotiated syntax for a result of ``kind`` ('solutions', 'boolean' or 'graph').

    :raises UnsupportedFormat: when the client accepts no syntax for that kind of result.
    """
    if kind == "graph":
        syntax = RDF_SYNTAXES.get(request.graph_format or "")
        if syntax is None:
            raise UnsupportedFormat(_not_acceptable("CONSTRUCT and DESCRIBE results", list(GRAPH_SYNTAXES)))
        return syntax
    results = RESULTS_SYNTAXES.get(request.results_format or "")
    if results is None:
        raise UnsupportedFormat(_not_acceptable("SELECT and ASK results", list(RESULTS_SYNTAXES)))
    return results


def write_answer(
    kind: str,
    result: QueryResult | Iterable[ox.Triple],
    request: QueryRequest,
    *,
    row_limit: int,
    byte_limit: int,
) -> tuple[Answered, bytes]:
    """The results in the negotiated syntax, at most ``row_limit`` rows (or triples) and ``byte_limit`` bytes.

    Either limit cuts at a row, never inside one, and the reply says so (``truncated``), so that
    a client is told of a cut answer the same way whichever limit made it.

    :param kind: 'solutions', 'boolean' or 'graph'.
    :param result: live results: Oxigraph's own, or parsed from a backend's answer as it arrives; a
        graph may be any iterable of triples. Reading stops after ``row_limit`` + 1 rows, or once
        the rows read hold a quarter more than ``byte_limit`` bytes.
    :raises UnsupportedFormat: when the client accepts no syntax for this kind of result.
    """
    syntax = output_syntax(kind, request)
    if kind == "boolean":
        return Answered(kind, syntax.name, 1, False), result.serialize(format=syntax.oxigraph)
    # Read a quarter more than the byte limit: the rows are measured as N-Triples or TSV, which the
    # negotiated syntax may write shorter (Turtle's prefixes, CSV's plain values); ``_fit`` then cuts
    # exactly. More would cost memory in the worker: the rows are held a few times while rewritten.
    read_limit = byte_limit + byte_limit // 4
    if kind == "graph":
        triples, cut = _read_triples(result, row_limit, read_limit)
        body, rows, cut_again = _fit(triples, byte_limit, lambda part: _serialize_triples(part, syntax))
    else:
        header, lines, cut = _read_tsv(result, row_limit, read_limit)
        body, rows, cut_again = _fit(lines, byte_limit, lambda part: _serialize_solutions(header, part, syntax))
    return Answered(kind, syntax.name, rows, cut or cut_again), body


def _read_triples(triples: Iterable[ox.Triple], row_limit: int, byte_limit: int) -> tuple[list[ox.Triple], bool]:
    """At most ``row_limit`` triples, stopping once they take more than ``byte_limit`` as N-Triples; cut or not."""
    kept: list[ox.Triple] = []
    size = 0
    for triple in triples:
        if len(kept) == row_limit or size > byte_limit:
            return kept, True
        kept.append(triple)
        size += len(str(triple)) + 3
    return kept, False


def _serialize_triples(triples: list[ox.Triple], syntax: RdfSyntax) -> bytes:
    return ox.serialize(triples, format=syntax.oxigraph, prefixes=PREFIX_IRIS)


def _read_tsv(result: ox.QuerySolutions, row_limit: int, byte_limit: int) -> tuple[bytes, list[bytes], bool]:
    """SELECT results as Oxigraph's TSV: the header line and at most ``row_limit`` row lines; cut or not.

    Oxigraph cannot write a list of solutions, only a live result. So the result is written as
    TSV, one row per line with every term in lossless N-Triples form, into a sink that stops the
    writer after ``row_limit`` rows or ``byte_limit`` bytes; the rows are written in the target
    syntax from that TSV (``_serialize_solutions``).
    """
    sink = _LineSink(row_limit + 1, byte_limit)
    with contextlib.suppress(_LineSink.FullError):
        result.serialize(sink, format=ox.QueryResultsFormat.TSV)
    lines = sink.lines()
    return lines[0], lines[1:], sink.full


def _serialize_solutions(header: bytes, lines: list[bytes], syntax: ResultsSyntax) -> bytes:
    tsv = header + b"".join(lines)
    if syntax.oxigraph == ox.QueryResultsFormat.TSV:
        return tsv
    return ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV).serialize(format=syntax.oxigraph)


def _fit(rows: list, byte_limit: int, write) -> tuple[bytes, int, bool]:
    """``write(rows)``, with as many of the first rows as fit in ``byte_limit`` bytes; (body, rows, cut).

    The size of an answer grows with its rows, so each retry keeps the share of rows that the
    last attempt's size allows; a few attempts at most.
    """
    kept = len(rows)
    body = write(rows)
    cut = False
    while len(body) > byte_limit and kept:
        kept = min(kept - 1, kept * byte_limit // len(body))
        body = write(rows[:kept])
        cut = True
    return body, kept, cut


def _not_acceptable(what: str, names: list[str]) -> str:
    return f"{what} can be sent as {', '.join(names)}; the request accepts none of them"


class _LineSink:
    """A binary sink that keeps whole lines, and stops the writer after ``lines`` lines or ``size`` bytes."""

    class FullError(Exception):
        """Raised inside the serialiser to stop it."""

    def __init__(self, lines: int, size: int) -> None:
        self.max_lines = lines
        self.max_size = size
        self.data = bytearray()
        self.seen_lines = 0
        self.full = False

    def write(self, data: bytes) -> int:
        self.data += data
        self.seen_lines += data.count(b"\n")
        if self.seen_lines > self.max_lines or len(self.data) > self.max_size:
            self.full = True
            raise self.FullError
        return len(data)

    def flush(self) -> None:
        pass

    def lines(self) -> list[bytes]:
        """The whole lines written, at most ``lines`` of them: a line cut by the stop is dropped."""
        lines = bytes(self.data).splitlines(keepends=True)
        self.data = bytearray()
        if lines and not lines[-1].endswith(b"\n"):
            lines.pop()
        return lines[: self.max_lines]
