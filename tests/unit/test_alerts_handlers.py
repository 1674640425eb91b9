"""/alerts through aiogram's dispatcher (feed_update), the fake Bot API and the sandbox over
HTTP: the wizard, typed steps and reply requests, the card's edit, pause, delete and test,
group permissions, forged presses, and Open and Handled ✓ under an alert."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from datetime import time, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiogram import Dispatcher
from cryptography.fernet import Fernet
from pydantic import SecretStr

from bot.alerts.model import AlertConditions, AlertRule, AlertScope, QuietHours, ScopeKind
from bot.alerts.poller import AlertPoller
from bot.alerts.scheduler import AlertScheduler
from bot.alerts.service import AlertService
from bot.app import KickSignal
from bot.callbacks import MenuAction, MenuCb
from bot.config import Settings
from bot.crypto import TokenCipher
from bot.keyboards import main_menu
from bot.middlewares import ContextMiddleware
from bot.query.cache import ResultCache
from bot.query.service import CallService, ConnectionRef
from handlers import alerts as alert_handlers
from handlers import fallback
from handlers.alerts.callbacks import AlertRuleCb, AlertSetCb, Field, RuleAction
from handlers.alerts_ui import AlertAction, AlertCb, TelegramAlertButtons
from storage.alerts import AlertRepo
from storage.catalog import CatalogRepo
from storage.chats import ChatRepo
from storage.connections import ConnectionRepo
from storage.db import Database
from storage.digests import DigestRepo
from storage.fsm import SQLiteStorage
from tests.clock import TEST_NOW
from tests.unit.test_alerts_support import OWNER, Raw, World, make_world, record

GROUP = -100700
ADMIN = 701
MEMBER = 702
NOT_YOURS = "На этот вопрос отвечает тот, к кому он обращён"
JsonDict = dict[str, Any]

BEFORE: list[Raw] = [
    record(2001, TEST_NOW - timedelta(days=3), rating=1, operator="Данияр Ахметов", operator_id=8),
    record(2002, TEST_NOW - timedelta(hours=2), signals=["позовите руководителя"]),
    record(2003, TEST_NOW - timedelta(hours=1), rating=9, department=85, department_name="Сервис"),
]


class Users:
    """Connections of the users who connected, all to the one sandbox (stored, so that the
    catalog learned through them is kept)."""

    def __init__(self, db: Database, base_url: str) -> None:
        self.repo = ConnectionRepo(db, TokenCipher(Fernet.generate_key()))
        self.base_url = base_url
        self.by_user: dict[int, ConnectionRef] = {}

    async def connect(self, user_id: int) -> None:
        stored = await self.repo.save(user_id, self.base_url, "demo")
        self.by_user[user_id] = ConnectionRef(id=stored.id, base_url=self.base_url, token="demo")

    async def get(self, user_id: int) -> ConnectionRef | None:
        return self.by_user.get(user_id)


class Harness:
    def __init__(self, world: World) -> None:
        self.world = world
        self.fake = world.fake
        db, clock = world.db, world.clock
        catalog = CatalogRepo(db)
        self.calls = CallService(world.client, ResultCache(), catalog, clock=clock)
        self.users = Users(db, world.aiokk.base_url)
        self.kicks = 0
        self.service = AlertService(
            AlertRepo(db),
            DigestRepo(db),
            clock,
            poll_soon=self._kick,
            calls=self.calls,
            connections=self.users,
            catalog=catalog,
            warmer=self.calls,
        )
        self.poller = AlertPoller(
            repo=AlertRepo(db),
            handled=DigestRepo(db),
            calls=self.calls,
            connections=self.users,
            chats=ChatRepo(db),
            clock=clock,
            bot=world.bot,
            buttons=TelegramAlertButtons(),
        )
        settings = Settings(
            bot_token=SecretStr("123456:TEST-token"),
            default_timezone="Asia/Almaty",
            _env_file=None,
        )
        self.dispatcher = Dispatcher(storage=SQLiteStorage(db))
        self.dispatcher.workflow_data.update(settings=settings, alerts=self.service, clock=clock)
        self.dispatcher.update.outer_middleware(
            ContextMiddleware(settings, ChatRepo(db), self.users)  # type: ignore[arg-type]
        )
        self.dispatcher.include_routers(alert_handlers.router, fallback.router)

    def _kick(self) -> None:
        self.kicks += 1

    def detach(self) -> None:
        # The module-level routers can belong to one dispatcher at a time.
        alert_handlers.router._parent_router = None
        fallback.router._parent_router = None

    async def feed(self, update: JsonDict) -> None:
        await self.dispatcher.feed_raw_update(self.world.bot, update)

    async def say(self, chat_id: int, user_id: int, text: str) -> None:
        self.fake.send_text(chat_id, user_id, text)
        await self.feed(self.fake.api.updates[-1])

    def menu(self, chat_id: int) -> JsonDict:
        """The bot's latest message with buttons (reply requests have none)."""
        for message in reversed(self.fake.messages(chat_id)):
            if message["from"]["id"] == self.fake.bot_user["id"] and self.fake.buttons(message):
                return message
        raise LookupError("no bot message with buttons")

    def data(self, chat_id: int, label: str) -> str:
        buttons = self.fake.buttons(self.menu(chat_id))
        for text, data in buttons:
            if label in text:
                return data
        raise LookupError(f"no button with {label!r}: {buttons}")

    def labels(self, chat_id: int) -> list[str]:
        return [text for text, _ in self.fake.buttons(self.menu(chat_id))]

    async def press(self, chat_id: int, user_id: int, label: str) -> None:
        await self.click(chat_id, user_id, self.data(chat_id, label))

    async def click(
        self, chat_id: int, user_id: int, data: str, message: JsonDict | None = None
    ) -> None:
        """A press of ``data`` under ``message`` (the latest menu): real or forged alike."""
        source = message if message is not None else self.menu(chat_id)
        query: JsonDict = {
            "id": f"{len(self.fake.callback_answers) + 9_000 + len(self.fake.api.updates)}",
            "from": self.fake.user(user_id),
            "message": source,
            "chat_instance": "1",
            "data": data,
        }
        self.fake.api.pending_callbacks[str(query["id"])] = query
        await self.feed(self.fake.enqueue_update({"callback_query": query}))

    def text(self, chat_id: int) -> str:
        return str(self.fake.last_bot_message(chat_id).get("text") or "")

    def screen(self, chat_id: int) -> str:
        return str(self.menu(chat_id).get("text") or "")

    def answer(self) -> str:
        return str(self.fake.callback_answers[-1].get("text") or "")

    async def rules(self, chat_id: int = OWNER) -> list[AlertRule]:
        return await self.world.repo.for_chat(chat_id)


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    world = await make_world(tmp_path, list(BEFORE), TEST_NOW)
    built = Harness(world)
    await built.users.connect(OWNER)
    yield built
    built.detach()
    await built.calls.aclose()
    await world.close()


