"""The editor's buttons: open a step, go on, apply a one-tap choice, create the digest.

``sid`` 0 edits the wizard's draft (kept in FSM data); any other ``sid`` a stored
subscription of this chat, saved at once.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, User

from bot.digest.service import DigestService
from bot.texts import t
from handlers.digests.callbacks import DigestSetCb, Field
from handlers.digests.common import (
    DRAFT_KEY,
    editable,
    load,
    load_draft,
    may_manage,
    parse_step,
    store,
)
from handlers.digests.editing import CHOICES, apply_choice, next_step
from handlers.digests.screens import after_change, show_card, show_step
from handlers.targets import chat_of, deny
from storage import Connection

router = Router(name="digests.steps")


@router.callback_query(DigestSetCb.filter(F.field == Field.OPEN))
async def on_open_step(
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
    step = parse_step(callback_data.value)
    if step is None:
        await deny(query, t("error.stale", lang))
        return
    await query.answer()
    await state.set_state(None)
    await show_step(query, step, sub, digests, lang)


@router.callback_query(DigestSetCb.filter(F.field == Field.NEXT))
async def on_next(
    query: CallbackQuery,
    callback_data: DigestSetCb,
    state: FSMContext,
    lang: str,
    digests: DigestService,
) -> None:
    sub = await load(query, callback_data.sid, state, digests, lang)
    if sub is None:
        return
    step = parse_step(callback_data.value)
    if step is None:
        await deny(query, t("error.stale", lang))
        return
    await query.answer()
    await state.set_state(None)
    if sub.id:
        await show_card(query, sub, digests, lang)
        return
    await show_step(query, next_step(step), sub, digests, lang)


@router.callback_query(DigestSetCb.filter(F.field.in_(CHOICES)))
async def on_choice(
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
    applied = apply_choice(sub, callback_data.field, callback_data.value)
    if applied is None:
        await deny(query, t("error.stale", lang))
        return
    changed, step, advance = applied
    if not changed.rule.active:
        await deny(query, t("digest.rule.keep_one", lang))
        return
    stored = await store(query, changed, state, digests, lang)
    if stored is None:
        return
    await query.answer(t("digest.saved", lang) if stored.id else None)
    await after_change(query, stored, step, digests, lang, advance=advance)


@router.callback_query(DigestSetCb.filter(F.field == Field.CREATE))
async def on_create(
    query: CallbackQuery,
    state: FSMContext,
    lang: str,
    bot: Bot,
    digests: DigestService,
    connection: Connection | None,
) -> None:
    draft = await load_draft(state)
    if draft is None:
        await deny(query, t("digest.draft_gone", lang))
        return
    chat = chat_of(query)
    if chat is None or chat.id != draft.chat_id:
        await deny(query, t("error.stale", lang))
        return
    if not await may_manage(query, bot, lang):
        return
    if connection is None:
        await deny(query, t("digest.error.no_connection", lang))
        return
    user: User = query.from_user
    draft = draft.with_(owner_user_id=user.id, owner_name=user.full_name, created_by=user.id)
    created = await digests.create(draft)
    await state.set_state(None)
    await state.update_data({DRAFT_KEY: None})
    await query.answer(t("digest.created_toast", lang))
    await show_card(query, created, digests, lang, header=t("digest.created", lang))
