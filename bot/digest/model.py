"""What a digest subscription is: where, when, which calls, what counts as bad, what to attach.

Plain frozen dataclasses with no I/O; storage turns them into rows and back.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.query.model import CallQuery, Period, PeriodKind

DEFAULT_MAX_RATING = 3
DEFAULT_MIN_SCORE = 50.0
MAX_SIGNALS = 10
TIME_PRESETS: tuple[tuple[int, int], ...] = ((8, 0), (9, 0), (10, 0), (18, 0))
# Monday = 0, as in ``date.weekday()`` and APScheduler's ``day_of_week``.
WORKING_DAYS: frozenset[int] = frozenset(range(5))
ALL_DAYS: frozenset[int] = frozenset(range(7))


class Cadence(StrEnum):
    """How often a digest runs and how long a period it reports on."""

    DAILY = "daily"  # on the days of ``DaysMode``, about the previous day(s)
    WEEKLY = "weekly"  # on one weekday, about the previous Monday–Sunday
    MONTHLY = "monthly"  # on the 1st, about the previous month


class DaysMode(StrEnum):
    DAILY = "daily"
    WORKDAYS = "work"
    WEEKDAYS = "days"  # the days listed in ``Schedule.weekdays``


class PeriodMode(StrEnum):
    AUTO = "auto"  # the days since the previous scheduled day (yesterday; Fri–Sun on Monday)
    DAY = "day"  # always only yesterday
    WEEK = "week"  # the seven days before the run


class Attachment(StrEnum):
    NONE = "none"
    XLSX = "xlsx"
    CSV = "csv"


class ScopeKind(StrEnum):
    """Which calls a digest takes: all of them, or one department, operator or question pack."""

    ALL = "all"
    DEPARTMENT = "dep"
    OPERATOR = "op"
    PACK = "qp"


class PauseReason(StrEnum):
    USER = "user"  # paused by a person
    BLOCKED = "blocked"  # Telegram answered 403: blocked, kicked, chat gone
    DISCONNECTED = "disconnected"  # the owner disconnected aiokk
    NOT_ALLOWED = "not_allowed"  # the owner is no longer in ALLOWED_USER_IDS


@dataclass(frozen=True, slots=True)
class Schedule:
    hour: int = 9
    minute: int = 0
    timezone: str = "Asia/Almaty"
    days: DaysMode = DaysMode.DAILY
    weekdays: frozenset[int] = frozenset()
    cadence: Cadence = Cadence.DAILY
    """Weekly: ``days`` is ``WEEKDAYS`` with exactly one weekday. Monthly: the 1st;
    ``days`` is ``DAILY`` and unused."""

    def __post_init__(self) -> None:
        if not (0 <= self.hour <= 23 and 0 <= self.minute <= 59):
            raise ValueError(f"invalid time {self.hour}:{self.minute}")
        if any(day not in ALL_DAYS for day in self.weekdays):
            raise ValueError(f"invalid weekdays {sorted(self.weekdays)}")
        if self.days is DaysMode.WEEKDAYS and not self.weekdays:
            raise ValueError("chosen weekdays cannot be empty")
        if self.cadence is Cadence.WEEKLY and (
            self.days is not DaysMode.WEEKDAYS or len(self.weekdays) != 1
        ):
            raise ValueError("a weekly digest runs on exactly one weekday")
        if self.cadence is Cadence.MONTHLY and self.days is not DaysMode.DAILY:
            raise ValueError("a monthly digest runs on the 1st, not on weekdays")

    @classmethod
    def weekly(cls, weekday: int, **fields: Any) -> Schedule:
        return cls(
            days=DaysMode.WEEKDAYS,
            weekdays=frozenset({weekday}),
            cadence=Cadence.WEEKLY,
            **fields,
        )

    @classmethod
    def monthly(cls, **fields: Any) -> Schedule:
        return cls(days=DaysMode.DAILY, weekdays=frozenset(), cadence=Cadence.MONTHLY, **fields)

    @property
    def weekday(self) -> int:
        """The weekday of a weekly digest (Monday = 0)."""
        return min(self.weekdays) if self.weekdays else 0

    @property
    def periodic(self) -> bool:
        """Weekly or monthly: a report with per-operator trends, not only bad calls."""
        return self.cadence is not Cadence.DAILY

    def with_(self, **changes: Any) -> Schedule:
        return dataclasses.replace(self, **changes)

    @property
    def run_days(self) -> frozenset[int]:
        """Weekdays (Monday = 0) on which the digest runs."""
        match self.days:
            case DaysMode.DAILY:
                return ALL_DAYS
            case DaysMode.WORKDAYS:
                return WORKING_DAYS
            case DaysMode.WEEKDAYS:
                return self.weekdays

    @property
    def hhmm(self) -> str:
        return f"{self.hour:02d}:{self.minute:02d}"


@dataclass(frozen=True, slots=True)
class BadCallRule:
    """A call is bad when any switched-on condition holds (OR)."""

    rating_on: bool = True
    max_rating: int = DEFAULT_MAX_RATING  # client rating ≤ this
    score_on: bool = True
    min_score: float = DEFAULT_MIN_SCORE  # script score (percent) strictly below this
    signals_on: bool = False
    signals: tuple[str, ...] = ()  # any of these words was heard

    def __post_init__(self) -> None:
        if not 1 <= self.max_rating <= 10:
            raise ValueError(f"max_rating out of range: {self.max_rating}")
        if not 0 < self.min_score <= 100:
            raise ValueError(f"min_score out of range: {self.min_score}")
        cleaned = tuple(dict.fromkeys(" ".join(w.split()) for w in self.signals if w.strip()))
        object.__setattr__(self, "signals", cleaned[:MAX_SIGNALS])

    def with_(self, **changes: Any) -> BadCallRule:
        return dataclasses.replace(self, **changes)

    @property
    def active(self) -> bool:
        return self.rating_on or self.score_on or (self.signals_on and bool(self.signals))


def scope_query(data: dict[str, Any] | None) -> CallQuery:
    """The scope stored as ``CallQuery.to_dict()`` (its period is ignored)."""
    query = CallQuery.from_dict(dict(data or {}))
    return query.with_(period=Period(PeriodKind.ALL))


def scope_dict(query: CallQuery) -> dict[str, Any]:
    data = query.to_dict()
    for key in ("p", "ps", "pe"):
        data.pop(key, None)
    return data


@dataclass(frozen=True, slots=True)
class Subscription:
    chat_id: int
    owner_user_id: int
    created_by: int
    schedule: Schedule = field(default_factory=Schedule)
    id: int = 0  # 0 until stored
    thread_id: int | None = None
    chat_title: str = ""
    owner_name: str = ""
    language: str = "ru"
    period: PeriodMode = PeriodMode.AUTO
    scope: CallQuery = field(default_factory=lambda: scope_query(None))
    rule: BadCallRule = field(default_factory=BadCallRule)
    attachment: Attachment = Attachment.NONE
    chart: bool = True
    skip_empty: bool = False
    paused: bool = False
    pause_reason: PauseReason | None = None
    pause_detail: str | None = None
    next_run: datetime | None = None

    def with_(self, **changes: Any) -> Subscription:
        return dataclasses.replace(self, **changes)

    @property
    def is_private(self) -> bool:
        return self.chat_id > 0

    @property
    def fed_by_someone_else(self) -> bool:
        """The digest goes to a chat other than the owner's private chat."""
        return self.chat_id != self.owner_user_id
