"""Exports across restarts: one a dead bot left at "⏳ 42 %" is reported at the next start
with Retry, one running when the bot stops is reported at once, and Retry (by the person who
asked) builds the file again in the same message. Files are readable by their owner only.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiohttp import web
from pydantic import SecretStr

from bot.config import Settings
from bot.exports.callbacks import ExportCb
from bot.exports.job import ExportDone, ExportFormat, ExportJob, run
from bot.exports.service import ExportRequest, ExportService
from bot.middlewares import ContextMiddleware
from bot.query.model import CallQuery, Period, PeriodKind
from bot.query.service import ConnectionRef
from bot.sandbox import RunningSandbox, start_sandbox
from handlers import exporting
from storage import ChatRepo, Database
from storage.exports import ExportRepo, ExportState
from tests.clock import TEST_NOW
from tests.fake_telegram import FakeTelegram
from tests.unit.test_digest_support import StubConnections, make_bot

GROUP = -100700
ASKER = 801
OTHER = 802
INTERRUPTED = "Бот перезапустился, пока готовил XLSX"


@dataclass
class Setup:
    db: Database
    repo: ExportRepo
    exports: ExportService
    fake: FakeTelegram
    bot: Bot


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[Setup]:
    db = await Database.open(tmp_path / "bot.sqlite3")
    repo = ExportRepo(db)
    fake = FakeTelegram()
    await fake.start()
    fake.group_chat(GROUP, "Аналитика", admins={ASKER})
    fake.user(OTHER, "Борис")
    fake.chat(GROUP).members.add(OTHER)
    bot = make_bot(fake)
    exports = ExportService(repo)
    yield Setup(db, repo, exports, fake, bot)
    await exports.close()
    await bot.session.close()
    await fake.stop()
    await db.close()


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    running = await start_sandbox(calls=300, now=TEST_NOW)
    yield running
    await running.close()


def job(base_url: str = "http://aiokk.invalid", directory: Path = Path()) -> ExportJob:
    return ExportJob(
        base_url=base_url,
        token="demo-1",
        query=CallQuery(period=Period(PeriodKind.D7)).to_dict(),
        tz_name="Asia/Almaty",
        lang="ru",
        fmt=ExportFormat.XLSX,
        delimiter=";",
        directory=directory,
        filename="calls_7d.xlsx",
        now=TEST_NOW,
        limit_bytes=50 * 1024 * 1024,
    )


def dead_owner() -> str:
    pid_max = int(Path("/proc/sys/kernel/pid_max").read_text())
    return f"{socket.gethostname()}:{pid_max}:gone"


async def left_running(setup: Setup, owner: str) -> int:
    """An export whose progress message a bot process left at 42 %."""
    status = await setup.bot.send_message(GROUP, "⏳ Готовлю XLSX: 42 % (42 из 100)")
    export_id = await setup.repo.start(
        chat_id=GROUP,
        thread_id=None,
        user_id=ASKER,
        lang="ru",
        job=job().to_record(),
        title="Все звонки · 7 дней",
        owner=owner,
    )
    await setup.repo.set_message(export_id, status.message_id)
    return export_id


def message(fake: FakeTelegram, message_id: int) -> dict[str, Any]:
    return next(m for m in fake.messages(GROUP) if m["message_id"] == message_id)


async def test_an_export_a_dead_bot_left_running_is_reported_at_start_with_retry(
    setup: Setup,
) -> None:
    dead = await left_running(setup, dead_owner())
    # Another bot process on this database (here: init, pid 1) is alive: not touched.
    alive = await left_running(setup, f"{socket.gethostname()}:1:other")
    mark = setup.fake.mark()
    await setup.exports.recover(setup.bot)
    edit = await setup.fake.wait_for(lambda c: c.method == "editMessageText", after=mark)
    record = await setup.repo.get(dead)
    assert record is not None and record.message_id == int(edit.params["message_id"])
    shown = message(setup.fake, record.message_id)
    assert INTERRUPTED in shown["text"]
    assert setup.fake.buttons(shown) == [("🔄 Повторить", ExportCb(id=dead).pack())]
    assert record.state == ExportState.INTERRUPTED
    other = await setup.repo.get(alive)
    assert other is not None and other.state == ExportState.RUNNING
    assert "42 %" in message(setup.fake, other.message_id or 0)["text"]


async def test_stopping_the_bot_reports_a_running_export_with_retry(setup: Setup) -> None:
    stalled = asyncio.Event()

    async def never_answers(request: web.Request) -> web.Response:
        stalled.set()
        await asyncio.sleep(3600)
        return web.Response()

    app = web.Application()
    app.router.add_post("/{tail:.*}", never_answers)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        request = ExportRequest(GROUP, None, ASKER, job(f"http://127.0.0.1:{port}"), "Звонки")
        task = setup.exports.start(setup.bot, request, "ru")
        await asyncio.wait_for(stalled.wait(), 30)  # the worker is fetching
        mark = setup.fake.mark()
        await setup.exports.close()
        assert task.cancelled()
        edit = await setup.fake.wait_for(lambda c: c.method == "editMessageText", after=mark)
        shown = message(setup.fake, int(edit.params["message_id"]))
        assert INTERRUPTED in shown["text"]
        ((_, data),) = setup.fake.buttons(shown)
        record = await setup.repo.get(ExportCb.unpack(data).id)
        assert record is not None and record.state == ExportState.INTERRUPTED
        assert "token" not in str(record.job) and "demo-1" not in str(record.job)
    finally:
        await runner.cleanup()


async def test_retry_is_for_the_asker_and_builds_the_file_in_the_same_message(
    setup: Setup, sandbox: RunningSandbox
) -> None:
    export_id = await left_running(setup, dead_owner())
    await setup.exports.recover(setup.bot)
    await setup.fake.wait_for(lambda c: c.method == "editMessageText")
    connections = StubConnections()
    connections.by_user[ASKER] = ConnectionRef(id=1, base_url=sandbox.base_url, token="demo-1")
    settings = Settings(
        bot_token=SecretStr("123456:TEST-token"),
        default_timezone="Asia/Almaty",
        _env_file=None,  # type: ignore[call-arg]
    )
    dispatcher = Dispatcher()
    dispatcher.workflow_data.update(exports=setup.exports)
    dispatcher.update.outer_middleware(
        ContextMiddleware(settings, ChatRepo(setup.db), connections)  # type: ignore[arg-type]
    )
    dispatcher.include_router(exporting.router)
    try:
        record = await setup.repo.get(export_id)
        assert record is not None and record.message_id is not None
        status = message(setup.fake, record.message_id)
        data = ExportCb(id=export_id).pack()

        await dispatcher.feed_raw_update(setup.bot, setup.fake.click(status, data, user_id=OTHER))
        assert "только тот, кто запросил" in setup.fake.callback_answers[-1]["text"]

        mark = setup.fake.mark()
        await dispatcher.feed_raw_update(setup.bot, setup.fake.click(status, data, user_id=ASKER))
        assert "Готовлю файл" in setup.fake.callback_answers[-1]["text"]
        sent = await setup.fake.wait_for(
            lambda c: c.method == "sendDocument" and c.ok, after=mark, timeout=60
        )
        name, _ = setup.fake.document(sent.result["document"]["file_id"])
        assert name == "calls_7d.xlsx"
        progress = [
            c for c in setup.fake.calls[mark:] if c.method in ("sendMessage", "editMessageText")
        ]
        assert progress and all(
            int(c.params["message_id"]) == record.message_id
            for c in progress
            if c.method == "editMessageText"
        )
        assert not [c for c in progress if c.method == "sendMessage"]  # no second status
        for _ in range(50):
            done = await setup.repo.get(export_id)
            if done is not None and done.state == ExportState.DONE:
                break
            await asyncio.sleep(0.1)
        assert done is not None and done.state == ExportState.DONE
    finally:
        exporting.router._parent_router = None


def test_export_files_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    async def serve_and_export() -> ExportDone:
        running = await start_sandbox(calls=300, now=TEST_NOW)
        try:
            context = multiprocessing.get_context("spawn")
            receiver, sender = context.Pipe(duplex=False)
            worker = context.Process(target=run, args=(job(running.base_url, tmp_path), sender))
            worker.start()
            sender.close()
            while True:
                message = await asyncio.to_thread(receiver.recv)
                if message[0] != "progress":
                    break
            await asyncio.to_thread(worker.join, 30)
            assert message[0] == "done", message
            done: ExportDone = message[1]
            return done
        finally:
            await running.close()

    done = asyncio.run(serve_and_export())
    assert done.paths
    for path in done.paths:
        assert path.stat().st_mode & 0o777 == 0o600, path
