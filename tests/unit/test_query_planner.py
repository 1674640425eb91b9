from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bot.aiokk.endpoints import Endpoint
from bot.query.model import CallQuery, Period, PeriodKind, Window
from bot.query.planner import LocalFilter, normalize_text, plan

# Field filters in the planner's order of preference, with a sample value and
# the endpoint that serves each.
FIELDS: list[tuple[str, Any, Endpoint]] = [
    ("operator", "Айгерим", Endpoint.OPERATOR),
    ("department_id", 84, Endpoint.DEPARTMENT),
    ("signal", "дорого", Endpoint.SIGNALS),
    ("question_pack_id", 27, Endpoint.QUESTION_PACK),
    ("call_type", 2, Endpoint.CALL_TYPE),
    ("loyalty", 3, Endpoint.CLIENT_LOYALTY),
]
NORMALISED = {"operator": "айгерим", "signal": "дорого"}

SUBSETS = [
    combo for size in range(len(FIELDS) + 1) for combo in itertools.combinations(FIELDS, size)
]


def _ids(combo: tuple[tuple[str, Any, Endpoint], ...]) -> str:
    return "+".join(name for name, _, _ in combo) or "none"


@pytest.mark.parametrize("combo", SUBSETS, ids=[_ids(c) for c in SUBSETS])
def test_endpoint_choice_and_local_conditions(combo: tuple[tuple[str, Any, Endpoint], ...]) -> None:
    query = CallQuery(**{name: value for name, value, _ in combo})
    result = plan(query)
    if not combo:
        assert result.requests == tuple((Endpoint.CALL_TYPE, kind) for kind in (1, 2, 3, 4))
        assert result.local.conditions() == {}
        return
    chosen_name, chosen_value, chosen_endpoint = combo[0]  # combos keep FIELDS order
    assert result.requests == ((chosen_endpoint, chosen_value),)
    expected_local = {name: NORMALISED.get(name, value) for name, value, _ in combo[1:]}
    if chosen_name == "signal":
        # The server matches any substring: whole words are checked locally as well.
        expected_local["signal"] = NORMALISED["signal"]
    else:
        assert chosen_name not in result.local.conditions()
    assert result.local.conditions() == expected_local


def test_subsets_cover_all_64_combinations() -> None:
    assert len(SUBSETS) == 64


@pytest.mark.parametrize("bound", [1, 4, 10])
def test_loyalty_at_most_alone_unions_each_grade(bound: int) -> None:
    result = plan(CallQuery(loyalty_max=bound))
    assert result.requests == tuple(
        (Endpoint.CLIENT_LOYALTY, grade) for grade in range(1, bound + 1)
    )
    assert result.local.conditions() == {}


def test_loyalty_at_most_is_local_when_another_field_is_chosen() -> None:
    result = plan(CallQuery(department_id=85, loyalty_max=3))
    assert result.requests == ((Endpoint.DEPARTMENT, 85),)
    assert result.local.conditions() == {"loyalty_max": 3}


def test_exact_loyalty_wins_over_loyalty_at_most() -> None:
    result = plan(CallQuery(loyalty=2, loyalty_max=3))
    assert result.requests == ((Endpoint.CLIENT_LOYALTY, 2),)
    assert result.local.conditions() == {}
    # A contradictory pair keeps the bound, so nothing passes.
    contradictory = plan(CallQuery(loyalty=5, loyalty_max=3))
    assert contradictory.local.conditions() == {"loyalty_max": 3}


def test_period_does_not_change_the_requests() -> None:
    base = CallQuery(call_type=1)
    assert plan(base) == plan(base.with_(period=Period(PeriodKind.ALL)))


# --- the local filter on raw records -------------------------------------------


def _raw(
    *,
    dialog_id: Any = 1,
    date_text: str | None = "2025-04-21 12:06:15+05",
    call_type: Any = 1,
    name: str | None = "Алёна Королёва",
    department: Any = "84",
    pack: Any = 27,
    loyalty: Any = 2,
    signals: Any = "дорого, не кричите",
) -> dict[str, Any]:
    return {
        "call": {"dialogId": dialog_id, "date": date_text, "callType": call_type},
        "operator": {"fullName": name, "departmentId": department},
        "analytics": {
            "clientLoyalty": {"currentGrade": loyalty},
            "evaluationCriteria": {"evaluationId": pack},
            "signals": {"mentionedSignals": signals},
        },
    }


@pytest.mark.parametrize("typed", ["алена", "АЛЁНА", "королева", "Алена Королёва", "лёна к"])
def test_operator_match_ignores_case_and_yo(typed: str) -> None:
    assert LocalFilter(operator=normalize_text(typed)).matches(_raw())
    # The server gets the name as typed (spaces tidied), not the normalised form.
    assert plan(CallQuery(operator=f"  {typed} ")).requests == ((Endpoint.OPERATOR, typed),)


