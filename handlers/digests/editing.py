"""Pure editing steps of the digest wizard: one button press or typed value in, the changed
subscription out. No Telegram here, so every rule is unit-tested directly.
"""

from __future__ import annotations

from typing import Any, Final

from bot.digest.model import (
    Attachment,
    Cadence,
    DaysMode,
    PeriodMode,
    ScopeKind,
    Subscription,
    scope_query,
)
from bot.keyboards import COMMON_TIMEZONES
from bot.query.model import CallQuery, OperatorPick
from handlers.digests.callbacks import Field, Step, Toggle

WIZARD: Final[tuple[Step, ...]] = (
    Step.TIME,
    Step.DAYS,
    Step.SCOPE,
    Step.RULE,
    Step.FILE,
    Step.CONFIRM,
)
SCORE_STEP: Final = 10.0
OPERATOR_LIMIT: Final = 200
SIGNAL_LIMIT: Final = 60

CHOICES: Final = frozenset(
    {
        Field.TIME,
        Field.TZ,
        Field.DAYS,
        Field.CADENCE,
        Field.WEEKDAY,
        Field.PERIOD,
        Field.RATING,
        Field.SCORE,
        Field.ATTACH,
        Field.CHART,
        Field.SKIP,
    }
)
"""Fields whose button carries the whole change (handled by ``apply_choice``)."""


def next_step(step: Step) -> Step:
    index = WIZARD.index(step)
    return WIZARD[min(index + 1, len(WIZARD) - 1)]


def parse_time(text: str) -> tuple[int, int] | None:
    """``0900`` (buttons) or typed ``9:00``, ``09.00``, ``900``; None if not a time."""
    cleaned = text.strip().replace(".", ":").replace(" ", "")
    if ":" in cleaned:
        hours, _, minutes = cleaned.partition(":")
    elif cleaned.isdecimal() and len(cleaned) in (3, 4):
        hours, minutes = cleaned[:-2], cleaned[-2:]
    else:
        return None
    # isdecimal, not isdigit: "²" is a digit that int() refuses.
    if not (hours.isdecimal() and minutes.isdecimal() and len(minutes) == 2 and len(hours) <= 2):
        return None
    hour, minute = int(hours), int(minutes)
    if hour > 23 or minute > 59:
        return None
    return hour, minute


def with_time(sub: Subscription, hour: int, minute: int) -> Subscription:
    return sub.with_(schedule=sub.schedule.with_(hour=hour, minute=minute))


def with_timezone(sub: Subscription, name: str) -> Subscription:
    return sub.with_(schedule=sub.schedule.with_(timezone=name))


def with_cadence(sub: Subscription, cadence: Cadence) -> Subscription:
    """Weekly starts on Monday (or the one weekday already chosen); monthly on the 1st."""
    schedule = sub.schedule
    match cadence:
        case Cadence.WEEKLY:
            single = len(schedule.weekdays) == 1 and schedule.days is DaysMode.WEEKDAYS
            day = schedule.weekday if single else 0
            changed = schedule.with_(
                cadence=cadence, days=DaysMode.WEEKDAYS, weekdays=frozenset({day})
            )
        case Cadence.MONTHLY:
            changed = schedule.with_(cadence=cadence, days=DaysMode.DAILY, weekdays=frozenset())
        case Cadence.DAILY:
            changed = schedule.with_(cadence=cadence, days=DaysMode.DAILY, weekdays=frozenset())
    return sub.with_(schedule=changed)


def toggle_weekday(sub: Subscription, day: int) -> Subscription:
    """Weekday buttons start from an empty choice; an empty choice means every day.

    A weekly digest has one weekday: the button moves it there. A monthly one becomes
    a daily one on the chosen weekdays."""
    schedule = sub.schedule
    if schedule.cadence is Cadence.WEEKLY:
        return sub.with_(schedule=schedule.with_(weekdays=frozenset({day})))
    if schedule.cadence is Cadence.MONTHLY:
        schedule = schedule.with_(cadence=Cadence.DAILY, days=DaysMode.DAILY)
    chosen = set(schedule.weekdays) if schedule.days is DaysMode.WEEKDAYS else set()
    chosen ^= {day}
    if not chosen:
        return sub.with_(schedule=schedule.with_(days=DaysMode.DAILY, weekdays=frozenset()))
    return sub.with_(schedule=schedule.with_(days=DaysMode.WEEKDAYS, weekdays=frozenset(chosen)))


