"""The story's own notions, read for the pages: claims, corrections, events on a timeline, the article's spans.

Every query that depends on the data model beyond RDF, OWL and Web Annotation is here, so that a
change of the model (hedges, factuality, n-ary participation, text zones) is adapted in one module.
Where a page shows the model generically (statements, types), ``server.describe`` reads it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox

from server.reader import Reader, Row, Term

NKG = "https://w3id.org/newskg/ontology#"

#: Properties of a claim shown in their own columns; any other property of a claim is shown as a detail.
CLAIM_COLUMNS = ("claimant", "reportingVerb", "epistemicStatus", "reportedThrough", "madeDuring", "quotation")

#: Claims made by the thing, or whose content is about it (as subject or object of a proposition).
CLAIMS = """
SELECT ?claim ?label ?claimant ?claimantLabel ?verb ?statusLabel ?through ?throughLabel ?quote ?start ?end ?article
       ?prop ?ps ?psLabel ?pp ?ppLabel ?po ?poLabel ?pv ?role WHERE {
  { ?claim nkg:claimant $this BIND("by" AS ?role) }
  UNION { ?claim nkg:claimContent ?about . ?about nkg:propositionSubject|nkg:propositionObject $this
          BIND("about" AS ?role) }
  ?claim a nkg:Claim .
  OPTIONAL { ?claim rdfs:label ?label }
  OPTIONAL { ?claim nkg:claimant ?claimant . OPTIONAL { ?claimant rdfs:label ?claimantLabel } }
  OPTIONAL { ?claim nkg:reportingVerb ?verb }
  OPTIONAL { ?claim nkg:epistemicStatus/rdfs:label ?statusLabel }
  OPTIONAL { ?claim nkg:reportedThrough ?through . OPTIONAL { ?through rdfs:label ?throughLabel } }
  OPTIONAL { ?ax owl:annotatedSource ?claim ; owl:annotatedProperty nkg:claimant ; nkg:evidence ?segment .
             ?segment oa:hasSource ?article ; oa:hasSelector ?q , ?pos .
             ?q oa:exact ?quote . ?pos oa:start ?start ; oa:end ?end . }
  OPTIONAL { ?claim nkg:claimContent ?prop .
             OPTIONAL { ?prop nkg:propositionSubject ?ps . OPTIONAL { ?ps rdfs:label ?psLabel } }
             OPTIONAL { ?prop nkg:propositionPredicate ?pp . OPTIONAL { ?pp rdfs:label ?ppLabel } }
             OPTIONAL { ?prop nkg:propositionObject ?po . OPTIONAL { ?po rdfs:label ?poLabel } }
             OPTIONAL { ?prop nkg:propositionValue ?pv } }
} ORDER BY ?role ?claim ?prop ?start
"""

#: Properties of those claims beyond the columns above (a hedge, a factuality ...), from the asserted graphs.
CLAIM_DETAILS = """
SELECT DISTINCT ?claim ?p ?o (SAMPLE(?pl) AS ?pLabel) (SAMPLE(?ol) AS ?oLabel) WHERE {
  { ?claim nkg:claimant $this }
  UNION { ?claim nkg:claimContent ?about . ?about nkg:propositionSubject|nkg:propositionObject $this }
  GRAPH ?g { ?claim ?p ?o } FILTER(?g != graph:inferred)
  FILTER(?p NOT IN (rdf:type, rdfs:label, nkg:claimContent, schema:author,
                    nkg:claimant, nkg:reportingVerb, nkg:epistemicStatus, nkg:reportedThrough, nkg:madeDuring,
                    nkg:quotation))
  OPTIONAL { ?p rdfs:label ?pl } OPTIONAL { ?o rdfs:label ?ol }
} GROUP BY ?claim ?p ?o ORDER BY ?claim ?p ?o
"""

CORRECTIONS = """
SELECT ?correction ?label ?wording ?correct ?note ?start ?end ?article WHERE {
  ?correction a nkg:Correction ; nkg:correctionOf $this .
  OPTIONAL { ?correction rdfs:label ?label }
  OPTIONAL { ?correction nkg:wordingAsStated ?wording }
  OPTIONAL { ?correction nkg:correctWording ?correct }
  OPTIONAL { ?correction rdfs:comment ?note }
  OPTIONAL { ?correction nkg:correctsText ?segment . ?segment oa:hasSource ?article ;
             oa:hasSelector [ oa:start ?start ; oa:end ?end ] }
} ORDER BY ?start ?correction
"""

#: Every event with its day (if known), status, whether the day was worked out from a relative word,
#: and the words that give the day.
EVENTS = """
SELECT ?event (SAMPLE(?l) AS ?label) (SAMPLE(?d) AS ?date) (SAMPLE(?sl) AS ?status) (SAMPLE(?r) AS ?resolved)
       (SAMPLE(?w) AS ?asStated) (SAMPLE(?quote) AS ?dateQuote) (SAMPLE(?start) AS ?quoteStart)
       (SAMPLE(?end) AS ?quoteEnd) (SAMPLE(?article) AS ?quoteArticle) WHERE {
  ?event a nkg:Event .
  OPTIONAL { ?event rdfs:label ?l }
  OPTIONAL { ?event nkg:date ?d
             OPTIONAL { ?ax owl:annotatedSource ?event ; owl:annotatedProperty nkg:date ; nkg:evidence ?segment .
                        ?segment oa:hasSource ?article ; oa:hasSelector ?q , ?pos .
                        ?q oa:exact ?quote . ?pos oa:start ?start ; oa:end ?end . } }
  OPTIONAL { ?event nkg:status/rdfs:label ?sl }
  OPTIONAL { ?event nkg:dateResolved ?r }
  OPTIONAL { ?event nkg:dateAsStated ?w }
} GROUP BY ?event ORDER BY ?date ?label ?event
"""

#: Who takes part in which event (hosts and organisers included, through the ontology's inferences).
EVENT_ACTORS = """
SELECT DISTINCT ?event ?actor (SAMPLE(?l) AS ?label) WHERE {
  ?event a nkg:Event ; nkg:hasParticipant|nkg:hostedBy|nkg:organisedBy ?actor .
  OPTIONAL { ?actor rdfs:label ?l }
} GROUP BY ?event ?actor ORDER BY ?label ?actor
"""

ARTICLE = """
SELECT ?body ?title ?date WHERE {
  $this schema:articleBody ?body .
  OPTIONAL { $this rdfs:label ?title } OPTIONAL { $this schema:datePublished ?date }
}
"""

#: The article's text segments with what each supports: one row per statement the segment is evidence for.
SEGMENTS = """
SELECT ?segment ?start ?end ?s ?p ?o ?sLabel ?pLabel ?oLabel ?subjectIsClaim WHERE {
  ?segment oa:hasSource $this ; oa:hasSelector ?pos . ?pos oa:start ?start ; oa:end ?end .
  OPTIONAL {
    ?ax nkg:evidence ?segment ; owl:annotatedSource ?s ; owl:annotatedProperty ?p ; owl:annotatedTarget ?o .
    OPTIONAL { ?s rdfs:label ?sLabel } OPTIONAL { ?p rdfs:label ?pLabel } OPTIONAL { ?o rdfs:label ?oLabel }
    BIND(EXISTS { { ?s a nkg:Claim } UNION { ?s a nkg:Proposition } } AS ?subjectIsClaim)
  }
} ORDER BY ?start ?end ?segment ?s ?p ?o
"""

#: Segments that are the words a correction corrects, or a claimant's own words.
SEGMENT_ROLES = """
SELECT ?segment ?role ?thing ?label WHERE {
  { ?thing nkg:correctsText ?segment BIND("correction" AS ?role) }
  UNION { ?thing nkg:quotation ?segment BIND("claim" AS ?role) }
  ?segment oa:hasSource $this .
  OPTIONAL { ?thing rdfs:label ?label }
} ORDER BY ?segment ?role ?thing
"""

#: The kinds of thing the graph view draws, in order of precedence for a node's colour.
GRAPH_KINDS = ("Agent", "Event", "Proposal", "Place")

GRAPH_NODES = """
SELECT ?node (SAMPLE(?l) AS ?label) (GROUP_CONCAT(DISTINCT STRAFTER(STR(?kind), "#")) AS ?kinds) WHERE {
  VALUES ?kind { nkg:Agent nkg:Event nkg:Proposal nkg:Place }
  ?node a ?kind . FILTER(isIRI(?node))
  OPTIONAL { ?node rdfs:label ?l }
} GROUP BY ?node ORDER BY ?node
"""

#: Asserted links between two nodes of the graph view.
GRAPH_EDGES = """
SELECT DISTINCT ?s ?p ?o (SAMPLE(?pl) AS ?label) WHERE {
  VALUES ?ks { nkg:Agent nkg:Event nkg:Proposal nkg:Place }
  VALUES ?ko { nkg:Agent nkg:Event nkg:Proposal nkg:Place }
  GRAPH ?g { ?s ?p ?o } FILTER(?g != graph:inferred && ?g != graph:ontology && isIRI(?o))
  ?s a ?ks . ?o a ?ko .
  OPTIONAL { ?p rdfs:label ?pl }
} GROUP BY ?s ?p ?o ORDER BY ?s ?p ?o
"""

#: Things by label or alias; prefix matches first, then shorter labels.
SEARCH = """
SELECT ?thing (SAMPLE(?l) AS ?label) (SAMPLE(?m) AS ?matched) (SAMPLE(?tl) AS ?type)
       (MIN(IF(STRSTARTS(LCASE(STR(?m)), $q), 0, 1)) AS ?rank) WHERE {
  ?thing rdfs:label|skos:altLabel ?m . FILTER(isIRI(?thing) && CONTAINS(LCASE(STR(?m)), $q))
  ?thing rdfs:label ?l .
  OPTIONAL { GRAPH ?g { ?thing a ?t } FILTER(?g != graph:inferred) ?t rdfs:label ?tl }
} GROUP BY ?thing ORDER BY ?rank STRLEN(?label) ?label ?thing LIMIT 12
"""

#: What the home page lists: things of the story's main kinds, each once, under its first kind.
HOME_SECTIONS = (
    ("Person", "People"),
    ("Organisation", "Organisations and groups"),
    ("Event", "Events"),
    ("Proposal", "Proposals"),
    ("Place", "Places"),
    ("Claim", "Claims"),
)
HOME = """
SELECT ?thing (SAMPLE(?l) AS ?label) (GROUP_CONCAT(DISTINCT STRAFTER(STR(?kind), "#")) AS ?kinds) WHERE {
  VALUES ?kind { nkg:Person nkg:Organisation nkg:Group nkg:Event nkg:Proposal nkg:Place nkg:Claim }
  ?thing a ?kind ; rdfs:label ?l . FILTER(isIRI(?thing))
} GROUP BY ?thing ORDER BY ?label ?thing
"""

ARTICLES = """
SELECT ?article (SAMPLE(?t) AS ?title) (SAMPLE(?d) AS ?date) WHERE {
  ?article schema:articleBody ?body .
  OPTIONAL { ?article rdfs:label ?t } OPTIONAL { ?article schema:datePublished ?d }
} GROUP BY ?article ORDER BY DESC(?date) ?article
"""


def _v(row: Row, name: str) -> str | None:
    return row[name].value if name in row else None


def _int(row: Row, name: str) -> int | None:
    return int(row[name]) if name in row else None


# -- claims and corrections --------------------------------------------------------------------------------


@dataclass
class Proposition:
    subject: str | None
    subject_label: str | None
    predicate: str | None
    predicate_label: str | None
    object: str | None
    object_label: str | None
    value: str | None


@dataclass
class Claim:
    """A claim as the entity page lists it: who, with which verb, how established, saying what."""

    iri: str
    label: str | None
    #: 'by' (the entity makes it) or 'about' (its content names the entity).
    role: str
    claimant: str | None = None
    claimant_label: str | None = None
    verb: str | None = None
    status: str | None = None
    through: str | None = None
    through_label: str | None = None
    quote: str | None = None
    article: str | None = None
    start: int | None = None
    end: int | None = None
    propositions: list[Proposition] = field(default_factory=list)
    #: Other properties of the claim (predicate IRI, predicate label, value Term, value label).
    details: list[tuple[str, str | None, Term, str | None]] = field(default_factory=list)


def claims(reader: Reader, iri: str) -> list[Claim]:
    """Claims made by the thing and claims about it; a claim that is both is listed as 'by'."""
    found: dict[str, Claim] = {}
    seen_props: set[tuple[str, str]] = set()
    for row in reader.select(CLAIMS, this=iri):
        key = row["claim"].value
        claim = found.get(key)
        if claim is None:
            claim = found[key] = Claim(
                key,
                _v(row, "label"),
                row["role"].value,
                _v(row, "claimant"),
                _v(row, "claimantLabel"),
                _v(row, "verb"),
                _v(row, "statusLabel"),
                _v(row, "through"),
                _v(row, "throughLabel"),
                _v(row, "quote"),
                _v(row, "article"),
                _int(row, "start"),
                _int(row, "end"),
            )
        if "prop" in row and (key, row["prop"].value) not in seen_props:
            seen_props.add((key, row["prop"].value))
            claim.propositions.append(
                Proposition(
                    _v(row, "ps"),
                    _v(row, "psLabel"),
                    _v(row, "pp"),
                    _v(row, "ppLabel"),
                    _v(row, "po"),
                    _v(row, "poLabel"),
                    _v(row, "pv"),
                )
            )
    for row in reader.select(CLAIM_DETAILS, this=iri):
        claim = found.get(row["claim"].value)
        if claim is not None:
            claim.details.append((row["p"].value, _v(row, "pLabel"), row["o"], _v(row, "oLabel")))
    return list(found.values())


@dataclass
class Correction:
    iri: str
    label: str | None
    wording: str | None
    correct: str | None
    note: str | None
    article: str | None
    start: int | None
    end: int | None


def corrections(reader: Reader, iri: str) -> list[Correction]:
    """Corrections of the article's wording about the thing."""
    return [
        Correction(
            r["correction"].value,
            _v(r, "label"),
            _v(r, "wording"),
            _v(r, "correct"),
            _v(r, "note"),
            _v(r, "article"),
            _int(r, "start"),
            _int(r, "end"),
        )
        for r in reader.select(CORRECTIONS, this=iri)
    ]


