"""``kg build``: named graphs, determinism, reuse. (More articles: ``tests/test_many_articles.py``.)"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time

import pyoxigraph as ox
import pytest

from kg.build import build, recover
from kg.dataset import DATASET_FILE, STORE_DIRS, merged_into, open_store, read_manifest, store_folder
from kg.namespaces import INFERRED_GRAPH
from kg.project import Project
from kg.query import run_query

WHO_HOSTS = "SELECT ?who WHERE { id:harbour-summit nkg:hostedBy/rdfs:label ?who }"


def files(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.general
def test_the_build_holds_the_ontology_the_registry_a_graph_per_article_the_coverage_and_the_inferences(story_built):
    manifest = story_built.manifest
    assert manifest.articles == sorted(manifest.articles) and manifest.articles
    assert [g.name for g in manifest.graphs] == ["ontology", "registry"] + [
        f"article-{a}" for a in manifest.articles
    ] + ["coverage", "inferred"]
    assert [g.iri for g in manifest.graphs] == [
        "https://w3id.org/newskg/graph/ontology",
        "https://w3id.org/newskg/graph/registry",
        *(f"https://w3id.org/newskg/graph/article/{a}" for a in manifest.articles),
        "https://w3id.org/newskg/graph/coverage",
        "https://w3id.org/newskg/graph/inferred",
    ]


@pytest.mark.general
def test_the_same_inputs_give_byte_identical_files(story, story_built, tmp_path):
    """Every file but the store's (RocksDB names its files and the store at random), and the store's quads."""
    again = Project.at(story.root, tmp_path / "again")
    build(again, force=True)
    assert without_store(files(again.build_dir)) == without_store(files(story.build_dir))
    for infer in (True, False):
        assert store_lines(again.build_dir, infer) == store_lines(story.build_dir, infer)


def without_store(contents: dict) -> dict:
    return {path: data for path, data in contents.items() if path.parts[0] not in STORE_DIRS}


def store_lines(build_dir, infer: bool) -> list[str]:
    """A store's quads as sorted N-Quads lines, blank node labels as the store keeps them."""
    _, store = open_store(build_dir, infer=infer)
    return sorted(f"{quad} .\n" for quad in store)


@pytest.mark.general
@pytest.mark.parametrize("infer", [True, False], ids=["store", "store-asserted"])
def test_each_store_holds_the_dataset_with_its_blank_node_labels_and_its_merged_default_graph(
    story, story_built, infer
):
    """The quads of dataset.nq as any Oxigraph store keeps them (xsd:int, xsd:long ... become xsd:integer), and
    the triples of every graph (with ``infer=False``: but the inferred one) once more in the default graph."""
    graphs = story_built.manifest.graphs
    merged = {ox.NamedNode(info.iri) for info in graphs if merged_into(store_folder(infer=infer), info)}
    assert len(merged) == len(graphs) - (0 if infer else 1)
    expected = ox.Store()
    for quad in ox.parse(path=str(story.build_dir / DATASET_FILE), rename_blank_nodes=False):
        expected.add(quad)
        if quad.graph_name in merged:
            expected.add(ox.Quad(quad.subject, quad.predicate, quad.object, ox.DefaultGraph()))
    assert store_lines(story.build_dir, infer) == sorted(f"{quad} .\n" for quad in expected)
    named = sum(1 for quad in expected if not isinstance(quad.graph_name, ox.DefaultGraph))
    assert named == sum(info.triples for info in story_built.manifest.graphs)


