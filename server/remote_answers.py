"""A remote endpoint's answer read as the local engine would have given it (``kg serve --backend``, ``server.remote``).

Stores differ from Oxigraph, which answers locally, in ways that change the bytes a client gets:

- **Values, not lexical forms.** Oxigraph stores a literal's value: the datatypes derived from
  xsd:integer (xsd:nonNegativeInteger, xsd:int ...) come back as xsd:integer, numbers and dates in
  their canonical form ("01" is "1"). Virtuoso keeps what was loaded: the article's offsets come
  back as "331"^^xsd:nonNegativeInteger where the local endpoint says 331. Every literal with a
  datatype is therefore passed through Oxigraph's own encoding (a ``VALUES`` evaluated on an empty
  store), so the backend's answer gets the local one's terms, whatever rules Oxigraph has.
- **Blank node labels.** SPARQL's XML and JSON results let a label be any string; Virtuoso writes
  ``nodeID://b10078``, which is no N-Triples label and which Oxigraph's parsers refuse. Such a
  label is written as ``x`` and its UTF-8 bytes in hex: still one label per blank node of the answer.
- **Results syntaxes.** Virtuoso's ``text/tab-separated-values`` is not SPARQL's TSV (no ``?`` in
  the header, IRIs as quoted strings), so TSV is not asked for first any more: SPARQL XML is, read
  here as it arrives with the standard library's streaming XML parser (Oxigraph's XML parser
  would refuse the labels above), cut at the row limit.

Blank node labels and the order of rows the query leaves unordered are the backend's own, as they
would be from any other endpoint.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import IO

import pyoxigraph as ox

#: The SPARQL Query Results XML namespace, as ElementTree writes tag names.
_RESULTS = "{http://www.w3.org/2005/sparql-results#}"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
#: Literals whose terms Oxigraph keeps as they are: no need to ask it.
_PLAIN = (ox.NamedNode("http://www.w3.org/2001/XMLSchema#string"),)
#: Distinct literals remembered per answer before the memo starts over.
_MEMO = 10_000

Term = ox.NamedNode | ox.BlankNode | ox.Literal


class AsStored:
    """Terms as the local engine stores them: literals with a datatype through Oxigraph's encoding."""

    def __init__(self, store: ox.Store) -> None:
        #: An empty store: evaluating ``VALUES`` there encodes each term as loading it would.
        self._store = store
        self._memo: dict[ox.Literal, ox.Literal] = {}

    def term(self, term: Term | None) -> Term | None:
        """``term`` as the local engine would give it back.

        >>> as_stored = AsStored(ox.Store())
        >>> xsd = "http://www.w3.org/2001/XMLSchema#"
        >>> as_stored.term(ox.Literal("0331", datatype=ox.NamedNode(xsd + "nonNegativeInteger")))
        <Literal value=331 datatype=<NamedNode value=http://www.w3.org/2001/XMLSchema#integer>>
        >>> as_stored.term(ox.Literal("1.50", datatype=ox.NamedNode(xsd + "decimal"))).value
        '1.5'
        """
        if not isinstance(term, ox.Literal) or term.language is not None or term.datatype in _PLAIN:
            return term
        known = self._memo.get(term)
        if known is None:
            if len(self._memo) >= _MEMO:
                self._memo.clear()
            [row] = self._store.query(f"SELECT ?t {{ VALUES ?t {{ {term} }} }}")
            known = self._memo[term] = row["t"]
        return known

    def solutions(
        self, variables: list[ox.Variable], rows: Iterable[list[Term | None]], limit: int
    ) -> ox.QuerySolutions:
        """Up to ``limit`` rows (each a term or None per variable) as Oxigraph's own live results.

        The rows are written as SPARQL TSV, every term in N-Triples form, and read back by Oxigraph,
        whose results the local endpoint's writers take.
        """
        lines = ["\t".join(str(v) for v in variables)]
        for row in islice(rows, limit):
            lines.append("\t".join("" if term is None else str(self.term(term)) for term in row))
        tsv = "\n".join(lines) + "\n"
        return ox.parse_query_results(tsv.encode(), format=ox.QueryResultsFormat.TSV)

    def triples(self, triples: Iterable[ox.Triple]) -> Iterator[ox.Triple]:
        for triple in triples:
            yield ox.Triple(triple.subject, triple.predicate, self.term(triple.object))


