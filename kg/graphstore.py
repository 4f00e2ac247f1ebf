"""A client of the SPARQL 1.1 Graph Store HTTP Protocol, for ``kg publish``: PUT a graph, count a store's triples.

One request per connection, authenticated as the store's 401 asks (Basic, Digest or a bearer
token, ``kg.httpauth``). A graph's file is streamed from disk as it is sent, with its length
rather than chunked, so memory stays flat whatever its size. Failures come out as ``PublishError``
with one line naming the store and what it said; ``TransientError`` marks those worth another
try (a reset, a timeout, a status that says busy), which the caller decides on.

Knows the layouts of Oxigraph, Virtuoso, Fuseki, GraphDB and Neptune, to find the SPARQL query
endpoint beside a Graph Store endpoint (``query_url_for``).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from kg import __version__
from kg.errors import PublishError
from kg.formats import rdf_syntax_from_extension
from kg.httpauth import Challenge, Credentials, choose_challenge, digest_authorization, parse_challenges

__all__ = ["TRANSIENT_STATUSES", "GraphStoreClient", "TransientError", "graph_url", "query_url_for"]

#: Seconds to wait on one socket operation (connecting, sending a block, the store's answer).
TIMEOUT = 120
#: Bytes read from a graph's file and sent at a time.
BLOCK = 256 * 1024
#: Statuses worth another try: the store or a proxy was busy, overloaded or out of time.
#: Every 5xx but 501 (Not Implemented) and 505 (HTTP Version Not Supported), which will not change.
TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504, 507, 509})
#: Characters of a store's error message kept in ours.
_DETAIL = 200
#: Graph Store Protocol paths whose SPARQL query endpoint is known: (pattern of the GSP path, query path).
_QUERY_PATHS = (
    (re.compile(r"/sparql-graph-crud(-auth)?/*$"), "/sparql"),  # Virtuoso
    (re.compile(r"/store/*$"), "/query"),  # Oxigraph
    (re.compile(r"/rdf-graphs/service/*$"), ""),  # GraphDB, RDF4J: /repositories/R
    (re.compile(r"/sparql/gsp/*$"), "/sparql"),  # Neptune
    (re.compile(r"/data/*$"), "/sparql"),  # Fuseki: /ds/data
)


def query_url_for(store_url: str) -> str | None:
    """The SPARQL query endpoint beside a Graph Store Protocol endpoint, for the stores whose layout is known; or None.

    >>> query_url_for("http://127.0.0.1:8890/sparql-graph-crud-auth")
    'http://127.0.0.1:8890/sparql'
    >>> query_url_for("http://127.0.0.1:7878/store?no_transaction"), query_url_for("http://host:3030/ds/data")
    ('http://127.0.0.1:7878/query', 'http://host:3030/ds/sparql')
    >>> query_url_for("http://host:7200/repositories/newskg/rdf-graphs/service")
    'http://host:7200/repositories/newskg'
    >>> query_url_for("http://host/upload") is None
    True
    """
    parts = urllib.parse.urlsplit(store_url)
    for pattern, query_path in _QUERY_PATHS:
        if pattern.search(parts.path):
            query_parts = parts._replace(path=pattern.sub(query_path, parts.path), query="", fragment="")
            return urllib.parse.urlunsplit(query_parts)
    return None


def graph_url(store_url: str, graph_iri: str) -> str:
    """The Graph Store Protocol URL of one named graph (indirect identification, ``?graph=``).

    >>> graph_url("http://127.0.0.1:7878/store", "https://w3id.org/newskg/graph/inferred")
    'http://127.0.0.1:7878/store?graph=https%3A%2F%2Fw3id.org%2Fnewskg%2Fgraph%2Finferred'
    """
    separator = "&" if "?" in store_url else "?"
    return f"{store_url}{separator}{urllib.parse.urlencode({'graph': graph_iri})}"


class TransientError(PublishError):
    """A failure worth another try; ``retry_after`` is the store's own advice, in seconds, if it gave one."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class _Reader:
    """A graph's file as a request body, reporting each block read: the bytes so far, the seconds since it was made."""

    def __init__(self, file: BinaryIO, on_read: Callable[[int, float], None]) -> None:
        self.file = file
        self.sent = 0
        self.on_read = on_read
        self.started = time.monotonic()

    def read(self, size: int = -1) -> bytes:
        data = self.file.read(size)
        self.sent += len(data)
        if data:
            self.on_read(self.sent, time.monotonic() - self.started)
        return data


