"""The database holds encrypted tokens and call data: it and its -wal/-shm files are readable
by their owner only, whatever the process umask, also when an older version made them 0644."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from storage.db import Database


def modes(directory: Path) -> dict[str, int]:
    return {path.name: stat.S_IMODE(path.stat().st_mode) for path in directory.iterdir()}


async def test_a_new_database_and_its_wal_and_shm_are_owner_only(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        db = await Database.open(tmp_path / "data" / "bot.sqlite3")
        await db.execute("CREATE TABLE probe (x)")
        found = modes(tmp_path / "data")
        await db.close()
    finally:
        os.umask(previous)
    assert found == {"bot.sqlite3": 0o600, "bot.sqlite3-wal": 0o600, "bot.sqlite3-shm": 0o600}


async def test_an_existing_world_readable_database_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    db = await Database.open(path)
    await db.close()
    for name in ("bot.sqlite3", "bot.sqlite3-wal", "bot.sqlite3-shm"):
        (tmp_path / name).touch()
        (tmp_path / name).chmod(0o644)
    db = await Database.open(path)
    await db.close()
    assert set(modes(tmp_path).values()) == {0o600}
