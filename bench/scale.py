"""Benchmark: the build as the story grows, on the synthetic corpus (``bench/corpus.py``).

Run from the repository's top folder (matplotlib, for the plot, is not a dependency of the project):

    .venv/bin/pip install matplotlib
    .venv/bin/python bench/scale.py --articles 1 10 100 300 [--owlrl-up-to 10] [--plot docs/scale.png]

For each N: a corpus of N synthetic articles (seed 7) in a temporary folder; ``kg build`` from
scratch (a new cache), in a subprocess whose process tree (the build and its worker processes) is
sampled every 20 ms for its resident memory (the sum over the processes: pages a forked worker
shares with the build count in both, so it is an upper bound), and whose CPU time (user + system,
every process) is counted; then ``kg build`` after one article's title changed, and after one more
article was added. Times by step are the build's own (its report, printed as JSON by a small
driver script). The reasoning is also run with plain owlrl on the same input (the reasoner's input:
ontology and story triples), up to N = ``--owlrl-up-to``, and that closure is checked equal to the
build's.

Results are printed as a Markdown table (and saved as JSON beside the plot), with the 1-minute load
average before and after each N: other work on the machine slows the figures down.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from corpus import write_article, write_corpus  # noqa: E402

from server.proctree import descendants  # noqa: E402

#: The issue's targets at 100 articles: a full build within 2 minutes, in at most 4 GiB.
TARGET_SECONDS, TARGET_MIB = 120, 4096

#: Runs one build in a fresh interpreter and prints its report as JSON.
DRIVER = """
import json, sys
from kg.build import build
from kg.project import Project
report = build(Project.at(sys.argv[1]), force=sys.argv[2] == "force")
print(json.dumps({"timings": report.timings, "work": report.work, "counts": report.manifest.counts,
                  "articles": len(report.manifest.articles)}))
