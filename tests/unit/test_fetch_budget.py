"""A stalled or failing aiokk: total budgets across attempts, bodies cut short, slow notices.

Time is a fake clock that the mock aiokk advances by what each request "took": a stall
lasts exactly the read timeout the client allowed. Nothing here waits on the wall clock.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from bot.aiokk.client import AiokkClient, Deadline, RecordList
from bot.aiokk.endpoints import Endpoint
from bot.aiokk.errors import BadResponse, Unavailable
from bot.aiokk.stream import RecordParser
from bot.query.cache import ResultCache
from bot.query.model import CallQuery, Period, PeriodKind
from bot.query.queue import SLOW, Progress
from bot.query.service import BACKGROUND, INTERACTIVE, SLOW_AFTER, CallService, ConnectionRef
from tests.unit.test_models import SPEC_RECORD_JSON

BASE = "http://aiokk.test"
TOKEN = "tok-budget"
FAST = 0.001  # real backoff between attempts: negligible, and the fake clock ignores it
ALMATY = ZoneInfo("Asia/Almaty")
CONN = ConnectionRef(id=1, base_url=BASE, token=TOKEN)
# One department: a plan of exactly one request, every record kept.
DEPARTMENT = CallQuery(department_id=84, period=Period(PeriodKind.ALL))

Handler = Callable[[httpx.Request], Awaitable[httpx.Response]]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def records(count: int) -> list[dict[str, Any]]:
    made = []
    for number in range(count):
        record: dict[str, Any] = json.loads(SPEC_RECORD_JSON)
        record["call"]["dialogId"] = 5000 + number
        made.append(record)
    return made


def body(count: int) -> bytes:
    return json.dumps(records(count), ensure_ascii=False).encode()


class Aiokk:
    """A mock aiokk: ``answers`` are used in turn, the last one for every later request."""

    def __init__(self, clock: FakeClock, *answers: Handler) -> None:
        self.clock = clock
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []
        self.transport = httpx.MockTransport(self._handle)

    async def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
        return await answer(request)

    def read_timeouts(self) -> list[float]:
        return [request.extensions["timeout"]["read"] for request in self.requests]

    def client(self, attempts: int = 3) -> AiokkClient:
        return AiokkClient(transport=self.transport, backoff=FAST, attempts=attempts)


def stall(clock: FakeClock) -> Handler:
    """Say nothing until the client's read timeout, then time out (as httpx would)."""

    async def answer(request: httpx.Request) -> httpx.Response:
        clock.now += request.extensions["timeout"]["read"]
        raise httpx.ReadTimeout("no answer", request=request)

    return answer


def fail_after(clock: FakeClock, seconds: float, status: int = 502) -> Handler:
    """Take ``seconds`` (or the read timeout, if shorter), then answer ``status``."""

    async def answer(request: httpx.Request) -> httpx.Response:
        clock.now += min(seconds, request.extensions["timeout"]["read"])
        return httpx.Response(status)

    return answer


def ok(count: int) -> Handler:
    async def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body(count))

    return answer


class Chunks(httpx.AsyncByteStream):
    def __init__(self, chunks: list[bytes], fail_with: Exception | None = None) -> None:
        self.chunks = chunks
        self.fail_with = fail_with

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk
        if self.fail_with is not None:
            raise self.fail_with


def cut(count: int, keep: int, fail_with: Exception | None = None) -> Handler:
    """The first ``keep`` bytes of a body of ``count`` records, then the end (or an error)."""

    async def answer(request: httpx.Request) -> httpx.Response:
        data = body(count)[:keep]
        chunks = [data[i : i + 65_536] for i in range(0, len(data), 65_536)]
        return httpx.Response(200, stream=Chunks(chunks, fail_with))

    return answer


# --- the client's total budget ------------------------------------------------------------


async def test_a_stalled_aiokk_costs_the_budget_not_attempts_times_the_read_timeout() -> None:
    clock = FakeClock()
    aiokk = Aiokk(clock, stall(clock))
    async with aiokk.client() as client:
        with pytest.raises(Unavailable):
            await client.collect(
                BASE,
                TOKEN,
                Endpoint.CALL_TYPE,
                1,
                RecordList,
                deadline=Deadline.after(30, clock),
            )
    assert clock.now - 1000.0 == 30  # not 3 × 60 s
    assert aiokk.read_timeouts() == [30]


async def test_without_a_deadline_each_attempt_gets_the_full_read_timeout() -> None:
    clock = FakeClock()
    aiokk = Aiokk(clock, stall(clock))
    async with aiokk.client() as client:
        with pytest.raises(Unavailable):
            await client.fetch_raw(BASE, TOKEN, Endpoint.CALL_TYPE, 1)
    assert aiokk.read_timeouts() == [60, 60, 60]


async def test_attempts_stop_when_the_budget_is_spent() -> None:
    clock = FakeClock()
    aiokk = Aiokk(clock, fail_after(clock, 12))
    async with aiokk.client(attempts=5) as client:
        with pytest.raises(Unavailable) as caught:
            await client.collect(
                BASE,
                TOKEN,
                Endpoint.CALL_TYPE,
                1,
                RecordList,
                deadline=Deadline.after(30, clock),
            )
    assert caught.value.status == 502
    # 12 s, 12 s, then the 6 s left: a fourth attempt would start after the deadline.
    assert aiokk.read_timeouts() == [30, 18, 6]


async def test_a_spent_deadline_sends_nothing() -> None:
    clock = FakeClock()
    aiokk = Aiokk(clock, ok(1))
    deadline = Deadline.after(5, clock)
    clock.now += 5
    async with aiokk.client() as client:
        with pytest.raises(Unavailable):
            await client.collect(BASE, TOKEN, Endpoint.CALL_TYPE, 1, RecordList, deadline=deadline)
    assert aiokk.requests == []


