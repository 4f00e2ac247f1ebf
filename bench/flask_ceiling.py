"""How fast any Flask endpoint can be on this machine: the ceiling that the per-query target meets.

``bench/ceiling_app.py`` holds the least a Flask endpoint can do: a constant answer (``/hello``),
and a query run by pyoxigraph inside the HTTP process with no protocol checks, no worker process
and no limits (``/sparql``; unsafe, so no design, only a bound). Each runs under granian (a Rust
HTTP server, WSGI, 2 processes) and, when installed, under gunicorn (2 processes x 16 threads),
beside Oxigraph's own server, with wrk as in ``bench.py``.

Usage (after ``kg build``; gunicorn, the server ``kg serve`` used before granian, is optional)::

    pip install gunicorn   # optional
    python bench/flask_ceiling.py [--duration 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from bench import QUERIES, ROOT, Server, free_port, oxigraph_serve, process, query_paths, run_wrk, wait_for

HERE = Path(__file__).resolve().parent


@contextmanager
def ceiling_app(server: str, build_dir: Path) -> Iterator[Server]:
    """``ceiling_app`` under ``server`` ('gunicorn' or 'granian'), 2 processes."""
    port = free_port()
    bin_dir = Path(sys.executable).parent
    if server == "gunicorn":
        options = ["--workers", "2", "--worker-class", "gthread", "--threads", "16", "--keep-alive", "5"]
        command = [str(bin_dir / "gunicorn"), *options, "--bind", f"127.0.0.1:{port}", "ceiling_app:app"]
    else:
        command = [str(bin_dir / "granian"), "--interface", "wsgi", "--workers", "2", "--port", str(port)]
        command.append("ceiling_app:app")
    env = {**os.environ, "BUILD_DIR": str(build_dir), "PYTHONPATH": str(HERE)}
    with process([*command], env) as pid:
        base = f"http://127.0.0.1:{port}"
        wait_for(base + "/hello")
        yield Server(base + "/sparql", pid)


def each_query(server: Server, duration: int) -> dict[str, float]:
    """Req/s of each query alone, 8 clients."""
    return {query.stem: run_wrk(server, 8, duration, query_paths(server.url, [query]))["rps"] for query in QUERIES}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build")
    parser.add_argument("--duration", type=int, default=3, help="seconds per wrk run")
    args = parser.parse_args()
    QUERIES.extend(sorted((ROOT / "queries").glob("*.rq")))
    servers: dict[str, Callable[[], AbstractContextManager[Server]]] = {}
    for name in ("gunicorn", "granian"):  # granian comes with kg serve; gunicorn only if installed
        if (Path(sys.executable).parent / name).exists():
            servers[name] = lambda name=name: ceiling_app(name, args.build_dir)
    print(f"wrk {args.duration} s per run, 8 clients unless said; {os.cpu_count()} cores\n")
    print("| Flask app | HTTP server | req/s | p50 ms, 1 client | server CPU us/request |")
    print("|---|---|---:|---:|---:|")
    for name, start in servers.items():
        with start() as server:
            for app, paths in (("constant answer", ["/hello"]), ("query in process, the mix", query_paths(server.url))):
                eight, one = run_wrk(server, 8, args.duration, paths), run_wrk(server, 1, args.duration, paths)
                print(f"| {app} | {name} | {eight['rps']:.0f} | {one['p50_ms']:.2f} | {eight['cpu_us']:.0f} |")
            if name == list(servers)[-1]:  # the fastest: each query alone
                flask = each_query(server, args.duration)
    with oxigraph_serve(args.build_dir) as server:
        oxigraph = each_query(server, args.duration)
    ratios = [flask[stem] / oxigraph[stem] for stem in flask]
    print(
        f"\neach query alone, query in process under {name}: {statistics.median(ratios):.2f} of Oxigraph's"
        f" server's rate (median), {min(ratios):.2f} at lowest; under half on {sum(r < 0.5 for r in ratios)}"
        f" of {len(ratios)} queries"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
