"""The buttons under a digest message: open a listed call's card, mark a call handled.

Any member of the chat may use them, on the calls that digest listed only.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import CallbackQuery

from bot.aiokk.errors import AiokkError
from bot.digest.service import DigestService
from bot.isolation import outside_lock
from bot.messages import error_sentence
from bot.permissions import is_private
from bot.reports.render import render_card
from bot.texts import t
from handlers.digests.callbacks import CallAction, DigestCallCb
from handlers.targets import deny, thread_of
from storage.digests import DigestMessage

log = logging.getLogger(__name__)

router = Router(name="digests.under_digest")


async def _send_card(
    bot: Bot, query: CallbackQuery, parts: list[str], chat_id: int, lang: str
) -> None:
    """To the presser privately when possible; in a group otherwise, as a reply."""
    message = query.message
    private = message is not None and is_private(message.chat)
    if not private:
        try:
            for part in parts:
                await bot.send_message(query.from_user.id, part)
        except (TelegramForbiddenError, TelegramBadRequest):
            log.info(
                "cannot write to user %s privately; the card goes to the group", query.from_user.id
            )
        else:
            await query.answer(t("digest.card_sent_private", lang))
            return
    await query.answer()
    reply_to = message.message_id if message is not None else None
    thread = thread_of(message)
    for index, part in enumerate(parts):
        kwargs: dict[str, Any] = {"message_thread_id": thread}
        if index == 0 and reply_to is not None:
            kwargs["reply_to_message_id"] = reply_to
        with contextlib.suppress(TelegramBadRequest):
            await bot.send_message(chat_id, part, **kwargs)


async def _pressed_digest(
    query: CallbackQuery, callback_data: DigestCallCb, digests: DigestService, lang: str
) -> DigestMessage | None:
    """The digest message the press came from, when its button may act on that call."""
    pressed = query.message
    if pressed is None:
        await deny(query, t("error.stale", lang))
        return None
    message = await digests.listed_message(
        callback_data.m, pressed.chat.id, pressed.message_id, callback_data.d
    )
    if message is None:
        await deny(query, t("digest.listed_only", lang))
    return message


@router.callback_query(DigestCallCb.filter(F.action == CallAction.OPEN))
async def on_open_call(
    query: CallbackQuery,
    callback_data: DigestCallCb,
    lang: str,
    bot: Bot,
    digests: DigestService,
) -> None:
    message = await _pressed_digest(query, callback_data, digests, lang)
    if message is None:
        return
    try:
        async with outside_lock():
            found = await digests.find_call(message, callback_data.d)
    except AiokkError as error:
        await deny(query, error_sentence(error, lang)[:200])
        return
    if found is None:
        await deny(query, t("digest.call_gone", lang))
        return
    parts = render_card(found.record, tz=found.tz, lang=lang)
    await _send_card(bot, query, parts, found.chat_id, lang)


@router.callback_query(DigestCallCb.filter(F.action == CallAction.HANDLED))
async def on_handled(
    query: CallbackQuery,
    callback_data: DigestCallCb,
    lang: str,
    bot: Bot,
    digests: DigestService,
) -> None:
    message = await _pressed_digest(query, callback_data, digests, lang)
    if message is None:
        return
    # Any member of the chat may mark a call the digest listed; the mark names them.
    user = query.from_user
    mark, new = await digests.mark_handled(
        bot, message, callback_data.d, user.id, user.first_name or user.full_name
    )
    if new:
        await query.answer(t("digest.handled_toast", lang))
        return
    when = mark.handled_at.astimezone(ZoneInfo(str(message.body.get("tz", "UTC"))))
    await query.answer(
        t("digest.handled_already", lang, name=mark.user_name, time=f"{when:%H:%M}"),
        show_alert=True,
    )
