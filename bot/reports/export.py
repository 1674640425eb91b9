"""Exports: XLSX, CSV and the raw JSON, streaming-friendly, plus file naming and
packaging for Telegram's upload limit.

Rows are produced one at a time from an iterable, so memory stays flat however
many calls there are; ``progress(rows_done)`` is called every ``PROGRESS_EVERY``
rows so a caller can update a status message.
"""

from __future__ import annotations

import contextlib
import csv
import json
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any, BinaryIO, Final, TextIO
from zoneinfo import ZoneInfo

from bot.aiokk.models import (
    CallRecord,
    _str_list,
    _to_float,
    _to_int,
    _to_str,
    parse_datetime,
    score_percent,
    split_signals,
)
from bot.aiokk.raw import RawRecord
from bot.reports import fmt
from bot.reports.spreadsheet_guard import FORMULA_TRIGGERS, guard_cell
from bot.reports.stats import (
    CallStats,
    PackKey,
    criterion_keys,
    is_plain,
    pack_key,
    pack_sort_key,
    validated,
)
from bot.texts import t

PROGRESS_EVERY: Final = 500
EXCEL_CELL_LIMIT: Final = 32_767
CRITERION_WIDTH_LIMIT: Final = 32
CSV_DATETIME: Final = "%d.%m.%Y %H:%M:%S"
XLSX_DATETIME: Final = "dd.mm.yyyy hh:mm:ss"

Progress = Callable[[int], None]
Cell = str | int | float | datetime | None

# Keys of the fixed columns before and after the criteria, in order. The question pack
# (id and title) comes before its criteria.
_LEAD_COLUMNS: Final = (
    "dialog_id",
    "date",
    "call_type",
    "duration",
    "caller",
    "operator",
    "operator_id",
    "int_num",
    "department_id",
    "department",
    "rating",
    "rating_description",
    "rating_recommendation",
    "pack_id",
    "pack_title",
    "score",
    "current_grade",
    "max_grade",
)
_TAIL_COLUMNS: Final = ("signals", "signal_count", "summary", "languages", "status", "price")
# Column widths in characters for the XLSX sheet; criteria columns fit their title.
_WIDTHS: Final[dict[str, int]] = {
    "dialog_id": 11,
    "date": 19,
    "call_type": 16,
    "duration": 12,
    "caller": 19,
    "operator": 26,
    "operator_id": 10,
    "int_num": 10,
    "department_id": 10,
    "department": 22,
    "rating": 10,
    "rating_description": 50,
    "rating_recommendation": 50,
    "pack_id": 10,
    "pack_title": 24,
    "score": 10,
    "current_grade": 10,
    "max_grade": 10,
    "signals": 50,
    "signal_count": 10,
    "summary": 80,
    "languages": 10,
    "status": 8,
    "price": 10,
}


@dataclass(frozen=True)
class PackColumns:
    """A question pack of an export and its criteria 1..``count``."""

    key: PackKey
    title: str | None
    count: int

    def name(self, lang: str) -> str:
        """The pack in a spreadsheet: its title, or ``Набор 27``."""
        if self.title:
            return self.title
        if self.key[0] is not None:
            return t("report.col.pack_id_name", lang, id=self.key[0])
        return t("report.col.pack_unknown", lang)


