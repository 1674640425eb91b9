"""The rule editor: open a step, go on, one-tap choices (rating, score, quiet hours), the
scope and the signal words (from the connection's catalog or typed), and Create.

``rid`` 0 edits the wizard's draft (kept in FSM data); any other ``rid`` a stored rule of
this chat, saved at once. Typed steps in a group also ask with a reply request, and only
the opener's reply counts (FSM state is per chat and user).
"""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.aiokk.errors import AiokkError
from bot.alerts.model import ScopeKind
from bot.alerts.service import AlertService, scope_for
from bot.callbacks import parse_number
from bot.isolation import outside_lock
from bot.messages import show
from bot.texts import t
from handlers.alerts import keyboards as kb
from handlers.alerts.callbacks import AlertSetCb, Field, Step
from handlers.alerts.common import (
    DRAFT_KEY,
    KIND_KEY,
    OFFER_KEY,
    AlertFlow,
    catalog_connection,
    editable,
    load,
    may_manage,
    store,
    typed_target,
    wait_for_typing,
)
from handlers.alerts.editing import (
    CHOICES,
    NoCondition,
    add_signals,
    apply_choice,
    next_step,
    parse_step,
    toggle_signal,
    typed_operator,
)
from handlers.alerts.screens import after_change, show_card, show_signals, show_step
from handlers.targets import ask_again, deny
from storage import Connection

log = logging.getLogger(__name__)

router = Router(name="alerts.wizard")

# Typed answers never start with "/": a command typed while a step waits still runs.
TYPED = F.text & ~F.text.startswith("/")


@router.callback_query(AlertSetCb.filter(F.field == Field.OPEN))
async def on_open_step(
    query: CallbackQuery,
    callback_data: AlertSetCb,
    state: FSMContext,
    lang: str,
    bot: Bot,
    alerts: AlertService,
) -> None:
    step = parse_step(callback_data.value)
    if step is None or step is Step.CONFIRM:
        await deny(query, t("error.stale", lang))
        return
    rule = await editable(query, callback_data.rid, state, alerts, lang, bot)
    if rule is None:
        return
    await query.answer()
    await state.set_state(None)
    await show_step(query, step, rule, alerts, lang)


@router.callback_query(AlertSetCb.filter(F.field == Field.NEXT))
async def on_next(
    query: CallbackQuery,
    callback_data: AlertSetCb,
    state: FSMContext,
    lang: str,
    alerts: AlertService,
) -> None:
    step = parse_step(callback_data.value)
    if step is None:
        await deny(query, t("error.stale", lang))
        return
    rule = await load(query, callback_data.rid, state, alerts, lang)
    if rule is None:
        return
    await query.answer()
    await state.set_state(None)
    if rule.id:
        await show_card(query, rule, alerts, lang)
        return
    await show_step(query, next_step(step), rule, alerts, lang)


@router.callback_query(AlertSetCb.filter(F.field.in_(CHOICES)))
async def on_choice(
    query: CallbackQuery,
    callback_data: AlertSetCb,
    state: FSMContext,
    lang: str,
    bot: Bot,
    alerts: AlertService,
) -> None:
    rule = await editable(query, callback_data.rid, state, alerts, lang, bot)
    if rule is None:
        return
    try:
        applied = apply_choice(rule, callback_data.field, callback_data.value)
    except NoCondition:
        await deny(query, t("alerts.keep_one", lang))
        return
    if applied is None:
        await deny(query, t("error.stale", lang))
        return
    changed, step = applied
    stored = await store(query, changed, state, alerts, lang)
    if stored is None:
        return
    await query.answer(t("alerts.saved", lang) if stored.id else None)
    # Quiet hours settle their step in one tap; conditions may take several.
    await after_change(query, stored, step, alerts, lang, advance=step is Step.QUIET)


@router.callback_query(AlertSetCb.filter(F.field == Field.CREATE))
async def on_create(
    query: CallbackQuery,
    callback_data: AlertSetCb,
    state: FSMContext,
    lang: str,
    bot: Bot,
    alerts: AlertService,
    connection: Connection | None,
) -> None:
    if callback_data.rid != 0:
        await deny(query, t("error.stale", lang))
        return
    draft = await load(query, 0, state, alerts, lang)
    if draft is None or not await may_manage(query, bot, lang):
        return
    if connection is None:
        await deny(query, t("alerts.need_connection", lang))
        return
    user = query.from_user
    # The presser's connection feeds the rule (they may differ from whoever opened it).
    draft = draft.with_(owner_user_id=user.id, owner_name=user.full_name, created_by=user.id)
    created = await alerts.create(draft)
    await state.set_state(None)
    await state.update_data({DRAFT_KEY: None})
    await query.answer(t("alerts.created_toast", lang))
    await show_card(query, created, alerts, lang, header=t("alerts.created", lang))


