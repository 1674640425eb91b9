"""Aggregate figures over a set of calls, computed in one pass.

The same ``CallStats`` feeds the summary screen, the operator scorecard, the
digest and the summary sheet of an export, so it is computed once and rendered
many ways.

Definitions the screens state:

* Averages of the client rating and of the script score are taken over the calls
  that have one (``rated`` / ``scored`` of ``total``).
* Criterion N belongs to its question pack: statistics are kept per
  (pack, N) and never blended across packs.
* Best and lagging operators are those whose average script score, rounded as
  shown, is above or below the average of the whole selection, among operators
  with at least ``min_operator_calls`` calls; with one operator there is no ranking.
* Bad calls (``bad``, per operator too) are counted only when the caller gives the rule
  (a digest's bad-call rule): 0 otherwise.
* The worst calls are ranked by ``severity``: the worse of the client rating
  (×10) and the script score, so an unrated call with a very low score counts too.
* Top signal words keep every word tied with the last one shown (``top_with_ties``).
"""

from __future__ import annotations

import asyncio
import heapq
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Final, NamedTuple

from pydantic import ValidationError

from bot.aiokk.models import (
    _CRITERION_KEY,
    CallRecord,
    _to_float,
    _to_int,
    _to_str,
    parse_datetime,
    score_percent,
    split_signals,
)
from bot.aiokk.raw import RawRecord
from bot.reports.fmt import whole

LOW_RATING = 3
"""A client rating at or below this is a bad call."""

LOW_SCORE = 50.0
"""A script score in percent strictly below this is a failed script."""

TOP_SIGNALS = 5
"""Signal words shown at least; more when several share the last place."""
TOP_OPERATORS = 3
MIN_OPERATOR_CALLS = 3
"""Calls an operator needs in the selection to be ranked best or lagging."""
WORST_CALLS = 5
RAW_CHUNK = 1000
"""Raw records counted between two yields to the event loop: about 10 ms of work."""


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
    scored: int = 0
    """Calls with a script score: what ``avg_score`` averages."""
    bad: int = 0
    """Calls the caller's bad-call rule matched (see ``compute_stats``)."""

    @property
    def bad_share(self) -> float | None:
        """Percent of the operator's calls that are bad."""
        return 100.0 * self.bad / self.calls if self.calls else None


PackKey = tuple[int | None, str | None]
"""A question pack: ``(evaluationId, None)``, or ``(None, title)`` for a call without an id."""


def pack_key(pack_id: int | None, title: str | None) -> PackKey:
    """The pack a call's criteria belong to: its ``evaluationId``; without one, its title."""
    if pack_id is not None:
        return (pack_id, None)
    return (None, _clean_title(title))


def _clean_title(title: str | None) -> str | None:
    return " ".join(title.split()) or None if title else None


def pack_sort_key(pack_id: int | None, title: str | None) -> tuple[str, int]:
    """Packs in the order a reader looks for them: by title, then by id."""
    return ((title or "").casefold(), pack_id if pack_id is not None else -1)


@dataclass(frozen=True)
class CriterionStats:
    """Criterion ``number`` of one question pack, averaged over the calls it was marked in.

    ``descriptionN`` in the API is the AI's comment on one call, not the criterion's
    name, so a criterion is named by its pack and number only.
    """

    pack_id: int | None
    pack_title: str | None
    number: int
    avg_mark: float
    count: int


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
    bad: int = 0
    """Calls the caller's bad-call rule matched (0 without one)."""
    signals: Counter[str] = field(default_factory=Counter)
    """Number of calls in which each signal word was heard."""
    operators: tuple[OperatorStats, ...] = ()
    """Every operator seen, most calls first."""
    best_operators: tuple[OperatorStats, ...] = ()
    """Ranked operators whose average script score is above the selection's (best first)."""
    worst_operators: tuple[OperatorStats, ...] = ()
    """Ranked operators whose average script score is below the selection's (lowest first)."""
    min_operator_calls: int = MIN_OPERATOR_CALLS
    """Calls an operator needed to be ranked."""
    worst_calls: tuple[WorstCall, ...] = ()
    criteria: Mapping[tuple[PackKey, int], CriterionStats] = field(default_factory=dict)
    """Per (question pack, criterion number), packs in title order, numbers ascending."""

    @property
    def bad_share(self) -> float | None:
        """Percent of all calls that are bad."""
        return 100.0 * self.bad / self.total if self.total else None

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
        """The ``TOP_SIGNALS`` most heard words and every word tied with the last of them."""
        return top_with_ties(self.signals, TOP_SIGNALS)

    def weakest_criteria(self, n: int = 3) -> list[CriterionStats]:
        """The (pack, criterion) pairs with the lowest average mark; ties in pack order."""
        ordered = sorted(self.criteria.values(), key=lambda c: c.avg_mark)
        return ordered[:n]


