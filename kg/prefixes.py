"""The project's prefixes as plain IRI strings, and prefixed names for people to read.

Apart from ``kg.namespaces`` so that the query workers, which need only the strings (Oxigraph's
``prefixes=``), do not import rdflib: 10 MiB and 80 ms less in every worker.
"""

from __future__ import annotations

#: Prefixes bound in every graph and export, predeclared in queries, and accepted in prefixed names on
#: the command line (``kg.namespaces.PREFIXES`` holds the same as rdflib namespaces).
PREFIX_IRIS: dict[str, str] = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "schema": "https://schema.org/",
    "sem": "http://semanticweb.cs.vu.nl/2009/11/sem/",
    "org": "http://www.w3.org/ns/org#",
    "time": "http://www.w3.org/2006/time#",
    "oa": "http://www.w3.org/ns/oa#",
    "nkg": "https://w3id.org/newskg/ontology#",
    "id": "https://w3id.org/newskg/id/",
    "article": "https://w3id.org/newskg/article/",
    "graph": "https://w3id.org/newskg/graph/",
    "wd": "http://www.wikidata.org/entity/",
}


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
