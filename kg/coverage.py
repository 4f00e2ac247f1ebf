"""How much of an article its graph covers: content sentences with a statement, mentions, statements per zone.

Read from an article graph alone (the text, its zones, the evidence of its statements and its
mentions). The build records each article's report in the coverage graph (``Coverage.triples``):
``kg build``, ``kg coverage`` and the article page show the same figures and sentences. A content sentence is a
sentence of the body, a caption or an embedded post (credits, the dateline and links to other
articles are not content). It carries a fact when the evidence of an asserted statement overlaps it,
a claim when a claim's quote does.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, XSD

from kg.evidence import Span
from kg.namespaces import ARTICLE, ID, NKG, OA, SCHEMA
from kg.text import BODY, CONTENT_ZONES, Zoning, sentences

#: Capitalised words that name no entity: pronouns, a caption's (L)eft and (R)ight, days and months.
_NOT_NAMES = {"I", "We", "It", "The", "A", "An", "L", "R"} | {
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
    "November", "December",
}  # fmt: skip


@dataclass
class Coverage:
    """What one article's graph covers."""

    article: str
    sentences: int = 0
    with_fact: int = 0
    with_claim_only: int = 0
    mentions: int = 0
    entities: int = 0
    entities_mentioned: int = 0
    #: zone -> {"mentions": n, "facts": n, "claims": n}
    zones: dict[str, dict[str, int]] = field(default_factory=dict)
    #: Content sentences no statement covers, verbatim, and where each stands ([start, end) offsets).
    unmapped: list[str] = field(default_factory=list)
    unmapped_spans: list[list[int]] = field(default_factory=list)
    #: Capitalised words of content sentences that no mention covers (names the mapping may have missed).
    unlinked: list[str] = field(default_factory=list)

    @property
    def with_statement(self) -> int:
        return self.with_fact + self.with_claim_only

    def summary(self) -> str:
        """One line for ``kg build``.

        >>> Coverage("a", sentences=10, with_fact=7, with_claim_only=2, mentions=40, entities=12,
        ...          entities_mentioned=11).summary()
        'a: 9 of 10 content sentences carry a statement (7 a fact, 2 a claim only); 40 mentions of 11 of 12 entities'
        """
        return (
            f"{self.article}: {self.with_statement} of {self.sentences} content sentences carry a statement"
            f" ({self.with_fact} a fact, {self.with_claim_only} a claim only);"
            f" {self.mentions} mentions of {self.entities_mentioned} of {self.entities} entities"
        )

    def to_json(self) -> dict:
        return asdict(self)

    def triples(self) -> list[tuple]:
        """The report as RDF, for the build's coverage graph (the figures the pages show)."""
        article = ARTICLE[self.article]
        report = URIRef(f"{article}/coverage")
        triples = [
            (article, NKG.coverage, report),
            (report, RDF.type, NKG.CoverageReport),
            (report, NKG.contentSentences, Literal(self.sentences, datatype=XSD.nonNegativeInteger)),
            (report, NKG.sentencesWithFact, Literal(self.with_fact, datatype=XSD.nonNegativeInteger)),
            (report, NKG.sentencesWithClaimOnly, Literal(self.with_claim_only, datatype=XSD.nonNegativeInteger)),
        ]
        for start, end in self.unmapped_spans:
            selector = URIRef(f"{report}/sentence/{start}-{end}")
            triples += [
                (report, NKG.uncoveredSentence, selector),
                (selector, RDF.type, OA.TextPositionSelector),
                (selector, OA.start, Literal(start, datatype=XSD.nonNegativeInteger)),
                (selector, OA.end, Literal(end, datatype=XSD.nonNegativeInteger)),
            ]
        return triples


def measure_coverage(graph: Graph) -> list[Coverage]:
    """The coverage of every article in ``graph`` (an article graph of the build)."""
    return [_measure(graph, article) for article in sorted(graph.subjects(RDF.type, NKG.Article))]


