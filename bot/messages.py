"""Small rendering helpers shared by handlers: error sentences, safe editing."""

from __future__ import annotations

import html
import logging

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InaccessibleMessage, InlineKeyboardMarkup, Message

from bot.aiokk.errors import (
    AddressRefused,
    AiokkError,
    BadResponse,
    Disabled,
    InvalidArgument,
    NotPaid,
    TokenNotFound,
    Unavailable,
)
from bot.texts import t

log = logging.getLogger(__name__)

_ERROR_KEYS: tuple[tuple[type[AiokkError], str], ...] = (
    (NotPaid, "aiokk.not_paid"),
    (Disabled, "aiokk.disabled"),
    (TokenNotFound, "aiokk.token_not_found"),
    (Unavailable, "aiokk.unavailable"),
    (InvalidArgument, "aiokk.invalid_argument"),
    (AddressRefused, "aiokk.not_public"),
    (BadResponse, "aiokk.bad_response"),
)


def error_sentence(error: AiokkError, lang: str) -> str:
    """One polite sentence saying what went wrong and what to do."""
    for kind, key in _ERROR_KEYS:
        if isinstance(error, kind):
            return t(key, lang)
    return t("aiokk.bad_response", lang)


def esc(value: object) -> str:
    """HTML-escape anything that came from the API or a user."""
    return html.escape(str(value), quote=False)


def is_not_modified(error: TelegramBadRequest) -> bool:
    return "message is not modified" in error.message


async def show(
    target: Message | CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """Edit the flow's message in place for a button press; send a new one for typed input."""
    if isinstance(target, CallbackQuery):
        message = target.message
        if isinstance(message, Message):
            try:
                edited = await message.edit_text(text, reply_markup=markup)
            except TelegramBadRequest as error:
                if is_not_modified(error):
                    return message
                if "message to edit not found" not in error.message:
                    raise
            else:
                return edited if isinstance(edited, Message) else message
        if message is None or isinstance(message, InaccessibleMessage):
            if target.bot is None or message is None:
                return None
            return await target.bot.send_message(message.chat.id, text, reply_markup=markup)
        return await message.answer(text, reply_markup=markup)
    return await target.answer(text, reply_markup=markup)
