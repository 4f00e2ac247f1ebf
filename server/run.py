"""``kg serve``: the app under gunicorn, a production WSGI server, never Flask's development server.

Gunicorn's threaded workers: a few processes (``HTTP_WORKERS``), each with threads and its own
pool of query workers (``server.executor``). Threads suffice for waiting on queries, but Flask's
own work per request holds the GIL, so one process per core is what lets throughput scale; the
price is a copy of the store per query worker, small for a news story.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

import server.app  # before gunicorn forks: the HTTP processes share the imported code
from kg.dataset import read_manifest
from kg.errors import KgError, NotBuiltError
from server.settings import load_settings

#: Gunicorn's limits on the request line and headers (its maximum for each): beyond, 414 / 431 / 400.
_LIMIT_REQUEST_LINE = 8190
_LIMIT_REQUEST_FIELD_SIZE = 8190
_LIMIT_REQUEST_FIELDS = 50


class _Server(BaseApplication):
    """Gunicorn, configured here rather than by a file or its command line."""

    def __init__(self, build_dir: Path, config: Mapping[str, Any], options: Mapping[str, Any]) -> None:
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
    build_dir: Path, *, host: str = "127.0.0.1", port: int = 8000, config: Mapping[str, Any] | None = None
) -> int:
    """Serve the build in ``build_dir`` at http://host:port/ until interrupted; the exit status.

    Port 0 picks a free port; the printed URLs name the real one.

    :raises NotBuiltError: when ``build_dir`` holds no complete build.
    :raises KgError: when nothing can listen at host:port.
    """
    build_dir = Path(build_dir).resolve()
    if read_manifest(build_dir) is None:
        raise NotBuiltError(f"no build in {build_dir}: run 'kg build' first")
    _check_address(host, port)
    settings = load_settings(config)
    timeout = float(settings["QUERY_TIMEOUT"])
    options = {
        "bind": [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"],
        "workers": settings["HTTP_WORKERS"],
        "worker_class": "gthread",
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
    try:
        _Server(build_dir, dict(config or {}), options).run()
    except SystemExit as stop:  # gunicorn ends its arbiter with sys.exit
        return stop.code if isinstance(stop.code, int) else 1
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
