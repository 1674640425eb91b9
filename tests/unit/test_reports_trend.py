"""Weekly and monthly reports: every figure recomputed here from the raw records, the table
within Telegram's limits and a phone's width, the trend chart and the Excel sheets."""

from __future__ import annotations

import html
import io
import re
import struct
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl

from bot.digest.model import Attachment, Cadence, Schedule
from bot.digest.period_render import ROW_WIDTH, render_period_report
from bot.digest.period_report import PeriodParts, build_period_report, report_spans
from bot.reports.chart import render_trend_chart
from bot.reports.fmt import rounded, whole
from bot.reports.operator_trend import trend_caption, trend_weeks
from bot.reports.trend import compare_periods, split_by_span, trend_points
from storage.digests import RunState
from tests.unit.test_digest_scheduler import bot_messages, visible
from tests.unit.test_digest_support import OWNER, almaty, make_world

TZ = ZoneInfo("Asia/Almaty")
Record = dict[str, Any]


def call(
    dialog_id: int,
    day: date,
    op: tuple[int, str],
    *,
    rating: int | None = 8,
    score: float | None = 80.0,
    pack: int = 7,
    marks: dict[int, float] | None = None,
) -> Record:
    analytics: dict[str, Any] = {}
    if rating is not None:
        analytics["clientLoyalty"] = {"currentGrade": rating}
    if score is not None:
        block: dict[str, Any] = {
            "evaluationId": pack,
            "evaluationTitle": f"Пакет {pack}",
            "eCurrentGrade": score,
            "maxGrade": 100,
        }
        for number, mark in (marks or {}).items():
            block[f"criterion{number}"] = {f"description{number}": "—", f"mark{number}": mark}
        analytics["evaluationCriteria"] = block
    return {
        "call": {"dialogId": dialog_id, "date": f"{day} 12:00:00+05", "callType": 2},
        "operator": {"operatorId": op[0], "fullName": op[1], "departmentId": "1"},
        "analytics": analytics,
    }


AIGERIM = (1, "Айгерим Нурланова")
BORIS = (2, "Борис <Петров>")
DANA = (3, "Дана Ким")
ERLAN = (4, "Ерлан Сапаров")

PREVIOUS = date(2025, 11, 10)  # Monday of the previous week
CURRENT = date(2025, 11, 17)  # Monday of the reported week


def week_records() -> list[Record]:
    records: list[Record] = []
    n = 0

    def add(day: date, op: tuple[int, str], **fields: Any) -> None:
        nonlocal n
        n += 1
        records.append(call(n, day, op, **fields))

    # The previous week: Aigerim 60 %, Boris 70 %, Dana 50 %; Erlan absent.
    for score in (50.0, 60.0, 70.0):
        add(PREVIOUS, AIGERIM, score=score, marks={1: 8.0, 2: 6.0})
    for score in (70.0, 70.0, 70.0):
        add(PREVIOUS + timedelta(days=2), BORIS, score=score, rating=2, marks={1: 9.0})
    for score in (40.0, 50.0, 60.0):
        add(PREVIOUS + timedelta(days=6), DANA, score=score, marks={1: 7.0, 2: 5.0})
    # The reported week: Aigerim +10, Boris +10 (a tie), Dana −20; Erlan new;
    # pack 9 appears only now.
    for score in (60.0, 70.0, 80.0):
        add(CURRENT, AIGERIM, score=score, marks={1: 6.0, 2: 6.0})
    for score in (80.0, 80.0, 80.0):
        add(CURRENT + timedelta(days=1), BORIS, score=score, marks={1: 9.5})
    for score in (20.0, 30.0, 40.0, 30.0):
        add(CURRENT + timedelta(days=6), DANA, score=score, rating=3, marks={1: 7.0, 2: 2.0})
    for score in (90.0, 95.0, 100.0):
        add(CURRENT + timedelta(days=3), ERLAN, score=score, pack=9, marks={1: 1.0})
    add(CURRENT, ERLAN, rating=None, score=None)
    # Two weeks ago: a week with calls; three weeks ago: none at all (a gap).
    add(PREVIOUS - timedelta(days=7), AIGERIM, score=55.0)
    # Outside the trend: ignored.
    add(CURRENT + timedelta(days=7), AIGERIM, score=10.0)
    return records


