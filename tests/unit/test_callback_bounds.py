"""Forged callback data is refused where it enters: no integer beyond 64 bits, no unknown
enum value, no number that ``int`` cannot read, reaches a handler."""

from __future__ import annotations

import inspect
from enum import Enum
from types import ModuleType

import pytest
from aiogram.filters.callback_data import CallbackData
from annotated_types import Ge, Le

import bot.callbacks as core_callbacks
import handlers.alerts.callbacks as alert_callbacks
import handlers.alerts_ui as alert_buttons
import handlers.digests.callbacks as digest_callbacks
from bot.alerts.model import ScopeKind
from bot.callbacks import MAX_ID, parse_number
from handlers.alerts.callbacks import AlertRuleCb, AlertSetCb, Field, RuleAction, Step
from handlers.alerts.editing import QUIET_PRESETS
from handlers.alerts_ui import AlertAction, AlertCb

MODULES = (core_callbacks, digest_callbacks, alert_callbacks, alert_buttons)
BEYOND_SQLITE = (2**63, 2**64 + 1, -(2**63) - 1, 10**40)


def factories(module: ModuleType) -> list[type[CallbackData]]:
    return [
        kind
        for _, kind in inspect.getmembers(module, inspect.isclass)
        if issubclass(kind, CallbackData)
        and kind is not CallbackData
        and kind.__module__ == module.__name__
    ]


ALL = [kind for module in MODULES for kind in factories(module)]


def valid_parts(kind: type[CallbackData]) -> dict[str, str]:
    """One valid value per field, as packed text."""
    parts: dict[str, str] = {}
    for name, info in kind.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, Enum):
            parts[name] = str(next(iter(annotation)).value)
        elif annotation is int:
            parts[name] = "1"
        else:
            parts[name] = ""
    return parts


def packed(kind: type[CallbackData], parts: dict[str, str]) -> str:
    return kind.__separator__.join([kind.__prefix__, *parts.values()])


def int_fields(kind: type[CallbackData]) -> list[str]:
    return [name for name, info in kind.model_fields.items() if info.annotation is int]


def test_every_factory_has_a_valid_packing_the_tests_below_start_from() -> None:
    assert ALL, "the factories were found"
    for kind in ALL:
        assert kind.unpack(packed(kind, valid_parts(kind))) is not None


@pytest.mark.parametrize("kind", ALL, ids=lambda kind: kind.__name__)
def test_integers_beyond_64_bits_are_refused(kind: type[CallbackData]) -> None:
    for name in int_fields(kind):
        for number in BEYOND_SQLITE:
            parts = valid_parts(kind) | {name: str(number)}
            with pytest.raises(ValueError):
                kind.unpack(packed(kind, parts))
        # Both ends of the range still unpack: real buttons keep working.
        low, high = bounds(kind, name)
        for edge in (low, high):
            unpacked = kind.unpack(packed(kind, valid_parts(kind) | {name: str(edge)}))
            assert getattr(unpacked, name) == edge


def bounds(kind: type[CallbackData], name: str) -> tuple[int, int]:
    metadata = kind.model_fields[name].metadata
    lows = [item.ge for item in metadata if isinstance(item, Ge)]
    highs = [item.le for item in metadata if isinstance(item, Le)]
    assert lows and highs, f"{kind.__name__}.{name} is not bounded"
    low, high = lows[0], highs[0]
    assert isinstance(low, int) and isinstance(high, int)
    return low, high


def test_every_integer_field_is_bounded_within_64_bits() -> None:
    """A new int field without bounds would let a forged number through to SQLite."""
    for kind in ALL:
        for name in int_fields(kind):
            low, high = bounds(kind, name)
            assert -(2**63) <= low <= high <= MAX_ID, (kind.__name__, name)


@pytest.mark.parametrize("kind", ALL, ids=lambda kind: kind.__name__)
def test_unknown_enum_values_wrong_part_counts_and_odd_digits_are_refused(
    kind: type[CallbackData],
) -> None:
    for name, info in kind.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, Enum):
            with pytest.raises(ValueError):
                kind.unpack(packed(kind, valid_parts(kind) | {name: "zz"}))
        if annotation is int:
            for odd in ("１２", "²", "1e3", "0x10", "NaN"):
                with pytest.raises(ValueError):
                    kind.unpack(packed(kind, valid_parts(kind) | {name: odd}))
    parts = list(valid_parts(kind).values())
    for wrong in ([*parts, "extra"], parts[:-1]):
        with pytest.raises(TypeError):
            kind.unpack(kind.__separator__.join([kind.__prefix__, *wrong]))


@pytest.mark.parametrize(
    ("text", "upper", "expected"),
    [
        ("0", MAX_ID, 0),
        ("42", MAX_ID, 42),
        (str(MAX_ID), MAX_ID, MAX_ID),
        (str(MAX_ID + 1), MAX_ID, None),
        ("9" * 400, MAX_ID, None),
        ("11", 10, None),
        ("10", 10, 10),
        ("²", MAX_ID, None),  # str.isdigit() says yes, int() says no
        ("١٢", MAX_ID, None),  # Arabic-Indic digits: not a button's number
        ("-1", MAX_ID, None),
        (" 1", MAX_ID, None),
        ("", MAX_ID, None),
    ],
)
def test_parse_number_takes_plain_bounded_numbers_only(
    text: str, upper: int, expected: int | None
) -> None:
    assert parse_number(text, upper) == expected


def test_alert_factories_pack_their_largest_values_within_64_bytes() -> None:
    values = [*(step.value for step in Step), *(kind.value for kind in ScopeKind), "999"]
    values.append(str(len(QUIET_PRESETS)))
    packed_data = [
        *(AlertRuleCb(action=action, rid=MAX_ID).pack() for action in RuleAction),
        *(
            AlertSetCb(field=field, rid=MAX_ID, value=value).pack()
            for field in Field
            for value in values
        ),
        *(
            AlertCb(action=action, rule=MAX_ID, dialog=dialog).pack()
            for action in AlertAction
            for dialog in (-MAX_ID - 1, MAX_ID)
        ),
    ]
    assert max(len(data.encode()) for data in packed_data) <= 64
