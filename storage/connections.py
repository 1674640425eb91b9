"""aiokk connections: one per Telegram user, token encrypted at rest."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

import aiosqlite

from bot.crypto import TokenCipher, TokenDecryptionError, mask_token, token_tail
from storage.catalog import clear_catalog
from storage.db import Database
from storage.timestamps import from_db_time, now_text, to_db_time, utc_now

logger = logging.getLogger(__name__)

_COLUMNS = "id, user_id, base_url, token_encrypted, token_last4, created_at, checked_at"


@dataclass(frozen=True, slots=True)
class Connection:
    id: int
    user_id: int
    base_url: str
    token: str = field(repr=False)
    token_last4: str
    created_at: datetime
    checked_at: datetime | None

    @property
    def masked_token(self) -> str:
        return mask_token(self.token)

    def __repr__(self) -> str:
        return (
            f"Connection(id={self.id}, user_id={self.user_id}, base_url={self.base_url!r}, "
            f"token={self.masked_token!r}, created_at={self.created_at.isoformat()}, "
            f"checked_at={self.checked_at.isoformat() if self.checked_at else None})"
        )

    __str__ = __repr__


def _same_instance(old_url: str, new_url: str) -> bool:
    return old_url.rstrip("/").lower() == new_url.rstrip("/").lower()


class ConnectionRepo:
    def __init__(self, db: Database, cipher: TokenCipher) -> None:
        self._db = db
        self._cipher = cipher

    async def get(self, user_id: int) -> Connection | None:
        """The user's connection, or None (also when its token cannot be decrypted)."""
        row = await self._db.fetch_one(
            f"SELECT {_COLUMNS} FROM connections WHERE user_id = ?", (user_id,)
        )
        return self._from_row(row)

    async def get_by_id(self, connection_id: int) -> Connection | None:
        row = await self._db.fetch_one(
            f"SELECT {_COLUMNS} FROM connections WHERE id = ?", (connection_id,)
        )
        return self._from_row(row)

    async def save(self, user_id: int, base_url: str, token: str) -> Connection:
        """Store a checked connection, replacing the user's previous one.

        The connection keeps its id (so anything referring to it survives a new
        token); its learned catalog is cleared when it now points at another instance.
        """
        now = utc_now()
        now_db = to_db_time(now)
        encrypted = self._cipher.encrypt(token)
        last4 = token_tail(token)
        async with self._db.transaction():
            old = await self._db.fetch_one(
                "SELECT id, base_url FROM connections WHERE user_id = ?", (user_id,)
            )
            if old is None:
                connection_id = await self._db.execute_returning_id(
                    """
                    INSERT INTO connections
                        (user_id, base_url, token_encrypted, token_last4, created_at, checked_at)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                    (user_id, base_url, encrypted, last4, now_db, now_db),
                )
            else:
                connection_id = int(old["id"])
                if not _same_instance(old["base_url"], base_url):
                    await clear_catalog(self._db, connection_id)
                await self._db.execute(
                    """
                    UPDATE connections SET base_url = ?, token_encrypted = ?, token_last4 = ?,
                        created_at = ?, checked_at = ?
                    WHERE id = ?
                    """,
                    (base_url, encrypted, last4, now_db, now_db, connection_id),
                )
        return Connection(
            id=connection_id,
            user_id=user_id,
            base_url=base_url,
            token=token,
            token_last4=last4,
            created_at=from_db_time(now_db),
            checked_at=from_db_time(now_db),
        )

    async def delete(self, user_id: int) -> bool:
        """Forget the user's connection and its catalog; False if there was none."""
        deleted = await self._db.execute("DELETE FROM connections WHERE user_id = ?", (user_id,))
        return deleted > 0

    async def touch_checked(self, user_id: int) -> None:
        """Record that the token has just worked."""
        await self._db.execute(
            "UPDATE connections SET checked_at = ? WHERE user_id = ?", (now_text(), user_id)
        )

    def _from_row(self, row: aiosqlite.Row | None) -> Connection | None:
        if row is None:
            return None
        try:
            token = self._cipher.decrypt(row["token_encrypted"])
        except TokenDecryptionError:
            # A changed SECRET_KEY or lost key file: treat as not connected so the
            # user is asked to connect again, which overwrites this row.
            logger.warning(
                "Cannot decrypt the aiokk token of connection %s (user %s); "
                "the encryption key has probably changed",
                row["id"],
                row["user_id"],
            )
            return None
        checked_at = row["checked_at"]
        return Connection(
            id=row["id"],
            user_id=row["user_id"],
            base_url=row["base_url"],
            token=token,
            token_last4=row["token_last4"],
            created_at=from_db_time(row["created_at"]),
            checked_at=from_db_time(checked_at) if checked_at is not None else None,
        )
