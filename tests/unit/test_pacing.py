"""Outbound pacing: the limiter on a fake clock, the middleware, and a real Bot over HTTP."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import NextRequestMiddlewareType
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteMessage,
    EditMessageText,
    GetChatMember,
    GetUpdates,
    SendChatAction,
    SendMessage,
    TelegramMethod,
)
from aiogram.methods.base import Response, TelegramType
from aiogram.types import Chat, TelegramObject, Update

from bot.pacing import (
    ChatKey,
    FloodLimiter,
    PacingLimits,
    PacingMiddleware,
    ReplyPacingMiddleware,
    is_message_method,
    is_repeatable,
    on_own_schedule,
)
from tests.fake_telegram import FakeTelegram
from tests.fake_telegram.errors import ApiError

EXACT = PacingLimits(safety=1.0)
TOKEN = "123456:TEST"


class FakeTime:
    """A clock that moves only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.sleeps.append(delay)
        # Yield first: tasks just granted resume (and read the clock) before time moves on,
        # and a sleep cut short by a new arrival does not move it at all.
        await asyncio.sleep(0)
        self.now += max(delay, 0.0)


def limiter(fake: FakeTime, limits: PacingLimits = EXACT) -> FloodLimiter:
    return FloodLimiter(limits, clock=fake.clock, sleep=fake.sleep)


async def grant_times(
    flood: FloodLimiter, fake: FakeTime, chats: Iterable[ChatKey]
) -> list[tuple[ChatKey, int, float]]:
    """Queue one message per item (in order); returns (chat, index, time) in grant order."""
    granted: list[tuple[ChatKey, int, float]] = []

    async def one(chat: ChatKey, index: int) -> None:
        await flood.acquire(chat)
        granted.append((chat, index, fake.now))

    await asyncio.gather(*(one(chat, i) for i, chat in enumerate(chats)))
    return granted


def conforms(times: list[float], rate: float, capacity: float) -> bool:
    """Whether sends at ``times`` pass a token bucket like Telegram's (and the fake's)."""
    tokens, last = capacity, None
    for at in sorted(times):
        if last is not None:
            tokens = min(capacity, tokens + (at - last) * rate)
        last = at
        if tokens < 1 - 1e-9:
            return False
        tokens -= 1
    return True


# -- limiter on a fake clock ---------------------------------------------------------------


async def test_one_chat_gets_a_burst_then_one_message_a_second() -> None:
    fake = FakeTime()
    granted = await grant_times(limiter(fake), fake, [7] * 6)
    assert [at for _, _, at in granted] == pytest.approx([0, 0, 0, 1, 2, 3])


async def test_default_limits_stay_under_telegrams_with_headroom() -> None:
    fake = FakeTime()
    granted = await grant_times(limiter(fake, PacingLimits()), fake, [7] * 8)
    times = [at for _, _, at in granted]
    assert conforms(times, rate=1.0, capacity=3)
    # The headroom is real: the same sends would still pass a 10% slower bucket.
    assert conforms(times, rate=0.9, capacity=3)
    assert times[3] > 1.0


async def test_group_is_limited_to_twenty_a_minute() -> None:
    fake = FakeTime()
    loose_chat = PacingLimits(chat_per_second=100, chat_burst=100, safety=1.0)
    granted = await grant_times(limiter(fake, loose_chat), fake, [-100500] * 25)
    times = [at for _, _, at in granted]
    assert times[:20] == [0] * 20
    assert times[20:] == pytest.approx([3, 6, 9, 12, 15])
    assert conforms(times, rate=20 / 60, capacity=20)


async def test_private_chat_has_no_group_limit() -> None:
    fake = FakeTime()
    loose_chat = PacingLimits(chat_per_second=100, chat_burst=100, safety=1.0)
    granted = await grant_times(limiter(fake, loose_chat), fake, [42] * 25)
    assert max(at for _, _, at in granted) < 1


