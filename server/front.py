"""The HTTP front: the application granian runs in each HTTP process (RSGI), with the Flask app behind it.

Granian (Rust, on hyper) reads requests and writes responses on an event loop: a connection
costs no thread, however slow its client. What granian leaves to the application, this does:

- ``/health`` is answered here, on the event loop: never behind a busy thread, never waiting for
  a query worker.
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
from typing import Any

from flask import Flask

from server.bodies import FileBody
from server.connections import ConnectionWatch
from server.headers import SECURITY_HEADERS
from server.proctree import children, memory_bytes

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
                await self._respond(scope, protocol, body)
            finally:
                self._bodies -= len(body)
        except Refusal as refusal:
            _refuse(protocol, refusal)
            if scope.path == "/sparql":
                milliseconds = (time.perf_counter() - started) * 1000
                access_log.info("%s %.1fms rows=- cache=- query=-", refusal.status, milliseconds)
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

    async def _respond(self, scope: Any, protocol: Any, body: bytes) -> None:
        """Run the Flask app in a free thread (within ``QUEUE_TIMEOUT``) and send what it answers."""
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
            environ = self._environ(scope, body)
            status, headers, result = await asyncio.get_running_loop().run_in_executor(
                self.threads, _call, self.app, environ
            )
        finally:
            slots.release()
        headers = [(name, value) for name, value in headers if _sendable(name, value)]
        if self._last_on_connection(scope.client):
            headers.append(_CLOSE)
        if isinstance(result, FileBody):
            _send_file(protocol, status, headers, result)
        else:
            protocol.response_bytes(status, headers, result)

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
            "REMOTE_ADDR": scope.client.rpartition(":")[0].strip("[]"),
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
_CORS = [("access-control-allow-origin", "*"), *((name.lower(), value) for name, value in SECURITY_HEADERS.items())]
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
