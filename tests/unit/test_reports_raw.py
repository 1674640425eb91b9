"""Statistics and exports read raw record dicts the way the models would.

``compute_stats``, ``row_values`` and the writers never build a ``CallRecord``
for an ordinary record; these tests check their results on the sandbox's
realistic data and on deliberately messy records (bad types, broken blocks,
model-only field names) against figures worked out from each record's model.
"""

from __future__ import annotations

import asyncio
import csv
import io
import random
from collections import Counter
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl  # type: ignore[import-untyped]
import pytest

from bot.aiokk.models import CallRecord
from bot.reports.export import (
    _LEAD_COLUMNS,
    _TAIL_COLUMNS,
    CriteriaColumns,
    SummarySheet,
    _type_names,
    criteria_layout,
    headers,
    row_values,
    write_csv,
    write_xlsx,
)
from bot.reports.stats import (
    LOW_RATING,
    LOW_SCORE,
    CallStats,
    compute_stats,
    compute_stats_async,
    is_plain,
    validated,
)
from bot.sandbox import generate_records
from tests.unit.test_reports_stats import fixture_raws

ALMATY = ZoneInfo("Asia/Almaty")
NOW = datetime(2025, 4, 21, 9, 0, tzinfo=UTC)


def models_of(raws: list[dict[str, Any]]) -> list[CallRecord]:
    return [record for raw in raws if (record := validated(raw)) is not None]


# --- messy records -----------------------------------------------------------------


def _number(rng: random.Random) -> Any:
    return rng.choice(
        [None, 0, 3, 7, 10, -2, 2.5, 7.0, "8", " 9 ", "4,5", "6.75", "1e1", "x", "", True, [], {}]
    )


def _text(rng: random.Random) -> Any:
    return rng.choice([None, "", "  ", "Айгерим", " Иван  Иванович ", "=cmd", 42, 1.5, True, []])


def _date(rng: random.Random) -> Any:
    return rng.choice(
        [
            None,
            "",
            "2025-04-21 12:06:15+05",
            "2025-04-20T07:06:15.000000Z",
            "2025-04-19 23:59:59",
            "not a date",
            17,
        ]
    )


def _block(rng: random.Random, make: Any) -> Any:
    roll = rng.random()
    if roll < 0.1:
        return None
    if roll < 0.15:
        return rng.choice(["broken", 5, [1, 2]])
    return make()


