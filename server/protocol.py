"""The SPARQL 1.1 Protocol's side of a request: which query, over which dataset, answered in which format.

Parameters are decoded here, strictly, rather than by Werkzeug: Werkzeug replaces malformed
UTF-8 with U+FFFD, and the query would then run as something the client never sent.
The query text is read once (``kg.querytext.QueryText``, linear in its length) for what the
endpoint must know before a worker sees it: a SERVICE clause, how deeply it nests, whether its
answer may be cached.
Formats come from the registries in ``kg.formats``; nothing here lists a media type by hand.

A request comes in as a ``Call``, what the protocol reads of it, whichever server received it:
the front (``server.front``) answers queries itself, Flask the rest of ``/sparql``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol
from urllib.parse import unquote_to_bytes

import pyoxigraph as ox
from flask import Request
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header, parse_options_header

from kg.errors import UnsupportedFormat
from kg.formats import GRAPH_SYNTAXES, RESULTS_SYNTAXES, RdfSyntax, ResultsSyntax
from kg.querytext import QueryText
from server.errors import (
    OutsideDatasetError,
    ProtocolError,
    QueryTooDeepError,
    QueryTooLongError,
    ReadOnlyError,
    UnsupportedMediaTypeError,
)
from server.frames import QueryRequest

#: The request media types of the protocol.
FORM = "application/x-www-form-urlencoded"
DIRECT_QUERY = "application/sparql-query"
DIRECT_UPDATE = "application/sparql-update"
#: Parameters that may appear once only. (``format`` may repeat: SPARQLWrapper sends a name and a media type.)
_SINGLE = ("query", "infer")
#: More form fields than any SPARQL request needs.
_MAX_FIELDS = 200
#: How deeply brackets may nest in a query: far beyond any real query, and far below what
#: overflows the query engine's stack (about 2,000 nested groups on an 8 MiB stack).
MAX_DEPTH = 200
#: Bytes of URL query string and body up to which a request's reading is remembered: clients send
#: the same queries again and again, and reading one (decoding, scanning) costs more than running
#: a light query. 256 of them take about a MiB at most.
_REMEMBERED_BYTES = 4096


@dataclass(frozen=True)
class Call:
    """What the protocol reads of an HTTP request."""

    method: str
    #: The URL's query string, as sent.
    query_string: bytes
    #: The body's media type in lower case, without parameters; "" for none.
    media_type: str
    #: The body's ``charset`` parameter in lower case, or None.
    charset: str | None
    body: bytes
    accept: str | None
    #: The request's URL without its query string: relative IRIs in a query resolve against it.
    base_url: str

    @classmethod
    def of(cls, request: Request) -> Call:
        """The call a Flask request makes."""
        body = request.get_data(cache=False, parse_form_data=False) if request.method == "POST" else b""
        return cls.with_content_type(
            request.method, request.query_string, request.headers.get("Content-Type"), body,
            request.headers.get("Accept"), request.base_url,
        )  # fmt: skip

    @classmethod
    def with_content_type(
        cls, method: str, query_string: bytes, content_type: str | None, body: bytes, accept: str | None, base_url: str
    ) -> Call:
        """The call with the body's media type and charset read from a ``Content-Type`` header, as Werkzeug does."""
        media_type, options = parse_options_header(content_type)
        charset = options.get("charset")
        return cls(
            method, query_string, media_type.lower(), charset.lower() if charset else None, body, accept, base_url
        )


@dataclass(frozen=True)
class Query:
    """A query request, and what its text shows."""

    request: QueryRequest
    text: QueryText
    #: ``request.digest()``: the key of its answer in caches.
    key: bytes
    #: The answer is the same each time (no NOW(), RAND() ...): it may be cached and shared.
    deterministic: bool


class _Syntax(Protocol):
    name: str
    media_type: str
    aliases: tuple[str, ...]


def parse_request(call: Call, *, max_query_length: int) -> Query | None:
    """The query a protocol request carries, or None for a GET with no query (the service description).

    :raises ReadOnlyError: for any update, however it is sent.
    :raises UnsupportedMediaTypeError: for a POST that is neither a form nor a direct query, or not UTF-8.
    :raises ProtocolError: for two queries, bad UTF-8, a NUL, a bad graph IRI, or a bad ``infer``.
    :raises QueryTooLongError: for a query longer than ``max_query_length`` characters.
    :raises QueryTooDeepError: for brackets nested deeper than ``MAX_DEPTH``.
    :raises OutsideDatasetError: for a SERVICE clause.
    :raises UnsupportedFormat: when no offered format is acceptable.
    """
    if len(call.query_string) + len(call.body) <= _REMEMBERED_BYTES:
        return _remembered(call, max_query_length)
    return _parse(call, max_query_length)


