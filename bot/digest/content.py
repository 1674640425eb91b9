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
from bot.query.model import name_key
from bot.reports.stats import TOP_SIGNALS, severity, top_with_ties

WORST_CALLS: Final = 5
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
    """Bad calls per operator (a person: an ``operatorId``), most first; namesakes are
    told apart by their department."""
    signals: list[tuple[str, int]] = field(default_factory=list)
    """Signal words heard in bad calls, most frequent first; the top ``TOP_SIGNALS`` and
    every word tied with the last of them."""
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


def _severity(call: BadCall) -> tuple[float, int, float, float]:
    """As the summary's worst calls (``stats.severity``: the worse of rating ×10 and
    script score, so an unrated call with a very low score ranks too), then lower
    rating, lower score, the most recent."""
    badness = severity(call.rating, call.score)
    rating = call.rating if call.rating is not None else 99
    score = call.score if call.score is not None else 999.0
    stamp = call.moment.timestamp() if call.moment is not None else 0.0
    return (badness if badness is not None else 999.0, rating, score, -stamp)


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


def _person(record: RawRecord) -> int | str:
    """Who made the call: the ``operatorId``, else the folded name ("" when unknown)."""
    ident = raw.operator_id(record)
    if ident is not None:
        return ident
    name = raw.operator_name(record)
    return name_key(name) if name is not None else ""


def _department(record: RawRecord) -> str | None:
    name = raw.department_name(record)
    if name is not None:
        return name
    ident = raw.department_id(record)
    return str(ident) if ident is not None else None


def _operator_rows(
    counts: Counter[int | str], people: dict[int | str, tuple[str, str | None]]
) -> list[tuple[str, int]]:
    """(label, bad calls), most first; a name shared by several people gets the department."""
    shared = Counter(name_key(name) for name, _ in people.values())
    labels: dict[int | str, str] = {}
    for person, (name, department) in people.items():
        namesake = shared[name_key(name)] > 1 and name != UNKNOWN_OPERATOR
        labels[person] = f"{name} ({department})" if namesake and department else name
    # Namesakes in one department: the id is all that tells them apart.
    repeated = Counter(labels.values())
    rows = [
        (f"{labels[person]} (#{person})" if repeated[labels[person]] > 1 else labels[person], n)
        for person, n in counts.items()
    ]
    return sorted(rows, key=lambda item: (-item[1], item[0]))


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
    per_operator: Counter[int | str] = Counter()
    people: dict[int | str, tuple[str, str | None]] = {}
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
        person = _person(record)
        per_operator[person] += 1
        if person not in people:
            people[person] = (raw.operator_name(record) or UNKNOWN_OPERATOR, _department(record))
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
        per_operator=_operator_rows(per_operator, people),
        signals=top_with_ties(signals, TOP_SIGNALS),
        worst=candidates[:worst],
        handled=handled_count,
        ratings=dict(ratings),
        bad_records=bad_records,
    )
