"""Callback data of the digest screens and of the buttons under digest messages.

Only ids, indexes and enum values travel in callback data: operator names and
signal words are offered from a list kept in FSM data and chosen by index.
Every factory stays within Telegram's 64 bytes (tested with the largest values), and
integers are bounded like in ``bot.callbacks``.
"""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData

from bot.callbacks import DialogId, RowId


class DigestAction(StrEnum):
    LIST = "ls"
    NEW = "new"
    VIEW = "v"
    PAUSE = "p"
    RESUME = "r"
    DELETE = "del"
    DELETE_OK = "delok"
    SEND_NOW = "now"
    CANCEL = "x"


class DigestCb(CallbackData, prefix="dg"):
    """Subscriptions: list, open, pause, resume, delete, send now. ``sid`` 0: none."""

    action: DigestAction
    sid: RowId = 0


class Step(StrEnum):
    """The editor screens, in wizard order."""

    TIME = "time"
    DAYS = "days"
    SCOPE = "scope"
    RULE = "rule"
    FILE = "file"
    CONFIRM = "done"


class Field(StrEnum):
    OPEN = "o"  # value: Step
    NEXT = "n"  # value: Step finished
    TIME = "t"  # value: "0900"
    TIME_TYPE = "tt"
    TZ = "z"  # value: index into COMMON_TIMEZONES
    TZ_TYPE = "zt"
    DAYS = "d"  # value: DaysMode
    CADENCE = "cd"  # value: Cadence (weekly, monthly)
    WEEKDAY = "w"  # value: "0".."6", toggled
    PERIOD = "p"  # value: PeriodMode
    SCOPE = "s"  # value: ScopeKind
    SCOPE_ITEM = "si"  # value: index into the offered list
    SCOPE_TYPE = "sy"  # value: ScopeKind
    RATING = "r"  # value: Toggle
    SCORE = "c"  # value: Toggle
    SIGNALS = "g"  # value: Toggle
    SIGNAL_ITEM = "gi"  # value: index into the offered list, toggled
    SIGNAL_TYPE = "gt"
    ATTACH = "a"  # value: Attachment
    CHART = "h"
    SKIP = "k"
    CREATE = "ok"


class Toggle(StrEnum):
    SWITCH = "sw"
    UP = "up"
    DOWN = "dn"


class DigestSetCb(CallbackData, prefix="ds"):
    """One editor action; ``sid`` 0 edits the wizard's draft, otherwise a stored subscription."""

    field: Field
    sid: RowId = 0
    value: str = ""


class CallAction(StrEnum):
    OPEN = "o"
    HANDLED = "h"


class DigestCallCb(CallbackData, prefix="dc"):
    """A button under a digest message: ``m`` is the stored digest message, ``d`` the call."""

    action: CallAction
    m: RowId
    d: DialogId