def messy_raw(rng: random.Random, index: int) -> dict[str, Any]:
    """A record with the kinds of noise real exports have, and some they should not."""

    def call() -> dict[str, Any]:
        block: dict[str, Any] = {
            "dialogId": rng.choice([index, str(index), f" {index} ", float(index), None, "x"])
            if rng.random() < 0.15
            else index,
            "created_at": _date(rng),
            "callerId": _text(rng),
            "callerIdClean": _text(rng),
            "callType": _number(rng),
            "date": _date(rng),
            "durationSec": _number(rng),
        }
        if rng.random() < 0.05:
            del block["dialogId"]
        if rng.random() < 0.05:
            block[rng.choice(["call_type", "duration_sec", "dialog_id"])] = 2
        return block

    def operator() -> dict[str, Any]:
        block = {
            "operatorId": _number(rng),
            "fullName": _text(rng),
            "intNum": _number(rng),
            "departmentId": _number(rng),
            "departmentName": _text(rng),
        }
        if rng.random() < 0.05:
            block["full_name"] = "Snake Case"
        return block

    def loyalty() -> dict[str, Any]:
        block = {
            "currentGrade": _number(rng),
            "description": _text(rng),
            "recommendation": _text(rng),
        }
        if rng.random() < 0.05:
            block["current_grade"] = 4
        return block

    def evaluation() -> dict[str, Any]:
        block: dict[str, Any] = {
            "evaluationId": _number(rng),
            "evaluationTitle": _text(rng),
            "eCurrentGrade": _number(rng),
            "maxGrade": _number(rng),
        }
        for number in rng.sample(range(1, 13), rng.randint(0, 6)):
            key = f"criterion{number}" if rng.random() < 0.9 else f"criterion0{number}"
            block[key] = rng.choice(
                [
                    {f"description{number}": _text(rng), f"mark{number}": _number(rng)},
                    {"description": _text(rng), "mark": _number(rng)},
                    {f"mark{number}": _number(rng)},
                    "not a dict",
                ]
            )
        if rng.random() < 0.03:
            block["criteria"] = rng.choice([[], "bad", [{"number": 1, "mark": 2}]])
        return block

    def signals() -> dict[str, Any]:
        block: dict[str, Any] = {"count": _number(rng)}
        if rng.random() < 0.9:
            block["mentionedSignals"] = rng.choice(
                [None, "", "дорого", "дорого, блин,  ,скидка", ["a", "b"], 5]
            )
        if rng.random() < 0.03:
            block["words"] = rng.choice([["x"], "bad"])
        return block

    def analytics() -> dict[str, Any]:
        block: dict[str, Any] = {
            "status": _number(rng),
            "price": _number(rng),
            "summary": _text(rng),
            "languages": rng.choice([None, [], ["ru"], ["ru", "kk"], "en", [None, "kz"]]),
            "clientLoyalty": _block(rng, loyalty),
            "evaluationCriteria": _block(rng, evaluation),
            "signals": _block(rng, signals),
        }
        for key in ("clientLoyalty", "evaluationCriteria", "signals", "summary"):
            if rng.random() < 0.1:
                del block[key]
        return block

    raw: dict[str, Any] = {"call": call() if rng.random() > 0.02 else "broken"}
    for name, make in (("operator", operator), ("analytics", analytics)):
        if rng.random() < 0.9:
            raw[name] = _block(rng, make)
    return raw


def messy_raws(seed: int, count: int = 400) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [messy_raw(rng, index) for index in range(1, count + 1)]


DATASETS = {
    "fixture": fixture_raws,
    "sandbox": lambda: generate_records(300, 7, NOW),
    "messy-1": lambda: messy_raws(1),
    "messy-2": lambda: messy_raws(2),
    "messy-3": lambda: messy_raws(3),
}


