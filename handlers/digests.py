"""/digest: list, create (a short button wizard), edit, pause, delete and preview digests;
the Open and Handled ✓ buttons under digest messages.

In a group or a forum topic only the group's administrators (asked with
getChatMember at the time of the action) may change its digests, and the
token is never typed there: a digest is fed by the creating admin's own
private connection, which the digest message names.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    User,
)

from bot.aiokk.errors import AiokkError
from bot.callbacks import MenuAction, MenuCb, parse_number
from bot.digest import keyboards as kb
from bot.digest.callbacks import (
    CallAction,
    DigestAction,
    DigestCallCb,
    DigestCb,
    DigestSetCb,
    Field,
    ScopeKind,
    Step,
)
from bot.digest.describe import (
    attachment_text,
    button_label,
    card_text,
    days_text,
    list_line,
    period_text,
    schedule_text,
)
from bot.digest.editing import (
    CHOICES,
    add_signals,
    apply_choice,
    next_step,
    parse_time,
    scope_for,
    toggle_signal,
    with_time,
    with_timezone,
)
from bot.digest.model import (
    Schedule,
    Subscription,
    scope_query,
)
from bot.digest.render import period_label, rule_text
from bot.digest.runner import NoConnection, PartlyDelivered
from bot.digest.service import DigestService
from bot.isolation import outside_lock
from bot.messages import error_sentence, esc, show
from bot.permissions import is_chat_admin, is_private
from bot.reports.render import render_card
from bot.texts import t
from handlers.settings import valid_timezone
from storage import Connection
from storage.digests import DigestMessage, subscription_from_row, subscription_to_row

log = logging.getLogger(__name__)

router = Router(name="digests")

DRAFT_KEY = "digest_draft"
TARGET_KEY = "digest_sid"  # which subscription typed input is for (0: the draft)
OFFER_KEY = "digest_offer"
KIND_KEY = "digest_kind"


class DigestFlow(StatesGroup):
    time = State()
    timezone = State()
    scope = State()
    signal = State()


# ------------------------------------------------------------------ helpers


def _thread_of(message: Message | None) -> int | None:
    if message is None or not message.is_topic_message:
        return None
    return message.message_thread_id


def _chat_of(target: Message | CallbackQuery) -> Chat | None:
    if isinstance(target, Message):
        return target.chat
    return target.message.chat if target.message is not None else None


async def _deny(target: Message | CallbackQuery, text: str) -> None:
    if isinstance(target, CallbackQuery):
        await target.answer(text, show_alert=True)
    else:
        await target.answer(text)


async def _may_manage(target: Message | CallbackQuery, bot: Bot, lang: str) -> bool:
    """Only group administrators change a group's digests (asked now, not cached)."""
    chat = _chat_of(target)
    user = target.from_user
    if chat is None or user is None:
        await _deny(target, t("error.stale", lang))
        return False
    if await is_chat_admin(bot, chat, user.id):
        return True
    await _deny(target, t("digest.admin_only", lang))
    return False


async def _draft(state: FSMContext) -> Subscription | None:
    data = await state.get_data()
    raw = data.get(DRAFT_KEY)
    if not isinstance(raw, dict):
        return None
    try:
        return subscription_from_row(raw)
    except (KeyError, TypeError, ValueError):
        return None


async def _save_draft(state: FSMContext, sub: Subscription) -> None:
    await state.update_data({DRAFT_KEY: subscription_to_row(sub)})


async def _load(
    target: Message | CallbackQuery,
    sid: int,
    state: FSMContext,
    digests: DigestService,
    lang: str,
) -> Subscription | None:
    """The draft (``sid`` 0) or a stored subscription of this chat; answers when gone."""
    if sid == 0:
        draft = await _draft(state)
        if draft is None:
            await _deny(target, t("digest.draft_gone", lang))
        return draft
    sub = await digests.get(sid)
    chat = _chat_of(target)
    if sub is None or chat is None or sub.chat_id != chat.id:
        await _deny(target, t("digest.gone", lang))
        return None
    return sub


