"""Availability of ``kg serve`` under attack: a normal client's latency while others hold connections or heavy queries.

Two scenarios, each against a ``kg serve`` started here with its default settings:

``connections`` (hardening issue, point 4): 500 sockets that send nothing, 100 slowloris
connections (a header line every 10 s), 30 clients that ask for a large answer and never read it,
and 50 requests whose body never arrives, all open at once. Meanwhile a normal client asks, each
time on a new connection, for ``/health`` and for a light query (a competency question, made
unique so the result cache cannot answer it). Reported: the normal client's latency (p50, p99,
max) and failures (no answer within 5 s), the server's memory (PSS of its whole process tree,
sampled every second), and how many attacking connections the server closed.

``heavy`` (point 7): 20 clients, each from its own address (127.0.0.10 ...), send queries that
run into the time limit, one after the other, each different (so that neither the shared run of
identical queries nor the memory of failed ones spares the workers). Meanwhile a light client
(127.0.0.1, one kept-alive connection) sends light queries, unique each time, and a prober asks
``/health`` every 50 ms on a new connection, as a load balancer would. Reported over the
heavy clients' window: the light queries' latency and errors, ``/health``'s statuses and latency.

Usage (from the repository's top folder; ``--project`` may name another checkout, with its own Python)::

    python bench/availability.py --scenario connections
    python bench/availability.py --scenario heavy --duration 30
    python bench/availability.py --scenario heavy --project ../other --python ../other/.venv/bin/python

The client runs on the same machine as the server: its own CPU use is part of what is measured.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import os
import socket
import statistics
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from bench import free_port, process, wait_for

ROOT = Path(__file__).resolve().parent.parent
#: A query that runs into any time limit: a count over a cartesian product.
HEAVY = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
#: A light query (competency question 13), made unique per request by a comment.
LIGHT = (ROOT / "queries" / "13-alaska-summit.rq").read_text(encoding="utf-8")
#: A large answer: every triple beside the article's text (8 KB), as many rows as the row limit allows.
LARGE = "SELECT ?text ?s { ?article <https://schema.org/articleBody> ?text . ?s ?p ?o }"
#: Seconds a normal client waits before it counts a request as failed.
PATIENCE = 5.0


@dataclass
class Samples:
    """Latencies (ms) and statuses of one kind of request."""

    latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, milliseconds: float, status: str) -> None:
        with self.lock:
            self.latencies.append(milliseconds)
            self.statuses[status] = self.statuses.get(status, 0) + 1

    def summary(self) -> str:
        if not self.latencies:
            return "no sample"
        ordered = sorted(self.latencies)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        statuses = ", ".join(f"{status}: {count}" for status, count in sorted(self.statuses.items()))
        return (
            f"n={len(ordered)} p50={statistics.median(ordered):.1f} ms p99={p99:.1f} ms max={ordered[-1]:.1f} ms"
            f" ({statuses})"
        )


# --- the server ---------------------------------------------------------------------------------


@contextmanager
def kg_serve(project: Path, python: str) -> Iterator[tuple[str, int]]:
    """``kg serve`` of ``project`` on a free port with its defaults: (base URL, pid)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KG_SERVER_")}
    command = [python, "-m", "kg", "--project", str(project), "serve", "--port", str(port)]
    with process(command, env, cwd=project) as pid:
        base = f"http://127.0.0.1:{port}"
        wait_for(base + "/health")
        yield base, pid


def request(
    base: str,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    source: str | None = None,
    timeout: float = PATIENCE,
    connection: http.client.HTTPConnection | None = None,
) -> tuple[int, bytes]:
    """One request on a new connection (or on ``connection``); (status, body)."""
    parts = urllib.parse.urlsplit(base)
    own = connection is None
    if own:
        address = (source, 0) if source else None
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout, source_address=address)
    headers = {"Accept": "application/sparql-results+json"}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        if own:
            connection.close()


def form(query: str) -> bytes:
    return urllib.parse.urlencode({"query": query}).encode()


def memory_mib(pid: int) -> float:
    """PSS of ``pid`` and every process below it, in MiB."""
    from server.proctree import descendants, memory_bytes  # this checkout's helpers, whichever server runs

    return memory_bytes([pid, *descendants(pid)]) / (1 << 20)


def timed(samples: Samples, call: Callable[[], tuple[int, bytes]]) -> None:
    started = time.perf_counter()
    try:
        status, _ = call()
        label = str(status)
    except TimeoutError:
        label = "no answer in 5 s"
    except OSError as error:
        label = type(error).__name__
    samples.add((time.perf_counter() - started) * 1000, label)


# --- scenario: connections ----------------------------------------------------------------------