def top_with_ties(counts: Mapping[str, int], n: int) -> list[tuple[str, int]]:
    """The ``n`` largest counts, most first (then alphabetically), plus every item tied
    with the ``n``-th: a cut-off never drops a word as frequent as one it shows."""
    if n <= 0:
        return []
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0].casefold(), item[0]))
    if len(ordered) <= n:
        return ordered
    cut = ordered[n - 1][1]
    return [item for item in ordered if item[1] >= cut]


def severity(rating: int | None, score: float | None) -> float | None:
    """How bad a call is on one 0–100 scale: the worse of the client rating ×10 and the
    script score in percent; ``None`` when the call has neither. Lower is worse."""
    if rating is None:
        return score
    if score is None:
        return 10.0 * rating
    return min(10.0 * rating, score)


BadCallTest = Callable[[RawRecord], bool]


def compute_stats(
    records: Iterable[RawRecord],
    *,
    min_operator_calls: int = MIN_OPERATOR_CALLS,
    bad: BadCallTest | None = None,
) -> CallStats:
    """Aggregate raw ``records`` in a single pass (the iterable is consumed once).

    Records that would not validate as a ``CallRecord`` are skipped. Fields are
    read straight from the dicts with the models' own coercions: building 20,000
    models takes seconds, this about 0.2 s. A record that names a field the way
    only the model understands (``call_type`` instead of ``callType``, say) goes
    through the model. In the event loop prefer ``compute_stats_async``.

    Best and lagging operators: see the module's docstring. ``bad`` tells a bad call
    (counted in ``CallStats.bad`` and ``OperatorStats.bad``).
    """
    totals = _Totals()
    known_keys: dict[str, Any] = {}
    for raw in records:
        _add_raw(totals, raw, known_keys, bad is not None and bad(raw))
    return totals.freeze(min_operator_calls)


async def compute_stats_async(
    records: Iterable[RawRecord],
    *,
    min_operator_calls: int = MIN_OPERATOR_CALLS,
    chunk: int = RAW_CHUNK,
) -> CallStats:
    """``compute_stats`` that yields to the event loop every ``chunk`` records."""
    if chunk < 1:
        raise ValueError("chunk must be at least 1")
    totals = _Totals()
    known_keys: dict[str, Any] = {}
    for index, raw in enumerate(records, start=1):
        _add_raw(totals, raw, known_keys, False)
        if index % chunk == 0:
            await asyncio.sleep(0)
    return totals.freeze(min_operator_calls)


