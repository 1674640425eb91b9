"""Run the real bot (``python -m bot``) as a child process against the fake Bot API."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

from tests.clock import TEST_NOW
from tests.fake_telegram import FakeTelegram

REPO_ROOT = Path(__file__).resolve().parents[2]
# Variables of the surrounding shell that would change the bot's behaviour under test.
_SCRUBBED_ENV = (
    "BOT_TOKEN",
    "TELEGRAM_API_URL",
    "DATABASE_PATH",
    "AIOKK_BASE_URL",
    "DEFAULT_TIMEZONE",
    "LOG_LEVEL",
)


class BotProcess:
    """The bot as a subprocess; its output goes to ``log_path`` in ``workdir``.

    The bot runs with ``workdir`` as its current directory, so no ``.env`` of the work tree
    leaks in, and with the repository on ``PYTHONPATH``.
    """

    def __init__(
        self,
        fake: FakeTelegram,
        workdir: Path,
        *,
        aiokk_base_url: str | None = None,
        timezone: str = "Asia/Almaty",
        env: Mapping[str, str] | None = None,
        args: Sequence[str] = (),
        command: Sequence[str] | None = None,
    ) -> None:
        self.fake = fake
        self.workdir = workdir
        self.database_path = workdir / "bot.sqlite3"
        self.log_path = workdir / "bot.log"
        self.command = [*(command or (sys.executable, "-m", "bot")), *args]
        self.env = self._build_env(aiokk_base_url, timezone, env or {})
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0

    def _build_env(
        self, aiokk_base_url: str | None, timezone: str, extra: Mapping[str, str]
    ) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
        python_path = [str(REPO_ROOT), *filter(None, [env.get("PYTHONPATH")])]
        env.update(
            PYTHONPATH=os.pathsep.join(python_path),
            PYTHONUNBUFFERED="1",
            BOT_TOKEN=self.fake.token,
            TELEGRAM_API_URL=self.fake.base_url,
            DATABASE_PATH=str(self.database_path),
            DEFAULT_TIMEZONE=timezone,
            LOG_LEVEL="DEBUG",
            # The bot's "now" is the sandbox's: every period a test asks for has fixed dates.
            BOT_CLOCK=TEST_NOW.isoformat(),
        )
        if aiokk_base_url is not None:
            env["AIOKK_BASE_URL"] = aiokk_base_url
        env.update(extra)
        return env

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    def _open_log(self) -> IO[bytes]:
        log = self.log_path.open("ab")
        log.write(f"\n===== start #{self.starts} =====\n".encode())
        log.flush()
        return log

    def log_tail(self, lines: int = 80) -> str:
        if not self.log_path.exists():
            return "(no log)"
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    async def start(self, *, timeout: float = 30.0) -> None:  # noqa: ASYNC109 - startup deadline
        """Start the bot and wait until it polls the fake for updates."""
        if self.running:
            raise RuntimeError("the bot is already running")
        self.starts += 1
        mark = self.fake.mark()
        log = self._open_log()
        try:
            self.process = await asyncio.create_subprocess_exec(
                *self.command,
                cwd=self.workdir,
                env=self.env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        finally:
            log.close()  # the child has its own copy of the descriptor
        ready = asyncio.ensure_future(
            self.fake.wait_for(lambda c: c.method == "getUpdates", timeout=timeout, after=mark)
        )
        exited = asyncio.ensure_future(self.process.wait())
        await asyncio.wait({ready, exited}, return_when=asyncio.FIRST_COMPLETED)
        if ready.done() and ready.exception() is None:
            exited.cancel()
            return
        ready.cancel()
        if not exited.done():
            exited.cancel()
            await self.kill()
            reason = f"did not poll for updates within {timeout} s"
        else:
            reason = f"exited with code {self.process.returncode} before polling"
        raise RuntimeError(f"bot {reason}; log tail:\n{self.log_tail()}")

    async def stop(self, *, timeout: float = 10.0) -> int:  # noqa: ASYNC109 - shutdown deadline
        """SIGTERM, wait (kill after ``timeout``), and require a clean exit code 0."""
        process = self.process
        if process is None:
            raise RuntimeError("the bot was never started")
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout)
            except TimeoutError:
                await self.kill()
                raise AssertionError(
                    f"bot did not stop within {timeout} s of SIGTERM; log tail:\n{self.log_tail()}"
                ) from None
        code = process.returncode
        if code != 0:
            raise AssertionError(f"bot exited with code {code}; log tail:\n{self.log_tail()}")
        return code

    async def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()

    async def restart(self, *, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        await self.stop()
        await self.start(timeout=timeout)
