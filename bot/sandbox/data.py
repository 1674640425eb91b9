"""Deterministic, realistic aiokk export records for the sandbox server.

``generate_records(count, seed, now)`` always returns the same records for the
same arguments. Records are shaped exactly like the spec example (string
``departmentId``, ``criterionN`` objects, comma-joined ``mentionedSignals``,
``+05`` local dates) and carry the quirks real data has at small shares: null
blocks, empty signal strings, missing summaries.
"""

from __future__ import annotations

import gc
import math
import random
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import cache
from typing import Any, TypeVar

from bot.sandbox.catalog import (
    ALL_SIGNALS,
    DEPARTMENTS_BY_ID,
    MILD_SIGNALS,
    OPERATORS,
    PACKS_BY_ID,
    SIGNALS_TITLE,
    STRONG_SIGNALS,
    Operator,
    QuestionPack,
)
from bot.sandbox.phrases import (
    CRITERION_DETAILS,
    CRITERION_TEMPLATES,
    EVALUATION_RECOMMENDATIONS,
    LONG_NARRATIVE,
    LOYALTY_DESCRIPTIONS,
    LOYALTY_RECOMMENDATIONS,
    SUMMARY_BODY,
    SUMMARY_CLOSINGS,
    SUMMARY_OPENINGS,
    SUMMARY_SIGNAL_QUOTES,
    SUMMARY_TOPICS,
)

LOCAL_TZ = timezone(timedelta(hours=5))
DAYS = 30
FIRST_DIALOG_ID = 1000

_WORK_START = 9 * 3600
_WORK_END = 19 * 3600
_EXTENDED_START = 7 * 3600 + 1800
_EXTENDED_END = 22 * 3600
_DAY_SECONDS = 24 * 3600
_WEEKDAY_WEIGHTS = (1.0, 1.0, 1.0, 1.0, 0.95, 0.45, 0.25)

_CALL_TYPES = (1, 2, 3, 4)
_KZ_MOBILE_CODES = (700, 701, 702, 705, 707, 708, 747, 771, 775, 776, 777, 778)
_KZ_CITY_CODES = (727, 717, 7172, 7212)

# Shares of records with a block missing, as real exports have.
_QUIRKS = (
    ("operator", 0.015),
    ("summary", 0.02),
    ("loyalty", 0.03),
    ("evaluation", 0.03),
    ("signals", 0.03),
)
_T = TypeVar("_T")


def generate_records(
    count: int, seed: int, now: datetime | None = None, *, whole_day: bool = False
) -> list[dict[str, Any]]:
    """Build ``count`` records spread over the 30 local days up to ``now``, oldest first.

    A naive ``now`` is taken as local system time (``datetime.astimezone`` semantics).
    ``whole_day`` also plans the rest of today, for a sandbox that reveals calls as their
    time comes (see ``release_time``).
    """
    if count <= 0:
        return []
    local_now = (now or datetime.now(UTC)).astimezone(LOCAL_TZ).replace(microsecond=0)
    if whole_day:
        local_now = local_now.replace(hour=23, minute=59, second=59)
    rng = random.Random(seed)
    # A separate stream for timestamps keeps the content of the n-th call stable
    # whatever ``now`` is.
    moments = _call_moments(_Dice(random.Random(rng.getrandbits(64))), count, local_now)
    long_count = min(count, max(2, math.ceil(count * 0.012)))
    long_indices = set(rng.sample(range(count), long_count))
    dice = _Dice(rng)
    operator_weights = _cumulative([operator.volume for operator in OPERATORS])
    records: list[dict[str, Any]] = []
    dialog_id = FIRST_DIALOG_ID
    # Tens of thousands of fresh dicts trigger pointless cyclic-GC passes; none
    # of them can form a cycle.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for index, (moment, conflict) in enumerate(moments):
            dialog_id += dice.between(1, 3)
            operator = dice.weighted(OPERATORS, operator_weights)
            builder = _CallBuilder(
                dice, operator, moment, local_now, long=index in long_indices, conflict=conflict
            )
            records.append(builder.build(dialog_id))
    finally:
        if gc_was_enabled:
            gc.enable()
    return records


def release_time(record: dict[str, Any]) -> datetime:
    """When a live instance starts exporting a call: once its analysis has finished."""
    analytics = record.get("analytics") or {}
    finished = analytics.get("finishDate")
    if isinstance(finished, str):
        return datetime.fromisoformat(finished).replace(tzinfo=LOCAL_TZ)
    return datetime.fromisoformat(record["call"]["date"])


def next_local_midnight(now: datetime) -> datetime:
    """The start of the next local day after ``now``."""
    tomorrow = now.astimezone(LOCAL_TZ).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(), LOCAL_TZ)