def _add_raw(totals: _Totals, raw: RawRecord, known_keys: dict[str, Any], bad: bool) -> None:
    """Count one raw record; ``known_keys`` caches ``criterion_keys`` per key seen."""
    if not is_plain(raw):
        record = validated(raw)
        if record is not None:
            _add_model(totals, record, bad)
        return
    call = raw.get("call")
    if not isinstance(call, dict):
        return
    dialog_id = _to_int(call.get("dialogId"))
    if dialog_id is None:
        return  # the model requires it: such a record never validates

    rating: int | None = None
    score: float | None = None
    analytics = raw.get("analytics")
    if isinstance(analytics, dict):
        loyalty = analytics.get("clientLoyalty")
        if isinstance(loyalty, dict):
            rating = _to_int(loyalty.get("currentGrade"))
        evaluation = analytics.get("evaluationCriteria")
        if isinstance(evaluation, dict):
            score = score_percent(
                _to_float(evaluation.get("eCurrentGrade")),
                _to_float(evaluation.get("maxGrade")),
            )
            pack = totals.pack(
                _to_int(evaluation.get("evaluationId")), _to_str(evaluation.get("evaluationTitle"))
            )
            criteria = totals.criteria
            for key, value in evaluation.items():
                if not isinstance(value, dict):
                    continue
                keys = known_keys.get(key, _UNKNOWN)
                if keys is _UNKNOWN:
                    keys = known_keys[key] = criterion_keys(key)
                if keys is None:
                    continue
                mark_key = keys[1]
                # As criteria_from_raw reads them, with the coercion inlined:
                # this runs ten times per call.
                raw_mark: Any = value[mark_key] if mark_key in value else value.get("mark")
                mark = float(raw_mark) if type(raw_mark) in _PLAIN_NUMBERS else _to_float(raw_mark)
                if mark is None:
                    continue
                criterion = (pack, keys[0])
                criterion_agg = criteria.get(criterion)
                if criterion_agg is None:
                    criteria[criterion] = _CriterionAgg(mark)
                else:
                    criterion_agg.add(mark)
        signal_block = analytics.get("signals")
        if isinstance(signal_block, dict) and "mentionedSignals" in signal_block:
            words = split_signals(signal_block["mentionedSignals"])
            if words:
                totals.signals.update(set(words))

    name = ""
    operator_id: int | None = None
    operator = raw.get("operator")
    if isinstance(operator, dict):
        full_name = _to_str(operator.get("fullName"))
        if full_name:
            name = full_name.strip()
            operator_id = _to_int(operator.get("operatorId"))
    totals.add_call(
        raw,
        dialog_id,
        _to_int(call.get("callType")),
        _to_int(call.get("durationSec")),
        rating,
        score,
        name,
        operator_id,
        bad,
    )


_UNKNOWN: Final = object()
_PLAIN_NUMBERS: Final = (int, float)  # exact types: bool is not a number here

# Field names that only the models understand (they populate by name as well as
# by the API's alias), per block, for the fields the raw paths read.
_MODEL_ONLY_NAMES: Final[tuple[tuple[str, frozenset[str]], ...]] = (
    (
        "call",
        frozenset({"dialog_id", "call_type", "duration_sec", "caller_id", "caller_id_clean"}),
    ),
    (
        "operator",
        frozenset({"operator_id", "full_name", "int_num", "department_id", "department_name"}),
    ),
    ("analytics", frozenset({"client_loyalty", "evaluation"})),
)
_MODEL_ONLY_ANALYTICS: Final[tuple[tuple[str, frozenset[str]], ...]] = (
    ("clientLoyalty", frozenset({"current_grade"})),
    (
        "evaluationCriteria",
        frozenset({"evaluation_id", "evaluation_title", "current_grade", "max_grade", "criteria"}),
    ),
    ("signals", frozenset({"words"})),
)


@lru_cache(maxsize=1024)
def criterion_keys(key: str) -> tuple[int, str] | None:
    """For ``criterionN``: ``(N, "markN")``; ``None`` for other keys.

    The same dozen keys repeat in every record, so the answer is cached.
    """
    match = _CRITERION_KEY.match(key)
    if match is None:
        return None
    number = int(match.group(1))
    return number, f"mark{number}"


def is_plain(raw: RawRecord) -> bool:
    """Whether the raw readers see in ``raw`` exactly what the model would.

    False for the rare record that spells a field by its model name, or that
    carries a ready ``criteria`` list: only the model reads those.
    """
    for block_name, names in _MODEL_ONLY_NAMES:
        block = raw.get(block_name)
        if isinstance(block, dict) and not names.isdisjoint(block):
            return False
    analytics = raw.get("analytics")
    if isinstance(analytics, dict):
        for block_name, names in _MODEL_ONLY_ANALYTICS:
            block = analytics.get(block_name)
            if isinstance(block, dict) and not names.isdisjoint(block):
                return False
    return True


def validated(raw: RawRecord) -> CallRecord | None:
    """The model of ``raw``, or ``None`` when it does not validate."""
    try:
        return CallRecord.model_validate(raw)
    except ValidationError:
        return None