async def group_of(harness: Harness) -> None:
    fake = harness.fake
    fake.group_chat(GROUP, "Продажи <KZ>", admins={ADMIN})
    fake.user(MEMBER, "Марат")
    fake.chat(GROUP).members.add(MEMBER)
    await harness.users.connect(ADMIN)
    await harness.users.connect(MEMBER)


# ---------------------------------------------------------------- the wizard


async def test_the_main_menu_and_the_wizard_create_a_rule_in_a_few_taps(harness: Harness) -> None:
    menu = main_menu("ru")
    alerts = [b for row in menu.inline_keyboard for b in row if b.text == "🚨 Алерты"]
    assert [b.callback_data for b in alerts] == [MenuCb(action=MenuAction.ALERTS).pack()]

    await harness.say(OWNER, OWNER, "/alerts")
    assert "Пока ни одного правила" in harness.screen(OWNER)
    await harness.press(OWNER, OWNER, "Новое правило")
    assert "Шаг 1 из 3" in harness.screen(OWNER)
    await harness.press(OWNER, OWNER, "Все звонки")
    assert "Шаг 2 из 3" in harness.screen(OWNER)
    assert "✅ ⭐ ≤ 2" in harness.labels(OWNER), "rating ≤ 2 by default"
    await harness.press(OWNER, OWNER, "📋 < 50 %")
    assert "оценка клиента ≤ 2 или скрипт ниже 50 %" in harness.screen(OWNER)
    # Signal words come from the catalog, learned from the calls on first use.
    await harness.press(OWNER, OWNER, "Сигнальные слова: 0")
    await harness.press(OWNER, OWNER, "позовите руководителя")
    assert "Выбрано: позовите руководителя" in harness.screen(OWNER)
    await harness.press(OWNER, OWNER, "Назад")
    await harness.press(OWNER, OWNER, "Далее")
    assert "Шаг 3 из 3" in harness.screen(OWNER) and "Asia/Almaty" in harness.screen(OWNER)
    assert "✅ 21:00–08:00" in harness.labels(OWNER), "quiet hours 21–08 by default"
    await harness.press(OWNER, OWNER, "22:00–09:00")
    assert "Проверьте правило" in harness.screen(OWNER)
    await harness.press(OWNER, OWNER, "Создать")
    assert "Правило создано" in harness.screen(OWNER) and "Правило №1" in harness.screen(OWNER)
    assert harness.kicks == 1, "a new rule is polled soon (its first poll only remembers)"
    (rule,) = await harness.rules()
    assert rule.scope == AlertScope()
    assert rule.conditions == AlertConditions(2, ("позовите руководителя",), 50.0)
    assert rule.quiet == QuietHours(time(22), time(9))
    assert (rule.owner_user_id, rule.owner_name, rule.timezone) == (OWNER, "Айгерим", "Asia/Almaty")

    await harness.press(OWNER, OWNER, "К списку")
    assert "1. 🚨 все звонки — оценка клиента ≤ 2 или скрипт ниже 50 %" in harness.screen(OWNER)
    assert "1. 🚨 все звонки" in harness.labels(OWNER)


