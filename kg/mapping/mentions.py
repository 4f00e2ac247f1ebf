"""Every occurrence of every entity, linked to its span: the words that name it, wherever they stand.

A mention is a Web Annotation motivated by ``oa:identifying`` (typed ``oa:Annotation`` too, for
clients of the W3C model that read the asserted graph without reasoning): its body is the entity, its
target the span. The words are the entity's label, its mention and its aliases, found wherever they occur as
whole words (captions, repeated passages, embedded posts and related headlines included), plus the
words a fact names as standing for its subject (``coreference``).
"""

from __future__ import annotations

import re

from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from kg.evidence import Span
from kg.namespaces import ARTICLE, NKG, OA


class AmbiguousName(ValueError):
    """The same words name two entities; str(e) says which."""

    def __init__(self, words: str, first: URIRef, second: URIRef) -> None:
        self.words, self.first, self.second = words, first, second
        super().__init__(f"the words {words!r} name both {first} and {second}")


def find_mentions(
    text: str, names: dict[URIRef, list[str]], pinned: dict[Span, URIRef] | None = None
) -> dict[Span, URIRef]:
    """Every span of ``text`` that names an entity, each with the entity.

    A span inside a longer mention of the same entity ("Trump" in "Donald Trump") is not counted
    again; inside another entity's mention it is ("Donald Trump" in "Donald Trump's administration").

    >>> trump, admin = URIRef("id:trump"), URIRef("id:admin")
    >>> found = find_mentions("Donald Trump's administration. Trump's", {trump: ["Donald Trump", "Trump"],
    ...                       admin: ["Donald Trump's administration"]})
    >>> sorted((s.start, s.end, str(e)) for s, e in found.items())
    [(0, 12, 'id:trump'), (0, 29, 'id:admin'), (31, 36, 'id:trump')]

    ``pinned`` mentions (words that refer to an entity only where they stand) are added as they are.

    :raises AmbiguousName: when the same words name two entities.
    """
    owners: dict[str, URIRef] = {}
    for entity, words in names.items():
        for word in words:
            if owners.setdefault(word, entity) != entity:
                raise AmbiguousName(word, owners[word], entity)
    found: dict[Span, URIRef] = dict(pinned or {})
    for entity, words in names.items():
        spans = {span for word in words for span in occurrences_of(text, word)}
        for span in spans:
            if not any(other != span and other.start <= span.start and span.end <= other.end for other in spans):
                found[span] = entity
    return found


def occurrences_of(text: str, word: str) -> set[Span]:
    """Every occurrence of ``word`` as whole words (not "Russia" in "Russian"), overlapping ones too."""
    return {Span(m.start(), m.start() + len(word)) for m in re.finditer(rf"(?=(?<!\w){re.escape(word)}(?!\w))", text)}


def write_mentions(graph: Graph, slug: str, mentions: dict[Span, URIRef], segment) -> None:
    """One ``nkg:Mention`` annotation per mention, named after the article and the span."""
    for span, entity in sorted(mentions.items()):
        mention = ARTICLE[f"{slug}/mention/{span.start}-{span.end}"]
        graph.add((mention, RDF.type, NKG.Mention))
        graph.add((mention, RDF.type, OA.Annotation))
        graph.add((mention, OA.motivatedBy, OA.identifying))
        graph.add((mention, OA.hasBody, entity))
        graph.add((mention, OA.hasTarget, segment(span)))
