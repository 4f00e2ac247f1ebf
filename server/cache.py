"""A result cache: the answers of repeated queries, kept in memory up to a byte budget.

Legitimate because a server serves one build and the build never changes under it (it pins
the build it started with, ``kg.dataset.pin_build``): the key needs no build hash.
Queries whose value changes per call (NOW(), RAND() ...) are never cached; the caller checks.
In front of a remote backend (``kg serve --backend``) there is no cache at all: its data may change
without this server knowing, and no build hash says when.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from server.executor import Answer
from server.worker import QueryRequest


class ResultCache:
    """Least recently used answers, at most ``max_bytes`` of bodies in all.

    >>> cache = ResultCache(16)
    >>> for query in ("ASK {}", "ASK { ?s ?p ?o }", "SELECT * {}", "SELECT ?s {}", "SELECT ?o {}"):
    ...     cache.put(QueryRequest(query), Answer(b"1234", "boolean", "json", 1, False))
    >>> cache.get(QueryRequest("ASK {}")) is None  # the least recently used went first
    True
    >>> cache.get(QueryRequest("SELECT ?o {}")).body
    b'1234'
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._answers: OrderedDict[QueryRequest, Answer] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, request: QueryRequest) -> Answer | None:
        with self._lock:
            answer = self._answers.get(request)
            if answer is not None:
                self._answers.move_to_end(request)
            return answer

    def put(self, request: QueryRequest, answer: Answer) -> None:
        """Keep ``answer``, dropping the least recently used ones to stay within budget."""
        if len(answer.body) > self.max_bytes // 4:  # one huge answer must not flush all the others
            return
        with self._lock:
            previous = self._answers.pop(request, None)
            self._size += len(answer.body) - (len(previous.body) if previous else 0)
            self._answers[request] = answer
            while self._size > self.max_bytes:
                _, dropped = self._answers.popitem(last=False)
                self._size -= len(dropped.body)
