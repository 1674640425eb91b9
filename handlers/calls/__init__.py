"""/calls: filters, value, period, summary, list, card and exports.

- ``wizard``: the /calls command and the wizard's steps, on the live draft (FSM data);
- ``typed``: typed answers (ids, names, signal words, custom dates);
- ``results``: the buttons of a results message (summary, list, cards, exports), which
  work from the query kept with that message (``storage.shown_queries``);
- ``keyboards``: the screens as text and keyboards; ``draft``: the draft and its rules;
- ``context``: ``CallsContext``, what handlers need besides the event (also used by /op).
"""

from __future__ import annotations

from aiogram import Router

from handlers.calls import results, typed, wizard
from handlers.calls.context import CallsContext, install_context
from handlers.calls.draft import (
    FIELDS,
    ID_LIMIT,
    Draft,
    apply_choice,
    parse_typed_value,
    without,
)
from handlers.calls.keyboards import (
    call_rows,
    error_keyboard,
    filters_screen,
    list_keyboard,
    number_rows,
    page_row,
    period_screen,
    summary_keyboard,
    value_screen,
)

router = Router(name="calls")
router.include_routers(wizard.router, typed.router, results.router)
install_context(router)

__all__ = [
    "FIELDS",
    "ID_LIMIT",
    "CallsContext",
    "Draft",
    "apply_choice",
    "call_rows",
    "error_keyboard",
    "filters_screen",
    "list_keyboard",
    "number_rows",
    "page_row",
    "parse_typed_value",
    "period_screen",
    "router",
    "summary_keyboard",
    "value_screen",
    "without",
]
