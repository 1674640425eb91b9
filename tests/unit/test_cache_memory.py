"""After a burst of big summaries the cache lets go, and the memory goes back."""

from __future__ import annotations

import asyncio
from zoneinfo import ZoneInfo

import httpx
import pytest

from bot.aiokk.client import AiokkClient
from bot.query import service as service_module
from bot.query.cache import ResultCache
from bot.query.model import CallQuery, Period, PeriodKind
from bot.query.service import CallService, ConnectionRef
from tests.unit.test_fetch_budget import body
from tests.unit.test_query_cache import Clock, key, result

ALMATY = ZoneInfo("Asia/Almaty")


def test_a_large_entry_goes_once_nobody_reads_it() -> None:
    clock = Clock()
    cache = ResultCache(ttl=120, clock=clock, large_records=100, large_idle=45)
    cache.put(key(1), result(100))
    cache.put(key(2), result(99))
    clock.now += 30
    assert cache.get(key(1)) is not None  # reading keeps it
    clock.now += 44
    assert cache.next_expiry() == 1
    assert cache.sweep() == 0
    clock.now += 1
    assert cache.sweep() == 100
    assert cache.get(key(1)) is None
    assert cache.get(key(2)) is not None  # a small entry keeps its TTL
    clock.now += 46
    assert cache.next_expiry() == 0
    assert cache.sweep() == 99
    assert cache.next_expiry() is None


def test_a_large_entry_still_ends_at_the_ttl() -> None:
    clock = Clock()
    cache = ResultCache(ttl=60, clock=clock, large_records=10, large_idle=45)
    cache.put(key(), result(10))
    for _ in range(3):
        clock.now += 20
        cache.get(key())
    assert cache.get(key()) is None


@pytest.mark.parametrize("bad", [{"large_records": 0}, {"large_idle": 0}])
def test_bad_large_limits_are_rejected(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        ResultCache(**bad)  # type: ignore[arg-type]


async def test_the_service_drops_big_results_after_the_burst_and_frees_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = Clock()
    cache = ResultCache(ttl=120, clock=clock, large_records=3, large_idle=45)
    released: list[int] = []
    monkeypatch.setattr(service_module, "release_memory", lambda: released.append(len(cache)))
    slept: list[float] = []
    burst_over = asyncio.Event()

    async def sleep(seconds: float) -> None:
        if seconds == service_module.SLOW_AFTER:
            await asyncio.Event().wait()  # no slow notices in this test
        slept.append(seconds)
        await burst_over.wait()
        clock.now += seconds

    async def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body(3))

    everything = Period(PeriodKind.ALL)
    big = CallQuery(department_id=1, period=everything)  # 3 calls: a large entry here
    small = CallQuery(department_id=2, loyalty=1, period=everything)  # none rated 1
    async with AiokkClient(transport=httpx.MockTransport(answer)) as client:
        service = CallService(client, cache, None, sleep=sleep)
        conn = ConnectionRef(id=1, base_url="http://aiokk.test", token="demo")
        assert len(await service.fetch(conn, big, ALMATY)) == 3
        assert len(await service.fetch(conn, small, ALMATY)) == 0
        assert len(cache) == 2
        burst_over.set()
        for _ in range(20):
            await asyncio.sleep(0)
        await service.aclose()
    # The large entry went 45 s after it was last used, and its memory was handed back
    # (the small one was still cached then); the small one stayed its full 120 s.
    assert slept == [45, 75]
    assert released == [1]
    assert len(cache) == 0
