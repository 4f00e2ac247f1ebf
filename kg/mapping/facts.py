"""The ``facts`` and ``background`` sections: what the article states, and what a reader is expected to know.

A fact quotes the words that state it. Its subject must be named in those words, or the entry says
which words stand for it (``coreference``: "He", "the meeting"). Dates keep the printed words; a day
worked out from other words records its anchor and rule. A participation states an agent's part in
an event with its role and status, and the plain triples queries use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from kg.dates import day_start, resolve_day
from kg.evidence import Span
from kg.mapping.context import MappingContext
from kg.mapping.grammar import keys
from kg.mapping.statements import Kind
from kg.namespaces import ID, NKG

#: Keys of a fact and of background that are not property names.
FACT_KEYS = keys("fact") - {"date"}
BACKGROUND_KEYS = keys("background")
#: Time statuses a fact can have: what is hypothetical is never a fact (it is a claim's proposition).
FACT_TIMES = {NKG.happened, NKG.planned}
#: A fact's only certainty and polarity: what is less than certain, or negated, is a claim's proposition.
FACT_FACTUALITY = {"certainty": (NKG.Certainty, NKG.certain), "polarity": (NKG.Polarity, NKG.positive)}
#: Words that lower the certainty of what they qualify (after FactBank's cues): modal verbs, epistemic
#: adverbs and adjectives, verbs of expectation, appearance, hope, belief and hearsay. A fact's hedge
#: may qualify its words (an approximation, "approximately"; a distance, "so-called"; "effectively"),
#: never the article's commitment: a hedge with one of these words is a claim's, with its certainty.
UNCERTAIN_WORDS = frozenset({
    "may", "might", "could", "would", "should", "can",
    "perhaps", "maybe", "possibly", "possible", "probably", "probable", "likely", "unlikely", "apparently",
    "seemingly", "reportedly", "allegedly", "supposedly", "presumably", "reputedly",
    "expected", "expects", "expect", "expecting", "anticipated", "appears", "appear", "appeared", "seems",
    "seem", "seemed", "looks", "set", "hope", "hopes", "hoping", "hoped", "believed", "believes", "thought",
    "suspected", "rumoured", "rumored", "understood", "said", "claimed", "reported", "according",
})  # fmt: skip


@dataclass
class PendingDate:
    """A day worked out from another event's day, resolved once every fact is read."""

    subject: URIRef
    anchor: URIRef
    words: str
    support: dict
    node: Any
    fact: str


def map_fact(ctx: MappingContext, entry: Any, named_in: dict[Span, URIRef], pending: list[PendingDate]) -> None:
    """State one fact; ``named_in`` holds every mention found so far (coreferent words are added to it)."""
    about = entry.get("about") if isinstance(entry, dict) else None
    fact = f"fact about '{about}'"
    subject = ctx.resource(ctx.required(entry, "about", fact), entry, fact, "about")
    span = ctx.locate(ctx.required(entry, "quote", fact), entry.get("occurrence"), entry, fact)
    support: dict = {"span": span, "origin": ctx.origin(entry, fact)}
    if "time" in entry:
        support["time"] = ctx.choice(entry, "time", fact, NKG.TimeStatus)
        if support["time"] not in FACT_TIMES:
            raise ctx.error("a hypothetical statement is not a fact: state it in a claim's 'says'", entry, fact, "time")
    check_factuality(ctx, entry, fact)
    hedges = [ctx.words_in(words, span, entry, fact, "hedge") for words in ctx.as_list(entry.get("hedge"))]
    support["hedges"] = tuple(ctx.article.text[h.start : h.end] for h in hedges)
    for hedge in support["hedges"]:
        check_hedge(ctx, hedge, entry, fact)
    if "coreference" in entry:
        words = ctx.words_in(entry["coreference"], span, entry, fact, "coreference")
        support["coreference"] = words
        if named_in.setdefault(words, subject) != subject:
            raise ctx.error(
                f"the words {entry['coreference']!r} already name another entity", entry, fact, "coreference"
            )
    elif subject != ctx.article.iri and not any(
        entity == subject and span.start <= named.start and named.end <= span.end for named, entity in named_in.items()
    ):
        raise ctx.error(
            f"the quote does not name {ctx.label_of(subject, about)!r}: quote words that do, or give the words"
            " that stand for it here ('coreference': 'He', 'the meeting')",
            entry,
            fact,
            "quote",
        )
    for class_name in ctx.as_list(entry.get("a")):
        ctx.add((subject, RDF.type, ctx.class_(class_name, entry, fact)), Kind.FACT, entry, fact, "a", **support)
    stated = map_properties(ctx, subject, entry, FACT_KEYS, Kind.FACT, support, fact, pending)
    stated += map_participation(ctx, subject, entry.get("participation"), entry, support, fact)
    if not stated and not entry.get("a"):
        raise ctx.error("the fact states nothing: add at least one property", entry, fact)


