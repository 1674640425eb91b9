"""A seeded fuzzer of Telegram updates for the real dispatcher (see ``tests.flows.world``).

Each step is chosen with a seeded ``random.Random``: random text up to 4,096 characters
(with commands, numbers, dates and names the flows expect), real presses of the buttons
the bot has sent (fresh and old ones), forged and foreign callback data with every prefix
the bot knows and bad payloads (integers beyond 64 bits, negative, unknown enum values,
too many or too few parts, digits ``int`` refuses, mojibake), documents, photos, edited
messages, presses without a message, in private chats and groups, alone or in bursts of
one user's updates at once, and now and then an aiokk fault. Updates run concurrently as
aiogram's polling runs them, so the sequence is seeded but the interleaving is not.

What is counted (``Figures``): errors that reached the global error handler ("unhandled
error" with its id) or escaped the dispatcher, presses never answered, Bot API answers
other than OK besides "message is not modified", and for every update the time until the
bot's first visible reaction (an answer, a message, an edit, a chat action), or until it
was handled when nothing was to be shown.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import random
import statistics
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.filters.callback_data import CallbackData
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

import handlers  # noqa: F401 - imports every callback factory the bot knows
from tests.fake_telegram.state import FakeChat, JsonDict
from tests.flows.world import World

BOT_USERNAME = "aiokk_test_bot"
COMMANDS = (
    "/start", "/calls", "/op", "/digest", "/connect", "/status", "/settings", "/help",
    "/cancel", "/menu",
)  # fmt: skip
NAMES = ("Айгерим", "Алёна", "Пётр Семёнов", "Тимур", "айгерим нурланова", "Зарина")
SNIPPETS = (
    "<b>", "&amp;", "</i>", "<", "&", "${x}", "%s", "{name}", "\\", "'", '"', "\u200b",
    "\u202e", "ё", "Ё", "😀", "👨‍👩‍👧", "\ufffd", "Ã©", "Ð¿Ñ€Ð¸", "\x00", "\t", "\n",
    "²", "١٢", "０９:００", "9:00", "24:61", "01.04–07.04", "31.02.2025", "2025-04-21",
    "1", "0", "-1", "99999999999999999999999", "1e9", "NaN", "Asia/Almaty", "Mars/Olympus",
    "https://example.com", "http://127.0.0.1:22", "demo", "tok_" + "x" * 40,
)  # fmt: skip
FOREIGN = ("like_123", "page:2", "vote|yes", "{}", "null", "🙂", "a" * 64, "menu", "k:", ":")
HUGE = (str(2**63), str(2**64 + 7), str(10**30), "-" + str(2**63 + 1), "9" * 40)
ODD = ("²", "١٢", "１２", "1e3", "0x1f", " 7", "7 ", "+7", "-0", "1_0", "NaN", "∞", "Ã", "\ufffd")
LIMIT = 64  # bytes of callback data Telegram carries
ERRORS_LOGGER = "handlers.errors"  # the global error handler logs "unhandled error <id>"
PERSON = (6, 0.5)  # a person taps up to 6 times at once, then every other second
GROUP = (8, 10 / 60)  # a group: each update may take the bot two of its 20 a minute

log = logging.getLogger(__name__)

_CURRENT: contextvars.ContextVar[int | None] = contextvars.ContextVar("fuzz_update", default=None)
_VISIBLE_PREFIXES = ("send", "edit", "answer", "delete", "copy", "forward")


@dataclass
class Figures:
    updates: int = 0
    presses: int = 0
    unhandled_errors: int = 0
    error_samples: list[str] = field(default_factory=list)  # the first few, with tracebacks
    escaped: list[str] = field(default_factory=list)
    unanswered: int = 0
    api_errors: list[str] = field(default_factory=list)  # other than "not modified"
    not_modified: int = 0
    aiokk_errors: int = 0
    latencies: list[float] = field(default_factory=list)  # first reaction, seconds
    handled: list[float] = field(default_factory=list)  # until handled, seconds
    wall: float = 0.0

    @staticmethod
    def _percentile(values: list[float], share: float) -> float:
        if not values:
            return 0.0
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) if self.latencies else 0.0

    @property
    def p95(self) -> float:
        return self._percentile(self.latencies, 0.95)

    def summary(self) -> str:
        handled_p95 = self._percentile(self.handled, 0.95)
        return "\n".join(
            [
                f"updates:               {self.updates} ({self.presses} presses)"
                f" in {self.wall:.1f} s",
                f"unhandled errors:      {self.unhandled_errors}"
                f" (+{len(self.escaped)} escaped the dispatcher)",
                f"unanswered presses:    {self.unanswered}",
                f"Bot API errors:        {len(self.api_errors)}"
                f" (+{self.not_modified} 'message is not modified', ignored)",
                f"aiokk errors told:     {self.aiokk_errors}",
                f"first reaction:        p50 {self.p50:.3f} s, p95 {self.p95:.3f} s,"
                f" max {max(self.latencies, default=0.0):.3f} s",
                f"handled (incl. aiokk): p95 {handled_p95:.3f} s,"
                f" max {max(self.handled, default=0.0):.3f} s",
            ]
        )


class _Reactions(BaseRequestMiddleware):
    """Notes when each update first made the bot do something the user sees."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.first: dict[int, float] = {}
        self._clock = clock

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        update_id = _CURRENT.get()
        name = method.__api_method__
        if (
            update_id is not None
            and update_id not in self.first
            and name.startswith(_VISIBLE_PREFIXES)
        ):
            self.first[update_id] = self._clock()
        return await make_request(bot, method)


