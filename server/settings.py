"""The server's settings: defaults, overridden by ``KG_SERVER_*`` environment variables, overridden by code.

An environment variable holds a JSON value (``KG_SERVER_QUERY_TIMEOUT=2``,
``KG_SERVER_GRAPHS='{"http://example.org/g": "g.ttl"}'``), which is how ``kg serve`` is configured
without an option per setting.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Config

from kg.errors import KgError

#: Environment variables named ``KG_SERVER_<SETTING>`` set a setting.
ENV_PREFIX = "KG_SERVER"

#: Every setting and its default.
DEFAULTS: dict[str, Any] = {
    #: Seconds a query may take, waiting for a free worker included; then its worker is killed.
    "QUERY_TIMEOUT": 10.0,
    #: Seconds a query may wait for a free query worker (or a request for a thread) before a 503
    #: that says when to retry; within QUERY_TIMEOUT.
    "QUEUE_TIMEOUT": 2.0,
    #: Seconds within which a query counts as light; a query on the worker kept for light ones is
    #: stopped and queued again past it, and its client barred from that worker (``server.admission``).
    "SLOW_QUERY": 0.25,
    #: Seconds a client is remembered as light, or barred from the kept worker.
    "CLIENT_MEMORY": 60.0,
    #: HTTP processes (Flask threads within each): Flask's per-request work is bound by the GIL,
    #: so a second process doubles throughput on two cores.
    "HTTP_WORKERS": min(2, os.cpu_count() or 1),
    #: Query worker processes per HTTP process, each with its own copy of the store: as many
    #: queries run at once; one is kept for light clients while others run long queries.
    "QUERY_WORKERS": 2,
    #: Address space of a worker, in MiB; a query needing more ends with 503.
    "MEMORY_LIMIT_MB": 1024,
    #: Rows (or triples) a response holds at most; ``X-Result-Truncated: true`` says when it was cut.
    "ROW_LIMIT": 10_000,
    #: Bytes an answer takes at most, cut at a row with the same signal as the row limit.
    "MAX_ANSWER_BYTES": 64 * 1024 * 1024,
    #: Characters a query may have.
    "MAX_QUERY_LENGTH": 100_000,
    #: Bytes a request body may have (413 above it, chunked or not).
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    #: Seconds a client has to send a request's headers (on a kept-alive connection: the next
    #: request's), then the connection is closed.
    "HEADER_TIMEOUT": 10.0,
    #: Seconds a client has to send a request's body, then 408.
    "BODY_TIMEOUT": 10.0,
    #: Seconds after which a connection that moved less than a KiB either way is closed: idle
    #: sockets, clients that stop reading an answer. More than QUERY_TIMEOUT.
    "IDLE_TIMEOUT": 30.0,
    #: MiB of answers kept for repeated queries; 0 turns the result cache off.
    "RESULT_CACHE_MB": 64,
    #: Responses at least this long are gzipped for clients that accept it.
    "GZIP_MIN_BYTES": 1024,
    #: Threads per HTTP process that run Flask: requests handled at once (connections are not
    #: limited by it: the HTTP server holds them without a thread).
    "THREADS": 32,
    #: Extra named graphs served beside the build: {graph IRI: RDF file} (``kg serve --graph IRI=FILE``).
    "GRAPHS": {},
    #: Folder of example queries (``NN-name.rq``, first line ``# question``) for the query page; None
    #: for none. ``kg serve`` passes the project's ``queries``.
    "EXAMPLES_DIR": None,
    #: URL of a remote SPARQL 1.1 query endpoint that answers the queries instead of the local build
    #: (``kg serve --backend URL``; see ``server.remote``). No build is read, GRAPHS must be empty, and
    #: the result cache and ETags are off: the backend's data may change without this server knowing.
    "BACKEND": None,
    #: The start of the dataset's IRIs, which this server answers for: ``/id/x`` is ``IRI_BASE`` + ``id/x``.
    #: A redirect (``w3id/.htaccess`` for w3id.org) sends the IRIs here; change it with the data's IRIs.
    "IRI_BASE": "https://w3id.org/newskg/",
}


#: Settings that name a text (a folder, a URL) and may be unset.
_TEXTS = ("EXAMPLES_DIR", "BACKEND")
#: Settings that name a text and must be set.
_REQUIRED_TEXTS = ("IRI_BASE",)


#: Settings that must be at least 1: a pool, a thread count, a limit that would refuse everything.
_AT_LEAST_ONE = ("HTTP_WORKERS", "QUERY_WORKERS", "THREADS")
#: The least answer size: room for a results header and a row.
_MIN_ANSWER_BYTES = 4096


def load_settings(config: Mapping[str, Any] | None = None) -> Config:
    """The defaults, then the environment, then ``config``, each value checked against its default's type.

    :raises KgError: naming the variable and what it should hold, for a value of the wrong kind.
    """
    settings = Config(Path.cwd(), DEFAULTS)
    settings.from_prefixed_env(ENV_PREFIX)
    settings.update(config or {})
    for name, default in DEFAULTS.items():
        settings[name] = _checked(name, settings[name], default)
    for name in _AT_LEAST_ONE:
        if settings[name] < 1:
            raise KgError(f"{ENV_PREFIX}_{name} must be 1 or more, not {settings[name]}")
    if settings["MAX_ANSWER_BYTES"] < _MIN_ANSWER_BYTES:
        raise KgError(f"{ENV_PREFIX}_MAX_ANSWER_BYTES must be {_MIN_ANSWER_BYTES} or more")
    if settings["IDLE_TIMEOUT"] <= settings["QUERY_TIMEOUT"]:
        raise KgError(
            f"{ENV_PREFIX}_IDLE_TIMEOUT must be more than {ENV_PREFIX}_QUERY_TIMEOUT: a connection waiting for a"
            " query's answer moves nothing"
        )
    return settings


def _checked(name: str, value: Any, default: Any) -> Any:
    """``value`` if it has the kind of ``default`` (a number where a number is due, ...); else KgError."""
    if name in _TEXTS:
        ok = value is None or isinstance(value, str)
        kind = "a text"
    elif name in _REQUIRED_TEXTS:
        ok = isinstance(value, str) and value.startswith(("http://", "https://")) and value.endswith("/")
        kind = "an absolute http(s) IRI ending in /"
    elif isinstance(default, dict):
        ok = isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
        kind = 'a JSON object of IRIs to file names, {"IRI": "file.ttl"}'
    elif isinstance(default, float):
        ok = isinstance(value, int | float) and not isinstance(value, bool) and value > 0
        kind = "a positive number"
    else:
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        kind = "a whole number, 0 or more"
    if not ok:
        raise KgError(f"{ENV_PREFIX}_{name} must be {kind}, not {value!r:.60}")
    return float(value) if isinstance(default, float) else value