def is_bad(record: Record) -> bool:
    """The default digest rule, written out again: rating ≤ 3 or script < 50 %."""
    analytics = record["analytics"]
    rating = analytics.get("clientLoyalty", {}).get("currentGrade")
    block = analytics.get("evaluationCriteria")
    score = 100.0 * block["eCurrentGrade"] / block["maxGrade"] if block else None
    return (rating is not None and rating <= 3) or (score is not None and score < 50)


def in_week(record: Record, monday: date) -> bool:
    day = date.fromisoformat(record["call"]["date"][:10])
    return monday <= day <= monday + timedelta(days=6)


def recompute(records: list[Record], person: int) -> dict[str, Any]:
    """An operator's figures straight from the records."""
    mine = [r for r in records if r["operator"]["operatorId"] == person]
    ratings = [
        r["analytics"]["clientLoyalty"]["currentGrade"]
        for r in mine
        if "clientLoyalty" in r["analytics"]
    ]
    scores = [
        r["analytics"]["evaluationCriteria"]["eCurrentGrade"]
        for r in mine
        if "evaluationCriteria" in r["analytics"]
    ]
    bad = sum(1 for r in mine if is_bad(r))
    return {
        "calls": len(mine),
        "rating": sum(ratings) / len(ratings) if ratings else None,
        "script": sum(scores) / len(scores) if scores else None,
        "scored": len(scores),
        "bad": bad,
        "share": 100.0 * bad / len(mine) if mine else None,
    }


def weekly_parts(records: list[Record]) -> PeriodParts:
    schedule = Schedule.weekly(0)
    spans = report_spans(schedule, (CURRENT, CURRENT + timedelta(days=6)))
    return PeriodParts.split(records, spans, TZ)


def test_weekly_report_figures_equal_a_recomputation_from_the_records() -> None:
    records = week_records()
    report = build_period_report(weekly_parts(records), Cadence.WEEKLY, is_bad)
    now = [r for r in records if in_week(r, CURRENT)]
    before = [r for r in records if in_week(r, PREVIOUS)]
    comparison = report.comparison
    assert comparison.current.total == len(now) == 14
    assert comparison.previous.total == len(before) == 9
    assert comparison.current.bad == sum(map(is_bad, now))
    by_name = {row.name: row for row in comparison.rows}
    assert set(by_name) == {name for _, name in (AIGERIM, BORIS, DANA, ERLAN)}
    for ident, name in (AIGERIM, BORIS, DANA, ERLAN):
        row = by_name[name]
        expected = recompute(now, ident)
        assert row.now is not None
        assert row.now.calls == expected["calls"]
        assert row.now.avg_rating == expected["rating"]
        assert row.now.avg_score == expected["script"]
        assert row.now.scored == expected["scored"]
        assert row.now.bad == expected["bad"]
        assert row.now.bad_share == expected["share"]
        old = recompute(before, ident)
        if old["calls"] == 0:
            assert row.before is None and row.script_change is None  # Erlan: new this week
            continue
        assert row.before is not None
        assert row.script_change == whole(expected["script"]) - whole(old["script"])
        assert row.bad_share_change == whole(expected["share"]) - whole(old["share"])
    # Movers: Aigerim and Boris both +10; Boris's bad share fell more (100 → 0 %), so
    # he comes first; Dana declined; Erlan (new) is not ranked.
    assert [row.name for row in comparison.improved] == [BORIS[1], AIGERIM[1]]
    assert [row.name for row in comparison.declined] == [DANA[1]]
    assert comparison.ranked == 3
    # Criteria per pack: pack 7 only (pack 9 is new); item 2 fell 5,5 → 4,0 … recomputed.
    (pack7,) = comparison.fallen
    assert {item.pack_id for item in pack7} == {7}

    def mean_mark(rows: list[Record], number: int) -> float:
        marks = [
            r["analytics"]["evaluationCriteria"][f"criterion{number}"][f"mark{number}"]
            for r in rows
            if r["analytics"].get("evaluationCriteria", {}).get("evaluationId") == 7
            and f"criterion{number}" in r["analytics"]["evaluationCriteria"]
        ]
        return sum(marks) / len(marks)

    changes = {
        item.number: rounded(mean_mark(now, item.number), 1)
        - rounded(mean_mark(before, item.number), 1)
        for item in pack7
    }
    assert {item.number: item.change for item in pack7} == changes
    assert [item.number for item in pack7] == sorted(changes, key=lambda n: changes[n])


