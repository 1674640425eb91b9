"""Query layer: what the user asked for, how to fetch it, and a short-lived cache."""

from bot.query.cache import ResultCache
from bot.query.model import (
    CallQuery,
    Period,
    PeriodError,
    PeriodKind,
    Window,
    parse_custom_period,
    previous_window,
    resolve_period,
)
from bot.query.planner import LocalFilter, Plan, plan
from bot.query.service import CallService, ConnectionInfo, ConnectionRef, QueryResult

__all__ = [
    "CallQuery",
    "CallService",
    "ConnectionInfo",
    "ConnectionRef",
    "LocalFilter",
    "Period",
    "PeriodError",
    "PeriodKind",
    "Plan",
    "QueryResult",
    "ResultCache",
    "Window",
    "parse_custom_period",
    "plan",
    "previous_window",
    "resolve_period",
]
