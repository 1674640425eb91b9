"""Connecting aiokk: address (unless pinned), token, one real check, save; /status, /disconnect."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
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
from bot.alerts.service import AlertService
from bot.callbacks import ConnectAction, ConnectCb, MenuAction, MenuCb
from bot.config import Settings
from bot.crypto import mask_token
from bot.digest.service import DigestService
from bot.isolation import outside_lock
from bot.keyboards import cancel_connect, confirm_disconnect, main_menu
from bot.messages import error_sentence, esc, show
from bot.services.connections import ConnectionService, DemoUnavailable
from bot.texts import t
from bot.token_leaks import leaks_token
from storage import Connection

log = logging.getLogger(__name__)

router = Router(name="connect")


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


@router.message(
    F.chat.type.in_({ChatType.GROUP, ChatType.SUPERGROUP}),
    F.func(lambda message: leaks_token(message.text or message.caption or "")),
)
async def on_token_in_group(message: Message, lang: str, bot: Bot) -> None:
    """A token in a group (pasted, or given to ``/connect@bot``) is deleted when the bot may;
    the chat is told, without repeating it, to revoke it and connect privately."""
    deleted = await _may_delete(bot, message) and await delete_secret(message)
    key = "connect.token_deleted_group" if deleted else "connect.token_not_deleted_group"
    await message.answer(t(key, lang), reply_markup=await _private_link(bot, lang))


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
    if not await delete_secret(message):
        await message.answer(t("connect.token_not_deleted", lang))
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
    try:
        me = await bot.get_chat_member(message.chat.id, bot.id)
    except TelegramAPIError:  # unknown: try the delete, which reports its own failure
        return True
    return isinstance(me, ChatMemberOwner) or (
        isinstance(me, ChatMemberAdministrator) and me.can_delete_messages
    )


async def delete_secret(message: Message) -> bool:
    """Delete a message that carries a token; False when it stays on screen.

    Telegram's 5xx and dropped connections were already retried by the session's pacing
    middleware (deleting twice deletes once); what still fails is reported, never raised,
    so that the user is told to delete it rather than "something went wrong".
    """
    try:
        return bool(await message.delete())
    except TelegramBadRequest as error:
        if "message to delete not found" in error.message:
            return True
        log.warning("could not delete a token message: %s", error.message)
    except TelegramAPIError as error:  # 5xx, network: retried already
        log.warning("could not delete a token message: %s", type(error).__name__)
    return False


@router.callback_query(ConnectCb.filter(F.action == ConnectAction.CANCEL))
async def on_cancel(query: CallbackQuery, state: FSMContext, lang: str) -> None:
    await query.answer()
    await state.clear()
    await show(query, t("connect.cancelled", lang))


@router.message(StateFilter(ConnectFlow.address, ConnectFlow.token), ~F.text)
async def on_not_text(message: Message, lang: str) -> None:
    await message.answer(t("connect.token_invalid_format", lang), reply_markup=cancel_connect(lang))


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
    alerts: AlertService,
) -> None:
    await query.answer()
    await state.clear()
    await connections.disconnect(query.from_user.id)
    parts = [t("disconnect.done", lang)]
    notice = await digests.disconnect_notice(query.from_user.id, lang)
    if notice:
        parts.append(notice)
    paused = await alerts.on_disconnect(query.from_user.id)  # their chats are told
    if paused:
        parts.append(t("alerts.disconnect_paused", lang, n=paused))
    await show(query, "\n\n".join(parts))


@router.callback_query(ConnectCb.filter(F.action == ConnectAction.KEEP))
async def on_keep(query: CallbackQuery, lang: str) -> None:
    await query.answer()
    await show(query, t("disconnect.kept", lang))
