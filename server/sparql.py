"""The endpoint's route: ``/sparql`` (queries and the service description); ``/health`` is the front's.

Each request to /sparql is logged on one line (time, status, duration, rows, a hash of the query),
never with the query itself: it may be long, and it is the client's business.
A long answer comes from its worker in a temporary file (``server.executor.Answer.spool``) and
goes out as a ``FileBody``, gzipped into another file when the client asks: never whole in memory.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

import pyoxigraph as ox
from flask import Blueprint, Flask, Response, current_app, g, has_request_context, request

from kg.dataset import Manifest
from kg.errors import UnsupportedFormat
from kg.formats import GRAPH_SYNTAXES, RDF_SYNTAXES, RESULTS_SYNTAXES
from server.bodies import FileBody, gzipped
from server.cache import ResultCache
from server.description import PREFIXES, describe_service
from server.executor import Answer, Executor
from server.frames import QueryRequest
from server.headers import content_type
from server.protocol import choose_formats, parse_request

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

    def answer(self, query: QueryRequest, *, cacheable: bool, client: str | None = None) -> tuple[Answer, str]:
        """The answer, from the cache when it may be and is there; and 'hit', 'miss' or 'off'.

        :param cacheable: the answer is the same each time (no NOW(), RAND() ...).
        :param client: who asks, for the workers' turns: by default the remote address of the request
            being served (a page's queries are its visitor's).
        """
        if client is None:
            client = (request.remote_addr if has_request_context() else None) or "-"
        if self.cache is None or not cacheable:
            return self.executor.run(query, client=client, shared=cacheable), "off"
        key = query.digest()
        answer = self.cache.get(key)
        if answer is not None:
            return answer, "hit"
        answer = self.executor.run(query, client=client, shared=True, key=key)
        self.cache.put(key, answer)
        return answer, "miss"


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
        milliseconds = (time.perf_counter() - g.started) * 1000
        rows = response.headers.get("X-Result-Rows", "-")
        truncated = " truncated" if response.headers.get("X-Result-Truncated") == "true" else ""
        cache = g.get("cache", "-")
        access_log.info(
            "%s %.1fms rows=%s%s cache=%s query=%s",
            response.status_code,
            milliseconds,
            rows,
            truncated,
            cache,
            g.get("query_hash", "-"),
        )
    return response


@bp.route("/sparql", methods=["GET", "POST"])
def query() -> Response:
    """A query by GET, form POST or direct POST; with no query, the service description."""
    parsed = parse_request(request, max_query_length=current_app.config["MAX_QUERY_LENGTH"])
    if parsed is None:
        return _service_description()
    query = parsed.request
    g.query_hash = hashlib.sha256(query.query.encode()).hexdigest()[:12]
    endpoint = _endpoint()
    deterministic = parsed.text.is_deterministic
    etag = None
    if endpoint.etag_seed and request.method in ("GET", "HEAD") and deterministic:
        # The URL fixes the query and dataset; Accept or format= fix the syntax of each kind of result.
        etag = f"{endpoint.etag_seed}-{query.results_format}-{query.graph_format}"
        if request.if_none_match.contains_weak(etag):
            return _not_modified(etag)
    answer, g.cache = endpoint.answer(query, cacheable=deterministic)
    registry = RDF_SYNTAXES if answer.kind == "graph" else RESULTS_SYNTAXES
    body_type = content_type(registry[answer.format].media_type)
    response = _from_file(answer, body_type) if answer.spool else Response(answer.body, content_type=body_type)
    response.headers["X-Result-Rows"] = str(answer.rows)
    response.headers["X-Result-Truncated"] = "true" if answer.truncated else "false"
    response.vary.add("Accept")
    if etag:
        response.set_etag(etag, weak=True)
    return response


def _from_file(answer: Answer, body_type: str) -> Response:
    """A long answer, sent from its file; gzipped into another file for a client that accepts gzip."""
    file = answer.spool
    headers = {"Vary": "Accept-Encoding"}
    if request.accept_encodings["gzip"]:
        file = gzipped(file)
        headers["Content-Encoding"] = "gzip"
    body = FileBody(file)
    headers["Content-Length"] = str(body.length)
    return Response(body, content_type=body_type, headers=headers, direct_passthrough=True)


def _not_modified(etag: str) -> Response:
    response = Response(status=304)
    response.set_etag(etag, weak=True)
    response.vary.add("Accept")
    return response


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