async def test_scope_from_the_catalog_typed_ids_and_words_and_the_last_condition_stays(
    harness: Harness,
) -> None:
    await harness.say(OWNER, OWNER, "/alerts")
    await harness.press(OWNER, OWNER, "Новое правило")
    await harness.press(OWNER, OWNER, "Оператор")
    assert "Выберите оператора" in harness.screen(OWNER)
    await harness.press(OWNER, OWNER, "Данияр Ахметов")
    assert "Шаг 2 из 3" in harness.screen(OWNER)
    # Turning off the only condition is refused.
    await harness.press(OWNER, OWNER, "⭐ выкл.")
    assert harness.answer() == "Оставьте хотя бы одно условие."
    await harness.press(OWNER, OWNER, "Сигнальные слова")
    await harness.press(OWNER, OWNER, "Ввести слова")
    assert harness.fake.api.reply_requests == {}, "no reply request in a private chat"
    await harness.say(OWNER, OWNER, " , ")
    assert "Не вижу слов" in harness.text(OWNER)
    await harness.say(OWNER, OWNER, "Расторгнуть договор, <b>жалоба</b>")
    assert "«<b>жалоба</b>»" in harness.text(OWNER), "typed words are escaped"
    await harness.press(OWNER, OWNER, "⭐ выкл.")  # the words remain
    await harness.press(OWNER, OWNER, "Далее")
    await harness.press(OWNER, OWNER, "Без тихих часов")
    await harness.press(OWNER, OWNER, "Создать")
    (rule,) = await harness.rules()
    assert rule.scope.kind is ScopeKind.OPERATOR and rule.scope.operator is not None
    assert (rule.scope.operator.name, rule.scope.operator.id) == ("Данияр Ахметов", 8)
    assert rule.conditions == AlertConditions(None, ("Расторгнуть договор", "<b>жалоба</b>"))
    assert rule.quiet is None

    # Editing the stored rule: a typed department id, checked, saved at once.
    await harness.press(OWNER, OWNER, "Какие звонки")
    await harness.press(OWNER, OWNER, "Отдел")
    await harness.press(OWNER, OWNER, "Ввести номер отдела")
    await harness.say(OWNER, OWNER, "отдел")
    assert "только цифры" in harness.text(OWNER)
    await harness.say(OWNER, OWNER, "85")
    stored = await harness.world.repo.get(rule.id)
    assert stored is not None and stored.scope == AlertScope.department(85)
    assert "отдел Сервис (85)" in harness.screen(OWNER)


