"""Flow tests: the real dispatcher fed updates directly, talking to the fake Bot API over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import pytest_asyncio
from aiogram import Bot, Dispatcher
from pydantic import SecretStr

from bot.app import build_bot, build_dispatcher, open_services
from bot.config import Settings
from tests.fake_telegram import FakeTelegram


@dataclass
class Flow:
    fake: FakeTelegram
    bot: Bot
    dispatcher: Dispatcher


# aiogram routers live at module level and attach to one dispatcher per process,
# so every flow test shares one dispatcher (and one event loop).
@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def flow(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Flow]:
    tmp_path = tmp_path_factory.mktemp("flows")
    fake = FakeTelegram()
    await fake.start()
    settings = Settings(
        bot_token=SecretStr(fake.token),
        telegram_api_url=fake.base_url,
        database_path=tmp_path / "bot.sqlite3",
    )
    async with open_services(settings, demo_base_url=None) as services:
        bot = build_bot(settings)
        try:
            yield Flow(fake, bot, build_dispatcher(services))
        finally:
            await bot.session.close()
    await fake.stop()
