"""When a digest runs and which local days it covers.

Next run times come from APScheduler's ``CronTrigger`` evaluated in the
subscription's own time zone, so 09:00 stays 09:00 local across DST changes;
they are stored in UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from bot.digest.model import ALL_DAYS, WORKING_DAYS, Cadence, PeriodMode, Schedule

_DAY_NAMES: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

LATE_NOTE_AFTER: Final = timedelta(minutes=10)
"""A digest sent later than this after its due time says it is late."""

MISSED_AFTER: Final = timedelta(hours=12)
"""A digest more than this late is not sent at all and is recorded as missed."""


def zone(schedule: Schedule) -> ZoneInfo:
    return ZoneInfo(schedule.timezone)


def _day_of_week(days: frozenset[int]) -> str | None:
    if days == ALL_DAYS:
        return None
    return ",".join(_DAY_NAMES[day] for day in sorted(days))


def trigger(schedule: Schedule) -> CronTrigger:
    if schedule.cadence is Cadence.MONTHLY:
        return CronTrigger(
            day=1, hour=schedule.hour, minute=schedule.minute, timezone=zone(schedule)
        )
    return CronTrigger(
        hour=schedule.hour,
        minute=schedule.minute,
        day_of_week=_day_of_week(schedule.run_days),
        timezone=zone(schedule),
    )


def next_run_at_or_after(schedule: Schedule, moment: datetime) -> datetime:
    """The first run at or after ``moment`` (aware), in UTC."""
    if moment.utcoffset() is None:
        raise ValueError("moment must be timezone-aware")
    local = moment.astimezone(zone(schedule))
    fire: datetime | None = trigger(schedule).get_next_fire_time(None, local)
    if fire is None:  # a cron of hour+minute always fires again; guard for mypy
        raise RuntimeError("the schedule never fires")
    return fire.astimezone(UTC)


def next_run_after(schedule: Schedule, moment: datetime) -> datetime:
    """The first run strictly after ``moment``, in UTC.

    CronTrigger rounds a fractional second up, so one microsecond past
    ``moment`` lands on the next whole second.
    """
    return next_run_at_or_after(schedule, moment + timedelta(microseconds=1))


def previous_run_day(schedule: Schedule, day: date) -> date:
    """The latest scheduled day strictly before ``day`` (at most a week back)."""
    run_days = schedule.run_days
    for back in range(1, 8):
        candidate = day - timedelta(days=back)
        if candidate.weekday() in run_days:
            return candidate
    return day - timedelta(days=7)


def covered_days(schedule: Schedule, mode: PeriodMode, run_day: date) -> tuple[date, date]:
    """The inclusive local dates a run on ``run_day`` reports on.

    Weekly: the last complete Monday–Sunday before ``run_day``. Monthly: the month
    before ``run_day``'s. Daily (``mode``): they end yesterday; ``AUTO`` covers the days
    since the previous scheduled day: the previous day when the digest runs daily,
    Friday–Sunday on a Monday with working days.
    """
    end = run_day - timedelta(days=1)
    match schedule.cadence:
        case Cadence.WEEKLY:
            monday = run_day - timedelta(days=run_day.weekday())
            return monday - timedelta(days=7), monday - timedelta(days=1)
        case Cadence.MONTHLY:
            last = run_day.replace(day=1) - timedelta(days=1)
            return last.replace(day=1), last
        case Cadence.DAILY:
            pass
    match mode:
        case PeriodMode.DAY:
            return end, end
        case PeriodMode.WEEK:
            return run_day - timedelta(days=7), end
        case PeriodMode.AUTO:
            return previous_run_day(schedule, run_day), end


def local_run_day(schedule: Schedule, due: datetime) -> date:
    return due.astimezone(zone(schedule)).date()


def is_working_days(schedule: Schedule) -> bool:
    return schedule.run_days == WORKING_DAYS
