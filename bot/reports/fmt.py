"""Small formatting helpers shared by the renderers and the exports.

Everything here returns plain text; HTML escaping is the caller's job.
"""

from __future__ import annotations

import math
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Final
from zoneinfo import ZoneInfo

from bot.aiokk.models import CallRecord
from bot.texts import t

CALL_TYPE_ICONS: Final[dict[int, str]] = {1: "📤", 2: "📥", 3: "🔀", 4: "🔁"}
UNKNOWN_TYPE_ICON: Final = "📞"
MISSING: Final = "–"


def local_datetime(record: CallRecord, tz: ZoneInfo) -> datetime | None:
    """The call's start in the chat's timezone (aware).

    ``date`` carries the instance's offset; a naive value is taken as already
    local to ``tz``. ``created_at`` (UTC) is the fallback when ``date`` is missing.
    """
    moment = record.call.date or record.call.created_at
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=tz)
    return moment.astimezone(tz)


def call_type_name(call_type: int | None, lang: str) -> str:
    if call_type in CALL_TYPE_ICONS:
        return t(f"report.call_type.{call_type}", lang)
    return t("report.call_type.unknown", lang)


def call_type_icon(call_type: int | None) -> str:
    return CALL_TYPE_ICONS.get(call_type or 0, UNKNOWN_TYPE_ICON)


def clock(seconds: int | None) -> str:
    """``64`` → ``1:04``; hours appear only when needed (``1:02:03``)."""
    if seconds is None or seconds < 0:
        return MISSING
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def hours_minutes(seconds: float, lang: str) -> str:
    """Talk time as ``12 ч 5 мин`` / ``12 h 5 min`` (minutes rounded half up)."""
    total_minutes = whole(seconds / 60)
    hours, minutes = divmod(total_minutes, 60)
    if hours:
        return t("report.unit.hours_minutes", lang, h=integer(hours, lang), m=minutes)
    return t("report.unit.minutes", lang, m=minutes)


def integer(value: int, lang: str) -> str:
    """Thousands grouped the local way: ``12 345`` (no-break space) or ``12,345``."""
    grouped = f"{value:,}"
    return grouped if lang == "en" else grouped.replace(",", "\u00a0")


def rounded(value: float, digits: int = 0) -> Decimal:
    """``value`` rounded half away from zero, as spreadsheets round: 42.5 → 43, 6.35 → 6.4.

    The decimal digits a person reads are rounded, not the binary float: ``6.35`` is
    stored as 6.34999…, which ``round`` would take down to 6.3. ``repr`` gives the
    shortest decimal that reads back as the same float, so that is what is rounded.
    ``value`` must be finite.
    """
    return Decimal(repr(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def whole(value: float) -> int:
    """``value`` rounded half away from zero to a whole number (see ``rounded``)."""
    return int(rounded(value))


def round_half_up(value: float, digits: int) -> float:
    """``rounded`` as a float, for numbers written to a spreadsheet cell."""
    return float(rounded(value, digits))


def decimal(value: float | None, lang: str, digits: int = 1) -> str:
    """``6.4`` in English, ``6,4`` in Russian; whole numbers lose the ``.0``.

    Rounded half away from zero (see ``rounded``): every figure on screen is rounded here.
    """
    if value is None or not math.isfinite(value):
        return MISSING
    number = rounded(value, digits)
    text = str(int(number)) if number == number.to_integral_value() else f"{number:f}"
    return text if lang == "en" else text.replace(".", ",")


def percent(value: float | None, lang: str) -> str:
    """A share or score as a whole percent number (without the ``%`` sign)."""
    return decimal(value, lang, digits=0)


def short_name(full_name: str | None, limit: int = 20) -> str:
    """``Айгерим Нурланова`` → ``Айгерим Н.``: fits a button or a chart axis.

    Every further word keeps its initial, so that names containing one another stay
    apart: ``Тимур Сейткали`` → ``Тимур С.``, ``Тимур Сейткали Младший`` → ``Тимур С. М.``.
    """
    if not full_name or not full_name.strip():
        return MISSING
    words = full_name.split()
    text = " ".join([words[0], *(f"{word[0]}." for word in words[1:])])
    return truncate(text, limit)


def truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + "…"


def mark_text(mark: float | None, lang: str) -> str:
    return decimal(mark, lang, digits=1)
