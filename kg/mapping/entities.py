"""The ``entities`` section: every named thing, its class, its names, and where it is verified elsewhere."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from kg.evidence import Span
from kg.mapping.context import MappingContext
from kg.mapping.facts import map_properties
from kg.mapping.statements import Kind
from kg.namespaces import WD

#: Keys of an entity that are not property names.
ENTITY_KEYS = {"a", "label", "mention", "aka", "descriptions", "source", "note", "occurrence", "wikidata"}
WIKIDATA_KEYS = {"item", "source"}
DESCRIPTION_KEYS = {"words", "in"}


@dataclass
class Names:
    """The words that refer to one entity: found wherever they occur, or pinned to given places."""

    words: list[str] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)


def map_entity(ctx: MappingContext, name: str, entry: Any) -> Names:
    """State the entity's class and names; return the words that refer to it in the text.

    The first body occurrence of its ``mention`` (or a cited ``source``, for things the article
    takes for granted) is the evidence of its class and label.
    """
    fact = f"entity '{name}'"
    ctx.check_keys(entry, ENTITY_KEYS, fact, properties=True)
    subject = ctx.ids[name]
    origin = ctx.origin(entry, fact)
    if "mention" in entry and "source" in entry:
        raise ctx.error("give either 'mention' (words of the article) or 'source' (a URL), not both", entry, fact)
    if "mention" in entry:
        if "occurrence" in entry:
            span = ctx.locate(entry["mention"], entry["occurrence"], entry, fact, key="mention")
        else:  # the first occurrence in the body, else the first
            spans = ctx.locate_every(entry["mention"], entry, fact, key="mention")
            span = next((s for s in spans if ctx.in_body(s)), spans[0])
        support: dict = {"span": span, "origin": origin}
        kind = Kind.FACT
    elif "source" in entry:
        support = {"source": ctx.source(entry, fact), "origin": origin}
        kind = Kind.BACKGROUND
    else:
        raise ctx.error("missing 'mention' (the words that name it in the article) or 'source'", entry, fact)
    label = str(ctx.required(entry, "label", fact))
    language = ctx.article.language
    ctx.labels[subject] = label
    naming = Kind.NAMING if kind is Kind.FACT else Kind.BACKGROUND
    ctx.statements.add((subject, RDFS.label, Literal(label, lang=language)), naming, **support)
    for class_name in ctx.as_list(ctx.required(entry, "a", fact)):
        ctx.statements.add((subject, RDF.type, ctx.class_(class_name, entry, fact)), naming, **support)
    aliases = [str(alias) for alias in ctx.as_list(entry.get("aka"))]
    for alias in aliases:
        if alias not in ctx.article.text:
            raise ctx.error(f"alias not in the article: {alias!r}", entry, fact, "aka")
        ctx.statements.add((subject, SKOS.altLabel, Literal(alias, lang=language)), naming, **support)
    map_properties(ctx, subject, entry, ENTITY_KEYS, kind, support, fact)
    if "wikidata" in entry:
        _map_wikidata(ctx, subject, entry["wikidata"], entry, fact)
    words = [label, *aliases] + ([str(entry["mention"])] if "mention" in entry else [])
    names = Names([word for word in dict.fromkeys(words) if word in ctx.article.text])
    for item in ctx.as_list(entry.get("descriptions")):
        _description(ctx, item, names, entry, fact)
    return names


def _description(ctx: MappingContext, item: Any, names: Names, entry: Any, fact: str) -> None:
    """Other words that refer to the entity without naming it ("the Ukrainian leader"): mentions, not labels.

    A string counts wherever it occurs; ``{words, in}`` only inside every occurrence of the ``in`` words,
    for words that refer to something else elsewhere ("many" in "denounced by many").
    """
    if isinstance(item, dict):
        ctx.check_keys(item, DESCRIPTION_KEYS, fact)
        words = str(ctx.required(item, "words", fact))
        for passage in ctx.locate_every(ctx.required(item, "in", fact), item, fact, key="in"):
            names.spans.append(ctx.words_in(words, passage, item, fact, "words"))
        return
    if str(item) not in ctx.article.text:
        raise ctx.error(f"description not in the article: {item!r}", entry, fact, "descriptions")
    names.words.append(str(item))


def _map_wikidata(ctx: MappingContext, subject: URIRef, value: Any, entry: Any, fact: str) -> None:
    """``skos:exactMatch`` to a Wikidata item, never ``owl:sameAs``; only with the source that verified it."""
    ctx.check_keys(value, WIKIDATA_KEYS, f"{fact} wikidata")
    item = str(ctx.required(value, "item", fact))
    if not re.fullmatch(r"Q[1-9][0-9]*", item):
        raise ctx.error(f"a Wikidata item is Q and a number, not {item!r}", value, fact, "item")
    source = ctx.source(value, fact)
    origin = ctx.origin(value, fact)
    ctx.statements.add((subject, SKOS.exactMatch, WD[item]), Kind.BACKGROUND, source=source, origin=origin)