async def _editable(
    query: CallbackQuery,
    sid: int,
    state: FSMContext,
    digests: DigestService,
    lang: str,
    bot: Bot,
) -> Subscription | None:
    """Like ``_load``, for a change: a stored subscription also needs a group admin."""
    sub = await _load(query, sid, state, digests, lang)
    if sub is None or (sub.id and not await _may_manage(query, bot, lang)):
        return None
    return sub


async def _store(
    target: Message | CallbackQuery,
    sub: Subscription,
    state: FSMContext,
    digests: DigestService,
    lang: str,
) -> Subscription | None:
    if sub.id == 0:
        await _save_draft(state, sub)
        return sub
    saved = await digests.save(sub)
    if saved is None:
        await _deny(target, t("digest.gone", lang))
    return saved


# ------------------------------------------------------------------ screens


async def _show_list(
    target: Message | CallbackQuery, chat_id: int, digests: DigestService, lang: str
) -> None:
    subs = await digests.for_chat(chat_id)
    lines = [t("digest.list.title", lang)]
    labels: list[tuple[int, str]] = []
    if not subs:
        lines.append(t("digest.list.empty", lang))
    for number, sub in enumerate(subs, start=1):
        label = await digests.label(sub, lang)
        lines.append(list_line(number, sub, label, lang))
        labels.append((sub.id, button_label(number, sub, label, lang)))
    await show(target, "\n\n".join(lines), kb.list_keyboard(labels, lang))


async def _show_card(
    target: Message | CallbackQuery,
    sub: Subscription,
    digests: DigestService,
    lang: str,
    header: str | None = None,
) -> None:
    label = await digests.label(sub, lang)
    last = await digests.last_run(sub.id)
    text = card_text(sub, lang, label, last, header=header)
    await show(target, text, kb.card_keyboard(sub, lang))


async def _show_step(
    target: Message | CallbackQuery,
    step: Step,
    sub: Subscription,
    digests: DigestService,
    lang: str,
) -> None:
    sid = sub.id
    markup: InlineKeyboardMarkup
    match step:
        case Step.TIME:
            text = t("digest.ask.time", lang, current=schedule_text(sub, lang))
            markup = kb.time_keyboard(sid, lang)
        case Step.DAYS:
            text = t(
                "digest.ask.days",
                lang,
                days=days_text(sub.schedule, lang),
                period=period_text(sub, lang),
            )
            markup = kb.days_keyboard(sub, lang)
        case Step.SCOPE:
            label = await digests.label(sub, lang)
            text = t("digest.ask.scope", lang, current=label or t("digest.scope.all", lang))
            markup = kb.scope_keyboard(sid, lang)
        case Step.RULE:
            text = t("digest.ask.rule", lang, rule=rule_text(sub.rule, lang))
            markup = kb.rule_keyboard(sub, lang)
        case Step.FILE:
            empty = t("digest.empty.skip" if sub.skip_empty else "digest.empty.send", lang)
            text = t("digest.ask.file", lang, current=attachment_text(sub, lang), empty=empty)
            markup = kb.file_keyboard(sub, lang)
        case Step.CONFIRM:
            if sid:
                await _show_card(target, sub, digests, lang)
                return
            label = await digests.label(sub, lang)
            text = card_text(sub, lang, label, header=t("digest.ask.confirm", lang))
            markup = kb.confirm_keyboard(lang)
    await show(target, text, markup)


def _step(value: str) -> Step | None:
    try:
        return Step(value)
    except ValueError:
        return None


async def _after_change(
    target: Message | CallbackQuery,
    sub: Subscription,
    step: Step,
    digests: DigestService,
    lang: str,
    *,
    advance: bool,
) -> None:
    """The wizard moves on after a one-tap choice; editing stays on the screen."""
    if sub.id == 0 and advance:
        await _show_step(target, next_step(step), sub, digests, lang)
    else:
        await _show_step(target, step, sub, digests, lang)