def test_weekly_trend_has_gaps_for_weeks_without_calls() -> None:
    records = week_records()
    parts = weekly_parts(records)
    report = build_period_report(parts, Cadence.WEEKLY, is_bad)
    assert len(report.trend) == 8
    assert report.trend[-1].span == (CURRENT, CURRENT + timedelta(days=6))
    empty = [point for point in report.trend if point.calls == 0]
    assert empty and all(p.script is None and p.bad_share is None for p in empty)
    for point in report.trend:
        mine = [r for r in records if in_week(r, point.span[0])]
        if mine:
            assert point.bad_share == 100.0 * sum(map(is_bad, mine)) / len(mine)


def test_monthly_report_compares_whole_calendar_months() -> None:
    op = AIGERIM
    records = [
        call(1, date(2028, 2, 29), op, score=40.0),
        call(2, date(2028, 2, 1), op, score=60.0),
        call(3, date(2028, 1, 31), op, score=90.0),
        call(4, date(2028, 3, 1), op, score=10.0),
    ]
    schedule = Schedule.monthly()
    spans = report_spans(schedule, (date(2028, 2, 1), date(2028, 2, 29)))
    assert spans[0] == (date(2027, 9, 1), date(2027, 9, 30))
    assert spans[-2:] == [
        (date(2028, 1, 1), date(2028, 1, 31)),
        (date(2028, 2, 1), date(2028, 2, 29)),
    ]
    parts = PeriodParts.split(records, spans, TZ)
    assert [len(part) for part in parts.parts] == [0, 0, 0, 0, 1, 2]
    report = build_period_report(parts, Cadence.MONTHLY, is_bad)
    (row,) = report.comparison.rows
    assert row.now is not None and row.now.avg_score == 50.0 and row.now.bad == 1
    assert row.script_change == 50 - 90
    assert report.comparison.ranked == 0  # fewer than 3 calls in either month


def test_no_ranking_with_fewer_than_two_qualified_operators() -> None:
    records = [call(n, CURRENT, AIGERIM, score=50.0 + n) for n in range(3)]
    records += [call(10 + n, PREVIOUS, AIGERIM, score=40.0) for n in range(3)]
    records += [call(20, CURRENT, BORIS), call(21, PREVIOUS, BORIS)]
    comparison = compare_periods(
        [r for r in records if in_week(r, CURRENT)],
        [r for r in records if in_week(r, PREVIOUS)],
        is_bad,
    )
    assert comparison.ranked == 1 and not comparison.improved and not comparison.declined
    text = render_period_report(
        comparison,
        span=(CURRENT, CURRENT + timedelta(days=6)),
        cadence=Cadence.WEEKLY,
        rule="оценка ≤ 3",
        lang="ru",
        file_has_table=False,
    )
    assert "Рейтинга нет: меньше двух операторов с ≥ 3 звонками" in text


def _pre_lines(text: str) -> list[str]:
    (table,) = re.findall(r"<pre>(.*?)</pre>", text, flags=re.S)
    return html.unescape(table).split("\n")


