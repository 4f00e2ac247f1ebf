"""What travels over a query worker's pipes: typed frames, each a JSON header and raw bytes after it.

The HTTP process sends a ``Job``; the worker answers ``Ready`` once it has loaded its dataset, then
``Answered`` (the results follow as the frame's body) or ``Failed`` for each job. A frame is two
big-endian lengths (header, body), the header as JSON naming its type, then the body, so the
reader can stream a large body rather than hold it: ``read_header`` returns the header and the
body's length, and the reader takes the body in pieces.
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Callable
from dataclasses import dataclass, fields
from functools import cache

#: Lengths of the JSON header and of the body that follow.
HEADER_LENGTHS = struct.Struct("!II")


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

    def digest(self) -> bytes:
        """32 bytes that tell requests apart, so that caches keep a hash rather than the query.

        >>> QueryRequest("ASK {}").digest() == QueryRequest("ASK {}").digest() != QueryRequest("ASK{}").digest()
        True
        """
        return hashlib.sha256(json.dumps(vars(self), sort_keys=True).encode()).digest()


@dataclass(frozen=True)
class Job:
    """A query for a worker, with the limits its answer must keep."""

    request: QueryRequest
    #: Rows (or triples) the answer may hold.
    row_limit: int
    #: Bytes the answer may take.
    byte_limit: int
    #: Seconds the query may run (the worker's CPU-time backstop; the supervisor kills it first).
    time_limit: float


@dataclass(frozen=True)
class Ready:
    """A new worker has loaded its dataset and shut itself in."""


@dataclass(frozen=True)
class Answered:
    """The results follow as the frame's body."""

    #: 'solutions', 'boolean' or 'graph'.
    kind: str
    #: The name of the syntax in ``kg.formats``.
    format: str
    rows: int
    #: True when the row or byte limit cut the results.
    truncated: bool


@dataclass(frozen=True)
class Failed:
    """The query failed in a way the client should hear of: the error's class name and its one-line message.

    ``error`` is ``"internal"`` for a bug in the worker (its log has the traceback).
    """

    error: str
    message: str


Frame = Job | Ready | Answered | Failed
_TYPES: dict[str, type] = {cls.__name__: cls for cls in (Job, Ready, Answered, Failed)}


def encode(frame: Frame, body: bytes = b"") -> bytes:
    """One frame: lengths, JSON header, body.

    >>> import io
    >>> stream = io.BytesIO(encode(Answered("boolean", "json", 1, False), b"ab"))
    >>> read_header(stream.read), stream.read()
    ((Answered(kind='boolean', format='json', rows=1, truncated=False), 2), b'ab')
    """
    data = json.dumps({"frame": type(frame).__name__, **_fields(frame)}).encode()
    return HEADER_LENGTHS.pack(len(data), len(body)) + data + body


def _fields(frame: Frame) -> dict:
    """A frame's fields, a request within a job as its own fields (``dataclasses.asdict`` copies deeply: 70x slower)."""
    fields = dict(vars(frame))
    if isinstance(frame, Job):
        fields["request"] = vars(frame.request)
    return fields


def read_header(read_exact: Callable[[int], bytes]) -> tuple[Frame, int]:
    """The next frame and the length of the body that follows it, read with ``read_exact(n)``.

    ``read_exact`` returns n bytes or raises (EOFError when the other side is gone).

    :raises ValueError: for a header that is not a frame of this module.
    """
    header_length, body_length = HEADER_LENGTHS.unpack(read_exact(HEADER_LENGTHS.size))
    return decode(json.loads(read_exact(header_length))), body_length


def decode(header: dict) -> Frame:
    """The frame a JSON header describes.

    >>> decode({"frame": "Job", "request": {"query": "ASK {}", "named_graph_uris": ["urn:g"]},
    ...         "row_limit": 1, "byte_limit": 2, "time_limit": 3.0}).request.named_graph_uris
    ('urn:g',)

    :raises ValueError: for an unknown frame type or missing or unknown fields.
    """
    kind = _TYPES.get(header.pop("frame", None))
    if kind is None:
        raise ValueError("not a frame")
    if kind is Job:
        request = header.get("request")
        if not isinstance(request, dict):
            raise ValueError("a Job frame without a request")
        header["request"] = _build(QueryRequest, request)
    return _build(kind, header)


@cache
def _names(kind: type) -> frozenset[str]:
    return frozenset(f.name for f in fields(kind))


def _build(kind: type, values: dict):
    if not _names(kind).issuperset(values):
        raise ValueError(f"unknown fields in a {kind.__name__} frame")
    try:
        built = kind(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})
    except TypeError:
        raise ValueError(f"a {kind.__name__} frame with missing fields") from None
    return built