def _add_model(totals: _Totals, record: CallRecord, bad: bool) -> None:
    """Count one record that only the model can read (see ``is_plain``)."""
    call = record.call
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
            pack = totals.pack(evaluation.evaluation_id, evaluation.evaluation_title)
            for criterion in evaluation.criteria:
                if criterion.mark is not None:
                    totals.add_criterion(pack, criterion.number, criterion.mark)
        signal_block = analytics.signals
        if signal_block is not None and signal_block.words:
            totals.signals.update(set(signal_block.words))

    operator = record.operator
    name = ""
    operator_id: int | None = None
    if operator is not None and operator.full_name:
        name = operator.full_name.strip()
        operator_id = operator.operator_id
    totals.add_call(
        record,
        call.dialog_id,
        call.call_type,
        call.duration_sec,
        rating,
        score,
        name,
        operator_id,
        bad,
    )


def _record_date(record: CallRecord | RawRecord) -> datetime | None:
    if isinstance(record, CallRecord):
        return record.call.date or record.call.created_at
    call = record["call"]
    return parse_datetime(call.get("date")) or parse_datetime(call.get("created_at"))


# Worst = lowest severity, then lowest rating, then lowest score; missing values sort
# last. The heap keeps the WORST_CALLS worst so far as a max-heap, by negated key.
_WorstKey = tuple[int, float, int, int, int, float, int]


class _Totals:
    """Running sums for ``CallStats``; fed one call at a time (raw or, rarely, a model)."""

    def __init__(self) -> None:
        self.total = 0
        self.by_type = dict.fromkeys((1, 2, 3, 4), 0)
        self.duration_sum = 0
        self.duration_n = 0
        self.rating_sum = 0
        self.rated = 0
        self.low_rated = 0
        self.score_sum = 0.0
        self.scored = 0
        self.low_scored = 0
        self.bad = 0
        self.signals: Counter[str] = Counter()
        # A person is an operatorId; a name only for records without one.
        self.operators: dict[int | str, _OperatorAgg] = {}
        self.criteria: dict[tuple[PackKey, int], _CriterionAgg] = {}
        self.pack_titles: dict[PackKey, str | None] = {}
        """The first title seen per pack (records come newest first)."""
        self.worst: list[tuple[_WorstKey, WorstCall]] = []

    def pack(self, pack_id: int | None, title: str | None) -> PackKey:
        """The key of a call's question pack, remembering its title."""
        key = pack_key(pack_id, title)
        if self.pack_titles.get(key) is None:
            self.pack_titles[key] = _clean_title(title)
        return key

    def add_criterion(self, pack: PackKey, number: int, mark: float) -> None:
        criterion_agg = self.criteria.get((pack, number))
        if criterion_agg is None:
            self.criteria[(pack, number)] = _CriterionAgg(mark)
        else:
            criterion_agg.add(mark)

    def add_call(
        self,
        record: CallRecord | RawRecord,
        dialog_id: int,
        call_type: int | None,
        duration: int | None,
        rating: int | None,
        score: float | None,
        name: str,
        operator_id: int | None,
        bad: bool = False,
    ) -> None:
        """Count one call; ``name`` is the stripped operator name ("" when unknown)."""
        self.total += 1
        self.bad += bad
        if call_type is not None and call_type in self.by_type:
            self.by_type[call_type] += 1
        if duration is not None:
            self.duration_sum += duration
            self.duration_n += 1
        if rating is not None:
            self.rating_sum += rating
            self.rated += 1
            if rating <= LOW_RATING:
                self.low_rated += 1
        if score is not None:
            self.score_sum += score
            self.scored += 1
            if score < LOW_SCORE:
                self.low_scored += 1
        if name:
            person: int | str = operator_id if operator_id is not None else name
            operator_agg = self.operators.get(person)
            if operator_agg is None:
                operator_agg = self.operators[person] = _OperatorAgg(operator_id, name)
            operator_agg.add(rating, score, bad)

        badness = severity(rating, score)
        key = (
            -(badness is None),
            -(badness if badness is not None else 0.0),
            -(rating is None),
            -(rating if rating is not None else 0),
            -(score is None),
            -(score if score is not None else 0.0),
            -self.total,
        )
        worst = self.worst
        if len(worst) < WORST_CALLS or key > worst[0][0]:
            # The date is read only for the few calls that make it into the heap.
            item = WorstCall(dialog_id, rating, score, name or None, _record_date(record))
            if len(worst) < WORST_CALLS:
                heapq.heappush(worst, (key, item))
            else:
                heapq.heapreplace(worst, (key, item))

    def freeze(self, min_operator_calls: int) -> CallStats:
        operator_stats = tuple(
            sorted(
                (agg.freeze() for agg in self.operators.values()),
                key=lambda op: (-op.calls, op.name, op.operator_id or 0),
            )
        )
        rated, scored = self.rated, self.scored
        avg_score = self.score_sum / scored if scored else None
        best: list[OperatorStats] = []
        lagging: list[OperatorStats] = []
        if len(operator_stats) > 1 and avg_score is not None:
            # Compared as shown (whole percents): a "best" score never reads as the average.
            team = whole(avg_score)
            for op in operator_stats:
                if op.calls < min_operator_calls or op.avg_score is None:
                    continue
                shown = whole(op.avg_score)
                if shown > team:
                    best.append(op)
                elif shown < team:
                    lagging.append(op)
        best.sort(key=lambda op: (-(op.avg_score or 0.0), -op.calls, op.name))
        lagging.sort(key=lambda op: (op.avg_score or 0.0, -op.calls, op.name))

        titles = self.pack_titles
        criteria = sorted(
            (
                (
                    (pack, number),
                    CriterionStats(
                        pack_id=pack[0],
                        pack_title=titles.get(pack),
                        number=number,
                        avg_mark=agg.total / agg.count,
                        count=agg.count,
                    ),
                )
                for (pack, number), agg in self.criteria.items()
            ),
            key=lambda item: (*pack_sort_key(item[1].pack_id, item[1].pack_title), item[1].number),
        )
        return CallStats(
            total=self.total,
            by_type=self.by_type,
            total_duration=self.duration_sum,
            avg_duration=self.duration_sum / self.duration_n if self.duration_n else None,
            rated=rated,
            avg_rating=self.rating_sum / rated if rated else None,
            low_rated=self.low_rated,
            scored=scored,
            avg_score=avg_score,
            low_scored=self.low_scored,
            bad=self.bad,
            signals=self.signals,
            operators=operator_stats,
            best_operators=tuple(best[:TOP_OPERATORS]),
            worst_operators=tuple(lagging[:TOP_OPERATORS]),
            min_operator_calls=min_operator_calls,
            worst_calls=tuple(item for _, item in sorted(self.worst, reverse=True)),
            criteria=dict(criteria),
        )


