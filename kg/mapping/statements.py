"""The statements one mapping makes, each with what supports it, written as OWL 2 annotated assertions.

Every triple the build asserts comes with an ``owl:Axiom`` that carries its evidence (text segments
of the article, or cited sources) and, for what the article states as a fact, its factuality:
certain, positive, and whether it has happened or is planned, with the hedge verbatim.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import Enum

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS

from kg.evidence import Span
from kg.namespaces import ID, NKG

Triple = tuple


class Kind(Enum):
    """What a statement is, which decides the rules it must meet and the annotations it gets."""

    #: Stated by the article: must have evidence in its narrative voice; carries factuality.
    FACT = "fact"
    #: An entity's class, label and aliases, from the words that name it.
    NAMING = "naming"
    #: What the mapping records about a claim, a proposition, a correction or an anomaly.
    RECORD = "record"
    #: What a reader is expected to know, with a source to check it.
    BACKGROUND = "background"
    #: What the registry declares of its things (class, label, other names), as the ontology declares its own.
    DECLARATION = "declaration"


@dataclass(frozen=True)
class Origin:
    """Where a statement comes from in the mapping, for error messages."""

    where: str  # "data/<slug>/mapping.yaml:LINE"
    entry: str  # "fact about 'alaska-summit'"


@dataclass
class Support:
    """Everything behind one asserted triple."""

    kinds: set[Kind] = field(default_factory=set)
    #: Evidence spans, each with the kind of statement that quoted it.
    spans: set[tuple[Span, Kind]] = field(default_factory=set)
    sources: set[URIRef] = field(default_factory=set)
    origins: list[Origin] = field(default_factory=list)
    #: The time status the mapping gave explicitly (``happened`` or ``planned``), if any.
    time: URIRef | None = None
    hedges: set[str] = field(default_factory=set)
    #: Words that stand for the subject, which is named in another sentence.
    coreference: set[Span] = field(default_factory=set)

    def fact_spans(self) -> set[Span]:
        return {span for span, kind in self.spans if kind is Kind.FACT}


class ConflictingTime(ValueError):
    """Two entries give the same statement different time statuses."""


class Statements:
    """The asserted triples of one article, in the order first stated."""

    def __init__(self) -> None:
        self._support: dict[Triple, Support] = {}

    def add(
        self,
        triple: Triple,
        kind: Kind,
        *,
        span: Span | None = None,
        source: URIRef | None = None,
        origin: Origin | None = None,
        time: URIRef | None = None,
        hedges: tuple[str, ...] = (),
        coreference: Span | None = None,
    ) -> None:
        """Record ``triple`` with one more piece of support.

        :raises ConflictingTime: when ``time`` differs from the time status given before.
        """
        support = self._support.setdefault(triple, Support())
        support.kinds.add(kind)
        if span is not None:
            support.spans.add((span, kind))
        if source is not None:
            support.sources.add(source)
        if origin is not None and origin not in support.origins:
            support.origins.append(origin)
        if time is not None:
            if support.time is not None and support.time != time:
                raise ConflictingTime(f"given both {support.time.fragment} and {time.fragment}")
            support.time = time
        support.hedges.update(hedges)
        if coreference is not None:
            support.coreference.add(coreference)

    def declarations(self, functional: set[URIRef]) -> list[tuple[Triple, str]]:
        """Each label, class and functional value given to a thing of the story, with ``file:line``."""
        found = []
        for triple, support in self._support.items():
            if triple[1] in (RDFS.label, RDF.type) or triple[1] in functional:
                found += [(triple, origin.where) for origin in support.origins[:1]]
        return [(t, where) for t, where in found if isinstance(t[0], URIRef) and t[0].startswith(str(ID))]

    def facts(self) -> Iterator[tuple[Triple, Support]]:
        return ((t, s) for t, s in self._support.items() if Kind.FACT in s.kinds)

    def objects(self, subject, predicate) -> list:
        return [t[2] for t in self._support if t[0] == subject and t[1] == predicate]

    def write(
        self, graph: Graph, slug: str, segment: Callable[[Span], URIRef], elsewhere: frozenset = frozenset()
    ) -> None:
        """Add each triple and, for it, one owl:Axiom carrying its evidence and factuality.

        A triple asserted ``elsewhere`` (by the registry) is not asserted again: the axiom adds this
        graph's evidence to it, so that a triple is in one graph and its evidence in every one that states it.
        """
        planned = {t[0] for t in self._support if t[1] == NKG.status and t[2] == NKG.planned}
        for triple, support in self._support.items():
            if triple not in elsewhere:
                graph.add(triple)
            if support.kinds == {Kind.DECLARATION} and not support.sources:
                continue  # nothing to annotate it with
            axiom = BNode(f"ax{digest((slug, *triple))}")
            graph.add((axiom, RDF.type, OWL.Axiom))
            graph.add((axiom, OWL.annotatedSource, triple[0]))
            graph.add((axiom, OWL.annotatedProperty, triple[1]))
            graph.add((axiom, OWL.annotatedTarget, triple[2]))
            for span in sorted({span for span, _ in support.spans}):
                graph.add((axiom, NKG.evidence, segment(span)))
            for source in sorted(support.sources):
                graph.add((axiom, DCTERMS.source, source))
            if Kind.FACT in support.kinds:
                about_plan = triple[0] in planned or triple[2] in planned
                time = support.time or (NKG.planned if about_plan else NKG.happened)
                graph.add((axiom, NKG.certainty, NKG.certain))
                graph.add((axiom, NKG.polarity, NKG.positive))
                graph.add((axiom, NKG.timeStatus, time))
                for hedge in sorted(support.hedges):
                    graph.add((axiom, NKG.hedge, Literal(hedge)))
                for span in sorted(support.coreference):
                    graph.add((axiom, NKG.coreference, segment(span)))


def digest(terms: tuple) -> str:
    """A short stable label part: the OWL API hashes blank node labels over ~32 characters with a
    library that Java 17 no longer ships, so labels stay short."""
    return hashlib.sha256(" ".join(str(term) for term in terms).encode()).hexdigest()[:20]
