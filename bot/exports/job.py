"""The worker-process side of an export: fetch, filter, write, package.

Runs in a spawned process: the parent's event loop never parses or writes a
large file. The job fetches the query itself (the same planner, over the same
HTTP client) instead of receiving records, because pickling tens of thousands
of records into the child would itself block the parent for a second or more.
"""

from __future__ import annotations

import asyncio
import gc
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from multiprocessing.connection import Connection as Pipe
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.aiokk.client import AiokkClient
from bot.aiokk.errors import AiokkError
from bot.aiokk.raw import RawRecord
from bot.query.cache import ResultCache
from bot.query.model import CallQuery
from bot.query.service import CallService, ConnectionRef
from bot.reports.export import (
    max_criteria,
    package_for_upload,
    stats_summary_rows,
    write_csv,
    write_json,
    write_xlsx,
)
from bot.reports.stats import compute_stats


class ExportFormat(StrEnum):
    XLSX = "xlsx"
    CSV = "csv"
    JSON = "json"


@dataclass(frozen=True)
class ExportJob:
    base_url: str
    token: str = field(repr=False)
    query: dict[str, Any]
    tz_name: str
    lang: str
    fmt: ExportFormat
    delimiter: str
    directory: Path
    filename: str
    now: datetime
    limit_bytes: int


@dataclass(frozen=True)
class ExportDone:
    paths: list[Path]
    count: int


async def fetch_records(job: ExportJob) -> list[RawRecord]:
    client = AiokkClient()
    try:
        # No catalog: the bot already learned from the same data when the summary was shown.
        service = CallService(client, ResultCache(), None, clock=lambda: job.now)
        conn = ConnectionRef(id=0, base_url=job.base_url, token=job.token)
        result = await service.fetch(conn, CallQuery.from_dict(job.query), ZoneInfo(job.tz_name))
        return result.records
    finally:
        await client.aclose()


def write_file(
    job: ExportJob, records: list[RawRecord], path: Path, report: Callable[[int], None]
) -> None:
    tz = ZoneInfo(job.tz_name)
    if job.fmt is ExportFormat.JSON:
        with path.open("wb") as stream:
            write_json(records, stream, progress=report)
        return
    # Rows come straight from the raw records: building a model per call would
    # take longer than the whole rest of the export.
    if job.fmt is ExportFormat.CSV:
        with path.open("w", encoding="utf-8", newline="") as text:
            write_csv(
                records,
                text,
                tz=tz,
                lang=job.lang,
                max_criteria=max_criteria(records),
                delimiter=job.delimiter,
                progress=report,
            )
        return
    summary = stats_summary_rows(compute_stats(records), job.lang)
    write_xlsx(
        records,
        path,
        tz=tz,
        lang=job.lang,
        max_criteria=max_criteria(records),
        summary_rows=summary,
        progress=report,
    )


def tune_process() -> None:
    """Settings for a process that lives for one export.

    The records are acyclic trees of JSON dicts, so the cyclic collector finds nothing in
    them, yet it would rescan all of them again and again while they pile up: about a third
    of an export's time. The process exits when the file is done, which frees everything.
    """
    gc.disable()


def run(job: ExportJob, pipe: Pipe) -> None:
    """Process entry point: sends ``("progress", done, total)`` then one final message."""
    tune_process()
    try:
        records = asyncio.run(fetch_records(job))
        total = len(records)
        pipe.send(("progress", 0, total))
        path = job.directory / job.filename
        write_file(job, records, path, lambda done: pipe.send(("progress", done, total)))
        pipe.send(("done", ExportDone(package_for_upload(path, job.limit_bytes), total)))
    except AiokkError as error:
        pipe.send(("aiokk", error))
    except Exception:
        # The parent logs it with an error id; the worker has no user to tell.
        pipe.send(("crash", traceback.format_exc()))
    finally:
        pipe.close()