@dataclass(frozen=True)
class CriteriaColumns:
    """Where a call's criterion marks go in a row.

    Criterion N means different things in different question packs, so marks are
    placed by (pack, N). ``per_pack`` (Excel): each pack has its own columns,
    "<pack> · п. N", one table to filter and pivot. ``shared`` (CSV): the pack is
    named in its own column and its criteria follow in order under "Пункт N набора".
    ``spans[pack]`` is the pack's first column within the criteria block and its count.
    """

    packs: tuple[PackColumns, ...] = ()
    shared: bool = False
    spans: Mapping[PackKey, tuple[int, int]] = field(default_factory=dict)
    width: int = 0

    @classmethod
    def per_pack(cls, packs: Iterable[PackColumns]) -> CriteriaColumns:
        ordered = tuple(packs)
        spans: dict[PackKey, tuple[int, int]] = {}
        first = 0
        for pack in ordered:
            spans[pack.key] = (first, pack.count)
            first += pack.count
        return cls(packs=ordered, shared=False, spans=spans, width=first)

    @classmethod
    def shared_columns(cls, packs: Iterable[PackColumns]) -> CriteriaColumns:
        ordered = tuple(packs)
        spans = {pack.key: (0, pack.count) for pack in ordered}
        width = max((pack.count for pack in ordered), default=0)
        return cls(packs=ordered, shared=True, spans=spans, width=width)

    def titles(self, lang: str) -> list[str]:
        if self.shared:
            return [t("report.col.pack_item", lang, n=n) for n in range(1, self.width + 1)]
        return [
            t("report.col.pack_criterion", lang, pack=pack.name(lang), n=n)
            for pack in self.packs
            for n in range(1, pack.count + 1)
        ]


def criteria_layout(raw_records: Iterable[RawRecord]) -> list[PackColumns]:
    """The question packs present and each one's highest criterion number, in title
    order: the cheap first pass before an export. Records that would not validate
    do not count; a pack's title is the first one seen (records come newest first).
    """
    counts: dict[PackKey, int] = {}
    titles: dict[PackKey, str | None] = {}

    def note(pack_id: int | None, title: str | None, number: int) -> None:
        key = pack_key(pack_id, title)
        counts[key] = max(counts.get(key, 0), number)
        if titles.get(key) is None:
            titles[key] = " ".join(title.split()) or None if title else None

    for raw in raw_records:
        if not is_plain(raw):
            record = validated(raw)
            evaluation = record.evaluation if record is not None else None
            if evaluation is not None and evaluation.criteria:
                note(
                    evaluation.evaluation_id,
                    evaluation.evaluation_title,
                    evaluation.criteria[-1].number,
                )
            continue
        call = raw.get("call")
        analytics = raw.get("analytics")
        if not isinstance(call, dict) or not isinstance(analytics, dict):
            continue
        evaluation_block = analytics.get("evaluationCriteria")
        if not isinstance(evaluation_block, dict) or _to_int(call.get("dialogId")) is None:
            continue
        highest = 0
        for key, value in evaluation_block.items():
            if isinstance(value, dict) and (keys := criterion_keys(key)) is not None:
                highest = max(highest, keys[0])
        if highest:
            note(
                _to_int(evaluation_block.get("evaluationId")),
                _to_str(evaluation_block.get("evaluationTitle")),
                highest,
            )
    packs = [PackColumns(key, titles.get(key), count) for key, count in counts.items()]
    packs.sort(key=lambda pack: pack_sort_key(pack.key[0], pack.title))
    return packs


def headers(lang: str, columns: CriteriaColumns) -> list[str]:
    """Column titles in the user's language."""
    lead = [t(f"report.col.{key}", lang) for key in _LEAD_COLUMNS]
    tail = [t(f"report.col.{key}", lang) for key in _TAIL_COLUMNS]
    return lead + columns.titles(lang) + tail


