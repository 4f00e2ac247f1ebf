"""A result cache: the answers of repeated queries, kept in memory up to a byte budget that counts everything kept.

Legitimate because a server serves one build and the build never changes under it (it pins
the build it started with, ``kg.dataset.pin_build``): the key needs no build hash.
Queries whose value changes per call (NOW(), RAND() ...) are never cached; the caller checks.
In front of a remote backend (``kg serve --backend``) there is no cache at all: its data may change
without this server knowing, and no build hash says when.

An entry is keyed by the request's 32-byte hash, never by the query itself: a client sending many
long distinct queries with small answers would otherwise fill memory with query texts the budget
does not see. Each entry counts its answer, its key and the bookkeeping around them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from server.executor import Answer

#: Bytes an entry costs besides its answer's body: the key, the Answer object, the dict's node
#: (measured with tracemalloc on CPython 3.11: about 270 bytes; rounded up).
ENTRY_OVERHEAD = 400


class ResultCache:
    """Least recently used answers, at most ``max_bytes`` in all, overheads included.

    Keys are ``QueryRequest.digest()``.

    >>> from server.frames import QueryRequest
    >>> cache = ResultCache(4 * (4 + ENTRY_OVERHEAD))
    >>> for n in range(5):
    ...     cache.put(QueryRequest(f"ASK {{}} # {n}").digest(), Answer("boolean", "json", 1, False, b"1234", length=4))
    >>> cache.get(QueryRequest("ASK {} # 0").digest()) is None  # the least recently used went first
    True
    >>> cache.get(QueryRequest("ASK {} # 4").digest()).body, cache.size == 4 * (4 + ENTRY_OVERHEAD), len(cache)
    (b'1234', True, 4)
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._answers: OrderedDict[bytes, Answer] = OrderedDict()
        #: Bytes counted against the budget.
        self.size = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._answers)

    def get(self, key: bytes) -> Answer | None:
        with self._lock:
            answer = self._answers.get(key)
            if answer is not None:
                self._answers.move_to_end(key)
            return answer

    def put(self, key: bytes, answer: Answer) -> None:
        """Keep ``answer``, dropping the least recently used ones to stay within budget.

        Answers kept in a temporary file (long ones), and any over a quarter of the budget, are
        not kept: one huge answer must not flush all the others.
        """
        cost = _cost(answer)
        if answer.spool is not None or cost > self.max_bytes // 4:
            return
        with self._lock:
            previous = self._answers.pop(key, None)
            self.size += cost - (_cost(previous) if previous else 0)
            self._answers[key] = answer
            while self.size > self.max_bytes:
                _, dropped = self._answers.popitem(last=False)
                self.size -= _cost(dropped)


def _cost(answer: Answer) -> int:
    return len(answer.body) + ENTRY_OVERHEAD