# -- the timeline --------------------------------------------------------------------------------------


@dataclass
class Event:
    iri: str
    label: str | None
    #: The ISO day, or None for an undated event.
    day: str | None
    status: str | None
    #: True when the day was worked out from a relative word ("Friday night").
    resolved: bool
    as_stated: str | None
    quote: str | None
    article: str | None
    start: int | None
    end: int | None
    #: (IRI, label) of each participant, host or organiser.
    actors: list[tuple[str, str | None]] = field(default_factory=list)


def events(reader: Reader) -> list[Event]:
    """Every event, dated ones in date order first, then the undated."""
    found = {
        r["event"].value: Event(
            r["event"].value,
            _v(r, "label"),
            r["date"].value[:10] if "date" in r else None,
            _v(r, "status"),
            "resolved" in r and r["resolved"].is_true(),
            _v(r, "asStated"),
            _v(r, "dateQuote"),
            _v(r, "quoteArticle"),
            _int(r, "quoteStart"),
            _int(r, "quoteEnd"),
        )
        for r in reader.select(EVENTS)
    }
    for row in reader.select(EVENT_ACTORS):
        event = found.get(row["event"].value)
        if event is not None:
            event.actors.append((row["actor"].value, _v(row, "label")))
    return sorted(found.values(), key=lambda e: (e.day is None, e.day or "", e.label or "", e.iri))