def _model_row(
    record: CallRecord,
    tz: ZoneInfo,
    columns: CriteriaColumns,
    type_names: dict[int | None, str],
) -> list[Cell]:
    """``row_values`` of a record that only the model can read (see ``stats.is_plain``)."""
    call = record.call
    operator = record.operator
    analytics = record.analytics
    loyalty = analytics.client_loyalty if analytics else None
    evaluation = analytics.evaluation if analytics else None
    signals = analytics.signals if analytics else None

    moment = fmt.local_datetime(record, tz)
    call_type = call.call_type
    type_name = type_names.get(call_type)
    if type_name is None:
        type_name = str(call_type) if call_type is not None else None

    marks: list[Cell] = [None] * columns.width
    if evaluation is not None:
        span = columns.spans.get(pack_key(evaluation.evaluation_id, evaluation.evaluation_title))
        if span is not None:
            first, count = span
            for criterion in evaluation.criteria:
                if 1 <= criterion.number <= count:
                    marks[first + criterion.number - 1] = _number(criterion.mark)

    words = signals.words if signals else []
    signal_count = signals.count if signals and signals.count is not None else len(words)
    score = evaluation.score_percent if evaluation else None
    return [
        call.dialog_id,
        moment.replace(tzinfo=None) if moment else None,
        type_name,
        call.duration_sec,
        call.caller_id or call.caller_id_clean,
        operator.full_name if operator else None,
        operator.operator_id if operator else None,
        operator.int_num if operator else None,
        operator.department_id if operator else None,
        operator.department_name if operator else None,
        loyalty.current_grade if loyalty else None,
        loyalty.description if loyalty else None,
        loyalty.recommendation if loyalty else None,
        evaluation.evaluation_id if evaluation else None,
        evaluation.evaluation_title if evaluation else None,
        _number(fmt.round_half_up(score, 2)) if score is not None else None,
        _number(evaluation.current_grade) if evaluation else None,
        _number(evaluation.max_grade) if evaluation else None,
        *marks,
        ", ".join(words) if words else None,
        signal_count if signals else None,
        analytics.summary if analytics else None,
        ", ".join(analytics.languages) if analytics and analytics.languages else None,
        analytics.status if analytics else None,
        _number(analytics.price) if analytics else None,
    ]


def row_values(
    raw: RawRecord,
    tz: ZoneInfo,
    columns: CriteriaColumns,
    type_names: dict[int | None, str],
) -> list[Cell] | None:
    """One call as typed cells; ``date`` is a naive local datetime (what Excel wants).

    ``None`` when the record would not validate as a ``CallRecord``. Fields are
    read straight from the dict with the models' own coercions, about ten times
    cheaper than building the model; a record the dict reader cannot follow
    (see ``stats.is_plain``) goes through the model.
    """
    if not is_plain(raw):
        record = validated(raw)
        return None if record is None else _model_row(record, tz, columns, type_names)
    call = raw.get("call")
    if not isinstance(call, dict):
        return None
    dialog_id = _to_int(call.get("dialogId"))
    if dialog_id is None:
        return None  # the model requires it: such a record never validates

    moment = parse_datetime(call.get("date")) or parse_datetime(call.get("created_at"))
    if moment is not None:
        # As fmt.local_datetime: a naive value is already local.
        moment = moment if moment.tzinfo is None else moment.astimezone(tz).replace(tzinfo=None)
    call_type = _to_int(call.get("callType"))
    type_name = type_names.get(call_type)
    if type_name is None:
        type_name = str(call_type) if call_type is not None else None

    operator = raw.get("operator")
    if not isinstance(operator, dict):
        operator = None
    analytics = raw.get("analytics")
    loyalty: dict[str, Any] | None = None
    evaluation: dict[str, Any] | None = None
    signals: dict[str, Any] | None = None
    if isinstance(analytics, dict):
        block = analytics.get("clientLoyalty")
        loyalty = block if isinstance(block, dict) else None
        block = analytics.get("evaluationCriteria")
        evaluation = block if isinstance(block, dict) else None
        block = analytics.get("signals")
        signals = block if isinstance(block, dict) else None
    else:
        analytics = None

    marks: list[Cell] = [None] * columns.width
    score: float | None = None
    current: float | None = None
    maximum: float | None = None
    pack_id: int | None = None
    pack_title: str | None = None
    if evaluation is not None:
        current = _to_float(evaluation.get("eCurrentGrade"))
        maximum = _to_float(evaluation.get("maxGrade"))
        score = score_percent(current, maximum)
        pack_id = _to_int(evaluation.get("evaluationId"))
        pack_title = _to_str(evaluation.get("evaluationTitle"))
        span = columns.spans.get(pack_key(pack_id, pack_title))
        first, count = span if span is not None else (0, 0)
        for key, value in evaluation.items():
            if not isinstance(value, dict):
                continue
            keys = criterion_keys(key)
            if keys is None or not 1 <= keys[0] <= count:
                continue
            mark: Any = value[keys[1]] if keys[1] in value else value.get("mark")
            if type(mark) is int:
                # _number(_to_float(mark)) for the usual whole mark, without the round trip.
                marks[first + keys[0] - 1] = int(float(mark))
            else:
                marks[first + keys[0] - 1] = _number(_to_float(mark))

    words: list[str] = []
    signal_count: int | None = None
    if signals is not None:
        if "mentionedSignals" in signals:
            words = split_signals(signals["mentionedSignals"])
        signal_count = _to_int(signals.get("count"))
        if signal_count is None:
            signal_count = len(words)
    languages = _str_list(analytics.get("languages")) if analytics is not None else []
    return [
        dialog_id,
        moment,
        type_name,
        _to_int(call.get("durationSec")),
        _to_str(call.get("callerId")) or _to_str(call.get("callerIdClean")),
        _to_str(operator.get("fullName")) if operator is not None else None,
        _to_int(operator.get("operatorId")) if operator is not None else None,
        _to_str(operator.get("intNum")) if operator is not None else None,
        _to_int(operator.get("departmentId")) if operator is not None else None,
        _to_str(operator.get("departmentName")) if operator is not None else None,
        _to_int(loyalty.get("currentGrade")) if loyalty is not None else None,
        _to_str(loyalty.get("description")) if loyalty is not None else None,
        _to_str(loyalty.get("recommendation")) if loyalty is not None else None,
        pack_id,
        pack_title,
        _number(fmt.round_half_up(score, 2)) if score is not None else None,
        _number(current) if evaluation is not None else None,
        _number(maximum) if evaluation is not None else None,
        *marks,
        ", ".join(words) if words else None,
        signal_count,
        _to_str(analytics.get("summary")) if analytics is not None else None,
        ", ".join(languages) if languages else None,
        _to_int(analytics.get("status")) if analytics is not None else None,
        _number(_to_float(analytics.get("price"))) if analytics is not None else None,
    ]


