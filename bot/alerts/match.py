"""Which calls a rule alerts on: its scope, then any of its conditions.

Signal words match by ``bot.signals``' rule, the one /calls and digests use: whole words
or phrases, case-, ё- and spacing-insensitive.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from bot.aiokk import raw
from bot.aiokk.raw import RawRecord
from bot.alerts.model import AlertRule, ScopeKind
from bot.query.model import name_key
from bot.query.planner import LocalFilter
from bot.signals import signal_matches

FRESH_FOR: Final = timedelta(hours=24)
"""A call older (or further ahead) than this at the poll is never alerted on."""


@dataclass(frozen=True, slots=True)
class Hit:
    """A call that meets the rule, and why."""

    record: RawRecord
    dialog_id: int
    moment: datetime
    low_rating: bool
    low_score: bool
    signals: tuple[str, ...]  # the rule's words that matched


def scope_filter(rule: AlertRule) -> LocalFilter:
    """The rule's scope as the planner's local filter (exact operator, by id first)."""
    scope = rule.scope
    pick = scope.operator if scope.kind is ScopeKind.OPERATOR else None
    return LocalFilter(
        department_id=scope.department_id if scope.kind is ScopeKind.DEPARTMENT else None,
        operator_id=pick.id if pick is not None else None,
        operator_name=name_key(pick.name) if pick is not None else None,
        question_pack_id=scope.pack_id if scope.kind is ScopeKind.PACK else None,
    )


class RuleMatcher:
    """One rule prepared for the records of a poll."""

    def __init__(self, rule: AlertRule) -> None:
        self.rule = rule
        self._scope = scope_filter(rule)

    def hit(
        self, record: RawRecord, now: datetime, *, fresh_for: timedelta | None = FRESH_FOR
    ) -> Hit | None:
        """Why ``record`` alerts, or None; ``fresh_for`` None takes a call of any age (a
        test of the rule looks back further than a poll)."""
        key = raw.dialog_id(record)
        moment = raw.call_date(record)
        if key is None or moment is None or moment.utcoffset() is None:
            return None
        if fresh_for is not None and (
            abs(now.timestamp() - moment.timestamp()) > fresh_for.total_seconds()
        ):
            return None
        if not self._scope.matches_fields(record):
            return None
        conditions = self.rule.conditions
        rating = raw.loyalty(record)
        low_rating = (
            conditions.max_rating is not None
            and rating is not None
            and rating <= conditions.max_rating
        )
        score = raw.score(record)
        low_score = (
            conditions.min_score is not None and score is not None and score < conditions.min_score
        )
        phrases = raw.signal_words(record) if conditions.signals else []
        words = tuple(word for word in conditions.signals if signal_matches(word, phrases))
        if not (low_rating or low_score or words):
            return None
        return Hit(record, key, moment, low_rating, low_score, words)
