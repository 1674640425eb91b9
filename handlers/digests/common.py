"""What every digest screen shares: wizard state, loading and storing the subscription being
edited, the group-admin check, and asking for typed input so that it reaches the bot.

In a group or a forum topic only the group's administrators (asked with getChatMember at
the time of the action) may change its digests.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.digest.model import Subscription
from bot.digest.service import DigestService
from bot.texts import t
from handlers.digests.callbacks import Step
from handlers.targets import admin_or_deny, ask_presser, chat_of, deny
from storage import Connection
from storage.digests import subscription_from_row, subscription_to_row

DRAFT_KEY = "digest_draft"
TARGET_KEY = "digest_sid"  # which subscription typed input is for (0: the draft)
OFFER_KEY = "digest_offer"
KIND_KEY = "digest_kind"


class DigestFlow(StatesGroup):
    """Typed input the wizard waits for (per chat and user, so only the opener's counts)."""

    time = State()
    timezone = State()
    scope = State()
    signal = State()


def parse_step(value: str) -> Step | None:
    try:
        return Step(value)
    except ValueError:
        return None


async def may_manage(target: Message | CallbackQuery, bot: Bot, lang: str) -> bool:
    """Only group administrators change a group's digests (asked now, not cached)."""
    return await admin_or_deny(target, bot, lang, "digest.admin_only")


async def load_draft(state: FSMContext) -> Subscription | None:
    data = await state.get_data()
    raw = data.get(DRAFT_KEY)
    if not isinstance(raw, dict):
        return None
    try:
        return subscription_from_row(raw)
    except (KeyError, TypeError, ValueError):
        return None


async def save_draft(state: FSMContext, sub: Subscription) -> None:
    await state.update_data({DRAFT_KEY: subscription_to_row(sub)})


async def load(
    target: Message | CallbackQuery,
    sid: int,
    state: FSMContext,
    digests: DigestService,
    lang: str,
) -> Subscription | None:
    """The draft (``sid`` 0) or a stored subscription of this chat; answers when gone."""
    if sid == 0:
        draft = await load_draft(state)
        if draft is None:
            await deny(target, t("digest.draft_gone", lang))
        return draft
    sub = await digests.get(sid)
    chat = chat_of(target)
    if sub is None or chat is None or sub.chat_id != chat.id:
        await deny(target, t("digest.gone", lang))
        return None
    return sub


async def editable(
    query: CallbackQuery,
    sid: int,
    state: FSMContext,
    digests: DigestService,
    lang: str,
    bot: Bot,
) -> Subscription | None:
    """Like ``load``, for a change: a stored subscription also needs a group admin."""
    sub = await load(query, sid, state, digests, lang)
    if sub is None or (sub.id and not await may_manage(query, bot, lang)):
        return None
    return sub


async def store(
    target: Message | CallbackQuery,
    sub: Subscription,
    state: FSMContext,
    digests: DigestService,
    lang: str,
) -> Subscription | None:
    if sub.id == 0:
        await save_draft(state, sub)
        return sub
    saved = await digests.save(sub)
    if saved is None:
        await deny(target, t("digest.gone", lang))
    return saved


async def catalog_connection(
    sub: Subscription, connection: Connection | None, digests: DigestService
) -> Any | None:
    """The draft uses the creator's connection; a stored subscription its owner's."""
    return connection if sub.id == 0 else await digests.owner_connection(sub)


# ------------------------------------------------------------------ typed input


async def wait_for_typing(
    query: CallbackQuery,
    state: FSMContext,
    flow: State,
    sub: Subscription,
    bot: Bot,
    question: str,
    placeholder: str,
    lang: str,
) -> None:
    """Wait for the presser's typed answer about ``sub``.

    The wizard's message (already showing ``question``) stays as it is; in a group the
    question is also sent as a reply request to the presser, since there only replies to
    the bot reach it.
    """
    await state.set_state(flow)
    await state.update_data({TARGET_KEY: sub.id})
    await ask_presser(query, bot, question, lang, placeholder)


async def typed_target(
    message: Message, state: FSMContext, digests: DigestService, lang: str, bot: Bot
) -> Subscription | None:
    """The subscription typed input is for; a stored one also needs a group admin."""
    data = await state.get_data()
    sid = int(data.get(TARGET_KEY) or 0)
    sub = await load(message, sid, state, digests, lang)
    if sub is None:
        await state.set_state(None)
        return None
    if sub.id and not await may_manage(message, bot, lang):
        return None
    return sub