async def test_global_rate_across_many_chats() -> None:
    fake = FakeTime()
    granted = await grant_times(limiter(fake, PacingLimits(safety=1.0)), fake, range(1, 46))
    times = [at for _, _, at in granted]
    assert times[:30] == [0] * 30
    assert times[30:] == pytest.approx([n / 30 for n in range(1, 16)])
    assert conforms(times, rate=30, capacity=30)


async def test_order_within_a_chat_is_fifo() -> None:
    fake = FakeTime()
    chats = [1, 2, 1, 1, 2, 1, 2, 2, 1]
    granted = await grant_times(limiter(fake), fake, chats)
    for chat in (1, 2):
        indexes = [index for c, index, _ in granted if c == chat]
        assert indexes == sorted(indexes)


async def test_chats_are_served_round_robin_not_global_fifo() -> None:
    fake = FakeTime()
    one_at_a_time = PacingLimits(
        global_per_second=1, chat_per_second=100, chat_burst=100, safety=1.0
    )
    granted = await grant_times(limiter(fake, one_at_a_time), fake, ["@a"] * 4 + ["@b"] * 4)
    assert [chat for chat, _, _ in granted] == ["@a", "@b"] * 4


async def test_reply_is_not_stuck_behind_a_batch_for_another_chat() -> None:
    fake = FakeTime()
    granted = await grant_times(limiter(fake), fake, [1] * 10 + [2])
    reply = next(at for chat, _, at in granted if chat == 2)
    assert reply == 0


async def test_cancelled_waiter_does_not_block_its_chat() -> None:
    fake = FakeTime()
    flood = limiter(fake)
    for _ in range(3):
        await flood.acquire(5)  # use up the burst
    stuck = asyncio.create_task(flood.acquire(5))
    await asyncio.sleep(0)
    stuck.cancel()
    await flood.acquire(5)
    assert stuck.cancelled()
    assert fake.now == pytest.approx(1)


async def test_frozen_chat_waits_and_others_do_not() -> None:
    fake = FakeTime()
    flood = limiter(fake)
    flood.freeze(5, 10)
    granted = await grant_times(flood, fake, [5, 6])
    assert dict((chat, at) for chat, _, at in granted) == pytest.approx({5: 10, 6: 0})


async def test_global_freeze_holds_every_chat() -> None:
    fake = FakeTime()
    flood = limiter(fake)
    flood.freeze(None, 4)
    granted = await grant_times(flood, fake, [5, 6, -7])
    assert [at for _, _, at in granted] == pytest.approx([4, 4, 4])


async def test_idle_chats_are_forgotten() -> None:
    fake = FakeTime()
    flood = limiter(fake)
    await grant_times(flood, fake, [*range(1, 51), -1, -2])
    assert flood.tracked_chats == 52
    fake.now += 120  # long enough for every bucket, group ones too, to refill
    await flood.acquire(1000)
    assert flood.tracked_chats == 1
    assert flood.queued == 0


# -- middleware with a scripted make_request -------------------------------------------------


class ScriptedApi:
    """Stands in for the HTTP layer: records calls, answers 429 while told to."""

    def __init__(self, fake: FakeTime, failures: int = 0, retry_after: int = 2) -> None:
        self.fake = fake
        self.failures = failures
        self.retry_after = retry_after
        self.calls: list[tuple[str, ChatKey, float]] = []
        self.texts: list[str | None] = []

    async def __call__(self, bot: Bot, method: TelegramMethod[Any]) -> Any:
        self.calls.append((method.__api_method__, getattr(method, "chat_id", None), self.fake.now))
        self.texts.append(getattr(method, "text", None))
        if self.failures:
            self.failures -= 1
            raise TelegramRetryAfter(
                method=method, message="Too Many Requests", retry_after=self.retry_after
            )
        return True


@pytest.fixture
def plain_bot() -> Bot:
    return Bot(token=TOKEN)  # never makes a request: make_request is scripted


