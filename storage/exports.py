"""Exports in progress and their outcome, so that a restart can tell their chats.

A row is written when an export starts and finished when its file is sent or it fails;
one still ``running`` when its process has gone was interrupted. The job is stored
without the aiokk token: a retry runs on the asking user's connection as it is then.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiosqlite

from storage.db import Database
from storage.timestamps import now_text, to_db_time, utc_now


class ExportState:
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # the chat was told why, with a Retry button
    INTERRUPTED = "interrupted"  # the bot stopped or died meanwhile; Retry as well


RETRYABLE = frozenset({ExportState.FAILED, ExportState.INTERRUPTED})


@dataclass(frozen=True, slots=True)
class ExportRecord:
    id: int
    chat_id: int
    thread_id: int | None
    user_id: int
    message_id: int | None
    lang: str
    job: dict[str, Any]
    title: str
    state: str
    owner: str


_COLUMNS = "id, chat_id, thread_id, user_id, message_id, lang, job, title, state, owner"


def _record(row: aiosqlite.Row) -> ExportRecord:
    return ExportRecord(
        id=row["id"],
        chat_id=row["chat_id"],
        thread_id=row["thread_id"],
        user_id=row["user_id"],
        message_id=row["message_id"],
        lang=row["lang"],
        job=json.loads(row["job"]),
        title=row["title"],
        state=row["state"],
        owner=row["owner"],
    )


class ExportRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def start(
        self,
        *,
        chat_id: int,
        thread_id: int | None,
        user_id: int,
        lang: str,
        job: dict[str, Any],
        title: str,
        owner: str,
    ) -> int:
        return await self._db.execute_returning_id(
            "INSERT INTO exports (chat_id, thread_id, user_id, lang, job, title, state, owner,"
            " started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                chat_id,
                thread_id,
                user_id,
                lang,
                json.dumps(job, ensure_ascii=False),
                title,
                ExportState.RUNNING,
                owner,
                now_text(),
            ),
        )

    async def restart(self, export_id: int, owner: str) -> bool:
        """Run a failed or interrupted export again; False when it is not one (any more)."""
        marks = ", ".join("?" * len(RETRYABLE))
        changed = await self._db.execute(
            "UPDATE exports SET state = ?, owner = ?, started_at = ?, finished_at = NULL"
            f" WHERE id = ? AND state IN ({marks})",
            (ExportState.RUNNING, owner, now_text(), export_id, *sorted(RETRYABLE)),
        )
        return changed > 0

    async def set_message(self, export_id: int, message_id: int) -> None:
        await self._db.execute(
            "UPDATE exports SET message_id = ? WHERE id = ?", (message_id, export_id)
        )

    async def finish(self, export_id: int, state: str) -> None:
        await self._db.execute(
            "UPDATE exports SET state = ?, finished_at = ? WHERE id = ?",
            (state, now_text(), export_id),
        )

    async def get(self, export_id: int) -> ExportRecord | None:
        row = await self._db.fetch_one(f"SELECT {_COLUMNS} FROM exports WHERE id = ?", (export_id,))
        return _record(row) if row is not None else None

    async def running(self) -> list[ExportRecord]:
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM exports WHERE state = ? ORDER BY id", (ExportState.RUNNING,)
        )
        return [_record(row) for row in rows]

    async def prune(self, kept: timedelta) -> int:
        """Forget finished exports older than ``kept``."""
        return await self._db.execute(
            "DELETE FROM exports WHERE state != ? AND COALESCE(finished_at, started_at) < ?",
            (ExportState.RUNNING, to_db_time(utc_now() - kept)),
        )
