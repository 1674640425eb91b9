"""Waiting for aiokk: a fair queue of fetches per instance, and progress for the waiting.

A burst of big fetches to one instance would hold every response in memory at once and
have them all finish late. ``FairQueue`` lets a few run at a time and admits the rest in
turns: interactive fetches before background ones (digests), and among them in start-time
fair order by owner (a connection), so that one user asking many things does not hold
up the others: each of them gets a turn before anyone's second. A waiting fetch learns
its place in the line whenever it changes.

``Progress`` is what a waiting user can be told (their place in the line, that the fetch
has started, that aiokk is slow), and ``Notifier`` delivers it through a hook such as an
edit of the user's message: in order, skipping what a newer event replaced, and never
after the answer (``close`` waits for an edit under way).
"""

from __future__ import annotations

import asyncio
import enum
import itertools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass

logger = logging.getLogger(__name__)


class Stage(enum.Enum):
    QUEUED = "queued"  # waiting for a turn; ``position`` 1 is next
    STARTED = "started"  # the turn came after a wait: aiokk is being asked now
    SLOW = "slow"  # aiokk has taken a while; still trying


@dataclass(frozen=True, slots=True)
class Progress:
    stage: Stage
    position: int = 0

    @classmethod
    def queued(cls, position: int) -> Progress:
        return cls(Stage.QUEUED, position)


STARTED = Progress(Stage.STARTED)
SLOW = Progress(Stage.SLOW)

ProgressHook = Callable[[Progress], Awaitable[object]]
"""Tells a waiting user about a ``Progress`` (typically by editing their message)."""


class Notifier:
    """Delivers progress to one hook from a task of its own, so that a slow hook (an edit
    waiting for Telegram) holds up neither the fetch nor anyone else's notices."""

    def __init__(self, hook: ProgressHook) -> None:
        self._hook = hook
        self._pending: Progress | None = None
        self._last: Progress | None = None
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    def notify(self, progress: Progress) -> None:
        """Deliver ``progress`` soon, unless it is what the user already sees."""
        if self._closed:
            return
        self._pending = progress
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._deliver())

    async def close(self) -> None:
        """Deliver nothing more; wait for a delivery under way (its edit must not land
        after the answer that follows)."""
        self._closed = True
        self._pending = None
        if self._task is not None:
            await asyncio.shield(self._task)

    async def _deliver(self) -> None:
        while self._pending is not None:
            progress, self._pending = self._pending, None
            if progress == self._last:
                continue
            self._last = progress
            try:
                await self._hook(progress)
            except Exception:
                # A notice is a courtesy: failing to show one must not fail the fetch.
                logger.warning("a progress notice could not be shown", exc_info=True)


@dataclass(eq=False)
class _Ticket:
    owner: Hashable
    urgent: bool
    admitted: asyncio.Future[None]
    on_position: Callable[[int], None] | None
    start: int  # virtual start: the owner's turns so far, caught up with the queue's
    arrival: int
    position: int = 0


class FairQueue:
    """At most ``slots`` turns at a time; background turns leave one slot to interactive ones.

    ``async with queue.turn(owner, urgent=..., on_position=...)``: the block runs when the
    turn comes; ``on_position(n)`` is called (synchronously) each time the place of a
    waiting turn changes, ``n == 1`` being next.

    Fairness is start-time fair queueing with one unit per turn: a turn's virtual start
    is where its owner's previous turn ended, but never before the turn last admitted
    (an owner who was away gets no credit for it). Interactive turns go first, then the
    earliest virtual start, then the first to come.
    """

    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError("slots must be at least 1")
        self._slots = slots
        self._background_slots = max(1, slots - 1)
        self._running = 0
        self._running_background = 0
        self._waiting: list[_Ticket] = []
        self._arrivals = itertools.count()
        self._virtual = 0  # the virtual start of the turn admitted last
        self._ends: dict[Hashable, int] = {}  # where each owner's last turn ends

    @asynccontextmanager
    async def turn(
        self,
        owner: Hashable,
        *,
        urgent: bool,
        on_position: Callable[[int], None] | None = None,
    ) -> AsyncIterator[None]:
        ticket = await self._wait(owner, urgent, on_position)
        try:
            yield
        finally:
            self._finish(ticket)

    async def _wait(
        self, owner: Hashable, urgent: bool, on_position: Callable[[int], None] | None
    ) -> _Ticket:
        start = max(self._virtual, self._ends.get(owner, 0))
        self._ends[owner] = start + 1
        admitted = asyncio.get_running_loop().create_future()
        ticket = _Ticket(owner, urgent, admitted, on_position, start, next(self._arrivals))
        self._waiting.append(ticket)
        self._admit()  # at once when a slot is free and nobody goes before it
        try:
            await ticket.admitted
        except asyncio.CancelledError:
            if ticket.admitted.done() and not ticket.admitted.cancelled():
                self._finish(ticket)  # admitted and cancelled at once: hand the turn on
            else:
                self._waiting.remove(ticket)
                self._announce()
            raise
        return ticket

    def _can_start(self, ticket: _Ticket) -> bool:
        if self._running >= self._slots:
            return False
        return ticket.urgent or self._running_background < self._background_slots

    def _finish(self, ticket: _Ticket) -> None:
        self._running -= 1
        if not ticket.urgent:
            self._running_background -= 1
        self._admit()

    def _admit(self) -> None:
        while (ticket := next(filter(self._can_start, self._order()), None)) is not None:
            self._waiting.remove(ticket)
            self._running += 1
            if not ticket.urgent:
                self._running_background += 1
            if ticket.start > self._virtual:
                self._virtual = ticket.start
                # Owners whose turns all end by now would start at the queue's time anyway.
                self._ends = {o: end for o, end in self._ends.items() if end > self._virtual}
            ticket.admitted.set_result(None)
        self._announce()

    def _order(self) -> list[_Ticket]:
        """Waiting tickets in the order they will be admitted if nobody else comes.

        A waiter cancelled a moment ago still has its ticket here (it removes it when it
        runs next), but its future is cancelled already: it is no longer in line.
        """
        waiting = [ticket for ticket in self._waiting if not ticket.admitted.done()]
        return sorted(waiting, key=lambda t: (not t.urgent, t.start, t.arrival))

    def _announce(self) -> None:
        for position, ticket in enumerate(self._order(), start=1):
            if ticket.position != position:
                ticket.position = position
                if ticket.on_position is not None:
                    ticket.on_position(position)