def solution_rows(results: ox.QuerySolutions) -> tuple[list[ox.Variable], Iterator[list[Term | None]]]:
    """The variables and rows of results Oxigraph parsed (JSON, TSV)."""
    variables = list(results.variables)
    return variables, ([solution[v] for v in variables] for solution in results)


def read_xml_solutions(stream: IO[bytes]) -> tuple[list[ox.Variable], Iterator[list[Term | None]]]:
    """The variables and rows of SPARQL XML results, read as they arrive.

    >>> xml = (b'<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head><variable name="s"/>'
    ...        b'<variable name="o"/></head><results><result><binding name="s"><bnode>nodeID://b1</bnode>'
    ...        b'</binding><binding name="o"><literal xml:lang="en">x</literal></binding></result></results></sparql>')
    >>> import io
    >>> variables, rows = read_xml_solutions(io.BytesIO(xml))
    >>> [str(v) for v in variables], [[str(t) for t in row] for row in rows]
    (['?s', '?o'], [['_:x6e6f646549443a2f2f6231', '"x"@en']])

    >>> variables, rows = read_xml_solutions(io.BytesIO(xml[: xml.index(b"</result>") + 9]))  # cut short
    >>> len(next(rows))
    2
    >>> next(rows)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    xml.etree.ElementTree.ParseError: no element found: ...

    :raises SyntaxError: for XML that is not SPARQL results (the first rows may have been yielded).
    """
    # Expat (2.4 and later) stops entity expansion bombs, and ElementTree resolves no external entity.
    events = ET.iterparse(stream, events=("start", "end"))  # noqa: S314
    variables: list[ox.Variable] = []
    for event, element in events:
        if event == "end" and element.tag == f"{_RESULTS}variable":
            variables.append(_variable(element.get("name")))
        elif event == "start" and element.tag == f"{_RESULTS}results":
            return variables, _xml_rows(events, element, variables)
        elif event == "end" and element.tag == f"{_RESULTS}boolean":
            raise SyntaxError("a boolean where solutions were expected")
    raise SyntaxError("no <results> element")


def _xml_rows(events: Iterator, results: ET.Element, variables: list[ox.Variable]) -> Iterator[list[Term | None]]:
    """The rows, as the parser reaches the end of each (its ``ParseError`` is a ``SyntaxError``)."""
    position = {str(v)[1:]: n for n, v in enumerate(variables)}
    for event, element in events:
        if event != "end" or element.tag != f"{_RESULTS}result":
            continue
        row: list[Term | None] = [None] * len(variables)
        for binding in element:
            name = binding.get("name")
            if name not in position or len(binding) != 1:
                raise SyntaxError(f"a binding of an unknown variable, or not of one term: {name!r}")
            row[position[name]] = _xml_term(binding[0])
        results.clear()  # the rows already read are not kept
        yield row


def _xml_term(element: ET.Element) -> Term:
    text = element.text or ""
    try:
        if element.tag == f"{_RESULTS}uri":
            return ox.NamedNode(text)
        if element.tag == f"{_RESULTS}bnode":
            return blank_node(text)
        if element.tag == f"{_RESULTS}literal":
            language, datatype = element.get(_XML_LANG), element.get("datatype")
            if language:
                return ox.Literal(text, language=language)
            return ox.Literal(text, datatype=ox.NamedNode(datatype)) if datatype else ox.Literal(text)
    except ValueError as error:
        raise SyntaxError(str(error)) from None
    raise SyntaxError(f"an unknown kind of term: {element.tag.removeprefix(_RESULTS)}")


def blank_node(label: str) -> ox.BlankNode:
    """A blank node with ``label``, or, when that is no N-Triples label, with ``x`` and the label's bytes in hex.

    >>> blank_node("b1"), blank_node("nodeID://b1")
    (<BlankNode value=b1>, <BlankNode value=x6e6f646549443a2f2f6231>)
    """
    try:
        return ox.BlankNode(label)
    except ValueError:
        return ox.BlankNode("x" + label.encode().hex())


def _variable(name: str | None) -> ox.Variable:
    try:
        return ox.Variable(name or "")
    except ValueError:
        raise SyntaxError(f"not a variable name: {name!r}") from None
