"""The /digest screens through aiogram's dispatcher (feed_update) and the fake Bot API:
the wizard, group permissions, pausing, deleting, and the buttons under a digest."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiogram import Dispatcher
from pydantic import SecretStr

from bot.aiokk.errors import Unavailable
from bot.clock import FrozenClock
from bot.config import Settings
from bot.digest.artifacts import InlineArtifacts
from bot.digest.model import Attachment, Cadence, DaysMode, Schedule
from bot.digest.wiring import build_digests, install_digests
from bot.middlewares import ContextMiddleware
from handlers import digests as digest_handlers
from handlers.digests.callbacks import CallAction, DigestCallCb, DigestCb, DigestSetCb
from handlers.digests.keyboards import TelegramDigestButtons
from storage import CatalogRepo, ChatRepo, Database
from storage.fsm import SQLiteStorage
from tests.unit.test_digest_support import (
    OTHER,
    OWNER,
    StubCalls,
    StubConnections,
    World,
    almaty,
    make_world,
)

GROUP = -100500
ADMIN = 601
MEMBER = 602


class Harness:
    def __init__(self, world: World) -> None:
        self.world = world
        self.fake = world.fake
        settings = Settings(
            bot_token=SecretStr("123456:TEST-token"),
            default_timezone="Asia/Almaty",
            _env_file=None,  # type: ignore[call-arg]
        )
        self.dispatcher = Dispatcher(storage=SQLiteStorage(world.db))
        self.dispatcher.workflow_data.update(
            settings=settings, digests=world.service, clock=world.clock
        )
        self.dispatcher.update.outer_middleware(
            ContextMiddleware(settings, world.chats, world.connections)  # type: ignore[arg-type]
        )
        self.dispatcher.include_router(digest_handlers.router)

    def detach(self) -> None:
        # The module-level router can belong to one dispatcher at a time.
        digest_handlers.router._parent_router = None

    async def feed(self, update: dict[str, Any]) -> None:
        await self.dispatcher.feed_raw_update(self.world.bot, update)

    async def say(self, chat_id: int, user_id: int, text: str) -> None:
        self.fake.send_text(chat_id, user_id, text)
        await self.feed(self.fake.api.updates[-1])

    async def press(self, chat_id: int, user_id: int, data: str) -> None:
        message = self.last(chat_id)
        await self.feed(self.fake.click(message, data, user_id=user_id))

    def last(self, chat_id: int) -> dict[str, Any]:
        return self.fake.last_bot_message(chat_id)

    def text(self, chat_id: int) -> str:
        message = self.last(chat_id)
        return str(message.get("text") or message.get("caption") or "")

    def data(self, chat_id: int, label_part: str) -> str:
        for label, data in self.fake.buttons(self.last(chat_id)):
            if label_part in label:
                return data
        raise LookupError(f"no button with {label_part!r}: {self.fake.buttons(self.last(chat_id))}")

    def last_answer(self) -> dict[str, Any]:
        return self.fake.callback_answers[-1]


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    world = await make_world(tmp_path)
    built = Harness(world)
    yield built
    built.detach()
    await world.close()


async def test_wizard_creates_a_subscription_in_a_few_taps(harness: Harness) -> None:
    await harness.say(OWNER, OWNER, "/digest")
    assert "Пока ни одного" in harness.text(OWNER)
    await harness.press(OWNER, OWNER, harness.data(OWNER, "Новый"))
    assert "Во сколько" in harness.text(OWNER)
    await harness.press(OWNER, OWNER, harness.data(OWNER, "10:00"))
    assert "По каким дням" in harness.text(OWNER)
    await harness.press(OWNER, OWNER, harness.data(OWNER, "по будням"))
    assert "Какие звонки" in harness.text(OWNER)
    await harness.press(OWNER, OWNER, harness.data(OWNER, "Все звонки"))
    assert "Что считать плохим" in harness.text(OWNER)
    await harness.press(OWNER, OWNER, harness.data(OWNER, "+"))  # rating ≤ 4
    assert "оценка ≤ 4" in harness.text(OWNER)
    await harness.press(OWNER, OWNER, harness.data(OWNER, "Далее"))
    assert "Что приложить" in harness.text(OWNER)
    await harness.press(OWNER, OWNER, harness.data(OWNER, "Excel"))
    await harness.press(OWNER, OWNER, harness.data(OWNER, "Далее"))
    assert "Проверьте" in harness.text(OWNER)
    await harness.press(OWNER, OWNER, harness.data(OWNER, "Создать"))
    assert "Дайджест создан" in harness.text(OWNER)
    (sub,) = await harness.world.repo.for_chat(OWNER)
    assert sub.schedule == Schedule(10, 0, "Asia/Almaty", DaysMode.WORKDAYS)
    assert sub.rule.max_rating == 4
    assert sub.attachment is Attachment.XLSX
    assert sub.owner_user_id == OWNER and sub.owner_name == "Айгерим"
    # Created on Thursday 20 Nov at 18:00: the next working day's 10:00.
    assert sub.next_run == almaty(2025, 11, 21, 10, 0)
    assert "21 ноября, 10:00" in harness.text(OWNER)


async def test_typed_time_and_department_id(harness: Harness) -> None:
    await harness.say(OWNER, OWNER, "/digest")
    await harness.press(OWNER, OWNER, harness.data(OWNER, "Новый"))
    await harness.press(OWNER, OWNER, harness.data(OWNER, "Своё время"))
    await harness.say(OWNER, OWNER, "7:45")
    assert "По каким дням" in harness.text(OWNER)
    await harness.press(OWNER, OWNER, harness.data(OWNER, "каждый день"))
    await harness.press(OWNER, OWNER, harness.data(OWNER, "Отдел"))
    assert "Введите номер отдела" in harness.text(OWNER)  # nothing learned yet
    await harness.press(OWNER, OWNER, harness.data(OWNER, "Ввести номер"))
    await harness.say(OWNER, OWNER, "отдел")
    assert "только цифры" in harness.text(OWNER)
    await harness.say(OWNER, OWNER, "12")
    assert "Что считать плохим" in harness.text(OWNER)
    await harness.press(OWNER, OWNER, harness.data(OWNER, "Далее"))
    await harness.press(OWNER, OWNER, harness.data(OWNER, "Далее"))
    assert "07:45" in harness.text(OWNER) and "отдел 12" in harness.text(OWNER)
    await harness.press(OWNER, OWNER, harness.data(OWNER, "Создать"))
    (sub,) = await harness.world.repo.for_chat(OWNER)
    assert (sub.schedule.hour, sub.schedule.minute, sub.scope.department_id) == (7, 45, 12)


async def test_group_member_cannot_create_or_change_digests(harness: Harness) -> None:
    fake, world = harness.fake, harness.world
    fake.group_chat(GROUP, "Продажи", admins={ADMIN})
    fake.user(MEMBER, "Марат")
    fake.chat(GROUP).members.add(MEMBER)
    world.connections.connect(ADMIN)
    world.connections.connect(MEMBER)
    await harness.say(GROUP, MEMBER, "/digest")
    new = harness.data(GROUP, "Новый")
    await harness.press(GROUP, MEMBER, new)
    assert harness.last_answer()["text"].startswith("Менять дайджесты группы могут только")
    assert "Во сколько" not in harness.text(GROUP)
    # An administrator can, with their own private connection.
    await harness.press(GROUP, ADMIN, new)
    assert "Во сколько" in harness.text(GROUP)
    for label in ("09:00", "каждый день", "Все звонки", "Далее", "Далее", "Создать"):
        await harness.press(GROUP, ADMIN, harness.data(GROUP, label))
    (sub,) = await world.repo.for_chat(GROUP)
    assert (sub.owner_user_id, sub.chat_title) == (ADMIN, "Продажи")
    # The member cannot pause, delete or edit it either.
    for data in (
        DigestCb(action="p", sid=sub.id).pack(),
        DigestCb(action="del", sid=sub.id).pack(),
        DigestSetCb(field="t", sid=sub.id, value="0800").pack(),
    ):
        fake.api.pending_callbacks.clear()
        await harness.feed(_forged_click(harness, GROUP, MEMBER, data))
        assert "только её администраторы" in harness.last_answer()["text"]
    unchanged = await world.repo.get(sub.id)
    assert unchanged is not None and not unchanged.paused and unchanged.schedule.hour == 9


def _forged_click(harness: Harness, chat_id: int, user_id: int, data: str) -> dict[str, Any]:
    """A press of a button the member sees, re-targeted at another action."""
    message = harness.last(chat_id)
    query = {
        "id": f"{len(harness.fake.callback_answers) + 9_000}",
        "from": harness.fake.user(user_id),
        "message": message,
        "chat_instance": "1",
        "data": data,
    }
    harness.fake.api.pending_callbacks[query["id"]] = query
    return harness.fake.enqueue_update({"callback_query": query})


async def test_pause_resume_and_delete_with_confirmation(harness: Harness) -> None:
    sub = await harness.world.subscribe()
    await harness.say(OWNER, OWNER, "/digest")
    await harness.press(OWNER, OWNER, harness.data(OWNER, "09:00"))
    assert "Дайджест №" in harness.text(OWNER)
    await harness.press(OWNER, OWNER, harness.data(OWNER, "Пауза"))
    paused = await harness.world.repo.get(sub.id)
    assert paused is not None and paused.paused
    assert "На паузе" in harness.text(OWNER)
    await harness.press(OWNER, OWNER, harness.data(OWNER, "Возобновить"))
    resumed = await harness.world.repo.get(sub.id)
    assert resumed is not None and not resumed.paused and resumed.next_run is not None
    await harness.press(OWNER, OWNER, harness.data(OWNER, "Удалить"))
    assert "Удалить дайджест" in harness.text(OWNER)
    assert await harness.world.repo.get(sub.id) is not None
    await harness.press(OWNER, OWNER, harness.data(OWNER, "Да, удалить"))
    assert await harness.world.repo.get(sub.id) is None


async def test_send_now_button_posts_a_preview(harness: Harness) -> None:
    await harness.world.subscribe()
    harness.world.clock.set(almaty(2025, 11, 21, 8, 0))
    await harness.say(OWNER, OWNER, "/digest")
    await harness.press(OWNER, OWNER, harness.data(OWNER, "09:00"))
    await harness.press(OWNER, OWNER, harness.data(OWNER, "Отправить сейчас"))
    assert "Предпросмотр" in harness.text(OWNER)
    assert "Плохие звонки за 20 ноября" in harness.text(OWNER)


async def test_buttons_under_a_group_digest(harness: Harness) -> None:
    fake, world = harness.fake, harness.world
    fake.group_chat(GROUP, "Продажи", admins={ADMIN})
    fake.user(MEMBER, "Марат")
    fake.chat(GROUP).members.add(MEMBER)
    world.connections.connect(ADMIN)
    await world.subscribe(chat_id=GROUP, owner_user_id=ADMIN, created_by=ADMIN, owner_name="Ержан")
    world.clock.set(almaty(2025, 11, 21, 9, 0))
    await world.scheduler.tick(world.bot)
    digest = harness.last(GROUP)
    assert "Данные из подключения aiokk: Ержан" in harness.text(GROUP)
    opens = [
        data
        for _, data in fake.buttons(digest)
        if DigestCallCb.unpack(data).action is CallAction.OPEN
    ]
    # The member has no private chat with the bot: the card is answered in the group.
    await harness.feed(fake.click(digest, opens[0], user_id=MEMBER))
    card = harness.last(GROUP)
    assert "Звонок" in card["text"] and card.get("reply_to_message")
    # Someone who has a private chat with the bot gets it there.
    fake.private_chat(OTHER, "Борис")
    fake.chat(GROUP).members.add(OTHER)
    await harness.feed(fake.click(digest, opens[1], user_id=OTHER))
    assert "Звонок" in harness.text(OTHER)
    assert "личном чате" in harness.last_answer()["text"]
    # Handled ✓ by a member, shown in place.
    world.clock.set(almaty(2025, 11, 21, 10, 42))
    handled = next(
        data
        for _, data in fake.buttons(digest)
        if DigestCallCb.unpack(data).action is CallAction.HANDLED
    )
    await harness.feed(fake.click(digest, handled, user_id=MEMBER))
    assert harness.last_answer()["text"] == "Отмечено ✓"
    edited = fake.messages(GROUP)[digest["message_id"] - 1]
    assert "✓ Марат, 10:42" in (edited.get("text") or edited.get("caption") or "")


async def test_disconnect_pauses_and_describes_dependent_digests(harness: Harness) -> None:
    world = harness.world
    first = await world.subscribe()
    world.connections.connect(OTHER)
    other = await world.subscribe(chat_id=OTHER, owner_user_id=OTHER, created_by=OTHER)
    group = await world.subscribe(chat_id=GROUP, chat_title="Продажи <KZ>")
    lines = await world.service.on_disconnect(OWNER)
    assert len(lines) == 2
    assert any("в группе «Продажи &lt;KZ&gt;»" in line for line in lines)
    assert any("в личном чате" in line for line in lines)
    for sub in (first, group):
        stored = await world.repo.get(sub.id)
        assert stored is not None and stored.paused
    untouched = await world.repo.get(other.id)
    assert untouched is not None and not untouched.paused
    assert await world.service.on_disconnect(OWNER) == []


async def test_install_gives_handlers_the_service_and_runs_the_scheduler_with_polling(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "wiring.sqlite3")
    try:
        clock = FrozenClock(almaty(2025, 11, 20, 8, 0))
        digests = build_digests(
            db,
            calls=StubCalls([], clock),
            connections=StubConnections(),
            chats=ChatRepo(db),
            catalog=CatalogRepo(db),
            clock=clock,
            artifacts=InlineArtifacts(),
            buttons=TelegramDigestButtons(),
        )
        dispatcher = Dispatcher()
        install_digests(dispatcher, digests)
        assert dispatcher.workflow_data["digests"] is digests.service
        assert digests.start in [h.callback for h in dispatcher.startup.handlers]
        assert digests.stop in [h.callback for h in dispatcher.shutdown.handlers]
    finally:
        await db.close()


async def test_send_now_that_fails_on_aiokk_offers_to_try_again(harness: Harness) -> None:
    await harness.world.subscribe()
    harness.world.clock.set(almaty(2025, 11, 21, 8, 0))
    harness.world.calls.failures.append(Unavailable("aiokk is down"))
    await harness.say(OWNER, OWNER, "/digest")
    await harness.press(OWNER, OWNER, harness.data(OWNER, "09:00"))
    await harness.press(OWNER, OWNER, harness.data(OWNER, "Отправить сейчас"))
    assert "недоступен" in harness.text(OWNER)
    # The way forward: the same button again, and this time the preview comes.
    await harness.press(OWNER, OWNER, harness.data(OWNER, "Отправить сейчас"))
    assert "Предпросмотр" in harness.text(OWNER)


async def test_weekly_then_monthly_cadence_from_the_wizard(harness: Harness) -> None:
    await harness.say(OWNER, OWNER, "/digest")
    await harness.press(OWNER, OWNER, harness.data(OWNER, "Новый"))
    await harness.press(OWNER, OWNER, harness.data(OWNER, "09:00"))
    assert "По каким дням" in harness.text(OWNER)
    await harness.press(OWNER, OWNER, harness.data(OWNER, "Раз в неделю"))
    await harness.press(OWNER, OWNER, harness.data(OWNER, "пн"))
    labels = [label for label, _ in harness.fake.buttons(harness.last(OWNER))]
    assert "✅пн" in labels and "✅ Раз в неделю" in labels
    assert not any("предыдущий день" in label for label in labels), "a week covers a week"
    await harness.press(OWNER, OWNER, harness.data(OWNER, "Далее"))
    await harness.press(OWNER, OWNER, harness.data(OWNER, "Все звонки"))
    await harness.press(OWNER, OWNER, harness.data(OWNER, "Далее"))
    await harness.press(OWNER, OWNER, harness.data(OWNER, "Далее"))
    await harness.press(OWNER, OWNER, harness.data(OWNER, "Создать"))
    (sub,) = await harness.world.repo.for_chat(OWNER)
    assert sub.schedule.cadence is Cadence.WEEKLY and sub.schedule.weekdays == frozenset({0})
    # Created on Thursday 20 Nov 2025 at 18:00: the next Monday's 09:00.
    assert sub.next_run == almaty(2025, 11, 24, 9, 0)
    assert "за прошлую неделю" in harness.text(OWNER)

    # The card's Days step switches it to monthly: the 1st of the next month.
    await harness.press(OWNER, OWNER, harness.data(OWNER, "Дни"))
    await harness.press(OWNER, OWNER, harness.data(OWNER, "Раз в месяц"))
    stored = await harness.world.repo.get(sub.id)
    assert stored is not None and stored.schedule.cadence is Cadence.MONTHLY
    assert stored.next_run == almaty(2025, 12, 1, 9, 0)
