"""How much of an article ``kg new-article`` finds: its draft against the article's own mapping.

Run from the repository's top folder:  python bench/draft_recall.py [ARTICLE]

The article's mapping is set aside: a copy of the project without the article gets its text
through ``kg new-article``, and the draft is compared with the mapping a person wrote:

- entities: of the things the article's graph names (its entities and the registry's it names),
  those the draft names;
- dates: of the printed date words the mapping resolves (``date:`` of its facts), those the draft
  lists;
- claims: of the mapping's claims, those whose quote is a sentence the draft drafts as a claim.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.build import build  # noqa: E402
from kg.coverage import named_things  # noqa: E402
from kg.draft import write_draft  # noqa: E402
from kg.project import Project  # noqa: E402

REFERENCE = "2025-08-17-witkoff-security-guarantees"


@dataclass
class Recall:
    """Of each kind, (found, in the article's mapping)."""

    entities: tuple[int, int]
    registry_entities: tuple[int, int]
    dates: tuple[int, int]
    claims: tuple[int, int]

    def lines(self) -> list[str]:
        rows = [("entities the article names", self.entities),
                ("of them, things of the registry", self.registry_entities),
                ("printed date words resolved", self.dates), ("claims", self.claims)]  # fmt: skip
        return [f"| {name} | {found} of {total} | {100 * found / total:.0f} % |" for name, (found, total) in rows]


def measure(article: str = REFERENCE) -> Recall:
    """Draft ``article`` in a copy of the project without it; compare with its mapping."""
    source = ROOT / "data" / article
    mapping = yaml.safe_load((source / "mapping.yaml").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        shutil.copytree(ROOT / "ontology", root / "ontology")
        (root / "data").mkdir()
        shutil.copy(ROOT / "data" / "registry.yaml", root / "data" / "registry.yaml")
        draft = write_draft(Project.at(root), article, source / "article.txt", str(mapping["article"]["date"]))
        whole = Project.at(ROOT, root / "whole", articles=(article,))
        build(whole)
        graph_file = whole.build_dir / "graphs" / f"article-{article}.ttl"
        from rdflib import Graph

        named = _named_things(Graph().parse(graph_file, format="turtle"))
    found = set(draft.entities)
    registry = set(yaml.safe_load((ROOT / "data" / "registry.yaml").read_text(encoding="utf-8"))["entities"])
    dates = [f["date"] for f in mapping.get("facts") or [] if isinstance(f.get("date"), str)]
    listed = {d.lower() for d in draft.dates}
    claims = [c["quote"] for c in (mapping.get("claims") or {}).values()]
    drafted = draft.claims
    return Recall(
        entities=(len(found & named), len(named)),
        registry_entities=(len(found & named & registry), len(named & registry)),
        dates=(sum(1 for d in dates if d.lower() in listed), len(dates)),
        claims=(sum(1 for c in claims if any(_overlap(c, d) for d in drafted)), len(claims)),
    )


def _named_things(graph) -> set[str]:
    return {str(iri).rsplit("/", 1)[1] for iri in named_things(graph)}


def _overlap(claim: str, sentence: str) -> bool:
    """Whether a drafted sentence holds (or is held by) the claim's quote."""
    return claim in sentence or sentence in claim


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("article", nargs="?", default=REFERENCE)
    recall = measure(parser.parse_args().article)
    print("| what | the draft finds | share |\n|---|---:|---:|")
    print("\n".join(recall.lines()))


if __name__ == "__main__":
    main()
