"""The global error handler: log the traceback with a short id, tell the user, keep serving."""

from __future__ import annotations

import logging
import secrets

from aiogram import Bot, Router
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent

from bot.aiokk.errors import AiokkError
from bot.messages import error_sentence
from bot.middlewares import Press
from bot.texts import DEFAULT_LANGUAGE, pick_language, t

log = logging.getLogger(__name__)

router = Router(name="errors")

ALERT_LIMIT = 200  # characters Telegram shows in an alert


def _where(event: ErrorEvent) -> tuple[int | None, str]:
    update = event.update
    if update.message is not None:
        user = update.message.from_user
        return update.message.chat.id, pick_language(user.language_code if user else None)
    if update.callback_query is not None:
        query = update.callback_query
        chat_id = query.message.chat.id if query.message else query.from_user.id
        return chat_id, pick_language(query.from_user.language_code)
    return None, DEFAULT_LANGUAGE


async def _tell(bot: Bot, event: ErrorEvent, text: str, press: Press | None) -> None:
    """As an alert for a press (a message if the press was answered already), else a message."""
    chat_id, _ = _where(event)
    try:
        if press is not None:
            await press.answer(bot, text[:ALERT_LIMIT], alert=True)
        elif chat_id is not None:
            await bot.send_message(chat_id, text)
    except Exception:  # the user may have blocked the bot; the error is already logged
        log.warning("could not report an error to chat %s", chat_id, exc_info=True)


@router.errors(ExceptionTypeFilter(AiokkError))
async def on_aiokk_error(
    event: ErrorEvent, bot: Bot, lang: str | None = None, press: Press | None = None
) -> None:
    error = event.exception
    assert isinstance(error, AiokkError)
    log.warning("aiokk error in update %s: %s", event.update.update_id, type(error).__name__)
    language = lang or _where(event)[1]
    await _tell(bot, event, error_sentence(error, language), press)


@router.errors()
async def on_error(
    event: ErrorEvent, bot: Bot, lang: str | None = None, press: Press | None = None
) -> None:
    error_id = secrets.token_hex(4)
    log.error(
        "unhandled error %s in update %s",
        error_id,
        event.update.update_id,
        exc_info=(type(event.exception), event.exception, event.exception.__traceback__),
    )
    language = lang or _where(event)[1]
    await _tell(bot, event, t("error.unexpected", language, error_id=error_id), press)
