from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.query.model import (
    CustomPeriod,
    Period,
    PeriodError,
    PeriodKind,
    Window,
    parse_custom_period,
    previous_window,
    read_custom_period,
    resolve_period,
)

ALMATY = ZoneInfo("Asia/Almaty")
MOSCOW = ZoneInfo("Europe/Moscow")
NEW_YORK = ZoneInfo("America/New_York")


def midnight_utc(day: date, tz: ZoneInfo) -> datetime:
    """The instant local midnight of ``day`` happens, computed from the zone's offset."""
    offset = tz.utcoffset(datetime(day.year, day.month, day.day, 12))
    assert offset is not None
    return datetime(day.year, day.month, day.day, tzinfo=UTC) - offset


def assert_window(window: Window, start: datetime, end: datetime) -> None:
    assert window.start is not None and window.end is not None
    assert window.start.astimezone(UTC) == start
    assert window.end.astimezone(UTC) == end


# --- named periods across local midnight -------------------------------------


def test_today_switches_at_local_midnight_not_utc_midnight() -> None:
    day = date(2025, 4, 21)
    next_midnight = midnight_utc(day + timedelta(days=1), ALMATY)
    before = next_midnight - timedelta(minutes=1)
    after = next_midnight + timedelta(minutes=1)

    today_before = resolve_period(Period(PeriodKind.TODAY), ALMATY, before)
    assert_window(today_before, midnight_utc(day, ALMATY), next_midnight)

    today_after = resolve_period(Period(PeriodKind.TODAY), ALMATY, after)
    assert_window(today_after, next_midnight, midnight_utc(day + timedelta(days=2), ALMATY))
    # Both instants are on the same UTC date, yet on different local days.
    assert before.date() == after.date()


def test_yesterday_d7_d30_and_all() -> None:
    now = datetime(2025, 4, 21, 9, 0, tzinfo=ALMATY)
    day = date(2025, 4, 21)
    tomorrow = midnight_utc(day + timedelta(days=1), ALMATY)
    assert_window(
        resolve_period(Period(PeriodKind.YESTERDAY), ALMATY, now),
        midnight_utc(day - timedelta(days=1), ALMATY),
        midnight_utc(day, ALMATY),
    )
    assert_window(
        resolve_period(Period(PeriodKind.D7), ALMATY, now),
        midnight_utc(day - timedelta(days=6), ALMATY),
        tomorrow,
    )
    assert_window(
        resolve_period(Period(PeriodKind.D30), ALMATY, now),
        midnight_utc(day - timedelta(days=29), ALMATY),
        tomorrow,
    )
    everything = resolve_period(Period(PeriodKind.ALL), ALMATY, now)
    assert everything == Window(None, None)
    assert previous_window(everything) is None
    assert everything.contains(None)


def test_custom_period_covers_whole_local_days() -> None:
    now = datetime(2025, 5, 1, tzinfo=UTC)
    window = resolve_period(Period.custom(date(2025, 4, 21), date(2025, 4, 28)), MOSCOW, now)
    assert_window(
        window, midnight_utc(date(2025, 4, 21), MOSCOW), midnight_utc(date(2025, 4, 29), MOSCOW)
    )


def test_record_offset_differs_from_chat_zone() -> None:
    """A call stamped 00:30+05 on the 22nd is still the 21st for a chat in Moscow (+03)."""
    stamp = datetime.fromisoformat("2025-04-22 00:30:00+05")
    now = datetime(2025, 4, 21, 20, 0, tzinfo=MOSCOW)
    moscow_today = resolve_period(Period(PeriodKind.TODAY), MOSCOW, now)
    assert moscow_today.contains(stamp)

    almaty_now = datetime(2025, 4, 21, 20, 0, tzinfo=ALMATY)
    almaty_today = resolve_period(Period(PeriodKind.TODAY), ALMATY, almaty_now)
    expected_in_almaty = stamp.astimezone(ALMATY).date() == date(2025, 4, 21)
    assert almaty_today.contains(stamp) is expected_in_almaty


def test_window_boundaries_are_half_open() -> None:
    now = datetime(2025, 4, 21, 12, 0, tzinfo=ALMATY)
    window = resolve_period(Period(PeriodKind.TODAY), ALMATY, now)
    assert window.start is not None and window.end is not None
    assert window.contains(window.start)
    assert not window.contains(window.end)
    assert window.contains(window.end - timedelta(microseconds=1))
    assert not window.contains(window.start - timedelta(microseconds=1))
    assert not window.contains(None)
    # A naive timestamp cannot be placed in time.
    assert not window.contains(datetime(2025, 4, 21, 12, 0))


# --- DST -----------------------------------------------------------------------


