"""/settings: language, time zone (buttons or a typed IANA name), CSV separator."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Chat, InlineKeyboardMarkup, Message

from bot.callbacks import MenuAction, MenuCb, SettingsAction, SettingsCb
from bot.config import Settings
from bot.keyboards import (
    delimiter_choice,
    language_choice,
    settings_menu,
    timezone_choice,
)
from bot.messages import esc, show
from bot.permissions import is_chat_admin
from bot.texts import LANGUAGES, t
from storage import ChatRepo, ChatSettings

router = Router(name="settings")

DELIMITERS = {"semicolon": ";", "comma": ","}


class SettingsFlow(StatesGroup):
    timezone = State()


def settings_text(current: ChatSettings, lang: str, settings: Settings) -> str:
    return t(
        "settings.title",
        lang,
        language=t("language.name", lang),
        timezone=esc(current.timezone or settings.default_timezone),
        delimiter=esc(current.csv_delimiter),
    )


async def _render(
    target: Message | CallbackQuery, chats: ChatRepo, chat: Chat, lang: str, settings: Settings
) -> None:
    current = await chats.get(chat.id)
    await show(target, settings_text(current, lang, settings), settings_menu(lang))


@router.message(Command("settings"))
async def cmd_settings(
    message: Message, state: FSMContext, lang: str, chats: ChatRepo, settings: Settings
) -> None:
    await state.set_state(None)
    await _render(message, chats, message.chat, lang, settings)


@router.callback_query(MenuCb.filter(F.action == MenuAction.SETTINGS))
@router.callback_query(SettingsCb.filter(F.action == SettingsAction.OPEN))
async def on_settings(
    query: CallbackQuery, state: FSMContext, lang: str, chats: ChatRepo, settings: Settings
) -> None:
    await query.answer()
    await state.set_state(None)
    if query.message is not None:
        await _render(query, chats, query.message.chat, lang, settings)


async def _may_change(query: CallbackQuery, bot: Bot, lang: str) -> Chat | None:
    """Returns the chat when the presser may change its settings, answering otherwise."""
    if query.message is None:
        await query.answer(t("error.stale", lang), show_alert=True)
        return None
    chat = query.message.chat
    if not await is_chat_admin(bot, chat, query.from_user.id):
        await query.answer(t("settings.admin_only", lang), show_alert=True)
        return None
    return chat


async def _choose(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup) -> None:
    await query.answer()
    await show(query, text, markup)


@router.callback_query(SettingsCb.filter(F.action == SettingsAction.LANGUAGE))
async def on_language(
    query: CallbackQuery,
    callback_data: SettingsCb,
    lang: str,
    chats: ChatRepo,
    settings: Settings,
    bot: Bot,
) -> None:
    if callback_data.value not in LANGUAGES:
        await _choose(query, t("settings.choose_language", lang), language_choice(lang))
        return
    chat = await _may_change(query, bot, lang)
    if chat is None:
        return
    await chats.set_language(chat.id, callback_data.value)
    new_lang = callback_data.value
    await query.answer(t("settings.saved", new_lang))
    await _render(query, chats, chat, new_lang, settings)


@router.callback_query(SettingsCb.filter(F.action == SettingsAction.TIMEZONE))
async def on_timezone(
    query: CallbackQuery,
    callback_data: SettingsCb,
    lang: str,
    chats: ChatRepo,
    settings: Settings,
    bot: Bot,
) -> None:
    if not callback_data.value:
        await _choose(query, t("settings.choose_timezone", lang), timezone_choice(lang))
        return
    zone = valid_timezone(callback_data.value)
    chat = await _may_change(query, bot, lang)
    if chat is None:
        return
    if zone is None:
        await query.answer(t("settings.timezone_invalid", lang), show_alert=True)
        return
    await chats.set_timezone(chat.id, zone)
    await query.answer(t("settings.saved", lang))
    await _render(query, chats, chat, lang, settings)


@router.callback_query(SettingsCb.filter(F.action == SettingsAction.TYPE_TIMEZONE))
async def on_type_timezone(query: CallbackQuery, state: FSMContext, lang: str, bot: Bot) -> None:
    if await _may_change(query, bot, lang) is None:
        return
    await query.answer()
    await state.set_state(SettingsFlow.timezone)
    await show(query, t("settings.type_timezone", lang), timezone_choice(lang))


@router.message(SettingsFlow.timezone, F.text, ~F.text.startswith("/"))
async def on_timezone_text(
    message: Message,
    state: FSMContext,
    lang: str,
    chats: ChatRepo,
    settings: Settings,
    bot: Bot,
) -> None:
    if message.from_user is None or not await is_chat_admin(
        bot, message.chat, message.from_user.id
    ):
        await message.answer(t("settings.admin_only", lang))
        return
    zone = valid_timezone(message.text or "")
    if zone is None:
        await message.answer(
            t("settings.timezone_invalid", lang), reply_markup=timezone_choice(lang)
        )
        return
    await state.set_state(None)
    await chats.set_timezone(message.chat.id, zone)
    await message.answer(t("settings.saved", lang))
    await _render(message, chats, message.chat, lang, settings)


@router.callback_query(SettingsCb.filter(F.action == SettingsAction.DELIMITER))
async def on_delimiter(
    query: CallbackQuery,
    callback_data: SettingsCb,
    lang: str,
    chats: ChatRepo,
    settings: Settings,
    bot: Bot,
) -> None:
    delimiter = DELIMITERS.get(callback_data.value)
    if delimiter is None:
        await _choose(query, t("settings.choose_delimiter", lang), delimiter_choice(lang))
        return
    chat = await _may_change(query, bot, lang)
    if chat is None:
        return
    await chats.set_csv_delimiter(chat.id, delimiter)
    await query.answer(t("settings.saved", lang))
    await _render(query, chats, chat, lang, settings)


def valid_timezone(text: str) -> str | None:
    """A canonical IANA name for what the user typed (case-insensitive), or None."""
    name = text.strip()
    if not name or len(name) > 64 or ".." in name or name.startswith("/"):
        return None
    candidates = [name, "/".join(part[:1].upper() + part[1:] for part in name.split("/"))]
    if name.upper() == "UTC":
        candidates.insert(0, "UTC")
    for candidate in candidates:
        try:
            ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError):
            continue
        return candidate
    return None
