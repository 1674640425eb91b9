"""Outbound pacing for every Bot API request: Telegram's flood limits and 429 retries.

One request middleware on the bot session (``bot.session.middleware(PacingMiddleware())``)
so that handlers and the digest sender never think about limits:

* methods that put content into a chat (send*, edit*, copy*, forward*, stopPoll...) wait for
  a token from the global bucket, their chat's bucket and, for groups and channels, the
  group's per-minute bucket;
* everything else (getUpdates, answerCallbackQuery, sendChatAction, deleteMessage,
  getChatMember...) goes straight through and never queues behind messages;
* a 429 (``TelegramRetryAfter``) is retried after ``retry_after`` plus a small margin, in a
  loop, at most ``max_retries`` times; meanwhile other messages to the same chat (or, for a
  429 that names no chat, to every chat) wait as well.

Telegram's own failures are retried too, a bounded number of times with a growing pause:
a 5xx answer or a connection that could not be opened, for every method; a timeout or a
connection dropped mid-request only for methods that are safe to repeat (edits, deletes,
answers, reads). A send whose fate is unknown is not repeated, as Telegram may have posted
it: a duplicate digest is worse than an error the caller reports.

Replies are not queued: while a handler serves a user's update (``ReplyPacingMiddleware``),
what it sends to that update's chat goes out at once and only counts against the buckets,
so a quick wizard never waits for the per-chat rate. The queue is for what the bot sends
on its own (digests, progress edits of background work: see ``on_own_schedule``), for
groups whose per-minute quota is used up, and for chats Telegram has answered with a 429.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import aiohttp
from aiogram import BaseMiddleware
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import Chat, TelegramObject

if TYPE_CHECKING:
    from aiogram import Bot

logger = logging.getLogger(__name__)

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[object]]
# A chat as the Bot API addresses it; None for requests without a chat (inline messages).
ChatKey = int | str | None

# Floating-point slack so that a bucket refilled to 0.9999999 tokens counts as ready.
_EPSILON = 1e-9

# The chat whose update is being handled in this context: replies to it are not queued.
_REPLYING_TO: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "pacing_replying_to", default=None
)

_MESSAGE_PREFIXES = ("send", "edit", "copy", "forward")
_EXTRA_MESSAGE_METHODS = frozenset({"stopPoll", "stopMessageLiveLocation"})
# Prefix matches that do not put a message into a chat.
_NOT_MESSAGE_METHODS = frozenset(
    {
        "sendChatAction",
        "editChatInviteLink",
        "editChatSubscriptionInviteLink",
        "editForumTopic",
        "editGeneralForumTopic",
        "editStory",
        "editUserStarSubscription",
    }
)


def is_message_method(api_method: str) -> bool:
    """Whether a Bot API method sends or edits content in a chat (and so is paced).

    Matching by prefix keeps methods added to the Bot API later on the safe (paced) side.
    """
    if api_method in _NOT_MESSAGE_METHODS:
        return False
    return api_method.startswith(_MESSAGE_PREFIXES) or api_method in _EXTRA_MESSAGE_METHODS


def is_repeatable(api_method: str) -> bool:
    """Whether sending a request twice has the effect of sending it once.

    Everything but the methods that post a new message: a second ``editMessageText`` with
    the same text changes nothing, a second ``sendMessage`` posts a second message.
    """
    posts = api_method.startswith(("send", "copy", "forward")) and api_method != "sendChatAction"
    return not posts


def never_arrived(error: TelegramNetworkError) -> bool:
    """Whether a network error proves the request never reached Telegram.

    aiogram raises it inside its ``except``: the aiohttp error is the cause in newer
    releases (``raise … from``) and the context in older ones.
    """
    cause = error.__cause__ or error.__context__
    return isinstance(cause, aiohttp.ClientConnectorError)


def chat_key(method: TelegramMethod[Any]) -> ChatKey:
    """The chat a request is addressed to, if any."""
    chat_id = getattr(method, "chat_id", None)
    return chat_id if isinstance(chat_id, int | str) else None


def is_group(chat: ChatKey) -> bool:
    """Groups, supergroups and channels have negative ids; only they have @usernames here."""
    return isinstance(chat, str) or (isinstance(chat, int) and chat < 0)


@dataclass(frozen=True)
class PacingLimits:
    """Telegram's published limits and how close to them to run.

    ``safety`` scales every rate down (bursts stay as they are) so that network jitter between
    our clock and Telegram's cannot turn an on-time message into a 429.
    """

    global_per_second: float = 30.0
    chat_per_second: float = 1.0
    chat_burst: int = 3
    group_per_minute: float = 20.0
    safety: float = 0.9

    def __post_init__(self) -> None:
        rates = (self.global_per_second, self.chat_per_second, self.group_per_minute)
        if min(rates) <= 0 or self.chat_burst < 1 or not 0 < self.safety <= 1:
            raise ValueError("pacing limits must be positive and safety in (0, 1]")


@dataclass
class TokenBucket:
    """``capacity`` tokens, refilled continuously at ``rate`` per second; a message costs one."""

    rate: float
    capacity: float
    tokens: float
    updated: float

    @classmethod
    def full(cls, rate: float, capacity: float, now: float) -> TokenBucket:
        return cls(rate=rate, capacity=capacity, tokens=capacity, updated=now)

    def _refill(self, now: float) -> None:
        if now > self.updated:
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now

    def ready_at(self, now: float) -> float:
        """When one token is available (``now`` if it already is)."""
        self._refill(now)
        if self.tokens >= 1 - _EPSILON:
            return now
        return now + (1 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1

    def charge(self, now: float) -> None:
        """Count a message sent without waiting, never into debt: a quick wizard must not
        make the bot's own next message to that chat wait for every reply it outran."""
        self._refill(now)
        self.tokens = max(self.tokens - 1, 0.0)

    def is_full(self, now: float) -> bool:
        self._refill(now)
        return self.tokens >= self.capacity - _EPSILON


