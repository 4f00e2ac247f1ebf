"""Repeats of a query on data that cannot change: one run shared by those who ask at once, a failure remembered.

For a server whose data cannot change (a pinned build), a query sent again while it runs waits
for the first one's answer (in a thread, or on an event loop: ``follow``) instead of taking a
second worker, and a query that was stopped at the time limit, or crashed its worker, is refused
at once when sent again: it would only do it again.

Queries are known by the request's hash (``QueryRequest.digest``), never by their text, and a
failure is remembered as its type and message, never as the error object, whose traceback would
keep the request alive: a client sending many long queries must not fill memory with them.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

from kg.errors import KgError
from server.errors import QueryAbortedError, QueryTimeoutError

T = TypeVar("T")

#: Failed queries remembered (their request hashes), so that a repeat is refused at once.
REMEMBERED_FAILURES = 4096


class _Flight(Generic[T]):
    """A query running now, whose answer other requests for the same query wait for."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.answer: T | None = None
        self.error: BaseException | None = None
        #: The futures of those who wait on an event loop, with their loops.
        self.waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future]] = []

    def wait(self, deadline: float, time_limit: float) -> T:
        if not self.done.wait(max(0.0, deadline - time.monotonic())):
            raise QueryTimeoutError.at(time_limit)
        if self.error is not None:
            raise self.error
        assert self.answer is not None
        return self.answer


class Flights(Generic[T]):
    """The queries running now and the queries that failed, by request hash.

    :param time_limit: seconds a query may take (for the message of a repeat that waited too long).
    """

    def __init__(self, time_limit: float) -> None:
        self.time_limit = time_limit
        self._lock = threading.Lock()
        self._running: dict[bytes, _Flight[T]] = {}
        #: Request hash -> the type and message of its failure, least recently asked first.
        self._failures: OrderedDict[bytes, tuple[type[KgError], str]] = OrderedDict()

    def run(self, key: bytes, deadline: float, evaluate: Callable[[], T]) -> T:
        """``evaluate()``, or the answer of the run of the same query going on now.

        :param key: the request's hash.
        :param deadline: when a repeat stops waiting for the run it shares (monotonic seconds).
        :raises QueryTimeoutError, QueryAbortedError: at once, when the query failed so before.
        :raises QueryTimeoutError: when the shared run did not end by ``deadline``.
        :raises Exception: what ``evaluate`` raises, to each request that shares its run.
        """
        with self._lock:
            self._check(key)
            flight = self._running.get(key)
            if flight is None:
                flight = self._running[key] = _Flight()
                leader = True
            else:
                leader = False
        if not leader:
            return flight.wait(deadline, self.time_limit)
        try:
            answer = evaluate()
        except BaseException as error:
            self.end(key, flight, error=error)
            raise
        self.end(key, flight, answer=answer)
        return answer

    def follow(self, key: bytes, loop: asyncio.AbstractEventLoop) -> asyncio.Future | None:
        """A future of ``loop`` that gets the answer (or the error) of the run of the query ``key`` going on now;
        None when none is.

        :raises QueryTimeoutError, QueryAbortedError: at once, when the query failed so before.
        """
        with self._lock:
            self._check(key)
            flight = self._running.get(key)
            if flight is None:
                return None
            future = loop.create_future()
            flight.waiters.append((loop, future))
            return future

    def lead(self, key: bytes) -> _Flight[T] | None:
        """A new run of the query that the caller leads (and ends with ``end``); None when one is going on.

        :raises QueryTimeoutError, QueryAbortedError: at once, when the query failed so before.
        """
        with self._lock:
            self._check(key)
            if key in self._running:
                return None
            flight = self._running[key] = _Flight()
            return flight

    def end(
        self, key: bytes, flight: _Flight[T], *, answer: T | None = None, error: BaseException | None = None
    ) -> None:
        """End the run ``flight`` of the query ``key`` with its answer or its error, for all who share it."""
        flight.answer, flight.error = answer, error
        if isinstance(error, QueryTimeoutError | QueryAbortedError) and getattr(error, "repeats", True):
            self._remember(key, error)
        with self._lock:
            del self._running[key]
        flight.done.set()
        for loop, future in flight.waiters:  # none is added once the flight is no longer running
            loop.call_soon_threadsafe(_settle, future, answer, error)

    def _check(self, key: bytes) -> None:
        """Raise the failure remembered for ``key``, if any (holding the lock)."""
        failure = self._failures.get(key)
        if failure is not None:
            self._failures.move_to_end(key)
            error_type, message = failure
            raise error_type(_repeated(message))

    def _remember(self, key: bytes, error: KgError) -> None:
        with self._lock:
            self._failures[key] = (type(error), str(error))
            while len(self._failures) > REMEMBERED_FAILURES:
                self._failures.popitem(last=False)


def _settle(future: asyncio.Future, answer, error: BaseException | None) -> None:
    if not future.done():  # it gave up waiting meanwhile
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(answer)


def _repeated(message: str) -> str:
    """The message for a query refused because it failed before and the data has not changed.

    >>> _repeated("the query was stopped at the 2 s time limit: narrow it down")
    'the query was stopped at the 2 s time limit when it ran before, and the data has not changed: narrow it down'
    """
    first, _, advice = message.partition(": ")
    return f"{first} when it ran before, and the data has not changed: {advice}" if advice else message
