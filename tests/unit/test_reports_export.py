"""Exports: CSV, XLSX, JSON, file names and packaging for upload."""

from __future__ import annotations

import csv
import io
import json
import os
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl  # type: ignore[import-untyped]
import pytest

from bot.reports.export import (
    CriteriaColumns,
    SummarySheet,
    criteria_layout,
    export_filename,
    headers,
    package_for_upload,
    slugify,
    summary_sheet,
    write_csv,
    write_json,
    write_xlsx,
)
from bot.reports.stats import compute_stats
from tests.unit.test_reports_stats import fixture_raws, make_raw

MOSCOW = ZoneInfo("Europe/Moscow")


def export_raws() -> list[dict[str, Any]]:
    raws = fixture_raws()
    hostile = make_raw(
        99,
        operator='=HYPERLINK("http://evil")',
        rating=4,
        grade=(63, 100),
        criteria={1: (2.5, "half"), 2: (4, "ok"), 3: (1, "bad")},
        signals="@SUM(A1), дорого",
        summary="-2+3 looks like a formula",
        caller=None,  # falls back to callerIdClean
    )
    hostile["analytics"]["price"] = -5
    raws.append(hostile)
    return raws


def csv_rows(
    raws: list[dict[str, Any]], progress: list[int] | None = None
) -> tuple[str, list[list[str]]]:
    buffer = io.StringIO(newline="")
    written = write_csv(
        raws,
        buffer,
        tz=MOSCOW,
        lang="ru",
        packs=criteria_layout(raws),
        progress=progress.append if progress is not None else None,
    )
    assert written == len(raws)
    text = buffer.getvalue()
    return text, list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))


def test_csv_header_bom_and_criteria_columns() -> None:
    text, rows = csv_rows(export_raws())
    assert text.startswith("\ufeff")
    header = rows[0]
    assert header[0] == "ID звонка"
    assert [h for h in header if h.startswith("Пункт")] == [
        "Пункт 1 набора",
        "Пункт 2 набора",
        "Пункт 3 набора",
    ]
    assert len(rows) == 1 + len(export_raws())
    assert all(len(row) == len(header) for row in rows)


def test_csv_values_and_formula_neutralisation() -> None:
    _, rows = csv_rows(export_raws())
    header = rows[0]
    first = dict(zip(header, rows[1], strict=True))
    assert first["ID звонка"] == "1"
    assert first["Дата и время"] == "21.04.2025 10:06:15"  # 12:06:15+05 in Moscow time
    assert first["Тип звонка"] == "Исходящий"
    assert first["Скрипт, %"] == "30"
    assert first["Набор вопросов"] == "Вопросы по умолчанию"
    assert first["Пункт 1 набора"] == "3" and first["Пункт 3 набора"] == ""
    assert first["Сигналы"] == "дорого, блин"
    # A phone number starts with "+" but cannot run: it is kept as it is.
    assert first["Номер звонящего"] == "+7 (777) 777 77 77"

    hostile = dict(zip(header, rows[-1], strict=True))
    assert hostile["Оператор"] == '\'=HYPERLINK("http://evil")'
    assert hostile["Сигналы"] == "'@SUM(A1), дорого"
    assert hostile["Резюме (ИИ)"] == "'-2+3 looks like a formula"
    assert hostile["Номер звонящего"] == "7777777777"
    assert hostile["Стоимость"] == "-5"  # a number stays a number
    assert hostile["Пункт 1 набора"] == "2,5"  # decimal comma for Russian-locale Excel
    assert hostile["Скрипт, %"] == "63"


def test_csv_progress_callback() -> None:
    raws = [make_raw(n, rating=5) for n in range(1203)]
    calls: list[int] = []
    csv_rows(raws, calls)
    assert calls == [500, 1000, 1203]


