"""Many users at once: identical fetches share one request, the rest take fair turns."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from bot.aiokk.client import AiokkClient
from bot.query.cache import ResultCache
from bot.query.model import UNBOUNDED, CallQuery, Period, PeriodKind
from bot.query.queue import STARTED, Progress
from bot.query.service import INTERACTIVE, CallService, ConnectionRef, QueryResult
from bot.services.calls import CallsPresenter, progress_notice
from storage.catalog import CatalogRepo
from storage.db import Database
from tests.unit.test_fetch_budget import Seen, body

BASE = "http://aiokk.test"
ALMATY = ZoneInfo("Asia/Almaty")
ALL = Period(PeriodKind.ALL)
FETCHED = datetime(2025, 4, 21, 12, tzinfo=UTC)


def department(number: int) -> CallQuery:
    """A query planned as exactly one request."""
    return CallQuery(department_id=number, period=ALL)


def user(number: int) -> ConnectionRef:
    return ConnectionRef(id=number, base_url=BASE, token="demo")


class GatedAiokk:
    """Answers every request with 3 records, but only once the test opens the gate."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.gate = asyncio.Event()
        self.arrived = asyncio.Event()
        self.transport = httpx.MockTransport(self._handle)

    async def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.arrived.set()
        await self.gate.wait()
        return httpx.Response(200, content=body(3))


@pytest.fixture
def aiokk() -> GatedAiokk:
    return GatedAiokk()


@pytest.fixture
async def service(aiokk: GatedAiokk) -> AsyncIterator[CallService]:
    async with AiokkClient(transport=aiokk.transport) as client:
        calls = CallService(client, ResultCache(), None, per_instance_fetches=1)
        try:
            yield calls
        finally:
            await calls.aclose()


async def settled() -> None:
    """Let every task that can run, run."""
    for _ in range(20):
        await asyncio.sleep(0)


# --- single flight ----------------------------------------------------------------------------


async def test_twenty_identical_questions_make_one_request(
    service: CallService, aiokk: GatedAiokk
) -> None:
    asking = [
        asyncio.create_task(service.fetch(user(number), department(84), ALMATY))
        for number in range(20)
    ]
    await aiokk.arrived.wait()
    await settled()
    aiokk.gate.set()
    results = await asyncio.gather(*asking)
    assert len(aiokk.requests) == 1
    assert all(result is results[0] for result in results)
    assert len(results[0]) == 3


async def test_different_questions_and_refreshes_are_not_shared(
    service: CallService, aiokk: GatedAiokk
) -> None:
    aiokk.gate.set()
    await asyncio.gather(
        service.fetch(user(1), department(84), ALMATY),
        service.fetch(user(1), department(85), ALMATY),
        service.fetch(user(1), department(84), ALMATY, refresh=True),
    )
    assert len(aiokk.requests) == 3


async def test_one_asker_leaving_does_not_stop_the_fetch_for_the_others(
    service: CallService, aiokk: GatedAiokk
) -> None:
    leaving = asyncio.create_task(service.fetch(user(1), department(84), ALMATY))
    staying = asyncio.create_task(service.fetch(user(2), department(84), ALMATY))
    await aiokk.arrived.wait()
    leaving.cancel()
    await settled()
    aiokk.gate.set()
    assert len(await staying) == 3
    assert leaving.cancelled()
    assert len(aiokk.requests) == 1


async def test_a_fetch_everyone_left_is_called_off(service: CallService, aiokk: GatedAiokk) -> None:
    leaving = asyncio.create_task(service.fetch(user(1), department(84), ALMATY))
    await aiokk.arrived.wait()
    leaving.cancel()
    await settled()
    # The next asker starts afresh instead of joining a cancelled fetch.
    aiokk.gate.set()
    assert len(await service.fetch(user(1), department(84), ALMATY)) == 3
    assert len(aiokk.requests) == 2


async def test_the_same_result_is_summarised_once() -> None:
    result = QueryResult(
        records=[], previous=None, window=UNBOUNDED, previous_window=None, fetched_at=FETCHED
    )
    made: list[int] = []

    async def compute() -> int:
        made.append(1)
        await asyncio.sleep(0)
        return 42

    values = await asyncio.gather(*(result.derived("stats", compute) for _ in range(20)))
    assert values == [42] * 20
    assert made == [1]


# --- fair turns -------------------------------------------------------------------------------


async def test_a_waiting_user_hears_their_place_then_their_turn(
    service: CallService, aiokk: GatedAiokk
) -> None:
    first = asyncio.create_task(service.fetch(user(1), department(84), ALMATY, policy=INTERACTIVE))
    await aiokk.arrived.wait()
    seen = Seen()
    second = asyncio.create_task(
        service.fetch(user(2), department(85), ALMATY, policy=INTERACTIVE, progress=seen)
    )
    await settled()
    assert seen.events == [Progress.queued(1)]
    assert len(aiokk.requests) == 1  # one fetch at a time for this instance
    aiokk.gate.set()
    await asyncio.gather(first, second)
    assert seen.events == [Progress.queued(1), STARTED]
    assert len(aiokk.requests) == 2


async def test_one_user_asking_a_lot_does_not_hold_up_another(
    service: CallService, aiokk: GatedAiokk
) -> None:
    order: list[int] = []

    async def ask(owner: int, number: int) -> None:
        await service.fetch(user(owner), department(number), ALMATY, policy=INTERACTIVE)
        order.append(number)

    busy = [asyncio.create_task(ask(1, number)) for number in (1, 2, 3, 4)]
    await aiokk.arrived.wait()
    await settled()
    other = asyncio.create_task(ask(2, 99))
    await settled()
    aiokk.gate.set()
    await asyncio.gather(*busy, other)
    # User 1's first question was already running; user 2 goes right after it.
    assert order == [1, 99, 2, 3, 4]


# --- what the presenter shows ---------------------------------------------------------------


async def test_the_presenter_shows_the_place_in_line_in_the_users_language(
    tmp_path: Path, aiokk: GatedAiokk
) -> None:
    database = await Database.open(tmp_path / "bot.sqlite3")
    shown: list[str] = []

    async def show(text: str) -> Any:
        shown.append(text)

    try:
        async with AiokkClient(transport=aiokk.transport) as client:
            calls = CallService(client, ResultCache(), None, per_instance_fetches=1)
            presenter = CallsPresenter(calls, CatalogRepo(database))
            first = asyncio.create_task(presenter.summary(user(1), department(84), ALMATY, "en"))
            await aiokk.arrived.wait()
            second = asyncio.create_task(
                presenter.summary(
                    user(2), department(85), ALMATY, "ru", progress=progress_notice(show, "ru")
                )
            )
            await settled()
            aiokk.gate.set()
            views = await asyncio.gather(first, second)
            await calls.aclose()
    finally:
        await database.close()
    assert [view.total for view in views] == [3, 3]
    assert shown == [
        "⏳ К aiokk сейчас много запросов. Ваш — 1-й в очереди…",
        "⏳ Очередь дошла, загружаю звонки…",
    ]
