"""Digests across crashes, stops and half-failed deliveries: each part (chart, message,
file) is sent once, what is missing is sent later, and the chat hears of a file that did
not make it. The process "dies" by an exception no handler catches, right before a request.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType

from bot.digest.claims import LEASE, MAX_ATTEMPTS, Claimer
from bot.digest.model import Attachment, PauseReason
from bot.digest.scheduler import DigestScheduler
from bot.instance import is_gone
from handlers.digests.callbacks import DigestAction, DigestCb
from storage.digests import RunState
from tests.fake_telegram import ApiError
from tests.unit.test_digest_scheduler import bot_messages, visible
from tests.unit.test_digest_support import OTHER, OWNER, World, almaty, make_world

NINE = (2025, 11, 21, 9, 0)


class ProcessDied(BaseException):
    """Stands for ``kill -9``: nothing in the bot catches it."""


class Faults(BaseRequestMiddleware):
    """Makes chosen Bot API methods die, hang, or lose their answer."""

    def __init__(self) -> None:
        self.die: set[str] = set()
        self.unanswered: set[str] = set()
        self.delay: dict[str, float] = {}

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        name = method.__api_method__
        if name in self.die:
            raise ProcessDied(name)
        if name in self.delay:
            await asyncio.sleep(self.delay[name])
        if name in self.unanswered:
            # The request went out, the answer never came: its fate is unknown.
            raise TelegramNetworkError(method, "Request timeout error")
        return await make_request(bot, method)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    built = await make_world(tmp_path)
    yield built
    await built.close()


@pytest.fixture
def faults(world: World) -> Faults:
    middleware = Faults()
    world.bot.session.middleware(middleware)
    return middleware


def kinds(world: World, chat_id: int = OWNER) -> list[str]:
    return [
        "photo" if "photo" in m else "document" if "document" in m else "text"
        for m in bot_messages(world.fake, chat_id)
    ]


def dead_owner() -> str:
    """A claim owner that is a process of this host that has ended."""
    pid_max = int(Path("/proc/sys/kernel/pid_max").read_text())
    return f"{socket.gethostname()}:{pid_max}:gone"


# -- crash after the message ----------------------------------------------------------------


async def test_a_crash_after_the_message_resends_only_the_file(
    world: World, faults: Faults
) -> None:
    sub = await world.subscribe(chart=True, attachment=Attachment.XLSX)
    world.clock.set(almaty(*NINE))
    faults.die.add("sendDocument")
    with pytest.raises(ProcessDied):
        await world.scheduler.tick(world.bot)
    assert kinds(world) == ["photo"]  # the chart with the digest as its caption
    (run,) = await world.repo.runs_of(sub.id)
    assert run.state == RunState.CLAIMED

    # Another process takes the run over after the lease: only the file was missing.
    faults.die.clear()
    world.clock.advance(LEASE + timedelta(minutes=1))
    assert (await world.scheduler.tick(world.bot))[RunState.SENT] == 1
    assert kinds(world) == ["photo", "document"]
    (run,) = await world.repo.runs_of(sub.id)
    assert (run.state, run.attempts) == (RunState.SENT, 2)
    world.clock.advance(LEASE * 3)
    assert (await world.scheduler.tick(world.bot)).outcomes == {}
    assert kinds(world) == ["photo", "document"]


async def test_a_run_taken_over_after_the_lease_says_it_is_late(
    world: World, faults: Faults
) -> None:
    await world.subscribe()
    world.clock.set(almaty(*NINE))
    faults.die.add("sendMessage")
    with pytest.raises(ProcessDied):
        await world.scheduler.tick(world.bot)
    faults.die.clear()
    world.clock.advance(LEASE + timedelta(minutes=1))
    assert (await world.scheduler.tick(world.bot))[RunState.SENT] == 1
    (message,) = bot_messages(world.fake, OWNER)
    assert "Отправлено с опозданием: бот был офлайн в 09:00" in visible(message)


async def test_a_claim_of_a_dead_process_of_this_host_is_taken_over_at_once(
    world: World,
) -> None:
    sub = await world.subscribe()
    world.clock.set(almaty(*NINE))
    assert await Claimer(world.repo, world.clock, owner=dead_owner()).claim_subscription(sub.id)
    # No lease to wait for: the process that claimed it is gone.
    assert (await world.scheduler.tick(world.bot))[RunState.SENT] == 1
    (message,) = bot_messages(world.fake, OWNER)
    assert "4 из 7" in visible(message) and "опозданием" not in visible(message)


def test_only_processes_of_this_host_known_to_have_ended_are_gone() -> None:
    host = socket.gethostname()
    assert is_gone(dead_owner())
    assert not is_gone(f"{host}:1:alive")  # init lives
    assert not is_gone(f"elsewhere:{Path('/proc/sys/kernel/pid_max').read_text().strip()}:x")
    assert not is_gone("test-a")


# -- the file ---------------------------------------------------------------------------------


async def test_a_file_that_fails_once_is_sent_alone_at_the_retry(world: World) -> None:
    sub = await world.subscribe(attachment=Attachment.CSV)
    world.fake.fail_next_with("sendDocument", ApiError(500, "Internal Server Error"))
    world.clock.set(almaty(*NINE))
    assert (await world.scheduler.tick(world.bot))[RunState.RETRY] == 1
    assert kinds(world) == ["text"]
    world.clock.advance(timedelta(minutes=5))
    assert (await world.scheduler.tick(world.bot))[RunState.SENT] == 1
    assert kinds(world) == ["text", "document"]
    (run,) = await world.repo.runs_of(sub.id)
    assert (run.state, run.attempts) == (RunState.SENT, 2)


async def test_a_file_failing_every_retry_leaves_the_run_partial_and_says_how_to_get_it(
    world: World,
) -> None:
    sub = await world.subscribe(attachment=Attachment.XLSX)
    world.fake.fail_next_with("sendDocument", ApiError(502, "Bad Gateway"), count=MAX_ATTEMPTS)
    world.clock.set(almaty(*NINE))
    for minutes in (0, 5, 15):
        world.clock.advance(timedelta(minutes=minutes))
        assert (await world.scheduler.tick(world.bot))[RunState.RETRY] == 1
    world.clock.advance(timedelta(minutes=30))
    assert (await world.scheduler.tick(world.bot))[RunState.PARTIAL] == 1
    assert kinds(world) == ["text", "text"]
    digest, note = bot_messages(world.fake, OWNER)
    assert "4 из 7" in visible(digest)
    assert "Файл к дайджесту за 20 ноября не удалось отправить" in visible(note)
    assert "Отправить сейчас" in visible(note)
    ((label, data),) = world.fake.buttons(note)
    assert "Отправить сейчас" in label
    assert DigestCb.unpack(data) == DigestCb(action=DigestAction.SEND_NOW, sid=sub.id)
    (run,) = await world.repo.runs_of(sub.id)
    assert run.state == RunState.PARTIAL and "file not delivered" in (run.error or "")
    world.clock.advance(timedelta(hours=1))
    assert (await world.scheduler.tick(world.bot)).outcomes == {}
    assert len(bot_messages(world.fake, OWNER)) == 2


async def test_a_file_telegram_refuses_is_reported_at_once(world: World) -> None:
    await world.subscribe(attachment=Attachment.CSV)
    world.fake.fail_next_with("sendDocument", ApiError(400, "Bad Request: file is too big"))
    world.clock.set(almaty(*NINE))
    assert (await world.scheduler.tick(world.bot))[RunState.PARTIAL] == 1
    assert "не удалось отправить" in visible(bot_messages(world.fake, OWNER)[-1])


async def test_a_file_whose_fate_is_unknown_is_not_sent_twice(world: World, faults: Faults) -> None:
    sub = await world.subscribe(attachment=Attachment.CSV)
    faults.unanswered.add("sendDocument")
    world.clock.set(almaty(*NINE))
    assert (await world.scheduler.tick(world.bot))[RunState.PARTIAL] == 1
    faults.unanswered.clear()
    world.clock.advance(timedelta(hours=1))
    assert (await world.scheduler.tick(world.bot)).outcomes == {}
    _, note = bot_messages(world.fake, OWNER)
    assert "Telegram не подтвердил, что файл к дайджесту за 20 ноября дошёл" in visible(note)
    (run,) = await world.repo.runs_of(sub.id)
    assert run.state == RunState.PARTIAL


async def test_a_message_whose_fate_is_unknown_is_not_sent_twice(
    world: World, faults: Faults
) -> None:
    sub = await world.subscribe()
    faults.unanswered.add("sendMessage")
    world.clock.set(almaty(*NINE))
    assert (await world.scheduler.tick(world.bot))[RunState.SENT] == 1
    faults.unanswered.clear()
    for _ in range(4):
        world.clock.advance(timedelta(minutes=15))
        assert (await world.scheduler.tick(world.bot)).outcomes == {}
    (run,) = await world.repo.runs_of(sub.id)
    assert run.state == RunState.SENT and "not confirmed" in (run.error or "")


# -- stopping ---------------------------------------------------------------------------------


def stopping_scheduler(world: World, grace: float) -> DigestScheduler:
    return DigestScheduler(
        repo=world.repo,
        runner=world.runner,
        claimer=world.claimer,
        clock=world.clock,
        stop_grace=grace,
    )


async def test_stop_lets_the_digest_being_sent_finish(world: World, faults: Faults) -> None:
    sub = await world.subscribe(attachment=Attachment.CSV)
    world.clock.set(almaty(*NINE))
    faults.delay["sendDocument"] = 0.5
    mark = world.fake.mark()
    await world.scheduler.start(world.bot)
    await world.fake.wait_for(lambda c: c.method == "sendMessage" and c.ok, after=mark)
    await world.scheduler.stop()  # SIGTERM arrives while the file is on its way
    assert kinds(world) == ["text", "document"]
    (run,) = await world.repo.runs_of(sub.id)
    assert run.state == RunState.SENT


async def test_stop_past_its_grace_puts_the_rest_back_for_the_next_start(
    world: World, faults: Faults
) -> None:
    sub = await world.subscribe(attachment=Attachment.CSV)
    world.clock.set(almaty(*NINE))
    faults.delay["sendDocument"] = 60
    scheduler = stopping_scheduler(world, grace=0.2)
    mark = world.fake.mark()
    await scheduler.start(world.bot)
    await world.fake.wait_for(lambda c: c.method == "sendMessage" and c.ok, after=mark)
    await asyncio.wait_for(scheduler.stop(), 5)
    (run,) = await world.repo.runs_of(sub.id)
    assert run.state == RunState.RETRY and run.error == "stopped"
    # The next start sends at once what is missing, and nothing twice.
    faults.delay.clear()
    world.clock.advance(timedelta(seconds=30))
    assert (await world.scheduler.tick(world.bot))[RunState.SENT] == 1
    assert kinds(world) == ["text", "document"]


async def test_stop_drops_builds_at_once_and_the_next_start_sends_them(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    sub = await world.subscribe()
    world.clock.set(almaty(*NINE))
    fetching = asyncio.Event()
    fetch = world.calls.fetch

    async def stalled(*args: Any, **kwargs: Any) -> Any:
        fetching.set()
        await asyncio.sleep(3600)  # aiokk does not answer
        return await fetch(*args, **kwargs)

    monkeypatch.setattr(world.calls, "fetch", stalled)
    scheduler = stopping_scheduler(world, grace=30)
    await scheduler.start(world.bot)
    await asyncio.wait_for(fetching.wait(), 5)
    await asyncio.wait_for(scheduler.stop(), 2)  # no waiting for aiokk
    (run,) = await world.repo.runs_of(sub.id)
    assert run.state == RunState.RETRY
    assert bot_messages(world.fake, OWNER) == []
    monkeypatch.setattr(world.calls, "fetch", fetch)
    world.clock.advance(timedelta(minutes=1))
    assert (await world.scheduler.tick(world.bot))[RunState.SENT] == 1
    (message,) = bot_messages(world.fake, OWNER)
    assert "опозданием" not in visible(message)


# -- users removed from ALLOWED_USER_IDS -------------------------------------------------------


async def test_digests_of_a_user_no_longer_allowed_are_paused_and_their_chats_told(
    tmp_path: Path,
) -> None:
    world = await make_world(tmp_path, allowed=lambda user_id: user_id != OWNER)
    try:
        group = -100500
        world.fake.group_chat(group, "Продажи", admins={OTHER})
        world.fake.private_chat(OTHER, "Борис")
        world.connections.connect(OTHER)
        own = await world.subscribe()
        in_group = await world.subscribe(chat_id=group, chat_title="Продажи")
        others = await world.subscribe(chat_id=OTHER, owner_user_id=OTHER, created_by=OTHER)
        report = await world.scheduler.tick(world.bot)  # at start, before anything is due
        assert report["paused"] == 2
        for sub in (own, in_group):
            stored = await world.repo.get(sub.id)
            assert stored is not None and stored.pause_reason is PauseReason.NOT_ALLOWED
        (told,) = bot_messages(world.fake, OWNER)
        assert "у вас больше нет доступа к этому боту" in visible(told)
        (told_group,) = bot_messages(world.fake, group)
        assert "подключения aiokk пользователя Айгерим" in visible(told_group)
        assert "/digest" in visible(told_group)

        world.clock.set(almaty(*NINE))
        assert (await world.scheduler.tick(world.bot))[RunState.SENT] == 1
        assert len(bot_messages(world.fake, OWNER)) == 1
        assert len(bot_messages(world.fake, group)) == 1
        assert "4 из 7" in visible(bot_messages(world.fake, OTHER)[-1])
        assert [run.subscription_id for run in await world.repo.runs_of(others.id)]

        # A group admin resumes it: their own connection feeds it from now on.
        paused = await world.repo.get(in_group.id)
        assert paused is not None
        resumed, owner_changed = await world.service.resume(paused, OTHER, "Борис")
        assert owner_changed and resumed is not None and resumed.owner_user_id == OTHER
    finally:
        await world.close()