def check_factuality(ctx: MappingContext, entry: dict, fact: str) -> None:
    """A fact is certain and positive; its entry may say so, never otherwise.

    :raises MappingError: at the ``certainty`` or ``polarity`` key that says otherwise.
    """
    for key, (cls, only) in FACT_FACTUALITY.items():
        if key in entry and ctx.choice(entry, key, fact, cls) != only:
            raise ctx.error(
                f"a fact is {only.fragment}: a {entry[key]} statement is a claim's proposition; state it in a"
                " claim's 'says' (the author's claim, with the hedge as its verb, if no one else makes it)",
                entry,
                fact,
                key,
            )


def check_hedge(ctx: MappingContext, hedge: str, entry: dict, fact: str) -> None:
    """A fact's hedge may qualify its words but must not lower its certainty (``UNCERTAIN_WORDS``).

    :raises MappingError: at the ``hedge`` key, naming the words.
    """
    found = uncertain_words(hedge)
    if found:
        raise ctx.error(
            f"the hedge {hedge!r} lowers the certainty ({', '.join(repr(w) for w in found)}), and a fact is"
            " certain: state it in a claim's 'says' with certainty probable or possible (the author's claim,"
            " with the hedge as its verb, if no one else makes it)",
            entry,
            fact,
            "hedge",
        )


def uncertain_words(words: str) -> list[str]:
    """The words of ``words`` that lower certainty, in order.

    >>> uncertain_words("is expected to"), uncertain_words("so-called"), uncertain_words("Looks set to")
    (['expected'], [], ['looks', 'set'])
    """
    return [w for w in re.findall(r"[\w'-]+", words.lower()) if w in UNCERTAIN_WORDS]


def map_background(ctx: MappingContext, entry: Any) -> None:
    about = entry.get("about") if isinstance(entry, dict) else None
    fact = f"background about '{about}'"
    subject = ctx.resource(ctx.required(entry, "about", fact), entry, fact, "about")
    support = {"source": ctx.source(entry, fact), "origin": ctx.origin(entry, fact)}
    for class_name in ctx.as_list(entry.get("a")):
        ctx.add((subject, RDF.type, ctx.class_(class_name, entry, fact)), Kind.BACKGROUND, entry, fact, "a", **support)
    if not map_properties(ctx, subject, entry, BACKGROUND_KEYS, Kind.BACKGROUND, support, fact) and not entry.get("a"):
        raise ctx.error("the background fact states nothing: add at least one property", entry, fact)


def map_properties(
    ctx: MappingContext,
    subject: URIRef,
    entry: dict,
    skip: set[str],
    kind: Kind,
    support: dict,
    fact: str,
    pending: list[PendingDate] | None = None,
) -> int:
    """Assert each property given in ``entry``; return how many values were stated."""
    stated = 0
    for key, values in entry.items():
        if key in skip:
            continue
        if key == "date":
            if "span" not in support:
                raise ctx.error("a date needs the words that give it: state it in a fact", entry, fact, key)
            map_date(ctx, subject, values, entry, support, fact, pending if pending is not None else [])
            stated += 1
            continue
        prop = ctx.property(str(key))
        for value in ctx.as_list(values):
            ctx.add((subject, prop.iri, ctx.value(prop, value, entry, fact, key)), kind, entry, fact, key, **support)
            stated += 1
    return stated


def map_date(
    ctx: MappingContext, subject: URIRef, value: Any, entry: dict, support: dict, fact: str, pending: list
) -> None:
    """The event's day: from printed words (kept verbatim in nkg:dateAsStated), or from another event's day."""
    quote: Span = support["span"]
    if isinstance(value, dict):
        anchor = ctx.resource(ctx.required(value, "sameDayAs", fact), value, fact, "sameDayAs")
        words = ctx.words_in(ctx.required(value, "words", fact), quote, value, fact, "words")
        pending.append(PendingDate(subject, anchor, ctx.article.text[words.start : words.end], support, entry, fact))
        return
    expression = str(value)
    day = resolve_day(expression, ctx.article.date)
    if day is None:
        raise ctx.error(
            f"unparseable date {expression!r}: use the printed words, such as 'Friday night', 'today',"
            " 'tomorrow', '17 August' or 'August 17, 2025'",
            entry,
            fact,
            "date",
        )
    printed = _printed(ctx.article.text[quote.start : quote.end], expression)
    if printed is None:
        raise ctx.error(f"the date words {expression!r} are not in the quote", entry, fact, "date")
    _state_day(ctx, subject, day.day, entry, support, fact)
    ctx.add((subject, NKG.dateAsStated, Literal(printed)), Kind.FACT, entry, fact, "date", **support)
    ctx.add((subject, NKG.dateResolved, Literal(day.resolved)), Kind.FACT, entry, fact, "date", **support)
    if day.resolved:
        ctx.add((subject, NKG.dateAnchor, ctx.article.iri), Kind.FACT, entry, fact, "date", **support)
        ctx.add((subject, NKG.dateRule, Literal(day.rule)), Kind.FACT, entry, fact, "date", **support)