def _number(value: float | None) -> int | float | None:
    """Whole floats become ints so that ``3.0`` shows as ``3``."""
    if value is None:
        return None
    return int(value) if value == int(value) else value


def _type_names(lang: str) -> dict[int | None, str]:
    return {call_type: fmt.call_type_name(call_type, lang) for call_type in (1, 2, 3, 4)}


# ---------------------------------------------------------------------------- XLSX


def write_xlsx(
    raw_records: Iterable[RawRecord],
    path_or_buffer: str | Path | IO[bytes],
    *,
    tz: ZoneInfo,
    lang: str,
    packs: Iterable[PackColumns],
    summary: SummarySheet,
    progress: Progress | None = None,
    operators: TableSheet | None = None,
) -> int:
    """Write the calls sheet and a summary sheet (and ``operators``, a per-operator table,
    when given); returns the number of calls written.

    ``packs`` come from ``criteria_layout`` over the same records: every pack gets its
    own criteria columns (see ``CriteriaColumns``). Records that would not validate
    are skipped (see ``row_values``). ``constant_memory`` keeps memory flat but
    requires rows in order, which is how they come. Formats are created once, never
    per row.
    """
    import xlsxwriter

    columns = CriteriaColumns.per_pack(packs)
    rows = _rows(raw_records, tz, columns, _type_names(lang))
    target = str(path_or_buffer) if isinstance(path_or_buffer, Path) else path_or_buffer
    workbook = xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    try:
        written = _fill_workbook(workbook, rows, lang, columns, summary, progress)
        if operators is not None:
            _fill_table(workbook, operators)
    except BaseException:
        # Release xlsxwriter's temporary files; the original error is what matters.
        with contextlib.suppress(Exception):
            workbook.close()
        raise
    workbook.close()
    if progress is not None:
        progress(written)
    return written


def _rows(
    raw_records: Iterable[RawRecord],
    tz: ZoneInfo,
    columns: CriteriaColumns,
    type_names: dict[int | None, str],
) -> Iterator[list[Cell]]:
    for raw in raw_records:
        row = row_values(raw, tz, columns, type_names)
        if row is not None:
            yield row


