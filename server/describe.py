"""What the graph says about one IRI, read generically: kind, labels, types, statements with their evidence.

Nothing here knows the story's model beyond RDF, RDFS, OWL 2 annotated assertions (``owl:Axiom``
with ``nkg:evidence``) and Web Annotation selectors: a property added to the ontology shows up on
every page without a change here. The story's own notions (claims, corrections, events) are read in
``server.story``.

Asserted and inferred are told apart by named graph: a statement is asserted when a graph other
than the inferred graph holds it, inferred when only the inferred graph does.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from kg.namespaces import INFERRED_GRAPH
from server.reader import Reader, Row, Term

#: Predicates shown in the page's head (label, aliases, types), not among the statements.
HEAD_PREDICATES = (
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://www.w3.org/2004/02/skos/core#altLabel",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
)
#: Predicates whose (non-dataset) IRI values identify the thing elsewhere.
IDENTIFIER_PREDICATES = (
    "http://www.w3.org/2002/07/owl#sameAs",
    "http://www.w3.org/2004/02/skos/core#exactMatch",
    "http://www.w3.org/2004/02/skos/core#closeMatch",
    "https://schema.org/sameAs",
    "http://www.w3.org/2000/01/rdf-schema#seeAlso",
    "http://xmlns.com/foaf/0.1/isPrimaryTopicOf",
)

#: What an IRI names, one row per kind that fits. Rows, not EXISTS: stores type computed booleans
#: their own way. BOUND: Virtuoso 7.2, given named-graph-uri, answers a GRAPH over a graph it does
#: not hold with one row of unbound variables (a FILTER inside the subquery does not drop it).
KIND = """
SELECT ?kind WHERE {
  { SELECT ("ontology" AS ?kind) WHERE { $this a owl:Ontology } LIMIT 1 }
  UNION { { SELECT ("graph" AS ?kind) ?gp WHERE { GRAPH $this { ?gs ?gp ?go } } LIMIT 1 } FILTER(BOUND(?gp)) }
  UNION { SELECT ("article" AS ?kind) WHERE { $this schema:articleBody ?body } LIMIT 1 }
  UNION { SELECT ("thing" AS ?kind) WHERE { { $this ?p ?o } UNION { ?s ?q $this } } LIMIT 1 }
}
"""

#: The Linked Data description of a thing: its own triples, incoming links from IRIs, the labels
#: of its neighbours, the axioms that carry the evidence of both, with their text segments and
#: selectors; and the triples of its hash IRIs (an article's ``#char=`` segments).
DESCRIPTION = """
CONSTRUCT { ?s ?p ?o } WHERE {
  { $this ?p ?o BIND($this AS ?s) }
  UNION { ?s ?p $this FILTER(isIRI(?s)) BIND($this AS ?o) }
  UNION { { $this ?x ?s } UNION { ?s ?x $this } FILTER(isIRI(?s)) ?s rdfs:label ?o BIND(rdfs:label AS ?p) }
  UNION { { ?s owl:annotatedSource $this } UNION { ?s owl:annotatedTarget $this } ?s a owl:Axiom ; ?p ?o }
  UNION { { ?ax owl:annotatedSource $this } UNION { ?ax owl:annotatedTarget $this }
          ?ax a owl:Axiom ; nkg:evidence ?s . ?s ?p ?o }
  UNION { { ?ax owl:annotatedSource $this } UNION { ?ax owl:annotatedTarget $this }
          ?ax a owl:Axiom ; nkg:evidence/oa:hasSelector ?s . ?s ?p ?o }
  UNION { ?s ?p ?o FILTER(isIRI(?s) && STRSTARTS(STR(?s), CONCAT(STR($this), "#"))) }
  UNION { ?seg oa:hasSelector ?s FILTER(isIRI(?seg) && STRSTARTS(STR(?seg), CONCAT(STR($this), "#"))) ?s ?p ?o }
}
"""

#: A named graph's triples (dereferencing a graph IRI gives its content, as the Graph Store Protocol does).
GRAPH_CONTENT = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH $this { ?s ?p ?o } }"

LABELS = """
SELECT ?label ?alt WHERE { { $this rdfs:label ?label } UNION { $this skos:altLabel ?alt } }
ORDER BY ?label ?alt
"""

TYPES = """
SELECT ?type (SAMPLE(?l) AS ?label) (SUM(IF(?g = graph:inferred, 0, 1)) AS ?asserted) WHERE {
  GRAPH ?g { $this a ?type }
  OPTIONAL { ?type rdfs:label ?l }
} GROUP BY ?type ORDER BY DESC(?asserted) ?label ?type
"""

#: Statements with the thing as subject; ``?g`` each graph that holds one.
OUTGOING = """
SELECT ?p ?o ?g (SAMPLE(?pl) AS ?pLabel) (SAMPLE(?ol) AS ?oLabel) WHERE {
  GRAPH ?g { $this ?p ?o }
  FILTER(?p NOT IN (rdfs:label, skos:altLabel, rdf:type))
  OPTIONAL { ?p rdfs:label ?pl }
  OPTIONAL { ?o rdfs:label ?ol }
} GROUP BY ?p ?o ?g ORDER BY ?p ?o ?g
"""

#: Statements with the thing as object, from named things (axioms and selectors are evidence, not links).
INCOMING = """
SELECT ?s ?p ?g (SAMPLE(?pl) AS ?pLabel) (SAMPLE(?sl) AS ?sLabel) WHERE {
  GRAPH ?g { ?s ?p $this }
  FILTER(isIRI(?s))
  OPTIONAL { ?p rdfs:label ?pl }
  OPTIONAL { ?s rdfs:label ?sl }
} GROUP BY ?s ?p ?g ORDER BY ?p ?s ?g
"""

#: The evidence of the statements about the thing: a quote located in an article, or a source. A
#: statement's evidence is on its owl:Axiom; a Web Annotation about the thing (a mention: the thing as
#: its body) is its own evidence, the words it targets.
EVIDENCE = """
SELECT ?s ?p ?o ?segment ?article ?quote ?start ?end ?source WHERE {
  { { ?ax owl:annotatedSource $this } UNION { ?ax owl:annotatedTarget $this }
    ?ax a owl:Axiom ; owl:annotatedSource ?s ; owl:annotatedProperty ?p ; owl:annotatedTarget ?o .
    OPTIONAL { ?ax nkg:evidence ?segment .
               ?segment oa:hasSource ?article ; oa:hasSelector ?q , ?pos .
               ?q oa:exact ?quote . ?pos oa:start ?start ; oa:end ?end . }
    OPTIONAL { ?ax dcterms:source ?source } }
  UNION { ?s oa:hasBody $this ; oa:hasTarget ?segment . BIND(oa:hasBody AS ?p) BIND($this AS ?o)
          ?segment oa:hasSource ?article ; oa:hasSelector ?q , ?pos .
          ?q oa:exact ?quote . ?pos oa:start ?start ; oa:end ?end . }
} ORDER BY ?s ?p ?o ?start ?source
"""

#: Every article that mentions the thing, or whose words are evidence for a statement about it.
ARTICLES = """
SELECT ?article (SAMPLE(?t) AS ?title) (SAMPLE(?d) AS ?date) (COUNT(DISTINCT ?segment) AS ?passages) WHERE {
  { { ?ax owl:annotatedSource $this } UNION { ?ax owl:annotatedTarget $this } ?ax nkg:evidence ?segment }
  UNION { ?annotation oa:hasBody $this ; oa:hasTarget ?segment }
  ?segment oa:hasSource ?article .
  OPTIONAL { ?article rdfs:label ?t } OPTIONAL { ?article schema:datePublished ?d }
} GROUP BY ?article ORDER BY ?date ?article
"""


@dataclass(frozen=True)
class Evidence:
    """Where a statement comes from: words of an article (with offsets), or an outside source."""

    quote: str | None = None
    article: str | None = None
    start: int | None = None
    end: int | None = None
    source: str | None = None


@dataclass
class Statement:
    """One triple about the thing, with the graphs that hold it and its evidence."""

    subject: Term
    predicate: Term
    object: Term
    predicate_label: str | None
    #: The label of the other end (the object of an outgoing statement, the subject of an incoming one).
    other_label: str | None
    graphs: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def inferred(self) -> bool:
        """True when only the inferred graph holds it."""
        return all(g == str(INFERRED_GRAPH) for g in self.graphs)

    @property
    def asserted_in(self) -> list[str]:
        return [g for g in self.graphs if g != str(INFERRED_GRAPH)]

    def key(self) -> tuple[str, str, str]:
        return (self.subject.nt(), self.predicate.nt(), self.object.nt())


@dataclass
class Description:
    """What a page about one thing shows, apart from the story's own sections (``server.story``)."""

    iri: str
    label: str | None
    aliases: list[str]
    #: (type IRI, label, asserted?) each.
    types: list[tuple[str, str | None, bool]]
    outgoing: list[Statement]
    incoming: list[Statement]
    #: Articles whose words are evidence, each (IRI, title, date, number of passages).
    articles: list[tuple[str, str | None, str | None, int]]
    #: IRIs of other datasets or pages that identify the thing or state its facts.
    identifiers: list[str]