# -- the article and its evidence -------------------------------------------------------------------------


@dataclass
class Supported:
    """A statement a text segment is evidence for."""

    subject: str
    subject_label: str | None
    predicate: str
    predicate_label: str | None
    object: Term
    object_label: str | None
    about_claim: bool


@dataclass
class Segment:
    iri: str
    start: int
    end: int
    statements: list[Supported] = field(default_factory=list)
    #: (role, IRI, label) for corrections of these words and claims quoting them.
    roles: list[tuple[str, str, str | None]] = field(default_factory=list)

    @property
    def kind(self) -> str:
        """'correction', 'claim' or 'fact': what the words are evidence of, the first that applies."""
        if any(role == "correction" for role, _, _ in self.roles):
            return "correction"
        if any(role == "claim" for role, _, _ in self.roles) or any(s.about_claim for s in self.statements):
            return "claim"
        return "fact"


@dataclass
class Article:
    iri: str
    title: str | None
    date: str | None
    body: str
    segments: list[Segment]


def article(reader: Reader, iri: str) -> Article | None:
    """The article's text and every segment of it that is evidence, or None if it has no text."""
    rows = reader.select(ARTICLE, this=iri)
    if not rows:
        return None
    head = rows[0]
    segments: dict[str, Segment] = {}
    for row in reader.select(SEGMENTS, this=iri):
        key = row["segment"].value
        segment = segments.setdefault(key, Segment(key, int(row["start"]), int(row["end"])))
        if "s" in row:
            segment.statements.append(
                Supported(
                    row["s"].value,
                    _v(row, "sLabel"),
                    row["p"].value,
                    _v(row, "pLabel"),
                    row["o"],
                    _v(row, "oLabel"),
                    "subjectIsClaim" in row and row["subjectIsClaim"].is_true(),
                )
            )
    for row in reader.select(SEGMENT_ROLES, this=iri):
        segment = segments.get(row["segment"].value)
        if segment is not None:
            segment.roles.append((row["role"].value, row["thing"].value, _v(row, "label")))
    ordered = sorted(segments.values(), key=lambda s: (s.start, -s.end, s.iri))
    return Article(iri, _v(head, "title"), _v(head, "date"), head["body"].value, ordered)