# ---------------------------------------------------------------- the card


async def test_edit_pause_resume_and_delete_with_confirmation(harness: Harness) -> None:
    rule = await harness.world.rule(quiet=QuietHours())
    await harness.say(OWNER, OWNER, "/alerts")
    await harness.press(OWNER, OWNER, "1.")
    assert "Правило №" in harness.screen(OWNER)
    await harness.press(OWNER, OWNER, "Условия")
    await harness.press(OWNER, OWNER, "⭐ ≤ 4")
    assert harness.answer() == "Сохранено"
    await harness.press(OWNER, OWNER, "Готово")
    assert "оценка клиента ≤ 4" in harness.screen(OWNER)
    await harness.press(OWNER, OWNER, "Тихие часы")
    await harness.press(OWNER, OWNER, "Без тихих часов")
    stored = await harness.world.repo.get(rule.id)
    assert stored is not None and stored.conditions.max_rating == 4 and stored.quiet is None
    await harness.press(OWNER, OWNER, "Готово")

    await harness.press(OWNER, OWNER, "Пауза")
    paused = await harness.world.repo.get(rule.id)
    assert paused is not None and paused.paused and "На паузе" in harness.screen(OWNER)
    await harness.press(OWNER, OWNER, "Возобновить")
    resumed = await harness.world.repo.get(rule.id)
    assert resumed is not None and not resumed.paused
    await harness.press(OWNER, OWNER, "Удалить")
    assert "Удалить правило №" in harness.screen(OWNER)
    assert await harness.world.repo.get(rule.id) is not None
    await harness.press(OWNER, OWNER, "Да, удалить")
    assert await harness.world.repo.get(rule.id) is None
    assert "Пока ни одного правила" in harness.screen(OWNER)


async def test_test_sends_the_latest_matching_call_or_says_there_is_none(
    harness: Harness,
) -> None:
    await harness.world.rule(conditions=AlertConditions(2))
    await harness.say(OWNER, OWNER, "/alerts")
    await harness.press(OWNER, OWNER, "1.")
    await harness.press(OWNER, OWNER, "Тест")
    sample = harness.text(OWNER)
    assert sample.startswith("🧪 Тест правила №1")
    assert "Критичный звонок" in sample and "Данияр Ахметов" in sample and "20.11" in sample
    assert "Правило №1" in harness.screen(OWNER), "the card stays"

    none = await harness.world.rule(conditions=AlertConditions(None, ("нет такого слова",)))
    await harness.click(OWNER, OWNER, AlertRuleCb(action=RuleAction.TEST, rid=none.id).pack())
    assert "ни один звонок не подошёл под правило №2" in harness.text(OWNER)


# ---------------------------------------------------------------- groups


async def test_group_rules_are_for_admins_and_typed_steps_are_reply_requests(
    harness: Harness,
) -> None:
    await group_of(harness)
    fake = harness.fake
    await harness.say(GROUP, MEMBER, "/alerts")
    await harness.press(GROUP, MEMBER, "Новое правило")
    assert harness.answer() == "Менять алерты группы могут только её администраторы."
    await harness.press(GROUP, ADMIN, "Новое правило")
    await harness.press(GROUP, ADMIN, "Набор вопросов")
    await harness.press(GROUP, ADMIN, "Ввести номер набора")
    prompt = fake.last_bot_message(GROUP)
    assert fake.reply_request(prompt) is not None
    assert [e["user"]["id"] for e in prompt["entities"] if e["type"] == "text_mention"] == [ADMIN]
    fake.reply(prompt, MEMBER, "99")
    await harness.feed(fake.api.updates[-1])
    assert harness.text(GROUP).startswith(NOT_YOURS)
    fake.reply(prompt, ADMIN, "27")
    await harness.feed(fake.api.updates[-1])
    assert "Шаг 2 из 3" in harness.screen(GROUP)
    for label in ("Далее", "Далее", "Создать"):
        await harness.press(GROUP, ADMIN, label)
    (rule,) = await harness.rules(GROUP)
    assert (rule.owner_user_id, rule.scope) == (ADMIN, AlertScope.pack(27))
    assert "Группа: Продажи <KZ>" in harness.screen(GROUP)

    # A member cannot pause, delete, test or edit it, even with forged buttons.
    for data in (
        AlertRuleCb(action=RuleAction.PAUSE, rid=rule.id).pack(),
        AlertRuleCb(action=RuleAction.DELETE_OK, rid=rule.id).pack(),
        AlertRuleCb(action=RuleAction.TEST, rid=rule.id).pack(),
        AlertSetCb(field=Field.RATING, rid=rule.id, value="5").pack(),
    ):
        await harness.click(GROUP, MEMBER, data)
        assert "только её администраторы" in harness.answer()
    unchanged = await harness.world.repo.get(rule.id)
    assert unchanged == rule


