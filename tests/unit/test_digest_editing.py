"""The wizard's editing steps as pure functions: typed times, toggles, forged values."""

from __future__ import annotations

import pytest

from bot.digest.model import (
    Attachment,
    DaysMode,
    PeriodMode,
    Schedule,
    ScopeKind,
    Subscription,
)
from handlers.digests.callbacks import Field, Step, Toggle
from handlers.digests.editing import (
    add_signals,
    apply_choice,
    next_step,
    parse_time,
    scope_for,
    toggle_signal,
    toggle_weekday,
)

SUB = Subscription(chat_id=1, owner_user_id=1, created_by=1, schedule=Schedule(9, 0, "Asia/Almaty"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0900", (9, 0)),
        ("9:05", (9, 5)),
        ("09.30", (9, 30)),
        (" 18 : 00 ", (18, 0)),
        ("745", (7, 45)),
        ("24:00", None),
        ("9:5", None),
        ("9", None),
        ("утром", None),
        ("12:60", None),
    ],
)
def test_parse_time(text: str, expected: tuple[int, int] | None) -> None:
    assert parse_time(text) == expected


def test_choices_change_one_field_and_say_where_the_wizard_goes() -> None:
    result = apply_choice(SUB, Field.TIME, "1800")
    assert result is not None
    changed, step, advance = result
    assert (changed.schedule.hour, changed.schedule.minute, step, advance) == (
        18,
        0,
        Step.TIME,
        True,
    )
    result = apply_choice(SUB, Field.DAYS, DaysMode.WORKDAYS)
    assert result is not None and result[0].schedule.days is DaysMode.WORKDAYS
    result = apply_choice(SUB, Field.PERIOD, PeriodMode.WEEK)
    assert result is not None and result[0].period is PeriodMode.WEEK and not result[2]
    result = apply_choice(SUB, Field.ATTACH, Attachment.CSV)
    assert result is not None and result[0].attachment is Attachment.CSV
    result = apply_choice(SUB, Field.SCORE, Toggle.DOWN)
    assert result is not None and result[0].rule.min_score == 40.0
    result = apply_choice(SUB, Field.RATING, Toggle.UP)
    assert result is not None and result[0].rule.max_rating == 4


def test_thresholds_stay_in_range() -> None:
    sub = SUB
    for _ in range(15):
        result = apply_choice(sub, Field.RATING, Toggle.DOWN)
        assert result is not None
        sub = result[0]
    assert sub.rule.max_rating == 1
    for _ in range(15):
        result = apply_choice(sub, Field.SCORE, Toggle.UP)
        assert result is not None
        sub = result[0]
    assert sub.rule.min_score == 100.0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (Field.TIME, "2500"),
        (Field.TZ, "99"),
        (Field.TZ, "-1"),
        (Field.DAYS, DaysMode.WEEKDAYS),
        (Field.DAYS, "sometimes"),
        (Field.WEEKDAY, "7"),
        (Field.PERIOD, "year"),
        (Field.ATTACH, "pdf"),
        (Field.RATING, "max"),
    ],
)
def test_forged_values_are_refused(field: Field, value: str) -> None:
    assert apply_choice(SUB, field, value) is None


def test_weekdays_start_from_an_empty_choice_and_fall_back_to_every_day() -> None:
    monday = toggle_weekday(SUB, 0)
    assert monday.schedule.days is DaysMode.WEEKDAYS
    assert monday.schedule.weekdays == frozenset({0})
    both = toggle_weekday(monday, 3)
    assert both.schedule.weekdays == frozenset({0, 3})
    none = toggle_weekday(toggle_weekday(both, 0), 3)
    assert none.schedule.days is DaysMode.DAILY


def test_scope_values() -> None:
    assert scope_for(ScopeKind.DEPARTMENT, "12") is not None
    department = scope_for(ScopeKind.DEPARTMENT, 12)
    assert department is not None and department.department_id == 12
    assert scope_for(ScopeKind.DEPARTMENT, "двенадцать") is None
    operator = scope_for(ScopeKind.OPERATOR, "  Айгерим   Нурланова ")
    assert operator is not None and operator.operator == "Айгерим Нурланова"
    assert scope_for(ScopeKind.OPERATOR, "   ") is None
    everything = scope_for(ScopeKind.ALL, None)
    assert everything is not None and everything.is_empty_filter()


def test_signal_words() -> None:
    with_words = add_signals(SUB, "жалоба, возврат ,, жалоба")
    assert with_words is not None
    assert with_words.rule.signals == ("жалоба", "возврат")
    assert with_words.rule.signals_on
    assert add_signals(SUB, " , ") is None
    fewer = toggle_signal(with_words, "жалоба")
    assert fewer.rule.signals == ("возврат",)
    empty = toggle_signal(fewer, "возврат")
    assert empty.rule.signals == () and not empty.rule.signals_on


def test_wizard_order() -> None:
    assert next_step(Step.TIME) is Step.DAYS
    assert next_step(Step.FILE) is Step.CONFIRM
    assert next_step(Step.CONFIRM) is Step.CONFIRM
