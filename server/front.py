"""The HTTP front: the application granian runs in each HTTP process (RSGI), with the Flask app behind it.

Granian (Rust, on hyper) reads requests and writes responses on an event loop: a connection
costs no thread, however slow its client. What granian leaves to the application, this does:

- ``/health`` is answered here, on the event loop: never behind a busy thread, never waiting for
  a query worker.
- A query (``/sparql``, GET or POST, with a query) is answered here too (``server.sparql``): from
  the result cache on the event loop, else by its worker, waited for in a thread. Flask, which
  costs more than a light query, answers the rest.
- A request's body is read here, at most ``MAX_CONTENT_LENGTH`` bytes (else 413, chunked or not)
  within ``BODY_TIMEOUT`` seconds (else 408); a malformed chunked body gets 400. The bodies held
  at once take at most ``BODY_BUDGET`` bytes (else 503).
- Flask runs in a pool of ``THREADS`` threads (queries wait there for their worker); a request
  that finds no free thread within ``QUEUE_TIMEOUT`` seconds gets 503 with ``Retry-After``.
- An answer in memory goes out as bytes; a long one (``server.bodies.FileBody``) is handed to
  granian as a file, which it sends as the client reads: a slow reader holds a file, not memory.
- A connection that stalls (``server.connections``) is closed after ``IDLE_TIMEOUT`` seconds.
- A connection is closed (``Connection: close``) after ``REQUESTS_PER_CONNECTION`` requests, as
  nginx and Apache do: a few long-lived connections, whose HTTP process the kernel picked once,
  then spread over the processes again when their clients reconnect.

Every refusal made here is one line of text, as Flask's are. Requests that granian itself
refuses (malformed HTTP, too long a URL or headers) get hyper's status with an empty body.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import sys
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache, partial
from typing import Any

from flask import Flask
from werkzeug.http import parse_accept_header
from werkzeug.sansio.utils import get_current_url, get_host

from server import sparql
from server.bodies import FileBody
from server.connections import ConnectionWatch
from server.errors import BusyError, status_for
from server.headers import ANSWER_HEADERS
from server.proctree import children, memory_bytes
from server.protocol import Call, Query, parse_request

log = logging.getLogger(__name__)
access_log = logging.getLogger("server.access")

#: Set by ``kg serve`` when it serves the last good build because the inputs do not build: /health says so.
WARNING_VARIABLE = "KG_SERVE_WARNING"
#: Requests served on one connection before it is closed: a 2 % cost for reconnecting, measured
#: against up to a halving of throughput when connections cling to one HTTP process (bench/README.md).
REQUESTS_PER_CONNECTION = 50
#: Connections whose request count is remembered (the oldest forgotten first): a bound on memory.
_COUNTED_CONNECTIONS = 10_000
#: Seconds the memory figure of ``/health`` is reused: reading /proc costs more than the rest.
_MEMORY_EVERY = 1.0
#: Seconds granian gets to open a file handed to it (it does at once) before the front closes its descriptor.
_OPEN_WAIT = 5.0
#: Bytes of request bodies an HTTP process holds at once (read, or waiting for a thread).
BODY_BUDGET = 64 * 1024 * 1024
#: Header values hyper accepts (visible ASCII, space, tab); any other header is dropped with a warning.
_HEADER_VALUE = frozenset(range(0x20, 0x7F)) | {0x09}


class Refusal(Exception):
    """A request refused by the front: its status, a one-line message, and headers."""

    def __init__(self, status: int, message: str, headers: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.headers = list(headers)
        #: True once the access log has its line.
        self.logged = False


class Front:
    """The RSGI application of one HTTP process.

    :param app: the Flask app (``server.app.create_app``), whose ``kg.endpoint`` extension holds the query workers.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.config = app.config
        self.endpoint = app.extensions["kg.endpoint"]
        self.threads = ThreadPoolExecutor(self.config["THREADS"], thread_name_prefix="kg-http")
        self.watch = ConnectionWatch(self.config["IDLE_TIMEOUT"])
        self._slots: asyncio.Semaphore | None = None
        self._served: OrderedDict[str, int] = OrderedDict()
        self._memory: tuple[float, int] = (0.0, 0)
        #: Bytes of request bodies held now.
        self._bodies = 0

    # --- granian's hooks ------------------------------------------------------------------------

    def __rsgi_init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._slots = asyncio.Semaphore(self.config["THREADS"])
        self.watch.start()

    def __rsgi_del__(self, loop: asyncio.AbstractEventLoop) -> None:
        """The HTTP process stops: its query workers stop with it (they would anyway: they die with it)."""
        self.watch.stop()
        self.endpoint.executor.close()
        self.threads.shutdown(wait=False, cancel_futures=True)

    async def __rsgi__(self, scope: Any, protocol: Any) -> None:
        if scope.proto != "http":  # websockets: not served
            protocol.close(403)
            return
        started = time.perf_counter()
        try:
            if scope.path == "/health" and scope.method in ("GET", "HEAD"):
                self._health(protocol)
                return
            body = await self._read_body(scope, protocol)
            try:
                query = self._query(scope, body, started) if scope.path == "/sparql" else None
                if query is not None:
                    await self._answer(scope, protocol, query, started)
                else:
                    await self._respond(scope, protocol, body)
            finally:
                self._bodies -= len(body)
        except Refusal as refusal:
            _refuse(protocol, refusal)
            if scope.path == "/sparql" and not refusal.logged:
                sparql.log_query(refusal.status, started)
        except Exception:
            log.exception("the front failed on %s %s", scope.method, scope.path)
            _refuse(protocol, Refusal(500, "500 Internal Server Error: the server failed; the log says why"))

    # --- the parts ------------------------------------------------------------------------------

    def _health(self, protocol: Any) -> None:
        """200 while the query workers can take queries (replacements included); 503 before the first is ready."""
        workers = self.endpoint.executor.status()
        ready = workers.pop("ready")
        body = {"status": "ok" if ready else "starting", "workers": workers, "memory_mib": self._memory_mib()}
        if os.environ.get(WARNING_VARIABLE):  # kg serve kept the last good build: the inputs do not build
            body["warning"] = os.environ[WARNING_VARIABLE]
        protocol.response_bytes(
            200 if ready else 503,
            [("content-type", "application/json"), ("cache-control", "no-store"), *_CORS],
            json.dumps(body).encode() + b"\n",
        )

    def _memory_mib(self) -> float:
        """PSS of this HTTP process and its query workers, in MiB, read at most once a second."""
        read_at, size = self._memory
        now = time.monotonic()
        if now - read_at > _MEMORY_EVERY:
            size = memory_bytes([os.getpid(), *children(os.getpid())])
            self._memory = (now, size)
        return round(size / (1 << 20), 1)

    async def _read_body(self, scope: Any, protocol: Any) -> bytes:
        """The request's body, whole, within the size and time limits.

        Granian's body stream ends with one empty piece; when the body was malformed (a bad chunk
        size, a body cut short) or carried trailers, it ends with two, and that is the only sign.

        :raises Refusal: 413 for too long a body, 408 when it does not arrive in time, 400 when malformed,
            503 when the bodies held would take more than ``BODY_BUDGET``.
        """
        limit = self.config["MAX_CONTENT_LENGTH"]
        length = scope.headers.get("content-length")
        chunked = "chunked" in scope.headers.get("transfer-encoding", "").lower()
        if not chunked and length is not None and int(length) > limit:
            raise _too_long(limit)
        if not chunked and not length:
            return b""
        pieces, size, ends = [], 0, 0
        try:
            async with asyncio.timeout(self.config["BODY_TIMEOUT"]):
                async for piece in protocol:
                    if not piece:
                        ends += 1
                        continue
                    size += len(piece)
                    if size > limit:
                        raise _too_long(limit)
                    if self._bodies + len(piece) > BODY_BUDGET:
                        raise Refusal(503, "the server holds too many request bodies: retry in 1 s", [_RETRY, _CLOSE])
                    self._bodies += len(piece)
                    pieces.append(piece)
        except BaseException as error:
            self._bodies -= sum(len(piece) for piece in pieces)
            if isinstance(error, TimeoutError):
                seconds = f"{self.config['BODY_TIMEOUT']:g}"
                raise Refusal(408, f"the request body did not arrive within {seconds} s", [_CLOSE]) from None
            raise
        if ends > 1:
            self._bodies -= size
            raise Refusal(
                400, "the request body is malformed (a bad chunk size, or cut short) or carries trailers", [_CLOSE]
            )
        return b"".join(pieces)

    def _query(self, scope: Any, body: bytes, started: float) -> Query | None:
        """The query a GET or POST to ``/sparql`` carries; None for no query, or for a request left to Flask.

        :raises Refusal: for a request the protocol refuses (the same one line Flask would send).
        """
        if scope.method not in ("GET", "POST"):
            return None
        headers = scope.headers
        try:
            call = Call.with_content_type(
                scope.method, scope.query_string.encode("latin-1"), headers.get("content-type"), body,
                _joined(headers, "accept"), self._base_url(scope),
            )  # fmt: skip
            return parse_request(call, max_query_length=self.config["MAX_QUERY_LENGTH"])
        except Exception as error:  # noqa: BLE001 - every error is an answer; a bug's is a 500 and a logged traceback
            raise self._refusal(error, started) from None

    async def _answer(self, scope: Any, protocol: Any, query: Query, started: float) -> None:
        """Answer a query on the event loop: from the result cache, or from a worker free at once (a long query is
        waited for in a thread); a query that must wait for a worker waits in a thread."""
        endpoint: sparql.Endpoint = self.endpoint
        etag = endpoint.etag(query, scope.method)
        gzip = {
            "accepts_gzip": _accepts_gzip(_joined(scope.headers, "accept-encoding")),
            "gzip_min": self.config["GZIP_MIN_BYTES"],
        }
        shape = partial(sparql.reply, etag=etag, **gzip)
        client = _address(scope.client)

        def run() -> tuple[sparql.Reply, str]:
            found, cache = endpoint.answer(query.request, cacheable=query.deterministic, client=client, key=query.key)
            return shape(found), cache

        try:
            if sparql.is_current(etag, _joined(scope.headers, "if-none-match") or None):
                reply, cache = sparql.not_modified(etag), "-"
            else:
                cached = endpoint.cached(query)
                found = (
                    (cached, "hit")
                    if cached
                    else await endpoint.answer_soon(query, client=client, threads=self.threads)
                )
                if found is None:  # it waits for a worker, or for the same query's run: in a thread
                    reply, cache = await self._in_thread(run)
                elif sparql.needs_thread(found[0], **gzip):
                    reply, cache = await self._in_thread(lambda: (shape(found[0]), found[1]))
                else:
                    reply, cache = shape(found[0]), found[1]
        except Refusal:
            raise
        except Exception as error:  # noqa: BLE001 - as in _query
            raise self._refusal(error, started, query) from None
        self._send(scope, protocol, reply.status, [*reply.headers, *ANSWER_HEADERS], reply.body)
        sparql.log_query(reply.status, started, rows=reply.rows, truncated=reply.truncated, cache=cache,
                         query=sparql.query_hash(query))  # fmt: skip

    def _refusal(self, error: Exception, started: float, query: Query | None = None) -> Refusal:
        """The one-line refusal for an error raised by a query (the status ``server.errors`` maps its type to).

        It is logged as Flask's error handlers log it: a bug with its traceback, any other error as a query's line.
        """
        status = status_for(error)
        if status is None:
            log.error("the query failed on a bug", exc_info=error)
            refusal = Refusal(500, "500 Internal Server Error: the server failed; the log says why")
        else:
            retry = [("Retry-After", str(error.retry_after))] if isinstance(error, BusyError) else []
            refusal = Refusal(status, str(error), retry)
        refusal.logged = True
        sparql.log_query(refusal.status, started, query=sparql.query_hash(query) if query else "-")
        return refusal

    def _base_url(self, scope: Any) -> str:
        """The request's URL without its query string, as Flask reads it (``request.base_url``)."""
        return _base_url(scope.scheme, scope.headers.get("host"), scope.server, scope.path)

    async def _in_thread(self, work: Callable[[], Any]) -> Any:
        """``work()`` in a free thread of the pool, waited for at most ``QUEUE_TIMEOUT`` seconds.

        :raises Refusal: 503 when no thread came free in time.
        """
        slots = self._slots
        assert slots is not None
        try:
            async with asyncio.timeout(self.config["QUEUE_TIMEOUT"]):
                await slots.acquire()
        except TimeoutError:
            threads = self.config["THREADS"]
            raise Refusal(
                503, f"the server is busy: its {threads} threads are all taken: retry in 1 s", [_RETRY]
            ) from None
        try:
            return await asyncio.get_running_loop().run_in_executor(self.threads, work)
        finally:
            slots.release()

    async def _respond(self, scope: Any, protocol: Any, body: bytes) -> None:
        """Run the Flask app in a free thread (within ``QUEUE_TIMEOUT``) and send what it answers."""
        environ = self._environ(scope, body)
        status, headers, result = await self._in_thread(lambda: _call(self.app, environ))
        self._send(
            scope, protocol, status, [(name, value) for name, value in headers if _sendable(name, value)], result
        )

    def _send(
        self, scope: Any, protocol: Any, status: int, headers: list[tuple[str, str]], body: bytes | FileBody
    ) -> None:
        if self._last_on_connection(scope.client):
            headers.append(_CLOSE)
        if isinstance(body, FileBody):
            _send_file(protocol, status, headers, body)
        else:
            protocol.response_bytes(status, headers, body)

    def _environ(self, scope: Any, body: bytes) -> dict[str, Any]:
        """The WSGI environ of a request (PEP 3333), its body already read."""
        server_host, _, server_port = scope.server.rpartition(":")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": scope.method,
            "SCRIPT_NAME": "",
            "PATH_INFO": scope.path.encode("utf-8").decode("latin-1"),
            "QUERY_STRING": scope.query_string,
            "SERVER_NAME": server_host.strip("[]"),
            "SERVER_PORT": server_port,
            "SERVER_PROTOCOL": f"HTTP/{scope.http_version}",
            "REMOTE_ADDR": _address(scope.client),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": scope.scheme,
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        for name in scope.headers.keys():  # noqa: SIM118 - granian's headers are no dict: keys() lists each name once
            if name in ("content-length", "transfer-encoding"):
                continue
            values = scope.headers.get_all(name)
            key = name.upper().replace("-", "_")
            key = key if key == "CONTENT_TYPE" else f"HTTP_{key}"
            environ[key] = ("; " if name == "cookie" else ", ").join(values)
        if body or scope.method in ("POST", "PUT", "PATCH"):
            environ["CONTENT_LENGTH"] = str(len(body))
        return environ

    def _last_on_connection(self, client: str) -> bool:
        """Count a request on the connection from ``client`` (address:port); True when it is the last one."""
        served = self._served.pop(client, 0) + 1
        if served >= REQUESTS_PER_CONNECTION:
            return True
        self._served[client] = served
        if len(self._served) > _COUNTED_CONNECTIONS:
            self._served.popitem(last=False)
        return False


