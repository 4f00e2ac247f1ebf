"""The one store as the story grows: start-up, replacing a killed query worker, and memory, against Oxigraph's server.

Run from the repository's top folder, after ``kg build`` (the 1-article figures are the project's own build)::

    python bench/store.py --articles 1 10 100 [--corpora build/corpora]

For N > 1, a synthetic corpus of N articles (``bench/corpus.py``, seed 7) is built into
``--corpora`` (kept there, and reused by the next run) or a temporary folder. For each N:

- the stores: quads (of the one with inferences), table files and bytes on disk (both);
- ``kg serve`` (default settings: 2 HTTP processes, 2 query workers each, result cache on): seconds
  from the command to its first answer; memory (PSS of its process tree: the ``kg serve`` process,
  the HTTP processes and their query workers) at rest and after the competency queries ran twice;
- the seconds a killed query worker takes to be replaced (SIGKILL, until ``/health`` counts every
  worker ready again; one HTTP process, so that ``/health`` is its), median of 5;
- ``oxigraph serve-read-only`` on the build's store (its default graph the merge of every graph,
  the inferences too, as ``kg serve``'s): seconds to its first answer, and its PSS at rest and after
  the same queries;
- the design the store replaced, in which each query worker parsed the build into a store in its
  memory: the seconds one worker took to load it, and its PSS;
- the alternative considered, a zygote: one process loads the store into memory and forks a worker
  per slot, which shares it copy-on-write: seconds from a fork to the forked worker's first
  answer, and the PSS of the zygote and 4 forked workers after each ran the queries.

PSS counts a page shared by several processes once in all; the operating system's page cache,
which holds the store's files for every reader, is in neither server's figure.
"""

# ruff: noqa: S310, S603 - local URLs and commands built here, never from input

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from corpus import write_corpus  # noqa: E402

from bench import free_port, process  # noqa: E402
from kg.dataset import DATASET_FILE, STORE_DIR, STORE_DIRS, open_store, read_manifest, store_files  # noqa: E402
from server.proctree import children, descendants, memory_bytes  # noqa: E402

ASK = "ASK { ?s ?p ?o }"
#: Python that loads the build in ``build`` into a store in memory, as a query worker of the former design did.
LOAD_IN_MEMORY = """
from kg.dataset import STORE_DIR, merged_into, read_manifest, DATASET_FILE
import pyoxigraph as ox
manifest = read_manifest(build)
merged = {ox.NamedNode(g.iri) for g in manifest.graphs if merged_into(STORE_DIR, g)}
store = ox.Store()
def quads():
    for quad in ox.parse(path=str(build / DATASET_FILE), format=ox.RdfFormat.N_QUADS, rename_blank_nodes=False):
        yield quad
        if quad.graph_name in merged:
            yield ox.Quad(quad.subject, quad.predicate, quad.object, ox.DefaultGraph())
store.bulk_extend(quads())
"""
#: A process that loads the build into memory as a query worker of the former design did.
IN_MEMORY_WORKER = (
    """
import sys, time
started = time.perf_counter()
from pathlib import Path
from kg.query import run_query
from server.answers import write_answer
build = Path(sys.argv[1])
"""
    + LOAD_IN_MEMORY
    + """
bool(run_query(store, "ASK { ?s ?p ?o }"))
print(time.perf_counter() - started, flush=True)
sys.stdin.read()
"""
)
#: A zygote: the store in memory once, a worker forked per slot; prints seconds from each fork to its first answer.
ZYGOTE = (
    """
import os, sys, time, json
from pathlib import Path
from kg.query import run_query, serialize_result
build = Path(sys.argv[1])
queries = [p.read_text() for p in sorted(Path(sys.argv[2]).glob("*.rq"))]
"""
    + LOAD_IN_MEMORY
    + """
forks = []
for _ in range(4):
    ready, done = os.pipe()
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        bool(run_query(store, "ASK { ?s ?p ?o }"))
        os.write(done, b".")
        for query in queries:
            serialize_result(run_query(store, query), "json")
        os.write(done, b".")
        time.sleep(3600)
    os.read(ready, 1)
    forks.append(time.perf_counter() - started)
    os.read(ready, 1)
print(json.dumps(forks), flush=True)
sys.stdin.read()
"""
)


