"""Next run times (CronTrigger in the subscription's zone) and the periods runs cover."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.clock import ShiftedClock, clock_from_env, system_clock
from bot.digest.model import DaysMode, PeriodMode, Schedule
from bot.digest.schedule import (
    covered_days,
    local_run_day,
    next_run_after,
    next_run_at_or_after,
    previous_run_day,
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_almaty_next_run_is_nine_local_which_is_four_utc() -> None:
    schedule = Schedule(9, 0, "Asia/Almaty")
    assert next_run_at_or_after(schedule, at("2025-11-20T08:59:00+05:00")) == datetime(
        2025, 11, 20, 4, 0, tzinfo=UTC
    )
    # Already past 09:00 local: tomorrow.
    assert next_run_at_or_after(schedule, at("2025-11-20T09:00:01+05:00")) == datetime(
        2025, 11, 21, 4, 0, tzinfo=UTC
    )


def test_at_or_after_includes_the_exact_instant_and_after_excludes_it() -> None:
    schedule = Schedule(9, 0, "Asia/Almaty")
    due = at("2025-11-20T09:00:00+05:00")
    assert next_run_at_or_after(schedule, due) == due
    assert next_run_after(schedule, due) == at("2025-11-21T09:00:00+05:00")


def test_moscow_next_run() -> None:
    schedule = Schedule(18, 30, "Europe/Moscow")
    result = next_run_after(schedule, at("2025-11-20T18:30:00+03:00"))
    assert result == datetime(2025, 11, 21, 15, 30, tzinfo=UTC)
    assert result.tzinfo is UTC


def test_dst_zone_keeps_local_time_across_both_changes() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    schedule = Schedule(9, 0, "Europe/Berlin")
    # Spring forward on 30 March 2025: 09:00 is 08:00 UTC before, 07:00 UTC after.
    before = next_run_after(schedule, at("2025-03-28T09:00:00+01:00"))
    spring = next_run_after(schedule, before)
    after = next_run_after(schedule, spring)
    assert before == datetime(2025, 3, 29, 8, 0, tzinfo=UTC)
    assert spring == datetime(2025, 3, 30, 7, 0, tzinfo=UTC)
    assert after == datetime(2025, 3, 31, 7, 0, tzinfo=UTC)
    # Fall back on 26 October 2025.
    autumn = next_run_after(schedule, at("2025-10-25T09:00:00+02:00"))
    assert autumn == datetime(2025, 10, 26, 8, 0, tzinfo=UTC)
    for moment in (before, spring, after, autumn):
        local = moment.astimezone(berlin)
        assert (local.hour, local.minute) == (9, 0)


def test_time_skipped_by_dst_runs_once_that_day() -> None:
    schedule = Schedule(2, 30, "Europe/Berlin")
    result = next_run_after(schedule, at("2025-03-29T03:00:00+01:00"))
    # 02:30 does not exist on 30 March; the run still happens that day, once.
    assert result.astimezone(ZoneInfo("Europe/Berlin")).date() == date(2025, 3, 30)
    following = next_run_after(schedule, result)
    assert following.astimezone(ZoneInfo("Europe/Berlin")).date() == date(2025, 3, 31)


def test_working_days_skip_the_weekend() -> None:
    schedule = Schedule(9, 0, "Asia/Almaty", DaysMode.WORKDAYS)
    friday = at("2025-11-21T09:00:00+05:00")
    monday = next_run_after(schedule, friday)
    assert monday == at("2025-11-24T09:00:00+05:00")
    assert monday.astimezone(ZoneInfo("Asia/Almaty")).weekday() == 0


def test_chosen_weekdays() -> None:
    schedule = Schedule(10, 0, "Asia/Almaty", DaysMode.WEEKDAYS, frozenset({1, 3}))  # Tue, Thu
    first = next_run_after(schedule, at("2025-11-20T10:00:00+05:00"))  # Thursday's run
    assert first == at("2025-11-25T10:00:00+05:00")  # Tuesday
    assert next_run_after(schedule, first) == at("2025-11-27T10:00:00+05:00")  # Thursday


def test_every_day_covers_the_previous_local_day() -> None:
    schedule = Schedule(9, 0, "Asia/Almaty")
    monday = date(2025, 11, 24)
    assert covered_days(schedule, PeriodMode.AUTO, monday) == (date(2025, 11, 23),) * 2


def test_monday_with_working_days_covers_friday_to_sunday() -> None:
    schedule = Schedule(9, 0, "Asia/Almaty", DaysMode.WORKDAYS)
    assert covered_days(schedule, PeriodMode.AUTO, date(2025, 11, 24)) == (
        date(2025, 11, 21),
        date(2025, 11, 23),
    )
    # Tuesday covers Monday only.
    assert covered_days(schedule, PeriodMode.AUTO, date(2025, 11, 25)) == (
        date(2025, 11, 24),
        date(2025, 11, 24),
    )


def test_other_period_modes() -> None:
    schedule = Schedule(9, 0, "Asia/Almaty", DaysMode.WORKDAYS)
    monday = date(2025, 11, 24)
    assert covered_days(schedule, PeriodMode.DAY, monday) == (date(2025, 11, 23),) * 2
    assert covered_days(schedule, PeriodMode.WEEK, monday) == (
        date(2025, 11, 17),
        date(2025, 11, 23),
    )
    weekly = Schedule(9, 0, "Asia/Almaty", DaysMode.WEEKDAYS, frozenset({0}))
    assert previous_run_day(weekly, monday) == date(2025, 11, 17)
    assert covered_days(weekly, PeriodMode.AUTO, monday) == (
        date(2025, 11, 17),
        date(2025, 11, 23),
    )


def test_run_day_is_local_not_utc() -> None:
    schedule = Schedule(1, 0, "Asia/Almaty")
    due = at("2025-11-24T01:00:00+05:00")  # still Sunday 20:00 in UTC
    assert due.astimezone(UTC).date() == date(2025, 11, 23)
    assert local_run_day(schedule, due) == date(2025, 11, 24)


def test_invalid_schedules_are_refused() -> None:
    with pytest.raises(ValueError):
        Schedule(24, 0)
    with pytest.raises(ValueError):
        Schedule(9, 0, "Asia/Almaty", DaysMode.WEEKDAYS, frozenset())
    with pytest.raises(ValueError):
        next_run_after(Schedule(), datetime(2025, 11, 20, 9, 0))


def test_bot_clock_starts_at_the_given_instant_and_advances_in_real_time() -> None:
    readings = iter([100.0, 100.0, 130.5])
    clock = ShiftedClock(at("2025-11-21T08:59:50+05:00"), monotonic=lambda: next(readings))
    assert clock() == at("2025-11-21T08:59:50+05:00")
    assert clock() == at("2025-11-21T09:00:20.500000+05:00")
    from_env = clock_from_env({"BOT_CLOCK": "2025-11-21T08:59:50+05:00"})
    assert isinstance(from_env, ShiftedClock)
    assert abs(from_env() - at("2025-11-21T08:59:50+05:00")) < timedelta(seconds=5)
    naive = clock_from_env({"BOT_CLOCK": "2025-11-21T03:59:50"})
    assert abs(naive() - datetime(2025, 11, 21, 3, 59, 50, tzinfo=UTC)) < timedelta(seconds=5)
    assert clock_from_env({}) is system_clock
    with pytest.raises(ValueError):
        clock_from_env({"BOT_CLOCK": "tomorrow at nine"})
