"""A real Virtuoso Open Source server (Debian's ``virtuoso-opensource``) on 127.0.0.1, for the tests and benchmarks.

Debian's sample ``virtuoso.ini`` is copied with the database, its log and its temporary files
moved into a folder of the test's own, both ports (SQL and HTTP) free ones, the hosting plugins
(wikis, Mono) left out, and the SPARQL limits set for the tests: no row cap below the endpoint's,
and a time limit of its own. The folder is removed when the server stops.
"""

# ruff: noqa: S310, S603 - local URLs and commands built here, never from input

from __future__ import annotations

import configparser
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from localstores.oxigraph import free_port

INSTALL_HINT = "install the Debian package virtuoso-opensource (virtuoso-t) for the Virtuoso tests"
#: Debian's sample configuration, the one the package's own service uses.
SAMPLE_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")
#: Seconds Virtuoso may take to start (about 2 on an idle machine, 15 on a busy one).
START_TIMEOUT = 90


def virtuoso_command() -> str | None:
    """The ``virtuoso-t`` executable, or None."""
    return shutil.which("virtuoso-t") or ("/usr/bin/virtuoso-t" if Path("/usr/bin/virtuoso-t").exists() else None)


def missing() -> str | None:
    """Why Virtuoso cannot run here (what to install), or None."""
    return None if virtuoso_command() and SAMPLE_INI.exists() else INSTALL_HINT


@dataclass(frozen=True)
class Virtuoso:
    """A running Virtuoso: its HTTP base URL and the folder of its database and log."""

    url: str
    folder: Path

    @property
    def sparql(self) -> str:
        return f"{self.url}/sparql"

    @property
    def graph_store(self) -> str:
        """The Graph Store Protocol endpoint that takes Digest authentication (user dba, password dba)."""
        return f"{self.url}/sparql-graph-crud-auth"

    def log_text(self) -> str:
        return (self.folder / "virtuoso.log").read_text(errors="replace")


def write_ini(folder: Path, sql_port: int, http_port: int, query_timeout: int) -> Path:
    """Debian's ``virtuoso.ini`` with everything moved into ``folder`` and the given ports."""
    ini = configparser.ConfigParser(strict=False, interpolation=None, inline_comment_prefixes=(";",))
    ini.optionxform = str  # Virtuoso's keys are case-sensitive
    ini.read(SAMPLE_INI)
    database = {
        "DatabaseFile": "virtuoso.db",
        "ErrorLogFile": "virtuoso.log",
        "LockFile": "virtuoso.lck",
        "TransactionFile": "virtuoso.trx",
        "xa_persistent_file": "virtuoso.pxa",
    }
    for key, name in database.items():
        ini["Database"][key] = str(folder / name)
    ini["TempDatabase"]["DatabaseFile"] = str(folder / "virtuoso-temp.db")
    ini["TempDatabase"]["TransactionFile"] = str(folder / "virtuoso-temp.trx")
    ini["Parameters"]["ServerPort"] = str(sql_port)
    ini["Parameters"]["DirsAllowed"] = str(folder)
    ini["HTTPServer"]["ServerPort"] = str(http_port)
    ini["URIQA"]["DefaultHost"] = f"127.0.0.1:{http_port}"
    ini.remove_section("Plugins")  # wiki and Mono hosting: not needed, and slower to start
    ini["SPARQL"]["ResultSetMaxRows"] = "1000000"  # Virtuoso cuts answers silently past it
    ini["SPARQL"]["MaxQueryExecutionTime"] = str(query_timeout)
    path = folder / "virtuoso.ini"
    with path.open("w") as file:
        ini.write(file)
    return path


@contextmanager
def virtuoso_server(folder: Path, *, query_timeout: int = 60) -> Iterator[Virtuoso]:
    """Start ``virtuoso-t`` on free ports with its database in ``folder``; yield it once it answers SPARQL.

    :param query_timeout: Virtuoso's own time limit for one query, in seconds.
    :raises RuntimeError: when it does not answer within ``START_TIMEOUT`` (its log's last lines say why).
    """
    folder.mkdir(parents=True, exist_ok=True)
    http_port = free_port()
    ini = write_ini(folder, free_port(), http_port, query_timeout)
    server = Virtuoso(f"http://127.0.0.1:{http_port}", folder)
    process = subprocess.Popen(
        [virtuoso_command(), "+foreground", "+configfile", str(ini)],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_until_ready(server, process)
        yield server
    finally:
        process.terminate()  # Virtuoso checkpoints and stops on SIGTERM
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


def _wait_until_ready(server: Virtuoso, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            urllib.request.urlopen(f"{server.sparql}?query=ASK%7B%7D", timeout=2).read()
            return
        except (OSError, urllib.error.HTTPError):
            if time.monotonic() > deadline or process.poll() is not None:
                log = server.log_text() if (server.folder / "virtuoso.log").exists() else ""
                tail = " | ".join(log.splitlines()[-5:])
                raise RuntimeError(f"virtuoso-t did not start: {tail or 'no log'}") from None
            time.sleep(0.2)
