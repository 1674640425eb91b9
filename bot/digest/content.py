"""The figures of one digest, computed from raw records in one pass (no Telegram, no I/O)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Final

from bot.aiokk import raw
from bot.aiokk.raw import RawRecord
from bot.digest.rule import BadCallMatcher, Reason

WORST_CALLS: Final = 5
TOP_SIGNALS: Final = 5
UNKNOWN_OPERATOR: Final = "–"


@dataclass(frozen=True, slots=True)
class BadCall:
    dialog_id: int
    rating: int | None
    score: float | None
    operator: str | None
    moment: datetime | None
    summary: str | None
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class DigestFigures:
    start: date
    end: date
    total: int
    bad: int
    previous_total: int | None = None
    previous_bad: int | None = None
    per_operator: list[tuple[str, int]] = field(default_factory=list)
    """Bad calls per operator, most first."""
    signals: list[tuple[str, int]] = field(default_factory=list)
    """Signal words heard in bad calls, most frequent first."""
    worst: list[BadCall] = field(default_factory=list)
    """The worst bad calls nobody has marked handled yet."""
    handled: int = 0
    """Bad calls left out of ``worst`` because they were already handled."""
    ratings: dict[int, int] = field(default_factory=dict)
    """Client ratings of all calls in the period: rating → calls."""
    bad_records: list[RawRecord] = field(default_factory=list, repr=False)

    @property
    def bad_share(self) -> float:
        return 100.0 * self.bad / self.total if self.total else 0.0


def _severity(call: BadCall) -> tuple[int, float, float]:
    """Lower rating first, then lower score, then the most recent."""
    rating = call.rating if call.rating is not None else 99
    score = call.score if call.score is not None else 999.0
    stamp = call.moment.timestamp() if call.moment is not None else 0.0
    return (rating, score, -stamp)


def _bad_call(record: RawRecord, dialog_id: int, found: list[Reason]) -> BadCall:
    analytics = record.get("analytics")
    summary = analytics.get("summary") if isinstance(analytics, dict) else None
    return BadCall(
        dialog_id=dialog_id,
        rating=raw.loyalty(record),
        score=raw.score(record),
        operator=raw.operator_name(record),
        moment=raw.call_date(record),
        summary=summary if isinstance(summary, str) and summary.strip() else None,
        reasons=tuple(found),
    )


def count_bad(records: Iterable[RawRecord], matcher: BadCallMatcher) -> int:
    return sum(1 for record in records if matcher.is_bad(record))


def compute_figures(
    records: Iterable[RawRecord],
    matcher: BadCallMatcher,
    *,
    start: date,
    end: date,
    previous: Iterable[RawRecord] | None = None,
    handled: Collection[int] = (),
    worst: int = WORST_CALLS,
) -> DigestFigures:
    """Totals, bad calls per operator, frequent signals and the worst unhandled calls."""
    total = 0
    per_operator: Counter[str] = Counter()
    signals: Counter[str] = Counter()
    ratings: Counter[int] = Counter()
    candidates: list[BadCall] = []
    bad_records: list[RawRecord] = []
    handled_count = 0
    for record in records:
        total += 1
        rating = raw.loyalty(record)
        if rating is not None:
            ratings[rating] += 1
        found = matcher.reasons(record)
        if not found:
            continue
        bad_records.append(record)
        per_operator[raw.operator_name(record) or UNKNOWN_OPERATOR] += 1
        for word in dict.fromkeys(raw.signal_words(record)):
            signals[word] += 1
        dialog_id = raw.dialog_id(record)
        if dialog_id is None:
            continue
        if dialog_id in handled:
            handled_count += 1
            continue
        candidates.append(_bad_call(record, dialog_id, found))
    candidates.sort(key=_severity)
    previous_total: int | None = None
    previous_bad: int | None = None
    if previous is not None:
        previous_list = list(previous)
        previous_total = len(previous_list)
        previous_bad = count_bad(previous_list, matcher)
    return DigestFigures(
        start=start,
        end=end,
        total=total,
        bad=len(bad_records),
        previous_total=previous_total,
        previous_bad=previous_bad,
        per_operator=sorted(per_operator.items(), key=lambda item: (-item[1], item[0])),
        signals=sorted(signals.items(), key=lambda item: (-item[1], item[0]))[:TOP_SIGNALS],
        worst=candidates[:worst],
        handled=handled_count,
        ratings=dict(ratings),
        bad_records=bad_records,
    )
