"""The ontology is documented: a full header, and a label and a definition for every term."""

from __future__ import annotations

from conftest import ROOT
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from kg.namespaces import NKG, ONTOLOGY_IRI


def ontology() -> Graph:
    return Graph().parse(ROOT / "ontology" / "newskg.ttl")


def test_the_header_names_version_title_description_license_creator_and_date():
    graph = ontology()
    header = URIRef(ONTOLOGY_IRI)
    assert (header, RDF.type, OWL.Ontology) in graph
    assert graph.value(header, OWL.versionIRI) == URIRef("https://w3id.org/newskg/ontology/1.3.0")
    for prop in (DCTERMS.title, DCTERMS.description, DCTERMS.license, DCTERMS.creator, DCTERMS.created):
        assert graph.value(header, prop) is not None, prop


def test_every_term_has_an_english_label_a_definition_and_is_defined_by_the_ontology():
    graph = ontology()
    terms = {s for s in graph.subjects() if isinstance(s, URIRef) and s.startswith(str(NKG))}
    assert len(terms) == 215
    for term in terms:
        assert any(label.language == "en" for label in graph.objects(term, RDFS.label)), term
        assert any(isinstance(d, Literal) for d in graph.objects(term, SKOS.definition)), term
        assert (term, RDFS.isDefinedBy, URIRef(ONTOLOGY_IRI)) in graph, term


def test_inverse_properties_are_declared_on_both_sides():
    graph = ontology()
    for prop, inverse in graph.subject_objects(OWL.inverseOf):
        assert (inverse, OWL.inverseOf, prop) in graph, (prop, inverse)