# ------------------------------------------------------------------ list, card


@router.message(Command("digest"))
async def cmd_digest(
    message: Message, state: FSMContext, lang: str, digests: DigestService
) -> None:
    await state.set_state(None)
    await _show_list(message, message.chat.id, digests, lang)


@router.callback_query(MenuCb.filter(F.action == MenuAction.DIGESTS))
@router.callback_query(DigestCb.filter(F.action == DigestAction.LIST))
async def on_list(
    query: CallbackQuery, state: FSMContext, lang: str, digests: DigestService
) -> None:
    await query.answer()
    await state.set_state(None)
    if query.message is not None:
        await _show_list(query, query.message.chat.id, digests, lang)


@router.callback_query(DigestCb.filter(F.action == DigestAction.CANCEL))
async def on_cancel(
    query: CallbackQuery, state: FSMContext, lang: str, digests: DigestService
) -> None:
    await query.answer(t("error.cancelled", lang))
    await state.set_state(None)
    await state.update_data({DRAFT_KEY: None})
    if query.message is not None:
        await _show_list(query, query.message.chat.id, digests, lang)


@router.callback_query(DigestCb.filter(F.action == DigestAction.VIEW))
async def on_view(
    query: CallbackQuery,
    callback_data: DigestCb,
    state: FSMContext,
    lang: str,
    digests: DigestService,
) -> None:
    sub = await _load(query, callback_data.sid, state, digests, lang)
    if sub is None:
        return
    await query.answer()
    await state.set_state(None)
    await _show_card(query, sub, digests, lang)


def _connect_first(lang: str, private: bool, username: str | None) -> InlineKeyboardMarkup:
    if private or not username:
        button = InlineKeyboardButton(
            text=t("btn.connect", lang), callback_data=MenuCb(action=MenuAction.CONNECT).pack()
        )
    else:
        button = InlineKeyboardButton(
            text=t("btn.open_private", lang), url=f"https://t.me/{username}?start=connect"
        )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


@router.callback_query(DigestCb.filter(F.action == DigestAction.NEW))
async def on_new(
    query: CallbackQuery,
    state: FSMContext,
    lang: str,
    bot: Bot,
    digests: DigestService,
    connection: Connection | None,
    tz: ZoneInfo,
) -> None:
    message = query.message
    if message is None or not await _may_manage(query, bot, lang):
        return
    chat = message.chat
    if connection is None:
        await query.answer()
        me = await bot.me()
        key = "digest.need_connection" if is_private(chat) else "digest.need_connection_group"
        await show(query, t(key, lang), _connect_first(lang, is_private(chat), me.username))
        return
    await query.answer()
    user = query.from_user
    draft = Subscription(
        chat_id=chat.id,
        thread_id=_thread_of(message if isinstance(message, Message) else None),
        chat_title=chat.title or "",
        owner_user_id=user.id,
        owner_name=user.full_name,
        created_by=user.id,
        language=lang,
        schedule=Schedule(timezone=tz.key),
    )
    await state.set_state(None)
    await _save_draft(state, draft)
    await _show_step(query, Step.TIME, draft, digests, lang)


# ------------------------------------------------------------------ pause, delete, send now


@router.callback_query(DigestCb.filter(F.action.in_({DigestAction.PAUSE, DigestAction.RESUME})))
async def on_pause_resume(
    query: CallbackQuery,
    callback_data: DigestCb,
    state: FSMContext,
    lang: str,
    bot: Bot,
    digests: DigestService,
) -> None:
    sub = await _load(query, callback_data.sid, state, digests, lang)
    if sub is None or not await _may_manage(query, bot, lang):
        return
    if callback_data.action is DigestAction.PAUSE:
        changed = await digests.pause(sub)
        if changed is None:
            await _deny(query, t("digest.gone", lang))
            return
        await query.answer(t("digest.paused_now", lang))
        await _show_card(query, changed, digests, lang)
        return
    user = query.from_user
    resumed, owner_changed = await digests.resume(sub, user.id, user.full_name)
    if resumed is None:
        await _deny(query, t("digest.resume_needs_connection", lang))
        return
    await query.answer(t("digest.resumed_now", lang))
    header = t("digest.owner_changed", lang, name=esc(user.full_name)) if owner_changed else None
    await _show_card(query, resumed, digests, lang, header=header)