# ------------------------------------------------------------------ scope


@router.callback_query(AlertSetCb.filter(F.field == Field.SCOPE))
async def on_scope_kind(
    query: CallbackQuery,
    callback_data: AlertSetCb,
    state: FSMContext,
    lang: str,
    bot: Bot,
    alerts: AlertService,
    connection: Connection | None,
) -> None:
    try:
        kind = ScopeKind(callback_data.value)
    except ValueError:
        await deny(query, t("error.stale", lang))
        return
    rule = await editable(query, callback_data.rid, state, alerts, lang, bot)
    if rule is None:
        return
    if kind is ScopeKind.ALL:
        scope = scope_for(kind, None)
        assert scope is not None
        stored = await store(query, rule.with_(scope=scope), state, alerts, lang)
        if stored is None:
            return
        await query.answer(t("alerts.saved", lang) if stored.id else None)
        await after_change(query, stored, Step.SCOPE, alerts, lang, advance=True)
        return
    conn = await catalog_connection(rule, connection, alerts)
    await query.answer()
    offered: list[tuple[str, object]] = []
    if conn is not None:
        try:
            async with outside_lock(state) as away:
                offered = await alerts.offer(kind, conn)
        except AiokkError as error:
            log.info("catalog warm-up for the alert wizard failed: %s", type(error).__name__)
        if away.moved_on:  # the user went on meanwhile: their newer screen stays
            return
    await state.update_data({OFFER_KEY: [value for _, value in offered], KIND_KEY: kind.value})
    key = f"alerts.ask.scope_{kind.value}" if offered else f"alerts.ask.scope_{kind.value}_none"
    await show(
        query,
        t(key, lang),
        kb.scope_items_keyboard(rule.id, kind, [label for label, _ in offered], lang),
    )


@router.callback_query(AlertSetCb.filter(F.field == Field.SCOPE_ITEM))
async def on_scope_item(
    query: CallbackQuery,
    callback_data: AlertSetCb,
    state: FSMContext,
    lang: str,
    bot: Bot,
    alerts: AlertService,
) -> None:
    rule = await editable(query, callback_data.rid, state, alerts, lang, bot)
    if rule is None:
        return
    data = await state.get_data()
    offered = data.get(OFFER_KEY) or []
    index = parse_number(callback_data.value, 999)
    try:
        kind = ScopeKind(str(data.get(KIND_KEY)))
        value = offered[index] if index is not None else None
    except (ValueError, IndexError, TypeError):
        value = None
    # A typed-name operator is a string: from a button it is always a pick.
    scope = None if value is None or isinstance(value, str) else scope_for(kind, value)
    if scope is None:
        await deny(query, t("error.stale", lang))
        return
    stored = await store(query, rule.with_(scope=scope), state, alerts, lang)
    if stored is None:
        return
    await query.answer(t("alerts.saved", lang) if stored.id else None)
    await after_change(query, stored, Step.SCOPE, alerts, lang, advance=True)


@router.callback_query(AlertSetCb.filter(F.field == Field.SCOPE_TYPE))
async def on_scope_type(
    query: CallbackQuery,
    callback_data: AlertSetCb,
    state: FSMContext,
    lang: str,
    bot: Bot,
    alerts: AlertService,
) -> None:
    try:
        kind = ScopeKind(callback_data.value)
    except ValueError:
        kind = ScopeKind.ALL
    if kind is ScopeKind.ALL:  # nothing to type for all calls: a forged button
        await deny(query, t("error.stale", lang))
        return
    rule = await editable(query, callback_data.rid, state, alerts, lang, bot)
    if rule is None:
        return
    await query.answer()
    question = t(f"alerts.type_{kind.value}", lang)
    await show(query, question, kb.scope_keyboard(rule.id, lang))
    await state.update_data({KIND_KEY: kind.value})
    placeholder = t(f"alerts.placeholder.{kind.value}", lang)
    await wait_for_typing(query, state, AlertFlow.scope, rule, bot, question, placeholder, lang)


