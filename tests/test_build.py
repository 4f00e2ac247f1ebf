"""``kg build``: named graphs, determinism, reuse. (More articles: ``tests/test_many_articles.py``.)"""

from __future__ import annotations

import pytest

from kg.build import build
from kg.dataset import read_manifest
from kg.project import Project


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
    again = Project.at(story.root, tmp_path / "again")
    build(again, force=True)
    assert files(again.build_dir) == files(story.build_dir)


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