@pytest.mark.general
def test_a_query_sees_the_builds_named_graphs_and_by_default_their_merge_or_all_but_the_inferred_one(
    story, story_built
):
    """Both stores hold the same named graphs; their default graphs differ by the inferred triples."""
    manifest, store = open_store(story.build_dir)
    _, asserted_store = open_store(story.build_dir, infer=False)
    graphs = {info.iri for info in manifest.graphs}
    listed = run_query(store, "SELECT DISTINCT ?g { GRAPH ?g { } }")
    assert sorted(row["g"].value for row in listed) == sorted(graphs)
    assert {q for q in store if q.graph_name != ox.DefaultGraph()} == {
        q for q in asserted_store if q.graph_name != ox.DefaultGraph()
    }
    held = {name: set() for name in graphs}
    for quad in store:
        if isinstance(quad.graph_name, ox.NamedNode) and quad.graph_name.value in graphs:
            held[quad.graph_name.value].add(quad.triple)
    count = "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"
    everything = set().union(*held.values())
    asserted = set().union(*(triples for iri, triples in held.items() if iri != str(INFERRED_GRAPH)))
    assert int(next(run_query(store, count))["n"].value) == len(everything)
    assert int(next(run_query(asserted_store, count))["n"].value) == len(asserted)
    assert len(asserted) < len(everything)


def test_an_unchanged_project_reuses_its_build(project, built):
    report = build(project)
    assert report.reused
    assert report.timings == {}


def test_a_build_whose_store_was_removed_is_built_again(fixture_project):
    project = fixture_project()
    build(project)
    shutil.rmtree(project.build_dir / "store-asserted")
    again = build(project)
    assert not again.reused
    _, store = open_store(project.build_dir, infer=False)
    assert [s["who"].value for s in run_query(store, WHO_HOSTS)] == ["Ilse Varga"]


def test_a_changed_input_is_rebuilt(fixture_project):
    project = fixture_project()
    first = build(project)
    mapping = project.root / "data" / "2031-04-02-harbour-summit" / "mapping.yaml"
    mapping.write_text(mapping.read_text() + "\n# a comment changes the fingerprint\n")
    second = build(project)
    assert not second.reused
    assert second.manifest.inputs != first.manifest.inputs


def test_the_build_folder_is_readable_and_has_no_leftovers(project, built):
    assert project.build_dir.stat().st_mode & 0o755 == 0o755
    assert sorted(p.name for p in project.build_dir.iterdir()) == [
        "dataset.nq",
        "graphs",
        "manifest.json",
        "rounds.tsv",
        "store",
        "store-asserted",
    ]
    assert not list(project.build_dir.parent.glob(".build-*"))
    assert read_manifest(project.build_dir) == built.manifest


def test_a_pinned_build_stays_as_it_was_when_the_build_is_swapped(fixture_project, tmp_path):
    from kg.dataset import pin_build

    project = fixture_project()
    first = build(project)
    (tmp_path / "pinned").mkdir()
    pinned = pin_build(project.build_dir, tmp_path / "pinned")
    before = files(pinned)
    mapping = project.root / "data" / "2031-04-02-harbour-summit" / "mapping.yaml"
    mapping.write_text(mapping.read_text().replace("label: Ilse Varga", "label: Ilse V. Varga"))
    second = build(project)
    assert second.manifest.inputs != first.manifest.inputs
    assert files(pinned) == before
    assert read_manifest(pinned) == first.manifest
    _, store = open_store(pinned)
    assert [s["who"].value for s in run_query(store, WHO_HOSTS)] == ["Ilse Varga"]


def kg_command(project, *args):
    return [sys.executable, "-m", "kg", "--project", str(project.root), "--build-dir", str(project.build_dir), *args]


