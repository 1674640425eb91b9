"""Quiet hours: whether an instant falls in them, and when they end, in the rule's zone.

Computed on wall-clock times of the rule's zone, then turned into instants, so a night
that loses or gains an hour to DST still ends at its local time (08:00 is 08:00).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.alerts.model import QuietHours


def _instant(day: date, moment: time, tz: ZoneInfo) -> datetime:
    """``day`` at ``moment`` in ``tz``; a time skipped by DST lands just after the gap."""
    return datetime.combine(day, moment, tzinfo=tz).astimezone(UTC)


def is_quiet(quiet: QuietHours | None, now: datetime, tz: ZoneInfo) -> bool:
    if quiet is None:
        return False
    local = now.astimezone(tz).time().replace(tzinfo=None)
    if quiet.start < quiet.end:
        return quiet.start <= local < quiet.end
    return local >= quiet.start or local < quiet.end


def quiet_until(quiet: QuietHours | None, now: datetime, tz: ZoneInfo) -> datetime | None:
    """When the quiet hours ``now`` falls in end (UTC); ``None`` when it is not quiet."""
    if quiet is None or not is_quiet(quiet, now, tz):
        return None
    local = now.astimezone(tz)
    day = local.date()
    if quiet.start > quiet.end and local.time().replace(tzinfo=None) >= quiet.start:
        day += timedelta(days=1)  # the evening part: they end tomorrow morning
    return _instant(day, quiet.end, tz)
