"""What the query text shows before any parsing: a SERVICE clause, and functions whose value changes per call.

``kg.query`` uses them to let a query's own FROM define its dataset; the endpoint uses them to
refuse SERVICE with a clear message early. They are not the endpoint's security boundary: a
query that slips a SERVICE past them still cannot make a request, because its worker cannot open
a socket (see ``server.worker``).
"""

from __future__ import annotations

import re

#: SPARQL's string literals, long and short.
STRING_PATTERN = (
    r'''"""(?:[^"\\]|\\.|"(?!""))*"""'''
    r"""|'''(?:[^'\\]|\\.|'(?!''))*'''"""
    r'''|"(?:[^"\\\n\r]|\\.)*"'''
    r"""|'(?:[^'\\\n\r]|\\.)*'"""
)
#: An IRI between angle brackets (SPARQL's IRIREF).
IRI_PATTERN = r"""<[^<>"{}|^`\\\x00-\x20]*>"""
#: A comment, to the end of the line.
COMMENT_PATTERN = r"""\#[^\n\r]*"""
#: Strings, IRIs and comments: their text is data, not keywords. Matched left to right, so a
#: ``#`` inside a string is part of the string, and a quote inside a comment part of the comment.
_OPAQUE = re.compile(f"{STRING_PATTERN}|{IRI_PATTERN}|{COMMENT_PATTERN}", re.DOTALL)

#: The keyword, not a variable (``?service``), a prefixed or local name (``ex:service``, ``service:x``,
#: ``ex:a-service``) or part of a longer word. A local name such as ``ex:a.service`` is refused too:
#: the rare false alarm is the safe side.
_SERVICE = re.compile(r"(?<![\w:?$\-])SERVICE(?![\w:\-])", re.IGNORECASE)

#: A dataset clause: FROM or FROM NAMED (the keyword appears nowhere else in SPARQL).
_FROM = re.compile(r"(?<![\w:?$\-])FROM(?![\w:\-])", re.IGNORECASE)

#: Built-in functions whose value differs from one evaluation to the next.
_VOLATILE = re.compile(r"(?<![\w:?$\-])(?:NOW|RAND|UUID|STRUUID|BNODE)\s*\(", re.IGNORECASE)


def keywords_only(query: str) -> str:
    """The query with strings, IRIs and comments blanked out.

    >>> keywords_only('SELECT * { ?s <http://x/SERVICE> "SERVICE" } # SERVICE').split()
    ['SELECT', '*', '{', '?s', '}']
    """
    return _OPAQUE.sub(" ", query)


def uses_service(query: str) -> bool:
    """True when the query has a ``SERVICE`` clause (a federated query).

    >>> uses_service("SELECT * { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
    True
    >>> uses_service("select * { service silent ?endpoint { ?s ?p ?o } }")
    True
    >>> uses_service('SELECT ?service { ?service a <http://x/SERVICE> ; ex:service "SERVICE" }')
    False
    """
    return _SERVICE.search(keywords_only(query)) is not None


def declares_dataset(query: str) -> bool:
    """True when the query names its own dataset with FROM or FROM NAMED.

    >>> declares_dataset("SELECT * FROM <http://example.org/g> { ?s ?p ?o }")
    True
    >>> declares_dataset("SELECT ?from { ?from <http://example.org/from> 'FROM' }")
    False
    """
    return _FROM.search(keywords_only(query)) is not None


def is_deterministic(query: str) -> bool:
    """False when the query calls a function whose value changes per call (NOW, RAND, UUID, BNODE ...).

    Such answers must not be cached, nor validated by an ETag.

    >>> is_deterministic("SELECT ?s { ?s ?p ?o } LIMIT 3")
    True
    >>> is_deterministic("SELECT (NOW() AS ?t) {}")
    False
    >>> is_deterministic('SELECT ?s { ?s ?p "NOW()" }')
    True
    """
    return _VOLATILE.search(keywords_only(query)) is None
