from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StorageKey

from storage.db import Database
from storage.fsm import SQLiteStorage


class Wizard(StatesGroup):
    filter = State()
    period = State()


KEY = StorageKey(bot_id=1, chat_id=100, user_id=200)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "bot.sqlite3"


@pytest.fixture
async def db(db_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(db_path)
    yield database
    await database.close()


async def _row_count(db: Database) -> int:
    row = await db.fetch_one("SELECT COUNT(*) FROM fsm")
    assert row is not None
    return int(row[0])


async def test_state_round_trip(db: Database) -> None:
    storage = SQLiteStorage(db)
    assert await storage.get_state(KEY) is None
    await storage.set_state(KEY, Wizard.filter)
    assert await storage.get_state(KEY) == "Wizard:filter"
    await storage.set_state(KEY, "custom:state")
    assert await storage.get_state(KEY) == "custom:state"
    await storage.set_state(KEY, None)
    assert await storage.get_state(KEY) is None


async def test_data_round_trip_keeps_unicode(db: Database) -> None:
    storage = SQLiteStorage(db)
    assert await storage.get_data(KEY) == {}
    draft = {"operator": "Айгерим", "departments": [84, 85], "period": {"days": 7}}
    await storage.set_data(KEY, draft)
    assert await storage.get_data(KEY) == draft
    raw = await db.fetch_one("SELECT data FROM fsm")
    assert raw is not None and "Айгерим" in raw[0]  # stored readable, not \u-escaped


async def test_update_data_merges(db: Database) -> None:
    storage = SQLiteStorage(db)
    await storage.set_data(KEY, {"a": 1, "b": 2})
    merged = await storage.update_data(KEY, {"b": 3, "c": 4})
    assert merged == {"a": 1, "b": 3, "c": 4}
    assert await storage.get_data(KEY) == merged
    assert await storage.get_value(KEY, "c") == 4


async def test_concurrent_updates_do_not_lose_keys(db: Database) -> None:
    storage = SQLiteStorage(db)
    await asyncio.gather(*(storage.update_data(KEY, {f"k{i}": i}) for i in range(20)))
    assert await storage.get_data(KEY) == {f"k{i}": i for i in range(20)}


async def test_state_and_data_are_independent(db: Database) -> None:
    storage = SQLiteStorage(db)
    await storage.set_state(KEY, Wizard.period)
    await storage.set_data(KEY, {"x": 1})
    await storage.set_state(KEY, None)
    assert await storage.get_data(KEY) == {"x": 1}
    await storage.set_state(KEY, Wizard.filter)
    await storage.set_data(KEY, {})
    assert await storage.get_state(KEY) == "Wizard:filter"


async def test_cleared_key_leaves_no_row(db: Database) -> None:
    storage = SQLiteStorage(db)
    await storage.set_state(KEY, Wizard.filter)
    await storage.set_data(KEY, {"x": 1})
    assert await _row_count(db) == 1
    await storage.set_state(KEY, None)
    await storage.set_data(KEY, {})
    assert await _row_count(db) == 0


async def test_keys_are_isolated(db: Database) -> None:
    storage = SQLiteStorage(db)
    keys = [
        KEY,
        StorageKey(bot_id=1, chat_id=100, user_id=201),
        StorageKey(bot_id=1, chat_id=101, user_id=200),
        StorageKey(bot_id=2, chat_id=100, user_id=200),
        StorageKey(bot_id=1, chat_id=100, user_id=200, destiny="digest"),
        StorageKey(bot_id=1, chat_id=100, user_id=200, thread_id=5),
    ]
    for index, key in enumerate(keys):
        await storage.set_data(key, {"n": index})
    for index, key in enumerate(keys):
        assert await storage.get_data(key) == {"n": index}


async def test_survives_restart(db_path: Path) -> None:
    first = await Database.open(db_path)
    storage = SQLiteStorage(first)
    await storage.set_state(KEY, Wizard.period)
    await storage.set_data(KEY, {"filter": "department", "value": 84})
    await storage.close()
    await first.close()

    second = await Database.open(db_path)
    try:
        restored = SQLiteStorage(second)
        assert await restored.get_state(KEY) == "Wizard:period"
        assert await restored.get_data(KEY) == {"filter": "department", "value": 84}
    finally:
        await second.close()


async def test_close_leaves_shared_database_open(db: Database) -> None:
    await SQLiteStorage(db).close()
    assert await db.fetch_one("SELECT 1") is not None


async def test_close_can_own_the_database(db_path: Path) -> None:
    database = await Database.open(db_path)
    await SQLiteStorage(database, close_database=True).close()
    with pytest.raises(ValueError):  # aiosqlite refuses work on a closed connection
        await database.fetch_one("SELECT 1")


async def test_non_serializable_data_is_rejected_and_nothing_written(db: Database) -> None:
    storage = SQLiteStorage(db)
    await storage.set_data(KEY, {"ok": True})
    with pytest.raises(TypeError):
        await storage.set_data(KEY, {"bad": object()})
    assert await storage.get_data(KEY) == {"ok": True}


async def test_unreadable_data_reads_as_empty(db: Database) -> None:
    storage = SQLiteStorage(db)
    await storage.set_data(KEY, {"x": 1})
    await db.execute("UPDATE fsm SET data = 'not json'")
    assert await storage.get_data(KEY) == {}