def test_new_york_day_of_spring_forward_is_23_hours() -> None:
    now = datetime(2025, 3, 9, 15, 0, tzinfo=NEW_YORK)
    window = resolve_period(Period(PeriodKind.TODAY), NEW_YORK, now)
    assert window.start is not None and window.end is not None
    assert window.end.astimezone(UTC) - window.start.astimezone(UTC) == timedelta(hours=23)
    assert window.start.utcoffset() != window.end.utcoffset()


def test_new_york_week_across_fall_back() -> None:
    now = datetime(2025, 11, 5, 10, 0, tzinfo=NEW_YORK)
    week = resolve_period(Period(PeriodKind.D7), NEW_YORK, now)
    assert week.start is not None and week.end is not None
    assert week.start.astimezone(UTC) == datetime(2025, 10, 30, 4, 0, tzinfo=UTC)  # EDT
    assert week.end.astimezone(UTC) == datetime(2025, 11, 6, 5, 0, tzinfo=UTC)  # EST
    assert week.end.astimezone(UTC) - week.start.astimezone(UTC) == timedelta(days=7, hours=1)
    # 00:30 local on the first day, during daylight time, is inside.
    assert week.contains(datetime(2025, 10, 30, 4, 30, tzinfo=UTC))
    assert not week.contains(datetime(2025, 10, 30, 3, 59, tzinfo=UTC))

    earlier = previous_window(week)
    assert earlier is not None and earlier.start is not None
    # The previous seven calendar days, all in daylight time.
    assert earlier.start.astimezone(UTC) == datetime(2025, 10, 23, 4, 0, tzinfo=UTC)
    assert earlier.end == week.start


def test_previous_window_of_yesterday_across_spring_forward() -> None:
    now = datetime(2025, 3, 10, 8, 0, tzinfo=NEW_YORK)
    yesterday = resolve_period(Period(PeriodKind.YESTERDAY), NEW_YORK, now)
    before = previous_window(yesterday)
    assert before is not None and before.start is not None and before.end is not None
    assert before.start.astimezone(UTC) == datetime(2025, 3, 8, 5, 0, tzinfo=UTC)
    assert before.end.astimezone(UTC) == datetime(2025, 3, 9, 5, 0, tzinfo=UTC)


def test_previous_window_of_an_arbitrary_window_has_the_same_length() -> None:
    start = datetime(2025, 4, 21, 10, 30, tzinfo=timezone(timedelta(hours=5)))
    window = Window(start, start + timedelta(hours=5))
    before = previous_window(window)
    assert before == Window(start - timedelta(hours=5), start)
    assert previous_window(Window(start, None)) is None


def test_previous_of_today_is_yesterday() -> None:
    now = datetime(2025, 4, 21, 12, 0, tzinfo=ALMATY)
    today = resolve_period(Period(PeriodKind.TODAY), ALMATY, now)
    assert previous_window(today) == resolve_period(Period(PeriodKind.YESTERDAY), ALMATY, now)


def test_today_so_far_is_compared_with_yesterday_until_the_same_time() -> None:
    now = datetime(2025, 4, 21, 11, 0, tzinfo=UTC)  # 16:00 in Almaty
    today = resolve_period(Period(PeriodKind.TODAY), ALMATY, now)
    before = previous_window(today, now)
    assert before == Window(
        datetime(2025, 4, 20, 0, 0, tzinfo=ALMATY), datetime(2025, 4, 20, 16, 0, tzinfo=ALMATY)
    )
    # A period that is over is compared whole.
    yesterday = resolve_period(Period(PeriodKind.YESTERDAY), ALMATY, now)
    assert previous_window(yesterday, now) == previous_window(yesterday)


def test_running_week_across_fall_back_stops_at_the_same_local_time() -> None:
    now = datetime(2025, 11, 5, 10, 0, tzinfo=NEW_YORK)  # EST; a week ago it was EDT
    week = resolve_period(Period(PeriodKind.D7), NEW_YORK, now)
    before = previous_window(week, now)
    assert before is not None and before.end is not None
    assert before.end.astimezone(UTC) == datetime(2025, 10, 29, 14, 0, tzinfo=UTC)  # 10:00 EDT


def test_running_arbitrary_window_stops_after_the_same_elapsed_time() -> None:
    start = datetime(2025, 4, 21, 10, 30, tzinfo=timezone(timedelta(hours=5)))
    window = Window(start, start + timedelta(hours=5))
    before = previous_window(window, start + timedelta(hours=2))
    assert before == Window(start - timedelta(hours=5), start - timedelta(hours=3))


def test_aware_now_is_required() -> None:
    with pytest.raises(ValueError):
        resolve_period(Period(PeriodKind.TODAY), ALMATY, datetime(2025, 4, 21, 12, 0))


# --- custom period parsing --------------------------------------------------------

