"""Connecting aiokk: address (unless pinned), token, one real check, save; /status, /disconnect."""

from __future__ import annotations

import logging
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    ChatMemberAdministrator,
    ChatMemberOwner,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)

from bot.addresses import AddressError, display_host, normalise_base_url
from bot.aiokk.errors import AddressRefused, AiokkError
from bot.callbacks import ConnectAction, ConnectCb, MenuAction, MenuCb
from bot.config import Settings
from bot.crypto import mask_token
from bot.digest.service import DigestService
from bot.isolation import outside_lock
from bot.keyboards import cancel_connect, confirm_disconnect, main_menu
from bot.messages import error_sentence, esc, show
from bot.services.connections import ConnectionService, DemoUnavailable
from bot.texts import t
from storage import Connection

log = logging.getLogger(__name__)

router = Router(name="connect")

# What a pasted aiokk token looks like: one long word of token characters.
TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_\-.=:|+/]{16,512}$")


class ConnectFlow(StatesGroup):
    address = State()
    token = State()


async def _private_link(bot: Bot, lang: str) -> InlineKeyboardMarkup:
    me = await bot.me()
    url = f"https://t.me/{me.username}?start=connect"
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t("btn.open_private", lang), url=url)]]
    )


async def _begin(
    target: Message | CallbackQuery, state: FSMContext, lang: str, settings: Settings, bot: Bot
) -> None:
    chat = target.message.chat if isinstance(target, CallbackQuery) and target.message else None
    if isinstance(target, Message):
        chat = target.chat
    if chat is None or chat.type != ChatType.PRIVATE:
        if isinstance(target, CallbackQuery):
            await target.answer(t("connect.private_only", lang), show_alert=True)
        else:
            await target.answer(
                t("connect.private_only", lang), reply_markup=await _private_link(bot, lang)
            )
        return
    await state.clear()
    if settings.aiokk_base_url:
        await state.set_data({"base_url": settings.aiokk_base_url})
        await state.set_state(ConnectFlow.token)
        host = esc(display_host(settings.aiokk_base_url))
        await show(target, t("connect.ask_token", lang, host=host), cancel_connect(lang))
        return
    await state.set_state(ConnectFlow.address)
    await show(target, t("connect.ask_address", lang), cancel_connect(lang))


@router.message(Command("connect"))
@router.message(CommandStart(deep_link=True, magic=F.args == "connect"))
async def cmd_connect(
    message: Message, state: FSMContext, lang: str, settings: Settings, bot: Bot
) -> None:
    await _begin(message, state, lang, settings, bot)


@router.callback_query(MenuCb.filter(F.action == MenuAction.CONNECT))
async def on_connect(
    query: CallbackQuery, state: FSMContext, lang: str, settings: Settings, bot: Bot
) -> None:
    if query.message is not None and query.message.chat.type == ChatType.PRIVATE:
        await query.answer()
    await _begin(query, state, lang, settings, bot)


@router.callback_query(MenuCb.filter(F.action == MenuAction.DEMO))
async def on_demo(
    query: CallbackQuery, state: FSMContext, lang: str, connections: ConnectionService
) -> None:
    await query.answer()
    if query.message is None or query.message.chat.type != ChatType.PRIVATE:
        return
    await state.clear()
    try:
        async with outside_lock():  # the user's other updates need not wait for aiokk
            await connections.connect_demo(query.from_user.id)
    except DemoUnavailable:
        await show(query, t("connect.demo_unavailable", lang))
        return
    except AiokkError as error:
        await show(query, error_sentence(error, lang))
        return
    await show(query, t("connect.demo_done", lang), main_menu(lang))


@router.message(
    ConnectFlow.address, F.chat.type == ChatType.PRIVATE, F.text, ~F.text.startswith("/")
)
async def on_address(
    message: Message, state: FSMContext, lang: str, connections: ConnectionService
) -> None:
    try:
        base_url = normalise_base_url(message.text or "")
    except AddressError as error:
        await message.answer(
            t(f"connect.address_{error.reason}", lang), reply_markup=cancel_connect(lang)
        )
        return
    try:
        async with outside_lock(state) as away:  # resolving the name may take seconds
            await connections.check_address(base_url)
    except AddressRefused as refused:
        await message.answer(error_sentence(refused, lang), reply_markup=cancel_connect(lang))
        return
    if away.moved_on:  # the user went on meanwhile (/cancel, /start): the flow is over
        return
    await state.update_data(base_url=base_url)
    await state.set_state(ConnectFlow.token)
    host = esc(display_host(base_url))
    await message.answer(t("connect.ask_token", lang, host=host), reply_markup=cancel_connect(lang))


