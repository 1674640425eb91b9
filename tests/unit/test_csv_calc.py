"""Open our CSV in LibreOffice Calc (headless, ru-RU) and compare what it shows with the API.

Calc is run once for all cases and converts the CSV to flat ODS, whose XML holds each
cell's type, value, formula (if any) and displayed text. The import uses Calc's own
default separators (comma, semicolon and tab at once) and the riskiest options a user
can pick: "Evaluate formulas" and "Detect special numbers" on.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.reports.export import criteria_layout, write_csv
from bot.texts import t
from tests.unit.test_reports_stats import make_raw

pytestmark = pytest.mark.skipif(
    shutil.which("soffice") is None,
    reason="LibreOffice Calc is not installed (apt-get install libreoffice-calc)",
)

MOSCOW = ZoneInfo("Europe/Moscow")
# Separators , ; and tab; quote "; UTF-8; from line 1; standard columns; ru-RU; quoted
# fields are not forced to text; detect special numbers; (three export-only options);
# evaluate formulas.
CSV_FILTER = "CSV:44/59/9,34,76,1,,1049,false,true,false,false,false,-1,true"

TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"

# Summaries Calc must show byte-for-byte.
PROSE = [
    "- Клиент спросил о цене, оператор предложил скидку 10%.",
    "- Клиент спросил о цене.\n- Оператор ответил.",
    "+ добавить второе устройство",
    'Клиент сослался на баннер "-30% только сегодня"; спросил, почему цена выше.',
    "Клиент спросил, как подключить второе устройство к аккаунту.",
]
# Summaries Calc must show as text, not run: the original after an apostrophe.
HOSTILE = [
    '=HYPERLINK("http://x","y")',
    "=cmd|' /C calc'!A0",
    "=1+1",
    "@SUM(A1)",
    "-2+3",
    "+cmd",
    "\t=1+1",
    "- Клиент спросил (про тариф)",
]
# Phone numbers as text, and the API's digits-only fallback (shown as the same digits).
CALLERS = ["+7 (778) 203 66 47", "+7-778-203-66-47", "+7 (7172) 20-30-40", None]


@dataclass(frozen=True)
class CalcCell:
    kind: str | None  # ODF office:value-type: "string", "float", "date"…; None when empty
    value: str | None  # office:value or office:date-value
    formula: str | None
    shown: str


def _shown(cell: ET.Element) -> str:
    """The displayed text: ODF spells runs of spaces, tabs and line breaks as elements."""
    paragraphs = []
    for paragraph in cell.iter(f"{TEXT}p"):
        parts = [paragraph.text or ""]
        for child in paragraph:
            if child.tag == f"{TEXT}s":
                parts.append(" " * int(child.get(f"{TEXT}c", "1")))
            elif child.tag == f"{TEXT}tab":
                parts.append("\t")
            elif child.tag == f"{TEXT}line-break":
                parts.append("\n")
            else:
                parts.append("".join(child.itertext()))
            parts.append(child.tail or "")
        paragraphs.append("".join(parts))
    return "\n".join(paragraphs)


def _read_fods(path: Path) -> list[list[CalcCell]]:
    table = next(ET.parse(path).getroot().iter(f"{TABLE}table"))
    rows = []
    for row in table.iter(f"{TABLE}table-row"):
        cells = []
        for cell in row.findall(f"{TABLE}table-cell"):
            value = cell.get(f"{OFFICE}value") or cell.get(f"{OFFICE}date-value")
            parsed = CalcCell(
                cell.get(f"{OFFICE}value-type"), value, cell.get(f"{TABLE}formula"), _shown(cell)
            )
            # Trailing empty cells come as one element repeated up to the sheet's width.
            repeat = int(cell.get(f"{TABLE}number-columns-repeated", "1"))
            cells.extend([parsed] * (repeat if parsed.kind else min(repeat, 64)))
        rows.append(cells)
    return rows


def _raws() -> list[dict[str, Any]]:
    raws = []
    summaries = [*PROSE, *HOSTILE]
    for n, summary in enumerate(summaries, start=1):
        raw = make_raw(
            n,
            summary=summary,
            rating=7,
            grade=(62.5, 100),
            signals="дорого, блин",
            caller=CALLERS[n % len(CALLERS)],
        )
        raw["analytics"]["price"] = -5 if n % 2 else 12.5
        raws.append(raw)
    raws[0]["operator"]["fullName"] = '=HYPERLINK("http://evil","Иван")'
    return raws


@pytest.fixture(scope="module")
def calc_sheet(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[CalcCell]]:
    """Rows as Calc shows them, by their first cell (the call id, or "control")."""
    folder = tmp_path_factory.mktemp("calc")
    raws = _raws()
    source = folder / "calls.csv"
    with source.open("w", encoding="utf-8", newline="") as stream:
        write_csv(raws, stream, tz=MOSCOW, lang="ru", packs=criteria_layout(raws))
        # Unguarded formulas: proof that this import does evaluate what it is given.
        stream.write('control;=1+1;"=HYPERLINK(""http://x"";""y"")"\r\n')
    profile = (folder / "profile").as_uri()
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={profile}",
            "--headless",
            f"--infilter={CSV_FILTER}",
            "--convert-to",
            "fods",
            "--outdir",
            str(folder),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
        env={**os.environ, "LC_ALL": "ru_RU.UTF-8", "LANG": "ru_RU.UTF-8"},
    )
    rows = _read_fods(folder / "calls.fods")
    return {row[0].shown: row for row in rows if row}


def _columns(header: list[CalcCell], *keys: str) -> list[int]:
    titles = [cell.shown for cell in header]
    return [titles.index(t(f"report.col.{key}", "ru")) for key in keys]


def test_the_import_evaluates_unguarded_formulas(calc_sheet: dict[str, list[CalcCell]]) -> None:
    control = calc_sheet["control"]
    assert (control[1].formula, control[1].shown) == ("of:=1+1", "2")
    assert control[2].formula is not None and control[2].shown == "y"


def test_calc_shows_every_text_cell_as_the_api_wrote_it(
    calc_sheet: dict[str, list[CalcCell]],
) -> None:
    header = calc_sheet[t("report.col.dialog_id", "ru")]
    summary, caller, operator, signals = _columns(
        header, "summary", "caller", "operator", "signals"
    )
    for n, raw in enumerate(_raws(), start=1):
        row = calc_sheet[str(n)]
        assert all(cell.formula is None for cell in row), n
        text = raw["analytics"]["summary"]
        guarded = text in HOSTILE
        # Calc keeps a line break as it is; nothing else differs from the API's text.
        assert row[summary].shown == ("'" if guarded else "") + text
        assert row[summary].kind == "string"
        assert row[caller].shown == (raw["call"]["callerId"] or raw["call"]["callerIdClean"])
        assert row[signals].shown == "дорого, блин"
    assert calc_sheet["1"][operator].shown == '\'=HYPERLINK("http://evil","Иван")'
    assert calc_sheet["2"][operator].shown == "Айгерим Нурланова"


def test_calc_reads_numbers_with_a_decimal_comma_and_real_dates(
    calc_sheet: dict[str, list[CalcCell]],
) -> None:
    header = calc_sheet[t("report.col.dialog_id", "ru")]
    date, score, rating, price = _columns(header, "date", "score", "rating", "price")
    local = "2025-04-21T10:06:15"  # the API's 12:06:15+05 in Moscow time
    for n in range(1, len(PROSE) + len(HOSTILE) + 1):
        row = calc_sheet[str(n)]
        assert (row[date].kind, row[date].value) == ("date", local)
        assert (row[score].kind, row[score].value, row[score].shown) == ("float", "62.5", "62,5")
        assert (row[rating].value, row[rating].shown) == ("7", "7")
        expected_price = ("-5", "-5") if n % 2 else ("12.5", "12,5")
        assert (row[price].kind, row[price].value, row[price].shown) == ("float", *expected_price)
