"""Flow tests: the real dispatcher fed updates directly, talking to the fake Bot API over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiogram import Bot, Dispatcher
from pydantic import SecretStr

from bot.app import build_bot, build_dispatcher, open_services
from bot.clock import ShiftedClock
from bot.config import Settings
from tests.clock import TEST_NOW
from tests.fake_telegram import FakeTelegram


@dataclass
class Flow:
    fake: FakeTelegram
    bot: Bot
    dispatcher: Dispatcher


@pytest.fixture
async def flow(tmp_path: Path) -> AsyncIterator[Flow]:
    fake = FakeTelegram()
    await fake.start()
    settings = Settings(
        bot_token=SecretStr(fake.token),
        telegram_api_url=fake.base_url,
        database_path=tmp_path / "bot.sqlite3",
    )
    clock = ShiftedClock(TEST_NOW)
    async with open_services(settings, demo_base_url=None, clock=clock) as services:
        bot = build_bot(settings)
        dispatcher = build_dispatcher(services)
        try:
            yield Flow(fake, bot, dispatcher)
        finally:
            await bot.session.close()
            # Routers live at module level and may belong to one dispatcher at a time;
            # aiogram has no public way to detach them for the next test's dispatcher.
            for router in dispatcher.sub_routers:
                router._parent_router = None
    await fake.stop()
