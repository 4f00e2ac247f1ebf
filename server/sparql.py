"""The endpoint's route, ``/sparql``: queries and the service description; ``/health`` is the front's.

A request with a query is answered by the front (``server.front``) on its event loop: an answer
in the result cache goes out from there, a query that must run waits for its worker in a thread;
no Flask in between. Flask answers what is left of ``/sparql`` (the service description, HEAD,
preflights and refused methods) through the same ``reply`` below, so that an answer is the same
whichever of the two sends it.

Each request with a query is logged on one line (time, status, duration, rows, a hash of the
query), never with the query itself: it may be long, and it is the client's business.
A long answer comes from its worker in a temporary file (``server.executor.Answer.spool``) and
goes out as a ``FileBody``, gzipped into another file when the client asks: never whole in memory.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import time
from concurrent.futures import Executor as Threads
from dataclasses import dataclass

import pyoxigraph as ox
from flask import Blueprint, Flask, Response, current_app, g, has_request_context, request
from werkzeug.http import parse_etags, quote_etag

from kg.dataset import Manifest
from kg.errors import UnsupportedFormat
from kg.formats import GRAPH_SYNTAXES, RDF_SYNTAXES, RESULTS_SYNTAXES
from server.bodies import GZIP_LEVEL, FileBody, gzipped
from server.cache import ResultCache
from server.description import PREFIXES, describe_service
from server.executor import Answer, Executor
from server.frames import QueryRequest
from server.headers import content_type
from server.protocol import Call, Query, choose_formats, parse_request

bp = Blueprint("sparql", __name__)
access_log = logging.getLogger("server.access")


@dataclass
class Endpoint:
    """What the routes share: the workers, the served dataset, the cache."""

    executor: Executor
    #: The served build and extra graphs; None when a remote backend answers (its graphs are unknown here).
    manifest: Manifest | None
    cache: ResultCache | None
    #: Changes whenever the answers may: the build, the extra graphs, the row limit. None: no ETags,
    #: because nothing here knows when the answers change (a remote backend).
    etag_seed: str | None

    def answer(
        self, query: QueryRequest, *, cacheable: bool, client: str | None = None, key: bytes | None = None
    ) -> tuple[Answer, str]:
        """The answer, from the cache when it may be and is there; and 'hit', 'miss' or 'off'.

        :param cacheable: the answer is the same each time (no NOW(), RAND() ...).
        :param client: who asks, for the workers' turns: by default the remote address of the request
            being served (a page's queries are its visitor's).
        :param key: ``query.digest()``, when the caller has it already.
        """
        if client is None:
            client = (request.remote_addr if has_request_context() else None) or "-"
        if self.cache is None or not cacheable:
            return self.executor.run(query, client=client, shared=cacheable, key=key), "off"
        key = key or query.digest()
        answer = self.cache.get(key)
        if answer is not None:
            return answer, "hit"
        answer = self.executor.run(query, client=client, shared=True, key=key)
        self.cache.put(key, answer)
        return answer, "miss"

    async def answer_soon(self, query: Query, *, client: str, threads: Threads) -> tuple[Answer, str] | None:
        """``answer``, from an event loop, for a query not in the cache that a worker can take at once; else None.

        See ``Executor.run_soon``: a query that turns out long is waited for in one of ``threads``.
        """
        cacheable = query.deterministic
        answer = await self.executor.run_soon(
            query.request, threads=threads, client=client, shared=cacheable, key=query.key
        )
        if answer is None:
            return None
        if self.cache is None or not cacheable:
            return answer, "off"
        self.cache.put(query.key, answer)
        return answer, "miss"

    def cached(self, query: Query) -> Answer | None:
        """The answer to ``query`` if the result cache has it: a look-up that never waits for a worker."""
        if self.cache is None or not query.deterministic:
            return None
        return self.cache.get(query.key)

    def etag(self, query: Query, method: str) -> str | None:
        """The ETag of the answer to ``query``, for a GET whose answer cannot change; else None.

        The URL fixes the query and dataset; Accept or format= fix the syntax of each kind of result.
        """
        if not self.etag_seed or method not in ("GET", "HEAD") or not query.deterministic:
            return None
        return f"{self.etag_seed}-{query.request.results_format}-{query.request.graph_format}"


@dataclass(frozen=True)
class Reply:
    """A response to a query, but for the headers every response gets (``server.headers``)."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes | FileBody
    #: For the access log: rows in the answer ("-" for none) and whether they were cut.
    rows: str = "-"
    truncated: bool = False


def not_modified(etag: str) -> Reply:
    """304 for a client whose copy (``If-None-Match``) is the current one."""
    return Reply(304, [("ETag", quote_etag(etag, weak=True)), ("Vary", "Accept")], b"")


def is_current(etag: str | None, if_none_match: str | None) -> bool:
    """True when the client's ``If-None-Match`` names ``etag`` (weakly)."""
    return etag is not None and if_none_match is not None and parse_etags(if_none_match).contains_weak(etag)


