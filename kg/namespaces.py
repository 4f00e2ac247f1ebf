"""The project's IRIs: ontology, resources, articles, named graphs; and the standard vocabularies it uses."""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SKOS, XSD

#: Ontology terms (classes and properties).
NKG = Namespace("https://w3id.org/newskg/ontology#")
#: The ontology document itself.
ONTOLOGY_IRI = "https://w3id.org/newskg/ontology"
#: Things the stories are about: people, places, events, claims ... (readable slugs).
ID = Namespace("https://w3id.org/newskg/id/")
#: Articles, one IRI per folder under data/; text segments are ``<article>#char=START,END``.
ARTICLE = Namespace("https://w3id.org/newskg/article/")
#: Named graphs of the dataset.
GRAPH = Namespace("https://w3id.org/newskg/graph/")

OA = Namespace("http://www.w3.org/ns/oa#")
SCHEMA = Namespace("https://schema.org/")
SEM = Namespace("http://semanticweb.cs.vu.nl/2009/11/sem/")
ORG = Namespace("http://www.w3.org/ns/org#")
TIME = Namespace("http://www.w3.org/2006/time#")
VANN = Namespace("http://purl.org/vocab/vann/")
SH = Namespace("http://www.w3.org/ns/shacl#")

#: Prefixes bound in every graph and export, and accepted in prefixed names on the command line.
PREFIXES: dict[str, Namespace] = {
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "skos": SKOS,
    "dcterms": DCTERMS,
    "prov": PROV,
    "foaf": FOAF,
    "schema": SCHEMA,
    "sem": SEM,
    "org": ORG,
    "time": TIME,
    "oa": OA,
    "nkg": NKG,
    "id": ID,
    "article": ARTICLE,
    "graph": GRAPH,
}


def graph_for_article(slug: str):
    """The named graph holding what one article asserts.

    >>> str(graph_for_article("2025-08-17-x"))
    'https://w3id.org/newskg/graph/article/2025-08-17-x'
    """
    return GRAPH[f"article/{slug}"]


#: The ontology's named graph.
ONTOLOGY_GRAPH = GRAPH["ontology"]
#: The named graph of OWL-RL entailments (kept apart from the asserted triples).
INFERRED_GRAPH = GRAPH["inferred"]
