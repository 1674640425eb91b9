"""Turn a CallQuery into export requests plus the conditions checked locally.

The API filters by one field per request and knows nothing about dates. The
planner asks the server for the most selective field and leaves every other
condition, and the period, to a cheap test on raw records.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

from bot.aiokk import raw as rawacc
from bot.aiokk.endpoints import Endpoint
from bot.aiokk.models import CALL_TYPES
from bot.query.model import CallQuery, Window, name_key
from bot.signals import signal_matches

if TYPE_CHECKING:
    from bot.query.service import CallService as CallService
    from bot.query.service import ConnectionInfo as ConnectionInfo
    from bot.query.service import QueryResult as QueryResult

RequestValue = int | str
Request = tuple[Endpoint, RequestValue]


def normalize_text(text: str) -> str:
    """Case- and ё-insensitive form used for operator and signal matching."""
    return text.casefold().replace("ё", "е")


@dataclass(frozen=True, slots=True)
class LocalFilter:
    """Conditions checked on each raw record; ``None`` means "not checked here".

    ``operator`` and ``signal`` are stored normalised (see ``normalize_text``); ``operator``
    is a substring of the name. One person picked from a button is ``operator_id`` and
    ``operator_name`` (a ``name_key``): the id decides, records without one are matched
    by the exact name. The window is set by the service once the period is resolved.
    """

    department_id: int | None = None
    operator: str | None = None
    operator_id: int | None = None
    operator_name: str | None = None
    call_type: int | None = None
    question_pack_id: int | None = None
    loyalty: int | None = None
    loyalty_max: int | None = None
    signal: str | None = None
    window: Window | None = None

    @property
    def is_trivial(self) -> bool:
        """True when no field condition is checked (the window aside)."""
        return self.conditions() == {}

    def conditions(self) -> dict[str, int | str]:
        """The field conditions that are set, by name."""
        values = asdict(self)
        values.pop("window")
        return {name: value for name, value in values.items() if value is not None}

    def with_window(self, window: Window | None) -> LocalFilter:
        return replace(self, window=window)

    def matches_fields(self, raw: rawacc.RawRecord) -> bool:
        """All field conditions, cheapest first; the window is not looked at."""
        if self.call_type is not None and rawacc.call_type(raw) != self.call_type:
            return False
        if self.department_id is not None and rawacc.department_id(raw) != self.department_id:
            return False
        if self.question_pack_id is not None and (
            rawacc.question_pack_id(raw) != self.question_pack_id
        ):
            return False
        if self.loyalty is not None or self.loyalty_max is not None:
            grade = rawacc.loyalty(raw)
            if grade is None:
                return False
            if self.loyalty is not None and grade != self.loyalty:
                return False
            if self.loyalty_max is not None and grade > self.loyalty_max:
                return False
        if self.operator is not None:
            name = rawacc.operator_name(raw)
            if name is None or self.operator not in normalize_text(name):
                return False
        if (self.operator_id is not None or self.operator_name is not None) and (
            not self._same_operator(raw)
        ):
            return False
        return self.signal is None or signal_matches(self.signal, rawacc.signal_words(raw))

    def _same_operator(self, raw: rawacc.RawRecord) -> bool:
        if self.operator_id is not None:
            found = rawacc.operator_id(raw)
            if found is not None:
                return found == self.operator_id
        name = rawacc.operator_name(raw)
        return (
            self.operator_name is not None
            and name is not None
            and name_key(name) == self.operator_name
        )

    def matches(self, raw: rawacc.RawRecord) -> bool:
        """Field conditions and, when set, the window test on ``call.date``."""
        if not self.matches_fields(raw):
            return False
        return self.window is None or self.window.contains(rawacc.call_date(raw))

    def fingerprint(self) -> str:
        """Stable short id of the field conditions (the window is keyed separately)."""
        canonical = json.dumps(self.conditions(), sort_keys=True, ensure_ascii=False)
        return hashlib.blake2b(canonical.encode(), digest_size=8).hexdigest()


@dataclass(frozen=True, slots=True)
class Plan:
    requests: tuple[Request, ...]
    local: LocalFilter


def plan(query: CallQuery) -> Plan:
    """Pick one endpoint (or a union of values of one) and the local conditions.

    Order of preference: operator, department, signal, question pack, call
    type, exact loyalty, loyalty "at most N". The chosen condition is left to
    the server; all the others are checked locally. The operator endpoint
    matches a substring of the name, which is what typed text means; a person
    picked from a button is then narrowed down locally to that one person.
    """
    exact = query.operator is not None and query.operator_exact
    local = LocalFilter(
        department_id=query.department_id,
        operator=normalize_text(query.operator) if query.operator and not exact else None,
        operator_id=query.operator_id,
        operator_name=name_key(query.operator) if query.operator and exact else None,
        call_type=query.call_type,
        question_pack_id=query.question_pack_id,
        loyalty=query.loyalty,
        loyalty_max=query.loyalty_max,
        signal=normalize_text(query.signal) if query.signal else None,
    )
    requests: tuple[Request, ...]
    if query.operator is not None:
        requests = ((Endpoint.OPERATOR, query.operator),)
        local = _without(local, "operator")
    elif query.department_id is not None:
        requests = ((Endpoint.DEPARTMENT, query.department_id),)
        local = _without(local, "department_id")
    elif query.signal is not None:
        # The server matches any substring: whole words are checked locally too.
        requests = ((Endpoint.SIGNALS, query.signal),)
    elif query.question_pack_id is not None:
        requests = ((Endpoint.QUESTION_PACK, query.question_pack_id),)
        local = _without(local, "question_pack_id")
    elif query.call_type is not None:
        requests = ((Endpoint.CALL_TYPE, query.call_type),)
        local = _without(local, "call_type")
    elif query.loyalty is not None:
        requests = ((Endpoint.CLIENT_LOYALTY, query.loyalty),)
        # An exact grade within the "at most" bound makes that bound redundant.
        drop = ("loyalty", "loyalty_max") if _within_max(query) else ("loyalty",)
        local = _without(local, *drop)
    elif query.loyalty_max is not None:
        requests = tuple(
            (Endpoint.CLIENT_LOYALTY, grade) for grade in range(1, query.loyalty_max + 1)
        )
        local = _without(local, "loyalty_max")
    else:
        requests = tuple((Endpoint.CALL_TYPE, kind) for kind in CALL_TYPES)
    return Plan(requests=requests, local=local)


def _within_max(query: CallQuery) -> bool:
    return query.loyalty_max is None or (
        query.loyalty is not None and query.loyalty <= query.loyalty_max
    )


def _without(local: LocalFilter, *names: str) -> LocalFilter:
    cleared: dict[str, Any] = dict.fromkeys(names)
    return replace(local, **cleared)


def __getattr__(name: str) -> Any:
    # The service lives in its own module; it is also reachable from here.
    if name in _SERVICE_NAMES:
        from bot.query import service

        return getattr(service, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_SERVICE_NAMES = frozenset({"CallService", "QueryResult", "ConnectionInfo"})
