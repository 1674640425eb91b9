"""Operators a user looked up recently, offered again as one-tap buttons."""

from __future__ import annotations

from bot.query.model import OperatorPick
from storage.catalog import operator_ident
from storage.db import Database
from storage.timestamps import now_text

# Enough for a row or two of buttons plus slack; older lookups are dropped.
KEPT_PER_USER = 20


class OperatorLookupRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def remember(self, user_id: int, pick: OperatorPick) -> None:
        ident = operator_ident(pick.id, pick.name)
        async with self._db.transaction():
            # Delete and insert (rather than upsert) so the rowid grows with every
            # lookup: it orders lookups made within the same clock tick.
            await self._db.execute(
                "DELETE FROM operator_lookups WHERE user_id = ? AND ident = ?", (user_id, ident)
            )
            await self._db.execute(
                "INSERT INTO operator_lookups"
                " (user_id, ident, operator_id, name, department, looked_up_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (user_id, ident, pick.id, pick.name, pick.department, now_text()),
            )
            await self._db.execute(
                """
                DELETE FROM operator_lookups WHERE user_id = ? AND rowid NOT IN (
                    SELECT rowid FROM operator_lookups WHERE user_id = ?
                    ORDER BY rowid DESC LIMIT ?
                )
                """,
                (user_id, user_id, KEPT_PER_USER),
            )

    async def recent(self, user_id: int, limit: int = 6) -> list[OperatorPick]:
        rows = await self._db.fetch_all(
            "SELECT name, operator_id, department FROM operator_lookups WHERE user_id = ?"
            " ORDER BY rowid DESC LIMIT ?",
            (user_id, max(limit, 0)),
        )
        return [OperatorPick(row[0], row[1], row[2]) for row in rows]
