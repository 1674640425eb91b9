"""Signal words of the bad-call rule: chosen from the catalog's words or typed."""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.aiokk.errors import AiokkError
from bot.digest.service import DigestService
from bot.isolation import outside_lock
from bot.messages import show
from bot.texts import t
from handlers.digests import keyboards as kb
from handlers.digests.callbacks import DigestSetCb, Field, Step
from handlers.digests.common import (
    OFFER_KEY,
    DigestFlow,
    catalog_connection,
    editable,
    store,
    typed_target,
    wait_for_typing,
)
from handlers.digests.editing import add_signals, toggle_signal
from handlers.digests.screens import show_signals, show_step
from handlers.targets import ask_again, deny
from storage import Connection

log = logging.getLogger(__name__)

router = Router(name="digests.signals")


@router.callback_query(DigestSetCb.filter(F.field == Field.SIGNALS))
async def on_signals(
    query: CallbackQuery,
    callback_data: DigestSetCb,
    state: FSMContext,
    lang: str,
    bot: Bot,
    digests: DigestService,
    connection: Connection | None,
) -> None:
    sub = await editable(query, callback_data.sid, state, digests, lang, bot)
    if sub is None:
        return
    await query.answer()
    conn = await catalog_connection(sub, connection, digests)
    offered: list[str] = []
    if conn is not None:
        try:
            async with outside_lock(state) as away:
                offered = await digests.offer_signals(conn)
        except AiokkError as error:
            log.info("catalog warm-up for the digest wizard failed: %s", type(error).__name__)
        if away.moved_on:  # the user went on meanwhile: their newer screen stays
            return
    shown = offered + [word for word in sub.rule.signals if word not in offered]
    await state.update_data({OFFER_KEY: shown})
    await show_signals(query, sub, offered, lang)


@router.callback_query(DigestSetCb.filter(F.field == Field.SIGNAL_ITEM))
async def on_signal_item(
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
    data = await state.get_data()
    offered = [str(word) for word in data.get(OFFER_KEY) or []]
    try:
        word = offered[int(callback_data.value)]
    except (ValueError, IndexError):
        await deny(query, t("error.stale", lang))
        return
    changed = toggle_signal(sub, word)
    if not changed.rule.active:
        await deny(query, t("digest.rule.keep_one", lang))
        return
    stored = await store(query, changed, state, digests, lang)
    if stored is None:
        return
    await query.answer()
    await show_signals(query, stored, offered, lang)


@router.callback_query(DigestSetCb.filter(F.field == Field.SIGNAL_TYPE))
async def on_signal_type(
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
    question = t("digest.type_signal", lang)
    await show(query, question, kb.rule_keyboard(sub, lang))
    placeholder = t("digest.placeholder.signal", lang)
    await wait_for_typing(query, state, DigestFlow.signal, sub, bot, question, placeholder, lang)


@router.message(DigestFlow.signal, F.text)
async def on_signal_text(
    message: Message, state: FSMContext, lang: str, bot: Bot, digests: DigestService
) -> None:
    sub = await typed_target(message, state, digests, lang, bot)
    if sub is None:
        return
    changed = add_signals(sub, message.text or "")
    if changed is None:
        placeholder = t("digest.placeholder.signal", lang)
        await ask_again(message, bot, t("digest.signal_invalid", lang), placeholder, lang)
        return
    stored = await store(message, changed, state, digests, lang)
    if stored is None:
        return
    await state.set_state(None)
    await show_step(message, Step.RULE, stored, digests, lang)
