"""Each alert is sent once: by two processes polling one database at once, and after a
process dies between claiming an alert and sending it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType

from bot.alerts.poller import LEASE
from storage.alerts import SeenState
from tests.clock import TEST_NOW
from tests.unit.test_alerts_support import World, make_bot, make_world, record

BEFORE = [record(1001, TEST_NOW - timedelta(hours=1), rating=1)]
NEW = [record(1100 + n, TEST_NOW + timedelta(minutes=1), rating=1) for n in range(3)]


class ProcessDied(BaseException):
    """Stands for ``kill -9``: nothing in the bot catches it."""


class DieOnSend(BaseRequestMiddleware):
    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if method.__api_method__ == "sendMessage":
            raise ProcessDied
        return await make_request(bot, method)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    built = await make_world(tmp_path, list(BEFORE), TEST_NOW)
    yield built
    await built.close()


def alerted(world: World) -> list[str]:
    return [text for text in world.texts() if "Критичный звонок" in text]


@pytest.mark.parametrize("every", [timedelta(seconds=300), timedelta(0)])
async def test_two_processes_polling_one_database_send_each_alert_once(
    world: World, every: timedelta
) -> None:
    rule = await world.rule()
    # ``every=0``: both processes get a turn and both see every new call.
    first = world.poller("host-a:1:a", interval=every)
    second = world.poller("host-b:2:b", db=await world.second_process_db(), interval=every)
    await asyncio.gather(first.poll_once(), second.poll_once())
    assert world.texts() == []
    for round_ in range(3):
        world.aiokk.serve([*BEFORE, *NEW[: round_ + 1]])
        world.clock.advance(timedelta(minutes=5))
        await asyncio.gather(first.poll_once(), second.poll_once())
        assert len(alerted(world)) == round_ + 1
    states = await world.repo.states(rule.id)
    assert states == {
        1001: SeenState.BASELINE,
        **dict.fromkeys((1100, 1101, 1102), SeenState.SENT),
    }


async def test_a_process_that_dies_between_claim_and_send_is_taken_over_once(
    world: World,
) -> None:
    rule = await world.rule()
    dying_bot = make_bot(world.fake)
    dying_bot.session.middleware(DieOnSend())
    dying = world.poller("host-a:1:a")
    dying.attach(dying_bot)
    try:
        await dying.poll_once()
        world.aiokk.serve([*BEFORE, *NEW[:2]])
        world.clock.advance(timedelta(minutes=5))
        with pytest.raises(ProcessDied):
            await dying.poll_once()
    finally:
        await dying_bot.session.close()
    claimed = await world.repo.states(rule.id)
    assert claimed[1100] == claimed[1101] == SeenState.PENDING and world.texts() == []

    # The restarted bot (another process) polls on.
    restarted = world.poller("host-a:3:c", db=await world.second_process_db())
    world.clock.advance(timedelta(minutes=5))
    await restarted.poll_once()
    assert world.texts() == [], "the claim is still within its lease"
    world.clock.advance(LEASE)
    await restarted.poll_once()
    assert len(alerted(world)) == 2
    for _ in range(2):
        world.clock.advance(timedelta(minutes=5))
        await restarted.poll_once()
    assert len(alerted(world)) == 2, "once"
    assert set((await world.repo.states(rule.id)).values()) == {
        SeenState.BASELINE,
        SeenState.SENT,
    }
