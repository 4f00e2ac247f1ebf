"""``kg serve``: the app under gunicorn, a production WSGI server, never Flask's development server.

Gunicorn's threaded workers: a few processes (``HTTP_WORKERS``), each with threads and its own
pool of query workers (``server.executor``). Threads suffice for waiting on queries, but Flask's
own work per request holds the GIL, so one process per core is what lets throughput scale; the
price is a copy of the store per query worker, small for a news story. In front of a remote
backend (the ``BACKEND`` setting) the query workers hold no store and nothing is built or read.
"""

from __future__ import annotations

import shutil
import socket
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.http.errors import InvalidHeader, LimitRequestHeaders
from gunicorn.workers.gthread import ThreadWorker

import server.app  # before gunicorn forks: the HTTP processes share the imported code
from kg.dataset import pin_build
from kg.errors import KgError, NotBuiltError
from server.remote import Backend
from server.settings import load_settings
from server.worker import served_manifest

#: Gunicorn's limits on the request line and headers (its maximum for each): beyond, 414 / 400.
_LIMIT_REQUEST_LINE = 8190
_LIMIT_REQUEST_FIELD_SIZE = 8190
_LIMIT_REQUEST_FIELDS = 50
#: Requests served on one connection before it is closed: a 2 % cost for reconnecting, measured
#: against up to a halving of throughput when connections cling to one HTTP process (bench/README.md).
_REQUESTS_PER_CONNECTION = 50


class EndpointWorker(ThreadWorker):
    """Gunicorn's threaded worker, with two changes.

    Too long or too many headers get 400, as other bad input does: gunicorn answers them with 431
    (RFC 6585), but the endpoint's rule is one status for malformed requests, and clients treat 400
    as "fix the request".

    A connection is closed (``Connection: close``) after ``_REQUESTS_PER_CONNECTION`` requests, as
    nginx and Apache do (``keepalive_requests``, ``MaxKeepAliveRequests``). The HTTP processes
    share one listening socket, and which of them accepts a connection is settled once: without
    this, a few long-lived connections (a proxy's, a load generator's) may all land on one process
    and leave the others idle, halving throughput. A client that reconnects lands on whichever
    process is free to accept first, so the load evens out.
    """

    def handle_request(self, req, conn):
        conn.requests_served = getattr(conn, "requests_served", 0) + 1
        if conn.requests_served >= _REQUESTS_PER_CONNECTION:
            req.force_close()
        return super().handle_request(req, conn)

    def handle_error(self, req, client, addr, exc):
        if isinstance(exc, LimitRequestHeaders):
            exc = InvalidHeader(f"{exc} (at most {_LIMIT_REQUEST_FIELDS} fields of {_LIMIT_REQUEST_FIELD_SIZE} bytes)")
        super().handle_error(req, client, addr, exc)


class _Server(BaseApplication):
    """Gunicorn, configured here rather than by a file or its command line."""

    def __init__(self, build_dir: Path | None, config: Mapping[str, Any], options: Mapping[str, Any]) -> None:
        self.build_dir = build_dir
        self.config = config
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        # In each gunicorn worker, after the fork: every HTTP process supervises a pool of its own.
        return server.app.create_app(self.build_dir, self.config)


def serve(
    build_dir: Path | None, *, host: str = "127.0.0.1", port: int = 8000, config: Mapping[str, Any] | None = None
) -> int:
    """Serve the build in ``build_dir`` at http://host:port/ until interrupted; the exit status.

    With the ``BACKEND`` setting, serve that remote SPARQL endpoint instead; ``build_dir`` is not
    read. A backend that does not answer at start-up gets a warning, not a refusal to start: it
    may come up later, and until it does each query gets a 502 naming it.
    Port 0 picks a free port; the printed URLs name the real one.

    :raises NotBuiltError: when ``build_dir`` holds no complete build.
    :raises KgError: when nothing can listen at host:port, for a bad backend URL, extra graphs beside a
        backend, or an extra graph that cannot be read.
    """
    settings = load_settings(config)
    backend = server.app.backend_url(settings)
    if backend is None:
        if build_dir is None:
            raise NotBuiltError("nothing to serve: no build folder, and no backend")
        build_dir = Path(build_dir).resolve()
        # No build, or an extra graph that cannot be read: one line now, not a worker failing to boot.
        served_manifest(build_dir, {iri: Path(file) for iri, file in settings["GRAPHS"].items()})
    _check_address(host, port)
    if backend is not None:
        build_dir = None
        problem = Backend(backend).probe()
        if problem:
            print(f"kg: warning: {problem}; queries fail until it answers", file=sys.stderr, flush=True)
        print(f"kg: queries go to the SPARQL backend at {backend}", flush=True)
    timeout = float(settings["QUERY_TIMEOUT"])
    options = {
        "bind": [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"],
        "workers": settings["HTTP_WORKERS"],
        "worker_class": "server.run.EndpointWorker",
        "threads": settings["THREADS"],
        # Gunicorn's own watchdog, for a worker whose main loop hangs; queries have their own limit.
        "timeout": max(30, int(timeout * 3)),
        "graceful_timeout": int(timeout) + 2,
        "keepalive": 5,
        "limit_request_line": _LIMIT_REQUEST_LINE,
        "limit_request_field_size": _LIMIT_REQUEST_FIELD_SIZE,
        "limit_request_fields": _LIMIT_REQUEST_FIELDS,
        "accesslog": None,  # server.sparql logs one line per query
        "errorlog": "-",
        "loglevel": "warning",
        "control_socket_disable": True,
        "proc_name": "kg-serve",
        "when_ready": _print_urls,
    }
    pinned = Path(tempfile.mkdtemp(prefix="kg-serve-")) if build_dir is not None else None
    try:
        if pinned is not None:  # every worker, restarts included, serves the build as it was at start
            build_dir = pin_build(build_dir, pinned)
        _Server(build_dir, dict(config or {}), options).run()
    except SystemExit as stop:  # gunicorn ends its arbiter with sys.exit
        return stop.code if isinstance(stop.code, int) else 1
    finally:
        if pinned is not None:
            shutil.rmtree(pinned, ignore_errors=True)
    return 0


def _check_address(host: str, port: int) -> None:
    """Fail in one line now, rather than after gunicorn's five retries and its log lines.

    :raises KgError: when nothing can listen there (port taken, no such address, no permission).
    """
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
            probe.bind((host, port))
    except OSError as error:
        raise KgError(f"cannot listen on {host}:{port}: {error.strerror}; choose another --host or --port") from None


def _print_urls(arbiter) -> None:
    for listener in arbiter.LISTENERS:
        host, port = listener.sock.getsockname()[:2]
        base = f"http://{f'[{host}]' if ':' in host else host}:{port}"
        print(f"kg: SPARQL endpoint at {base}/sparql", flush=True)
        print(f"kg: query page at {base}/", flush=True)
