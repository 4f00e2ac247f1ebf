"""The HTTP servers considered for ``kg serve``, measured on what decided the choice: speed, and what slow clients cost.

Each candidate serves the same small app (``bench/choice_app.py``): a constant answer, a body
read whole, and a 100 MB answer written in 1 MiB pieces. Measured for each:

- req/s of the constant answer, wrk with 8 connections (HTTP's floor);
- threads of the HTTP process after 100 requests whose body never comes (each one a thread held?);
- memory (RSS) of the HTTP process after 10 clients asked for the 100 MB answer and read nothing;
- what the app sees of a chunked body with a bad chunk size (can it answer 400?).

Candidates: gunicorn's threaded workers (what ``kg serve`` ran on; only when installed), granian's
WSGI interface, granian's RSGI interface streaming the answer (``response_stream``), and RSGI
sending it from a file (``response_file``), which is what ``server.front`` does. One HTTP process
each, so that the threads and memory are one process's.

Usage: ``python bench/server_choice.py [--duration 5]`` (needs wrk; gunicorn optional).
"""

# ruff: noqa: S603 - commands built here, never from input

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from bench import free_port, process

HERE = Path(__file__).resolve().parent


@contextmanager
def serving(name: str) -> Iterator[tuple[int, int]]:
    """The candidate ``name`` serving ``choice_app``: (port, pid of its one HTTP process)."""
    port = free_port()
    bin_dir = Path(sys.executable).parent
    if name == "gunicorn gthread":
        command = [str(bin_dir / "gunicorn"), "--workers", "1", "--worker-class", "gthread", "--threads", "16"]
        command += ["--bind", f"127.0.0.1:{port}", "choice_app:wsgi"]
    else:
        interface, target = ("wsgi", "choice_app:wsgi") if name == "granian WSGI" else ("rsgi", "choice_app:rsgi")
        command = [str(bin_dir / "granian"), "--interface", interface, "--workers", "1", "--port", str(port), target]
    env = {**os.environ, "PYTHONPATH": str(HERE), "CHOICE_FILE": "1" if name == "granian RSGI, file" else ""}
    with process(command, env):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
                probe.sendall(b"GET /pid HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                answer = b""
                while piece := probe.recv(1000):
                    answer += piece
                if b"200" in answer.split(b"\r\n")[0]:
                    yield port, int(answer.rsplit(b"\r\n\r\n", 1)[1])
                    return
            time.sleep(0.1)
        raise RuntimeError(f"{name} did not start")


def requests_per_second(port: int, duration: int) -> float:
    command = [shutil.which("wrk") or "wrk", "-t2", "-c8", f"-d{duration}s", f"http://127.0.0.1:{port}/hello"]
    output = subprocess.run(command, capture_output=True, text=True).stdout
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])


def status(pid: int) -> tuple[int, int]:
    """(threads, RSS in MiB) of a process."""
    text = Path(f"/proc/{pid}/status").read_text()
    threads = int(re.search(r"Threads:\s+(\d+)", text)[1])
    rss = int(re.search(r"VmRSS:\s+(\d+)", text)[1]) // 1024
    return threads, rss


def incomplete_bodies(port: int, pid: int) -> int:
    """Threads of the process while 100 bodies do not arrive."""
    sockets = [socket.create_connection(("127.0.0.1", port)) for _ in range(100)]
    for sock in sockets:
        sock.sendall(b"POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc")
    time.sleep(2)
    threads, _ = status(pid)
    for sock in sockets:
        sock.close()
    return threads


def stalled_readers(port: int, pid: int) -> int:
    """RSS (MiB) gained while 10 clients ask for 100 MB and read nothing."""
    _, before = status(pid)
    sockets = []
    for _ in range(10):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", port))
        sock.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        sockets.append(sock)
    time.sleep(4)
    _, after = status(pid)
    for sock in sockets:
        sock.close()
    return after - before


def bad_chunk(port: int) -> str:
    """The status line the server gives a chunked body whose size is 'zz' (the app answers 400 if it can tell)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        head = b"POST /body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        sock.sendall(head + b"zz\r\nab\r\n0\r\n\r\n")
        data = b""
        with suppress(OSError):
            while chunk := sock.recv(65536):
                data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    first_line = " ".join(body.decode(errors="replace").split())[:30]
    return f"{head.split(b' ', 2)[1].decode() if head else 'no answer'} {first_line}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds of the wrk run")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed (Debian: apt-get install wrk)")
    names = ["granian WSGI", "granian RSGI, stream", "granian RSGI, file"]
    if (Path(sys.executable).parent / "gunicorn").exists():
        names.insert(0, "gunicorn gthread")
    print(f"one HTTP process each; {os.cpu_count()} cores\n")
    print(
        "| server | req/s, 8 clients | threads with 100 unfinished bodies | MiB held by 10 stalled readers of 100 MB"
        " | a bad chunk size |"
    )
    print("|---|---:|---:|---:|---|")
    for name in names:
        with serving(name) as (port, pid):
            rate = requests_per_second(port, args.duration)
            threads = incomplete_bodies(port, pid)
            held = stalled_readers(port, pid)
            chunk = bad_chunk(port)
        print(f"| {name} | {rate:.0f} | {threads} | {held} | {chunk} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
