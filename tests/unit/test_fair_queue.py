"""FairQueue and Notifier on their own: turns, places in line, and notices in order."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable

import pytest

from bot.query.queue import SLOW, STARTED, FairQueue, Notifier, Progress


class Turns:
    """Takes turns in a queue and holds each until told to let go."""

    def __init__(self, queue: FairQueue) -> None:
        self.queue = queue
        self.places: dict[str, list[int]] = {}
        self.started: list[str] = []
        self._release: dict[str, asyncio.Event] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}

    async def take(self, name: str, owner: Hashable, *, urgent: bool = True) -> None:
        self.places[name] = []
        self._release[name] = asyncio.Event()
        self._tasks[name] = asyncio.create_task(self._hold(name, owner, urgent))
        await settled()

    async def _hold(self, name: str, owner: Hashable, urgent: bool) -> None:
        async with self.queue.turn(owner, urgent=urgent, on_position=self.places[name].append):
            self.started.append(name)
            await self._release[name].wait()

    async def let_go(self, name: str) -> None:
        """End a turn (if it has started: nothing waits here for a turn that never comes)."""
        self._release[name].set()
        await settled()

    async def cancel(self, name: str) -> None:
        self._tasks[name].cancel()
        with pytest.raises(asyncio.CancelledError):
            await self._tasks[name]
        await settled()


async def settled() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


async def test_everyone_gets_a_turn_before_anyones_second() -> None:
    turns = Turns(FairQueue(1))
    await turns.take("a1", "A")
    await turns.take("a2", "A")
    await turns.take("a3", "A")
    await turns.take("b1", "B")
    await turns.take("c1", "C")
    assert turns.started == ["a1"]
    # B and C came later but have had no turn yet: they go before A's second and third.
    assert turns.places == {"a1": [], "a2": [1, 2, 3], "a3": [2, 3, 4], "b1": [1], "c1": [2]}
    for name in ("a1", "b1", "c1", "a2", "a3"):
        await turns.let_go(name)
    assert turns.started == ["a1", "b1", "c1", "a2", "a3"]


async def test_an_owner_back_after_a_pause_gets_no_credit_for_it() -> None:
    turns = Turns(FairQueue(1))
    await turns.take("a1", "A")
    await turns.take("b1", "B")
    await turns.let_go("a1")
    await turns.take("b2", "B")
    await turns.take("c1", "C")
    await turns.take("c2", "C")
    await turns.let_go("b1")
    await turns.let_go("c1")
    await turns.let_go("b2")
    await turns.let_go("c2")
    assert turns.started == ["a1", "b1", "c1", "b2", "c2"]


async def test_a_waiter_who_leaves_moves_the_others_up() -> None:
    turns = Turns(FairQueue(1))
    await turns.take("a", "A")
    await turns.take("b", "B")
    await turns.take("c", "C")
    await turns.cancel("b")
    assert turns.places["c"] == [2, 1]
    await turns.let_go("a")
    assert turns.started == ["a", "c"]


async def test_background_turns_leave_a_slot_to_interactive_ones() -> None:
    turns = Turns(FairQueue(2))
    await turns.take("digest1", "D1", urgent=False)
    await turns.take("digest2", "D2", urgent=False)
    assert turns.started == ["digest1"]
    await turns.take("user", "U")
    assert turns.started == ["digest1", "user"]
    await turns.take("user2", "U2")
    # Interactive turns wait ahead of background ones.
    assert turns.places["user2"] == [1]
    assert turns.places["digest2"] == [1, 2]
    await turns.let_go("digest1")
    assert turns.started == ["digest1", "user", "user2"]
    await turns.let_go("user")
    assert turns.started == ["digest1", "user", "user2", "digest2"]


def test_a_queue_needs_a_slot() -> None:
    with pytest.raises(ValueError):
        FairQueue(0)


async def test_notices_arrive_in_order_and_the_latest_replaces_the_waiting_ones() -> None:
    shown: list[Progress] = []
    gate = asyncio.Event()

    async def hook(progress: Progress) -> None:
        await gate.wait()
        shown.append(progress)

    notifier = Notifier(hook)
    notifier.notify(Progress.queued(3))
    await settled()  # the first notice is being shown (the edit waits for Telegram)
    for position in (2, 1):
        notifier.notify(Progress.queued(position))
    notifier.notify(STARTED)
    gate.set()
    await settled()
    assert shown == [Progress.queued(3), STARTED]


async def test_no_notice_after_close_and_close_waits_for_the_one_under_way() -> None:
    shown: list[Progress] = []
    gate = asyncio.Event()

    async def hook(progress: Progress) -> None:
        await gate.wait()
        shown.append(progress)

    notifier = Notifier(hook)
    notifier.notify(SLOW)
    await settled()
    notifier.notify(Progress.queued(1))
    closing = asyncio.create_task(notifier.close())
    await settled()
    assert not closing.done()  # an edit under way would otherwise land after the answer
    gate.set()
    await closing
    notifier.notify(STARTED)
    await settled()
    assert shown == [SLOW]


async def test_the_same_notice_is_not_shown_twice() -> None:
    shown: list[Progress] = []

    async def hook(progress: Progress) -> None:
        shown.append(progress)

    notifier = Notifier(hook)
    for _ in range(2):
        notifier.notify(SLOW)
        await settled()
    await notifier.close()
    assert shown == [SLOW]


async def test_a_failing_notice_fails_neither_the_wait_nor_the_next_notice() -> None:
    shown: list[Progress] = []
    gate = asyncio.Event()

    async def hook(progress: Progress) -> None:
        await gate.wait()
        if progress == SLOW:
            raise RuntimeError("Telegram said no")
        shown.append(progress)

    notifier = Notifier(hook)
    notifier.notify(SLOW)
    await settled()
    notifier.notify(STARTED)
    closing = asyncio.create_task(notifier.close())  # the answer is ready meanwhile
    await settled()
    gate.set()
    await closing  # the waiting fetch is not failed by the notice
    assert shown == []
    second = Notifier(hook)
    second.notify(SLOW)
    await settled()
    second.notify(STARTED)
    await settled()
    await second.close()
    assert shown == [STARTED]
