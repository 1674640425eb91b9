"""Operators a user looked up recently, offered again as one-tap buttons."""

from __future__ import annotations

from storage.db import Database
from storage.timestamps import now_text

# Enough for a row or two of buttons plus slack; older lookups are dropped.
KEPT_PER_USER = 20


class OperatorLookupRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def remember(self, user_id: int, name: str) -> None:
        name = name.strip()
        if not name:
            return
        async with self._db.transaction():
            # Delete and insert (rather than upsert) so the rowid grows with every
            # lookup: it orders lookups made within the same clock tick.
            await self._db.execute(
                "DELETE FROM operator_lookups WHERE user_id = ? AND name = ?", (user_id, name)
            )
            await self._db.execute(
                "INSERT INTO operator_lookups (user_id, name, looked_up_at) VALUES (?, ?, ?)",
                (user_id, name, now_text()),
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

    async def recent(self, user_id: int, limit: int = 6) -> list[str]:
        rows = await self._db.fetch_all(
            "SELECT name FROM operator_lookups WHERE user_id = ? ORDER BY rowid DESC LIMIT ?",
            (user_id, max(limit, 0)),
        )
        return [row[0] for row in rows]
