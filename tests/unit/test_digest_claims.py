"""Claims on the database: exactly once across processes, catch-up, missed runs, stale claims."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.clock import FrozenClock
from bot.digest.claims import LEASE, Claimer
from bot.digest.model import Schedule, Subscription
from bot.digest.schedule import next_run_at_or_after
from storage.db import Database
from storage.digests import DigestRepo, RunState
from tests.unit.test_digest_support import OWNER, almaty


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "bot.sqlite3")
    yield database
    await database.close()


async def _subscribe(repo: DigestRepo, clock: FrozenClock, chat_id: int = OWNER) -> Subscription:
    schedule = Schedule(9, 0, "Asia/Almaty")
    sub = Subscription(
        chat_id=chat_id,
        owner_user_id=OWNER,
        created_by=OWNER,
        schedule=schedule,
        next_run=next_run_at_or_after(schedule, clock()),
    )
    return await repo.create(sub, clock())


async def test_two_processes_ticking_at_once_claim_each_digest_once(
    db: Database, tmp_path: Path
) -> None:
    clock = FrozenClock(almaty(2025, 11, 20, 8, 0))
    repo = DigestRepo(db)
    subs = [await _subscribe(repo, clock, chat_id=OWNER + n) for n in range(30)]
    clock.set(almaty(2025, 11, 20, 9, 0))
    other_db = await Database.open(tmp_path / "bot.sqlite3")  # a second process's connection
    try:
        first = Claimer(repo, clock, owner="process-a")
        second = Claimer(DigestRepo(other_db), clock, owner="process-b")

        async def tick(claimer: Claimer) -> list[int]:
            due, _ = await claimer.due()
            claims = await asyncio.gather(*(claimer.claim_subscription(i) for i in due))
            return [claim.sub.id for claim in claims if claim is not None]

        won_a, won_b = await asyncio.gather(tick(first), tick(second))
        assert sorted(won_a + won_b) == sorted(sub.id for sub in subs)
        assert not set(won_a) & set(won_b)
        # Both saw everything due (same minute), yet nothing is due any more.
        assert await first.due() == ([], [])
        for sub in subs:
            runs = await repo.runs_of(sub.id)
            assert [(run.state, run.attempts) for run in runs] == [(RunState.CLAIMED, 1)]
            assert runs[0].period_start == runs[0].period_end == date(2025, 11, 19)
            stored = await repo.get(sub.id)
            assert stored is not None and stored.next_run == almaty(2025, 11, 21, 9, 0)
    finally:
        await other_db.close()


async def test_claim_on_time_is_not_late(db: Database) -> None:
    clock = FrozenClock(almaty(2025, 11, 20, 8, 0))
    repo = DigestRepo(db)
    sub = await _subscribe(repo, clock)
    clock.set(
        almaty(
            2025,
            11,
            20,
            9,
            0,
        )
        + timedelta(seconds=40)
    )
    claim = await Claimer(repo, clock).claim_subscription(sub.id)
    assert claim is not None
    assert not claim.late
    assert claim.due_at == almaty(2025, 11, 20, 9, 0)
    assert claim.period == (date(2025, 11, 19), date(2025, 11, 19))


async def test_digest_due_while_down_is_claimed_once_and_marked_late(db: Database) -> None:
    clock = FrozenClock(almaty(2025, 11, 20, 8, 0))
    repo = DigestRepo(db)
    sub = await _subscribe(repo, clock)
    clock.set(almaty(2025, 11, 20, 9, 45))  # the bot comes back 45 minutes late
    claimer = Claimer(repo, clock)
    claim = await claimer.claim_subscription(sub.id)
    assert claim is not None and claim.late
    assert await claimer.claim_subscription(sub.id) is None
    runs = await repo.runs_of(sub.id)
    assert len(runs) == 1 and runs[0].late


async def test_more_than_twelve_hours_late_is_recorded_as_missed(db: Database) -> None:
    clock = FrozenClock(almaty(2025, 11, 20, 8, 0))
    repo = DigestRepo(db)
    sub = await _subscribe(repo, clock)
    clock.set(almaty(2025, 11, 20, 21, 30))
    claimer = Claimer(repo, clock)
    assert await claimer.claim_subscription(sub.id) is None
    runs = await repo.runs_of(sub.id)
    assert [(run.state, run.period_start) for run in runs] == [
        (RunState.MISSED, date(2025, 11, 19))
    ]
    stored = await repo.get(sub.id)
    assert stored is not None and stored.next_run == almaty(2025, 11, 21, 9, 0)
    assert claimer.missed == 1


async def test_days_of_downtime_send_only_the_latest_digest(db: Database) -> None:
    clock = FrozenClock(almaty(2025, 11, 20, 8, 0))
    repo = DigestRepo(db)
    sub = await _subscribe(repo, clock)
    clock.set(almaty(2025, 11, 23, 9, 30))
    claim = await Claimer(repo, clock).claim_subscription(sub.id)
    assert claim is not None and claim.late
    assert claim.period == (date(2025, 11, 22), date(2025, 11, 22))
    states = [(run.state, run.period_start.day) for run in await repo.runs_of(sub.id)]
    assert states == [
        (RunState.MISSED, 19),
        (RunState.MISSED, 20),
        (RunState.MISSED, 21),
        (RunState.CLAIMED, 22),
    ]


async def test_a_claim_left_by_a_crash_is_retried_exactly_once_after_the_lease(
    db: Database, tmp_path: Path
) -> None:
    clock = FrozenClock(almaty(2025, 11, 20, 8, 0))
    repo = DigestRepo(db)
    sub = await _subscribe(repo, clock)
    clock.set(almaty(2025, 11, 20, 9, 0))
    crashed = await Claimer(repo, clock, owner="crashed").claim_subscription(sub.id)
    assert crashed is not None
    # The process dies here, before sending. After a restart, within the lease: nothing to do.
    clock.advance(LEASE - timedelta(seconds=1))
    restarted = Claimer(repo, clock, owner="restarted")
    assert await restarted.due() == ([], [])
    clock.advance(timedelta(seconds=2))
    _, stale = await restarted.due()
    assert [run.id for run in stale] == [crashed.run_id]
    other_db = await Database.open(tmp_path / "bot.sqlite3")
    try:
        rival = Claimer(DigestRepo(other_db), clock, owner="rival")
        taken = await asyncio.gather(restarted.claim_run(stale[0]), rival.claim_run(stale[0]))
    finally:
        await other_db.close()
    winners = [claim for claim in taken if claim is not None]
    assert len(winners) == 1
    assert winners[0].attempt == 2
    # The crashed claimer, had it been merely slow, can no longer renew its lease and send.
    assert not await repo.renew_claim(crashed.run_id, crashed.attempt, clock(), "crashed")
    winner = "restarted" if taken[0] is not None else "rival"
    assert await repo.renew_claim(crashed.run_id, 2, clock(), winner)
    assert winners[0].period == crashed.period
    run = await repo.get_run(crashed.run_id)
    assert run is not None and run.attempts == 2 and run.state == RunState.CLAIMED


async def test_changing_the_time_after_a_run_does_not_send_that_period_again(
    db: Database,
) -> None:
    clock = FrozenClock(almaty(2025, 11, 20, 8, 0))
    repo = DigestRepo(db)
    sub = await _subscribe(repo, clock)
    clock.set(almaty(2025, 11, 20, 9, 0))
    claimer = Claimer(repo, clock)
    assert await claimer.claim_subscription(sub.id) is not None
    # Moved to 10:00 the same day: 10:00 would cover 19 Nov again.
    stored = await repo.get(sub.id)
    assert stored is not None
    later = stored.with_(schedule=Schedule(10, 0, "Asia/Almaty"))
    later = later.with_(next_run=next_run_at_or_after(later.schedule, clock()))
    await repo.save(later, clock())
    clock.set(almaty(2025, 11, 20, 10, 0))
    assert await claimer.claim_subscription(sub.id) is None
    refreshed = await repo.get(sub.id)
    assert refreshed is not None and refreshed.next_run == almaty(2025, 11, 21, 10, 0)
    assert len(await repo.runs_of(sub.id)) == 1


async def test_paused_subscriptions_are_not_claimed(db: Database) -> None:
    clock = FrozenClock(almaty(2025, 11, 20, 8, 0))
    repo = DigestRepo(db)
    sub = await _subscribe(repo, clock)
    await repo.save(sub.with_(paused=True), clock())
    clock.set(almaty(2025, 11, 20, 9, 0))
    claimer = Claimer(repo, clock)
    assert await claimer.due() == ([], [])
    assert await claimer.claim_subscription(sub.id) is None
