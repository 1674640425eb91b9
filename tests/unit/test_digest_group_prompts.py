"""Typed steps in a group, where privacy mode lets only replies to the bot reach it: the
digest wizard and /settings ask the opener with a selective reply request, take their reply
as the answer, and tell anyone else who replies that the question is not theirs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiogram import Router

from handlers import fallback, settings
from tests.unit.test_digest_handlers import GROUP, Harness
from tests.unit.test_digest_support import OWNER, make_world

ADMIN = 601
MEMBER = 602
NOT_YOURS = "На этот вопрос отвечает тот, к кому он обращён"
JsonDict = dict[str, Any]


class Group:
    """The digest handlers plus /settings and the fallback, fed update by update."""

    def __init__(self, harness: Harness) -> None:
        self.harness = harness
        self.fake = harness.fake
        self.routers: list[Router] = [settings.router, fallback.router]
        harness.dispatcher.workflow_data.update(chats=harness.world.chats)
        harness.dispatcher.include_routers(*self.routers)

    def detach(self) -> None:
        for router in self.routers:
            router._parent_router = None
        self.harness.detach()

    async def command(self, chat_id: int, user_id: int, text: str) -> None:
        message = self.fake.send_text(chat_id, user_id, text)
        assert self.fake.was_delivered(message)
        await self.harness.feed(self.fake.api.updates[-1])

    def menu(self, chat_id: int) -> JsonDict:
        """The bot's latest message with buttons (reply requests have none)."""
        for message in reversed(self.fake.messages(chat_id)):
            if message["from"]["id"] == self.fake.bot_user["id"] and self.fake.buttons(message):
                return message
        raise LookupError("no bot message with buttons")

    async def press(self, chat_id: int, user_id: int, label: str) -> None:
        menu = self.menu(chat_id)
        data = next(data for text, data in self.fake.buttons(menu) if label in text)
        await self.harness.feed(self.fake.click(menu, data, user_id=user_id))

    def prompt(self, chat_id: int) -> JsonDict:
        """The bot's latest message, which must be a reply request."""
        prompt = self.fake.last_bot_message(chat_id)
        assert self.fake.reply_request(prompt) is not None, prompt.get("text")
        return prompt

    async def reply(self, prompt: JsonDict, user_id: int, text: str) -> JsonDict:
        """Reply to ``prompt``; the bot's latest message in that chat after it."""
        message = self.fake.reply(prompt, user_id, text)
        assert self.fake.was_delivered(message)
        await self.harness.feed(self.fake.api.updates[-1])
        return self.fake.last_bot_message(prompt["chat"]["id"])


@pytest.fixture
async def group(tmp_path: Path) -> AsyncIterator[Group]:
    world = await make_world(tmp_path)
    world.fake.group_chat(GROUP, "Продажи", admins={ADMIN})
    world.fake.user(MEMBER, "Марат")
    world.fake.chat(GROUP).members.add(MEMBER)
    world.connections.connect(ADMIN)
    built = Group(Harness(world))
    yield built
    built.detach()
    await world.close()


async def test_signal_words_and_a_stored_digest_s_time_are_answered_by_replies(
    group: Group,
) -> None:
    fake, repo = group.fake, group.harness.world.repo
    await group.command(GROUP, ADMIN, "/digest")
    for label in ("Новый", "09:00", "каждый день", "Все звонки", "сигнальные слова"):
        await group.press(GROUP, ADMIN, label)
    await group.press(GROUP, ADMIN, "Ввести слова")
    prompt = group.prompt(GROUP)
    assert prompt["text"].startswith("Admin 601, ответьте на это сообщение.")
    assert "сигнальные слова или фразы через запятую" in prompt["text"]
    assert fake.reply_request(prompt) == {
        "force_reply": True,
        "selective": True,
        "input_field_placeholder": "жалоба, возврат",
    }
    assert [e["user"]["id"] for e in prompt["entities"] if e["type"] == "text_mention"] == [ADMIN]

    refusal = await group.reply(prompt, MEMBER, "спам")
    assert refusal["text"].startswith(NOT_YOURS)
    assert refusal["reply_to_message"]["from"]["id"] == MEMBER
    again = await group.reply(prompt, ADMIN, " , ")
    assert again["text"].endswith("Не вижу слов. Введите их через запятую.")
    assert fake.reply_request(again) is not None, "a wrong answer is asked for again"
    screen = await group.reply(again, ADMIN, "жалоба, возврат")
    assert "Что считать плохим" in screen["text"]
    for label in ("Далее", "Далее", "Создать"):
        await group.press(GROUP, ADMIN, label)
    (sub,) = await repo.for_chat(GROUP)
    assert sub.rule.signals == ("жалоба", "возврат") and sub.rule.signals_on

    # A stored digest's typed time: the same, and saved at once.
    await group.press(GROUP, ADMIN, "Время")
    await group.press(GROUP, ADMIN, "Своё время")
    prompt = group.prompt(GROUP)
    assert (await group.reply(prompt, MEMBER, "06:00"))["text"].startswith(NOT_YOURS)
    await group.reply(prompt, ADMIN, "7:30")
    stored = await repo.get(sub.id)
    assert stored is not None and (stored.schedule.hour, stored.schedule.minute) == (7, 30)


async def test_plain_group_messages_and_unrelated_replies_get_no_answer(group: Group) -> None:
    fake = group.fake
    await group.command(GROUP, ADMIN, "/digest")
    listing = fake.last_bot_message(GROUP)
    plain = fake.send_text(GROUP, MEMBER, "всем привет")
    assert not fake.was_delivered(plain)
    # A reply to someone else's message does not reach the bot either.
    assert not fake.was_delivered(fake.reply(plain, ADMIN, "привет"))
    # A reply to a bot message that asked nobody anything (say, discussing a digest)
    # reaches the bot and is left alone: the team is talking among themselves.
    answered = await group.reply(listing, MEMBER, "а мне?")
    assert answered["message_id"] == listing["message_id"]


async def test_private_typed_steps_send_no_reply_request(group: Group) -> None:
    await group.command(OWNER, OWNER, "/digest")
    await group.press(OWNER, OWNER, "Новый")
    await group.press(OWNER, OWNER, "Своё время")
    assert group.fake.api.reply_requests == {}
    assert "Введите время" in group.fake.last_bot_message(OWNER)["text"]


async def test_settings_time_zone_typed_in_a_group_is_a_reply(group: Group) -> None:
    fake, chats = group.fake, group.harness.world.chats
    await group.command(GROUP, ADMIN, "/settings")
    await group.press(GROUP, ADMIN, "Часовой пояс")
    await group.press(GROUP, ADMIN, "Ввести другой")
    prompt = group.prompt(GROUP)
    assert "город или смещение" in prompt["text"]
    request = fake.reply_request(prompt)
    assert request is not None and request["input_field_placeholder"] == "Asia/Almaty"

    assert (await group.reply(prompt, MEMBER, "Asia/Tokyo"))["text"].startswith(NOT_YOURS)
    again = await group.reply(prompt, ADMIN, "Марс/Олимп")
    assert "Не знаю такого часового пояса" in again["text"]
    assert fake.reply_request(again) is not None
    await group.reply(again, ADMIN, "Europe/Moscow")
    assert (await chats.get(GROUP)).timezone == "Europe/Moscow"
