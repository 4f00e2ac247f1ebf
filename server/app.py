"""The Flask app factory: settings, the worker pool, routes, and one error handler per error type."""

from __future__ import annotations

import atexit
import hashlib
import logging
import shutil
import tempfile
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from kg.dataset import pin_build, read_manifest
from kg.errors import KgError, NotBuiltError
from server import headers, linked_data, pages, sparql, ui
from server.cache import ResultCache
from server.errors import HTTP_STATUS, BusyError
from server.executor import Executor
from server.proofs import explainer
from server.reader import Reader
from server.remote import check_backend_url
from server.settings import load_settings
from server.worker import backend_worker_command, worker_command

log = logging.getLogger(__name__)


def create_app(build_dir: Path | None, config: Mapping[str, Any] | None = None) -> Flask:
    """The endpoint serving the build in ``build_dir``; ``config`` overrides ``server.settings``.

    With the ``BACKEND`` setting, the endpoint answers from that remote SPARQL endpoint instead, and
    ``build_dir`` is not read (it may be None). With extra graphs (``GRAPHS``), the build is pinned
    with them into a folder of this process's own (``kg serve`` pins once for all its HTTP processes
    and gives them a pinned build with no ``GRAPHS``). Starts the query workers; they stop with the
    process (or with ``app.extensions["kg.endpoint"].executor.close()``).

    :raises NotBuiltError: when ``build_dir`` holds no complete build.
    :raises UnsupportedFormat: for an extra graph file of unknown syntax.
    :raises KgError: for a bad backend URL, extra graphs beside a backend, or an unreadable graph file.
    """
    settings = load_settings(config)
    app = Flask(__name__)
    app.config.update(settings)
    if settings["BACKEND"]:
        endpoint = _remote_endpoint(settings)
    elif build_dir is None:
        raise NotBuiltError("no build folder given and no BACKEND setting: nothing to serve")
    else:
        build_dir = Path(build_dir).resolve()
        if settings["GRAPHS"]:
            build_dir = _pin_with_graphs(build_dir, settings["GRAPHS"])
        endpoint = _local_endpoint(build_dir, settings)
    atexit.register(endpoint.executor.close)
    sparql.init_app(app, endpoint)
    reader = Reader(endpoint, settings["ROW_LIMIT"])
    linked_data.init_app(app, reader, settings["IRI_BASE"])
    pages.init_app(app, explainer(reader, endpoint.manifest, None if settings["BACKEND"] else build_dir))
    examples = settings["EXAMPLES_DIR"]
    ui.init_app(app, Path(examples) if examples else None, remote=endpoint.manifest is None)
    headers.init_app(app)
    _register_error_handlers(app)
    return app


def _pin_with_graphs(build_dir: Path, graphs: Mapping[str, str]) -> Path:
    """The build pinned with the extra graphs into a new folder, removed when this process ends.

    :raises NotBuiltError, UnsupportedFormat, KgError: as ``kg.dataset.pin_build`` does.
    """
    folder = Path(tempfile.mkdtemp(prefix="kg-graphs-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return pin_build(build_dir, folder, graphs={iri: Path(file).resolve() for iri, file in graphs.items()})


def _local_endpoint(build_dir: Path, settings: Mapping[str, Any]) -> sparql.Endpoint:
    """Workers on the build's store (extra graphs included), a result cache, ETags.

    :raises NotBuiltError: when ``build_dir`` holds no complete build.
    """
    manifest = read_manifest(build_dir)
    if manifest is None:
        raise NotBuiltError(f"no build in {build_dir}: run 'kg build' first")
    executor = _executor(worker_command(build_dir, settings["MEMORY_LIMIT_MB"]), settings, fixed_data=True)
    cache_bytes = int(settings["RESULT_CACHE_MB"] * 1024 * 1024)
    graphs = [(g.iri, g.file, g.triples) for g in manifest.graphs]
    seed = hashlib.sha256(repr((manifest.inputs, graphs, settings["ROW_LIMIT"])).encode())
    return sparql.Endpoint(executor, manifest, ResultCache(cache_bytes) if cache_bytes else None, seed.hexdigest()[:16])


def backend_url(settings: Mapping[str, Any]) -> str | None:
    """The ``BACKEND`` setting, checked; None when the local build is served.

    :raises KgError: for a URL that cannot name a SPARQL endpoint, or extra graphs beside a backend.
    """
    if not settings["BACKEND"]:
        return None
    if settings["GRAPHS"]:
        raise KgError(
            "extra graphs (--graph, KG_SERVER_GRAPHS) are served beside a local build only: publish them to the backend"
        )
    return check_backend_url(settings["BACKEND"])


def _remote_endpoint(settings: Mapping[str, Any]) -> sparql.Endpoint:
    """Workers forwarding to the backend; no cache and no ETags, since its data may change unseen."""
    backend = backend_url(settings)
    executor = _executor(backend_worker_command(backend, settings["MEMORY_LIMIT_MB"]), settings, fixed_data=False)
    return sparql.Endpoint(executor, None, None, None)


def _executor(command: list[str], settings: Mapping[str, Any], *, fixed_data: bool) -> Executor:
    return Executor(
        command,
        size=settings["QUERY_WORKERS"],
        time_limit=settings["QUERY_TIMEOUT"],
        row_limit=settings["ROW_LIMIT"],
        byte_limit=settings["MAX_ANSWER_BYTES"],
        memory_limit_mb=settings["MEMORY_LIMIT_MB"],
        queue_timeout=settings["QUEUE_TIMEOUT"],
        slow=settings["SLOW_QUERY"],
        cooldown=settings["CLIENT_MEMORY"],
        max_waiting=settings["THREADS"] // 2,
        fixed_data=fixed_data,
    )


def _register_error_handlers(app: Flask) -> None:
    """Every error body is one line of text: no stack trace, no file path."""
    for error_type, status in HTTP_STATUS.items():
        app.register_error_handler(error_type, partial(_plain_error, status=status))
    app.register_error_handler(BusyError, _busy_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _internal_error)


def _plain_error(error: Exception, status: int) -> Response:
    return Response(f"{error}\n", status=status, mimetype="text/plain")


def _busy_error(error: BusyError) -> Response:
    """503, with the seconds after which a worker should be free."""
    response = _plain_error(error, 503)
    response.headers["Retry-After"] = str(error.retry_after)
    return response


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
