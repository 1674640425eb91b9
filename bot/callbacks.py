"""Typed callback data: short prefixes, ids and enum values only, never labels.

aiogram refuses to pack anything over Telegram's 64-byte limit; tests pack the
largest value of every factory to prove each stays within it.
"""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class MenuAction(StrEnum):
    MENU = "menu"
    CALLS = "calls"
    OPERATOR = "op"
    DIGESTS = "dg"
    SETTINGS = "set"
    CONNECT = "conn"
    DEMO = "demo"
    HELP = "help"


class MenuCb(CallbackData, prefix="m"):
    action: MenuAction


class ConnectAction(StrEnum):
    CANCEL = "cancel"
    DISCONNECT = "disc"
    KEEP = "keep"


class ConnectCb(CallbackData, prefix="c"):
    action: ConnectAction


class SettingsAction(StrEnum):
    OPEN = "open"
    LANGUAGE = "lang"
    TIMEZONE = "tz"
    TYPE_TIMEZONE = "tztype"
    DELIMITER = "delim"


class SettingsCb(CallbackData, prefix="s"):
    action: SettingsAction
    value: str = ""


class CallsAction(StrEnum):
    FILTERS = "o"
    FIELD = "f"
    SET = "s"
    TYPE = "t"
    REMOVE = "x"
    PERIODS = "pp"
    PERIOD = "p"
    CUSTOM = "c"
    SUMMARY = "S"
    REFRESH = "R"
    LIST = "L"
    CARD = "C"
    EXPORT = "E"
    CANCEL = "Q"


class CallsCb(CallbackData, prefix="k"):
    """The calls wizard. ``f`` is a filter code, ``v`` an id, enum value or option index."""

    a: CallsAction
    f: str = ""
    v: str = ""
    p: int = 0


class OperatorAction(StrEnum):
    PICK = "k"
    PERIOD = "p"
    CARD = "c"
    EXPORT = "e"
    ASK = "a"


class OperatorCb(CallbackData, prefix="op"):
    """Operator lookup; ``v`` is an option index, a period kind or a dialog id."""

    a: OperatorAction
    v: str = ""
