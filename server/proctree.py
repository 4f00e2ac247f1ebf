"""Processes below a process, the CPU time they used and the memory they hold, from Linux's /proc.

``/health`` reports the memory of its HTTP process and query workers with these; the tests and
``bench/`` measure a server's CPU time and memory with them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    return [child for child, parent in _parents().items() if parent == pid]


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``."""
    below: dict[int, list[int]] = {}
    for child, parent in _parents().items():
        below.setdefault(parent, []).append(child)
    found, todo = [], [pid]
    while todo:
        for child in below.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _parents() -> dict[int, int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return parents


def cpu_seconds(pids: Iterable[int]) -> float:
    """User + system CPU time of the processes still alive among ``pids``."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def memory_bytes(pids: Iterable[int]) -> int:
    """The memory the processes still alive among ``pids`` hold together: the sum of their PSS.

    PSS (proportional set size) charges each shared page to its sharers in equal parts, so that
    processes forked from one parent, which share much of their memory, are not counted twice as
    a sum of RSS would. Processes that cannot be read (gone, or another user's) count 0.
    """
    total = 0
    for pid in pids:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        for line in rollup.splitlines():
            if line.startswith("Pss:"):
                total += int(line.split()[1]) * 1024
                break
    return total