#: The build's coverage report of the article (``kg.coverage``): its figures, and the sentences no statement covers.
COVERAGE = """
SELECT ?sentences ?withFact ?claimOnly ?start ?end WHERE {
  $this nkg:coverage ?report .
  ?report nkg:contentSentences ?sentences ; nkg:sentencesWithFact ?withFact ; nkg:sentencesWithClaimOnly ?claimOnly .
  OPTIONAL { ?report nkg:uncoveredSentence ?sentence . ?sentence oa:start ?start ; oa:end ?end }
} ORDER BY ?start
"""


@dataclass(frozen=True)
class Coverage:
    """The build's figures for an article (``kg.coverage``): the page shows what ``kg coverage`` prints."""

    sentences: int
    with_fact: int
    with_claim_only: int
    #: [start, end) of each content sentence no statement covers.
    unmapped: tuple[tuple[int, int], ...]

    @property
    def with_statement(self) -> int:
        return self.with_fact + self.with_claim_only

    @property
    def percent(self) -> float:
        return 100.0 * self.with_statement / self.sentences if self.sentences else 0.0


def coverage(reader: Reader, iri: str) -> Coverage | None:
    """The build's coverage report of the article, or None when there is none (a store the build did not fill)."""
    rows = reader.select(COVERAGE, this=iri)
    if not rows:
        return None
    head = rows[0]
    unmapped = tuple((int(r["start"]), int(r["end"])) for r in rows if "start" in r)
    return Coverage(int(head["sentences"]), int(head["withFact"]), int(head["claimOnly"]), unmapped)


