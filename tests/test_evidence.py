"""Every fact is traceable to the exact words of the article, located by selectors the build computed."""

from __future__ import annotations

import pytest

from kg.evidence import occurrences
from kg.query import run_query

pytestmark = pytest.mark.general

STORY_TRIPLES_WITHOUT_EVIDENCE = """
SELECT ?s ?p ?o WHERE {
  GRAPH ?g { ?s ?p ?o }
  FILTER (STRSTARTS(STR(?g), "https://w3id.org/newskg/graph/article/"))
  FILTER (STRSTARTS(STR(?s), "https://w3id.org/newskg/id/"))
  FILTER NOT EXISTS {
    GRAPH ?g {
      ?axiom owl:annotatedSource ?s ; owl:annotatedProperty ?p ; owl:annotatedTarget ?o .
      { ?axiom nkg:evidence ?segment } UNION { ?axiom dcterms:source ?source }
    }
  }
}
"""


def select(store, query):
    _, oxigraph = store
    return [tuple(s) for s in run_query(oxigraph, query)]


def test_every_story_triple_has_evidence_or_a_cited_source(story_store):
    assert select(story_store, STORY_TRIPLES_WITHOUT_EVIDENCE) == []


def article_texts(store) -> dict[str, str]:
    rows = select(store, "SELECT ?a ?t WHERE { ?a a nkg:Article ; schema:articleBody ?t }")
    return {a.value: t.value for a, t in rows}


def test_every_quote_selector_picks_out_one_place_with_its_prefix_and_suffix(story_store):
    texts = article_texts(story_store)
    rows = select(
        story_store,
        """SELECT ?article ?prefix ?exact ?suffix WHERE {
             ?segment a nkg:TextSegment ; oa:hasSource ?article ;
                      oa:hasSelector [ oa:prefix ?prefix ; oa:exact ?exact ; oa:suffix ?suffix ] }""",
    )
    assert rows
    ambiguous = [row for row in rows if len(occurrences(texts[row[0].value], "".join(t.value for t in row[1:]))) != 1]
    assert ambiguous == []


def test_every_segment_lies_in_one_zone_and_facts_prefer_the_body(story_store):
    """A fact quoted from a caption or a credit has no copy of its words in the body."""
    texts = article_texts(story_store)
    rows = select(
        story_store,
        """SELECT ?article ?exact ?start ?zone WHERE {
             ?axiom nkg:certainty ?c ; nkg:evidence ?segment .
             ?segment oa:hasSource ?article ; nkg:zone ?zone ;
                      oa:hasSelector [ oa:exact ?exact ] , [ oa:start ?start ] .
             FILTER (?zone != nkg:bodyZone) }""",
    )
    bodies: dict[str, list[tuple[int, int]]] = {}
    for article, start, end in select(
        story_store,
        """SELECT ?a ?s ?e WHERE { ?a dcterms:hasPart ?p . ?p nkg:zone nkg:bodyZone ;
                                   oa:hasSelector [ oa:start ?s ; oa:end ?e ] }""",
    ):
        bodies.setdefault(article.value, []).append((int(start.value), int(end.value)))
    in_body_too = [
        exact.value
        for article, exact, _, _ in rows
        if any(start <= at and at + len(exact.value) <= end for start, end in bodies[article.value]
               for at in occurrences(texts[article.value], exact.value))
    ]  # fmt: skip
    assert in_body_too == []


def test_every_occurrence_of_a_name_is_a_mention_of_its_entity(story_store):
    texts = article_texts(story_store)
    names = select(
        story_store,
        """SELECT ?article ?entity ?name WHERE {
             GRAPH ?g { ?entity rdfs:label|skos:altLabel ?name }
             ?article a nkg:Article . FILTER (STRENDS(STR(?g), STRAFTER(STR(?article), "/article/")))
             FILTER (STRSTARTS(STR(?entity), "https://w3id.org/newskg/id/")) }""",
    )
    mentions: dict[str, list[tuple[int, int]]] = {}
    for entity, start, end in select(
        story_store,
        """SELECT ?entity ?s ?e WHERE { ?m a nkg:Mention ; oa:hasBody ?entity ;
                                        oa:hasTarget/oa:hasSelector [ oa:start ?s ; oa:end ?e ] }""",
    ):
        mentions.setdefault(entity.value, []).append((int(start.value), int(end.value)))
    missed = []
    for article, entity, name in names:
        text, word = texts[article.value], name.value
        for at in occurrences(text, word):
            whole = (at == 0 or not text[at - 1].isalnum()) and not text[at + len(word) : at + len(word) + 1].isalnum()
            covered = any(s <= at and at + len(word) <= e for s, e in mentions.get(entity.value, []))
            if whole and not covered:
                missed.append((entity.value, word, at))
    assert missed == []
