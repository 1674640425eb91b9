"""Time zones as people type them, and their labels for buttons."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, available_timezones

import pytest

from bot.input.zones import (
    MAX_LABEL,
    format_offset,
    index_build_seconds,
    resolve_zone,
    zone_label,
)

NOVEMBER = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
JULY = datetime(2026, 7, 15, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        # IANA names, in any case.
        ("Europe/Moscow", "Europe/Moscow"),
        ("europe/moscow", "Europe/Moscow"),
        ("ASIA/ALMATY", "Asia/Almaty"),
        ("america/new_york", "America/New_York"),
        # CLDR city names, Russian and English, however spelled.
        ("Москва", "Europe/Moscow"),
        ("москва", "Europe/Moscow"),
        ("  МОСКВА  ", "Europe/Moscow"),
        ("Moscow", "Europe/Moscow"),
        ("Алматы", "Asia/Almaty"),
        ("Almaty", "Asia/Almaty"),
        ("Ташкент", "Asia/Tashkent"),
        ("Tashkent", "Asia/Tashkent"),
        ("Бишкек", "Asia/Bishkek"),
        ("Новосибирск", "Asia/Novosibirsk"),
        ("Екатеринбург", "Asia/Yekaterinburg"),
        ("Актобе", "Asia/Aqtobe"),
        ("Костанай", "Asia/Qostanay"),
        ("London", "Europe/London"),
        ("Лондон", "Europe/London"),
        ("Нью-Йорк", "America/New_York"),
        ("нью йорк", "America/New_York"),
        ("New York", "America/New_York"),
        ("new_york", "America/New_York"),
        ("Киев", "Europe/Kyiv"),
        ("Kolkata", "Asia/Kolkata"),
        ("Калькутта", "Asia/Kolkata"),
        # The city part of an IANA name, for names CLDR spells otherwise.
        ("Calcutta", "Asia/Calcutta"),
        # Abbreviations, a capital without a zone of its own, a former name.
        ("МСК", "Europe/Moscow"),
        ("msk", "Europe/Moscow"),
        ("Астана", "Asia/Almaty"),
        ("Алма-Ата", "Asia/Almaty"),
        ("алма ата", "Asia/Almaty"),
        # A label read back.
        ("Алматы (UTC+5)", "Asia/Almaty"),
        # UTC and offsets: Etc/GMT signs are inverted.
        ("UTC", "UTC"),
        ("utc", "UTC"),
        ("GMT", "GMT"),
        ("UTC+3", "Etc/GMT-3"),
        ("UTC +3", "Etc/GMT-3"),
        ("utc + 3", "Etc/GMT-3"),
        ("+5", "Etc/GMT-5"),
        ("+05:00", "Etc/GMT-5"),
        ("+0500", "Etc/GMT-5"),
        ("GMT+05:00", "Etc/GMT-5"),
        ("UTC-4", "Etc/GMT+4"),
        ("UTC−4", "Etc/GMT+4"),  # a minus sign
        ("-12", "Etc/GMT+12"),
        ("+14", "Etc/GMT-14"),
        ("+0", "UTC"),
        ("UTC+00:00", "UTC"),
    ],
)
def test_resolve_zone(text: str, zone: str) -> None:
    assert resolve_zone(text, now=NOVEMBER) == zone
    ZoneInfo(zone)  # a real zone


@pytest.mark.parametrize(
    ("text", "offset"),
    [("utc+5:30", "UTC+5:30"), ("+05:45", "UTC+5:45"), ("UTC+3:30", "UTC+3:30")],
)
def test_an_offset_of_part_hours_is_a_real_zone_at_that_offset(text: str, offset: str) -> None:
    zone = resolve_zone(text, now=NOVEMBER)
    assert zone is not None and not zone.startswith("Etc/")
    assert format_offset(NOVEMBER.astimezone(ZoneInfo(zone)).utcoffset()) == offset


@pytest.mark.parametrize(
    "text",
    [
        *("", "   ", "xyz", "Атлантида", "😀", "\x00", "Europe/", "/", "Москва" * 20),
        *("+", "utc+", "+15", "-13", "+5:61", "+05:07", "UTC+3x"),
    ],
)
def test_unknown_zones(text: str) -> None:
    assert resolve_zone(text, now=NOVEMBER) is None


def test_the_language_decides_between_two_cities_only_on_a_tie() -> None:
    assert resolve_zone("Москва", "en", now=NOVEMBER) == "Europe/Moscow"
    assert resolve_zone("Moscow", "ru", now=NOVEMBER) == "Europe/Moscow"


@pytest.mark.parametrize(
    ("zone", "now", "lang", "label"),
    [
        ("Europe/Moscow", NOVEMBER, "ru", "Москва (UTC+3)"),
        ("Europe/Moscow", NOVEMBER, "en", "Moscow (UTC+3)"),
        ("Asia/Almaty", NOVEMBER, "ru", "Алматы (UTC+5)"),
        ("America/New_York", NOVEMBER, "ru", "Нью-Йорк (UTC-5)"),
        ("America/New_York", JULY, "en", "New York (UTC-4)"),
        ("Europe/Berlin", NOVEMBER, "ru", "Берлин (UTC+1)"),
        ("Europe/Berlin", JULY, "ru", "Берлин (UTC+2)"),
        ("Europe/London", NOVEMBER, "en", "London (UTC)"),
        ("Asia/Kolkata", NOVEMBER, "en", "Kolkata (UTC+5:30)"),
        ("Etc/GMT-3", NOVEMBER, "ru", "UTC+3"),
        ("Etc/GMT+4", NOVEMBER, "en", "UTC-4"),
        ("UTC", NOVEMBER, "ru", "UTC"),
        ("No/Such_Zone", NOVEMBER, "ru", "No/Such_Zone"),
    ],
)
def test_zone_label(zone: str, now: datetime, lang: str, label: str) -> None:
    assert zone_label(zone, now, lang) == label


def test_every_label_fits_a_button() -> None:
    for lang in ("ru", "en"):
        for name in sorted(available_timezones()):
            label = zone_label(name, NOVEMBER, lang)
            assert 0 < len(label) <= MAX_LABEL, label


def test_the_index_is_built_once_and_quickly() -> None:
    resolve_zone("Москва", now=NOVEMBER)
    first = index_build_seconds()
    resolve_zone("Алматы", now=NOVEMBER)
    assert index_build_seconds() == first  # cached, not rebuilt
    assert first < 2.0  # about 0.1 s; generous for a loaded machine
