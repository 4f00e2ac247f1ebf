"""Each article's re-reading (``tests/articles/<article>/reading.yaml``) holds against its built graph.

It is read on the article's own build (the article with the registry), so that it holds whatever
other articles the story has. A re-reading lists every atomic statement a careful reader finds in the article, sentence by
sentence, with a check of the graph: a fact asserted in the article's graph, a claim's content, or
any ASK query. Statements the graph leaves out are listed too (``unmapped``, with the reason), and
the totals at the top of the file say how many there are: the coverage figure of the README.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import golden_articles

from kg.namespaces import ARTICLE, REGISTRY_GRAPH, graph_for_article
from kg.query import run_query

READINGS = golden_articles("reading.yaml")


def statements(reading: Path) -> list[dict]:
    data = yaml.safe_load(reading.read_text(encoding="utf-8"))
    return [statement for sentence in data["sentences"] for statement in sentence["statements"]]


def term(name: str, article: str) -> str:
    return f"<{ARTICLE[article]}>" if name == "article" else f"id:{name}"


def value_filter(value: str) -> str:
    """An object is an entity id, an individual of the ontology, or a literal compared by its lexical form."""
    if " " in value:
        return f'FILTER (STR(?o) = "{value}")'
    return f'FILTER (?o IN (id:{value}, nkg:{value}) || STR(?o) = "{value}")'


def check(statement: dict, article: str) -> str:
    if "ask" in statement:
        return statement["ask"]
    if "fact" in statement:
        s, p, o = statement["fact"]
        graphs = f"<{graph_for_article(article)}> <{REGISTRY_GRAPH}>"
        return f"ASK {{ VALUES ?g {{ {graphs} }} GRAPH ?g {{ {term(s, article)} nkg:{p} ?o }} {value_filter(o)} }}"
    s, p, o = statement["claim"]
    by = f"; nkg:claimant id:{statement['by']}" if "by" in statement else ""
    return (
        f"ASK {{ ?c nkg:claimContent ?p {by} . ?p nkg:propositionSubject {term(s, article)} ;"
        f" nkg:propositionPredicate nkg:{p} . {{ ?p nkg:propositionObject ?o }} UNION {{ ?p nkg:propositionValue ?o }}"
        f" {value_filter(o)} }}"
    )


CASES = [(r, n, s) for r in READINGS for n, s in enumerate(statements(r), start=1) if "unmapped" not in s]


@pytest.mark.general
@pytest.mark.parametrize(
    ("reading", "number", "statement"), CASES, ids=lambda x: str(x)[:60] if isinstance(x, str) else ""
)
def test_the_graph_holds_what_the_reading_found(article_build, reading, number, statement):
    article = reading.parent.name
    _, _, oxigraph = article_build(article)
    assert bool(run_query(oxigraph, check(statement, article))), f"#{number}: {statement['say']}"


@pytest.mark.parametrize("reading", READINGS, ids=lambda p: p.parent.name)
def test_the_totals_of_the_reading_are_up_to_date(reading):
    data = yaml.safe_load(reading.read_text(encoding="utf-8"))
    found = statements(reading)
    mapped = [s for s in found if "unmapped" not in s]
    assert data["totals"] == {"sentences": len(data["sentences"]), "statements": len(found), "mapped": len(mapped)}