@router.message(ConnectFlow.token, F.chat.type == ChatType.PRIVATE, F.text, ~F.text.startswith("/"))
async def on_token(
    message: Message, state: FSMContext, lang: str, connections: ConnectionService
) -> None:
    token = (message.text or "").strip()
    await _delete_quietly(message)
    if not token or any(ch.isspace() for ch in token) or len(token) > 512:
        await message.answer(
            t("connect.token_invalid_format", lang), reply_markup=cancel_connect(lang)
        )
        return
    data = await state.get_data()
    base_url = data.get("base_url")
    if not isinstance(base_url, str) or message.from_user is None:
        await state.clear()
        await message.answer(t("error.stale", lang))
        return
    progress = await message.answer(t("connect.checking", lang))
    try:
        async with outside_lock(state) as away:
            connection = await connections.connect(message.from_user.id, base_url, token)
    except AiokkError as error:
        reason = error_sentence(error, lang)
        await progress.edit_text(
            t("connect.failed", lang, reason=reason), reply_markup=cancel_connect(lang)
        )
        return
    if not away.moved_on:  # else the state is the user's newer flow's
        await state.clear()
    host = esc(display_host(connection.base_url))
    done = t("connect.done", lang, host=host, masked=esc(mask_token(token)))
    await progress.edit_text(done, reply_markup=main_menu(lang))


async def _may_delete(bot: Bot, message: Message) -> bool:
    """Whether the bot may delete others' messages in the group (asked first: Telegram
    counts a refused delete as an error)."""
    me = await bot.get_chat_member(message.chat.id, bot.id)
    return isinstance(me, ChatMemberOwner) or (
        isinstance(me, ChatMemberAdministrator) and me.can_delete_messages
    )


async def _delete_quietly(message: Message) -> bool:
    try:
        return bool(await message.delete())
    except TelegramBadRequest as error:
        log.warning("could not delete a token message: %s", error.message)
        return False


@router.callback_query(ConnectCb.filter(F.action == ConnectAction.CANCEL))
async def on_cancel(query: CallbackQuery, state: FSMContext, lang: str) -> None:
    await query.answer()
    await state.clear()
    await show(query, t("connect.cancelled", lang))


@router.message(StateFilter(ConnectFlow.address, ConnectFlow.token), ~F.text)
async def on_not_text(message: Message, lang: str) -> None:
    await message.answer(t("connect.token_invalid_format", lang), reply_markup=cancel_connect(lang))


@router.message(
    F.chat.type.in_({ChatType.GROUP, ChatType.SUPERGROUP}),
    F.text.regexp(TOKEN_SHAPE),
)
async def on_token_in_group(message: Message, lang: str, bot: Bot) -> None:
    """A token pasted in a group is deleted at once; tokens belong in a private chat."""
    if await _may_delete(bot, message) and await _delete_quietly(message):
        await message.answer(
            t("connect.token_deleted_group", lang), reply_markup=await _private_link(bot, lang)
        )
    else:
        await message.answer(t("connect.token_not_deleted_group", lang))


@router.message(Command("status"))
async def cmd_status(
    message: Message, lang: str, tz: ZoneInfo, connection: Connection | None
) -> None:
    if connection is None:
        await message.answer(t("status.none", lang))
        return
    await message.answer(status_text(connection, lang, tz))


def _local(moment: datetime | None, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%d.%m.%Y %H:%M") if moment else "—"


def status_text(connection: Connection, lang: str, tz: ZoneInfo) -> str:
    created = _local(connection.created_at, tz)
    checked = _local(connection.checked_at, tz)
    return t(
        "status.connected",
        lang,
        host=esc(display_host(connection.base_url)),
        masked=esc(mask_token(connection.token)),
        created=created,
        checked=checked,
    )


@router.message(Command("disconnect"))
async def cmd_disconnect(message: Message, lang: str, connection: Connection | None) -> None:
    if connection is None:
        await message.answer(t("status.none", lang))
        return
    host = esc(display_host(connection.base_url))
    await message.answer(
        t("disconnect.confirm", lang, host=host), reply_markup=confirm_disconnect(lang)
    )


@router.callback_query(ConnectCb.filter(F.action == ConnectAction.DISCONNECT))
async def on_disconnect(
    query: CallbackQuery,
    state: FSMContext,
    lang: str,
    connections: ConnectionService,
    digests: DigestService,
) -> None:
    await query.answer()
    await state.clear()
    await connections.disconnect(query.from_user.id)
    text = t("disconnect.done", lang)
    notice = await digests.disconnect_notice(query.from_user.id, lang)
    await show(query, text + ("\n\n" + notice if notice else ""))


@router.callback_query(ConnectCb.filter(F.action == ConnectAction.KEEP))
async def on_keep(query: CallbackQuery, lang: str) -> None:
    await query.answer()
    await show(query, t("disconnect.kept", lang))
