"""What the ontology declares, for resolving the names a mapping uses ("Summit", "hasParticipant")."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from kg.namespaces import NKG, PREFIXES


class PropertyKind(Enum):
    """The three kinds of OWL property; the kind decides how a mapping value is read."""

    OBJECT = OWL.ObjectProperty
    DATATYPE = OWL.DatatypeProperty
    ANNOTATION = OWL.AnnotationProperty


@dataclass(frozen=True)
class Property:
    """A declared property with what a mapping needs to know about it."""

    iri: URIRef
    kind: PropertyKind
    range: URIRef | None


class Vocabulary:
    """The classes, properties and named individuals an ontology graph declares."""

    def __init__(self, ontology: Graph) -> None:
        self.classes = set(ontology.subjects(RDF.type, OWL.Class))
        self.individuals = set(ontology.subjects(RDF.type, OWL.NamedIndividual))
        self.types = {i: set(ontology.objects(i, RDF.type)) for i in self.individuals}
        self.properties: dict[URIRef, Property] = {}
        for kind in PropertyKind:
            for iri in ontology.subjects(RDF.type, kind.value):
                self.properties[iri] = Property(iri, kind, ontology.value(iri, RDFS.range))
        self.labels = {s: str(o) for s, o in ontology.subject_objects(RDFS.label) if o.language == "en"}
        self.definitions = {s: str(o) for s, o in ontology.subject_objects(SKOS.definition) if o.language == "en"}
        self._parents = {p: set(ontology.objects(p, RDFS.subPropertyOf)) for p in self.properties}
        #: Functional properties: one value per subject.
        self.functional = set(ontology.subjects(RDF.type, OWL.FunctionalProperty))
        self._superclasses = {c: _closure(ontology, c, RDFS.subClassOf) for c in self.classes}
        self._disjoint = {frozenset(pair) for pair in ontology.subject_objects(OWL.disjointWith)}
        for axiom in ontology.subjects(RDF.type, OWL.AllDisjointClasses):
            for head in ontology.objects(axiom, OWL.members):
                members = list(ontology.items(head))
                self._disjoint |= {frozenset((a, b)) for i, a in enumerate(members) for b in members[i + 1 :]}
        self._inverses = {s: o for s, o in ontology.subject_objects(OWL.inverseOf)}
        self._inverses.update({o: s for s, o in ontology.subject_objects(OWL.inverseOf)})

    def expand(self, name: str) -> URIRef:
        """Expand ``prefix:local`` with the project's prefixes, or a bare name in the nkg namespace.

        >>> Vocabulary(Graph()).expand("skos:altLabel")
        rdflib.term.URIRef('http://www.w3.org/2004/02/skos/core#altLabel')
        >>> Vocabulary(Graph()).expand("Summit")
        rdflib.term.URIRef('https://w3id.org/newskg/ontology#Summit')
        """
        prefix, colon, local = name.partition(":")
        if colon and prefix in PREFIXES:
            return PREFIXES[prefix][local]
        return NKG[name]

    @staticmethod
    def name_of(iri: URIRef) -> str | None:
        """The name a mapping uses for a term: its local name in the nkg namespace, else prefixed.

        >>> Vocabulary.name_of(NKG.Summit), Vocabulary.name_of(URIRef("http://www.w3.org/2004/02/skos/core#note"))
        ('Summit', 'skos:note')
        """
        local = str(iri).removeprefix(str(NKG))
        if local != str(iri):
            return local
        for prefix, namespace in PREFIXES.items():
            rest = str(iri).removeprefix(str(namespace))
            if rest != str(iri) and rest and prefix != "nkg":
                return f"{prefix}:{rest}"
        return None

    def class_from_name(self, name: str) -> URIRef | None:
        iri = self.expand(name)
        return iri if iri in self.classes else None

    def property_from_name(self, name: str) -> Property | None:
        return self.properties.get(self.expand(name))

    def individual_from_name(self, name: str, of_class: URIRef | None = None) -> URIRef | None:
        """The named individual ``name`` stands for (of ``of_class``, if given), or None."""
        iri = self.expand(name)
        if iri not in self.individuals or (of_class is not None and of_class not in self.types[iri]):
            return None
        return iri

    def individuals_of(self, cls: URIRef) -> list[URIRef]:
        return sorted(i for i, types in self.types.items() if cls in types)

    def is_a(self, cls: URIRef, ancestor: URIRef) -> bool:
        """Whether ``cls`` is ``ancestor`` or one of its subclasses."""
        return ancestor in self._superclasses.get(cls, {cls})

    def disjoint(self, first: URIRef, second: URIRef) -> bool:
        """Whether nothing can be both a ``first`` and a ``second`` (the classes or superclasses are disjoint)."""
        above = self._superclasses.get(first, {first}), self._superclasses.get(second, {second})
        return any(frozenset((a, b)) in self._disjoint for a in above[0] for b in above[1])

    def entailed(self, subject, prop: URIRef, obj) -> set[tuple]:
        """The triples that ``subject prop obj`` entails through super-properties and inverses.

        A claim that Putin *demands* something also says that he *proposes* it, and that it is
        *proposed by* him: asserting any of these as a fact asserts part of the claim.
        """
        found, todo, seen = set(), [prop], set()
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            found.add((subject, current, obj))
            if current in self._inverses:
                found.add((obj, self._inverses[current], subject))
            todo.extend(self._parents.get(current, ()))
        return found


def _closure(graph: Graph, start: URIRef, prop: URIRef) -> set[URIRef]:
    """``start`` and everything it reaches through ``prop``."""
    found, todo = {start}, [start]
    while todo:
        for above in graph.objects(todo.pop(), prop):
            if above not in found:
                found.add(above)
                todo.append(above)
    return found