class _OperatorAgg:
    __slots__ = (
        "bad",
        "calls",
        "low_ratings",
        "name",
        "operator_id",
        "rating_n",
        "rating_sum",
        "score_n",
        "score_sum",
    )

    def __init__(self, operator_id: int | None, name: str) -> None:
        self.operator_id = operator_id
        self.name = name
        self.calls = 0
        self.rating_sum = 0
        self.rating_n = 0
        self.score_sum = 0.0
        self.score_n = 0
        self.low_ratings = 0
        self.bad = 0

    def add(self, rating: int | None, score: float | None, bad: bool) -> None:
        self.calls += 1
        self.bad += bad
        if rating is not None:
            self.rating_sum += rating
            self.rating_n += 1
            if rating <= LOW_RATING:
                self.low_ratings += 1
        if score is not None:
            self.score_sum += score
            self.score_n += 1

    def freeze(self) -> OperatorStats:
        return OperatorStats(
            name=self.name,
            operator_id=self.operator_id,
            calls=self.calls,
            avg_rating=self.rating_sum / self.rating_n if self.rating_n else None,
            avg_score=self.score_sum / self.score_n if self.score_n else None,
            low_ratings=self.low_ratings,
            scored=self.score_n,
            bad=self.bad,
        )


class _CriterionAgg:
    __slots__ = ("count", "total")

    def __init__(self, mark: float) -> None:
        self.total = mark
        self.count = 1

    def add(self, mark: float) -> None:
        self.total += mark
        self.count += 1
