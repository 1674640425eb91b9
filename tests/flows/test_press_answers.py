"""Every press is answered once and in time: by its handler when it answers quickly, for
it when it does not (even while it waits behind the same user's slow update), and an alert
that comes too late arrives as a message instead of being refused by Telegram."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiogram import Bot, Dispatcher, Router
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import CallbackQuery
from pydantic import SecretStr

from bot.app import build_bot
from bot.config import Settings
from bot.isolation import UserIsolation
from bot.middlewares import AnswerPresses
from handlers import errors
from tests.fake_telegram import FakeTelegram
from tests.fake_telegram.state import JsonDict

DELAY = 0.05  # seconds before a press is answered for its handler
WAIT = 5.0
USER = 905


@dataclass
class Setup:
    fake: FakeTelegram
    bot: Bot
    dispatcher: Dispatcher
    gate: asyncio.Event  # the slow handler waits for it
    message: JsonDict  # a bot message with the buttons below

    def press(self, data: str) -> tuple[str, asyncio.Task[None]]:
        update = self.fake.click(self.message, data)
        task = asyncio.create_task(self.dispatcher.feed_raw_update(self.bot, update))
        return update["callback_query"]["id"], task

    def answers(self, query_id: str) -> list[JsonDict]:
        return [a for a in self.fake.callback_answers if a["callback_query_id"] == query_id]

    async def answered(self, query_id: str) -> JsonDict:
        await self.fake.wait_for(
            lambda call: (
                call.method == "answerCallbackQuery"
                and call.params.get("callback_query_id") == query_id
                and call.ok
            ),
            timeout=WAIT,
        )
        (answer,) = self.answers(query_id)
        return answer


def handlers(gate: asyncio.Event) -> Router:
    router = Router(name="press-tests")

    @router.callback_query(lambda q: q.data == "slow")
    async def slow(query: CallbackQuery) -> None:
        await gate.wait()  # e.g. a Telegram call or aiokk, inside the lock
        await query.answer("Этого звонка больше нет", show_alert=True)

    @router.callback_query(lambda q: q.data == "quick")
    async def quick(query: CallbackQuery) -> None:
        await query.answer("Сохранено", show_alert=True)

    @router.callback_query(lambda q: q.data == "silent")
    async def silent(query: CallbackQuery) -> None:
        return None  # forgets to answer

    @router.callback_query(lambda q: q.data == "fails")
    async def fails(query: CallbackQuery) -> None:
        await gate.wait()
        raise RuntimeError("boom")

    return router


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[Setup]:
    fake = FakeTelegram()
    await fake.start()
    settings = Settings(
        bot_token=SecretStr(fake.token),
        telegram_api_url=fake.base_url,
        database_path=tmp_path / "bot.sqlite3",
        _env_file=None,
    )
    bot = build_bot(settings)  # with AnswerOnce on its session
    dispatcher = Dispatcher(
        storage=MemoryStorage(), events_isolation=UserIsolation(), disable_fsm=True
    )
    dispatcher.update.outer_middleware(AnswerPresses(delay=DELAY))
    dispatcher.update.outer_middleware(dispatcher.fsm)
    gate = asyncio.Event()
    dispatcher.include_routers(errors.router, handlers(gate))
    chat = fake.private_chat(USER)
    keyboard = [[{"text": name, "callback_data": name}] for name in ("slow", "quick", "silent")]
    keyboard.append([{"text": "fails", "callback_data": "fails"}])
    content = {"text": "Меню", "reply_markup": {"inline_keyboard": keyboard}}
    sent = fake.api.store(chat, fake.bot_user, content)
    try:
        yield Setup(fake, bot, dispatcher, gate, sent)
    finally:
        gate.set()
        await bot.session.close()
        errors.router._parent_router = None
        await fake.stop()


async def test_a_slow_handler_is_answered_for_and_its_late_alert_becomes_a_message(
    setup: Setup,
) -> None:
    query_id, task = setup.press("slow")
    answer = await setup.answered(query_id)
    assert "text" not in answer, "answered at once, with nothing to say yet"
    assert not task.done(), "while the handler is still busy"
    mark = setup.fake.mark()
    setup.gate.set()
    await asyncio.wait_for(task, WAIT)
    assert len(setup.answers(query_id)) == 1
    late = await setup.fake.wait_for_bot_message(USER, contains="Этого звонка", after=mark)
    assert late["text"] == "Этого звонка больше нет"


async def test_a_press_behind_the_same_users_slow_update_is_answered_while_it_waits(
    setup: Setup,
) -> None:
    _, slow = setup.press("slow")
    await asyncio.sleep(0)
    query_id, quick = setup.press("quick")
    answer = await setup.answered(query_id)
    assert not quick.done(), "the quick press still waits for the user's lock"
    setup.gate.set()
    await asyncio.wait_for(asyncio.gather(slow, quick), WAIT)
    assert setup.answers(query_id) == [answer]
    # Its own alert came too late to be one: it is a message now.
    await setup.fake.wait_for_bot_message(USER, contains="Сохранено")


async def test_a_late_alert_for_a_press_under_an_inline_message_goes_nowhere(
    setup: Setup,
) -> None:
    """Such a press has no chat: the alert is not sent to the presser's private chat (where
    it would surprise them, and queue behind that chat's pacing)."""
    query: JsonDict = {
        "id": "inline-1",
        "from": setup.fake.user(USER),
        "chat_instance": "1",
        "inline_message_id": "AAAA",
        "data": "slow",
    }
    setup.fake.api.pending_callbacks[query["id"]] = query
    update = {"update_id": 1, "callback_query": query}
    task = asyncio.create_task(setup.dispatcher.feed_raw_update(setup.bot, update))
    await setup.answered("inline-1")
    setup.gate.set()
    await asyncio.wait_for(task, WAIT)
    assert [c for c in setup.fake.calls if c.method == "sendMessage"] == []


async def test_a_quick_handler_gives_the_one_answer_itself(setup: Setup) -> None:
    query_id, task = setup.press("quick")
    await asyncio.wait_for(task, WAIT)
    await asyncio.sleep(DELAY * 2)  # the early answer would have gone out by now
    assert setup.answers(query_id) == [
        {"callback_query_id": query_id, "text": "Сохранено", "show_alert": "true"}
    ]
    assert not [c for c in setup.fake.calls if c.method == "sendMessage"]


async def test_a_handler_that_never_answers_is_answered_when_it_ends(setup: Setup) -> None:
    query_id, task = setup.press("silent")
    await asyncio.wait_for(task, WAIT)
    (answer,) = setup.answers(query_id)
    assert "text" not in answer
    assert query_id not in setup.fake.api.pending_callbacks


async def test_an_error_after_the_early_answer_is_reported_as_a_message(setup: Setup) -> None:
    query_id, task = setup.press("fails")
    await setup.answered(query_id)
    setup.gate.set()
    await asyncio.wait_for(task, WAIT)
    report = await setup.fake.wait_for_bot_message(USER, contains="код ошибки")
    assert report["text"].startswith("😔")
    refused = [c for c in setup.fake.calls if c.method == "answerCallbackQuery" and not c.ok]
    assert refused == [], "no second answer was sent for Telegram to refuse"
