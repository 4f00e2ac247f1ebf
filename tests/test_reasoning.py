"""OWL-RL reasoning: the inferences that make the ontology worth having, kept apart and filtered."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg.explain import Explainer, parse_term
from kg.query import run_query

INFERRED = "https://w3id.org/newskg/graph/inferred"


def inferred(store, subject, predicate, obj) -> bool:
    _, oxigraph = store
    quad = ox.Quad(parse_term(subject), parse_term(predicate), parse_term(obj), ox.NamedNode(INFERRED))
    return quad in oxigraph


#: what the ontology is for: (an inferred triple, the OWL 2 RL rule its proof starts with)
ENTAILMENTS = {
    "transitive containment": ("id:joint-base-elmendorf-richardson", "nkg:locatedIn", "id:united-states", "prp-trp"),
    "inverse": ("id:ukraine", "nkg:participatesIn", "id:russo-ukrainian-war", "prp-inv1"),
    "inverse of a sub-property": ("id:keir-starmer", "nkg:hosts", "id:coalition-of-the-willing-meeting", "prp-inv1"),
    "symmetric meeting": ("id:vladimir-putin", "nkg:meetsWith", "id:donald-trump", "prp-symp"),
    "type through a subclass": ("id:donald-trump", "a", "nkg:Agent", "cax-sco"),
    "type through a domain": ("id:witkoff-cnn-interview", "a", "nkg:Event", "prp-dom"),
    "type through a range": ("id:ukraine", "a", "nkg:Agent", "prp-rng"),
    "property chain": ("id:keir-starmer", "nkg:holdsOfficeIn", "id:united-kingdom", "prp-spo2"),
    "property chain through containment": ("id:alaska-summit", "nkg:takesPlaceIn", "id:united-states", "prp-spo2"),
    "property chain over claims": ("id:steve-witkoff", "nkg:spokeThrough", "id:cnn", "prp-spo2"),
    "alignment to a standard vocabulary": ("id:alaska-summit", "sem:hasActor", "id:vladimir-putin", "prp-spo1"),
    "subclass hierarchy": ("nkg:Summit", "rdfs:subClassOf", "nkg:Event", "scm-sco"),
    "role from the office held": ("id:emmanuel-macron", "a", "nkg:HeadOfState", "cax-sco"),
    "a correction targets the wrong words": (
        "id:cnn-printed-as-ccn",
        "oa:hasTarget",
        "<https://w3id.org/newskg/article/2025-08-17-witkoff-security-guarantees#char=331,334>",
        "prp-spo1",
    ),
    "a participation's event": (
        "id:alaska-summit--donald-trump",
        "nkg:participationIn",
        "id:alaska-summit",
        "prp-inv1",
    ),
    "domain through a super-property": ("nkg:hostedBy", "rdfs:domain", "nkg:Event", "scm-dom2"),
}


@pytest.fixture(scope="module")
def explainer(project, store):
    manifest, oxigraph = store
    return Explainer(oxigraph, manifest, project.build_dir)


@pytest.mark.parametrize("name", ENTAILMENTS, ids=str)
def test_the_inferred_graph_holds_the_entailment_and_its_rule(store, explainer, name):
    subject, predicate, obj, rule = ENTAILMENTS[name]
    assert inferred(store, subject, predicate, obj)
    proof = explainer.explain((parse_term(subject), parse_term(predicate), parse_term(obj)))
    assert proof.rule == rule


def test_reasoning_adds_what_the_article_never_states(store):
    assert inferred(store, "id:joint-base-elmendorf-richardson", "nkg:locatedIn", "id:united-states")
    assert inferred(store, "id:vladimir-putin", "nkg:meetsWith", "id:donald-trump")
    assert inferred(store, "id:keir-starmer", "nkg:holdsOfficeIn", "id:united-kingdom")
    assert inferred(store, "id:alaska-summit", "nkg:takesPlaceIn", "id:united-states")
    manifest, oxigraph = store
    assert bool(run_query(oxigraph, manifest, "ASK { id:president-of-finland a nkg:Office }"))
    assert inferred(store, "id:president-of-finland", "a", "nkg:Office") is False  # asserted, hence not repeated


def test_the_inferred_graph_holds_no_noise(store):
    manifest, oxigraph = store
    noise = run_query(
        oxigraph,
        manifest,
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
        manifest,
        f"""ASK {{ GRAPH <{INFERRED}> {{ ?s ?p ?o }}
                   GRAPH ?g {{ ?s ?p ?o }} FILTER (?g != <{INFERRED}>) }}""",
    )
    assert not bool(repeated)


def test_the_build_reports_what_it_filtered(built):
    assert built.manifest.filtered == {
        "about an ontology blank node (restriction, list, axiom)": 14,
        "member of an anonymous class (a restriction)": 9,
    }
    assert built.manifest.counts == {"asserted": 19144, "ontology": 1455, "inferred": 1436, "filtered out": 23}


def test_without_inferences_the_default_graph_has_only_ontology_and_asserted_triples(store):
    manifest, oxigraph = store
    query = "ASK { id:keir-starmer nkg:holdsOfficeIn id:united-kingdom }"
    assert bool(run_query(oxigraph, manifest, query, infer=True))
    assert not bool(run_query(oxigraph, manifest, query, infer=False))


def test_every_inferred_triple_has_a_proof(explainer, store):
    _, oxigraph = store
    unexplained = [
        q
        for q in oxigraph.quads_for_pattern(None, None, None, ox.NamedNode(INFERRED))
        if explainer.explain((q.subject, q.predicate, q.object)) is None
    ]
    assert unexplained == []


def explain(explainer, subject, predicate, obj):
    return explainer.explain((parse_term(subject), parse_term(predicate), parse_term(obj))).to_text()


ARTICLE_GRAPH = "graph:article/2025-08-17-witkoff-security-guarantees"


def test_proof_of_transitive_containment(explainer):
    assert explain(explainer, "id:joint-base-elmendorf-richardson", "nkg:locatedIn", "id:united-states") == (
        "id:joint-base-elmendorf-richardson nkg:locatedIn id:united-states    [prp-trp]\n"
        "  nkg:locatedIn rdf:type owl:TransitiveProperty    [asserted in graph:ontology]\n"
        f"  id:joint-base-elmendorf-richardson nkg:locatedIn id:anchorage    [asserted in {ARTICLE_GRAPH}]\n"
        '      evidence: chars 6934-6962: "a military base in Anchorage"\n'
        "  id:anchorage nkg:locatedIn id:united-states    [prp-trp]\n"
        "    nkg:locatedIn rdf:type owl:TransitiveProperty    [asserted in graph:ontology]\n"
        f"    id:anchorage nkg:locatedIn id:alaska    [asserted in {ARTICLE_GRAPH}]\n"
        "        source: https://en.wikipedia.org/wiki/Anchorage,_Alaska\n"
        f"    id:alaska nkg:locatedIn id:united-states    [asserted in {ARTICLE_GRAPH}]\n"
        "        source: https://en.wikipedia.org/wiki/Alaska"
    )


def test_proof_of_a_property_chain(explainer):
    assert explain(explainer, "id:keir-starmer", "nkg:holdsOfficeIn", "id:united-kingdom") == (
        "id:keir-starmer nkg:holdsOfficeIn id:united-kingdom    [prp-spo2]\n"
        "  nkg:holdsOfficeIn owl:propertyChainAxiom (nkg:holdsOffice nkg:officeOf)    [asserted in graph:ontology]\n"
        "  id:keir-starmer nkg:holdsOffice id:prime-minister-of-the-united-kingdom"
        f"    [asserted in {ARTICLE_GRAPH}]\n"
        '      evidence: chars 1306-1346: "British Prime Minister, Sir Keir Starmer"\n'
        f"  id:prime-minister-of-the-united-kingdom nkg:officeOf id:united-kingdom    [asserted in {ARTICLE_GRAPH}]\n"
        '      evidence: chars 1306-1328: "British Prime Minister"'
    )


def test_proof_of_a_symmetric_meeting(explainer):
    assert explain(explainer, "id:vladimir-putin", "nkg:meetsWith", "id:donald-trump") == (
        "id:vladimir-putin nkg:meetsWith id:donald-trump    [prp-symp]\n"
        "  nkg:meetsWith rdf:type owl:SymmetricProperty    [asserted in graph:ontology]\n"
        f"  id:donald-trump nkg:meetsWith id:vladimir-putin    [asserted in {ARTICLE_GRAPH}]\n"
        '      evidence: chars 4336-4384: "Friday night saw Trump meet with Putin in Alaska"'
    )


def test_proof_of_an_inverse(explainer):
    assert explain(explainer, "id:ukraine", "nkg:participatesIn", "id:russo-ukrainian-war") == (
        "id:ukraine nkg:participatesIn id:russo-ukrainian-war    [prp-inv1]\n"
        "  nkg:hasParticipant owl:inverseOf nkg:participatesIn    [asserted in graph:ontology]\n"
        f"  id:russo-ukrainian-war nkg:hasParticipant id:ukraine    [asserted in {ARTICLE_GRAPH}]\n"
        "      source: https://en.wikipedia.org/wiki/Russo-Ukrainian_war"
    )


def test_proof_of_a_role_inferred_from_an_office(explainer):
    text = explain(explainer, "id:emmanuel-macron", "a", "nkg:HeadOfState")
    lines = text.splitlines()
    assert lines[0] == "id:emmanuel-macron rdf:type nkg:HeadOfState    [cax-sco]"
    assert lines[2].endswith("    [cls-svf1]") and lines[2].startswith("  id:emmanuel-macron rdf:type _:")
    assert "    id:emmanuel-macron nkg:holdsOffice id:president-of-france    [asserted in " in text
    assert "    id:president-of-france rdf:type nkg:HeadOfStateOffice    [asserted in " in text
    assert "        source: https://en.wikipedia.org/wiki/President_of_France" in text


def test_no_envoy_secretary_general_or_commission_president_is_a_head_of_state_or_government(store):
    manifest, oxigraph = store
    for person in ("id:steve-witkoff", "id:mark-rutte", "id:ursula-von-der-leyen"):
        query = f"ASK {{ {{ {person} a nkg:HeadOfState }} UNION {{ {person} a nkg:HeadOfGovernment }} }}"
        assert not bool(run_query(oxigraph, manifest, query)), person


def test_an_asserted_triple_is_explained_by_its_evidence(explainer):
    assert explain(explainer, "id:cnn", "a", "nkg:Broadcaster") == (
        f'id:cnn rdf:type nkg:Broadcaster    [asserted in {ARTICLE_GRAPH}]\n    evidence: chars 331-334: "CCN"'
    )


def test_a_claimed_fact_is_not_entailed(explainer):
    assert (
        explainer.explain(
            (
                parse_term("id:vladimir-putin"),
                parse_term("nkg:agreesTo"),
                parse_term("id:article-5-like-security-guarantees"),
            )
        )
        is None
    )


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


def test_the_reasoner_gives_exactly_owlrls_entailments(project):
    from kg.reasoning import apply_reasoning

    ontology, graphs = asserted_graphs(project)
    expected = owlrl_entailments(ontology, graphs)
    assert len(expected) > 1000
    assert apply_reasoning(ontology, graphs).inferred == expected