@router.callback_query(DigestCb.filter(F.action == DigestAction.DELETE))
async def on_delete(
    query: CallbackQuery,
    callback_data: DigestCb,
    state: FSMContext,
    lang: str,
    bot: Bot,
    digests: DigestService,
) -> None:
    sub = await _load(query, callback_data.sid, state, digests, lang)
    if sub is None or not await _may_manage(query, bot, lang):
        return
    await query.answer()
    label = await digests.label(sub, lang)
    text = t(
        "digest.delete_confirm",
        lang,
        what=f"{schedule_text(sub, lang)} · {label or t('digest.scope.all', lang)}",
    )
    await show(query, text, kb.confirm_delete_keyboard(sub.id, lang))


@router.callback_query(DigestCb.filter(F.action == DigestAction.DELETE_OK))
async def on_delete_confirmed(
    query: CallbackQuery,
    callback_data: DigestCb,
    state: FSMContext,
    lang: str,
    bot: Bot,
    digests: DigestService,
) -> None:
    sub = await _load(query, callback_data.sid, state, digests, lang)
    if sub is None or not await _may_manage(query, bot, lang):
        return
    await digests.delete(sub.id)
    await query.answer(t("digest.deleted", lang))
    await _show_list(query, sub.chat_id, digests, lang)


@router.callback_query(DigestCb.filter(F.action == DigestAction.SEND_NOW))
async def on_send_now(
    query: CallbackQuery,
    callback_data: DigestCb,
    state: FSMContext,
    lang: str,
    bot: Bot,
    digests: DigestService,
) -> None:
    sub = await _load(query, callback_data.sid, state, digests, lang)
    if sub is None or not await _may_manage(query, bot, lang):
        return
    # Answer before the slow part: a callback query expires within seconds.
    await query.answer(t("digest.sending", lang))
    try:
        async with outside_lock():  # the user's other updates need not wait for aiokk
            await digests.send_now(bot, sub)
    except NoConnection:
        await bot.send_message(
            sub.chat_id, t("digest.error.no_connection", lang), message_thread_id=sub.thread_id
        )
    except AiokkError as error:
        await bot.send_message(
            sub.chat_id,
            t("digest.preview_failed", lang, reason=error_sentence(error, lang)),
            reply_markup=kb.send_now_keyboard(sub.id, lang),  # the way to try again
            message_thread_id=sub.thread_id,
        )
    except PartlyDelivered:
        start, end = digests.preview_period(sub)
        await bot.send_message(
            sub.chat_id,
            t("digest.file_failed", lang, period=period_label(start, end, lang)),
            reply_markup=kb.send_now_keyboard(sub.id, lang),
            message_thread_id=sub.thread_id,
        )


# ------------------------------------------------------------------ editor actions


@router.callback_query(DigestSetCb.filter(F.field == Field.OPEN))
async def on_open_step(
    query: CallbackQuery,
    callback_data: DigestSetCb,
    state: FSMContext,
    lang: str,
    bot: Bot,
    digests: DigestService,
) -> None:
    sub = await _editable(query, callback_data.sid, state, digests, lang, bot)
    if sub is None:
        return
    step = _step(callback_data.value)
    if step is None:
        await _deny(query, t("error.stale", lang))
        return
    await query.answer()
    await state.set_state(None)
    await _show_step(query, step, sub, digests, lang)