def test_a_build_killed_while_writing_leaves_nothing_the_next_build_does_not_clean(fixture_project):
    """SIGKILL while the new build is being written: its temporary folder stays, until the next build removes it."""
    project = fixture_project()
    assert subprocess.run(kg_command(project, "build"), capture_output=True, timeout=120).returncode == 0
    first = files(project.build_dir)
    for _attempt in range(5):
        child = subprocess.Popen(
            kg_command(project, "build", "--force"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 60
        while child.poll() is None and time.monotonic() < deadline:
            if list(project.build_dir.parent.glob(".build-*")):
                child.kill()
                break
            time.sleep(0.002)
        child.wait()
        if child.returncode == -signal.SIGKILL:
            break
    else:
        pytest.skip("the build was never caught writing its temporary folder")
    assert list(project.build_dir.parent.glob(".build-*"))  # what SIGKILL left
    assert files(project.build_dir) == first  # the previous build untouched
    again = subprocess.run(kg_command(project, "build"), capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert not list(project.build_dir.parent.glob(".build-*"))
    assert files(project.build_dir) == first


def test_a_build_stopped_between_its_two_renames_is_rolled_back_by_the_next_command(fixture_project):
    """Ctrl-C after the old build was renamed aside and before the new one took its place: only build.old is left."""
    project = fixture_project()
    build(project)
    first = files(project.build_dir)
    project.build_dir.rename(project.build_dir.with_name("build.old"))
    (project.build_dir.parent / ".build-k2j4x9").mkdir()  # the new build, half written
    (project.build_dir.parent / ".build-k2j4x9" / "dataset.nq").write_text("<a:b> <a:b> ")
    query = "SELECT ?who WHERE { id:harbour-summit nkg:hostedBy/rdfs:label ?who }"
    result = subprocess.run(
        kg_command(project, "query", "--format", "csv", query), capture_output=True, text=True, timeout=120
    )
    assert (result.returncode, result.stdout) == (0, "who\nIlse Varga\n"), result.stderr
    assert files(project.build_dir) == first
    assert sorted(p.name for p in project.build_dir.parent.iterdir() if p.name.startswith(".build")) == [".build.lock"]
    assert not project.build_dir.with_name("build.old").exists()


def test_a_previous_build_left_beside_the_build_is_removed(fixture_project):
    project = fixture_project()
    build(project)
    shutil.copytree(project.build_dir, project.build_dir.with_name("build.old"))
    assert recover(project.build_dir) == ["removed build.old, left by an interrupted build"]
    assert not project.build_dir.with_name("build.old").exists() and read_manifest(project.build_dir) is not None


def test_extra_graphs_go_into_the_pinned_store_and_manifest_never_into_the_build(fixture_project, tmp_path):
    from kg.dataset import pin_build

    project = fixture_project()
    build(project)
    before = files(project.build_dir)
    extra = tmp_path / "extra.ttl"
    extra.write_text("<http://example.org/s> <http://example.org/p> 'o', 'o2' .\n", encoding="utf-8")
    (tmp_path / "pinned").mkdir()
    pinned = pin_build(project.build_dir, tmp_path / "pinned", graphs={"http://example.org/g": extra})
    assert files(project.build_dir) == before
    info = read_manifest(pinned).graph("extra http://example.org/g")
    assert (info.iri, info.file, info.triples) == ("http://example.org/g", str(extra), 2)
    manifest, store = open_store(pinned)
    assert manifest.graphs == [*read_manifest(project.build_dir).graphs, info]
    rows = run_query(store, "SELECT ?o { GRAPH <http://example.org/g> { ?s ?p ?o } } ORDER BY ?o")
    assert [row["o"].value for row in rows] == ["o", "o2"]


def test_what_a_killed_build_left_in_the_cache_is_removed_by_the_next(fixture_project):
    """A graph or closure being written into the cache when the build was killed: the next build removes it."""
    project = fixture_project()
    build(project)
    kept = files(project.cache_dir)
    (project.cache_dir / ".staging-k2j4x9").mkdir()  # a graph, half written
    (project.cache_dir / ".staging-k2j4x9" / "graph.nt").write_text("<a:b> <a:b> ")
    (project.cache_dir / ".staging-q8w1.ttl").write_text("@prefix")
    (project.cache_dir / "closure-0123456789abcdef.partial").write_bytes(b"\x80")
    assert build(project).reused
    assert files(project.cache_dir) == kept
