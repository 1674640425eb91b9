"""A failed or cancelled transaction leaves the one shared connection as it found it: a
database error in one update never affects the next."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.db import Database


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "bot.sqlite3")
    await database.execute("CREATE TABLE t (x INTEGER)")
    yield database
    await database.close()


async def rows(db: Database) -> list[int]:
    return [row[0] for row in await db.fetch_all("SELECT x FROM t ORDER BY x")]


async def test_an_integer_beyond_sqlite_fails_its_transaction_only(db: Database) -> None:
    with pytest.raises(OverflowError):
        async with db.transaction():
            await db.execute("INSERT INTO t VALUES (1)")
            await db.execute("INSERT INTO t VALUES (?)", (2**70,))
    assert not db.conn.in_transaction
    await db.execute("INSERT INTO t VALUES (2)")
    assert await rows(db) == [2]


@pytest.mark.parametrize("steps", range(12))
async def test_a_transaction_cancelled_at_any_point_leaves_no_transaction_open(
    db: Database, steps: int
) -> None:
    """Cancelled while its BEGIN, INSERT or COMMIT is on its way to aiosqlite's thread."""

    async def write() -> None:
        async with db.transaction():
            await db.execute("INSERT INTO t VALUES (1)")

    task = asyncio.create_task(write())
    for _ in range(steps):
        await asyncio.sleep(0)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    # Let anything still queued in aiosqlite's thread run.
    await db.fetch_one("SELECT 1")

    assert not db.conn.in_transaction
    await db.execute("INSERT INTO t VALUES (2)")  # a new transaction can begin
    assert (await rows(db))[-1] == 2
    assert await rows(db) in ([2], [1, 2]), "the cancelled write is all or nothing"
