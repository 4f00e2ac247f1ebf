"""``kg publish``: upload every named graph to a store that speaks the SPARQL 1.1 Graph Store HTTP Protocol.

One PUT per graph (https://www.w3.org/TR/sparql11-http-rdf-update/#http-put): PUT replaces the
graph whole, so publishing twice gives the same store. What a failed PUT leaves is the store's
affair: Oxigraph empties the graph before it loads the new one, so a graph that failed is missing
or partly there until it is published again (``resume`` sends it, its count being wrong). The body
is the graph's own Turtle file from the build, streamed from disk (``kg.graphstore``, which speaks
HTTP to the store). The build is pinned first (hard links), so a ``kg build`` meanwhile cannot mix
builds.

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
import json
import os
import shutil
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from kg.dataset import GraphInfo, Manifest, pin_build, read_manifest
from kg.errors import NotBuiltError, PublishError
from kg.graphstore import GraphStoreClient, TransientError, graph_url, query_url_for
from kg.httpauth import Credentials

__all__ = [
    "Credentials",
    "Progress",
    "PublishReport",
    "Target",
    "bar_text",
    "check_target",
    "publish",
    "record_path",
    "summary_lines",
    "upload_line",
]

#: The longest wait before trying a graph again, whatever the store's ``Retry-After`` says.
MAX_BACKOFF = 60.0


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
    client = GraphStoreClient(target.credentials)
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


def _upload_with_retries(
    client: GraphStoreClient,
    store_url: str,
    info: GraphInfo,
    path: Path,
    retries: int,
    backoff: float,
    progress: Progress,
) -> Upload:
    size = path.stat().st_size
    for attempt in range(1, retries + 2):
        started = time.monotonic()
        try:
            client.put_file(
                graph_url(store_url, info.iri),
                path,
                f"graph {info.iri}",
                lambda sent, seconds: progress.sending(info, sent, size, seconds),
            )
            return Upload(info, size, time.monotonic() - started, attempt)
        except TransientError as error:
            if attempt > retries:
                tries = f" (tried {attempt} times)" if attempt > 1 else ""
                raise PublishError(f"{error}{tries}") from None
            delay = min(
                error.retry_after if error.retry_after is not None else backoff * 2 ** (attempt - 1), MAX_BACKOFF
            )
            progress.retrying(info, attempt + 1, delay, str(error))
            time.sleep(delay)
    raise AssertionError("unreachable")  # the loop returns or raises
