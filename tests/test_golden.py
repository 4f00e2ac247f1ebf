"""Each article's golden figures (``tests/articles/<article>/golden.yaml``) hold on the article's own build.

An article's counts, entailments, proofs and selected answers are properties of that article with
the registry, read on its own build (the article alone): they stay true whatever other articles
the story holds. The figures are written out in full, each test asserting the exact value.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest
import rdflib
import yaml
from conftest import golden_articles

from kg.explain import Explainer, parse_term
from kg.export import export_protege
from kg.query import run_query

INFERRED = "https://w3id.org/newskg/graph/inferred"
GOLDEN = {path.parent.name: yaml.safe_load(path.read_text(encoding="utf-8")) for path in golden_articles("golden.yaml")}
pytestmark = pytest.mark.general


def cases(section: str) -> list:
    """(article, item) for every item of ``section`` of every article's golden figures."""
    found = []
    for article, golden in GOLDEN.items():
        items = golden.get(section) or {}
        found += [(article, item) for item in (items.items() if isinstance(items, dict) else items)]
    return found


@pytest.fixture(scope="module")
def explainers(article_build):
    made = {}

    def explainer(article: str) -> Explainer:
        if article not in made:
            project, manifest, store = article_build(article)
            made[article] = Explainer(store, manifest, project.build_dir)
        return made[article]

    return explainer


def triple(terms) -> tuple:
    return tuple(parse_term(t) for t in terms)


@pytest.mark.parametrize("article", sorted(GOLDEN))
def test_the_build_counts(article_build, article):
    _, manifest, _ = article_build(article)
    golden = GOLDEN[article]["build"]
    assert manifest.counts == golden["counts"]
    assert manifest.filtered == golden["filtered"]


@pytest.mark.parametrize("article", sorted(GOLDEN))
def test_the_evidence_counts_and_a_selector(article_build, article):
    _, _, store = article_build(article)
    golden = GOLDEN[article]["evidence"]
    rows = list(
        run_query(
            store,
            """SELECT (COUNT(DISTINCT ?a) AS ?fromText) (COUNT(DISTINCT ?b) AS ?fromSources) WHERE {
                 { ?a a owl:Axiom ; nkg:evidence ?segment }
                 UNION { ?b a owl:Axiom ; dcterms:source ?source . FILTER NOT EXISTS { ?b nkg:evidence ?x } } }""",
        )
    )
    assert [int(t.value) for t in rows[0]] == [golden["from text"], golden["from sources"]]
    selector = golden["selector"]
    segment = f"<https://w3id.org/newskg/article/{article}{selector['segment']}>"
    found = run_query(
        store,
        f"SELECT ?prefix ?exact ?suffix WHERE {{ {segment} oa:hasSelector ?q . ?q oa:prefix ?prefix ;"
        " oa:exact ?exact ; oa:suffix ?suffix }",
    )
    assert [tuple(t.value for t in row) for row in found] == [
        (selector["prefix"], selector["exact"], selector["suffix"])
    ]


@pytest.mark.parametrize("article", sorted(GOLDEN))
def test_the_protege_file_declares_its_individuals(article_build, article, tmp_path):
    _, manifest, store = article_build(article)
    path = tmp_path / "newskg.owl"
    export_protege(store, manifest, path)
    graph = rdflib.Graph().parse(path, format="xml")
    individuals = set(graph.subjects(rdflib.RDF.type, rdflib.OWL.NamedIndividual))
    assert len(individuals) == GOLDEN[article]["export"]["protege individuals"]


@pytest.mark.parametrize(
    ("article", "entailment"), cases("entailments"), ids=lambda x: x[0] if isinstance(x, tuple) else x[:12]
)
def test_the_inferred_graph_holds_the_entailment_and_its_rule(article_build, explainers, article, entailment):
    _, (subject, predicate, obj, rule) = entailment
    _, _, store = article_build(article)
    terms = triple((subject, predicate, obj))
    assert ox.Quad(*terms, ox.NamedNode(INFERRED)) in store
    assert explainers(article).explain(terms).rule == rule


@pytest.mark.parametrize(
    ("article", "item"), cases("asks"), ids=lambda x: x["why"][:40] if isinstance(x, dict) else x[:12]
)
def test_the_answer_to_the_question(article_build, article, item):
    _, _, store = article_build(article)
    assert bool(run_query(store, item["ask"])) is item["answer"]


@pytest.mark.parametrize(
    ("article", "item"), cases("proofs"), ids=lambda x: x["triple"][0] if isinstance(x, dict) else x[:12]
)
def test_the_proof(explainers, article, item):
    text = explainers(article).explain(triple(item["triple"])).to_text()
    if "text" in item:
        assert text == item["text"].rstrip("\n")
    else:
        lines = text.splitlines()
        assert all(line in lines for line in item["lines"]), text
