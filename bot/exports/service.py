"""Exports as background tasks: one per chat at a time, progress edited in place."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import secrets
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path

from aiogram import Bot
from aiogram.enums import ChatAction
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import FSInputFile

from bot.aiokk.errors import AiokkError
from bot.exports.job import ExportDone, ExportJob, run
from bot.messages import error_sentence, esc
from bot.texts import t

log = logging.getLogger(__name__)

PROGRESS_EDIT_INTERVAL = 2.0
CHAT_ACTION_INTERVAL = 4.5
POLL_INTERVAL = 0.25
JOIN_TIMEOUT = 5.0


@dataclass(frozen=True)
class ExportRequest:
    chat_id: int
    thread_id: int | None
    job: ExportJob
    title: str  # plain text; escaped here


class ExportBusy(Exception):
    """This chat already has an export running."""


class ExportService:
    """Runs each export in a spawned worker process; the event loop only relays progress."""

    def __init__(self, *, max_parallel: int = 2) -> None:
        self._context = multiprocessing.get_context("spawn")
        self._slots = asyncio.Semaphore(max_parallel)
        self._running: dict[int, asyncio.Task[None]] = {}
        self._processes: set[multiprocessing.process.BaseProcess] = set()

    def busy(self, chat_id: int) -> bool:
        return chat_id in self._running

    def start(
        self,
        bot: Bot,
        request: ExportRequest,
        lang: str,
        on_done: Callable[[], Awaitable[None]] | None = None,
    ) -> asyncio.Task[None]:
        if self.busy(request.chat_id):
            raise ExportBusy
        task = asyncio.create_task(self._export(bot, request, lang, on_done))
        self._running[request.chat_id] = task
        task.add_done_callback(lambda _: self._running.pop(request.chat_id, None))
        return task

    async def close(self) -> None:
        for process in list(self._processes):
            process.terminate()
        for task in list(self._running.values()):
            task.cancel()
        await asyncio.gather(*self._running.values(), return_exceptions=True)

    async def _export(
        self,
        bot: Bot,
        request: ExportRequest,
        lang: str,
        on_done: Callable[[], Awaitable[None]] | None,
    ) -> None:
        status = await bot.send_message(
            request.chat_id,
            t("export.preparing", lang, fmt=request.job.fmt.upper()),
            message_thread_id=request.thread_id,
        )
        reporter = _Progress(bot, request, status.message_id, lang)
        directory = Path(tempfile.mkdtemp(prefix="aiokk-export-"))
        try:
            async with self._slots:
                outcome = await self._run_worker(request, directory, reporter)
            await self._deliver(bot, request, outcome, status.message_id, lang)
        except AiokkError as error:
            await reporter.show(error_sentence(error, lang))
        except Exception:
            error_id = secrets.token_hex(4)
            log.exception("export %s failed in chat %s", error_id, request.chat_id)
            await reporter.show(t("error.unexpected", lang, error_id=error_id))
        finally:
            shutil.rmtree(directory, ignore_errors=True)
            if on_done is not None:
                await on_done()

    async def _run_worker(
        self, request: ExportRequest, directory: Path, reporter: _Progress
    ) -> ExportDone:
        receiver, sender = self._context.Pipe(duplex=False)
        job = _with_directory(request.job, directory)
        process = self._context.Process(target=run, args=(job, sender), daemon=True)
        process.start()
        sender.close()
        self._processes.add(process)
        try:
            while True:
                if receiver.poll():
                    try:
                        message = receiver.recv()
                    except EOFError:
                        raise RuntimeError("the export worker exited without an answer") from None
                    kind = message[0]
                    if kind == "progress":
                        await reporter.update(message[1], message[2])
                    elif kind == "done":
                        done: ExportDone = message[1]
                        return done
                    elif kind == "aiokk":
                        error: AiokkError = message[1]
                        raise error
                    else:
                        raise RuntimeError(f"export worker crashed:\n{message[1]}")
                elif not process.is_alive() and not receiver.poll():
                    raise RuntimeError(f"the export worker died (exit code {process.exitcode})")
                else:
                    await reporter.tick()
                    await asyncio.sleep(POLL_INTERVAL)
        finally:
            receiver.close()
            # The worker still has to tear down its interpreter: wait without blocking the loop.
            await _join(process)
            self._processes.discard(process)

    async def _deliver(
        self, bot: Bot, request: ExportRequest, outcome: ExportDone, status_id: int, lang: str
    ) -> None:
        if outcome.count == 0:
            await _edit(bot, request.chat_id, status_id, t("export.empty", lang))
            return
        parts = len(outcome.paths)
        for number, path in enumerate(outcome.paths, start=1):
            await bot.send_chat_action(
                request.chat_id, ChatAction.UPLOAD_DOCUMENT, message_thread_id=request.thread_id
            )
            caption = t("export.caption", lang, title=esc(request.title[:800]), count=outcome.count)
            if parts > 1:
                caption = t("export.part", lang, number=number, parts=parts) + "\n" + caption
            await bot.send_document(
                request.chat_id,
                FSInputFile(path, filename=path.name),
                caption=caption,
                message_thread_id=request.thread_id,
            )
        with contextlib.suppress(TelegramBadRequest):
            await bot.delete_message(request.chat_id, status_id)


async def _join(process: multiprocessing.process.BaseProcess) -> None:
    """Wait for a worker to exit in a thread: ``Process.join`` would block the event loop."""
    await asyncio.to_thread(process.join, JOIN_TIMEOUT)
    if process.is_alive():
        process.terminate()
        process.join(0)


def _with_directory(job: ExportJob, directory: Path) -> ExportJob:
    return replace(job, directory=directory)


class _Progress:
    """Edits the status message with the percentage at most every two seconds."""

    def __init__(self, bot: Bot, request: ExportRequest, message_id: int, lang: str) -> None:
        self._bot = bot
        self._request = request
        self._message_id = message_id
        self._lang = lang
        self._last_edit = 0.0
        self._last_action = 0.0
        self._shown = ""

    async def update(self, done: int, total: int) -> None:
        percent = 100 * done // total if total else 0
        text = t(
            "export.progress",
            self._lang,
            fmt=self._request.job.fmt.upper(),
            percent=percent,
            done=done,
            total=total,
        )
        now = time.monotonic()
        if text != self._shown and now - self._last_edit >= PROGRESS_EDIT_INTERVAL:
            self._last_edit = now
            await self.show(text)
        await self.tick()

    async def tick(self) -> None:
        now = time.monotonic()
        if now - self._last_action >= CHAT_ACTION_INTERVAL:
            self._last_action = now
            with contextlib.suppress(TelegramBadRequest):
                await self._bot.send_chat_action(
                    self._request.chat_id,
                    ChatAction.UPLOAD_DOCUMENT,
                    message_thread_id=self._request.thread_id,
                )

    async def show(self, text: str) -> None:
        self._shown = text
        await _edit(self._bot, self._request.chat_id, self._message_id, text)


async def _edit(bot: Bot, chat_id: int, message_id: int, text: str) -> None:
    with contextlib.suppress(TelegramBadRequest):
        await bot.edit_message_text(text, chat_id=chat_id, message_id=message_id)