def build_corpus(articles: int, corpora: Path) -> Path:
    """The build folder of a corpus of ``articles`` synthetic articles, built if it is not yet."""
    project = corpora / f"corpus-{articles}"
    if not project.exists():
        write_corpus(project, articles)
    command = [sys.executable, "-m", "kg", "--project", str(project), "--build-dir", str(project / "build"), "build"]
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return project / "build"


def store_figures(build_dir: Path) -> dict:
    manifest, store = open_store(build_dir)
    folders = [build_dir / folder for folder in STORE_DIRS]
    size = sum(path.stat().st_size for folder in folders for path in folder.iterdir())
    tables = sum(len(store_files(folder)) for folder in folders)
    return {"quads": len(store), "table files": tables, "stores MiB": size / 2**20, "articles": len(manifest.articles)}


def ask(url: str) -> bool:
    request = urllib.request.Request(f"{url}?{urllib.parse.urlencode({'query': ASK})}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def first_answer(url: str, started: float, limit: float = 300) -> float:
    while time.monotonic() - started < limit:
        if ask(url):
            return time.monotonic() - started
        time.sleep(0.01)
    raise RuntimeError(f"{url} did not answer within {limit} s")


def run_queries(url: str, times: int = 2) -> None:
    for _ in range(times):
        for path in sorted((ROOT / "queries").glob("*.rq")):
            request = urllib.request.Request(
                f"{url}?{urllib.parse.urlencode({'query': path.read_text()})}",
                headers={"Accept": "application/sparql-results+json"},
            )
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    response.read()
            except OSError:
                pass  # a query at a time limit: the memory it took is what is measured


def kg_figures(project: Path | None, build_dir: Path) -> dict:
    """Start-up, memory at rest and after the queries, of ``kg serve`` with its defaults."""
    port = free_port()
    command = [sys.executable, "-m", "kg"]
    if project is not None:
        command += ["--project", str(project)]
    command += ["--build-dir", str(build_dir), "serve", "--port", str(port)]
    started = time.monotonic()
    with process(command, cwd=ROOT) as pid:
        url = f"http://127.0.0.1:{port}/sparql"
        startup = first_answer(url, started)
        time.sleep(2)  # every worker of both HTTP processes started
        rest = memory_bytes([pid, *descendants(pid)])
        run_queries(url)
        after = memory_bytes([pid, *descendants(pid)])
    return {"start-up s": startup, "PSS at rest MiB": rest / 2**20, "PSS after queries MiB": after / 2**20}


def replacement_seconds(project: Path | None, build_dir: Path, kills: int = 5) -> list[float]:
    """Seconds from SIGKILL of an idle query worker until ``/health`` counts every worker ready again."""
    port = free_port()
    command = [sys.executable, "-m", "kg"]
    if project is not None:
        command += ["--project", str(project)]
    command += ["--build-dir", str(build_dir), "serve", "--port", str(port)]
    env = {**os.environ, "KG_SERVER_HTTP_WORKERS": "1"}
    seconds = []
    with process(command, env=env, cwd=ROOT) as pid:
        health = f"http://127.0.0.1:{port}/health"
        first_answer(f"http://127.0.0.1:{port}/sparql", time.monotonic())
        for _ in range(kills):
            wait_all_ready(health)
            (http,) = children(pid)
            os.kill(children(http)[0], signal.SIGKILL)
            killed = time.monotonic()
            time.sleep(0.005)
            wait_all_ready(health)
            seconds.append(time.monotonic() - killed)
    return seconds


def wait_all_ready(health: str, limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(health, timeout=5) as response:
                workers = json.load(response)["workers"]
            if workers["starting"] == 0 and workers["busy"] == 0:
                return
        except OSError:
            pass
        time.sleep(0.002)
    raise RuntimeError("the query workers were not all ready in time")


def oxigraph_figures(build_dir: Path) -> dict:
    oxigraph = str(Path(sys.executable).with_name("oxigraph"))
    bind = f"127.0.0.1:{free_port()}"
    location = str(build_dir / STORE_DIR)
    command = [oxigraph, "serve-read-only", "--location", location, "--bind", bind]
    started = time.monotonic()
    with process(command) as pid:
        url = f"http://{bind}/query"
        startup = first_answer(url, started)
        rest = memory_bytes([pid, *descendants(pid)])
        run_queries(url)
        after = memory_bytes([pid, *descendants(pid)])
    return {"start-up s": startup, "PSS at rest MiB": rest / 2**20, "PSS after queries MiB": after / 2**20}


def in_memory_worker(build_dir: Path) -> dict:
    """A query worker of the former design: seconds to load the build (Python's start included) and its PSS."""
    child = subprocess.Popen([sys.executable, "-c", IN_MEMORY_WORKER, str(build_dir)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, cwd=ROOT)  # fmt: skip
    try:
        seconds = float(child.stdout.readline())
        pss = memory_bytes([child.pid])
    finally:
        child.kill()
        child.wait()
    return {"load s": seconds, "PSS MiB": pss / 2**20}


def zygote(build_dir: Path) -> dict:
    """The zygote alternative: seconds from each fork to its first answer, and the PSS of the zygote and its forks."""
    child = subprocess.Popen([sys.executable, "-c", ZYGOTE, str(build_dir), str(ROOT / "queries")],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)  # fmt: skip
    try:
        forks = json.loads(child.stdout.readline())
        pss = memory_bytes([child.pid, *descendants(child.pid)])
    finally:
        for pid in [*descendants(child.pid), child.pid]:
            os.kill(pid, signal.SIGKILL)
        child.wait()
    return {"fork to answer s": statistics.median(forks), "PSS, zygote + 4 forks MiB": pss / 2**20}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--corpora", type=Path, help="where the synthetic corpora are built and kept")
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build", help="the 1-article build")
    args = parser.parse_args()
    corpora = args.corpora or Path(tempfile.mkdtemp(prefix="kg-corpora-"))
    results = {}
    for articles in args.articles:
        if articles == 1:
            project, build_dir = None, args.build_dir.resolve()
        else:
            build_dir = build_corpus(articles, corpora)
            project = build_dir.parent
        assert read_manifest(build_dir) is not None and (build_dir / DATASET_FILE).exists()
        figures = {
            "store": store_figures(build_dir),
            "kg serve": kg_figures(project, build_dir),
            "replacing a killed worker s": replacement_seconds(project, build_dir),
            "oxigraph serve-read-only": oxigraph_figures(build_dir),
            "former design, one worker": in_memory_worker(build_dir),
            "zygote": zygote(build_dir),
            "load average": os.getloadavg()[0],
        }
        results[articles] = figures
        print(json.dumps({articles: figures}, indent=1), flush=True)
    print_table(results)
    return 0


def print_table(results: dict) -> None:
    print("\n| articles | quads | table files | stores MiB | kg serve: first answer s | Oxigraph: first answer s"
          " | worker replaced s (median, max) | kg serve PSS MiB, rest / after | Oxigraph PSS MiB, rest / after"
          " | ratio after | former worker: load s, PSS MiB | zygote: fork to answer s, PSS MiB | load |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---|---|---|---:|---|---|---:|")
    for articles, f in results.items():
        kg, ox, old, zy = f["kg serve"], f["oxigraph serve-read-only"], f["former design, one worker"], f["zygote"]
        replaced = f["replacing a killed worker s"]
        print(
            f"| {articles} | {f['store']['quads']:,} | {f['store']['table files']} | {f['store']['stores MiB']:.0f}"
            f" | {kg['start-up s']:.2f} | {ox['start-up s']:.2f}"
            f" | {statistics.median(replaced):.2f}, {max(replaced):.2f}"
            f" | {kg['PSS at rest MiB']:.0f} / {kg['PSS after queries MiB']:.0f}"
            f" | {ox['PSS at rest MiB']:.0f} / {ox['PSS after queries MiB']:.0f}"
            f" | {kg['PSS after queries MiB'] / ox['PSS after queries MiB']:.1f}"
            f" | {old['load s']:.2f}, {old['PSS MiB']:.0f}"
            f" | {zy['fork to answer s']:.3f}, {zy['PSS, zygote + 4 forks MiB']:.0f} | {f['load average']:.1f} |"
        )


if __name__ == "__main__":
    sys.exit(main())
