"""The project's IRIs: ontology, resources, articles, named graphs; and the standard vocabularies it uses."""

from __future__ import annotations

from rdflib import Graph, Namespace
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
#: Wikidata items, the targets of skos:exactMatch links.
WD = Namespace("http://www.wikidata.org/entity/")

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
    "wd": WD,
}


#: The same prefixes as plain strings, as Oxigraph's ``prefixes=`` options take them.
PREFIX_IRIS: dict[str, str] = {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}


def bind_prefixes(graph: Graph) -> Graph:
    """Bind the project's prefixes on ``graph`` (for its serialisations and prefixed names); return it."""
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, replace=True)
    return graph


def prefixed_name(iri: str) -> str | None:
    """``iri`` as ``prefix:local`` with the project's prefixes, or None where none fits.

    The local part may hold ``/`` (``graph:article/...``): the name is for people to read.

    >>> prefixed_name("https://w3id.org/newskg/id/donetsk"), prefixed_name("urn:x")
    ('id:donetsk', None)
    """
    for prefix, namespace in PREFIX_IRIS.items():
        local = iri.removeprefix(namespace)
        if local != iri and local and all(c.isalnum() or c in "-_./" for c in local):
            return f"{prefix}:{local}"
    return None


def graph_for_article(slug: str):
    """The named graph holding what one article asserts.

    >>> str(graph_for_article("2025-08-17-x"))
    'https://w3id.org/newskg/graph/article/2025-08-17-x'
    """
    return GRAPH[f"article/{slug}"]


#: The ontology's named graph.
ONTOLOGY_GRAPH = GRAPH["ontology"]
#: The named graph of what the registry (data/registry.yaml) states itself, each with its source.
REGISTRY_GRAPH = GRAPH["registry"]
#: The named graph of what the build measured of each article (``kg.coverage``).
COVERAGE_GRAPH = GRAPH["coverage"]
#: The named graph of OWL-RL entailments (kept apart from the asserted triples).
INFERRED_GRAPH = GRAPH["inferred"]