"""


def rss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
    return total


def timed_build(project: Path, force: bool) -> dict:
    """One ``kg build`` in a subprocess: its report, wall time, and the peak RSS of its process tree."""
    process = subprocess.Popen(  # noqa: S603 - this interpreter, running the driver above
        [sys.executable, "-c", DRIVER, str(project), "force" if force else "reuse"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak, done = [0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss_kib([process.pid, *descendants(process.pid)]))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    start = time.perf_counter()
    sampler.start()
    out, _ = process.communicate()
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode:
        raise SystemExit(f"kg build failed in {project}")
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return {**json.loads(out.strip().splitlines()[-1]), "wall": wall, "cpu": cpu, "peak_mib": peak[0] / 1024}


def plain_owlrl(project: Path) -> tuple[float, bool]:
    """Plain owlrl over the reasoner's input, and whether its entailments equal the build's."""
    import owlrl
    from rdflib import Graph

    from kg.build import _canonical
    from kg.dataset import open_store
    from kg.mapping.mapper import map_article
    from kg.mapping.registry import read_registry
    from kg.project import Project
    from kg.reasoning import FILTERS, annotation_properties, reasoning_input
    from kg.vocabulary import Vocabulary

    kg_project = Project.at(project)
    ontology = _canonical(Graph().parse(kg_project.ontology_file, format="turtle"))
    vocabulary = Vocabulary(ontology)
    registry = read_registry(kg_project, vocabulary)
    graphs = [registry.graph] + [
        map_article(f, kg_project, vocabulary, registry)[1] for f in kg_project.article_folders()
    ]
    annotations = annotation_properties(ontology)
    work = Graph()
    for graph in [ontology, *graphs]:
        for triple in reasoning_input(graph, annotations).triples:
            work.add(triple)
    given = set(work)
    start = time.perf_counter()
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(work)
    seconds = time.perf_counter() - start
    asserted = set(ontology).union(*(set(g) for g in graphs))
    expected = {t for t in work if t not in given and t not in asserted and not any(f(t) for _, f in FILTERS)}
    _, store = open_store(kg_project.build_dir)
    import pyoxigraph as ox

    from kg.graphio import to_oxigraph

    inferred = ox.NamedNode("https://w3id.org/newskg/graph/inferred")
    built = {(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, None, None, inferred)}
    same = {tuple(to_oxigraph(t) for t in triple) for triple in expected} == built
    return seconds, same


def measure(articles: int, owlrl_up_to: int) -> dict:
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder) / "corpus"
        folders = write_corpus(project, articles)
        fresh = timed_build(project, force=True)
        mapping = project / "data" / folders[len(folders) // 2] / "mapping.yaml"
        mapping.write_text(mapping.read_text(encoding="utf-8").replace("  title: ", "  title: Changed, ", 1))
        changed = timed_build(project, force=False)
        write_article(articles + 1, 7, project)
        added = timed_build(project, force=False)
        shutil.rmtree(project / "data" / sorted((project / "data").glob("*synthetic*"))[-1].name)
        timed_build(project, force=False)  # back to N articles, for owlrl
        owlrl = plain_owlrl(project) if articles <= owlrl_up_to else (None, None)
    return {"articles": articles, "fresh": fresh, "changed": changed, "added": added,
            "owlrl_seconds": owlrl[0], "owlrl_equal": owlrl[1], "load": [load, os.getloadavg()[0]]}  # fmt: skip


def table(results: list[dict]) -> str:
    head = ("| N | asserted | inferred | map s | reason s | validate s | serialize s | full build s | CPU s"
            " | peak RSS MiB | rebuild after a change s | after adding one s | plain owlrl s | load |")  # fmt: skip
    rows = [head, "|" + "---:|" * 14]
    for r in results:
        f = r["fresh"]
        t = f["timings"]
        owl = f"{r['owlrl_seconds']:.1f}" + ("" if r["owlrl_equal"] else " (differs!)") if r["owlrl_seconds"] else "-"
        rows.append(
            f"| {r['articles']} | {f['counts']['asserted']:,} | {f['counts']['inferred']:,} | {t['map']:.1f} |"
            f" {t['reason']:.2f} | {t['validate']:.1f} | {t['serialize']:.2f} | {f['wall']:.1f} | {f['cpu']:.0f} |"
            f" {f['peak_mib']:.0f} |"
            f" {r['changed']['wall']:.1f} | {r['added']['wall']:.1f} | {owl} | {r['load'][0]:.1f}-{r['load'][1]:.1f} |"
        )
    return "\n".join(rows)


def plot(results: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = [r["articles"] for r in results]
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for step in ("map", "reason", "validate", "serialize"):
        left.plot(n, [r["fresh"]["timings"][step] for r in results], marker="o", label=step)
    left.plot(n, [r["fresh"]["wall"] for r in results], marker="o", color="black", label="full build (wall)")
    left.plot(n, [r["changed"]["wall"] for r in results], marker="s", linestyle="--", label="rebuild after a change")
    owl = [(r["articles"], r["owlrl_seconds"]) for r in results if r["owlrl_seconds"]]
    if owl:
        left.plot(*zip(*owl, strict=True), marker="x", linestyle=":", color="grey", label="plain owlrl (reasoning)")
    left.plot([100], [TARGET_SECONDS], marker="*", markersize=12, linestyle="", color="red", label="target at 100")
    left.set(xscale="log", yscale="log", xlabel="articles", ylabel="seconds", title="Build time by step")
    left.legend(fontsize=7)
    right.plot(n, [r["fresh"]["peak_mib"] for r in results], marker="o", color="purple", label="full build")
    right.axhline(TARGET_MIB, color="red", linestyle="--", label="target at 100 (4 GiB)")
    right.legend(fontsize=7)
    right.set(xscale="log", xlabel="articles", ylabel="MiB", title="Peak RSS of the build (all processes)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--owlrl-up-to", type=int, default=10)
    parser.add_argument("--plot", type=Path)
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}, load average at start: {os.getloadavg()}", flush=True)
    results = []
    for articles in args.articles:
        results.append(measure(articles, args.owlrl_up_to))
        print(table(results[-1:]).splitlines()[-1], flush=True)
    print(table(results))
    print(f"load average at the end: {os.getloadavg()}")
    if args.plot:
        plot(results, args.plot)
        args.plot.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
