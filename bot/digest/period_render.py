"""The text of a weekly or monthly report: team figures, the per-operator table with changes,
the most improved and declined operators and the criteria that fell. Pure functions; every
value from the API is escaped here. The text stays within one Telegram message: the table
is shortened with a note when it would not fit (the Excel file has every operator).
"""

from __future__ import annotations

import html
from decimal import Decimal
from typing import Final

from bot.digest.model import Cadence
from bot.digest.render import period_label
from bot.reports import fmt
from bot.reports.markup import MESSAGE_LIMIT, text_length
from bot.reports.stats import OperatorStats
from bot.reports.trend import (
    FallenCriterion,
    OperatorRow,
    PeriodComparison,
    Span,
    tenths_change,
    whole_change,
)
from bot.texts import t

ROW_WIDTH: Final = 32
"""Characters per line of the table: fits a phone held upright."""
NAME_WIDTH: Final = ROW_WIDTH
COLUMN: Final = 6
PACKS_SHOWN: Final = 5


def _esc(value: object) -> str:
    return html.escape(str(value), quote=False)


def signed(value: int | Decimal | None, lang: str) -> str:
    """``+3``, ``−0,4``, ``0``; ``–`` when there is nothing to compare."""
    if value is None:
        return fmt.MISSING
    if value == 0:
        return "0"
    number = float(value)
    return ("+" if number > 0 else "−") + fmt.decimal(abs(number), lang)


def span_label(span: Span, cadence: Cadence, lang: str) -> str:
    """``10–16 ноября`` for a week, ``ноябрь 2026`` for a month (plain text)."""
    if cadence is Cadence.MONTHLY:
        month = t("digest.month_names", lang).split(",")[span[0].month - 1]
        return f"{month} {span[0].year}"
    return period_label(span[0], span[1], lang)


def _percent(value: float | None, lang: str) -> str:
    return f"{fmt.percent(value, lang)}%" if value is not None else fmt.MISSING


def _cells(values: list[str]) -> str:
    return "".join(value.rjust(COLUMN) for value in values)[-ROW_WIDTH:].rjust(ROW_WIDTH)


def _figures(op: OperatorStats, lang: str) -> str:
    return _cells(
        [
            fmt.integer(op.calls, lang),
            fmt.decimal(op.avg_rating, lang),
            _percent(op.avg_score, lang),
            fmt.integer(op.bad, lang),
            _percent(op.bad_share, lang),
        ]
    )


def _changes(row: OperatorRow, lang: str) -> str:
    assert row.now is not None and row.before is not None
    now, before = row.now, row.before
    return _cells(
        [
            signed(now.calls - before.calls, lang),
            signed(tenths_change(now.avg_rating, before.avg_rating), lang),
            signed(row.script_change, lang),
            signed(now.bad - before.bad, lang),
            signed(row.bad_share_change, lang),
        ]
    )


def operator_block(row: OperatorRow, lang: str) -> str:
    """Three table lines (escaped): the name, this period's figures, the change."""
    lines = [_esc(fmt.truncate(" ".join(row.name.split()), NAME_WIDTH))]
    if row.now is None:
        assert row.before is not None
        lines.append(_esc(t("report.period.absent_now", lang, n=row.before.calls)))
    else:
        lines.append(_esc(_figures(row.now, lang)))
        if row.before is None:
            lines.append(_esc(t("report.period.absent_before", lang)))
        else:
            lines.append(_esc("Δ" + _changes(row, lang)[1:]))
    return "\n".join(lines)


def table_head(lang: str) -> str:
    return _esc(_cells(t("report.period.columns", lang).split(",")))


def _mover_line(number: int, row: OperatorRow, lang: str) -> str:
    assert row.now is not None and row.before is not None
    return t(
        "report.period.mover",
        lang,
        n=number,
        name=_esc(fmt.truncate(row.name, 40)),
        before=fmt.percent(row.before.avg_score, lang),
        now=fmt.percent(row.now.avg_score, lang),
        change=signed(row.script_change, lang),
        bad=signed(row.bad_share_change, lang),
    )


