"""Alert rules, the calls each rule has seen (and the delivery of their alerts), and the
per-connection poll turns.

A call's row in ``alert_seen`` is unique per rule: inserting it is the claim on its
alert. A pending row belongs to the process named in ``claimed_by`` until it is sent; a
row whose owner died (its claim older than the lease, or a process of this host that is
gone) or was put back is taken over with a compare-and-set. Times are UTC text
(``storage.timestamps``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

import aiosqlite

from bot.alerts.card import AlertCard
from bot.alerts.model import AlertConditions, AlertRule, AlertScope, QuietHours
from bot.digest.model import PauseReason
from storage.db import Database
from storage.timestamps import from_db_time, to_db_time


class SeenState:
    BASELINE = "baseline"  # there at the rule's first poll: never alerted on
    HELD = "held"  # found during quiet hours, sent as a bundle at ``release_at``
    PENDING = "pending"  # to be sent by ``claimed_by``
    SENT = "sent"
    # Not alerted: already handled in the chat when found, already alerted in the chat by
    # another rule, or its rule was paused meanwhile.
    SKIPPED = "skipped"
    FAILED = "failed"  # given up (Telegram refused it, or too many attempts)


_RULE_COLUMNS = (
    "id, chat_id, thread_id, owner_user_id, owner_name, created_by, language, timezone, scope,"
    " max_rating, signals, min_score, quiet_start, quiet_end, paused, pause_reason, baselined_at"
)
_SEEN_COLUMNS = "rule_id, dialog_id, state, card, claimed_by, claimed_at, attempts, release_at"


@dataclass(frozen=True, slots=True)
class Delivery:
    """One alert to send (or being sent)."""

    rule_id: int
    dialog_id: int
    state: str
    card: AlertCard
    claimed_by: str | None
    claimed_at: datetime | None
    attempts: int
    release_at: datetime | None

    @property
    def held(self) -> bool:
        """Found during quiet hours (it goes out in the bundle at their end)."""
        return self.release_at is not None


@dataclass(frozen=True, slots=True)
class Found:
    """A call a poll found for a rule."""

    dialog_id: int
    call_at: datetime
    card: AlertCard | None  # None for the baseline


@dataclass(frozen=True, slots=True)
class PollTurn:
    """This process polls the connection now; ``full_due``: it may read all call types."""

    connection_id: int
    full_due: bool


def _hhmm(value: time) -> str:
    return f"{value:%H:%M}"


def _time_or_none(value: str | None) -> datetime | None:
    return from_db_time(value) if value is not None else None


def _rule(row: aiosqlite.Row) -> AlertRule:
    quiet = None
    if row["quiet_start"] is not None and row["quiet_end"] is not None:
        quiet = QuietHours(
            time.fromisoformat(row["quiet_start"]), time.fromisoformat(row["quiet_end"])
        )
    return AlertRule(
        id=row["id"],
        chat_id=row["chat_id"],
        thread_id=row["thread_id"],
        owner_user_id=row["owner_user_id"],
        owner_name=row["owner_name"],
        created_by=row["created_by"],
        language=row["language"],
        timezone=row["timezone"],
        scope=AlertScope.load(json.loads(row["scope"])),
        conditions=AlertConditions(
            max_rating=row["max_rating"],
            signals=tuple(json.loads(row["signals"])),
            min_score=row["min_score"],
        ),
        quiet=quiet,
        paused=bool(row["paused"]),
        pause_reason=_reason(row["pause_reason"]) if row["paused"] else None,
        baselined_at=_time_or_none(row["baselined_at"]),
    )


def _rule_values(rule: AlertRule) -> dict[str, Any]:
    conditions = rule.conditions
    return {
        "chat_id": rule.chat_id,
        "thread_id": rule.thread_id,
        "owner_user_id": rule.owner_user_id,
        "owner_name": rule.owner_name,
        "created_by": rule.created_by,
        "language": rule.language,
        "timezone": rule.timezone,
        "scope": json.dumps(rule.scope.dump(), ensure_ascii=False),
        "max_rating": conditions.max_rating,
        "signals": json.dumps(list(conditions.signals), ensure_ascii=False),
        "min_score": conditions.min_score,
        "quiet_start": _hhmm(rule.quiet.start) if rule.quiet else None,
        "quiet_end": _hhmm(rule.quiet.end) if rule.quiet else None,
        "paused": int(rule.paused),
        "pause_reason": rule.pause_reason.value if rule.paused and rule.pause_reason else None,
    }


def _reason(value: str | None) -> PauseReason | None:
    return PauseReason(value) if value in set(PauseReason) else None


def _delivery(row: aiosqlite.Row) -> Delivery:
    return Delivery(
        rule_id=row["rule_id"],
        dialog_id=row["dialog_id"],
        state=row["state"],
        card=AlertCard.load(json.loads(row["card"])),
        claimed_by=row["claimed_by"],
        claimed_at=_time_or_none(row["claimed_at"]),
        attempts=row["attempts"],
        release_at=_time_or_none(row["release_at"]),
    )


class AlertRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    @property
    def db(self) -> Database:
        return self._db

    # -- rules -----------------------------------------------------------------------------

    async def create(self, rule: AlertRule, now: datetime) -> AlertRule:
        values = _rule_values(rule)
        stamp = to_db_time(now)
        names = ", ".join([*values, "created_at", "updated_at"])
        marks = ", ".join("?" * (len(values) + 2))
        rule_id = await self._db.execute_returning_id(
            f"INSERT INTO alert_rules ({names}) VALUES ({marks})", (*values.values(), stamp, stamp)
        )
        return rule.with_(id=rule_id, baselined_at=None)

    async def save(self, rule: AlertRule, now: datetime) -> bool:
        """Store a changed rule. Its scope or conditions may now take other calls: it
        starts again from a first poll that only remembers what is there."""
        values = _rule_values(rule)
        sets = ", ".join(f"{name} = ?" for name in values)
        async with self._db.transaction():
            old = await self.get(rule.id)
            if old is None:
                return False
            rebase = (old.scope, old.conditions) != (rule.scope, rule.conditions)
            await self._db.execute(
                f"UPDATE alert_rules SET {sets}, updated_at = ?"
                + (", baselined_at = NULL" if rebase else "")
                + " WHERE id = ?",
                (*values.values(), to_db_time(now), rule.id),
            )
        return True

    async def get(self, rule_id: int) -> AlertRule | None:
        row = await self._db.fetch_one(
            f"SELECT {_RULE_COLUMNS} FROM alert_rules WHERE id = ?", (rule_id,)
        )
        return _rule(row) if row is not None else None

    async def for_chat(self, chat_id: int) -> list[AlertRule]:
        rows = await self._db.fetch_all(
            f"SELECT {_RULE_COLUMNS} FROM alert_rules WHERE chat_id = ? ORDER BY id", (chat_id,)
        )
        return [_rule(row) for row in rows]

    async def active(self) -> list[AlertRule]:
        rows = await self._db.fetch_all(
            f"SELECT {_RULE_COLUMNS} FROM alert_rules WHERE paused = 0 ORDER BY owner_user_id, id"
        )
        return [_rule(row) for row in rows]

    async def set_paused(
        self, rule_id: int, paused: bool, now: datetime, reason: str | None = None
    ) -> bool:
        changed = await self._db.execute(
            "UPDATE alert_rules SET paused = ?, pause_reason = ?, updated_at = ? WHERE id = ?",
            (int(paused), reason if paused else None, to_db_time(now), rule_id),
        )
        return changed > 0

    async def resume(
        self,
        rule_id: int,
        now: datetime,
        *,
        owner: tuple[int, str] | None = None,
        rebaseline: bool = False,
    ) -> bool:
        """Resume a rule; ``owner`` (user id, name): whose connection feeds it from now on.
        ``rebaseline``: its next poll is a first one again, which only remembers calls."""
        sets = "paused = 0, pause_reason = NULL, updated_at = ?"
        params: list[Any] = [to_db_time(now)]
        if owner is not None:
            sets += ", owner_user_id = ?, owner_name = ?"
            params += list(owner)
        if rebaseline:
            sets += ", baselined_at = NULL"
        changed = await self._db.execute(
            f"UPDATE alert_rules SET {sets} WHERE id = ?", (*params, rule_id)
        )
        return changed > 0

    async def pause_where(
        self, column: str, value: int, reason: PauseReason, now: datetime
    ) -> list[AlertRule]:
        """Pause the active rules of a chat or an owner; returns those this call paused
        (so that exactly one caller, of any process, tells their chats)."""
        if column not in ("chat_id", "owner_user_id"):
            raise ValueError(f"cannot pause by {column}")
        async with self._db.transaction():
            rows = await self._db.fetch_all(
                f"SELECT {_RULE_COLUMNS} FROM alert_rules WHERE {column} = ? AND paused = 0"
                " ORDER BY id",
                (value,),
            )
            await self._db.execute(
                "UPDATE alert_rules SET paused = 1, pause_reason = ?, updated_at = ?"
                f" WHERE {column} = ? AND paused = 0",
                (reason.value, to_db_time(now), value),
            )
        return [_rule(row).with_(paused=True, pause_reason=reason) for row in rows]

    async def pause_chat(self, chat_id: int, reason: PauseReason, now: datetime) -> int:
        """Pause every rule of a chat (Telegram no longer lets the bot post there)."""
        return len(await self.pause_where("chat_id", chat_id, reason, now))

    async def move_chat(self, old_chat_id: int, new_chat_id: int, now: datetime) -> int:
        """A group became a supergroup with a new id: its rules follow it."""
        return await self._db.execute(
            "UPDATE alert_rules SET chat_id = ?, updated_at = ? WHERE chat_id = ?",
            (new_chat_id, to_db_time(now), old_chat_id),
        )

    async def delete(self, rule_id: int) -> bool:
        return await self._db.execute("DELETE FROM alert_rules WHERE id = ?", (rule_id,)) > 0

    # -- poll turns ------------------------------------------------------------------------

    async def claim_poll(
        self,
        connection_id: int,
        now: datetime,
        *,
        every: timedelta,
        full_every: timedelta,
        owner: str,
    ) -> PollTurn | None:
        """This process's turn to poll the connection, or None when another process (or this
        one) polled it less than ``every`` ago."""
        async with self._db.transaction():
            row = await self._db.fetch_one(
                "SELECT polled_at, full_at FROM alert_polls WHERE connection_id = ?",
                (connection_id,),
            )
            if row is not None and from_db_time(row["polled_at"]) > now - every:
                return None
            full_at = _time_or_none(row["full_at"]) if row is not None else None
            await self._db.execute(
                "INSERT INTO alert_polls (connection_id, polled_at, polled_by) VALUES (?, ?, ?)"
                " ON CONFLICT (connection_id) DO UPDATE"
                " SET polled_at = excluded.polled_at, polled_by = excluded.polled_by",
                (connection_id, to_db_time(now), owner),
            )
        return PollTurn(connection_id, full_at is None or full_at <= now - full_every)

    async def record_full_read(self, connection_id: int, now: datetime) -> None:
        await self._db.execute(
            "UPDATE alert_polls SET full_at = ? WHERE connection_id = ?",
            (to_db_time(now), connection_id),
        )

    # -- calls seen ------------------------------------------------------------------------

    async def baseline(self, rule_id: int, found: Sequence[Found], now: datetime) -> bool:
        """Remember what is there at the rule's first poll; False when another poll did."""
        stamp = to_db_time(now)
        async with self._db.transaction():
            first = await self._db.execute(
                "UPDATE alert_rules SET baselined_at = ? WHERE id = ? AND baselined_at IS NULL",
                (stamp, rule_id),
            )
            if not first:
                return False
            await self._db.executemany(
                "INSERT INTO alert_seen (rule_id, dialog_id, state, call_at, seen_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (rule_id, dialog_id) DO NOTHING",
                [
                    (rule_id, item.dialog_id, SeenState.BASELINE, to_db_time(item.call_at), stamp)
                    for item in found
                ],
            )
        return True

    async def known(self, rule_id: int, dialog_ids: Iterable[int]) -> set[int]:
        """Which of these calls the rule has already seen."""
        ids = list(dict.fromkeys(dialog_ids))
        seen: set[int] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = await self._db.fetch_all(
                "SELECT dialog_id FROM alert_seen WHERE rule_id = ?"
                f" AND dialog_id IN ({', '.join('?' * len(chunk))})",
                (rule_id, *chunk),
            )
            seen.update(row[0] for row in rows)
        return seen

    async def claim_new(
        self,
        rule_id: int,
        found: Sequence[Found],
        now: datetime,
        *,
        owner: str,
        release_at: datetime | None,
        handled: Iterable[int] = (),
    ) -> list[int]:
        """Insert the calls not seen before; returns those this process now has to deliver
        (or, with ``release_at``, that wait for the end of the quiet hours). Calls already
        ``handled`` in the chat, or alerted there by another of its rules, are remembered as
        skipped: a chat hears of a call once, however many of its rules it meets."""
        done = set(handled)
        stamp = to_db_time(now)
        claimed: list[int] = []
        async with self._db.transaction():
            for item in found:
                assert item.card is not None
                skipped = item.dialog_id in done or await self._alerted_in_chat(
                    rule_id, item.dialog_id
                )
                if skipped:
                    state = SeenState.SKIPPED
                elif release_at is not None:
                    state = SeenState.HELD
                else:
                    state = SeenState.PENDING
                ours = state == SeenState.PENDING
                inserted = await self._db.execute(
                    "INSERT INTO alert_seen (rule_id, dialog_id, state, call_at, card, release_at,"
                    " claimed_by, claimed_at, attempts, seen_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (rule_id, dialog_id) DO NOTHING",
                    (
                        rule_id,
                        item.dialog_id,
                        state,
                        to_db_time(item.call_at),
                        json.dumps(item.card.dump(), ensure_ascii=False),
                        to_db_time(release_at) if release_at is not None and not skipped else None,
                        owner if ours else None,
                        stamp if ours else None,
                        1 if ours else 0,
                        stamp,
                    ),
                )
                if inserted and not skipped:
                    claimed.append(item.dialog_id)
        return claimed

    async def _alerted_in_chat(self, rule_id: int, dialog_id: int) -> bool:
        """Whether another rule of the same chat (and topic) has alerted, or will, on it."""
        row = await self._db.fetch_one(
            "SELECT 1 FROM alert_seen s"
            " JOIN alert_rules other ON other.id = s.rule_id"
            " JOIN alert_rules me ON me.id = ?"
            " WHERE s.dialog_id = ? AND s.rule_id != me.id AND other.chat_id = me.chat_id"
            " AND other.thread_id IS me.thread_id AND s.state IN (?, ?, ?)",
            (rule_id, dialog_id, SeenState.PENDING, SeenState.HELD, SeenState.SENT),
        )
        return row is not None

    async def deliveries(self, rule_id: int, dialog_ids: Iterable[int]) -> list[Delivery]:
        ids = list(dialog_ids)
        if not ids:
            return []
        rows = await self._db.fetch_all(
            f"SELECT {_SEEN_COLUMNS} FROM alert_seen WHERE rule_id = ?"
            f" AND dialog_id IN ({', '.join('?' * len(ids))}) ORDER BY call_at, dialog_id",
            (rule_id, *ids),
        )
        return [_delivery(row) for row in rows]

    async def open_deliveries(self, now: datetime) -> list[Delivery]:
        """Pending rows (someone's, or put back) and held rows whose quiet hours are over."""
        rows = await self._db.fetch_all(
            f"SELECT {_SEEN_COLUMNS} FROM alert_seen"
            " WHERE state = ? OR (state = ? AND release_at <= ?) ORDER BY call_at, dialog_id",
            (SeenState.PENDING, SeenState.HELD, to_db_time(now)),
        )
        return [_delivery(row) for row in rows]

    async def take_over(self, delivery: Delivery, now: datetime, owner: str) -> bool:
        """Make an open row ours (compare-and-set); False when someone else just did."""
        changed = await self._db.execute(
            "UPDATE alert_seen SET state = ?, claimed_by = ?, claimed_at = ?,"
            " attempts = attempts + 1"
            " WHERE rule_id = ? AND dialog_id = ? AND state = ? AND attempts = ?"
            " AND claimed_by IS ?",
            (
                SeenState.PENDING,
                owner,
                to_db_time(now),
                delivery.rule_id,
                delivery.dialog_id,
                delivery.state,
                delivery.attempts,
                delivery.claimed_by,
            ),
        )
        return changed > 0

    async def renew(
        self, rule_id: int, dialog_ids: Sequence[int], now: datetime, owner: str
    ) -> set[int]:
        """Extend our claims right before sending; returns the calls still ours."""
        still: set[int] = set()
        async with self._db.transaction():
            for dialog_id in dialog_ids:
                if await self._db.execute(
                    "UPDATE alert_seen SET claimed_at = ? WHERE rule_id = ? AND dialog_id = ?"
                    " AND state = ? AND claimed_by = ?",
                    (to_db_time(now), rule_id, dialog_id, SeenState.PENDING, owner),
                ):
                    still.add(dialog_id)
        return still

    async def finish(
        self,
        rule_id: int,
        dialog_ids: Sequence[int],
        state: str,
        now: datetime,
        *,
        message_id: int | None = None,
        error: str | None = None,
    ) -> None:
        await self._db.executemany(
            "UPDATE alert_seen SET state = ?, message_id = ?, sent_at = ?, error = ?,"
            " claimed_by = NULL WHERE rule_id = ? AND dialog_id = ?",
            [
                (
                    state,
                    message_id,
                    to_db_time(now) if state == SeenState.SENT else None,
                    error,
                    rule_id,
                    dialog_id,
                )
                for dialog_id in dialog_ids
            ],
        )

    async def put_back(self, rule_id: int, dialog_ids: Sequence[int], error: str) -> None:
        """Leave the alerts to the next poll (of any process)."""
        await self._db.executemany(
            "UPDATE alert_seen SET claimed_by = NULL, claimed_at = NULL, error = ?"
            " WHERE rule_id = ? AND dialog_id = ? AND state = ?",
            [(error, rule_id, dialog_id, SeenState.PENDING) for dialog_id in dialog_ids],
        )

    async def sent_message(self, rule_id: int, dialog_id: int) -> int | None:
        """The message that carried the call's alert (None when it was never confirmed
        sent): the buttons under an alert act only from that message."""
        row = await self._db.fetch_one(
            "SELECT message_id FROM alert_seen WHERE rule_id = ? AND dialog_id = ? AND state = ?",
            (rule_id, dialog_id, SeenState.SENT),
        )
        return int(row[0]) if row is not None and row[0] is not None else None

    async def states(self, rule_id: int) -> dict[int, str]:
        rows = await self._db.fetch_all(
            "SELECT dialog_id, state FROM alert_seen WHERE rule_id = ?", (rule_id,)
        )
        return {row[0]: row[1] for row in rows}

    async def prune(self, before: datetime) -> int:
        """Forget calls older than any poll looks at; open rows stay until delivered."""
        return await self._db.execute(
            "DELETE FROM alert_seen WHERE call_at < ? AND state NOT IN (?, ?)",
            (to_db_time(before), SeenState.PENDING, SeenState.HELD),
        )