@dataclass
class _Answer:
    status: int
    reason: str
    headers: http.client.HTTPMessage
    body: bytes


class GraphStoreClient:
    """HTTP requests to the store, authenticated as its 401 asks: Basic, Digest, or the bearer token."""

    def __init__(self, credentials: Credentials) -> None:
        self.credentials = credentials
        #: The Graph Store endpoint's challenge, once known (Digest answers one per request).
        self.challenge: Challenge | None = None
        #: Whether the store was asked for its challenge and asked for none (then --user means Basic).
        self.unchallenged = False

    def put_file(self, url: str, path: Path, what: str, on_sent: Callable[[int, float], None]) -> None:
        """PUT the file at ``path`` as the graph at ``url``; ``what`` names it in errors ('graph IRI').

        ``on_sent(bytes, seconds)`` is called as each block goes out: the bytes sent so far, and
        the seconds since this PUT began.

        With ``--user``, a HEAD first fetches the store's challenge (and a fresh Digest nonce), so
        that the graph is sent once, with the right authorization, rather than refused after it was sent.

        :raises TransientError: for a reset, a timeout, or a transient status (worth another try).
        :raises PublishError: for any other refusal, or an unreachable store.
        """
        syntax = rdf_syntax_from_extension(path.name)
        size = path.stat().st_size
        headers = {"Content-Type": syntax.media_type if syntax else "text/turtle", "Content-Length": str(size)}
        digest = self.challenge is not None and self.challenge.scheme == "digest"
        if self.credentials.user is not None and (digest or (self.challenge is None and not self.unchallenged)):
            probe = self._send("HEAD", url, what, None, {}, None)
            self.unchallenged = probe.status != 401
            if probe.status == 401:
                self.challenge = self._answerable(probe)
                if self.challenge is None:
                    raise self._refusal(probe, what)
        for second_try in (False, True):
            with path.open("rb") as file:
                body = _Reader(file, on_sent)
                answer = self._send("PUT", url, what, body, headers, self._authorization("PUT", url, self.challenge))
            if answer.status != 401 or second_try or (challenge := self._answerable(answer)) is None:
                break
            self.challenge = challenge  # asked for another scheme than guessed, or a stale nonce
        if not 200 <= answer.status < 300:
            raise self._refusal(answer, what)

    def count_triples(self, query_url: str, graphs: list[str]) -> dict[str, int]:
        """How many triples the store holds in each of ``graphs`` (absent: none), asked of its SPARQL endpoint.

        :raises PublishError: when the endpoint cannot be reached or asked, or answers something else.
        """
        values = " ".join(f"<{iri}>" for iri in graphs)
        query = f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }} GROUP BY ?g"
        body = urllib.parse.urlencode({"query": query}).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/sparql-results+json"}
        what = "the triple count"
        bearer = f"Bearer {self.credentials.token}" if self.credentials.token else None
        answer = self._send("POST", query_url, what, body, headers, bearer)  # query endpoints are often public
        if answer.status == 401 and (challenge := self._answerable(answer)) is not None:
            answer = self._send(
                "POST", query_url, what, body, headers, self._authorization("POST", query_url, challenge)
            )
        if not 200 <= answer.status < 300:
            raise PublishError(
                f"the store's SPARQL endpoint {query_url} refused to count the triples:"
                f" HTTP {answer.status} {answer.reason}{_detail(answer.body)}; check --query-url"
            )
        try:
            rows = json.loads(answer.body)["results"]["bindings"]
            return {row["g"]["value"]: int(row["n"]["value"]) for row in rows}
        except (ValueError, KeyError, TypeError):
            raise PublishError(
                f"the store's SPARQL endpoint {query_url} did not answer the count in SPARQL JSON results;"
                " check --query-url"
            ) from None

    def _answerable(self, answer: _Answer) -> Challenge | None:
        """The challenge of a 401 that the credentials can answer, or None."""
        challenges = [c for h in answer.headers.get_all("WWW-Authenticate") or [] for c in parse_challenges(h)]
        return choose_challenge(challenges, self.credentials)

    def _authorization(self, method: str, url: str, challenge: Challenge | None) -> str | None:
        if self.credentials.token:
            return f"Bearer {self.credentials.token}"
        if self.credentials.user is None:
            return None
        if challenge is not None and challenge.scheme == "digest":
            return digest_authorization(challenge, self.credentials, method, _target(url))
        return self.credentials.basic()  # asked for Basic, or asked nothing: --user means Basic then

    def _send(
        self,
        method: str,
        url: str,
        what: str,
        body: _Reader | bytes | None,
        headers: dict[str, str],
        authorization: str | None,
    ) -> _Answer:
        """One request on a new connection; its answer, whatever the status.

        :raises TransientError: when the connection was reset or timed out.
        :raises PublishError: when the store cannot be reached.
        """
        parts = urllib.parse.urlsplit(url)
        headers = {**headers, "User-Agent": f"kg-publish/{__version__}", "Connection": "close"}
        if authorization:
            headers["Authorization"] = authorization
        connection_type = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        connection = connection_type(parts.hostname, parts.port, timeout=TIMEOUT, blocksize=BLOCK)
        try:
            # The store may have answered, and closed, before the body was all sent: read its answer.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                connection.request(method, _target(url), body=body, headers=headers)
            response = connection.getresponse()
            return _Answer(response.status, response.reason, response.headers, response.read())
        except (TimeoutError, ConnectionResetError, BrokenPipeError) as error:
            raise TransientError(f"the store at {_base(url)} broke off for {what}: {_reason(error)}") from None
        except (OSError, http.client.HTTPException) as error:
            raise PublishError(f"cannot reach the store at {_base(url)} for {what}: {_reason(error)}") from None
        finally:
            connection.close()

    def _refusal(self, answer: _Answer, what: str) -> PublishError:
        status = f"HTTP {answer.status} {answer.reason}".strip()
        if answer.status == 401:
            user, token = self.credentials.user, self.credentials.token
            if user is None and not token:
                return PublishError(
                    f"the store asks for credentials for {what} ({status}): give --user (password in"
                    " $KG_PUBLISH_PASSWORD) or --token"
                )
            check = f"--user {user} and $KG_PUBLISH_PASSWORD" if user is not None else "--token"
            return PublishError(f"the store refused the credentials for {what}: {status}; check {check}")
        message = f"the store refused {what}: {status}{_detail(answer.body)}"
        if answer.status in TRANSIENT_STATUSES:
            return TransientError(message, _retry_after(answer.headers.get("Retry-After")))
        return PublishError(message)


