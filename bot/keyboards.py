"""Inline keyboards for the core screens."""

from __future__ import annotations

from datetime import datetime

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks import (
    ConnectAction,
    ConnectCb,
    MenuAction,
    MenuCb,
    SettingsAction,
    SettingsCb,
)
from bot.input.zones import zone_label
from bot.texts import LANGUAGES, t

COMMON_TIMEZONES: tuple[str, ...] = (
    "Asia/Almaty",
    "Asia/Qyzylorda",
    "Asia/Aqtobe",
    "Asia/Tashkent",
    "Asia/Bishkek",
    "Europe/Moscow",
    "Asia/Yekaterinburg",
    "Asia/Novosibirsk",
    "Europe/Minsk",
    "UTC",
)


def button(text: str, callback: MenuCb | ConnectCb | SettingsCb | str) -> InlineKeyboardButton:
    data = callback if isinstance(callback, str) else callback.pack()
    return InlineKeyboardButton(text=text, callback_data=data)


def start_keyboard(lang: str, *, connected: bool, demo: bool) -> InlineKeyboardMarkup:
    if connected:
        return main_menu(lang)
    rows = [[button(t("btn.connect", lang), MenuCb(action=MenuAction.CONNECT))]]
    if demo:
        rows.append([button(t("btn.demo", lang), MenuCb(action=MenuAction.DEMO))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def main_menu(lang: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.add(
        button(t("btn.calls", lang), MenuCb(action=MenuAction.CALLS)),
        button(t("btn.operator", lang), MenuCb(action=MenuAction.OPERATOR)),
        button(t("btn.digests", lang), MenuCb(action=MenuAction.DIGESTS)),
        button(t("btn.alerts", lang), MenuCb(action=MenuAction.ALERTS)),
        button(t("btn.settings", lang), MenuCb(action=MenuAction.SETTINGS)),
    )
    builder.adjust(2)
    return builder.as_markup()


def back_to_menu(lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[button(t("btn.menu", lang), MenuCb(action=MenuAction.MENU))]]
    )


def cancel_connect(lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[button(t("btn.cancel", lang), ConnectCb(action=ConnectAction.CANCEL))]]
    )


def confirm_disconnect(lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(t("btn.yes_disconnect", lang), ConnectCb(action=ConnectAction.DISCONNECT)),
                button(t("btn.keep", lang), ConnectCb(action=ConnectAction.KEEP)),
            ]
        ]
    )


def settings_menu(lang: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.add(
        button(t("settings.btn_language", lang), SettingsCb(action=SettingsAction.LANGUAGE)),
        button(t("settings.btn_timezone", lang), SettingsCb(action=SettingsAction.TIMEZONE)),
        button(t("settings.btn_delimiter", lang), SettingsCb(action=SettingsAction.DELIMITER)),
        button(t("btn.menu", lang), MenuCb(action=MenuAction.MENU)),
    )
    builder.adjust(1)
    return builder.as_markup()


def _back_to_settings(lang: str) -> InlineKeyboardButton:
    return button(t("btn.back", lang), SettingsCb(action=SettingsAction.OPEN))


def language_choice(lang: str) -> InlineKeyboardMarkup:
    row = [
        button(t("language.name", code), SettingsCb(action=SettingsAction.LANGUAGE, value=code))
        for code in LANGUAGES
    ]
    return InlineKeyboardMarkup(inline_keyboard=[row, [_back_to_settings(lang)]])


def timezone_choice(lang: str, now: datetime) -> InlineKeyboardMarkup:
    """The common zones as "Алматы (UTC+5)": the offset as it is at ``now``."""
    builder = InlineKeyboardBuilder()
    for name in COMMON_TIMEZONES:
        label = zone_label(name, now, lang)
        builder.add(button(label, SettingsCb(action=SettingsAction.TIMEZONE, value=name)))
    builder.adjust(2)
    builder.row(
        button(
            t("settings.btn_type_timezone", lang), SettingsCb(action=SettingsAction.TYPE_TIMEZONE)
        )
    )
    builder.row(_back_to_settings(lang))
    return builder.as_markup()


def delimiter_choice(lang: str) -> InlineKeyboardMarkup:
    row = [
        button(f"«{d}»", SettingsCb(action=SettingsAction.DELIMITER, value=name))
        for d, name in ((";", "semicolon"), (",", "comma"))
    ]
    return InlineKeyboardMarkup(inline_keyboard=[row, [_back_to_settings(lang)]])


def connect_first(lang: str, private: bool, username: str | None) -> InlineKeyboardMarkup:
    """Connect aiokk: here in a private chat, or a link to the private chat from a group."""
    if private or not username:
        button = InlineKeyboardButton(
            text=t("btn.connect", lang), callback_data=MenuCb(action=MenuAction.CONNECT).pack()
        )
    else:
        button = InlineKeyboardButton(
            text=t("btn.open_private", lang), url=f"https://t.me/{username}?start=connect"
        )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])