async def through(
    pacing: PacingMiddleware, api: ScriptedApi, bot: Bot, method: TelegramMethod[Any]
) -> object:
    """One request through the middleware (aiogram types the chain's result loosely)."""
    result: object = await pacing(api, bot, method)
    return result


def middleware(fake: FakeTime, **options: Any) -> PacingMiddleware:
    return PacingMiddleware(EXACT, clock=fake.clock, sleep=fake.sleep, **options)


@pytest.mark.parametrize(
    ("api_method", "paced"),
    [
        ("sendMessage", True),
        ("sendPhoto", True),
        ("sendDocument", True),
        ("sendMediaGroup", True),
        ("editMessageText", True),
        ("editMessageCaption", True),
        ("editMessageReplyMarkup", True),
        ("copyMessage", True),
        ("forwardMessage", True),
        ("stopPoll", True),
        ("getUpdates", False),
        ("answerCallbackQuery", False),
        ("sendChatAction", False),
        ("deleteMessage", False),
        ("getChatMember", False),
        ("getMe", False),
        ("setMyCommands", False),
        ("editForumTopic", False),
    ],
)
def test_message_methods_are_paced_and_cheap_ones_are_not(api_method: str, paced: bool) -> None:
    assert is_message_method(api_method) is paced


async def test_cheap_methods_never_wait_behind_messages(plain_bot: Bot) -> None:
    fake = FakeTime()
    pacing = middleware(fake)
    api = ScriptedApi(fake)
    batch = [
        asyncio.create_task(pacing(api, plain_bot, SendMessage(chat_id=1, text=str(n))))
        for n in range(10)
    ]
    await asyncio.sleep(0)
    pacing.limiter.freeze(None, 60)  # even a whole-bot flood-wait does not hold them
    cheap: list[TelegramMethod[Any]] = [
        GetUpdates(timeout=0),
        AnswerCallbackQuery(callback_query_id="1"),
        SendChatAction(chat_id=1, action="typing"),
        DeleteMessage(chat_id=1, message_id=1),
        GetChatMember(chat_id=-5, user_id=1),
    ]
    for method in cheap:
        assert await through(pacing, api, plain_bot, method) is True
    assert fake.now == 0
    assert pacing.limiter.queued > 0
    await asyncio.gather(*batch)
    assert all(at >= 60 for name, _, at in api.calls if name == "sendMessage")


async def test_retry_after_is_waited_then_the_message_goes(plain_bot: Bot) -> None:
    fake = FakeTime()
    pacing = middleware(fake, retry_margin=0.5)
    api = ScriptedApi(fake, failures=2, retry_after=2)
    assert await through(pacing, api, plain_bot, SendMessage(chat_id=1, text="hi")) is True
    assert [at for _, _, at in api.calls] == pytest.approx([0, 2.5, 5.0])


async def test_other_messages_to_a_flooded_chat_wait_and_keep_order(plain_bot: Bot) -> None:
    fake = FakeTime()
    no_burst = PacingLimits(chat_burst=1, safety=1.0)
    pacing = PacingMiddleware(no_burst, clock=fake.clock, sleep=fake.sleep, retry_margin=0.5)
    api = ScriptedApi(fake, failures=1, retry_after=3)
    await asyncio.gather(
        pacing(api, plain_bot, SendMessage(chat_id=1, text="first")),
        pacing(api, plain_bot, SendMessage(chat_id=1, text="second")),
        pacing(api, plain_bot, SendMessage(chat_id=2, text="other chat")),
    )
    assert api.calls == [
        ("sendMessage", 1, 0),  # answered 429: retry after 3 s
        ("sendMessage", 2, 0),
        ("sendMessage", 1, 3.5),  # the retry goes first...
        ("sendMessage", 1, 4.5),  # ...and "second" waited for the flood-wait, then its token
    ]
    assert api.texts == ["first", "other chat", "first", "second"]


