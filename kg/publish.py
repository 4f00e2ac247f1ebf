"""``kg publish``: upload every named graph to a store that speaks the SPARQL 1.1 Graph Store HTTP Protocol.

One PUT per graph (https://www.w3.org/TR/sparql11-http-rdf-update/#http-put): PUT replaces the
graph whole, so publishing twice gives the same store. What a failed PUT leaves is the store's
affair: Oxigraph empties the graph before it loads the new one, so a graph that failed is missing
or partly there until it is published again (``resume`` sends it, its count being wrong). The body
is the graph's own Turtle file from the build, streamed from disk as it is sent (with its length
rather than chunked), so memory stays flat whatever the size. The build is pinned first (hard
links), so a ``kg build`` meanwhile cannot mix builds.

A graph that fails for a transient reason (the connection reset or timed out, 408, 429, 5xx but
501 and 505) is tried again, up to ``retries`` times, after 1, 2, 4 ... seconds (or the store's
``Retry-After``); any other refusal stops the run at once. Each graph published is recorded
(``record_path``): with ``resume``, a graph whose file is unchanged since it was published to the
same URL, and of which the store still holds as many triples as built, is skipped. At the end the
store's SPARQL query endpoint counts the triples of every graph, to compare with the build.

Works with Oxigraph (``.../store``), Virtuoso (``.../sparql-graph-crud-auth``, Digest), Fuseki
(``.../ds/data``), GraphDB (``.../repositories/R/rdf-graphs/service``) and Neptune (``.../sparql/gsp``).
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import os
import re
import shutil
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import BinaryIO, Protocol

from kg import __version__
from kg.dataset import GraphInfo, Manifest, pin_build, read_manifest
from kg.errors import NotBuiltError, PublishError
from kg.formats import rdf_syntax_from_extension
from kg.httpauth import Challenge, Credentials, choose_challenge, digest_authorization, parse_challenges

__all__ = [
    "Credentials",
    "Progress",
    "PublishReport",
    "Target",
    "bar_text",
    "check_target",
    "publish",
    "query_url_for",
    "record_path",
    "summary_lines",
    "upload_line",
]

#: Seconds to wait on one socket operation (connecting, sending a block, the store's answer).
TIMEOUT = 120
#: Bytes read from a graph's file and sent at a time.
BLOCK = 256 * 1024
#: Statuses worth another try: the store or a proxy was busy, overloaded or out of time.
#: Every 5xx but 501 (Not Implemented) and 505 (HTTP Version Not Supported), which will not change.
TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504, 507, 509})
#: The longest wait before trying a graph again, whatever the store's ``Retry-After`` says.
MAX_BACKOFF = 60.0
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


@dataclass(frozen=True)
class Target:
    """The store to publish to: its Graph Store Protocol URL, how to authenticate, and its SPARQL query URL
    (None: derived from the Graph Store URL, ``query_url_for``)."""

    store_url: str
    credentials: Credentials = field(default_factory=Credentials)
    query_url: str | None = None


@dataclass(frozen=True)
class Upload:
    """What became of one graph: sent (how many bytes, in how long, in how many attempts) or skipped."""

    info: GraphInfo
    size: int
    seconds: float = 0.0
    attempts: int = 0

    @property
    def skipped(self) -> bool:
        return self.attempts == 0


@dataclass(frozen=True)
class PublishReport:
    """The graphs published or skipped, the time taken, and the store's triple count of each graph afterwards."""

    uploads: list[Upload]
    seconds: float
    store_counts: dict[str, int]

    @property
    def mismatches(self) -> list[tuple[GraphInfo, int]]:
        """Each graph of which the store holds another number of triples than the build, with the store's count."""
        counts = self.store_counts
        return [
            (u.info, counts.get(u.info.iri, 0)) for u in self.uploads if counts.get(u.info.iri, 0) != u.info.triples
        ]


