"""Calls screens as data: summary, list pages, cards and export jobs for one query.

Handlers stay thin: they keep the draft in FSM data, call these methods and send
what comes back. Everything here is HTML-ready and within Telegram's limits.

Every fetch here is interactive (``INTERACTIVE``: an answer or an error within its
budget) and takes a ``progress`` hook: ``progress_notice`` makes one that shows the
user their place in line and that aiokk is slow, in the flow's message.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.exports.job import ExportFormat, ExportJob
from bot.messages import esc
from bot.query.model import CallQuery, OperatorPick, PeriodKind, Window, resolve_period
from bot.query.queue import Progress, ProgressHook, Stage
from bot.query.service import INTERACTIVE, CallService, ConnectionInfo, QueryResult
from bot.reports.export import export_filename
from bot.reports.render import (
    previous_period_label,
    render_card,
    render_list_page,
    render_summary,
    worst_call_label,
)
from bot.reports.stats import CallStats, compute_stats_async
from bot.texts import plural, t
from storage import CatalogRepo

PAGE_SIZE = 10
# Records unpacked and counted between two yields to the event loop (a few milliseconds).
STATS_CHUNK = 250
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


def progress_text(progress: Progress, lang: str) -> str:
    """What a user waiting for aiokk is told."""
    if progress.stage is Stage.QUEUED:
        return t("calls.progress.queued", lang, n=progress.position)
    return t(f"calls.progress.{progress.stage.value}", lang)


def progress_notice(show: Callable[[str], Awaitable[object]], lang: str) -> ProgressHook:
    """A progress hook that shows each notice with ``show(text)``: typically an edit of
    the message the answer will replace."""

    async def notice(progress: Progress) -> None:
        await show(progress_text(progress, lang))

    return notice


def _label(text: str) -> str:
    return text if len(text) <= BUTTON_LABEL_LIMIT else text[: BUTTON_LABEL_LIMIT - 1] + "…"


class CallsPresenter:
    def __init__(self, calls: CallService, catalog: CatalogRepo) -> None:
        self._calls = calls
        self._catalog = catalog

    @property
    def service(self) -> CallService:
        return self._calls

    async def filter_labels(
        self, conn: ConnectionInfo, query: CallQuery, lang: str, *, operators: int | None = None
    ) -> list[str]:
        """The query's filters in words (plain text, not escaped), in a stable order.

        Typed operator text says that it matches every name containing it, and, given
        ``operators`` (how many people the shown calls come from), how many that is.
        """
        labels: list[str] = []
        if query.department_id is not None:
            name = await self._catalog.department_name(conn.id, query.department_id)
            labels.append(name or t("calls.department_label", lang, id=query.department_id))
        if query.operator and query.operator_exact:
            labels.append(query.operator)
        elif query.operator:
            if operators:
                labels.append(
                    t(
                        "calls.operator_contains_n",
                        lang,
                        text=query.operator,
                        n=operators,
                        operators=plural("unit.operators", operators, lang),
                    )
                )
            else:
                labels.append(t("calls.operator_contains", lang, text=query.operator))
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

    async def title(
        self, conn: ConnectionInfo, query: CallQuery, lang: str, *, operators: int | None = None
    ) -> str:
        """ "Отдел продаж · 7 дней" as plain text (``operators``: see ``filter_labels``)."""
        labels = await self.filter_labels(conn, query, lang, operators=operators)
        labels = labels or [t("calls.all_calls", lang)]
        return " · ".join([*labels, period_label(query, lang)])

    async def fetch(
        self,
        conn: ConnectionInfo,
        query: CallQuery,
        tz: ZoneInfo,
        *,
        refresh: bool = False,
        progress: ProgressHook | None = None,
    ) -> QueryResult:
        bounded = query.period.kind is not PeriodKind.ALL
        return await self._calls.fetch(
            conn,
            query,
            tz,
            with_previous=bounded,
            refresh=refresh,
            policy=INTERACTIVE,
            progress=progress,
        )

    async def find_operators(
        self,
        conn: ConnectionInfo,
        text: str,
        tz: ZoneInfo,
        *,
        progress: ProgressHook | None = None,
    ) -> list[OperatorPick]:
        """``CallService.find_operators`` for a user who is waiting."""
        return await self._calls.find_operators(
            conn, text, tz, policy=INTERACTIVE, progress=progress
        )

    async def summary(
        self,
        conn: ConnectionInfo,
        query: CallQuery,
        tz: ZoneInfo,
        lang: str,
        *,
        refresh: bool = False,
        progress: ProgressHook | None = None,
    ) -> SummaryView:
        result = await self.fetch(conn, query, tz, refresh=refresh, progress=progress)
        stats, previous = await result.derived("stats", lambda: _stats(result))
        previous_text = comparison_label(result, lang) if previous is not None else None
        title = esc(await self.title(conn, query, lang, operators=len(stats.operators)))
        # The time of the data also makes Refresh visibly do something.
        updated = result.fetched_at.astimezone(tz).strftime("%H:%M:%S")
        text = render_summary(
            stats,
            title=title,
            lang=lang,
            previous=previous,
            previous_label=previous_text,
            updated=t("calls.updated", lang, time=updated),
        )
        worst = [
            CallButton(call.dialog_id, _label(worst_call_label(call, tz, lang)))
            for call in stats.worst_calls
        ]
        return SummaryView(text=text, total=stats.total, worst=worst)

    async def page(
        self,
        conn: ConnectionInfo,
        query: CallQuery,
        tz: ZoneInfo,
        lang: str,
        page: int,
        *,
        progress: ProgressHook | None = None,
    ) -> PageView:
        result = await self.fetch(conn, query, tz, progress=progress)
        pages = max(1, math.ceil(len(result) / PAGE_SIZE))
        page = min(max(page, 1), pages)
        first = (page - 1) * PAGE_SIZE
        records = result.typed_range(first, page * PAGE_SIZE)
        text = render_list_page(records, page=page, pages=pages, tz=tz, lang=lang, first=first + 1)
        # The text has each call's line; its button carries the line's number only.
        rows = [
            CallButton(record.dialog_id, str(number))
            for number, record in enumerate(records, start=first + 1)
        ]
        return PageView(text=text, page=page, pages=pages, rows=rows)

    async def card(
        self,
        conn: ConnectionInfo,
        query: CallQuery,
        tz: ZoneInfo,
        lang: str,
        dialog_id: int,
        *,
        progress: ProgressHook | None = None,
    ) -> list[str] | None:
        result = await self.fetch(conn, query, tz, progress=progress)
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


async def _stats(result: QueryResult) -> tuple[CallStats, CallStats | None]:
    """Figures of the period and of the previous one (when the result has it), read in
    one pass each: the records are never all unpacked at once."""
    stats = await compute_stats_async(result.iter_records(), chunk=STATS_CHUNK)
    if not result.has_previous:
        return stats, None
    return stats, await compute_stats_async(result.iter_previous(), chunk=STATS_CHUNK)


def comparison_label(result: QueryResult, lang: str) -> str:
    """What a result is compared with, as plain text after "к"/"vs", the same in /calls
    and /op: a running period says it is compared up to the same time of day."""
    return previous_period_label(_days(result.window), lang, so_far=result.so_far)


def _days(window: Window) -> int | None:
    if window.start is None or window.end is None:
        return None
    return max(1, round((window.end - window.start).total_seconds() / 86400))