def _measure(graph: Graph, article: URIRef) -> Coverage:
    text = str(graph.value(article, SCHEMA.articleBody))
    spans = _spans(graph)
    parts = [(spans[s], str(graph.value(s, NKG.zone).fragment)) for s in graph.objects(article, DCTERMS.hasPart)]
    zoning = Zoning(len(text), tuple(sorted((span, zone) for span, zone in parts if zone != BODY)))
    facts = [spans[e] for a in graph.subjects(NKG.certainty, None) for e in graph.objects(a, NKG.evidence)]
    claims = [spans[e] for a in _claim_axioms(graph) for e in graph.objects(a, NKG.evidence)]
    mentions = [(spans[t], b) for m in graph.subjects(RDF.type, NKG.Mention)
                for t in graph.objects(m, OA.hasTarget) for b in graph.objects(m, OA.hasBody)]  # fmt: skip
    coverage = Coverage(article.split("/")[-1], mentions=len(mentions))
    entities = named_things(graph)
    coverage.entities = len(entities)
    coverage.entities_mentioned = len(entities & {body for _, body in mentions})
    counts: dict[str, Counter] = {}
    for what, found in (("mentions", [s for s, _ in mentions]), ("facts", facts), ("claims", claims)):
        for span in found:
            counts.setdefault(zoning.zone_of(span) or "across zones", Counter())[what] += 1
    coverage.zones = {zone: {k: c[k] for k in ("mentions", "facts", "claims")} for zone, c in sorted(counts.items())}
    content = [s for s, zone in sentences(text, zoning) if zone in CONTENT_ZONES]
    kinds = {text[s.start : s.end]: set() for s in content}  # a repeated passage counts as its best copy
    for sentence in content:
        words = text[sentence.start : sentence.end]
        if any(_overlap(sentence, span) for span in facts):
            kinds[words].add("fact")
        if any(_overlap(sentence, span) for span in claims):
            kinds[words].add("claim")
    for sentence in content:
        words = text[sentence.start : sentence.end]
        coverage.sentences += 1
        if "fact" in kinds[words]:
            coverage.with_fact += 1
        elif "claim" in kinds[words]:
            coverage.with_claim_only += 1
        else:
            coverage.unmapped.append(words)
            coverage.unmapped_spans.append([sentence.start, sentence.end])
        coverage.unlinked += _unlinked(text, sentence, [s for s, _ in mentions])
    coverage.unlinked = sorted(set(coverage.unlinked))
    return coverage


def named_things(graph: Graph) -> set[URIRef]:
    """The things of the story an article graph names: what it types, or types by evidence (the registry
    asserts it), but not what the mapping records about the text (claims, propositions, participations ...)."""
    typed = set(graph.subjects(RDF.type, None))
    typed |= {s for a in graph.subjects(OWL.annotatedProperty, RDF.type) for s in graph.objects(a, OWL.annotatedSource)}
    records = {NKG.Proposition, NKG.Participation, NKG.Claim, NKG.Correction, NKG.Anomaly}
    typed -= {s for record in records for s in graph.subjects(RDF.type, record)}
    return {s for s in typed if isinstance(s, URIRef) and s.startswith(str(ID))}


def _spans(graph: Graph) -> dict[URIRef, Span]:
    """Every text segment's span, from its position selector."""
    found = {}
    for segment in graph.subjects(RDF.type, NKG.TextSegment):
        for selector in graph.objects(segment, OA.hasSelector):
            start, end = graph.value(selector, OA.start), graph.value(selector, OA.end)
            if start is not None and end is not None:
                found[segment] = Span(int(start), int(end))
    return found


def _claim_axioms(graph: Graph):
    for claim in graph.subjects(RDF.type, NKG.Claim):
        for axiom in graph.subjects(OWL.annotatedSource, claim):
            if (axiom, OWL.annotatedProperty, NKG.claimant) in graph:
                yield axiom


def _overlap(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


def _unlinked(text: str, sentence: Span, mentions: list[Span]) -> list[str]:
    """Capitalised words of ``sentence`` (but its first) that no mention covers."""
    found = []
    for match in re.finditer(r"(?<![\w@'’])[A-Z][\w-]*", text[sentence.start : sentence.end]):
        start = sentence.start + match.start()
        word = Span(start, start + len(match.group()))
        opening = not text[sentence.start : start].strip("\"“‘' ")  # the sentence's first word
        if opening or match.group() in _NOT_NAMES:
            continue
        if not any(m.start <= word.start and word.end <= m.end for m in mentions):
            found.append(match.group())
    return found
