"""Linked Data against the real server: every IRI of the dataset answers, by content negotiation; unknown ones 404.

Checked with requests, rdflib's ``Graph().parse(url)`` and curl, and against SPARQL answers of the
same server (so nothing here pins one article's numbers).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pyoxigraph as ox
import pytest
import rdflib
import requests
from serverutil import endpoint_fixture, select  # noqa: F401 - a fixture
from tools import require

from kg.namespaces import ID, INFERRED_GRAPH, NKG, ONTOLOGY_GRAPH, ONTOLOGY_IRI
from server.app import create_app
from server.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = "https://w3id.org/newskg/article/2025-08-17-witkoff-security-guarantees"
STARMER = str(ID["keir-starmer"])
#: The RDF forms of a resource: media type and rdflib's parser name.
RDF_FORMS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
}
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
#: Every kind of page the server renders, as paths.
PAGES = [
    "/",
    "/id/keir-starmer",
    "/article/2025-08-17-witkoff-security-guarantees",
    "/ontology",
    "/graph/inferred",
    "/timeline",
    "/graph-view",
    "/search?q=starmer",
    "/query",
    "/explain?s=id:keir-starmer&p=nkg:holdsOfficeIn&o=id:united-kingdom",
    "/id/no-such-thing",
]


def local(endpoint, iri: str) -> str:
    """The server's URL for a dataset IRI (the default IRI base)."""
    return endpoint.url + iri.removeprefix("https://w3id.org/newskg/")


def parse(data: bytes, media_type: str) -> rdflib.Graph:
    return rdflib.Graph().parse(data=data, format=RDF_FORMS[media_type])