async def test_forged_and_foreign_presses_are_out_of_date(harness: Harness) -> None:
    await group_of(harness)
    theirs = await harness.world.rule(chat_id=GROUP, owner_user_id=ADMIN, created_by=ADMIN)
    await harness.say(OWNER, OWNER, "/alerts")
    # Another chat's rule, a draft that was never opened, values no button carries.
    await harness.click(
        OWNER, OWNER, AlertRuleCb(action=RuleAction.DELETE_OK, rid=theirs.id).pack()
    )
    assert harness.answer() == "Этого правила уже нет."
    await harness.click(OWNER, OWNER, AlertSetCb(field=Field.CREATE).pack())
    assert "Черновик устарел" in harness.answer()
    await harness.click(
        OWNER, OWNER, AlertSetCb(field=Field.RATING, rid=theirs.id, value="9").pack()
    )
    assert harness.answer() == "Этого правила уже нет."
    await harness.press(OWNER, OWNER, "Новое правило")
    for field, value in ((Field.RATING, "9"), (Field.QUIET, "99"), (Field.SCORE, "²")):
        await harness.click(OWNER, OWNER, AlertSetCb(field=field, value=value).pack())
        assert harness.answer().startswith("Это меню устарело"), (field, harness.answer())
    await harness.click(OWNER, OWNER, "ar:zz:1")
    assert harness.answer().startswith("Это меню устарело")
    await harness.click(OWNER, OWNER, f"ar:v:{2**64}")
    assert harness.answer().startswith("Это меню устарело")
    # An alert button for a call that rule never alerted on.
    forged = AlertCb(action=AlertAction.HANDLED, rule=theirs.id, dialog=2001).pack()
    await harness.click(OWNER, OWNER, forged)
    assert harness.answer().startswith("Это меню устарело")
    assert await harness.world.digests.handled(GROUP, [2001]) == {}
    assert await harness.world.repo.get(theirs.id) == theirs


async def test_an_admin_resumes_a_rule_whose_owner_left_with_their_own_connection(
    harness: Harness,
) -> None:
    await group_of(harness)
    world = harness.world
    gone = 703  # connected once, then disconnected
    rule = await world.rule(chat_id=GROUP, owner_user_id=gone, created_by=gone, owner_name="Ира")
    report = await harness.poller.poll_once()
    assert report["owner lost"] == 1
    [told] = [text for text in world.texts(GROUP) if "Алерты на паузе" in text]
    assert "(Ира), отключился" in told

    await harness.say(GROUP, ADMIN, "/alerts")
    assert "1. ⏸ все звонки" in harness.screen(GROUP)
    assert "⏸ На паузе: владелец подключения отключился" in harness.screen(GROUP)
    await harness.press(GROUP, ADMIN, "1.")
    assert "⏸ На паузе: владелец подключения отключился" in harness.screen(GROUP)
    assert "продолжит работу с вашим подключением" in harness.screen(GROUP)
    kicks = harness.kicks
    await harness.press(GROUP, ADMIN, "Возобновить")
    assert harness.answer() == "Правило снова работает — с вашим подключением aiokk"
    stored = await world.repo.get(rule.id)
    assert stored is not None and not stored.paused and stored.pause_reason is None
    assert (stored.owner_user_id, stored.baselined_at) == (ADMIN, None)
    assert harness.kicks == kicks + 1, "polled soon: its first poll only remembers"
    assert "▶️ Работает" in harness.screen(GROUP)
    assert "Данные из подключения aiokk: Admin 701" in harness.screen(GROUP)
    assert (await harness.poller.poll_once())["baseline"] == 1