async def test_retries_are_bounded_then_the_error_surfaces(plain_bot: Bot) -> None:
    fake = FakeTime()
    pacing = middleware(fake)
    api = ScriptedApi(fake, failures=100, retry_after=1)
    with pytest.raises(TelegramRetryAfter):
        await pacing(api, plain_bot, SendMessage(chat_id=1, text="hi"))
    assert len(api.calls) == 6  # the first try and five retries


async def test_huge_retry_after_is_not_waited_inline(plain_bot: Bot) -> None:
    fake = FakeTime()
    pacing = middleware(fake, max_retry_after=60)
    api = ScriptedApi(fake, failures=1, retry_after=3600)
    with pytest.raises(TelegramRetryAfter):
        await pacing(api, plain_bot, SendMessage(chat_id=1, text="hi"))
    assert len(api.calls) == 1
    # ...but later messages to that chat still honour Telegram's wait.
    assert await through(pacing, api, plain_bot, SendMessage(chat_id=1, text="later")) is True
    assert api.calls[-1][2] >= 3600


async def test_429_without_a_chat_holds_the_whole_bot(plain_bot: Bot) -> None:
    fake = FakeTime()
    pacing = middleware(fake, retry_margin=0.5)
    api = ScriptedApi(fake, failures=1, retry_after=4)
    inline_edit = EditMessageText(text="x", inline_message_id="abc")
    assert await through(pacing, api, plain_bot, inline_edit) is True
    assert await through(pacing, api, plain_bot, SendMessage(chat_id=9, text="y")) is True
    assert [at for _, _, at in api.calls] == pytest.approx([0, 4.5, 4.5])


async def test_cheap_method_retries_on_its_own_sleep(plain_bot: Bot) -> None:
    fake = FakeTime()
    pacing = middleware(fake, retry_margin=0.5)
    api = ScriptedApi(fake, failures=1, retry_after=2)
    assert await through(pacing, api, plain_bot, AnswerCallbackQuery(callback_query_id="1")) is True
    assert fake.sleeps == [2.5]
    assert [at for _, _, at in api.calls] == pytest.approx([0, 2.5])


# -- a real Bot over HTTP against the fake Bot API server ----------------------------------


class ScaledTime:
    """Real time, sped up: the pacer and the fake server share this clock."""

    def __init__(self, scale: float) -> None:
        self.scale = scale
        self.start = time.monotonic()
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return (time.monotonic() - self.start) * self.scale

    async def sleep(self, delay: float) -> None:
        self.sleeps.append(delay)
        await asyncio.sleep(delay / self.scale)


USERS = (501, 502, 503)
GROUP_ID = -1001234567890


async def started(fake: FakeTelegram) -> FakeTelegram:
    await fake.start()
    for user_id in USERS:
        fake.private_chat(user_id)
    fake.group_chat(GROUP_ID, "Отдел продаж", admins={601})
    return fake


def http_bot(fake: FakeTelegram, pacing: PacingMiddleware | None) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))
    if pacing is not None:
        session.middleware(pacing)
    return Bot(token=fake.token, session=session)


@pytest.fixture
async def server() -> AsyncIterator[FakeTelegram]:
    fake = await started(FakeTelegram())
    yield fake
    await fake.stop()


@pytest.fixture
def speed() -> ScaledTime:
    return ScaledTime(20)


@pytest.fixture
async def paced_bot(server: FakeTelegram, speed: ScaledTime) -> AsyncIterator[Bot]:
    client = http_bot(server, PacingMiddleware(clock=speed.clock, sleep=speed.sleep))
    yield client
    await client.session.close()


def send_calls(fake: FakeTelegram) -> list[int | None]:
    return [call.status for call in fake.calls if call.method == "sendMessage"]


