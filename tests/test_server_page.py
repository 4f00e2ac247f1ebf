"""The query page in a real browser (headless Chromium): a linked query runs, and its answer shows.

The page reads ``?query=`` from its own address, fills the editor and runs it, which is what
lets a headless browser that cannot click exercise the page's JavaScript. The links go to ``/?query=``,
the query page's first address, which now redirects to ``/query``: old links keep working.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

import pytest
from conftest import ANSWERS
from serverutil import endpoint_fixture  # noqa: F401 - a fixture
from tools import require

pytestmark = pytest.mark.slow

COMPETENCY = Path(__file__).resolve().parent.parent / "queries"


def chromium() -> str | None:
    return next(
        (shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome") if shutil.which(name)), None
    )


def rendered(url: str) -> str:
    """The page's DOM once its scripts have run and the query has been answered."""
    browser = chromium()
    require(None if browser else "install Chromium (Debian package chromium) for the browser test")
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", "--virtual-time-budget=10000", url]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=True).stdout


class _Text(HTMLParser):
    """Text of each element with an id, and of each table cell."""

    def __init__(self) -> None:
        super().__init__()
        self.by_id: dict[str, str] = {}
        self.cells: list[str] = []
        self._open: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        self._open.append((tag, dict(attrs).get("id")))
        if tag == "td":
            self.cells.append("")

    def handle_endtag(self, tag):
        while self._open and self._open.pop()[0] != tag:
            pass

    def handle_data(self, data):
        for _, element_id in self._open:
            if element_id:
                self.by_id[element_id] = self.by_id.get(element_id, "") + data
        if any(tag == "td" for tag, _ in self._open):
            self.cells[-1] += data


def page(endpoint, **params) -> _Text:
    text = _Text()
    text.feed(rendered(f"{endpoint.url}?{urlencode(params)}"))
    return text


def test_a_linked_competency_question_shows_as_a_table(endpoint):
    query = (COMPETENCY / "01-people-and-offices.rq").read_text(encoding="utf-8")
    shown = page(endpoint, query=query)
    expected_rows = len((ANSWERS / "01-people-and-offices.tsv").read_text(encoding="utf-8").splitlines()) - 1
    assert re.fullmatch(rf"{expected_rows} rows in [\d.]+ s", shown.by_id["status"])
    assert "Alexander Stubb @en" in shown.cells and "President of Finland @en" in shown.cells
    assert shown.by_id["links"] == "jsonxmlcsvtsv"


def test_an_ask_a_graph_and_an_error_show_too(endpoint):
    assert page(endpoint, query="ASK { ?s ?p ?o }").by_id["output"] == "true"
    graph = page(endpoint, query="CONSTRUCT WHERE { ?s a ?o } LIMIT 2", infer="false")
    assert graph.by_id["status"].startswith("2 triples in ") and len(graph.cells) == 6  # subject, predicate, object
    assert graph.by_id["links"] == "turtlentriplesrdfxmljsonld"
    error = page(endpoint, query="SELECT * {")
    assert error.by_id["status"].startswith("400") and error.by_id["message"].startswith("SPARQL syntax error at 1:")