def _fill_workbook(
    workbook: Any,
    rows: Iterable[list[Cell]],
    lang: str,
    columns: CriteriaColumns,
    summary: SummarySheet,
    progress: Progress | None,
) -> int:
    header_format = workbook.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1})
    date_format = workbook.add_format({"num_format": XLSX_DATETIME})
    percent_format = workbook.add_format({"num_format": "0.0"})

    sheet = workbook.add_worksheet(_sheet_name(t("report.sheet.calls", lang)))
    titles = headers(lang, columns)
    widths = [
        *(_WIDTHS[key] for key in _LEAD_COLUMNS),
        *(min(len(title) + 2, CRITERION_WIDTH_LIMIT) for title in columns.titles(lang)),
        *(_WIDTHS[key] for key in _TAIL_COLUMNS),
    ]
    for column, width in enumerate(widths):
        sheet.set_column(column, column, width)
    for column, title in enumerate(titles):
        sheet.write_string(0, column, title, header_format)
    sheet.freeze_panes(1, 0)

    score_column = _LEAD_COLUMNS.index("score")
    write_string = sheet.write_string
    write_number = sheet.write_number
    write_datetime = sheet.write_datetime
    row = 0
    for values in rows:
        row += 1
        for column, value in enumerate(values):
            if isinstance(value, str):
                if value:
                    write_string(row, column, value[:EXCEL_CELL_LIMIT])
            elif value is None:
                continue
            elif isinstance(value, datetime):
                write_datetime(row, column, value, date_format)
            elif column == score_column:
                write_number(row, column, value, percent_format)
            else:
                write_number(row, column, value)
        if progress is not None and row % PROGRESS_EVERY == 0:
            progress(row)
    sheet.autofilter(0, 0, max(row, 1), len(titles) - 1)

    summary_tab = workbook.add_worksheet(_sheet_name(t("report.sheet.summary", lang)))
    _fill_summary(summary_tab, summary, lang, header_format)
    return row


def _fill_summary(sheet: Any, summary: SummarySheet, lang: str, header_format: Any) -> None:
    """The figures, then per question pack the average mark of each criterion."""
    sheet.set_column(0, 0, 42)
    sheet.set_column(1, 3, 14)
    sheet.write_string(0, 0, t("report.sheet.metric", lang), header_format)
    sheet.write_string(0, 1, t("report.sheet.value", lang), header_format)
    index = 0
    for index, (label, value) in enumerate(summary.figures, start=1):
        sheet.write_string(index, 0, label)
        if isinstance(value, str):
            sheet.write_string(index, 1, value)
        else:
            sheet.write_number(index, 1, value)
    if not summary.criteria:
        return
    index += 2
    for column, key in enumerate(("pack", "item", "avg_mark", "marked_calls")):
        sheet.write_string(index, column, t(f"report.sheet.{key}", lang), header_format)
    for pack, number, average, calls in summary.criteria:
        index += 1
        sheet.write_string(index, 0, pack)
        sheet.write_number(index, 1, number)
        sheet.write_number(index, 2, average)
        sheet.write_number(index, 3, calls)


def _fill_table(workbook: Any, table: TableSheet) -> None:
    header_format = workbook.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1})
    sheet = workbook.add_worksheet(_sheet_name(table.name))
    for column, title in enumerate(table.headers):
        sheet.set_column(column, column, max(12, min(len(title) + 2, 36)))
        sheet.write_string(0, column, title, header_format)
    sheet.freeze_panes(1, 1)
    for row, values in enumerate(table.rows, start=1):
        for column, value in enumerate(values):
            if isinstance(value, str):
                sheet.write_string(row, column, value[:EXCEL_CELL_LIMIT])
            elif value is not None:
                sheet.write_number(row, column, value)
    if table.notes:
        row = len(table.rows) + 2
        for offset, note in enumerate(table.notes):
            sheet.write_string(row + offset, 0, note)


_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(name: str) -> str:
    return _SHEET_FORBIDDEN.sub(" ", name)[:31] or "Sheet"


@dataclass(frozen=True)
class SummarySheet:
    """What the summary sheet of an Excel file holds."""

    figures: list[tuple[str, str | float | int]] = field(default_factory=list)
    criteria: list[tuple[str, int, float, int]] = field(default_factory=list)
    """Per question pack and criterion: pack, criterion number, average mark, calls."""


