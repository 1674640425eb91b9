"""The bot's clock: one instance injected everywhere "now" matters.

Periods ("today", "7 days"), comparisons, custom dates and the digest schedule all
read it, so a run can be moved in time as a whole. ``BOT_CLOCK`` (test and manual runs
only) starts the clock at an ISO instant, e.g. ``BOT_CLOCK=2025-11-21T08:59:50+05:00``;
from there it advances in real time. Together with SIGUSR1 (tick now) it lets a run reach
a digest's due time without waiting for it, and it makes every date a test sees fixed.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
"""Returns the current instant, timezone-aware."""

CLOCK_ENV = "BOT_CLOCK"


def system_clock() -> datetime:
    return datetime.now(UTC)


class ShiftedClock:
    """Starts at ``start`` and advances with the monotonic clock."""

    def __init__(self, start: datetime, monotonic: Callable[[], float] = time.monotonic) -> None:
        if start.utcoffset() is None:
            raise ValueError("the start of a clock must be timezone-aware")
        self._start = start.astimezone(UTC)
        self._monotonic = monotonic
        self._origin = monotonic()

    def __call__(self) -> datetime:
        return self._start + timedelta(seconds=self._monotonic() - self._origin)


class FrozenClock:
    """A clock that moves only when told to (tests)."""

    def __init__(self, start: datetime) -> None:
        if start.utcoffset() is None:
            raise ValueError("the start of a clock must be timezone-aware")
        self.now = start.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = moment.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def clock_from_env(environ: Mapping[str, str] | None = None) -> Clock:
    """The system clock, or a shifted one when ``BOT_CLOCK`` is set.

    A value without an offset is taken as UTC. Raises ``ValueError`` on a malformed value.
    """
    env = os.environ if environ is None else environ
    raw = env.get(CLOCK_ENV, "").strip()
    if not raw:
        return system_clock
    start = datetime.fromisoformat(raw)
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    log.warning("%s is set: the bot's clock starts at %s", CLOCK_ENV, start.isoformat())
    return ShiftedClock(start)