class _Counter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.unhandled = 0
        self.aiokk = 0
        self.samples: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("unhandled error"):
            self.unhandled += 1
            if len(self.samples) < 5:
                self.samples.append(self.format(record))
        elif message.startswith("aiokk error in update"):
            self.aiokk += 1


@dataclass
class _Pace:
    """How fast a chat talks to the bot: a burst at once, then a steady rate (a token
    bucket). Faster than the bot may answer there (Telegram: about one message a second in
    a chat, 20 a minute in a group), answers can only queue, as they would on Telegram."""

    burst: float
    rate: float  # updates a second
    tokens: float = 0.0
    at: float = 0.0

    def __post_init__(self) -> None:
        self.tokens = self.burst

    def take(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + max(0.0, now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


@dataclass
class _Chat:
    chat: FakeChat
    members: list[int]
    pace: _Pace


class Fuzzer:
    def __init__(self, world: World, *, seed: int, in_flight: int = 40) -> None:
        self.world = world
        self.fake = world.fake
        self.random = random.Random(seed)
        self._in_flight = asyncio.Semaphore(in_flight)
        self._update_ids = iter(range(1, 10**9))
        self._callback_ids = iter(range(1, 10**9))
        self._tasks: set[asyncio.Task[None]] = set()
        self.figures = Figures()
        self._loop = asyncio.get_running_loop()
        self._reactions = _Reactions(self._loop.time)
        self._factories = _factories()
        self.people: list[_Chat] = []
        self.groups: list[_Chat] = []

    # -- the world -------------------------------------------------------------------------

    async def populate(self, *, private: int = 10, groups: int = 2) -> None:
        """``private`` users (seven in ten connected to the sandbox) and ``groups`` groups
        of an admin (connected) and a member."""
        for number in range(private):
            user_id = 7_000 + number
            lang = "en" if number % 4 == 3 else "ru"
            chat = self.fake.private_chat(user_id, f"User {number}", language_code=lang)
            self.people.append(_Chat(chat, [user_id], _Pace(*PERSON)))
            if number % 10 < 7:
                await self.world.connect(user_id)
        for number in range(groups):
            admin, member = 8_000 + 2 * number, 8_001 + 2 * number
            chat_id = -1_000_000_000_100 - number
            chat = self.fake.group_chat(chat_id, f"Group {number}", admins={admin})
            self.fake.user(member, f"Member {number}")
            await self.world.connect(admin)
            self.groups.append(_Chat(chat, [admin, member], _Pace(*GROUP)))

    # -- running ---------------------------------------------------------------------------

    async def run(self, count: int) -> Figures:
        self.world.bot.session.middleware(self._reactions)
        counter = _Counter()
        # The global error handler's records, whatever the logging configuration says.
        errors = logging.getLogger(ERRORS_LOGGER)
        level = errors.level
        errors.setLevel(logging.WARNING)
        errors.addHandler(counter)
        started = self._loop.time()
        try:
            while self.figures.updates < count:
                await self._step(count - self.figures.updates)
            await self._drain()
        finally:
            errors.removeHandler(counter)
            errors.setLevel(level)
        self.figures.wall = self._loop.time() - started
        self.figures.unhandled_errors = counter.unhandled
        self.figures.error_samples = counter.samples
        self.figures.aiokk_errors = counter.aiokk
        self.figures.unanswered = len(self.fake.api.pending_callbacks)
        for call in self.fake.calls:
            if call.ok or call.status is None or call.method == "getUpdates":
                continue
            description = call.description or ""
            if "message is not modified" in description:
                self.figures.not_modified += 1
            else:
                self.figures.api_errors.append(f"{call.method} {call.status} {description}")
        return self.figures

    async def _drain(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _step(self, left: int) -> None:
        pick = self.random.random()
        if pick < 0.02:
            await self._aiokk_fault()
            return
        talker = await self._somebody()
        chat, user_id = talker.chat, self.random.choice(talker.members)
        if pick < 0.12:  # a burst: one user's updates at once (paid for afterwards)
            size = min(left, self.random.randint(3, 8))
            talker.pace.tokens -= size - 1
            for update in [self._update(chat, user_id) for _ in range(size)]:
                if update is not None:
                    await self._spawn(update)
            return
        update = self._update(chat, user_id)
        if update is not None:
            await self._spawn(update)
        # Now and then let the bot catch up, as people read before they tap again.
        if self.random.random() < 0.3:
            await asyncio.sleep(0)

    async def _spawn(self, update: JsonDict) -> None:
        await self._in_flight.acquire()
        self.figures.updates += 1
        if "callback_query" in update:
            self.figures.presses += 1
        task = asyncio.create_task(self._feed(update))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _feed(self, update: JsonDict) -> None:
        _CURRENT.set(update["update_id"])
        start = self._loop.time()
        try:
            await self.world.feed(update)
        except Exception as error:  # an error the error handler did not handle
            self.figures.escaped.append(f"{type(error).__name__}: {error}"[:300])
        finally:
            self._in_flight.release()
            done = self._loop.time()
            first = self._reactions.first.pop(update["update_id"], done)
            self.figures.latencies.append(min(first, done) - start)
            self.figures.handled.append(done - start)

    async def _aiokk_fault(self) -> None:
        status = self.random.choice((402, 403, 404, 500, 502))
        kind = self.random.choice(("status", "status", "garbage"))
        await self.world.aiokk.add_fault({"kind": kind, "status": status, "count": 1})

    # -- choosing updates ------------------------------------------------------------------

    async def _somebody(self) -> _Chat:
        """A chat that may talk now (waiting, as people do, when none may)."""
        while True:
            pool = self.groups if self.groups and self.random.random() < 0.2 else self.people
            talker = self.random.choice(pool)
            if talker.pace.take(self._loop.time()):
                return talker
            if not any(person.pace.tokens >= 1 for person in self.people):
                await asyncio.sleep(0.05)

    def _update(self, chat: FakeChat, user_id: int) -> JsonDict | None:
        pick = self.random.random()
        if pick < 0.50:  # mostly the buttons the bot sent, to get deep into the flows
            return self._real_press(chat, user_id) or self._text(chat, user_id)
        if pick < 0.65:
            return self._forged_press(chat, user_id)
        if pick < 0.90:
            return self._text(chat, user_id)
        if pick < 0.97:
            return self._media(chat, user_id)
        return self._edited(chat, user_id)

    def _next_update(self, payload: JsonDict) -> JsonDict:
        return {"update_id": next(self._update_ids), **payload}

    def _bot_messages_with_buttons(self, chat: FakeChat) -> list[JsonDict]:
        bot_id = self.fake.bot_user["id"]
        return [
            message
            for message in self.fake.messages(chat.id)
            if message["from"]["id"] == bot_id and self.fake.buttons(message)
        ]

    def _real_press(self, chat: FakeChat, user_id: int) -> JsonDict | None:
        messages = self._bot_messages_with_buttons(chat)
        if not messages:
            return None
        # Mostly the newest menus, sometimes an old one (a stale button).
        message = messages[-1] if self.random.random() < 0.8 else self.random.choice(messages)
        _, data = self.random.choice(self.fake.buttons(message))
        try:
            update = self.fake.click(message, data, user_id=user_id)
        except LookupError:  # edited away meanwhile
            return None
        return self._next_update({"callback_query": update["callback_query"]})

    def _forged_press(self, chat: FakeChat, user_id: int) -> JsonDict:
        messages = [m for m in self.fake.messages(chat.id) if m["from"]["is_bot"]]
        message = self.random.choice(messages) if messages else None
        query: JsonDict = {
            "id": f"f{next(self._callback_ids)}",
            "from": self.fake.user(user_id),
            "chat_instance": str(abs(chat.id)),
            "data": self._forged_data(),
        }
        if message is not None and self.random.random() < 0.9:
            query["message"] = message
        else:  # a press under an inline message: no chat, no message
            query["inline_message_id"] = f"inline-{next(self._callback_ids)}"
        self.fake.api.pending_callbacks[query["id"]] = query
        return self._next_update({"callback_query": query})

    def _forged_data(self) -> str:
        if self.random.random() < 0.1:
            return _fit(self.random.choice(FOREIGN))
        factory = self.random.choice(self._factories)
        parts = [self._field_value(info.annotation) for info in factory.model_fields.values()]
        shape = self.random.random()
        if shape < 0.1:
            parts.append(self._junk(5))
        elif shape < 0.2 and parts:
            parts.pop()
        return _fit(factory.__separator__.join([factory.__prefix__ or "", *parts]))

    def _field_value(self, annotation: Any) -> str:
        pick = self.random.random()
        if isinstance(annotation, type) and issubclass(annotation, Enum):
            if pick < 0.75:
                return str(self.random.choice(list(annotation)).value)
            return self.random.choice(("zz", "", "X", "ls ", "LS", "0"))
        if annotation is int:
            if pick < 0.5:
                return str(self.random.randint(0, 40))
            if pick < 0.8:
                return self.random.choice(HUGE)
            return self.random.choice(ODD)
        if pick < 0.3:
            return str(self.random.randint(0, 40))
        if pick < 0.5:
            return self.random.choice(("d", "o", "t", "q", "l", "s", "d7", "all", "xlsx", "le3"))
        if pick < 0.7:
            return self.random.choice(HUGE + ODD)
        return self._junk(self.random.randint(0, 12))

    def _junk(self, length: int) -> str:
        alphabet = string.ascii_letters + string.digits + "ёЁжЖ_-:|/😀\ufffd"
        return "".join(self.random.choice(alphabet) for _ in range(length))

    def _text(self, chat: FakeChat, user_id: int) -> JsonDict:
        pick = self.random.random()
        if pick < 0.3:
            text = self.random.choice(COMMANDS)
            if self.random.random() < 0.3:
                text += " " + self._phrase(self.random.randint(1, 60))
            if not chat.is_private and self.random.random() < 0.7:
                command, _, rest = text.partition(" ")
                text = f"{command}@{BOT_USERNAME} {rest}".strip()
        elif pick < 0.6:
            text = self.random.choice(SNIPPETS + NAMES)
        elif pick < 0.9:
            text = self._phrase(self.random.randint(1, 300))
        else:
            text = self._phrase(4096)[:4096]
        text = text.strip() or "?"
        message = self.fake.send_text(chat, user_id, text)
        return self._next_update({"message": message})

    def _phrase(self, length: int) -> str:
        words: list[str] = []
        size = 0
        while size < length:
            word = (
                self.random.choice(SNIPPETS + NAMES + COMMANDS)
                if self.random.random() < 0.3
                else self._junk(self.random.randint(1, 12))
            )
            words.append(word)
            size += len(word) + 1
        return " ".join(words)[:length]

    def _media(self, chat: FakeChat, user_id: int) -> JsonDict:
        kind = self.random.choice(("document", "photo", "sticker", "voice"))
        content: JsonDict
        file = {"file_id": f"F{next(self._callback_ids)}", "file_unique_id": "u1"}
        if kind == "document":
            content = {
                "document": {**file, "file_name": "calls.xlsx", "file_size": 1234},
                "caption": self._phrase(self.random.randint(0, 100)),
            }
        elif kind == "photo":
            content = {"photo": [{**file, "width": 90, "height": 90}]}
        elif kind == "sticker":
            sticker = {
                **file, "type": "regular", "width": 512, "height": 512,
                "is_animated": False, "is_video": False,
            }  # fmt: skip
            content = {"sticker": sticker}
        else:
            content = {"voice": {**file, "duration": 3}}
        message = self.fake.api.store(chat, self.fake.user(user_id), content)
        return self._next_update({"message": message})

    def _edited(self, chat: FakeChat, user_id: int) -> JsonDict:
        message = self.fake.send_text(chat, user_id, self._phrase(20) or "x")
        edited = {**message, "text": self._phrase(30) or "y", "edit_date": message["date"] + 5}
        return self._next_update({"edited_message": edited})


def _fit(data: str) -> str:
    """Within Telegram's 64 bytes (cut on a character boundary) and never empty."""
    encoded = data.encode("utf-8")[:LIMIT]
    return encoded.decode("utf-8", errors="ignore") or "x"


def _factories() -> list[type[CallbackData]]:
    found: list[type[CallbackData]] = []
    pending: list[type[CallbackData]] = list(CallbackData.__subclasses__())
    while pending:
        kind = pending.pop()
        found.append(kind)
        pending.extend(kind.__subclasses__())
    return sorted(found, key=lambda kind: kind.__prefix__ or "")


async def fuzz(world: World, *, seed: int, count: int) -> Figures:
    """Populate the world and feed it ``count`` fuzzed updates; the figures."""
    fuzzer = Fuzzer(world, seed=seed)
    # Enough people for the updates to come at a human pace (see ``_Pace``).
    await fuzzer.populate(private=min(80, max(10, count // 8)), groups=2 + count // 2_500)
    return await fuzzer.run(count)
