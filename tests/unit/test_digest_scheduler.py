"""The tick end to end against the fake Bot API: delivery, lateness, crashes, retries,
blocked chats, previews and handled marks. The clock is frozen; nothing sleeps."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from bot.aiokk.errors import NotPaid, Unavailable
from bot.digest.artifacts import InlineArtifacts
from bot.digest.claims import LEASE
from bot.digest.model import Attachment, PauseReason
from handlers.digests.callbacks import CallAction, DigestCallCb
from storage.digests import RunState
from tests.fake_telegram import FakeTelegram
from tests.unit.test_digest_support import OTHER, OWNER, World, almaty, make_world


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    built = await make_world(tmp_path)
    yield built
    await built.close()


def bot_messages(fake: FakeTelegram, chat_id: int) -> list[dict[str, Any]]:
    bot_id = fake.bot_user["id"]
    return [m for m in fake.messages(chat_id) if m["from"]["id"] == bot_id]


def visible(message: dict[str, Any]) -> str:
    return str(message.get("text") or message.get("caption") or "")


class CountingArtifacts(InlineArtifacts):
    """In-process artifacts that count how often the worker processes would be started."""

    def __init__(self) -> None:
        super().__init__()
        self.warm_ups = 0

    async def warm_up(self) -> None:
        self.warm_ups += 1


async def test_render_workers_start_only_once_a_subscription_is_active(tmp_path: Path) -> None:
    artifacts = CountingArtifacts()
    world = await make_world(tmp_path, artifacts=artifacts)
    try:
        await world.scheduler.tick(world.bot)
        await asyncio.sleep(0)
        assert artifacts.warm_ups == 0, "nobody subscribed: no worker processes"
        sub = await world.subscribe()
        await world.repo.save(sub.with_(paused=True), world.clock())
        await world.scheduler.tick(world.bot)
        await asyncio.sleep(0)
        assert artifacts.warm_ups == 0, "a paused subscription does not need them"
        await world.repo.save(sub.with_(paused=False), world.clock())
        for _ in range(3):
            await world.scheduler.tick(world.bot)
            await asyncio.sleep(0)
        assert artifacts.warm_ups == 1
    finally:
        await world.close()


async def test_due_digest_is_sent_once_with_open_and_handled_buttons(world: World) -> None:
    sub = await world.subscribe()
    world.clock.set(almaty(2025, 11, 21, 9, 0))
    report = await world.scheduler.tick(world.bot)
    assert report[RunState.SENT] == 1
    messages = bot_messages(world.fake, OWNER)
    assert len(messages) == 1
    text = visible(messages[0])
    assert "Плохие звонки за 20 ноября: 4 из 7 (57 %)" in text
    assert "офлайн" not in text
    buttons = world.fake.buttons(messages[0])
    assert len(buttons) == 8  # open + handled for each of the 4 calls
    assert (await world.scheduler.tick(world.bot)).outcomes == {}
    runs = await world.repo.runs_of(sub.id)
    assert [(run.state, run.attempts) for run in runs] == [(RunState.SENT, 1)]


async def test_digest_due_while_the_bot_was_down_says_it_is_late(world: World) -> None:
    await world.subscribe()
    world.clock.set(almaty(2025, 11, 21, 9, 25))
    await world.scheduler.tick(world.bot)
    (message,) = bot_messages(world.fake, OWNER)
    assert "Отправлено с опозданием: бот был офлайн в 09:00" in visible(message)


async def test_digest_more_than_twelve_hours_late_is_skipped(world: World) -> None:
    sub = await world.subscribe()
    world.clock.set(almaty(2025, 11, 21, 21, 1))
    report = await world.scheduler.tick(world.bot)
    assert report["missed"] == 1
    assert bot_messages(world.fake, OWNER) == []
    assert [run.state for run in await world.repo.runs_of(sub.id)] == [RunState.MISSED]


async def test_crash_between_claim_and_send_is_sent_exactly_once_after_restart(
    world: World,
) -> None:
    sub = await world.subscribe()
    world.clock.set(almaty(2025, 11, 21, 9, 0))
    claim = await world.claimer.claim_subscription(sub.id)  # ... and the process dies
    assert claim is not None
    assert (await world.scheduler.tick(world.bot)).outcomes == {}  # still within the lease
    world.clock.advance(LEASE + timedelta(minutes=1))
    report = await world.scheduler.tick(world.bot)
    assert report[RunState.SENT] == 1
    world.clock.advance(LEASE * 3)
    assert (await world.scheduler.tick(world.bot)).outcomes == {}
    assert len(bot_messages(world.fake, OWNER)) == 1
    (run,) = await world.repo.runs_of(sub.id)
    assert (run.state, run.attempts) == (RunState.SENT, 2)


async def test_aiokk_failures_are_retried_three_times_within_the_hour_then_reported(
    world: World,
) -> None:
    sub = await world.subscribe()
    world.calls.failures = [Unavailable("502")] * 4
    world.clock.set(almaty(2025, 11, 21, 9, 0))
    for minutes, expected in ((0, 1), (5, 2), (15, 3)):
        world.clock.advance(timedelta(minutes=minutes))
        assert (await world.scheduler.tick(world.bot))[RunState.RETRY] == 1
        (run,) = await world.repo.runs_of(sub.id)
        assert (run.state, run.attempts) == (RunState.RETRY, expected)
        # Not due again before its backoff.
        assert (await world.scheduler.tick(world.bot)).outcomes == {}
        assert bot_messages(world.fake, OWNER) == []
    world.clock.advance(timedelta(minutes=30))
    assert world.clock() - almaty(2025, 11, 21, 9, 0) < timedelta(hours=1)
    assert (await world.scheduler.tick(world.bot))[RunState.FAILED] == 1
    (message,) = bot_messages(world.fake, OWNER)
    text = visible(message)
    assert "Не удалось собрать дайджест за 20 ноября" in text
    assert "aiokk" in text  # the reason, in the user's words
    assert "22 ноября, 09:00" in text
    (run,) = await world.repo.runs_of(sub.id)
    assert (run.state, run.attempts) == (RunState.FAILED, 4)
    assert len(world.calls.fetches) == 4
    world.clock.advance(timedelta(hours=2))
    assert (await world.scheduler.tick(world.bot)).outcomes == {}


async def test_a_retry_that_succeeds_sends_the_digest(world: World) -> None:
    await world.subscribe()
    world.calls.failures = [Unavailable("timeout")]
    world.clock.set(almaty(2025, 11, 21, 9, 0))
    assert (await world.scheduler.tick(world.bot))[RunState.RETRY] == 1
    world.clock.advance(timedelta(minutes=5))
    assert (await world.scheduler.tick(world.bot))[RunState.SENT] == 1
    (message,) = bot_messages(world.fake, OWNER)
    assert "4 из 7" in visible(message)


async def test_errors_that_waiting_does_not_fix_are_reported_at_once(world: World) -> None:
    await world.subscribe()
    world.calls.failures = [NotPaid("402", status=402)]
    world.clock.set(almaty(2025, 11, 21, 9, 0))
    assert (await world.scheduler.tick(world.bot))[RunState.FAILED] == 1
    (message,) = bot_messages(world.fake, OWNER)
    assert "не оплачен" in visible(message)


async def test_blocked_chat_pauses_its_digests_and_other_errors_do_not_stop_the_rest(
    world: World,
) -> None:
    first = await world.subscribe()
    second = await world.subscribe(schedule=first.schedule)
    world.fake.private_chat(OTHER, "Борис")
    world.connections.connect(OTHER)
    fine = await world.subscribe(chat_id=OTHER, owner_user_id=OTHER, created_by=OTHER)
    # A group the bot has never been in: Telegram answers 400 "chat not found".
    missing = await world.subscribe(chat_id=-100777, chat_title="Gone")
    world.fake.block_chat(OWNER)
    world.clock.set(almaty(2025, 11, 21, 9, 0))
    report = await world.scheduler.tick(world.bot)
    assert report[RunState.SENT] == 1
    assert report["blocked"] >= 1
    assert report[RunState.FAILED] == 1
    assert len(bot_messages(world.fake, OTHER)) == 1
    for sub in (first, second):
        stored = await world.repo.get(sub.id)
        assert stored is not None and stored.paused
        assert stored.pause_reason is PauseReason.BLOCKED
        assert "blocked" in (stored.pause_detail or "")
    still = await world.repo.get(fine.id)
    assert still is not None and not still.paused
    gone = await world.repo.get(missing.id)
    assert gone is not None and not gone.paused
    (run,) = await world.repo.runs_of(missing.id)
    assert run.state == RunState.FAILED and "chat not found" in (run.error or "")


async def test_send_now_is_a_preview_that_does_not_replace_the_scheduled_run(
    world: World,
) -> None:
    sub = await world.subscribe()
    world.clock.set(almaty(2025, 11, 21, 8, 30))
    await world.service.send_now(world.bot, sub)
    (preview,) = bot_messages(world.fake, OWNER)
    assert "Предпросмотр" in visible(preview)
    assert "Плохие звонки за 20 ноября" in visible(preview)
    assert await world.repo.runs_of(sub.id) == []
    world.clock.set(almaty(2025, 11, 21, 9, 0))
    assert (await world.scheduler.tick(world.bot))[RunState.SENT] == 1
    assert len(bot_messages(world.fake, OWNER)) == 2


async def test_handled_is_recorded_shown_in_place_and_left_out_next_time(world: World) -> None:
    sub = await world.subscribe()
    world.clock.set(almaty(2025, 11, 21, 9, 0))
    await world.scheduler.tick(world.bot)
    (message,) = bot_messages(world.fake, OWNER)
    handled = [
        DigestCallCb.unpack(data)
        for _, data in world.fake.buttons(message)
        if DigestCallCb.unpack(data).action is CallAction.HANDLED
    ]
    target = next(cb for cb in handled if cb.d == 1002)
    stored = await world.repo.get_message(target.m)
    assert stored is not None and stored.message_id == message["message_id"]
    world.clock.set(almaty(2025, 11, 21, 10, 42))
    mark, new = await world.service.mark_handled(world.bot, stored, 1002, OWNER, "Айгерим")
    assert new and mark.user_id == OWNER
    (edited,) = bot_messages(world.fake, OWNER)
    assert "✓ Айгерим, 10:42" in visible(edited)
    labels = [data for _, data in world.fake.buttons(edited)]
    assert target.pack() not in labels  # nothing left to mark for that call
    again, new_again = await world.service.mark_handled(world.bot, stored, 1002, OTHER, "Борис")
    assert not new_again and again.user_name == "Айгерим"
    # The next digest covering that call (here a preview of the same day) leaves it out.
    await world.service.send_now(world.bot, sub)
    latest = bot_messages(world.fake, OWNER)[-1]
    assert "Уже обработаны и не показаны: 1" in visible(latest)
    assert all(DigestCallCb.unpack(data).d != 1002 for _, data in world.fake.buttons(latest))


async def test_chart_and_excel_are_attached(world: World) -> None:
    await world.subscribe(chart=True, attachment=Attachment.XLSX)
    world.clock.set(almaty(2025, 11, 21, 9, 0))
    assert (await world.scheduler.tick(world.bot))[RunState.SENT] == 1
    photo, document = bot_messages(world.fake, OWNER)
    assert "photo" in photo and "Плохие звонки за 20 ноября" in visible(photo)
    assert world.fake.buttons(photo)  # the caption carries the buttons
    name, data = world.fake.document(document["document"]["file_id"])
    assert name.endswith(".xlsx") and "2025-11-20" in name
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    ids = sorted(int(row[0]) for row in sheet.iter_rows(min_row=2, values_only=True) if row[0])
    assert ids == [1002, 1003, 1004, 1006]


async def test_csv_uses_the_chats_delimiter(world: World) -> None:
    await world.chats.set_csv_delimiter(OWNER, ",")
    await world.subscribe(attachment=Attachment.CSV)
    world.clock.set(almaty(2025, 11, 21, 9, 0))
    await world.scheduler.tick(world.bot)
    _, document = bot_messages(world.fake, OWNER)
    name, data = world.fake.document(document["document"]["file_id"])
    assert name == "bad-calls_2025-11-20_2025-11-20.csv"
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")
    lines = text.strip().splitlines()
    assert len(lines) == 5 and lines[1].startswith("1002,")


async def test_no_bad_calls_sends_one_line_or_nothing(world: World) -> None:
    world.calls.records = [r for r in world.calls.records if r["call"]["dialogId"] == 1001]
    await world.subscribe()
    skipping = await world.subscribe(skip_empty=True)
    world.clock.set(almaty(2025, 11, 21, 9, 0))
    report = await world.scheduler.tick(world.bot)
    assert (report[RunState.SENT], report[RunState.SKIPPED]) == (1, 1)
    (message,) = bot_messages(world.fake, OWNER)
    assert visible(message) == "За 20 ноября плохих звонков нет ✅"
    assert [run.state for run in await world.repo.runs_of(skipping.id)] == [RunState.SKIPPED]


async def test_scheduler_ticks_once_at_start_and_again_when_kicked(world: World) -> None:
    await world.subscribe()
    world.clock.set(almaty(2025, 11, 21, 9, 0))
    mark = world.fake.mark()
    await world.scheduler.start(world.bot)
    try:
        first = await world.fake.wait_for(
            lambda c: c.method == "sendMessage" and c.chat_id == OWNER, after=mark
        )
        assert "4 из 7" in first.params["text"]
        world.fake.private_chat(OTHER, "Борис")
        world.connections.connect(OTHER)
        await world.subscribe(chat_id=OTHER, owner_user_id=OTHER, created_by=OTHER)  # due now
        mark = world.fake.mark()
        world.scheduler.kick()  # what SIGUSR1 does (bot.app.KickSignal)
        second = await world.fake.wait_for(
            lambda c: c.method == "sendMessage" and c.chat_id == OTHER, after=mark
        )
        assert "4 из 7" in second.params["text"]
    finally:
        await world.scheduler.stop()
    assert len(bot_messages(world.fake, OWNER)) == 1
