"""Digest subscriptions, their runs, handled marks and sent digest messages.

A run row is unique on (subscription, covered period): inserting it is the
claim, so two processes on one database can never both send the same digest.
All times are UTC text (``storage.timestamps``); periods are local ISO dates.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

import aiosqlite

from bot.digest.model import (
    Attachment,
    BadCallRule,
    Cadence,
    DaysMode,
    PauseReason,
    PeriodMode,
    Schedule,
    Subscription,
    scope_dict,
    scope_query,
)
from storage.db import Database
from storage.timestamps import from_db_time, to_db_time


class RunState:
    CLAIMED = "claimed"  # being built and sent by ``claimed_by`` since ``claimed_at``
    RETRY = "retry"  # failed, to be tried again at ``retry_at``
    SENT = "sent"
    PARTIAL = "partial"  # sent, but the file could not be delivered; the chat was told
    SKIPPED = "skipped"  # nothing to report and the subscription skips empty digests
    FAILED = "failed"  # given up; the chat was told why when possible
    MISSED = "missed"  # too late to be worth sending


_FINAL_STATES = frozenset(
    {RunState.SENT, RunState.PARTIAL, RunState.SKIPPED, RunState.FAILED, RunState.MISSED}
)


class Part:
    """The parts of a digest, each recorded in ``digest_parts`` as soon as Telegram has it."""

    CHART = "chart"  # the chart as a photo of its own (the text did not fit its caption)
    MESSAGE = "message"  # the text, or the chart with the text as its caption
    REPORT = "report"  # a weekly or monthly report's table and trends (after its chart)
    FILE = "file"
    FILE_NOTE = "file_note"  # the line saying the file failed and how to get it


@dataclass(frozen=True, slots=True)
class DigestRun:
    id: int
    subscription_id: int
    period_start: date
    period_end: date
    due_at: datetime
    state: str
    attempts: int
    claimed_at: datetime | None
    claimed_by: str | None
    retry_at: datetime | None
    finished_at: datetime | None
    error: str | None
    late: bool


@dataclass(frozen=True, slots=True)
class HandledMark:
    chat_id: int
    dialog_id: int
    user_id: int
    user_name: str
    handled_at: datetime


@dataclass(frozen=True, slots=True)
class DigestMessage:
    id: int
    subscription_id: int | None
    chat_id: int
    message_id: int | None
    kind: str  # "text" or "caption"
    body: dict[str, Any]


_SUB_COLUMNS = (
    "id, chat_id, thread_id, chat_title, owner_user_id, owner_name, language, hour, minute,"
    " timezone, days, weekdays, period, scope, rating_on, max_rating, score_on, min_score,"
    " signals_on, signals, attachment, chart, skip_empty, paused, pause_reason, pause_detail,"
    " next_run, created_by, cadence"
)
_RUN_COLUMNS = (
    "id, subscription_id, period_start, period_end, due_at, state, attempts, claimed_at,"
    " claimed_by, retry_at, finished_at, error, late"
)


def _time(value: str | None) -> datetime | None:
    return from_db_time(value) if value is not None else None


def _db_time(value: datetime | None) -> str | None:
    return to_db_time(value) if value is not None else None


class RowLike(Protocol):
    def __getitem__(self, key: str) -> Any: ...


def subscription_from_row(row: RowLike) -> Subscription:
    """Inverse of :func:`subscription_to_row` (also reads database rows)."""
    weekdays = frozenset(int(part) for part in str(row["weekdays"]).split(",") if part.strip())
    reason = row["pause_reason"]
    return Subscription(
        id=row["id"],
        chat_id=row["chat_id"],
        thread_id=row["thread_id"],
        chat_title=row["chat_title"],
        owner_user_id=row["owner_user_id"],
        owner_name=row["owner_name"],
        language=row["language"],
        created_by=row["created_by"],
        schedule=Schedule(
            hour=row["hour"],
            minute=row["minute"],
            timezone=row["timezone"],
            days=DaysMode(row["days"]),
            weekdays=weekdays,
            cadence=_cadence(row),
        ),
        period=PeriodMode(row["period"]),
        scope=scope_query(json.loads(row["scope"])),
        rule=BadCallRule(
            rating_on=bool(row["rating_on"]),
            max_rating=row["max_rating"],
            score_on=bool(row["score_on"]),
            min_score=float(row["min_score"]),
            signals_on=bool(row["signals_on"]),
            signals=tuple(json.loads(row["signals"])),
        ),
        attachment=Attachment(row["attachment"]),
        chart=bool(row["chart"]),
        skip_empty=bool(row["skip_empty"]),
        paused=bool(row["paused"]),
        pause_reason=PauseReason(reason) if reason in set(PauseReason) else None,
        pause_detail=row["pause_detail"],
        next_run=_time(row["next_run"]),
    )


def _cadence(row: RowLike) -> Cadence:
    """A wizard draft saved before cadences existed has none: it is daily."""
    try:
        value = row["cadence"]
    except (KeyError, IndexError):
        return Cadence.DAILY
    return Cadence(value) if value in set(Cadence) else Cadence.DAILY


def subscription_to_row(sub: Subscription) -> dict[str, Any]:
    """Column values (JSON-able, so also the wizard's draft in FSM data), with ``id``."""
    schedule, rule = sub.schedule, sub.rule
    return {
        "id": sub.id,
        "chat_id": sub.chat_id,
        "thread_id": sub.thread_id,
        "chat_title": sub.chat_title,
        "owner_user_id": sub.owner_user_id,
        "owner_name": sub.owner_name,
        "language": sub.language,
        "hour": schedule.hour,
        "minute": schedule.minute,
        "timezone": schedule.timezone,
        "days": schedule.days.value,
        "weekdays": ",".join(str(day) for day in sorted(schedule.weekdays)),
        "period": sub.period.value,
        "scope": json.dumps(scope_dict(sub.scope), ensure_ascii=False, sort_keys=True),
        "rating_on": int(rule.rating_on),
        "max_rating": rule.max_rating,
        "score_on": int(rule.score_on),
        "min_score": rule.min_score,
        "signals_on": int(rule.signals_on),
        "signals": json.dumps(list(rule.signals), ensure_ascii=False),
        "attachment": sub.attachment.value,
        "chart": int(sub.chart),
        "skip_empty": int(sub.skip_empty),
        "paused": int(sub.paused),
        "pause_reason": sub.pause_reason.value if sub.pause_reason else None,
        "pause_detail": sub.pause_detail,
        "next_run": _db_time(sub.next_run),
        "created_by": sub.created_by,
        "cadence": schedule.cadence.value,
    }


def _run(row: aiosqlite.Row) -> DigestRun:
    return DigestRun(
        id=row["id"],
        subscription_id=row["subscription_id"],
        period_start=date.fromisoformat(row["period_start"]),
        period_end=date.fromisoformat(row["period_end"]),
        due_at=from_db_time(row["due_at"]),
        state=row["state"],
        attempts=row["attempts"],
        claimed_at=_time(row["claimed_at"]),
        claimed_by=row["claimed_by"],
        retry_at=_time(row["retry_at"]),
        finished_at=_time(row["finished_at"]),
        error=row["error"],
        late=bool(row["late"]),
    )


class DigestRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    @property
    def db(self) -> Database:
        return self._db

    # -- subscriptions ---------------------------------------------------------------------

    async def create(self, sub: Subscription, now: datetime) -> Subscription:
        values = subscription_to_row(sub)
        del values["id"]
        values["created_at"] = values["updated_at"] = to_db_time(now)
        columns = ", ".join(values)
        marks = ", ".join(f":{name}" for name in values)
        new_id = await self._db.execute_returning_id(
            f"INSERT INTO digest_subscriptions ({columns}) VALUES ({marks})", values
        )
        return sub.with_(id=new_id)

    async def save(self, sub: Subscription, now: datetime) -> bool:
        """Overwrite every field of a stored subscription; False when it is gone."""
        values = subscription_to_row(sub)
        del values["id"]
        values["updated_at"] = to_db_time(now)
        assignments = ", ".join(f"{name} = :{name}" for name in values)
        values["id"] = sub.id
        changed = await self._db.execute(
            f"UPDATE digest_subscriptions SET {assignments} WHERE id = :id", values
        )
        return changed > 0

    async def get(self, sub_id: int) -> Subscription | None:
        row = await self._db.fetch_one(
            f"SELECT {_SUB_COLUMNS} FROM digest_subscriptions WHERE id = ?", (sub_id,)
        )
        return subscription_from_row(row) if row is not None else None

    async def for_chat(self, chat_id: int) -> list[Subscription]:
        rows = await self._db.fetch_all(
            f"SELECT {_SUB_COLUMNS} FROM digest_subscriptions WHERE chat_id = ?"
            " ORDER BY hour, minute, id",
            (chat_id,),
        )
        return [subscription_from_row(row) for row in rows]

    async def for_owner(self, user_id: int) -> list[Subscription]:
        rows = await self._db.fetch_all(
            f"SELECT {_SUB_COLUMNS} FROM digest_subscriptions WHERE owner_user_id = ?"
            " ORDER BY chat_id, hour, minute, id",
            (user_id,),
        )
        return [subscription_from_row(row) for row in rows]

    async def delete(self, sub_id: int) -> bool:
        return (
            await self._db.execute("DELETE FROM digest_subscriptions WHERE id = ?", (sub_id,)) > 0
        )

    async def any_scheduled(self) -> bool:
        """Whether any subscription is active and will run."""
        row = await self._db.fetch_one(
            "SELECT 1 FROM digest_subscriptions WHERE paused = 0 AND next_run IS NOT NULL LIMIT 1"
        )
        return row is not None

    async def due_ids(self, now: datetime, limit: int = 10_000) -> list[int]:
        rows = await self._db.fetch_all(
            "SELECT id FROM digest_subscriptions WHERE paused = 0 AND next_run IS NOT NULL"
            " AND next_run <= ? ORDER BY next_run, id LIMIT ?",
            (to_db_time(now), limit),
        )
        return [row[0] for row in rows]

    async def set_next_run(self, sub_id: int, next_run: datetime | None, now: datetime) -> None:
        await self._db.execute(
            "UPDATE digest_subscriptions SET next_run = ?, updated_at = ? WHERE id = ?",
            (_db_time(next_run), to_db_time(now), sub_id),
        )

    async def pause_where(
        self, column: str, value: int, reason: PauseReason, detail: str | None, now: datetime
    ) -> list[Subscription]:
        """Pause the running subscriptions of a chat or an owner; returns those it paused."""
        if column not in ("chat_id", "owner_user_id"):
            raise ValueError(f"cannot pause by {column}")
        async with self._db.transaction():
            rows = await self._db.fetch_all(
                f"SELECT {_SUB_COLUMNS} FROM digest_subscriptions WHERE {column} = ?"
                " AND paused = 0 ORDER BY id",
                (value,),
            )
            await self._db.execute(
                "UPDATE digest_subscriptions SET paused = 1, pause_reason = ?, pause_detail = ?,"
                f" updated_at = ? WHERE {column} = ? AND paused = 0",
                (reason.value, detail, to_db_time(now), value),
            )
        return [
            subscription_from_row(row).with_(paused=True, pause_reason=reason, pause_detail=detail)
            for row in rows
        ]

    async def active_owner_ids(self) -> list[int]:
        """Users whose connections feed a running subscription."""
        rows = await self._db.fetch_all(
            "SELECT DISTINCT owner_user_id FROM digest_subscriptions WHERE paused = 0"
        )
        return [row[0] for row in rows]

    async def move_chat(self, old_chat_id: int, new_chat_id: int, now: datetime) -> int:
        """A group became a supergroup with a new id: its digests follow it."""
        return await self._db.execute(
            "UPDATE digest_subscriptions SET chat_id = ?, updated_at = ? WHERE chat_id = ?",
            (new_chat_id, to_db_time(now), old_chat_id),
        )

    # -- runs ------------------------------------------------------------------------------

    async def insert_run(
        self,
        sub_id: int,
        period: tuple[date, date],
        due_at: datetime,
        *,
        state: str,
        now: datetime,
        claimed_by: str | None,
        late: bool = False,
    ) -> int | None:
        """Insert the run of a period; None when that period already has one (the claim lost)."""
        async with self._db.transaction() as conn:
            return await self._insert_run(
                conn, sub_id, period, due_at, state=state, now=now, claimed_by=claimed_by, late=late
            )

    async def _insert_run(
        self,
        conn: aiosqlite.Connection,
        sub_id: int,
        period: tuple[date, date],
        due_at: datetime,
        *,
        state: str,
        now: datetime,
        claimed_by: str | None,
        late: bool,
    ) -> int | None:
        cursor = await conn.execute(
            """
            INSERT INTO digest_runs (subscription_id, period_start, period_end, due_at, state,
                attempts, claimed_at, claimed_by, finished_at, late)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (subscription_id, period_start, period_end) DO NOTHING
            """,
            (
                sub_id,
                period[0].isoformat(),
                period[1].isoformat(),
                to_db_time(due_at),
                state,
                1 if state == RunState.CLAIMED else 0,
                to_db_time(now) if state == RunState.CLAIMED else None,
                claimed_by,
                to_db_time(now) if state != RunState.CLAIMED else None,
                int(late),
            ),
        )
        try:
            return cursor.lastrowid if cursor.rowcount == 1 else None
        finally:
            await cursor.close()

    async def get_run(self, run_id: int) -> DigestRun | None:
        row = await self._db.fetch_one(
            f"SELECT {_RUN_COLUMNS} FROM digest_runs WHERE id = ?", (run_id,)
        )
        return _run(row) if row is not None else None

    async def runs_of(self, sub_id: int) -> list[DigestRun]:
        rows = await self._db.fetch_all(
            f"SELECT {_RUN_COLUMNS} FROM digest_runs WHERE subscription_id = ? ORDER BY id",
            (sub_id,),
        )
        return [_run(row) for row in rows]

    async def last_run(self, sub_id: int) -> DigestRun | None:
        row = await self._db.fetch_one(
            f"SELECT {_RUN_COLUMNS} FROM digest_runs WHERE subscription_id = ?"
            " ORDER BY due_at DESC, id DESC LIMIT 1",
            (sub_id,),
        )
        return _run(row) if row is not None else None

    async def resumable_runs(self, now: datetime, stale_before: datetime) -> list[DigestRun]:
        """Runs due for a retry, and claims older than the lease (their claimer died)."""
        rows = await self._db.fetch_all(
            f"SELECT {_RUN_COLUMNS} FROM digest_runs"
            " WHERE (state = ? AND retry_at <= ?) OR (state = ? AND claimed_at < ?)"
            " ORDER BY due_at, id",
            (RunState.RETRY, to_db_time(now), RunState.CLAIMED, to_db_time(stale_before)),
        )
        return [_run(row) for row in rows]

    async def claimed_runs(self) -> list[DigestRun]:
        """Runs being sent now (or by a process that died)."""
        rows = await self._db.fetch_all(
            f"SELECT {_RUN_COLUMNS} FROM digest_runs WHERE state = ? ORDER BY due_at, id",
            (RunState.CLAIMED,),
        )
        return [_run(row) for row in rows]

    async def reclaim(self, run: DigestRun, now: datetime, claimed_by: str) -> bool:
        """Take over a run awaiting retry or a stale claim; False when someone else did."""
        changed = await self._db.execute(
            """
            UPDATE digest_runs SET state = ?, attempts = attempts + 1, claimed_at = ?,
                claimed_by = ?, retry_at = NULL
            WHERE id = ? AND state = ? AND attempts = ?
            """,
            (
                RunState.CLAIMED,
                to_db_time(now),
                claimed_by,
                run.id,
                run.state,
                run.attempts,
            ),
        )
        return changed > 0

    async def renew_claim(self, run_id: int, attempts: int, now: datetime, claimed_by: str) -> bool:
        """Extend the lease of our claim; False when someone has taken the run over."""
        changed = await self._db.execute(
            "UPDATE digest_runs SET claimed_at = ? WHERE id = ? AND state = ? AND attempts = ?"
            " AND claimed_by = ?",
            (to_db_time(now), run_id, RunState.CLAIMED, attempts, claimed_by),
        )
        return changed > 0

    async def finish_run(
        self,
        run_id: int,
        state: str,
        now: datetime,
        *,
        error: str | None = None,
        retry_at: datetime | None = None,
        counts: tuple[int, int] | None = None,
    ) -> None:
        await self._db.execute(
            """
            UPDATE digest_runs SET state = ?, finished_at = ?, error = ?, retry_at = ?,
                total_calls = COALESCE(?, total_calls), bad_calls = COALESCE(?, bad_calls)
            WHERE id = ?
            """,
            (
                state,
                to_db_time(now) if state in _FINAL_STATES else None,
                error,
                _db_time(retry_at),
                counts[0] if counts else None,
                counts[1] if counts else None,
                run_id,
            ),
        )

    # -- delivered parts -------------------------------------------------------------------

    async def parts(self, run_id: int) -> frozenset[str]:
        """The parts of a run Telegram already has (or may have: those are not repeated)."""
        rows = await self._db.fetch_all("SELECT part FROM digest_parts WHERE run_id = ?", (run_id,))
        return frozenset(row[0] for row in rows)

    async def record_part(
        self,
        run_id: int,
        part: str,
        now: datetime,
        *,
        message_id: int | None = None,
        sure: bool = True,
    ) -> None:
        await self._db.execute(
            "INSERT INTO digest_parts (run_id, part, sure, message_id, sent_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (run_id, part) DO NOTHING",
            (run_id, part, int(sure), message_id, to_db_time(now)),
        )

    # -- handled marks ---------------------------------------------------------------------

    async def mark_handled(
        self, chat_id: int, dialog_id: int, user_id: int, user_name: str, now: datetime
    ) -> tuple[HandledMark, bool]:
        """Record who handled a call in a chat; the first mark wins (returns it, and
        whether it is this one)."""
        async with self._db.transaction():
            inserted = await self._db.execute(
                "INSERT INTO digest_handled (chat_id, dialog_id, user_id, user_name, handled_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (chat_id, dialog_id) DO NOTHING",
                (chat_id, dialog_id, user_id, user_name, to_db_time(now)),
            )
            marks = await self.handled(chat_id, [dialog_id])
        return marks[dialog_id], inserted > 0

    async def handled(self, chat_id: int, dialog_ids: Iterable[int]) -> dict[int, HandledMark]:
        ids = list(dict.fromkeys(dialog_ids))
        found: dict[int, HandledMark] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            rows = await self._db.fetch_all(
                "SELECT chat_id, dialog_id, user_id, user_name, handled_at FROM digest_handled"
                f" WHERE chat_id = ? AND dialog_id IN ({marks})",
                (chat_id, *chunk),
            )
            for row in rows:
                found[row[1]] = HandledMark(row[0], row[1], row[2], row[3], from_db_time(row[4]))
        return found

    # -- sent digest messages --------------------------------------------------------------

    async def add_message(
        self, sub_id: int | None, chat_id: int, kind: str, body: dict[str, Any], now: datetime
    ) -> int:
        return await self._db.execute_returning_id(
            "INSERT INTO digest_messages (subscription_id, chat_id, kind, body, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (sub_id, chat_id, kind, json.dumps(body, ensure_ascii=False), to_db_time(now)),
        )

    async def set_message_id(self, row_id: int, message_id: int, kind: str) -> None:
        await self._db.execute(
            "UPDATE digest_messages SET message_id = ?, kind = ? WHERE id = ?",
            (message_id, kind, row_id),
        )

    async def get_message(self, row_id: int) -> DigestMessage | None:
        row = await self._db.fetch_one(
            "SELECT id, subscription_id, chat_id, message_id, kind, body FROM digest_messages"
            " WHERE id = ?",
            (row_id,),
        )
        if row is None:
            return None
        return DigestMessage(row[0], row[1], row[2], row[3], row[4], json.loads(row[5]))

    async def prune_messages(self, before: datetime) -> int:
        """Forget digest messages older than ``before`` (their buttons then answer "stale")."""
        return await self._db.execute(
            "DELETE FROM digest_messages WHERE created_at < ?", (to_db_time(before),)
        )
