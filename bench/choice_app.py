"""The small app ``bench/server_choice.py`` serves with each candidate HTTP server, as WSGI (Flask) and as RSGI.

``/hello``: a constant answer. ``/body``: reads the request's body whole and says how long it was
(400 when the RSGI body stream shows a malformed body). ``/big``: 100 MB in 1 MiB pieces, streamed,
or with ``CHOICE_FILE`` set (RSGI only) sent from a temporary file. ``/pid``: the process id.
"""

from __future__ import annotations

import asyncio
import os
import tempfile

from flask import Flask, Response, request

PIECE = b"x" * (1 << 20)
PIECES = 100

wsgi = Flask(__name__)


@wsgi.get("/hello")
def hello() -> str:
    return "hello\n"


@wsgi.post("/body")
def body() -> str:
    return f"{len(request.get_data())}\n"


@wsgi.get("/big")
def big() -> Response:
    return Response((PIECE for _ in range(PIECES)), mimetype="text/plain")


@wsgi.get("/pid")
def pid() -> str:
    return str(os.getpid())


class Rsgi:
    """The same routes for granian's RSGI interface."""

    async def __rsgi__(self, scope, protocol) -> None:
        if scope.path == "/hello":
            protocol.response_bytes(200, [("content-type", "text/plain")], b"hello\n")
        elif scope.path == "/pid":
            protocol.response_bytes(200, [], str(os.getpid()).encode())
        elif scope.path == "/body":
            size, ends = 0, 0
            async for piece in protocol:
                size += len(piece)
                ends += not piece
            protocol.response_bytes(400 if ends > 1 else 200, [], b"malformed\n" if ends > 1 else f"{size}\n".encode())
        elif scope.path == "/big" and os.environ.get("CHOICE_FILE"):
            with tempfile.NamedTemporaryFile(delete=False) as file:
                for _ in range(PIECES):
                    file.write(PIECE)
            protocol.response_file(200, [("content-type", "text/plain")], file.name)
            asyncio.get_running_loop().call_later(5, os.unlink, file.name)  # granian has opened it by then
        elif scope.path == "/big":
            transport = protocol.response_stream(200, [("content-type", "text/plain")])
            for _ in range(PIECES):
                await transport.send_bytes(PIECE)
        else:
            protocol.response_bytes(404, [], b"")


rsgi = Rsgi()
