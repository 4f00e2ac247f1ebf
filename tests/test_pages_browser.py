"""The pages in headless Chromium against the real server: what a person sees and does, checked against SPARQL.

One browser for the module. After each test the browser's console must be free of errors (a
Content-Security-Policy violation is one), and every page passes axe-core with no serious or
critical violation, at a desktop width and at 360 px.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from browser import headless_chromium
from conftest import ANSWERS
from serverutil import endpoint_fixture, select  # noqa: F401 - a fixture
from tools import require

pytestmark = pytest.mark.slow

COMPETENCY = Path(__file__).resolve().parent.parent / "queries"
AXE = Path(__file__).parent / "yasgui" / "node_modules" / "axe-core" / "axe.min.js"
NPM_HINT = "install axe-core: npm install --prefix tests/yasgui --ignore-scripts --no-audit --no-fund"
ARTICLE = "article/2025-08-17-witkoff-security-guarantees"
PAGES = [
    "",
    "id/keir-starmer",
    "id/vladimir-putin",
    ARTICLE,
    "ontology",
    "graph/inferred",
    "timeline",
    "graph-view",
    "search?q=trump",
    "query",
    "explain?s=id:keir-starmer&p=nkg:holdsOfficeIn&o=id:united-kingdom",
    "id/no-such-thing",
]


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with headless_chromium(tmp_path_factory.mktemp("chromium-profile")) as driver:
        driver.set_window_size(1280, 900)
        yield driver


#: Statuses the browser may log as failed loads in the current test (the test expects them).
_expected_statuses: list[int] = []


@pytest.fixture(autouse=True)
def no_console_errors(browser):
    browser.get_log("browser")  # what earlier tests left
    _expected_statuses.clear()
    yield
    errors = [
        entry["message"]
        for entry in browser.get_log("browser")
        if entry["level"] == "SEVERE"
        and not any(f"the server responded with a status of {s} " in entry["message"] for s in _expected_statuses)
    ]
    assert errors == []


def expect_status(status: int) -> None:
    """The current test loads something that answers ``status`` on purpose: the browser logs it as an error."""
    _expected_statuses.append(status)


NKG = "https://w3id.org/newskg/ontology#"


def wait(browser, condition, seconds: float = 10):
    from selenium.webdriver.support.wait import WebDriverWait

    return WebDriverWait(browser, seconds).until(condition)


def click_link(browser, text: str) -> None:
    from selenium.webdriver.common.by import By

    browser.find_element(By.LINK_TEXT, text).click()


def test_from_the_home_page_to_what_putin_demanded_and_according_to_whom(browser, endpoint):
    """No SPARQL: the home page lists the people; Putin's page lists the claims about him, with their sources.

    Each report says Putin demands his terms, and names the part of the terms it gives.
    """
    from selenium.webdriver.common.by import By

    browser.get(endpoint.url)
    click_link(browser, "Vladimir Putin")
    wait(browser, lambda d: d.find_element(By.TAG_NAME, "h1").text == "Vladimir Putin")
    claims = browser.execute_script(
        """return Array.from(document.querySelectorAll("tr.claim"), (row) => ({
             says: Array.from(row.querySelectorAll("li.proposition"), (p) => [p.dataset.predicate,
               p.querySelector(".subject") ? p.querySelector(".subject").innerText : "",
               p.querySelector(".object") ? p.querySelector(".object").innerText : ""]),
             source: [row.querySelector(".claimant a").innerText, row.querySelector(".verb").innerText,
                      row.querySelector(".status").innerText]}))"""
    )
    demands = sorted(
        (part, *claim["source"])
        for claim in claims
        for terms in {o for p, s, o in claim["says"] if p == NKG + "demands" and s == "Vladimir Putin"}
        for p, part, o in claim["says"]
        if p == NKG + "partOfProposal" and o == terms
    )
    expected = (ANSWERS / "19-putin-demands.tsv").read_text(encoding="utf-8").splitlines()[1:]
    assert demands == sorted(tuple(_plain(cell) for cell in line.split("\t")) for line in expected)


def _plain(cell: str) -> str:
    """A TSV results cell (N-Triples syntax) as the page shows it."""
    return ox.parse_query_results(f"?x\n{cell}\n".encode(), format=ox.QueryResultsFormat.TSV).__next__()["x"].value


def test_an_entity_page_lists_exactly_the_statements_the_graph_holds(browser, endpoint):
    browser.get(endpoint.url + "id/keir-starmer")
    shown = browser.execute_script(
        """return Array.from(document.querySelectorAll("tr.statement"),
             (row) => [row.dataset.s, row.dataset.p, row.dataset.o, row.classList.contains("inferred")])"""
    )
    starmer = "<https://w3id.org/newskg/id/keir-starmer>"
    rows = select(
        endpoint,
        f"""SELECT ?s ?p ?o (SUM(IF(?g = graph:inferred, 0, 1)) AS ?asserted) WHERE {{
              {{ GRAPH ?g {{ {starmer} ?p ?o }} BIND({starmer} AS ?s) }}
              UNION {{ GRAPH ?g {{ ?s ?p {starmer} }} FILTER(isIRI(?s)) BIND({starmer} AS ?o) }}
              FILTER(?s != {starmer} || ?p NOT IN (rdfs:label, skos:altLabel, rdf:type))
            }} GROUP BY ?s ?p ?o""",
    )
    expected = {(str(r["s"]), str(r["p"]), str(r["o"]), int(r["asserted"].value) == 0) for r in rows}
    assert len(shown) == len(expected)
    assert {tuple(row) for row in shown} == expected
    # every asserted statement of his shows its evidence, with a link to the spot in the article
    links = browser.execute_script(
        """return Array.from(document.querySelectorAll("tr.statement.asserted"),
             (row) => row.querySelector("blockquote a, .source a") !== null)"""
    )
    assert all(links)


def test_an_inferred_statement_explains_itself(browser, endpoint):
    from selenium.webdriver.common.by import By

    browser.get(endpoint.url + "id/keir-starmer")
    row = browser.find_element(
        By.CSS_SELECTOR, 'tr.statement.inferred[data-p="<https://w3id.org/newskg/ontology#holdsOfficeIn>"]'
    )
    row.find_element(By.LINK_TEXT, "why?").click()
    wait(browser, lambda d: d.find_element(By.TAG_NAME, "h1").text == "Why does this hold?")
    assert "by rule prp-spo2" in browser.find_element(By.CLASS_NAME, "proof").text


def test_each_highlighted_span_of_the_article_matches_its_offsets(browser, endpoint):
    browser.get(endpoint.url + ARTICLE)
    body = select(endpoint, f"SELECT ?b {{ <https://w3id.org/newskg/{ARTICLE}> schema:articleBody ?b }}")[0]["b"].value
    spans = browser.execute_script(
        """const pieces = {};
           for (const mark of document.querySelectorAll("mark[data-segment]")) {
             const text = Array.from(mark.childNodes).filter((n) => !(n.classList && n.classList.contains("visually-hidden")))
               .map((n) => n.nodeType === 3 ? n.textContent : textOf(n)).join("");
             const key = mark.dataset.segment;
             pieces[key] = pieces[key] || { start: +mark.dataset.start, end: +mark.dataset.end, kind: mark.className, text: "" };
             pieces[key].text += text;
           }
           function textOf(element) {
             return Array.from(element.childNodes).filter((n) => !(n.classList && n.classList.contains("visually-hidden")))
               .map((n) => n.nodeType === 3 ? n.textContent : textOf(n)).join("");
           }
           return Object.values(pieces);"""
    )
    segments = select(
        endpoint,
        f"""SELECT ?start ?end {{ ?segment oa:hasSource <https://w3id.org/newskg/{ARTICLE}> ;
              oa:hasSelector [ oa:start ?start ; oa:end ?end ] }}""",
    )
    assert sorted((s["start"], s["end"]) for s in spans) == sorted(
        (int(r["start"].value), int(r["end"].value)) for r in segments
    )
    for span in spans:
        assert span["text"] == body[span["start"] : span["end"]], span
    corrections = select(
        endpoint, "SELECT ?start ?end { ?c nkg:correctsText [ oa:hasSelector [ oa:start ?start ; oa:end ?end ] ] }"
    )
    marked = {(s["start"], s["end"]) for s in spans if s["kind"] == "correction"}
    assert marked == {(int(r["start"].value), int(r["end"].value)) for r in corrections}


def test_focusing_a_span_shows_what_it_supports(browser, endpoint):
    from selenium.webdriver.common.by import By

    browser.get(endpoint.url + ARTICLE + "#char=331,334")
    mark = browser.find_element(By.ID, "char=331,334")
    assert "correction" in mark.get_attribute("class")
    browser.execute_script("arguments[0].focus()", mark)
    details = browser.find_element(By.ID, "span-details-body").text
    assert details.startswith("Correction: characters 331–334")
    assert "Corrected by The article's 'CCN' should read 'CNN'" in details


def test_the_timeline_is_in_date_order_and_filters_by_actor(browser, endpoint):
    from selenium.webdriver.support.ui import Select

    browser.get(endpoint.url + "timeline")
    shown = browser.execute_script(
        "return Array.from(document.querySelectorAll('#timeline .event'), (e) => [e.dataset.day, e.querySelector('h2').innerText])"
    )
    rows = select(
        endpoint,
        "SELECT ?e (SAMPLE(?d) AS ?day) WHERE { ?e a nkg:Event ; nkg:date ?d } GROUP BY ?e",
    )
    assert [day for day, _ in shown] == sorted(r["day"].value[:10] for r in rows)
    Select(browser.find_element("id", "actor")).select_by_visible_text("Keir Starmer")
    visible = browser.execute_script(
        "return Array.from(document.querySelectorAll('#timeline .event:not([hidden])'), (e) => [e.dataset.day, e.querySelector('h2').innerText])"
    )
    expected = (ANSWERS / "08-starmer-events.tsv").read_text(encoding="utf-8").splitlines()[1:]
    dated = [
        (_plain(day), _plain(event))
        for event, day, _ in (line.split("\t") for line in expected)
        if "undated" not in day
    ]
    assert sorted(map(tuple, visible)) == sorted(dated)


def test_the_graph_view_has_one_node_per_entity_and_a_node_opens_its_page(browser, endpoint):
    from selenium.webdriver.common.by import By

    browser.get(endpoint.url + "graph-view")
    nodes = wait(browser, lambda d: d.execute_script("return window.cy && cy.nodes().map((n) => n.id())"))
    rows = select(
        endpoint,
        "SELECT DISTINCT ?e { VALUES ?k { nkg:Agent nkg:Event nkg:Proposal nkg:Place } ?e a ?k FILTER(isIRI(?e)) }",
    )
    assert sorted(nodes) == sorted(r["e"].value for r in rows)
    browser.execute_script("cy.getElementById('https://w3id.org/newskg/id/keir-starmer').emit('tap')")
    wait(browser, lambda d: d.find_element(By.TAG_NAME, "h1").text == "Keir Starmer")


def test_the_search_box_finds_as_one_types_and_works_by_keyboard(browser, endpoint):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(endpoint.url + "timeline")
    box = browser.find_element(By.ID, "search-box")
    box.send_keys("zelensk")
    options = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#search-results [role=option]"))
    assert options[0].text.startswith("Volodymyr Zelenskyy")
    assert box.get_attribute("aria-expanded") == "true"
    box.send_keys(Keys.ARROW_DOWN, Keys.ENTER)
    wait(browser, lambda d: d.find_element(By.TAG_NAME, "h1").text == "Volodymyr Zelenskyy")


def test_the_first_tab_reaches_the_skip_link(browser, endpoint):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(endpoint.url + "id/keir-starmer")
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    focused = browser.switch_to.active_element
    assert focused.text == "Skip to content"
    focused.send_keys(Keys.ENTER)
    assert browser.execute_script("return document.activeElement.id") == "main"


def run_example(browser, endpoint, name: str) -> str:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(endpoint.url + "query")
    Select(browser.find_element(By.ID, "example")).select_by_value(
        str(sorted(p.stem for p in COMPETENCY.glob("*.rq")).index(name))
    )
    return wait(
        browser,
        lambda d: d.find_element(By.ID, "status").text if " in " in d.find_element(By.ID, "status").text else None,
    )


def test_choosing_an_example_runs_it_and_iris_link_to_their_pages(browser, endpoint):
    status = run_example(browser, endpoint, "13-alaska-summit")
    expected = (ANSWERS / "13-alaska-summit.tsv").read_text(encoding="utf-8").splitlines()[1:]
    assert status.startswith(f"{len(expected)} row{'' if len(expected) == 1 else 's'} in ")
    browser.get(endpoint.url + "query?query=" + requests.utils.quote("SELECT ?p { ?p a nkg:Person } ORDER BY ?p"))
    wait(browser, lambda d: "rows" in d.find_element("id", "status").text)
    links = browser.execute_script(
        "return Array.from(document.querySelectorAll('.results-table a'), (a) => a.getAttribute('href'))"
    )
    people = select(endpoint, "SELECT ?p { ?p a nkg:Person } ORDER BY ?p")
    assert links == ["/" + r["p"].value.removeprefix("https://w3id.org/newskg/") for r in people]


def test_an_ask_says_true_or_false(browser, endpoint):
    status = run_example(browser, endpoint, "23-putin-agreement-not-a-fact")
    expected = (ANSWERS / "23-putin-agreement-not-a-fact.txt").read_text(encoding="utf-8").strip()
    assert status.startswith(f"{expected} in ")
    assert browser.find_element("css selector", ".boolean").text == expected


def test_results_are_paged_and_sorted(browser, endpoint):
    from selenium.webdriver.common.by import By

    query = "SELECT ?s ?n WHERE { ?s rdfs:label ?l BIND(STRLEN(?l) AS ?n) } ORDER BY ?s"
    count = len(select(endpoint, query))
    assert count > 100
    browser.get(endpoint.url + "query?query=" + requests.utils.quote(query))
    wait(browser, lambda d: "rows" in d.find_element(By.ID, "status").text)
    assert (
        browser.find_element(By.CSS_SELECTOR, ".pager span").text
        == f"rows 1–50 of {count} (page 1 of {-(-count // 50)})"
    )
    assert len(browser.find_elements(By.CSS_SELECTOR, ".results-table tbody tr")) == 50
    browser.find_element(By.CSS_SELECTOR, "button.sort[data-var='n']").click()
    first = browser.find_element(By.CSS_SELECTOR, ".results-table tbody tr td:nth-child(2)").text
    shortest = min(int(r["n"].value) for r in select(endpoint, query))
    assert first.split()[0] == str(shortest)
    assert browser.find_element(By.CSS_SELECTOR, "th[aria-sort]").get_attribute("aria-sort") == "ascending"
    browser.find_element(By.XPATH, "//nav[@class='pager']/button[text()='Next']").click()
    assert browser.find_element(By.CSS_SELECTOR, ".pager span").text.startswith("rows 51–100 of ")


def test_a_construct_is_drawn_beside_its_triples(browser, endpoint):
    from selenium.webdriver.common.by import By

    query = "CONSTRUCT { id:alaska-summit nkg:hasParticipant ?who . ?who rdfs:label ?l } WHERE { id:alaska-summit nkg:hasParticipant ?who . ?who rdfs:label ?l }"
    browser.get(endpoint.url + "query?query=" + requests.utils.quote(query))
    status = wait(
        browser,
        lambda d: d.find_element(By.ID, "status").text if " in " in d.find_element(By.ID, "status").text else None,
    )
    participants = select(endpoint, "SELECT ?who { id:alaska-summit nkg:hasParticipant ?who }")
    assert status.startswith(f"{2 * len(participants)} triples in ")
    assert len(browser.find_elements(By.CSS_SELECTOR, ".results-table tbody tr")) == 2 * len(participants)
    nodes = browser.execute_script("return resultGraph.nodes().map((n) => n.id())")
    assert sorted(nodes) == sorted(
        ["https://w3id.org/newskg/id/alaska-summit", *(r["who"].value for r in participants)]
    )


def test_a_syntax_error_is_marked_where_it_is(browser, endpoint):
    from selenium.webdriver.common.by import By

    query = "SELECT ?x WHERE {\n  ?x a nkg:Person\n  FILTER(\n}"
    expect_status(400)
    message = requests.get(endpoint.sparql, params={"query": query}, timeout=10).text.strip()
    line, column = message.removeprefix("SPARQL syntax error at ").split(":")[:2]
    browser.get(endpoint.url + "query?query=" + requests.utils.quote(query))
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".cm-lintRange-error"))
    marked = browser.execute_script(
        """const range = document.querySelector(".cm-lintRange-error");
           const line = range.closest(".cm-line");
           const lines = Array.from(document.querySelectorAll(".cm-content .cm-line"));
           return [lines.indexOf(line) + 1, range.textContent];"""
    )
    text = query.split("\n")[int(line) - 1]
    assert marked == [int(line), text[int(column) - 1] if int(column) <= len(text) else text[-1]]
    assert browser.find_element(By.ID, "message").text == message


def test_completion_offers_the_datasets_terms(browser, endpoint):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(endpoint.url + "query")
    editor = browser.find_element(By.CSS_SELECTOR, ".cm-content")
    editor.click()
    editor.send_keys(Keys.CONTROL, "a")
    editor.send_keys("SELECT * { ?x a nkg:Perso")
    editor.send_keys(Keys.CONTROL, " ")
    options = wait(browser, lambda d: [o.text for o in d.find_elements(By.CSS_SELECTOR, ".cm-tooltip-autocomplete li")])
    assert any(o.startswith("nkg:Person") for o in options)


@pytest.mark.parametrize("width", [1280, 360])
def test_no_serious_accessibility_violation_on_any_page(browser, endpoint, width):
    """axe-core (npm) on every page, after its scripts ran; at 360 px the page does not scroll sideways."""
    require(None if AXE.exists() else NPM_HINT)
    expect_status(404)  # id/no-such-thing
    axe = AXE.read_text(encoding="utf-8")
    browser.set_window_size(width, 900)
    try:
        found = {}
        for path in PAGES:
            browser.get(endpoint.url + path)
            if path.startswith("graph-view"):
                wait(browser, lambda d: d.execute_script("return Boolean(window.cy)"))
            browser.execute_script(axe)
            result = browser.execute_async_script(
                "const done = arguments[0]; axe.run(document, { resultTypes: ['violations'] }).then((r) => done(r.violations));"
            )
            serious = [
                (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
                for v in result
                if v["impact"] in ("serious", "critical")
            ]
            if serious:
                found[path] = serious
            if width == 360:
                overflow = browser.execute_script("return document.documentElement.scrollWidth")
                assert overflow <= width, (path, overflow)
        assert found == {}, json.dumps(found, indent=1)
    finally:
        browser.set_window_size(1280, 900)