class Progress(Protocol):
    """What ``publish`` reports as it goes, for the CLI to show."""

    def sending(self, info: GraphInfo, sent: int, size: int, seconds: float) -> None:
        """Another block of ``info``'s file went out: ``sent`` bytes of ``size``, ``seconds`` into this attempt."""

    def done(self, upload: Upload, number: int, total: int) -> None:
        """Graph ``number`` of ``total`` was published (or skipped)."""

    def retrying(self, info: GraphInfo, attempt: int, delay: float, reason: str) -> None:
        """Graph ``info`` failed for a transient ``reason``; attempt number ``attempt`` follows in ``delay`` seconds."""

    def warning(self, message: str) -> None:
        """Something the user should know that does not stop the run."""


class _Silent:
    """Progress that shows nothing."""

    def sending(self, info: GraphInfo, sent: int, size: int, seconds: float) -> None:
        pass

    def done(self, upload: Upload, number: int, total: int) -> None:
        pass

    def retrying(self, info: GraphInfo, attempt: int, delay: float, reason: str) -> None:
        pass

    def warning(self, message: str) -> None:
        pass


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


def record_path(build_dir: Path) -> Path:
    """Where ``kg publish`` records what it published: beside the build folder, so a rebuild keeps it.

    >>> record_path(Path("project/build")).as_posix()
    'project/build.published.json'
    """
    return build_dir.with_name(build_dir.name + ".published.json")


def publish(
    build_dir: Path,
    target: Target,
    *,
    resume: bool = False,
    retries: int = 3,
    backoff: float = 1.0,
    progress: Progress | None = None,
) -> PublishReport:
    """PUT each named graph of the build in ``build_dir`` to the store; count the store's triples afterwards.

    :param resume: skip the graphs published to this store before, unchanged since, and still whole there.
    :param retries: further attempts for a graph that failed for a transient reason.
    :param backoff: seconds before the first retry; each next one waits twice as long.
    :raises PublishError: naming the graph and the HTTP status (or the network error) that stopped the run; or
        for a URL that is not http(s), or a Graph Store URL whose query endpoint is neither known nor given.
    :raises NotBuiltError: when ``build_dir`` holds no complete build.
    """
    progress = progress or _Silent()
    query_url = check_target(target)
    client = _Client(target.credentials)
    started = time.monotonic()
    with _pinned(build_dir) as (pinned, manifest):
        record = _Record(record_path(build_dir), target.store_url)
        held = client.count_triples(query_url, [g.iri for g in manifest.graphs]) if resume else {}
        uploads = []
        for number, info in enumerate(manifest.graphs, start=1):
            path = pinned / info.file
            checksum = _sha256(path)
            if resume and record.holds(info, checksum) and held.get(info.iri) == info.triples:
                upload = Upload(info, path.stat().st_size)
            else:
                upload = _upload_with_retries(client, target.store_url, info, path, retries, backoff, progress)
                if not record.add(info, checksum):
                    progress.warning(f"cannot write {record.path}: --resume will publish every graph again")
            uploads.append(upload)
            progress.done(upload, number, len(manifest.graphs))
        counts = client.count_triples(query_url, [g.iri for g in manifest.graphs])
    return PublishReport(uploads, time.monotonic() - started, counts)


def upload_line(upload: Upload, number: int, total: int) -> str:
    """The line that reports one graph.

    >>> info = GraphInfo("urn:g", "g", "graphs/g.ttl", 20000)
    >>> upload_line(Upload(info, 2_500_000, 0.5, 1), 1, 2)
    'kg: published urn:g (20000 triples, 2.50 MB) in 0.50 s: 40000 triples/s, 5.00 MB/s [1/2]'
    >>> upload_line(Upload(info, 2_500_000), 2, 2)
    'kg: skipped urn:g (20000 triples): published before, unchanged, and whole in the store [2/2]'
    """
    info = upload.info
    if upload.skipped:
        why = "published before, unchanged, and whole in the store"
        return f"kg: skipped {info.iri} ({info.triples} triples): {why} [{number}/{total}]"
    tries = f", {upload.attempts} attempts" if upload.attempts > 1 else ""
    return (
        f"kg: published {info.iri} ({info.triples} triples, {upload.size / 1e6:.2f} MB) in {upload.seconds:.2f} s:"
        f" {_rates(info.triples, upload.size, upload.seconds)}{tries} [{number}/{total}]"
    )


