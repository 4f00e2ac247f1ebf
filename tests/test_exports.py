"""Exports: every graph selection in every format is valid RDF 1.1 that rdflib and Oxigraph read back whole."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
import rdflib

from kg.export import export, export_protege, graph_iris
from kg.formats import RDF_SYNTAXES

SELECTIONS = ("ontology", "asserted", "inferred", "all")
pytestmark = pytest.mark.general


def expected_count(manifest, store, selection: str, datasets: bool) -> int:
    """Statements an export writes: each graph's triples (a dataset), or their merge (a triple shared counted once)."""
    iris = graph_iris(manifest, selection)
    if datasets:
        return sum(g.triples for g in manifest.graphs if g.iri in iris)
    quads = [q for iri in iris for q in store.quads_for_pattern(None, None, None, ox.NamedNode(iri))]
    return len({(q.subject, q.predicate, q.object) for q in quads})


@pytest.mark.parametrize("syntax", sorted(RDF_SYNTAXES), ids=str)
@pytest.mark.parametrize("selection", SELECTIONS)
def test_export_reads_back_with_rdflib_and_oxigraph(story_store, tmp_path, selection, syntax):
    manifest, oxigraph = story_store
    fmt = RDF_SYNTAXES[syntax]
    path = tmp_path / f"{selection}.{fmt.extension}"
    written = export(oxigraph, manifest, selection, fmt, path)
    assert written == expected_count(manifest, oxigraph, selection, fmt.datasets)

    if fmt.datasets:
        dataset = rdflib.Dataset()
        dataset.parse(path, format=fmt.rdflib_name)
        assert len(list(dataset.quads((None, None, None, None)))) == written
    else:
        assert len(rdflib.Graph().parse(path, format=fmt.rdflib_name)) == written

    strict = ox.Store()
    strict.load(path=str(path), format=fmt.oxigraph)  # Oxigraph's parsers are strict
    assert len(strict) == written


def test_dataset_exports_keep_the_named_graphs_apart(story_store, tmp_path):
    manifest, oxigraph = story_store
    path = tmp_path / "all.trig"
    export(oxigraph, manifest, "all", RDF_SYNTAXES["trig"], path)
    dataset = rdflib.Dataset()
    dataset.parse(path, format="trig")
    sizes = {str(g.identifier): len(g) for g in dataset.graphs() if len(g)}
    assert sizes == {g.iri: g.triples for g in manifest.graphs}


def test_the_protege_file_declares_every_individual(story_store, tmp_path):
    manifest, oxigraph = story_store
    path = tmp_path / "newskg.owl"
    written = export_protege(oxigraph, manifest, path)
    graph = rdflib.Graph().parse(path, format="xml")
    assert len(graph) == written
    owl = rdflib.OWL
    typed = {
        s
        for s, o in graph.subject_objects(rdflib.RDF.type)
        if isinstance(s, rdflib.URIRef) and not str(o).startswith(str(owl))
    }
    assert typed and {s for s in typed if (s, rdflib.RDF.type, owl.NamedIndividual) not in graph} == set()
    assert (rdflib.URIRef("https://w3id.org/newskg/ontology"), rdflib.RDF.type, owl.Ontology) in graph


#: What a client of the W3C Web Annotation model needs of every annotation, without reasoning: its type,
#: its motivation and its targets; a correction also its body (the correct words).
ANNOTATIONS_WITHOUT_REASONING = """
    PREFIX oa: <http://www.w3.org/ns/oa#>
    PREFIX nkg: <https://w3id.org/newskg/ontology#>
    SELECT ?annotation ?problem WHERE {
      VALUES (?kind ?motivation) { (nkg:Correction oa:editing) (nkg:Anomaly oa:questioning) (nkg:Mention oa:identifying) }
      ?annotation a ?kind .
      OPTIONAL { ?annotation nkg:correctWording ?correct }
      BIND (
        IF(NOT EXISTS { ?annotation a oa:Annotation }, "not an oa:Annotation",
        IF(NOT EXISTS { ?annotation oa:motivatedBy ?motivation }, "no motivation",
        IF(NOT EXISTS { ?annotation oa:hasTarget ?target }, "no target",
        IF(EXISTS { ?annotation nkg:correctsText ?words FILTER NOT EXISTS { ?annotation oa:hasTarget ?words } },
           "corrected words it does not target",
        IF(BOUND(?correct) && NOT EXISTS { ?annotation oa:bodyValue ?correct }, "no body", "")))))
        AS ?problem)
      FILTER (?problem != "")
    }"""


def test_every_annotation_is_a_plain_web_annotation_in_the_asserted_graph(story_store, tmp_path):
    manifest, oxigraph = story_store
    path = tmp_path / "asserted.ttl"
    export(oxigraph, manifest, "asserted", RDF_SYNTAXES["turtle"], path)
    graph = rdflib.Graph().parse(path, format="turtle")  # the asserted graphs alone: no inference
    nkg = rdflib.Namespace("https://w3id.org/newskg/ontology#")
    kinds = {kind: set(graph.subjects(rdflib.RDF.type, nkg[kind])) for kind in ("Correction", "Anomaly", "Mention")}
    assert all(kinds.values()), "the story has corrections, anomalies and mentions to check"
    assert [(str(a), str(p)) for a, p in graph.query(ANNOTATIONS_WITHOUT_REASONING)] == []
