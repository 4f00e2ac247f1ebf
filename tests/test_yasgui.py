"""YASGUI, a third-party browser client (npm @zazuko/yasgui), against the endpoint from another origin.

``tests/yasgui/index.html`` loads YASGUI from ``node_modules`` and points it at ``?endpoint=``. A
stdlib HTTP server on its own port serves that page, so every query is a cross-origin request
from headless Chromium: CORS and content negotiation as browsers do them. Each test sets the
query in YASGUI's editor through its JavaScript API (``tab.setQuery``, ``tab.query``) and reads
what YASGUI shows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from urllib.parse import quote, urlsplit

import pyoxigraph as ox
import pytest
import requests
from browser import headless_chromium
from conftest import ANSWERS
from serverutil import endpoint_fixture, local_http_server  # noqa: F401 - endpoint_fixture is a fixture
from tools import require

pytestmark = pytest.mark.slow

SITE = Path(__file__).parent / "yasgui"
YASGUI_JS = SITE / "node_modules" / "@zazuko" / "yasgui" / "build" / "yasgui.min.js"
NPM_HINT = "install YASGUI: npm install --prefix tests/yasgui --ignore-scripts --no-audit --no-fund"
COMPETENCY = Path(__file__).resolve().parent.parent / "queries"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
CONSTRUCT = (
    "CONSTRUCT WHERE { <https://w3id.org/newskg/id/alaska-summit> <https://w3id.org/newskg/ontology#hostedBy> ?host }"
)

#: Sets the query in the editor, runs it, and calls back with null or the error YASGUI reports.
_RUN = """
const [query, requestConfig, done] = arguments;
const tab = window.yasgui.getTab();
if (requestConfig) tab.setRequestConfig(requestConfig);
tab.setQuery(query);
tab.query().then(() => done(null), (error) => done(String(error)));
"""
#: What the results pane shows: table rows (without YASR's row numbers), a boolean, or an error.
_SHOWN = """
const pane = document.querySelector(".yasr_results");
const results = window.yasgui.getTab().getYasr().results;
const text = (selector) => { const element = pane.querySelector(selector); return element ? element.innerText : null; };
return {
  contentType: results ? results.getContentType() : null,
  rows: Array.from(pane.querySelectorAll("table.dataTable tbody tr"),
                   (tr) => Array.from(tr.querySelectorAll("td"), (td) => td.innerText).slice(1)),
  boolean: text(".booleanResult"),
  error: text(".errorResult pre"),
};
"""


@dataclass
class Shown:
    """What YASGUI shows after a query."""

    #: The media type YASGUI received, as it reports it.
    content_type: str | None
    rows: list[list[str]]
    boolean: str | None
    error: str | None
    #: Every URL the page fetched (scripts, styles, queries).
    fetched: list[str]


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    """``tests/yasgui`` over HTTP on a port of its own: another origin than the endpoint's."""
    require(None if YASGUI_JS.exists() else NPM_HINT)
    with local_http_server(partial(_QuietHandler, directory=str(SITE))) as server:
        yield f"http://127.0.0.1:{server.server_port}/"


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with headless_chromium(tmp_path_factory.mktemp("chromium-profile")) as driver:
        yield driver


def run_in_yasgui(browser, site: str, endpoint, query: str, request_config: dict | None = None) -> Shown:
    """Open YASGUI pointed at the endpoint, run ``query`` from its editor, and read the results pane."""
    from selenium.webdriver.support.wait import WebDriverWait

    browser.get(f"{site}index.html?endpoint={quote(endpoint.sparql, safe='')}")
    browser.execute_async_script(_RUN, query, request_config)
    shown = WebDriverWait(browser, 10).until(_results_shown)
    fetched = browser.execute_script("return performance.getEntriesByType('resource').map((entry) => entry.name)")
    return Shown(shown["contentType"], shown["rows"], shown["boolean"], shown["error"], fetched)


def _results_shown(driver) -> dict | None:
    shown = driver.execute_script(_SHOWN)
    return shown if shown["rows"] or shown["boolean"] or shown["error"] else None


def as_yasr_shows(term: ox.NamedNode | ox.Literal) -> str:
    """A term as YASR's table writes it: language-tagged literals quoted, plain strings bare, IRIs in <>."""
    if isinstance(term, ox.NamedNode):
        return f"<{term.value}>"
    if term.language:
        return f'"{term.value}"@{term.language}'
    if term.datatype.value == XSD_STRING:
        return term.value
    raise ValueError(f"no YASR rendering defined here for {term}")


def expected_rows(question: str) -> list[list[str]]:
    """The rows of a competency question's exact answer (its .tsv file), as YASR writes them."""
    tsv = (ANSWERS / f"{question}.tsv").read_bytes()
    solutions = ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV)
    names = [v.value for v in solutions.variables]
    return [[as_yasr_shows(solution[name]) for name in names] for solution in solutions]


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_yasgui_shows_a_competency_question_as_a_table(browser, site, endpoint, method):
    assert urlsplit(site).netloc != urlsplit(endpoint.sparql).netloc  # a cross-origin request
    query = (COMPETENCY / "08-starmer-events.rq").read_text(encoding="utf-8")
    shown = run_in_yasgui(browser, site, endpoint, query, {"method": method})
    assert shown.error is None
    assert shown.content_type == "application/sparql-results+json"
    assert shown.rows == expected_rows("08-starmer-events")
    assert all(url.startswith((site, endpoint.sparql)) for url in shown.fetched), shown.fetched
    assert any(url.split("?")[0] == endpoint.sparql for url in shown.fetched)


@pytest.mark.parametrize("question", ["23-putin-agreement-not-a-fact", "24-putin-agreement-is-claimed"])
def test_yasgui_shows_an_ask_answer(browser, site, endpoint, question):
    shown = run_in_yasgui(browser, site, endpoint, (COMPETENCY / f"{question}.rq").read_text(encoding="utf-8"))
    expected = (ANSWERS / f"{question}.txt").read_text(encoding="utf-8").strip()
    assert shown.content_type == "application/sparql-results+json"
    assert shown.boolean == expected.capitalize()


def test_yasgui_shows_a_construct_as_triples(browser, site, endpoint):
    shown = run_in_yasgui(browser, site, endpoint, CONSTRUCT)
    assert shown.error is None
    assert shown.content_type == "application/n-triples"  # YASGUI asks for N-Triples first
    assert shown.rows == [
        [
            "<https://w3id.org/newskg/id/alaska-summit>",
            "<https://w3id.org/newskg/ontology#hostedBy>",
            "<https://w3id.org/newskg/id/donald-trump>",
        ]
    ]


def test_yasgui_shows_the_endpoints_error_message(browser, site, endpoint):
    """The 400's body reaches the page, so error responses carry the CORS headers too."""
    message = requests.get(endpoint.sparql, params={"query": "SELECT * {"}, timeout=10)
    assert message.status_code == 400
    shown = run_in_yasgui(browser, site, endpoint, "SELECT * {")
    assert shown.rows == [] and shown.boolean is None
    assert shown.error == message.text
    assert shown.error.startswith("SPARQL syntax error at 1:")


def test_yasgui_with_a_request_header_passes_the_cors_preflight(browser, site, endpoint):
    """A header of the user's own (YASGUI's tab settings offer them) makes the browser ask OPTIONS first."""
    query = (COMPETENCY / "13-alaska-summit.rq").read_text(encoding="utf-8")
    shown = run_in_yasgui(browser, site, endpoint, query, {"headers": {"X-Requested-By": "newskg-tests"}})
    assert shown.error is None
    assert shown.rows == expected_rows("13-alaska-summit")
