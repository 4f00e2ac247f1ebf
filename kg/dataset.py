"""The built dataset as the rest of the project reads it: its manifest, and on-disk Oxigraph stores of its quads.

The build writes two stores once (``write_store``), one per inference setting: the same named
graphs in each, and as the default graph the merge of every graph, or of all but the inferred one
(``infer=false``). Every reader opens them read-only (``open_store``): the server's query workers,
``kg query``, ``kg explain`` and the exports. Opening takes milliseconds whatever the size, and
readers share the operating system's page cache rather than each parsing the build into a copy of
its own.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import pyoxigraph as ox

from kg.errors import KgError, NotBuiltError, UnsupportedFormat
from kg.formats import rdf_syntax_from_extension

#: Every named graph, as sorted N-Quads.
DATASET_FILE = "dataset.nq"
#: What was built from what: graph IRIs and counts, and the fingerprint of the inputs.
MANIFEST_FILE = "manifest.json"
#: The reasoning round of each inferred triple, for explanations.
ROUNDS_FILE = "rounds.tsv"
#: The folder of the on-disk Oxigraph (RocksDB) store whose default graph merges every graph, the inferred one too.
STORE_DIR = "store"
#: The folder of the store whose default graph merges every graph but the inferred one (``infer=false``).
ASSERTED_STORE_DIR = "store-asserted"
#: Both stores' folders; each holds every named graph.
STORE_DIRS = (STORE_DIR, ASSERTED_STORE_DIR)
#: The file of a store (beside RocksDB's, which it ignores) that holds its probes (``open_every_table``).
PROBES_FILE = "KG_PROBES"


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


def store_folder(*, infer: bool) -> str:
    """The folder of the store whose default graph is the one a query with (or without) inferences reads."""
    return STORE_DIR if infer else ASSERTED_STORE_DIR


def merged_into(folder: str, info: GraphInfo) -> bool:
    """Whether a graph of the build is merged into the default graph of the store in ``folder`` (a ``STORE_DIRS``).

    A triple that two articles assert (a person's label) is in both their graphs; the default graph
    holds it once. (Oxigraph 0.5 counts a triple once per graph when it merges graphs at query time:
    oxigraph/oxigraph#1919.) Two stores rather than one: a query over one merged graph takes 0.6
    of the time it takes over the merge of two made at query time (the questions at 100 articles),
    and a second merge in the same store would be a named graph that ``GRAPH ?g`` must not see,
    which made such queries up to 30 times slower. The price is the disk, twice.
    """
    return folder == STORE_DIR or info.name != "inferred"


def read_manifest(build_dir: Path) -> Manifest | None:
    """The manifest of the build in ``build_dir``, or None when there is no complete build."""
    try:
        return Manifest.from_json(json.loads((build_dir / MANIFEST_FILE).read_text()))
    except (OSError, ValueError, TypeError, KeyError):
        return None


def pin_build(
    build_dir: Path, into: Path, *, graph_files: bool = False, graphs: Mapping[str, Path] | None = None
) -> Path:
    """A private, unchanging view of the build in ``build_dir``, in the empty folder ``into``.

    ``kg build`` swaps the build folder whole while a server may be reading it (``kg query`` after
    an edit rebuilds). A long-running reader pins the build: hard links (copies across file
    systems) keep the files it started with, whatever happens to ``build_dir`` after. The store's
    files are linked too: RocksDB never changes a table file once written.

    :param graph_files: pin each named graph's own file too (``kg publish`` sends them).
    :param graphs: extra named graphs (IRI -> RDF file) to serve beside the build: the pinned store
        and manifest hold them too (``add_graphs``).
    :raises NotBuiltError: when ``build_dir`` holds no complete build.
    :raises UnsupportedFormat, KgError: for an extra graph that cannot be read (``add_graphs``).
    """
    for _ in range(3):
        before = (build_dir / MANIFEST_FILE).read_bytes() if (build_dir / MANIFEST_FILE).exists() else None
        if before is None:
            break
        names = [MANIFEST_FILE, DATASET_FILE, ROUNDS_FILE]  # the rounds: for the pages' proofs
        if graph_files:
            names += [info.file for info in Manifest.from_json(json.loads(before)).graphs]
        try:
            names += [f"{folder}/{name}" for folder in STORE_DIRS for name in os.listdir(build_dir / folder)]
            for name in names:
                _link(build_dir / name, into / name)
        except FileNotFoundError:  # swapped while linking: try again
            continue
        if (build_dir / MANIFEST_FILE).read_bytes() == before == (into / MANIFEST_FILE).read_bytes():
            if graphs:
                add_graphs(into, graphs)
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


def write_store(
    folder: Path,
    graphs: list[GraphInfo],
    lines: Callable[[GraphInfo], list[str]],
    *,
    code: str,
    previous: Path | None = None,
) -> None:
    """Write the stores of the build being written in ``folder`` (whose ``dataset.nq`` and graph files are written).

    Each holds every named graph and, as its default graph, the RDF merge of those ``merged_into``
    it. The build's blank node labels are kept (the bulk loader would make up random ones), so
    that they are those of ``dataset.nq`` and ``rounds.tsv``.

    With the folder of the ``previous`` build, its stores are taken over (``_take_over``) and only
    the graphs whose files changed are rewritten, by difference: at 100 articles, one article
    changed costs seconds where writing a whole store costs ten. Else each store is written whole
    from ``dataset.nq``. Either way it is compacted, and given the probes that open every table
    file (``open_every_table``).

    :param lines: the sorted N-Triples lines of a graph (read only for the graphs that changed).
    :param code: a hash of the code writing the stores: a store written by other code is not taken over.
    """

    def changed(old: str, new: str) -> bool:
        return previous is None or not _same_file(previous / old, folder / new)

    for name in STORE_DIRS:
        before = read_manifest(previous) if previous is not None and _written_by(previous / name, code) else None
        if previous is not None and before is not None:
            _take_over(previous / name, folder / name)
        store = ox.Store(str(folder / name))
        if before is not None:
            _update(store, name, before.graphs, graphs, lines, changed)
        else:
            quads = ox.parse(path=str(folder / DATASET_FILE), format=ox.RdfFormat.N_QUADS, rename_blank_nodes=False)
            store.bulk_extend(_with_merge(quads, {ox.NamedNode(i.iri) for i in graphs if merged_into(name, i)}))
        store.optimize()
        del store  # closed: the files are complete, and nothing writes them again
        write_probes(folder / name, folder / DATASET_FILE)
        (folder / name / _CODE_FILE).write_text(code)


#: The file of a store (beside RocksDB's, which it ignores) that holds the hash of the code that wrote it.
_CODE_FILE = "KG_CODE"


def _written_by(store_dir: Path, code: str) -> bool:
    try:
        return (store_dir / _CODE_FILE).read_text() == code
    except OSError:
        return False


def _update(
    store: ox.Store,
    folder: str,
    old: list[GraphInfo],
    new: list[GraphInfo],
    lines: Callable[[GraphInfo], list[str]],
    changed: Callable[[str, str], bool],
) -> None:
    """Make ``store``, which holds the graphs ``old``, hold the graphs ``new`` instead, writing only the differences.

    Its default graph merges the graphs ``merged_into`` the store's ``folder``. A triple no longer
    in a merged graph leaves the default graph too, unless another merged graph still holds it.
    """
    was = {info.iri: info for info in old}
    merged = {ox.NamedNode(info.iri) for info in new if merged_into(folder, info)}
    was_merged = {info.iri for info in old if merged_into(folder, info)}
    default = ox.DefaultGraph()
    gone_from_merged: set[ox.Triple] = set()
    for info in new:
        if info.iri in was and not changed(was[info.iri].file, info.file):
            continue
        graph = ox.NamedNode(info.iri)
        held = _triples_of(store, graph)
        text = "".join(lines(info)).encode("utf-8")
        wanted = {quad.triple for quad in ox.parse(text, format=ox.RdfFormat.N_TRIPLES, rename_blank_nodes=False)}
        for triple in held - wanted:
            store.remove(ox.Quad(*triple, graph))
        added = wanted - held
        store.extend(ox.Quad(*triple, graph) for triple in added)
        if graph in merged:
            store.extend(ox.Quad(*triple, default) for triple in added)
        if graph in merged or info.iri in was_merged:
            gone_from_merged |= held - wanted
    for iri in was.keys() - {info.iri for info in new}:
        graph = ox.NamedNode(iri)
        if iri in was_merged:
            gone_from_merged |= _triples_of(store, graph)
        store.remove_graph(graph)
    for triple in gone_from_merged:
        holders = {q.graph_name for q in store.quads_for_pattern(triple.subject, triple.predicate, triple.object)}
        if not holders & merged:
            store.remove(ox.Quad(*triple, default))


def _triples_of(store: ox.Store, graph: ox.NamedNode) -> set[ox.Triple]:
    return {quad.triple for quad in store.quads_for_pattern(None, None, None, graph)}


def _take_over(source: Path, target: Path) -> None:
    """A store of its own in ``target`` with the content of the one in ``source``, as a RocksDB checkpoint makes it:
    the table files linked (RocksDB never writes one again), the others copied."""
    target.mkdir()
    for path in source.iterdir():
        if path.suffix == ".sst":
            _link(path, target / path.name)
        else:
            shutil.copyfile(path, target / path.name)


def _same_file(a: Path, b: Path) -> bool:
    """True when the two files have the same bytes (the same file, linked twice, at once)."""
    try:
        return a.samefile(b) or a.read_bytes() == b.read_bytes()
    except OSError:
        return False


def open_store(build_dir: Path, *, infer: bool = True) -> tuple[Manifest, ox.Store]:
    """The manifest of the build in ``build_dir`` and one of its stores, opened read-only.

    Both hold every named graph; the default graph of the one opened with ``infer=False`` leaves
    the inferred triples out (``merged_into``).

    :raises NotBuiltError: when ``build_dir`` holds no complete build.
    """
    for _ in range(3):
        manifest = read_manifest(build_dir)
        if manifest is None:
            break
        try:
            store = ox.Store.read_only(str(build_dir / store_folder(infer=infer)))
        except OSError:
            continue  # no store (a build of an older kg), or swapped by kg build while opening
        if read_manifest(build_dir) == manifest:
            return manifest, store
    raise NotBuiltError(f"no build in {build_dir}: run 'kg build' first")


def store_files(folder: Path) -> list[Path]:
    """The table files of the store in ``folder`` (RocksDB's ``.sst`` files)."""
    return sorted(path for path in folder.iterdir() if path.suffix == ".sst")


def open_every_table(store: ox.Store, folder: Path) -> list[Path]:
    """Have ``store`` (opened read-only from ``folder``) open every one of its table files; those it could not open.

    RocksDB opens at most 16 table files as a store is opened (its initial load, across the whole
    store, when the cache of open tables is bounded, as Oxigraph bounds it), the others on the first
    read that needs them: a reader that then shuts itself off from files (a query worker) could
    not. The build stores a few of its quads beside the store (``PROBES_FILE``), chosen so that
    looking each up by subject, by predicate and object, and by object, in its graph, in the
    default graph and in any graph, reads from every table file: the lookups take milliseconds,
    where a scan of every index would take seconds at 100 articles.

    :returns: the table files still not open (none, unless the store was changed after the build).
    """
    try:
        probes = (folder / PROBES_FILE).read_bytes()
    except FileNotFoundError:  # a store of an older kg: the initial load may have opened every file
        probes = b""
    _probe(store, list(ox.parse(probes, format=ox.RdfFormat.N_QUADS, rename_blank_nodes=False)))
    return _unopened(store_files(folder))


def _probe(store: ox.Store, quads: list[ox.Quad]) -> None:
    """Look each quad up by its subject, its predicate and object, and its object, in three ways each."""
    list(store.named_graphs())
    for quad in quads:
        for graph in (quad.graph_name, ox.DefaultGraph(), None):
            for pattern in ((quad.subject, None, None), (None, quad.predicate, quad.object), (None, None, quad.object)):
                next(store.quads_for_pattern(*pattern, graph), None)


def _unopened(paths: list[Path]) -> list[Path]:
    """Those of ``paths`` that this process holds no descriptor of (Linux's ``/proc``)."""
    held = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # the listing's own descriptor, gone
            held.add(os.readlink(f"/proc/self/fd/{fd}"))
    return [path for path in paths if str(path.resolve()) not in held]


def write_probes(store_dir: Path, dataset: Path) -> None:
    """Write the probes of the store in ``store_dir`` (``open_every_table``): quads of ``dataset``, evenly spaced.

    ``write_store`` calls it; call it again after changing a store's table files by other means.

    Four times as many are tried until their lookups, in a fresh read-only opening, have read from
    every table file (64 have been enough up to 250 articles, a store of 19 table files). Where there
    is no ``/proc`` to tell, 4,096.
    """
    size = dataset.stat().st_size
    can_tell = os.path.isdir("/proc/self/fd")
    count = 64 if can_tell else 4096
    while True:
        probes = _lines_at(dataset, [size * i // count for i in range(count)])
        if not can_tell:
            break
        store = ox.Store.read_only(str(store_dir))
        _probe(store, list(ox.parse(probes, format=ox.RdfFormat.N_QUADS, rename_blank_nodes=False)))
        unopened = _unopened(store_files(store_dir))
        del store
        if not unopened:
            break
        if count >= _MOST_PROBES:
            raise KgError(f"no quads of {dataset} read from the table files {', '.join(p.name for p in unopened)}")
        count *= 4
    (store_dir / PROBES_FILE).write_bytes(probes)


#: More probes than any store needs: the worker looks them up at every start (64 up to 250 articles).
_MOST_PROBES = 2**16


def _lines_at(path: Path, offsets: list[int]) -> bytes:
    """The distinct lines of ``path`` that start at or after each of ``offsets`` (the first line for 0)."""
    lines = {}
    with path.open("rb") as file:
        for offset in offsets:
            file.seek(max(offset - 1, 0))
            if offset:
                file.readline()  # the rest of the line the offset falls in (or the line ending before it)
            line = file.readline()
            if line:
                lines[line] = None
    return b"".join(lines)


def add_graphs(folder: Path, graphs: Mapping[str, Path]) -> Manifest:
    """Add extra named graphs (IRI -> RDF file) to the pinned build in ``folder``: its stores and its manifest.

    The stores' table files were linked from the build (``pin_build``): each store becomes a copy
    of its own first, the table files still linked (as a RocksDB checkpoint does: they are never
    written again), the others copied. The graphs go into the store's write-ahead log, not into
    new table files, which the build's probes would not reach (``open_every_table``), and every reader
    replays the log as it opens the store (keep extra graphs small; data of size belongs in the
    build). Each file's blank nodes are its own (two files' ``_:b0`` are two nodes). The extra
    graphs count as asserted data: they join the default graph's merge in both stores. The new
    manifest (written to ``folder``) lists them, with their triple counts.

    :raises UnsupportedFormat: for a file whose extension names no triple syntax.
    :raises KgError: for a graph name that is not an absolute IRI or is the build's, or a file that cannot be
        read or parsed.
    """
    manifest = read_manifest(folder)
    assert manifest is not None  # pinned
    for iri, path in graphs.items():
        if iri in {info.iri for info in manifest.graphs}:
            raise KgError(f"the graph name <{iri}> is one of the build's own")
        _check_graph(iri, path)
    for name in STORE_DIRS:
        _unshare_store(folder / name)
        store = ox.Store(str(folder / name))
        extra = []
        for iri, path in graphs.items():
            _load_graph(store, iri, path)
            held = [quad.triple for quad in store.quads_for_pattern(None, None, None, ox.NamedNode(iri))]
            store.extend(ox.Quad(*triple, ox.DefaultGraph()) for triple in held)
            extra.append(GraphInfo(iri=iri, name=f"extra {iri}", file=str(path), triples=len(held)))
        del store  # closed, the graphs in its log
    served = replace(manifest, graphs=[*manifest.graphs, *extra])
    written = folder / f"{MANIFEST_FILE}.new"  # a new file: the pinned one is a link to the build's
    written.write_text(json.dumps(served.to_json(), indent=2, sort_keys=True) + "\n")
    written.replace(folder / MANIFEST_FILE)
    return served


def _unshare_store(store_dir: Path) -> None:
    """Replace the links to the build's store files by copies, but for the table files, which RocksDB never writes."""
    for path in store_dir.iterdir():
        if path.suffix != ".sst":
            copy = path.with_name(path.name + ".copy")
            shutil.copyfile(path, copy)
            copy.replace(path)


def _check_graph(iri: str, path: Path) -> None:
    try:
        ox.NamedNode(iri)
    except ValueError:
        raise KgError(f"the graph name {iri!r} is not an absolute IRI") from None
    _graph_syntax(path)
    if not path.is_file():
        raise KgError(f"cannot read the graph file {path}: there is no such file")


def _load_graph(store: ox.Store, iri: str, path: Path) -> None:
    syntax = _graph_syntax(path)
    try:
        store.load(path=str(path), format=syntax.oxigraph, to_graph=ox.NamedNode(iri))
    except OSError as error:
        raise KgError(f"cannot read the graph file {path}: {error.strerror or error}") from None
    except SyntaxError as error:
        detail = " ".join(str(error).split())[:200]
        raise KgError(f"the graph file {path} is not valid {syntax.name}: {detail}") from None


def _graph_syntax(path: Path):
    syntax = rdf_syntax_from_extension(str(path))
    if syntax is None or syntax.datasets:
        raise UnsupportedFormat(f"cannot load {path.name} as one graph: use a .ttl, .nt, .rdf or .jsonld file")
    return syntax


def _with_merge(quads, merged: set):
    """Each quad, and again in the default graph when its graph is merged there."""
    default = ox.DefaultGraph()
    for quad in quads:
        yield quad
        if quad.graph_name in merged:
            yield ox.Quad(quad.subject, quad.predicate, quad.object, default)