def reply(answer: Answer, *, etag: str | None, accepts_gzip: bool, gzip_min: int) -> Reply:
    """The response carrying ``answer``: gzipped when the client accepts it and it is at least ``gzip_min`` bytes.

    A long answer (in a file) is gzipped into another file, read and written a piece at a time:
    call this from a thread, not from an event loop, unless the answer is short and not gzipped.
    """
    registry = RDF_SYNTAXES if answer.kind == "graph" else RESULTS_SYNTAXES
    headers = [
        ("Content-Type", content_type(registry[answer.format].media_type)),
        ("X-Result-Rows", str(answer.rows)),
        ("X-Result-Truncated", "true" if answer.truncated else "false"),
        ("Vary", "Accept, Accept-Encoding" if accepts_gzip else "Accept"),
    ]
    if etag:
        headers.append(("ETag", quote_etag(etag, weak=True)))
    body: bytes | FileBody = answer.body
    if answer.spool is not None:
        file = gzipped(answer.spool) if accepts_gzip else answer.spool
        body = FileBody(file)
        headers.append(("Content-Length", str(body.length)))
    elif accepts_gzip and answer.length >= gzip_min:
        body = gzip.compress(answer.body, compresslevel=GZIP_LEVEL, mtime=0)
    if accepts_gzip and (answer.spool is not None or answer.length >= gzip_min):
        headers.append(("Content-Encoding", "gzip"))
    return Reply(200, headers, body, str(answer.rows), answer.truncated)


def needs_thread(answer: Answer, *, accepts_gzip: bool, gzip_min: int) -> bool:
    """True when making the reply to ``answer`` reads or compresses enough to keep an event loop waiting."""
    return answer.spool is not None or (accepts_gzip and answer.length >= gzip_min)


def query_hash(query: Query) -> str:
    """The query's name in the access log: the start of a hash of its text."""
    return hashlib.sha256(query.request.query.encode()).hexdigest()[:12]


def log_query(status: int, started: float, *, rows: str = "-", truncated: bool = False, cache: str = "-",
              query: str = "-") -> None:  # fmt: skip
    """The access log's line for a request to ``/sparql``; ``started`` by ``time.perf_counter()``."""
    milliseconds = (time.perf_counter() - started) * 1000
    cut = " truncated" if truncated else ""
    access_log.info("%s %.1fms rows=%s%s cache=%s query=%s", status, milliseconds, rows, cut, cache, query)


def init_app(app: Flask, endpoint: Endpoint) -> None:
    app.extensions["kg.endpoint"] = endpoint
    if not access_log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        access_log.addHandler(handler)
        access_log.setLevel(logging.INFO)
        access_log.propagate = False
    app.register_blueprint(bp)


def _endpoint() -> Endpoint:
    return current_app.extensions["kg.endpoint"]


@bp.before_request
def _start_clock() -> None:
    g.started = time.perf_counter()


@bp.after_request
def _log_query(response: Response) -> Response:
    if request.endpoint == "sparql.query":  # refused requests too; those with no query log query=-
        truncated = response.headers.get("X-Result-Truncated") == "true"
        rows = response.headers.get("X-Result-Rows", "-")
        log_query(response.status_code, g.started, rows=rows, truncated=truncated, cache=g.get("cache", "-"),
                  query=g.get("query_hash", "-"))  # fmt: skip
    return response


@bp.route("/sparql", methods=["GET", "POST"])
def query() -> Response:
    """What the front leaves to Flask: the service description (no query), and HEAD."""
    parsed = parse_request(Call.of(request), max_query_length=current_app.config["MAX_QUERY_LENGTH"])
    if parsed is None:
        return _service_description()
    g.query_hash = query_hash(parsed)
    endpoint = _endpoint()
    etag = endpoint.etag(parsed, request.method)
    if is_current(etag, request.headers.get("If-None-Match")):
        answer = not_modified(etag)
    else:
        found, g.cache = endpoint.answer(parsed.request, cacheable=parsed.deterministic, key=parsed.key)
        accepts_gzip = bool(request.accept_encodings["gzip"])
        answer = reply(found, etag=etag, accepts_gzip=accepts_gzip, gzip_min=current_app.config["GZIP_MIN_BYTES"])
    passthrough = isinstance(answer.body, FileBody)
    return Response(answer.body, status=answer.status, headers=answer.headers, direct_passthrough=passthrough)


def _service_description() -> Response:
    _, graph_format = choose_formats(request.args.getlist("format"), request.headers.get("Accept"))
    syntax = GRAPH_SYNTAXES.get(graph_format or "")
    if syntax is None:
        names = ", ".join(s.media_type for s in GRAPH_SYNTAXES.values())
        raise UnsupportedFormat(f"the service description is available as {names}")
    endpoint = _endpoint()
    triples = describe_service(request.base_url, endpoint.manifest, current_app.config)
    body = ox.serialize(triples, format=syntax.oxigraph, prefixes=PREFIXES)
    response = Response(body, content_type=content_type(syntax.media_type))
    response.vary.add("Accept")
    return response
