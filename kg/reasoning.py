"""OWL 2 RL reasoning, kept apart from the asserted triples and filtered to what is worth having.

The reasoner applies the rules of ``kg.rules`` to a fixpoint. It reads the schema once: the
ontology's axioms are closed under the schema rules (``scm-*``), then every rule about individuals
is instantiated with them (``prp-dom`` becomes "a triple with nkg:hosts types its subject an
Agent", one entry per domain axiom). The story's triples then go through those instances
semi-naively: each round joins only the triples the previous round derived, so a triple is touched
a few times, not once per round as owlrl does. More triples can be added to a fixpoint later (a new
article): the rounds continue from it. The result is tested equal to owlrl's, triple for triple.

The reasoner sees the ontology and the story's triples. It does not see the evidence layer (the
owl:Axiom annotations, text segments and selectors, the article's body): OWL gives annotations no
meaning, so reasoning over them only costs time. ``FILTERS`` lists what is dropped from the result
and why.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from kg.errors import InconsistencyError
from kg.namespaces import NKG, OA, SCHEMA
from kg.prefixes import prefixed_name
from kg.rules import RULES, SCHEMA_PREDICATES, Rule, bind, differ, is_schema, is_var, schema_view, unify

Triple = tuple
_BUILT_IN = tuple(str(ns) for ns in (RDF, RDFS, OWL, XSD))
_TAUTOLOGIES = {RDFS.subClassOf, RDFS.subPropertyOf, OWL.equivalentClass, OWL.equivalentProperty, OWL.sameAs}
#: Subjects of the evidence layer, which the reasoner does not see.
_EVIDENCE_TYPES = (OWL.Axiom, NKG.TextSegment, NKG.Mention, OA.TextQuoteSelector, OA.TextPositionSelector)


def _literal_subject(t: Triple) -> bool:
    return isinstance(t[0], Literal)


def _reflexive(t: Triple) -> bool:
    return t[1] in _TAUTOLOGIES and t[0] == t[2]


def _trivial_type(t: Triple) -> bool:
    return t[1] in (RDF.type, RDFS.subClassOf, RDFS.domain, RDFS.range) and t[2] in (OWL.Thing, RDFS.Resource)


def _about_built_in_vocabulary(t: Triple) -> bool:
    return isinstance(t[0], URIRef) and str(t[0]).startswith(_BUILT_IN)


def _blank_node_subject(t: Triple) -> bool:
    return isinstance(t[0], BNode)


def _anonymous_class(t: Triple) -> bool:
    return t[1] == RDF.type and isinstance(t[2], BNode)


#: What the filter drops, in the order it is tried, with the reason printed by ``kg build``.
FILTERS: tuple[tuple[str, Callable[[Triple], bool]], ...] = (
    ("literal subject (not valid RDF)", _literal_subject),
    ("reflexive sameAs, subClassOf, subPropertyOf or equivalence", _reflexive),
    ("type, superclass, domain or range owl:Thing / rdfs:Resource", _trivial_type),
    ("about the RDF, RDFS, OWL or XSD vocabulary", _about_built_in_vocabulary),
    ("about an ontology blank node (restriction, list, axiom)", _blank_node_subject),
    ("member of an anonymous class (a restriction)", _anonymous_class),
)


@dataclass
class Closure:
    """The result of reasoning: the kept entailments, and what was left out."""

    inferred: set[Triple]
    #: For each kept entailment, the round that first derived it (asserted triples are round 0).
    rounds: dict[Triple, int]
    #: How many entailments each filter dropped, by reason.
    filtered: Counter = field(default_factory=Counter)


@dataclass(frozen=True)
class ReasoningInput:
    """What the reasoner reads of one graph, and what of it the reasoner does not see."""

    #: The graph's triples without the evidence layer and without annotations.
    triples: frozenset[Triple]
    #: Asserted triples left out that an entailment could repeat (about things the reasoner sees a name of).
    hidden: frozenset[Triple]


def annotation_properties(ontology: Graph) -> frozenset:
    return frozenset(ontology.subjects(RDF.type, OWL.AnnotationProperty))


def reasoning_input(graph: Graph, annotations: frozenset) -> ReasoningInput:
    """``graph``'s triples the reasoner reads: without the evidence layer and without annotations.

    OWL gives annotations no meaning, so neither the evidence layer (owl:Axiom annotations, text
    segments, selectors, mentions, the article's body) nor annotation assertions (labels, the
    factuality of propositions) can entail anything; left in, they only cost time. What is left
    out but could equal an entailment (a text segment's type, which a range also gives) is kept in
    ``hidden``, so that no entailment repeats an asserted triple.
    """
    skipped = {s for t in _EVIDENCE_TYPES for s in graph.subjects(RDF.type, t)}
    seen, hidden = set(), set()
    for s, p, o in graph:
        if s not in skipped and p != SCHEMA.articleBody and (p not in annotations or p == RDF.type):
            seen.add((s, p, o))
        elif not isinstance(s, BNode) and p != SCHEMA.articleBody and (s, RDF.type, NKG.Mention) not in graph:
            hidden.add((s, p, o))
    return ReasoningInput(frozenset(seen), frozenset(hidden))


class Reasoner:
    """A fixpoint of ``kg.rules`` over one schema, to which more triples can be added.

    :raises KgError: when the schema uses a construct no rule reads (see ``kg.rules.schema_view``).
    """

    def __init__(self, ontology: Graph) -> None:
        self.rounds: dict[Triple, int] = {}
        self.schema = schema_view(ontology)
        self._close_schema()
        self.round = max(self.rounds.values(), default=0)
        self.facts: set[Triple] = set()
        self._by_sp: dict[tuple, set] = defaultdict(set)
        self._by_po: dict[tuple, set] = defaultdict(set)
        self._by_p: dict = defaultdict(set)
        self.problems: list[tuple[Rule, dict]] = []
        self._compile()
        own = reasoning_input(ontology, annotation_properties(ontology)).triples
        self.add(t for t in own if not is_schema(t) and t[1] != OWL.propertyChainAxiom)

    # -- the schema, once ---------------------------------------------------------------------------

    def _close_schema(self) -> None:
        """Close the schema under the rules whose premises and conclusion are all schema axioms."""
        rules = [r for r in RULES if r.conclusion and all(_schema_pattern(p) for p in (*r.premises, r.conclusion))]
        index = _Index(self.schema)
        number = 0
        while True:
            number += 1
            new = set()
            for rule in rules:
                for binding in index.solve(rule.premises, {}):
                    if differ(rule, binding):
                        triple = bind(rule.conclusion, binding)
                        if triple not in index.triples:
                            new.add(triple)
            if not new:
                return
            for triple in new:
                self.rounds[triple] = number
                index.add(triple)
            self.schema |= new

    def _compile(self) -> None:
        """Instantiate each rule about individuals with the schema: what remains are patterns over data."""
        index = _Index(self.schema)
        self._single: dict[tuple, list] = defaultdict(list)  # trigger -> (checks, conclusion template)
        self._joins: dict[tuple, list] = defaultdict(list)  # trigger -> (premise index, premises, rule, binding)
        for rule in RULES:
            data = [p for p in rule.premises if not _schema_pattern(p)]
            if not data or (rule.conclusion and _schema_pattern(rule.conclusion)):
                continue
            given = [p for p in rule.premises if _schema_pattern(p)]
            for binding in index.solve(given, {}) if given else [{}]:
                if not differ(rule, binding):
                    continue
                premises = tuple(bind(p, binding) for p in data)
                for number, premise in enumerate(premises):
                    if is_var(premise[1]):
                        raise NotImplementedError(f"rule {rule.name}: a data premise with a variable predicate")
                    trigger = (premise[1], None if is_var(premise[2]) else premise[2])
                    single = _single(rule, premise, binding) if len(premises) == 1 else None
                    if single is not None:
                        self._single[trigger].append(single)
                    else:
                        self._joins[trigger].append((number, premises, rule, binding))

    # -- the data, semi-naively ---------------------------------------------------------------------

    def add(self, triples: Iterable[Triple]) -> set[Triple]:
        """Add ``triples`` and derive everything that follows; return the triples derived."""
        delta = {t for t in triples if t not in self.facts}
        for triple in delta:
            self._store(triple)
        derived: set[Triple] = set()
        while delta:
            self.round += 1
            new: set[Triple] = set()
            for triple in delta:
                self._fire(triple, new)
            new -= self.facts
            for triple in new:
                self._store(triple)
                self.rounds[triple] = self.round
            derived |= new
            delta = new
        return derived

    def _store(self, triple: Triple) -> None:
        s, p, o = triple
        self.facts.add(triple)
        self._by_sp[(s, p)].add(o)
        self._by_po[(p, o)].add(s)
        self._by_p[p].add((s, o))

    def _fire(self, triple: Triple, new: set) -> None:
        _, p, o = triple
        for trigger in ((p, o), (p, None)):
            for subject, same, template in self._single.get(trigger, ()):
                if (subject is None or triple[0] == subject) and (not same or triple[0] == triple[2]):
                    derived = tuple(triple[t] if type(t) is int else t for t in template)
                    if not isinstance(derived[0], Literal) and derived not in self.facts:
                        new.add(derived)
            for number, premises, rule, given in self._joins.get(trigger, ()):
                binding = unify(premises[number], triple, given)
                if binding is None:
                    continue
                rest = premises[:number] + premises[number + 1 :]
                for solution in self._solve(rest, binding):
                    if differ(rule, solution):
                        if rule.conclusion is None:
                            self.problems.append((rule, solution))
                        else:
                            self._conclude(rule, rule.conclusion, solution, new)

    def _conclude(self, rule: Rule, conclusion: tuple, binding: dict, new: set) -> None:
        triple = bind(conclusion, binding)
        if not isinstance(triple[0], Literal) and triple not in self.facts:
            new.add(triple)

    def _solve(self, premises: tuple, binding: dict):
        if not premises:
            yield binding
            return
        first, rest = premises[0], premises[1:]
        s, p, o = bind(first, binding)
        if not is_var(s) and not is_var(o):
            candidates = [(s, p, o)] if (s, p, o) in self.facts else []
        elif not is_var(s):
            candidates = [(s, p, x) for x in self._by_sp.get((s, p), ())]
        elif not is_var(o):
            candidates = [(x, p, o) for x in self._by_po.get((p, o), ())]
        else:
            candidates = [(a, p, b) for a, b in self._by_p.get(p, ())]
        for candidate in candidates:
            extended = unify(first, candidate, binding)
            if extended is not None:
                yield from self._solve(rest, extended)

    # -- the result ---------------------------------------------------------------------------------

    def closure(self, given: set[Triple], hidden: Iterable[frozenset]) -> Closure:
        """The kept entailments: neither given (asserted) nor hidden, and not dropped by ``FILTERS``.

        :raises InconsistencyError: when the data contradicts the ontology, naming what clashes.
        """
        self._raise_on_inconsistency(given)
        hidden = set().union(*hidden)
        result = Closure(set(), {})
        for triple in (*self.facts, *(t for t in self.schema if t in self.rounds)):
            if triple in given or triple not in self.rounds or triple in hidden:
                continue
            reason = next((name for name, drops in FILTERS if drops(triple)), None)
            if reason:
                result.filtered[reason] += 1
            else:
                result.inferred.add(triple)
                result.rounds[triple] = self.rounds[triple]
        return result

    def _raise_on_inconsistency(self, given: set[Triple]) -> None:
        asserted = _Facts(t for t in given)
        everything = _Facts(self.facts)
        functional = {p for p, _, _ in (t for t in self.schema if t[2] == OWL.FunctionalProperty)}
        problems = _functional_value_clashes(asserted, functional) or _functional_value_clashes(everything, functional)
        told = {(b["?x"], b["?y"]) for rule, b in self.problems if rule.name.startswith("eq-diff")}
        problems += _merged_individuals(everything, asserted, functional, told)
        messages = sorted({rule.message.format(**{k[1:]: v for k, v in b.items()}) for rule, b in self.problems})
        problems += [_with_cause(message, everything, functional) for message in messages]
        if problems:
            shown = "; ".join(_shorten(p) for p in problems[:5])
            more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
            raise InconsistencyError(f"the data contradicts the ontology: {shown}{more}")


def _single(rule: Rule, premise: tuple, binding: dict) -> tuple | None:
    """A rule with one premise over data, compiled: (subject it requires, whether subject and object
    are one variable, the conclusion with 0 and 2 standing for the premise's subject and object).
    None when the rule needs more (no conclusion, a distinct data variable): it is then joined."""
    if rule.conclusion is None or any(a not in binding or b not in binding for a, b in rule.distinct):
        return None
    s, _, o = premise
    position = {v: i for i, v in ((2, o), (0, s)) if is_var(v)}
    conclusion = bind(rule.conclusion, binding)
    if any(is_var(t) and t not in position for t in conclusion):
        return None
    template = tuple(position[t] if is_var(t) else t for t in conclusion)
    return (None if is_var(s) else s), (is_var(s) and s == o), template


def _schema_pattern(pattern: tuple) -> bool:
    p, o = pattern[1], pattern[2]
    return (not is_var(p) and p in SCHEMA_PREDICATES) or (p == RDF.type and not is_var(o) and is_schema(pattern))


class _Index:
    """Triples indexed for the joins of the schema rules (constant predicates)."""

    def __init__(self, triples: Iterable[Triple]) -> None:
        self.triples: set[Triple] = set()
        self._by: dict[tuple, list] = defaultdict(list)
        for triple in triples:
            self.add(triple)

    def add(self, triple: Triple) -> None:
        if triple in self.triples:
            return
        self.triples.add(triple)
        s, p, o = triple
        for key in ((p,), (p, "s", s), (p, "o", o)):
            self._by[key].append(triple)

    def solve(self, premises, binding: dict):
        if not premises:
            yield binding
            return
        first = bind(premises[0], binding)
        s, p, o = first
        if is_var(p):
            raise NotImplementedError("a schema premise with a variable predicate")
        if not is_var(s):
            candidates = self._by.get((p, "s", s), ())
        elif not isinstance(o, tuple) and not is_var(o):
            candidates = self._by.get((p, "o", o), ())
        else:
            candidates = self._by.get((p,), ())
        for candidate in candidates:
            extended = unify(premises[0], candidate, binding)
            if extended is not None:
                yield from self.solve(premises[1:], extended)


class _Facts:
    """A set of triples with the two lookups the consistency checks need."""

    def __init__(self, triples: Iterable[Triple]) -> None:
        self.by_p: dict = defaultdict(list)
        self.all: set = set()
        for s, p, o in triples:
            self.by_p[p].append((s, o))
            self.all.add((s, p, o))


def apply_reasoning(ontology: Graph, asserted: list[Graph]) -> Closure:
    """Compute the OWL 2 RL closure of ontology plus asserted graphs; return the filtered entailments.

    :raises InconsistencyError: when the reasoner finds a contradiction, naming what clashes.
    """
    annotations = annotation_properties(ontology)
    inputs = [reasoning_input(graph, annotations) for graph in asserted]
    reasoner = Reasoner(ontology)
    for item in inputs:
        reasoner.add(item.triples)
    given = set(ontology).union(*(item.triples for item in inputs))
    return reasoner.closure(given, [item.hidden for item in inputs])


def _merged_individuals(facts: _Facts, asserted: _Facts, functional: set, told: set) -> list[str]:
    """Two things that reasoning makes one: a functional property given both as values.

    OWL allows it (nothing says the two differ), but in a story it is always a mapping mistake: an
    event located in the White House and in the Oval Office would merge the building and the room.
    Two individuals the ontology declares different (``told``) are reported by rule eq-diff instead.
    """
    merged = []
    for first, second in sorted(facts.by_p.get(OWL.sameAs, [])):
        if first == second or isinstance(first, Literal) or isinstance(second, Literal) or first > second:
            continue
        if (first, second) in told or (second, first) in told:
            continue
        cause = next(
            (
                f"<{subject}> has both as values of the functional property <{prop}>"
                for prop in sorted(functional)
                for subject, value in asserted.by_p.get(prop, [])
                if value == first and (subject, prop, second) in asserted.all
            ),
            "owl:sameAs follows from the data",
        )
        merged.append(f"<{first}> and <{second}> would be one thing, because {cause}")
    return merged


def _functional_value_clashes(facts: _Facts, functional: set) -> list[str]:
    """Two different values of a functional datatype property: owlrl only derives ``lit1 sameAs lit2``."""
    clashes = []
    for prop in sorted(functional):
        values: dict = defaultdict(set)
        for subject, value in facts.by_p.get(prop, []):
            if isinstance(value, Literal):
                values[subject].add(value)
        for subject in sorted(values):
            if len(values[subject]) > 1:
                shown = ", ".join(repr(str(v)) for v in sorted(values[subject]))
                clashes.append(f"<{subject}> has several values of the functional property <{prop}>: {shown}")
    return clashes


def _with_cause(message: str, facts: _Facts, functional: set) -> str:
    """Add to the "sameAs and AllDifferent" message the functional property that made the two the same."""
    match = re.search(r"pair: \(([^,]+), ([^)]+)\)", message)
    if not match or "sameAs" not in message:
        return message
    first, second = URIRef(match[1].strip()), URIRef(match[2].strip())
    for prop in sorted(functional):
        for subject, value in facts.by_p.get(prop, []):
            if value == first and (subject, prop, second) in facts.all:
                return f"{message}, because <{subject}> has both as values of the functional property <{prop}>"
    return message


def _shorten(message: str) -> str:
    """Write the IRIs in a message as prefixed names, for a one-line error."""

    def prefixed(match: re.Match) -> str:
        return prefixed_name(match[1] or match[2]) or match[0]

    return re.sub(r"<(https?://[^>\s]+)>|(?<![<\w])(https?://[^\s,()'\"<>]+)", prefixed, message)
