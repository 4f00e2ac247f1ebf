"""Proofs of inferred statements for the pages ("why?"), found by ``kg.explain`` over SPARQL.

``kg.explain.Explainer`` searches a store by triple patterns. Here the store is the served dataset,
reached only through the query workers: ``WorkerStore`` answers the three calls the explainer
makes with SPARQL queries. Blank nodes (the lists of property chain axioms) cannot be named in a
query, so each one met is remembered with the path that reached it from an IRI.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import pyoxigraph as ox

from kg.dataset import ROUNDS_FILE, Manifest
from kg.explain import Explainer
from server.reader import Reader

_VARIABLES = ("s", "p", "o")


class WorkerStore:
    """As much of ``pyoxigraph.Store`` as ``Explainer`` uses, answered by the query workers."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        #: Blank node -> (IRI term, property path) that reaches it.
        self._paths: dict[ox.BlankNode, tuple[str, str]] = {}

    def _pattern(self, terms: tuple, graph: ox.NamedNode) -> tuple[str, list[str]]:
        """A graph pattern for ``terms`` (None for any) in ``graph``; the variables it leaves open."""
        parts, free, prelude = [], [], []
        for name, term in zip(_VARIABLES, terms, strict=True):
            if term is None:
                parts.append(f"?{name}")
                free.append(name)
            elif isinstance(term, ox.BlankNode):
                anchor, path = self._paths[term]
                prelude.append(f"GRAPH {graph} {{ {anchor} {path} ?{name} }}")
                parts.append(f"?{name}")
            else:
                parts.append(str(term))
        return " ".join(prelude) + f" GRAPH {graph} {{ {' '.join(parts)} }}", free

    def __contains__(self, quad: ox.Quad) -> bool:
        pattern, _ = self._pattern((quad.subject, quad.predicate, quad.object), quad.graph_name)
        return self.reader.ask(f"ASK {{ {pattern} }}")

    def quads_for_pattern(self, s, p, o, graph: ox.NamedNode) -> Iterator[ox.Quad]:
        pattern, free = self._pattern((s, p, o), graph)
        if not free:
            if ox.Quad(s, p, o, graph) in self:
                yield ox.Quad(s, p, o, graph)
            return
        order = " ".join(f"?{name}" for name in free)
        for row in self.reader.select(f"SELECT ?{' ?'.join(free)} WHERE {{ {pattern} }} ORDER BY {order}"):
            bound = dict(zip(_VARIABLES, (s, p, o), strict=True))
            for name in free:
                bound[name] = row[name].oxigraph()
            self._remember_paths(s, p, o, bound)
            yield ox.Quad(bound["s"], bound["p"], bound["o"], graph)

    def _remember_paths(self, s, p, o, bound: dict) -> None:
        """A blank node found as the object of (IRI or remembered node, IRI predicate) is reachable from there."""
        if o is None and isinstance(bound["o"], ox.BlankNode) and isinstance(bound["p"], ox.NamedNode):
            subject = bound["s"]
            if isinstance(subject, ox.NamedNode):
                self._paths.setdefault(bound["o"], (str(subject), str(bound["p"])))
            elif subject in self._paths:
                anchor, path = self._paths[subject]
                self._paths.setdefault(bound["o"], (anchor, f"{path}/{bound['p']}"))

    def query(self, query: str, *, prefixes: Mapping[str, str], substitutions: Mapping) -> Iterator[dict]:
        """``query`` with ``substitutions`` bound by a VALUES clause at the start of its WHERE."""
        names = " ".join(f"?{variable.value}" for variable in substitutions)
        values = " ".join(str(term) for term in substitutions.values())
        bound = re.sub(r"WHERE\s*\{", f"WHERE {{ VALUES ({names}) {{ ({values}) }}", query, count=1)
        for row in self.reader.select(bound):
            yield _Row({name: term.oxigraph() for name, term in row.items()})


class _Row(dict):
    """A result row that, like Oxigraph's, gives None for an unbound variable."""

    def __getitem__(self, name: str):
        return self.get(name)


def explainer(reader: Reader, manifest: Manifest | None, build_dir: Path | None) -> Explainer | None:
    """An explainer over the served build; None when there is none to explain from (a remote backend)."""
    if manifest is None or build_dir is None or not (build_dir / ROUNDS_FILE).is_file():
        return None
    return Explainer(WorkerStore(reader), manifest, build_dir)
