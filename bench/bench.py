"""Throughput and latency of ``kg serve`` on the competency query mix, against Oxigraph's server and rdflib-endpoint.

Each server runs alone (the machine's cores are not shared between two servers), on the same
build, with the default graph as the merge of the named graphs (Oxigraph's server on the build's
own store). ``wrk`` sends the competency
queries in turn, GET with ``Accept: application/sparql-results+json``, from 8 connections, then
from 1 (latency without queueing). The in-process baseline runs the same queries with
``kg.query.run_query`` and serialises them as JSON, in this process.

Usage (from the repository's top folder, after ``kg build``)::

    python bench/bench.py [--duration 10] [--rdflib-python /path/to/venv/bin/python]

Needs ``wrk`` on the PATH and the ``oxigraph`` command (PyPI package ``oxigraph``) beside Python.
rdflib-endpoint runs only when ``--rdflib-python`` names a Python that has it (keep it out of the
project's environment: it pins its own FastAPI stack).
"""

# ruff: noqa: S310, S603 - local URLs and commands built here, never from input

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from kg.dataset import STORE_DIR
from server.proctree import cpu_seconds, descendants

ROOT = Path(__file__).resolve().parent.parent

QUERIES: list[Path] = []  # the mix: queries/*.rq, less --exclude
PROJECT: list[Path] = [ROOT]  # the project whose build is served (--project: a synthetic corpus)
ACCEPT = "application/sparql-results+json"
#: Seconds: ``kg serve``'s time limit (its default QUERY_TIMEOUT). A query a server takes longer over alone has no
#: figure for that server.
TIME_LIMIT = 10
RDFLIB_APP = """
import sys, uvicorn
from rdflib import Dataset
from rdflib_endpoint import SparqlEndpoint
dataset = Dataset(default_union=True)
dataset.parse(sys.argv[1], format="nquads")
uvicorn.run(SparqlEndpoint(graph=dataset), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, limit: float = 120) -> float:
    """Seconds until ``url`` answers 200."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return time.monotonic() - started
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"{url} did not answer within {limit} s")


@dataclass(frozen=True)
class Server:
    """A running server: where to send queries, and its process (whose tree's CPU time is counted)."""

    url: str
    pid: int


@contextmanager
def process(command: list[str], env: dict | None = None, cwd: Path | None = None) -> Iterator[int]:
    """Run ``command`` in a process group of its own for the duration of the block; its process id.

    It is asked to stop (SIGTERM), and its whole group is killed after 20 s or once it has ended:
    a server's HTTP processes and query workers go with it, whatever becomes of it.
    """
    child = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=cwd, start_new_session=True
    )
    try:
        yield child.pid
    finally:
        child.terminate()
        with suppress(subprocess.TimeoutExpired):
            child.wait(timeout=20)
        with suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
        child.wait()


@contextmanager
def kg_serve(build_dir: Path, cache: bool) -> Iterator[Server]:
    """``kg serve`` of ``PROJECT`` (this checkout's by default) on ``build_dir``, its result cache on or off."""
    port = free_port()
    env = {**os.environ, "KG_SERVER_RESULT_CACHE_MB": "64" if cache else "0"}
    command = [sys.executable, "-m", "kg", "--project", str(PROJECT[0]), "--build-dir", str(build_dir)]
    command += ["serve", "--port", str(port)]
    with process(command, env, cwd=ROOT) as pid:
        base = f"http://127.0.0.1:{port}"
        wait_for(base + "/health")
        yield Server(base + "/sparql", pid)


@contextmanager
def oxigraph_server(location: str) -> Iterator[Server]:
    """Oxigraph's own server, read-only, on the store in ``location``.

    No ``--timeout-s``: Oxigraph 0.5.13 then starts a thread per query that sleeps out the timeout,
    and at 5,800 req/s aborts ("failed to allocate an alternative stack"), out of threads.
    """
    bind = f"127.0.0.1:{free_port()}"
    command = [str(Path(sys.executable).with_name("oxigraph")), "serve-read-only", "--location", location]
    with process([*command, "--bind", bind]) as pid:
        wait_for(f"http://{bind}/query?query=ASK%7B%7D")
        yield Server(f"http://{bind}/query", pid)


@contextmanager
def oxigraph_serve(build_dir: Path) -> Iterator[Server]:
    """Oxigraph's own server on the build's store, whose default graph merges every graph (as ``kg serve``'s)."""
    with oxigraph_server(str(build_dir / STORE_DIR)) as server:
        yield server


@contextmanager
def rdflib_endpoint(build_dir: Path, python: str) -> Iterator[Server]:
    port = free_port()
    with process([python, "-c", RDFLIB_APP, str(build_dir / "dataset.nq"), str(port)]) as pid:
        url = f"http://127.0.0.1:{port}/"
        wait_for(url + "?query=ASK%7B%7D")
        yield Server(url, pid)


