"""Reaching Telegram at start: one clear line instead of a traceback, and patience offline."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from aiogram import Bot
from aiogram.exceptions import (
    TelegramNetworkError,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import User

log = logging.getLogger(__name__)

# Seconds between attempts while Telegram cannot be reached; the last one repeats.
PAUSES = (2.0, 5.0, 10.0, 30.0, 60.0)


class TokenRejected(Exception):
    """Telegram answered 401: the bot token is wrong or was revoked."""


async def reach_telegram(
    bot: Bot,
    *,
    pauses: Sequence[float] = PAUSES,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> User:
    """``getMe`` until it answers: a rejected token raises ``TokenRejected`` at once, an
    unreachable Bot API is tried again with growing pauses, one log line each."""
    attempt = 0
    while True:
        try:
            return await bot.get_me()
        except TelegramUnauthorizedError:
            raise TokenRejected from None
        except (TelegramNetworkError, TelegramServerError) as error:
            pause = pauses[min(attempt, len(pauses) - 1)]
            attempt += 1
            log.warning(
                "cannot reach the Telegram Bot API at %s (%s); trying again in %.0f s "
                "(check the network or TELEGRAM_API_URL)",
                bot.session.api.base.split("/bot")[0],
                error.message,
                pause,
            )
            await sleep(pause)
