"""What every section of one mapping shares: the article, its zones, the ids, and the statements being built."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from kg.errors import MappingError
from kg.evidence import QuoteError, Span, describe_segment, locate, locate_all
from kg.mapping.statements import ConflictingTime, Kind, Origin, Statements
from kg.namespaces import NKG, bind_prefixes
from kg.project import Project
from kg.text import BODY, Zoning
from kg.vocabulary import Property, PropertyKind, Vocabulary
from kg.yamlfile import Located

if TYPE_CHECKING:
    from kg.mapping.registry import Registry

#: Ids and folder names: lowercase words joined by '-'.
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@dataclass(frozen=True)
class Article:
    """An article's identity and verbatim text."""

    slug: str
    iri: URIRef
    text: str
    date: date
    language: str
    title: str


class MappingContext:
    """One pass over one mapping file: shared state and the helpers every section uses.

    Every helper that finds a problem raises a MappingError naming the file, the line and the entry.
    """

    def __init__(self, file: Path, project: Project, vocabulary: Vocabulary, registry: Registry | None = None) -> None:
        self.folder = file.parent
        self.slug = self.folder.name
        self.display = project.display(file)
        self.vocabulary = vocabulary
        #: The project-wide things every mapping may name (None while the registry itself is read).
        self.registry = registry
        #: The language of labels and notes: the article's.
        self.language = "en"
        self.graph = bind_prefixes(Graph())
        self.statements = Statements()
        self.ids: dict[str, URIRef] = {}
        self.labels: dict[URIRef, str] = {}
        self.article: Article
        self.zoning: Zoning
        #: Every span some statement quotes; each becomes a nkg:TextSegment once the zones are known.
        self.segments: set[Span] = set()

    # -- errors and checks ------------------------------------------------------------------------

    def where(self, node: Any, key: str | None = None) -> str:
        """``file:line`` of ``key`` in ``node`` (or of ``node`` itself)."""
        line = node.line_of(key) if isinstance(node, Located) else 0
        return f"{self.display}:{line}" if line else self.display

    def origin(self, node: Any, entry: str, key: str | None = None) -> Origin:
        return Origin(self.where(node, key), entry)

    def error(self, message: str, node: Any, fact: str | None = None, key: str | None = None) -> MappingError:
        """A MappingError at the line of ``key`` in ``node`` (or of ``node`` itself)."""
        return MappingError(message, source=self.where(node, key), fact=fact)

    def required(self, entry: dict, key: str, fact: str) -> Any:
        value = entry.get(key)
        if value is None or value == "" or value == []:
            raise self.error(f"missing '{key}'", entry, fact, key)
        return value

    def choice(self, entry: dict, key: str, fact: str, of_class: URIRef, default: str | None = None) -> URIRef:
        """The named individual of ``of_class`` that ``entry[key]`` names (``default`` when absent)."""
        name = entry.get(key, default)
        if name is None:
            raise self.error(f"missing '{key}'", entry, fact, key)
        individual = self.vocabulary.individual_from_name(str(name), of_class)
        if individual is None:
            allowed = ", ".join(i.fragment for i in self.vocabulary.individuals_of(of_class))
            raise self.error(f"{key} must be one of {allowed}, not {name!r}", entry, fact, key)
        return individual

    # -- names ------------------------------------------------------------------------------------

    def resource(self, name: Any, node: Any, fact: str, key: str | None = None) -> URIRef:
        """An entity id of this mapping, or a named individual of the ontology (``held``, ``nkg:held``)."""
        if isinstance(name, str):
            if name in self.ids:
                return self.ids[name]
            if self.registry is not None and name in self.registry.entities:
                return self.registry.entities[name].iri
            individual = self.vocabulary.individual_from_name(name)
            if individual is not None:
                return individual
        where = " or in the registry" if self.registry is not None and self.registry.entities else ""
        raise self.error(f"unknown entity {name!r}: declare it under 'entities'{where}", node, fact, key)

    def property(self, name: str) -> Property | None:
        return None if name == "date" else self.vocabulary.property_from_name(name)

    def class_(self, name: Any, node: Any, fact: str) -> URIRef:
        iri = self.vocabulary.class_from_name(str(name))
        if iri is None:
            raise self.error(f"unknown class {name!r}", node, fact, "a")
        return iri

    def label_of(self, iri: URIRef, fallback: str) -> str:
        return self.labels.get(iri) or self.vocabulary.labels.get(iri) or fallback

    def add(self, triple: tuple, kind: Kind, node: Any, fact: str, key: str | None = None, **support) -> None:
        """Record a statement; a time status that contradicts an earlier one is a mapping error."""
        try:
            self.statements.add(triple, kind, **support)
        except ConflictingTime as problem:
            raise self.error(f"the same statement is {problem}", node, fact, key or "time") from None

    def name(self, subject: URIRef, cls: URIRef, label: str, span: Span | None, origin: Origin) -> None:
        """Type and label a resource the mapping makes itself (claims, propositions, corrections ...)."""
        self.labels[subject] = label
        for triple in ((subject, RDF.type, cls), (subject, RDFS.label, Literal(label, lang=self.language))):
            self.statements.add(triple, Kind.RECORD, span=span, origin=origin)

    # -- values -----------------------------------------------------------------------------------

    def literal(self, prop: Property, value: Any, node: Any, fact: str, key: str | None = None) -> Literal:
        if prop.kind is PropertyKind.ANNOTATION:
            return Literal(str(value), lang=self.language)
        datatype = prop.range
        try:
            if datatype == XSD.boolean:
                if not isinstance(value, bool):
                    raise ValueError("expected true or false")
                return Literal(value)
            if datatype in (XSD.nonNegativeInteger, XSD.integer):
                negative_allowed = datatype == XSD.integer
                if not isinstance(value, int) or isinstance(value, bool) or (value < 0 and not negative_allowed):
                    raise ValueError("expected a whole number" + ("" if negative_allowed else ", 0 or more"))
                return Literal(value, datatype=datatype)
            if datatype == XSD.dateTime:
                return Literal(datetime.fromisoformat(str(value)), datatype=XSD.dateTime)
        except ValueError as problem:
            raise self.error(f"bad value {value!r} for {prop.iri}: {problem}", node, fact, key) from None
        return Literal(str(value))

    def value(self, prop: Property, value: Any, node: Any, fact: str, key: str | None = None):
        """The object of ``prop`` that a mapping value stands for: an entity or a typed literal."""
        if prop.kind is PropertyKind.OBJECT:
            return self.resource(value, node, fact, key)
        return self.literal(prop, value, node, fact, key)

    def source(self, entry: dict, fact: str, key: str = "source") -> URIRef:
        source = str(self.required(entry, key, fact))
        if not re.match(r"https?://\S+$", source):
            raise self.error(f"'{key}' must be an http(s) URL, not {source!r}", entry, fact, key)
        return URIRef(source)

    @staticmethod
    def as_list(value: Any) -> Iterable:
        if value is None:
            return []
        return value if isinstance(value, list) else [value]

    # -- the text ---------------------------------------------------------------------------------

    def in_body(self, span: Span) -> bool:
        return self.zoning.zone_of(span) == BODY

    def locate(
        self, quote: Any, occurrence: Any, node: Any, fact: str, within: Span | None = None, key: str = "quote"
    ) -> Span:
        """Where ``quote`` stands: its only occurrence, the one ``occurrence`` picks, or else the one
        in the body. Evidence prefers the body: picking another zone's copy of words the body also
        has is refused.
        """
        if not isinstance(quote, str):
            raise self.error("a quote must be text", node, fact, key)
        if occurrence is not None and (not isinstance(occurrence, int) or occurrence < 1):
            raise self.error("'occurrence' must be a whole number from 1", node, fact, "occurrence")
        try:
            span = locate(self.article.text, quote, occurrence, within, prefer=self.in_body)
            everywhere = locate_all(self.article.text, quote, within)
        except QuoteError as problem:
            raise self.error(str(problem), node, fact, key) from None
        self._one_zone(span, node, fact, key)
        body = [s for s in everywhere if self.in_body(s)]
        if not self.in_body(span) and len(body) == 1 and within is None:
            zone = self.zoning.zone_of(span) or "two zones"
            raise self.error(
                f"occurrence {occurrence} is in the {zone}, but the words also stand in the body:"
                f" drop 'occurrence' to quote the body's {quote!r}",
                node,
                fact,
                "occurrence",
            )
        return span

    def locate_every(self, quote: Any, node: Any, fact: str, key: str = "quote") -> list[Span]:
        """Every occurrence of ``quote`` (repeated passages, captions)."""
        if not isinstance(quote, str):
            raise self.error("a quote must be text", node, fact, key)
        try:
            spans = locate_all(self.article.text, quote)
        except QuoteError as problem:
            raise self.error(str(problem), node, fact, key) from None
        for span in spans:
            self._one_zone(span, node, fact, key)
        return spans

    def _one_zone(self, span: Span, node: Any, fact: str, key: str) -> None:
        if self.zoning.zone_of(span) is None:
            raise self.error("the quote runs across two zones of the page: quote each part apart", node, fact, key)

    def words_in(self, words: Any, span: Span, node: Any, fact: str, key: str) -> Span:
        """Where ``words`` stand inside ``span`` (their first occurrence there)."""
        if not isinstance(words, str):
            raise self.error(f"'{key}' must be text", node, fact, key)
        try:
            return locate_all(self.article.text, words, span)[0]
        except QuoteError as problem:
            raise self.error(f"'{key}': {problem}", node, fact, key) from None

    def segment(self, span: Span) -> URIRef:
        """The nkg:TextSegment IRI of ``span``; the segment itself is described when the graph is written."""
        self.segments.add(span)
        return URIRef(f"{self.article.iri}#char={span.start},{span.end}")

    def describe_segments(self) -> None:
        for span in sorted(self.segments):
            zone = self.zoning.zone_of(span)
            describe_segment(
                self.graph,
                self.article.iri,
                self.article.text,
                span,
                label_prefix=self.slug,
                zone=NKG[zone] if zone else None,
            )