#: CORS and the security headers on the front's own answers, as on Flask's (``server.headers``).
_CORS = [(name.lower(), value) for name, value in ANSWER_HEADERS]
_CLOSE = ("connection", "close")
_RETRY = ("retry-after", "1")


def _too_long(limit: int) -> Refusal:
    return Refusal(413, f"the request body is over {limit} bytes, this endpoint's limit", [_CLOSE])


def _refuse(protocol: Any, refusal: Refusal) -> None:
    headers = [("content-type", "text/plain; charset=utf-8"), *_CORS, *refusal.headers]
    protocol.response_bytes(refusal.status, headers, f"{refusal}\n".encode())


def _call(app: Flask, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes | FileBody]:
    """Call the WSGI app (in a thread of the pool); its status, headers, and body as bytes or a FileBody."""
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info=None) -> Callable:
        answer["status"], answer["headers"] = int(status.split(" ", 1)[0]), headers
        return lambda data: None

    result = app(environ, start_response)
    try:
        body = result if isinstance(result, FileBody) else b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return answer["status"], answer["headers"], body


def _joined(headers: Any, name: str) -> str:
    """Every value of the header ``name`` joined with commas, as one header; "" when there is none."""
    return ", ".join(headers.get_all(name))


@lru_cache(maxsize=64)
def _base_url(scheme: str, host: str | None, server: str, path: str) -> str:
    """``request.base_url`` of a request to ``path`` with this ``Host`` header, remembered: reading it takes 30 us."""
    server_host, _, server_port = server.rpartition(":")
    host = get_host(scheme, host, (server_host.strip("[]"), int(server_port or 0)))
    return get_current_url(scheme, host, "", path)


