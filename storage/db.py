"""The one aiosqlite connection the bot uses, and its transactions.

The connection runs in autocommit mode (``isolation_level=None``) so that every
transaction is explicit: ``BEGIN IMMEDIATE`` takes SQLite's write lock up
front, which is what makes read-then-write sequences atomic even when two bot
processes share one database file. Inside one process an ``asyncio.Lock``
keeps coroutines from interleaving statements in each other's transactions.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from storage.migrations import MIGRATIONS, Migration, apply_migrations

logger = logging.getLogger(__name__)

Params = Sequence[Any] | dict[str, Any]

BUSY_TIMEOUT_MS = 5000
_MEMORY = ":memory:"


FILE_MODE = 0o600
"""The database and its -wal/-shm files hold tokens (encrypted) and call data: owner only."""


def _owner_only(path: Path) -> None:
    """Create the database file readable by its owner only, or make an existing one so.

    SQLite creates the -wal and -shm files with the database file's permissions; those of an
    older installation are tightened too.
    """
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE))
    for companion in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            os.chmod(companion, FILE_MODE)
        except FileNotFoundError:
            pass
        except PermissionError:
            logger.warning("cannot make %s readable by its owner only", companion)


class Database:
    """Wraps one aiosqlite connection; create it with :meth:`open`."""

    def __init__(self, conn: aiosqlite.Connection, path: str) -> None:
        self._conn = conn
        self._path = path
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None
        self._depth = 0

    @classmethod
    async def open(
        cls, path: str | Path, *, migrations: Sequence[Migration] = MIGRATIONS
    ) -> Database:
        """Open (creating if needed) the database file, configure it and migrate it.

        Raises ``SchemaTooNew`` when the file was written by a newer version.
        """
        location = str(path)
        if location != _MEMORY:
            Path(location).parent.mkdir(parents=True, exist_ok=True)
            _owner_only(Path(location))
        conn = await aiosqlite.connect(location, isolation_level=None)
        db = cls(conn, location)
        try:
            await db._configure()
            await apply_migrations(db, migrations)
        except BaseException:
            await conn.close()
            raise
        return db

    async def _configure(self) -> None:
        self._conn.row_factory = aiosqlite.Row
        # busy_timeout first: switching to WAL itself may wait for another process.
        await self._run(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        row = await self.fetch_one("PRAGMA journal_mode = WAL")
        mode = str(row[0]).lower() if row is not None else "unknown"
        if mode != "wal" and self._path != _MEMORY:
            logger.warning("SQLite WAL mode is unavailable for %s (mode: %s)", self._path, mode)
        await self._run("PRAGMA foreign_keys = ON")
        await self._run("PRAGMA synchronous = NORMAL")

    @property
    def conn(self) -> aiosqlite.Connection:
        return self._conn

    @property
    def path(self) -> str:
        return self._path

    async def close(self) -> None:
        await self._conn.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Run the block atomically: ``BEGIN IMMEDIATE`` … ``COMMIT``, ``ROLLBACK`` on error.

        Nesting in the same task uses a savepoint, so repository methods can be
        composed inside a larger transaction. A task started from inside a
        transaction must not open one of its own while the outer one waits for it.
        """
        task = asyncio.current_task()
        if task is not None and self._owner is task:
            async with self._savepoint():
                yield self._conn
            return

        async with self._lock:
            self._owner = task
            try:
                # Whatever fails, the BEGIN included (a cancelled await of it still runs in
                # aiosqlite's thread), the connection leaves with no transaction open.
                await self._run("BEGIN IMMEDIATE")
                yield self._conn
                await self._run("COMMIT")
            except BaseException:
                await self._rollback()
                raise
            finally:
                self._owner = None

    @asynccontextmanager
    async def _savepoint(self) -> AsyncIterator[None]:
        self._depth += 1
        name = f"sp_{self._depth}"
        try:
            await self._run(f"SAVEPOINT {name}")
            try:
                yield
            except BaseException:
                await self._run(f"ROLLBACK TO {name}")
                await self._run(f"RELEASE {name}")
                raise
            await self._run(f"RELEASE {name}")
        finally:
            self._depth -= 1

    async def _rollback(self) -> None:
        """Roll back whatever is open, even a BEGIN still queued behind a cancelled await.

        aiosqlite runs statements one by one in its thread, in order: asking now whether a
        transaction is open could miss that BEGIN, while a ROLLBACK queued after it cannot.
        """
        try:
            await self._run("ROLLBACK")
        except sqlite3.Error as error:
            if "no transaction is active" not in str(error):
                logger.exception("Rollback failed on %s", self._path)

    def in_own_transaction(self) -> bool:
        """True when the current task is inside :meth:`transaction`."""
        task = asyncio.current_task()
        return task is not None and self._owner is task

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one writing statement atomically; returns the affected row count."""
        if self.in_own_transaction():
            return await self._execute(sql, params)
        async with self.transaction():
            return await self._execute(sql, params)

    async def execute_returning_id(self, sql: str, params: Params = ()) -> int:
        """Run an INSERT and return the new row's rowid."""
        async with self.transaction():
            cursor = await self._conn.execute(sql, params)
            try:
                rowid = cursor.lastrowid
            finally:
                await cursor.close()
        if rowid is None:
            raise RuntimeError("The statement did not insert a row.")
        return rowid

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        if self.in_own_transaction():
            await self._executemany(sql, rows)
            return
        async with self.transaction():
            await self._executemany(sql, rows)

    async def fetch_one(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        async with self._conn.execute(sql, params) as cursor:
            row: aiosqlite.Row | None = await cursor.fetchone()
        return row

    async def fetch_all(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        async with self._conn.execute(sql, params) as cursor:
            rows = await cursor.fetchall()
        return list(rows)

    async def _execute(self, sql: str, params: Params) -> int:
        async with self._conn.execute(sql, params) as cursor:
            return cursor.rowcount

    async def _executemany(self, sql: str, rows: Iterable[Params]) -> None:
        cursor = await self._conn.executemany(sql, rows)
        await cursor.close()

    async def _run(self, sql: str) -> None:
        cursor = await self._conn.execute(sql)
        await cursor.close()
