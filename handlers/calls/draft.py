"""The wizard's draft (kept in FSM data) and the pure rules that change it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup

from bot.callbacks import CallsAction, CallsCb, parse_number
from bot.query.model import CallQuery, OperatorPick, PeriodKind

FIELDS = ("d", "o", "t", "q", "l", "s")
TYPED_FIELDS = ("d", "o", "q", "s")
TEXT_LIMIT = 100
ID_LIMIT = 2_000_000_000
PERIOD_KINDS = (
    PeriodKind.TODAY,
    PeriodKind.YESTERDAY,
    PeriodKind.D7,
    PeriodKind.D30,
    PeriodKind.ALL,
)
CONTAINS = "c"
"""The value of the "everyone whose name contains the typed text" operator button."""


class CallsFlow(StatesGroup):
    typing = State()
    custom_period = State()


@dataclass
class Draft:
    """The wizard's state, kept in FSM data so that it survives restarts.

    Only the wizard's steps read it: a results message keeps its own query (see
    ``storage.shown_queries``).
    """

    query: CallQuery
    message_id: int
    # Offered values by filter: signal words, and operators as ``OperatorPick.dump()``.
    options: dict[str, list[Any]] = field(default_factory=dict)
    typing: str = ""
    text: str = ""  # a typed operator name that fits several people

    def dump(self) -> dict[str, Any]:
        return {
            "q": self.query.to_dict(),
            "m": self.message_id,
            "opts": self.options,
            "typing": self.typing,
            "tx": self.text,
        }

    @classmethod
    def load(cls, data: dict[str, Any]) -> Draft | None:
        raw = data.get("calls")
        if not isinstance(raw, dict):
            return None
        try:
            return cls(
                query=CallQuery.from_dict(raw["q"]),
                message_id=int(raw["m"]),
                options={k: list(v) for k, v in dict(raw.get("opts", {})).items()},
                typing=str(raw.get("typing", "")),
                text=str(raw.get("tx", "")),
            )
        except (KeyError, TypeError, ValueError):
            return None


async def save(state: FSMContext, draft: Draft) -> None:
    await state.update_data(calls=draft.dump())


async def load(state: FSMContext) -> Draft | None:
    return Draft.load(await state.get_data())


def field_is_set(query: CallQuery, code: str) -> bool:
    values = {
        "d": query.department_id,
        "o": query.operator,
        "t": query.call_type,
        "q": query.question_pack_id,
        "l": query.loyalty if query.loyalty is not None else query.loyalty_max,
        "s": query.signal,
    }
    return values[code] is not None


def without(query: CallQuery, code: str) -> CallQuery:
    if code == "o":
        return query.without_operator()
    changes: dict[str, Any] = {
        "d": {"department_id": None},
        "t": {"call_type": None},
        "q": {"question_pack_id": None},
        "l": {"loyalty": None, "loyalty_max": None},
        "s": {"signal": None},
    }[code]
    return query.with_(**changes)


def is_acceptable(data: CallsCb, draft: Draft) -> bool:
    """Whether a wizard press names something that exists; checked before it is answered."""
    code, value = data.f, data.v
    if data.a in (CallsAction.FIELD, CallsAction.REMOVE):
        return code in FIELDS
    if data.a is CallsAction.SET:
        return code in FIELDS and apply_choice(draft, code, value) is not None
    if data.a is CallsAction.TYPE:
        return code in TYPED_FIELDS
    if data.a is CallsAction.PERIOD:
        return value in {kind.value for kind in PERIOD_KINDS}
    return True


def apply_choice(draft: Draft, code: str, value: str) -> CallQuery | None:
    """The query with one filter set from a button's value, or None for a forged value."""
    query = draft.query
    try:
        if code == "t" and value in {"1", "2", "3", "4"}:
            return query.with_(call_type=int(value))
        if code == "l":
            if value in {"le3", "le5"}:
                return query.with_(loyalty=None, loyalty_max=int(value[2:]))
            grade = parse_number(value, 10)
            if grade is not None and grade >= 1:
                return query.with_(loyalty=grade, loyalty_max=None)
            return None
        if code == "o" and value == CONTAINS:
            # Offered with the people a typed name fits: keep the text as "contains".
            return query.with_operator_text(draft.text) if draft.text else None
        number = parse_number(value, ID_LIMIT - 1)
        if code in {"d", "q"} and number is not None and number > 0:
            key = "department_id" if code == "d" else "question_pack_id"
            return query.with_(**{key: number})
        options = draft.options.get(code, [])
        if code in {"o", "s"} and number is not None and number < len(options):
            if code == "o":
                # A button means that one person, not every name containing it.
                return query.with_operator(OperatorPick.load(options[number]))
            return query.with_(signal=str(options[number]))
    except ValueError:
        return None
    return None


def typed_text(text: str) -> str | None:
    """Typed text with its spaces folded, or None when empty or too long."""
    value = " ".join(text.split())
    if not value or len(value) > TEXT_LIMIT:
        return None
    return value


def parse_typed_value(query: CallQuery, code: str, text: str) -> CallQuery | None:
    value = " ".join(text.split())
    if code in {"d", "q"}:
        number = parse_number(value, ID_LIMIT - 1)
        if number is None or number == 0:
            return None
        key = "department_id" if code == "d" else "question_pack_id"
        return query.with_(**{key: number})
    checked = typed_text(value)
    if checked is None:
        return None
    if code == "o":
        # Typed text means every operator whose name contains it (the screen says so).
        return query.with_operator_text(checked)
    return query.with_(signal=checked)
