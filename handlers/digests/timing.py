"""Typed time and time zone of a digest (the preset buttons are one-tap choices in ``steps``).

In a group the question also goes out as a reply request to whoever pressed, and their
reply is the answer (see ``bot.prompts``).
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.digest.service import DigestService
from bot.input.zones import resolve_zone
from bot.messages import show
from bot.texts import t
from handlers.digests import keyboards as kb
from handlers.digests.callbacks import DigestSetCb, Field, Step
from handlers.digests.common import (
    DigestFlow,
    editable,
    store,
    typed_target,
    wait_for_typing,
)
from handlers.digests.editing import parse_time, with_time, with_timezone
from handlers.digests.screens import after_change
from handlers.targets import ask_again

router = Router(name="digests.timing")


@router.callback_query(DigestSetCb.filter(F.field == Field.TIME_TYPE))
async def on_type_time(
    query: CallbackQuery,
    callback_data: DigestSetCb,
    state: FSMContext,
    lang: str,
    bot: Bot,
    digests: DigestService,
) -> None:
    sub = await editable(query, callback_data.sid, state, digests, lang, bot)
    if sub is None:
        return
    await query.answer()
    question = t("digest.type_time", lang)
    await show(query, question, kb.time_keyboard(sub.id, lang, digests.now()))
    placeholder = t("digest.placeholder.time", lang)
    await wait_for_typing(query, state, DigestFlow.time, sub, bot, question, placeholder, lang)


@router.callback_query(DigestSetCb.filter(F.field == Field.TZ_TYPE))
async def on_type_timezone(
    query: CallbackQuery,
    callback_data: DigestSetCb,
    state: FSMContext,
    lang: str,
    bot: Bot,
    digests: DigestService,
) -> None:
    sub = await editable(query, callback_data.sid, state, digests, lang, bot)
    if sub is None:
        return
    await query.answer()
    question = t("digest.type_tz", lang)
    await show(query, question, kb.time_keyboard(sub.id, lang, digests.now()))
    placeholder = t("prompt.placeholder.timezone", lang)
    await wait_for_typing(query, state, DigestFlow.timezone, sub, bot, question, placeholder, lang)


@router.message(DigestFlow.time, F.text)
async def on_time_text(
    message: Message, state: FSMContext, lang: str, bot: Bot, digests: DigestService
) -> None:
    sub = await typed_target(message, state, digests, lang, bot)
    if sub is None:
        return
    parsed = parse_time(message.text or "")
    if parsed is None:
        placeholder = t("digest.placeholder.time", lang)
        await ask_again(message, bot, t("digest.time_invalid", lang), placeholder, lang)
        return
    stored = await store(message, with_time(sub, *parsed), state, digests, lang)
    if stored is None:
        return
    await state.set_state(None)
    await after_change(message, stored, Step.TIME, digests, lang, advance=True)


@router.message(DigestFlow.timezone, F.text)
async def on_timezone_text(
    message: Message, state: FSMContext, lang: str, bot: Bot, digests: DigestService
) -> None:
    sub = await typed_target(message, state, digests, lang, bot)
    if sub is None:
        return
    name = resolve_zone(message.text or "", lang)
    if name is None:
        placeholder = t("prompt.placeholder.timezone", lang)
        await ask_again(message, bot, t("input.zone.unknown", lang), placeholder, lang)
        return
    stored = await store(message, with_timezone(sub, name), state, digests, lang)
    if stored is None:
        return
    await state.set_state(None)
    await after_change(message, stored, Step.TIME, digests, lang, advance=False)
