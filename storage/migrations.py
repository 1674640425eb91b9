"""Versioned schema migrations.

``MIGRATIONS`` is an ordered list of ``(version, SQL script)``. To change the
schema, append the next number with its script; never edit a released one.
Pending migrations run in one ``BEGIN IMMEDIATE`` transaction together with the
version check, so two processes starting at once cannot both apply them.

Scripts are split into statements and executed one by one because
``executescript`` would commit the surrounding transaction first. A script must
not change ``PRAGMA foreign_keys`` or ``journal_mode`` (both are ignored inside
a transaction).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING

from storage.timestamps import now_text

if TYPE_CHECKING:
    from storage.db import Database

Migration = tuple[int, str]

_MIGRATION_1 = """
CREATE TABLE chats (
    chat_id       INTEGER PRIMARY KEY,
    kind          TEXT,
    language      TEXT,             -- NULL: follow the user's Telegram language
    timezone      TEXT,             -- NULL: DEFAULT_TIMEZONE
    csv_delimiter TEXT NOT NULL DEFAULT ';',
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE connections (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id         INTEGER NOT NULL UNIQUE,   -- owner's Telegram user (private chat) id
    base_url        TEXT NOT NULL,
    token_encrypted BLOB NOT NULL,
    token_last4     TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    checked_at      TEXT
);

CREATE TABLE catalog_departments (
    connection_id INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    department_id INTEGER NOT NULL,
    name          TEXT,
    calls         INTEGER NOT NULL DEFAULT 0,
    last_seen     TEXT NOT NULL,
    PRIMARY KEY (connection_id, department_id)
);

CREATE TABLE catalog_operators (
    connection_id INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    department_id INTEGER,
    calls         INTEGER NOT NULL DEFAULT 0,
    last_seen     TEXT NOT NULL,
    PRIMARY KEY (connection_id, name)
);

CREATE TABLE catalog_question_packs (
    connection_id  INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    pack_id        INTEGER NOT NULL,
    title          TEXT,
    criteria_count INTEGER,
    calls          INTEGER NOT NULL DEFAULT 0,
    last_seen      TEXT NOT NULL,
    PRIMARY KEY (connection_id, pack_id)
);

CREATE TABLE catalog_signals (
    connection_id INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    word          TEXT NOT NULL,
    calls         INTEGER NOT NULL DEFAULT 0,
    last_seen     TEXT NOT NULL,
    PRIMARY KEY (connection_id, word)
);

CREATE TABLE operator_lookups (
    user_id      INTEGER NOT NULL,
    name         TEXT NOT NULL,
    looked_up_at TEXT NOT NULL,
    PRIMARY KEY (user_id, name)
);

CREATE TABLE fsm (
    key   TEXT PRIMARY KEY,
    state TEXT,
    data  TEXT NOT NULL DEFAULT '{}'
);
"""

_MIGRATION_2 = """
CREATE TABLE digest_subscriptions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id       INTEGER NOT NULL,          -- where the digest is posted
    thread_id     INTEGER,                   -- forum topic, NULL elsewhere
    chat_title    TEXT NOT NULL DEFAULT '',
    owner_user_id INTEGER NOT NULL,          -- whose connection (connections.user_id) feeds it
    owner_name    TEXT NOT NULL DEFAULT '',
    language      TEXT NOT NULL DEFAULT 'ru',
    hour          INTEGER NOT NULL,
    minute        INTEGER NOT NULL,
    timezone      TEXT NOT NULL,
    days          TEXT NOT NULL DEFAULT 'daily',   -- daily | work | days
    weekdays      TEXT NOT NULL DEFAULT '',        -- "0,2,4" (Monday = 0) for days = 'days'
    period        TEXT NOT NULL DEFAULT 'auto',
    scope         TEXT NOT NULL DEFAULT '{}',      -- CallQuery.to_dict() without the period
    rating_on     INTEGER NOT NULL DEFAULT 1,
    max_rating    INTEGER NOT NULL DEFAULT 3,
    score_on      INTEGER NOT NULL DEFAULT 1,
    min_score     REAL NOT NULL DEFAULT 50,
    signals_on    INTEGER NOT NULL DEFAULT 0,
    signals       TEXT NOT NULL DEFAULT '[]',
    attachment    TEXT NOT NULL DEFAULT 'none',    -- none | xlsx | csv
    chart         INTEGER NOT NULL DEFAULT 1,
    skip_empty    INTEGER NOT NULL DEFAULT 0,
    paused        INTEGER NOT NULL DEFAULT 0,
    pause_reason  TEXT,
    pause_detail  TEXT,
    next_run      TEXT,                            -- UTC, see storage.timestamps
    created_by    INTEGER NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX digest_subscriptions_due ON digest_subscriptions (paused, next_run);
CREATE INDEX digest_subscriptions_chat ON digest_subscriptions (chat_id);
CREATE INDEX digest_subscriptions_owner ON digest_subscriptions (owner_user_id);

CREATE TABLE digest_runs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription_id INTEGER NOT NULL REFERENCES digest_subscriptions(id) ON DELETE CASCADE,
    period_start    TEXT NOT NULL,             -- local dates, inclusive
    period_end      TEXT NOT NULL,
    due_at          TEXT NOT NULL,
    state           TEXT NOT NULL,             -- claimed | retry | sent | failed | missed
    attempts        INTEGER NOT NULL DEFAULT 0,
    claimed_at      TEXT,
    claimed_by      TEXT,
    retry_at        TEXT,
    finished_at     TEXT,
    error           TEXT,
    late            INTEGER NOT NULL DEFAULT 0,
    total_calls     INTEGER,
    bad_calls       INTEGER,
    UNIQUE (subscription_id, period_start, period_end)
);
CREATE INDEX digest_runs_state ON digest_runs (state, retry_at);

