"""The ``entities`` section: every named thing, its class, its names, and where it is verified elsewhere."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from kg.evidence import Span
from kg.mapping.context import MappingContext
from kg.mapping.facts import map_properties
from kg.mapping.grammar import keys

if TYPE_CHECKING:
    from kg.mapping.registry import Known
from kg.mapping.mentions import occurrences_of
from kg.mapping.statements import Kind, Origin
from kg.namespaces import WD

#: Keys of an entity that are not property names.
ENTITY_KEYS = keys("entity")


@dataclass
class Names:
    """The words that refer to one entity: found wherever they occur, or pinned to given places."""

    words: list[str] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)


def map_entity(ctx: MappingContext, name: str, entry: Any) -> Names:
    """State the entity's class and names; return the words that refer to it in the text.

    The first body occurrence of its ``mention`` (or a cited ``source``, for things the article
    takes for granted) is the evidence of its class and label. The label defaults to the mention,
    and the mention to the label where the text has it. A thing of the registry takes its class,
    label and other names from there; the entry adds the article's own words.
    """
    fact = f"entity '{name}'"
    known = ctx.registry.entities.get(name) if ctx.registry is not None else None
    subject = ctx.ids[name]
    origin = ctx.origin(entry, fact)
    if "mention" in entry and "source" in entry:
        raise ctx.error("give either 'mention' (words of the article) or 'source' (a URL), not both", entry, fact)
    label = str(entry.get("label") or (known.label if known else "") or entry.get("mention") or "")
    if not label:
        raise ctx.error("missing 'label' (or 'mention', which it defaults to)", entry, fact, "label")
    aliases = [str(alias) for alias in ctx.as_list(entry.get("aka"))]
    for alias in aliases:
        if alias not in ctx.article.text:
            raise ctx.error(f"alias not in the article: {alias!r}", entry, fact, "aka")
    aliases += [a for a in (known.aliases if known else ()) if a not in aliases and _occurs(ctx, a)]
    classes = [
        ctx.class_(c, entry, fact) for c in ctx.as_list(entry.get("a") if known else ctx.required(entry, "a", fact))
    ]
    classes = list(dict.fromkeys([*(known.classes if known else ()), *classes]))
    support: dict | None
    if "mention" in entry:
        if "occurrence" in entry:
            span = ctx.locate(entry["mention"], entry["occurrence"], entry, fact, key="mention")
        else:  # the first occurrence in the body, else the first
            spans = ctx.locate_every(entry["mention"], entry, fact, key="mention")
            span = next((s for s in spans if ctx.in_body(s)), spans[0])
        support, kind = {"span": span, "origin": origin}, Kind.FACT
    elif "source" in entry:
        support, kind = {"source": ctx.source(entry, fact), "origin": origin}, Kind.BACKGROUND
    else:
        span = first_name(ctx, [label, *aliases])
        support, kind = ({"span": span, "origin": origin}, Kind.FACT) if span else (None, Kind.FACT)
        if support is None and not known:
            raise ctx.error("missing 'mention' (the words that name it in the article) or 'source'", entry, fact)
    ctx.labels[subject] = label
    if support is not None:
        _name(ctx, subject, label, classes, aliases, Kind.NAMING if kind is Kind.FACT else Kind.BACKGROUND, support)
    elif any(key not in ENTITY_KEYS for key in entry):
        raise ctx.error(
            "the article does not name it: give 'mention', the words that state its properties", entry, fact
        )
    map_properties(ctx, subject, entry, ENTITY_KEYS, kind, support or {}, fact)
    if "wikidata" in entry:
        map_wikidata(ctx, subject, entry["wikidata"], entry, fact)
    words = [label, *aliases] + ([str(entry["mention"])] if "mention" in entry else [])
    names = Names([word for word in dict.fromkeys(words) if word in ctx.article.text])
    for item in ctx.as_list(entry.get("descriptions")):
        _description(ctx, item, names, entry, fact)
    return names


def name_known(ctx: MappingContext, known: Known) -> Names | None:
    """Name a thing of the registry that the article's text names without an entry of its own.

    Its class and label are stated with the first body occurrence of its label (else of another of
    its names) as evidence; None when the text does not name it.
    """
    words = [word for word in known.words if _occurs(ctx, word)]
    span = first_name(ctx, words)
    if span is None:
        return None
    support = {"span": span, "origin": Origin(known.where, f"entity '{known.id}'")}
    ctx.labels[known.iri] = known.label
    _name(
        ctx,
        known.iri,
        known.label,
        list(known.classes),
        words[1:] if words[0] == known.label else words,
        Kind.NAMING,
        support,
    )
    return Names(words)


def _name(
    ctx: MappingContext, subject: URIRef, label: str, classes: list, aliases: list, kind: Kind, support: dict
) -> None:
    ctx.statements.add((subject, RDFS.label, Literal(label, lang=ctx.language)), kind, **support)
    for cls in classes:
        ctx.statements.add((subject, RDF.type, cls), kind, **support)
    for alias in aliases:
        if alias != label:
            ctx.statements.add((subject, SKOS.altLabel, Literal(alias, lang=ctx.language)), kind, **support)


def first_name(ctx: MappingContext, words: list[str]) -> Span | None:
    """Where the first of ``words`` that the text has stands (as whole words): in the body if it can."""
    for word in words:
        spans = sorted(occurrences_of(ctx.article.text, word))
        if spans:
            return next((s for s in spans if ctx.in_body(s)), spans[0])
    return None


def _occurs(ctx: MappingContext, word: str) -> bool:
    return bool(occurrences_of(ctx.article.text, word))


def _description(ctx: MappingContext, item: Any, names: Names, entry: Any, fact: str) -> None:
    """Other words that refer to the entity without naming it ("the Ukrainian leader"): mentions, not labels.

    A string counts wherever it occurs; ``{words, in}`` only inside every occurrence of the ``in`` words,
    for words that refer to something else elsewhere ("many" in "denounced by many").
    """
    if isinstance(item, dict):
        words = str(ctx.required(item, "words", fact))
        for passage in ctx.locate_every(ctx.required(item, "in", fact), item, fact, key="in"):
            names.spans.append(ctx.words_in(words, passage, item, fact, "words"))
        return
    if str(item) not in ctx.article.text:
        raise ctx.error(f"description not in the article: {item!r}", entry, fact, "descriptions")
    names.words.append(str(item))


def map_wikidata(ctx: MappingContext, subject: URIRef, value: Any, entry: Any, fact: str) -> None:
    """``skos:exactMatch`` to a Wikidata item, never ``owl:sameAs``; only with the source that verified it.

    The schema has checked the item's form (Q and a number) and that both keys are there.
    """
    item = str(value["item"])
    source = ctx.source(value, fact)
    origin = ctx.origin(value, fact)
    ctx.statements.add((subject, SKOS.exactMatch, WD[item]), Kind.BACKGROUND, source=source, origin=origin)
