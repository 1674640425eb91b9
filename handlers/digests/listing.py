"""/digest: the chat's digests, one subscription's card, and starting the wizard."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.callbacks import MenuAction, MenuCb
from bot.digest.model import Schedule, Subscription
from bot.digest.service import DigestService
from bot.keyboards import connect_first
from bot.messages import show
from bot.permissions import is_private
from bot.texts import t
from handlers.digests.callbacks import DigestAction, DigestCb, Step
from handlers.digests.common import DRAFT_KEY, load, may_manage, save_draft
from handlers.digests.screens import show_card, show_list, show_step
from handlers.targets import thread_of
from storage import Connection

router = Router(name="digests.listing")


@router.message(Command("digest"))
async def cmd_digest(
    message: Message, state: FSMContext, lang: str, digests: DigestService
) -> None:
    await state.set_state(None)
    await show_list(message, message.chat.id, digests, lang)


@router.callback_query(MenuCb.filter(F.action == MenuAction.DIGESTS))
@router.callback_query(DigestCb.filter(F.action == DigestAction.LIST))
async def on_list(
    query: CallbackQuery, state: FSMContext, lang: str, digests: DigestService
) -> None:
    await query.answer()
    await state.set_state(None)
    if query.message is not None:
        await show_list(query, query.message.chat.id, digests, lang)


@router.callback_query(DigestCb.filter(F.action == DigestAction.CANCEL))
async def on_cancel(
    query: CallbackQuery, state: FSMContext, lang: str, digests: DigestService
) -> None:
    await query.answer(t("error.cancelled", lang))
    await state.set_state(None)
    await state.update_data({DRAFT_KEY: None})
    if query.message is not None:
        await show_list(query, query.message.chat.id, digests, lang)


@router.callback_query(DigestCb.filter(F.action == DigestAction.VIEW))
async def on_view(
    query: CallbackQuery,
    callback_data: DigestCb,
    state: FSMContext,
    lang: str,
    digests: DigestService,
) -> None:
    sub = await load(query, callback_data.sid, state, digests, lang)
    if sub is None:
        return
    await query.answer()
    await state.set_state(None)
    await show_card(query, sub, digests, lang)


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
    if message is None or not await may_manage(query, bot, lang):
        return
    chat = message.chat
    if connection is None:
        await query.answer()
        me = await bot.me()
        key = "digest.need_connection" if is_private(chat) else "digest.need_connection_group"
        await show(query, t(key, lang), connect_first(lang, is_private(chat), me.username))
        return
    await query.answer()
    user = query.from_user
    draft = Subscription(
        chat_id=chat.id,
        thread_id=thread_of(message),
        chat_title=chat.title or "",
        owner_user_id=user.id,
        owner_name=user.full_name,
        created_by=user.id,
        language=lang,
        schedule=Schedule(timezone=tz.key),
    )
    await state.set_state(None)
    await save_draft(state, draft)
    await show_step(query, Step.TIME, draft, digests, lang)
