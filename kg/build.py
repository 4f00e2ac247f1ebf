"""``kg build``: article + mapping -> asserted graphs -> reasoning -> checks -> the build folder.

The build folder is written whole into a temporary folder, then swapped in: a failed build leaves
the previous one untouched. Its files depend on the inputs only (no timestamps, stable blank node
labels, sorted N-Quads), so the same inputs give byte-identical files.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import BNode, Graph
from rdflib.compare import to_canonical_graph

from kg import __version__
from kg.coverage import measure_coverage
from kg.dataset import DATASET_FILE, MANIFEST_FILE, ROUNDS_FILE, GraphInfo, Manifest, read_manifest, triple_key
from kg.mapping import Article
from kg.mapping.declarations import check_declarations
from kg.mapping.mapper import map_article_declaring
from kg.mapping.registry import read_registry
from kg.namespaces import INFERRED_GRAPH, ONTOLOGY_GRAPH, REGISTRY_GRAPH, bind_prefixes, graph_for_article
from kg.project import Project
from kg.reasoning import Closure, apply_reasoning
from kg.validation import check_shapes
from kg.vocabulary import Vocabulary


@dataclass
class BuildReport:
    """What ``kg build`` did: the manifest it wrote (or reused) and how long each step took."""

    manifest: Manifest
    reused: bool
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class _Graphs:
    ontology: Graph
    registry: Graph | None
    articles: list[tuple[Article, Graph]]
    closure: Closure


def input_fingerprint(project: Project) -> str:
    """A hash of everything the build reads: ontology, data folders, and the code of ``kg``."""
    digest = hashlib.sha256(__version__.encode())
    code = Path(__file__).parent
    inputs = [p for folder in ("ontology", "data") for p in (project.root / folder).rglob("*")]
    named = [(p, p.relative_to(project.root)) for p in inputs]
    named += [(p, Path("kg") / p.relative_to(code)) for p in code.rglob("*.py")]
    for path, name in sorted(named, key=lambda pair: str(pair[1])):
        if path.is_file():
            digest.update(str(name).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def build(project: Project, *, force: bool = False) -> BuildReport:
    """Build the dataset into ``project.build_dir``, or reuse it when the inputs have not changed.

    :raises MappingError: for bad mapping input (file, line and fact named).
    :raises InconsistencyError: when the reasoner finds a contradiction.
    :raises ShapeViolationError: when the asserted data breaks the SHACL shapes.
    """
    fingerprint = input_fingerprint(project)
    previous = read_manifest(project.build_dir)
    if not force and previous is not None and previous.inputs == fingerprint:
        return BuildReport(previous, reused=True)
    timings: dict[str, float] = {}
    graphs = _make_graphs(project, timings)
    manifest = _timed(timings, "serialize", lambda: _write_build(project, graphs, fingerprint))
    return BuildReport(manifest, reused=False, timings=timings)


def check(project: Project) -> dict[str, int]:
    """Run every check of the build (mapping, reasoning, shapes) without writing anything; return counts."""
    graphs = _make_graphs(project, {})
    return {
        "articles": len(graphs.articles),
        "asserted": _distinct_asserted(graphs),
        "inferred": len(graphs.closure.inferred),
    }


def _distinct_asserted(graphs: _Graphs) -> int:
    """Triples of the registry and article graphs, a triple that two graphs assert counted once."""
    asserted = ([graphs.registry] if graphs.registry is not None else []) + [g for _, g in graphs.articles]
    return len(set().union(*(set(g) for g in asserted)))


def _make_graphs(project: Project, timings: dict[str, float]) -> _Graphs:
    def map_all():
        ontology = _canonical(Graph().parse(project.ontology_file, format="turtle"))
        vocabulary = Vocabulary(ontology)
        registry = read_registry(project, vocabulary)
        declared = list(registry.declarations)
        articles = []
        for folder in project.article_folders():
            article, graph, declarations = map_article_declaring(folder, project, vocabulary, registry)
            articles.append((article, graph))
            declared += declarations
        check_declarations(declared, vocabulary)
        return ontology, (registry.graph if registry.digest else None), articles

    ontology, registry, articles = _timed(timings, "map", map_all)
    asserted = ([registry] if registry is not None else []) + [graph for _, graph in articles]
    closure = _timed(timings, "reason", lambda: apply_reasoning(ontology, asserted))
    _timed(timings, "validate", lambda: check_shapes(project.shapes_file, ontology, asserted))
    return _Graphs(ontology, registry, articles, closure)


def _canonical(graph: Graph) -> Graph:
    """The graph with canonical blank node labels: the same file gives the same build, byte for byte.

    rdflib's canonical labels are 66 characters long; they are numbered ``o1``, ``o2`` ... in their
    sorted order instead, short as the OWL API and RDF/XML want them.
    """
    triples = list(to_canonical_graph(graph))
    labels = sorted({t for triple in triples for t in triple if isinstance(t, BNode)})
    short = {label: BNode(f"o{number}") for number, label in enumerate(labels, start=1)}
    canonical = Graph()
    canonical.addN((*(short.get(t, t) for t in triple), canonical) for triple in triples)
    return canonical


def _timed(timings: dict[str, float], step: str, work: Callable):
    start = time.perf_counter()
    result = work()
    timings[step] = time.perf_counter() - start
    return result


def _write_build(project: Project, graphs: _Graphs, fingerprint: str) -> Manifest:
    named = [("ontology", ONTOLOGY_GRAPH, graphs.ontology)]
    if graphs.registry is not None:
        named.append(("registry", REGISTRY_GRAPH, graphs.registry))
    named += [(f"article-{article.slug}", graph_for_article(article.slug), g) for article, g in graphs.articles]
    inferred = bind_prefixes(Graph())
    inferred.addN((*triple, inferred) for triple in graphs.closure.inferred)
    named.append(("inferred", INFERRED_GRAPH, inferred))
    project.build_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".build-", dir=project.build_dir.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; the build is for everyone who can read the project
    try:
        infos = [_write_graph(staging, name, iri, graph) for name, iri, graph in named]
        _write_dataset(staging / DATASET_FILE, named)
        _write_rounds(staging / ROUNDS_FILE, graphs.closure)
        manifest = Manifest(
            inputs=fingerprint,
            version=__version__,
            articles=[article.slug for article, _ in graphs.articles],
            graphs=infos,
            filtered={reason: n for reason, n in sorted(graphs.closure.filtered.items())},
            coverage=[c.to_json() for _, graph in graphs.articles for c in measure_coverage(graph)],
            asserted=_distinct_asserted(graphs),
        )
        (staging / MANIFEST_FILE).write_text(json.dumps(manifest.to_json(), indent=2, sort_keys=True) + "\n")
        _swap_in(staging, project.build_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def _write_graph(folder: Path, name: str, iri, graph: Graph) -> GraphInfo:
    bind_prefixes(graph)
    path = folder / "graphs" / f"{name}.ttl"
    path.parent.mkdir(exist_ok=True)
    graph.serialize(path, format="turtle", encoding="utf-8")
    return GraphInfo(iri=str(iri), name=name, file=f"graphs/{name}.ttl", triples=len(graph))


def _write_dataset(path: Path, named: list) -> None:
    """All graphs as N-Quads, lines sorted: the file the endpoint and the exports load."""
    lines: list[str] = []
    for _, iri, graph in named:
        context = f" <{iri}> .\n"
        for line in graph.serialize(format="nt", encoding="utf-8").decode().splitlines():
            if line:
                lines.append(line[: -len(" .")] + context if line.endswith(" .") else line)
    path.write_text("".join(sorted(lines)), encoding="utf-8")


def _write_rounds(path: Path, closure: Closure) -> None:
    """The owlrl round that derived each inferred triple, for ``kg explain``."""
    rows = sorted(f"{closure.rounds[t]}\t{triple_key(t)}\n" for t in closure.inferred)
    path.write_text("".join(rows), encoding="utf-8")


def _swap_in(staging: Path, target: Path) -> None:
    retired = target.with_name(target.name + ".old")
    shutil.rmtree(retired, ignore_errors=True)
    if target.exists():
        target.rename(retired)
    staging.rename(target)
    shutil.rmtree(retired, ignore_errors=True)
