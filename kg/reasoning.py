"""OWL 2 RL reasoning with owlrl, kept apart from the asserted triples and filtered to what is worth having.

The reasoner sees the ontology and the story's triples. It does not see the evidence layer (the
owl:Axiom annotations, text segments and selectors, the article's body): OWL gives annotations no
meaning, so reasoning over them only costs time.

owlrl's closure contains much that no user wants, and some that is not even RDF. The filter keeps an
entailment only if it is new and informative; ``FILTERS`` lists what is dropped and why.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import owlrl
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from kg.errors import InconsistencyError
from kg.namespaces import ID, NKG, OA, SCHEMA, bind_prefixes, prefixed_name

Triple = tuple
#: owlrl writes the inconsistencies it finds into the graph as resources of this type.
_ERROR = URIRef("http://www.daml.org/2002/03/agents/agent-ont#ErrorMessage")
_ERROR_TEXT = URIRef("http://www.daml.org/2002/03/agents/agent-ont#error")
_BUILT_IN = tuple(str(ns) for ns in (RDF, RDFS, OWL, XSD))
_TAUTOLOGIES = {RDFS.subClassOf, RDFS.subPropertyOf, OWL.equivalentClass, OWL.equivalentProperty, OWL.sameAs}


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

    inferred: Graph
    #: For each kept entailment, the owlrl round that first derived it (asserted triples are round 0).
    rounds: dict[Triple, int]
    #: How many entailments each filter dropped, by reason.
    filtered: Counter = field(default_factory=Counter)


def reasoning_input(graphs: Iterable[Graph]) -> Graph:
    """Ontology and story triples, without the evidence layer and without annotations.

    OWL gives annotations no meaning, so neither the evidence layer (owl:Axiom annotations, text
    segments, selectors, mentions, the article's body) nor annotation assertions (labels, the
    factuality of propositions) can entail anything; left in, they only cost time.
    """
    graphs = list(graphs)
    skipped_types = {OWL.Axiom, NKG.TextSegment, NKG.Mention, OA.TextQuoteSelector, OA.TextPositionSelector}
    annotations = {p for g in graphs for p in g.subjects(RDF.type, OWL.AnnotationProperty)}
    result = Graph()
    for graph in graphs:
        skipped = {s for t in skipped_types for s in graph.subjects(RDF.type, t)}
        result.addN(
            (s, p, o, result)
            for s, p, o in graph
            if s not in skipped and p != SCHEMA.articleBody and (p not in annotations or p == RDF.type)
        )
    return result


class _RoundRecordingSemantics(owlrl.OWLRL_Semantics):
    """owlrl's OWL 2 RL closure that also notes in which round each triple was derived.

    Round numbers give explanations a well-founded order: a triple of round n was derived from
    triples of earlier rounds only.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.rounds: dict[Triple, int] = {}
        self._round = 1

    def rules(self, t, cycle_num):
        self._round = cycle_num + 1
        super().rules(t, cycle_num)

    def store_triple(self, t):
        self.rounds.setdefault(t, self._round)
        super().store_triple(t)


def apply_reasoning(ontology: Graph, asserted: list[Graph]) -> Closure:
    """Compute the OWL 2 RL closure of ontology plus asserted graphs; return the filtered entailments.

    :raises InconsistencyError: when the reasoner finds a contradiction, naming what clashes.
    """
    work = reasoning_input([ontology, *asserted])
    given = set(work)
    semantics = _RoundRecordingSemantics(work, False, False, rdfs=False)
    semantics.closure()
    _raise_on_inconsistency(work, given)
    everything_asserted = set(ontology).union(*(set(g) for g in asserted))
    closure = Closure(bind_prefixes(Graph()), {})
    for triple in work:
        if triple in given:
            continue
        if triple in everything_asserted:  # asserted in the evidence layer the reasoner did not see
            continue
        reason = next((name for name, drops in FILTERS if drops(triple)), None)
        if reason:
            closure.filtered[reason] += 1
            continue
        closure.inferred.add(triple)
        closure.rounds[triple] = semantics.rounds.get(triple, 1)
    return closure


def _raise_on_inconsistency(work: Graph, given: set) -> None:
    asserted = Graph()
    asserted.addN((s, p, o, asserted) for s, p, o in given)
    problems = _functional_value_clashes(asserted) or _functional_value_clashes(work)
    problems += _merged_individuals(work, asserted)
    markers = sorted(str(t) for m in work.subjects(RDF.type, _ERROR) for t in work.objects(m, _ERROR_TEXT))
    problems += [_with_cause(message, work) for message in markers]
    if problems:
        shown = "; ".join(_shorten(p) for p in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise InconsistencyError(f"the data contradicts the ontology: {shown}{more}")


def _merged_individuals(work: Graph, asserted: Graph) -> list[str]:
    """Two things of the story that reasoning makes one: a functional property given both as values.

    OWL allows it (nothing says the two differ), but in a story it is always a mapping mistake: an
    event located in the White House and in the Oval Office would merge the building and the room.
    """
    merged = []
    for first, second in sorted(work.subject_objects(OWL.sameAs)):
        if first != second and str(first).startswith(str(ID)) and str(second).startswith(str(ID)) and first < second:
            cause = next(
                (
                    f"<{subject}> has both as values of the functional property <{prop}>"
                    for prop in work.subjects(RDF.type, OWL.FunctionalProperty)
                    for subject in asserted.subjects(prop, first)
                    if (subject, prop, second) in asserted
                ),
                "owl:sameAs follows from the data",
            )
            merged.append(f"<{first}> and <{second}> would be one thing, because {cause}")
    return merged


def _functional_value_clashes(graph: Graph) -> list[str]:
    """Two different values of a functional datatype property: owlrl only derives ``lit1 sameAs lit2``."""
    clashes = []
    for prop in sorted(graph.subjects(RDF.type, OWL.FunctionalProperty)):
        for subject in sorted(set(graph.subjects(prop, None))):
            values = sorted({o for o in graph.objects(subject, prop) if isinstance(o, Literal)})
            if len(values) > 1:
                shown = ", ".join(repr(str(v)) for v in values)
                clashes.append(f"<{subject}> has several values of the functional property <{prop}>: {shown}")
    return clashes


def _with_cause(message: str, work: Graph) -> str:
    """Add to owlrl's "sameAs and AllDifferent" message the functional property that made the two the same."""
    match = re.search(r"pair: \(([^,]+), ([^)]+)\)", message)
    if not match or "sameAs" not in message:
        return message
    first, second = URIRef(match[1].strip()), URIRef(match[2].strip())
    for prop in work.subjects(RDF.type, OWL.FunctionalProperty):
        for subject in work.subjects(prop, first):
            if (subject, prop, second) in work:
                return f"{message}, because <{subject}> has both as values of the functional property <{prop}>"
    return message


def _shorten(message: str) -> str:
    """Write the IRIs in an owlrl message as prefixed names, for a one-line error."""

    def prefixed(match: re.Match) -> str:
        return prefixed_name(match[1] or match[2]) or match[0]

    return re.sub(r"<(https?://[^>\s]+)>|(?<![<\w])(https?://[^\s,()'\"<>]+)", prefixed, message)
