"""Which export requests one poll of a connection makes, for every rule on it at once.

The Export API has no "since" and no paging: each request returns every call it
matches, however old. So a poll asks the most selective endpoints the rules allow and
shares them: one request per client-rating grade up to the highest "rating ≤ N", one
per signal word, one per operator, department or question pack in a scope. Only a
script-score condition on all calls has nothing narrower than the four call types;
that full read is made at most every ``FULL_EVERY``, and in between such a rule is
still served by its rating and signal requests. A poll that reads all call types
needs nothing else: every call is in it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from bot.alerts.model import AlertRule, ScopeKind
from bot.query.model import CallQuery, Period

FULL_EVERY: Final = timedelta(minutes=15)


def poll_period(today_utc: date) -> Period:
    """Yesterday through tomorrow (UTC): every call of the last 24 hours, and one stamped a
    little ahead of our clock, whatever the hour. One period for every rule (the zone is
    UTC too), so the rules of a connection share the requests and their cache."""
    return Period.custom(today_utc - timedelta(days=1), today_utc + timedelta(days=1))


@dataclass(frozen=True, slots=True)
class PollPlan:
    queries: tuple[CallQuery, ...]  # without their period; one export request each (ALL: four)
    full: bool  # reads all four call types
    complete: frozenset[int]  # rules every call of which the queries cover

    def covers(self, rule: AlertRule) -> bool:
        return rule.id in self.complete


def _narrow(rule: AlertRule) -> list[CallQuery] | None:
    """The rule's requests when something narrower than all calls serves it fully."""
    scope = rule.scope
    conditions = rule.conditions
    if scope.kind is ScopeKind.OPERATOR:
        assert scope.operator is not None
        # Typed-name form: rules on namesakes share it; the person is told apart locally.
        return [CallQuery().with_operator_text(scope.operator.name)]
    if scope.kind is ScopeKind.DEPARTMENT:
        return [CallQuery(department_id=scope.department_id)]
    if conditions.min_score is not None:
        if scope.kind is ScopeKind.PACK:
            return [CallQuery(question_pack_id=scope.pack_id)]
        return None
    return _by_conditions(rule)


def _by_conditions(rule: AlertRule) -> list[CallQuery]:
    conditions = rule.conditions
    grades = range(1, (conditions.max_rating or 0) + 1)
    return [CallQuery(loyalty=grade) for grade in grades] + [
        CallQuery(signal=word) for word in conditions.signals
    ]


def plan_poll(rules: Iterable[AlertRule], *, full_due: bool) -> PollPlan:
    """The requests serving ``rules`` (one connection's active rules) in one poll."""
    wanted: dict[CallQuery, None] = {}
    complete: set[int] = set()
    needs_full = False
    listed = list(rules)
    for rule in listed:
        narrow = _narrow(rule)
        if narrow is not None:
            wanted.update(dict.fromkeys(narrow))
            complete.add(rule.id)
        elif full_due:
            needs_full = True
        else:
            # Rating and signal alerts keep coming; score alone waits for the full read.
            wanted.update(dict.fromkeys(_by_conditions(rule)))
    if needs_full:
        return PollPlan((CallQuery(),), True, frozenset(rule.id for rule in listed))
    return PollPlan(tuple(wanted), False, frozenset(complete))
