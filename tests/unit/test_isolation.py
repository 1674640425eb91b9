"""``UserIsolation``: one update at a time per key, except while a handler waits outside."""

from __future__ import annotations

import asyncio

import pytest
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.memory import MemoryStorage

from bot.isolation import UserIsolation, outside_lock

KEY = StorageKey(bot_id=1, chat_id=10, user_id=10)
OTHER = StorageKey(bot_id=1, chat_id=11, user_id=11)


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_updates_of_one_key_run_one_at_a_time_and_other_keys_do_not_wait() -> None:
    isolation = UserIsolation()
    order: list[str] = []
    release = asyncio.Event()

    async def slow() -> None:
        async with isolation.lock(KEY):
            order.append("slow in")
            await release.wait()
            order.append("slow out")

    async def quick(key: StorageKey, name: str) -> None:
        async with isolation.lock(key):
            order.append(name)

    first = asyncio.create_task(slow())
    await settle()
    same = asyncio.create_task(quick(KEY, "same user"))
    other = asyncio.create_task(quick(OTHER, "other user"))
    await settle()
    assert order == ["slow in", "other user"], "the same key waits, another does not"
    release.set()
    await asyncio.gather(first, same, other)
    assert order == ["slow in", "other user", "slow out", "same user"]
    assert isolation.tracked == 0, "locks nobody holds are forgotten"


async def test_outside_lock_lets_the_next_update_in_and_takes_the_lock_back() -> None:
    isolation = UserIsolation()
    order: list[str] = []
    fetched = asyncio.Event()

    async def fetching() -> None:
        async with isolation.lock(KEY):
            async with outside_lock():
                order.append("fetch starts")
                await fetched.wait()
            order.append("back inside")
            await settle()  # still inside: nobody else may run now
            order.append("fetch done")

    async def press() -> None:
        async with isolation.lock(KEY):
            order.append("press")

    slow = asyncio.create_task(fetching())
    await settle()
    quick = asyncio.create_task(press())
    await settle()
    assert order == ["fetch starts", "press"], "the press ran while the fetch waited"
    fetched.set()
    await asyncio.gather(slow, quick)
    assert order == ["fetch starts", "press", "back inside", "fetch done"]
    assert isolation.tracked == 0


async def test_coming_back_waits_for_the_update_that_got_in() -> None:
    isolation = UserIsolation()
    order: list[str] = []
    inside = asyncio.Event()
    leave = asyncio.Event()

    async def fetching() -> None:
        async with isolation.lock(KEY):
            async with outside_lock():
                await inside.wait()
            order.append("fetch back")

    async def press() -> None:
        async with isolation.lock(KEY):
            inside.set()
            await leave.wait()
            order.append("press done")

    tasks = [asyncio.create_task(fetching())]
    await settle()
    tasks.append(asyncio.create_task(press()))
    await settle()
    assert order == [], "the fetch came back but waits for the press holding the lock"
    leave.set()
    await asyncio.gather(*tasks)
    assert order == ["press done", "fetch back"]


async def test_only_the_task_holding_the_lock_can_step_out() -> None:
    isolation = UserIsolation()
    entered: list[str] = []

    async def other() -> None:
        async with isolation.lock(KEY):
            entered.append("other")

    async with isolation.lock(KEY):

        async def spawned() -> None:
            async with outside_lock():  # a task started by the handler: releases nothing
                waiting = asyncio.create_task(other())
                await settle()
                assert entered == []
                waiting.cancel()

        await asyncio.create_task(spawned())
        async with outside_lock(), outside_lock():  # nested: released once
            waiting = asyncio.create_task(other())
            await settle()
            assert entered == ["other"]
            await waiting


async def test_a_cancelled_return_does_not_release_someone_elses_lock() -> None:
    isolation = UserIsolation()
    holder_in = asyncio.Event()
    holder_out = asyncio.Event()

    async def fetching() -> None:
        async with isolation.lock(KEY), outside_lock():
            await holder_in.wait()

    async def holder() -> None:
        async with isolation.lock(KEY):
            holder_in.set()
            await holder_out.wait()

    fetch = asyncio.create_task(fetching())
    await settle()
    hold = asyncio.create_task(holder())
    await settle()
    fetch.cancel()  # while it waits to come back in
    await asyncio.gather(fetch, return_exceptions=True)
    third_in = asyncio.Event()

    async def third() -> None:
        async with isolation.lock(KEY):
            third_in.set()

    late = asyncio.create_task(third())
    await settle()
    assert not third_in.is_set(), "the holder still holds the lock"
    holder_out.set()
    await asyncio.gather(hold, late)
    assert third_in.is_set()
    assert isolation.tracked == 0


@pytest.mark.parametrize("change", ["state", "data", "nothing"])
async def test_moved_on_tells_whether_another_update_changed_the_users_state(change: str) -> None:
    isolation = UserIsolation()
    context = FSMContext(storage=MemoryStorage(), key=KEY)
    await context.update_data(calls={"m": 1})
    fetched = asyncio.Event()

    async def other_update() -> None:
        async with isolation.lock(KEY):
            if change == "state":
                await context.set_state("CallsFlow:typing")
            elif change == "data":
                await context.update_data(calls={"m": 2})
            fetched.set()

    async with isolation.lock(KEY):
        async with outside_lock(context) as away:
            task = asyncio.create_task(other_update())
            await fetched.wait()
        await task
    assert away.moved_on is (change != "nothing")
