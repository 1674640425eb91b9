"""The query each results message shows, kept with the message.

A /calls summary, list page or call card carries buttons (Excel, CSV, JSON, list, cards,
refresh) that need the query behind it. Keeping that query with the message, keyed by
``(chat_id, message_id)``, lets an old summary's buttons keep working after its user has
opened another /calls. A message older than ``RETENTION`` is out of date: its row is purged
at startup and at most once a day when a row is written.

Times come from the bot's clock (``bot.clock``), so a run moved in time ages rows with it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiosqlite

from bot.clock import Clock
from bot.query.model import CallQuery
from storage.db import Database
from storage.timestamps import from_db_time, to_db_time

log = logging.getLogger(__name__)

RETENTION = timedelta(days=7)
"""How long a results message keeps working."""
PURGE_EVERY = timedelta(days=1)
"""How often writing a row also forgets the rows past ``RETENTION``."""


@dataclass(frozen=True, slots=True)
class ShownQuery:
    chat_id: int
    message_id: int
    user_id: int
    query: CallQuery
    created_at: datetime

    def expired(self, now: datetime, retention: timedelta = RETENTION) -> bool:
        return now - self.created_at > retention


def _row(row: aiosqlite.Row) -> ShownQuery | None:
    try:
        query = CallQuery.from_dict(json.loads(row["query"]))
    except (ValueError, TypeError) as error:
        log.warning("unreadable stored query for message %s: %s", row["message_id"], error)
        return None
    return ShownQuery(
        chat_id=row["chat_id"],
        message_id=row["message_id"],
        user_id=row["user_id"],
        query=query,
        created_at=from_db_time(row["created_at"]),
    )


class ShownQueryRepo:
    def __init__(self, db: Database, clock: Clock, *, retention: timedelta = RETENTION) -> None:
        self._db = db
        self._clock = clock
        self._retention = retention
        self._purged_at: datetime | None = None

    @property
    def retention(self) -> timedelta:
        return self._retention

    def now(self) -> datetime:
        return self._clock()

    async def remember(self, chat_id: int, message_id: int, user_id: int, query: CallQuery) -> None:
        """Keep ``query`` with the message (replacing what it showed before), stamped now."""
        now = self._clock()
        await self._db.execute(
            "INSERT INTO shown_queries (chat_id, message_id, user_id, query, created_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (chat_id, message_id) DO UPDATE SET"
            " user_id = excluded.user_id, query = excluded.query,"
            " created_at = excluded.created_at",
            (
                chat_id,
                message_id,
                user_id,
                json.dumps(query.to_dict(), ensure_ascii=False),
                to_db_time(now),
            ),
        )
        if self._purged_at is None or now - self._purged_at >= PURGE_EVERY:
            await self.purge()

    async def get(self, chat_id: int, message_id: int) -> ShownQuery | None:
        """The message's row, expired or not (``ShownQuery.expired`` tells)."""
        row = await self._db.fetch_one(
            "SELECT chat_id, message_id, user_id, query, created_at FROM shown_queries"
            " WHERE chat_id = ? AND message_id = ?",
            (chat_id, message_id),
        )
        return _row(row) if row is not None else None

    async def current(self, chat_id: int, message_id: int) -> ShownQuery | None:
        """The message's row unless it is past the retention."""
        found = await self.get(chat_id, message_id)
        if found is None or found.expired(self._clock(), self._retention):
            return None
        return found

    def expired(self, shown: ShownQuery) -> bool:
        return shown.expired(self._clock(), self._retention)

    async def forget(self, chat_id: int, message_id: int) -> None:
        await self._db.execute(
            "DELETE FROM shown_queries WHERE chat_id = ? AND message_id = ?",
            (chat_id, message_id),
        )

    async def purge(self) -> int:
        """Forget rows past the retention; returns how many."""
        now = self._clock()
        self._purged_at = now
        removed = await self._db.execute(
            "DELETE FROM shown_queries WHERE created_at < ?",
            (to_db_time(now - self._retention),),
        )
        if removed:
            log.info("forgot %d results messages older than %s", removed, self._retention)
        return removed
