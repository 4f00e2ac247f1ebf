"""``kg explain``: why an inferred triple holds, as a proof tree of OWL 2 RL rules down to asserted triples.

The build records *when* each inferred triple was derived: the round of the fixpoint in which it
first appeared. A triple of round n was derived from triples of earlier rounds, so a proof can
always be found among them, and searching only there keeps proofs well-founded (no circular
explanations). The rules are the reasoner's own table (``kg.rules``), read backwards: a rule whose
conclusion matches the triple, with premises found in the dataset. Of the instances that qualify,
the proof takes the one whose premises are oldest (the most direct), the table's order breaking ties.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from kg.dataset import ROUNDS_FILE, Manifest
from kg.errors import KgError
from kg.graphio import triple_key
from kg.namespaces import PREFIXES
from kg.prefixes import PREFIX_IRIS, prefixed_name
from kg.rules import RULES, bind, differ, is_var, unify

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
TYPE = ox.NamedNode(RDF + "type")
CHAIN = ox.NamedNode("http://www.w3.org/2002/07/owl#propertyChainAxiom")
FIRST, REST, NIL = ox.NamedNode(RDF + "first"), ox.NamedNode(RDF + "rest"), ox.NamedNode(RDF + "nil")

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
        lines += [f'{indent}    evidence{_elsewhere(e, self.graph)}: chars {e["start"]}-{e["end"]}: "{e["quote"]}"'
                  for e in self.evidence]  # fmt: skip
        lines += [f"{indent}    source: {s}" for s in self.sources]
        return "\n".join(lines)


def _elsewhere(evidence: dict, graph: str | None) -> str:
    """Where evidence stands, when not in the graph that asserts the triple (a registry triple an article states)."""
    return "" if evidence.get("graph") == graph else f" in {short(ox.NamedNode(evidence['article']))}"


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
        # an asserted triple is shown with the first article that states it: the words before a source
        graphs = [g for g in manifest.graphs if g.name != "inferred"]
        graphs.sort(key=lambda g: not g.name.startswith("article-"))
        self.asserted = [ox.NamedNode(g.iri) for g in graphs]
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
                [self.round_of(premise) for premise in instance if not isinstance(premise[2], tuple)]
                for rule, instance in _instances(self, triple)
                if not any(_restriction_membership(premise) for premise in instance)
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
        best = None
        for order, (rule, instance) in enumerate(_instances(self, triple)):
            rounds = [self.round_of(premise) for premise in instance if not isinstance(premise[2], tuple)]
            if all(r is not None and r < target for r in rounds):
                rank = (max(rounds, default=0), order)
                if best is None or rank < best[0]:
                    best = (rank, rule, instance)
        if best is None:
            return None
        _, rule, instance = best
        return Proof(triple, rule=rule, premises=[self._premise(premise) for premise in instance])

    def _premise(self, premise: Triple) -> Proof:
        if isinstance(premise[2], tuple):  # a property chain axiom, shown with its list
            head = next(self.match(premise[0], CHAIN, None))
            graph = self._asserted_graph(head) or self.inferred
            return Proof((premise[0], premise[1], tuple(premise[2])), graph=graph.value)
        return self.explain(premise)

    def _asserted_proof(self, triple: Triple, graph: ox.NamedNode) -> Proof:
        """The asserted triple with its evidence: the words of every article that states it, and sources.

        A triple of the registry is asserted there once; the articles that state it give its evidence.
        """
        proof = Proof(triple, graph=graph.value)
        query = f"""
          SELECT ?g ?s ?p ?o ?quote ?start ?end ?article ?source WHERE {{
            GRAPH ?g {{ ?axiom owl:annotatedSource ?s ; owl:annotatedProperty ?p ; owl:annotatedTarget ?o .
              OPTIONAL {{ ?axiom nkg:evidence ?segment . ?segment oa:hasSource ?article ; oa:hasSelector ?q , ?pos .
                         ?q oa:exact ?quote . ?pos oa:start ?start ; oa:end ?end . }}
              OPTIONAL {{ ?axiom dcterms:source ?source }} }} }}
          ORDER BY (?g != {graph}) ?g ?start"""
        bindings = {ox.Variable("s"): triple[0], ox.Variable("p"): triple[1], ox.Variable("o"): triple[2]}
        for row in self.store.query(query, prefixes=PREFIX_IRIS, substitutions=bindings):
            if row["quote"] is not None:
                proof.evidence.append(
                    {
                        "quote": row["quote"].value,
                        "start": int(row["start"].value),
                        "end": int(row["end"].value),
                        "article": row["article"].value,
                        "graph": row["g"].value,
                    }
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


# -- the rules, read backwards -----------------------------------------------------------------------


def _ox(term):
    """A term of ``kg.rules`` (an rdflib IRI, a variable, or a tuple of them) in Oxigraph's terms."""
    if isinstance(term, tuple):
        return tuple(_ox(t) for t in term)
    return term if is_var(term) else ox.NamedNode(str(term))


#: Each rule that concludes something, with its patterns in Oxigraph's terms, in the table's order.
_RULES = [(rule, tuple(_ox(p) for p in rule.premises), _ox(rule.conclusion)) for rule in RULES if rule.conclusion]


def _instances(e: Explainer, t: Triple) -> Iterator[tuple[str, list]]:
    """Every (rule name, premises) instance that would derive ``t`` from triples of the dataset."""
    for rule, premises, conclusion in _RULES:
        binding = unify(conclusion, t, {})
        if binding is None:
            continue
        for solution in _solve(e, premises, binding):
            if differ(rule, solution):
                yield rule.name, [bind(p, solution) for p in premises]


def _solve(e: Explainer, premises: tuple, binding: dict) -> Iterator[dict]:
    """Bindings that make every premise a triple of the dataset, most bound premise first."""
    if not premises:
        yield binding
        return
    ranked = sorted(range(len(premises)), key=lambda i: -sum(not is_var(x) for x in bind(premises[i], binding)))
    first = premises[ranked[0]]
    rest = tuple(premises[i] for i in ranked[1:])
    for candidate in _candidates(e, bind(first, binding)):
        extended = unify(first, candidate, binding)
        if extended is not None:
            yield from _solve(e, rest, extended)


def _candidates(e: Explainer, pattern: tuple) -> Iterator[Triple]:
    s, p, o = (None if is_var(x) or isinstance(x, tuple) else x for x in pattern)
    if p is None:
        yield from e.match(s, None, o)
    elif p == CHAIN:  # a property chain axiom, read with its list
        for subject, _, head in e.match(s, CHAIN, None):
            yield subject, CHAIN, tuple(e._list(head))
    elif p == TYPE and isinstance(o, ox.BlankNode) and s is not None:  # a restriction's members are not kept
        if e.round_of((s, p, o)) is not None:
            yield s, p, o
    else:
        yield from e.match(s, p, o)


def _restriction_membership(t: Triple) -> bool:
    return t[1] == TYPE and isinstance(t[2], ox.BlankNode)