# -- the graph view, the home page, search ---------------------------------------------------------------


def graph_view(reader: Reader) -> dict:
    """Nodes (actors, events, proposals, places) and the asserted links between them, as cytoscape elements."""
    nodes = []
    ids = set()
    for row in reader.select(GRAPH_NODES):
        kinds = row["kinds"].value.split()
        kind = next(k for k in GRAPH_KINDS if k in kinds)
        ids.add(row["node"].value)
        nodes.append({"data": {"id": row["node"].value, "label": _v(row, "label") or row["node"].value, "kind": kind}})
    edges = [
        {
            "data": {
                "id": f"{r['s'].value} {r['p'].value} {r['o'].value}",
                "source": r["s"].value,
                "target": r["o"].value,
                "predicate": r["p"].value,
                "label": _v(r, "label") or r["p"].value.rsplit("#", 1)[-1],
            }
        }
        for r in reader.select(GRAPH_EDGES)
        if r["s"].value in ids and r["o"].value in ids
    ]
    return {"nodes": nodes, "edges": edges}


def home_sections(reader: Reader) -> list[tuple[str, list[tuple[str, str]]]]:
    """(heading, [(IRI, label)]) for each main kind of thing; each thing under the first kind it has."""
    sections: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in reader.select(HOME):
        kinds = row["kinds"].value.split()
        if "Group" in kinds:
            kinds.append("Organisation")
        kind = next((k for k, _ in HOME_SECTIONS if k in kinds), None)
        if kind is not None:
            sections[kind].append((row["thing"].value, row["label"].value))
    return [(heading, sections[kind]) for kind, heading in HOME_SECTIONS if sections[kind]]


def articles(reader: Reader) -> list[tuple[str, str | None, str | None]]:
    return [(r["article"].value, _v(r, "title"), _v(r, "date")) for r in reader.select(ARTICLES)]


def search(reader: Reader, text: str) -> list[dict]:
    """Up to 12 things whose label or alias contains ``text`` (case-insensitive)."""
    needle = text.strip().lower()[:100]
    if not needle:
        return []
    return [
        {"iri": r["thing"].value, "label": r["label"].value, "matched": r["matched"].value, "type": _v(r, "type")}
        for r in reader.select(SEARCH, q=ox.Literal(needle))
    ]


#: The article each asserted graph holds (its evidence quotes that article).
ARTICLE_GRAPHS = "SELECT ?g ?article WHERE { GRAPH ?g { ?article schema:articleBody ?body } } ORDER BY ?g ?article"


def article_graphs(reader: Reader) -> dict[str, str]:
    return {r["g"].value: r["article"].value for r in reader.select(ARTICLE_GRAPHS)}