async def test_http_429_is_retried_after_retry_after(
    server: FakeTelegram, paced_bot: Bot, speed: ScaledTime
) -> None:
    server.fail_next("sendMessage", count=1, retry_after=1)
    message = await paced_bot.send_message(USERS[0], "Сводка за день")
    assert message.text == "Сводка за день"
    assert send_calls(server) == [429, 200]
    assert sum(speed.sleeps) >= 1  # the retry waited out retry_after
    assert [m["text"] for m in server.messages(USERS[0])] == ["Сводка за день"]


async def test_http_five_429s_still_succeed(server: FakeTelegram, paced_bot: Bot) -> None:
    server.fail_next("sendMessage", count=5, retry_after=1)
    await paced_bot.send_message(USERS[0], "упорство")
    assert send_calls(server) == [429] * 5 + [200]


async def test_http_six_429s_surface_the_error(server: FakeTelegram, paced_bot: Bot) -> None:
    server.fail_next("sendMessage", count=6, retry_after=1)
    with pytest.raises(TelegramRetryAfter):
        await paced_bot.send_message(USERS[0], "не дойдёт")
    assert send_calls(server) == [429] * 6
    assert server.messages(USERS[0]) == []


async def send_burst(client: Bot, chats: Iterable[int], per_chat: int) -> list[object]:
    sends = [
        client.send_message(chat_id, f"{chat_id} #{n}")
        for n in range(per_chat)
        for chat_id in chats
    ]
    return await asyncio.gather(*sends, return_exceptions=True)