def test_xlsx_opens_with_typed_cells(tmp_path: Path) -> None:
    raws = export_raws()
    stats = compute_stats(raws)
    path = tmp_path / "calls.xlsx"
    written = write_xlsx(
        raws,
        path,
        tz=MOSCOW,
        lang="ru",
        packs=criteria_layout(raws),
        summary=summary_sheet(stats, "ru"),
    )
    assert written == len(raws)

    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Звонки", "Сводка"]
    sheet = book["Звонки"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref is not None and sheet.auto_filter.ref.startswith("A1:")
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    assert header == headers("ru", CriteriaColumns.per_pack(criteria_layout(raws)))
    assert len(rows) == 1 + len(raws)

    first = dict(zip(header, rows[1], strict=True))
    assert first["ID звонка"] == 1
    assert first["Дата и время"] == datetime(2025, 4, 21, 10, 6, 15)
    assert "dd" in sheet.cell(row=2, column=2).number_format
    assert first["Номер звонящего"] == "+7 (777) 777 77 77"
    assert first["Оценка клиента"] == 2
    assert first["Скрипт, %"] == 30

    hostile = dict(zip(header, rows[-1], strict=True))
    assert hostile["Номер звонящего"] == "7777777777"  # digits kept as text
    assert hostile["Оператор"] == '=HYPERLINK("http://evil")'
    assert sheet.cell(row=len(rows), column=header.index("Оператор") + 1).data_type == "s"
    assert hostile["Вопросы по умолчанию · п. 1"] == 2.5
    assert hostile["Стоимость"] == -5

    summary = {
        label: value
        for label, value, *_ in book["Сводка"].iter_rows(min_row=2, values_only=True)
        if label is not None
    }
    assert summary["Звонков"] == len(raws)
    average = summary["Средняя оценка клиента (по звонкам с оценкой)"]
    assert average == pytest.approx(round(stats.avg_rating or 0, 2))


def test_xlsx_to_buffer_in_english() -> None:
    buffer = io.BytesIO()
    write_xlsx(
        [make_raw(1, rating=9)],
        buffer,
        tz=MOSCOW,
        lang="en",
        packs=[],
        summary=SummarySheet(figures=[("Calls", 1)]),
    )
    book = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
    assert book.sheetnames == ["Calls", "Summary"]
    assert book["Calls"]["A1"].value == "Call ID"


def test_json_round_trip_keeps_cyrillic() -> None:
    raws = export_raws()
    buffer = io.BytesIO()
    assert write_json(raws, buffer) == len(raws)
    data = buffer.getvalue()
    assert json.loads(data.decode("utf-8")) == raws
    assert "Айгерим".encode() in data
    assert b"\\u04" not in data


def test_json_of_nothing_is_an_empty_array() -> None:
    buffer = io.BytesIO()
    write_json(iter([]), buffer)
    assert json.loads(buffer.getvalue()) == []


def test_slugify_and_filename() -> None:
    assert slugify("Отдел продаж") == "otdel-prodazh"
    assert slugify("Қазақ тілі — Өскемен") == "kazak-tili-oskemen"
    assert slugify("Щука & Ёжик!") == "shchuka-ezhik"
    assert slugify("   ") == ""
    name = export_filename("calls", "Отдел продаж", date(2025, 4, 14), date(2025, 4, 21), "xlsx")
    assert name == "calls_otdel-prodazh_2025-04-14_2025-04-21.xlsx"
    assert export_filename("calls", "", None, None, ".csv") == "calls.csv"


def test_package_small_file_is_untouched(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"x" * 100)
    assert package_for_upload(path, 100) == [path]


def test_package_zips_when_compression_is_enough(tmp_path: Path) -> None:
    path = tmp_path / "calls.csv"
    path.write_bytes(b"a;b;c\r\n" * 5000)
    parts = package_for_upload(path, 5000)
    assert parts == [tmp_path / "calls.zip"]
    with zipfile.ZipFile(parts[0]) as bundle:
        assert bundle.read("calls.csv") == path.read_bytes()


def test_package_splits_an_incompressible_zip(tmp_path: Path) -> None:
    path = tmp_path / "calls.xlsx"
    payload = os.urandom(10_000)
    path.write_bytes(payload)
    parts = package_for_upload(path, 3000)
    assert [part.name for part in parts] == [f"calls.zip.{n:03d}" for n in range(1, len(parts) + 1)]
    assert len(parts) >= 4
    assert all(part.stat().st_size <= 3000 for part in parts)
    assert not (tmp_path / "calls.zip").exists()  # the unsplit zip is cleaned up
    joined = b"".join(part.read_bytes() for part in parts)
    with zipfile.ZipFile(io.BytesIO(joined)) as bundle:
        assert bundle.read("calls.xlsx") == payload


def test_header_language() -> None:
    packs = criteria_layout(export_raws())
    assert headers("en", CriteriaColumns.shared_columns(packs))[:2] == ["Call ID", "Date and time"]
    assert "Pack item 2" in headers("en", CriteriaColumns.shared_columns(packs))
    assert "Вопросы по умолчанию · item 2" in headers("en", CriteriaColumns.per_pack(packs))
