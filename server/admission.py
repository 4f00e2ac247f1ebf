"""Which waiting query gets the next free worker: light clients first, one worker kept free of long queries, a deadline.

A client is a remote address, of one of three classes, remembered for ``cooldown`` seconds:

- *light*: one of its queries finished within ``slow`` seconds lately;
- *unknown*: nothing is known of it;
- *barred*: one of its queries held the kept worker (below) past ``slow`` seconds.

The rules, applied whenever a worker frees or a query arrives:

- Light clients' queries go first, then unknown ones', then barred ones'; within a class, turns
  go round (one query per client per turn): a client sending many queries cannot starve others.
- The last free worker is kept: a query that takes it is on a leash, stopped by the caller past
  ``slow`` seconds and queued again (``requeue``) to wait for another worker, and its client
  is barred from the kept worker while other clients are about (seen in the last ``_ABOUT``
  seconds). Alone, it harms no one: it takes the kept worker with no leash (stopped again, its
  query would only have another worker started for it, again and again). While long queries
  hold the other workers, the queries that take milliseconds still find one free: a client's
  first long query holds it for ``slow`` seconds at most, once per cooldown. A client running
  one long query may run light ones beside it.
- A barred client may have ``max_waiting_barred`` queries waiting; the clients that are not light
  ``max_waiting_unproven`` together. Beyond, and past ``queue_timeout`` of waiting, a query is
  refused with ``BusyError`` (503, saying after how many seconds a worker should be free).

No process and no I/O here: ``server.executor`` offers its idle workers and asks for one per query.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from server.errors import BusyError

W = TypeVar("W")

#: The classes of client, in the order their queries are served.
LIGHT, UNKNOWN, BARRED = 0, 1, 2
#: Clients remembered at most (least recently seen forgotten first): a bound on memory.
_MAX_CLIENTS = 10_000
#: Seconds since another client was last seen, within which a barred client stays off the kept worker.
_ABOUT = 10.0


@dataclass(eq=False)
class Ticket(Generic[W]):
    """One query waiting for a worker, then holding it."""

    client: str
    #: When waiting gives up (monotonic seconds).
    queue_deadline: float
    #: The worker it was given; None while waiting.
    worker: W | None = None
    #: True when it holds the kept worker: the caller stops it after ``slow`` seconds.
    leashed: bool = False
    #: When it was given its worker (monotonic seconds).
    started: float = 0.0


@dataclass
class _Client:
    #: Until when (monotonic seconds) the client counts as light, and as barred (barred wins).
    light_until: float = 0.0
    barred_until: float = 0.0
    #: When it was last seen (monotonic seconds).
    seen: float = 0.0
    #: Its queries holding a worker now.
    running: int = 0
    #: Its queries waiting for a worker, oldest first.
    waiting: deque[Ticket] = field(default_factory=deque)

    def kind(self, now: float) -> int:
        if now < self.barred_until:
            return BARRED
        return LIGHT if now < self.light_until else UNKNOWN


class Admission(Generic[W]):
    """The free workers and the queries waiting for one.

    :param time_limit: seconds a query may run (to say when a worker should be free again).
    :param slow: seconds within which a query makes its client light; the leash on the kept worker.
    :param cooldown: seconds a client stays light, or barred.
    :param queue_timeout: seconds a query may wait for a worker.
    :param max_waiting_barred: queries one barred client may have waiting.
    :param max_waiting_unproven: queries all clients that are not light may have waiting together.
    :param keep_one: keep the last free worker (a pool of one worker cannot).
    """

    def __init__(
        self,
        *,
        time_limit: float,
        slow: float,
        cooldown: float,
        queue_timeout: float,
        max_waiting_barred: int,
        max_waiting_unproven: int,
        keep_one: bool = True,
    ) -> None:
        self.time_limit = time_limit
        self.slow = slow
        self.cooldown = cooldown
        self.queue_timeout = queue_timeout
        self.max_waiting_barred = max_waiting_barred
        self.max_waiting_unproven = max_waiting_unproven
        self.keep_one = keep_one
        self._changed = threading.Condition()
        self._free: list[W] = []
        #: Workers lent out (by id): their ticket.
        self._lent: dict[int, Ticket[W]] = {}
        self._clients: OrderedDict[str, _Client] = OrderedDict()
        #: Clients with waiting queries, in turn order.
        self._turns: deque[str] = deque()

    # --- the workers ----------------------------------------------------------------------------

    def offer(self, worker: W) -> None:
        """A new worker is free."""
        with self._changed:
            self._free.append(worker)
            self._dispatch()

    def withdraw(self, worker: W) -> bool:
        """Take a free worker out (it died while idle); False when it was not free."""
        with self._changed:
            if worker in self._free:
                self._free.remove(worker)
                return True
            return False

    def free(self) -> list[W]:
        """The free workers now (a snapshot: any of them may be lent the next moment)."""
        with self._changed:
            return list(self._free)

    def counts(self) -> tuple[int, int]:
        """Workers free, workers lent."""
        with self._changed:
            return len(self._free), len(self._lent)

    # --- the queries ----------------------------------------------------------------------------

    def acquire(self, client: str, deadline: float) -> Ticket[W]:
        """Wait for a worker for a query of ``client``; the ticket holding it.

        :param deadline: when the query's time limit ends; waiting ends sooner, at ``queue_timeout``.
        :raises BusyError: when the client, or all clients that are not light, have too many queries
            waiting, or no worker came free in time.
        """
        now = time.monotonic()
        ticket: Ticket[W] = Ticket(client, min(deadline, now + self.queue_timeout))
        with self._changed:
            record = self._client(client)
            kind = record.kind(now)
            if kind == BARRED and len(record.waiting) >= self.max_waiting_barred:
                raise self._busy(now, "too many of this client's queries are waiting")
            if kind != LIGHT and self._waiting_unproven(now) >= self.max_waiting_unproven:
                raise self._busy(now, "too many queries are waiting")
            self._enqueue(record, ticket)
            return self._wait(ticket)

    def try_acquire(self, client: str, deadline: float) -> Ticket[W] | None:
        """A worker for a query of ``client`` at once, when no query waits and the rules give it one now; else None.

        For a caller that must not wait (an event loop): None changes nothing, and the caller then
        waits in ``acquire`` (in a thread).

        :param deadline: when the query's time limit ends.
        """
        now = time.monotonic()
        with self._changed:
            if self._turns or not self._free:
                return None
            record = self._client(client)
            kept = self.keep_one and len(self._free) == 1
            barred = record.kind(now) == BARRED
            if kept and barred and self._others_about(client, now):
                return None
            ticket: Ticket[W] = Ticket(client, min(deadline, now + self.queue_timeout))
            self._give(record, ticket, leashed=kept and not barred, now=now)
            return ticket

    def requeue(self, ticket: Ticket[W]) -> Ticket[W]:
        """Wait again after a leashed query was stopped (its worker is not given back); its client is barred.

        :raises BusyError: when no worker comes free before the ticket's queue deadline.
        """
        with self._changed:
            record = self._release(ticket, time.monotonic())
            record.barred_until = time.monotonic() + self.cooldown
            ticket.worker, ticket.leashed = None, False
            self._enqueue(record, ticket)
            return self._wait(ticket)

    def cancel(self, ticket: Ticket[W]) -> None:
        """Give back the worker of a ticket that was not used, its client's class unchanged."""
        with self._changed:
            self._release(ticket, time.monotonic())
            if ticket.worker is not None:
                self._free.append(ticket.worker)
            self._dispatch()

    def release(self, ticket: Ticket[W], *, give_back: bool) -> None:
        """The query is over; its worker is free again when ``give_back`` (else it was stopped and is replaced)."""
        with self._changed:
            now = time.monotonic()
            record = self._release(ticket, now)
            if now - ticket.started <= self.slow and give_back:
                record.light_until = now + self.cooldown
            if give_back and ticket.worker is not None:
                self._free.append(ticket.worker)
            self._dispatch()

    # --- inside the lock ------------------------------------------------------------------------

    def _client(self, address: str) -> _Client:
        record = self._clients.get(address)
        if record is None:
            record = self._clients[address] = _Client()
            while len(self._clients) > _MAX_CLIENTS:
                oldest, old = next(iter(self._clients.items()))
                if old.running or old.waiting:
                    break
                del self._clients[oldest]
        self._clients.move_to_end(address)
        record.seen = time.monotonic()
        return record

    def _others_about(self, address: str, now: float) -> bool:
        """True when a client other than ``address`` was seen in the last ``_ABOUT`` seconds."""
        for other in reversed(self._clients):  # the most recently seen last
            if other != address:
                return now - self._clients[other].seen < _ABOUT
        return False

    def _waiting_unproven(self, now: float) -> int:
        return sum(len(self._clients[c].waiting) for c in self._turns if self._clients[c].kind(now) != LIGHT)

    def _enqueue(self, record: _Client, ticket: Ticket[W]) -> None:
        if not record.waiting:
            self._turns.append(ticket.client)
        record.waiting.append(ticket)
        self._dispatch()

    def _wait(self, ticket: Ticket[W]) -> Ticket[W]:
        while ticket.worker is None:
            remaining = ticket.queue_deadline - time.monotonic()
            if remaining <= 0:
                self._drop(ticket)
                raise self._busy(time.monotonic(), "every query worker is busy")
            self._changed.wait(remaining)
        return ticket

    def _drop(self, ticket: Ticket[W]) -> None:
        record = self._clients.get(ticket.client)
        if record is not None and ticket in record.waiting:
            record.waiting.remove(ticket)
            if not record.waiting and ticket.client in self._turns:
                self._turns.remove(ticket.client)

    def _release(self, ticket: Ticket[W], now: float) -> _Client:
        record = self._client(ticket.client)
        record.running -= 1
        if ticket.worker is not None:
            self._lent.pop(id(ticket.worker), None)
        return record

    def _dispatch(self) -> None:
        """Give free workers to waiting queries: the best class first, turns round, the kept worker leashed."""
        now = time.monotonic()
        while self._free and self._turns:
            address = min(self._turns, key=lambda c: self._clients[c].kind(now))  # the first of the best class
            record = self._clients[address]
            kept = self.keep_one and len(self._free) == 1
            barred = record.kind(now) == BARRED
            if kept and barred and self._others_about(address, now):
                return  # the kept worker waits for a client that is not barred
            ticket = record.waiting.popleft()
            self._turns.remove(address)
            if record.waiting:
                self._turns.append(address)  # its next query waits for its next turn
            self._give(record, ticket, leashed=kept and not barred, now=now)  # a barred client here is alone
            self._changed.notify_all()

    def _give(self, record: _Client, ticket: Ticket[W], *, leashed: bool, now: float) -> None:
        ticket.worker = self._free.pop()
        ticket.leashed = leashed
        ticket.started = now
        record.running += 1
        self._lent[id(ticket.worker)] = ticket

    def _busy(self, now: float, why: str) -> BusyError:
        """The 503 for a query that cannot have a worker now, with the seconds until one should be free."""
        ends = [t.started + self.time_limit for t in self._lent.values()]
        wait = max(1, math.ceil(min(ends, default=now + 1) - now))
        return BusyError(f"{why}: retry in {wait} s", retry_after=wait)
