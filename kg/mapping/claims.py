"""The ``claims`` section: who said what, through whom, in which words; what they say is described, never asserted.

A claim's content is a list of propositions, each a subject, predicate and object with its
factuality: how certain the claimant is, whether it says the thing is or is not so, whether it has
happened, is planned or is hypothetical, and the hedge verbatim. A proposition may hold only on a
condition, itself a proposition. The claim's attributed clause (by default its whole quote) is
where the claimant, not the article, speaks: no fact rests on those words alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rdflib import Literal, URIRef

from kg.evidence import Span
from kg.mapping.context import MappingContext
from kg.mapping.statements import Kind
from kg.namespaces import ID, NKG
from kg.vocabulary import PropertyKind

#: The factuality a proposition has unless its entry says otherwise: the claimant commits to it.
SAID = {"certainty": "certain", "polarity": "positive", "time": "happened"}
#: The factuality of a condition: only possible, and hypothetical.
SUPPOSED = {"certainty": "possible", "polarity": "positive", "time": "hypothetical"}
FACTUALITY = (("certainty", NKG.certainty, NKG.Certainty), ("polarity", NKG.polarity, NKG.Polarity),
              ("time", NKG.timeStatus, NKG.TimeStatus))  # fmt: skip


@dataclass
class ClaimRecord:
    """What the build rules need to know of one claim."""

    name: str
    where: str
    span: Span
    #: Words of the quote that stand for the claimant ("He"), who is named in another sentence.
    coreference: tuple[Span, URIRef] | None = None
    clauses: list[Span] = field(default_factory=list)
    quotations: list[Span] = field(default_factory=list)
    #: Each claimed statement (conditions included) with ``file:line`` of the claim's ``says``.
    propositions: list[tuple[tuple, str]] = field(default_factory=list)


def proposition_ids(name: str, says: Any) -> list[str]:
    """The ids a claim's ``says`` makes: ``<claim>-p<n>`` and, for conditions, ``<claim>-p<n>-c<m>``."""
    made = []
    for number, item in enumerate(says if isinstance(says, list) else [], start=1):
        made.append(f"{name}-p{number}")
        conditions = item.get("condition") if isinstance(item, dict) else None
        made += [f"{name}-p{number}-c{m}" for m in range(1, len(_triples(conditions)) + 1)]
    return made


def map_claim(ctx: MappingContext, name: str, entry: Any) -> ClaimRecord:
    fact = f"claim '{name}'"
    claim = ctx.ids[name]
    span = ctx.locate(ctx.required(entry, "quote", fact), entry.get("occurrence"), entry, fact)
    origin = ctx.origin(entry, fact)
    record = ClaimRecord(name, origin.where, span)
    support = {"span": span, "origin": origin}
    ctx.name(claim, NKG.Claim, str(ctx.required(entry, "label", fact)), span, origin)

    def state(prop: URIRef, obj, key: str) -> None:
        ctx.add((claim, prop, obj), Kind.RECORD, entry, fact, key, **support)

    claimant = ctx.resource(ctx.required(entry, "claimant", fact), entry, fact, "claimant")
    state(NKG.claimant, claimant, "claimant")
    if "coreference" in entry:
        record.coreference = (ctx.words_in(entry["coreference"], span, entry, fact, "coreference"), claimant)
    state(NKG.reportingVerb, Literal(str(ctx.required(entry, "verb", fact))), "verb")
    state(NKG.epistemicStatus, ctx.resource(ctx.required(entry, "status", fact), entry, fact, "status"), "status")
    for key, prop in (("through", NKG.reportedThrough), ("during", NKG.madeDuring)):
        for value in ctx.as_list(entry.get(key)):
            state(prop, ctx.resource(value, entry, fact, key), key)
    for words in ctx.as_list(entry.get("quotation")):
        record.quotations.append(ctx.words_in(words, span, entry, fact, "quotation"))
        state(NKG.quotation, ctx.segment(record.quotations[-1]), "quotation")
    clauses = ctx.as_list(entry.get("clause"))
    record.clauses = [ctx.words_in(words, span, entry, fact, "clause") for words in clauses] or [span]
    for clause in record.clauses:
        state(NKG.attributedClause, ctx.segment(clause), "clause")
    for number, item in enumerate(ctx.as_list(entry.get("says")), start=1):
        proposition = ID[f"{name}-p{number}"]
        state(NKG.claimContent, proposition, "says")
        _map_say(ctx, record, proposition, item, entry, support, f"{fact} says #{number}")
    if not entry.get("says"):  # the schema requires it; a quotation alone says nothing a query can find
        raise ctx.error("a claim needs what it says: 'says', its propositions (a quotation alone is not enough)",
                        entry, fact)  # fmt: skip
    return record