def check_answers(url: str, timeout: float = 60, queries: list[Path] | None = None) -> list[Path]:
    """The queries that answer 200 within ``timeout`` seconds (so that wrk measures answers, not errors).

    :raises OSError: for a query that does not, unless ``queries`` are given (rdflib-endpoint's slow ones).
    """
    answered = []
    for path in queries or QUERIES:
        request = urllib.request.Request(
            f"{url}?{urllib.parse.urlencode({'query': path.read_text()})}", headers={"Accept": ACCEPT}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                json.load(response)
        except (OSError, ValueError):  # no answer, an error, or an answer cut at Oxigraph's time limit
            if queries is None:
                raise
            continue
        answered.append(path)
    return answered


def query_paths(url: str, queries: list[Path] | None = None) -> list[str]:
    """Request paths (with the query string) sending ``queries`` (default: the whole mix) to ``url``."""
    return [
        f"{urllib.parse.urlsplit(url).path}?{urllib.parse.urlencode({'query': p.read_text()})}"
        for p in (queries or QUERIES)
    ]


def health_path(url: str) -> list[str]:
    """kg serve's /health: a request through the same HTTP stack that runs no query."""
    return [urllib.parse.urlsplit(url).path.removesuffix("/sparql") + "/health"]


def run_wrk(
    server: Server, connections: int, duration: int, paths: list[str], unique: bool = False
) -> dict[str, float]:
    """wrk requesting ``paths`` in turn from ``server``; with the server's CPU time per request.

    :param unique: end each query with a comment of its own (``%23`` and a number), so that no two
        requests are the same query: none is answered by the result cache, or shares the run of another.
    """
    url = server.url
    script = "local paths = {" + ",".join(json.dumps(p) for p in paths) + "}\n"
    script += """local i = 0
local n = 0
request = function()
  i = i % #paths + 1
  n = n + 1
  local path = paths[i]
  if UNIQUE then path = path .. "%0A%23" .. math.random(1, 1000000000) .. "-" .. n end
  return wrk.format("GET", path, {["Accept"] = "ACCEPT"})
end
""".replace("ACCEPT", ACCEPT).replace("UNIQUE", "true" if unique else "false")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script)
    threads = min(connections, 2)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "-s", lua.name, url]
    processes = [server.pid, *descendants(server.pid)]
    cpu_before = cpu_seconds(processes)
    output = subprocess.run(command, capture_output=True, text=True, check=False).stdout
    cpu = cpu_seconds(processes) - cpu_before
    os.unlink(lua.name)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if not re.search(r"Requests/sec:\s+[\d.]+", output) or not re.search(r"^\s+50%", output, re.MULTILINE):
        return {"rps": 0.0, "cpu_us": 0.0, "p50_ms": 0.0, "p99_ms": 0.0, "errors": 0}  # not one answer in time
    requests = int(re.search(r"(\d+) requests in", output)[1])
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1]),
        "cpu_us": cpu / max(requests, 1) * 1e6,
        "p50_ms": _ms(re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)[1]),
        "p99_ms": _ms(re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)[1]),
        "errors": int(errors[1]) if errors else 0,
    }


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def in_process(build_dir: Path, rounds: int = 30) -> float:
    """Median milliseconds per query of the mix: run_query + JSON, in this process."""
    from kg.dataset import open_store
    from kg.query import run_query, serialize_result

    _, store = open_store(build_dir)
    texts = [p.read_text() for p in QUERIES]
    samples = []
    for _ in range(rounds):
        for text in texts:
            started = time.perf_counter()
            serialize_result(run_query(store, text), "json")
            samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, default=ROOT, help="the project of the build (a corpus)")
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rdflib-python", help="a Python with rdflib-endpoint and uvicorn installed")
    parser.add_argument("--exclude", nargs="*", default=[], metavar="NAME", help="competency queries to leave out")
    parser.add_argument("--only", nargs="*", default=[], metavar="NAME", help="these competency queries alone")
    parser.add_argument(
        "--per-query", action="store_true", help="throughput of each query alone: kg serve (cache off) vs Oxigraph"
    )
    parser.add_argument("--repeat", type=int, default=1, help="with --per-query: runs per query, median kept")
    parser.add_argument(
        "--unique", action="store_true", help="with --per-query: no two requests the same query (no shared runs)"
    )
    args = parser.parse_args()
    PROJECT[0] = args.project.resolve()
    QUERIES.extend(
        p
        for p in sorted((ROOT / "queries").glob("*.rq"))
        if p.stem not in args.exclude and (not args.only or p.stem in args.only)
    )
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed (Debian: apt-get install wrk)")
    servers = {
        "kg serve, cache off": lambda: kg_serve(args.build_dir, cache=False),
        "kg serve, cache on": lambda: kg_serve(args.build_dir, cache=True),
        "oxigraph serve-read-only": lambda: oxigraph_serve(args.build_dir),
    }
    if args.rdflib_python:
        servers["rdflib-endpoint"] = lambda: rdflib_endpoint(args.build_dir, args.rdflib_python)
    if args.per_query:
        return per_query(args.build_dir, args.duration, args.repeat, args.rdflib_python, args.unique)
    left_out = f" (left out: {', '.join(args.exclude)})" if args.exclude else ""
    print(f"{len(QUERIES)} competency queries{left_out}; wrk {args.duration} s per run; {os.cpu_count()} cores")
    print(f"in-process pyoxigraph (run_query + JSON): median {in_process(args.build_dir):.2f} ms per query\n")
    print(
        "| server | req/s, 8 clients | p50 ms, 8 clients | p99 ms, 8 clients | p50 ms, 1 client"
        " | server CPU us/request, 8 clients | errors |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, start in servers.items():
        with start() as server:
            check_answers(server.url)
            rows = {name: query_paths(server.url)}
            if name == "kg serve, cache off":
                rows["kg serve, /health (no query)"] = health_path(server.url)
            for row_name, paths in rows.items():
                eight, one = run_wrk(server, 8, args.duration, paths), run_wrk(server, 1, args.duration, paths)
                print_row(row_name, eight, one)
    return 0


def print_row(name: str, eight: dict[str, float], one: dict[str, float]) -> None:
    errors = eight["errors"] + one["errors"]
    row = f"| {name} | {eight['rps']:.0f} | {eight['p50_ms']:.2f} | {eight['p99_ms']:.2f} | {one['p50_ms']:.2f} |"
    print(f"{row} {eight['cpu_us']:.0f} | {errors} |", flush=True)


def latency(server: Server, queries: list[Path], rounds: int) -> dict[str, float]:
    """Median milliseconds of each query's answers (200), one client on one kept-alive connection, ``rounds`` tries.

    A slow query gets fewer rounds: at least 3, no more once its requests took ``TIME_LIMIT`` seconds.
    A query with no answer among them has no median; the other statuses are printed.
    """
    parts = urllib.parse.urlsplit(server.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    medians = {}
    for query in queries:
        path = query_paths(server.url, [query])[0]
        samples: list[float] = []
        refused: list[int] = []
        while len(samples) + len(refused) < rounds and (len(samples) < 3 or sum(samples) < TIME_LIMIT * 1000):
            started = time.perf_counter()
            connection.request("GET", path, headers={"Accept": ACCEPT})
            response = connection.getresponse()
            response.read()
            if response.status == 200:
                samples.append((time.perf_counter() - started) * 1000)
            else:
                refused.append(response.status)
            if response.getheader("Connection") == "close":
                connection.close()
        if refused:
            print(f"  one client, {query.stem}: statuses {sorted(refused)} besides {len(samples)} answers", flush=True)
        if samples:
            medians[query.stem] = statistics.median(samples)
    connection.close()
    return medians


def settle(server: Server, seconds: float = 20) -> None:
    """Wait until ``kg serve`` is at rest (or ``seconds`` passed): its processes used no CPU for 0.3 s.

    Its ``/health`` would speak for one HTTP process only: the other may still run the queries of
    clients that wrk dropped, and queue (then refuse) the next query's requests.
    """
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        processes = [server.pid, *descendants(server.pid)]
        before = cpu_seconds(processes)
        time.sleep(0.3)
        if abs(cpu_seconds(processes) - before) < 0.005 and sorted(descendants(server.pid)) == sorted(processes[1:]):
            return


def _rps(rate: dict[str, float]) -> str:
    """Requests a second, and the count of those answered with an error, if any."""
    return f"{rate['rps']:.0f}" + (f" ({rate['errors']:.0f} errors)" if rate["errors"] else "")


def per_query(build_dir: Path, duration: int, repeat: int, rdflib_python: str | None, unique: bool) -> int:
    """Each query alone: req/s with 8 clients (kg serve's cache off), and the median latency with one client.

    kg serve against Oxigraph's server on the same store (and rdflib-endpoint, when given), one
    server after the other. The median of ``repeat`` wrk runs is kept.
    """

    def rate(server: Server, paths: list[str]) -> dict[str, float]:
        """The median run's figures, and its answered requests a second (200s: wrk's rate less its errors)."""
        runs = [run_wrk(server, 8, duration, paths, unique) for _ in range(repeat)]
        for run in runs:
            run["answered"] = run["rps"] - run["errors"] / duration
        return {key: statistics.median(run[key] for run in runs) for key in ("rps", "cpu_us", "errors", "answered")}

    rates: dict[str, dict[str, dict[str, float]]] = {query.stem: {} for query in QUERIES}
    latencies: dict[str, dict[str, float]] = {"kg": {}, "oxigraph": {}}
    none = {"rps": 0.0, "cpu_us": 0.0, "errors": 0, "answered": 0.0}
    with kg_serve(build_dir, cache=False) as server:
        answered = check_answers(server.url, TIME_LIMIT, QUERIES)
        for query in QUERIES:
            settle(server)  # a worker replaced after the last query's long run starts up
            rates[query.stem]["kg"] = rate(server, query_paths(server.url, [query])) if query in answered else none
            settle(server)  # a query whose client wrk dropped runs on to its end or the time limit
            if query in answered:
                latencies["kg"].update(latency(server, [query], rounds=15))
    # Oxigraph's server runs on a query whose client is gone, with no time limit: a server of its
    # own for each query's wrk run, another for its latency
    for query in QUERIES:
        with oxigraph_serve(build_dir) as server:
            answered = check_answers(server.url, TIME_LIMIT, [query])
            rates[query.stem]["oxigraph"] = rate(server, query_paths(server.url, [query])) if answered else none
        if answered:
            with oxigraph_serve(build_dir) as server:
                latencies["oxigraph"].update(latency(server, [query], rounds=15))
    if rdflib_python:
        # rdflib-endpoint evaluates on its event loop, and takes minutes over some queries, after which it
        # answers nothing else: a server of its own for each query
        for query in QUERIES:
            with rdflib_endpoint(build_dir, rdflib_python) as server:
                answered = check_answers(server.url, TIME_LIMIT, [query])
                rates[query.stem]["rdflib"] = rate(server, query_paths(server.url, [query])) if answered else none
    same = "each request a different query (a comment of its own)" if unique else "the same query"
    print(f"each query alone: wrk 8 clients {duration} s ({same}), median of {repeat}; {os.cpu_count()} cores;"
          f" load average {os.getloadavg()[0]:.1f}\n")  # fmt: skip
    rdflib = " | rdflib-endpoint req/s | kg / rdflib" if rdflib_python else ""
    print(
        "| query | kg serve req/s | answered req/s | CPU us/request | Oxigraph req/s | CPU us/request"
        f" | answered, kg / Oxigraph{rdflib} | kg ms, 1 client | Oxigraph ms | kg / Oxigraph |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|" + ("---:|---:|" if rdflib_python else "") + "---:|---:|---:|")
    compared = [
        stem
        for stem, rate in rates.items()
        if rate["kg"]["answered"] and rate["oxigraph"]["answered"] and all(stem in latencies[n] for n in latencies)
    ]
    for stem, rate_of in rates.items():
        kg, oxigraph = rate_of["kg"], rate_of["oxigraph"]
        if stem not in compared:
            print(f"| {stem} | {_rps(kg) if kg['answered'] else 'no answer'} | | |"
                  f" {_rps(oxigraph) if oxigraph['answered'] else 'no answer'} | |")  # fmt: skip
            continue
        row = f"| {stem} | {_rps(kg)} | {kg['answered']:.0f} | {kg['cpu_us']:.0f} | {_rps(oxigraph)}"
        row += f" | {oxigraph['cpu_us']:.0f} | {kg['answered'] / oxigraph['answered']:.2f}"
        if rdflib_python:
            rdflib_rps = rate_of["rdflib"]["answered"]
            row += f" | {rdflib_rps:.1f} | {kg['answered'] / rdflib_rps:.0f}" if rdflib_rps else " | none in 10 s | -"
        kg_ms, ox_ms = latencies["kg"][stem], latencies["oxigraph"][stem]
        print(f"{row} | {kg_ms:.2f} | {ox_ms:.2f} | {kg_ms / ox_ms:.2f} |")
    ratios = [rates[stem]["kg"]["answered"] / rates[stem]["oxigraph"]["answered"] for stem in compared]
    print(f"\nanswered requests, kg serve / Oxigraph: lowest {min(ratios):.2f}, median {statistics.median(ratios):.2f};"
          f" under 0.5 on {sum(r < 0.5 for r in ratios)}, under 0.8 on {sum(r < 0.8 for r in ratios)}"
          f" of {len(ratios)} queries")  # fmt: skip
    if rdflib_python:
        ten = [
            s
            for s, r in rates.items()
            if r["rdflib"]["answered"] and r["kg"]["answered"] / r["rdflib"]["answered"] < 10
        ]
        print(f"kg serve / rdflib-endpoint under 10 on {len(ten)} queries: {', '.join(ten) or 'none'}")
    kg_median = statistics.median(latencies["kg"][stem] for stem in compared)
    ox_median = statistics.median(latencies["oxigraph"][stem] for stem in compared)
    print(f"median latency over the queries, one client: kg serve {kg_median:.2f} ms, Oxigraph {ox_median:.2f} ms"
          f" ({kg_median / ox_median:.2f} x)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