@lru_cache(maxsize=256)
def _remembered(call: Call, max_query_length: int) -> Query | None:
    """``_parse``, remembered (errors are not: they are read again)."""
    return _parse(call, max_query_length)


def _parse(call: Call, max_query_length: int) -> Query | None:
    params = _params(call)
    if "update" in params:
        raise ReadOnlyError("this endpoint is read-only: SPARQL updates are not accepted")
    for name in _SINGLE:
        if len(params.get(name, ())) > 1:
            raise ProtocolError(f"the request has more than one {name!r} parameter")
    if "query" not in params:
        if call.method == "POST":
            raise ProtocolError("the request has no 'query' parameter")
        return None
    query = params["query"][0]
    if len(query) > max_query_length:
        raise QueryTooLongError(
            f"the query has {len(query)} characters; this endpoint accepts up to {max_query_length}"
        )
    text = QueryText.scan(query)
    if text.depth > MAX_DEPTH:
        raise QueryTooDeepError(
            f"the query nests brackets {text.depth} deep; this endpoint accepts up to {MAX_DEPTH}: simplify it"
        )
    if text.uses_service:
        raise OutsideDatasetError("SERVICE is not allowed: this endpoint answers from its own dataset only")
    results_format, graph_format = choose_formats(params.get("format", []), call.accept)
    parsed = QueryRequest(
        query=query,
        default_graph_uris=_iris(params, "default-graph-uri"),
        named_graph_uris=_iris(params, "named-graph-uri"),
        infer=_infer(_single(params, "infer")),
        results_format=results_format,
        graph_format=graph_format,
        base_iri=call.base_url,
    )
    return Query(parsed, text, parsed.digest(), text.is_deterministic)


def _params(call: Call) -> dict[str, list[str]]:
    """Every parameter of the URL and, for a form, of the body; a direct query becomes ``query``."""
    params = _decode_form(call.query_string)
    if call.method == "POST":
        media_type = call.media_type
        if media_type == DIRECT_UPDATE:
            raise ReadOnlyError("this endpoint is read-only: SPARQL updates are not accepted")
        if media_type not in (FORM, DIRECT_QUERY):
            sent = media_type or "no media type"
            raise UnsupportedMediaTypeError(f"POST a query as {FORM} or {DIRECT_QUERY}, not {sent}")
        charset = call.charset or "utf-8"
        if charset not in ("utf-8", "utf8"):
            raise UnsupportedMediaTypeError(f"send the request in UTF-8, not {charset}")
        if media_type == FORM:
            for name, values in _decode_form(call.body).items():
                params.setdefault(name, []).extend(values)
        else:
            params.setdefault("query", []).append(_utf8(call.body))
    if any("\0" in value for values in params.values() for value in values):
        raise ProtocolError("the request contains a NUL character")
    return params


def _decode_form(data: bytes) -> dict[str, list[str]]:
    """``application/x-www-form-urlencoded`` data, decoded as UTF-8 without repair.

    The bytes are unquoted first and decoded after, so any UTF-8 text comes through
    (``urllib.parse.parse_qsl`` on bytes fails on anything but ASCII).

    >>> _decode_form(b"query=ASK+%7B+%3Fs+%3Fp+%22%C3%A9%E2%80%99%22+%7D&format=json&empty")
    {'query': ['ASK { ?s ?p "é’" }'], 'format': ['json'], 'empty': ['']}
    """
    fields = [field for field in data.split(b"&") if field]
    if len(fields) > _MAX_FIELDS:
        raise ProtocolError(f"the request has more than {_MAX_FIELDS} parameters")
    params: dict[str, list[str]] = {}
    for field in fields:
        name, _, value = field.partition(b"=")
        params.setdefault(_utf8(_unquote(name)), []).append(_utf8(_unquote(value)))
    return params


def _unquote(data: bytes) -> bytes:
    return unquote_to_bytes(data.replace(b"+", b" "))


