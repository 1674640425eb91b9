"""What the bot has learned about a connection from API responses.

The aiokk API has no list endpoints, so departments, operators, question packs
and signal words seen in responses are counted here; the counts order the
choice buttons so the most used values come first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from bot.query.model import OperatorPick, name_key
from storage.db import Database
from storage.timestamps import now_text

CATALOG_TABLES: tuple[str, ...] = (
    "catalog_departments",
    "catalog_operators",
    "catalog_question_packs",
    "catalog_signals",
)


@dataclass(slots=True)
class CatalogObservation:
    """Counters collected from one batch of records.

    departments: ``{department_id: (name, calls)}``;
    operators: ``{operator_id or name: (name, department_id, calls)}``: a person is keyed
    by ``operatorId``, by the name only when the record has no id;
    question_packs: ``{pack_id: (title, criteria_count)}``;
    question_pack_calls: ``{pack_id: calls}`` (a pack missing here counts as 1);
    signals: ``{word: calls}``.
    """

    departments: dict[int, tuple[str | None, int]] = field(default_factory=dict)
    operators: dict[int | str, tuple[str, int | None, int]] = field(default_factory=dict)
    question_packs: dict[int, tuple[str | None, int | None]] = field(default_factory=dict)
    question_pack_calls: dict[int, int] = field(default_factory=dict)
    signals: dict[str, int] = field(default_factory=dict)

    def add_department(self, department_id: int, name: str | None) -> None:
        old_name, calls = self.departments.get(department_id, (None, 0))
        self.departments[department_id] = (name or old_name, calls + 1)

    def add_operator(
        self, name: str, department_id: int | None, operator_id: int | None = None
    ) -> None:
        """Count one call; the name seen last is kept (a person may be renamed)."""
        name = " ".join(name.split())
        if not name:
            return
        key: int | str = operator_id if operator_id is not None else name
        _, old_department, calls = self.operators.get(key, (name, None, 0))
        self.operators[key] = (
            name,
            department_id if department_id is not None else old_department,
            calls + 1,
        )

    def add_question_pack(
        self, pack_id: int, title: str | None, criteria_count: int | None
    ) -> None:
        old_title, old_count = self.question_packs.get(pack_id, (None, None))
        self.question_packs[pack_id] = (
            title or old_title,
            criteria_count if criteria_count is not None else old_count,
        )
        self.question_pack_calls[pack_id] = self.question_pack_calls.get(pack_id, 0) + 1

    def add_signal(self, word: str) -> None:
        word = word.strip()
        if word:
            self.signals[word] = self.signals.get(word, 0) + 1

    @property
    def is_empty(self) -> bool:
        return not (self.departments or self.operators or self.question_packs or self.signals)


class DepartmentEntry(NamedTuple):
    id: int
    name: str | None
    calls: int


class OperatorEntry(NamedTuple):
    name: str
    department_id: int | None
    calls: int
    operator_id: int | None = None
    department_name: str | None = None

    @property
    def pick(self) -> OperatorPick:
        """This person as a choice for a filter."""
        return OperatorPick(self.name, self.operator_id, self.department_name)


def operator_ident(operator_id: int | None, name: str) -> str:
    """The catalog's key of a person: the id where the data has one, else the name."""
    return f"i:{operator_id}" if operator_id is not None else f"n:{name}"


def merge_namesakes(entries: list[OperatorEntry]) -> list[OperatorEntry]:
    """Fold entries without an id into the one person with an id and the same name.

    Records without ``operatorId`` (and rows learned before ids were kept) are matched
    by name, so they count for that person. With several people of that name, the
    name-only entry stays: it cannot be attributed.
    """
    with_id: dict[str, list[int]] = {}
    for index, entry in enumerate(entries):
        if entry.operator_id is not None:
            with_id.setdefault(name_key(entry.name), []).append(index)
    merged = list(entries)
    dropped: set[int] = set()
    for index, entry in enumerate(entries):
        owners = with_id.get(name_key(entry.name), [])
        if entry.operator_id is None and len(owners) == 1:
            owner = merged[owners[0]]
            merged[owners[0]] = owner._replace(calls=owner.calls + entry.calls)
            dropped.add(index)
    kept = [entry for index, entry in enumerate(merged) if index not in dropped]
    kept.sort(key=lambda entry: (-entry.calls, entry.name, entry.operator_id or 0))
    return kept


class QuestionPackEntry(NamedTuple):
    id: int
    title: str | None
    criteria_count: int | None
    calls: int


class SignalEntry(NamedTuple):
    word: str
    calls: int


async def clear_catalog(db: Database, connection_id: int) -> None:
    """Forget everything learned for a connection (its instance has changed)."""
    async with db.transaction():
        for table in CATALOG_TABLES:
            await db.execute(f"DELETE FROM {table} WHERE connection_id = ?", (connection_id,))


def _limit_clause(limit: int | None) -> str:
    # SQLite treats a negative LIMIT as "no limit".
    return " LIMIT ?" if limit is not None else ""


def _limit_params(limit: int | None) -> tuple[int, ...]:
    return (max(limit, 0),) if limit is not None else ()


class CatalogRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def learn(self, connection_id: int, obs: CatalogObservation) -> None:
        """Add one batch of observations, in a single transaction."""
        if obs.is_empty:
            return
        now = now_text()
        async with self._db.transaction():
            exists = await self._db.fetch_one(
                "SELECT 1 FROM connections WHERE id = ?", (connection_id,)
            )
            if exists is None:
                return  # deleted while the request was in flight
            await self._db.executemany(
                """
                INSERT INTO catalog_departments
                    (connection_id, department_id, name, calls, last_seen)
                VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (connection_id, department_id) DO UPDATE SET
                    name = COALESCE(excluded.name, catalog_departments.name),
                    calls = catalog_departments.calls + excluded.calls,
                    last_seen = excluded.last_seen
                """,
                [
                    (connection_id, dep_id, name or None, calls, now)
                    for dep_id, (name, calls) in obs.departments.items()
                ],
            )
            await self._db.executemany(
                """
                INSERT INTO catalog_operators
                    (connection_id, ident, operator_id, name, department_id, calls, last_seen)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (connection_id, ident) DO UPDATE SET
                    name = excluded.name,
                    department_id = COALESCE(excluded.department_id,
                                             catalog_operators.department_id),
                    calls = catalog_operators.calls + excluded.calls,
                    last_seen = excluded.last_seen
                """,
                [
                    (
                        connection_id,
                        operator_ident(key if isinstance(key, int) else None, name),
                        key if isinstance(key, int) else None,
                        name,
                        dep_id,
                        calls,
                        now,
                    )
                    for key, (name, dep_id, calls) in obs.operators.items()
                    if name.strip()
                ],
            )
            await self._db.executemany(
                """
                INSERT INTO catalog_question_packs
                    (connection_id, pack_id, title, criteria_count, calls, last_seen)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (connection_id, pack_id) DO UPDATE SET
                    title = COALESCE(excluded.title, catalog_question_packs.title),
                    criteria_count = COALESCE(excluded.criteria_count,
                                              catalog_question_packs.criteria_count),
                    calls = catalog_question_packs.calls + excluded.calls,
                    last_seen = excluded.last_seen
                """,
                [
                    (
                        connection_id,
                        pack_id,
                        title or None,
                        criteria_count,
                        obs.question_pack_calls.get(pack_id, 1),
                        now,
                    )
                    for pack_id, (title, criteria_count) in obs.question_packs.items()
                ],
            )
            await self._db.executemany(
                """
                INSERT INTO catalog_signals (connection_id, word, calls, last_seen)
                VALUES (?, ?, ?, ?)
                ON CONFLICT (connection_id, word) DO UPDATE SET
                    calls = catalog_signals.calls + excluded.calls,
                    last_seen = excluded.last_seen
                """,
                [
                    (connection_id, word.strip(), calls, now)
                    for word, calls in obs.signals.items()
                    if word.strip()
                ],
            )

    async def departments(
        self, connection_id: int, limit: int | None = None
    ) -> list[DepartmentEntry]:
        rows = await self._db.fetch_all(
            "SELECT department_id, name, calls FROM catalog_departments WHERE connection_id = ?"
            " ORDER BY calls DESC, name IS NULL, name, department_id" + _limit_clause(limit),
            (connection_id, *_limit_params(limit)),
        )
        return [DepartmentEntry(row[0], row[1], row[2]) for row in rows]

    async def operators(self, connection_id: int, limit: int | None = None) -> list[OperatorEntry]:
        """People seen, most calls first; name-only entries merged (see ``merge_namesakes``)."""
        rows = await self._db.fetch_all(
            "SELECT o.name, o.department_id, o.calls, o.operator_id, d.name"
            " FROM catalog_operators AS o LEFT JOIN catalog_departments AS d"
            " ON d.connection_id = o.connection_id AND d.department_id = o.department_id"
            " WHERE o.connection_id = ?",
            (connection_id,),
        )
        entries = merge_namesakes([OperatorEntry(*row) for row in rows])
        return entries if limit is None else entries[: max(limit, 0)]

    async def question_packs(
        self, connection_id: int, limit: int | None = None
    ) -> list[QuestionPackEntry]:
        rows = await self._db.fetch_all(
            "SELECT pack_id, title, criteria_count, calls FROM catalog_question_packs"
            " WHERE connection_id = ?"
            " ORDER BY calls DESC, title IS NULL, title, pack_id" + _limit_clause(limit),
            (connection_id, *_limit_params(limit)),
        )
        return [QuestionPackEntry(row[0], row[1], row[2], row[3]) for row in rows]

    async def signals(self, connection_id: int, limit: int | None = None) -> list[SignalEntry]:
        rows = await self._db.fetch_all(
            "SELECT word, calls FROM catalog_signals WHERE connection_id = ?"
            " ORDER BY calls DESC, word" + _limit_clause(limit),
            (connection_id, *_limit_params(limit)),
        )
        return [SignalEntry(row[0], row[1]) for row in rows]

    async def department_name(self, connection_id: int, department_id: int) -> str | None:
        row = await self._db.fetch_one(
            "SELECT name FROM catalog_departments WHERE connection_id = ? AND department_id = ?",
            (connection_id, department_id),
        )
        return row[0] if row is not None else None

    async def question_pack(self, connection_id: int, pack_id: int) -> QuestionPackEntry | None:
        row = await self._db.fetch_one(
            "SELECT pack_id, title, criteria_count, calls FROM catalog_question_packs"
            " WHERE connection_id = ? AND pack_id = ?",
            (connection_id, pack_id),
        )
        if row is None:
            return None
        return QuestionPackEntry(row[0], row[1], row[2], row[3])