CREATE TABLE digest_handled (
    chat_id    INTEGER NOT NULL,
    dialog_id  INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    user_name  TEXT NOT NULL,
    handled_at TEXT NOT NULL,
    PRIMARY KEY (chat_id, dialog_id)
);

CREATE TABLE digest_messages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription_id INTEGER,
    chat_id         INTEGER NOT NULL,
    message_id      INTEGER,
    kind            TEXT NOT NULL,             -- text | caption
    body            TEXT NOT NULL,             -- JSON: what is needed to redraw and open cards
    created_at      TEXT NOT NULL
);
CREATE INDEX digest_messages_created ON digest_messages (created_at);
"""

# Operators are people, identified by operatorId where the data has one ("i:<id>"), by
# the name otherwise ("n:<name>"): names change and repeat. Rows learned before are
# kept as names; they merge with the person's id once the catalog learns it.
_MIGRATION_3 = """
CREATE TABLE catalog_operators_v3 (
    connection_id INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    ident         TEXT NOT NULL,             -- 'i:' || operator_id, or 'n:' || name
    operator_id   INTEGER,
    name          TEXT NOT NULL,             -- the latest name seen
    department_id INTEGER,
    calls         INTEGER NOT NULL DEFAULT 0,
    last_seen     TEXT NOT NULL,
    PRIMARY KEY (connection_id, ident)
);
INSERT INTO catalog_operators_v3
    (connection_id, ident, operator_id, name, department_id, calls, last_seen)
    SELECT connection_id, 'n:' || name, NULL, name, department_id, calls, last_seen
    FROM catalog_operators;
DROP TABLE catalog_operators;
ALTER TABLE catalog_operators_v3 RENAME TO catalog_operators;

CREATE TABLE operator_lookups_v3 (
    user_id      INTEGER NOT NULL,
    ident        TEXT NOT NULL,              -- as in catalog_operators
    operator_id  INTEGER,
    name         TEXT NOT NULL,
    department   TEXT,
    looked_up_at TEXT NOT NULL,
    PRIMARY KEY (user_id, ident)
);
INSERT INTO operator_lookups_v3 (user_id, ident, operator_id, name, department, looked_up_at)
    SELECT user_id, 'n:' || name, NULL, name, NULL, looked_up_at
    FROM operator_lookups ORDER BY rowid;
