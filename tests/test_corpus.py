"""The benchmark's synthetic corpus (``bench/corpus.py``): the same for a seed, and it builds as a real story does."""

from __future__ import annotations

import importlib.util
import sys

from conftest import ROOT
from test_reasoning import asserted_graphs, owlrl_entailments

from kg.build import build
from kg.dataset import open_store
from kg.project import Project
from kg.query import run_query


def corpus():
    """bench/corpus.py, which is a script, not a package."""
    if "bench_corpus" not in sys.modules:
        spec = importlib.util.spec_from_file_location("bench_corpus", ROOT / "bench" / "corpus.py")
        sys.modules["bench_corpus"] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules["bench_corpus"])
    return sys.modules["bench_corpus"]


def files(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted((folder / "data").rglob("*")) if p.is_file()}


def test_the_corpus_is_the_same_for_a_seed_and_a_bigger_one_starts_with_a_smaller(tmp_path):
    write = corpus().write_corpus
    three, two, other = write(tmp_path / "three", 3), write(tmp_path / "two", 2), write(tmp_path / "other", 2, seed=8)
    assert three[:2] == two == other
    assert {k: v for k, v in files(tmp_path / "three").items() if three[2] not in str(k)} == files(tmp_path / "two")
    assert files(tmp_path / "other") != files(tmp_path / "two")


def test_a_small_corpus_builds_shares_the_registry_and_reasons_as_owlrl(tmp_path):
    from kg.reasoning import apply_reasoning

    folders = corpus().write_corpus(tmp_path / "corpus", 3)
    project = Project.at(tmp_path / "corpus")
    report = build(project)
    assert report.manifest.articles == folders
    _, store = open_store(project.build_dir)
    shared = run_query(
        store,
        """SELECT ?thing (COUNT(DISTINCT ?article) AS ?n) WHERE {
             ?m a nkg:Mention ; oa:hasBody ?thing ; oa:hasTarget/oa:hasSource ?article }
           GROUP BY ?thing HAVING (COUNT(DISTINCT ?article) = 3)""",
    )
    assert {row["thing"].value.rsplit("/", 1)[1] for row in shared} >= {"keir-starmer"}
    ontology, graphs = asserted_graphs(project)
    expected = owlrl_entailments(ontology, graphs)
    assert len(expected) > 1000
    assert apply_reasoning(ontology, graphs).inferred == expected