@router.callback_query(DigestSetCb.filter(F.field == Field.NEXT))
async def on_next(
    query: CallbackQuery,
    callback_data: DigestSetCb,
    state: FSMContext,
    lang: str,
    digests: DigestService,
) -> None:
    sub = await _load(query, callback_data.sid, state, digests, lang)
    if sub is None:
        return
    step = _step(callback_data.value)
    if step is None:
        await _deny(query, t("error.stale", lang))
        return
    await query.answer()
    await state.set_state(None)
    if sub.id:
        await _show_card(query, sub, digests, lang)
        return
    await _show_step(query, next_step(step), sub, digests, lang)


@router.callback_query(DigestSetCb.filter(F.field.in_(CHOICES)))
async def on_choice(
    query: CallbackQuery,
    callback_data: DigestSetCb,
    state: FSMContext,
    lang: str,
    bot: Bot,
    digests: DigestService,
) -> None:
    sub = await _editable(query, callback_data.sid, state, digests, lang, bot)
    if sub is None:
        return
    applied = apply_choice(sub, callback_data.field, callback_data.value)
    if applied is None:
        await _deny(query, t("error.stale", lang))
        return
    changed, step, advance = applied
    if not changed.rule.active:
        await _deny(query, t("digest.rule.keep_one", lang))
        return
    stored = await _store(query, changed, state, digests, lang)
    if stored is None:
        return
    await query.answer(t("digest.saved", lang) if stored.id else None)
    await _after_change(query, stored, step, digests, lang, advance=advance)


# -- typed time and time zone


@router.callback_query(DigestSetCb.filter(F.field.in_({Field.TIME_TYPE, Field.TZ_TYPE})))
async def on_type_time(
    query: CallbackQuery,
    callback_data: DigestSetCb,
    state: FSMContext,
    lang: str,
    bot: Bot,
    digests: DigestService,
) -> None:
    sub = await _editable(query, callback_data.sid, state, digests, lang, bot)
    if sub is None:
        return
    await query.answer()
    typing_time = callback_data.field is Field.TIME_TYPE
    await state.set_state(DigestFlow.time if typing_time else DigestFlow.timezone)
    await state.update_data({TARGET_KEY: sub.id})
    key = "digest.type_time" if typing_time else "digest.type_tz"
    await show(query, t(key, lang), kb.time_keyboard(sub.id, lang))


async def _typed_target(
    message: Message, state: FSMContext, digests: DigestService, lang: str, bot: Bot
) -> Subscription | None:
    data = await state.get_data()
    sid = int(data.get(TARGET_KEY) or 0)
    sub = await _load(message, sid, state, digests, lang)
    if sub is None:
        await state.set_state(None)
        return None
    if sub.id and not await _may_manage(message, bot, lang):
        return None
    return sub


@router.message(DigestFlow.time, F.text)
async def on_time_text(
    message: Message, state: FSMContext, lang: str, bot: Bot, digests: DigestService
) -> None:
    sub = await _typed_target(message, state, digests, lang, bot)
    if sub is None:
        return
    parsed = parse_time(message.text or "")
    if parsed is None:
        await message.answer(t("digest.time_invalid", lang))
        return
    stored = await _store(message, with_time(sub, *parsed), state, digests, lang)
    if stored is None:
        return
    await state.set_state(None)
    await _after_change(message, stored, Step.TIME, digests, lang, advance=True)


@router.message(DigestFlow.timezone, F.text)
async def on_timezone_text(
    message: Message, state: FSMContext, lang: str, bot: Bot, digests: DigestService
) -> None:
    sub = await _typed_target(message, state, digests, lang, bot)
    if sub is None:
        return
    name = valid_timezone(message.text or "")
    if name is None:
        await message.answer(t("settings.timezone_invalid", lang))
        return
    stored = await _store(message, with_timezone(sub, name), state, digests, lang)
    if stored is None:
        return
    await state.set_state(None)
    await _after_change(message, stored, Step.TIME, digests, lang, advance=False)


# -- scope


