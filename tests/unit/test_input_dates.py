"""Dates and ranges as people type them, always relative to a given day."""

from __future__ import annotations

import random
from datetime import date

import pytest

from bot.input.dates import MAX_TEXT, DateSpan, DateTextError, period_examples, read_dates

TODAY = date(2026, 11, 30)  # a Monday
WEEK = (date(2026, 11, 21), date(2026, 11, 28))


@pytest.mark.parametrize(
    "text",
    [
        "21.11–28.11",
        "21.11-28.11",
        "21.11 — 28.11",
        " 21.11 -28.11 ",
        "21.11.2026-28.11.2026",
        "21.11.26–28.11.26",
        "21/11/2026 - 28/11/2026",
        "2026-11-21..2026-11-28",
        "2026-11-21 … 2026-11-28",
        "с 21 по 28 ноября",
        "С 21 ПО 28 НОЯБРЯ",
        "21-28 ноября",
        "21–28 ноября",
        "21 – 28 ноября 2026",
        "от 21 до 28 ноября",
        "между 21 и 28 ноября",
        "November 21 - 28",
        "21 Nov – 28 Nov",
        "from 21.11 to 28.11",
        "between 21 and 28 nov",
        "21 ноя – 28 ноя",
        "２１.１１–２８.１１",  # full-width digits
        # A reversed range is the same days, not a year-long span.
        "28.11–21.11",
        "28-21 ноября",
    ],
)
def test_ranges(text: str) -> None:
    assert read_dates(text, TODAY) == DateSpan(*WEEK)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("21 ноября", date(2026, 11, 21), date(2026, 11, 21)),
        ("21.11", date(2026, 11, 21), date(2026, 11, 21)),
        ("21.11.", date(2026, 11, 21), date(2026, 11, 21)),
        ("1.4", date(2026, 4, 1), date(2026, 4, 1)),
        ("21-04-2025", date(2025, 4, 21), date(2025, 4, 21)),
        ("Nov 21, 2025", date(2025, 11, 21), date(2025, 11, 21)),
        ("вчера", date(2026, 11, 29), date(2026, 11, 29)),
        ("Вчера", date(2026, 11, 29), date(2026, 11, 29)),
        ("позавчера", date(2026, 11, 28), date(2026, 11, 28)),
        ("сегодня", TODAY, TODAY),
        ("yesterday", date(2026, 11, 29), date(2026, 11, 29)),
        ("3 дня назад", date(2026, 11, 27), date(2026, 11, 27)),
        # A week is Monday to Sunday.
        ("прошлая неделя", date(2026, 11, 23), date(2026, 11, 29)),
        ("Прошлая неделя", date(2026, 11, 23), date(2026, 11, 29)),
        ("на прошлой неделе", date(2026, 11, 23), date(2026, 11, 29)),
        ("за прошлую неделю", date(2026, 11, 23), date(2026, 11, 29)),
        ("last week", date(2026, 11, 23), date(2026, 11, 29)),
        ("previous week", date(2026, 11, 23), date(2026, 11, 29)),
        ("прошлый месяц", date(2026, 10, 1), date(2026, 10, 31)),
        ("last month", date(2026, 10, 1), date(2026, 10, 31)),
        ("октябрь", date(2026, 10, 1), date(2026, 10, 31)),
        # Later in the year than today: last year's.
        ("20.12", date(2025, 12, 20), date(2025, 12, 20)),
        ("20 декабря", date(2025, 12, 20), date(2025, 12, 20)),
        ("December 20", date(2025, 12, 20), date(2025, 12, 20)),
        # Across the new year when that is the shorter reading.
        ("20.12-05.01", date(2025, 12, 20), date(2026, 1, 5)),
        ("20.12-05.01.2026", date(2025, 12, 20), date(2026, 1, 5)),
        ("20.12.2025-05.01", date(2025, 12, 20), date(2026, 1, 5)),
        ("21 ноября 2025 - 3 января 2026", date(2025, 11, 21), date(2026, 1, 3)),
        ("29.02", date(2024, 2, 29), date(2024, 2, 29)),
        ("2025", date(2025, 1, 1), date(2025, 12, 31)),
    ],
)
def test_dates(text: str, start: date, end: date) -> None:
    assert read_dates(text, TODAY) == DateSpan(start, end)


