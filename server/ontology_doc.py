"""The ontology's documentation, served at the ontology's IRI: every term with its label, definition,
hierarchy, domain and range, and how much of the data uses it.

Generated from SPARQL over the graph that holds the ontology (as pyLODE generates its pages from the
ontology, but here from the served data, so the counts are those of the dataset). Each term's
section has its local name as ``id``, so ``nkg:Person`` (``.../ontology#Person``) lands on it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from server.reader import Reader, Term

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"

#: The ontology graph's triples: the ontology document in RDF.
ONTOLOGY_CONTENT = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { $this a owl:Ontology } GRAPH ?g { ?s ?p ?o } }"

HEADER = """
SELECT ?p ?o WHERE { GRAPH ?g { $this a owl:Ontology ; ?p ?o } } ORDER BY ?p ?o
"""

#: What the ontology says about each term it defines, with the labels of the terms it names.
TERMS = """
SELECT ?term ?p ?o (SAMPLE(?l) AS ?oLabel) WHERE {
  GRAPH ?g { $this a owl:Ontology . ?term rdfs:isDefinedBy $this ; ?p ?o }
  OPTIONAL { ?o rdfs:label ?l }
} GROUP BY ?term ?p ?o ORDER BY ?term ?p ?o
"""

#: Individuals of each class (inferred memberships included) and statements using each property.
USAGE = """
SELECT ?term (COUNT(DISTINCT ?x) AS ?members) (COUNT(DISTINCT ?use) AS ?uses) WHERE {
  ?term rdfs:isDefinedBy $this .
  OPTIONAL { ?x a ?term . FILTER NOT EXISTS { ?x a owl:Class } }
  OPTIONAL { ?s ?term ?y . FILTER(?s != ?term) BIND(CONCAT(STR(?s), " ", STR(?y)) AS ?use) }
} GROUP BY ?term
"""

#: Sections of the page: (heading, anchor, the rdf:type that puts a term there), in order.
SECTIONS = (
    ("Classes", "classes", OWL + "Class"),
    ("Object properties", "object-properties", OWL + "ObjectProperty"),
    ("Datatype properties", "datatype-properties", OWL + "DatatypeProperty"),
    ("Annotation properties", "annotation-properties", OWL + "AnnotationProperty"),
    ("Named individuals", "individuals", OWL + "NamedIndividual"),
)
#: Characteristics shown beside a property (its other rdf:types).
CHARACTERISTICS = {
    OWL + name: name.removesuffix("Property").lower()
    for name in (
        "FunctionalProperty",
        "InverseFunctionalProperty",
        "TransitiveProperty",
        "SymmetricProperty",
        "AsymmetricProperty",
        "ReflexiveProperty",
        "IrreflexiveProperty",
    )
}


@dataclass
class Link:
    iri: str
    label: str | None


@dataclass
class TermDoc:
    iri: str
    anchor: str
    label: str | None = None
    definition: str | None = None
    notes: list[str] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    parents: list[Link] = field(default_factory=list)
    children: list[Link] = field(default_factory=list)
    domain: list[Link] = field(default_factory=list)
    range: list[Link] = field(default_factory=list)
    inverse: list[Link] = field(default_factory=list)
    members_of: list[Link] = field(default_factory=list)
    #: For a class: individuals; for a property: statements.
    members: int = 0
    uses: int = 0
    #: Other statements about the term: (predicate IRI, value).
    other: list[tuple[str, Term, str | None]] = field(default_factory=list)

    @property
    def characteristics(self) -> list[str]:
        return [CHARACTERISTICS[t] for t in self.types if t in CHARACTERISTICS]


@dataclass
class OntologyDoc:
    iri: str
    #: (predicate IRI, value) of the ontology's header, in order.
    header: list[tuple[str, Term]]
    #: (heading, anchor, terms) per section.
    sections: list[tuple[str, str, list[TermDoc]]]

    def first(self, predicate: str) -> str | None:
        return next((o.value for p, o in self.header if p == predicate), None)


_SHOWN = {
    RDFS + "label",
    SKOS + "definition",
    RDFS + "comment",
    SKOS + "note",
    SKOS + "example",
    RDF + "type",
    RDFS + "subClassOf",
    RDFS + "subPropertyOf",
    RDFS + "domain",
    RDFS + "range",
    OWL + "inverseOf",
    RDFS + "isDefinedBy",
}


def document(reader: Reader, iri: str) -> OntologyDoc:
    terms: dict[str, TermDoc] = {}
    for row in reader.select(TERMS, this=iri):
        term_iri = row["term"].value
        doc = terms.setdefault(term_iri, TermDoc(term_iri, _anchor(term_iri)))
        _add(doc, row["p"].value, row["o"], row["oLabel"].value if "oLabel" in row else None)
    for doc in terms.values():
        for parent in doc.parents:
            if parent.iri in terms:
                terms[parent.iri].children.append(Link(doc.iri, doc.label))
    for row in reader.select(USAGE, this=iri):
        doc = terms.get(row["term"].value)
        if doc is not None:
            doc.members, doc.uses = int(row["members"]), int(row["uses"])
    by_section: dict[str, list[TermDoc]] = defaultdict(list)
    for doc in sorted(terms.values(), key=lambda d: (d.label or d.anchor).lower()):
        section = next((t for _, _, t in SECTIONS if t in doc.types), None)
        if section is not None:
            by_section[section].append(doc)
    header = [(r["p"].value, r["o"]) for r in reader.select(HEADER, this=iri)]
    sections = [(heading, anchor, by_section[t]) for heading, anchor, t in SECTIONS if by_section[t]]
    return OntologyDoc(iri, header, sections)


def _anchor(iri: str) -> str:
    return iri.rsplit("#", 1)[-1] if "#" in iri else iri.rstrip("/").rsplit("/", 1)[-1]


def _add(doc: TermDoc, predicate: str, value: Term, label: str | None) -> None:
    link = Link(value.value, label)
    if predicate == RDFS + "label":
        doc.label = value.value
    elif predicate == SKOS + "definition":
        doc.definition = value.value
    elif predicate in (RDFS + "comment", SKOS + "note"):
        if value.value != doc.definition:
            doc.notes.append(value.value)
    elif predicate == SKOS + "example":
        doc.examples.append(value.value)
    elif predicate == RDF + "type" and value.is_iri:
        doc.types.append(value.value)
        if not value.value.startswith(OWL):
            doc.members_of.append(link)
    elif predicate in (RDFS + "subClassOf", RDFS + "subPropertyOf") and value.is_iri:
        doc.parents.append(link)
    elif predicate == RDFS + "domain" and value.is_iri:
        doc.domain.append(link)
    elif predicate == RDFS + "range" and value.is_iri:
        doc.range.append(link)
    elif predicate == OWL + "inverseOf" and value.is_iri:
        doc.inverse.append(link)
    elif predicate not in _SHOWN and value.kind != "bnode":
        doc.other.append((predicate, value, label))
