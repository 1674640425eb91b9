"""Starting without Telegram: a rejected token is one clear line, an unreachable Bot API is
waited for (and a stop while waiting is a clean exit), never a traceback."""

from __future__ import annotations

import asyncio
import signal
import socket

from tests.e2e.conftest import StartBot
from tests.e2e.harness import BotProcess


async def launch(process: BotProcess) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *process.command,
        cwd=process.workdir,
        env=process.env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


async def test_a_rejected_token_is_one_clear_line_and_exit_code_2(
    bot_process: StartBot,
) -> None:
    process = await bot_process(
        env={"BOT_TOKEN": "123456:not-the-token-telegram-knows"}, start=False
    )
    child = await launch(process)
    output, _ = await asyncio.wait_for(child.communicate(), 30)
    text = output.decode()
    assert child.returncode == 2, text
    assert "Telegram rejected BOT_TOKEN (401 Unauthorized)" in text
    assert "Traceback" not in text
    assert "not-the-token" not in text


async def test_an_unreachable_bot_api_is_retried_and_sigterm_exits_cleanly(
    bot_process: StartBot,
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    process = await bot_process(env={"TELEGRAM_API_URL": closed}, start=False)
    child = await launch(process)
    assert child.stdout is not None
    seen: list[str] = []
    async with asyncio.timeout(60):
        while "cannot reach the Telegram Bot API" not in (
            line := (await child.stdout.readline()).decode()
        ):
            assert line, "the bot exited: " + "".join(seen)
            seen.append(line)
    assert "trying again in" in line and closed in line
    child.send_signal(signal.SIGTERM)
    rest, _ = await asyncio.wait_for(child.communicate(), 15)
    assert child.returncode == 0, rest.decode()
    assert "Traceback" not in "".join(seen) + line + rest.decode()
