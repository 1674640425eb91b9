"""Per-user event isolation that a handler can step out of while it waits on something slow.

aiogram's FSM middleware handles one update at a time per user and chat (the isolation
lock), so a press on a menu that was just sent sees the draft its handler saved. Holding
that lock through a 20-second aiokk fetch, though, makes every other update of the user
wait: their next press expires and even /start hangs. Handlers therefore leave the lock
around slow awaits::

    async with outside_lock(state) as away:
        view = await presenter.summary(...)
    if away.moved_on:
        ...  # another update of the user ran meanwhile: show on your own message, save nothing

Back inside, the handler is again the only one of the user's updates running, but others
may have run meanwhile: when the user's FSM state or data changed, it edits its own message
only, with nothing that depends on the state it left (which may be gone).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import BaseEventIsolation, StorageKey


@dataclass
class _Hold:
    """One update's hold on its key's lock."""

    lock: asyncio.Lock
    task: asyncio.Task[Any] | None
    held: bool = True


@dataclass
class _Entry:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0  # updates holding or waiting for the lock


_HOLD: contextvars.ContextVar[_Hold | None] = contextvars.ContextVar("isolation_hold", default=None)


class UserIsolation(BaseEventIsolation):
    """Like aiogram's ``SimpleEventIsolation`` (one lock per FSM key), with two additions:
    the handler holding a lock may leave it for a while (``outside_lock``), and locks
    nobody holds or waits for are forgotten, so the table does not grow with every user
    the bot has ever seen."""

    def __init__(self) -> None:
        self._entries: dict[StorageKey, _Entry] = {}

    @property
    def tracked(self) -> int:
        """Keys with an update holding or waiting for their lock."""
        return len(self._entries)

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncIterator[None]:
        entry = self._entries.setdefault(key, _Entry())
        entry.users += 1
        try:
            await entry.lock.acquire()
            hold = _Hold(entry.lock, asyncio.current_task())
            token = _HOLD.set(hold)
            try:
                yield
            finally:
                _HOLD.reset(token)
                # Not held when re-entering after ``outside_lock`` was cancelled.
                if hold.held:
                    entry.lock.release()
        finally:
            entry.users -= 1
            if entry.users == 0:
                del self._entries[key]

    async def close(self) -> None:
        self._entries.clear()


@dataclass
class Away:
    """What a handler finds when it comes back from ``outside_lock``."""

    moved_on: bool = False
    """Another update of the user changed their FSM state or data meanwhile: act on your
    own message only, and save nothing."""


@asynccontextmanager
async def outside_lock(state: FSMContext | None = None) -> AsyncIterator[Away]:
    """Release the update's isolation lock for the block and take it back after; with
    ``state``, tell whether the user moved on meanwhile (also when the block raised).

    Releases nothing outside an isolated update or in a task the update started (only the
    task holding the lock may release it), and nothing when already outside.
    """
    before = await _mark(state) if state is not None else None
    away = Away()
    hold = _HOLD.get()
    if hold is not None and (not hold.held or hold.task is not asyncio.current_task()):
        hold = None
    if hold is not None:
        hold.held = False
        hold.lock.release()
    try:
        yield away
    finally:
        if hold is not None:
            # If this wait is cancelled, the lock stays released and ``lock`` knows it.
            await hold.lock.acquire()
            hold.held = True
        if state is not None:
            away.moved_on = await _mark(state) != before


async def _mark(state: FSMContext) -> tuple[str | None, dict[str, Any]]:
    return await state.get_state(), await state.get_data()
