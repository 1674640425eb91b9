"""The live sandbox: calls appear once analysed, and a new day is planned at midnight."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, time, timedelta
from itertools import pairwise
from typing import Any

import httpx
from aiohttp import web

from bot.aiokk.endpoints import Endpoint
from bot.clock import FrozenClock
from bot.sandbox.critical import critical_calls
from bot.sandbox.data import LOCAL_TZ, generate_records, release_time
from bot.sandbox.index import RecordIndex
from bot.sandbox.server import STATE, _renew_every_day, build_app, start_sandbox

NOON = datetime(2026, 11, 20, 12, 0, tzinfo=LOCAL_TZ)


def dialog_ids(body: bytes) -> set[int]:
    return {int(record["call"]["dialogId"]) for record in json.loads(body)}


def all_calls(index: RecordIndex) -> set[int]:
    found: set[int] = set()
    for call_type in (1, 2, 3, 4):
        found |= dialog_ids(index.body(Endpoint.CALL_TYPE, call_type))
    return found


def test_whole_day_plans_the_rest_of_today_and_keeps_the_past() -> None:
    fixed = generate_records(600, 3, NOON)
    planned = generate_records(600, 3, NOON, whole_day=True)
    later = [r for r in planned if datetime.fromisoformat(r["call"]["date"]) > NOON]
    assert later, "calls planned for this afternoon"
    assert all(datetime.fromisoformat(r["call"]["date"]).date() == NOON.date() for r in later)
    assert max(datetime.fromisoformat(r["call"]["date"]) for r in fixed) <= NOON
    # The same day planned twice is the same data: a restart does not change it.
    assert planned == generate_records(600, 3, NOON + timedelta(hours=5), whole_day=True)


def test_a_live_index_serves_each_call_from_its_release_on() -> None:
    records = generate_records(600, 3, NOON, whole_day=True)
    now = [NOON]
    index = RecordIndex(records, clock=lambda: now[0])
    released_by_noon = {int(r["call"]["dialogId"]) for r in records if release_time(r) <= NOON}
    assert all_calls(index) == released_by_noon
    assert len(released_by_noon) < len(records)

    now[0] = NOON + timedelta(hours=3)
    by_three = {int(r["call"]["dialogId"]) for r in records if release_time(r) <= now[0]}
    assert by_three > released_by_noon, "the afternoon's calls arrived"
    assert all_calls(index) == by_three  # not the bodies cached at noon

    now[0] = NOON + timedelta(days=1)
    assert all_calls(index) == {int(r["call"]["dialogId"]) for r in records}


def test_release_time_is_when_the_analysis_finished() -> None:
    record: dict[str, Any] = {
        "call": {"date": "2026-11-20 12:00:00+05"},
        "analytics": {"finishDate": "2026-11-20T12:07:30"},
    }
    assert release_time(record) == datetime(2026, 11, 20, 12, 7, 30, tzinfo=LOCAL_TZ)
    record["analytics"] = None
    assert release_time(record) == datetime(2026, 11, 20, 12, 0, tzinfo=LOCAL_TZ)


async def test_a_new_day_is_planned_after_local_midnight() -> None:
    now = [datetime(2026, 11, 20, 23, 40, tzinfo=LOCAL_TZ)]
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += timedelta(seconds=seconds)
        await asyncio.sleep(0)

    built: list[datetime] = []

    def renew() -> RecordIndex:
        built.append(now[0])
        return RecordIndex([])

    first = RecordIndex(generate_records(20, 1, now[0]))
    app: web.Application = build_app(first)
    task = asyncio.create_task(_renew_every_day(app, renew, clock=lambda: now[0], sleep=sleep))
    try:
        # Until the plan is served: it is built in a thread, then put in place.
        for _ in range(500):
            if app[STATE].index is not first:
                break
            await asyncio.sleep(0.01)
    finally:
        task.cancel()
    assert max(sleeps) <= 601, "it looks at the date at least every ten minutes"
    days = [moment.date() for moment in built]
    first_day = datetime(2026, 11, 21).date()
    # Fake time runs on meanwhile: exactly one new plan per day, right after midnight.
    assert days == [first_day + timedelta(days=n) for n in range(len(days))]
    assert all(moment.time() < datetime(2026, 1, 1, 0, 11).time() for moment in built)
    assert app[STATE].index is not first


async def test_live_sandbox_serves_no_call_from_the_future() -> None:
    clock = FrozenClock(NOON)
    sandbox = await start_sandbox(calls=300, seed=5, live=True, clock=clock)
    try:
        async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
            served: list[dict[str, Any]] = []
            for call_type in (1, 2, 3, 4):
                body = {"token": "demo", Endpoint.CALL_TYPE.field: call_type}
                response = await http.post(Endpoint.CALL_TYPE.path, json=body)
                response.raise_for_status()
                served += response.json()
            total = (await http.get("/_sandbox/health")).json()["records"]
    finally:
        await sandbox.close()
    assert served, "the past 29 days have calls"
    assert all(release_time(record) <= NOON for record in served)
    stream = len(critical_calls(5, NOON.date()))
    assert len(served) < total == 300 + stream, "the rest of the day is planned, not served yet"
    assert max(release_time(record) for record in served) > NOON - timedelta(hours=2)


def test_a_critical_call_is_exported_every_few_minutes_of_the_working_day() -> None:
    day = NOON.date()
    stream = critical_calls(5, day)
    assert stream == critical_calls(5, day), "a restart serves the same calls"
    released = sorted(release_time(record) for record in stream)
    opening = datetime.combine(day, time(9, 0), LOCAL_TZ)
    closing = datetime.combine(day, time(19, 0), LOCAL_TZ)
    gaps = [later - earlier for earlier, later in pairwise(released)]
    assert released[0] - opening < timedelta(minutes=8)
    assert closing - released[-1] < timedelta(minutes=8)
    assert max(gaps) < timedelta(minutes=7), "any 10 minutes of the day bring a new one"
    for record in stream:
        analytics = record["analytics"]
        assert analytics["clientLoyalty"]["currentGrade"] <= 2
        assert analytics["signals"]["mentionedSignals"], "stop words too"
        assert datetime.fromisoformat(record["call"]["date"]).date() == day
    ids = [record["call"]["dialogId"] for record in stream]
    regular = generate_records(600, 5, NOON, whole_day=True)
    assert len(set(ids)) == len(ids)
    assert min(ids) > max(record["call"]["dialogId"] for record in regular)
    assert {r["call"]["dialogId"] for r in critical_calls(5, day + timedelta(days=1))}.isdisjoint(
        ids
    )