@lru_cache(maxsize=64)
def _accepts_gzip(accept_encoding: str) -> bool:
    """True when an ``Accept-Encoding`` header accepts gzip, as Flask reads it (``request.accept_encodings``)."""
    return bool(parse_accept_header(accept_encoding)["gzip"])


def _address(client: str) -> str:
    """The address part of granian's ``address:port`` (IPv6 in brackets), as Flask's ``remote_addr``."""
    return client.rpartition(":")[0].strip("[]")


def _sendable(name: str, value: str) -> bool:
    if all(ord(c) in _HEADER_VALUE for c in value):
        return True
    log.warning("dropped the response header %s: hyper sends visible ASCII only", name)
    return False


def _send_file(protocol: Any, status: int, headers: list[tuple[str, str]], body: FileBody) -> None:
    """Have granian send the file from disk, by the name ``/proc/self/fd/N`` of a descriptor of our own.

    Granian opens the file by name as it starts the response (an unnamed temporary file has no
    other name); the descriptor is closed ``_OPEN_WAIT`` seconds later, when granian holds its own.
    """
    fd = os.dup(body.file.fileno())
    try:
        protocol.response_file(status, headers, f"/proc/self/fd/{fd}")
    finally:
        asyncio.get_running_loop().call_later(_OPEN_WAIT, os.close, fd)