@dataclass(frozen=True)
class TableSheet:
    """A sheet of one table: a header row, rows of text or numbers (None: empty), notes."""

    name: str
    headers: list[str]
    rows: list[list[str | float | int | None]]
    notes: list[str] = field(default_factory=list)


def summary_sheet(stats: CallStats, lang: str) -> SummarySheet:
    """The summary sheet's figures and per-pack criterion averages, from ``CallStats``."""
    criteria = [
        (
            PackColumns(pack_key(c.pack_id, c.pack_title), c.pack_title, 0).name(lang),
            c.number,
            fmt.round_half_up(c.avg_mark, 2),
            c.count,
        )
        for c in stats.criteria.values()
    ]
    return SummarySheet(figures=stats_summary_rows(stats, lang), criteria=criteria)


def stats_summary_rows(stats: CallStats, lang: str) -> list[tuple[str, str | float | int]]:
    """Figures for the summary sheet, built from ``CallStats``."""
    rows: list[tuple[str, str | float | int]] = [(t("report.fig.total", lang), stats.total)]
    for call_type, count in sorted(stats.by_type.items()):
        name = fmt.call_type_name(call_type, lang)
        rows.append((t("report.fig.type", lang, name=name), count))
    rows.append((t("report.fig.duration_total", lang), stats.total_duration))
    rows.append((t("report.fig.rated", lang), stats.rated))
    rows.append((t("report.fig.scored", lang), stats.scored))
    optional: list[tuple[str, float | None]] = [
        ("report.fig.duration_avg", stats.avg_duration),
        ("report.fig.rating_avg", stats.avg_rating),
        ("report.fig.rating_low", float(stats.low_rated) if stats.rated else None),
        ("report.fig.rating_low_share", stats.low_rating_share),
        ("report.fig.score_avg", stats.avg_score),
        ("report.fig.score_low_share", stats.low_score_share),
    ]
    for key, value in optional:
        if value is not None:
            rows.append((t(key, lang), fmt.round_half_up(value, 2)))
    for word, count in stats.top_signals:
        rows.append((t("report.fig.signal", lang, name=word), count))
    return rows


# ----------------------------------------------------------------------------- CSV


def _csv_cell(value: Cell, decimal_comma: bool) -> str | int:
    if value is None:
        return ""
    if isinstance(value, str):
        return guard_cell(value)
    if isinstance(value, datetime):
        return value.strftime(CSV_DATETIME)
    if isinstance(value, float):
        text = repr(value)
        return text.replace(".", ",") if decimal_comma else text
    return value


def write_csv(
    raw_records: Iterable[RawRecord],
    stream: TextIO,
    *,
    tz: ZoneInfo,
    lang: str,
    packs: Iterable[PackColumns],
    delimiter: str = ";",
    progress: Progress | None = None,
) -> int:
    """Write a CSV that Excel opens correctly; returns the number of calls written.

    ``packs`` come from ``criteria_layout`` over the same records: each row names its
    question pack and lists that pack's criteria in order (see ``CriteriaColumns``).
    Records that would not validate are skipped (see ``row_values``). The
    function writes the UTF-8 byte-order mark itself, so open ``stream`` with
    ``encoding="utf-8"`` (not ``utf-8-sig``) and ``newline=""``. With the default
    ``;`` delimiter decimals use a comma, as Russian-locale Excel expects.
    Every cell but an integer is quoted: LibreOffice Calc splits at commas,
    semicolons and tabs at once by default, and still reads a quoted number.
    """
    columns = CriteriaColumns.shared_columns(packs)
    rows = _rows(raw_records, tz, columns, _type_names(lang))
    stream.write("\ufeff")
    writer = csv.writer(
        stream, delimiter=delimiter, lineterminator="\r\n", quoting=csv.QUOTE_NONNUMERIC
    )
    writer.writerow(headers(lang, columns))
    decimal_comma = delimiter == ";"
    written = 0
    for values in rows:
        # In place, and inline for the common cells: this loop runs for every cell.
        # The csv module itself writes None as an empty field ("").
        for index, value in enumerate(values):
            if isinstance(value, str):
                if value and value[0] in FORMULA_TRIGGERS:
                    values[index] = guard_cell(value)
            elif value is not None and type(value) is not int:
                values[index] = _csv_cell(value, decimal_comma)
        writer.writerow(values)
        written += 1
        if progress is not None and written % PROGRESS_EVERY == 0:
            progress(written)
    if progress is not None:
        progress(written)
    return written


