"""``kg publish`` against a real Oxigraph server: every graph uploaded, idempotent, clear errors."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from oxigraph_server import INSTALL_HINT, free_port, oxigraph_command, oxigraph_server
from tools import require

pytestmark = pytest.mark.slow


def kg(project, *args):
    return subprocess.run(
        [sys.executable, "-m", "kg", "--project", str(project.root), "--build-dir", str(project.build_dir), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def graph_sizes(base: str) -> dict[str, int]:
    query = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    request = urllib.request.Request(
        f"{base}/query?{urllib.parse.urlencode({'query': query})}",
        headers={"Accept": "application/sparql-results+json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        rows = json.load(response)["results"]["bindings"]
    return {row["g"]["value"]: int(row["n"]["value"]) for row in rows}


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory):
    require(None if oxigraph_command() else INSTALL_HINT)
    with oxigraph_server(tmp_path_factory.mktemp("oxigraph")) as base:
        yield base


def test_publish_puts_every_graph_and_a_repeat_changes_nothing(project, built, oxigraph):
    result = kg(project, "publish", "--to", f"{oxigraph}/store")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines == [
        f"kg: published {g.iri} ({g.triples} triples) [{n}/3]" for n, g in enumerate(built.manifest.graphs, start=1)
    ] + [f"kg: published 3 graphs to {oxigraph}/store"]
    expected = {g.iri: g.triples for g in built.manifest.graphs}
    assert graph_sizes(oxigraph) == expected
    again = kg(project, "publish", "--to", f"{oxigraph}/store")
    assert again.returncode == 0, again.stderr
    assert graph_sizes(oxigraph) == expected


def test_an_unreachable_store_is_one_clear_line(project, built):
    port = free_port()
    result = kg(project, "publish", "--to", f"http://127.0.0.1:{port}/store")
    assert result.returncode == 2
    assert result.stderr.startswith(
        f"kg: error: cannot reach the store at http://127.0.0.1:{port}/store for graph"
        " https://w3id.org/newskg/graph/ontology: "
    )
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_a_refusal_names_the_graph_and_the_status(project, built, oxigraph):
    result = kg(project, "publish", "--to", f"{oxigraph}/no-such-endpoint")
    assert result.returncode == 2
    assert result.stderr.startswith(
        "kg: error: the store refused graph https://w3id.org/newskg/graph/ontology: HTTP 404 Not Found"
    )
    assert result.stdout == ""


def test_the_url_must_be_http(project, built):
    result = kg(project, "publish", "--to", "file:///etc/passwd")
    assert result.returncode == 2
    assert result.stderr == (
        "kg: error: --to must be an http(s) URL of a Graph Store Protocol endpoint, not 'file:///etc/passwd'\n"
    )


QUESTIONS = sorted((Path(__file__).resolve().parent.parent / "queries").glob("*.rq"))


@pytest.fixture(scope="module")
def published_union(project, built, tmp_path_factory):
    """A second Oxigraph server, querying the union of graphs by default as the project's endpoint does."""
    require(None if oxigraph_command() else INSTALL_HINT)
    with oxigraph_server(tmp_path_factory.mktemp("oxigraph-union"), "--union-default-graph") as base:
        result = kg(project, "publish", "--to", f"{base}/store")
        assert result.returncode == 0, result.stderr
        yield base


def ask_oxigraph(base: str, query: bytes, accept: str) -> bytes:
    request = urllib.request.Request(
        f"{base}/query", data=query, headers={"Content-Type": "application/sparql-query", "Accept": accept}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read()


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda p: p.stem)
def test_the_published_store_answers_every_competency_question_alike(published_union, question):
    if question.with_suffix(".txt").exists():
        answer = json.loads(ask_oxigraph(published_union, question.read_bytes(), "application/sparql-results+json"))
        assert f"{str(answer['boolean']).lower()}\n" == question.with_suffix(".txt").read_text()
    else:
        answer = ask_oxigraph(published_union, question.read_bytes(), "text/tab-separated-values")
        assert answer.decode("utf-8") == question.with_suffix(".tsv").read_text()