def local_days(now: datetime) -> list[date]:
    """The 30 local calendar days the data covers, oldest first (today last)."""
    today = now.astimezone(LOCAL_TZ).date()
    return [today - timedelta(days=offset) for offset in range(DAYS - 1, -1, -1)]


def _cumulative(weights: Sequence[float]) -> list[float]:
    total = 0.0
    result = []
    for weight in weights:
        total += weight
        result.append(total)
    return result


def _call_moments(dice: _Dice, count: int, now: datetime) -> list[tuple[datetime, bool]]:
    """Sorted call times: mostly working hours, never in the future, no empty day.

    Each is paired with whether it is the day's sure conflict: one call a day, weekends
    included, goes badly, so a digest of any day (a demo's Monday morning) has something
    to show.
    """
    today = now.date()
    days = local_days(now)
    elapsed_today = now.hour * 3600 + now.minute * 60 + now.second
    weights = [_WEEKDAY_WEIGHTS[day.weekday()] for day in days]
    # Today has only had part of its working hours so far.
    worked = min(max(elapsed_today - _WORK_START, 0), _WORK_END - _WORK_START)
    weights[-1] *= max(worked / (_WORK_END - _WORK_START), 0.05)
    cumulative = _cumulative(weights)
    # One call reserved for each day first, so every recent day has calls.
    chosen = days[-count:] if count < DAYS else list(days)
    reserved = len(chosen)
    chosen.extend(dice.weighted(days, cumulative) for _ in range(count - len(chosen)))
    midnights = {day: datetime.combine(day, time(), LOCAL_TZ) for day in days}
    moments = []
    for position, day in enumerate(chosen):
        limit = elapsed_today if day == today else _DAY_SECONDS - 1
        moment = midnights[day] + timedelta(seconds=_time_of_day(dice, limit))
        moments.append((moment, position < reserved))
    moments.sort()
    return moments


def _time_of_day(dice: _Dice, limit: int) -> int:
    """Seconds after local midnight, at most ``limit``."""
    for _ in range(4):
        roll = dice.random()
        if roll < 0.86:
            seconds = dice.between(_WORK_START, _WORK_END - 1)
        elif roll < 0.99:
            seconds = dice.between(_EXTENDED_START, _EXTENDED_END)
        else:
            seconds = dice.below(_DAY_SECONDS)
        if seconds <= limit:
            return seconds
    return dice.between(0, max(limit, 0))


@dataclass(frozen=True, slots=True)
class _Quality:
    loyalty: int
    marks: list[int]
    band: str


class _Dice:
    """Fast draws built on ``Random.random()``.

    ``Random.choice``/``randint``/``sample``/``gauss`` are pure Python layers
    over ``random()``; calling it directly roughly halves the generation time
    of 50,000 records.
    """

    __slots__ = ("random",)

    def __init__(self, rng: random.Random) -> None:
        self.random = rng.random

    def below(self, n: int) -> int:
        return int(self.random() * n)

    def between(self, low: int, high: int) -> int:
        return low + int(self.random() * (high - low + 1))

    def pick(self, items: Sequence[_T]) -> _T:
        return items[int(self.random() * len(items))]

    def weighted(self, items: Sequence[_T], cumulative: Sequence[float]) -> _T:
        return items[bisect_right(cumulative, self.random() * cumulative[-1])]

    def sample(self, items: Sequence[_T], k: int) -> list[_T]:
        k = min(k, len(items))
        chosen: list[int] = []
        while len(chosen) < k:
            index = int(self.random() * len(items))
            if index not in chosen:
                chosen.append(index)
        return [items[index] for index in chosen]

    def noise(self, sigma: float) -> float:
        """Roughly normal with standard deviation ``sigma`` (sum of three uniforms)."""
        r = self.random
        return (r() + r() + r() - 1.5) * 2.0 * sigma


