"""Shared fixtures: the project's builds, each made once per test run into temporary folders; a local listener.

Two builds matter. The *story* is the whole project, every article: the general tests (evidence
matches, shapes hold, exports round-trip, every inference has a proof, the endpoint answers) run
on it, whatever articles it holds. An *article's own build* is that article alone with the
registry: its golden answers (``tests/articles/<article>/``) hold there, so they stay true when
another article joins the story. The tests of pages, clients and stores read the reference article's
own build (``project``, ``built``, ``store``). With one article, the two are the same build.

``$KG_TEST_PROJECT`` points the tests at another project folder: ``tests/test_many_articles.py``
runs the general tests on a copy of this one with the fictional fixture article added.
"""

from __future__ import annotations

import http.server
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

# The helpers' assertions say what they compared, as the tests' own do (before their first import).
pytest.register_assert_rewrite("serverutil", "browser", "tools", "owlapi")

from serverutil import local_http_server

from kg.build import build
from kg.dataset import open_store
from kg.project import Project

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
#: The project folder the tests build (default: this repository).
PROJECT_ROOT = Path(os.environ.get("KG_TEST_PROJECT") or ROOT)
#: Golden answers, one folder per article.
ARTICLES = Path(__file__).resolve().parent / "articles"
#: The article whose own build the tests of pages, clients and stores read.
REFERENCE = "2025-08-17-witkoff-security-guarantees"
#: The reference article's golden answers to the competency questions (``queries/NN-name.rq``).
ANSWERS = ARTICLES / REFERENCE / "answers"


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory) -> Path:
    """One build cache for the whole run: an article mapped for one build is reused by the next."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def story(tmp_path_factory, cache_dir) -> Project:
    """The whole project (every article), building into a temporary folder."""
    return Project.at(PROJECT_ROOT, tmp_path_factory.mktemp("build") / "build", cache=cache_dir)


@pytest.fixture(scope="session")
def story_built(story):
    """The build report of the whole story (built once for the whole run)."""
    return build(story)


@pytest.fixture(scope="session")
def story_store(story, story_built):
    """(manifest, Oxigraph store) of the whole story."""
    return open_store(story.build_dir)


@pytest.fixture(scope="session")
def article_build(story, story_built, story_store, tmp_path_factory, cache_dir):
    """``article_build(name)``: (project, manifest, store) of that article's own build, with the registry.

    The story's own build when the story is that article alone.
    """
    made: dict[str, tuple] = {}

    def make(name: str) -> tuple:
        if name not in made:
            if story_built.manifest.articles == [name]:
                made[name] = (story, *story_store)
            else:
                folder = tmp_path_factory.mktemp(f"build-{name[:24]}") / "build"
                project = Project.at(PROJECT_ROOT, folder, articles=(name,), cache=cache_dir)
                build(project)
                made[name] = (project, *open_store(project.build_dir))
        return made[name]

    return make


@pytest.fixture(scope="session")
def project(article_build) -> Project:
    """The reference article's own build's project."""
    return article_build(REFERENCE)[0]


@pytest.fixture(scope="session")
def built(project):
    """The build report of the reference article's own build."""
    return build(project)


@pytest.fixture(scope="session")
def store(article_build):
    """(manifest, Oxigraph store) of the reference article's own build."""
    return article_build(REFERENCE)[1:]


def reference_golden() -> dict:
    """The reference article's golden figures (``tests/articles/<article>/golden.yaml``)."""
    return yaml.safe_load((ARTICLES / REFERENCE / "golden.yaml").read_text(encoding="utf-8"))


def golden_articles(name: str) -> list[Path]:
    """Each article folder of ``tests/articles/`` holding ``name``, for an article the story has."""
    built = {p.name for p in (PROJECT_ROOT / "data").glob("*") if (p / "mapping.yaml").is_file()}
    return sorted(f for f in ARTICLES.glob(f"*/{name}") if f.parent.name in built)


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
