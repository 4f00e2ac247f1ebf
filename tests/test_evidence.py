"""Every fact is traceable to the exact words of the article, located by selectors the build computed."""

from __future__ import annotations

from kg.evidence import occurrences
from kg.query import run_query

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
    manifest, oxigraph = store
    return [tuple(s) for s in run_query(oxigraph, manifest, query)]


def test_every_story_triple_has_evidence_or_a_cited_source(store):
    assert select(store, STORY_TRIPLES_WITHOUT_EVIDENCE) == []


def test_story_triples_are_many_and_nearly_all_from_the_text(store):
    counts = select(
        store,
        """SELECT (COUNT(DISTINCT ?a) AS ?fromText) (COUNT(DISTINCT ?b) AS ?fromSources) WHERE {
             { ?a a owl:Axiom ; nkg:evidence ?segment }
             UNION { ?b a owl:Axiom ; dcterms:source ?source . FILTER NOT EXISTS { ?b nkg:evidence ?x } }
           }""",
    )
    from_text, from_sources = (int(term.value) for term in counts[0])
    assert (from_text, from_sources) == (1584, 45)


def test_quote_selectors_carry_the_context_around_the_quote(store):
    rows = select(
        store,
        """SELECT ?prefix ?exact ?suffix ?start ?end WHERE {
             <https://w3id.org/newskg/article/2025-08-17-witkoff-security-guarantees#char=331,334>
               oa:hasSelector ?q , ?p .
             ?q oa:prefix ?prefix ; oa:exact ?exact ; oa:suffix ?suffix .
             ?p oa:start ?start ; oa:end ?end .
           }""",
    )
    assert [tuple(term.value for term in row) for row in rows] == [
        ("ska on Friday.\n\nMr Witkoff told ", "CCN", " today that the Russian Presiden", "331", "334")
    ]


def article_texts(store) -> dict[str, str]:
    rows = select(store, "SELECT ?a ?t WHERE { ?a a nkg:Article ; schema:articleBody ?t }")
    return {a.value: t.value for a, t in rows}


def test_every_quote_selector_picks_out_one_place_with_its_prefix_and_suffix(store):
    texts = article_texts(store)
    rows = select(
        store,
        """SELECT ?article ?prefix ?exact ?suffix WHERE {
             ?segment a nkg:TextSegment ; oa:hasSource ?article ;
                      oa:hasSelector [ oa:prefix ?prefix ; oa:exact ?exact ; oa:suffix ?suffix ] }""",
    )
    assert rows
    ambiguous = [row for row in rows if len(occurrences(texts[row[0].value], "".join(t.value for t in row[1:]))) != 1]
    assert ambiguous == []


def test_every_segment_lies_in_one_zone_and_facts_prefer_the_body(store):
    """A fact quoted from a caption or a credit has no copy of its words in the body."""
    texts = article_texts(store)
    rows = select(
        store,
        """SELECT ?article ?exact ?start ?zone WHERE {
             ?axiom nkg:certainty ?c ; nkg:evidence ?segment .
             ?segment oa:hasSource ?article ; nkg:zone ?zone ;
                      oa:hasSelector [ oa:exact ?exact ] , [ oa:start ?start ] .
             FILTER (?zone != nkg:bodyZone) }""",
    )
    bodies: dict[str, list[tuple[int, int]]] = {}
    for article, start, end in select(
        store,
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


def test_every_occurrence_of_a_name_is_a_mention_of_its_entity(store):
    texts = article_texts(store)
    names = select(
        store,
        """SELECT ?article ?entity ?name WHERE {
             GRAPH ?g { ?entity rdfs:label|skos:altLabel ?name }
             ?article a nkg:Article . FILTER (STRENDS(STR(?g), STRAFTER(STR(?article), "/article/")))
             FILTER (STRSTARTS(STR(?entity), "https://w3id.org/newskg/id/")) }""",
    )
    mentions: dict[str, list[tuple[int, int]]] = {}
    for entity, start, end in select(
        store,
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
