"""``kg serve``'s own options: ``--graph IRI=FILE``, ``--backend URL``, and the query page's examples from the project.

Misuse ends at once with exit code 2 and one line on stderr, before anything listens.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
import requests
from serverutil import TEST_SETTINGS, kg_env, running_server

from kg.namespaces import INFERRED_GRAPH

SETTINGS = {key: value for key, value in TEST_SETTINGS.items() if key != "GRAPHS"}
GRAPH = "http://example.org/extra?v=1"


def kg_serve(project, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """``kg serve`` expected to fail before it serves; port 0, so that it never collides."""
    command = [sys.executable, "-m", "kg", "--project", str(project.root), "--build-dir", str(project.build_dir)]
    return subprocess.run(
        [*command, "serve", "--port", "0", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **kg_env(project), **(env or {})},
    )


def test_graph_serves_a_file_as_a_named_graph_beside_the_build(project, built, tmp_path):
    extra = tmp_path / "extra.ttl"
    extra.write_text("<http://example.org/s> <http://example.org/p> 'o', 'o2' .\n", encoding="utf-8")
    with running_server(project, tmp_path / "server.log", SETTINGS, ["--graph", f"{GRAPH}={extra}"]) as server:
        ask = f"ASK {{ GRAPH <{GRAPH}> {{ <http://example.org/s> ?p 'o' }} }}"
        assert requests.get(server.sparql, params={"query": ask}, timeout=10).json()["boolean"] is True
        description = requests.get(server.sparql, headers={"Accept": "application/n-triples"}, timeout=10).text
        assert f"<{GRAPH}>" in description and '"2"^^<http://www.w3.org/2001/XMLSchema#integer>' in description


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--graph", "{GRAPH}={missing}"],
            "kg: error: cannot read the graph file {missing}: there is no such file\n",
        ),
        (
            ["--graph", "{GRAPH}={csv}"],
            "kg: error: cannot load graph.csv as one graph: use a .ttl, .nt, .rdf or .jsonld file\n",
        ),
        (["--graph", "not-an-iri={ttl}"], "kg: error: the graph name 'not-an-iri' is not an absolute IRI\n"),
        (
            ["--graph", "{INFERRED}={ttl}"],
            "kg: error: the graph name <{INFERRED}> is one of the build's own\n",
        ),
        (["--graph", "{GRAPH}={broken}"], "kg: error: the graph file {broken} is not valid turtle: "),
        (
            ["--backend", "file:///etc/passwd"],
            "kg: error: --backend must be the http(s) URL of a SPARQL query endpoint, not 'file:///etc/passwd'\n",
        ),
        (
            ["--backend", "http://user:secret@127.0.0.1/q"],
            "kg: error: --backend must not carry credentials (user:password@)",
        ),
    ],
    ids=["missing file", "unknown syntax", "relative IRI", "build's graph", "broken file", "not http", "credentials"],
)
def test_misuse_is_one_line_and_exit_code_2(project, built, tmp_path, args, message):
    files = {"missing": tmp_path / "missing.ttl", "csv": tmp_path / "graph.csv", "ttl": tmp_path / "g.ttl"}
    files["broken"] = tmp_path / "broken.ttl"
    files["csv"].write_text("a,b\n")
    files["ttl"].write_text("<urn:s> <urn:p> <urn:o> .\n")
    files["broken"].write_text("<urn:s> <urn:p> .\n")
    names = {"GRAPH": GRAPH, "INFERRED": str(INFERRED_GRAPH), **{key: str(path) for key, path in files.items()}}
    result = kg_serve(project, *[arg.format(**names) for arg in args])
    assert result.returncode == 2
    assert result.stderr.startswith(message.format(**names)), result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "secret" not in result.stderr


def test_a_graph_option_needs_an_iri_and_a_file(project):
    result = kg_serve(project, "--graph", "extra.ttl")
    assert result.returncode == 2
    assert "argument --graph: expected IRI=FILE, e.g. http://example.org/g=extra.ttl, not 'extra.ttl'" in result.stderr


def test_extra_graphs_cannot_be_served_beside_a_backend(project, tmp_path):
    both = kg_serve(project, "--graph", f"{GRAPH}=g.ttl", "--backend", "http://127.0.0.1:1/query")
    assert both.returncode == 2 and "argument --backend: not allowed with argument --graph" in both.stderr
    from_env = kg_serve(
        project, "--backend", "http://127.0.0.1:1/query", env={"KG_SERVER_GRAPHS": json.dumps({GRAPH: "g.ttl"})}
    )
    assert (from_env.returncode, from_env.stderr) == (
        2,
        "kg: error: extra graphs (--graph, KG_SERVER_GRAPHS) are served beside a local build only:"
        " publish them to the backend\n",
    )


def test_the_query_pages_examples_are_the_projects_own(fixture_project, tmp_path):
    """A project without ``queries/`` offers no examples, whichever folder the code lives in."""
    project = fixture_project()
    with running_server(project, tmp_path / "server.log", SETTINGS) as server:
        page = requests.get(server.url + "query", timeout=10).text
    examples = json.loads(re.search(r'<script id="examples" type="application/json">(.*?)</script>', page)[1])
    assert examples == []
    assert "No example queries found" in page


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("KG_SERVER_QUERY_TIMEOUT", "abc", "KG_SERVER_QUERY_TIMEOUT must be a positive number, not 'abc'"),
        ("KG_SERVER_ROW_LIMIT", "-5", "KG_SERVER_ROW_LIMIT must be a whole number, 0 or more, not -5"),
        (
            "KG_SERVER_GRAPHS",
            "[1]",
            'KG_SERVER_GRAPHS must be a JSON object of IRIs to file names, {"IRI": "file.ttl"}, not [1]',
        ),
    ],
)
def test_a_bad_setting_is_one_line_and_exit_code_2(project, built, variable, value, message):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kg",
            "--project",
            str(project.root),
            "--build-dir",
            str(project.build_dir),
            "serve",
            "--port",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, variable: value},
    )
    assert result.returncode == 2
    assert result.stderr == f"kg: error: {message}\n"


def test_inputs_that_do_not_build_leave_the_last_good_build_served_with_a_loud_warning(fixture_project, tmp_path):
    project = fixture_project()
    with running_server(project, tmp_path / "first.log", SETTINGS):
        pass  # built and served once: the last good build
    mapping = project.root / "data" / "2031-04-02-harbour-summit" / "mapping.yaml"
    mapping.write_text(mapping.read_text().replace("    a: Newspaper", "    a: Newspapr"))
    with running_server(project, tmp_path / "server.log", SETTINGS) as server:
        query = "SELECT ?who WHERE { id:harbour-summit nkg:hostedBy/rdfs:label ?who }"
        rows = requests.get(server.sparql, params={"query": query}, timeout=10).json()["results"]["bindings"]
        assert [row["who"]["value"] for row in rows] == ["Ilse Varga"]
        warnings = [line for line in server.log_text().splitlines() if line.startswith("kg: WARNING: ")]
        assert warnings[0] == "kg: WARNING: the inputs do not build; serving the last good build instead"
        assert warnings[1] == (
            "kg: WARNING: why: data/2031-04-02-harbour-summit/mapping.yaml:49: entity 'daily-beacon':"
            " unknown class 'Newspapr'"
        )
        health = requests.get(server.url + "health", timeout=10).json()
        assert health["status"] == "ok" and "unknown class 'Newspapr'" in health["warning"]


def test_inputs_that_do_not_build_and_no_build_at_all_end_kg_serve_in_one_line(fixture_project):
    project = fixture_project()
    mapping = project.root / "data" / "2031-04-02-harbour-summit" / "mapping.yaml"
    mapping.write_text(mapping.read_text().replace("    a: Newspaper", "    a: Newspapr"))
    result = kg_serve(project)
    assert (result.returncode, result.stderr) == (
        2,
        "kg: error: data/2031-04-02-harbour-summit/mapping.yaml:49: entity 'daily-beacon': unknown class 'Newspapr'\n",
    )
    assert not project.build_dir.exists()