@dataclass
class _ChatState:
    """Buckets and flood-wait of one chat; dropped when it is back to a fresh state.

    ``hard`` are the buckets a reply may not overdraw (a group's per-minute quota); the
    per-chat rate is a soft limit that replies only count against.
    """

    buckets: list[TokenBucket]
    frozen_until: float = 0.0
    hard: list[TokenBucket] = field(default_factory=list)

    def ready_at(self, now: float) -> float:
        return max([now, self.frozen_until, *(b.ready_at(now) for b in self.buckets)])

    def take(self, now: float) -> None:
        for bucket in self.buckets:
            bucket.take(now)

    def charge(self, now: float) -> None:
        for bucket in self.buckets:
            bucket.charge(now)

    def at_rest(self, now: float) -> bool:
        return self.frozen_until <= now and all(b.is_full(now) for b in self.buckets)


@dataclass
class _Waiters:
    """Requests waiting for their turn: one FIFO lane per chat, chats in a ring."""

    lanes: dict[ChatKey, deque[asyncio.Future[None]]] = field(default_factory=dict)
    ring: deque[ChatKey] = field(default_factory=deque)

    def add(self, chat: ChatKey, waiter: asyncio.Future[None], *, front: bool) -> None:
        lane = self.lanes.get(chat)
        if lane is None:
            lane = self.lanes[chat] = deque()
            self.ring.append(chat)
        if front:
            lane.appendleft(waiter)
        else:
            lane.append(waiter)

    def fail_all(self, error: BaseException) -> None:
        for lane in self.lanes.values():
            for waiter in lane:
                if waiter.done():
                    continue
                if isinstance(error, asyncio.CancelledError):
                    waiter.cancel()
                else:
                    waiter.set_exception(error)
        self.lanes.clear()
        self.ring.clear()


