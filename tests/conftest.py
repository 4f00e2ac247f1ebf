"""Shared fixtures: the real project, built once per test run into a temporary build folder; a local listener."""

from __future__ import annotations

import http.server
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

# The helpers' assertions say what they compared, as the tests' own do (before their first import).
pytest.register_assert_rewrite("serverutil", "browser", "tools", "owlapi")

from serverutil import local_http_server

from kg.build import build
from kg.dataset import open_store
from kg.project import Project

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def project(tmp_path_factory) -> Project:
    """The repository's own project (ontology + data), building into a temporary folder."""
    return Project.at(ROOT, tmp_path_factory.mktemp("build") / "build")


@pytest.fixture(scope="session")
def built(project):
    """The build report of the real article (built once for the whole run)."""
    return build(project)


@pytest.fixture(scope="session")
def store(project, built):
    """(manifest, Oxigraph store) of the real build."""
    return open_store(project.build_dir)


@pytest.fixture
def fixture_project(tmp_path):
    """Make a throw-away project from the fixture article, with a given mapping text.

    ``fixture_project()`` copies tests/fixtures/project; ``fixture_project(mapping=...)`` replaces
    the fixture article's mapping.yaml with ``mapping``.
    """

    def make(mapping: str | None = None, article_text: str | None = None) -> Project:
        root = tmp_path / "project"
        shutil.copytree(FIXTURES / "project", root)
        (root / "ontology").mkdir()
        shutil.copy(ROOT / "ontology" / "newskg.ttl", root / "ontology" / "newskg.ttl")
        shutil.copy(ROOT / "ontology" / "shapes.ttl", root / "ontology" / "shapes.ttl")
        folder = root / "data" / "2031-04-02-harbour-summit"
        if mapping is not None:
            (folder / "mapping.yaml").write_text(mapping, encoding="utf-8")
        if article_text is not None:
            (folder / "article.txt").write_text(article_text, encoding="utf-8")
        return Project.at(root)

    return make


@pytest.fixture
def listener() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server that answers 200 and records the path of every request it gets: (its URL, the paths).

    For the tests that no request leaves kg (SERVICE, FROM, a file or a connection opened by a query).
    """
    received: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            received.append(self.path)
            self.send_response(200)
            self.end_headers()

        do_POST = do_GET

        def log_message(self, *args):
            pass

    with local_http_server(Handler) as server:
        yield f"http://127.0.0.1:{server.server_port}/", received
