"""What an alert rule is: where it posts, whose connection feeds it, which calls, which
conditions, when to keep quiet. Plain frozen dataclasses with no I/O.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from bot.digest.model import PauseReason
from bot.digest.model import ScopeKind as ScopeKind  # the digests' notion of scope
from bot.query.model import CallQuery, OperatorPick

DEFAULT_MAX_RATING = 2
MAX_SIGNALS = 10
DEFAULT_QUIET_START = time(21, 0)
DEFAULT_QUIET_END = time(8, 0)
OWNER_LOST: frozenset[PauseReason] = frozenset({PauseReason.DISCONNECTED, PauseReason.NOT_ALLOWED})
"""Why a rule pauses when no connection may feed it any more (the digests' reasons)."""


@dataclass(frozen=True, slots=True)
class AlertScope:
    """Which calls a rule watches: all, one department, one operator or one question pack."""

    kind: ScopeKind = ScopeKind.ALL
    department_id: int | None = None
    operator: OperatorPick | None = None
    pack_id: int | None = None

    def __post_init__(self) -> None:
        needed = {
            ScopeKind.ALL: True,
            ScopeKind.DEPARTMENT: self.department_id is not None,
            ScopeKind.OPERATOR: self.operator is not None,
            ScopeKind.PACK: self.pack_id is not None,
        }
        if not needed[self.kind]:
            raise ValueError(f"a {self.kind.value} scope needs its value")

    @classmethod
    def department(cls, department_id: int) -> AlertScope:
        return cls(ScopeKind.DEPARTMENT, department_id=department_id)

    @classmethod
    def of_operator(cls, pick: OperatorPick) -> AlertScope:
        return cls(ScopeKind.OPERATOR, operator=pick)

    @classmethod
    def pack(cls, pack_id: int) -> AlertScope:
        return cls(ScopeKind.PACK, pack_id=pack_id)

    def query(self) -> CallQuery:
        """The scope as a query (its period is set by whoever fetches)."""
        match self.kind:
            case ScopeKind.DEPARTMENT:
                return CallQuery(department_id=self.department_id)
            case ScopeKind.OPERATOR:
                assert self.operator is not None
                return CallQuery().with_operator(self.operator)
            case ScopeKind.PACK:
                return CallQuery(question_pack_id=self.pack_id)
        return CallQuery()

    def dump(self) -> dict[str, Any]:
        data: dict[str, Any] = {"k": self.kind.value}
        if self.department_id is not None:
            data["d"] = self.department_id
        if self.operator is not None:
            data["o"] = self.operator.dump()
        if self.pack_id is not None:
            data["q"] = self.pack_id
        return data

    @classmethod
    def load(cls, data: dict[str, Any]) -> AlertScope:
        operator = data.get("o")
        return cls(
            ScopeKind(data.get("k", ScopeKind.ALL.value)),
            department_id=data.get("d"),
            operator=OperatorPick.load(operator) if operator is not None else None,
            pack_id=data.get("q"),
        )


@dataclass(frozen=True, slots=True)
class AlertConditions:
    """Conditions combined with OR; a call without a rating (or score) never meets that one."""

    max_rating: int | None = DEFAULT_MAX_RATING
    signals: tuple[str, ...] = ()
    min_score: float | None = None  # percent: alert below it

    def __post_init__(self) -> None:
        if self.max_rating is not None and not 1 <= self.max_rating <= 10:
            raise ValueError("max_rating must be within 1..10")
        if self.min_score is not None and not 0 < self.min_score <= 100:
            raise ValueError("min_score must be within (0, 100]")
        cleaned = tuple(dict.fromkeys(" ".join(word.split()) for word in self.signals))
        if any(not word for word in cleaned) or len(cleaned) > MAX_SIGNALS:
            raise ValueError(f"signals must be 1..{MAX_SIGNALS} non-empty words")
        object.__setattr__(self, "signals", cleaned)
        if self.max_rating is None and not cleaned and self.min_score is None:
            raise ValueError("an alert rule needs at least one condition")


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Local times between which alerts wait; ``start > end`` spans midnight."""

    start: time = DEFAULT_QUIET_START
    end: time = DEFAULT_QUIET_END

    def __post_init__(self) -> None:
        if self.start == self.end:
            raise ValueError("quiet hours cannot start and end at the same time")


@dataclass(frozen=True, slots=True)
class AlertRule:
    chat_id: int
    owner_user_id: int  # whose aiokk connection feeds the rule
    created_by: int
    thread_id: int | None = None  # forum topic
    owner_name: str = ""
    language: str = "ru"
    timezone: str = "Asia/Almaty"
    scope: AlertScope = AlertScope()
    conditions: AlertConditions = AlertConditions()
    quiet: QuietHours | None = QuietHours()
    paused: bool = False
    pause_reason: PauseReason | None = None  # why, while paused
    id: int = 0  # 0 until stored
    baselined_at: datetime | None = None  # the first poll, which only remembered calls

    def __post_init__(self) -> None:
        ZoneInfo(self.timezone)  # raises on an unknown zone

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def owner_lost(self) -> bool:
        """Paused because its owner disconnected or lost access to the bot."""
        return self.paused and self.pause_reason in OWNER_LOST

    def with_(self, **changes: Any) -> AlertRule:
        return dataclasses.replace(self, **changes)
