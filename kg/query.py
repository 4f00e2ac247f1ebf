"""Run SPARQL over the built dataset with Oxigraph, and write the results in any registered format.

The default graph is the merge of every named graph (ontology, articles, inferences); in the
store opened with ``infer=False`` it leaves the inferences out, like GraphDB's ``infer=false``
(``kg.dataset.open_store``).
The project's prefixes (``nkg:``, ``id:``, ``schema:``, ...) are predeclared, as GraphDB and
Virtuoso predeclare theirs; a query's own PREFIX declarations take precedence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pyoxigraph as ox

from kg.errors import QuerySyntaxError, UnsupportedFormat
from kg.formats import GRAPH_SYNTAXES, RESULTS_SYNTAXES
from kg.prefixes import PREFIX_IRIS, prefixed_name

QueryResult = ox.QuerySolutions | ox.QueryTriples | ox.QueryBoolean


def run_query(
    store: ox.Store,
    query: str,
    *,
    default_graph_uris: Sequence[str] = (),
    named_graph_uris: Sequence[str] = (),
    base_iri: str | None = None,
) -> QueryResult:
    """Evaluate ``query`` over the dataset the SPARQL 1.1 Protocol gives it.

    The protocol's dataset IRIs, when given, override FROM / FROM NAMED; else the query's own
    FROM / FROM NAMED define its dataset; else it is the store's own: its default graph the merge
    of every graph, or of all but the inferred one (the store of ``open_store(..., infer=False)``).
    Relative IRIs resolve against ``base_iri``.

    :raises QuerySyntaxError: with the parser's message and position.
    """
    options: dict = {"prefixes": PREFIX_IRIS, "base_iri": base_iri}
    if default_graph_uris or named_graph_uris:
        options["default_graph"] = [ox.NamedNode(iri) for iri in default_graph_uris]
        options["named_graphs"] = [ox.NamedNode(iri) for iri in named_graph_uris]
    try:
        return store.query(query, **options)
    except SyntaxError as error:
        raise QuerySyntaxError(tidy_syntax_error(str(error), query)) from None


def tidy_syntax_error(message: str, query: str = "") -> str:
    """Oxigraph's parser message on one line, its list of expected tokens cut short, an unknown prefix named.

    >>> tidy_syntax_error("error at 1:17: expected one of Prefix not found, ['%'], ['.']", "ASK { ?s a foo:Bar }")
    'SPARQL syntax error at 1:17: unknown prefix foo: (declare it with PREFIX foo: <...>)'
    >>> tidy_syntax_error("error at 2:3: expected one of ['a'], ['b'], ['c'], ['d'], ['e'], ['f']")
    "SPARQL syntax error at 2:3: expected one of ['a'], ['b'], ['c'], ['d'] ..."
    """
    text = " ".join(message.split())
    match = re.match(r"error at (\d+):(\d+): (.*)", text)
    if not match:
        return f"SPARQL syntax error: {text}"
    line, column, detail = match.groups()
    position = f"{line}:{column}"
    if "Prefix not found" in detail:
        prefix = _prefix_before(query, int(line), int(column))
        detail = f"unknown prefix {prefix}: (declare it with PREFIX {prefix}: <...>)" if prefix else "unknown prefix"
    elif detail.startswith("expected one of"):
        options = detail.removeprefix("expected one of ").split(", ")
        detail = "expected one of " + ", ".join(options[:4]) + (" ..." if len(options) > 4 else "")
    return f"SPARQL syntax error at {position}: {detail}"


def _prefix_before(query: str, line: int, column: int) -> str | None:
    """The prefix of the prefixed name that ends just before ``line``:``column`` (1-based, in characters)."""
    lines = query.split("\n")
    if not 0 < line <= len(lines):
        return None
    match = _PREFIXED_NAME_END.search(lines[line - 1][: column - 1])
    return match[1] if match else None


#: A prefixed name at the end of a text; group 1 is the prefix (SPARQL's PN_PREFIX, loosely).
_PREFIXED_NAME_END = re.compile(r"(?<![\w.\-:])([^\W\d][\w.\-]*|):[\w.\-:%]*$")


def result_kind(result: QueryResult) -> str:
    """'solutions', 'graph' or 'boolean'."""
    if isinstance(result, ox.QueryBoolean):
        return "boolean"
    return "graph" if isinstance(result, ox.QueryTriples) else "solutions"


def serialize_result(result: QueryResult, format_name: str) -> bytes:
    """Write ``result`` in the named format: a results format for SELECT/ASK, an RDF one for graphs.

    :raises UnsupportedFormat: when the format does not fit the kind of result.
    """
    if isinstance(result, ox.QueryTriples):
        syntax = GRAPH_SYNTAXES.get(format_name)
        if syntax is None:
            choices = ", ".join(GRAPH_SYNTAXES)
            raise UnsupportedFormat(f"a graph result cannot be written as {format_name!r}; choose one of {choices}")
        return ox.serialize(result, format=syntax.oxigraph, prefixes=PREFIX_IRIS)
    syntax = RESULTS_SYNTAXES.get(format_name)
    if syntax is None:
        choices = ", ".join(RESULTS_SYNTAXES)
        raise UnsupportedFormat(f"SELECT and ASK results cannot be written as {format_name!r}; choose one of {choices}")
    return result.serialize(format=syntax.oxigraph)


def format_table(result: QueryResult) -> str:
    """A plain-text table of SELECT results (terms as prefixed names), or the ASK answer."""
    if isinstance(result, ox.QueryBoolean):
        return "true" if bool(result) else "false"
    names = [v.value for v in result.variables]
    rows = [[_short(solution[name]) for name in names] for solution in result]
    widths = [max([len(name), *(len(row[i]) for row in rows)]) for i, name in enumerate(names)]
    lines = [" | ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)), "-+-".join("-" * w for w in widths)]
    lines += [" | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines)


def _short(term) -> str:
    """A term for a table: prefixed name, plain lexical form, or N-Triples as the fallback."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return prefixed_name(term.value) or f"<{term.value}>"
    if isinstance(term, ox.Literal):
        return term.value
    return str(term)
