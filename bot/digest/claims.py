"""Claiming due digests atomically, so that each period is sent once across processes.

A claim is the insertion of the run row for (subscription, covered period) in
the same ``BEGIN IMMEDIATE`` transaction that moves the subscription's next run
forward. Whoever inserts the row owns the digest; anyone else sees either the
row or the advanced next run. A claim whose owner died (still ``claimed`` after
the lease, or at once when the owner was a process of this host that is gone)
and a run awaiting retry are taken over by bumping the attempt count with a
compare-and-set.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from bot.clock import Clock
from bot.digest.model import Subscription
from bot.digest.schedule import (
    LATE_NOTE_AFTER,
    MISSED_AFTER,
    covered_days,
    local_run_day,
    next_run_after,
    next_run_at_or_after,
)
from bot.instance import instance_id, is_gone
from storage.digests import DigestRepo, DigestRun, RunState

log = logging.getLogger(__name__)

LEASE: Final = timedelta(minutes=10)
"""A claim older than this whose run is still ``claimed`` belongs to a dead process."""

MAX_ATTEMPTS: Final = 4
"""The first try and three retries."""

_MAX_CATCH_UP: Final = 400

STOPPED: Final = "stopped"
"""The error of a run put back by a process that was stopping (resumed at the next start)."""


@dataclass(frozen=True, slots=True)
class Claim:
    run_id: int
    sub: Subscription
    period: tuple[date, date]
    due_at: datetime
    attempt: int  # 1 for the first try
    late: bool  # claimed more than LATE_NOTE_AFTER after it was due


class Claimer:
    def __init__(
        self,
        repo: DigestRepo,
        clock: Clock,
        *,
        owner: str | None = None,
        lease: timedelta = LEASE,
    ) -> None:
        self._repo = repo
        self._clock = clock
        self.owner = owner or instance_id()
        self.lease = lease
        self.missed = 0

    async def due(self) -> tuple[list[int], list[DigestRun]]:
        """Subscriptions whose next run has come, and runs to retry or take over."""
        now = self._clock()
        subs = await self._repo.due_ids(now)
        runs = await self._repo.resumable_runs(now, now - self.lease)
        # A claim of a process of this host that has ended needs no lease to run out.
        stale = {run.id for run in runs}
        runs += [
            run
            for run in await self._repo.claimed_runs()
            if run.id not in stale and run.claimed_by is not None and is_gone(run.claimed_by)
        ]
        return subs, runs

    async def claim_subscription(self, sub_id: int) -> Claim | None:
        """Claim the subscription's due run; None when it is not due or someone else has it.

        Runs more than ``MISSED_AFTER`` late are recorded as missed and skipped.
        """
        now = self._clock()
        async with self._repo.db.transaction():
            sub = await self._repo.get(sub_id)
            if sub is None or sub.paused or sub.next_run is None or sub.next_run > now:
                return None
            schedule = sub.schedule
            due = sub.next_run
            claim: Claim | None = None
            for _ in range(_MAX_CATCH_UP):
                if due > now:
                    break
                period = covered_days(schedule, sub.period, local_run_day(schedule, due))
                following = next_run_after(schedule, due)
                if now - due > MISSED_AFTER:
                    await self._repo.insert_run(
                        sub.id, period, due, state=RunState.MISSED, now=now, claimed_by=None
                    )
                    self.missed += 1
                    log.warning(
                        "digest %s: the run due at %s is %s late; recorded as missed",
                        sub.id,
                        due.isoformat(),
                        now - due,
                    )
                    due = following
                    continue
                late = now - due > LATE_NOTE_AFTER
                run_id = await self._repo.insert_run(
                    sub.id,
                    period,
                    due,
                    state=RunState.CLAIMED,
                    now=now,
                    claimed_by=self.owner,
                    late=late,
                )
                if run_id is not None:
                    claim = Claim(run_id, sub, period, due, 1, late)
                    due = following
                    break
                due = following
                # That period already has a run (e.g. the time was changed after it was sent).
            else:
                due = next_run_at_or_after(schedule, now)
            await self._repo.set_next_run(sub.id, due, now)
        return claim

    async def claim_run(self, run: DigestRun) -> Claim | None:
        """Take over a run awaiting retry or a stale claim; None when it is not ours to take."""
        now = self._clock()
        async with self._repo.db.transaction():
            sub = await self._repo.get(run.subscription_id)
            if sub is None:
                return None
            if sub.paused:
                await self._repo.finish_run(run.id, RunState.FAILED, now, error="paused")
                return None
            if now - run.due_at > MISSED_AFTER:
                await self._repo.finish_run(run.id, RunState.MISSED, now, error=run.error)
                self.missed += 1
                return None
            if run.state == RunState.CLAIMED and run.attempts >= MAX_ATTEMPTS:
                await self._repo.finish_run(
                    run.id, RunState.FAILED, now, error="interrupted too many times"
                )
                return None
            if not await self._repo.reclaim(run, now, self.owner):
                return None
        if run.state == RunState.CLAIMED:
            log.warning(
                "digest %s: taking over run %s claimed by %s at %s",
                sub.id,
                run.id,
                run.claimed_by,
                run.claimed_at.isoformat() if run.claimed_at else "?",
            )
        # Taken over from a dead process or put back by a stopping one: the bot was offline
        # meanwhile, and a digest late by now says so like any late digest.
        offline = run.state == RunState.CLAIMED or run.error == STOPPED
        late = run.late or (offline and now - run.due_at > LATE_NOTE_AFTER)
        return Claim(
            run.id,
            sub,
            (run.period_start, run.period_end),
            run.due_at,
            run.attempts + 1,
            late,
        )