def connections(base: str, pid: int, duration: float) -> None:
    parts = urllib.parse.urlsplit(base)
    address = (parts.hostname, parts.port)
    stop = threading.Event()
    attackers: list[socket.socket] = []

    def connect() -> socket.socket:
        sock = socket.create_connection(address, timeout=30)
        attackers.append(sock)
        return sock

    memory_before = memory_mib(pid)
    for _ in range(500):
        connect()
    slowloris = [connect() for _ in range(100)]
    for sock in slowloris:
        sock.sendall(b"GET /sparql HTTP/1.1\r\nHost: x\r\n")
    large = f"GET /sparql?{urllib.parse.urlencode({'query': LARGE})} HTTP/1.1\r\nHost: x\r\nAccept: text/csv\r\n\r\n"
    for _ in range(30):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(address)
        attackers.append(sock)
        sock.sendall(large.encode())
    for _ in range(50):
        connect().sendall(
            b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
            b"Content-Length: 100000\r\n\r\nASK {}"
        )

    def drip() -> None:
        for n in itertools.count():
            if stop.wait(10):
                return
            for sock in slowloris:
                with suppress(OSError):
                    sock.sendall(f"X-Drip-{n}: 1\r\n".encode())

    threading.Thread(target=drip, daemon=True).start()
    peak = [memory_before]

    def sample_memory() -> None:
        while not stop.wait(1):
            peak[0] = max(peak[0], memory_mib(pid))

    threading.Thread(target=sample_memory, daemon=True).start()
    health, light = Samples(), Samples()
    deadline = time.monotonic() + duration
    for n in itertools.count():
        if time.monotonic() > deadline:
            break
        timed(health, lambda: request(base, "GET", "/health"))
        query = f"{LIGHT}\n# {n} {time.time()}"
        timed(light, lambda query=query: request(base, "POST", "/sparql", body=form(query)))
        time.sleep(0.05)
    stop.set()
    closed = sum(1 for sock in attackers if _closed_by_server(sock))
    print(f"memory (PSS of the process tree): {memory_before:.0f} MiB before, peak {peak[0]:.0f} MiB")
    print(f"/health:      {health.summary()}")
    print(f"light query:  {light.summary()}")
    print(f"attacking connections closed by the server after {duration:g} s: {closed} of {len(attackers)}")
    for sock in attackers:
        sock.close()


def _closed_by_server(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        while True:
            data = sock.recv(1 << 16)
            if not data:
                return True
    except BlockingIOError:
        return False
    except OSError:
        return True


# --- scenario: heavy ----------------------------------------------------------------------------


def heavy(base: str, pid: int, duration: float, clients: int) -> None:
    stop = threading.Event()
    heavy_samples, light, health = Samples(), Samples(), Samples()
    window = threading.Event()

    def heavy_client(n: int) -> None:
        source = f"127.0.0.{10 + n}"
        for m in itertools.count():
            if stop.is_set():
                return
            body = form(f"{HEAVY} # client {n} query {m} {time.time()}")
            timed(heavy_samples, lambda b=body: request(base, "POST", "/sparql", body=b, source=source, timeout=60))

    def light_client() -> None:
        parts = urllib.parse.urlsplit(base)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=PATIENCE)
        for n in itertools.count():
            if stop.is_set():
                return
            query = f"{LIGHT}\n# {n} {time.time()}"
            samples = light if window.is_set() else Samples()
            started = time.perf_counter()
            try:
                status, _ = request(base, "POST", "/sparql", body=form(query), connection=connection)
                label = str(status)
            except (OSError, http.client.HTTPException) as error:
                label = type(error).__name__
                connection.close()
            samples.add((time.perf_counter() - started) * 1000, label)

    def prober() -> None:
        while not stop.wait(0.05):
            if window.is_set():
                timed(health, lambda: request(base, "GET", "/health", source="127.0.0.2"))

    threads = [threading.Thread(target=light_client, daemon=True), threading.Thread(target=prober, daemon=True)]
    for thread in threads:
        thread.start()
    time.sleep(2)  # the light client is a client of the server before the heavy ones come
    heavies = [threading.Thread(target=heavy_client, args=(n,), daemon=True) for n in range(clients)]
    for thread in heavies:
        thread.start()
    window.set()
    time.sleep(duration)
    window.clear()
    stop.set()
    print(f"{clients} heavy clients for {duration:g} s; memory (PSS) now {memory_mib(pid):.0f} MiB")
    print(f"light query:  {light.summary()}")
    print(f"/health:      {health.summary()}")
    print(f"heavy query:  {heavy_samples.summary()}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=["connections", "heavy"], required=True)
    parser.add_argument("--project", type=Path, default=ROOT, help="the checkout to serve (default: this one)")
    parser.add_argument("--python", default=sys.executable, help="the Python that runs its kg")
    parser.add_argument("--duration", type=float, default=30, help="seconds of measurement")
    parser.add_argument("--heavy-clients", type=int, default=20)
    args = parser.parse_args()
    with kg_serve(args.project.resolve(), args.python) as (base, pid):
        print(f"kg serve of {args.project} ({os.cpu_count()} cores)")
        if args.scenario == "connections":
            connections(base, pid, args.duration)
        else:
            heavy(base, pid, args.duration, args.heavy_clients)
    return 0


if __name__ == "__main__":
    sys.exit(main())
