"""Runs ``AlertPoller.poll_once`` every interval (and once at start), never two at a time
in one process; ``kick`` asks for a poll right away (SIGUSR1, a rule just created)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import Final

from aiogram import Bot
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.alerts.poller import AlertPoller
from bot.pacing import on_own_schedule

log = logging.getLogger(__name__)

_JOB: Final = "alert-poll"
STOP_GRACE: Final = 5.0


class AlertScheduler:
    def __init__(self, poller: AlertPoller, *, stop_grace: float = STOP_GRACE) -> None:
        self.poller = poller
        self._stop_grace = stop_grace
        self._scheduler: AsyncIOScheduler | None = None
        self._task: asyncio.Task[None] | None = None
        self._again = False
        self._force = False
        self._stopping = False

    async def start(self, bot: Bot) -> None:
        self.poller.attach(bot)
        self._stopping = False
        scheduler = AsyncIOScheduler(timezone=UTC)
        scheduler.add_job(
            self._on_timer,
            IntervalTrigger(seconds=self.poller.interval.total_seconds(), timezone=UTC),
            id=_JOB,
            next_run_time=datetime.now(UTC),
            max_instances=1,
            coalesce=True,
        )
        scheduler.start()
        self._scheduler = scheduler
        log.info("alert poller started (every %s)", self.poller.interval)

    def kick(self, *, force: bool = False) -> None:
        """Poll now in the background, or right after the poll that is running;
        ``force`` (SIGUSR1) polls connections polled within the interval too."""
        if self._stopping:
            return
        self._force = self._force or force
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.get_running_loop().create_task(self._loop(), context=on_own_schedule())

    async def _on_timer(self) -> None:
        # A coroutine, so that APScheduler runs it on the event loop: a plain function
        # would run in a worker thread, which has no running loop to start the poll on.
        self.kick()

    async def _loop(self) -> None:
        while True:
            self._again = False
            force, self._force = self._force, False
            try:
                await self.poller.poll_once(force=force)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("alert poll failed")
            if not self._again or self._stopping:
                return

    async def stop(self) -> None:
        """Stop polling; a poll under way gets ``stop_grace`` seconds (what it has not sent
        stays claimed and is taken over at the next start)."""
        self._stopping = True
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        task = self._task
        if task is not None and not task.done():
            await asyncio.wait({task}, timeout=self._stop_grace)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        log.info("alert poller stopped")