@router.message(AlertFlow.scope, TYPED)
async def on_scope_text(
    message: Message, state: FSMContext, lang: str, bot: Bot, alerts: AlertService
) -> None:
    rule = await typed_target(message, state, alerts, lang, bot)
    if rule is None:
        return
    data = await state.get_data()
    try:
        kind = ScopeKind(str(data.get(KIND_KEY)))
    except ValueError:
        await state.set_state(None)
        return
    text = (message.text or "").strip()
    placeholder = t(f"alerts.placeholder.{kind.value}", lang)
    if kind is ScopeKind.OPERATOR:
        name = typed_operator(text)
        scope = scope_for(kind, name) if name is not None else None
        problem = "alerts.name_invalid"
    else:
        # Digits only, and an id SQLite can look up (its integers are 64-bit).
        number = parse_number(text)
        scope = scope_for(kind, number) if number is not None else None
        problem = "alerts.id_invalid"
    if scope is None:
        await ask_again(message, bot, t(problem, lang), placeholder, lang)
        return
    stored = await store(message, rule.with_(scope=scope), state, alerts, lang)
    if stored is None:
        return
    await state.set_state(None)
    await after_change(message, stored, Step.SCOPE, alerts, lang, advance=True)


# ------------------------------------------------------------------ signal words


@router.callback_query(AlertSetCb.filter(F.field == Field.SIGNALS))
async def on_signals(
    query: CallbackQuery,
    callback_data: AlertSetCb,
    state: FSMContext,
    lang: str,
    bot: Bot,
    alerts: AlertService,
    connection: Connection | None,
) -> None:
    rule = await editable(query, callback_data.rid, state, alerts, lang, bot)
    if rule is None:
        return
    await query.answer()
    await state.set_state(None)
    conn = await catalog_connection(rule, connection, alerts)
    offered: list[str] = []
    if conn is not None:
        try:
            async with outside_lock(state) as away:
                offered = await alerts.offer_signals(conn)
        except AiokkError as error:
            log.info("catalog warm-up for the alert wizard failed: %s", type(error).__name__)
        if away.moved_on:
            return
    shown = offered + [word for word in rule.conditions.signals if word not in offered]
    await state.update_data({OFFER_KEY: shown})
    await show_signals(query, rule, shown, lang)


@router.callback_query(AlertSetCb.filter(F.field == Field.SIGNAL_ITEM))
async def on_signal_item(
    query: CallbackQuery,
    callback_data: AlertSetCb,
    state: FSMContext,
    lang: str,
    bot: Bot,
    alerts: AlertService,
) -> None:
    rule = await editable(query, callback_data.rid, state, alerts, lang, bot)
    if rule is None:
        return
    data = await state.get_data()
    offered = [word for word in data.get(OFFER_KEY) or [] if isinstance(word, str)]
    index = parse_number(callback_data.value, 999)
    if index is None or index >= len(offered):
        await deny(query, t("error.stale", lang))
        return
    try:
        changed = toggle_signal(rule, offered[index])
    except NoCondition:
        await deny(query, t("alerts.keep_one", lang))
        return
    except ValueError:
        await deny(query, t("alerts.signals_full", lang))
        return
    stored = await store(query, changed, state, alerts, lang)
    if stored is None:
        return
    await query.answer(t("alerts.saved", lang) if stored.id else None)
    await show_signals(query, stored, offered, lang)


@router.callback_query(AlertSetCb.filter(F.field == Field.SIGNAL_TYPE))
async def on_signal_type(
    query: CallbackQuery,
    callback_data: AlertSetCb,
    state: FSMContext,
    lang: str,
    bot: Bot,
    alerts: AlertService,
) -> None:
    rule = await editable(query, callback_data.rid, state, alerts, lang, bot)
    if rule is None:
        return
    await query.answer()
    question = t("alerts.type_signal", lang)
    await show(query, question, kb.conditions_keyboard(rule, lang))
    placeholder = t("alerts.placeholder.signal", lang)
    await wait_for_typing(query, state, AlertFlow.signal, rule, bot, question, placeholder, lang)


@router.message(AlertFlow.signal, TYPED)
async def on_signal_text(
    message: Message, state: FSMContext, lang: str, bot: Bot, alerts: AlertService
) -> None:
    rule = await typed_target(message, state, alerts, lang, bot)
    if rule is None:
        return
    placeholder = t("alerts.placeholder.signal", lang)
    try:
        changed = add_signals(rule, message.text or "")
    except ValueError:
        await ask_again(message, bot, t("alerts.signals_full", lang), placeholder, lang)
        return
    if changed is None:
        await ask_again(message, bot, t("alerts.signal_invalid", lang), placeholder, lang)
        return
    stored = await store(message, changed, state, alerts, lang)
    if stored is None:
        return
    await state.set_state(None)
    await show_step(message, Step.CONDITIONS, stored, alerts, lang)
