"""A story of many articles: one more article needs only a folder, and the build keeps up incrementally.

The general tests (``-m general``) are run again on a copy of the project with the fictional
fixture article added to its data/: they hold for any story. The golden answers of each article
hold on its own build, whatever else the story holds. An incremental build (an article added,
changed, removed) equals a build from scratch, triple for triple.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT
from test_corpus import corpus

from kg.build import build
from kg.dataset import DATASET_FILE, open_store, store_folder
from kg.errors import MappingError
from kg.project import Project
from kg.query import run_query

FIXTURE = "2031-04-02-harbour-summit"


def copy_project(into: Path, *extra: Path) -> Path:
    """A copy of this project (ontology, data, queries) with ``extra`` article folders added to its data/."""
    for folder in ("ontology", "data", "queries"):
        shutil.copytree(ROOT / folder, into / folder)
    for article in extra:
        shutil.copytree(article, into / "data" / article.name)
    return into


def test_one_more_article_needs_only_a_folder(tmp_path):
    project = Project.at(copy_project(tmp_path / "story", FIXTURES / "project" / "data" / FIXTURE))
    report = build(project)
    assert report.manifest.articles == [*sorted(p.parent.name for p in (ROOT / "data").glob("*/mapping.yaml")), FIXTURE]
    _, store = open_store(project.build_dir)
    hosts = run_query(store, "SELECT ?who WHERE { id:harbour-summit nkg:hostedBy/rdfs:label ?who }")
    assert [row["who"].value for row in hosts] == ["Ilse Varga"]
    dates = run_query(store, "SELECT ?d WHERE { id:treaty-signing nkg:date ?d ; nkg:dateResolved true }")
    assert [row["d"].value for row in dates] == ["2031-04-03T00:00:00"]


@pytest.mark.slow
def test_the_general_checks_hold_with_one_more_article(tmp_path):
    """``pytest -m general`` on a copy of the project with the fixture article: the story's checks and
    every article's golden answers."""
    story = copy_project(tmp_path / "story", FIXTURES / "project" / "data" / FIXTURE)
    env = {**os.environ, "KG_TEST_PROJECT": str(story)}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-m", "general", "-q", "-p", "no:cacheprovider", "-x", "tests"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    summary = run.stdout.strip().splitlines()[-1]
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert " passed" in summary and "failed" not in summary and "error" not in summary, summary


def graphs_of(build_dir: Path) -> dict:
    """The build's graphs, its dataset and its manifest, byte for byte (not the rounds, which record history),
    and its stores' quads (an incremental build updates the previous build's stores)."""
    files = {p.relative_to(build_dir): p.read_bytes() for p in sorted((build_dir / "graphs").glob("*.ttl"))}
    files[Path(DATASET_FILE)] = (build_dir / DATASET_FILE).read_bytes()
    files[Path("manifest.json")] = (build_dir / "manifest.json").read_bytes()
    for infer in (True, False):
        _, store = open_store(build_dir, infer=infer)
        files[Path(store_folder(infer=infer))] = sorted(str(quad) for quad in store)
        files[f"named graphs of {store_folder(infer=infer)}"] = sorted(str(graph) for graph in store.named_graphs())
    return files


def from_scratch(project: Project, into: Path) -> dict:
    fresh = Project.at(project.root, into / "build", cache=into / "cache")
    build(fresh, force=True)
    return graphs_of(fresh.build_dir)


def test_an_incremental_build_equals_one_from_scratch_after_adding_changing_and_removing(tmp_path):
    root = tmp_path / "corpus"
    folders = corpus().write_corpus(root, 3)
    aside = tmp_path / "aside"
    shutil.move(root / "data" / folders[2], aside)
    project = Project.at(root)
    first = build(project)
    assert first.work == {"mapped": 3, "validated": 3, "closure": "computed"}  # the registry and two articles

    shutil.move(aside, root / "data" / folders[2])  # add
    added = build(project)
    assert added.work == {"mapped": 1, "validated": 1, "closure": "continued (+1)"}
    assert graphs_of(project.build_dir) == from_scratch(project, tmp_path / "after-adding")

    mapping = root / "data" / folders[1] / "mapping.yaml"  # change: another title
    mapping.write_text(mapping.read_text(encoding="utf-8").replace("  title: ", "  title: Changed, ", 1))
    changed = build(project)
    assert changed.work == {"mapped": 1, "validated": 1, "closure": "computed"}
    assert graphs_of(project.build_dir) == from_scratch(project, tmp_path / "after-changing")

    shutil.rmtree(root / "data" / folders[0])  # remove
    removed = build(project)
    assert removed.work == {"mapped": 0, "validated": 0, "closure": "computed"}
    assert graphs_of(project.build_dir) == from_scratch(project, tmp_path / "after-removing")
    assert removed.manifest.articles == folders[1:]


