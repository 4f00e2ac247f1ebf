"""The ontology, alone and with the data, is inside OWL 2 RL and OWL 2 DL, as the OWL API checks it."""

from __future__ import annotations

import pytest
from conftest import REFERENCE, ROOT, reference_golden
from owlapi import check_profiles, missing_reason
from tools import require

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ontology_report():
    require(missing_reason())
    return check_profiles(ROOT / "ontology" / "newskg.ttl")


@pytest.fixture(scope="module")
def data_report(project, built):
    require(missing_reason())
    article = built.manifest.graph(f"article-{REFERENCE}")
    return check_profiles(ROOT / "ontology" / "newskg.ttl", project.build_dir / article.file)


@pytest.mark.parametrize("profile", ["dl", "rl"])
def test_the_ontology_alone_has_no_profile_violations(ontology_report, profile):
    assert ontology_report[profile] == []


@pytest.mark.parametrize("profile", ["dl", "rl"])
def test_ontology_plus_data_has_no_profile_violations(data_report, profile):
    assert data_report[profile] == []


def test_the_owl_api_reads_every_triple_and_every_declaration(ontology_report, data_report):
    for report in (ontology_report, data_report):
        assert report["unparsed_triples"] == []
        assert report["warnings"] == []
        assert report["missing_imports"] == []
    assert ontology_report["undeclared"] == []


def test_the_owl_api_sees_the_evidence_as_annotated_assertions(data_report):
    golden = reference_golden()["owl api"]["article graph"]
    assert data_report["annotated_axioms"] == golden["annotated axioms"]
    assert data_report["individuals"] == golden["individuals"]
