"""The rules of faithfulness the build enforces, once a whole mapping is read.

1. The claim/fact boundary. Words in someone else's voice cannot make a fact: a claim's attributed
   clause (by default its whole quote), a quotation, an embedded post, a related headline (another
   article's words). Every fact needs at least one piece of evidence that does not lie inside such
   words. A fact that is also the content of a claim (or follows from it through a super-property
   or an inverse: "demands" says "proposes", "hosts" says "hosted by") needs more: evidence that
   touches none of them, so that the article states it apart from every report of it.
2. One entity per thing. A proposal is its proposer's: every statement of who proposes it must name
   a common agent, and every part of it (``partOfProposal``) must be proposed by one of its
   proposers. A ceasefire deal with parts from different parties is several proposals merged.
3. One status per article. An event's status and a participation's are as of the article's date:
   a later article may report held what an earlier one planned, but one article says one thing.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import pairwise

from rdflib import URIRef

from kg.errors import MappingError
from kg.evidence import Span
from kg.mapping.claims import ClaimRecord
from kg.mapping.context import MappingContext
from kg.mapping.statements import Origin
from kg.namespaces import NKG

#: Zones whose words are someone else's, whatever the mapping says.
OTHER_VOICES = {"embeddedPostZone": "an embedded post", "relatedHeadlineZone": "a related headline"}


def check_claim_fact_boundary(ctx: MappingContext, claims: list[ClaimRecord]) -> None:
    """Rule 1: every fact has evidence in the article's own narrative voice.

    :raises MappingError: naming the fact's entry (file:line) and the claim or zone whose words it rests on.
    """
    regions = _other_voices(ctx, claims)
    claimed: dict[tuple, list[ClaimRecord]] = defaultdict(list)
    for claim in claims:
        for triple, _ in claim.propositions:
            for entailed in ctx.vocabulary.entailed(*triple):
                claimed[entailed].append(claim)
    for triple, support in ctx.statements.facts():
        spans = support.fact_spans()
        if not spans or triple[0] == ctx.article.iri:  # the page's own links and byline speak for the page
            continue
        origin = support.origins[0]
        inside = [next((what for region, what in regions if _within(span, region)), None) for span in spans]
        if all(inside):
            raise _error(
                origin,
                f"{_show(ctx, triple)} has no evidence in the article's own voice: its words lie in {inside[0]};"
                " state it in that claim's 'says', or quote the article's own words",
            )
        owners = claimed.get(triple)
        if owners and not any(not any(_overlaps(span, region) for region, _ in regions) for span in spans):
            owner = owners[0]
            raise _error(
                origin,
                f"{_show(ctx, triple)} is the content of claim '{owner.name}' ({owner.where}) and has no evidence in"
                " the article's own voice, outside every attributed clause, quotation, embedded post and related"
                " headline: keep it in the claim only",
            )


def check_one_entity_per_thing(ctx: MappingContext, claims: list[ClaimRecord]) -> None:
    """Rule 2: a proposal and its parts belong to one proposer (or to the same joint proposers).

    :raises MappingError: naming the statement (file:line) that merges what different proposers put forward.
    """
    said = [(triple, support.origins[0]) for triple, support in ctx.statements.facts()]
    said += [(triple, Origin(where, f"claim '{c.name}'")) for c in claims for triple, where in c.propositions]
    grouped: dict[tuple[URIRef, Origin], set] = defaultdict(set)  # who proposes it, per statement
    parts: list[tuple[URIRef, URIRef, Origin]] = []
    for triple, origin in said:
        for subject, prop, obj in ctx.vocabulary.entailed(*triple):
            if prop == NKG.proposes:
                grouped[(obj, origin)].add(subject)
        if triple[1] == NKG.partOfProposal:
            parts.append((triple[0], triple[2], origin))
    proposers: dict[URIRef, list[tuple[frozenset, Origin]]] = defaultdict(list)
    for (proposal, origin), agents in grouped.items():
        proposers[proposal].append((frozenset(agents), origin))
    for proposal, stated in proposers.items():
        for (first, first_origin), (second, second_origin) in pairwise(stated):
            if not first & second:
                raise _error(
                    second_origin,
                    f"{_name(ctx, proposal)} is proposed by {_agents(ctx, second)} here and by {_agents(ctx, first)}"
                    f" in {first_origin.entry} ({first_origin.where}): one proposal per proposer",
                )

    def by(proposal: URIRef) -> frozenset:
        return frozenset().union(*(agents for agents, _ in proposers.get(proposal, [])))

    for part, whole, origin in parts:
        others = [whole] + [p for p, w, _ in parts if w == whole and p != part]
        for other in others:
            if by(part) and by(other) and not by(part) & by(other):
                raise _error(
                    origin,
                    f"{_name(ctx, whole)} has parts from different proposers: {_name(ctx, part)} is proposed by"
                    f" {_agents(ctx, by(part))}, {_name(ctx, other)} by {_agents(ctx, by(other))}:"
                    " make one proposal per proposer",
                )


#: Properties with one value per article: the status of an event or a participation as of its date.
#: Two articles may differ (planned, then held); one article may not.
ONE_PER_ARTICLE = (NKG.status, NKG.participationStatus)


def check_one_status_per_article(ctx: MappingContext) -> None:
    """Rule 3: an article gives an event, or a participation, one status.

    :raises MappingError: at the second fact, naming the first's ``file:line``.
    """
    first: dict[tuple, tuple] = {}
    for (subject, prop, value), support in ctx.statements.facts():
        if prop in ONE_PER_ARTICLE:
            other, origin = first.setdefault((subject, prop), (value, support.origins[0]))
            if other != value:
                raise _error(
                    support.origins[0],
                    f"{_name(ctx, subject)} has the {ctx.vocabulary.labels.get(prop, str(prop))}"
                    f" {_name(ctx, value)} here and {_name(ctx, other)} in {origin.entry} ({origin.where}):"
                    " one article gives one status, as of its date",
                )


def _other_voices(ctx: MappingContext, claims: list[ClaimRecord]) -> list[tuple[Span, str]]:
    """Every span of the text in someone else's voice, with what it is."""
    regions = [(span, f"claim '{c.name}''s attributed clause") for c in claims for span in c.clauses]
    regions += [(span, f"a quotation of claim '{c.name}'") for c in claims for span in c.quotations]
    regions += [(span, name) for zone, name in OTHER_VOICES.items() for span in ctx.zoning.spans_of(zone)]
    return regions


def _within(span: Span, region: Span) -> bool:
    return region.start <= span.start and span.end <= region.end


def _overlaps(span: Span, region: Span) -> bool:
    return span.start < region.end and region.start < span.end


def _name(ctx: MappingContext, iri) -> str:
    return f"'{ctx.label_of(iri, str(iri))}'"


def _agents(ctx: MappingContext, agents) -> str:
    return " and ".join(sorted(ctx.label_of(a, str(a)) for a in agents)) or "no one"


def _show(ctx: MappingContext, triple: tuple) -> str:
    subject, prop, obj = triple
    shown = ctx.label_of(obj, str(obj)) if isinstance(obj, URIRef) else f'"{obj}"'
    return f"'{ctx.label_of(subject, str(subject))} {ctx.vocabulary.labels.get(prop, str(prop))} {shown}'"


def _error(origin: Origin, message: str) -> MappingError:
    return MappingError(message, source=origin.where, fact=origin.entry)
