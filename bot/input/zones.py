"""Time zones as people type them: a city, an IANA name or an offset from UTC.

City names come from CLDR through ``babel`` (each zone's exemplar city, in Russian and
English), plus the city part of every IANA name, so «Алматы», "Almaty" and
"asia/almaty" all resolve. ``zone_label`` turns a zone back into a short label for a
button, with the offset the zone has at a given moment.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Final
from zoneinfo import ZoneInfo, available_timezones

from babel.dates import get_timezone_location

LANGUAGES: Final = ("ru", "en")
MAX_LABEL: Final = 32
MAX_TEXT: Final = 64

# Not city names, so not in CLDR: abbreviations people use, a capital and cities that
# share another city's zone (Kazakhstan has one time since 2024), and former names.
_ALIASES: Final = {
    "мск": "Europe/Moscow",
    "msk": "Europe/Moscow",
    "спб": "Europe/Moscow",
    "питер": "Europe/Moscow",
    "санктпетербург": "Europe/Moscow",
    "saintpetersburg": "Europe/Moscow",
    "stpetersburg": "Europe/Moscow",
    "астана": "Asia/Almaty",
    "astana": "Asia/Almaty",
    "нурсултан": "Asia/Almaty",
    "nursultan": "Asia/Almaty",
    "алмаата": "Asia/Almaty",
    "almaata": "Asia/Almaty",
    "шымкент": "Asia/Almaty",
    "shymkent": "Asia/Almaty",
    "караганда": "Asia/Almaty",
    "karaganda": "Asia/Almaty",
}
# The areas of real places; other names (US/Eastern, W-SU, EST5EDT) are legacy links.
_AREAS: Final = frozenset(
    ("Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe")
) | {"Indian", "Pacific"}
_UTC_NAMES: Final = frozenset(("utc", "gmt", "z", "uct", "universal", "zulu", "etcutc", "etcgmt"))
_OFFSET = re.compile(r"(?:utc|gmt)?([+\-])(\d{1,2})(?::?(\d{2}))?")
_LABEL_TAIL = re.compile(r"\s*\((?:utc|gmt)[^()]*\)$", re.IGNORECASE)
_DROPPED = re.compile(r"[\s\-_.'’`()]+")
_MINUS_SIGNS = re.compile("[\u2010\u2011\u2012\u2013\u2014\u2212\ufe63\uff0d]")


def fold(text: str) -> str:
    """The key a place name is looked up by: case, ё, spaces, hyphens and dots aside."""
    folded = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")
    return _DROPPED.sub("", folded)


def resolve_zone(text: str, lang: str = "ru", *, now: datetime | None = None) -> str | None:
    """The IANA zone ``text`` names, or ``None``; ``lang``'s city names win a tie.

    ``now`` (default: the current time) picks a zone for an offset that is not whole
    hours, such as +05:30: one whose offset is that at ``now``.
    """
    if not text or len(text) > MAX_TEXT:
        return None
    plain = _MINUS_SIGNS.sub("-", unicodedata.normalize("NFKC", text)).strip()
    # A label read back («Алматы (UTC+5)»): the place decides, not the offset shown.
    plain = _LABEL_TAIL.sub("", plain) or plain
    exact = _index().ids.get(plain.casefold())
    if exact is not None:
        return exact
    key = fold(plain)
    if not key:
        return None
    if key in _UTC_NAMES:
        return "UTC"
    offset = _OFFSET.fullmatch(re.sub(r"\s+", "", plain.casefold()))
    if offset is not None:
        return _offset_zone(offset, now)
    if key in _ALIASES:
        return _ALIASES[key]
    index = _index()
    order = (lang, *(other for other in LANGUAGES if other != lang))
    for language in order:
        found = index.cities.get(language, {}).get(key)
        if found is not None:
            return found
    return index.segments.get(key)


def zone_label(name: str, now: datetime, lang: str) -> str:
    """A short label for a button: «Москва (UTC+3)», "UTC+3" for a bare offset zone."""
    try:
        zone = ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        # Not a zone name; zoneinfo raises ValueError for malformed keys too.
        return name[:MAX_LABEL]
    offset = format_offset(now.astimezone(zone).utcoffset())
    if name.startswith("Etc/") or name in {"UTC", "GMT", "Universal", "Zulu", "UCT"}:
        return offset
    city = _city(name, lang)
    if city is None:
        return f"{name} ({offset})"[:MAX_LABEL]
    room = MAX_LABEL - len(offset) - 3
    if len(city) > room:
        city = city[: room - 1].rstrip() + "…"
    return f"{city} ({offset})"


def format_offset(offset: timedelta | None) -> str:
    """``UTC+3``, ``UTC-4``, ``UTC+5:30``, ``UTC`` for zero."""
    if not offset:
        return "UTC"
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def _city(name: str, lang: str) -> str | None:
    try:
        city = get_timezone_location(name, locale=lang, return_city=True)
    except (LookupError, ValueError):
        return None
    return city or None


def _offset_zone(match: re.Match[str], now: datetime | None) -> str | None:
    sign = -1 if match.group(1) == "-" else 1
    hours, minutes = int(match.group(2)), int(match.group(3) or 0)
    if minutes >= 60 or hours > 14:
        return None
    if minutes == 0:
        if hours == 0:
            return "UTC"
        if sign < 0 and hours > 12:
            return None
        # POSIX-style names: Etc/GMT-5 is five hours *ahead* of UTC.
        return f"Etc/GMT{'-' if sign > 0 else '+'}{hours}"
    wanted = timedelta(minutes=sign * (hours * 60 + minutes))
    moment = now or datetime.now(UTC)
    matching = [
        zone
        for zone in _index().preferred
        if moment.astimezone(ZoneInfo(zone)).utcoffset() == wanted
    ]
    if not matching:
        return None
    # Prefer a zone that keeps this offset all year, so the choice stays right.
    return min(matching, key=lambda zone: (not _steady(zone, moment.year), zone))


def _steady(zone: str, year: int) -> bool:
    info = ZoneInfo(zone)
    return info.utcoffset(datetime(year, 1, 15)) == info.utcoffset(datetime(year, 7, 15))


class _Index:
    """Lookup tables by folded key: IANA ids, CLDR city names per language, id city parts."""

    def __init__(self, zones: Iterable[str]) -> None:
        started = time.perf_counter()
        every = sorted(zones)
        self.ids: dict[str, str] = {zone.casefold(): zone for zone in every}
        self.canonical = [zone for zone in every if zone.split("/", 1)[0] in _AREAS]
        english = {zone: _city(zone, "en") or "" for zone in self.canonical}

        def rank(zone: str) -> tuple[bool, int, str]:
            # Of two names for one place (Asia/Calcutta, Asia/Kolkata), the one that
            # matches CLDR's English city name is the current one.
            segment = fold(zone.rsplit("/", 1)[-1])
            return (segment != fold(english[zone]), len(zone), zone)

        ordered = sorted(self.canonical, key=rank)
        self.cities: dict[str, dict[str, str]] = {}
        for lang in LANGUAGES:
            table: dict[str, str] = {}
            for zone in ordered:
                city = english[zone] if lang == "en" else _city(zone, lang)
                if city:
                    table.setdefault(fold(city), zone)
            self.cities[lang] = table
        # One name per place, for choosing a zone by its offset.
        self.preferred = sorted({zone for table in self.cities.values() for zone in table.values()})
        self.segments: dict[str, str] = {}
        for zone in ordered:
            self.segments.setdefault(fold(zone.rsplit("/", 1)[-1]), zone)
        self.build_seconds = time.perf_counter() - started


@cache
def _index() -> _Index:
    return _Index(available_timezones())


def index_build_seconds() -> float:
    """How long building the lookup tables took (they are built once, on first use)."""
    return _index().build_seconds
