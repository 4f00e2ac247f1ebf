"""Errors of the HTTP layer, and the status each error type maps to.

No Flask here: the query workers raise some of these too and stay light. ``server.app``
registers one error handler per entry of ``HTTP_STATUS``; each body is ``str(error)``, one line.
"""

from __future__ import annotations

from kg.errors import KgError, NotBuiltError, QuerySyntaxError, UnsupportedFormat


class ProtocolError(KgError):
    """A request the SPARQL 1.1 Protocol does not allow: two queries, bad UTF-8, a bad graph IRI ..."""


class OutsideDatasetError(KgError):
    """A query that would reach outside the dataset (``SERVICE``, a file, a connection)."""


class ReadOnlyError(KgError):
    """An update: the endpoint serves a fixed build and never changes it."""


class UnsupportedMediaTypeError(KgError):
    """A POST body whose media type is neither a form nor ``application/sparql-query``, or not UTF-8."""


class QueryTooLongError(KgError):
    """A query longer than the configured maximum."""


class QueryTooDeepError(KgError):
    """A query whose brackets nest deeper than the endpoint accepts (the engine's stack would overflow)."""


class QueryTimeoutError(KgError):
    """The query ran, or waited for a free worker, longer than the time limit; its worker was killed."""

    @classmethod
    def at(cls, limit: float) -> QueryTimeoutError:
        """The error for a query stopped at ``limit`` seconds, worded the same wherever it was stopped.

        >>> str(QueryTimeoutError.at(2.0))
        'the query was stopped at the 2 s time limit: narrow it down (LIMIT, more specific patterns)'
        """
        advice = "narrow it down (LIMIT, more specific patterns)"
        return cls(f"the query was stopped at the {limit:g} s time limit: {advice}")


class BusyError(KgError):
    """No query worker can take the query now (all busy with long queries, or too many waiting): retry later.

    :param retry_after: seconds after which a worker should be free (the ``Retry-After`` header).
    """

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class QueryAbortedError(KgError):
    """The query's worker died (the memory limit, a stack overflow, killed from outside) and was replaced.

    :param repeats: True when the same query would end the same way again (so it may be refused at once).
    """

    def __init__(self, message: str, *, repeats: bool = True) -> None:
        super().__init__(message)
        self.repeats = repeats


class QueryFailedError(KgError):
    """The query parsed but could not be evaluated or serialised."""


class BackendError(KgError):
    """The remote SPARQL endpoint (``kg serve --backend``) cannot be reached, failed, or sent an unreadable answer.

    The message names the backend's URL (never its credentials) and says what went wrong.
    """


class BackendUnavailableError(BackendError):
    """The backend answered 503 or 504 (overloaded, or its own time limit): the client may retry later."""


class BackendRefusedError(KgError):
    """The backend refused the query as bad (HTTP 400); the message carries the backend's own words."""


#: Status of each error type; the most specific class listed wins (Flask looks up the MRO).
HTTP_STATUS: dict[type[Exception], int] = {
    ProtocolError: 400,
    QuerySyntaxError: 400,
    OutsideDatasetError: 400,
    QueryFailedError: 400,
    BackendRefusedError: 400,
    QueryTooDeepError: 400,
    ReadOnlyError: 403,
    UnsupportedFormat: 406,
    QueryTooLongError: 413,
    UnsupportedMediaTypeError: 415,
    NotBuiltError: 503,
    QueryTimeoutError: 503,
    QueryAbortedError: 503,
    BusyError: 503,
    BackendError: 502,
    BackendUnavailableError: 503,
}


def status_for(error: Exception) -> int | None:
    """The status ``HTTP_STATUS`` gives the most specific of the error's classes; None for an error it lists none of.

    >>> status_for(BackendUnavailableError("x")), status_for(BackendError("x")), status_for(ValueError("x"))
    (503, 502, None)
    """
    return next((HTTP_STATUS[cls] for cls in type(error).__mro__ if cls in HTTP_STATUS), None)


#: Errors a worker may report, by class name (the name travels over the pipe, not the object).
WORKER_ERRORS: dict[str, type[KgError]] = {
    cls.__name__: cls
    for cls in (
        QuerySyntaxError,
        UnsupportedFormat,
        OutsideDatasetError,
        QueryFailedError,
        QueryAbortedError,
        ProtocolError,
        QueryTimeoutError,
        BackendError,
        BackendUnavailableError,
        BackendRefusedError,
    )
}
