"""The rules of faithfulness are build errors: one bad fixture each, with the exact one-line message.

Each fixture (``tests/fixtures/faithfulness/*.yaml``) edits the good fixture mapping: ``replace`` its
words ``with`` others (and the article's text likewise, under ``text``, where the case needs words the
article lacks); the error must name the entry at the line ending with ``line``. Other lines the
message cites are written as placeholders resolved by ``lines``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kg.build import build
from kg.errors import MappingError

FIXTURES = Path(__file__).parent / "fixtures" / "faithfulness"
MAPPING = "data/2031-04-02-harbour-summit/mapping.yaml"
#: Placeholders for other lines an error cites, and the mapping line each stands for.
LINES = {
    "CLAIM": "label: Reed claims Northland agreed to share the western banks",
    "VARGA": "- quote: Ms Varga offers a joint patrol of the banks",
}


def line_of(text: str, ending: str) -> int:
    return max(n for n, line in enumerate(text.splitlines(), start=1) if line.endswith(ending))


@pytest.mark.parametrize("case", sorted(FIXTURES.glob("*.yaml")), ids=lambda p: p.stem)
def test_a_mapping_that_breaks_a_rule_stops_the_build_naming_the_entry(fixture_project, case):
    fixture = yaml.safe_load(case.read_text(encoding="utf-8"))
    project = fixture_project()
    if "text" in fixture:
        article = project.root / MAPPING.replace("mapping.yaml", "article.txt")
        words = article.read_text(encoding="utf-8")
        assert fixture["text"]["replace"] in words, fixture["text"]["replace"]
        article.write_text(words.replace(fixture["text"]["replace"], fixture["text"]["with"], 1), encoding="utf-8")
    path = project.root / MAPPING
    text = path.read_text(encoding="utf-8")
    assert fixture["replace"] in text, fixture["replace"]
    text = text.replace(fixture["replace"], fixture["with"], 1)
    path.write_text(text, encoding="utf-8")
    expected = fixture["error"]
    for placeholder, ending in LINES.items():
        expected = expected.replace(f":{placeholder})", f":{line_of(text, ending)})")
    with pytest.raises(MappingError) as raised:
        build(project)
    assert str(raised.value) == f"{MAPPING}:{line_of(text, fixture['line'])}: {expected}"
    assert not project.build_dir.exists()


def test_the_good_fixture_keeps_the_rules(fixture_project):
    assert build(fixture_project()).manifest.articles == ["2031-04-02-harbour-summit"]
