from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.crypto import TokenCipher
from bot.query.model import OperatorPick
from storage.catalog import CatalogObservation, CatalogRepo
from storage.chats import ChatRepo, ChatSettings
from storage.connections import ConnectionRepo
from storage.db import Database
from storage.migrations import (
    MIGRATIONS,
    SchemaTooNew,
    apply_migrations,
    latest_version,
    split_statements,
)
from storage.operator_lookups import KEPT_PER_USER, OperatorLookupRepo

TOKEN = "aiokk-plain-token-zz9q"
BASE_URL = "https://cabinet.aiokk.example"

ALL_VERSIONS = [version for version, _ in MIGRATIONS]
# Tables of the first migration; later migrations (digests) add their own.
EXPECTED_TABLES = {
    "schema_version",
    "chats",
    "connections",
    "catalog_departments",
    "catalog_operators",
    "catalog_question_packs",
    "catalog_signals",
    "operator_lookups",
    "fsm",
}


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "bot.sqlite3"


@pytest.fixture
async def db(db_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(db_path)
    yield database
    await database.close()


@pytest.fixture
def cipher() -> TokenCipher:
    return TokenCipher(Fernet.generate_key())


def _database_files(db_path: Path) -> list[Path]:
    """The database file plus its -wal/-shm companions, if any."""
    return [path for path in db_path.parent.iterdir() if path.name.startswith(db_path.name)]


async def _tables(db: Database) -> set[str]:
    rows = await db.fetch_all("SELECT name FROM sqlite_master WHERE type = 'table'")
    return {row[0] for row in rows if not row[0].startswith("sqlite_")}


async def _versions(db: Database) -> list[int]:
    return [row[0] for row in await db.fetch_all("SELECT version FROM schema_version")]


# --- database and migrations ---------------------------------------------------------------


async def test_migrations_from_empty_create_tables_and_record_version(
    db: Database, db_path: Path
) -> None:
    assert _database_files(db_path)  # the missing parent directory was created
    assert await _tables(db) >= EXPECTED_TABLES
    assert await _versions(db) == ALL_VERSIONS


async def test_reapplying_migrations_is_a_no_op(db: Database) -> None:
    await db.execute("INSERT INTO chats (chat_id, created_at, updated_at) VALUES (1, 'a', 'a')")
    assert await apply_migrations(db) == latest_version()
    assert await _versions(db) == ALL_VERSIONS
    row = await db.fetch_one("SELECT COUNT(*) FROM chats")
    assert row is not None and row[0] == 1


async def test_reopening_keeps_data(db_path: Path) -> None:
    first = await Database.open(db_path)
    await ChatRepo(first).set_language(7, "en")
    await first.close()
    second = await Database.open(db_path)
    try:
        assert (await ChatRepo(second).get(7)).language == "en"
        assert await _versions(second) == ALL_VERSIONS
    finally:
        await second.close()


async def test_newer_schema_is_refused(db_path: Path) -> None:
    db = await Database.open(db_path)
    await db.execute("INSERT INTO schema_version (version, applied_at) VALUES (99, 'x')")
    await db.close()
    with pytest.raises(SchemaTooNew, match="schema version 99") as info:
        await Database.open(db_path)
    assert info.value.found == 99
    assert info.value.supported == latest_version()
    assert "Upgrade the bot" in str(info.value)


async def test_appended_migration_is_applied_once(db_path: Path) -> None:
    db = await Database.open(db_path)
    await db.close()
    extended = [*MIGRATIONS, (len(MIGRATIONS) + 1, "CREATE TABLE extra (x INTEGER);")]
    db = await Database.open(db_path, migrations=extended)
    try:
        assert "extra" in await _tables(db)
        assert await _versions(db) == [*ALL_VERSIONS, len(extended)]
    finally:
        await db.close()
    # The older code now refuses the upgraded file.
    with pytest.raises(SchemaTooNew):
        await Database.open(db_path)


async def test_failing_migration_leaves_nothing_behind(db_path: Path) -> None:
    broken = [
        *MIGRATIONS,
        (len(MIGRATIONS) + 1, "CREATE TABLE half (x INTEGER);\nTHIS IS NOT SQL;"),
    ]
    with pytest.raises(sqlite3.OperationalError):
        await Database.open(db_path, migrations=broken)
    db = await Database.open(db_path)
    try:
        assert "half" not in await _tables(db)
        # Nothing of the failed run was committed: everything pending is one transaction,
        # so this open applied every migration afresh.
        assert await _versions(db) == ALL_VERSIONS
    finally:
        await db.close()


async def test_migration_versions_must_be_contiguous(db_path: Path) -> None:
    with pytest.raises(ValueError, match="without gaps"):
        await Database.open(db_path, migrations=[*MIGRATIONS, (len(MIGRATIONS) + 2, "SELECT 1;")])


async def test_two_processes_opening_at_once_migrate_once(db_path: Path) -> None:
    first, second = await asyncio.gather(Database.open(db_path), Database.open(db_path))
    try:
        assert await _versions(first) == ALL_VERSIONS
        assert await _versions(second) == ALL_VERSIONS
    finally:
        await first.close()
        await second.close()


def test_split_statements_keeps_trigger_bodies_whole() -> None:
    script = """
    -- a comment; with a semicolon
    CREATE TABLE a (x TEXT DEFAULT ';');
    CREATE TRIGGER t AFTER INSERT ON a BEGIN
        UPDATE a SET x = 'y';
        DELETE FROM a WHERE x = 'z';
    END;
    CREATE TABLE b (y INTEGER)
    """
    statements = split_statements(script)
    assert len(statements) == 3
    assert statements[0].endswith("CREATE TABLE a (x TEXT DEFAULT ';');")
    assert statements[1].startswith("CREATE TRIGGER") and statements[1].endswith("END;")
    assert statements[2] == "CREATE TABLE b (y INTEGER)"


async def test_pragmas_are_set(db: Database) -> None:
    for pragma, expected in (("journal_mode", "wal"), ("foreign_keys", 1), ("synchronous", 1)):
        row = await db.fetch_one(f"PRAGMA {pragma}")
        assert row is not None and row[0] == expected, pragma
    row = await db.fetch_one("PRAGMA busy_timeout")
    assert row is not None and row[0] == 5000


async def test_transaction_rolls_back_on_error(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await db.execute(
                "INSERT INTO chats (chat_id, created_at, updated_at) VALUES (1, 'a', 'a')"
            )
            raise RuntimeError("boom")
    assert await db.fetch_one("SELECT 1 FROM chats WHERE chat_id = 1") is None
    assert not db.conn.in_transaction


async def test_nested_transaction_rolls_back_only_the_inner_part(db: Database) -> None:
    insert = "INSERT INTO chats (chat_id, created_at, updated_at) VALUES (?, 'a', 'a')"
    async with db.transaction():
        await db.execute(insert, (1,))
        with pytest.raises(RuntimeError):
            async with db.transaction():
                await db.execute(insert, (2,))
                raise RuntimeError("inner")
        await db.execute(insert, (3,))
    rows = await db.fetch_all("SELECT chat_id FROM chats ORDER BY chat_id")
    assert [row[0] for row in rows] == [1, 3]


async def test_concurrent_transactions_do_not_interleave(db: Database) -> None:
    await db.execute("INSERT INTO chats (chat_id, created_at, updated_at) VALUES (1, '0', 'a')")

    async def increment() -> None:
        async with db.transaction():
            row = await db.fetch_one("SELECT created_at FROM chats WHERE chat_id = 1")
            assert row is not None
            await asyncio.sleep(0)  # let other tasks try to run in between
            await db.execute(
                "UPDATE chats SET created_at = ? WHERE chat_id = 1", (str(int(row[0]) + 1),)
            )

    await asyncio.gather(*(increment() for _ in range(20)))
    row = await db.fetch_one("SELECT created_at FROM chats WHERE chat_id = 1")
    assert row is not None and row[0] == "20"


# --- chats ---------------------------------------------------------------------------------


async def test_chat_defaults_for_unknown_chat(db: Database) -> None:
    assert await ChatRepo(db).get(42) == ChatSettings(chat_id=42)
    assert (await ChatRepo(db).get(42)).csv_delimiter == ";"


async def test_chat_settings_round_trip(db: Database) -> None:
    repo = ChatRepo(db)
    await repo.ensure(-100123, "supergroup")
    await repo.set_language(-100123, "en")
    await repo.set_timezone(-100123, "Europe/Moscow")
    await repo.set_csv_delimiter(-100123, ",")
    assert await repo.get(-100123) == ChatSettings(
        chat_id=-100123,
        language="en",
        timezone="Europe/Moscow",
        csv_delimiter=",",
        kind="supergroup",
    )
    # ensure() again neither resets settings nor fails.
    await repo.ensure(-100123, "supergroup")
    await repo.set_language(-100123, None)
    settings = await repo.get(-100123)
    assert settings.language is None
    assert settings.timezone == "Europe/Moscow"


async def test_chat_setting_without_ensure_creates_row(db: Database) -> None:
    repo = ChatRepo(db)
    await repo.set_timezone(5, "Asia/Almaty")
    settings = await repo.get(5)
    assert settings.timezone == "Asia/Almaty"
    assert settings.kind is None
    await repo.ensure(5, "private")
    assert (await repo.get(5)).kind == "private"
    assert (await repo.get(5)).timezone == "Asia/Almaty"


async def test_chat_rejects_unknown_delimiter(db: Database) -> None:
    with pytest.raises(ValueError, match="delimiter"):
        await ChatRepo(db).set_csv_delimiter(1, "ab")


# --- connections ---------------------------------------------------------------------------


async def test_connection_round_trip(db: Database, cipher: TokenCipher) -> None:
    repo = ConnectionRepo(db, cipher)
    assert await repo.get(10) is None
    saved = await repo.save(10, BASE_URL, TOKEN)
    loaded = await repo.get(10)
    assert loaded == saved
    assert loaded is not None
    assert loaded.token == TOKEN
    assert loaded.base_url == BASE_URL
    assert loaded.token_last4 == "zz9q"
    assert loaded.checked_at is not None
    assert await repo.get_by_id(saved.id) == saved
    assert await repo.get_by_id(saved.id + 1) is None


async def test_token_is_encrypted_on_disk(db: Database, db_path: Path, cipher: TokenCipher) -> None:
    await ConnectionRepo(db, cipher).save(10, BASE_URL, TOKEN)
    raw = await db.fetch_one("SELECT token_encrypted FROM connections")
    assert raw is not None and TOKEN.encode() not in raw[0]
    await db.close()
    on_disk = b"".join(path.read_bytes() for path in _database_files(db_path))
    assert BASE_URL.encode() in on_disk  # the bytes do hold the row ...
    assert TOKEN.encode() not in on_disk  # ... but never the plain token
    reopened = await Database.open(db_path)
    try:
        loaded = await ConnectionRepo(reopened, cipher).get(10)
        assert loaded is not None and loaded.token == TOKEN
    finally:
        await reopened.close()


async def test_connection_repr_masks_token(db: Database, cipher: TokenCipher) -> None:
    connection = await ConnectionRepo(db, cipher).save(10, BASE_URL, TOKEN)
    for text in (repr(connection), str(connection), f"{connection}", f"{[connection]}"):
        assert TOKEN not in text
        assert "…zz9q" in text
    assert connection.masked_token == "…zz9q"


async def test_saving_again_keeps_id_and_catalog_for_same_instance(
    db: Database, cipher: TokenCipher
) -> None:
    repo = ConnectionRepo(db, cipher)
    catalog = CatalogRepo(db)
    first = await repo.save(10, BASE_URL, TOKEN)
    await catalog.learn(first.id, CatalogObservation(signals={"блин": 2}))
    second = await repo.save(10, BASE_URL + "/", "another-token-7777")
    assert second.id == first.id
    loaded = await repo.get(10)
    assert loaded is not None and loaded.token == "another-token-7777"
    assert await catalog.signals(first.id) == [("блин", 2)]


async def test_base_url_change_clears_catalog(db: Database, cipher: TokenCipher) -> None:
    repo = ConnectionRepo(db, cipher)
    catalog = CatalogRepo(db)
    first = await repo.save(10, BASE_URL, TOKEN)
    other = await repo.save(11, BASE_URL, TOKEN)
    obs = CatalogObservation(
        departments={84: ("Отдел продаж", 3)},
        operators={4: ("Иван Иванович", 84, 3)},
        question_packs={27: ("Вопросы по умолчанию", 10)},
        signals={"блин": 1},
    )
    await catalog.learn(first.id, obs)
    await catalog.learn(other.id, obs)
    moved = await repo.save(10, "https://other.aiokk.example", TOKEN)
    assert moved.id == first.id
    assert moved.base_url == "https://other.aiokk.example"
    assert await catalog.departments(first.id) == []
    assert await catalog.operators(first.id) == []
    assert await catalog.question_packs(first.id) == []
    assert await catalog.signals(first.id) == []
    # Another user's catalog is untouched.
    assert await catalog.departments(other.id) == [(84, "Отдел продаж", 3)]


async def test_delete_connection_cascades_to_catalog(db: Database, cipher: TokenCipher) -> None:
    repo = ConnectionRepo(db, cipher)
    catalog = CatalogRepo(db)
    connection = await repo.save(10, BASE_URL, TOKEN)
    await catalog.learn(connection.id, CatalogObservation(departments={1: ("A", 1)}))
    assert await repo.delete(10) is True
    assert await repo.get(10) is None
    assert await repo.delete(10) is False
    row = await db.fetch_one("SELECT COUNT(*) FROM catalog_departments")
    assert row is not None and row[0] == 0


async def test_touch_checked_sets_checked_at(db: Database, cipher: TokenCipher) -> None:
    repo = ConnectionRepo(db, cipher)
    await repo.save(10, BASE_URL, TOKEN)
    await db.execute("UPDATE connections SET checked_at = NULL")
    loaded = await repo.get(10)
    assert loaded is not None and loaded.checked_at is None
    await repo.touch_checked(10)
    loaded = await repo.get(10)
    assert loaded is not None and loaded.checked_at is not None
    assert loaded.checked_at.tzinfo is not None


async def test_connection_with_undecryptable_token_reads_as_absent(
    db: Database, cipher: TokenCipher
) -> None:
    await ConnectionRepo(db, cipher).save(10, BASE_URL, TOKEN)
    other_key = ConnectionRepo(db, TokenCipher(Fernet.generate_key()))
    assert await other_key.get(10) is None
    # Connecting again with the new key overwrites the unreadable row.
    saved = await other_key.save(10, BASE_URL, TOKEN)
    assert await other_key.get(10) == saved


# --- catalog -------------------------------------------------------------------------------


@pytest.fixture
async def connection_id(db: Database, cipher: TokenCipher) -> int:
    return (await ConnectionRepo(db, cipher).save(10, BASE_URL, TOKEN)).id


async def test_catalog_counts_accumulate(db: Database, connection_id: int) -> None:
    catalog = CatalogRepo(db)
    await catalog.learn(
        connection_id,
        CatalogObservation(
            departments={84: ("Отдел продаж", 2), 85: (None, 1)},
            operators={4: ("Иван Иванович", 84, 2)},
            question_packs={27: ("Вопросы по умолчанию", 10)},
            question_pack_calls={27: 2},
            signals={"блин": 1, "может быть": 2},
        ),
    )
    await catalog.learn(
        connection_id,
        CatalogObservation(
            departments={84: (None, 1), 85: ("Поддержка", 4)},
            operators={4: ("Иван Иванович", None, 1)},
            question_packs={27: (None, None)},
            signals={"блин": 5},
        ),
    )
    assert await catalog.departments(connection_id) == [
        (85, "Поддержка", 5),
        (84, "Отдел продаж", 3),
    ]
    assert await catalog.operators(connection_id) == [("Иван Иванович", 84, 3, 4, "Отдел продаж")]
    assert await catalog.question_packs(connection_id) == [(27, "Вопросы по умолчанию", 10, 3)]
    assert await catalog.signals(connection_id) == [("блин", 6), ("может быть", 2)]
    assert await catalog.department_name(connection_id, 84) == "Отдел продаж"
    assert await catalog.department_name(connection_id, 999) is None
    pack = await catalog.question_pack(connection_id, 27)
    assert pack is not None and pack.title == "Вопросы по умолчанию"
    assert pack.criteria_count == 10
    assert await catalog.question_pack(connection_id, 1) is None


async def test_catalog_ordering_and_limit(db: Database, connection_id: int) -> None:
    catalog = CatalogRepo(db)
    await catalog.learn(
        connection_id,
        CatalogObservation(
            operators={
                "Борис": ("Борис", None, 1),
                "Айгерим": ("Айгерим", None, 1),
                "Вера": ("Вера", None, 7),
            },
            signals={"b": 2, "a": 2, "c": 9},
        ),
    )
    names = [entry.name for entry in await catalog.operators(connection_id)]
    assert names == ["Вера", "Айгерим", "Борис"]
    assert [entry.word for entry in await catalog.signals(connection_id, limit=2)] == ["c", "a"]
    assert await catalog.signals(connection_id, limit=0) == []


async def test_catalog_ignores_deleted_connection(db: Database, cipher: TokenCipher) -> None:
    catalog = CatalogRepo(db)
    await catalog.learn(12345, CatalogObservation(signals={"x": 1}))
    row = await db.fetch_one("SELECT COUNT(*) FROM catalog_signals")
    assert row is not None and row[0] == 0


def test_observation_helpers_count() -> None:
    obs = CatalogObservation()
    assert obs.is_empty
    obs.add_department(84, "Отдел продаж")
    obs.add_department(84, None)
    obs.add_operator(" Иван ", 84)
    obs.add_operator("Иван", None)
    obs.add_operator("  ", None)
    obs.add_question_pack(27, "Вопросы", 10)
    obs.add_question_pack(27, None, None)
    obs.add_signal("блин")
    obs.add_signal(" ")
    assert obs.departments == {84: ("Отдел продаж", 2)}
    obs.add_operator("Иван  Петров", 85, 7)
    obs.add_operator("Иван Петров-Сидоров", None, 7)  # renamed: the last name seen stays
    assert obs.operators == {"Иван": ("Иван", 84, 2), 7: ("Иван Петров-Сидоров", 85, 2)}
    assert obs.question_packs == {27: ("Вопросы", 10)}
    assert obs.question_pack_calls == {27: 2}
    assert obs.signals == {"блин": 1}
    assert not obs.is_empty


# --- operator lookups ----------------------------------------------------------------------


async def test_recent_operator_lookups(db: Database) -> None:
    repo = OperatorLookupRepo(db)
    for name in ("Айгерим", "Борис", "Вера"):
        await repo.remember(1, OperatorPick(name))
    await repo.remember(1, OperatorPick("Айгерим"))
    await repo.remember(2, OperatorPick("Другой"))
    assert await repo.recent(1) == [OperatorPick(n) for n in ("Айгерим", "Вера", "Борис")]
    assert await repo.recent(1, limit=2) == [OperatorPick("Айгерим"), OperatorPick("Вера")]
    assert await repo.recent(2) == [OperatorPick("Другой")]
    assert await repo.recent(3) == []
    # Namesakes are two people: both are kept, each with its id and department.
    await repo.remember(4, OperatorPick("Асель", 1, "Продажи"))
    await repo.remember(4, OperatorPick("Асель", 2, "Поддержка"))
    await repo.remember(4, OperatorPick("Асель", 1, "Продажи"))
    assert await repo.recent(4) == [
        OperatorPick("Асель", 1, "Продажи"),
        OperatorPick("Асель", 2, "Поддержка"),
    ]


async def test_operator_lookups_are_pruned(db: Database) -> None:
    repo = OperatorLookupRepo(db)
    for index in range(KEPT_PER_USER + 5):
        await repo.remember(1, OperatorPick(f"op{index}", index))
    recent = [pick.name for pick in await repo.recent(1, limit=100)]
    assert len(recent) == KEPT_PER_USER
    assert recent[0] == f"op{KEPT_PER_USER + 4}"
    assert "op0" not in recent


# --- queries kept with results messages --------------------------------------------------


async def test_shown_queries_are_kept_per_message_and_purged_after_the_retention(
    db: Database,
) -> None:
    from datetime import timedelta

    from bot.clock import FrozenClock
    from bot.query.model import CallQuery, Period, PeriodKind
    from storage.shown_queries import RETENTION, ShownQueryRepo
    from tests.clock import TEST_NOW

    clock = FrozenClock(TEST_NOW)
    repo = ShownQueryRepo(db, clock)
    week = CallQuery(department_id=84, period=Period(PeriodKind.D7))
    await repo.remember(-100, 7, 42, week)
    await repo.remember(-100, 8, 43, CallQuery(call_type=2))
    kept = await repo.get(-100, 7)
    assert kept is not None and kept.query == week and kept.user_id == 42
    assert kept.created_at == TEST_NOW
    assert await repo.get(-100, 9) is None and await repo.get(-101, 7) is None

    # Showing another query in the same message replaces it and stamps it again.
    clock.advance(timedelta(days=3))
    await repo.remember(-100, 8, 43, week)
    replaced = await repo.get(-100, 8)
    assert replaced is not None and replaced.query == week

    # Past the retention a row is out of date, then forgotten by the purge.
    clock.advance(RETENTION - timedelta(days=3) + timedelta(seconds=1))
    old = await repo.get(-100, 7)
    assert old is not None and repo.expired(old) and await repo.current(-100, 7) is None
    assert await repo.current(-100, 8) is not None
    assert await repo.purge() == 1
    assert await repo.get(-100, 7) is None and await repo.get(-100, 8) is not None

    # Writing purges too, at most once a day.
    clock.advance(timedelta(days=8))
    await repo.remember(-100, 10, 42, week)
    assert await repo.get(-100, 8) is None and await repo.get(-100, 10) is not None
    await repo.forget(-100, 10)
    assert await repo.get(-100, 10) is None
