"""How long the pages take: each page of ``kg serve`` fetched by one client, with the result cache on and off.

The target (issue 13): an entity page in under 100 ms at one article. Each page is made from a
handful of SPARQL queries run by the query workers; with the cache on, a page seen before costs
no query. Reported per page: the first fetch after start (cold), then the median and 95th
percentile of ``--requests`` fetches in a row on one keep-alive connection.

Usage (from the repository's top folder, after ``kg build``)::

    python bench/pages.py [--requests 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import requests

from bench import ROOT, kg_serve

PAGES = {
    "entity (Keir Starmer)": "id/keir-starmer",
    "entity (Vladimir Putin)": "id/vladimir-putin",
    "entity, Turtle": "id/keir-starmer?format=turtle",
    "article": "article/2025-08-17-witkoff-security-guarantees",
    "timeline": "timeline",
    "graph view": "graph-view",
    "ontology": "ontology",
    "home": "",
    "search (JSON)": "search?q=zel",
}


def measure(url: str, count: int) -> dict[str, float]:
    session = requests.Session()
    headers = {"Accept": "application/json" if "search" in url else "text/html"}  # as a browser asks
    started = time.perf_counter()
    session.get(url, headers=headers, timeout=30).raise_for_status()
    first = time.perf_counter() - started
    times = []
    for _ in range(count):
        started = time.perf_counter()
        session.get(url, headers=headers, timeout=30).raise_for_status()
        times.append(time.perf_counter() - started)
    times.sort()
    return {
        "first": first * 1000,
        "median": statistics.median(times) * 1000,
        "p95": times[int(len(times) * 0.95) - 1] * 1000,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    results: dict[str, dict[str, dict[str, float]]] = {}
    for label, cache in (("cache on", True), ("cache off", False)):
        with kg_serve(ROOT / "build", cache) as server:
            url = server.url.removesuffix("sparql")
            results[label] = {name: measure(url + path, args.requests) for name, path in PAGES.items()}
    print("| page | first ms | median ms, cache on | p95 ms, cache on | median ms, cache off | p95 ms, cache off |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in PAGES:
        on, off = results["cache on"][name], results["cache off"][name]
        cells = [on["first"], on["median"], on["p95"], off["median"], off["p95"]]
        print(f"| {name} | " + " | ".join(f"{ms:.1f}" for ms in cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