def test_operator_mismatch_and_missing_operator() -> None:
    local = LocalFilter(operator="иван")
    assert not local.matches(_raw())
    assert not local.matches(_raw(name=None))
    broken = _raw()
    broken["operator"] = None
    assert not local.matches(broken)


def test_signal_matches_whole_words_of_one_phrase() -> None:
    assert LocalFilter(signal="дорого").matches(_raw())
    assert LocalFilter(signal="кричите").matches(_raw())
    assert LocalFilter(signal=normalize_text("НЕ  Кричите")).matches(_raw())
    # A part of a word is not a word.
    assert not LocalFilter(signal="крич").matches(_raw())
    assert not LocalFilter(signal="дорог").matches(_raw())
    assert not LocalFilter(signal="скидка").matches(_raw())
    assert not LocalFilter(signal="дорого").matches(_raw(signals=None))
    # The comma separates phrases: a needle spanning two phrases does not match.
    assert not LocalFilter(signal="дорого, не").matches(_raw())
    assert not LocalFilter(signal="дорого не").matches(_raw())


def test_ids_compare_across_string_and_int() -> None:
    assert LocalFilter(department_id=84).matches(_raw(department="84"))
    assert LocalFilter(department_id=84).matches(_raw(department=84))
    assert not LocalFilter(department_id=85).matches(_raw())
    assert LocalFilter(question_pack_id=27).matches(_raw(pack="27"))
    assert not LocalFilter(call_type=2).matches(_raw())


def test_loyalty_conditions() -> None:
    assert LocalFilter(loyalty=2).matches(_raw())
    assert not LocalFilter(loyalty=3).matches(_raw())
    assert LocalFilter(loyalty_max=2).matches(_raw())
    assert not LocalFilter(loyalty_max=1).matches(_raw())
    assert not LocalFilter(loyalty_max=10).matches(_raw(loyalty=None))


def test_window_applies_to_call_date() -> None:
    day = datetime(2025, 4, 21, tzinfo=UTC)
    window = Window(day, day + timedelta(days=1))
    local = LocalFilter().with_window(window)
    assert local.matches(_raw(date_text="2025-04-21 12:06:15+05"))
    # 04:59 at +05 is 23:59 UTC the day before.
    assert not local.matches(_raw(date_text="2025-04-21 04:59:00+05"))
    assert not local.matches(_raw(date_text=None))
    assert LocalFilter().matches(_raw(date_text=None))


def test_filter_fingerprint_ignores_window_and_is_stable() -> None:
    a = plan(CallQuery(department_id=84, call_type=2)).local
    b = a.with_window(Window(datetime(2025, 1, 1, tzinfo=UTC), None))
    assert a.fingerprint() == b.fingerprint()
    assert a.fingerprint() != plan(CallQuery(department_id=84, call_type=3)).local.fingerprint()


# --- the query object -----------------------------------------------------------


def test_query_round_trips_through_its_dict_form() -> None:
    query = CallQuery(
        department_id=84,
        operator="Айгерим",
        call_type=2,
        question_pack_id=27,
        loyalty=3,
        loyalty_max=5,
        signal="дорого",
        period=Period.custom(date(2025, 4, 1), date(2025, 4, 7)),
    )
    data = query.to_dict()
    assert CallQuery.from_dict(data) == query
    assert hash(CallQuery.from_dict(data)) == hash(query)
    assert CallQuery.from_dict(CallQuery().to_dict()) == CallQuery()
    assert CallQuery().to_dict() == {"p": "today"}


def test_fingerprint_is_stable_and_distinguishes_queries() -> None:
    query = CallQuery(department_id=84, period=Period(PeriodKind.D7))
    assert query.fingerprint() == CallQuery.from_dict(query.to_dict()).fingerprint()
    assert query.fingerprint() != query.with_(department_id=85).fingerprint()
    assert query.fingerprint() != query.with_(period=Period(PeriodKind.D30)).fingerprint()
    assert len(query.fingerprint()) <= 12


def test_empty_filter_and_with() -> None:
    assert CallQuery(period=Period(PeriodKind.ALL)).is_empty_filter()
    query = CallQuery().with_(signal="  дорого  ")
    assert not query.is_empty_filter()
    assert query.signal == "дорого"
    assert query.with_(signal=None).is_empty_filter()


@pytest.mark.parametrize(
    "data",
    [
        {"t": 5},
        {"l": 0},
        {"lm": 11},
        {"d": "84"},
        {"o": 12},
        {"p": "week"},
        {"p": "custom"},
        {"p": "custom", "ps": "2025-04-07", "pe": "2025-04-01"},
    ],
)
def test_malformed_query_data_is_rejected(data: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        CallQuery.from_dict(data)