def _map_say(
    ctx: MappingContext, record: ClaimRecord, proposition: URIRef, item: Any, entry: dict, support: dict, fact: str
) -> None:
    """One item of ``says``: ``[subject, property, object]``, or a mapping with ``statement`` and factuality."""
    if isinstance(item, dict):
        options = item
        statement = ctx.required(item, "statement", fact)
    else:
        options, statement = {}, item
    where = ctx.where(entry, "says")
    record.propositions.append((_map_proposition(ctx, proposition, statement, entry, support, fact), where))
    _factuality(ctx, proposition, options, SAID, entry, support, fact, record.span)
    for number, condition in enumerate(_triples(options.get("condition")), start=1):
        supposed = URIRef(f"{proposition}-c{number}")
        ctx.add((proposition, NKG.hasCondition, supposed), Kind.RECORD, entry, fact, "says", **support)
        triple = _map_proposition(ctx, supposed, condition, entry, support, f"{fact} condition #{number}")
        record.propositions.append((triple, where))
        _factuality(ctx, supposed, {}, SUPPOSED, entry, support, fact, record.span)


def _triples(value: Any) -> list:
    """A condition is one ``[s, p, o]`` or a list of them."""
    if not value:
        return []
    return value if isinstance(value, list) and value and isinstance(value[0], list) else [value]


def _factuality(
    ctx: MappingContext, node: URIRef, options: dict, defaults: dict, entry: dict, support: dict, fact: str, quote: Span
) -> None:
    for key, prop, cls in FACTUALITY:
        value = ctx.choice({key: options.get(key, defaults[key])}, key, fact, cls)
        ctx.add((node, prop, value), Kind.RECORD, entry, fact, "says", **support)
    for words in ctx.as_list(options.get("hedge")):
        found = ctx.words_in(words, quote, entry, fact, "says")
        hedge = Literal(ctx.article.text[found.start : found.end])
        ctx.add((node, NKG.hedge, hedge), Kind.RECORD, entry, fact, "says", **support)


def _map_proposition(ctx: MappingContext, proposition: URIRef, content: Any, node: Any, support: dict, fact: str):
    """Describe ``[subject, property, object]`` as a nkg:Proposition; return the triple it stands for."""
    if not isinstance(content, list) or len(content) != 3:
        raise ctx.error("each statement is [subject, property, object]", node, fact, "says")
    subject_name, property_name, value = content
    subject = ctx.resource(subject_name, node, fact, "says")
    prop = ctx.property(str(property_name))
    if prop is None:
        raise ctx.error(f"unknown property {property_name!r}", node, fact, "says")

    def state(predicate: URIRef, obj) -> None:
        ctx.add((proposition, predicate, obj), Kind.RECORD, node, fact, "says", **support)

    state(NKG.propositionSubject, subject)
    state(NKG.propositionPredicate, prop.iri)
    target = ctx.value(prop, value, node, fact, "says")
    if prop.kind is PropertyKind.OBJECT:
        state(NKG.propositionObject, target)
        object_label = ctx.label_of(target, str(value))
    else:
        state(NKG.propositionValue, target)
        object_label = f'"{target}"'
    predicate_label = ctx.vocabulary.labels.get(prop.iri, str(property_name))
    label = f"{ctx.label_of(subject, subject_name)} {predicate_label} {object_label}"
    ctx.name(proposition, NKG.Proposition, label, support["span"], support["origin"])
    return (subject, prop.iri, target)
