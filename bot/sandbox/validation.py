"""Laravel-style validation of the one filter field each export endpoint takes.

Rules mirror what the spec documents: ids and ratings are integers (numeric
strings count, as in Laravel), names and signal words are strings. Messages use
Laravel 10+ wording so clients see the same 422 bodies as from a real instance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.aiokk.endpoints import Endpoint

_INTEGER = re.compile(r"[+-]?\d+")

_INTEGER_FIELDS = {
    Endpoint.DEPARTMENT,
    Endpoint.CALL_TYPE,
    Endpoint.QUESTION_PACK,
    Endpoint.CLIENT_LOYALTY,
}


@dataclass(frozen=True, slots=True)
class Invalid:
    message: str


FilterValue = int | str


def validate_filter(endpoint: Endpoint, raw: Any) -> FilterValue | Invalid:
    """Return the normalised filter value, or why it is rejected.

    String values come back case-folded, ready for case-insensitive matching.
    """
    attribute = endpoint.field.replace("_", " ")
    if isinstance(raw, str):
        # Laravel's TrimStrings + ConvertEmptyStringsToNull middlewares.
        raw = raw.strip() or None
    if raw is None:
        return Invalid(f"The {attribute} field is required.")
    if endpoint not in _INTEGER_FIELDS:
        if not isinstance(raw, str):
            return Invalid(f"The {attribute} field must be a string.")
        return raw.casefold()
    number = _as_integer(raw)
    if number is None:
        return Invalid(f"The {attribute} field must be an integer.")
    if endpoint is Endpoint.CALL_TYPE and number not in (1, 2, 3, 4):
        return Invalid(f"The selected {attribute} is invalid.")
    if endpoint is Endpoint.CLIENT_LOYALTY and not 1 <= number <= 10:
        return Invalid(f"The {attribute} field must be between 1 and 10.")
    return number


def _as_integer(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        return int(raw) if raw.is_integer() else None
    if isinstance(raw, str) and _INTEGER.fullmatch(raw):
        return int(raw)
    return None
