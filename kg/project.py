"""Where a project's inputs and outputs live: ontology/, data/<article>/, build/."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from kg.errors import KgError

#: The OWL ontology, hand-written Turtle.
ONTOLOGY_FILE = "newskg.ttl"
#: The SHACL shapes checked against the asserted data.
SHAPES_FILE = "shapes.ttl"
#: Each article folder under data/ holds its text and this mapping.
MAPPING_FILE = "mapping.yaml"
#: Build only these article folders (names separated by commas), e.g. one article's own build.
ARTICLES_ENV = "KG_ARTICLES"


@dataclass(frozen=True)
class Project:
    """A project folder: the inputs (ontology/, data/) and the build folder the build writes."""

    root: Path
    build_dir: Path
    #: Build only these article folders (by name); None: every one.
    articles: tuple[str, ...] | None = None
    #: The build's cache (default: beside the build folder, ``<build>.cache``).
    cache: Path | None = None

    @classmethod
    def at(
        cls,
        root: Path | str | None = None,
        build_dir: Path | str | None = None,
        *,
        articles: tuple[str, ...] | None = None,
        cache: Path | str | None = None,
    ) -> Project:
        """The project at ``root`` (default: $KG_PROJECT or the current folder).

        ``articles`` (default: $KG_ARTICLES, names separated by commas) builds only those folders of data/.

        :raises KgError: when ``root`` has no ontology/ or data/ folder.
        """
        root = Path(root or os.environ.get("KG_PROJECT") or Path.cwd()).resolve()
        if not (root / "ontology" / ONTOLOGY_FILE).is_file() or not (root / "data").is_dir():
            raise KgError(
                f"{root} is not a project folder (no ontology/{ONTOLOGY_FILE} or data/):"
                " run kg from the repository's top folder or pass --project"
            )
        build = Path(build_dir or os.environ.get("KG_BUILD_DIR") or root / "build")
        if articles is None and os.environ.get(ARTICLES_ENV):
            articles = tuple(name.strip() for name in os.environ[ARTICLES_ENV].split(",") if name.strip())
        return cls(root, build.resolve(), articles, Path(cache).resolve() if cache else None)

    @property
    def ontology_file(self) -> Path:
        return self.root / "ontology" / ONTOLOGY_FILE

    @property
    def shapes_file(self) -> Path:
        return self.root / "ontology" / SHAPES_FILE

    @property
    def cache_dir(self) -> Path:
        return self.cache or self.build_dir.with_name(self.build_dir.name + ".cache")

    def article_folders(self) -> list[Path]:
        """Every folder under data/ with a mapping (or those ``articles`` names), in name order (the build's order)."""
        folders = sorted(p.parent for p in (self.root / "data").glob(f"*/{MAPPING_FILE}"))
        return [f for f in folders if self.articles is None or f.name in self.articles]

    def display(self, path: Path) -> str:
        """``path`` relative to the project, for messages."""
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)