#: A script without a ``__main__`` guard that builds in forked worker processes (each marks its pid).
PARALLEL_BUILD = """
import os, sys
from pathlib import Path
import kg.build
from kg.project import Project
os.register_at_fork(after_in_child=lambda: Path(sys.argv[2], str(os.getpid())).touch())
kg.build.MIN_PARALLEL = 2
kg.build.build(Project.at(sys.argv[1]), force=True)
"""


def test_a_build_in_worker_processes_equals_one_in_a_single_process(tmp_path):
    corpus().write_corpus(tmp_path / "corpus", 3)
    (tmp_path / "script.py").write_text(PARALLEL_BUILD, encoding="utf-8")
    (tmp_path / "forked").mkdir()
    env = {**os.environ, "KG_BUILD_WORKERS": "2"}
    command = [sys.executable, str(tmp_path / "script.py"), str(tmp_path / "corpus"), str(tmp_path / "forked")]
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    assert len(list((tmp_path / "forked").iterdir())) >= 2  # mapped and validated by two workers
    project = Project.at(tmp_path / "corpus", tmp_path / "alone" / "build", cache=tmp_path / "alone" / "cache")
    build(project, force=True)  # three articles: fewer than MIN_PARALLEL, built in this process
    assert graphs_of(project.build_dir) == graphs_of(tmp_path / "corpus" / "build")


#: case: (registry.yaml, or None; an old and a new line of a second article's mapping, or None; the error)
CONFLICTS = {
    "two labels, the registry's and an article's": (
        "entities:\n  ilse-varga:\n    a: Person\n    label: Ilse M. Varga\n",
        None,
        "data/2031-04-02-harbour-summit/mapping.yaml:24: entity 'ilse-varga': the label 'Ilse Varga' differs from"
        " 'Ilse M. Varga' given at data/registry.yaml:3: one thing has one label (give the other name as 'aka')",
    ),
    "disjoint classes": (
        "entities:\n  ilse-varga:\n    a: Place\n    label: Ilse Varga\n    source: https://example.org/places\n",
        None,
        "data/2031-04-02-harbour-summit/mapping.yaml:24: entity 'ilse-varga': a person here is a place at"
        " data/registry.yaml:3, and nothing is both (the classes are disjoint)",
    ),
    "two values of a functional property": (
        "entities:\n  southmark:\n    a: Country\n    label: Southmark\n  prime-minister-of-northland:\n"
        "    a: Office\n    label: Prime Minister of Northland\n\nbackground:\n"
        "  - source: https://example.org/offices\n    about: prime-minister-of-northland\n    officeOf: southmark\n",
        None,
        "data/2031-04-02-harbour-summit/mapping.yaml:93: entity 'prime-minister-of-northland': office of is"
        " 'northland' here and 'southmark' at data/registry.yaml:10: the property has one value",
    ),
    "two labels in two articles": (
        None,
        ("    label: Tomas Reed", "    label: Tomas J. Reed"),
        "data/2031-04-03-harbour-follow-up/mapping.yaml:29: entity 'tomas-reed': the label 'Tomas J. Reed' differs"
        " from 'Tomas Reed' given at data/2031-04-02-harbour-summit/mapping.yaml:29: one thing has one label"
        " (give the other name as 'aka')",
    ),
}


@pytest.mark.parametrize("case", CONFLICTS, ids=lambda c: c.replace(" ", "-"))
def test_two_files_that_disagree_about_one_thing_stop_the_build_naming_both(fixture_project, case):
    registry, edit, message = CONFLICTS[case]
    project = fixture_project()
    if registry is not None:
        (project.root / "data" / "registry.yaml").write_text(registry, encoding="utf-8")
    if edit is not None:
        second = project.root / "data" / "2031-04-03-harbour-follow-up"
        shutil.copytree(project.root / "data" / FIXTURE, second)
        mapping = second / "mapping.yaml"
        mapping.write_text(mapping.read_text(encoding="utf-8").replace(*edit, 1), encoding="utf-8")
    with pytest.raises(MappingError) as error:
        build(project)
    assert str(error.value) == message
    assert not project.build_dir.exists()