def test_the_table_fits_a_phone_and_a_message() -> None:
    records = week_records()
    report = build_period_report(weekly_parts(records), Cadence.WEEKLY, is_bad)
    for lang in ("ru", "en"):
        text = report.text("оценка ≤ 3", lang, file_has_table=True)
        lines = _pre_lines(text)
        assert all(len(line) <= ROW_WIDTH for line in lines)
        assert "Борис &lt;Петров&gt;" in text  # escaped
    text = report.text("оценка ≤ 3", "ru", file_has_table=True)
    lines = _pre_lines(text)
    aigerim = lines.index(AIGERIM[1])
    assert lines[aigerim + 1].split() == ["3", "8", "70%", "0", "0%"]
    assert lines[aigerim + 2].split() == ["Δ", "0", "0", "+10", "0", "0"]
    erlan = lines.index(ERLAN[1])
    assert lines[erlan + 2].startswith("Δ не было звонков")
    # Many operators: shortened with a note, within 4096.
    crowd = [call(n, CURRENT, (100 + n, f"Оператор номер {n:03d}")) for n in range(300)]
    big = build_period_report(weekly_parts(crowd), Cadence.WEEKLY, is_bad)
    text = big.text("оценка ≤ 3", "ru", file_has_table=True)
    assert len(text) <= 4096 and "все в файле Excel" in text


def test_trend_chart_is_a_phone_sized_png_with_two_lines() -> None:
    png = render_trend_chart(
        ["01.09", "08.09", "15.09"],
        [70.0, None, 65.0],
        [10.0, None, 12.5],
        title="Команда: 3 недели",
        lang="ru",
    )
    assert png.startswith(b"\x89PNG")
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1200, 900)
    assert 20_000 < len(png) < 600_000


def test_operator_trend_caption_shows_gaps_and_fits() -> None:
    today = date(2026, 11, 25)
    spans = trend_weeks(today)
    assert spans[-1] == (date(2026, 11, 23), today) and len(spans) == 8
    records = [call(1, date(2026, 11, 24), AIGERIM, rating=2), call(2, date(2026, 11, 3), AIGERIM)]
    points = trend_points(split_by_span(records, spans, TZ), spans, is_bad)
    caption = trend_caption("Айгерим <Н>", points, "ru")
    assert len(caption) <= 1024 and "Айгерим &lt;Н&gt;" in caption
    assert caption.count("звонков нет") == 6
    assert "23.11: 1 зв. · скрипт 80 % · плохих 100 %" in caption


async def test_a_weekly_digest_sends_report_chart_and_operator_sheet(tmp_path: Path) -> None:
    world = await make_world(tmp_path, start=almaty(2025, 11, 23, 12, 0))
    try:
        world.calls.records = week_records()
        sub = await world.subscribe(
            schedule=Schedule.weekly(0), chart=True, attachment=Attachment.XLSX
        )
        world.clock.set(almaty(2025, 11, 24, 9, 1))
        assert (await world.scheduler.tick(world.bot))[RunState.SENT] == 1
        (fetched,) = world.calls.fetches  # one fetch of the whole 8 weeks
        assert fetched.period.start == date(2025, 9, 29)
        assert fetched.period.end == date(2025, 11, 23)
        digest, photo, report, document = bot_messages(world.fake, OWNER)
        assert "Плохие звонки за 17–23 ноября" in visible(digest)
        assert "photo" in photo
        assert "Отчёт за неделю 17–23 ноября" in visible(report)
        _, data = world.fake.document(document["document"]["file_id"])
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        assert book.sheetnames[-1] == "Операторы"
        rows = list(book["Операторы"].iter_rows(min_row=2, values_only=True))
        by_name = {row[0]: row for row in rows if row[0]}
        assert by_name[DANA[1]][2:8] == (4, 3, 4, 30, 4, 100)
        bad_ids = sorted(
            int(row[0])
            for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)
            if row[0]
        )
        now = [r for r in week_records() if in_week(r, CURRENT)]
        assert bad_ids == sorted(r["call"]["dialogId"] for r in now if is_bad(r))
        runs = await world.repo.runs_of(sub.id)
        assert [(run.period_start, run.period_end) for run in runs] == [
            (CURRENT, CURRENT + timedelta(days=6))
        ]
    finally:
        await world.close()
