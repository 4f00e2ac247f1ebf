"""``kg build``: named graphs, determinism, reuse, and a second article with no code change."""

from __future__ import annotations

import shutil

from conftest import ROOT

from kg.build import build
from kg.dataset import load_store, read_manifest
from kg.query import run_query

ARTICLE = "2025-08-17-witkoff-security-guarantees"


def files(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_build_holds_one_graph_per_article_plus_ontology_and_inferences(built):
    names = [g.name for g in built.manifest.graphs]
    assert names == ["ontology", f"article-{ARTICLE}", "inferred"]
    assert [g.iri for g in built.manifest.graphs] == [
        "https://w3id.org/newskg/graph/ontology",
        f"https://w3id.org/newskg/graph/article/{ARTICLE}",
        "https://w3id.org/newskg/graph/inferred",
    ]


def test_the_same_inputs_give_byte_identical_files(project, built, tmp_path):
    again = project.__class__(project.root, tmp_path / "again")
    build(again, force=True)
    assert files(again.build_dir) == files(project.build_dir)


def test_an_unchanged_project_reuses_its_build(project, built):
    report = build(project)
    assert report.reused
    assert report.timings == {}


def test_a_changed_input_is_rebuilt(fixture_project):
    project = fixture_project()
    first = build(project)
    mapping = project.root / "data" / "2031-04-02-harbour-summit" / "mapping.yaml"
    mapping.write_text(mapping.read_text() + "\n# a comment changes the fingerprint\n")
    second = build(project)
    assert not second.reused
    assert second.manifest.inputs != first.manifest.inputs


def test_a_second_article_needs_only_a_folder(fixture_project):
    project = fixture_project()
    shutil.copytree(ROOT / "data" / ARTICLE, project.root / "data" / ARTICLE)
    report = build(project)
    assert report.manifest.articles == [ARTICLE, "2031-04-02-harbour-summit"]
    manifest, store = load_store(project.build_dir)
    answer = run_query(
        store,
        manifest,
        "SELECT ?who WHERE { id:harbour-summit nkg:hostedBy/rdfs:label ?who }",
    )
    assert [s["who"].value for s in answer] == ["Ilse Varga"]
    dates = run_query(store, manifest, "SELECT ?d WHERE { id:treaty-signing nkg:date ?d ; nkg:dateResolved true }")
    assert [s["d"].value for s in dates] == ["2031-04-03T00:00:00"]


def test_the_build_folder_is_readable_and_has_no_leftovers(project, built):
    assert project.build_dir.stat().st_mode & 0o755 == 0o755
    assert sorted(p.name for p in project.build_dir.iterdir()) == [
        "dataset.nq",
        "graphs",
        "manifest.json",
        "rounds.tsv",
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
