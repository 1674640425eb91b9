"""Calls screens as data: summary, list pages, cards and export jobs for one query.

Handlers stay thin: they keep the draft in FSM data, call these methods and send
what comes back. Everything here is HTML-ready and within Telegram's limits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.exports.job import ExportFormat, ExportJob
from bot.messages import esc
from bot.query.model import CallQuery, PeriodKind, Window, resolve_period
from bot.query.service import CallService, ConnectionInfo, QueryResult
from bot.reports.export import export_filename
from bot.reports.markup import fit
from bot.reports.render import (
    list_row,
    previous_period_label,
    render_card,
    render_list_page,
    render_summary,
    worst_call_label,
)
from bot.reports.stats import CallStats, compute_stats_async
from bot.texts import t
from storage import CatalogRepo

PAGE_SIZE = 10
BUTTON_LABEL_LIMIT = 60


@dataclass(frozen=True)
class CallButton:
    dialog_id: int
    label: str


@dataclass(frozen=True)
class SummaryView:
    text: str
    total: int
    worst: list[CallButton]


@dataclass(frozen=True)
class PageView:
    text: str
    page: int
    pages: int
    rows: list[CallButton]


def period_label(query: CallQuery, lang: str) -> str:
    period = query.period
    if period.kind is PeriodKind.CUSTOM and period.start and period.end:
        if period.start == period.end:
            return period.start.strftime("%d.%m.%Y")
        return f"{period.start:%d.%m}–{period.end:%d.%m.%Y}"
    return t(f"period.{period.kind.value}", lang)


def window_dates(window: Window, tz: ZoneInfo) -> tuple[date | None, date | None]:
    """Local first and last day of a window, for file names."""
    start = window.start.astimezone(tz).date() if window.start else None
    end = (window.end - timedelta(microseconds=1)).astimezone(tz).date() if window.end else None
    return start, end


def _label(text: str) -> str:
    return text if len(text) <= BUTTON_LABEL_LIMIT else text[: BUTTON_LABEL_LIMIT - 1] + "…"


class CallsPresenter:
    def __init__(self, calls: CallService, catalog: CatalogRepo) -> None:
        self._calls = calls
        self._catalog = catalog

    @property
    def service(self) -> CallService:
        return self._calls

    async def filter_labels(self, conn: ConnectionInfo, query: CallQuery, lang: str) -> list[str]:
        """The query's filters in words (plain text, not escaped), in a stable order."""
        labels: list[str] = []
        if query.department_id is not None:
            name = await self._catalog.department_name(conn.id, query.department_id)
            labels.append(name or t("calls.department_label", lang, id=query.department_id))
        if query.operator:
            labels.append(query.operator)
        if query.call_type is not None:
            labels.append(t(f"report.call_type.{query.call_type}", lang))
        if query.question_pack_id is not None:
            pack = await self._catalog.question_pack(conn.id, query.question_pack_id)
            title = pack.title if pack else None
            labels.append(title or t("calls.pack_label", lang, id=query.question_pack_id))
        if query.loyalty is not None:
            labels.append(t("calls.loyalty_exact", lang, n=query.loyalty))
        if query.loyalty_max is not None:
            labels.append(t("calls.loyalty_max", lang, n=query.loyalty_max))
        if query.signal:
            labels.append(t("calls.signal_label", lang, word=query.signal))
        return labels

    async def title(self, conn: ConnectionInfo, query: CallQuery, lang: str) -> str:
        """ "Отдел продаж · 7 дней" as plain text."""
        labels = await self.filter_labels(conn, query, lang) or [t("calls.all_calls", lang)]
        return " · ".join([*labels, period_label(query, lang)])

    async def fetch(
        self, conn: ConnectionInfo, query: CallQuery, tz: ZoneInfo, *, refresh: bool = False
    ) -> QueryResult:
        bounded = query.period.kind is not PeriodKind.ALL
        return await self._calls.fetch(conn, query, tz, with_previous=bounded, refresh=refresh)

    async def summary(
        self,
        conn: ConnectionInfo,
        query: CallQuery,
        tz: ZoneInfo,
        lang: str,
        *,
        refresh: bool = False,
    ) -> SummaryView:
        result = await self.fetch(conn, query, tz, refresh=refresh)
        stats = await compute_stats_async(result.records)
        previous: CallStats | None = None
        previous_text: str | None = None
        if result.previous is not None:
            previous = await compute_stats_async(result.previous)
            previous_text = previous_period_label(_days(result.window), lang, so_far=result.so_far)
        title = esc(await self.title(conn, query, lang))
        text = render_summary(
            stats, title=title, lang=lang, previous=previous, previous_label=previous_text
        )
        # The time of the data also makes Refresh visibly do something.
        updated = result.fetched_at.astimezone(tz).strftime("%H:%M:%S")
        text = fit(text + "\n\n" + t("calls.updated", lang, time=updated))
        worst = [
            CallButton(call.dialog_id, _label(worst_call_label(call, tz, lang)))
            for call in stats.worst_calls
        ]
        return SummaryView(text=text, total=stats.total, worst=worst)

    async def page(
        self, conn: ConnectionInfo, query: CallQuery, tz: ZoneInfo, lang: str, page: int
    ) -> PageView:
        result = await self.fetch(conn, query, tz)
        pages = max(1, math.ceil(len(result.records) / PAGE_SIZE))
        page = min(max(page, 1), pages)
        records = result.typed_range((page - 1) * PAGE_SIZE, page * PAGE_SIZE)
        text = render_list_page(records, page=page, pages=pages, tz=tz, lang=lang)
        rows = [CallButton(r.dialog_id, _label(list_row(r, tz, lang))) for r in records]
        return PageView(text=text, page=page, pages=pages, rows=rows)

    async def card(
        self, conn: ConnectionInfo, query: CallQuery, tz: ZoneInfo, lang: str, dialog_id: int
    ) -> list[str] | None:
        result = await self.fetch(conn, query, tz)
        record = result.find(dialog_id)
        if record is None:
            return None
        return render_card(record, tz=tz, lang=lang)

    async def export_job(
        self,
        conn: ConnectionInfo,
        query: CallQuery,
        tz: ZoneInfo,
        lang: str,
        fmt: ExportFormat,
        *,
        delimiter: str,
        limit_bytes: int,
        now: datetime,
    ) -> tuple[ExportJob, str]:
        """The job for the worker process and the file's title (plain text)."""
        title = await self.title(conn, query, lang)
        # Only the dates are needed here: the worker fetches the calls itself.
        start, end = window_dates(resolve_period(query.period, tz, now), tz)
        labels = await self.filter_labels(conn, query, lang)
        filename = export_filename("calls", " ".join(labels), start, end, fmt.value)
        job = ExportJob(
            base_url=conn.base_url,
            token=conn.token,
            query=query.to_dict(),
            tz_name=tz.key,
            lang=lang,
            fmt=fmt,
            delimiter=delimiter,
            directory=Path(),  # the export service gives each job its own directory
            filename=filename,
            now=now,
            limit_bytes=limit_bytes,
        )
        return job, title


def _days(window: Window) -> int | None:
    if window.start is None or window.end is None:
        return None
    return max(1, round((window.end - window.start).total_seconds() / 86400))
