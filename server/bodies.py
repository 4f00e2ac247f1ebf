"""Response bodies kept in a file: long answers, which the HTTP process streams from disk and never holds whole.

A ``FileBody`` is a WSGI iterable; ``server.front`` recognises it and hands the file to granian,
which sends it as the client reads, a piece at a time: a client that reads slowly holds an open
file, not memory. The files are unnamed temporary files (``tempfile.TemporaryFile``), gone with
their last descriptor.
"""

from __future__ import annotations

import os
import tempfile
import zlib
from collections.abc import Iterator
from typing import BinaryIO

#: Bytes read or compressed at a time.
_PIECE = 1 << 20
#: gzip's compression level for answers: most of the saving, a fraction of level 9's CPU.
GZIP_LEVEL = 5


class FileBody:
    """The whole content of ``file`` as a response body.

    Iterating it reads with ``os.pread`` at its own offsets, so several responses may send one
    file at once (an answer shared by identical queries) without disturbing each other.
    """

    def __init__(self, file: BinaryIO) -> None:
        self.file = file
        self.length = os.fstat(file.fileno()).st_size

    def __iter__(self) -> Iterator[bytes]:
        offset = 0
        while offset < self.length:
            piece = os.pread(self.file.fileno(), _PIECE, offset)
            if not piece:
                return
            offset += len(piece)
            yield piece


def gzipped(file: BinaryIO) -> BinaryIO:
    """A new unnamed temporary file holding ``file``'s content gzipped, read and written a piece at a time.

    >>> import gzip
    >>> plain = tempfile.TemporaryFile()
    >>> _ = plain.write(b"answer " * 1000)
    >>> gzip.decompress(gzipped(plain).read()) == b"answer " * 1000
    True
    """
    packed = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the caller, which sends it
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # 16 +: the gzip container
    offset = 0
    while piece := os.pread(file.fileno(), _PIECE, offset):
        offset += len(piece)
        packed.write(compressor.compress(piece))
    packed.write(compressor.flush())
    packed.seek(0)
    return packed
