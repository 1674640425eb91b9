"""The buttons under an alert message: Open (the call card) and Handled ✓.

They act only from the message that carried that call's alert (a forged or foreign button
gets "out of date"). Any member of the chat may use them; in a group the card goes
privately to whoever pressed, as under digests. Handled ✓ is the digests' mark, and the
alert message is edited to say who handled the call and when.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.aiokk.errors import AiokkError
from bot.alerts.model import AlertRule
from bot.alerts.service import AlertService
from bot.isolation import outside_lock
from bot.messages import error_sentence, esc, is_not_modified
from bot.permissions import is_private
from bot.reports import fmt
from bot.reports.markup import fit
from bot.reports.render import render_card
from bot.texts import t
from handlers.alerts_ui import AlertAction, AlertCb
from handlers.targets import deny, thread_of

log = logging.getLogger(__name__)

router = Router(name="alerts.under_alert")

NAME_LIMIT = 40


async def _pressed_alert(
    query: CallbackQuery, callback_data: AlertCb, alerts: AlertService, lang: str
) -> tuple[AlertRule, Message] | None:
    """The rule and the alert message the press came from, when its button may act."""
    pressed = query.message
    rule = await alerts.get(callback_data.rule)
    if (
        not isinstance(pressed, Message)
        or rule is None
        or rule.chat_id != pressed.chat.id
        or not await alerts.alerted(rule, callback_data.dialog, pressed.message_id)
    ):
        await deny(query, t("error.stale", lang))
        return None
    return rule, pressed


async def _send_card(bot: Bot, query: CallbackQuery, parts: list[str], lang: str) -> None:
    """To the presser privately in a group when possible; in the chat otherwise, as a reply."""
    message = query.message
    assert message is not None
    if not is_private(message.chat):
        try:
            for part in parts:
                await bot.send_message(query.from_user.id, part)
        except (TelegramForbiddenError, TelegramBadRequest):
            log.info(
                "cannot write to user %s privately; the card goes to the group", query.from_user.id
            )
        else:
            await query.answer(t("alerts.card_sent_private", lang))
            return
    await query.answer()
    for index, part in enumerate(parts):
        kwargs: dict[str, Any] = {"message_thread_id": thread_of(message)}
        if index == 0:
            kwargs["reply_to_message_id"] = message.message_id
        with contextlib.suppress(TelegramBadRequest):
            await bot.send_message(message.chat.id, part, **kwargs)


@router.callback_query(AlertCb.filter(F.action == AlertAction.OPEN))
async def on_open(
    query: CallbackQuery, callback_data: AlertCb, lang: str, bot: Bot, alerts: AlertService
) -> None:
    pressed = await _pressed_alert(query, callback_data, alerts, lang)
    if pressed is None:
        return
    rule, _ = pressed
    try:
        async with outside_lock():  # the user's other updates need not wait for aiokk
            found = await alerts.find_call(rule, callback_data.dialog)
    except AiokkError as error:
        await deny(query, error_sentence(error, lang)[:200])
        return
    if found is None:
        await deny(query, t("alerts.call_gone", lang))
        return
    parts = render_card(found.record, tz=found.tz, lang=lang)
    await _send_card(bot, query, parts, lang)


def _without_handled(markup: InlineKeyboardMarkup | None, data: str) -> InlineKeyboardMarkup:
    """The alert's buttons less the Handled ✓ just pressed (Open stays)."""
    rows: list[list[InlineKeyboardButton]] = []
    for row in markup.inline_keyboard if markup is not None else []:
        kept = [button for button in row if button.callback_data != data]
        if kept:
            rows.append(kept)
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _number_of(markup: InlineKeyboardMarkup | None, data: str) -> int | None:
    """The call's number in a message listing several (its row), None for a single call."""
    rows = markup.inline_keyboard if markup is not None else []
    if len(rows) < 2:
        return None
    for number, row in enumerate(rows, start=1):
        if any(button.callback_data == data for button in row):
            return number
    return None


@router.callback_query(AlertCb.filter(F.action == AlertAction.HANDLED))
async def on_handled(
    query: CallbackQuery, callback_data: AlertCb, lang: str, bot: Bot, alerts: AlertService
) -> None:
    pressed = await _pressed_alert(query, callback_data, alerts, lang)
    if pressed is None:
        return
    rule, message = pressed
    user = query.from_user
    mark, new = await alerts.mark_handled(
        rule.chat_id, callback_data.dialog, user.id, user.first_name or user.full_name
    )
    when = f"{mark.handled_at.astimezone(rule.tz):%H:%M}"
    name = fmt.truncate(" ".join(mark.user_name.split()) or "?", NAME_LIMIT)
    if not new:
        await query.answer(t("alerts.handled_already", lang, name=name, time=when), show_alert=True)
        return
    await query.answer(t("alerts.handled_toast", lang))
    data = query.data or ""
    number = _number_of(message.reply_markup, data)
    if number is None:
        line = t("alerts.handled_line", lang, name=esc(name), time=when)
    else:
        line = t("alerts.handled_line_n", lang, number=number, name=esc(name), time=when)
    text = fit(f"{message.html_text}\n{line}")
    try:
        await bot.edit_message_text(
            text,
            chat_id=message.chat.id,
            message_id=message.message_id,
            reply_markup=_without_handled(message.reply_markup, data),
        )
    except TelegramBadRequest as error:
        # The mark is recorded either way; the message is only its display.
        if not is_not_modified(error):
            log.warning("could not show the handled mark on an alert: %s", error.message)