def change_rating(sub: Subscription, toggle: Toggle) -> Subscription:
    rule = sub.rule
    match toggle:
        case Toggle.SWITCH:
            return sub.with_(rule=rule.with_(rating_on=not rule.rating_on))
        case Toggle.UP:
            return sub.with_(
                rule=rule.with_(rating_on=True, max_rating=min(rule.max_rating + 1, 10))
            )
        case Toggle.DOWN:
            return sub.with_(
                rule=rule.with_(rating_on=True, max_rating=max(rule.max_rating - 1, 1))
            )


def change_score(sub: Subscription, toggle: Toggle) -> Subscription:
    rule = sub.rule
    match toggle:
        case Toggle.SWITCH:
            return sub.with_(rule=rule.with_(score_on=not rule.score_on))
        case Toggle.UP:
            value = min(rule.min_score + SCORE_STEP, 100.0)
            return sub.with_(rule=rule.with_(score_on=True, min_score=value))
        case Toggle.DOWN:
            value = max(rule.min_score - SCORE_STEP, SCORE_STEP)
            return sub.with_(rule=rule.with_(score_on=True, min_score=value))


def apply_choice(
    sub: Subscription, field: Field, value: str
) -> tuple[Subscription, Step, bool] | None:
    """The subscription with one choice applied, the screen it belongs to, and whether the
    wizard moves on; None for a value that makes no sense (a forged or stale button)."""
    try:
        match field:
            case Field.TIME:
                parsed = parse_time(value)
                if parsed is None:
                    return None
                return with_time(sub, *parsed), Step.TIME, True
            case Field.TZ:
                index = int(value)
                if not 0 <= index < len(COMMON_TIMEZONES):
                    return None
                return with_timezone(sub, COMMON_TIMEZONES[index]), Step.TIME, False
            case Field.DAYS:
                days = DaysMode(value)
                if days is DaysMode.WEEKDAYS:
                    return None
                schedule = sub.schedule.with_(
                    days=days, weekdays=frozenset(), cadence=Cadence.DAILY
                )
                return sub.with_(schedule=schedule), Step.DAYS, True
            case Field.CADENCE:
                cadence = Cadence(value)
                if cadence is Cadence.DAILY:
                    return None
                return with_cadence(sub, cadence), Step.DAYS, cadence is Cadence.MONTHLY
            case Field.WEEKDAY:
                day = int(value)
                if not 0 <= day <= 6:
                    return None
                return toggle_weekday(sub, day), Step.DAYS, False
            case Field.PERIOD:
                return sub.with_(period=PeriodMode(value)), Step.DAYS, False
            case Field.RATING:
                return change_rating(sub, Toggle(value)), Step.RULE, False
            case Field.SCORE:
                return change_score(sub, Toggle(value)), Step.RULE, False
            case Field.ATTACH:
                return sub.with_(attachment=Attachment(value)), Step.FILE, False
            case Field.CHART:
                return sub.with_(chart=not sub.chart), Step.FILE, False
            case Field.SKIP:
                return sub.with_(skip_empty=not sub.skip_empty), Step.FILE, False
    except ValueError:
        return None
    return None


def scope_for(kind: ScopeKind, value: Any, *, typed: bool = False) -> CallQuery | None:
    """The scope for a chosen or typed value; None when the value does not fit the kind.

    An operator chosen from a button (an ``OperatorPick.dump()``) is that one person;
    typed text means every operator whose name contains it, as in /calls.
    """
    try:
        match kind:
            case ScopeKind.DEPARTMENT:
                return scope_query({"d": int(value)})
            case ScopeKind.PACK:
                return scope_query({"q": int(value)})
            case ScopeKind.OPERATOR if typed:
                name = " ".join(str(value).split())[:OPERATOR_LIMIT]
                return scope_query(None).with_operator_text(name) if name else None
            case ScopeKind.OPERATOR:
                return scope_query(None).with_operator(OperatorPick.load(value))
            case ScopeKind.ALL:
                return scope_query(None)
    except (TypeError, ValueError):
        return None


def toggle_signal(sub: Subscription, word: str) -> Subscription:
    words = list(sub.rule.signals)
    if word in words:
        words.remove(word)
    else:
        words.append(word)
    return sub.with_(rule=sub.rule.with_(signals=tuple(words), signals_on=bool(words)))


def add_signals(sub: Subscription, text: str) -> Subscription | None:
    """Typed comma-separated words added to the rule; None when there are none."""
    words = [" ".join(part.split())[:SIGNAL_LIMIT] for part in text.split(",")]
    words = [word for word in words if word]
    if not words:
        return None
    merged = tuple(dict.fromkeys([*sub.rule.signals, *words]))
    return sub.with_(rule=sub.rule.with_(signals=merged, signals_on=True))
