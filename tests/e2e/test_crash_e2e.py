"""The real bot killed with ``kill -9`` at chosen moments: a digest whose message went out
resumes with only its file, the worker processes die with the bot, and an export cut off
by the kill is reported at the next start and can be run again with one press."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from bot.digest.model import Attachment, Schedule, Subscription
from storage.db import Database
from storage.digests import DigestRepo, RunState
from tests.clock import TEST_NOW, TEST_TZ
from tests.e2e.conftest import Sandbox, StartBot
from tests.e2e.harness import BotProcess
from tests.e2e.test_calls import connect, warm
from tests.fake_telegram import ApiError, FakeTelegram

WAIT = 60.0


async def subscribe(bot: BotProcess, user_id: int, due: datetime, **changes: object) -> int:
    """A digest for ``user_id``'s private chat, due at ``due``, written into the bot's database."""
    local = due.astimezone(TEST_TZ)
    db = await Database.open(bot.database_path)
    try:
        sub = Subscription(
            chat_id=user_id,
            owner_user_id=user_id,
            created_by=user_id,
            owner_name="Айгерим",
            schedule=Schedule(local.hour, local.minute, TEST_TZ.key),
            next_run=due,
            **changes,  # type: ignore[arg-type]
        )
        return (await DigestRepo(db).create(sub, due)).id
    finally:
        await db.close()


async def run_states(bot: BotProcess, sub_id: int) -> list[str]:
    db = await Database.open(bot.database_path)
    try:
        return [run.state for run in await DigestRepo(db).runs_of(sub_id)]
    finally:
        await db.close()


def children(pid: int) -> dict[int, str]:
    """Live child processes of ``pid`` (from /proc), with their command lines."""
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found[int(entry.name)] = command
    return found


def alive(pids: set[int]) -> set[int]:
    """Those of ``pids`` still running (a zombie waiting for its reaper counts as ended)."""
    running: set[int] = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            running.add(pid)
    return running


async def until(
    condition: Callable[[], object],
    what: str,
    timeout: float = WAIT,  # noqa: ASYNC109 - a deadline for the polling, not a cancel scope
) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def test_a_digest_killed_after_its_message_sends_only_its_file_after_restart(
    fake_telegram: FakeTelegram, sandbox: Sandbox, bot_process: StartBot
) -> None:
    user_id = 7801
    bot = await bot_process(aiokk_base_url=sandbox.base_url)
    await connect(fake_telegram, user_id)
    sub_id = await subscribe(
        bot, user_id, TEST_NOW - timedelta(minutes=1), chart=True, attachment=Attachment.XLSX
    )
    # The file's first try fails; the bot would try again half a second later.
    fake_telegram.fail_next_with("sendDocument", ApiError(500, "Internal Server Error"))
    mark = fake_telegram.mark()
    assert bot.process is not None
    bot.process.send_signal(signal.SIGUSR1)
    await fake_telegram.wait_for(
        lambda c: c.method == "sendDocument" and c.chat_id == user_id, after=mark, timeout=WAIT
    )
    await bot.kill()  # the chart and the text are out, the file is not
    sent = [c.method for c in fake_telegram.calls[mark:] if c.chat_id == user_id and c.ok]
    assert sent == ["sendPhoto", "sendMessage"]
    assert await run_states(bot, sub_id) == [RunState.CLAIMED]

    restart = fake_telegram.mark()
    await bot.start()
    await fake_telegram.wait_for(
        lambda c: c.method == "sendDocument" and c.chat_id == user_id and c.ok,
        after=restart,
        timeout=WAIT,
    )
    for _ in range(100):
        if await run_states(bot, sub_id) == [RunState.SENT]:
            break
        await asyncio.sleep(0.1)
    assert await run_states(bot, sub_id) == [RunState.SENT]
    again = [c.method for c in fake_telegram.calls[restart:] if c.chat_id == user_id and c.ok]
    assert again == ["sendDocument"], "the chart and the text are not sent twice"


async def test_workers_die_with_the_bot_and_a_cut_off_export_can_be_retried(
    fake_telegram: FakeTelegram, sandbox: Sandbox, bot_process: StartBot
) -> None:
    bot = await bot_process(env={"AIOKK_BASE_URL": sandbox.base_url})
    assert bot.process is not None
    pid = bot.process.pid
    user = await connect(fake_telegram, 7802)
    screen = await warm(user)
    # An active digest makes the bot start its chart workers (a process pool).
    await subscribe(bot, user.user_id, TEST_NOW + timedelta(days=1))
    bot.process.send_signal(signal.SIGUSR1)

    def spawned() -> list[int]:
        return [p for p, command in children(pid).items() if "spawn_main" in command]

    def tracker() -> list[int]:
        return [p for p, command in children(pid).items() if "resource_tracker" in command]

    await until(lambda: len(spawned()) >= 2 and tracker(), "the chart workers")
    pool = set(spawned())
    mark = fake_telegram.mark()
    fake_telegram.click(user.current(screen), user.button("Excel", screen), user_id=user.user_id)
    status = await fake_telegram.wait_for(
        lambda c: c.method == "sendMessage" and "Готовлю XLSX" in str(c.params.get("text")),
        after=mark,
        timeout=WAIT,
    )
    await until(lambda: set(spawned()) - pool, "the export worker")
    workers = set(children(pid))
    assert len(workers) >= 4, children(pid)  # two chart workers, the export, the tracker

    await bot.kill()
    await until(lambda: not alive(workers), "the workers to exit", timeout=5)
    assert not [c for c in fake_telegram.calls[mark:] if c.method == "sendDocument"]

    # At the next start the progress message says what happened, with Retry.
    restart = fake_telegram.mark()
    await bot.start()
    status_id = status.result["message_id"]
    edited = await fake_telegram.wait_for(
        lambda c: c.method == "editMessageText" and int(c.params["message_id"]) == status_id,
        after=restart,
        timeout=WAIT,
    )
    assert "перезапустился" in edited.params["text"]
    message = user.current(status.result)
    assert user.labels(message) == ["🔄 Повторить"]
    retry = fake_telegram.mark()
    fake_telegram.click(message, user.button("Повторить", message), user_id=user.user_id)
    sent = await fake_telegram.wait_for(
        lambda c: c.method == "sendDocument" and c.ok, after=retry, timeout=WAIT
    )
    name, _ = fake_telegram.document(sent.result["document"]["file_id"])
    assert name.endswith(".xlsx")
    await fake_telegram.wait_for(
        lambda c: c.method == "deleteMessage" and int(c.params["message_id"]) == status_id,
        after=retry,
        timeout=WAIT,
    )
