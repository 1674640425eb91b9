"""Alert rules whose owner lost the connection or access, over the real CallService, sandbox
HTTP and the fake Bot API: the poller pauses the owner's rules with the reason and tells
each chat (each forum topic) once, /disconnect does the same at once, a blocked chat stays
paused, and an admin's resume re-binds the rule to their connection and starts it again
from a first poll that only remembers."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.alerts.model import AlertRule, AlertScope
from bot.alerts.poller import AlertPoller
from bot.alerts.service import AlertService
from bot.digest.model import PauseReason
from bot.query.service import ConnectionRef
from handlers.alerts.screens import card_text, status_text
from handlers.alerts_ui import TelegramAlertButtons
from storage.chats import ChatRepo
from tests.clock import TEST_NOW
from tests.unit.test_alerts_support import OWNER, Raw, World, make_world, record

GROUP = -100800
TOPIC = 5
ADMIN = 801
STRANGER = 802  # an admin of the group without a connection
PAUSED_RU = "Алерты на паузе"
PAUSED_EN = "Alerts paused"

BEFORE: list[Raw] = [
    record(1001, TEST_NOW - timedelta(hours=1), rating=1),
    record(1002, TEST_NOW - timedelta(hours=2), rating=2),
]


@dataclass
class Users:
    """Who has a connection (each their own, all to the one sandbox) and who may use the bot."""

    base_url: str
    connected: set[int] = field(default_factory=lambda: {OWNER, ADMIN})
    removed: set[int] = field(default_factory=set)

    async def get(self, user_id: int) -> ConnectionRef | None:
        if user_id not in self.connected:
            return None
        return ConnectionRef(id=user_id, base_url=self.base_url, token="demo")

    def allowed(self, user_id: int) -> bool:
        return user_id not in self.removed


@dataclass
class Setup:
    world: World
    users: Users
    poller: AlertPoller
    service: AlertService

    async def poll(self, records: list[Raw] | None = None) -> Counter[str]:
        if records is not None:
            self.world.aiokk.serve(records)
        self.world.clock.advance(timedelta(minutes=5))
        return (await self.poller.poll_once()).outcomes

    async def rule(self, **changes: Any) -> AlertRule:
        values: dict[str, Any] = {"chat_id": GROUP, "owner_name": "Айгерим"}
        values.update(changes)
        return await self.world.rule(**values)

    async def stored(self, rule: AlertRule) -> AlertRule:
        found = await self.world.repo.get(rule.id)
        assert found is not None
        return found

    def told(self, chat_id: int, marker: str = PAUSED_RU) -> list[dict[str, Any]]:
        return [m for m in self.world.sent(chat_id) if marker in str(m.get("text") or "")]

    def alerts(self, chat_id: int) -> list[str]:
        return [text for text in self.world.texts(chat_id) if "Критичн" in text]


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[Setup]:
    world = await make_world(tmp_path, list(BEFORE), TEST_NOW)
    world.fake.group_chat(GROUP, "Продажи", admins={ADMIN, STRANGER}, is_forum=True)
    users = Users(world.aiokk.base_url)
    poller = AlertPoller(
        repo=world.repo,
        handled=world.digests,
        calls=world.calls,
        connections=users,
        chats=ChatRepo(world.db),
        clock=world.clock,
        bot=world.bot,
        buttons=TelegramAlertButtons(),
        owner="test-a",
        allowed=users.allowed,
    )
    service = AlertService(
        world.repo,
        world.digests,
        world.clock,
        connections=users,
        allowed=users.allowed,
        pause_owner=poller.pause_owner,
    )
    yield Setup(world, users, poller, service)
    await world.close()


async def test_owner_disconnected_pauses_their_rules_and_tells_each_chat_once(
    setup: Setup,
) -> None:
    private = await setup.rule(chat_id=OWNER)
    general = await setup.rule()
    topic = await setup.rule(thread_id=TOPIC, scope=AlertScope.department(84))
    admins = await setup.rule(owner_user_id=ADMIN, created_by=ADMIN, owner_name="Админ")
    assert (await setup.poll())["baseline"] == 4

    setup.users.connected.discard(OWNER)
    bad = record(1010, TEST_NOW + timedelta(minutes=3), rating=1)
    report = await setup.poll([*BEFORE, bad])
    assert report["owner lost"] == 3
    for rule in (private, general, topic):
        stored = await setup.stored(rule)
        assert stored.paused and stored.pause_reason is PauseReason.DISCONNECTED
        assert stored.owner_lost and stored.baselined_at is not None
    assert not (await setup.stored(admins)).paused, "another owner's rule runs on"

    # One message per place: the group, its topic, the owner's private chat.
    in_general, in_topic = setup.told(GROUP)
    assert in_general.get("message_thread_id") is None
    assert in_topic["message_thread_id"] == TOPIC
    assert f"Правило №{general.id}: все звонки" in in_general["text"]
    assert f"Правило №{topic.id}: отдел 84" in in_topic["text"]
    for message in (in_general, in_topic):
        assert "(Айгерим), отключился" in message["text"] and "/alerts" in message["text"]
    [own] = setup.told(OWNER)
    assert "удалено" in own["text"] and "/connect" in own["text"]
    assert f"Правило №{private.id}" in own["text"]
    assert len(setup.alerts(GROUP)) == 1, "only the rule fed by a connection alerted"
    assert setup.alerts(OWNER) == []

    worse = record(1011, TEST_NOW + timedelta(minutes=8), rating=1)
    report = await setup.poll([*BEFORE, bad, worse])
    assert report["owner lost"] == 0
    assert len(setup.told(GROUP)) == 2 and len(setup.told(OWNER)) == 1, "told once"
    assert len(setup.alerts(GROUP)) == 2 and setup.alerts(OWNER) == []


async def test_owner_removed_from_the_allowlist_is_paused_and_told_once(setup: Setup) -> None:
    await ChatRepo(setup.world.db).set_language(GROUP, "en")
    rule = await setup.rule()
    await setup.poll()

    setup.users.removed.add(OWNER)  # still connected, but no longer allowed
    report = await setup.poll([*BEFORE, record(1010, TEST_NOW + timedelta(minutes=3), rating=1)])
    assert report["owner lost"] == 1
    stored = await setup.stored(rule)
    assert stored.paused and stored.pause_reason is PauseReason.NOT_ALLOWED
    [told] = setup.told(GROUP, PAUSED_EN)
    assert "(Айгерим) no longer has access to this bot" in told["text"]
    assert "their own connection in /alerts" in told["text"]
    assert f"Rule #{rule.id}: all calls" in told["text"]
    assert status_text(stored, "en") == "⏸ Paused: owner lost access"
    assert status_text(stored, "ru") == "⏸ На паузе: владелец подключения потерял доступ к боту"

    await setup.poll()
    assert len(setup.told(GROUP, PAUSED_EN)) == 1, "told once"
    assert setup.alerts(GROUP) == []


async def test_disconnect_pauses_at_once_and_the_poller_does_not_tell_again(
    setup: Setup,
) -> None:
    rule = await setup.rule()
    await setup.poll()

    setup.users.connected.discard(OWNER)  # /disconnect removed the connection
    assert await setup.service.on_disconnect(OWNER) == 1
    stored = await setup.stored(rule)
    assert stored.paused and stored.pause_reason is PauseReason.DISCONNECTED
    assert len(setup.told(GROUP)) == 1
    assert await setup.service.on_disconnect(OWNER) == 0, "nothing left to pause"

    assert (await setup.poll())["owner lost"] == 0
    assert len(setup.told(GROUP)) == 1


async def test_a_chat_that_blocked_the_bot_keeps_its_rules_paused(setup: Setup) -> None:
    mine = await setup.rule(chat_id=OWNER)
    await setup.poll()
    setup.world.fake.block_chat(OWNER)
    await setup.poll([*BEFORE, record(1010, TEST_NOW + timedelta(minutes=3), rating=1)])
    stored = await setup.stored(mine)
    assert stored.paused and stored.pause_reason is PauseReason.BLOCKED
    assert status_text(stored, "en") == "⏸ Paused: Telegram does not let the bot write to this chat"


async def test_resume_by_another_admin_rebinds_and_only_remembers_the_missed_calls(
    setup: Setup,
) -> None:
    rule = await setup.rule()
    await setup.poll()
    setup.users.connected.discard(OWNER)
    await setup.poll()
    paused = await setup.stored(rule)
    assert paused.pause_reason is PauseReason.DISCONNECTED

    card = await card_text(paused, setup.service, "en", chat_title=None, header=None)
    assert "⏸ Paused: owner disconnected" in card
    assert "Press Resume to run the rule on your own aiokk connection." in card

    # Calls made while it was paused.
    missed = [record(2000 + n, TEST_NOW + timedelta(minutes=6 + n), rating=1) for n in range(8)]
    setup.world.aiokk.serve([*BEFORE, *missed])

    # Someone without a connection cannot take it over.
    assert await setup.service.resume(paused, STRANGER, "Марат") == (None, False)
    assert (await setup.stored(rule)).paused

    resumed, rebound = await setup.service.resume(paused, ADMIN, "Админ")
    assert rebound and resumed is not None
    assert (resumed.owner_user_id, resumed.owner_name) == (ADMIN, "Админ")
    assert not resumed.paused and resumed.pause_reason is None
    assert resumed.baselined_at is None, "its next poll is a first one again"
    card = await card_text(resumed, setup.service, "en", chat_title=None, header=None)
    assert "▶️ Active" in card and "Press Resume" not in card

    report = await setup.poll()
    assert report["baseline"] == 1 and report["owner lost"] == 0
    assert setup.alerts(GROUP) == [], "no flood of the calls made during the pause"

    fresh = record(3001, TEST_NOW + timedelta(minutes=20), rating=1, operator="Новый Звонок")
    await setup.poll([*BEFORE, *missed, fresh])
    [alert] = setup.alerts(GROUP)
    assert "Новый Звонок" in alert


async def test_resume_by_the_owner_back_with_a_connection_keeps_them_and_rebaselines(
    setup: Setup,
) -> None:
    rule = await setup.rule()
    await setup.poll()
    setup.users.connected.discard(OWNER)
    await setup.poll()
    setup.users.connected.add(OWNER)  # connected again (perhaps to another aiokk)
    paused = await setup.stored(rule)
    resumed, rebound = await setup.service.resume(paused, ADMIN, "Админ")
    assert not rebound and resumed is not None and resumed.owner_user_id == OWNER
    assert resumed.baselined_at is None

    # A person's pause resumes as before: same owner, the calls seen stay seen.
    await setup.poll()
    assert await setup.service.set_paused(rule.id, True)
    user_paused = await setup.stored(rule)
    assert user_paused.pause_reason is PauseReason.USER
    assert status_text(user_paused, "en") == "⏸ Paused"
    again, rebound = await setup.service.resume(user_paused, ADMIN, "Админ")
    assert again is not None and not rebound and again.baselined_at is not None
