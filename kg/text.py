"""The layout of an article's text: which zone of the page each span stands in, and its sentences.

A news page is more than its body: picture captions and credits, an embedded post, links to other
articles ("Read More: ..."), a dateline. The zone decides whose voice the words are in (the
article's, the post's author's, another article's), so the mapping declares the zones that are not
body, and everything else is body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kg.evidence import Span

#: The zone of every character no zone declaration covers.
BODY = "bodyZone"
#: Zones whose words are the article's own (the narrative voice); the others hold someone else's words.
NARRATIVE_ZONES = frozenset({BODY, "captionZone", "creditZone", "datelineZone"})
#: Zones whose sentences are content, counted by the coverage report.
CONTENT_ZONES = frozenset({BODY, "captionZone", "embeddedPostZone"})

#: Words with a full stop that do not end a sentence.
_ABBREVIATIONS = ("Mr.", "Ms.", "Mrs.", "Dr.", "St.", "U.S.", "D.C.", "U.K.")
#: A full stop (or ! ?), optional closing quotes, space, then an opening quote or a capital letter.
_BOUNDARY = re.compile(r"[.!?][\"”’']*\s+(?=[\"“‘']?[A-Z@])|\n+")


@dataclass(frozen=True)
class Zoning:
    """The non-body zones of a text, as sorted, non-overlapping spans; every other character is body."""

    length: int
    regions: tuple[tuple[Span, str], ...] = ()

    def zone_of(self, span: Span) -> str | None:
        """The zone ``span`` lies in, or None when it straddles two zones.

        >>> zoning = Zoning(20, ((Span(5, 10), "captionZone"),))
        >>> zoning.zone_of(Span(6, 8)), zoning.zone_of(Span(0, 4)), zoning.zone_of(Span(3, 7))
        ('captionZone', 'bodyZone', None)
        """
        for region, zone in self.regions:
            if region.start <= span.start and span.end <= region.end:
                return zone
            if span.start < region.end and region.start < span.end:
                return None
        return BODY

    def chunks(self) -> list[tuple[Span, str]]:
        """The whole text cut into consecutive zone chunks, body gaps included.

        >>> [(span.start, span.end, zone) for span, zone in Zoning(20, ((Span(5, 10), "captionZone"),)).chunks()]
        [(0, 5, 'bodyZone'), (5, 10, 'captionZone'), (10, 20, 'bodyZone')]
        """
        found, at = [], 0
        for region, zone in self.regions:
            if at < region.start:
                found.append((Span(at, region.start), BODY))
            found.append((region, zone))
            at = region.end
        if at < self.length:
            found.append((Span(at, self.length), BODY))
        return found

    def spans_of(self, zone: str) -> list[Span]:
        return [span for span, name in self.chunks() if name == zone]


def sentences(text: str, zoning: Zoning) -> list[tuple[Span, str]]:
    """Every sentence of ``text`` with its zone; a sentence never crosses a zone or a line break.

    >>> text = "Mr Trump met Mr Putin. He left.\\nU.S. troops stay."
    >>> [text[s.start:s.end] for s, _ in sentences(text, Zoning(len(text)))]
    ['Mr Trump met Mr Putin.', 'He left.', 'U.S. troops stay.']
    """
    found = []
    for chunk, zone in zoning.chunks():
        start = chunk.start
        for match in _BOUNDARY.finditer(text, chunk.start, chunk.end):
            end = match.start() + len(match.group().rstrip())
            if match.group().startswith("\n"):
                end = match.start()
            elif text[start:end].endswith(_ABBREVIATIONS):
                continue
            _add_sentence(text, Span(start, end), zone, found)
            start = match.end()
        _add_sentence(text, Span(start, chunk.end), zone, found)
    return found


def _add_sentence(text: str, span: Span, zone: str, found: list) -> None:
    """Add ``span`` trimmed of spaces, if any words are left."""
    words = text[span.start : span.end]
    stripped = words.strip()
    if any(c.isalnum() for c in stripped):
        start = span.start + len(words) - len(words.lstrip())
        found.append((Span(start, start + len(stripped)), zone))
