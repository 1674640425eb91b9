"""Callback data of the /alerts screens (the buttons under alert messages are
``handlers.alerts_ui.AlertCb``).

Only ids, indexes and enum values travel in callback data: operator names and signal words
are offered from a list kept in FSM data and chosen by index. Every factory stays within
Telegram's 64 bytes, and integers are bounded like in ``bot.callbacks``.
"""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData

from bot.callbacks import RowId


class RuleAction(StrEnum):
    LIST = "ls"
    NEW = "new"
    VIEW = "v"
    PAUSE = "p"
    RESUME = "r"
    DELETE = "del"
    DELETE_OK = "delok"
    TEST = "t"
    CANCEL = "x"


class AlertRuleCb(CallbackData, prefix="ar"):
    """Rules: list, open, pause, resume, delete, test. ``rid`` 0: none."""

    action: RuleAction
    rid: RowId = 0


class Step(StrEnum):
    """The editor screens, in wizard order."""

    SCOPE = "s"
    CONDITIONS = "c"
    QUIET = "q"
    CONFIRM = "ok"


class Field(StrEnum):
    OPEN = "o"  # value: Step
    NEXT = "n"  # value: Step finished
    SCOPE = "s"  # value: ScopeKind
    SCOPE_ITEM = "si"  # value: index into the offered list
    SCOPE_TYPE = "sy"  # value: ScopeKind
    RATING = "r"  # value: "1".."5", "0" off
    SCORE = "c"  # value: "30", "50", "70", "0" off
    SIGNALS = "g"
    SIGNAL_ITEM = "gi"  # value: index into the offered list, toggled
    SIGNAL_TYPE = "gt"
    QUIET = "q"  # value: index into QUIET_PRESETS
    CREATE = "mk"


class AlertSetCb(CallbackData, prefix="as"):
    """One editor action; ``rid`` 0 edits the wizard's draft, otherwise a stored rule."""

    field: Field
    rid: RowId = 0
    value: str = ""
