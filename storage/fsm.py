"""aiogram FSM storage in SQLite, so wizard drafts survive restarts."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, KeyBuilder, StorageKey

from storage.db import Database

logger = logging.getLogger(__name__)

_EMPTY = "{}"


def _state_name(state: str | State | None) -> str | None:
    if isinstance(state, State):
        return state.state
    return state


def _dump(data: Mapping[str, Any]) -> str:
    return json.dumps(dict(data), ensure_ascii=False, separators=(",", ":"))


class SQLiteStorage(BaseStorage):
    """State and data of one key live in one ``fsm`` row; empty rows are removed.

    Data must be JSON-serializable (like aiogram's Redis storage); non-string
    dict keys come back as strings.
    """

    def __init__(
        self,
        db: Database,
        *,
        key_builder: KeyBuilder | None = None,
        close_database: bool = False,
    ) -> None:
        self._db = db
        # The bot id keeps two bots sharing one database file apart.
        self._key_builder = key_builder or DefaultKeyBuilder(with_bot_id=True, with_destiny=True)
        # The dispatcher calls close() at shutdown; the database is usually shared
        # with other components, so it is closed by its owner unless told otherwise.
        self._close_database = close_database

    def _key(self, key: StorageKey) -> str:
        return self._key_builder.build(key)

    async def set_state(self, key: StorageKey, state: str | State | None = None) -> None:
        db_key = self._key(key)
        async with self._db.transaction():
            await self._db.execute(
                """
                INSERT INTO fsm (key, state) VALUES (?, ?)
                ON CONFLICT (key) DO UPDATE SET state = excluded.state
                """,
                (db_key, _state_name(state)),
            )
            await self._drop_if_empty(db_key)

    async def get_state(self, key: StorageKey) -> str | None:
        row = await self._db.fetch_one("SELECT state FROM fsm WHERE key = ?", (self._key(key),))
        return row[0] if row is not None else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        db_key = self._key(key)
        async with self._db.transaction():
            await self._write_data(db_key, data)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return await self._read_data(self._key(key))

    async def update_data(self, key: StorageKey, data: Mapping[str, Any]) -> dict[str, Any]:
        # Read and write in one transaction so concurrent updates do not lose keys.
        db_key = self._key(key)
        async with self._db.transaction():
            current = await self._read_data(db_key)
            current.update(data)
            await self._write_data(db_key, current)
        return current.copy()

    async def close(self) -> None:
        if self._close_database:
            await self._db.close()

    async def _read_data(self, db_key: str) -> dict[str, Any]:
        row = await self._db.fetch_one("SELECT data FROM fsm WHERE key = ?", (db_key,))
        if row is None:
            return {}
        try:
            loaded = json.loads(row[0])
        except ValueError:
            logger.warning("Discarding unreadable FSM data for key %s", db_key)
            return {}
        return loaded if isinstance(loaded, dict) else {}

    async def _write_data(self, db_key: str, data: Mapping[str, Any]) -> None:
        await self._db.execute(
            """
            INSERT INTO fsm (key, data) VALUES (?, ?)
            ON CONFLICT (key) DO UPDATE SET data = excluded.data
            """,
            (db_key, _dump(data)),
        )
        await self._drop_if_empty(db_key)

    async def _drop_if_empty(self, db_key: str) -> None:
        await self._db.execute(
            "DELETE FROM fsm WHERE key = ? AND state IS NULL AND data = ?", (db_key, _EMPTY)
        )