@pytest.mark.parametrize(
    ("text", "today", "start", "end"),
    [
        # On 2 January, 28.12 is a few days ago, not next December.
        ("28.12", date(2027, 1, 2), date(2026, 12, 28), date(2026, 12, 28)),
        ("28 декабря", date(2027, 1, 2), date(2026, 12, 28), date(2026, 12, 28)),
        ("28.12–21.12", date(2027, 1, 2), date(2026, 12, 21), date(2026, 12, 28)),
        ("28.12-01.01", date(2027, 1, 2), date(2026, 12, 28), date(2027, 1, 1)),
        ("вчера", date(2027, 1, 1), date(2026, 12, 31), date(2026, 12, 31)),
        ("прошлая неделя", date(2027, 1, 3), date(2026, 12, 21), date(2026, 12, 27)),
        ("29.02", date(2028, 3, 1), date(2028, 2, 29), date(2028, 2, 29)),
    ],
)
def test_the_year_follows_today(text: str, today: date, start: date, end: date) -> None:
    assert read_dates(text, today) == DateSpan(start, end)


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("21.11–05.12", date(2026, 11, 21)),
        ("21.11.2026-31.12.2026", date(2026, 11, 21)),
        ("с 1 по 31 декабря", None),
        ("эта неделя", TODAY),
        ("this week", TODAY),
    ],
)
def test_an_end_after_today_is_cut_to_today(text: str, start: date | None) -> None:
    # On 1 December the whole of December is left: it starts today.
    today = TODAY if start is not None else date(2026, 12, 1)
    span = read_dates(text, today)
    assert span.end == today and span.end_clipped
    assert span.start == (start or today)


def test_an_end_up_to_today_is_not_clipped() -> None:
    span = read_dates("21.11–30.11", TODAY)
    assert span == DateSpan(date(2026, 11, 21), TODAY, end_clipped=False)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", DateTextError.FORMAT),
        ("   ", DateTextError.FORMAT),
        ("12", DateTextError.FORMAT),  # a day of which month?
        ("hello", DateTextError.FORMAT),
        ("😀", DateTextError.FORMAT),
        ("10:30", DateTextError.FORMAT),
        ("1700000000", DateTextError.FORMAT),
        ("21.04.2025 28.04.2025", DateTextError.FORMAT),
        ("x" * (MAX_TEXT + 1), DateTextError.FORMAT),
        ("21.11" + " " * MAX_TEXT, DateTextError.FORMAT),
        ("31.02", DateTextError.INVALID_DATE),
        ("32.01.2025", DateTextError.INVALID_DATE),
        ("10.13", DateTextError.INVALID_DATE),
        ("29.02.2025", DateTextError.INVALID_DATE),
        ("0.0", DateTextError.INVALID_DATE),
        ("31 февраля", DateTextError.INVALID_DATE),
        ("31.11–02.12", DateTextError.INVALID_DATE),
        ("28.04.2025-21.04.2025", DateTextError.ORDER),
        ("01.12.2026", DateTextError.FUTURE),
        ("завтра", DateTextError.FUTURE),
        ("tomorrow", DateTextError.FUTURE),
        ("01.12.2026-05.12.2026", DateTextError.FUTURE),
    ],
)
def test_errors(text: str, reason: str) -> None:
    with pytest.raises(DateTextError) as caught:
        read_dates(text, TODAY)
    assert caught.value.reason == reason


_PIECES = [
    "21.11", "28.11", "ноября", "по", "с", "to", "from", "-", "–", "..", "вчера", "last",
    "week", "2026", "9999", "0001", "31", "00", "0", "😀", "\u200b", "\u202e", "ё", "Әсел",
    "1e10", "+5", "Nov", "через", "назад", "ago", "10000000", "31.02", "29.02", "0.0",
    "٣", "𝟚", "\x00", "ﾟ", "..." * 5, "9" * 40, "года", "years",
]  # fmt: skip


def test_never_raises_anything_else() -> None:
    chooser = random.Random(7)
    texts = [" ".join(chooser.choices(_PIECES, k=chooser.randint(1, 8))) for _ in range(400)]
    texts += ["1" * 10**6, "1-" * 50, "21.11-" * 16, "-" * 100, " по" * 33, "\ud800"]
    texts += ["31.12.9999", "9999-12-31..9999-12-31", "01.01.0001", "31.12.0001-01.01.0002"]
    texts += ["1000000 days ago", "через 100000 лет", "10000 лет назад"]
    for text in texts:
        try:
            span = read_dates(text, TODAY)
        except DateTextError:
            pass
        else:
            assert span.start <= span.end <= TODAY


def test_examples_are_readable_past_dates_of_this_year() -> None:
    for today in (TODAY, date(2027, 1, 1), date(2027, 1, 3), date(2026, 3, 1)):
        examples = period_examples(today)
        assert str(today.year) in examples[0]
        for example in examples:
            span = read_dates(example, today)
            assert span.start.year == today.year and not span.end_clipped
    assert period_examples(TODAY) == ("22.11.2026–29.11.2026", "22.11–29.11", "22.11")
