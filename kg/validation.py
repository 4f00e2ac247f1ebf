"""SHACL validation of the asserted data with pySHACL: a failed check is a result; the build turns it into an error.

The build validates each graph (an article's, the registry's) apart, which it can cache and run in
parallel, and gives the shapes what the whole dataset says of the things the graph speaks of: the
statements of every graph about them with a predicate the shapes read, and so on for the things
those statements name (``FactIndex.context_of``). Each thing of the story is so checked against all
that is said of it, as in a validation of the whole. A statement whose own annotation a shape reads
(a Wikidata link needs its source) is checked in the graph that asserts it, with its annotation.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyshacl
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS

from kg.errors import KgError, ShapeViolationError
from kg.namespaces import ID, PREFIXES, SH, bind_prefixes


@dataclass(frozen=True)
class Violation:
    """One SHACL result, with IRIs written as prefixed names."""

    focus: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.focus} ({self.path}): {self.message}" if self.path else f"{self.focus}: {self.message}"


def validate_graph(shapes: Graph, ontology: Graph, data: Graph) -> list[Violation]:
    """Check ``data`` against ``shapes``, the ontology alongside; return the violations (none: it conforms).

    :raises KgError: when the shapes themselves cannot be used.
    """
    try:
        conforms, report, _ = pyshacl.validate(
            data, shacl_graph=shapes, ont_graph=ontology, inference="none", advanced=True, allow_warnings=True
        )
    except Exception as error:  # noqa: BLE001 - pySHACL raises many unrelated types for unusable shapes
        raise KgError(f"the SHACL shapes cannot be used: {str(error).splitlines()[0]}") from None
    if conforms:
        return []
    return sorted(_violations(report), key=str)


def _violations(report: Graph) -> list[Violation]:
    names = bind_prefixes(Graph())

    def name(term) -> str:
        return term.n3(names.namespace_manager) if term is not None else ""

    found = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        path = report.value(result, SH.resultPath)
        found.append(
            Violation(
                focus=name(report.value(result, SH.focusNode)),
                path=name(path) if isinstance(path, URIRef) else "",  # a complex path is a blank node
                message=str(
                    report.value(result, SH.resultMessage) or report.value(result, SH.sourceConstraintComponent)
                ),
            )
        )
    return found


def check_shapes(shapes_file: Path, ontology: Graph, asserted: list[Graph]) -> None:
    """Validate the union of ``asserted`` at once (the reference the build's graph-by-graph validation equals).

    :raises ShapeViolationError: listing focus node, path and message of each violation (at most 10 shown).
    """
    shapes = Graph().parse(shapes_file, format="turtle")
    data = Graph()
    for graph in asserted:
        data.addN((s, p, o, data) for s, p, o in graph)
    raise_on_violations(validate_graph(shapes, ontology, data))


def shape_predicates(shapes: Graph) -> frozenset[URIRef]:
    """Every predicate a shape reads of a thing: paths (inverse and alternative ones too), the
    prefixed names of its SPARQL constraints, types and labels; not those whose statements' own
    annotations a SPARQL constraint reads (``owl:annotatedProperty skos:exactMatch``)."""
    found, annotated = {RDF.type, RDFS.label}, set()
    for path in shapes.objects(None, SH.path):
        found |= _path_predicates(shapes, path)
    for query in shapes.objects(None, SH.select):
        names = re.findall(r"\b([a-z]+):([A-Za-z][\w-]*)", str(query))
        found |= {PREFIXES[prefix][local] for prefix, local in names if prefix in PREFIXES}
        for prefix, local in re.findall(r"owl:annotatedProperty\s+([a-z]+):([A-Za-z][\w-]*)", str(query)):
            annotated.add(PREFIXES[prefix][local])
    return frozenset(found - annotated)


def _path_predicates(shapes: Graph, path) -> set:
    if isinstance(path, URIRef):
        return {path}
    found = set()
    for inner in shapes.objects(path, SH.inversePath):
        found |= _path_predicates(shapes, inner)
    for items in shapes.objects(path, SH.alternativePath):
        for item in shapes.items(items):
            found |= _path_predicates(shapes, item)
    for item in shapes.items(path) if (path, RDF.first, None) in shapes else []:
        found |= _path_predicates(shapes, item)
    return found


def story_facts(graph: Iterable[tuple], predicates: frozenset) -> tuple[frozenset, frozenset]:
    """The things of the story a graph names, and what it says of them that the shapes read (``predicates``)."""
    triples = list(graph)
    things = frozenset(t for triple in triples for t in (triple[0], triple[2]) if _is_thing(t))
    return things, frozenset((s, p, o) for s, p, o in triples if _is_thing(s) and p in predicates)


class FactIndex:
    """What every graph says of each thing of the story, as the shapes read it."""

    def __init__(self, facts_by_graph: Iterable[frozenset]) -> None:
        self._about: dict = defaultdict(set)
        for facts in facts_by_graph:
            for triple in facts:
                self._about[triple[0]].add(triple)

    def context_of(self, things: frozenset, facts: frozenset) -> set:
        """What all graphs say of ``things`` (those a graph names), of the things that names, and so on;
        without the graph's own ``facts``."""
        seen: set = set()
        todo = set(things)
        context: set = set()
        while todo:
            thing = todo.pop()
            seen.add(thing)
            for triple in self._about.get(thing, ()):
                context.add(triple)
                if _is_thing(triple[2]) and triple[2] not in seen:
                    todo.add(triple[2])
        return context - facts


def _is_thing(term) -> bool:
    return isinstance(term, URIRef) and not isinstance(term, Literal) and term.startswith(str(ID))


def validate_parts(
    shapes: Graph, ontology: Graph, triples: Iterable[tuple], context: Iterable[tuple]
) -> list[Violation]:
    """Validate one graph's ``triples`` with what other graphs say of its things (``context``)."""
    data = Graph()
    data.addN((s, p, o, data) for s, p, o in triples)
    data.addN((s, p, o, data) for s, p, o in context)
    return validate_graph(shapes, ontology, data)


def raise_on_violations(violations: Iterable[Violation]) -> None:
    """:raises ShapeViolationError: listing focus node, path and message of each violation (at most 10 shown)."""
    found = sorted(set(violations), key=str)
    if found:
        shown = "; ".join(str(v) for v in found[:10])
        more = f" (and {len(found) - 10} more)" if len(found) > 10 else ""
        raise ShapeViolationError(f"{len(found)} SHACL violation(s): {shown}{more}")