class _CallBuilder:
    """Builds one record; all randomness comes from the shared dice in a fixed order."""

    def __init__(
        self,
        dice: _Dice,
        operator: Operator,
        moment: datetime,
        now: datetime,
        *,
        long: bool,
        conflict: bool,
    ) -> None:
        self.dice = dice
        self.operator = operator
        self.moment = moment
        self.now = now
        self.long = long
        self.conflict = conflict
        self.department = DEPARTMENTS_BY_ID[operator.department_id]

    def build(self, dialog_id: int) -> dict[str, Any]:
        dice = self.dice
        call_types, packs = _department_weights(self.department.id)
        call_type = dice.weighted(_CALL_TYPES, call_types)
        pack = PACKS_BY_ID[42] if self.long else dice.weighted(*packs)
        quality = self._quality(pack)
        languages = self._languages()
        lang = "en" if languages == ["en"] or dice.random() < 0.55 else "ru"
        signals = self._signals(quality.band)
        duration = self._duration(quality.band)
        quirks = self._quirks()
        summary = None
        if "summary" not in quirks:
            summary = self._summary(lang, call_type, quality.band, signals)
        evaluation = None
        if "evaluation" not in quirks:
            evaluation = self._evaluation(lang, pack, quality)
        analytics: dict[str, Any] = {
            "status": 3,
            "price": 300 if duration > 600 else 150,
            "finishDate": self._finish_date(duration),
            "summary": summary,
            "languages": languages,
            "clientLoyalty": None if "loyalty" in quirks else self._loyalty(lang, quality),
            "evaluationCriteria": evaluation,
            "signals": None if "signals" in quirks else _signals_block(signals),
            "markers": [],
        }
        return {
            "call": self._call(dialog_id, call_type, duration),
            "operator": None if "operator" in quirks else self._operator(),
            "analytics": analytics,
        }

    # -- quality model -------------------------------------------------------

    def _quality(self, pack: QuestionPack) -> _Quality:
        dice = self.dice
        conflict = self.long or dice.random() < 0.12 + (1.0 - self.operator.skill) * 0.15
        conflict = conflict or self.conflict
        quality = self.operator.skill + dice.noise(0.12) - (0.4 if conflict else 0.0)
        quality = min(max(quality, 0.02), 0.98)
        loyalty = _clamp(round(1 + 9 * quality + dice.noise(1.2)), 1, 10)
        if self.conflict:
            # The day's sure conflict: a client upset enough for any "bad call" rule.
            loyalty = min(loyalty, 3)
        marks = [
            _clamp(round(10 * quality + 0.5 + dice.noise(1.5) + offset), 1, 10)
            for offset in _difficulties(pack.id)
        ]
        percent = 10 * sum(marks) / len(marks)
        if loyalty <= 3 or percent < 45:
            band = "bad"
        elif loyalty <= 6 or percent < 70:
            band = "mid"
        else:
            band = "good"
        return _Quality(loyalty=loyalty, marks=marks, band=band)

    def _signals(self, band: str) -> list[str]:
        dice = self.dice
        if self.long:
            return dice.sample(STRONG_SIGNALS, 8) + dice.sample(MILD_SIGNALS, 3)
        if band == "bad":
            strong = dice.sample(STRONG_SIGNALS, dice.between(1, 5))
            return strong + dice.sample(MILD_SIGNALS, dice.between(0, 2))
        if band == "mid":
            return dice.sample(ALL_SIGNALS[:14], dice.pick((0, 0, 1, 1, 2, 3)))
        return dice.sample(MILD_SIGNALS, 1) if dice.random() < 0.18 else []

    def _quirks(self) -> frozenset[str]:
        if self.long or self.conflict:
            return frozenset()
        random = self.dice.random
        return frozenset(name for name, share in _QUIRKS if random() < share)

    def _languages(self) -> list[str]:
        roll = self.dice.random()
        if roll < 0.8:
            return ["ru"]
        if roll < 0.92:
            return ["ru", "kk"]
        return ["en"]

    def _duration(self, band: str) -> int:
        if self.long:
            return self.dice.between(900, 2400)
        median = 170 if band == "bad" else 130
        return _clamp(round(median * math.exp(self.dice.noise(0.7))), 8, 3600)

    # -- blocks ----------------------------------------------------------------

    def _call(self, dialog_id: int, call_type: int, duration: int) -> dict[str, Any]:
        caller, clean = self._caller_id()
        utc = self.moment.astimezone(UTC)
        return {
            "dialogId": dialog_id,
            "created_at": utc.strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
            "callerId": caller,
            "callerIdClean": clean,
            "callType": call_type,
            "date": self.moment.strftime("%Y-%m-%d %H:%M:%S") + "+05",
            "durationSec": duration,
            "durationMin": math.ceil(duration / 60),
        }

    def _caller_id(self) -> tuple[str, str]:
        dice = self.dice
        codes = _KZ_MOBILE_CODES if dice.random() < 0.85 else _KZ_CITY_CODES
        code = str(dice.pick(codes))
        width = 10 - len(code)
        rest = str(dice.below(10**width)).zfill(width)
        if len(code) == 3:
            pretty = f"+7 ({code}) {rest[:3]} {rest[3:5]} {rest[5:]}"
        else:
            pretty = f"+7 ({code}) {rest[:2]} {rest[2:4]} {rest[4:]}"
        return pretty, f"7{code}{rest}"

    def _finish_date(self, duration: int) -> str:
        processing = timedelta(seconds=duration + self.dice.between(40, 900))
        finished = min(self.moment + processing, self.now)
        return finished.strftime("%Y-%m-%dT%H:%M:%S")

    def _operator(self) -> dict[str, Any]:
        operator = self.operator
        return {
            "operatorId": operator.id,
            "fullName": operator.full_name,
            "intNum": operator.int_num,
            "departmentId": str(self.department.id),
            "departmentName": self.department.name,
        }

    def _summary(self, lang: str, call_type: int, band: str, signals: list[str]) -> str:
        dice = self.dice
        parts = [
            dice.pick(SUMMARY_OPENINGS[lang][call_type]),
            dice.pick(SUMMARY_TOPICS[lang][self.department.topic]),
        ]
        if self.long:
            parts.extend(LONG_NARRATIVE[lang])
        body = SUMMARY_BODY[lang][band]
        parts.extend(dice.sample(body, dice.between(1, 4)))
        if signals and band != "good":
            quoted = ", ".join(f"'{word}'" for word in signals[:3])
            parts.append(dice.pick(SUMMARY_SIGNAL_QUOTES[lang]).format(quotes=quoted))
        parts.append(dice.pick(SUMMARY_CLOSINGS[lang][band]))
        return " ".join(part for part in parts if part)

    def _loyalty(self, lang: str, quality: _Quality) -> dict[str, Any]:
        dice = self.dice
        band = _loyalty_band(quality.loyalty)
        descriptions = LOYALTY_DESCRIPTIONS[lang][band]
        recommendations = LOYALTY_RECOMMENDATIONS[lang][band]
        return {
            "currentGrade": quality.loyalty,
            "description": " ".join(
                dice.sample(descriptions, len(descriptions) if self.long else dice.between(1, 2))
            ),
            "recommendation": " ".join(
                dice.sample(recommendations, 3 if self.long else dice.between(1, 2))
            ),
        }

    def _evaluation(self, lang: str, pack: QuestionPack, quality: _Quality) -> dict[str, Any]:
        dice = self.dice
        total = sum(quality.marks)
        maximum = 10 * len(quality.marks)
        pool = EVALUATION_RECOMMENDATIONS[lang][_score_band(100 * total / maximum)]
        block: dict[str, Any] = {
            "evaluationId": pack.id,
            "evaluationTitle": pack.title,
            "eCurrentGrade": total,
            "maxGrade": maximum,
            "evaluationRecommendation": " ".join(
                dice.sample(pool, len(pool) if self.long else dice.between(1, 2))
            ),
        }
        for number, mark in enumerate(quality.marks, start=1):
            variants = _criterion_texts(pack.id, number - 1, lang, _mark_band(mark))
            description = dice.pick(variants)
            if self.long:
                description = f"{description} {dice.pick(variants)}"
            block[f"criterion{number}"] = {
                f"description{number}": description,
                f"mark{number}": mark,
            }
        return block


