"""``kg serve``: the endpoint under granian, a production HTTP server (Rust, on hyper), not Flask's development one.

Processes: this one is the master; it pins the build, starts ``HTTP_WORKERS`` HTTP processes
(forked by granian) and replaces any that dies. Each HTTP process runs the front
(``server.front``: an event loop, and Flask in a pool of threads) and supervises a pool of its
own query workers (``server.executor``), which die with it. Flask's work per request holds the
GIL, so one HTTP process per core is what lets throughput scale.

Signals, to the master: SIGTERM or Ctrl-C stops the server (HTTP processes finish their requests,
query workers are stopped); SIGHUP reloads: the build folder's current build is pinned, and the
HTTP processes are replaced one by one, each new one serving before the old one stops, so that no
request is refused. To one HTTP process: SIGTERM ends it gracefully, SIGKILL at once; either way
the master starts another and its query workers end with it. (Granian stops the server when an
HTTP process dies within 5.5 s of its start: that is a crash loop, not a kill.)

Clean-up belongs to the process that made the thing: the master made the pinned builds and
removes them when it stops; an HTTP process never touches them.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from granian.constants import HTTPModes, Interfaces
from granian.http import HTTP1Settings
from granian.log import LogLevels
from granian.server import Server

from kg.dataset import pin_build, read_manifest
from kg.errors import KgError, NotBuiltError
from server.front import WARNING_VARIABLE
from server.settings import ENV_PREFIX, load_settings

log = logging.getLogger(__name__)

#: Bytes hyper may buffer for a request's line and headers: a GET query may be long (the URL limit is
#: hyper's own, 65,534 bytes); beyond either, hyper answers 414 or 431.
_HEADER_BUFFER = 128 * 1024
#: Requests an HTTP process handles at once, connections being read included.
_BACKPRESSURE = 1024
#: Seconds between starting a new HTTP process and stopping the old one, on a reload.
_RELOAD_OVERLAP = 2.0
#: Granian's own messages go to stderr, with the server's other log lines; stdout has the URLs.
_GRANIAN_LOGGING = {
    "handlers": {
        "console": {"formatter": "generic", "class": "logging.StreamHandler", "stream": "ext://sys.stderr"},
        "access": {"formatter": "access", "class": "logging.StreamHandler", "stream": "ext://sys.stderr"},
    }
}


class _Pins:
    """The builds pinned by the master: the current one, and older ones still served by HTTP processes.

    A pinned build holds the extra graphs (``graphs``, IRI -> file) in its store and manifest: the
    master adds them once, read afresh at each reload, for all the HTTP processes and their workers.
    """

    def __init__(self, build_dir: Path, graphs: Mapping[str, Path] | None = None) -> None:
        self.build_dir = build_dir
        self.graphs = dict(graphs or {})
        self.owner = os.getpid()
        self.folders: list[Path] = []
        self.current = self.pin()

    def pin(self) -> Path:
        """Pin the build folder's current build into a new private folder, which becomes the current one.

        A pin that fails leaves no folder behind, and none in ``folders``: a reload counts the pins
        it keeps there, and must not count a failed one among them.

        :raises NotBuiltError: when the build folder holds no complete build.
        :raises UnsupportedFormat, KgError: for an extra graph that cannot be read.
        :raises KgError: when the pin cannot be made (no space left in the temporary folder ...).
        """
        folder = None
        try:
            folder = Path(tempfile.mkdtemp(prefix="kg-serve-"))
            pin_build(self.build_dir, folder, graphs=self.graphs)
        except BaseException as error:
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
            if isinstance(error, OSError):
                reason = error.strerror or str(error)
                raise KgError(f"cannot pin the build to serve in {tempfile.gettempdir()}: {reason}") from None
            raise
        self.folders.append(folder)
        self.current = folder
        return folder

    def reload(self) -> None:
        """On SIGHUP: pin the build again; the pins older than the previous one are no longer served.

        A warning that the inputs did not build (``server.front.WARNING_VARIABLE``) goes once another
        build is pinned: it was made since.
        """
        before = read_manifest(self.current)
        try:
            self.pin()
        except KgError as error:
            print(f"kg: warning: reload keeps serving the build it had: {error}", file=sys.stderr, flush=True)
            return
        after = read_manifest(self.current)
        if before is None or after is None or before.inputs != after.inputs:
            os.environ.pop(WARNING_VARIABLE, None)
        while len(self.folders) > 2:
            shutil.rmtree(self.folders.pop(0), ignore_errors=True)
        os.environ[_BUILD_VARIABLE] = str(self.current)
        print(f"kg: reloading on {self.current.name}: HTTP processes are replaced one by one", flush=True)

    def remove(self) -> None:
        """Remove every pinned build: in the process that made them only (a forked child never does)."""
        if os.getpid() != self.owner:
            return
        for folder in self.folders:
            shutil.rmtree(folder, ignore_errors=True)
        self.folders.clear()


#: How the master tells the HTTP processes which pinned build to serve (they inherit its environment).
_BUILD_VARIABLE = "KG_SERVE_BUILD"


def create_front():
    """The front of one HTTP process (granian calls this in each, after the fork).

    The build comes from ``KG_SERVE_BUILD`` (empty for a backend), the settings from ``KG_SERVER_*``.
    """
    import server.app
    import server.front

    build = os.environ.get(_BUILD_VARIABLE) or None
    return server.front.Front(server.app.create_app(Path(build) if build else None))


def serve(
    build_dir: Path | None, *, host: str = "127.0.0.1", port: int = 8000, config: Mapping[str, Any] | None = None
) -> int:
    """Serve the build in ``build_dir`` at http://host:port/ until stopped; the exit status.

    With the ``BACKEND`` setting, serve that remote SPARQL endpoint instead; ``build_dir`` is not
    read. A backend that does not answer at start-up gets a warning, not a refusal to start: it
    may come up later, and until it does each query gets a 502 naming it.
    Port 0 picks a free port; the printed URLs name the real one.

    :raises NotBuiltError: when ``build_dir`` holds no complete build.
    :raises KgError: when nothing can listen at host:port, for a bad backend URL, extra graphs beside a
        backend, or an extra graph that cannot be read.
    """
    import server.app
    from server.remote import Backend

    settings = load_settings(config)
    backend = server.app.backend_url(settings)
    if backend is None:
        if build_dir is None:
            raise NotBuiltError("nothing to serve: no build folder, and no backend")
        build_dir = Path(build_dir).resolve()
        if read_manifest(build_dir) is None:
            raise NotBuiltError(f"no build in {build_dir}: run 'kg build' first")
    port = _check_address(host, port)
    if backend is not None:
        problem = Backend(backend).probe()
        if problem:
            print(f"kg: warning: {problem}; queries fail until it answers", file=sys.stderr, flush=True)
        print(f"kg: queries go to the SPARQL backend at {backend}", flush=True)
    # The HTTP processes read their settings as kg serve's own: from the environment.
    for name, value in (config or {}).items():
        os.environ[f"{ENV_PREFIX}_{name}"] = json.dumps(value)
    # An extra graph that cannot be read: one line now, not a worker failing to boot.
    graphs = {iri: Path(file).resolve() for iri, file in settings["GRAPHS"].items()}
    pins = _Pins(build_dir, graphs) if backend is None else None
    os.environ[f"{ENV_PREFIX}_GRAPHS"] = "{}"  # the pinned build holds them: the HTTP processes serve it as it is
    os.environ[_BUILD_VARIABLE] = str(pins.current) if pins else ""
    granian = _granian(host, port, settings)
    granian.on_startup(lambda: _print_urls(host, port))
    if pins is not None:
        granian.on_reload(pins.reload)
    try:
        granian.serve()
    except SystemExit as stop:  # granian ends with sys.exit when an HTTP process crash-loops
        return stop.code if isinstance(stop.code, int) else 1
    finally:
        if pins is not None:
            pins.remove()
    return 0


def _granian(host: str, port: int, settings: Mapping[str, Any]) -> Server:
    timeout = settings["QUERY_TIMEOUT"]
    return Server(
        "server.run:create_front",
        address=host,
        port=port,
        interface=Interfaces.RSGI,
        factory=True,
        workers=settings["HTTP_WORKERS"],
        http=HTTPModes.http1,
        http1_settings=HTTP1Settings(
            header_read_timeout=int(settings["HEADER_TIMEOUT"] * 1000),
            keep_alive=True,
            max_buffer_size=_HEADER_BUFFER,
        ),
        backpressure=_BACKPRESSURE,
        respawn_failed_workers=True,
        respawn_interval=_RELOAD_OVERLAP,
        # An HTTP process asked to stop finishes its requests (a query takes QUERY_TIMEOUT at most).
        workers_kill_timeout=int(timeout) + 5,
        log_level=LogLevels.warning,
        log_dictconfig=_GRANIAN_LOGGING,
        log_access=False,  # server.sparql logs one line per query
        websockets=False,
    )


def _check_address(host: str, port: int) -> int:
    """The port to listen on (a free one for 0), after checking that something can listen there.

    :raises KgError: when nothing can listen there (port taken, no such address, no permission).
    """
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.bind((host, port))
            return probe.getsockname()[1]
    except OverflowError:
        raise KgError(f"cannot listen on port {port}: a port is a number from 0 to 65535") from None
    except OSError as error:
        raise KgError(f"cannot listen on {host}:{port}: {error.strerror}; choose another --host or --port") from None


def _print_urls(host: str, port: int) -> None:
    base = f"http://{f'[{host}]' if ':' in host else host}:{port}"
    print(f"kg: SPARQL endpoint at {base}/sparql", flush=True)
    print(f"kg: query page at {base}/query", flush=True)
    print(f"kg: the story at {base}/", flush=True)
