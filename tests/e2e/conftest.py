"""End-to-end fixtures: the fake Bot API, the aiokk sandbox and the real bot process.

A test typically reads::

    async def test_start(fake_telegram, sandbox, bot_process):
        await bot_process(aiokk_base_url=sandbox.base_url)
        chat = fake_telegram.private_chat(501)
        mark = fake_telegram.mark()
        fake_telegram.send_text(chat, 501, "/start")
        await fake_telegram.wait_for_bot_message(501, after=mark)

When a test fails, the tail of every bot log it produced is added to the report.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Generator, Mapping, Sequence
from pathlib import Path
from typing import Protocol

import pytest

from tests.clock import TEST_NOW
from tests.e2e.harness import BotProcess
from tests.fake_telegram import FakeTelegram

_PROCESSES = pytest.StashKey[list[BotProcess]]()


class Sandbox(Protocol):
    """What the tests use of ``bot.sandbox.RunningSandbox``."""

    base_url: str

    async def close(self) -> None: ...


class StartBot(Protocol):
    def __call__(
        self,
        *,
        aiokk_base_url: str | None = None,
        timezone: str = "Asia/Almaty",
        env: Mapping[str, str] | None = None,
        args: Sequence[str] = (),
        start: bool = True,
    ) -> Awaitable[BotProcess]: ...


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed:
        none: list[BotProcess] = []
        processes = item.stash.get(_PROCESSES, none)
        for number, process in enumerate(processes, start=1):
            report.sections.append((f"bot log #{number} ({process.log_path})", process.log_tail()))
    return report


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    # Imported here so that collecting other tests does not depend on the sandbox module.
    from bot.sandbox import start_sandbox

    running: Sandbox = await start_sandbox(now=TEST_NOW)
    yield running
    await running.close()


@pytest.fixture
async def bot_process(
    fake_telegram: FakeTelegram, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[StartBot]:
    """Factory: ``await bot_process(...)`` starts the bot and returns its ``BotProcess``.

    Each process gets its own directory (database, log) under the test's ``tmp_path``.
    Processes still running at the end are stopped with SIGTERM and must exit with code 0.
    """
    processes = request.node.stash.setdefault(_PROCESSES, [])

    async def start_bot(
        *,
        aiokk_base_url: str | None = None,
        timezone: str = "Asia/Almaty",
        env: Mapping[str, str] | None = None,
        args: Sequence[str] = (),
        start: bool = True,
    ) -> BotProcess:
        workdir = tmp_path / f"bot{len(processes) + 1}"
        workdir.mkdir()
        process = BotProcess(
            fake_telegram,
            workdir,
            aiokk_base_url=aiokk_base_url,
            timezone=timezone,
            env=env,
            args=args,
        )
        processes.append(process)
        if start:
            await process.start()
        return process

    yield start_bot
    errors: list[BaseException] = []
    for process in processes:
        if process.running:
            try:
                await process.stop()
            except (AssertionError, OSError) as error:
                errors.append(error)
    if errors:
        raise errors[0]
