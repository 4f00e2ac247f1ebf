"""The Flask app factory: settings, the worker pool, routes, and one error handler per error type."""

from __future__ import annotations

import atexit
import hashlib
import logging
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from server import headers, sparql, ui
from server.cache import ResultCache
from server.errors import HTTP_STATUS
from server.executor import Executor, worker_command
from server.settings import load_settings
from server.worker import served_manifest

log = logging.getLogger(__name__)


def create_app(build_dir: Path, config: Mapping[str, Any] | None = None) -> Flask:
    """The endpoint serving the build in ``build_dir``; ``config`` overrides ``server.settings``.

    Starts the query workers; they stop with the process (or with ``app.extensions["kg.endpoint"].executor.close()``).

    :raises NotBuiltError: when ``build_dir`` holds no complete build.
    :raises UnsupportedFormat: for an extra graph file of unknown syntax.
    """
    settings = load_settings(config)
    build_dir = Path(build_dir).resolve()
    graphs = {iri: Path(file).resolve() for iri, file in settings["GRAPHS"].items()}
    manifest = served_manifest(build_dir, graphs)
    app = Flask(__name__)
    app.config.update(settings)
    executor = Executor(
        worker_command(build_dir, graphs, settings["MEMORY_LIMIT_MB"]),
        size=settings["QUERY_WORKERS"],
        time_limit=float(settings["QUERY_TIMEOUT"]),
        row_limit=settings["ROW_LIMIT"],
        memory_limit_mb=settings["MEMORY_LIMIT_MB"],
    )
    atexit.register(executor.close)
    cache_bytes = int(settings["RESULT_CACHE_MB"] * 1024 * 1024)
    seed = hashlib.sha256(repr((manifest.inputs, sorted(graphs.items()), settings["ROW_LIMIT"])).encode())
    sparql.init_app(
        app,
        sparql.Endpoint(executor, manifest, ResultCache(cache_bytes) if cache_bytes else None, seed.hexdigest()[:16]),
    )
    ui.init_app(app, Path(settings["EXAMPLES_DIR"]))
    headers.init_app(app)
    _register_error_handlers(app)
    return app


def _register_error_handlers(app: Flask) -> None:
    """Every error body is one line of text: no stack trace, no file path."""
    for error_type, status in HTTP_STATUS.items():
        app.register_error_handler(error_type, partial(_plain_error, status=status))
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _internal_error)


def _plain_error(error: Exception, status: int) -> Response:
    return Response(f"{error}\n", status=status, mimetype="text/plain")


def _http_error(error: HTTPException) -> Response:
    """Werkzeug's own errors (404, 405, 413 ...), with their headers (Allow ...) but a one-line body."""
    response = error.get_response()
    response.set_data(f"{error.code} {error.name}: {error.description}\n")
    response.mimetype = "text/plain"
    return response


def _internal_error(error: Exception) -> Response:
    log.exception("internal error", exc_info=error)
    return Response(
        "500 Internal Server Error: the server failed; the log says why\n", status=500, mimetype="text/plain"
    )
