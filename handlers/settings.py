"""/settings: language, time zone (buttons or a typed IANA name), CSV separator.

In a group the typed time zone is asked for with a reply request to the admin who pressed
(only replies to the bot reach it there; see ``bot.prompts``), and their reply is the answer.
"""

from __future__ import annotations

from datetime import datetime

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    Chat,
    InlineKeyboardMarkup,
    Message,
)

from bot.callbacks import MenuAction, MenuCb, SettingsAction, SettingsCb
from bot.clock import Clock
from bot.config import Settings
from bot.input.zones import resolve_zone, zone_label
from bot.keyboards import (
    delimiter_choice,
    language_choice,
    settings_menu,
    timezone_choice,
)
from bot.messages import esc, show
from bot.permissions import is_chat_admin
from bot.prompts import ask_for_reply
from bot.texts import LANGUAGES, t
from handlers.targets import ask_presser, thread_of
from storage import ChatRepo, ChatSettings

router = Router(name="settings")

DELIMITERS = {"semicolon": ";", "comma": ","}


class SettingsFlow(StatesGroup):
    timezone = State()


def settings_text(current: ChatSettings, lang: str, settings: Settings, now: datetime) -> str:
    zone = current.timezone or settings.default_timezone
    return t(
        "settings.title",
        lang,
        language=t("language.name", lang),
        timezone=esc(f"{zone_label(zone, now, lang)} · {zone}"),
        delimiter=esc(current.csv_delimiter),
    )


async def _render(
    target: Message | CallbackQuery,
    chats: ChatRepo,
    chat: Chat,
    lang: str,
    settings: Settings,
    clock: Clock,
) -> None:
    current = await chats.get(chat.id)
    await show(target, settings_text(current, lang, settings, clock()), settings_menu(lang))


@router.message(Command("settings"))
async def cmd_settings(
    message: Message,
    state: FSMContext,
    lang: str,
    chats: ChatRepo,
    settings: Settings,
    clock: Clock,
) -> None:
    await state.set_state(None)
    await _render(message, chats, message.chat, lang, settings, clock)


@router.callback_query(MenuCb.filter(F.action == MenuAction.SETTINGS))
@router.callback_query(SettingsCb.filter(F.action == SettingsAction.OPEN))
async def on_settings(
    query: CallbackQuery,
    state: FSMContext,
    lang: str,
    chats: ChatRepo,
    settings: Settings,
    clock: Clock,
) -> None:
    await query.answer()
    await state.set_state(None)
    if query.message is not None:
        await _render(query, chats, query.message.chat, lang, settings, clock)


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
    clock: Clock,
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
    await _render(query, chats, chat, new_lang, settings, clock)


@router.callback_query(SettingsCb.filter(F.action == SettingsAction.TIMEZONE))
async def on_timezone(
    query: CallbackQuery,
    callback_data: SettingsCb,
    lang: str,
    chats: ChatRepo,
    settings: Settings,
    bot: Bot,
    clock: Clock,
) -> None:
    if not callback_data.value:
        await _choose(query, t("settings.choose_timezone", lang), timezone_choice(lang, clock()))
        return
    zone = resolve_zone(callback_data.value, lang)
    chat = await _may_change(query, bot, lang)
    if chat is None:
        return
    if zone is None:
        await query.answer(t("input.zone.unknown", lang), show_alert=True)
        return
    await chats.set_timezone(chat.id, zone)
    await query.answer(t("settings.saved", lang))
    await _render(query, chats, chat, lang, settings, clock)


@router.callback_query(SettingsCb.filter(F.action == SettingsAction.TYPE_TIMEZONE))
async def on_type_timezone(
    query: CallbackQuery, state: FSMContext, lang: str, bot: Bot, clock: Clock
) -> None:
    chat = await _may_change(query, bot, lang)
    if chat is None:
        return
    await query.answer()
    await state.set_state(SettingsFlow.timezone)
    question = t("settings.type_timezone", lang)
    await show(query, question, timezone_choice(lang, clock()))
    await ask_presser(query, bot, question, lang, t("prompt.placeholder.timezone", lang))


@router.message(SettingsFlow.timezone, F.text, ~F.text.startswith("/"))
async def on_timezone_text(
    message: Message,
    state: FSMContext,
    lang: str,
    chats: ChatRepo,
    settings: Settings,
    bot: Bot,
    clock: Clock,
) -> None:
    if message.from_user is None or not await is_chat_admin(
        bot, message.chat, message.from_user.id
    ):
        await message.answer(t("settings.admin_only", lang))
        return
    zone = resolve_zone(message.text or "", lang)
    if zone is None:
        invalid = t("input.zone.unknown", lang)
        placeholder = t("prompt.placeholder.timezone", lang)
        asked = await ask_for_reply(
            bot,
            message.chat,
            message.from_user,
            invalid,
            lang,
            placeholder=placeholder,
            thread_id=thread_of(message),
        )
        if asked is None:
            await message.answer(invalid, reply_markup=timezone_choice(lang, clock()))
        return
    await state.set_state(None)
    await chats.set_timezone(message.chat.id, zone)
    await message.answer(t("settings.saved", lang))
    await _render(message, chats, message.chat, lang, settings, clock)


@router.callback_query(SettingsCb.filter(F.action == SettingsAction.DELIMITER))
async def on_delimiter(
    query: CallbackQuery,
    callback_data: SettingsCb,
    lang: str,
    chats: ChatRepo,
    settings: Settings,
    bot: Bot,
    clock: Clock,
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
    await _render(query, chats, chat, lang, settings, clock)
