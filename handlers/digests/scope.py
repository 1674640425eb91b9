"""Which calls a digest takes: all, or a department, operator or question pack chosen from
the connection's catalog or typed."""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.aiokk.errors import AiokkError
from bot.callbacks import parse_number
from bot.digest.model import ScopeKind, scope_query
from bot.digest.service import DigestService
from bot.isolation import outside_lock
from bot.messages import show
from bot.texts import t
from handlers.digests import keyboards as kb
from handlers.digests.callbacks import DigestSetCb, Field, Step
from handlers.digests.common import (
    KIND_KEY,
    OFFER_KEY,
    DigestFlow,
    catalog_connection,
    editable,
    store,
    typed_target,
    wait_for_typing,
)
from handlers.digests.editing import scope_for
from handlers.digests.screens import after_change
from handlers.targets import ask_again, deny
from storage import Connection

log = logging.getLogger(__name__)

router = Router(name="digests.scope")


@router.callback_query(DigestSetCb.filter(F.field == Field.SCOPE))
async def on_scope_kind(
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
    try:
        kind = ScopeKind(callback_data.value)
    except ValueError:
        await deny(query, t("error.stale", lang))
        return
    if kind is ScopeKind.ALL:
        stored = await store(query, sub.with_(scope=scope_query(None)), state, digests, lang)
        if stored is None:
            return
        await query.answer(t("digest.saved", lang) if stored.id else None)
        await after_change(query, stored, Step.SCOPE, digests, lang, advance=True)
        return
    conn = await catalog_connection(sub, connection, digests)
    if conn is None:
        await deny(query, t("digest.error.no_connection", lang))
        return
    await query.answer()
    try:
        async with outside_lock(state) as away:
            offered = await digests.offer(kind, conn)
    except AiokkError as error:
        offered = []
        log.info("catalog warm-up for the digest wizard failed: %s", type(error).__name__)
    if away.moved_on:  # the user went on meanwhile: their newer screen stays
        return
    await state.update_data({OFFER_KEY: [value for _, value in offered], KIND_KEY: kind.value})
    key = f"digest.ask.scope_{kind.value}" if offered else f"digest.ask.scope_{kind.value}_none"
    await show(
        query,
        t(key, lang),
        kb.scope_items_keyboard(sub.id, kind, [label for label, _ in offered], lang),
    )


@router.callback_query(DigestSetCb.filter(F.field == Field.SCOPE_ITEM))
async def on_scope_item(
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
    offered = data.get(OFFER_KEY) or []
    try:
        kind = ScopeKind(str(data.get(KIND_KEY)))
        value = offered[int(callback_data.value)]
    except (ValueError, IndexError, TypeError):
        await deny(query, t("error.stale", lang))
        return
    scope = scope_for(kind, value)
    if scope is None:
        await deny(query, t("error.stale", lang))
        return
    stored = await store(query, sub.with_(scope=scope), state, digests, lang)
    if stored is None:
        return
    await query.answer(t("digest.saved", lang) if stored.id else None)
    await after_change(query, stored, Step.SCOPE, digests, lang, advance=True)


@router.callback_query(DigestSetCb.filter(F.field == Field.SCOPE_TYPE))
async def on_scope_type(
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
    try:
        kind = ScopeKind(callback_data.value)
    except ValueError:
        kind = ScopeKind.ALL
    if kind is ScopeKind.ALL:  # nothing to type for all calls: a forged button
        await deny(query, t("error.stale", lang))
        return
    await query.answer()
    question = t(f"digest.type_{kind.value}", lang)
    await show(query, question, kb.scope_keyboard(sub.id, lang))
    await state.update_data({KIND_KEY: kind.value})
    placeholder = t(f"digest.placeholder.{kind.value}", lang)
    await wait_for_typing(query, state, DigestFlow.scope, sub, bot, question, placeholder, lang)


@router.message(DigestFlow.scope, F.text)
async def on_scope_text(
    message: Message, state: FSMContext, lang: str, bot: Bot, digests: DigestService
) -> None:
    sub = await typed_target(message, state, digests, lang, bot)
    if sub is None:
        return
    data = await state.get_data()
    try:
        kind = ScopeKind(str(data.get(KIND_KEY)))
    except ValueError:
        await state.set_state(None)
        return
    text = (message.text or "").strip()
    placeholder = t(f"digest.placeholder.{kind.value}", lang)
    if kind in (ScopeKind.DEPARTMENT, ScopeKind.PACK) and parse_number(text) is None:
        # Digits only, and an id SQLite can look up (its integers are 64-bit).
        await ask_again(message, bot, t("digest.id_invalid", lang), placeholder, lang)
        return
    scope = scope_for(kind, text, typed=True)
    if scope is None:
        await ask_again(message, bot, t("digest.id_invalid", lang), placeholder, lang)
        return
    stored = await store(message, sub.with_(scope=scope), state, digests, lang)
    if stored is None:
        return
    await state.set_state(None)
    await after_change(message, stored, Step.SCOPE, digests, lang, advance=True)
