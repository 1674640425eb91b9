"""Trends over weeks and months: the figures of a weekly or monthly report and of /op's trend.

One fetch covers the whole range (8 weeks, 6 months); the records are split here by
their local date into periods, and every figure comes from ``compute_stats`` of one
period. Pure functions, no I/O.

Definitions the screens state:

* Script % is the average script score over the calls that have one; the bad-call
  share is the bad calls' percent of all calls (the caller's bad-call rule).
* A change is the difference of the two figures as shown (whole percents, ratings
  with one decimal), so it always equals what a reader subtracts on screen.
* Most improved and most declined operators: by the change of their script %, among
  operators with at least ``min_calls`` scored calls in both periods; ties go to
  the larger bad-call share change the other way, then more calls, then the name.
  With fewer than two such operators there is no ranking.
* Criteria that fell: per question pack and criterion number (never across packs),
  among criteria marked in at least ``min_calls`` calls in both periods, by the change
  of the average mark as shown (one decimal).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Final
from zoneinfo import ZoneInfo

from bot.aiokk import raw
from bot.aiokk.raw import RawRecord
from bot.reports.fmt import rounded, whole
from bot.reports.stats import (
    MIN_OPERATOR_CALLS,
    BadCallTest,
    CallStats,
    CriterionStats,
    OperatorStats,
    PackKey,
    compute_stats,
)

Span = tuple[date, date]
"""An inclusive range of local dates."""

TREND_WEEKS: Final = 8
TREND_MONTHS: Final = 6
MOVERS: Final = 3
FALLEN_PER_PACK: Final = 3


def week_of(day: date) -> Span:
    """The Monday–Sunday week ``day`` falls in."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def month_of(day: date) -> Span:
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def weeks_until(last: Span, count: int = TREND_WEEKS) -> list[Span]:
    """``count`` consecutive weeks, oldest first, the last being ``last``'s week."""
    monday = week_of(last[0])[0]
    return [week_of(monday - timedelta(weeks=back)) for back in range(count - 1, -1, -1)]


def months_until(last: Span, count: int = TREND_MONTHS) -> list[Span]:
    """``count`` consecutive calendar months, oldest first, the last being ``last``'s."""
    spans = [month_of(last[0])]
    while len(spans) < count:
        spans.insert(0, month_of(spans[0][0] - timedelta(days=1)))
    return spans


def local_day(record: RawRecord, tz: ZoneInfo) -> date | None:
    """The call's local date (the date the period filter goes by)."""
    moment = raw.call_date(record)
    if moment is None or moment.utcoffset() is None:
        return None
    return moment.astimezone(tz).date()


def split_by_span(
    records: Iterable[RawRecord], spans: Sequence[Span], tz: ZoneInfo
) -> list[list[RawRecord]]:
    """The records of each span (spans are consecutive); the rest are dropped."""
    parts: list[list[RawRecord]] = [[] for _ in spans]
    for record in records:
        day = local_day(record, tz)
        if day is None:
            continue
        for index, (start, end) in enumerate(spans):
            if start <= day <= end:
                parts[index].append(record)
                break
    return parts


@dataclass(frozen=True)
class TrendPoint:
    """One week or month of the trend chart; ``None`` figures for a period with no calls."""

    span: Span
    calls: int
    script: float | None
    bad_share: float | None


def trend_points(
    parts: Sequence[Sequence[RawRecord]], spans: Sequence[Span], bad: BadCallTest
) -> list[TrendPoint]:
    points: list[TrendPoint] = []
    for span, records in zip(spans, parts, strict=True):
        stats = compute_stats(records, bad=bad)
        points.append(TrendPoint(span, stats.total, stats.avg_score, stats.bad_share))
    return points


# ------------------------------------------------------------------ comparing two periods


def _shown_whole(value: float | None) -> int | None:
    return whole(value) if value is not None else None


def _shown_tenths(value: float | None) -> Decimal | None:
    return rounded(value, 1) if value is not None else None


def whole_change(now: float | None, before: float | None) -> int | None:
    """The change of a percent figure as shown (whole numbers)."""
    shown_now, shown_before = _shown_whole(now), _shown_whole(before)
    if shown_now is None or shown_before is None:
        return None
    return shown_now - shown_before


def tenths_change(now: float | None, before: float | None) -> Decimal | None:
    """The change of a figure shown with one decimal (a rating, a criterion mark)."""
    shown_now, shown_before = _shown_tenths(now), _shown_tenths(before)
    if shown_now is None or shown_before is None:
        return None
    return shown_now - shown_before


