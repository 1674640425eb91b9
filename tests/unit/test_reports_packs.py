"""Criterion N belongs to its question pack: scorecards and exports never blend packs.

Two packs share criterion numbers 1–3 with opposite marks, so any blending shows: the
blended average of criterion 3 (4,7) appears nowhere, each pack's own does.
Expectations are worked out here from the raw records, not by the code under test.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl  # type: ignore[import-untyped]

from bot.reports.export import (
    criteria_layout,
    summary_sheet,
    write_csv,
    write_xlsx,
)
from bot.reports.render import render_operator_card
from bot.reports.stats import compute_stats
from tests.unit.test_reports_stats import make_raw

ALMATY = ZoneInfo("Asia/Almaty")
DEFAULT = (27, "Вопросы по умолчанию")
OBJECTIONS = (42, "Работа с возражениями")
NO_ID_TITLE = "Контроль доставки"


def pack_raw(
    dialog_id: int, pack: tuple[int | None, str], marks: dict[int, float]
) -> dict[str, Any]:
    raw = make_raw(
        dialog_id,
        rating=5,
        grade=(sum(marks.values()), 10 * len(marks)),
        criteria={n: (mark, f"AI comment {dialog_id}/{n}") for n, mark in marks.items()},
    )
    evaluation = raw["analytics"]["evaluationCriteria"]
    if pack[0] is None:
        del evaluation["evaluationId"]
    else:
        evaluation["evaluationId"] = pack[0]
    evaluation["evaluationTitle"] = pack[1]
    return raw


def two_pack_raws() -> list[dict[str, Any]]:
    return [
        pack_raw(1, DEFAULT, {1: 9, 2: 8, 3: 1}),
        pack_raw(2, DEFAULT, {1: 7, 2: 6, 3: 3}),
        pack_raw(3, OBJECTIONS, {1: 2, 2: 10, 3: 10, 4: 5}),
        pack_raw(4, OBJECTIONS, {1: 4, 2: 9, 3: 10, 4: 6}),
        pack_raw(5, (None, NO_ID_TITLE), {1: 6}),  # no evaluationId: the title names it
        make_raw(6, rating=9),  # no evaluation at all
    ]


def expected_averages(raws: list[dict[str, Any]]) -> dict[tuple[str, int], tuple[float, int]]:
    """(pack title, N) → (average mark, calls), straight from the raw dicts."""
    marks: dict[tuple[str, int], list[float]] = defaultdict(list)
    for raw in raws:
        evaluation = raw["analytics"].get("evaluationCriteria")
        if not evaluation:
            continue
        for key, value in evaluation.items():
            if key.startswith("criterion"):
                number = int(key.removeprefix("criterion"))
                marks[(evaluation["evaluationTitle"], number)].append(value[f"mark{number}"])
    return {key: (sum(values) / len(values), len(values)) for key, values in marks.items()}


def test_statistics_are_kept_per_pack_and_number() -> None:
    raws = two_pack_raws()
    stats = compute_stats(raws)
    got = {(c.pack_title, c.number): (c.avg_mark, c.count) for c in stats.criteria.values()}
    assert got == expected_averages(raws)
    assert len(stats.criteria) == 3 + 4 + 1
    # Packs are keyed by id, or by title without one.
    assert {c.pack_id for c in stats.criteria.values()} == {27, 42, None}


def test_scorecard_names_the_pack_and_never_blends() -> None:
    raws = two_pack_raws()
    text = render_operator_card(
        "Айгерим Нурланова", compute_stats(raws), None, period_label="7 дней", lang="ru"
    )
    weakest = text.split("Слабые пункты скрипта", 1)[1].split("\n\n", 1)[0]
    lines = [line for line in weakest.splitlines() if line.startswith("·")]
    # The three lowest (pack, N) averages, each with its pack, number and calls.
    ranked = sorted(expected_averages(raws).items(), key=lambda item: item[1][0])[:3]
    assert len(lines) == 3
    for line, ((title, number), (average, calls)) in zip(lines, ranked, strict=True):
        mark = f"{average:.1f}".replace(".", ",").removesuffix(",0")
        assert line == f"· «{title}» · п. {number} — <b>{mark}</b> (звонков: {calls})"
    # Criterion 3 blended over both packs would read 4,7 (or 4,5 over the four calls).
    assert "4,7" not in text and "4,5" not in text
    assert "AI comment" not in text


def test_excel_has_a_column_per_pack_criterion_and_per_pack_averages(tmp_path: Path) -> None:
    raws = two_pack_raws()
    path = tmp_path / "calls.xlsx"
    write_xlsx(
        raws,
        path,
        tz=ALMATY,
        lang="ru",
        packs=criteria_layout(raws),
        summary=summary_sheet(compute_stats(raws), "ru"),
    )
    book = openpyxl.load_workbook(path)
    rows = list(book["Звонки"].iter_rows(values_only=True))
    header = list(rows[0])
    criteria_headers = [h for h in header if " · п. " in h]
    # Packs in title order, each with its own numbered columns.
    assert criteria_headers == [
        *(f"{DEFAULT[1]} · п. {n}" for n in (1, 2, 3)),
        f"{NO_ID_TITLE} · п. 1",
        *(f"{OBJECTIONS[1]} · п. {n}" for n in (1, 2, 3, 4)),
    ]
    for raw, row in zip(raws, rows[1:], strict=True):
        cells = dict(zip(header, row, strict=True))
        evaluation = raw["analytics"].get("evaluationCriteria") or {}
        own = evaluation.get("evaluationTitle")
        for title in criteria_headers:
            pack, number = title.rsplit(" · п. ", 1)
            value = cells[title]
            if pack == own and f"criterion{number}" in evaluation:
                assert value == evaluation[f"criterion{number}"][f"mark{number}"]
            else:
                assert value is None, (raw["call"]["dialogId"], title)  # never another pack's

    summary = list(book["Сводка"].iter_rows(values_only=True))
    start = summary.index(("Набор вопросов", "Пункт", "Средний балл", "Звонков"))
    table = {
        (pack, number): (average, calls) for pack, number, average, calls in summary[start + 1 :]
    }
    expected = {
        key: (round(average, 2), calls) for key, (average, calls) in expected_averages(raws).items()
    }
    assert table == expected


def test_csv_names_the_pack_and_lists_its_criteria_in_order() -> None:
    raws = two_pack_raws()
    buffer = io.StringIO(newline="")
    write_csv(raws, buffer, tz=ALMATY, lang="ru", packs=criteria_layout(raws))
    rows = list(csv.reader(io.StringIO(buffer.getvalue().removeprefix("\ufeff")), delimiter=";"))
    header = rows[0]
    items = [h for h in header if h.startswith("Пункт ")]
    assert items == [f"Пункт {n} набора" for n in (1, 2, 3, 4)]  # the longest pack's count
    pack_column = header.index("Набор вопросов")
    assert pack_column < header.index(items[0])
    # What a spreadsheet user does: filter by pack, average an item column.
    pivot: dict[tuple[str, int], list[float]] = defaultdict(list)
    for row in rows[1:]:
        for number, title in enumerate(items, start=1):
            value = row[header.index(title)]
            if value:
                pivot[(row[pack_column], number)].append(float(value.replace(",", ".")))
    got = {key: (sum(values) / len(values), len(values)) for key, values in pivot.items()}
    assert got == expected_averages(raws)
