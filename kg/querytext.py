"""What the query text shows before any parsing: SERVICE, FROM, functions whose value changes per call, nesting.

``kg.query`` uses them to let a query's own FROM define its dataset; the endpoint uses them to
refuse SERVICE and absurd nesting with a clear message early, and to know which answers it may
cache. They are not the endpoint's security boundary: a query that slips a SERVICE past them
still cannot make a request, because its worker cannot open a socket (see ``server.worker``).

Every pattern here runs in time linear in the query's length, whatever the text: the endpoint
runs them in its HTTP process, before any time limit applies. Strings, IRIs and comments are
matched possessively, and a string that is never closed runs to the end of its line (or, for a
long string, of the query) instead of being tried again from each later character: the
backtracking that made 100,000 characters of escaped quotes take 20 seconds cannot happen.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate

#: An escape inside a string: a backslash and the next character, or a backslash that ends the text.
_ESCAPE = r"\\(?:.|\Z)"
#: SPARQL's string literals, long and short; one that is never closed ends with its line (a short
#: one) or with the text (a long one).
_STRING = (
    rf'''"""(?:[^"\\]|{_ESCAPE}|"(?!""))*+(?:"""|\Z)'''
    rf"""|'''(?:[^'\\]|{_ESCAPE}|'(?!''))*+(?:'''|\Z)"""
    rf"""|"(?:[^"\\\n\r]|{_ESCAPE})*+(?:"|(?=[\n\r])|\Z)"""
    rf"""|'(?:[^'\\\n\r]|{_ESCAPE})*+(?:'|(?=[\n\r])|\Z)"""
)
#: An IRI between angle brackets (SPARQL's IRIREF).
_IRI = r"""<[^<>"{}|^`\\\x00-\x20]*+>"""
#: A comment, to the end of the line.
_COMMENT = r"""\#[^\n\r]*+"""
#: A word: a keyword, a variable, a prefixed name, a number (any run of characters that are not
#: white space, brackets, quotes or punctuation; escapes included).
_WORD = rf"""(?:[^\s{{}}()\[\]<>"'\#,;*\\]|{_ESCAPE})++"""

#: Strings, IRIs and comments: their text is data, not keywords. Matched left to right, so a
#: ``#`` inside a string is part of the string, and a quote inside a comment part of the comment.
_OPAQUE = re.compile(f"{_STRING}|{_IRI}|{_COMMENT}", re.DOTALL)
#: The tokens of a query: strings, IRIs and comments whole, words, any other character alone.
_TOKEN = re.compile(
    f"(?P<string>{_STRING})|(?P<iri>{_IRI})|(?P<comment>{_COMMENT})"
    rf"|(?P<word>{_WORD})|(?P<other>\S)",
    re.DOTALL,
)

#: The keyword, not a variable (``?service``), a prefixed or local name (``ex:service``, ``service:x``,
#: ``ex:a-service``) or part of a longer word. A local name such as ``ex:a.service`` is refused too:
#: the rare false alarm is the safe side.
_SERVICE = re.compile(r"(?<![\w:?$\-])SERVICE(?![\w:\-])", re.IGNORECASE)

#: A dataset clause: FROM or FROM NAMED (the keyword appears nowhere else in SPARQL).
_FROM = re.compile(r"(?<![\w:?$\-])FROM(?![\w:\-])", re.IGNORECASE)

#: Built-in functions whose value differs from one evaluation to the next.
_VOLATILE = re.compile(r"(?<![\w:?$\-])(?:NOW|RAND|UUID|STRUUID|BNODE)\s*\(", re.IGNORECASE)

#: The keywords that start a SPARQL update operation.
_UPDATE_KEYWORDS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"})

#: Everything but the brackets that nest: ``{`` ``(`` ``[`` and their closers.
_NOT_A_BRACKET = re.compile(r"[^{}()\[\]]+")


@dataclass(frozen=True)
class Token:
    """A token of a query: its kind ('string', 'iri', 'comment', 'word' or 'other'), its text, where it starts."""

    kind: str
    text: str
    start: int