def person_of(stats: OperatorStats) -> int | str:
    """An operator across periods: the ``operatorId``, else the name (as ``compute_stats``)."""
    return stats.operator_id if stats.operator_id is not None else stats.name


@dataclass(frozen=True)
class OperatorRow:
    """One operator in the report's table: this period's figures and the period before."""

    name: str
    now: OperatorStats | None
    before: OperatorStats | None

    @property
    def script_change(self) -> int | None:
        if self.now is None or self.before is None:
            return None
        return whole_change(self.now.avg_score, self.before.avg_score)

    @property
    def bad_share_change(self) -> int | None:
        if self.now is None or self.before is None:
            return None
        return whole_change(self.now.bad_share, self.before.bad_share)

    def ranked(self, min_calls: int) -> bool:
        return (
            self.now is not None
            and self.before is not None
            and self.now.scored >= min_calls
            and self.before.scored >= min_calls
        )


@dataclass(frozen=True)
class FallenCriterion:
    pack_id: int | None
    pack_title: str | None
    number: int
    now: CriterionStats
    before: CriterionStats

    @property
    def change(self) -> Decimal:
        change = tenths_change(self.now.avg_mark, self.before.avg_mark)
        assert change is not None
        return change


@dataclass(frozen=True)
class PeriodComparison:
    current: CallStats
    previous: CallStats
    rows: list[OperatorRow]
    """Operators of either period: this period's most calls first, then those absent now."""
    improved: list[OperatorRow]
    declined: list[OperatorRow]
    ranked: int
    """Operators that met the minimum in both periods (no ranking below two)."""
    fallen: list[list[FallenCriterion]]
    """Per question pack (in pack order), its criteria that fell the most."""
    min_calls: int


def _rows(current: CallStats, previous: CallStats) -> list[OperatorRow]:
    before = {person_of(op): op for op in previous.operators}
    rows: list[OperatorRow] = []
    seen: set[int | str] = set()
    for op in current.operators:
        person = person_of(op)
        seen.add(person)
        rows.append(OperatorRow(op.name, op, before.get(person)))
    gone = [op for op in previous.operators if person_of(op) not in seen]
    rows += [OperatorRow(op.name, None, op) for op in gone]
    return rows


def _movers(
    rows: list[OperatorRow], min_calls: int
) -> tuple[list[OperatorRow], list[OperatorRow], int]:
    ranked = [row for row in rows if row.ranked(min_calls)]
    if len(ranked) < 2:
        return [], [], len(ranked)

    def key(row: OperatorRow, sign: int) -> tuple[int, int, int, str]:
        assert row.now is not None
        script = row.script_change or 0
        bad = row.bad_share_change or 0
        return (-sign * script, sign * bad, -row.now.calls, row.name.casefold())

    improved = sorted(
        (row for row in ranked if (row.script_change or 0) > 0), key=lambda r: key(r, 1)
    )
    declined = sorted(
        (row for row in ranked if (row.script_change or 0) < 0), key=lambda r: key(r, -1)
    )
    return improved[:MOVERS], declined[:MOVERS], len(ranked)


def _fallen(current: CallStats, previous: CallStats, min_calls: int) -> list[list[FallenCriterion]]:
    per_pack: dict[PackKey, list[FallenCriterion]] = {}
    for key, now in current.criteria.items():
        before = previous.criteria.get(key)
        if before is None or now.count < min_calls or before.count < min_calls:
            continue
        item = FallenCriterion(now.pack_id, now.pack_title, now.number, now, before)
        if item.change < 0:
            per_pack.setdefault(key[0], []).append(item)
    ordered: list[list[FallenCriterion]] = []
    for items in per_pack.values():  # current.criteria is in pack order already
        items.sort(key=lambda item: (item.change, item.number))
        ordered.append(items[:FALLEN_PER_PACK])
    return ordered


def compare_periods(
    current: Iterable[RawRecord],
    previous: Iterable[RawRecord],
    bad: BadCallTest,
    *,
    min_calls: int = MIN_OPERATOR_CALLS,
) -> PeriodComparison:
    """This period against the one before: per operator, movers and fallen criteria."""
    now = compute_stats(current, bad=bad, min_operator_calls=min_calls)
    before = compute_stats(previous, bad=bad, min_operator_calls=min_calls)
    rows = _rows(now, before)
    improved, declined, ranked = _movers(rows, min_calls)
    return PeriodComparison(
        current=now,
        previous=before,
        rows=rows,
        improved=improved,
        declined=declined,
        ranked=ranked,
        fallen=_fallen(now, before, min_calls),
        min_calls=min_calls,
    )