async def _catalog_connection(
    sub: Subscription, connection: Connection | None, digests: DigestService
) -> Any | None:
    """The draft uses the creator's connection; a stored subscription its owner's."""
    return connection if sub.id == 0 else await digests.owner_connection(sub)


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
    sub = await _editable(query, callback_data.sid, state, digests, lang, bot)
    if sub is None:
        return
    try:
        kind = ScopeKind(callback_data.value)
    except ValueError:
        await _deny(query, t("error.stale", lang))
        return
    if kind is ScopeKind.ALL:
        stored = await _store(query, sub.with_(scope=scope_query(None)), state, digests, lang)
        if stored is None:
            return
        await query.answer(t("digest.saved", lang) if stored.id else None)
        await _after_change(query, stored, Step.SCOPE, digests, lang, advance=True)
        return
    conn = await _catalog_connection(sub, connection, digests)
    if conn is None:
        await _deny(query, t("digest.error.no_connection", lang))
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
    sub = await _editable(query, callback_data.sid, state, digests, lang, bot)
    if sub is None:
        return
    data = await state.get_data()
    offered = data.get(OFFER_KEY) or []
    try:
        kind = ScopeKind(str(data.get(KIND_KEY)))
        value = offered[int(callback_data.value)]
    except (ValueError, IndexError, TypeError):
        await _deny(query, t("error.stale", lang))
        return
    scope = scope_for(kind, value)
    if scope is None:
        await _deny(query, t("error.stale", lang))
        return
    stored = await _store(query, sub.with_(scope=scope), state, digests, lang)
    if stored is None:
        return
    await query.answer(t("digest.saved", lang) if stored.id else None)
    await _after_change(query, stored, Step.SCOPE, digests, lang, advance=True)


@router.callback_query(DigestSetCb.filter(F.field == Field.SCOPE_TYPE))
async def on_scope_type(
    query: CallbackQuery,
    callback_data: DigestSetCb,
    state: FSMContext,
    lang: str,
    bot: Bot,
    digests: DigestService,
) -> None:
    sub = await _editable(query, callback_data.sid, state, digests, lang, bot)
    if sub is None:
        return
    try:
        kind = ScopeKind(callback_data.value)
    except ValueError:
        await _deny(query, t("error.stale", lang))
        return
    await query.answer()
    await state.set_state(DigestFlow.scope)
    await state.update_data({TARGET_KEY: sub.id, KIND_KEY: kind.value})
    await show(query, t(f"digest.type_{kind.value}", lang), kb.scope_keyboard(sub.id, lang))


@router.message(DigestFlow.scope, F.text)
async def on_scope_text(
    message: Message, state: FSMContext, lang: str, bot: Bot, digests: DigestService
) -> None:
    sub = await _typed_target(message, state, digests, lang, bot)
    if sub is None:
        return
    data = await state.get_data()
    try:
        kind = ScopeKind(str(data.get(KIND_KEY)))
    except ValueError:
        await state.set_state(None)
        return
    text = (message.text or "").strip()
    if kind in (ScopeKind.DEPARTMENT, ScopeKind.PACK) and parse_number(text) is None:
        # Digits only, and an id SQLite can look up (its integers are 64-bit).
        await message.answer(t("digest.id_invalid", lang))
        return
    scope = scope_for(kind, text, typed=True)
    if scope is None:
        await message.answer(t("digest.id_invalid", lang))
        return
    stored = await _store(message, sub.with_(scope=scope), state, digests, lang)
    if stored is None:
        return
    await state.set_state(None)
    await _after_change(message, stored, Step.SCOPE, digests, lang, advance=True)


# -- signal words


async def _show_signals(
    target: Message | CallbackQuery, sub: Subscription, offered: list[str], lang: str
) -> None:
    chosen = list(sub.rule.signals)
    # Words chosen by typing stay visible even when the catalog does not know them.
    shown = offered + [word for word in chosen if word not in offered]
    text = t(
        "digest.ask.signals",
        lang,
        chosen=esc(", ".join(chosen)) if chosen else t("digest.signals.none", lang),
    )
    await show(target, text, kb.signals_keyboard(sub.id, shown, chosen, lang))


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
    sub = await _editable(query, callback_data.sid, state, digests, lang, bot)
    if sub is None:
        return
    await query.answer()
    conn = await _catalog_connection(sub, connection, digests)
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
    await _show_signals(query, sub, offered, lang)


