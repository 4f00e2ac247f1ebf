"""Benchmark: the build split into map, reason, validate, serialize, beside a plain owlrl closure.

Run from the repository's top folder:  python bench/build_times.py [--runs N]

The plain call is what a user of owlrl would write: ``DeductiveClosure(OWLRL_Semantics).expand(g)``
on one graph holding the ontology and the asserted triples, the same input the build reasons over
before it sets the evidence layer aside. Each figure is the median of N runs, in seconds.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import owlrl
from rdflib import Graph

from kg.build import build
from kg.project import Project


def plain_owlrl_seconds(project: Project) -> float:
    graph = Graph().parse(project.ontology_file, format="turtle")
    for name in sorted((project.build_dir / "graphs").glob("article-*.ttl")):
        graph.parse(name, format="turtle")
    start = time.perf_counter()
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(graph)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        project = Project.at(Path.cwd(), Path(folder) / "build")
        steps: dict[str, list[float]] = {}
        for _ in range(args.runs):
            report = build(project, force=True)
            for step, seconds in report.timings.items():
                steps.setdefault(step, []).append(seconds)
            steps.setdefault("total", []).append(sum(report.timings.values()))
        plain = [plain_owlrl_seconds(project) for _ in range(args.runs)]
        counts = report.manifest.counts
    print(f"input: {counts['asserted']} asserted + {counts['ontology']} ontology triples; {args.runs} runs, median")
    print("| step | seconds |\n|---|---|")
    for step, values in steps.items():
        print(f"| {step} | {statistics.median(values):.2f} |")
    print(f"| plain owlrl expand() on ontology + asserted | {statistics.median(plain):.2f} |")


if __name__ == "__main__":
    main()
