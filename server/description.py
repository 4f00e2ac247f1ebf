"""The SPARQL 1.1 Service Description of the endpoint, with VoID triple counts per named graph.

Served at ``GET /sparql`` with no query, so that a client can discover what the endpoint offers:
its language, result formats, features, the OWL 2 RL entailment behind the inferred graph, and
the graphs of its default dataset (counts from the build's manifest).

In front of a remote backend (``kg serve --backend``) only what is known here is said: the
language, the formats, the limits, what ``infer=false`` does. The backend's graphs, their sizes,
whether its default graph is the union, and what entailment it holds are its own business, not
claimed (its own service description may say).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pyoxigraph as ox

from kg.dataset import Manifest
from kg.formats import FORMATS, GRAPH_SYNTAXES, RESULTS_SYNTAXES
from kg.namespaces import INFERRED_GRAPH, RDF, RDFS

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
#: OWL 2 RL is a profile of the OWL 2 RDF-Based Semantics; the entailment regimes name both.
OWL_RDF_BASED = ox.NamedNode("http://www.w3.org/ns/entailment/OWL-RDF-Based")
OWL_RL_PROFILE = ox.NamedNode("http://www.w3.org/ns/owl-profile/RL")
#: Prefixes for the Turtle form.
PREFIXES = {
    "sd": SD,
    "void": VOID,
    "formats": FORMATS,
    "rdfs": str(RDFS),
    "ent": "http://www.w3.org/ns/entailment/",
    "profile": "http://www.w3.org/ns/owl-profile/",
}

#: What the description of an endpoint in front of a remote backend says instead of counts.
_REMOTE = (
    "A remote SPARQL endpoint answers the queries; this endpoint checks them, enforces the limits above and"
    " writes the answers. The backend's graphs and their sizes are not described here."
)
_REMOTE_DEFAULT_GRAPH = (
    "The backend's default graph. With the parameter infer=false, the union of the backend's named graphs"
    f" except <{INFERRED_GRAPH}> (the OWL 2 RL entailments, for a store filled by kg publish)."
)

_A = ox.NamedNode(str(RDF.type))
_COMMENT = ox.NamedNode(str(RDFS.comment))


def _sd(name: str) -> ox.NamedNode:
    return ox.NamedNode(SD + name)


def describe_service(endpoint: str, manifest: Manifest | None, settings: Mapping[str, Any]) -> list[ox.Triple]:
    """The triples describing the endpoint at URL ``endpoint``; ``manifest`` None: a remote backend answers."""
    service, dataset, default_graph = ox.BlankNode(), ox.BlankNode(), ox.BlankNode()
    limits = (
        f"Read-only. Each query may run {settings['QUERY_TIMEOUT']:g} s and return {settings['ROW_LIMIT']} rows"
        " (X-Result-Truncated: true says when results were cut); SERVICE is refused."
    )
    triples = [
        ox.Triple(service, _A, _sd("Service")),
        ox.Triple(service, _sd("endpoint"), ox.NamedNode(endpoint)),
        ox.Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Query")),
        ox.Triple(service, _COMMENT, ox.Literal(limits)),
        ox.Triple(service, _sd("defaultDataset"), dataset),
        ox.Triple(dataset, _A, _sd("Dataset")),
        ox.Triple(dataset, _sd("defaultGraph"), default_graph),
        ox.Triple(default_graph, _A, _sd("Graph")),
    ]
    for syntax in [*RESULTS_SYNTAXES.values(), *GRAPH_SYNTAXES.values()]:
        triples.append(ox.Triple(service, _sd("resultFormat"), ox.NamedNode(syntax.format_iri)))
    if manifest is None:
        triples.append(ox.Triple(service, _COMMENT, ox.Literal(_REMOTE)))
        triples.append(ox.Triple(default_graph, _COMMENT, ox.Literal(_REMOTE_DEFAULT_GRAPH)))
        return _by_subject(triples)
    triples += [
        ox.Triple(service, _sd("feature"), _sd("UnionDefaultGraph")),
        ox.Triple(service, _sd("defaultEntailmentRegime"), OWL_RDF_BASED),
        ox.Triple(service, _sd("defaultSupportedEntailmentProfile"), OWL_RL_PROFILE),
        ox.Triple(
            default_graph,
            _COMMENT,
            ox.Literal(
                "The union of every named graph, so it holds the OWL 2 RL entailments."
                " With the parameter infer=false it holds the ontology and the asserted graphs only."
            ),
        ),
    ]
    for graph in manifest.graphs:
        triples.extend(_named_graph(dataset, graph.iri, graph.triples))
    return _by_subject(triples)


def _by_subject(triples: list[ox.Triple]) -> list[ox.Triple]:
    """Each subject's triples together, subjects in order of first mention: Turtle then groups them."""
    order = {subject: n for n, subject in reversed(list(enumerate(t.subject for t in triples)))}
    return sorted(triples, key=lambda t: order[t.subject])


def _named_graph(dataset: ox.BlankNode, iri: str, count: int) -> Iterator[ox.Triple]:
    node, description = ox.BlankNode(), ox.BlankNode()
    yield ox.Triple(dataset, _sd("namedGraph"), node)
    yield ox.Triple(node, _A, _sd("NamedGraph"))
    yield ox.Triple(node, _sd("name"), ox.NamedNode(iri))
    if iri == str(INFERRED_GRAPH):
        yield ox.Triple(node, _sd("entailmentRegime"), OWL_RDF_BASED)
        yield ox.Triple(node, _sd("supportedEntailmentProfile"), OWL_RL_PROFILE)
    yield ox.Triple(node, _sd("graph"), description)
    yield ox.Triple(description, _A, _sd("Graph"))
    yield ox.Triple(description, ox.NamedNode(VOID + "triples"), ox.Literal(count))
