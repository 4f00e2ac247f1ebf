"""The OWL 2 RL rules the project reasons with, as a table: a new rule is one entry.

Each rule carries its name from the W3C tables (OWL 2 Profiles, section 4.3: ``prp-dom``,
``cax-sco`` ...), its premises as triple patterns and its conclusion, or, for a rule that detects a
contradiction, a message instead. ``kg.reasoning`` applies the table forwards (a semi-naive fixpoint),
``kg.explain`` backwards (which premises prove a triple). Variables are strings starting with ``?``.

Two kinds of axiom hold a list (``owl:propertyChainAxiom``, ``owl:AllDisjointClasses``,
``owl:AllDifferent``). ``schema_view`` reads them once into pseudo-triples the patterns can match: a
chain as ``(p, owl:propertyChainAxiom, (p1, p2))`` with a tuple as object, a set of disjoint classes
or different individuals as one triple per pair.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from rdflib import BNode, Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from kg.errors import KgError

Term = object
Pattern = tuple
Triple = tuple

#: Two individuals an owl:AllDifferent axiom lists (a pseudo-predicate of ``schema_view``).
ALL_DIFFERENT = URIRef("urn:x-newskg:allDifferent")
#: Two classes an owl:AllDisjointClasses axiom lists (a pseudo-predicate of ``schema_view``).
ALL_DISJOINT = URIRef("urn:x-newskg:allDisjoint")


def is_var(term: Term) -> bool:
    return isinstance(term, str) and not isinstance(term, URIRef | BNode) and term.startswith("?")


@dataclass(frozen=True)
class Rule:
    """One OWL 2 RL rule: if every premise matches (with ``distinct`` variables bound to different
    terms), the conclusion holds; a rule without a conclusion finds a contradiction, told by ``message``
    (a format string over the variables)."""

    name: str
    premises: tuple[Pattern, ...]
    conclusion: Pattern | None = None
    distinct: tuple[tuple[str, str], ...] = ()
    message: str = ""

    def variables(self) -> set[str]:
        return {t for p in self.premises for t in _flat(p) if is_var(t)}


def _flat(pattern: Pattern) -> Iterator:
    for term in pattern:
        if isinstance(term, tuple):
            yield from term
        else:
            yield term


T, SUB, SUBP = RDF.type, RDFS.subClassOf, RDFS.subPropertyOf
EQC, EQP, DOM, RNG, INV = OWL.equivalentClass, OWL.equivalentProperty, RDFS.domain, RDFS.range, OWL.inverseOf
SVF, AVF, HV, ONP, CHAIN, SAME = OWL.someValuesFrom, OWL.allValuesFrom, OWL.hasValue, OWL.onProperty, \
    OWL.propertyChainAxiom, OWL.sameAs  # fmt: skip

#: Every rule, grouped as the W3C tables group them; ``kg explain`` prefers the earlier of two equally
#: direct proofs, so class axioms come before domains and ranges.
RULES: tuple[Rule, ...] = (
    # -- equality (Table 4): a sameAs between two things of the story is refused, never propagated --
    Rule("eq-diff1", (("?x", SAME, "?y"), ("?x", OWL.differentFrom, "?y")),
         message="'sameAs' and 'differentFrom' cannot be used on the same subject-object pair: ({x}, {y})"),
    Rule("eq-diff2", (("?x", SAME, "?y"), ("?x", ALL_DIFFERENT, "?y")),
         message="'sameAs' and 'AllDifferent' cannot be used on the same subject-object pair: ({x}, {y})"),
    # -- class axioms (Table 7) --
    Rule("cax-sco", (("?c1", SUB, "?c2"), ("?x", T, "?c1")), ("?x", T, "?c2"), distinct=(("?c1", "?c2"),)),
    Rule("cax-eqc1", (("?c1", EQC, "?c2"), ("?x", T, "?c1")), ("?x", T, "?c2"), distinct=(("?c1", "?c2"),)),
    Rule("cax-eqc2", (("?c1", EQC, "?c2"), ("?x", T, "?c2")), ("?x", T, "?c1"), distinct=(("?c1", "?c2"),)),
    Rule("cax-dw", (("?c1", OWL.disjointWith, "?c2"), ("?x", T, "?c1"), ("?x", T, "?c2")),
         message="Disjoint classes {c1} and {c2} have a common individual {x}"),
    Rule("cax-adc", (("?c1", ALL_DISJOINT, "?c2"), ("?x", T, "?c1"), ("?x", T, "?c2")),
         message="Disjoint classes {c1} and {c2} have a common individual {x}"),
    # -- classes (Table 6) --
    Rule("cls-nothing2", (("?x", T, OWL.Nothing),), message="{x} is defined of type 'Nothing'"),
    Rule("cls-svf1", (("?c", SVF, "?d"), ("?c", ONP, "?p"), ("?x", "?p", "?y"), ("?y", T, "?d")), ("?x", T, "?c")),
    Rule("cls-svf2", (("?c", SVF, OWL.Thing), ("?c", ONP, "?p"), ("?x", "?p", "?y")), ("?x", T, "?c")),
    Rule("cls-avf", (("?c", AVF, "?d"), ("?c", ONP, "?p"), ("?x", T, "?c"), ("?x", "?p", "?y")), ("?y", T, "?d")),
    Rule("cls-hv1", (("?c", HV, "?v"), ("?c", ONP, "?p"), ("?x", T, "?c")), ("?x", "?p", "?v")),
    Rule("cls-hv2", (("?c", HV, "?v"), ("?c", ONP, "?p"), ("?x", "?p", "?v")), ("?x", T, "?c")),
    # -- properties (Table 5) --
    Rule("prp-dom", (("?p", DOM, "?c"), ("?x", "?p", "?y")), ("?x", T, "?c")),
    Rule("prp-rng", (("?p", RNG, "?c"), ("?x", "?p", "?y")), ("?y", T, "?c")),
    Rule("prp-fp", (("?p", T, OWL.FunctionalProperty), ("?x", "?p", "?y1"), ("?x", "?p", "?y2")),
         ("?y1", SAME, "?y2"), distinct=(("?y1", "?y2"),)),
    Rule("prp-ifp", (("?p", T, OWL.InverseFunctionalProperty), ("?x1", "?p", "?y"), ("?x2", "?p", "?y")),
         ("?x1", SAME, "?x2"), distinct=(("?x1", "?x2"),)),
    Rule("prp-irp", (("?p", T, OWL.IrreflexiveProperty), ("?x", "?p", "?x")),
         message="Irreflexive property used on {x} with {p}"),
    Rule("prp-symp", (("?p", T, OWL.SymmetricProperty), ("?x", "?p", "?y")), ("?y", "?p", "?x")),
    Rule("prp-asyp", (("?p", T, OWL.AsymmetricProperty), ("?x", "?p", "?y"), ("?y", "?p", "?x")),
         message="Erroneous usage of asymmetric property {p} on {x} and {y}"),
    Rule("prp-trp", (("?p", T, OWL.TransitiveProperty), ("?x", "?p", "?y"), ("?y", "?p", "?z")), ("?x", "?p", "?z")),
    Rule("prp-spo1", (("?p1", SUBP, "?p2"), ("?x", "?p1", "?y")), ("?x", "?p2", "?y"), distinct=(("?p1", "?p2"),)),
    Rule("prp-spo2", (("?p", CHAIN, ("?p1", "?p2")), ("?u1", "?p1", "?u2"), ("?u2", "?p2", "?u3")),
         ("?u1", "?p", "?u3")),
    Rule("prp-spo2", (("?p", CHAIN, ("?p1", "?p2", "?p3")), ("?u1", "?p1", "?u2"), ("?u2", "?p2", "?u3"),
                      ("?u3", "?p3", "?u4")), ("?u1", "?p", "?u4")),
    Rule("prp-eqp1", (("?p1", EQP, "?p2"), ("?x", "?p1", "?y")), ("?x", "?p2", "?y"), distinct=(("?p1", "?p2"),)),
    Rule("prp-eqp2", (("?p1", EQP, "?p2"), ("?x", "?p2", "?y")), ("?x", "?p1", "?y"), distinct=(("?p1", "?p2"),)),
    Rule("prp-pdw", (("?p1", OWL.propertyDisjointWith, "?p2"), ("?x", "?p1", "?y"), ("?x", "?p2", "?y")),
         message="Disjoint properties {p1} and {p2} are used on the same pair: ({x}, {y})"),
    Rule("prp-inv1", (("?p1", INV, "?p2"), ("?x", "?p1", "?y")), ("?y", "?p2", "?x")),
    Rule("prp-inv2", (("?p1", INV, "?p2"), ("?x", "?p2", "?y")), ("?y", "?p1", "?x")),
    # -- schema vocabulary (Table 9) --
    Rule("scm-sco", (("?c1", SUB, "?c2"), ("?c2", SUB, "?c3")), ("?c1", SUB, "?c3"),
         distinct=(("?c1", "?c2"), ("?c2", "?c3"), ("?c1", "?c3"))),
    Rule("scm-eqc1", (("?c1", EQC, "?c2"),), ("?c1", SUB, "?c2"), distinct=(("?c1", "?c2"),)),
    Rule("scm-eqc1", (("?c1", EQC, "?c2"),), ("?c2", SUB, "?c1"), distinct=(("?c1", "?c2"),)),
    Rule("scm-eqc2", (("?c1", SUB, "?c2"), ("?c2", SUB, "?c1")), ("?c1", EQC, "?c2"), distinct=(("?c1", "?c2"),)),
    Rule("scm-spo", (("?p1", SUBP, "?p2"), ("?p2", SUBP, "?p3")), ("?p1", SUBP, "?p3"),
         distinct=(("?p1", "?p2"), ("?p2", "?p3"), ("?p1", "?p3"))),
    Rule("scm-eqp1", (("?p1", EQP, "?p2"),), ("?p1", SUBP, "?p2"), distinct=(("?p1", "?p2"),)),
    Rule("scm-eqp1", (("?p1", EQP, "?p2"),), ("?p2", SUBP, "?p1"), distinct=(("?p1", "?p2"),)),
    Rule("scm-eqp2", (("?p1", SUBP, "?p2"), ("?p2", SUBP, "?p1")), ("?p1", EQP, "?p2"), distinct=(("?p1", "?p2"),)),
    Rule("scm-dom1", (("?p", DOM, "?c1"), ("?c1", SUB, "?c2")), ("?p", DOM, "?c2"), distinct=(("?c1", "?c2"),)),
    Rule("scm-dom2", (("?p2", DOM, "?c"), ("?p1", SUBP, "?p2")), ("?p1", DOM, "?c"), distinct=(("?p1", "?p2"),)),
    Rule("scm-rng1", (("?p", RNG, "?c1"), ("?c1", SUB, "?c2")), ("?p", RNG, "?c2"), distinct=(("?c1", "?c2"),)),
    Rule("scm-rng2", (("?p2", RNG, "?c"), ("?p1", SUBP, "?p2")), ("?p1", RNG, "?c"), distinct=(("?p1", "?p2"),)),
    Rule("scm-hv", (("?c1", HV, "?i"), ("?c1", ONP, "?p1"), ("?c2", HV, "?i"), ("?c2", ONP, "?p2"),
                    ("?p1", SUBP, "?p2")), ("?c1", SUB, "?c2"), distinct=(("?c1", "?c2"),)),
    Rule("scm-svf1", (("?c1", SVF, "?y1"), ("?c1", ONP, "?p"), ("?c2", SVF, "?y2"), ("?c2", ONP, "?p"),
                      ("?y1", SUB, "?y2")), ("?c1", SUB, "?c2"), distinct=(("?c1", "?c2"),)),
    Rule("scm-svf2", (("?c1", SVF, "?y"), ("?c1", ONP, "?p1"), ("?c2", SVF, "?y"), ("?c2", ONP, "?p2"),
                      ("?p1", SUBP, "?p2")), ("?c1", SUB, "?c2"), distinct=(("?c1", "?c2"),)),
    Rule("scm-avf1", (("?c1", AVF, "?y1"), ("?c1", ONP, "?p"), ("?c2", AVF, "?y2"), ("?c2", ONP, "?p"),
                      ("?y1", SUB, "?y2")), ("?c1", SUB, "?c2"), distinct=(("?c1", "?c2"),)),
    Rule("scm-avf2", (("?c1", AVF, "?y"), ("?c1", ONP, "?p1"), ("?c2", AVF, "?y"), ("?c2", ONP, "?p2"),
                      ("?p1", SUBP, "?p2")), ("?c2", SUB, "?c1"), distinct=(("?c1", "?c2"),)),
)  # fmt: skip

#: Predicates of schema axioms (and of the pseudo-triples ``schema_view`` makes from lists).
SCHEMA_PREDICATES = frozenset(
    {SUB, SUBP, EQC, EQP, DOM, RNG, INV, SVF, AVF, HV, ONP, CHAIN, OWL.disjointWith, OWL.propertyDisjointWith,
     OWL.differentFrom, ALL_DIFFERENT, ALL_DISJOINT}
)  # fmt: skip
#: Classes whose members are properties with a characteristic a rule reads.
PROPERTY_CHARACTERISTICS = frozenset(
    {OWL.FunctionalProperty, OWL.InverseFunctionalProperty, OWL.IrreflexiveProperty, OWL.SymmetricProperty,
     OWL.AsymmetricProperty, OWL.TransitiveProperty}
)  # fmt: skip
#: Constructs no rule of the table reads: an ontology using them would be reasoned over incompletely.
UNSUPPORTED = (OWL.intersectionOf, OWL.unionOf, OWL.complementOf, OWL.oneOf, OWL.hasKey, OWL.maxCardinality,
               OWL.maxQualifiedCardinality, OWL.AllDisjointProperties, OWL.NegativePropertyAssertion)  # fmt: skip


def is_schema(triple: Triple) -> bool:
    """A schema axiom (read once) rather than a statement about individuals (reasoned over)."""
    return triple[1] in SCHEMA_PREDICATES or (triple[1] == T and triple[2] in PROPERTY_CHARACTERISTICS)


def schema_view(graph: Graph | Iterable[Triple]) -> set[Triple]:
    """The schema axioms of ``graph`` as the rules read them: lists turned into pseudo-triples.

    >>> from rdflib import Graph
    >>> g = Graph().parse(data='''@prefix : <urn:> . @prefix owl: <http://www.w3.org/2002/07/owl#> .
    ...   :p owl:propertyChainAxiom ( :q :r ) . [] a owl:AllDifferent ; owl:distinctMembers ( :a :b ) .''')
    >>> sorted(str(t[1]) for t in schema_view(g))
    ['http://www.w3.org/2002/07/owl#propertyChainAxiom', 'urn:x-newskg:allDifferent']

    :raises KgError: when the ontology uses a construct no rule reads, or a chain longer than three.
    """
    graph = graph if isinstance(graph, Graph) else _graph(graph)
    used = sorted(str(c) for c in UNSUPPORTED if (None, c, None) in graph or (None, RDF.type, c) in graph)
    if used:
        raise KgError(f"the reasoner has no rule for {', '.join(used)}: add its rule to kg/rules.py")
    view = {t for t in graph if is_schema(t) and t[1] != CHAIN}
    for p, head in graph.subject_objects(CHAIN):
        chain = tuple(graph.items(head))
        if not 2 <= len(chain) <= 3:
            raise KgError(f"the reasoner handles property chains of two or three properties, not {len(chain)}: {p}")
        view.add((p, CHAIN, chain))
    for kind, lists, pseudo in ((OWL.AllDifferent, (OWL.members, OWL.distinctMembers), ALL_DIFFERENT),
                                (OWL.AllDisjointClasses, (OWL.members,), ALL_DISJOINT)):  # fmt: skip
        for axiom in graph.subjects(RDF.type, kind):
            for prop in lists:
                for head in graph.objects(axiom, prop):
                    members = list(graph.items(head))
                    view.update((a, pseudo, b) for i, a in enumerate(members) for b in members[i + 1 :])
    return view


def _graph(triples: Iterable[Triple]) -> Graph:
    graph = Graph()
    for triple in triples:
        graph.add(triple)
    return graph


def bind(pattern: Pattern, binding: dict) -> Pattern:
    """``pattern`` with its bound variables replaced."""
    return tuple(tuple(binding.get(x, x) for x in t) if isinstance(t, tuple) else binding.get(t, t) for t in pattern)


def unify(pattern: Pattern, triple: Triple, binding: dict) -> dict | None:
    """``binding`` extended so that ``pattern`` matches ``triple``, or None when it cannot."""
    extended = dict(binding)
    for want, have in zip(pattern, triple, strict=True):
        if isinstance(want, tuple):
            if not isinstance(have, tuple) or len(want) != len(have):
                return None
            pairs = zip(want, have, strict=True)
        else:
            pairs = ((want, have),)
        for w, h in pairs:
            if is_var(w):
                if extended.setdefault(w, h) != h:
                    return None
            elif w != h:
                return None
    return extended


def differ(rule: Rule, binding: dict) -> bool:
    """Whether the ``distinct`` variables of ``rule`` are bound to different terms (unbound ones pass)."""
    return all(a not in binding or b not in binding or binding[a] != binding[b] for a, b in rule.distinct)
