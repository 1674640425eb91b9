"""Weekly and monthly digests: when they run, which period they cover, storage, the wizard,
and exactly one run per covered week across claimers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.digest.claims import Claimer
from bot.digest.model import Cadence, DaysMode, PeriodMode, Schedule, Subscription
from bot.digest.naming import schedule_text
from bot.digest.schedule import covered_days, local_run_day, next_run_after, next_run_at_or_after
from handlers.digests.callbacks import Field
from handlers.digests.editing import apply_choice
from storage.db import Database
from storage.digests import DigestRepo, subscription_from_row, subscription_to_row
from storage.migrations import MIGRATIONS, apply_migrations
from tests.unit.test_digest_support import almaty, make_world

BERLIN = "Europe/Berlin"


def weekly(day: int = 0, tz: str = "Asia/Almaty") -> Schedule:
    return Schedule.weekly(day, hour=9, minute=0, timezone=tz)


def monthly(tz: str = "Asia/Almaty") -> Schedule:
    return Schedule.monthly(hour=9, minute=0, timezone=tz)


def local(schedule: Schedule, moment: datetime) -> datetime:
    return moment.astimezone(ZoneInfo(schedule.timezone))


def test_weekly_runs_on_its_weekday_and_covers_the_previous_monday_to_sunday() -> None:
    schedule = weekly(2)  # Wednesdays
    due = next_run_at_or_after(schedule, almaty(2026, 11, 23, 10, 30))
    assert local(schedule, due) == almaty(2026, 11, 25, 9, 0)
    period = covered_days(schedule, PeriodMode.AUTO, local_run_day(schedule, due))
    assert period == (date(2026, 11, 16), date(2026, 11, 22))


def test_weekly_across_new_year() -> None:
    schedule = weekly(0)
    due = next_run_after(schedule, almaty(2028, 12, 28, 12, 0))
    assert local(schedule, due) == almaty(2029, 1, 1, 9, 0)
    assert covered_days(schedule, PeriodMode.AUTO, date(2029, 1, 1)) == (
        date(2028, 12, 25),
        date(2028, 12, 31),
    )


def test_weekly_keeps_local_time_across_dst_in_berlin() -> None:
    schedule = weekly(0, BERLIN)
    before = next_run_after(schedule, datetime(2026, 10, 20, tzinfo=UTC))
    after = next_run_after(schedule, before)
    assert before == datetime(2026, 10, 26, 8, 0, tzinfo=UTC)  # CET since 25 Oct
    assert after == datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    spring = next_run_after(schedule, datetime(2026, 3, 24, tzinfo=UTC))
    assert spring == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)  # CEST since 29 Mar
    assert covered_days(schedule, PeriodMode.AUTO, local_run_day(schedule, spring)) == (
        date(2026, 3, 23),
        date(2026, 3, 29),
    )


def test_monthly_runs_on_the_first_and_covers_the_previous_month() -> None:
    schedule = monthly()
    due = next_run_after(schedule, almaty(2028, 2, 29, 23, 0))
    assert local(schedule, due) == almaty(2028, 3, 1, 9, 0)
    assert covered_days(schedule, PeriodMode.DAY, date(2028, 3, 1)) == (
        date(2028, 2, 1),
        date(2028, 2, 29),
    )
    # Created on the 31st: the next run is the 1st, about the month that ends that day.
    from_31st = next_run_after(schedule, almaty(2026, 7, 31, 12, 0))
    assert local(schedule, from_31st) == almaty(2026, 8, 1, 9, 0)
    assert covered_days(schedule, PeriodMode.AUTO, date(2026, 8, 1)) == (
        date(2026, 7, 1),
        date(2026, 7, 31),
    )
    assert covered_days(schedule, PeriodMode.AUTO, date(2027, 1, 1)) == (
        date(2026, 12, 1),
        date(2026, 12, 31),
    )


def test_monthly_in_berlin_after_the_clocks_change() -> None:
    schedule = monthly(BERLIN)
    assert next_run_after(schedule, datetime(2026, 10, 15, tzinfo=UTC)) == datetime(
        2026, 11, 1, 8, 0, tzinfo=UTC
    )
    assert next_run_after(schedule, datetime(2026, 3, 15, tzinfo=UTC)) == datetime(
        2026, 4, 1, 7, 0, tzinfo=UTC
    )


def test_a_weekly_schedule_has_exactly_one_weekday() -> None:
    with pytest.raises(ValueError):
        Schedule(days=DaysMode.WEEKDAYS, weekdays=frozenset({0, 1}), cadence=Cadence.WEEKLY)
    with pytest.raises(ValueError):
        Schedule(days=DaysMode.WORKDAYS, cadence=Cadence.MONTHLY)


def test_the_card_and_list_say_the_cadence() -> None:
    sub = Subscription(chat_id=1, owner_user_id=1, created_by=1, schedule=weekly(0))
    assert schedule_text(sub, "ru") == "по понедельникам в 09:00 (Asia/Almaty), за прошлую неделю"
    monthly_sub = sub.with_(schedule=monthly())
    assert schedule_text(monthly_sub, "en") == (
        "on the 1st of each month at 09:00 (Asia/Almaty), for the previous month"
    )


def test_the_wizard_switches_cadence_and_weekday() -> None:
    sub = Subscription(chat_id=1, owner_user_id=1, created_by=1)
    changed = apply_choice(sub, Field.CADENCE, Cadence.WEEKLY)
    assert changed is not None
    weekly_sub = changed[0]
    assert weekly_sub.schedule.cadence is Cadence.WEEKLY
    assert weekly_sub.schedule.weekdays == frozenset({0})
    moved = apply_choice(weekly_sub, Field.WEEKDAY, "4")
    assert moved is not None and moved[0].schedule.weekdays == frozenset({4})
    back = apply_choice(moved[0], Field.DAYS, DaysMode.DAILY)
    assert back is not None and back[0].schedule.cadence is Cadence.DAILY
    monthly_sub = apply_choice(sub, Field.CADENCE, Cadence.MONTHLY)
    assert monthly_sub is not None and monthly_sub[0].schedule.cadence is Cadence.MONTHLY
    assert apply_choice(sub, Field.CADENCE, "yearly") is None
    assert apply_choice(sub, Field.WEEKDAY, "9") is None


def test_rows_keep_the_cadence_and_old_drafts_are_daily() -> None:
    sub = Subscription(chat_id=1, owner_user_id=1, created_by=1, schedule=weekly(3))
    row = subscription_to_row(sub)
    assert subscription_from_row(row).schedule == sub.schedule
    del row["cadence"]
    assert subscription_from_row(row).schedule.cadence is Cadence.DAILY


async def test_migration_7_keeps_existing_subscriptions_daily(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "old.sqlite3", migrations=MIGRATIONS[:6])
    try:
        await db.execute(
            "INSERT INTO digest_subscriptions (chat_id, owner_user_id, created_by, hour, minute,"
            " timezone, days, weekdays, period, scope, signals, attachment, created_at,"
            " updated_at) VALUES (1, 1, 1, 9, 0, 'Asia/Almaty', 'daily', '', 'auto', '{}', '[]',"
            " 'none', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')"
        )
        assert await apply_migrations(db) == 7
        (sub,) = await DigestRepo(db).for_chat(1)
        assert sub.schedule.cadence is Cadence.DAILY
    finally:
        await db.close()


async def test_a_weekly_period_is_claimed_once_across_claimers_and_restarts(
    tmp_path: Path,
) -> None:
    world = await make_world(tmp_path, start=almaty(2025, 11, 23, 12, 0))
    try:
        sub = await world.subscribe(schedule=weekly(0))
        assert sub.next_run is not None
        assert local(sub.schedule, sub.next_run) == almaty(2025, 11, 24, 9)
        world.clock.set(almaty(2025, 11, 24, 9, 1))
        other = Claimer(world.repo, world.clock, owner="test-b")
        first = await world.claimer.claim_subscription(sub.id)
        second = await other.claim_subscription(sub.id)
        assert first is not None and second is None
        assert first.period == (date(2025, 11, 17), date(2025, 11, 23))
        # The time is changed and the subscription saved again: the week is not sent twice.
        await world.service.save(sub.with_(schedule=weekly(0).with_(hour=10)))
        world.clock.set(almaty(2025, 11, 24, 10, 1))
        assert await other.claim_subscription(sub.id) is None
        runs = await world.repo.runs_of(sub.id)
        assert [(run.period_start, run.period_end) for run in runs] == [first.period]
        stored = await world.repo.get(sub.id)
        assert stored is not None and stored.next_run is not None
        assert local(stored.schedule, stored.next_run) == almaty(2025, 12, 1, 10, 0)
    finally:
        await world.close()
