"""The CSV formula guard: what a spreadsheet could run is neutralised, real data is kept."""

from __future__ import annotations

import csv
import io
import re
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl  # type: ignore[import-untyped]
import pytest

from bot.reports.export import SummarySheet, criteria_layout, write_csv, write_xlsx
from bot.reports.spreadsheet_guard import guard_cell
from bot.texts import t
from tests.unit.test_reports_stats import make_raw

MOSCOW = ZoneInfo("Europe/Moscow")

KEPT = [
    # Phone numbers as the API writes them, and in other common forms.
    "+7 (778) 203 66 47",
    "+77782036647",
    "+7(778)2036647",
    "+7 778 203-66-47",
    "+7-778-203-66-47",
    "+44 20 7946 0958",
    "77782036647",
    # Plain numbers, with a decimal point or comma and an exponent.
    "-5",
    "+3.5",
    "-2,5",
    "+,5",
    "-1e5",
    "+1E-3",
    "1e5",
    # Dates and times as the exports write them.
    "21.04.2025 10:06:15",
    "2025-04-21",
    # Prose: a bullet point or a list of changes.
    "- Клиент спросил о цене, оператор предложил скидку 10%.",
    "- Клиент спросил о цене.\n- Оператор ответил.",
    "-  Two spaces after the dash",
    "+ добавить второе устройство",
    "- client asked for a refund: 2+2=4 @ the office",
    # Ordinary text, including characters a guard must not look at past the first.
    "Клиент спросил, как подключить второе устройство к аккаунту.",
    "Оценка 5 из 10 (скрипт 40 %)",
    "",
    " =1+1",
    "'quoted",
]

GUARDED = [
    "=",
    "=1+1",
    '=HYPERLINK("http://x","y")',
    "=cmd|' /C calc'!A0",
    "@SUM(A1)",
    "@",
    "+cmd",
    "-cmd|' /C calc'!A0",
    "+SUM(1,2)",
    "-2+3",
    "-2+3 looks like a formula",
    "+A1",
    "-",
    "+",
    "- ",
    "-Клиент без пробела",
    "- 5 клиентов",  # a digit after the space: arithmetic is not prose
    "+7 (778) 203 66 47 доб. 5",
    "-7 (778) 203 66 47",
    "+7 (778) 203 66 47+1",
    "-5 + 2",
    "-1e",
    # Prose that could call a function, reach a DDE server or another sheet or file.
    "- Клиент спросил (про тариф)",
    '- see HYPERLINK("http://x","y")',
    "- cmd|' /C calc'!A0",
    "- Клиент доволен!",
    "\t=1+1",
    "\tтекст",
    "\r=1+1",
    "\rтекст",
]


@pytest.mark.parametrize("text", KEPT)
def test_real_data_is_kept_byte_for_byte(text: str) -> None:
    assert guard_cell(text) == text


@pytest.mark.parametrize("text", GUARDED)
def test_what_a_spreadsheet_could_run_gets_an_apostrophe(text: str) -> None:
    # The original text follows the apostrophe unchanged, so the cell still reads naturally.
    assert guard_cell(text) == "'" + text


def _hostile_and_natural_raws() -> list[dict[str, Any]]:
    summaries = [*KEPT, *GUARDED]
    raws = [make_raw(n, summary=text, rating=7) for n, text in enumerate(summaries, start=1)]
    raws[0]["operator"]["fullName"] = '=HYPERLINK("http://evil","Иван")'
    raws[1]["call"]["callerId"] = "+77782036647"
    raws[2]["call"]["callerId"] = "-2+3"
    return raws


def _ooxml_text(value: Any) -> Any:
    """A string cell's text: openpyxl leaves OOXML's ``_x000D_`` escapes for control characters."""
    if not isinstance(value, str):
        return value
    return re.sub(r"_x([0-9A-F]{4})_", lambda match: chr(int(match[1], 16)), value)


def _column(header: list[str], key: str) -> int:
    return header.index(t(f"report.col.{key}", "ru"))


@pytest.mark.parametrize("delimiter", [";", ","])
def test_write_csv_guards_text_cells_and_keeps_the_rest(delimiter: str) -> None:
    raws = _hostile_and_natural_raws()
    buffer = io.StringIO(newline="")
    packs = criteria_layout(raws)
    write_csv(raws, buffer, tz=MOSCOW, lang="ru", packs=packs, delimiter=delimiter)
    text = buffer.getvalue().removeprefix("\ufeff")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    header = rows[0]
    summary, caller, operator = (_column(header, k) for k in ("summary", "caller", "operator"))
    date, rating = _column(header, "date"), _column(header, "rating")

    assert [row[summary] for row in rows[1:]] == [*KEPT, *("'" + text for text in GUARDED)]
    assert rows[1][operator] == '\'=HYPERLINK("http://evil","Иван")'
    assert rows[1][caller] == "+7 (777) 777 77 77"
    assert rows[2][caller] == "+77782036647"
    assert rows[3][caller] == "'-2+3"
    assert rows[1][date] == "21.04.2025 10:06:15"
    assert rows[1][rating] == "7"


def test_write_csv_quotes_text_and_decimals_so_any_separator_reads_one_cell() -> None:
    # LibreOffice Calc splits at commas, semicolons and tabs at once unless told otherwise.
    raw = make_raw(1, signals="дорого, блин", grade=(62.5, 100), summary="a\tb")
    raw["analytics"]["price"] = 12.5
    buffer = io.StringIO(newline="")
    write_csv([raw], buffer, tz=MOSCOW, lang="ru", packs=[])
    line = buffer.getvalue().split("\r\n")[1]
    assert line.startswith("1;")  # integers stay bare
    assert ';"дорого, блин";' in line
    assert ';"62,5";' in line
    assert ';"a\tb";' in line
    assert line.endswith(';"12,5"')


def test_xlsx_writes_the_same_cells_as_strings_without_a_guard() -> None:
    raws = _hostile_and_natural_raws()
    buffer = io.BytesIO()
    write_xlsx(
        raws,
        buffer,
        tz=MOSCOW,
        lang="ru",
        packs=criteria_layout(raws),
        summary=SummarySheet(),
    )
    sheet = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    summary, caller, operator = (_column(header, k) for k in ("summary", "caller", "operator"))
    for raw, row in zip(raws, sheet.iter_rows(min_row=2), strict=True):
        cells = [row[summary], row[caller], row[operator]]
        expected = [
            raw["analytics"]["summary"] or None,
            raw["call"]["callerId"],
            raw["operator"]["fullName"],
        ]
        # A string cell ("s"), never a formula ("f"), holding the API's text unchanged.
        assert [_ooxml_text(cell.value) for cell in cells] == expected
        assert {cell.data_type for cell in cells if cell.value is not None} == {"s"}