def movers_text(report: PeriodComparison, lang: str) -> str:
    lines = [t("report.period.movers_rule", lang, n=report.min_calls)]
    if report.ranked < 2:
        lines.append(t("report.period.no_ranking", lang, n=report.min_calls))
        return "\n".join(lines)
    for key, rows in (("improved", report.improved), ("declined", report.declined)):
        lines.append(t(f"report.period.{key}", lang))
        if not rows:
            lines.append(t(f"report.period.{key}_none", lang))
        lines += [_mover_line(number, row, lang) for number, row in enumerate(rows, start=1)]
    return "\n".join(lines)


def _pack_name(item: FallenCriterion, lang: str) -> str:
    if item.pack_title:
        shown = _esc(fmt.truncate(item.pack_title, 40))
        return f"«{shown}» ({item.pack_id})" if item.pack_id is not None else f"«{shown}»"
    return t("report.period.pack_id", lang, id=item.pack_id if item.pack_id is not None else "?")


def fallen_text(report: PeriodComparison, lang: str) -> str:
    lines = [t("report.period.fallen", lang, n=report.min_calls)]
    if not report.fallen:
        lines.append(t("report.period.fallen_none", lang))
        return "\n".join(lines)
    for items in report.fallen[:PACKS_SHOWN]:
        lines.append(_pack_name(items[0], lang))
        for item in items:
            lines.append(
                t(
                    "report.period.fallen_item",
                    lang,
                    number=item.number,
                    before=fmt.mark_text(item.before.avg_mark, lang),
                    now=fmt.mark_text(item.now.avg_mark, lang),
                    change=signed(item.change, lang),
                    calls=fmt.integer(item.now.count, lang),
                )
            )
    rest = len(report.fallen) - PACKS_SHOWN
    if rest > 0:
        lines.append(t("report.period.fallen_more", lang, n=rest))
    return "\n".join(lines)


def team_text(report: PeriodComparison, lang: str) -> str:
    now, before = report.current, report.previous
    return t(
        "report.period.team",
        lang,
        calls=fmt.integer(now.total, lang),
        calls_before=fmt.integer(before.total, lang),
        script=_percent(now.avg_score, lang),
        script_change=signed(whole_change(now.avg_score, before.avg_score), lang),
        scored=fmt.integer(now.scored, lang),
        bad=fmt.integer(now.bad, lang),
        share=_percent(now.bad_share, lang),
        share_change=signed(whole_change(now.bad_share, before.bad_share), lang),
    )


def render_period_report(
    report: PeriodComparison,
    *,
    span: Span,
    cadence: Cadence,
    rule: str,
    lang: str,
    file_has_table: bool,
    limit: int = MESSAGE_LIMIT,
) -> str:
    """The report message (HTML, ≤ ``limit``); ``rule`` is the bad-call rule, escaped."""
    kind = "week" if cadence is Cadence.WEEKLY else "month"
    head = "\n".join(
        [
            t(f"report.period.title_{kind}", lang, period=_esc(span_label(span, cadence, lang))),
            team_text(report, lang),
        ]
    )
    legend = t(f"report.period.legend_{kind}", lang, rule=rule)
    after = [movers_text(report, lang), fallen_text(report, lang), legend]
    table_title = t(f"report.period.table_{kind}", lang)
    blocks = [operator_block(row, lang) for row in report.rows]

    def compose(shown: int) -> str:
        table = "\n".join([table_head(lang), *blocks[:shown]])
        parts = [head, f"{table_title}\n<pre>{table}</pre>"]
        rest = len(blocks) - shown
        if rest:
            key = "report.period.more_in_file" if file_has_table else "report.period.more"
            parts.append(t(key, lang, n=rest))
        return "\n\n".join([*parts, *after])

    shown = len(blocks)
    text = compose(shown)
    while shown > 0 and text_length(text) > limit:
        shown -= 1
        text = compose(shown)
    return text