def _signals_block(signals: list[str]) -> dict[str, Any]:
    return {
        "signalsTitle": SIGNALS_TITLE,
        "count": len(signals),
        "mentionedSignals": ", ".join(signals),
    }


@cache
def _department_weights(
    department_id: int,
) -> tuple[list[float], tuple[list[QuestionPack], list[float]]]:
    """Cumulative call-type weights and (packs, cumulative weights) of one department."""
    department = DEPARTMENTS_BY_ID[department_id]
    packs = [PACKS_BY_ID[pack_id] for pack_id, _ in department.packs]
    pack_weights = _cumulative([weight for _, weight in department.packs])
    return _cumulative(department.call_types), (packs, pack_weights)


@cache
def _difficulties(pack_id: int) -> tuple[float, ...]:
    """A fixed offset per criterion, so some script steps are reliably weaker than others."""
    count = len(PACKS_BY_ID[pack_id].criteria)
    return tuple(((pack_id * 7 + index * 13) % 5 - 2) * 0.5 for index in range(count))


def _clamp(value: int, low: int, high: int) -> int:
    return min(max(value, low), high)


def _mark_band(mark: int) -> str:
    return "bad" if mark <= 4 else "mid" if mark <= 7 else "good"


def _loyalty_band(loyalty: int) -> str:
    return "bad" if loyalty <= 3 else "mid" if loyalty <= 6 else "good"


def _score_band(percent: float) -> str:
    return "bad" if percent < 50 else "mid" if percent < 75 else "good"


@cache
def _criterion_texts(pack_id: int, index: int, lang: str, band: str) -> tuple[str, ...]:
    """Every template x detail combination for one criterion, built once."""
    topic = getattr(PACKS_BY_ID[pack_id].criteria[index], lang)
    texts = []
    for template in CRITERION_TEMPLATES[lang][band]:
        head = template.format(topic=topic, Topic=topic[:1].upper() + topic[1:])
        for detail in CRITERION_DETAILS[lang][band]:
            texts.append(f"{head} {detail}".strip())
    return tuple(texts)