class FloodLimiter:
    """Grants permission to send one message at a time, within the limits, fairly.

    Fairness: each chat has its own FIFO lane and one dispatcher serves the lanes round-robin,
    skipping chats that have no token yet. So a digest batch queued for chat A never holds up
    a reply to chat B (no head-of-line blocking as with one global FIFO), and a chat with many
    queued parts shares the global rate with every other chat instead of draining it first.
    Among many chats with one message each the order is arrival order, so nobody waits longer
    than the global rate implies. (Priority classes would be the next step; not needed yet.)
    The single dispatcher is also the only place that sleeps, which keeps timing testable.
    """

    def __init__(
        self,
        limits: PacingLimits | None = None,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        prune_every: float = 60.0,
    ) -> None:
        self.limits = limits or PacingLimits()
        self._clock = clock
        self._sleep = sleep
        self._prune_every = prune_every
        now = clock()
        global_rate = self.limits.global_per_second * self.limits.safety
        self._global = TokenBucket.full(global_rate, self.limits.global_per_second, now)
        self._global_frozen_until = 0.0
        self._chats: dict[ChatKey, _ChatState] = {}
        self._waiters = _Waiters()
        self._wakeup = asyncio.Event()
        self._dispatcher: asyncio.Task[None] | None = None
        self._last_prune = now

    @property
    def tracked_chats(self) -> int:
        """How many chats have state (memory use); idle chats are forgotten."""
        return len(self._chats)

    @property
    def queued(self) -> int:
        return sum(len(lane) for lane in self._waiters.lanes.values())

    async def acquire(self, chat: ChatKey, *, front: bool = False) -> None:
        """Wait until one message to ``chat`` may be sent; ``front`` for a retried message."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.add(chat, waiter, front=front)
        self._wakeup.set()
        if self._dispatcher is None:
            self._dispatcher = asyncio.create_task(self._dispatch(), name="flood-limiter")
        await waiter

    def freeze(self, chat: ChatKey, seconds: float) -> None:
        """Telegram asked to wait: hold messages to ``chat`` (None: every chat) for a while."""
        until = self._clock() + seconds
        if chat is None:
            self._global_frozen_until = max(self._global_frozen_until, until)
        else:
            state = self._state(chat, self._clock())
            state.frozen_until = max(state.frozen_until, until)
        self._wakeup.set()

    def _state(self, chat: ChatKey, now: float) -> _ChatState:
        state = self._chats.get(chat)
        if state is None:
            buckets: list[TokenBucket] = []
            limits = self.limits
            if chat is not None:
                chat_rate = limits.chat_per_second * limits.safety
                buckets.append(TokenBucket.full(chat_rate, limits.chat_burst, now))
            hard: list[TokenBucket] = []
            if is_group(chat):
                group_rate = limits.group_per_minute / 60 * limits.safety
                hard.append(TokenBucket.full(group_rate, limits.group_per_minute, now))
            state = self._chats[chat] = _ChatState([*buckets, *hard], hard=hard)
        return state

    def send_now(self, chat: ChatKey) -> bool:
        """Let a reply to ``chat`` go out without queueing, if nothing forbids it.

        It is refused while Telegram's flood-wait holds the chat (or every chat), while
        others wait in that chat's lane (order is kept), and when a hard quota is used up.
        A granted reply is counted (down to an empty bucket, not below), so what the bot
        sends on its own right after waits its turn.
        """
        now = self._clock()
        state = self._state(chat, now)
        if (
            state.frozen_until > now
            or self._global_frozen_until > now
            or chat in self._waiters.lanes
            or any(bucket.ready_at(now) > now for bucket in state.hard)
        ):
            return False
        state.charge(now)
        self._global.charge(now)
        return True

    def _prune(self, now: float) -> None:
        """Forget chats whose state equals a fresh one, so memory follows recent activity."""
        if now - self._last_prune < self._prune_every:
            return
        self._last_prune = now
        idle = [
            chat
            for chat, state in self._chats.items()
            if chat not in self._waiters.lanes and state.at_rest(now)
        ]
        for chat in idle:
            del self._chats[chat]

    def _grant_one(self, now: float) -> float | None:
        """Let the next ready chat in the ring send one message.

        Returns None if one was granted, else when the earliest waiting chat becomes ready
        (infinity if nobody waits any more).
        """
        waiters = self._waiters
        earliest = float("inf")
        for _ in range(len(waiters.ring)):
            chat = waiters.ring.popleft()
            lane = waiters.lanes[chat]
            while lane and lane[0].done():  # cancelled while waiting
                lane.popleft()
            if not lane:
                del waiters.lanes[chat]
                continue
            state = self._state(chat, now)
            ready_at = state.ready_at(now)
            if ready_at > now:
                waiters.ring.append(chat)
                earliest = min(earliest, ready_at)
                continue
            state.take(now)
            self._global.take(now)
            lane.popleft().set_result(None)
            if lane:
                waiters.ring.append(chat)
            else:
                del waiters.lanes[chat]
            return None
        return earliest

    async def _dispatch(self) -> None:
        try:
            while self._waiters.ring:
                now = self._clock()
                self._prune(now)
                global_ready = max(self._global.ready_at(now), self._global_frozen_until)
                if global_ready > now:
                    await self._pause(global_ready - now)
                    continue
                earliest = self._grant_one(now)
                if earliest is not None and earliest != float("inf"):
                    await self._pause(earliest - now)
        except BaseException as error:
            # A failed or cancelled (loop shutdown) dispatcher must not leave waiters hanging.
            self._waiters.fail_all(error)
            raise
        finally:
            self._dispatcher = None

    async def _pause(self, delay: float) -> None:
        """Sleep ``delay``, waking early when a request arrives or a flood-wait changes."""
        self._wakeup.clear()
        sleeper = asyncio.ensure_future(self._sleep(delay))
        woken = asyncio.ensure_future(self._wakeup.wait())
        try:
            await asyncio.wait({sleeper, woken}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            woken.cancel()


class PacingMiddleware(BaseRequestMiddleware):
    """Session request middleware: paces messages, retries 429s and transient failures
    (see the module doc).

    Register one per bot: ``bot.session.middleware(PacingMiddleware())``.
    """

    def __init__(
        self,
        limits: PacingLimits | None = None,
        *,
        max_retries: int = 5,
        retry_margin: float = 0.5,
        max_retry_after: float = 300.0,
        fault_pauses: tuple[float, ...] = (0.5, 1.0, 2.0),
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.limiter = FloodLimiter(limits, clock=clock, sleep=sleep)
        self.max_retries = max_retries
        self.retry_margin = retry_margin
        self.max_retry_after = max_retry_after
        self.fault_pauses = fault_pauses
        self._sleep = sleep

    def _fault_pause(
        self, api_method: str, error: TelegramServerError | TelegramNetworkError, faults: int
    ) -> float | None:
        """How long to wait before trying a failed request again; None: do not."""
        if faults >= len(self.fault_pauses):
            return None
        unknown_fate = isinstance(error, TelegramNetworkError) and not never_arrived(error)
        if unknown_fate and not is_repeatable(api_method):
            return None
        return self.fault_pauses[faults]

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        api_method = method.__api_method__
        if api_method == "getUpdates":
            # Long polling must never wait here; the dispatcher has its own backoff.
            return await make_request(bot, method)
        paced = is_message_method(api_method)
        chat = chat_key(method)
        if paced and chat is not None and chat == _REPLYING_TO.get():
            # A reply to the update being handled: at once, unless the chat must wait.
            paced = not self.limiter.send_now(chat)
            if paced:
                logger.debug("%s to %s: a reply that has to queue", api_method, chat)
        retries = faults = 0
        while True:
            if paced:
                # A retried message goes first in its chat so the chat's order is kept.
                queued_at = time.monotonic()
                await self.limiter.acquire(chat, front=retries + faults > 0)
                waited = time.monotonic() - queued_at
                if waited > 0.5:
                    logger.debug("%s to %s waited %.1f s for its turn", api_method, chat, waited)
            try:
                return await make_request(bot, method)
            except (TelegramServerError, TelegramNetworkError) as error:
                pause = self._fault_pause(api_method, error, faults)
                if pause is None:
                    raise
                faults += 1
                logger.warning(
                    "%s failed (%s); trying again in %.1f s (%d of %d)",
                    api_method,
                    error.message,
                    pause,
                    faults,
                    len(self.fault_pauses),
                )
                await self._sleep(pause)
            except TelegramRetryAfter as error:
                delay = error.retry_after + self.retry_margin
                # Whatever happens to this request, the others must honour the wait.
                self.limiter.freeze(chat, delay)
                if retries >= self.max_retries or error.retry_after > self.max_retry_after:
                    logger.warning(
                        "%s: flood control, retry after %s s; giving up after %d retries",
                        api_method,
                        error.retry_after,
                        retries,
                    )
                    raise
                retries += 1
                logger.info(
                    "%s: flood control, retrying in %.1f s (retry %d of %d)",
                    api_method,
                    delay,
                    retries,
                    self.max_retries,
                )
                # A reply that met a 429 queues like any message from now on.
                paced = is_message_method(api_method)
                if not paced:
                    # Paced requests wait through the frozen chat in the limiter instead.
                    await self._sleep(delay)


class ReplyPacingMiddleware(BaseMiddleware):
    """Update outer middleware: marks the update's chat as the one being replied to."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        chat: Chat | None = data.get("event_chat")
        token = _REPLYING_TO.set(chat.id if chat is not None else None)
        try:
            return await handler(event, data)
        finally:
            _REPLYING_TO.reset(token)


def on_own_schedule() -> contextvars.Context:
    """A context for work that outlives the update that started it (exports, warm-ups):
    what it sends is paced like any message the bot sends on its own."""
    context = contextvars.copy_context()
    context.run(_REPLYING_TO.set, None)
    return context