@router.callback_query(DigestSetCb.filter(F.field == Field.SIGNAL_ITEM))
async def on_signal_item(
    query: CallbackQuery,
    callback_data: DigestSetCb,
    state: FSMContext,
    lang: str,
    bot: Bot,
    digests: DigestService,
) -> None:
    sub = await _editable(query, callback_data.sid, state, digests, lang, bot)
    if sub is None:
        return
    data = await state.get_data()
    offered = [str(word) for word in data.get(OFFER_KEY) or []]
    try:
        word = offered[int(callback_data.value)]
    except (ValueError, IndexError):
        await _deny(query, t("error.stale", lang))
        return
    changed = toggle_signal(sub, word)
    if not changed.rule.active:
        await _deny(query, t("digest.rule.keep_one", lang))
        return
    stored = await _store(query, changed, state, digests, lang)
    if stored is None:
        return
    await query.answer()
    await _show_signals(query, stored, offered, lang)


@router.callback_query(DigestSetCb.filter(F.field == Field.SIGNAL_TYPE))
async def on_signal_type(
    query: CallbackQuery,
    callback_data: DigestSetCb,
    state: FSMContext,
    lang: str,
    bot: Bot,
    digests: DigestService,
) -> None:
    sub = await _editable(query, callback_data.sid, state, digests, lang, bot)
    if sub is None:
        return
    await query.answer()
    await state.set_state(DigestFlow.signal)
    await state.update_data({TARGET_KEY: sub.id})
    await show(query, t("digest.type_signal", lang), kb.rule_keyboard(sub, lang))


@router.message(DigestFlow.signal, F.text)
async def on_signal_text(
    message: Message, state: FSMContext, lang: str, bot: Bot, digests: DigestService
) -> None:
    sub = await _typed_target(message, state, digests, lang, bot)
    if sub is None:
        return
    changed = add_signals(sub, message.text or "")
    if changed is None:
        await message.answer(t("digest.signal_invalid", lang))
        return
    stored = await _store(message, changed, state, digests, lang)
    if stored is None:
        return
    await state.set_state(None)
    await _show_step(message, Step.RULE, stored, digests, lang)


# -- create


@router.callback_query(DigestSetCb.filter(F.field == Field.CREATE))
async def on_create(
    query: CallbackQuery,
    state: FSMContext,
    lang: str,
    bot: Bot,
    digests: DigestService,
    connection: Connection | None,
) -> None:
    draft = await _draft(state)
    if draft is None:
        await _deny(query, t("digest.draft_gone", lang))
        return
    chat = _chat_of(query)
    if chat is None or chat.id != draft.chat_id:
        await _deny(query, t("error.stale", lang))
        return
    if not await _may_manage(query, bot, lang):
        return
    if connection is None:
        await _deny(query, t("digest.error.no_connection", lang))
        return
    user: User = query.from_user
    draft = draft.with_(owner_user_id=user.id, owner_name=user.full_name, created_by=user.id)
    created = await digests.create(draft)
    await state.set_state(None)
    await state.update_data({DRAFT_KEY: None})
    await query.answer(t("digest.created_toast", lang))
    await _show_card(query, created, digests, lang, header=t("digest.created", lang))


# ------------------------------------------------------------------ buttons under digests


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
    thread = _thread_of(message if isinstance(message, Message) else None)
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
        await _deny(query, t("error.stale", lang))
        return None
    message = await digests.listed_message(
        callback_data.m, pressed.chat.id, pressed.message_id, callback_data.d
    )
    if message is None:
        await _deny(query, t("digest.listed_only", lang))
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
        await _deny(query, error_sentence(error, lang)[:200])
        return
    if found is None:
        await _deny(query, t("digest.call_gone", lang))
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
