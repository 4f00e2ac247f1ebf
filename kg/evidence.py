"""Find the words a fact quotes in the article's text and publish them as Web Annotation selectors.

Offsets are never typed by hand: the build finds them. They count Unicode code points from 0, as
Python strings and SPARQL's SUBSTR (plus one) do; the end is exclusive.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from kg.namespaces import NKG, OA

#: Characters of context kept on each side of a quote, so the quote can be found again if offsets shift.
CONTEXT = 32


@dataclass(frozen=True, order=True)
class Span:
    """A half-open range [start, end) of the article's text."""

    start: int
    end: int


class QuoteError(ValueError):
    """A quote that does not pick out exactly one place in the text; str(e) says why."""


def occurrences(text: str, quote: str, start: int = 0, end: int | None = None) -> list[int]:
    """Start offsets of every occurrence of ``quote`` in ``text[start:end]``.

    >>> occurrences("a b a b", "a b")
    [0, 4]
    """
    end = len(text) if end is None else end
    found, at = [], text.find(quote, start, end)
    while at != -1:
        found.append(at)
        at = text.find(quote, at + 1, end)
    return found


def locate(text: str, quote: str, occurrence: int | None = None, within: Span | None = None, *, prefer=None) -> Span:
    """Return where ``quote`` stands in ``text`` (or in the ``within`` part of it).

    A quote found more than once must say which ``occurrence`` (1-based) it means, unless
    ``prefer`` (a test on spans, such as "lies in the article's body") picks out exactly one.

    >>> locate("Friday night saw Trump meet with Putin", "Trump")
    Span(start=17, end=22)
    >>> locate("a b a b", "a b")
    Traceback (most recent call last):
    ...
    kg.evidence.QuoteError: quote occurs 2 times; add 'occurrence: N' (1 to 2) or quote more words: 'a b'
    >>> locate("a b a b", "a b", prefer=lambda span: span.start > 0)
    Span(start=4, end=7)
    """
    spans = locate_all(text, quote, within)
    if occurrence is None and len(spans) > 1:
        preferred = [span for span in spans if prefer is not None and prefer(span)]
        if len(preferred) == 1:
            return preferred[0]
        raise QuoteError(
            f"quote occurs {len(spans)} times; add 'occurrence: N' (1 to {len(spans)}) or quote more words: {quote!r}"
        )
    index = (occurrence or 1) - 1
    if not 0 <= index < len(spans):
        raise QuoteError(f"occurrence {occurrence} asked, but the quote occurs {len(spans)} time(s): {quote!r}")
    return spans[index]


def locate_all(text: str, quote: str, within: Span | None = None) -> list[Span]:
    """Every place ``quote`` stands in ``text`` (or in the ``within`` part of it); at least one.

    :raises QuoteError: for an empty quote, or one that is not there.
    """
    if not quote or not quote.strip():
        raise QuoteError("empty quote")
    area = within or Span(0, len(text))
    starts = occurrences(text, quote, area.start, area.end)
    if not starts:
        raise QuoteError(f"not found {'in the quote' if within else 'in the article'}: {quote!r}")
    return [Span(start, start + len(quote)) for start in starts]


def segment_iri(article: URIRef, span: Span) -> URIRef:
    """The IRI of a span of an article: the article's IRI with an RFC 5147 fragment.

    >>> segment_iri(URIRef("https://w3id.org/newskg/article/a"), Span(3, 9))
    rdflib.term.URIRef('https://w3id.org/newskg/article/a#char=3,9')
    """
    return URIRef(f"{article}#char={span.start},{span.end}")


def quote_context(text: str, span: Span) -> tuple[str, str]:
    """The prefix and suffix that make the quote selector of ``span`` pick out ``span`` alone.

    At least ``CONTEXT`` characters on each side, more where the same words with that context occur
    elsewhere (a caption that repeats a sentence of the body, say).

    >>> text = "x" * 40 + "CCN" + "y" * 40 + " " + "x" * 40 + "CCN" + "y" * 40
    >>> prefix, suffix = quote_context(text, Span(40, 43))
    >>> len(occurrences(text, prefix + "CCN" + suffix)), len(prefix) + len(suffix) > 2 * CONTEXT
    (1, True)
    """
    width = CONTEXT
    while True:
        prefix = text[max(0, span.start - width) : span.start]
        suffix = text[span.end : span.end + width]
        if len(occurrences(text, prefix + text[span.start : span.end] + suffix)) == 1:
            return prefix, suffix
        if width >= len(text):  # cannot happen: the whole text occurs once
            return prefix, suffix
        width *= 2


def describe_segment(
    graph: Graph, article: URIRef, text: str, span: Span, *, label_prefix: str, zone: URIRef | None = None
) -> URIRef:
    """Add a nkg:TextSegment for ``span`` with its quote and position selectors; return its IRI.

    The quote selector's prefix and suffix make it unique in the text. Selector blank nodes get
    labels derived from the article and span, so builds are byte-identical; they start with a
    letter, as RDF/XML's ``rdf:nodeID`` (an XML name) needs, and are short.
    """
    segment = segment_iri(article, span)
    tag = hashlib.sha256(label_prefix.encode()).hexdigest()[:6]  # short labels: see kg.mapping.statements
    quote_selector = BNode(f"q{span.start}-{span.end}-{tag}")
    position_selector = BNode(f"p{span.start}-{span.end}-{tag}")
    prefix, suffix = quote_context(text, span)
    graph.add((segment, RDF.type, NKG.TextSegment))
    graph.add((segment, OA.hasSource, article))
    if zone is not None:
        graph.add((segment, NKG.zone, zone))
    graph.add((segment, OA.hasSelector, quote_selector))
    graph.add((segment, OA.hasSelector, position_selector))
    graph.add((quote_selector, RDF.type, OA.TextQuoteSelector))
    graph.add((quote_selector, OA.exact, Literal(text[span.start : span.end])))
    graph.add((quote_selector, OA.prefix, Literal(prefix)))
    graph.add((quote_selector, OA.suffix, Literal(suffix)))
    graph.add((position_selector, RDF.type, OA.TextPositionSelector))
    graph.add((position_selector, OA.start, Literal(span.start, datatype=XSD.nonNegativeInteger)))
    graph.add((position_selector, OA.end, Literal(span.end, datatype=XSD.nonNegativeInteger)))
    return segment
