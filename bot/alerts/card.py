"""What an alert says about one call, kept with its delivery row so that a delivery
resumed after a crash, or released after quiet hours, needs no second fetch."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.aiokk import raw
from bot.alerts.match import Hit


@dataclass(frozen=True, slots=True)
class AlertCard:
    dialog_id: int
    moment: datetime
    operator: str | None
    department: str | None
    call_type: int | None
    duration: int | None  # seconds
    rating: int | None
    score: float | None  # percent
    signals: tuple[str, ...]  # the rule's words that matched
    summary: str | None

    @classmethod
    def of(cls, hit: Hit) -> AlertCard:
        record = hit.record
        analytics = record.get("analytics")
        summary = analytics.get("summary") if isinstance(analytics, dict) else None
        return cls(
            dialog_id=hit.dialog_id,
            moment=hit.moment,
            operator=raw.operator_name(record),
            department=raw.department_name(record),
            call_type=raw.call_type(record),
            duration=raw.duration_sec(record),
            rating=raw.loyalty(record),
            score=raw.score(record),
            signals=hit.signals,
            summary=summary if isinstance(summary, str) and summary.strip() else None,
        )

    def dump(self) -> dict[str, Any]:
        return {
            "d": self.dialog_id,
            "m": self.moment.isoformat(),
            "o": self.operator,
            "dp": self.department,
            "t": self.call_type,
            "du": self.duration,
            "r": self.rating,
            "s": self.score,
            "w": list(self.signals),
            "su": self.summary,
        }

    @classmethod
    def load(cls, data: Mapping[str, Any]) -> AlertCard:
        return cls(
            dialog_id=int(data["d"]),
            moment=datetime.fromisoformat(data["m"]),
            operator=data.get("o"),
            department=data.get("dp"),
            call_type=data.get("t"),
            duration=data.get("du"),
            rating=data.get("r"),
            score=data.get("s"),
            signals=tuple(data.get("w") or ()),
            summary=data.get("su"),
        )
