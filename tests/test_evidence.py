"""Every fact is traceable to the exact words of the article, located by selectors the build computed."""

from __future__ import annotations

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