def _target(url: str) -> str:
    """The request target of ``url``: its path and query.

    >>> _target("http://host:8890/sparql-graph-crud-auth?graph=urn%3Ag")
    '/sparql-graph-crud-auth?graph=urn%3Ag'
    """
    parts = urllib.parse.urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _base(url: str) -> str:
    return url.split("?")[0]


def _reason(error: BaseException) -> str:
    """An OS or HTTP error in a few words: 'Connection refused', not '[Errno 111] Connection refused'."""
    return " ".join((getattr(error, "strerror", None) or str(error) or type(error).__name__).split())


def _detail(body: bytes) -> str:
    """The store's message, on one line and without HTML tags, after ': '; or nothing.

    >>> _detail(b"<html><h1>500 Request Failed</h1>\\n<xmp>The PUT request is rejected</xmp></html>")
    ': 500 Request Failed The PUT request is rejected'
    """
    text = re.sub(r"<[^>]*>", " ", body[: 4 * _DETAIL].decode("utf-8", "replace"))
    line = " ".join(text.split())
    if len(line) > _DETAIL:
        line = line[:_DETAIL] + " ..."
    return f": {line}" if line else ""


def _retry_after(value: str | None) -> float | None:
    """A ``Retry-After`` in seconds (the HTTP-date form is ignored: the back-off applies).

    >>> _retry_after("3"), _retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), _retry_after(None)
    (3.0, None, None)
    """
    return float(value) if value is not None and value.strip().isdigit() else None