async def test_a_body_trickling_past_the_deadline_is_cut_there() -> None:
    clock = FakeClock()

    class Trickle(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            yield body(40)[:70_000]  # a first batch of records, then nothing for long
            await asyncio.sleep(10)  # (without the deadline, the test would end after this)

    async def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=Trickle())

    aiokk = Aiokk(clock, answer)
    # A millisecond left: only the deadline itself can end this request.
    deadline = Deadline(clock.now + 0.001, clock)
    async with aiokk.client(attempts=1) as client:
        with pytest.raises(Unavailable) as caught:
            await client.collect(BASE, TOKEN, Endpoint.CALL_TYPE, 1, RecordList, deadline=deadline)
    assert "time allowed" in str(caught.value)
    assert caught.value.__context__ is None


# --- bodies cut short are retried like a 5xx ------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(httpx.RemoteProtocolError("peer closed connection"), id="connection closed"),
        pytest.param(None, id="JSON cut short"),
    ],
)
async def test_a_body_cut_short_after_records_is_retried(failure: Exception | None) -> None:
    clock = FakeClock()
    full = len(body(40))
    aiokk = Aiokk(clock, cut(40, full - 100, failure), ok(40))
    async with aiokk.client() as client:
        got = await client.collect(BASE, TOKEN, Endpoint.CALL_TYPE, 1, RecordList)
    assert [raw["call"]["dialogId"] for raw in got] == [5000 + n for n in range(40)]
    assert len(aiokk.requests) == 2


async def test_a_body_always_cut_short_ends_as_unavailable() -> None:
    clock = FakeClock()
    aiokk = Aiokk(clock, cut(40, 5000))
    async with aiokk.client() as client:
        with pytest.raises(Unavailable):
            await client.fetch_raw(BASE, TOKEN, Endpoint.CALL_TYPE, 1)
    assert len(aiokk.requests) == 3


def test_the_parser_tells_a_cut_short_body_from_a_malformed_one() -> None:
    short = RecordParser()
    assert short.feed(b'[{"a": 1}, {"b": ') == [{"a": 1}]
    with pytest.raises(Unavailable):
        short.close()
    broken = RecordParser()
    broken.feed(b'[{"a": 1}] trailing')
    with pytest.raises(BadResponse):
        broken.close()


async def test_the_service_keeps_no_half_of_a_retried_response() -> None:
    clock = FakeClock()
    full = len(body(40))
    aiokk = Aiokk(clock, cut(40, full // 2, httpx.ReadError("reset")), ok(40))
    async with aiokk.client() as client:
        service = CallService(client, ResultCache(), None, monotonic=clock)
        result = await service.fetch(CONN, DEPARTMENT, ALMATY)
        await service.aclose()
    assert sorted(int(raw["call"]["dialogId"]) for raw in result.records) == [
        5000 + n for n in range(40)
    ]


# --- budgets by kind of fetch -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "spent", "requests"),
    [(INTERACTIVE, 30, 1), (BACKGROUND, 180, 3)],
    ids=["interactive", "background"],
)
async def test_interactive_fetches_give_up_within_their_budget(
    policy: Any, spent: float, requests: int
) -> None:
    clock = FakeClock()
    aiokk = Aiokk(clock, stall(clock))
    async with aiokk.client() as client:
        service = CallService(client, ResultCache(), None, monotonic=clock)
        with pytest.raises(Unavailable):
            await service.fetch(CONN, DEPARTMENT, ALMATY, policy=policy)
        await service.aclose()
    assert clock.now - 1000.0 == spent
    assert len(aiokk.requests) == requests


# --- "aiokk is slow, still trying" ----------------------------------------------------------


class Seen:
    """A progress hook that remembers what it was told."""

    def __init__(self) -> None:
        self.events: list[Progress] = []

    async def __call__(self, progress: Progress) -> None:
        self.events.append(progress)


def sleeps_of(seconds: float) -> Callable[[float], Awaitable[None]]:
    """An injected sleep: sleeps of ``seconds`` end at once, any other never does."""

    async def sleep(wanted: float) -> None:
        if wanted != seconds:
            await asyncio.Event().wait()

    return sleep


async def test_a_slow_fetch_says_so_then_answers() -> None:
    clock = FakeClock()
    release = asyncio.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        await release.wait()
        return httpx.Response(200, content=body(3))

    aiokk = Aiokk(clock, slow)
    seen = Seen()
    async with aiokk.client() as client:
        service = CallService(
            client, ResultCache(), None, monotonic=clock, sleep=sleeps_of(SLOW_AFTER)
        )
        fetching = asyncio.create_task(service.fetch(CONN, DEPARTMENT, ALMATY, progress=seen))
        for _ in range(20):
            await asyncio.sleep(0)
        assert seen.events == [SLOW]
        assert not fetching.done()
        release.set()
        result = await fetching
        await service.aclose()
    assert len(result.records) == 3
    assert seen.events == [SLOW]


async def test_a_quick_fetch_says_nothing() -> None:
    clock = FakeClock()
    aiokk = Aiokk(clock, ok(3))
    seen = Seen()
    async with aiokk.client() as client:
        # The slow notice would come only after a sleep that never ends.
        service = CallService(client, ResultCache(), None, monotonic=clock, sleep=sleeps_of(-1))
        result = await service.fetch(CONN, DEPARTMENT, ALMATY, progress=seen)
        await service.aclose()
    assert len(result.records) == 3
    assert seen.events == []