class LockstepTime:
    """Virtual time for a paced bot over real HTTP.

    It moves only when the pacer sleeps and no request is in flight, so the server receives
    every request at the very instant the pacer granted it, however slow the machine is: the
    test checks the pacing, not the scheduler's jitter.
    """

    def __init__(self) -> None:
        self.now = 0.0
        self.in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def clock(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        # Let the requests just granted start (and register as in flight) first.
        for _ in range(3):
            await asyncio.sleep(0)
        while self.in_flight:
            await self._idle.wait()
        self.now += max(delay, 0.0)

    async def track(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        """Request middleware inside the pacer: counts requests between grant and response."""
        self.in_flight += 1
        self._idle.clear()
        try:
            return await make_request(bot, method)
        finally:
            self.in_flight -= 1
            if not self.in_flight:
                self._idle.set()


async def test_http_burst_to_four_chats_gets_no_429_with_enforced_limits() -> None:
    lockstep = LockstepTime()
    fake = await started(FakeTelegram(enforce_limits=True, clock=lockstep.clock))
    chats = [*USERS, GROUP_ID]
    client = http_bot(fake, PacingMiddleware(clock=lockstep.clock, sleep=lockstep.sleep))
    client.session.middleware(lockstep.track)
    try:
        results = await send_burst(client, chats, per_chat=6)
        assert not [r for r in results if isinstance(r, BaseException)]
        assert fake.too_many_requests == 0
        for chat_id in chats:
            texts = {m["text"] for m in fake.messages(chat_id)}
            assert texts == {f"{chat_id} #{n}" for n in range(6)}
        assert lockstep.now >= 3  # six messages to one chat: a burst of 3, then about 1 a second
    finally:
        await client.session.close()
        await fake.stop()


async def test_http_same_burst_without_pacing_is_throttled() -> None:
    # The control for the test above: the fake does enforce the limits.
    # A frozen clock: however slow the machine, the burst arrives within one instant.
    fake = await started(FakeTelegram(enforce_limits=True, clock=lambda: 0.0))
    client = http_bot(fake, None)
    try:
        results = await send_burst(client, [*USERS, GROUP_ID], per_chat=6)
        assert any(isinstance(r, TelegramRetryAfter) for r in results)
        assert fake.too_many_requests > 0
    finally:
        await client.session.close()
        await fake.stop()


# -- replies to the update being handled ------------------------------------------------------


async def replying(chat: Chat, work: Callable[[], Awaitable[Any]]) -> Any:
    """Run ``work`` as a handler of an update from ``chat`` would run."""

    async def handler(event: TelegramObject, data: dict[str, Any]) -> Any:
        return await work()

    return await ReplyPacingMiddleware()(handler, Update(update_id=1), {"event_chat": chat})


PRIVATE = Chat(id=7, type="private")
GROUP = Chat(id=-100, type="group")


async def test_replies_to_the_users_chat_go_at_once_and_count(plain_bot: Bot) -> None:
    fake = FakeTime()
    pacing = middleware(fake)
    api = ScriptedApi(fake)

    async def quick_wizard() -> None:
        for step in range(20):
            await through(pacing, api, plain_bot, EditMessageText(chat_id=7, text=str(step)))

    await replying(PRIVATE, quick_wizard)
    assert [at for _, _, at in api.calls] == [0] * 20
    # The bot's own next message to that chat waits for the bucket the replies emptied,
    # one message's worth, not for every reply they outran.
    await through(pacing, api, plain_bot, SendMessage(chat_id=7, text="digest"))
    assert api.calls[-1][2] == pytest.approx(1)


async def test_replies_to_another_chat_and_background_work_are_paced(plain_bot: Bot) -> None:
    fake = FakeTime()
    pacing = middleware(fake)
    api = ScriptedApi(fake)

    async def handler_with_a_background_export() -> None:
        for n in range(4):
            await through(pacing, api, plain_bot, SendMessage(chat_id=8, text=f"other {n}"))
        task = asyncio.create_task(progress_edits(), context=on_own_schedule())
        await task

    async def progress_edits() -> None:
        for n in range(4):
            await through(pacing, api, plain_bot, EditMessageText(chat_id=7, text=f"{n} %"))

    await replying(PRIVATE, handler_with_a_background_export)
    other = [at for _, chat, at in api.calls if chat == 8]
    edits = [at for _, chat, at in api.calls if chat == 7]
    assert other == pytest.approx([0, 0, 0, 1])
    # The export's progress edits in the user's own chat are paced too: a burst, then 1/s.
    assert edits[3] - edits[0] == pytest.approx(1)


async def test_a_reply_to_a_flooded_chat_waits_for_the_flood_wait(plain_bot: Bot) -> None:
    fake = FakeTime()
    pacing = middleware(fake)
    api = ScriptedApi(fake)
    pacing.limiter.freeze(7, 30)

    async def reply() -> None:
        await through(pacing, api, plain_bot, SendMessage(chat_id=7, text="hi"))

    await replying(PRIVATE, reply)
    assert api.calls[0][2] >= 30


async def test_a_reply_that_meets_a_429_is_retried_after_it(plain_bot: Bot) -> None:
    fake = FakeTime()
    pacing = middleware(fake, retry_margin=0.5)
    api = ScriptedApi(fake, failures=1, retry_after=3)

    async def reply() -> None:
        await through(pacing, api, plain_bot, SendMessage(chat_id=7, text="hi"))

    await replying(PRIVATE, reply)
    assert [at for _, _, at in api.calls] == pytest.approx([0, 3.5])


async def test_replies_in_a_group_keep_within_its_twenty_a_minute(plain_bot: Bot) -> None:
    fake = FakeTime()
    pacing = middleware(fake)
    api = ScriptedApi(fake)

    async def chatty_group_wizard() -> None:
        for n in range(22):
            await through(pacing, api, plain_bot, SendMessage(chat_id=-100, text=str(n)))

    await replying(GROUP, chatty_group_wizard)
    times = [at for _, _, at in api.calls]
    assert times[:20] == [0] * 20
    assert conforms(times, 20 / 60, 20)


# -- Telegram's transient failures ---------------------------------------------------------


class FailingApi(ScriptedApi):
    """Fails the first calls with the given errors, then answers True."""

    def __init__(self, fake: FakeTime, errors: list[Callable[[TelegramMethod[Any]], Exception]]):
        super().__init__(fake)
        self.errors = errors

    async def __call__(self, bot: Bot, method: TelegramMethod[Any]) -> Any:
        self.calls.append((method.__api_method__, getattr(method, "chat_id", None), self.fake.now))
        if self.errors:
            raise self.errors.pop(0)(method)
        return True


def server_error(method: TelegramMethod[Any]) -> Exception:
    return TelegramServerError(method=method, message="Internal Server Error")


def timed_out(method: TelegramMethod[Any]) -> Exception:
    error = TelegramNetworkError(method=method, message="Request timeout error")
    error.__cause__ = TimeoutError()
    return error


async def test_a_5xx_is_retried_with_growing_pauses_then_the_message_goes(
    plain_bot: Bot,
) -> None:
    fake = FakeTime()
    pacing = middleware(fake, fault_pauses=(0.5, 1.5, 4.0))
    api = FailingApi(fake, [server_error, server_error])
    assert await through(pacing, api, plain_bot, SendMessage(chat_id=1, text="hi")) is True
    assert [at for _, _, at in api.calls] == pytest.approx([0, 0.5, 2.0])


async def test_failures_are_retried_a_bounded_number_of_times(plain_bot: Bot) -> None:
    fake = FakeTime()
    pacing = middleware(fake, fault_pauses=(0.5, 1.5))
    api = FailingApi(fake, [server_error] * 5)
    with pytest.raises(TelegramServerError):
        await through(pacing, api, plain_bot, EditMessageText(chat_id=1, text="x"))
    assert len(api.calls) == 3


async def test_a_timeout_repeats_an_edit_but_never_a_send(plain_bot: Bot) -> None:
    fake = FakeTime()
    pacing = middleware(fake)
    edits = FailingApi(fake, [timed_out])
    assert await through(pacing, edits, plain_bot, EditMessageText(chat_id=1, text="x")) is True
    assert len(edits.calls) == 2
    sends = FailingApi(fake, [timed_out])
    with pytest.raises(TelegramNetworkError):
        # Telegram may have posted it: a second try could post it twice.
        await through(pacing, sends, plain_bot, SendMessage(chat_id=1, text="x"))
    assert len(sends.calls) == 1


@pytest.mark.parametrize(
    ("api_method", "repeatable"),
    [
        ("sendMessage", False),
        ("sendPhoto", False),
        ("sendDocument", False),
        ("copyMessage", False),
        ("forwardMessage", False),
        ("sendChatAction", True),
        ("editMessageText", True),
        ("deleteMessage", True),
        ("answerCallbackQuery", True),
        ("getMe", True),
        ("setMyCommands", True),
    ],
)
def test_which_methods_are_safe_to_repeat(api_method: str, repeatable: bool) -> None:
    assert is_repeatable(api_method) is repeatable


async def test_http_a_refused_connection_is_retried_even_for_a_send() -> None:
    # A port nobody listens on: the request provably never reached Telegram.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    fake = FakeTime()
    pacing = middleware(fake, fault_pauses=(0.5, 1.5))
    session = AiohttpSession(api=TelegramAPIServer.from_base(f"http://127.0.0.1:{port}"))
    session.middleware(pacing)
    bot = Bot(token=TOKEN, session=session)
    try:
        with pytest.raises(TelegramNetworkError):
            await bot.send_message(1, "hi")
    finally:
        await bot.session.close()
    assert fake.sleeps[-2:] == [0.5, 1.5]


async def test_http_a_500_from_telegram_is_retried_and_posted_once(server: FakeTelegram) -> None:
    fake = FakeTime()
    client = http_bot(server, middleware(fake))
    server.fail_next_with("sendMessage", ApiError(500, "Internal Server Error"))
    try:
        message = await client.send_message(USERS[0], "Дайджест")
    finally:
        await client.session.close()
    assert message.text == "Дайджест"
    assert send_calls(server) == [500, 200]
    assert [m["text"] for m in server.messages(USERS[0])] == ["Дайджест"]