@pytest.fixture(params=sorted(DATASETS))
def raws(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = DATASETS[request.param]()
    return data


# --- stats -------------------------------------------------------------------------


def figures(stats: CallStats) -> dict[str, Any]:
    """The countable part of ``stats``, rounded where sums may differ in the last bit."""
    return {
        "total": stats.total,
        "by_type": dict(stats.by_type),
        "total_duration": stats.total_duration,
        "rated": stats.rated,
        "low_rated": stats.low_rated,
        "avg_rating": stats.avg_rating,
        "scored": stats.scored,
        "low_scored": stats.low_scored,
        "avg_score": None if stats.avg_score is None else round(stats.avg_score, 9),
        "signals": dict(stats.signals),
        "operators": {
            op.operator_id if op.operator_id is not None else op.name: op.calls
            for op in stats.operators
        },
        "criteria": {key: (c.count, round(c.avg_mark, 9)) for key, c in stats.criteria.items()},
    }


def model_pack(model: CallRecord) -> tuple[int | None, str | None]:
    """The question pack of a model's criteria: its id, or its title without one."""
    evaluation = model.evaluation
    if evaluation is None:
        return (None, None)
    if evaluation.evaluation_id is not None:
        return (evaluation.evaluation_id, None)
    title = " ".join((evaluation.evaluation_title or "").split())
    return (None, title or None)


def expected_figures(models: list[CallRecord]) -> dict[str, Any]:
    """``figures`` worked out directly from the models of the records that validate."""
    types = Counter(m.call.call_type for m in models if m.call.call_type in (1, 2, 3, 4))
    durations = [m.call.duration_sec for m in models if m.call.duration_sec is not None]
    ratings = [m.loyalty for m in models if m.loyalty is not None]
    scores = [m.score for m in models if m.score is not None]
    signals: Counter[str] = Counter()
    operators: Counter[int | str] = Counter()
    marks: dict[tuple[tuple[int | None, str | None], int], list[float]] = {}
    for model in models:
        signals.update(set(model.signal_words))
        name = (model.operator_name or "").strip()
        if name:
            operator_id = model.operator.operator_id if model.operator else None
            operators[operator_id if operator_id is not None else name] += 1
        evaluation = model.evaluation
        for criterion in evaluation.criteria if evaluation else []:
            if criterion.mark is not None:
                marks.setdefault((model_pack(model), criterion.number), []).append(criterion.mark)
    return {
        "total": len(models),
        "by_type": {call_type: types[call_type] for call_type in (1, 2, 3, 4)},
        "total_duration": sum(durations),
        "rated": len(ratings),
        "low_rated": sum(1 for rating in ratings if rating <= LOW_RATING),
        "avg_rating": sum(ratings) / len(ratings) if ratings else None,
        "scored": len(scores),
        "low_scored": sum(1 for score in scores if score < LOW_SCORE),
        "avg_score": round(sum(scores) / len(scores), 9) if scores else None,
        "signals": dict(signals),
        "operators": dict(operators),
        "criteria": {
            key: (len(values), round(sum(values) / len(values), 9)) for key, values in marks.items()
        },
    }


def test_messy_data_exercises_every_path() -> None:
    raws = messy_raws(1)
    models = models_of(raws)
    assert 0 < len(models) < len(raws)  # some records do not validate
    assert any(not is_plain(raw) for raw in raws)
    stats = compute_stats(raws)
    assert stats.total == len(models)
    assert stats.criteria and stats.signals and stats.operators  # they survive the noise


def test_stats_match_the_models(raws: list[dict[str, Any]]) -> None:
    models = models_of(raws)
    stats = compute_stats(raws)
    assert figures(stats) == expected_figures(models)
    assert {call.dialog_id for call in stats.worst_calls} <= {m.dialog_id for m in models}
    assert len(stats.worst_calls) == min(5, len(models))


def test_stats_consume_any_iterable_once(raws: list[dict[str, Any]]) -> None:
    assert compute_stats(iter(raws), min_operator_calls=1) == compute_stats(
        raws, min_operator_calls=1
    )


async def test_async_stats_equal_and_yield(raws: list[dict[str, Any]]) -> None:
    switches = 0

    async def count_switches() -> None:
        nonlocal switches
        while True:
            await asyncio.sleep(0)
            switches += 1

    counter = asyncio.create_task(count_switches())
    await asyncio.sleep(0)  # let the counter start
    before = switches
    stats = await compute_stats_async(raws, chunk=50)
    yielded = switches - before
    counter.cancel()
    assert stats == compute_stats(raws)
    assert yielded >= len(raws) // 50  # other tasks ran while it counted


async def test_async_stats_reject_an_empty_chunk() -> None:
    with pytest.raises(ValueError, match="chunk"):
        await compute_stats_async([], chunk=0)


def test_model_only_field_names_go_through_the_model() -> None:
    raw = fixture_raws()[0]
    del raw["call"]["callType"]
    raw["call"]["call_type"] = 4
    assert not is_plain(raw)
    stats = compute_stats([raw])
    assert stats.total == 1
    assert stats.by_type[4] == 1  # what the model reads from the snake_case name
    assert stats.avg_score == 30.0


# --- rows and files ----------------------------------------------------------------

_KEYS = [*_LEAD_COLUMNS, *_TAIL_COLUMNS]


def _row_fields(row: list[Any], width: int) -> tuple[dict[str, Any], list[Any]]:
    """The named columns of ``row`` and its criteria marks."""
    lead = len(_LEAD_COLUMNS)
    named = dict(zip(_KEYS, [*row[:lead], *row[lead + width :]], strict=True))
    return named, row[lead : lead + width]


def test_criteria_layout(raws: list[dict[str, Any]]) -> None:
    highest: dict[tuple[int | None, str | None], int] = {}
    for model in models_of(raws):
        if model.evaluation is not None and model.evaluation.criteria:
            pack = model_pack(model)
            highest[pack] = max(highest.get(pack, 0), model.evaluation.criteria[-1].number)
    layout = criteria_layout(raws)
    assert {pack.key: pack.count for pack in layout} == highest
    assert len(layout) == len(highest)  # each pack once
    assert criteria_layout([]) == []


@pytest.mark.parametrize("per_pack", [True, False], ids=["xlsx", "csv"])
def test_rows_read_what_the_models_read(raws: list[dict[str, Any]], per_pack: bool) -> None:
    names = _type_names("ru")
    layout = criteria_layout(raws)
    columns = (CriteriaColumns.per_pack if per_pack else CriteriaColumns.shared_columns)(layout)
    width = columns.width
    # Where each pack's criterion 1 goes: after the packs before it, or always first.
    starts: dict[tuple[int | None, str | None], int] = {}
    offset = 0
    for pack in layout:
        starts[pack.key] = offset if per_pack else 0
        offset += pack.count
    for raw in raws:
        record = validated(raw)
        row = row_values(raw, ALMATY, columns, names)
        if record is None:
            assert row is None
            continue
        assert row is not None and len(row) == len(_KEYS) + width
        assert all(
            value is None or type(value) in (str, int, float, datetime) for value in row
        )  # no bools, lists or dicts leak into a cell
        named, marks = _row_fields(row, width)
        assert named["dialog_id"] == record.dialog_id
        moment = record.call.date or record.call.created_at
        if moment is None:
            assert named["date"] is None
        else:
            local = moment if moment.tzinfo is None else moment.astimezone(ALMATY)
            assert named["date"] == local.replace(tzinfo=None)
        assert named["duration"] == record.call.duration_sec
        assert named["operator"] == record.operator_name
        assert named["rating"] == record.loyalty
        score = record.score
        assert named["score"] == (None if score is None else pytest.approx(round(score, 2)))
        expected_marks: list[Any] = [None] * width
        for criterion in record.evaluation.criteria if record.evaluation else []:
            if criterion.mark is not None:
                expected_marks[starts[model_pack(record)] + criterion.number - 1] = criterion.mark
        assert marks == expected_marks
        assert named["pack_id"] == (record.evaluation.evaluation_id if record.evaluation else None)
        words = record.signal_words
        assert named["signals"] == (", ".join(words) if words else None)
        assert named["summary"] == record.summary


def test_csv_of_messy_records(raws: list[dict[str, Any]]) -> None:
    models = models_of(raws)
    packs = criteria_layout(raws)
    buffer = io.StringIO(newline="")
    progress: list[int] = []
    written = write_csv(
        raws,
        buffer,
        tz=ALMATY,
        lang="en",
        packs=packs,
        delimiter=",",
        progress=progress.append,
    )
    assert written == len(models)
    assert progress[-1] == written
    text = buffer.getvalue()
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0] == headers("en", CriteriaColumns.shared_columns(packs))
    assert len(rows) == 1 + len(models)
    assert all(len(row) == len(rows[0]) for row in rows)
    assert [row[0] for row in rows[1:]] == [str(model.dialog_id) for model in models]


def test_xlsx_of_messy_records(raws: list[dict[str, Any]]) -> None:
    models = models_of(raws)
    packs = criteria_layout(raws)
    buffer = io.BytesIO()
    written = write_xlsx(
        raws,
        buffer,
        tz=ALMATY,
        lang="ru",
        packs=packs,
        summary=SummarySheet(figures=[("Total", len(models)), ("Note", "raw")]),
    )
    assert written == len(models)
    book = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert list(rows[0]) == headers("ru", CriteriaColumns.per_pack(packs))
    assert [row[0] for row in rows[1:]] == [model.dialog_id for model in models]
    summary = list(book.worksheets[1].iter_rows(min_row=2, values_only=True))
    assert summary == [("Total", len(models)), ("Note", "raw")]
