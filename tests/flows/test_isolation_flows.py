"""Through the real dispatcher: a stalled aiokk fetch does not hold up the user's other
updates, forged buttons get the short "out of date" answer, and a Retry that fails again
says so."""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fake_telegram.state import JsonDict
from tests.flows.world import World, open_world

USER = 901
WAIT = 10.0
NOT_PAID = {"kind": "status", "status": 402, "count": 100}
STALE = "устарело"
STILL_FAILING = re.compile(r"Повтор в \d\d:\d\d:\d\d — всё ещё не получается")


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with open_world(tmp_path) as opened:
        yield opened


class User:
    """One user in a private chat, feeding updates to the dispatcher as Telegram would."""

    _update_ids = itertools.count(1)

    def __init__(self, world: World, user_id: int = USER) -> None:
        self.world = world
        self.fake = world.fake
        self.user_id = user_id
        self.chat = self.fake.private_chat(user_id)

    def _update(self, payload: JsonDict) -> JsonDict:
        return {"update_id": next(self._update_ids), **payload}

    async def say(self, text: str) -> None:
        message = self.fake.send_text(self.chat, self.user_id, text)
        await self.world.feed(self._update({"message": message}))

    def click(self, message: JsonDict, data: str) -> JsonDict:
        """The update for a press of an existing button (the fake checks it is there)."""
        update = self.fake.click(message, data, user_id=self.user_id)
        return self._update({"callback_query": update["callback_query"]})

    def forge(self, message: JsonDict, data: str) -> JsonDict:
        """A press with callback data no button carries (as a modified client sends)."""
        query: JsonDict = {
            "id": f"forged-{next(self._update_ids)}",
            "from": self.fake.user(self.user_id),
            "message": message,
            "chat_instance": "1",
            "data": data,
        }
        self.fake.api.pending_callbacks[query["id"]] = query
        return self._update({"callback_query": query})

    async def press(self, message: JsonDict, data: str) -> None:
        await self.world.feed(self.click(message, data))

    def last(self) -> JsonDict:
        return self.fake.last_bot_message(self.user_id)

    def answer_to(self, update: JsonDict) -> JsonDict | None:
        query_id = update["callback_query"]["id"]
        answers = [a for a in self.fake.callback_answers if a["callback_query_id"] == query_id]
        assert len(answers) <= 1, "a press is answered once"
        return answers[0] if answers else None

    def text_of(self, message: JsonDict) -> str:
        current = self.fake.messages(self.user_id)
        found = next(m for m in current if m["message_id"] == message["message_id"])
        return str(found.get("text", ""))

    def buttons_of(self, message: JsonDict) -> list[str]:
        current = next(
            m for m in self.fake.messages(self.user_id) if m["message_id"] == message["message_id"]
        )
        return [data for _, data in self.fake.buttons(current)]


async def open_periods(user: User) -> JsonDict:
    await user.say("/calls")
    screen = user.last()
    await user.press(screen, "k:pp:::0")
    return user.last()


def unhandled(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "unhandled error" in r.getMessage()]


async def test_a_stalled_fetch_does_not_hold_up_the_users_next_press_or_start(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    user = User(world)
    await world.connect(USER)
    screen = await open_periods(user)

    world.aiokk.close_gate()
    summary_press = user.click(screen, "k:p::d7:0")
    slow = asyncio.create_task(world.feed(summary_press))
    await asyncio.wait_for(world.aiokk.stalled(), WAIT)
    assert user.answer_to(summary_press) is not None, "the press is answered before aiokk"

    # While aiokk stalls, the same user cancels on that screen and starts over.
    cancel = user.click(screen, "k:Q:::0")
    await asyncio.wait_for(world.feed(cancel), WAIT)
    assert user.answer_to(cancel) is not None
    assert "отменено" in user.text_of(screen)
    await asyncio.wait_for(user.say("/start"), WAIT)
    assert "aiokk" in user.last()["text"], "the greeting came"
    assert not slow.done(), "all that happened while the fetch was still waiting"

    world.aiokk.open_gate()
    await asyncio.wait_for(slow, WAIT)
    # The summary arrives on its own message; the user moved on (the draft is gone), so
    # it carries no buttons that need the draft.
    assert "Звонков" in user.text_of(screen)
    assert user.buttons_of(screen) == ["m:menu"]
    assert unhandled(caplog) == []


async def test_the_summary_keeps_its_buttons_when_the_user_waited(world: World) -> None:
    user = User(world)
    await world.connect(USER)
    screen = await open_periods(user)
    await user.press(screen, "k:p::d7:0")
    assert "Звонков" in user.text_of(screen)
    assert "k:L:::1" in user.buttons_of(screen), "List and the rest are there"


async def test_forged_buttons_get_the_out_of_date_answer_and_the_next_update_works(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    user = User(world)
    await world.connect(USER)
    await user.say("/calls")
    screen = user.last()
    huge = str(2**70)
    forged = [
        f"dg:v:{huge}",
        f"dg:p:-{huge}",
        f"ds:o:{huge}:time",
        f"dc:h:{huge}:1",
        f"dc:o:1:{huge}",
        f"k:L::0:{huge}",
        "k:C::²:0",  # "²".isdigit() is true, int("²") fails
        "k:C::١٢:0",
        "k:zz::0",
        "k:S::0:0:extra",
        "op:c:²",
        "m:nope",
    ]
    updates = [user.forge(screen, data) for data in forged]
    for update in updates:
        await user.world.feed(update)
        answer = user.answer_to(update)
        assert answer is not None and STALE in str(answer.get("text")), (
            update["callback_query"]["data"],
            answer,
        )
    await user.say("/start")
    assert "aiokk" in user.last()["text"]
    assert unhandled(caplog) == []


async def test_a_retry_that_fails_again_says_so_and_one_that_works_shows_the_summary(
    world: World,
) -> None:
    user = User(world)
    await world.connect(USER)
    screen = await open_periods(user)
    await world.aiokk.add_fault(NOT_PAID)
    await user.press(screen, "k:p::d7:0")
    failed = user.text_of(screen)
    assert "не оплачен" in failed and "k:r:::0" in user.buttons_of(screen)

    await user.press(screen, "k:r:::0")
    assert STILL_FAILING.search(user.text_of(screen)), user.text_of(screen)
    assert "k:r:::0" in user.buttons_of(screen), "Retry is still there"

    await world.aiokk.clear_faults()
    await user.press(screen, "k:r:::0")
    assert "Звонков" in user.text_of(screen)


async def test_op_search_errors_have_retry_that_says_when_it_fails_again(world: World) -> None:
    user = User(world)
    await world.connect(USER)
    await world.aiokk.add_fault(NOT_PAID)
    await user.say("/op Айгерим")
    progress = user.last()
    assert "не оплачен" in user.text_of(progress)
    assert user.buttons_of(progress) == ["op:r:"]

    await user.press(progress, "op:r:")
    assert STILL_FAILING.search(user.text_of(progress)), user.text_of(progress)

    await world.aiokk.clear_faults()
    await user.press(progress, "op:r:")
    assert "несколько" in user.text_of(progress), "two operators are called Айгерим"
