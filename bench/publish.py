"""Benchmark: ``kg publish`` throughput to Oxigraph and to Virtuoso, on the real build and on a large synthetic one.

Run from the repository's top folder:  python bench/publish.py [--copies 100] [--runs 3]

The synthetic build stands in for the 100-article corpus of the "many articles" issue
(``bench/corpus.py``, not written yet): the real article's graph copied ``--copies`` times, each
copy with its article and entity IRIs renamed (``.../article/cN/...``, ``.../id/cN/...``), so the
copies share no triple; beside them the real ontology and inferred graphs. Each store is started
empty for each run (Oxigraph: ``oxigraph serve`` of the test extra, each graph loaded in a
transaction, or with ``?no_transaction`` by its bulk loader, "oxigraph-bulk"; Virtuoso: Debian's
``virtuoso-t`` with the tests' configuration), filled with ``kg.publish.publish`` (the code behind
``kg publish``; Digest for Virtuoso), then published to again with ``resume`` (every graph
skipped). Figures: the median of the runs. "Upload" is the PUTs alone; "end to end" adds pinning
the build, hashing the files, and counting the store's triples afterwards.

Also timed, once per store on the synthetic build: listing the project's graphs, which
``kg serve --backend`` does before each query that names no dataset (``server.remote``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.build import build  # noqa: E402
from kg.dataset import DATASET_FILE, MANIFEST_FILE, GraphInfo, Manifest, read_manifest  # noqa: E402
from kg.project import Project  # noqa: E402
from kg.publish import Credentials, Target, publish  # noqa: E402
from localstores.oxigraph import INSTALL_HINT, oxigraph_command, oxigraph_server  # noqa: E402
from localstores.virtuoso import missing, virtuoso_server  # noqa: E402
from server.remote import _NAMED_GRAPHS, _NAMED_GRAPHS_BY_TRIPLES  # noqa: E402

ARTICLE = "https://w3id.org/newskg/article/"
ENTITY = "https://w3id.org/newskg/id/"
ARTICLE_GRAPH = "https://w3id.org/newskg/graph/article/"


def synthetic_build(real: Path, into: Path, copies: int) -> Manifest:
    """A build folder: ``copies`` renamed copies of the real article graph, the real ontology and inferred graphs."""
    manifest = read_manifest(real)
    assert manifest is not None
    (into / "graphs").mkdir(parents=True)
    ontology, article, inferred = manifest.graph("ontology"), manifest.graphs[1], manifest.graph("inferred")
    text = (real / article.file).read_text(encoding="utf-8")
    graphs = [ontology]
    for n in range(1, copies + 1):
        name = f"article-c{n}"
        renamed = text.replace(ARTICLE, f"{ARTICLE}c{n}/").replace(ENTITY, f"{ENTITY}c{n}/")
        (into / "graphs" / f"{name}.ttl").write_text(renamed, encoding="utf-8")
        graphs.append(GraphInfo(f"{ARTICLE_GRAPH}c{n}", name, f"graphs/{name}.ttl", article.triples))
    graphs.append(inferred)
    for info in (ontology, inferred):
        (into / info.file).write_bytes((real / info.file).read_bytes())
    (into / DATASET_FILE).write_text("")  # kg publish sends the graph files only
    synthetic = Manifest(manifest.inputs, manifest.version, [g.name for g in graphs[1:-1]], graphs)
    (into / MANIFEST_FILE).write_text(json.dumps(synthetic.to_json()))
    return synthetic


@contextmanager
def store(kind: str, folder: Path):
    """An empty store: (Target for kg publish, its SPARQL query URL)."""
    if kind.startswith("oxigraph"):
        with oxigraph_server(folder) as base:
            bulk = "?no_transaction" if kind == "oxigraph-bulk" else ""  # its bulk loader, no transaction
            yield Target(f"{base}/store{bulk}"), f"{base}/query"
    else:
        with virtuoso_server(folder) as server:
            yield Target(server.graph_store, Credentials("dba", "dba")), server.sparql


def listing_ms(query_url: str, query: str, repeat: int = 20) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        request = urllib.request.Request(  # noqa: S310 - the store this benchmark started
            query_url,
            data=urllib.parse.urlencode({"query": query}).encode(),
            headers={"Accept": "application/sparql-results+xml"},
        )
        urllib.request.urlopen(request, timeout=60).read()  # noqa: S310
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def run(kind: str, build_dir: Path, manifest: Manifest, runs: int, time_listing: bool) -> dict:
    triples = sum(g.triples for g in manifest.graphs)
    size = sum((build_dir / g.file).stat().st_size for g in manifest.graphs)
    upload, total, resume = [], [], []
    listing = None
    for _ in range(runs):
        (build_dir.with_name(build_dir.name + ".published.json")).unlink(missing_ok=True)
        with (
            tempfile.TemporaryDirectory(prefix=f"bench-{kind}-") as folder,
            store(kind, Path(folder) / "db") as (
                target,
                query_url,
            ),
        ):
            report = publish(build_dir, target)
            assert not report.mismatches, report.mismatches
            upload.append(sum(u.seconds for u in report.uploads))
            total.append(report.seconds)
            again = publish(build_dir, target, resume=True)
            assert all(u.skipped for u in again.uploads)
            resume.append(again.seconds)
            if time_listing and listing is None:
                query = _NAMED_GRAPHS_BY_TRIPLES if kind == "virtuoso" else _NAMED_GRAPHS
                listing = listing_ms(query_url, query)
    up, end = statistics.median(upload), statistics.median(total)
    return {
        "store": kind,
        "graphs": len(manifest.graphs),
        "triples": triples,
        "MB": size / 1e6,
        "upload s": up,
        "triples/s": triples / up,
        "MB/s": size / 1e6 / up,
        "end to end s": end,
        "resume s": statistics.median(resume),
        "listing ms": listing,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=100, help="article copies in the synthetic build")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--stores", default="oxigraph,oxigraph-bulk,virtuoso")
    args = parser.parse_args()
    kinds = args.stores.split(",")
    if any(kind.startswith("oxigraph") for kind in kinds) and not oxigraph_command():
        sys.exit(INSTALL_HINT)
    if "virtuoso" in kinds and missing():
        sys.exit(missing())
    with tempfile.TemporaryDirectory(prefix="bench-publish-") as folder:
        real = build(Project.at(ROOT, Path(folder) / "build")).manifest
        synthetic = synthetic_build(Path(folder) / "build", Path(folder) / "synthetic", args.copies)
        rows = []
        for name, build_dir, manifest in (
            ("real build", Path(folder) / "build", real),
            (f"synthetic, {args.copies} article copies", Path(folder) / "synthetic", synthetic),
        ):
            for kind in kinds:
                row = run(kind, build_dir, manifest, args.runs, time_listing=manifest is synthetic)
                rows.append({"dataset": name, **row})
                print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    print("| dataset | store | graphs | triples | MB | upload s | triples/s | MB/s | end to end s | --resume s |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['dataset']} | {r['store']} | {r['graphs']} | {r['triples']:,} | {r['MB']:.1f} | {r['upload s']:.2f}"
            f" | {r['triples/s']:,.0f} | {r['MB/s']:.1f} | {r['end to end s']:.2f} | {r['resume s']:.2f} |"
        )
    for r in rows:
        if r["listing ms"] is not None:
            print(f"\nListing the project's graphs on {r['store']} ({r['graphs']} graphs): {r['listing ms']:.1f} ms")


if __name__ == "__main__":
    main()