@pytest.mark.parametrize("media_type", list(RDF_FORMS))
def test_a_thing_is_described_in_every_rdf_form(endpoint, media_type):
    response = requests.get(local(endpoint, STARMER), headers={"Accept": media_type}, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == media_type
    assert "Accept" in response.headers["Vary"]
    graph = parse(response.content, media_type)
    turtle = parse(
        requests.get(local(endpoint, STARMER), headers={"Accept": "text/turtle"}, timeout=10).content, "text/turtle"
    )
    assert rdflib.compare.isomorphic(graph, turtle)
    starmer = rdflib.URIRef(STARMER)
    own = {(p, o) for p, o in graph.predicate_objects(starmer)}
    expected_own = {
        (rdflib.URIRef(r["p"].value), _rdflib(r["o"]))
        for r in select(endpoint, f"SELECT DISTINCT ?p ?o {{ <{STARMER}> ?p ?o }}")
    }
    assert own == expected_own
    incoming = {(s, p) for s, p in graph.subject_predicates(starmer) if isinstance(s, rdflib.URIRef)}
    expected_incoming = {
        (rdflib.URIRef(r["s"].value), rdflib.URIRef(r["p"].value))
        for r in select(endpoint, f"SELECT DISTINCT ?s ?p {{ ?s ?p <{STARMER}> FILTER(isIRI(?s)) }}")
    }
    assert incoming == expected_incoming
    # evidence: an axiom for the office he holds, with its quote and offsets
    office = rdflib.URIRef(str(NKG.holdsOffice))
    axioms = [
        a
        for a in graph.subjects(rdflib.OWL.annotatedSource, starmer)
        if (a, rdflib.OWL.annotatedProperty, office) in graph
    ]
    assert len(axioms) == 1
    segment = graph.value(axioms[0], NKG.evidence)
    assert str(segment).startswith(ARTICLE + "#char=")
    assert any(graph.objects(segment, rdflib.URIRef("http://www.w3.org/ns/oa#hasSelector")))
    # labels of the neighbours
    uk_office = graph.value(starmer, office)
    assert graph.value(uk_office, rdflib.RDFS.label) is not None


def _rdflib(term):
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    if term.datatype.value == str(rdflib.XSD.string):
        return rdflib.Literal(term.value)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


def test_a_browser_gets_the_page_and_every_form_is_linked(endpoint):
    response = requests.get(local(endpoint, STARMER), headers={"Accept": BROWSER_ACCEPT}, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Accept" in response.headers["Vary"]
    assert "<h1>Keir Starmer</h1>" in response.text
    links = dict(re.findall(r'<([^>]+)>; rel="alternate"; type="([^"]+)"', response.headers["Link"]))
    assert sorted(links.values()) == sorted(["text/html", *RDF_FORMS])
    for url, media_type in links.items():
        linked = requests.get(endpoint.url + url.lstrip("/"), timeout=10)
        assert linked.status_code == 200
        assert linked.headers["Content-Type"].split(";")[0] == media_type


def test_a_client_that_accepts_anything_gets_turtle(endpoint):
    response = requests.get(local(endpoint, STARMER), headers={"Accept": "*/*"}, timeout=10)
    assert response.headers["Content-Type"] == "text/turtle; charset=utf-8"
    missing = requests.get(endpoint.url + "id/nobody", headers={"Accept": "*/*"}, timeout=10)
    assert (missing.status_code, missing.text) == (
        404,
        "404 Not Found: the dataset has no resource https://w3id.org/newskg/id/nobody\n",
    )


def test_rdflib_reads_a_thing_by_its_url(endpoint):
    graph = rdflib.Graph().parse(local(endpoint, STARMER))
    assert graph.value(rdflib.URIRef(STARMER), rdflib.RDFS.label) == rdflib.Literal("Keir Starmer", lang="en")


def test_curl_negotiates_too(endpoint):
    require(None if shutil.which("curl") else "install curl (Debian package curl)")
    url = local(endpoint, STARMER)
    turtle = subprocess.run(["curl", "-sf", "-H", "Accept: text/turtle", url], capture_output=True, check=True).stdout
    assert (rdflib.URIRef(STARMER), rdflib.RDFS.label, rdflib.Literal("Keir Starmer", lang="en")) in parse(
        turtle, "text/turtle"
    )
    missing = subprocess.run(
        [
            "curl",
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-H",
            "Accept: text/turtle",
            local(endpoint, str(ID["nobody"])),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert missing == "404"


@pytest.mark.parametrize("accept", [BROWSER_ACCEPT, *RDF_FORMS])
def test_an_unknown_iri_is_404_in_every_form(endpoint, accept):
    for path in ("id/no-such-thing", "graph/no-such-graph", "article/no-such-article", "anything/else"):
        response = requests.get(endpoint.url + path, headers={"Accept": accept}, timeout=10)
        assert response.status_code == 404
        assert "Accept" in response.headers["Vary"]


def test_no_acceptable_form_is_406(endpoint):
    response = requests.get(local(endpoint, STARMER), headers={"Accept": "image/png"}, timeout=10)
    assert response.status_code == 406
    assert response.text.startswith("a resource is available as text/turtle, text/html, application/n-triples")


def test_an_article_is_described_with_its_text_segments(endpoint):
    response = requests.get(local(endpoint, ARTICLE), headers={"Accept": "application/n-triples"}, timeout=30)
    assert response.status_code == 200
    graph = parse(response.content, "application/n-triples")
    segments = {str(s) for s in graph.subjects(rdflib.RDF.type, NKG.TextSegment)}
    expected = {
        r["s"].value
        for r in select(endpoint, f"SELECT DISTINCT ?s {{ ?s a nkg:TextSegment ; oa:hasSource <{ARTICLE}> }}")
    }
    assert segments == expected
    assert graph.value(rdflib.URIRef(ARTICLE), rdflib.URIRef("https://schema.org/articleBody")) is not None


def test_a_named_graph_gives_its_content_whole_past_the_row_limit(endpoint):
    """The test server's row limit (500) is below the inferred graph's size: the answer is read in pages."""
    count = int(
        select(endpoint, f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{INFERRED_GRAPH}> {{ ?s ?p ?o }} }}")[0]["n"].value
    )
    assert count > 500
    response = requests.get(
        local(endpoint, str(INFERRED_GRAPH)), headers={"Accept": "application/n-triples"}, timeout=30
    )
    assert len(parse(response.content, "application/n-triples")) == count


def test_the_ontology_iri_gives_the_ontology_graph_and_its_documentation(endpoint):
    turtle = requests.get(endpoint.url + "ontology", headers={"Accept": "text/turtle"}, timeout=30)
    count = int(
        select(endpoint, f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{ONTOLOGY_GRAPH}> {{ ?s ?p ?o }} }}")[0]["n"].value
    )
    assert len(parse(turtle.content, "text/turtle")) == count
    page = requests.get(endpoint.url + "ontology", headers={"Accept": BROWSER_ACCEPT}, timeout=30)
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    sections = _Sections()
    sections.feed(page.text)
    terms = select(
        endpoint,
        f"""SELECT ?term (COUNT(DISTINCT ?x) AS ?members) WHERE {{
              GRAPH <{ONTOLOGY_GRAPH}> {{ ?term rdfs:isDefinedBy <{ONTOLOGY_IRI}> ; a owl:Class }}
              OPTIONAL {{ ?x a ?term FILTER NOT EXISTS {{ ?x a owl:Class }} }} }} GROUP BY ?term""",
    )
    assert terms
    for row in terms:
        anchor = row["term"].value.split("#")[1]
        members = int(row["members"].value)
        assert sections.usage[anchor] == f"{members} individual{'' if members == 1 else 's'}"


class _Sections(HTMLParser):
    """The usage line of each term section of the ontology page, by the section's id."""

    def __init__(self) -> None:
        super().__init__()
        self.usage: dict[str, str] = {}
        self._section: str | None = None
        self._in_usage = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section" and "term" in (attrs.get("class") or ""):
            self._section = attrs["id"]
        self._in_usage = tag == "dd" and attrs.get("class") == "usage"

    def handle_endtag(self, tag):
        self._in_usage = False

    def handle_data(self, data):
        if self._in_usage and self._section:
            self.usage[self._section] = self.usage.get(self._section, "") + data


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_the_security_headers_and_no_inline_script(endpoint, path):
    response = requests.get(endpoint.url + path.lstrip("/"), headers={"Accept": BROWSER_ACCEPT}, timeout=30)
    assert response.status_code in (200, 404)
    policy = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", response.text, re.DOTALL)
    for attributes, body in scripts:
        assert 'src="' in attributes or 'type="application/json"' in attributes, attributes
        assert not body.strip() or 'type="application/json"' in attributes
    assert not re.search(r"\son[a-z]+=", response.text)  # no inline event handlers


def test_the_explain_page_gives_the_proof_kg_explain_gives(endpoint, project):
    from kg.dataset import open_store
    from kg.explain import Explainer, parse_term

    manifest, store = open_store(project.build_dir)
    triple = tuple(parse_term(t) for t in ("id:keir-starmer", "nkg:holdsOfficeIn", "id:united-kingdom"))
    proof = Explainer(store, manifest, project.build_dir).explain(triple)
    page = requests.get(
        endpoint.url + "explain",
        params={"s": "id:keir-starmer", "p": "nkg:holdsOfficeIn", "o": "id:united-kingdom"},
        timeout=30,
    )
    assert page.status_code == 200
    assert re.findall(r"by rule ([\w-]+)", page.text) == _rules(proof)
    quotes = re.findall(r"“([^”]*)”</a>", page.text)
    assert quotes == [e["quote"] for e in _evidence(proof)]
    missing = requests.get(
        endpoint.url + "explain", params={"s": "id:keir-starmer", "p": "nkg:leads", "o": "id:nato"}, timeout=30
    )
    assert missing.status_code == 404
    bad = requests.get(endpoint.url + "explain", params={"s": "nonsense", "p": "a", "o": "id:x"}, timeout=30)
    assert bad.status_code == 400


def _rules(proof) -> list[str]:
    return ([proof.rule] if proof.rule else []) + [r for p in proof.premises for r in _rules(p)]


def _evidence(proof) -> list[dict]:
    return list(proof.evidence) + [e for p in proof.premises for e in _evidence(p)]


def test_the_home_address_with_a_query_goes_to_the_query_page(endpoint):
    response = requests.get(endpoint.url, params={"query": "ASK {}"}, allow_redirects=False, timeout=10)
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert (target.path, target.query) == ("/query", "query=ASK+%7B%7D")


def test_search_finds_things_by_alias(endpoint):
    response = requests.get(
        endpoint.url + "search", params={"q": "sir keir"}, headers={"Accept": "application/json"}, timeout=10
    )
    assert response.json()["results"][0] == {
        "iri": STARMER,
        "label": "Keir Starmer",
        "matched": "Sir Keir",
        "type": "person",
        "url": "/id/keir-starmer",
    }


def test_the_iri_base_is_a_setting(project, built):
    """Another base: the server answers for IRIs under it (and the w3id.org IRIs of this data are then unknown)."""
    with pytest.raises(Exception, match="KG_SERVER_IRI_BASE must be an absolute http"):
        load_settings({"IRI_BASE": "w3id.org/newskg"})
    app = create_app(project.build_dir, {"IRI_BASE": "https://w3id.org/newskg/id/", "QUERY_WORKERS": 1})
    try:
        client = app.test_client()
        assert client.get("/keir-starmer", headers={"Accept": "text/turtle"}).status_code == 200
        assert client.get("/id/keir-starmer", headers={"Accept": "text/turtle"}).status_code == 404
    finally:
        app.extensions["kg.endpoint"].executor.close()


def test_the_w3id_redirect_rules_send_every_iri_to_its_page():
    """The shipped .htaccess, applied as mod_rewrite would (first matching rule, $1 substituted)."""
    rules = re.findall(
        r"^RewriteRule\s+(\S+)\s+(\S+)\s+\[([^\]]*)\]", (ROOT / "w3id" / ".htaccess").read_text(), re.MULTILINE
    )
    assert rules

    def rewrite(path: str) -> tuple[str, str]:
        for pattern, target, flags in rules:
            match = re.match(pattern, path)
            if match:
                return match.expand(target.replace("$", "\\")), flags
        raise AssertionError(f"no rule for {path}")

    for path in ("id/keir-starmer", "ontology", "graph/inferred", "article/2025-08-17-witkoff-security-guarantees"):
        target, flags = rewrite(path)
        assert target.endswith("/" + path)
        assert "R=303" in flags and "L" in flags
