"""What a weekly or monthly digest adds to the bad calls: the trend over 8 weeks or 6 months,
the per-operator comparison with the period before, and its Excel sheet.

The calls of the whole range are fetched once (see ``fetch_span``) and split here by
local date; the reported period is the last span, the one before it the previous period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.aiokk.raw import RawRecord
from bot.digest.artifacts import TrendChartInput
from bot.digest.model import Cadence, Schedule
from bot.digest.period_render import render_period_report
from bot.reports import fmt
from bot.reports.export import TableSheet
from bot.reports.stats import BadCallTest, OperatorStats
from bot.reports.trend import (
    PeriodComparison,
    Span,
    TrendPoint,
    compare_periods,
    months_until,
    split_by_span,
    trend_points,
    weeks_until,
)
from bot.texts import t


def report_spans(schedule: Schedule, period: Span) -> list[Span]:
    """The weeks or months of the trend, oldest first; the last one is ``period``."""
    if schedule.cadence is Cadence.MONTHLY:
        return months_until(period)
    return weeks_until(period)


def fetch_span(spans: Sequence[Span]) -> Span:
    """The one range fetched for the whole report."""
    return spans[0][0], spans[-1][1]


@dataclass(frozen=True)
class PeriodParts:
    """The fetched records split into the report's spans."""

    spans: list[Span]
    parts: list[list[RawRecord]]

    @classmethod
    def split(cls, records: Sequence[RawRecord], spans: list[Span], tz: ZoneInfo) -> PeriodParts:
        return cls(spans, split_by_span(records, spans, tz))

    @property
    def current(self) -> list[RawRecord]:
        return self.parts[-1]

    @property
    def previous(self) -> list[RawRecord]:
        return self.parts[-2]


@dataclass(frozen=True)
class PeriodReport:
    cadence: Cadence
    span: Span
    comparison: PeriodComparison
    trend: list[TrendPoint]

    def text(self, rule: str, lang: str, *, file_has_table: bool) -> str:
        return render_period_report(
            self.comparison,
            span=self.span,
            cadence=self.cadence,
            rule=rule,
            lang=lang,
            file_has_table=file_has_table,
        )

    def chart(self, lang: str) -> TrendChartInput:
        return trend_chart_input(self.trend, self.cadence, lang)

    def operators_sheet(self, lang: str) -> TableSheet:
        return operators_sheet(self.comparison, lang)


def build_period_report(parts: PeriodParts, cadence: Cadence, bad: BadCallTest) -> PeriodReport:
    return PeriodReport(
        cadence=cadence,
        span=parts.spans[-1],
        comparison=compare_periods(parts.current, parts.previous, bad),
        trend=trend_points(parts.parts, parts.spans, bad),
    )


def point_label(span: Span, cadence: Cadence, lang: str) -> str:
    """A chart's x label: the week's Monday ``10.11`` or the month ``ноя 26``."""
    if cadence is Cadence.MONTHLY:
        short = t("report.chart.months_short", lang).split(",")[span[0].month - 1]
        return f"{short} {span[0]:%y}"
    return f"{span[0]:%d.%m}"


def trend_chart_input(points: Sequence[TrendPoint], cadence: Cadence, lang: str) -> TrendChartInput:
    key = "report.chart.trend_month" if cadence is Cadence.MONTHLY else "report.chart.trend_week"
    return TrendChartInput(
        labels=tuple(point_label(point.span, cadence, lang) for point in points),
        script=tuple(point.script for point in points),
        bad_share=tuple(point.bad_share for point in points),
        title=t(key, lang, n=len(points)),
        lang=lang,
    )


def _figures(op: OperatorStats | None) -> list[str | float | int | None]:
    if op is None:
        return [0, None, None, None, 0, None]

    def two(value: float | None) -> float | None:
        return fmt.round_half_up(value, 2) if value is not None else None

    return [op.calls, two(op.avg_rating), op.scored, two(op.avg_score), op.bad, two(op.bad_share)]


def operators_sheet(report: PeriodComparison, lang: str) -> TableSheet:
    """Per operator: this period's and the previous period's figures, side by side."""
    names = t("report.period.sheet_columns", lang).split(",")
    now = [f"{name}" for name in names]
    before = [t("report.period.sheet_before", lang, name=name) for name in names]
    rows: list[list[str | float | int | None]] = []
    for row in report.rows:
        ident = row.now.operator_id if row.now is not None else None
        if ident is None and row.before is not None:
            ident = row.before.operator_id
        rows.append([row.name, ident, *_figures(row.now), *_figures(row.before)])
    return TableSheet(
        name=t("report.period.sheet", lang),
        headers=[t("report.period.sheet_name", lang), "operatorId", *now, *before],
        rows=rows,
        notes=[t("report.period.sheet_note", lang)],
    )
