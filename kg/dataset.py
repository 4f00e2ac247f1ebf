"""The built dataset as the rest of the project reads it: its manifest, and an Oxigraph store of its quads."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Literal

from kg.errors import NotBuiltError

#: Every named graph, as sorted N-Quads.
DATASET_FILE = "dataset.nq"
#: What was built from what: graph IRIs and counts, and the fingerprint of the inputs.
MANIFEST_FILE = "manifest.json"
#: The reasoning round of each inferred triple, for explanations.
ROUNDS_FILE = "rounds.tsv"


@dataclass(frozen=True)
class GraphInfo:
    """One named graph of the dataset."""

    iri: str
    name: str
    file: str
    triples: int


@dataclass
class Manifest:
    """The build folder's table of contents."""

    inputs: str
    version: str
    articles: list[str]
    graphs: list[GraphInfo]
    filtered: dict[str, int] = field(default_factory=dict)
    #: Per article, what its graph covers (``kg.coverage.Coverage.to_json``).
    coverage: list[dict] = field(default_factory=list)
    #: Distinct triples asserted over the registry and article graphs (a triple two articles state counts once).
    asserted: int = 0

    @property
    def counts(self) -> dict[str, int]:
        """Triples asserted (registry and article graphs, each triple once), in the ontology, inferred, filtered out."""
        by_kind = {"ontology": 0, "inferred": 0}
        for info in self.graphs:
            if info.name in by_kind:  # graphs served beside the build (``KG_SERVER_GRAPHS``) are not counted
                by_kind[info.name] += info.triples
        return {"asserted": self.asserted, **by_kind, "filtered out": sum(self.filtered.values())}

    def graph(self, name: str) -> GraphInfo | None:
        return next((g for g in self.graphs if g.name == name), None)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Manifest:
        return cls(**{**data, "graphs": [GraphInfo(**g) for g in data["graphs"]]})


def in_default_graph(info: GraphInfo) -> bool:
    """Whether a graph of the build is merged into the store's default graph: the ontology and what is asserted.

    A triple that two articles assert (a person's label) is in both their graphs; the default graph
    holds it once. (Oxigraph 0.5 counts a triple once per graph when it merges graphs at query time:
    oxigraph/oxigraph#1919.)
    """
    return info.name in ("ontology", "registry") or info.name.startswith("article-")


def triple_key(triple: tuple) -> str:
    r"""A triple as one line of N-Triples terms, the same for rdflib's and Oxigraph's terms.

    Oxigraph writes the terms (escapes, language tag case), so the build that writes
    ``rounds.tsv`` with rdflib terms and ``kg explain`` that reads it with Oxigraph's agree.

    >>> from rdflib import Literal, URIRef
    >>> triple_key((URIRef("urn:s"), URIRef("urn:p"), Literal("a\nb", lang="en-GB")))
    '<urn:s> <urn:p> "a\\nb"@en-gb'
    """
    return " ".join(str(_oxigraph_term(term)) for term in triple)


def _oxigraph_term(term):
    if isinstance(term, ox.NamedNode | ox.BlankNode | ox.Literal):
        return term
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        return ox.Literal(str(term), datatype=ox.NamedNode(term.datatype)) if term.datatype else ox.Literal(str(term))
    return ox.BlankNode(str(term)) if isinstance(term, BNode) else ox.NamedNode(str(term))


def read_manifest(build_dir: Path) -> Manifest | None:
    """The manifest of the build in ``build_dir``, or None when there is no complete build."""
    try:
        return Manifest.from_json(json.loads((build_dir / MANIFEST_FILE).read_text()))
    except (OSError, ValueError, TypeError, KeyError):
        return None


def pin_build(build_dir: Path, into: Path, *, graph_files: bool = False) -> Path:
    """A private, unchanging view of the build in ``build_dir``, in the empty folder ``into``.

    ``kg build`` swaps the build folder whole while a server may be reading it (``kg query`` after
    an edit rebuilds). A long-running reader pins the build: hard links (copies across file
    systems) keep the files it started with, whatever happens to ``build_dir`` after.

    :param graph_files: pin each named graph's own file too (``kg publish`` sends them).
    :raises NotBuiltError: when ``build_dir`` holds no complete build.
    """
    for _ in range(3):
        before = (build_dir / MANIFEST_FILE).read_bytes() if (build_dir / MANIFEST_FILE).exists() else None
        if before is None:
            break
        names = [MANIFEST_FILE, DATASET_FILE, ROUNDS_FILE]  # the rounds: for the pages' proofs
        if graph_files:
            names += [info.file for info in Manifest.from_json(json.loads(before)).graphs]
        try:
            for name in names:
                _link(build_dir / name, into / name)
        except FileNotFoundError:  # swapped while linking: try again
            continue
        if (build_dir / MANIFEST_FILE).read_bytes() == before == (into / MANIFEST_FILE).read_bytes():
            return into  # no swap in between: manifest and dataset belong together
    raise NotBuiltError(f"no build in {build_dir}: run 'kg build' first")


def _link(source: Path, target: Path) -> None:
    """A hard link to ``source`` at ``target`` (a copy across file systems), replacing what is there."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except FileNotFoundError:
        raise
    except OSError:
        shutil.copyfile(source, target)


def load_store(build_dir: Path) -> tuple[Manifest, ox.Store]:
    """An in-memory Oxigraph store holding every graph of the build, and, as its default graph, the
    RDF merge of the ontology and the asserted graphs (``in_default_graph``).

    :raises NotBuiltError: when ``build_dir`` holds no complete build.
    """
    manifest = read_manifest(build_dir)
    if manifest is None:
        raise NotBuiltError(f"no build in {build_dir}: run 'kg build' first")
    store = ox.Store()
    # The build's blank node labels are kept (bulk_load would make up random ones), so every load,
    # in every process, gives the same labels, and ORDER BY over blank nodes gives the same order.
    quads = ox.parse(path=str(build_dir / DATASET_FILE), format=ox.RdfFormat.N_QUADS, rename_blank_nodes=False)
    merged = {ox.NamedNode(info.iri) for info in manifest.graphs if in_default_graph(info)}
    store.bulk_extend(_with_merge(quads, merged))
    return manifest, store


def _with_merge(quads, merged: set):
    """Each quad, and again in the default graph when its graph is merged there."""
    default = ox.DefaultGraph()
    for quad in quads:
        yield quad
        if quad.graph_name in merged:
            yield ox.Quad(quad.subject, quad.predicate, quad.object, default)
