"""Aggregate figures over a set of calls, computed in one pass.

The same ``CallStats`` feeds the summary screen, the operator scorecard, the
digest and the summary sheet of an export, so it is computed once and rendered
many ways.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from bot.aiokk.models import CallRecord

LOW_RATING = 3
"""A client rating at or below this is a bad call."""

LOW_SCORE = 50.0
"""A script score in percent strictly below this is a failed script."""

TOP_SIGNALS = 5
TOP_OPERATORS = 3
WORST_CALLS = 5


class WorstCall(NamedTuple):
    dialog_id: int
    rating: int | None
    score: float | None
    operator: str | None
    date: datetime | None


@dataclass(frozen=True)
class OperatorStats:
    name: str
    operator_id: int | None
    calls: int
    avg_rating: float | None
    avg_score: float | None
    low_ratings: int


@dataclass(frozen=True)
class CriterionStats:
    number: int
    avg_mark: float
    count: int
    description: str | None
    """Explanation attached to the lowest mark seen: it says what went wrong."""


@dataclass(frozen=True)
class CallStats:
    total: int = 0
    by_type: Mapping[int, int] = field(default_factory=dict)
    """Calls per type 1..4 (all four keys present); other or missing types are not counted."""
    total_duration: int = 0
    avg_duration: float | None = None
    rated: int = 0
    avg_rating: float | None = None
    low_rated: int = 0
    scored: int = 0
    avg_score: float | None = None
    low_scored: int = 0
    signals: Counter[str] = field(default_factory=Counter)
    """Number of calls in which each signal word was heard."""
    operators: tuple[OperatorStats, ...] = ()
    """Every operator seen, most calls first."""
    best_operators: tuple[OperatorStats, ...] = ()
    worst_operators: tuple[OperatorStats, ...] = ()
    worst_calls: tuple[WorstCall, ...] = ()
    criteria: Mapping[int, CriterionStats] = field(default_factory=dict)

    @property
    def low_rating_share(self) -> float | None:
        """Percent of rated calls with a rating ≤ ``LOW_RATING``."""
        return 100.0 * self.low_rated / self.rated if self.rated else None

    @property
    def low_score_share(self) -> float | None:
        """Percent of scored calls below ``LOW_SCORE``."""
        return 100.0 * self.low_scored / self.scored if self.scored else None

    @property
    def top_signals(self) -> list[tuple[str, int]]:
        return self.signals.most_common(TOP_SIGNALS)

    def weakest_criteria(self, n: int = 3) -> list[CriterionStats]:
        """Criteria with the lowest average mark, ties broken by criterion number."""
        ordered = sorted(self.criteria.values(), key=lambda c: (c.avg_mark, c.number))
        return ordered[:n]


def compute_stats(records: Iterable[CallRecord], *, min_operator_calls: int = 3) -> CallStats:
    """Aggregate ``records`` in a single pass (the iterable is consumed once).

    Best and worst operators are ranked by average script score among operators
    with at least ``min_operator_calls`` calls; with fewer than six such operators
    they are split between the two lists, so nobody appears in both.
    """
    total = 0
    by_type = dict.fromkeys((1, 2, 3, 4), 0)
    duration_sum = 0
    duration_n = 0
    rating_sum = 0
    rated = 0
    low_rated = 0
    score_sum = 0.0
    scored = 0
    low_scored = 0
    signals: Counter[str] = Counter()
    operators: dict[str, _OperatorAgg] = {}
    criteria: dict[int, _CriterionAgg] = {}
    # Max-heap (by negated key) of the WORST_CALLS worst calls seen so far.
    worst: list[tuple[tuple[int, int, int, float, int], WorstCall]] = []

    for record in records:
        total += 1
        call = record.call
        call_type = call.call_type
        if call_type is not None and call_type in by_type:
            by_type[call_type] += 1
        duration = call.duration_sec
        if duration is not None:
            duration_sum += duration
            duration_n += 1

        rating: int | None = None
        score: float | None = None
        analytics = record.analytics
        if analytics is not None:
            loyalty = analytics.client_loyalty
            if loyalty is not None:
                rating = loyalty.current_grade
            evaluation = analytics.evaluation
            if evaluation is not None:
                current, maximum = evaluation.current_grade, evaluation.max_grade
                if current is not None and maximum:
                    score = 100.0 * current / maximum
                for criterion in evaluation.criteria:
                    mark = criterion.mark
                    if mark is None:
                        continue
                    criterion_agg = criteria.get(criterion.number)
                    if criterion_agg is None:
                        criteria[criterion.number] = _CriterionAgg(mark, criterion.description)
                    else:
                        criterion_agg.add(mark, criterion.description)
            signal_block = analytics.signals
            if signal_block is not None and signal_block.words:
                signals.update(set(signal_block.words))

        if rating is not None:
            rating_sum += rating
            rated += 1
            if rating <= LOW_RATING:
                low_rated += 1
        if score is not None:
            score_sum += score
            scored += 1
            if score < LOW_SCORE:
                low_scored += 1

        operator = record.operator
        name = ""
        if operator is not None and operator.full_name:
            name = operator.full_name.strip()
            if name:
                operator_agg = operators.get(name)
                if operator_agg is None:
                    operator_agg = operators[name] = _OperatorAgg(operator.operator_id)
                operator_agg.add(rating, score)

        # Worst = lowest rating, then lowest score; missing values sort last.
        key = (
            -(rating is None),
            -(rating if rating is not None else 0),
            -(score is None),
            -(score if score is not None else 0.0),
            -total,
        )
        if len(worst) < WORST_CALLS:
            heapq.heappush(worst, (key, _worst_call(record, rating, score, name)))
        elif key > worst[0][0]:
            heapq.heapreplace(worst, (key, _worst_call(record, rating, score, name)))

    operator_stats = tuple(
        sorted(
            (agg.freeze(name) for name, agg in operators.items()),
            key=lambda op: (-op.calls, op.name),
        )
    )
    eligible = [
        op for op in operator_stats if op.calls >= min_operator_calls and op.avg_score is not None
    ]
    # With few operators, split them so that nobody is both best and worst.
    best_count = min(TOP_OPERATORS, (len(eligible) + 1) // 2)
    worst_count = min(TOP_OPERATORS, len(eligible) - best_count)
    best = sorted(eligible, key=lambda op: (-(op.avg_score or 0.0), -op.calls, op.name))
    best = best[:best_count]
    best_names = {op.name for op in best}
    worst_ops = sorted(
        (op for op in eligible if op.name not in best_names),
        key=lambda op: (op.avg_score or 0.0, -op.calls, op.name),
    )[:worst_count]

    return CallStats(
        total=total,
        by_type=by_type,
        total_duration=duration_sum,
        avg_duration=duration_sum / duration_n if duration_n else None,
        rated=rated,
        avg_rating=rating_sum / rated if rated else None,
        low_rated=low_rated,
        scored=scored,
        avg_score=score_sum / scored if scored else None,
        low_scored=low_scored,
        signals=signals,
        operators=operator_stats,
        best_operators=tuple(best),
        worst_operators=tuple(worst_ops),
        worst_calls=tuple(item for _, item in sorted(worst, reverse=True)),
        criteria={number: agg.freeze(number) for number, agg in sorted(criteria.items())},
    )


def _worst_call(
    record: CallRecord, rating: int | None, score: float | None, name: str
) -> WorstCall:
    call = record.call
    return WorstCall(call.dialog_id, rating, score, name or None, call.date or call.created_at)


class _OperatorAgg:
    __slots__ = (
        "calls",
        "low_ratings",
        "operator_id",
        "rating_n",
        "rating_sum",
        "score_n",
        "score_sum",
    )

    def __init__(self, operator_id: int | None) -> None:
        self.operator_id = operator_id
        self.calls = 0
        self.rating_sum = 0
        self.rating_n = 0
        self.score_sum = 0.0
        self.score_n = 0
        self.low_ratings = 0

    def add(self, rating: int | None, score: float | None) -> None:
        self.calls += 1
        if rating is not None:
            self.rating_sum += rating
            self.rating_n += 1
            if rating <= LOW_RATING:
                self.low_ratings += 1
        if score is not None:
            self.score_sum += score
            self.score_n += 1

    def freeze(self, name: str) -> OperatorStats:
        return OperatorStats(
            name=name,
            operator_id=self.operator_id,
            calls=self.calls,
            avg_rating=self.rating_sum / self.rating_n if self.rating_n else None,
            avg_score=self.score_sum / self.score_n if self.score_n else None,
            low_ratings=self.low_ratings,
        )


class _CriterionAgg:
    __slots__ = ("count", "described_mark", "description", "total")

    def __init__(self, mark: float, description: str | None) -> None:
        self.total = mark
        self.count = 1
        self.description = description or None
        self.described_mark = mark if description else math.inf

    def add(self, mark: float, description: str | None) -> None:
        self.total += mark
        self.count += 1
        # Keep the explanation of the lowest mark: it tells what went wrong.
        if description and (mark < self.described_mark or self.description is None):
            self.described_mark = mark
            self.description = description

    def freeze(self, number: int) -> CriterionStats:
        return CriterionStats(
            number=number,
            avg_mark=self.total / self.count,
            count=self.count,
            description=self.description,
        )
