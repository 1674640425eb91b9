"""The worker-process side of an export: fetch, filter, write, package.

Runs in a spawned process: the parent's event loop never parses or writes a
large file. The job fetches the query itself (the same planner, over the same
HTTP client) instead of receiving records, because pickling tens of thousands
of records into the child would itself block the parent for a second or more.
"""

from __future__ import annotations

import asyncio
import gc
import os
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
from bot.aiokk.transport import AddressPolicy
from bot.query.cache import ResultCache
from bot.query.model import CallQuery
from bot.query.service import CallService, ConnectionRef
from bot.reports.export import (
    criteria_layout,
    package_for_upload,
    summary_sheet,
    write_csv,
    write_json,
    write_xlsx,
)
from bot.reports.stats import compute_stats
from bot.workers import exit_with_parent


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
    # Where the worker may connect; the export service sets the bot's policy.
    addresses: AddressPolicy | None = None

    def to_record(self) -> dict[str, Any]:
        """What is stored to run the job again: all but the connection and the directory.

        ``now`` is kept, so that "yesterday" means the same dates when it runs again.
        """
        return {
            "query": self.query,
            "tz": self.tz_name,
            "lang": self.lang,
            "fmt": self.fmt.value,
            "delimiter": self.delimiter,
            "filename": self.filename,
            "now": self.now.isoformat(),
            "limit": self.limit_bytes,
        }

    @classmethod
    def from_record(cls, data: dict[str, Any], *, base_url: str, token: str) -> ExportJob:
        """The stored job, on the connection it runs on now."""
        return cls(
            base_url=base_url,
            token=token,
            query=dict(data["query"]),
            tz_name=str(data["tz"]),
            lang=str(data["lang"]),
            fmt=ExportFormat(data["fmt"]),
            delimiter=str(data["delimiter"]),
            directory=Path(),
            filename=str(data["filename"]),
            now=datetime.fromisoformat(str(data["now"])),
            limit_bytes=int(data["limit"]),
        )


@dataclass(frozen=True)
class ExportDone:
    paths: list[Path]
    count: int


async def fetch_records(job: ExportJob) -> list[RawRecord]:
    client = AiokkClient(addresses=job.addresses)
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
                packs=criteria_layout(records),
                delimiter=job.delimiter,
                progress=report,
            )
        return
    summary = summary_sheet(compute_stats(records), job.lang)
    write_xlsx(
        records,
        path,
        tz=tz,
        lang=job.lang,
        packs=criteria_layout(records),
        summary=summary,
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
    """Process entry point: sends ``("progress", done, total)`` then one final message.

    The worker exits with the bot, and its files (the export, xlsxwriter's temporary
    files) are readable by their owner only.
    """
    exit_with_parent()
    os.umask(0o077)
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
