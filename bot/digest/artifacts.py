"""The chart and the attached file of a digest, made off the event loop.

A chart takes about 0.3 s of CPU and an Excel file of a few dozen calls about
15 ms; a thousand digests due in the same minute would otherwise stall every
button for minutes. ``ProcessArtifacts`` runs both in a small pool of spawned
worker processes; ``InlineArtifacts`` runs them in a thread (tests, tiny
deployments). Identical charts (same figures, same title) are rendered once.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import logging
import multiprocessing
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeAlias
from zoneinfo import ZoneInfo

from bot.aiokk.raw import RawRecord
from bot.digest.model import Attachment
from bot.workers import exit_with_parent

if TYPE_CHECKING:
    from bot.reports.export import TableSheet

log = logging.getLogger(__name__)

CHART_MEMO_SIZE = 64


@dataclass(frozen=True)
class ChartInput:
    per_operator: tuple[tuple[str, int], ...]
    ratings: tuple[tuple[int, int], ...]
    title: str
    lang: str

    @classmethod
    def of(
        cls,
        per_operator: Sequence[tuple[str, int]],
        ratings: Mapping[int, int],
        title: str,
        lang: str,
    ) -> ChartInput:
        return cls(tuple(per_operator), tuple(sorted(ratings.items())), title, lang)

    def key(self) -> str:
        return _key(["bad", self.per_operator, self.ratings, self.title, self.lang])

    def render(self) -> bytes:
        """Worker side: the PNG chart."""
        from bot.reports.chart import render_bad_calls_chart

        return render_bad_calls_chart(
            list(self.per_operator), dict(self.ratings), title=self.title, lang=self.lang
        )


@dataclass(frozen=True)
class TrendChartInput:
    """Script % and bad-call share per week or month (None: no calls that period)."""

    labels: tuple[str, ...]
    script: tuple[float | None, ...]
    bad_share: tuple[float | None, ...]
    title: str
    lang: str

    def key(self) -> str:
        return _key(["trend", self.labels, self.script, self.bad_share, self.title, self.lang])

    def render(self) -> bytes:
        """Worker side: the PNG chart."""
        from bot.reports.chart import render_trend_chart

        return render_trend_chart(
            self.labels, self.script, self.bad_share, title=self.title, lang=self.lang
        )


ChartJob: TypeAlias = ChartInput | TrendChartInput


def _key(parts: list[object]) -> str:
    encoded = json.dumps(parts, ensure_ascii=False)
    return hashlib.blake2b(encoded.encode(), digest_size=16).hexdigest()


@dataclass(frozen=True)
class FileInput:
    records: list[RawRecord]
    kind: Attachment
    tz_name: str
    lang: str
    delimiter: str = ";"
    operators: TableSheet | None = None
    """A weekly or monthly report's per-operator sheet (Excel only)."""


def render_chart(job: ChartJob) -> bytes:
    """Worker side: the PNG chart."""
    return job.render()


def render_file(job: FileInput) -> bytes:
    """Worker side: the bad calls as XLSX or CSV bytes, through the calls feature's writers."""
    from bot.reports.export import (
        criteria_layout,
        summary_sheet,
        write_csv,
        write_xlsx,
    )
    from bot.reports.stats import compute_stats

    tz = ZoneInfo(job.tz_name)
    packs = criteria_layout(job.records)
    if job.kind is Attachment.CSV:
        text = io.StringIO(newline="")
        write_csv(job.records, text, tz=tz, lang=job.lang, packs=packs, delimiter=job.delimiter)
        return text.getvalue().encode("utf-8")
    buffer = io.BytesIO()
    write_xlsx(
        job.records,
        buffer,
        tz=tz,
        lang=job.lang,
        packs=packs,
        summary=summary_sheet(compute_stats(job.records), job.lang),
        operators=job.operators,
    )
    return buffer.getvalue()


def prepare_worker() -> None:
    """Import and warm what the jobs use once per worker (fonts load on the first drawing),
    so that the first digest at 09:00 does not pay for it. The worker exits with the bot."""
    exit_with_parent()
    import xlsxwriter  # noqa: F401

    import bot.reports.export  # noqa: F401
    from bot.reports.chart import render_bad_calls_chart

    render_bad_calls_chart([("warm-up", 1)], {1: 1}, title="warm-up", lang="ru")


def _worker_pid() -> int:
    """A short job that keeps its worker busy a moment, so that others start meanwhile."""
    import os
    import time

    time.sleep(0.2)
    return os.getpid()


class Artifacts(Protocol):
    async def chart(self, job: ChartJob) -> bytes: ...

    async def file(self, job: FileInput) -> bytes: ...

    async def warm_up(self) -> None: ...

    async def close(self) -> None: ...


class _MemoArtifacts:
    """Runs jobs on an executor (None: the default thread pool) and memoises charts."""

    def __init__(self, executor: Executor | None, *, memo: bool = True) -> None:
        self._executor = executor
        self._memo = memo
        self._charts: OrderedDict[str, asyncio.Future[bytes]] = OrderedDict()
        self.charts_rendered = 0

    async def chart(self, job: ChartJob) -> bytes:
        key = job.key()
        pending = self._charts.get(key) if self._memo else None
        if pending is not None and _reusable(pending):
            self._charts.move_to_end(key)
            return await asyncio.shield(pending)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bytes] = loop.run_in_executor(self._executor, render_chart, job)
        self._charts[key] = future
        self.charts_rendered += 1
        while len(self._charts) > CHART_MEMO_SIZE:
            self._charts.popitem(last=False)
        return await asyncio.shield(future)

    async def file(self, job: FileInput) -> bytes:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, render_file, job)

    async def warm_up(self) -> None:
        """Nothing to start in-process; pools override this."""

    async def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)


def _reusable(future: asyncio.Future[bytes]) -> bool:
    """A chart being rendered or rendered fine; a failed one is tried again."""
    if not future.done():
        return True
    return not future.cancelled() and future.exception() is None


class InlineArtifacts(_MemoArtifacts):
    """In this process, on a worker thread."""

    def __init__(self, *, memo: bool = True) -> None:
        super().__init__(None, memo=memo)


class ProcessArtifacts(_MemoArtifacts):
    """In spawned worker processes, started by ``warm_up`` (or by the first job)."""

    def __init__(self, workers: int = 2, *, memo: bool = True) -> None:
        context = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=prepare_worker
        )
        super().__init__(pool, memo=memo)
        self._workers = workers

    async def warm_up(self) -> None:
        """Start every worker now (each imports matplotlib and xlsxwriter once)."""
        loop = asyncio.get_running_loop()
        seen: set[int] = set()
        for _ in range(5):
            # Submitted together, each job finds no idle worker and starts a new one.
            jobs = [loop.run_in_executor(self._executor, _worker_pid) for _ in range(self._workers)]
            seen.update(await asyncio.gather(*jobs))
            if len(seen) >= self._workers:
                return

    @property
    def worker_pids(self) -> list[int]:
        """Process ids of the running workers (for measurements)."""
        processes = getattr(self._executor, "_processes", None) or {}
        return list(processes)