TODAY = date(2025, 5, 10)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("21.04.2025", date(2025, 4, 21), date(2025, 4, 21)),
        ("21.04", date(2025, 4, 21), date(2025, 4, 21)),
        ("21.04.25", date(2025, 4, 21), date(2025, 4, 21)),
        ("1.4", date(2025, 4, 1), date(2025, 4, 1)),
        ("21.04–28.04", date(2025, 4, 21), date(2025, 4, 28)),
        ("21.04-28.04", date(2025, 4, 21), date(2025, 4, 28)),
        ("21.04 — 28.04", date(2025, 4, 21), date(2025, 4, 28)),
        (" 21.04 -28.04 ", date(2025, 4, 21), date(2025, 4, 28)),
        ("21.04.2025-28.04.2025", date(2025, 4, 21), date(2025, 4, 28)),
        ("21.04.25–28.04.25", date(2025, 4, 21), date(2025, 4, 28)),
        # A date later in the year than today means last year.
        ("20.12", date(2024, 12, 20), date(2024, 12, 20)),
        ("20.12-05.01", date(2024, 12, 20), date(2025, 1, 5)),
        ("20.12-05.01.2025", date(2024, 12, 20), date(2025, 1, 5)),
        ("20.12.2024-05.01", date(2024, 12, 20), date(2025, 1, 5)),
        # The end after today is cut to today.
        ("01.05-31.05", date(2025, 5, 1), date(2025, 5, 10)),
        ("29.02", date(2024, 2, 29), date(2024, 2, 29)),
        # Words and other spellings.
        ("21-04-2025", date(2025, 4, 21), date(2025, 4, 21)),
        ("21.04..28.04", date(2025, 4, 21), date(2025, 4, 28)),
        ("2025-04-21..2025-04-28", date(2025, 4, 21), date(2025, 4, 28)),
        ("с 21 по 28 апреля", date(2025, 4, 21), date(2025, 4, 28)),
        ("April 21 - 28", date(2025, 4, 21), date(2025, 4, 28)),
        ("вчера", date(2025, 5, 9), date(2025, 5, 9)),
        ("прошлая неделя", date(2025, 4, 28), date(2025, 5, 4)),
        ("28.04–21.04", date(2025, 4, 21), date(2025, 4, 28)),
    ],
)
def test_parse_custom_period(text: str, start: date, end: date) -> None:
    assert parse_custom_period(text, TODAY) == Period.custom(start, end)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", PeriodError.FORMAT),
        ("когда-нибудь", PeriodError.FORMAT),
        ("21", PeriodError.FORMAT),
        ("21.04.2025 28.04.2025", PeriodError.FORMAT),
        ("21.04" * 30, PeriodError.FORMAT),
        ("31.02", PeriodError.INVALID_DATE),
        ("32.01.2025", PeriodError.INVALID_DATE),
        ("10.13", PeriodError.INVALID_DATE),
        ("29.02.2025", PeriodError.INVALID_DATE),
        ("28.04.2025-21.04.2025", PeriodError.ORDER),
        ("01.06.2025", PeriodError.FUTURE),
        ("завтра", PeriodError.FUTURE),
        ("01.01.2024-02.01.2025", PeriodError.TOO_LONG),
        ("2024-01-01..2025-05-10", PeriodError.TOO_LONG),
    ],
)
def test_parse_custom_period_errors(text: str, reason: str) -> None:
    with pytest.raises(PeriodError) as caught:
        parse_custom_period(text, TODAY)
    assert caught.value.reason == reason
    assert isinstance(caught.value, ValueError)


def test_range_of_exactly_366_days_is_accepted() -> None:
    period = parse_custom_period("01.01.2024-31.12.2024", TODAY)
    assert period.start is not None and period.end is not None
    assert (period.end - period.start).days + 1 == 366


@pytest.mark.parametrize(
    ("text", "period", "clipped"),
    [
        ("01.05-31.05", Period.custom(date(2025, 5, 1), date(2025, 5, 10)), True),
        ("01.05.2025-01.06.2025", Period.custom(date(2025, 5, 1), date(2025, 5, 10)), True),
        ("01.05-10.05", Period.custom(date(2025, 5, 1), date(2025, 5, 10)), False),
        ("на этой неделе", Period.custom(date(2025, 5, 5), date(2025, 5, 10)), True),
        ("вчера", Period.custom(date(2025, 5, 9)), False),
    ],
)
def test_read_custom_period_says_when_the_end_was_cut(
    text: str, period: Period, clipped: bool
) -> None:
    assert read_custom_period(text, TODAY) == CustomPeriod(period, clipped)
    assert parse_custom_period(text, TODAY) == period


def test_a_clipped_range_is_measured_after_the_cut() -> None:
    # 579 days as typed, but only 365 of them have come: the length counts those.
    read = read_custom_period("01.06.2024-31.12.2025", date(2025, 5, 31))
    assert read.end_clipped
    assert read.period == Period.custom(date(2024, 6, 1), date(2025, 5, 31))