DROP TABLE operator_lookups;
ALTER TABLE operator_lookups_v3 RENAME TO operator_lookups;
"""

# Each part of a scheduled digest (chart, message, file, the note that the file failed) is
# recorded as soon as Telegram has it, so that a run resumed after a crash sends only what is
# missing. Exports in progress are recorded so that a restart can tell their chats.
_MIGRATION_4 = """
CREATE TABLE digest_parts (
    run_id     INTEGER NOT NULL REFERENCES digest_runs(id) ON DELETE CASCADE,
    part       TEXT NOT NULL,              -- chart | message | file | file_note
    sure       INTEGER NOT NULL DEFAULT 1, -- 0: the send's fate is unknown (not repeated)
    message_id INTEGER,
    sent_at    TEXT NOT NULL,
    PRIMARY KEY (run_id, part)
);

CREATE TABLE exports (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id     INTEGER NOT NULL,
    thread_id   INTEGER,
    user_id     INTEGER NOT NULL,          -- who asked; a retry runs on their connection
    message_id  INTEGER,                   -- the progress message
    lang        TEXT NOT NULL,
    job         TEXT NOT NULL,             -- JSON: query, format, file name, ... never the token
    title       TEXT NOT NULL,
    state       TEXT NOT NULL,             -- running | done | failed | interrupted
    owner       TEXT NOT NULL,             -- host:pid:nonce of the process running it
    started_at  TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX exports_state ON exports (state);
"""

# The query a results message (a /calls summary, list page or call card) shows is kept with
# the message, so that its buttons keep working after the user opens another /calls. Rows
# older than the retention are purged (see storage.shown_queries).
_MIGRATION_5 = """
CREATE TABLE shown_queries (
    chat_id    INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,          -- who opened it; in a group only they may press
    query      TEXT NOT NULL,             -- JSON: CallQuery.to_dict()
    created_at TEXT NOT NULL,             -- UTC, by the bot's clock (see storage.timestamps)
    PRIMARY KEY (chat_id, message_id)
);
CREATE INDEX shown_queries_created ON shown_queries (created_at);
"""

# Alerts on critical calls. A rule's calls are remembered in ``alert_seen``: inserting a row
# is the claim on that call's alert (whoever inserts a pending row delivers it), so two
# processes on one database never both send it; ``alert_polls`` lets one process poll a
# connection per interval, and times the full reads of all call types.
_MIGRATION_6 = """
CREATE TABLE alert_rules (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id       INTEGER NOT NULL,
    thread_id     INTEGER,                   -- forum topic, NULL elsewhere
    owner_user_id INTEGER NOT NULL,          -- whose connection (connections.user_id) feeds it
    owner_name    TEXT NOT NULL DEFAULT '',
    created_by    INTEGER NOT NULL,
    language      TEXT NOT NULL DEFAULT 'ru',
    timezone      TEXT NOT NULL,
    scope         TEXT NOT NULL,             -- JSON: AlertScope.dump()
    max_rating    INTEGER,                   -- alert on a client rating <= this; NULL: off
    signals       TEXT NOT NULL DEFAULT '[]',
    min_score     REAL,                      -- alert on a script score below this %; NULL: off
    quiet_start   TEXT,                      -- 'HH:MM' local; NULL: no quiet hours
    quiet_end     TEXT,
    paused        INTEGER NOT NULL DEFAULT 0,
    pause_reason  TEXT,
    baselined_at  TEXT,                      -- the first poll, which only remembered calls
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX alert_rules_active ON alert_rules (paused, owner_user_id);
CREATE INDEX alert_rules_chat ON alert_rules (chat_id);

CREATE TABLE alert_seen (
    rule_id    INTEGER NOT NULL REFERENCES alert_rules(id) ON DELETE CASCADE,
    dialog_id  INTEGER NOT NULL,
    state      TEXT NOT NULL,                -- baseline | held | pending | sent | skipped | failed
    call_at    TEXT NOT NULL,                -- the call's date (UTC)
    card       TEXT,                         -- JSON: what the alert shows (NULL for baseline)
    release_at TEXT,                         -- held: the end of the quiet hours
    claimed_by TEXT,                         -- host:pid:nonce delivering a pending row
    claimed_at TEXT,
    attempts   INTEGER NOT NULL DEFAULT 0,
    message_id INTEGER,
    seen_at    TEXT NOT NULL,
    sent_at    TEXT,
    error      TEXT,
    PRIMARY KEY (rule_id, dialog_id)
);
CREATE INDEX alert_seen_open ON alert_seen (state, release_at);
CREATE INDEX alert_seen_call ON alert_seen (call_at);

CREATE TABLE alert_polls (
    connection_id INTEGER PRIMARY KEY,
    polled_at     TEXT NOT NULL,
    polled_by     TEXT NOT NULL,
    full_at       TEXT                       -- the last read of all four call types
);
"""

# Weekly and monthly digests: how often a subscription runs. Existing ones stay daily.
_MIGRATION_7 = """
ALTER TABLE digest_subscriptions ADD COLUMN cadence TEXT NOT NULL DEFAULT 'daily';
"""

MIGRATIONS: list[Migration] = [
    (1, _MIGRATION_1),
    (2, _MIGRATION_2),
    (3, _MIGRATION_3),
    (4, _MIGRATION_4),
    (5, _MIGRATION_5),
    (6, _MIGRATION_6),
    (7, _MIGRATION_7),
]

_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version    INTEGER PRIMARY KEY,
    applied_at TEXT NOT NULL
)
"""


class SchemaTooNew(RuntimeError):
    """The database was written by a newer version of the bot."""

    def __init__(self, found: int, supported: int, path: str = "") -> None:
        self.found = found
        self.supported = supported
        where = f" {path}" if path else ""
        super().__init__(
            f"The database{where} has schema version {found}, but this version of the bot "
            f"supports only up to {supported}. Upgrade the bot or point it at another database."
        )


def latest_version(migrations: Sequence[Migration] = MIGRATIONS) -> int:
    return migrations[-1][0] if migrations else 0


def split_statements(script: str) -> list[str]:
    """Split an SQL script into complete statements (triggers' inner ``;`` are kept)."""
    statements: list[str] = []
    start = 0
    for index, char in enumerate(script):
        if char != ";":
            continue
        candidate = script[start : index + 1]
        if sqlite3.complete_statement(candidate):
            if _has_sql(candidate):
                statements.append(candidate.strip())
            start = index + 1
    tail = script[start:]
    if _has_sql(tail):
        statements.append(tail.strip())
    return statements


def _has_sql(text: str) -> bool:
    for line in text.splitlines():
        code = line.split("--", 1)[0].strip().strip(";").strip()
        if code:
            return True
    return False


def _check_order(migrations: Sequence[Migration]) -> None:
    versions = [version for version, _ in migrations]
    if versions != list(range(1, len(versions) + 1)):
        raise ValueError(f"Migration versions must be 1, 2, 3, … without gaps; got {versions}")


async def current_version(db: Database) -> int:
    row = await db.fetch_one(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    )
    if row is None:
        return 0
    row = await db.fetch_one("SELECT COALESCE(MAX(version), 0) FROM schema_version")
    return int(row[0]) if row is not None else 0


async def apply_migrations(db: Database, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """Bring the schema up to date; returns the resulting version.

    Raises ``SchemaTooNew`` if the database is ahead of ``migrations``.
    """
    _check_order(migrations)
    supported = latest_version(migrations)
    async with db.transaction():
        await db.execute(_VERSION_TABLE)
        found = await current_version(db)
        if found > supported:
            raise SchemaTooNew(found, supported, db.path)
        for version, script in migrations:
            if version <= found:
                continue
            for statement in split_statements(script):
                await db.execute(statement)
            await db.execute(
                "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                (version, now_text()),
            )
    return max(found, supported)
