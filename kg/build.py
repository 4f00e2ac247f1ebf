"""``kg build``: articles + registry + mappings -> asserted graphs -> reasoning -> checks -> the build folder.

Each graph (the registry's, each article's) is mapped and validated apart and kept in the build's
cache (``kg.buildcache``) under the hash of what made it: after an edit, only what the edit touches
is mapped and validated again, and graphs that need work are mapped in parallel (one process per
core). The closure continues from the last build's fixpoint when articles were only added, and is
computed again when one changed or went.

The build folder is written whole into a temporary folder, then swapped in: a failed build leaves
the previous one untouched. Its graphs depend on the inputs only (no timestamps, stable blank node
labels, sorted lines), so the same inputs give byte-identical graphs.

One build at a time writes a build folder (a lock file beside it), and its cache with it. A build
that was killed leaves its temporary folder; one stopped between the swap's two renames leaves only
the previous build, renamed. The next build (``recover``, which ``kg serve``, ``kg query`` ... run
through ``build``) removes such leftovers and puts the previous build back, before it decides what
to do. What the cache holds is written whole or not at all, so a killed build costs the next one
only the work it did not keep.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from rdflib import BNode, Graph
from rdflib.compare import to_canonical_graph

from kg import __version__
from kg.buildcache import BuildCache, Mapped, code_digest, digest, folder_digest, read_triples
from kg.coverage import Coverage, measure_coverage
from kg.dataset import (
    DATASET_FILE,
    MANIFEST_FILE,
    ROUNDS_FILE,
    STORE_DIRS,
    GraphInfo,
    Manifest,
    read_manifest,
    write_store,
)
from kg.errors import KgError
from kg.graphio import as_nquads, ntriples_lines, triple_key, write_turtle
from kg.mapping.declarations import check_declarations
from kg.mapping.mapper import map_article_declaring
from kg.mapping.registry import REGISTRY_FILE, Registry, read_registry
from kg.namespaces import ARTICLE, COVERAGE_GRAPH, INFERRED_GRAPH, ONTOLOGY_GRAPH, REGISTRY_GRAPH, graph_for_article
from kg.project import Project
from kg.reasoning import Closure, Reasoner, annotation_properties, reasoning_input
from kg.validation import FactIndex, raise_on_violations, shape_predicates, story_facts, validate_parts
from kg.vocabulary import Vocabulary

#: Worker processes for mapping and validation (default: one per core); 1 runs everything in this process.
WORKERS_ENV = "KG_BUILD_WORKERS"
#: Fewer tasks than this run in this process: a worker takes a second or two to start (imports, the ontology).
MIN_PARALLEL = 8


@dataclass
class BuildReport:
    """What ``kg build`` did: the manifest it wrote (or reused), how long each step took, what it reused."""

    manifest: Manifest
    reused: bool
    timings: dict[str, float] = field(default_factory=dict)
    #: How many graphs were mapped and validated afresh (the rest came from the cache), and how the closure was made.
    work: dict[str, object] = field(default_factory=dict)


@dataclass
class _Made:
    ontology: Graph
    ontology_lines: list[str]
    graphs: list[Mapped]  # the registry's (if any), then the articles' in name order
    closure: Closure
    work: dict


def input_fingerprint(project: Project) -> str:
    """A hash of everything the build reads: ontology, the registry, the articles built, and the code of ``kg``."""
    hashed = hashlib.sha256(code_digest().encode())
    files = [project.ontology_file, project.shapes_file, project.root / "data" / REGISTRY_FILE]
    for path in files:
        if path.is_file():
            hashed.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for folder in project.article_folders():
        hashed.update(folder.name.encode() + b"\0" + folder_digest(folder).encode())
    return hashed.hexdigest()


def build(project: Project, *, force: bool = False) -> BuildReport:
    """Build the dataset into ``project.build_dir``, or reuse it when the inputs have not changed (and its stores
    are all there: a store removed by hand is built again).

    What an interrupted build left is cleaned up first (``recover``).

    :param force: build from scratch, reusing nothing (the cache is written again).
    :raises MappingError: for bad mapping input (file, line and fact named).
    :raises InconsistencyError: when the reasoner finds a contradiction.
    :raises ShapeViolationError: when the asserted data breaks the SHACL shapes.
    :raises KgError: when the build folder cannot be written.
    """
    with _locked(project.build_dir):
        recover(project.build_dir)
        BuildCache(project.cache_dir).clean()
        fingerprint = input_fingerprint(project)
        previous = read_manifest(project.build_dir)
        whole = all((project.build_dir / folder).is_dir() for folder in STORE_DIRS)
        if not force and previous is not None and previous.inputs == fingerprint and whole:
            return BuildReport(previous, reused=True)
        timings: dict[str, float] = {}
        made = _make(project, timings, fresh=force)
        manifest = _timed(timings, "serialize", lambda: _write_build(project, made, fingerprint))
        return BuildReport(manifest, reused=False, timings=timings, work=made.work)


def recover(build_dir: Path) -> list[str]:
    """Clean up after a build that was interrupted; what was done, for the log (call it holding the lock).

    A temporary folder of a killed build is removed. A previous build renamed aside with no
    build in its place (stopped between the swap's renames) is put back; beside a build, it is removed.
    """
    done = []
    for staging in sorted(build_dir.parent.glob(_staging_prefix(build_dir) + "*")):
        shutil.rmtree(staging, ignore_errors=True)
        done.append(f"removed {staging.name}, left by an interrupted build")
    retired = _retired(build_dir)
    if retired.exists() and not build_dir.exists() and read_manifest(retired) is not None:
        retired.rename(build_dir)
        done.append(f"put the previous build back from {retired.name} (a build was stopped while swapping it)")
    elif retired.exists():
        shutil.rmtree(retired, ignore_errors=True)
        done.append(f"removed {retired.name}, left by an interrupted build")
    return done


@contextlib.contextmanager
def _locked(build_dir: Path) -> Iterator[None]:
    """Hold the build folder's lock: another build waits until this one is done."""
    try:
        build_dir.parent.mkdir(parents=True, exist_ok=True)
        lock = open(build_dir.parent / f".{build_dir.name}.lock", "a")  # noqa: SIM115 - closed below
    except OSError as error:
        raise KgError(f"cannot write the build folder {build_dir}: {error.strerror or error}") from None
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _staging_prefix(build_dir: Path) -> str:
    """How the temporary folders of builds of ``build_dir`` begin (beside it, on the same file system).

    >>> _staging_prefix(Path("project/build"))
    '.build-'
    """
    return f".{build_dir.name}-"


def _retired(build_dir: Path) -> Path:
    return build_dir.with_name(build_dir.name + ".old")


def check(project: Project) -> dict[str, int]:
    """Run every check of the build (mapping, reasoning, shapes) without writing the build folder; return counts.

    It holds the build's lock all the same: what it maps and validates goes into the build's cache.
    """
    with _locked(project.build_dir):
        made = _make(project, {}, fresh=False)
    articles = [m for m in made.graphs if m.name.startswith("article-")]
    return {
        "articles": len(articles),
        "asserted": _distinct_asserted(made.graphs),
        "inferred": len(made.closure.inferred),
    }


# -- the steps ----------------------------------------------------------------------------------------------


def _make(project: Project, timings: dict[str, float], *, fresh: bool) -> _Made:
    cache = BuildCache(project.cache_dir)
    schema = digest(code_digest(), project.ontology_file.read_bytes(), project.shapes_file.read_bytes())
    graphs, mapped_afresh = _timed(timings, "map", lambda: _map_all(project, schema, cache, fresh))
    ontology = _inputs(project).ontology
    closure, continued = _timed(timings, "reason", lambda: _reason(project, ontology, graphs, cache, fresh))
    validated = _timed(timings, "validate", lambda: _validate_all(project, graphs, schema, cache, fresh))
    work = {"mapped": mapped_afresh, "validated": validated, "closure": continued}
    return _Made(ontology, ntriples_lines(ontology), graphs, closure, work)


def _map_all(project: Project, schema: str, cache: BuildCache, fresh: bool):
    """Every graph mapped or taken from the cache; then the check across files."""
    inputs = _inputs(project)
    registry_file = project.root / "data" / REGISTRY_FILE
    registry_key = digest(schema, registry_file.read_bytes() if registry_file.is_file() else b"")
    graphs: list[Mapped] = []
    afresh = 0
    if registry_file.is_file():
        found = None if fresh else cache.mapped("registry", registry_key)
        if found is None:
            registry = inputs.registry
            found = _keep(cache, inputs, "registry", str(REGISTRY_GRAPH), registry_key, registry.graph,
                          registry.declarations, [])  # fmt: skip
            afresh += 1
        graphs.append(found)
    tasks: list[tuple[Path, str]] = []
    for folder in project.article_folders():
        key = digest(registry_key, folder.name, folder_digest(folder))
        found = None if fresh else cache.mapped(f"article-{folder.name}", key)
        graphs.append(found)  # None: to map
        if found is None:
            tasks.append((folder, key))
    mapped = iter(_run(_map_one, tasks, project))
    graphs = [g if g is not None else next(mapped) for g in graphs]
    check_declarations([d for g in graphs for d in g.declarations], inputs.vocabulary)
    return graphs, afresh + len(tasks)


@dataclass
class _Inputs:
    """What mapping and validating any graph of a project needs, read once per process."""

    ontology: Graph
    vocabulary: Vocabulary
    registry: Registry
    shapes: Graph
    #: The predicates the shapes read, and the ontology's annotation properties.
    predicates: frozenset
    annotations: frozenset


#: Per process: the inputs read last, under the hash of the files they come from.
_READ: dict[str, _Inputs] = {}


def _inputs(project: Project) -> _Inputs:
    files = [project.ontology_file, project.shapes_file, project.root / "data" / REGISTRY_FILE]
    key = digest(str(project.root), *(p.read_bytes() if p.is_file() else b"" for p in files))
    if key not in _READ:
        ontology = _canonical(Graph().parse(project.ontology_file, format="turtle"))
        vocabulary = Vocabulary(ontology)
        shapes = Graph().parse(project.shapes_file, format="turtle")
        _READ.clear()
        _READ[key] = _Inputs(ontology, vocabulary, read_registry(project, vocabulary), shapes,
                             shape_predicates(shapes), annotation_properties(ontology))  # fmt: skip
    return _READ[key]


def _map_one(project: Project, task: tuple[Path, str]) -> Mapped:
    folder, key = task
    inputs = _inputs(project)
    article, graph, declarations = map_article_declaring(folder, project, inputs.vocabulary, inputs.registry)
    coverage = [c.to_json() for c in measure_coverage(graph)]
    iri = str(graph_for_article(article.slug))
    cache = BuildCache(project.cache_dir)
    return _keep(cache, inputs, f"article-{article.slug}", iri, key, graph, declarations, coverage)


def _keep(cache: BuildCache, inputs: _Inputs, name: str, iri: str, key: str, graph: Graph, declarations: list,
          coverage: list) -> Mapped:  # fmt: skip
    """Write ``graph``'s files and what the build needs of it into the cache."""
    triples = list(graph)
    seen = reasoning_input(graph, inputs.annotations)
    things, facts = story_facts(triples, inputs.predicates)
    own = str(ARTICLE[name.removeprefix("article-")]) if name.startswith("article-") else None
    shareable = frozenset(t for t in triples if _shareable(t, own))
    lines = ntriples_lines(triples)
    turtle = cache.new_file(".ttl")
    write_turtle(lines, turtle)
    mapped = Mapped(name, iri, key, len(triples), seen.triples, seen.hidden, declarations, coverage, things, facts,
                    shareable)  # fmt: skip
    return cache.store(mapped, triples, lines, turtle)


def _shareable(triple: tuple, own: str | None) -> bool:
    """Whether another graph could assert ``triple`` too: not a blank node's, not about this article's own text."""
    if any(isinstance(t, BNode) for t in triple):
        return False
    return own is None or not str(triple[0]).startswith(own)


def _reason(project: Project, ontology: Graph, graphs: list[Mapped], cache: BuildCache, fresh: bool):
    """The closure: continued from the last build's fixpoint when graphs were only added, else computed afresh."""
    keys = {g.name: g.key for g in graphs}
    schema = digest(code_digest(), project.ontology_file.read_bytes())
    state = None if fresh else cache.closure(project.build_dir)
    how = "computed"
    if state is not None and state["schema"] == schema and all(keys.get(n) == k for n, k in state["keys"].items()):
        reasoner = state["reasoner"]
        added = [g for g in graphs if g.name not in state["keys"]]
        how = f"continued (+{len(added)})" if added else "reused"
    else:
        reasoner, added = Reasoner(ontology), graphs
    for graph in added:
        reasoner.add(graph.input)
    cache.store_closure(project.build_dir, {"schema": schema, "keys": keys, "reasoner": reasoner})
    given = set(ontology).union(*(g.input for g in graphs))
    return reasoner.closure(given, [g.hidden for g in graphs]), how


def _validate_all(project: Project, graphs: list[Mapped], schema: str, cache: BuildCache, fresh: bool) -> int:
    """Validate each graph with what the others say of its things (``kg.validation``); cached by all of that."""
    index = FactIndex(g.facts for g in graphs)
    tasks = []
    for graph in graphs:
        context = index.context_of(graph.things, graph.facts)
        key = digest(schema, graph.key, *sorted(ntriples_lines(context)))
        if fresh or not cache.validated(key):
            tasks.append((graph.folder, sorted(context), key))
    raise_on_violations(v for found in _run(_validate_one, tasks, project) for v in found)
    for _, _, key in tasks:
        cache.mark_validated(key)
    return len(tasks)


def _validate_one(project: Project, task: tuple) -> list:
    folder, context, _ = task
    inputs = _inputs(project)
    return validate_parts(inputs.shapes, inputs.ontology, read_triples(folder), context)


def _run(work: Callable, tasks: list, project: Project) -> list:
    """``work(project, task)`` for each task, in worker processes when there are several; results in task order.

    The workers are forked: they share what this process has read, and, unlike spawned ones, do not
    import the caller's main script again (a script that calls ``build`` needs no ``__main__`` guard).
    A process with other threads running forks none (a fork copies their locks): it works alone.
    The first task to fail (in task order) raises its error.
    """
    workers = min(int(os.environ.get(WORKERS_ENV) or len(os.sched_getaffinity(0)) or 1), len(tasks))
    if workers <= 1 or len(tasks) < MIN_PARALLEL or threading.active_count() > 1:
        return [work(project, task) for task in tasks]
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork")) as pool:
        futures = [pool.submit(work, project, task) for task in tasks]
        return [future.result() for future in futures]


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


def _distinct_asserted(graphs: Iterable[Mapped]) -> int:
    """Triples of the registry and article graphs, a triple that two graphs assert counted once."""
    graphs = list(graphs)
    return sum(g.triples for g in graphs) - sum(len(g.shareable) for g in graphs) + len(
        set().union(*(g.shareable for g in graphs)))  # fmt: skip


# -- the build folder -----------------------------------------------------------------------------------------


def _write_build(project: Project, made: _Made, fingerprint: str) -> Manifest:
    project.build_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=_staging_prefix(project.build_dir), dir=project.build_dir.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; the build is for everyone who can read the project
    try:
        (staging / "graphs").mkdir()
        inferred_lines = ntriples_lines(made.closure.inferred)
        infos = [_write_lines(staging, "ontology", str(ONTOLOGY_GRAPH), made.ontology_lines)]
        for graph in made.graphs:
            _link(graph.folder / "graph.ttl", staging / "graphs" / f"{graph.name}.ttl")
            infos.append(GraphInfo(graph.iri, graph.name, f"graphs/{graph.name}.ttl", graph.triples))
        coverage_lines = ntriples_lines(t for g in made.graphs for c in g.coverage for t in Coverage(**c).triples())
        infos.append(_write_lines(staging, "coverage", str(COVERAGE_GRAPH), coverage_lines))
        infos.append(_write_lines(staging, "inferred", str(INFERRED_GRAPH), inferred_lines))
        with (staging / DATASET_FILE).open("w", encoding="utf-8") as dataset:
            dataset.write(as_nquads(made.ontology_lines, str(ONTOLOGY_GRAPH)))
            for graph in made.graphs:
                dataset.write(as_nquads(graph.lines(), graph.iri))
            dataset.write(as_nquads(coverage_lines, str(COVERAGE_GRAPH)))
            dataset.write(as_nquads(inferred_lines, str(INFERRED_GRAPH)))
        written = {str(ONTOLOGY_GRAPH): made.ontology_lines, str(COVERAGE_GRAPH): coverage_lines}
        written[str(INFERRED_GRAPH)] = inferred_lines
        mapped = {graph.iri: graph for graph in made.graphs}
        lines = lambda info: written[info.iri] if info.iri in written else mapped[info.iri].lines()  # noqa: E731
        write_store(staging, infos, lines, code=code_digest(), previous=project.build_dir)
        _write_rounds(staging / ROUNDS_FILE, made.closure)
        manifest = Manifest(
            inputs=fingerprint,
            version=__version__,
            articles=[g.name.removeprefix("article-") for g in made.graphs if g.name.startswith("article-")],
            graphs=infos,
            filtered={reason: n for reason, n in sorted(made.closure.filtered.items())},
            coverage=[c for g in made.graphs for c in g.coverage],
            asserted=_distinct_asserted(made.graphs),
        )
        (staging / MANIFEST_FILE).write_text(json.dumps(manifest.to_json(), indent=2, sort_keys=True) + "\n")
        _swap_in(staging, project.build_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def _write_lines(folder: Path, name: str, iri: str, lines: list[str]) -> GraphInfo:
    write_turtle(lines, folder / "graphs" / f"{name}.ttl")
    return GraphInfo(iri=iri, name=name, file=f"graphs/{name}.ttl", triples=len(lines))


def _link(source: Path, target: Path) -> None:
    """A hard link to the cached file (a copy across file systems)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _write_rounds(path: Path, closure: Closure) -> None:
    """The round that derived each inferred triple, for ``kg explain``."""
    rows = sorted(f"{closure.rounds[t]}\t{triple_key(t)}\n" for t in closure.inferred)
    path.write_text("".join(rows), encoding="utf-8")


def _swap_in(staging: Path, target: Path) -> None:
    retired = _retired(target)
    shutil.rmtree(retired, ignore_errors=True)
    if target.exists():
        target.rename(retired)
    staging.rename(target)
    shutil.rmtree(retired, ignore_errors=True)
