"""The build's cache: each mapped graph and its validation, kept under the hash of what made it.

An article's graph depends on its folder, the registry, the ontology and the code of ``kg``; its
key hashes them all, so an edit to one article re-maps that article only, and an edit to the
registry or the ontology re-maps every one. A graph's validation depends on the graph, the shapes
and the statements of other graphs about the things it types (``kg.validation``); its key hashes
those. The closure of the last build is kept too, so that a build that only adds articles
continues from its fixpoint.

The cache lives beside the build folder (``build.cache/``), private to this machine: it is written
with ``pickle`` and read only by the build that wrote it (same key, same code).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from kg import __version__

#: Bump when what the cache holds changes shape.
FORMAT = "1"
#: How the files and folders being written begin: what a killed build leaves (``BuildCache.clean``).
STAGING = ".staging-"


def code_digest() -> str:
    """A hash of the code of ``kg`` (every module): a changed build step invalidates what it made."""
    digest = hashlib.sha256(f"{__version__}/{FORMAT}".encode())
    code = Path(__file__).parent
    for path in sorted(code.rglob("*.py")):
        digest.update(str(path.relative_to(code)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def digest(*parts: str | bytes) -> str:
    """SHA-256 of ``parts``, each delimited."""
    hashed = hashlib.sha256()
    for part in parts:
        hashed.update(part if isinstance(part, bytes) else part.encode())
        hashed.update(b"\0")
    return hashed.hexdigest()


def folder_digest(folder: Path) -> str:
    """A hash of every file under ``folder`` (names and contents)."""
    hashed = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        hashed.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes() + b"\0")
    return hashed.hexdigest()


@dataclass
class Mapped:
    """What the build keeps of one mapped graph (an article's, or the registry's)."""

    #: The graph's name in the build (``article-<folder>``, ``registry``) and its IRI.
    name: str
    iri: str
    #: The hash of what made it.
    key: str
    triples: int
    #: What the reasoner reads of it, and what it leaves out that an entailment could repeat.
    input: frozenset
    hidden: frozenset
    #: The labels, classes and functional values it declares, with ``file:line`` (``kg.mapping.declarations``).
    declarations: list
    #: Per article, what its graph covers (``kg.coverage.Coverage.to_json``).
    coverage: list
    #: The things of the story it names, and what it says of them that the shapes read (``kg.validation.story_facts``).
    things: frozenset
    facts: frozenset
    #: Triples another graph may assert too (about things of the story, not about its own text).
    shareable: frozenset
    #: Where its files are: graph.nt (sorted N-Triples), graph.ttl, graph.pickle (the triples).
    folder: Path | None = None

    def lines(self) -> list[str]:
        return (self.folder / "graph.nt").read_text(encoding="utf-8").splitlines(keepends=True)


def read_triples(folder: Path) -> list:
    """The triples of the graph cached in ``folder``."""
    with (folder / "graph.pickle").open("rb") as stream:
        return pickle.load(stream)  # noqa: S301 - the build's own cache


class BuildCache:
    """A folder of mapped graphs, validations and the last closure, each under its key."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def mapped(self, name: str, key: str) -> Mapped | None:
        """The cached graph ``name`` made from ``key``, or None."""
        place = self._place(name, key)
        try:
            with (place / "meta.pickle").open("rb") as stream:
                mapped = pickle.load(stream)  # noqa: S301 - the build's own cache
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            return None
        mapped.folder = place
        return mapped

    def store(self, mapped: Mapped, triples: list, lines: list[str], turtle: Path) -> Mapped:
        """Keep ``mapped`` with its files (replacing what another key of the same graph left)."""
        place = self._place(mapped.name, mapped.key)
        staging = Path(tempfile.mkdtemp(prefix=STAGING, dir=self._ensure()))
        try:
            (staging / "graph.nt").write_text("".join(lines), encoding="utf-8")
            shutil.move(str(turtle), staging / "graph.ttl")
            with (staging / "graph.pickle").open("wb") as stream:
                pickle.dump(triples, stream, protocol=pickle.HIGHEST_PROTOCOL)
            mapped.folder = None
            with (staging / "meta.pickle").open("wb") as stream:
                pickle.dump(mapped, stream, protocol=pickle.HIGHEST_PROTOCOL)
            for old in place.parent.glob("*") if place.parent.exists() else []:
                shutil.rmtree(old, ignore_errors=True)
            place.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging, place)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        mapped.folder = place
        return mapped

    def new_file(self, suffix: str) -> Path:
        """A new empty file in the cache, for a file being written (``store`` moves it in)."""
        handle, name = tempfile.mkstemp(prefix=STAGING, suffix=suffix, dir=self._ensure())
        os.close(handle)
        return Path(name)

    def clean(self) -> list[str]:
        """Remove what a build that was killed left half-written; what was done (call it holding the build's lock)."""
        if not self.folder.is_dir():
            return []
        left = sorted(self.folder.glob(f"{STAGING}*")) + sorted(self.folder.glob("*.partial"))
        for path in left:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        return [f"removed {path.name} from the cache, left by an interrupted build" for path in left]

    def validated(self, key: str) -> bool:
        return (self.folder / "valid" / key).exists()

    def mark_validated(self, key: str) -> None:
        (self._ensure() / "valid").mkdir(exist_ok=True)
        (self.folder / "valid" / key).touch()

    def closure(self, build_dir: Path):
        """The state the last build into ``build_dir`` left, or None."""
        try:
            with self._closure_file(build_dir).open("rb") as stream:
                return pickle.load(stream)  # noqa: S301 - the build's own cache
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            return None

    def store_closure(self, build_dir: Path, state) -> None:
        path = self._closure_file(build_dir)
        self._ensure()
        partial = path.with_suffix(".partial")
        with partial.open("wb") as stream:
            pickle.dump(state, stream, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, path)

    def _closure_file(self, build_dir: Path) -> Path:
        return self.folder / f"closure-{digest(str(build_dir))[:16]}.pickle"

    def _place(self, name: str, key: str) -> Path:
        return self.folder / "graphs" / name / key[:32]

    def _ensure(self) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        return self.folder
