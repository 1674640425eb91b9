"""The raw-record fast paths give exactly what the model paths give.

``compute_stats_raw``, ``row_values_raw`` and the raw writers skip building
``CallRecord`` models; these tests hold them to the models' results on the
sandbox's realistic data and on deliberately messy records.
"""

from __future__ import annotations

import asyncio
import io
import random
import zipfile
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.aiokk.models import CallRecord
from bot.reports.export import (
    _type_names,
    max_criteria_of,
    max_criteria_raw,
    row_values,
    row_values_raw,
    write_csv,
    write_csv_raw,
    write_xlsx,
    write_xlsx_raw,
)
from bot.reports.stats import (
    compute_stats,
    compute_stats_raw,
    compute_stats_raw_async,
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


def test_messy_data_exercises_every_path() -> None:
    raws = messy_raws(1)
    models = models_of(raws)
    assert 0 < len(models) < len(raws)  # some records do not validate
    assert any(not is_plain(raw) for raw in raws)
    assert compute_stats(models).criteria  # criteria survive the noise


def test_stats_from_raw_equal_stats_from_models(raws: list[dict[str, Any]]) -> None:
    expected = compute_stats(models_of(raws))
    assert compute_stats_raw(raws) == expected
    assert compute_stats_raw(iter(raws), min_operator_calls=1) == compute_stats(
        models_of(raws), min_operator_calls=1
    )


def test_stats_from_raw_of_nothing() -> None:
    assert compute_stats_raw([]) == compute_stats([])


async def test_async_stats_from_raw_equal_and_yield(raws: list[dict[str, Any]]) -> None:
    switches = 0

    async def count_switches() -> None:
        nonlocal switches
        while True:
            await asyncio.sleep(0)
            switches += 1

    counter = asyncio.create_task(count_switches())
    await asyncio.sleep(0)  # let the counter start
    before = switches
    stats = await compute_stats_raw_async(raws, chunk=50)
    yielded = switches - before
    counter.cancel()
    assert stats == compute_stats(models_of(raws))
    assert yielded >= len(raws) // 50  # other tasks ran while it counted


async def test_async_stats_reject_an_empty_chunk() -> None:
    with pytest.raises(ValueError, match="chunk"):
        await compute_stats_raw_async([], chunk=0)


def test_model_only_field_names_go_through_the_model() -> None:
    raw = fixture_raws()[0]
    raw["call"]["call_type"] = raw["call"].pop("callType")
    raw["call"]["call_type"] = 4
    assert not is_plain(raw)
    stats = compute_stats_raw([raw])
    assert stats.by_type[4] == 1  # what the model reads from the snake_case name
    assert stats == compute_stats(models_of([raw]))


# --- rows and files ----------------------------------------------------------------


def test_criteria_count_from_raw(raws: list[dict[str, Any]]) -> None:
    assert max_criteria_raw(raws) == max_criteria_of(models_of(raws))
    assert max_criteria_raw([]) == 0


def test_rows_from_raw_equal_rows_from_models(raws: list[dict[str, Any]]) -> None:
    names = _type_names("ru")
    width = max_criteria_of(models_of(raws))
    for raw in raws:
        record = validated(raw)
        expected = None if record is None else row_values(record, ALMATY, width, names)
        assert row_values_raw(raw, ALMATY, width, names) == expected


def test_csv_from_raw_is_byte_identical(raws: list[dict[str, Any]]) -> None:
    models = models_of(raws)
    width = max_criteria_of(models)
    expected = io.StringIO(newline="")
    actual = io.StringIO(newline="")
    progress: list[int] = []
    count = write_csv(models, expected, tz=ALMATY, lang="en", max_criteria=width, delimiter=",")
    written = write_csv_raw(
        raws,
        actual,
        tz=ALMATY,
        lang="en",
        max_criteria=width,
        delimiter=",",
        progress=progress.append,
    )
    assert written == count == len(models)
    assert progress[-1] == count
    assert actual.getvalue() == expected.getvalue()


def _sheets(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {
            name: archive.read(name)
            for name in archive.namelist()
            if name.startswith("xl/worksheets/") or name == "xl/sharedStrings.xml"
        }


def test_xlsx_from_raw_has_identical_sheets(raws: list[dict[str, Any]]) -> None:
    models = models_of(raws)
    width = max_criteria_of(models)
    summary = [("Total", len(models)), ("Note", "raw")]
    expected = io.BytesIO()
    actual = io.BytesIO()
    count = write_xlsx(
        models, expected, tz=ALMATY, lang="ru", max_criteria=width, summary_rows=summary
    )
    written = write_xlsx_raw(
        raws, actual, tz=ALMATY, lang="ru", max_criteria=width, summary_rows=summary
    )
    assert written == count == len(models)
    assert _sheets(actual.getvalue()) == _sheets(expected.getvalue())