# ---------------------------------------------------------------- under an alert


async def test_open_and_handled_under_a_group_alert(harness: Harness) -> None:
    await group_of(harness)
    fake, world = harness.fake, harness.world
    fake.private_chat(MEMBER, "Марат")
    rule = await world.rule(chat_id=GROUP, owner_user_id=ADMIN, created_by=ADMIN)
    assert (await harness.poller.poll_once())["baseline"] == 1
    bad = record(2010, TEST_NOW + timedelta(minutes=3), rating=1, operator="Ержан <Б>")
    world.aiokk.serve([*BEFORE, bad])
    world.clock.advance(timedelta(minutes=5))
    await harness.poller.poll_once()
    alert = fake.last_bot_message(GROUP)
    assert "Критичный звонок" in alert["text"] and "Ержан <Б>" in alert["text"]
    opens, handled = (data for _, data in fake.buttons(alert))

    # In a group the card goes privately to whoever pressed.
    await harness.click(GROUP, MEMBER, opens, message=alert)
    assert harness.answer() == "Карточка звонка — в личном чате с ботом."
    assert "2010" in harness.text(MEMBER)
    # The same button under another message of the chat is refused.
    await harness.say(GROUP, ADMIN, "/alerts")
    listing = fake.last_bot_message(GROUP)
    await harness.click(GROUP, MEMBER, handled, message=listing)
    assert harness.answer().startswith("Это меню устарело")

    world.clock.advance(timedelta(minutes=7))  # 10:42
    await harness.click(GROUP, MEMBER, handled, message=alert)
    assert harness.answer() == "Отмечено ✓"
    edited = next(m for m in fake.messages(GROUP) if m["message_id"] == alert["message_id"])
    assert edited["text"].endswith("✓ Обработан: Марат, 10:42")
    assert "Ержан <Б>" in edited["text"], "the alert's own text stays"
    assert [AlertCb.unpack(data).action for _, data in fake.buttons(edited)] == [AlertAction.OPEN]
    marks = await world.digests.handled(GROUP, [2010])
    assert marks[2010].user_name == "Марат", "the digests' record"
    await harness.click(GROUP, ADMIN, handled, message=alert)
    assert harness.answer() == "Уже отметил(а) Марат в 10:42."
    assert rule.id == 1


# ---------------------------------------------------------------- SIGUSR1


async def test_sigusr1_runs_a_digest_tick_and_an_alert_poll() -> None:
    kicked: list[str] = []

    def failing() -> None:
        kicked.append("digests")
        raise RuntimeError("a tick that cannot start")

    kick = KickSignal(failing, lambda: kicked.append("alerts"))
    await kick.install()
    try:
        os.kill(os.getpid(), signal.SIGUSR1)
        for _ in range(200):
            if len(kicked) == 2:
                break
            await asyncio.sleep(0.01)
    finally:
        await kick.remove()
    assert kicked == ["digests", "alerts"], "one failing does not keep the other from running"


class CountingPoller:
    interval = timedelta(seconds=60)

    def __init__(self) -> None:
        self.polls: list[bool] = []

    def attach(self, bot: object) -> None:
        pass

    async def poll_once(self, *, force: bool = False) -> None:
        self.polls.append(force)


async def test_the_timer_polls_on_the_event_loop_and_a_kick_forces_a_poll() -> None:
    poller = CountingPoller()
    scheduler = AlertScheduler(poller)  # type: ignore[arg-type]
    await scheduler.start(None)  # type: ignore[arg-type]
    try:
        for _ in range(200):  # the timer's first run is at start
            if poller.polls:
                break
            await asyncio.sleep(0.01)
        assert poller.polls == [False]
        scheduler.kick(force=True)
        for _ in range(200):
            if len(poller.polls) == 2:
                break
            await asyncio.sleep(0.01)
        assert poller.polls == [False, True], "SIGUSR1 polls even within the interval"
    finally:
        await scheduler.stop()
