"""Pure editing steps of the alert wizard: one button press or typed value in, the changed
rule out, and the draft's form in FSM data. No Telegram here.
"""

from __future__ import annotations

from datetime import time
from typing import Any, Final

from bot.alerts.model import AlertConditions, AlertRule, AlertScope, QuietHours
from handlers.alerts.callbacks import Field, Step

WIZARD: Final[tuple[Step, ...]] = (Step.SCOPE, Step.CONDITIONS, Step.QUIET, Step.CONFIRM)
RATINGS: Final = (1, 2, 3, 4, 5)
SCORES: Final = (30, 50, 70)
QUIET_PRESETS: Final[tuple[QuietHours, ...]] = (
    QuietHours(time(21, 0), time(8, 0)),
    QuietHours(time(22, 0), time(9, 0)),
    QuietHours(time(20, 0), time(9, 0)),
    QuietHours(time(18, 0), time(9, 0)),
)
"""The quiet-hour choices; the button after them turns quiet hours off."""
SIGNAL_LIMIT: Final = 60
OPERATOR_LIMIT: Final = 200

CHOICES: Final = frozenset({Field.RATING, Field.SCORE, Field.QUIET})
"""Fields whose button carries the whole change (handled by ``apply_choice``)."""


class NoCondition(ValueError):
    """The change would leave the rule without any condition."""


def next_step(step: Step) -> Step:
    index = WIZARD.index(step)
    return WIZARD[min(index + 1, len(WIZARD) - 1)]


def parse_step(value: str) -> Step | None:
    try:
        return Step(value)
    except ValueError:
        return None


def _conditions(rule: AlertRule, **changes: Any) -> AlertRule:
    current = rule.conditions
    values: dict[str, Any] = {
        "max_rating": current.max_rating,
        "signals": current.signals,
        "min_score": current.min_score,
    }
    values.update(changes)
    if values["max_rating"] is None and not values["signals"] and values["min_score"] is None:
        raise NoCondition("an alert rule needs at least one condition")
    return rule.with_(conditions=AlertConditions(**values))


def apply_choice(rule: AlertRule, field: Field, value: str) -> tuple[AlertRule, Step] | None:
    """The rule with one choice applied and the screen it belongs to; None for a value that
    makes no sense (a forged or stale button). Raises ``NoCondition``."""
    if not value.isascii() or not value.isdigit() or len(value) > 3:
        return None
    number = int(value)
    match field:
        case Field.RATING if number == 0 or number in RATINGS:
            return _conditions(rule, max_rating=number or None), Step.CONDITIONS
        case Field.SCORE if number == 0 or number in SCORES:
            return _conditions(rule, min_score=float(number) if number else None), Step.CONDITIONS
        case Field.QUIET if number <= len(QUIET_PRESETS):
            quiet = QUIET_PRESETS[number] if number < len(QUIET_PRESETS) else None
            return rule.with_(quiet=quiet), Step.QUIET
    return None


def toggle_signal(rule: AlertRule, word: str) -> AlertRule:
    """Raises ``NoCondition``, or ``ValueError`` past ``MAX_SIGNALS`` words."""
    words = list(rule.conditions.signals)
    if word in words:
        words.remove(word)
    else:
        words.append(word)
    return _conditions(rule, signals=tuple(words))


def add_signals(rule: AlertRule, text: str) -> AlertRule | None:
    """Typed comma-separated words added to the rule; None when there are none. Raises
    ``ValueError`` past ``MAX_SIGNALS`` words."""
    words = [" ".join(part.split())[:SIGNAL_LIMIT] for part in text.split(",")]
    words = [word for word in words if word]
    if not words:
        return None
    merged = tuple(dict.fromkeys([*rule.conditions.signals, *words]))
    return _conditions(rule, signals=merged)


def typed_operator(text: str) -> str | None:
    name = " ".join(text.split())[:OPERATOR_LIMIT]
    return name or None


# ------------------------------------------------------------------ the draft in FSM data


def rule_to_data(rule: AlertRule) -> dict[str, Any]:
    conditions = rule.conditions
    return {
        "chat": rule.chat_id,
        "thread": rule.thread_id,
        "owner": rule.owner_user_id,
        "owner_name": rule.owner_name,
        "by": rule.created_by,
        "lang": rule.language,
        "tz": rule.timezone,
        "scope": rule.scope.dump(),
        "rating": conditions.max_rating,
        "signals": list(conditions.signals),
        "score": conditions.min_score,
        "quiet": [f"{rule.quiet.start:%H:%M}", f"{rule.quiet.end:%H:%M}"] if rule.quiet else None,
    }


def rule_from_data(data: dict[str, Any]) -> AlertRule:
    """Raises ``KeyError``, ``TypeError`` or ``ValueError`` for data that is not a draft."""
    quiet = data["quiet"]
    return AlertRule(
        chat_id=int(data["chat"]),
        thread_id=data["thread"],
        owner_user_id=int(data["owner"]),
        owner_name=str(data["owner_name"]),
        created_by=int(data["by"]),
        language=str(data["lang"]),
        timezone=str(data["tz"]),
        scope=AlertScope.load(data["scope"]),
        conditions=AlertConditions(
            max_rating=data["rating"], signals=tuple(data["signals"]), min_score=data["score"]
        ),
        quiet=QuietHours(time.fromisoformat(quiet[0]), time.fromisoformat(quiet[1]))
        if quiet
        else None,
    )