def resource_kind(reader: Reader, iri: str) -> str | None:
    """'ontology', 'graph', 'article' or 'thing' for an IRI the dataset uses; None for one it does not."""
    kinds = {row["kind"].value for row in reader.select(KIND, this=iri)}
    return next((kind for kind in ("ontology", "graph", "article", "thing") if kind in kinds), None)


def describe(reader: Reader, iri: str) -> Description:
    labels = reader.select(LABELS, this=iri)
    label = next((r["label"].value for r in labels if "label" in r), None)
    aliases = sorted({r["alt"].value for r in labels if "alt" in r})
    types = [
        (r["type"].value, r["label"].value if "label" in r else None, int(r["asserted"]) > 0)
        for r in reader.select(TYPES, this=iri)
        if r["type"].is_iri
    ]
    this = Term("uri", iri)
    outgoing = _statements(reader.select(OUTGOING, this=iri), lambda r: (this, r["p"], r["o"]), "oLabel")
    incoming = _statements(reader.select(INCOMING, this=iri), lambda r: (r["s"], r["p"], this), "sLabel")
    by_key = {s.key(): s for s in (*outgoing, *incoming)}
    sources: list[str] = []
    for row in reader.select(EVIDENCE, this=iri):
        statement = by_key.get((row["s"].nt(), row["p"].nt(), row["o"].nt()))
        if "source" in row and row["source"].value not in sources:
            sources.append(row["source"].value)
        if statement is None:
            continue
        if "quote" in row:
            statement.evidence.append(
                Evidence(row["quote"].value, row["article"].value, int(row["start"]), int(row["end"]))
            )
        if "source" in row:
            statement.evidence.append(Evidence(source=row["source"].value))
    articles = [
        (r["article"].value, _value(r, "title"), _value(r, "date"), int(r["passages"]))
        for r in reader.select(ARTICLES, this=iri)
    ]
    identifiers = [
        s.object.value for s in outgoing if s.predicate.value in IDENTIFIER_PREDICATES and s.object.is_iri
    ] + sources
    return Description(iri, label, aliases, types, outgoing, incoming, articles, list(dict.fromkeys(identifiers)))


