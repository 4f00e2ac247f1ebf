"""The project's IRIs: ontology, resources, articles, named graphs; and the standard vocabularies it uses."""

from __future__ import annotations

from rdflib import Graph, Namespace
from rdflib.namespace import DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SKOS, XSD

from kg.prefixes import PREFIX_IRIS

#: Ontology terms (classes and properties).
NKG = Namespace(PREFIX_IRIS["nkg"])
#: The ontology document itself.
ONTOLOGY_IRI = "https://w3id.org/newskg/ontology"
#: Things the stories are about: people, places, events, claims ... (readable slugs).
ID = Namespace(PREFIX_IRIS["id"])
#: Articles, one IRI per folder under data/; text segments are ``<article>#char=START,END``.
ARTICLE = Namespace(PREFIX_IRIS["article"])
#: Named graphs of the dataset.
GRAPH = Namespace(PREFIX_IRIS["graph"])

OA = Namespace(PREFIX_IRIS["oa"])
SCHEMA = Namespace(PREFIX_IRIS["schema"])
SEM = Namespace(PREFIX_IRIS["sem"])
ORG = Namespace(PREFIX_IRIS["org"])
TIME = Namespace(PREFIX_IRIS["time"])
VANN = Namespace("http://purl.org/vocab/vann/")
SH = Namespace("http://www.w3.org/ns/shacl#")
#: Wikidata items, the targets of skos:exactMatch links.
WD = Namespace(PREFIX_IRIS["wd"])

#: The W3C vocabularies rdflib defines, as its own namespaces.
_RDFLIB_VOCABULARIES = {"rdf": RDF, "rdfs": RDFS, "owl": OWL, "xsd": XSD, "skos": SKOS, "dcterms": DCTERMS,
                        "prov": PROV, "foaf": FOAF}  # fmt: skip

#: The project's prefixes (``kg.prefixes.PREFIX_IRIS``) as rdflib namespaces, bound in every graph and export.
#:
#: >>> all(str(PREFIXES[prefix]) == iri for prefix, iri in PREFIX_IRIS.items())
#: True
PREFIXES: dict[str, Namespace] = {
    prefix: _RDFLIB_VOCABULARIES[prefix] if prefix in _RDFLIB_VOCABULARIES else Namespace(iri)
    for prefix, iri in PREFIX_IRIS.items()
}


def bind_prefixes(graph: Graph) -> Graph:
    """Bind the project's prefixes on ``graph`` (for its serialisations and prefixed names); return it."""
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, replace=True)
    return graph


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