def bar_text(info: GraphInfo, sent: int, size: int, seconds: float) -> str:
    """The live progress bar of one graph's upload (triples per second estimated from the bytes sent).

    >>> bar_text(GraphInfo("urn:g", "inferred", "graphs/inferred.ttl", 1000), 500, 1000, 0.5)
    'inferred [##########          ]  50% 0.00 of 0.00 MB: 1000 triples/s, 0.00 MB/s'
    """
    done = sent / size if size else 1.0
    filled = round(20 * done)
    triples = info.triples * done
    return (
        f"{info.name} [{'#' * filled}{' ' * (20 - filled)}] {100 * done:3.0f}% {sent / 1e6:.2f} of {size / 1e6:.2f} MB:"
        f" {_rates(triples, sent, seconds)}"
    )


def summary_lines(report: PublishReport, store_url: str) -> list[str]:
    """The closing lines: the totals, then the store's counts against the build's (each graph that differs).

    >>> info = GraphInfo("urn:g", "g", "graphs/g.ttl", 10)
    >>> for line in summary_lines(PublishReport([Upload(info, 1000, 0.1, 1)], 0.2, {"urn:g": 9}), "http://s/store"):
    ...     print(line)
    kg: published 1 graphs (10 triples, 0.00 MB) to http://s/store in 0.20 s: 50 triples/s, 0.01 MB/s
    kg: the store holds 9 triples in urn:g, the build 10: they differ
    """
    sent = [u for u in report.uploads if not u.skipped]
    triples, size = sum(u.info.triples for u in sent), sum(u.size for u in sent)
    skipped = len(report.uploads) - len(sent)
    lines = [
        f"kg: published {len(sent)} graphs{f', skipped {skipped}' if skipped else ''} ({triples} triples,"
        f" {size / 1e6:.2f} MB) to {store_url} in {report.seconds:.2f} s: {_rates(triples, size, report.seconds)}"
    ]
    lines += [
        f"kg: the store holds {count} triples in {info.iri}, the build {info.triples}: they differ"
        for info, count in report.mismatches
    ]
    if not report.mismatches:
        total = sum(report.store_counts.get(u.info.iri, 0) for u in report.uploads)
        lines.append(f"kg: the store holds {total} triples in the {len(report.uploads)} graphs, as built")
    return lines


def _rates(triples: float, size: float, seconds: float) -> str:
    seconds = max(seconds, 1e-6)
    return f"{triples / seconds:.0f} triples/s, {size / seconds / 1e6:.2f} MB/s"


def check_target(target: Target) -> str:
    """The SPARQL query URL to count the published triples with, once the target's URLs are checked.

    :raises PublishError: for a URL that is not http(s) or carries credentials, or a Graph Store URL
        whose query endpoint is neither known nor given.
    """
    _check_url("--to", target.store_url)
    query_url = target.query_url or query_url_for(target.store_url)
    if query_url is None:
        raise PublishError(
            f"cannot tell the SPARQL query endpoint of the store at {target.store_url[:200]}, to count the triples"
            " published: give it with --query-url"
        )
    _check_url("--query-url", query_url)
    return query_url


def _check_url(option: str, url: str) -> None:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PublishError(f"{option} must be an http(s) URL of the store, not {url[:200]!r}")
    if parts.username is not None or parts.password is not None:
        raise PublishError(f"{option} must not carry credentials (user:password@): use --user or --token")