def _value(row: Row, name: str) -> str | None:
    return row[name].value if name in row else None


def _statements(rows: list[Row], triple, label_name: str) -> list[Statement]:
    """Rows of OUTGOING or INCOMING, one Statement per triple (its graphs gathered); asserted ones first."""
    statements: dict[tuple, Statement] = {}
    for row in rows:
        s, p, o = triple(row)
        key = (s.nt(), p.nt(), o.nt())
        if key not in statements:
            statements[key] = Statement(s, p, o, _value(row, "pLabel"), _value(row, label_name))
        statements[key].graphs.append(row["g"].value)
    ordered = sorted(statements.values(), key=lambda st: (st.inferred, st.predicate_label or st.predicate.value))
    return ordered


def group_by_predicate(statements: list[Statement]) -> list[tuple[Term, str | None, list[Statement]]]:
    """Statements grouped by predicate, groups in the statements' order."""
    groups: dict[str, list[Statement]] = defaultdict(list)
    for statement in statements:
        groups[statement.predicate.value].append(statement)
    return [(group[0].predicate, group[0].predicate_label, group) for group in groups.values()]


NAMED_GRAPH = """
SELECT (COUNT(*) AS ?triples) (COUNT(DISTINCT ?s) AS ?subjects) WHERE { GRAPH $this { ?s ?p ?o } }
"""

#: The named things a graph says most about.
GRAPH_SUBJECTS = """
SELECT ?thing (SAMPLE(?l) AS ?label) (COUNT(*) AS ?triples) WHERE {
  GRAPH $this { ?thing ?p ?o } FILTER(isIRI(?thing))
  OPTIONAL { ?thing rdfs:label ?l }
} GROUP BY ?thing ORDER BY DESC(?triples) ?thing LIMIT 200
"""


@dataclass
class NamedGraph:
    iri: str
    triples: int
    subjects: int
    #: (IRI, label, number of triples) of its most described named subjects (200 at most).
    things: list[tuple[str, str | None, int]]


def named_graph(reader: Reader, iri: str) -> NamedGraph:
    counts = reader.select(NAMED_GRAPH, this=iri)[0]
    things = [
        (r["thing"].value, _value(r, "label"), int(r["triples"])) for r in reader.select(GRAPH_SUBJECTS, this=iri)
    ]
    return NamedGraph(iri, int(counts["triples"]), int(counts["subjects"]), things)