def _utf8(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ProtocolError(f"the request is not valid UTF-8 (byte {error.start})") from None


def _single(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    return values[0] if values else None


def _iris(params: dict[str, list[str]], name: str) -> tuple[str, ...]:
    iris = tuple(params.get(name, ()))
    for iri in iris:
        try:
            ox.NamedNode(iri)
        except ValueError:
            raise ProtocolError(f"{name} must be an absolute IRI, not {iri[:100]!r}") from None
    return iris


def _infer(value: str | None) -> bool:
    if value is None or value.lower() == "true":
        return True
    if value.lower() == "false":
        return False
    raise ProtocolError(f"infer must be true or false, not {value[:20]!r}")


def choose_formats(format_values: Sequence[str], accept: str | None) -> tuple[str | None, str | None]:
    """The syntax names for SELECT/ASK and for CONSTRUCT/DESCRIBE results; ``format=`` overrides Accept.

    Which one applies is known only once the query is parsed, so both are chosen now. For each
    kind, the first ``format`` value that names a syntax of that kind wins: clients send ``format``
    more than once (SPARQLWrapper sends ``format=tsv&format=text/tab-separated-values``). ``xml``
    names both SPARQL XML results and RDF/XML, as clients mean it.

    >>> choose_formats([], "text/csv;q=0.5, text/turtle")
    ('csv', 'turtle')
    >>> choose_formats(["tsv"], "application/sparql-results+json")
    ('tsv', None)
    >>> choose_formats(["xml", "application/sparql-results+xml"], "application/rdf+xml")
    ('xml', 'rdfxml')
    >>> choose_formats(["turtle"], "*/*")
    (None, 'turtle')
    >>> choose_formats([], None)
    ('json', 'turtle')

    :raises UnsupportedFormat: when no ``format`` value names a syntax, or no kind has an acceptable one.
    """
    return _choose_formats(tuple(format_values), accept)


@lru_cache(maxsize=256)
def _choose_formats(format_values: tuple[str, ...], accept: str | None) -> tuple[str | None, str | None]:
    """``choose_formats``, remembered: clients send the same few Accept headers again and again."""
    named = [
        (find_syntax(v, RESULTS_SYNTAXES.values()), find_syntax(v, GRAPH_SYNTAXES.values())) for v in format_values
    ]
    if format_values and not any(r or g for r, g in named):
        names = ", ".join([*RESULTS_SYNTAXES, *GRAPH_SYNTAXES])
        raise UnsupportedFormat(f"unknown format {format_values[0][:40]!r}; choose one of {names}")
    if format_values:
        results, graph = next((r for r, _ in named if r), None), next((g for _, g in named if g), None)
    else:
        results, graph = negotiate(accept, RESULTS_SYNTAXES.values()), negotiate(accept, GRAPH_SYNTAXES.values())
    if results is None and graph is None:
        raise UnsupportedFormat(
            f"no acceptable format: SELECT and ASK give {_types(RESULTS_SYNTAXES.values())}; "
            f"CONSTRUCT and DESCRIBE give {_types(GRAPH_SYNTAXES.values())}"
        )
    return (results.name if results else None), (graph.name if graph else None)


def find_syntax(value: str, syntaxes: Iterable[_Syntax]) -> _Syntax | None:
    """The syntax with this name or media type, or None.

    >>> find_syntax("application/sparql-results+xml", RESULTS_SYNTAXES.values()).name
    'xml'
    >>> find_syntax("turtle", RESULTS_SYNTAXES.values()) is None
    True
    """
    value = value.strip().lower()
    return next((s for s in syntaxes if value == s.name or value in (s.media_type, *s.aliases)), None)


def negotiate(accept: str | None, syntaxes: Iterable[_Syntax]) -> _Syntax | None:
    """The syntax the Accept header prefers, by q-value; the registry's order breaks ties.

    Each media type takes the q-value of the most specific range that matches it, so
    ``*/*, text/csv;q=0`` excludes CSV. No Accept header means ``*/*``.

    >>> negotiate("text/csv;q=0.5, application/sparql-results+xml", RESULTS_SYNTAXES.values()).name
    'xml'
    >>> negotiate("*/*, application/sparql-results+json;q=0", RESULTS_SYNTAXES.values()).name
    'xml'
    >>> negotiate("text/*", RESULTS_SYNTAXES.values()).name
    'csv'
    >>> negotiate("image/png", RESULTS_SYNTAXES.values()) is None
    True
    """
    ranges = [(value.split(";")[0].strip().lower(), q) for value, q in parse_accept_header(accept or "*/*", MIMEAccept)]
    best, best_q = None, 0.0
    for syntax in syntaxes:
        _, q = max(_match(ranges, media_type) for media_type in (syntax.media_type, *syntax.aliases))
        if q > best_q:
            best, best_q = syntax, q
    return best


def _match(ranges: Sequence[tuple[str, float]], media_type: str) -> tuple[int, float]:
    """(specificity, q-value) of the most specific range matching ``media_type``; (0, 0) when none does.

    Specificity first: across a syntax's media types too, so an alias that only ``*/*`` matches
    does not undo an explicit ``q=0`` on the main type.
    """
    major = media_type.split("/")[0]
    ranks = {media_type: 3, f"{major}/*": 2, "*/*": 1}
    return max(((ranks[value], q) for value, q in ranges if value in ranks), default=(0, 0.0))


def _types(syntaxes: Iterable[ResultsSyntax | RdfSyntax]) -> str:
    return ", ".join(s.media_type for s in syntaxes)
