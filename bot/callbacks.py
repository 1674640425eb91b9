"""Typed callback data: short prefixes, ids and enum values only, never labels.

aiogram refuses to pack anything over Telegram's 64-byte limit; tests pack the
largest value of every factory to prove each stays within it.

Callback data comes from the client and can be forged: every field is validated when it
is unpacked (enum fields take known values only, integers stay within bounds), so a
forged or foreign button matches no handler and gets the "out of date" answer.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

MAX_ID = 2**63 - 1
"""SQLite's INTEGER and aiokk's ids are 64-bit: a larger number is not an id."""
MAX_PAGE = 999_999
"""Far beyond 50,000 calls at ten a page."""

RowId = Annotated[int, Field(ge=0, le=MAX_ID)]
"""A stored row's id, or 0 for none."""
DialogId = Annotated[int, Field(ge=-MAX_ID - 1, le=MAX_ID)]
"""An aiokk call id: any 64-bit integer (a button is never refused for the data's ids)."""
Page = Annotated[int, Field(ge=0, le=MAX_PAGE)]


def parse_number(value: str, upper: int = MAX_ID) -> int | None:
    """A number carried in a string field or typed by a user: ASCII digits from 0 to
    ``upper``; None for anything else (``"²".isdigit()`` is true, yet ``int`` refuses it)."""
    if not value.isascii() or not value.isdigit() or len(value) > len(str(upper)):
        return None
    number = int(value)
    return number if number <= upper else None


class MenuAction(StrEnum):
    MENU = "menu"
    CALLS = "calls"
    OPERATOR = "op"
    DIGESTS = "dg"
    ALERTS = "al"
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
    RETRY = "r"  # the summary again, after an error
    LIST = "L"
    CARD = "C"
    EXPORT = "E"
    CANCEL = "Q"
    REBUILD = "B"  # an out-of-date results message again; ``v`` is its message id


class CallsCb(CallbackData, prefix="k"):
    """The calls wizard. ``f`` is a filter code, ``v`` an id, enum value or option index."""

    a: CallsAction
    f: str = ""
    v: str = ""
    p: Page = 0


class OperatorAction(StrEnum):
    PICK = "k"
    PERIOD = "p"
    CARD = "c"
    EXPORT = "e"
    ASK = "a"
    RETRY = "r"  # what failed on this message: the search or the scorecard
    TREND = "t"  # the operator's last 8 weeks as a chart


class OperatorCb(CallbackData, prefix="op"):
    """Operator lookup; ``v`` is an option index, a period kind or a dialog id."""

    a: OperatorAction
    v: str = ""
