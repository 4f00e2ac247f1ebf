"""Graphs as the build writes them: sorted N-Triples lines and Turtle, through Oxigraph's serialisers.

rdflib's serialisers are the slow part of writing a big build (a second per article graph in
Turtle); Oxigraph writes the same triples in milliseconds. Lines are sorted and blank node labels
kept, so the same triples always give the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef

from kg.prefixes import PREFIX_IRIS

Triple = tuple


def to_oxigraph(term) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """An rdflib term as Oxigraph's (an Oxigraph term as it is).

    >>> to_oxigraph(Literal("a", lang="en")), to_oxigraph(URIRef("urn:x"))
    (<Literal value=a language=en>, <NamedNode value=urn:x>)
    """
    if isinstance(term, ox.NamedNode | ox.BlankNode | ox.Literal):
        return term
    if isinstance(term, URIRef):
        return ox.NamedNode(term)
    if isinstance(term, BNode):
        return ox.BlankNode(term)
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(term.datatype))
        return ox.Literal(str(term))
    raise TypeError(f"not an RDF term: {term!r}")


def triple_key(triple: tuple) -> str:
    r"""A triple as one line of N-Triples terms, the same for rdflib's and Oxigraph's terms.

    Oxigraph writes the terms (escapes, language tag case), so the build that writes
    ``rounds.tsv`` with rdflib terms and ``kg explain`` that reads it with Oxigraph's agree.

    >>> triple_key((URIRef("urn:s"), URIRef("urn:p"), Literal("a\nb", lang="en-GB")))
    '<urn:s> <urn:p> "a\\nb"@en-gb'
    """
    return " ".join(str(to_oxigraph(term)) for term in triple)


def ntriples_lines(triples: Iterable[Triple]) -> list[str]:
    """Each triple as one N-Triples line (with its newline), sorted."""
    converted = [ox.Triple(*(to_oxigraph(t) for t in triple)) for triple in triples]
    text = ox.serialize(converted, format=ox.RdfFormat.N_TRIPLES).decode("utf-8")
    return sorted(text.splitlines(keepends=True))


#: The prefixes of the Turtle files. Not ``article:`` and ``graph:``: their local names (``#char=1,16``,
#: ``article/...``) need Turtle's backslash escapes, which some stores read into the IRI (Virtuoso 7.2).
TURTLE_PREFIXES = {prefix: iri for prefix, iri in PREFIX_IRIS.items() if prefix not in ("article", "graph")}


def write_turtle(lines: list[str], path: Path) -> None:
    """Write sorted N-Triples ``lines`` as Turtle with the project's prefixes (a subject's triples grouped)."""
    triples = ox.parse("".join(lines).encode("utf-8"), format=ox.RdfFormat.N_TRIPLES, rename_blank_nodes=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    ox.serialize(triples, str(path), format=ox.RdfFormat.TURTLE, prefixes=TURTLE_PREFIXES)


def as_nquads(lines: list[str], graph: str) -> str:
    """N-Triples ``lines`` as N-Quads lines of the named graph ``graph``."""
    context = f" <{graph}> .\n"
    return "".join(line[: -len(" .\n")] + context for line in lines)