@contextlib.contextmanager
def _pinned(build_dir: Path) -> Iterator[tuple[Path, Manifest]]:
    """The build's manifest and graph files, pinned for the length of the run (beside the build: hard links)."""
    if read_manifest(build_dir) is None:
        raise NotBuiltError(f"no build in {build_dir}: run 'kg build' first")
    folder = Path(tempfile.mkdtemp(prefix=".publish-", dir=build_dir.parent))
    try:
        pinned = pin_build(build_dir, folder, graph_files=True)
        manifest = read_manifest(pinned)
        assert manifest is not None  # pin_build checked it
        yield pinned, manifest
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _sha256(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


class _Record:
    """What was published where: ``{store URL: {graph IRI: {"sha256": ..., "triples": n}}}``, in a JSON file."""

    def __init__(self, path: Path, store_url: str) -> None:
        self.path = path
        self.store_url = store_url
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            self.data: dict = data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            self.data = {}

    def holds(self, info: GraphInfo, checksum: str) -> bool:
        entry = self.data.get(self.store_url, {}).get(info.iri)
        return entry == {"sha256": checksum, "triples": info.triples}

    def add(self, info: GraphInfo, checksum: str) -> bool:
        """Record one graph as published; False when the record cannot be written."""
        self.data.setdefault(self.store_url, {})[info.iri] = {"sha256": checksum, "triples": info.triples}
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        try:
            temporary.write_text(json.dumps(self.data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
            temporary.replace(self.path)
        except OSError:
            temporary.unlink(missing_ok=True)
            return False
        return True


class _TransientError(PublishError):
    """A failure worth another try; ``retry_after`` is the store's own advice, in seconds, if it gave one."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _upload_with_retries(
    client: _Client, store_url: str, info: GraphInfo, path: Path, retries: int, backoff: float, progress: Progress
) -> Upload:
    for attempt in range(1, retries + 2):
        started = time.monotonic()
        try:
            client.put_file(graph_url(store_url, info.iri), path, info, progress)
            return Upload(info, path.stat().st_size, time.monotonic() - started, attempt)
        except _TransientError as error:
            if attempt > retries:
                tries = f" (tried {attempt} times)" if attempt > 1 else ""
                raise PublishError(f"{error}{tries}") from None
            delay = min(
                error.retry_after if error.retry_after is not None else backoff * 2 ** (attempt - 1), MAX_BACKOFF
            )
            progress.retrying(info, attempt + 1, delay, str(error))
            time.sleep(delay)
    raise AssertionError("unreachable")  # the loop returns or raises


def _report_sent(progress: Progress, info: GraphInfo, size: int, started: float, sent: int) -> None:
    progress.sending(info, sent, size, time.monotonic() - started)


class _Reader:
    """A graph's file as a request body, reporting each block read."""

    def __init__(self, file: BinaryIO, on_read: Callable[[int], None]) -> None:
        self.file = file
        self.sent = 0
        self.on_read = on_read

    def read(self, size: int = -1) -> bytes:
        data = self.file.read(size)
        self.sent += len(data)
        if data:
            self.on_read(self.sent)
        return data


@dataclass
class _Answer:
    status: int
    reason: str
    headers: http.client.HTTPMessage
    body: bytes


class _Client:
    """HTTP requests to the store, authenticated as its 401 asks: Basic, Digest, or the bearer token."""

    def __init__(self, credentials: Credentials) -> None:
        self.credentials = credentials
        #: The Graph Store endpoint's challenge, once known (Digest answers one per request).
        self.challenge: Challenge | None = None
        #: Whether the store was asked for its challenge and asked for none (then --user means Basic).
        self.unchallenged = False

    def put_file(self, url: str, path: Path, info: GraphInfo, progress: Progress) -> None:
        """PUT the file at ``path`` as the graph at ``url``.

        With ``--user``, a HEAD first fetches the store's challenge (and a fresh Digest nonce), so
        that the graph is sent once, with the right authorization, rather than refused after it was sent.

        :raises _TransientError: for a reset, a timeout, or a transient status (worth another try).
        :raises PublishError: for any other refusal, or an unreachable store.
        """
        syntax = rdf_syntax_from_extension(path.name)
        size = path.stat().st_size
        headers = {"Content-Type": syntax.media_type if syntax else "text/turtle", "Content-Length": str(size)}
        what = f"graph {info.iri}"
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
                body = _Reader(file, partial(_report_sent, progress, info, size, time.monotonic()))
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

        :raises _TransientError: when the connection was reset or timed out.
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
            raise _TransientError(f"the store at {_base(url)} broke off for {what}: {_reason(error)}") from None
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
            return _TransientError(message, _retry_after(answer.headers.get("Retry-After")))
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
