"""Quiet hours in the rule's zone, across midnight and DST changes; what they held goes
out as one message when they end."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.alerts.model import QuietHours
from bot.alerts.quiet import is_quiet, quiet_until
from tests.unit.test_alerts_support import make_world, record

BERLIN = ZoneInfo("Europe/Berlin")
NIGHT = QuietHours()  # 21:00–08:00


def berlin(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


def test_quiet_hours_span_midnight() -> None:
    assert not is_quiet(NIGHT, berlin(3, 10, 20, 59), BERLIN)
    assert quiet_until(NIGHT, berlin(3, 10, 21), BERLIN) == berlin(3, 11, 8)
    assert quiet_until(NIGHT, berlin(3, 11, 7, 59), BERLIN) == berlin(3, 11, 8)
    assert not is_quiet(NIGHT, berlin(3, 11, 8), BERLIN)
    day = QuietHours(time(12, 0), time(13, 0))
    assert quiet_until(day, berlin(3, 11, 12, 30), BERLIN) == berlin(3, 11, 13)
    assert quiet_until(None, berlin(3, 11, 22), BERLIN) is None


def test_a_night_that_loses_or_gains_an_hour_ends_at_eight_local() -> None:
    # 29 March 2026: clocks go from 02:00 CET to 03:00 CEST; 25 October: back.
    spring = quiet_until(NIGHT, berlin(3, 28, 22), BERLIN)
    assert spring == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)
    autumn = quiet_until(NIGHT, berlin(10, 24, 22), BERLIN)
    assert autumn == datetime(2026, 10, 25, 7, 0, tzinfo=UTC)
    # Ending at a time the spring night skips: right after the gap.
    odd = QuietHours(time(22, 0), time(2, 30))
    assert quiet_until(odd, berlin(3, 28, 23), BERLIN) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


async def test_alerts_of_the_night_come_as_one_message_when_it_ends(tmp_path: Path) -> None:
    evening = berlin(3, 28, 20)
    world = await make_world(tmp_path, [], evening)
    try:
        await world.rule(timezone="Europe/Berlin", quiet=NIGHT)
        poller = world.poller()
        await poller.poll_once()
        night = [
            record(7001, berlin(3, 28, 21, 30), rating=1, operator="Вечерний Звонок"),
            record(7002, datetime(2026, 3, 29, 1, 30, tzinfo=UTC), rating=2),  # 03:30 CEST
        ]
        world.aiokk.serve(night[:1])
        world.clock.set(berlin(3, 28, 21, 35))
        await poller.poll_once()
        world.aiokk.serve(night)
        world.clock.set(datetime(2026, 3, 29, 1, 35, tzinfo=UTC))
        await poller.poll_once()
        world.clock.set(datetime(2026, 3, 29, 5, 55, tzinfo=UTC))  # 07:55 CEST
        await poller.poll_once()
        assert world.texts() == [], "quiet"

        world.clock.set(datetime(2026, 3, 29, 6, 0, tzinfo=UTC))  # 08:00 CEST
        await poller.poll_once()
        [message] = world.sent()
        assert "За тихие часы — критичные звонки: 2" in message["text"]
        assert "28.03 21:30" in message["text"] and "03:30" in message["text"]
        assert len(message["reply_markup"]["inline_keyboard"]) == 2
        world.clock.advance(timedelta(minutes=5))
        await poller.poll_once()
        assert len(world.sent()) == 1
    finally:
        await world.close()


async def test_what_a_rule_held_overnight_is_dropped_when_it_is_paused(tmp_path: Path) -> None:
    world = await make_world(tmp_path, [], berlin(3, 10, 20))
    try:
        rule = await world.rule(timezone="Europe/Berlin", quiet=NIGHT)
        poller = world.poller()
        await poller.poll_once()
        world.aiokk.serve([record(7101, berlin(3, 10, 22), rating=1)])
        world.clock.set(berlin(3, 10, 22, 5))
        await poller.poll_once()  # held until 08:00
        await world.repo.set_paused(rule.id, True, world.clock(), "user")
        world.clock.set(berlin(3, 11, 8, 0))
        report = await poller.poll_once()
        assert world.texts() == [] and report["skipped"] == 1
    finally:
        await world.close()