def resolve_pending_dates(ctx: MappingContext, pending: list[PendingDate]) -> None:
    """Give each event dated by another event that event's day, with the anchor and the rule."""
    for item in pending:
        days = ctx.statements.objects(item.anchor, NKG.date)
        if len(days) != 1:
            raise ctx.error(
                f"the anchor {ctx.label_of(item.anchor, str(item.anchor))!r} has no date of its own",
                item.node,
                item.fact,
            )
        ctx.add((item.subject, NKG.date, days[0]), Kind.FACT, item.node, item.fact, "date", **item.support)
        for prop, obj in (
            (NKG.dateResolved, Literal(True)),
            (NKG.dateAnchor, item.anchor),
            (NKG.dateRule, Literal(f"the same day as the anchor ('{item.words}')")),
        ):
            ctx.add((item.subject, prop, obj), Kind.FACT, item.node, item.fact, "date", **item.support)


def _state_day(ctx: MappingContext, subject: URIRef, day: date, entry: dict, support: dict, fact: str) -> None:
    literal = Literal(day_start(day), datatype=XSD.dateTime)
    ctx.add((subject, NKG.date, literal), Kind.FACT, entry, fact, "date", **support)


def _printed(quote: str, expression: str) -> str | None:
    """The words of ``quote`` that ``expression`` stands for, as printed (any case), or None.

    >>> _printed("the Alaska summit on Friday night", "friday night")
    'Friday night'
    """
    at = quote.lower().find(expression.lower())
    return None if at < 0 else quote[at : at + len(expression)]


def map_participation(ctx: MappingContext, event: URIRef, items: Any, entry: dict, support: dict, fact: str) -> int:
    """One nkg:Participation per agent, and the plain triples it implies (Wikidata's truthy shortcuts):
    nkg:hasParticipant unless only invited, nkg:hostedBy for a host, nkg:coChairedBy for a co-chair,
    nkg:hasInvitee for an invited or accepting agent. An invitation has happened even when the event
    is planned: nkg:hasInvitee takes the participation's time, not the event's.
    """
    stated = 0
    for item in ctx.as_list(items):
        what = f"{fact} participation"
        agent = ctx.resource(ctx.required(item, "agent", what), item, what, "agent")
        status = ctx.choice(item, "status", what, NKG.ParticipationStatus)
        roles = [
            ctx.choice({"role": role}, "role", what, NKG.ParticipantRole) for role in ctx.as_list(item.get("role"))
        ]
        node_id = f"{_local(event)}--{_local(agent)}"
        node = ID[node_id]
        if ctx.ids.setdefault(node_id, node) != node:
            raise ctx.error(f"the id '{node_id}' of this participation is already used", item, what, "agent")
        label = f"{ctx.label_of(agent, _local(agent))} in {ctx.label_of(event, _local(event))}"
        ctx.add((node, RDF.type, NKG.Participation), Kind.FACT, item, what, **support)
        ctx.add((node, RDFS.label, Literal(label, lang=ctx.language)), Kind.NAMING, item, what, **support)
        triples = [(event, NKG.hasParticipation, node), (node, NKG.participant, agent)]
        triples += [(node, NKG.participationStatus, status)] + [(node, NKG.role, role) for role in roles]
        triples += [
            (node, NKG.hasPurpose, ctx.resource(aim, item, what, "purpose")) for aim in ctx.as_list(item.get("purpose"))
        ]
        if status != NKG.invited:
            triples.append((event, NKG.hasParticipant, agent))
        if NKG.hostRole in roles:
            triples.append((event, NKG.hostedBy, agent))
        if NKG.coChairRole in roles:
            triples.append((event, NKG.coChairedBy, agent))
        for triple in triples:
            ctx.add(triple, Kind.FACT, item, what, **support)
        if status in (NKG.invited, NKG.accepted):
            ctx.add((event, NKG.hasInvitee, agent), Kind.FACT, item, what, **(support | {"time": NKG.happened}))
        stated += 1
    return stated


def _local(iri: URIRef) -> str:
    return str(iri).removeprefix(str(ID))
