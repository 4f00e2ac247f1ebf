"""OWL-RL reasoning over the whole story: kept apart, filtered, every inference proven, exactly owlrl's entailments.

What the reasoning infers for an article (its entailments and proofs) is golden data of that article:
``tests/articles/<article>/golden.yaml``, checked by ``tests/test_golden.py``.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg.dataset import open_store
from kg.explain import Explainer
from kg.query import run_query

pytestmark = pytest.mark.general

INFERRED = "https://w3id.org/newskg/graph/inferred"


@pytest.fixture(scope="module")
def explainer(story, story_store):
    manifest, oxigraph = story_store
    return Explainer(oxigraph, manifest, story.build_dir)


def test_the_inferred_graph_holds_no_noise(story_store):
    _, oxigraph = story_store
    noise = run_query(
        oxigraph,
        f"""SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{INFERRED}> {{ ?s ?p ?o }}
              FILTER (isBlank(?s) || ?o IN (owl:Thing, rdfs:Resource)
                      || (?s = ?o && ?p IN (owl:sameAs, rdfs:subClassOf, rdfs:subPropertyOf,
                                             owl:equivalentClass, owl:equivalentProperty))
                      || STRSTARTS(STR(?s), STR(owl:)) || STRSTARTS(STR(?s), STR(rdf:))
                      || STRSTARTS(STR(?s), STR(rdfs:)) || STRSTARTS(STR(?s), STR(xsd:))) }}""",
    )
    assert next(iter(noise))["n"].value == "0"
    repeated = run_query(
        oxigraph,
        f"""ASK {{ GRAPH <{INFERRED}> {{ ?s ?p ?o }}
                   GRAPH ?g {{ ?s ?p ?o }} FILTER (?g != <{INFERRED}>) }}""",
    )
    assert not bool(repeated)


def test_without_inferences_the_default_graph_has_only_ontology_and_asserted_triples(story, story_store):
    _, oxigraph = story_store
    _, asserted = open_store(story.build_dir, infer=False)
    inferred = next(oxigraph.quads_for_pattern(None, None, None, ox.NamedNode(INFERRED)))
    query = f"ASK {{ {inferred.subject} {inferred.predicate} {inferred.object} }}"
    assert bool(run_query(oxigraph, query))
    assert not bool(run_query(asserted, query))


def test_every_inferred_triple_has_a_proof(explainer, story_store):
    _, oxigraph = story_store
    unexplained = [
        q
        for q in oxigraph.quads_for_pattern(None, None, None, ox.NamedNode(INFERRED))
        if explainer.explain((q.subject, q.predicate, q.object)) is None
    ]
    assert unexplained == []


def owlrl_entailments(ontology, graphs) -> set:
    """What plain owlrl entails from the same input, filtered as the build filters: the reference."""
    import owlrl
    from rdflib import Graph

    from kg.reasoning import FILTERS, annotation_properties, reasoning_input

    annotations = annotation_properties(ontology)
    work = Graph()
    for graph in [ontology, *graphs]:
        for triple in reasoning_input(graph, annotations).triples:
            work.add(triple)
    given = set(work)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(work)
    asserted = set(ontology).union(*(set(g) for g in graphs))
    return {t for t in work if t not in given and t not in asserted and not any(drops(t) for _, drops in FILTERS)}


def asserted_graphs(project):
    """The ontology, and the registry's and every article's graph, mapped afresh."""
    from rdflib import Graph

    from kg.build import _canonical
    from kg.mapping.mapper import map_article
    from kg.mapping.registry import read_registry
    from kg.vocabulary import Vocabulary

    ontology = _canonical(Graph().parse(project.ontology_file, format="turtle"))
    vocabulary = Vocabulary(ontology)
    registry = read_registry(project, vocabulary)
    articles = [map_article(f, project, vocabulary, registry)[1] for f in project.article_folders()]
    return ontology, [registry.graph, *articles]


def test_the_reasoner_gives_exactly_owlrls_entailments(story):
    from kg.reasoning import apply_reasoning

    ontology, graphs = asserted_graphs(story)
    expected = owlrl_entailments(ontology, graphs)
    assert len(expected) > 1000
    assert apply_reasoning(ontology, graphs).inferred == expected