def tokens(query: str) -> Iterator[Token]:
    """The tokens of ``query``, white space left out.

    >>> [(t.kind, t.text) for t in tokens('SELECT*FROM<a>{ "x\\\\"y" # c')][3:]
    [('iri', '<a>'), ('other', '{'), ('string', '"x\\\\"y"'), ('comment', '# c')]
    >>> [t.text for t in tokens('ASK { "never closed } # still the string')]
    ['ASK', '{', '"never closed } # still the string']
    """
    for match in _TOKEN.finditer(query):
        yield Token(match.lastgroup, match[0], match.start())


def keywords_only(query: str) -> str:
    """The query with strings, IRIs and comments blanked out.

    >>> keywords_only('SELECT * { ?s <http://x/SERVICE> "SERVICE" } # SERVICE').split()
    ['SELECT', '*', '{', '?s', '}']
    """
    return _OPAQUE.sub(" ", query)


@dataclass(frozen=True)
class QueryText:
    """What one pass over a query's text shows: read once per request, asked several questions.

    >>> text = QueryText.scan('SELECT (NOW() AS ?t) FROM <g> { { ?s ?p "SERVICE" } }')
    >>> text.uses_service, text.declares_dataset, text.is_deterministic, text.depth
    (False, True, False, 2)
    """

    #: The query with strings, IRIs and comments blanked out.
    keywords: str
    #: How deeply ``{``, ``(`` and ``[`` nest, at most.
    depth: int

    @classmethod
    def scan(cls, query: str) -> QueryText:
        keywords = keywords_only(query)
        brackets = _NOT_A_BRACKET.sub("", keywords)
        depth = max(accumulate(1 if c in "{([" else -1 for c in brackets), default=0)
        return cls(keywords, max(depth, 0))

    @property
    def uses_service(self) -> bool:
        """True when the query has a ``SERVICE`` clause (a federated query).

        >>> [QueryText.scan(q).uses_service for q in ("select * { service silent ?e { ?s ?p ?o } }",
        ...     'SELECT ?service { ?service a <http://x/SERVICE> ; ex:service "SERVICE" }')]
        [True, False]
        """
        return _SERVICE.search(self.keywords) is not None

    @property
    def declares_dataset(self) -> bool:
        """True when the query names its own dataset with FROM or FROM NAMED."""
        return _FROM.search(self.keywords) is not None

    @property
    def is_deterministic(self) -> bool:
        """False when the query calls a function whose value changes per call (NOW, RAND, UUID, BNODE ...).

        Such answers must not be cached, nor validated by an ETag.

        >>> [QueryText.scan(q).is_deterministic for q in ("SELECT (NOW() AS ?t) {}", 'SELECT ?s { ?s ?p "NOW()" }')]
        [False, True]
        """
        return _VOLATILE.search(self.keywords) is None


def is_update(query: str) -> bool:
    """True when the text is a SPARQL update (its first keyword after the prologue starts an update operation).

    >>> is_update("PREFIX ex: <http://example.org/> INSERT DATA { ex:a ex:b ex:c }")
    True
    >>> is_update("BASE <http://example.org/> # DROP ALL\\nSELECT * { ?s ?p ?o }")
    False
    """
    words = [token.text.upper() for token in tokens(query) if token.kind == "word"]
    while words[:1] in (["PREFIX"], ["BASE"]):
        words = words[2:] if words[0] == "PREFIX" else words[1:]  # PREFIX name: <iri>, BASE <iri>
    return bool(words) and words[0] in _UPDATE_KEYWORDS


def declares_dataset(query: str) -> bool:
    """True when the query names its own dataset with FROM or FROM NAMED.

    Remembered for short queries: a server's query workers are asked the same ones again and again,
    and reading one costs about as much as running a light one.

    >>> declares_dataset("SELECT * FROM <http://example.org/g> { ?s ?p ?o }")
    True
    >>> declares_dataset("SELECT ?from { ?from <http://example.org/from> 'FROM' }")
    False
    """
    if len(query) <= _REMEMBERED_LENGTH:
        return _declares_dataset(query)
    return QueryText.scan(query).declares_dataset


#: Characters up to which a query's reading is remembered (256 of them: a MiB at most).
_REMEMBERED_LENGTH = 4096


@lru_cache(maxsize=256)
def _declares_dataset(query: str) -> bool:
    return QueryText.scan(query).declares_dataset
