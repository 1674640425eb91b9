"""What the user asked for: filters plus a period, and the time window it resolves to.

Periods are computed in the chat's timezone, while records carry their own
offset (``+05``); every comparison is therefore made on absolute instants.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from bot.aiokk.models import CALL_TYPES
from bot.input.dates import DateTextError, read_dates

LOYALTY_RANGE = range(1, 11)
MAX_CUSTOM_DAYS = 366


def now_utc() -> datetime:
    return datetime.now(UTC)


class PeriodKind(StrEnum):
    TODAY = "today"
    YESTERDAY = "yesterday"
    D7 = "d7"
    D30 = "d30"
    ALL = "all"
    CUSTOM = "custom"


@dataclass(frozen=True, slots=True)
class Period:
    """A named period, or a custom inclusive range of local dates."""

    kind: PeriodKind
    start: date | None = None
    end: date | None = None

    def __post_init__(self) -> None:
        if self.kind is PeriodKind.CUSTOM:
            if self.start is None or self.end is None:
                raise ValueError("a custom period needs both dates")
            if self.end < self.start:
                raise ValueError("a custom period cannot end before it starts")
        elif self.start is not None or self.end is not None:
            raise ValueError("only a custom period carries dates")

    @classmethod
    def of(cls, kind: PeriodKind | str) -> Period:
        return cls(PeriodKind(kind))

    @classmethod
    def custom(cls, start: date, end: date | None = None) -> Period:
        return cls(PeriodKind.CUSTOM, start, end if end is not None else start)


def _ts(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


@dataclass(frozen=True, slots=True)
class Window:
    """Half-open ``[start, end)`` of aware datetimes; ``None`` means unbounded."""

    start: datetime | None
    end: datetime | None
    # Absolute instants, precomputed: comparing two datetimes that share a
    # ZoneInfo compares wall-clock times, which is wrong across DST changes.
    _start_ts: float | None = field(init=False, repr=False, compare=False)
    _end_ts: float | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for value in (self.start, self.end):
            if value is not None and value.utcoffset() is None:
                raise ValueError("window bounds must be timezone-aware")
        object.__setattr__(self, "_start_ts", _ts(self.start))
        object.__setattr__(self, "_end_ts", _ts(self.end))

    @property
    def bounded(self) -> bool:
        return self.start is not None or self.end is not None

    def contains(self, moment: datetime | None) -> bool:
        """Whether an aware datetime falls in the window; an unknown date only if unbounded."""
        if moment is None:
            return not self.bounded
        if moment.utcoffset() is None:
            # A naive timestamp cannot be placed in time; treat it as unknown.
            return not self.bounded
        stamp = moment.timestamp()
        if self._start_ts is not None and stamp < self._start_ts:
            return False
        return self._end_ts is None or stamp < self._end_ts

    def cache_key(self) -> tuple[float | None, float | None]:
        return (self._start_ts, self._end_ts)


UNBOUNDED = Window(None, None)


def local_midnight(day: date, tz: tzinfo) -> datetime:
    """The first instant of ``day`` in ``tz`` (normalised, so a skipped midnight is handled)."""
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC).astimezone(tz)


def resolve_period(period: Period, tz: ZoneInfo, now: datetime) -> Window:
    """Turn a period into a window of local days.

    "Today" and the rolling ranges end at the next local midnight rather than
    at ``now``: calls stamped a little ahead of our clock still count, and the
    window stays the same all day, which keeps cache keys stable.
    """
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    today = now.astimezone(tz).date()
    match period.kind:
        case PeriodKind.ALL:
            return UNBOUNDED
        case PeriodKind.TODAY:
            first, last = today, today
        case PeriodKind.YESTERDAY:
            first = last = today - timedelta(days=1)
        case PeriodKind.D7:
            first, last = today - timedelta(days=6), today
        case PeriodKind.D30:
            first, last = today - timedelta(days=29), today
        case PeriodKind.CUSTOM:
            assert period.start is not None and period.end is not None
            first, last = period.start, period.end
    return Window(local_midnight(first, tz), local_midnight(last + timedelta(days=1), tz))


def previous_window(window: Window, now: datetime | None = None) -> Window | None:
    """The window of the same length right before ``window``; ``None`` when unbounded.

    Windows made of whole local days shift by whole days, so a week that
    crosses a DST change is compared with the previous seven calendar days.
    While ``window`` is still running (``now`` inside it), the previous window
    stops at the same point: today until 11:00 is compared with yesterday until
    11:00, not with the whole of yesterday.
    """
    start, end = window.start, window.end
    if start is None or end is None:
        return None
    running = now is not None and start.timestamp() <= now.timestamp() < end.timestamp()
    cut = now if running else None
    zone = start.tzinfo
    if (
        zone is not None
        and zone is end.tzinfo
        and start.timetz().replace(tzinfo=None) == time()
        and end.timetz().replace(tzinfo=None) == time()
    ):
        days = (end.date() - start.date()).days
        if days > 0:
            earlier_start = local_midnight(start.date() - timedelta(days=days), zone)
            if cut is None:
                return Window(earlier_start, start)
            # Wall-clock arithmetic: the same local time, ``days`` days earlier.
            return Window(earlier_start, cut.astimezone(zone) - timedelta(days=days))
    length = end.astimezone(UTC) - start.astimezone(UTC)
    earlier_start = (start.astimezone(UTC) - length).astimezone(start.tzinfo)
    return Window(earlier_start, start if cut is None else earlier_start + (cut - start))


# --- custom period parsing -------------------------------------------------


class PeriodError(ValueError):
    """A custom period the user typed cannot be used; ``reason`` is one of the codes below."""

    FORMAT: ClassVar[str] = "format"  # not a date or a range of dates
    INVALID_DATE: ClassVar[str] = "invalid_date"  # e.g. 31.02
    ORDER: ClassVar[str] = "order"  # the range ends before it starts
    TOO_LONG: ClassVar[str] = "too_long"  # longer than MAX_CUSTOM_DAYS
    FUTURE: ClassVar[str] = "future"  # starts after today

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class CustomPeriod:
    """A custom period read from text; ``end_clipped`` when the typed end was after today."""

    period: Period
    end_clipped: bool = False


def read_custom_period(text: str, today: date) -> CustomPeriod:
    """Read a date or a range as people type it (see ``bot.input.dates``).

    ``21.04``, ``21.04–28.04``, ``21.04.2025-28.04.2025``, ``2025-04-21..2025-04-28``,
    ``с 21 по 28 апреля``, ``21-28 апреля``, ``вчера``, ``прошлая неделя``, ``last week``,
    ``April 21 - 28``. An end after ``today`` is cut to ``today``; raises ``PeriodError``.
    """
    try:
        span = read_dates(text, today)
    except DateTextError as error:
        raise PeriodError(error.reason) from None
    if (span.end - span.start).days + 1 > MAX_CUSTOM_DAYS:
        raise PeriodError(PeriodError.TOO_LONG)
    return CustomPeriod(Period.custom(span.start, span.end), span.end_clipped)


def parse_custom_period(text: str, today: date) -> Period:
    """The period of :func:`read_custom_period`, for callers that need no more."""
    return read_custom_period(text, today).period


# --- the query -------------------------------------------------------------


def name_key(name: str) -> str:
    """How operator names compare exactly: case, ё/е and spacing aside.

    The same folding as the planner's ``normalize_text``, plus collapsed spaces.
    """
    return " ".join(name.split()).casefold().replace("ё", "е")


@dataclass(frozen=True, slots=True)
class OperatorPick:
    """One person picked from a button: matched by ``operatorId`` when the data has one.

    Names change and repeat (two "Айгерим Сапарова" in two departments are two people),
    so the id decides; the name is what the screen shows and what the API, which only
    searches names, is asked for. ``department`` only tells namesakes apart on buttons.
    """

    name: str
    id: int | None = None
    department: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        cleaned = _clean_text(self.name)
        if cleaned is None:
            raise ValueError("an operator needs a name")
        object.__setattr__(self, "name", cleaned)
        if self.id is not None and (isinstance(self.id, bool) or not isinstance(self.id, int)):
            raise ValueError("operator id must be an integer")

    def dump(self) -> dict[str, Any]:
        """Compact JSON-able form for FSM data."""
        data: dict[str, Any] = {"n": self.name}
        if self.id is not None:
            data["i"] = self.id
        if self.department:
            data["d"] = self.department
        return data

    @classmethod
    def load(cls, data: Any) -> OperatorPick:
        """Inverse of :meth:`dump`; a bare string (stored before ids) is a name alone."""
        if isinstance(data, str):
            return cls(data)
        if not isinstance(data, dict):
            raise ValueError("operator data must be a mapping")
        name, ident, department = data.get("n"), data.get("i"), data.get("d")
        if not isinstance(name, str) or not (department is None or isinstance(department, str)):
            raise ValueError("malformed operator data")
        return cls(name, ident, department)


def pick_labels(picks: Sequence[OperatorPick]) -> list[str]:
    """Button labels: the name, plus the department (or the id) for namesakes."""
    counts = Counter(name_key(pick.name) for pick in picks)
    labels = []
    for pick in picks:
        if counts[name_key(pick.name)] < 2:
            labels.append(pick.name)
        elif pick.department:
            labels.append(f"{pick.name} · {pick.department}")
        elif pick.id is not None:
            labels.append(f"{pick.name} · #{pick.id}")
        else:
            labels.append(pick.name)
    return labels


def _check_range(name: str, value: int | None, allowed: range | tuple[int, ...]) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value not in allowed:
        raise ValueError(f"{name} out of range: {value!r}")


def _clean_text(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = " ".join(value.split())
    return cleaned or None


@dataclass(frozen=True, slots=True)
class CallQuery:
    """Any combination of field filters plus a period; ``None`` means "any".

    ``operator`` alone is typed text: calls of every operator whose name contains it.
    With ``operator_exact`` it is the name of one person picked from a button, who is
    matched by ``operator_id`` when set (records without an id: by the exact name).
    """

    department_id: int | None = None
    operator: str | None = None
    call_type: int | None = None
    question_pack_id: int | None = None
    loyalty: int | None = None
    loyalty_max: int | None = None
    signal: str | None = None
    period: Period = Period(PeriodKind.TODAY)
    operator_id: int | None = None
    operator_exact: bool = False

    FILTER_FIELDS: ClassVar[tuple[str, ...]] = (
        "department_id",
        "operator",
        "call_type",
        "question_pack_id",
        "loyalty",
        "loyalty_max",
        "signal",
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "operator", _clean_text(self.operator))
        object.__setattr__(self, "signal", _clean_text(self.signal))
        if self.operator_id is not None and (
            isinstance(self.operator_id, bool) or not isinstance(self.operator_id, int)
        ):
            raise ValueError("operator_id must be an integer")
        if not isinstance(self.operator_exact, bool):
            raise ValueError("operator_exact must be a boolean")
        if self.operator is None and (self.operator_id is not None or self.operator_exact):
            raise ValueError("an exact operator needs a name")
        if self.operator_id is not None and not self.operator_exact:
            raise ValueError("an operator id is an exact match")
        _check_range("call_type", self.call_type, CALL_TYPES)
        _check_range("loyalty", self.loyalty, LOYALTY_RANGE)
        _check_range("loyalty_max", self.loyalty_max, LOYALTY_RANGE)
        for name in ("department_id", "question_pack_id"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise ValueError(f"{name} must be an integer")

    def with_(self, **changes: Any) -> CallQuery:
        return dataclasses.replace(self, **changes)

    def with_operator(self, pick: OperatorPick) -> CallQuery:
        """Only this person's calls."""
        return self.with_(operator=pick.name, operator_id=pick.id, operator_exact=True)

    def with_operator_text(self, text: str) -> CallQuery:
        """Calls of every operator whose name contains ``text``."""
        return self.with_(operator=text, operator_id=None, operator_exact=False)

    def without_operator(self) -> CallQuery:
        return self.with_(operator=None, operator_id=None, operator_exact=False)

    @property
    def operator_pick(self) -> OperatorPick | None:
        """The person picked, or ``None`` for no operator filter or typed text."""
        if self.operator is None or not self.operator_exact:
            return None
        return OperatorPick(self.operator, self.operator_id)

    def is_empty_filter(self) -> bool:
        return all(getattr(self, name) is None for name in self.FILTER_FIELDS)

    def to_dict(self) -> dict[str, Any]:
        """Compact JSON-able form for FSM data: short keys, ``None`` fields left out."""
        data: dict[str, Any] = {
            short: getattr(self, name)
            for short, name in _SHORT_KEYS.items()
            if getattr(self, name) is not None
        }
        if self.operator_id is not None:
            data["oi"] = self.operator_id
        if self.operator_exact:
            data["ox"] = True
        data["p"] = self.period.kind.value
        if self.period.start is not None and self.period.end is not None:
            data["ps"] = self.period.start.isoformat()
            data["pe"] = self.period.end.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CallQuery:
        """Inverse of :meth:`to_dict`; raises ``ValueError`` on malformed data."""
        if not isinstance(data, dict):
            raise ValueError("query data must be a mapping")
        try:
            kind = PeriodKind(data.get("p", PeriodKind.TODAY.value))
            if kind is PeriodKind.CUSTOM:
                start, end = date.fromisoformat(data["ps"]), date.fromisoformat(data["pe"])
                period = Period.custom(start, end)
            else:
                period = Period(kind)
        except (KeyError, TypeError) as exc:
            raise ValueError(f"malformed period: {exc}") from exc
        values = {name: data.get(short) for short, name in _SHORT_KEYS.items()}
        for name in ("operator", "signal"):
            if values[name] is not None and not isinstance(values[name], str):
                raise ValueError(f"{name} must be a string")
        # Absent in queries stored before operators were told apart: typed text, as then.
        exact = data.get("ox", False)
        if not isinstance(exact, bool):
            raise ValueError("operator_exact must be a boolean")
        return cls(period=period, operator_id=data.get("oi"), operator_exact=exact, **values)

    def fingerprint(self) -> str:
        """A short string, stable across processes, identifying this query."""
        canonical = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False)
        digest = hashlib.blake2b(canonical.encode(), digest_size=6).digest()
        return base64.urlsafe_b64encode(digest).decode()


_SHORT_KEYS: dict[str, str] = {
    "d": "department_id",
    "o": "operator",
    "t": "call_type",
    "q": "question_pack_id",
    "l": "loyalty",
    "lm": "loyalty_max",
    "s": "signal",
}
