"""Closing stalled connections: sockets that move (almost) nothing either way for ``IDLE_TIMEOUT`` seconds.

Granian times out a client that starts a request's headers and does not finish them (the
``HEADER_TIMEOUT`` setting), and a kept-alive connection that sends no next request; the front
times out a body that does not arrive (``BODY_TIMEOUT``). Three kinds of connection escape both:
one that never sends a byte, and a client that stops reading its answer, or reads it a few bytes
at a time; each would hold a socket (and an answer's file) for as long as it likes. A thread in
each HTTP process looks at its own TCP connections every few seconds (Linux's ``TCP_INFO``: bytes
acknowledged and received) and shuts down those that moved less than ``MIN_PROGRESS`` bytes over
the last ``IDLE_TIMEOUT`` seconds; the HTTP server then sees the connection end and drops it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import struct
import threading
import time

log = logging.getLogger(__name__)

#: Bytes a connection must move (received or acknowledged) per ``IDLE_TIMEOUT`` to be kept.
MIN_PROGRESS = 1024
#: ``struct tcp_info`` (linux/tcp.h): its state is the first byte; ``tcpi_bytes_acked`` and
#: ``tcpi_bytes_received`` are the two 64-bit counters at byte 120 (after 8 one-byte fields, 24
#: 32-bit ones and two 64-bit pacing rates).
_TCP_INFO_SIZE = 136
_BYTES = struct.Struct("=QQ")
_BYTES_OFFSET = 120
_ESTABLISHED = 1


class ConnectionWatch:
    """The thread that closes this process's stalled TCP connections.

    :param idle_timeout: seconds over which a connection must move ``MIN_PROGRESS`` bytes.
    """

    def __init__(self, idle_timeout: float) -> None:
        self.idle_timeout = idle_timeout
        #: Socket inode -> (when it last moved ``MIN_PROGRESS`` bytes, or was first seen; bytes moved by then).
        self._windows: dict[int, tuple[float, int]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kg-connection-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        interval = max(0.5, min(5.0, self.idle_timeout / 4))
        while not self._stop.wait(interval):
            try:
                self.sweep(time.monotonic())
            except Exception:
                log.exception("checking connections failed")

    def sweep(self, now: float) -> int:
        """Close the connections that moved under ``MIN_PROGRESS`` bytes in the last ``idle_timeout`` seconds.

        A connection is closed ``idle_timeout`` seconds (and at most one sweep's interval) after it
        last moved, however its moves fell between sweeps. How many were closed.
        """
        seen: dict[int, tuple[float, int]] = {}
        closed = 0
        for fd in _socket_descriptors():
            try:
                sock = socket.socket(fileno=os.dup(fd))  # a descriptor of our own: fd may close meanwhile
            except OSError:
                continue
            with sock:
                moved = _bytes_moved(sock)
                if moved is None:
                    continue
                inode = os.fstat(sock.fileno()).st_ino
                since, before = self._windows.get(inode, (now, moved))
                if moved - before >= MIN_PROGRESS:
                    seen[inode] = (now, moved)  # it moved: its window starts again
                elif now - since < self.idle_timeout:
                    seen[inode] = (since, before)
                else:
                    _shut_down(sock)
                    closed += 1
        self._windows = seen
        if closed:
            log.warning(
                "closed %d connection(s) that moved under %d bytes in %g s", closed, MIN_PROGRESS, self.idle_timeout
            )
        return closed


def _socket_descriptors() -> list[int]:
    """This process's open socket descriptors."""
    found = []
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{name}").startswith("socket:["):
                found.append(int(name))
        except OSError:
            continue
    return found


def _bytes_moved(sock: socket.socket) -> int | None:
    """Bytes acknowledged plus received on an established TCP connection; None for any other socket."""
    if sock.type != socket.SOCK_STREAM or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return None
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, _TCP_INFO_SIZE)
    except OSError:
        return None
    if len(info) < _BYTES_OFFSET + _BYTES.size or info[0] != _ESTABLISHED:
        return None
    acked, received = _BYTES.unpack_from(info, _BYTES_OFFSET)
    return acked + received


def _shut_down(sock: socket.socket) -> None:
    """End the connection both ways; its owner (the HTTP server) then closes its descriptor."""
    with contextlib.suppress(OSError):  # it ended meanwhile
        sock.shutdown(socket.SHUT_RDWR)
