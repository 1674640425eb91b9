"""What every /alerts screen shares: wizard state, loading and storing the rule being
edited, the group-admin check, and asking for typed input so that it reaches the bot.

In a group or a forum topic only the group's administrators (asked with getChatMember at
the time of the action, as for digests) may change its alert rules.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.alerts.model import AlertRule
from bot.alerts.service import AlertService
from bot.texts import t
from handlers.alerts.editing import rule_from_data, rule_to_data
from handlers.targets import admin_or_deny, ask_presser, chat_of, deny

DRAFT_KEY = "alert_draft"
TARGET_KEY = "alert_rid"  # which rule typed input is for (0: the draft)
OFFER_KEY = "alert_offer"
KIND_KEY = "alert_kind"


class AlertFlow(StatesGroup):
    """Typed input the wizard waits for (per chat and user, so only the opener's counts)."""

    scope = State()
    signal = State()


async def may_manage(target: Message | CallbackQuery, bot: Bot, lang: str) -> bool:
    """Only group administrators change a group's alert rules (asked now, not cached)."""
    return await admin_or_deny(target, bot, lang, "alerts.admin_only")


async def load_draft(state: FSMContext) -> AlertRule | None:
    data = await state.get_data()
    raw = data.get(DRAFT_KEY)
    if not isinstance(raw, dict):
        return None
    try:
        return rule_from_data(raw)
    except (KeyError, TypeError, ValueError):
        return None


async def save_draft(state: FSMContext, rule: AlertRule) -> None:
    await state.update_data({DRAFT_KEY: rule_to_data(rule)})


async def load(
    target: Message | CallbackQuery,
    rid: int,
    state: FSMContext,
    alerts: AlertService,
    lang: str,
) -> AlertRule | None:
    """The draft (``rid`` 0) or a stored rule of this chat; answers when gone."""
    chat = chat_of(target)
    if rid == 0:
        draft = await load_draft(state)
        if draft is None or chat is None or draft.chat_id != chat.id:
            await deny(target, t("alerts.draft_gone", lang))
            return None
        return draft
    rule = await alerts.get(rid)
    if rule is None or chat is None or rule.chat_id != chat.id:
        await deny(target, t("alerts.gone", lang))
        return None
    return rule


async def editable(
    query: CallbackQuery,
    rid: int,
    state: FSMContext,
    alerts: AlertService,
    lang: str,
    bot: Bot,
) -> AlertRule | None:
    """Like ``load``, for a change: it also needs a group admin (the draft too, since an
    admin may have lost the right since opening the wizard)."""
    rule = await load(query, rid, state, alerts, lang)
    if rule is None or not await may_manage(query, bot, lang):
        return None
    return rule


async def store(
    target: Message | CallbackQuery,
    rule: AlertRule,
    state: FSMContext,
    alerts: AlertService,
    lang: str,
) -> AlertRule | None:
    if rule.id == 0:
        await save_draft(state, rule)
        return rule
    saved = await alerts.save(rule)
    if saved is None:
        await deny(target, t("alerts.gone", lang))
    return saved


async def catalog_connection(
    rule: AlertRule, connection: Any | None, alerts: AlertService
) -> Any | None:
    """The draft uses the creator's connection; a stored rule its owner's."""
    return connection if rule.id == 0 else await alerts.owner_connection(rule)


# ------------------------------------------------------------------ typed input


async def wait_for_typing(
    query: CallbackQuery,
    state: FSMContext,
    flow: State,
    rule: AlertRule,
    bot: Bot,
    question: str,
    placeholder: str,
    lang: str,
) -> None:
    """Wait for the presser's typed answer about ``rule``; in a group the question also
    goes out as a reply request to the presser, since there only replies reach the bot."""
    await state.set_state(flow)
    await state.update_data({TARGET_KEY: rule.id})
    await ask_presser(query, bot, question, lang, placeholder)


async def typed_target(
    message: Message, state: FSMContext, alerts: AlertService, lang: str, bot: Bot
) -> AlertRule | None:
    """The rule typed input is for; it also needs a group admin."""
    data = await state.get_data()
    try:
        rid = int(data.get(TARGET_KEY) or 0)
    except (TypeError, ValueError):
        rid = -1
    rule = await load(message, rid, state, alerts, lang) if rid >= 0 else None
    if rule is None:
        await state.set_state(None)
        return None
    if not await may_manage(message, bot, lang):
        return None
    return rule
