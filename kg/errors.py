"""Errors a user can fix. ``str(error)`` is one line; the CLI prints it and exits with ``exit_code``."""

from __future__ import annotations


class KgError(Exception):
    """Base for errors the user can fix; str(e) is one line."""

    exit_code = 2


class MappingError(KgError):
    """The mapping or its article cannot be turned into triples (bad quote, unknown term, ...).

    :param source: ``path:line`` of the offending entry, or just the path.
    :param fact: a short name of the fact, for the reader to find it.
    """

    def __init__(self, message: str, *, source: str, fact: str | None = None) -> None:
        self.source = source
        self.fact = fact
        where = f"{source}: {fact}: " if fact else f"{source}: "
        super().__init__(where + message)


class InconsistencyError(KgError):
    """The reasoner derived a contradiction from ontology plus data."""


class ShapeViolationError(KgError):
    """The asserted data breaks the SHACL shapes; the message carries the readable report."""


class UnsupportedFormat(KgError, ValueError):
    """A format name or media type that no registered format has."""


class QuerySyntaxError(KgError, SyntaxError):
    """A SPARQL query that does not parse."""


class PublishError(KgError):
    """The store could not be reached, or refused a graph."""


class NotBuiltError(KgError):
    """No build to read from: run ``kg build`` first."""