# ---------------------------------------------------------------------------- JSON


def write_json(
    raw_records: Iterable[dict[str, Any]],
    stream: BinaryIO,
    *,
    progress: Progress | None = None,
) -> int:
    """Records exactly as the API returned them, as one UTF-8 JSON array written
    item by item (Cyrillic stays readable); returns the number of records."""
    stream.write(b"[")
    count = 0
    for item in raw_records:
        stream.write(b"\n" if count == 0 else b",\n")
        stream.write(json.dumps(item, ensure_ascii=False).encode("utf-8"))
        count += 1
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
    stream.write(b"\n]\n" if count else b"]\n")
    if progress is not None:
        progress(count)
    return count


# ------------------------------------------------------------------ file names


_TRANSLIT: Final[dict[int, str]] = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
        "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
        "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
        "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
        "я": "ya",
        # Kazakh letters.
        "ә": "a", "ғ": "g", "қ": "k", "ң": "n", "ө": "o", "ұ": "u", "ү": "u", "һ": "h",
        "і": "i",
    }
)  # fmt: skip
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
SLUG_LIMIT: Final = 60


def slugify(text: str) -> str:
    """``Отдел продаж`` → ``otdel-prodazh``: lowercase latin, digits and dashes."""
    latin = text.lower().translate(_TRANSLIT)
    slug = _NOT_SLUG.sub("-", latin).strip("-")
    return slug[:SLUG_LIMIT].rstrip("-")


def export_filename(
    kind: str, query_slug: str, start: date | None, end: date | None, ext: str
) -> str:
    """``calls_otdel-prodazh_2025-04-14_2025-04-21.xlsx``; missing parts are left out."""
    parts = [slugify(kind) or "export"]
    slug = slugify(query_slug)
    if slug:
        parts.append(slug)
    parts.extend(day.isoformat() for day in (start, end) if day is not None)
    return "_".join(parts) + "." + ext.lstrip(".")


# ------------------------------------------------------------------- packaging

_COPY_CHUNK: Final = 1 << 20


def package_for_upload(path: Path, limit_bytes: int) -> list[Path]:
    """Make ``path`` fit an upload limit.

    Returns ``[path]`` when it already fits; otherwise a ``.zip`` next to it; if
    even that is too big, the zip cut into ``name.zip.001``, ``.002`` … each at
    most ``limit_bytes`` (join with ``cat`` or open with 7-Zip). The caller
    deletes the returned files; an intermediate zip that was split is deleted here.
    """
    if limit_bytes <= 0:
        raise ValueError("limit_bytes must be positive")
    if path.stat().st_size <= limit_bytes:
        return [path]
    archive = path.with_name(path.stem + ".zip")
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.write(path, arcname=path.name)
    if archive.stat().st_size <= limit_bytes:
        return [archive]

    parts: list[Path] = []
    try:
        with archive.open("rb") as source:
            while True:
                part = archive.with_name(f"{archive.name}.{len(parts) + 1:03d}")
                written = _copy_part(source, part, limit_bytes)
                if written == 0:
                    part.unlink()
                    break
                parts.append(part)
                if written < limit_bytes:
                    break
    finally:
        archive.unlink()
    return parts


def _copy_part(source: BinaryIO, part: Path, limit_bytes: int) -> int:
    written = 0
    with part.open("wb") as target:
        while written < limit_bytes:
            chunk = source.read(min(_COPY_CHUNK, limit_bytes - written))
            if not chunk:
                break
            target.write(chunk)
            written += len(chunk)
    return written
