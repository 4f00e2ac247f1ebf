"""``kg explain``: why an inferred triple holds, as a proof tree of OWL 2 RL rules down to asserted triples.

owlrl does not record why it derived a triple, so the build records *when*: the round of the
closure in which each inferred triple first appeared. A triple of round n was derived from triples
of earlier rounds, so a proof can always be found among them, and searching only there keeps
proofs well-founded (no circular explanations). Rules carry their names from the W3C rule tables
(OWL 2 Profiles, section 4.3: ``prp-trp``, ``cax-sco``, ``prp-inv1`` ...).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from kg.dataset import ROUNDS_FILE, Manifest, triple_key
from kg.errors import KgError
from kg.namespaces import PREFIX_IRIS, PREFIXES, prefixed_name

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
TYPE = ox.NamedNode(RDF + "type")
SUBCLASS = ox.NamedNode(RDFS + "subClassOf")
SUBPROPERTY = ox.NamedNode(RDFS + "subPropertyOf")
DOMAIN = ox.NamedNode(RDFS + "domain")
RANGE = ox.NamedNode(RDFS + "range")
EQUIVALENT_CLASS = ox.NamedNode(OWL + "equivalentClass")
EQUIVALENT_PROPERTY = ox.NamedNode(OWL + "equivalentProperty")
INVERSE = ox.NamedNode(OWL + "inverseOf")
SAME_AS = ox.NamedNode(OWL + "sameAs")
CHAIN = ox.NamedNode(OWL + "propertyChainAxiom")
FIRST, REST, NIL = ox.NamedNode(RDF + "first"), ox.NamedNode(RDF + "rest"), ox.NamedNode(RDF + "nil")
SYMMETRIC = ox.NamedNode(OWL + "SymmetricProperty")
TRANSITIVE = ox.NamedNode(OWL + "TransitiveProperty")
FUNCTIONAL = ox.NamedNode(OWL + "FunctionalProperty")
SOME_VALUES_FROM = ox.NamedNode(OWL + "someValuesFrom")
ON_PROPERTY = ox.NamedNode(OWL + "onProperty")

Triple = tuple  # (subject, predicate, object) as Oxigraph terms


@dataclass
class Proof:
    """Why a triple holds: an asserted triple (with its evidence) or a rule applied to premises."""

    triple: Triple
    rule: str | None = None
    premises: list[Proof] = field(default_factory=list)
    graph: str | None = None
    evidence: list[dict] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        data: dict = {"triple": [str(term) for term in self.triple]}
        if self.rule:
            data["rule"] = self.rule
            data["premises"] = [p.to_json() for p in self.premises]
        else:
            data["asserted_in"] = self.graph
            if self.evidence:
                data["evidence"] = self.evidence
            if self.sources:
                data["sources"] = self.sources
        return data

    def to_text(self, depth: int = 0) -> str:
        indent = "  " * depth
        head = f"{indent}{' '.join(short(t) for t in self.triple)}"
        if self.rule:
            lines = [f"{head}    [{self.rule}]"] + [p.to_text(depth + 1) for p in self.premises]
            return "\n".join(lines)
        lines = [f"{head}    [asserted in {short(ox.NamedNode(self.graph))}]"]
        lines += [f'{indent}    evidence: chars {e["start"]}-{e["end"]}: "{e["quote"]}"' for e in self.evidence]
        lines += [f"{indent}    source: {s}" for s in self.sources]
        return "\n".join(lines)


def short(term) -> str:
    """A term as a prefixed name where one fits, else in N-Triples form."""
    if isinstance(term, ox.NamedNode) and prefixed_name(term.value):
        return prefixed_name(term.value)
    if isinstance(term, tuple):
        return "(" + " ".join(short(t) for t in term) + ")"
    return str(term)


def parse_term(text: str) -> ox.NamedNode | ox.Literal:
    """Read a term from the command line: ``a``, ``prefix:local``, ``<IRI>`` or a quoted literal.

    >>> parse_term("id:donetsk")
    <NamedNode value=https://w3id.org/newskg/id/donetsk>
    >>> parse_term("a")
    <NamedNode value=http://www.w3.org/1999/02/22-rdf-syntax-ns#type>
    >>> parse_term('"2025-08-15T00:00:00"^^xsd:dateTime')
    <Literal value=2025-08-15T00:00:00 datatype=<NamedNode value=http://www.w3.org/2001/XMLSchema#dateTime>>
    """
    if text == "a":
        return TYPE
    if text.startswith("<") and text.endswith(">"):
        return ox.NamedNode(text[1:-1])
    literal = re.fullmatch(r'"(.*)"(?:@([A-Za-z0-9-]+)|\^\^(\S+))?', text, re.DOTALL)
    if literal:
        value, language, datatype = literal.groups()
        if datatype:
            return ox.Literal(value, datatype=parse_term(datatype))
        return ox.Literal(value, language=language) if language else ox.Literal(value)
    prefix, colon, local = text.partition(":")
    if colon and prefix in PREFIXES:
        return ox.NamedNode(str(PREFIXES[prefix]) + local)
    if text.startswith(("http://", "https://", "urn:")):
        return ox.NamedNode(text)
    raise KgError(f"cannot read {text!r}: use prefix:name ({', '.join(PREFIXES)}), <IRI>, 'a', or a quoted literal")


class Explainer:
    """Finds proofs over a built dataset: asserted graphs, the inferred graph and its rounds."""

    def __init__(self, store: ox.Store, manifest: Manifest, build_dir: Path) -> None:
        self.store = store
        self.asserted = [ox.NamedNode(g.iri) for g in manifest.graphs if g.name != "inferred"]
        self.inferred = ox.NamedNode(next(g.iri for g in manifest.graphs if g.name == "inferred"))
        self.rounds = _read_rounds(build_dir / ROUNDS_FILE)
        self._proofs: dict[Triple, Proof | None] = {}

    def explain(self, triple: Triple) -> Proof | None:
        """A proof that ``triple`` holds, or None when it is neither asserted nor entailed."""
        if triple not in self._proofs:
            self._proofs[triple] = self._prove(triple)
        return self._proofs[triple]

    # -- facts ------------------------------------------------------------------------------------

    def round_of(self, triple: Triple) -> int | None:
        """0 for an asserted triple, its round for an inferred one, None otherwise.

        Membership of a restriction (an anonymous class) is filtered out of the inferred graph;
        its round is worked out from the premises of rule cls-svf1 instead.
        """
        if self._asserted_graph(triple) is not None:
            return 0
        found = self.rounds.get(triple_key(triple))
        if found is None and _restriction_membership(triple):
            rounds = [
                [self.round_of(premise) for premise in instance]
                for rule, instance in _type_rules(self, triple)
                if rule == "cls-svf1"
            ]
            known = [max(r) + 1 for r in rounds if None not in r]
            return min(known) if known else None
        return found

    def _asserted_graph(self, triple: Triple) -> ox.NamedNode | None:
        return next((g for g in self.asserted if ox.Quad(*triple, g) in self.store), None)

    def match(self, s=None, p=None, o=None) -> Iterator[Triple]:
        """Triples of the asserted and inferred graphs matching a pattern, each once."""
        seen = set()
        for graph in [*self.asserted, self.inferred]:
            for quad in self.store.quads_for_pattern(s, p, o, graph):
                triple = (quad.subject, quad.predicate, quad.object)
                if triple not in seen:
                    seen.add(triple)
                    yield triple

    def _list(self, head) -> list:
        items = []
        while head != NIL and len(items) < 16:
            items.append(next(self.match(head, FIRST, None))[2])
            head = next(self.match(head, REST, None))[2]
        return items

    # -- search ---------------------------------------------------------------------------------------

    def _prove(self, triple: Triple) -> Proof | None:
        graph = self._asserted_graph(triple)
        if graph is not None:
            return self._asserted_proof(triple, graph)
        target = self.round_of(triple)
        if target is None:
            return None
        for rule, instance in _instances(self, triple):
            rounds = [self.round_of(premise) for premise in instance if not isinstance(premise[2], list)]
            if all(r is not None and r < target for r in rounds):
                premises = [self._premise(premise) for premise in instance]
                return Proof(triple, rule=rule, premises=premises)
        return None

    def _premise(self, premise: Triple) -> Proof:
        if isinstance(premise[2], list):  # a property chain axiom, shown with its list
            head = next(self.match(premise[0], CHAIN, None))
            graph = self._asserted_graph(head) or self.inferred
            return Proof((premise[0], premise[1], tuple(premise[2])), graph=graph.value)
        return self.explain(premise)

    def _asserted_proof(self, triple: Triple, graph: ox.NamedNode) -> Proof:
        proof = Proof(triple, graph=graph.value)
        query = """
          SELECT ?g ?s ?p ?o ?quote ?start ?end ?source WHERE {
            GRAPH ?g { ?axiom owl:annotatedSource ?s ; owl:annotatedProperty ?p ; owl:annotatedTarget ?o .
              OPTIONAL { ?axiom nkg:evidence ?segment . ?segment oa:hasSelector ?q , ?pos .
                         ?q oa:exact ?quote . ?pos oa:start ?start ; oa:end ?end . }
              OPTIONAL { ?axiom dcterms:source ?source } } }
          ORDER BY ?start"""
        bindings = {ox.Variable("s"): triple[0], ox.Variable("p"): triple[1], ox.Variable("o"): triple[2]}
        bindings[ox.Variable("g")] = graph
        for row in self.store.query(query, prefixes=PREFIX_IRIS, substitutions=bindings):
            if row["quote"] is not None:
                proof.evidence.append(
                    {"quote": row["quote"].value, "start": int(row["start"].value), "end": int(row["end"].value)}
                )
            if row["source"] is not None and row["source"].value not in proof.sources:
                proof.sources.append(row["source"].value)
        return proof


def _read_rounds(path: Path) -> dict[str, int]:
    rounds = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        number, triple = line.split("\t", 1)
        rounds[triple] = int(number)
    return rounds


# -- the rules ------------------------------------------------------------------------------------------
# Each takes the explainer and a target triple and yields (rule name, premises) instances that would
# derive it. Premises whose object is a list stand for a property chain axiom.


def _type_rules(e: Explainer, t: Triple):
    x, _, c = t
    for sub, _, _ in e.match(None, SUBCLASS, c):
        if next(e.match(x, TYPE, sub), None) or (isinstance(sub, ox.BlankNode) and e.round_of((x, TYPE, sub))):
            yield "cax-sco", [(sub, SUBCLASS, c), (x, TYPE, sub)]
    if isinstance(c, ox.BlankNode):  # x p v, v a D, c someValuesFrom D on p: x is a member of c
        for _, _, d in e.match(c, SOME_VALUES_FROM, None):
            for _, _, p in e.match(c, ON_PROPERTY, None):
                for _, _, v in e.match(x, p, None):
                    if next(e.match(v, TYPE, d), None):
                        yield "cls-svf1", [(c, SOME_VALUES_FROM, d), (c, ON_PROPERTY, p), (x, p, v), (v, TYPE, d)]
    for other, _, _ in e.match(None, EQUIVALENT_CLASS, c):
        if next(e.match(x, TYPE, other), None):
            yield "cax-eqc2", [(other, EQUIVALENT_CLASS, c), (x, TYPE, other)]
    for _, _, other in e.match(c, EQUIVALENT_CLASS, None):
        if next(e.match(x, TYPE, other), None):
            yield "cax-eqc1", [(c, EQUIVALENT_CLASS, other), (x, TYPE, other)]
    for p, _, _ in e.match(None, DOMAIN, c):
        for used in e.match(x, p, None):
            yield "prp-dom", [(p, DOMAIN, c), used]
    for p, _, _ in e.match(None, RANGE, c):
        for used in e.match(None, p, x):
            yield "prp-rng", [(p, RANGE, c), used]


def _property_rules(e: Explainer, t: Triple):
    x, p, y = t
    for sub, _, _ in e.match(None, SUBPROPERTY, p):
        if next(e.match(x, sub, y), None):
            yield "prp-spo1", [(sub, SUBPROPERTY, p), (x, sub, y)]
    for other, _, _ in e.match(None, EQUIVALENT_PROPERTY, p):
        if next(e.match(x, other, y), None):
            yield "prp-eqp2", [(other, EQUIVALENT_PROPERTY, p), (x, other, y)]
    for _, _, other in e.match(p, EQUIVALENT_PROPERTY, None):
        if next(e.match(x, other, y), None):
            yield "prp-eqp1", [(p, EQUIVALENT_PROPERTY, other), (x, other, y)]
    for inverse, _, _ in e.match(None, INVERSE, p):
        if next(e.match(y, inverse, x), None):
            yield "prp-inv1", [(inverse, INVERSE, p), (y, inverse, x)]
    for _, _, inverse in e.match(p, INVERSE, None):
        if next(e.match(y, inverse, x), None):
            yield "prp-inv2", [(p, INVERSE, inverse), (y, inverse, x)]
    if next(e.match(p, TYPE, SYMMETRIC), None) and next(e.match(y, p, x), None):
        yield "prp-symp", [(p, TYPE, SYMMETRIC), (y, p, x)]
    if next(e.match(p, TYPE, TRANSITIVE), None):
        for _, _, z in e.match(x, p, None):
            if next(e.match(z, p, y), None):
                yield "prp-trp", [(p, TYPE, TRANSITIVE), (x, p, z), (z, p, y)]
    for _, _, head in e.match(p, CHAIN, None):
        chain = e._list(head)
        if len(chain) == 2:
            for _, _, z in e.match(x, chain[0], None):
                if next(e.match(z, chain[1], y), None):
                    yield "prp-spo2", [(p, CHAIN, chain), (x, chain[0], z), (z, chain[1], y)]


def _schema_rules(e: Explainer, t: Triple):
    s, p, o = t
    if p == SUBCLASS:
        for _, _, middle in e.match(s, SUBCLASS, None):
            if middle != s and middle != o and next(e.match(middle, SUBCLASS, o), None):
                yield "scm-sco", [(s, SUBCLASS, middle), (middle, SUBCLASS, o)]
        if next(e.match(s, EQUIVALENT_CLASS, o), None):
            yield "scm-eqc1", [(s, EQUIVALENT_CLASS, o)]
        if next(e.match(o, EQUIVALENT_CLASS, s), None):
            yield "scm-eqc1", [(o, EQUIVALENT_CLASS, s)]
    elif p == SUBPROPERTY:
        for _, _, middle in e.match(s, SUBPROPERTY, None):
            if middle != s and middle != o and next(e.match(middle, SUBPROPERTY, o), None):
                yield "scm-spo", [(s, SUBPROPERTY, middle), (middle, SUBPROPERTY, o)]
        if next(e.match(s, EQUIVALENT_PROPERTY, o), None):
            yield "scm-eqp1", [(s, EQUIVALENT_PROPERTY, o)]
        if next(e.match(o, EQUIVALENT_PROPERTY, s), None):
            yield "scm-eqp1", [(o, EQUIVALENT_PROPERTY, s)]
    elif p in (DOMAIN, RANGE):
        name = "dom" if p == DOMAIN else "rng"
        for _, _, narrower in e.match(s, p, None):
            if narrower != o and next(e.match(narrower, SUBCLASS, o), None):
                yield f"scm-{name}1", [(s, p, narrower), (narrower, SUBCLASS, o)]
        for _, _, wider in e.match(s, SUBPROPERTY, None):
            if wider != s and next(e.match(wider, p, o), None):
                yield f"scm-{name}2", [(wider, p, o), (s, SUBPROPERTY, wider)]
    elif p == EQUIVALENT_CLASS:
        if next(e.match(s, SUBCLASS, o), None) and next(e.match(o, SUBCLASS, s), None):
            yield "scm-eqc2", [(s, SUBCLASS, o), (o, SUBCLASS, s)]
    elif p == EQUIVALENT_PROPERTY:
        if next(e.match(s, SUBPROPERTY, o), None) and next(e.match(o, SUBPROPERTY, s), None):
            yield "scm-eqp2", [(s, SUBPROPERTY, o), (o, SUBPROPERTY, s)]
    elif p == SAME_AS:
        if next(e.match(o, SAME_AS, s), None):
            yield "eq-sym", [(o, SAME_AS, s)]
        for prop, _, _ in e.match(None, TYPE, FUNCTIONAL):
            for x, _, _ in e.match(None, prop, s):
                if next(e.match(x, prop, o), None):
                    yield "prp-fp", [(prop, TYPE, FUNCTIONAL), (x, prop, s), (x, prop, o)]


def _restriction_membership(t: Triple) -> bool:
    return t[1] == TYPE and isinstance(t[2], ox.BlankNode)


_SCHEMA_PREDICATES = {SUBCLASS, SUBPROPERTY, DOMAIN, RANGE, EQUIVALENT_CLASS, EQUIVALENT_PROPERTY, SAME_AS}


def _instances(e: Explainer, t: Triple) -> Iterator[tuple[str, list]]:
    if t[1] == TYPE:
        yield from _type_rules(e, t)
    elif t[1] in _SCHEMA_PREDICATES:
        yield from _schema_rules(e, t)
    if t[1] != TYPE:
        yield from _property_rules(e, t)
