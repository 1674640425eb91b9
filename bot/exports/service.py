"""Exports as background tasks: one per chat at a time, progress edited in place.

Each export is recorded while it runs. One that fails, or that the bot's stop (or
death) interrupts, leaves its progress message saying so with a **Retry** button: on
stop at once, after a crash when the bot starts again (``recover``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

from aiogram import Bot, Dispatcher
from aiogram.enums import ChatAction
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import FSInputFile, InlineKeyboardMarkup

from bot.aiokk.errors import AiokkError
from bot.aiokk.transport import AddressPolicy
from bot.exports.callbacks import retry_keyboard
from bot.exports.job import ExportDone, ExportJob, run
from bot.instance import instance_id, is_gone
from bot.messages import error_sentence, esc
from bot.pacing import on_own_schedule
from bot.texts import t
from storage.exports import ExportRecord, ExportRepo, ExportState

log = logging.getLogger(__name__)

PROGRESS_EDIT_INTERVAL = 2.0
CHAT_ACTION_INTERVAL = 4.5
POLL_INTERVAL = 0.25
JOIN_TIMEOUT = 5.0


NOTICE_TIMEOUT = 2.0
"""Seconds a stopping bot spends telling a chat that its export was interrupted."""
KEPT = timedelta(days=45)
"""Finished exports are forgotten after this (their Retry buttons then answer "stale")."""


@dataclass(frozen=True)
class ExportRequest:
    chat_id: int
    thread_id: int | None
    user_id: int  # who asked: a retry runs on their connection
    job: ExportJob
    title: str  # plain text; escaped here


class ExportBusy(Exception):
    """This chat already has an export running."""


class ExportService:
    """Runs each export in a spawned worker process; the event loop only relays progress."""

    def __init__(
        self,
        repo: ExportRepo,
        *,
        addresses: AddressPolicy | None = None,
        max_parallel: int = 2,
    ) -> None:
        self._repo = repo
        self._addresses = addresses
        self._owner = instance_id()
        self._context = multiprocessing.get_context("spawn")
        self._slots = asyncio.Semaphore(max_parallel)
        self._running: dict[int, asyncio.Task[None]] = {}
        self._processes: set[multiprocessing.process.BaseProcess] = set()
        self._recovery: asyncio.Task[None] | None = None

    def busy(self, chat_id: int) -> bool:
        return chat_id in self._running

    def start(
        self,
        bot: Bot,
        request: ExportRequest,
        lang: str,
        *,
        again: ExportRecord | None = None,
    ) -> asyncio.Task[None]:
        """Run the export in the background; ``again``: a stored one run again in place."""
        if self.busy(request.chat_id):
            raise ExportBusy
        # Progress edits and the file are the bot's own messages: paced, not replies.
        task = asyncio.create_task(
            self._export(bot, request, lang, again), context=on_own_schedule()
        )
        self._running[request.chat_id] = task
        task.add_done_callback(lambda _: self._running.pop(request.chat_id, None))
        return task

    async def stored(self, export_id: int) -> ExportRecord | None:
        return await self._repo.get(export_id)

    async def retry(
        self, bot: Bot, record: ExportRecord, *, base_url: str, token: str
    ) -> asyncio.Task[None] | None:
        """Run a failed or interrupted export again on the given connection, editing its
        message back into progress; None when it is not retryable (any more)."""
        if self.busy(record.chat_id):
            raise ExportBusy
        if not await self._repo.restart(record.id, self._owner):
            return None
        job = ExportJob.from_record(record.job, base_url=base_url, token=token)
        request = ExportRequest(record.chat_id, record.thread_id, record.user_id, job, record.title)
        return self.start(bot, request, record.lang, again=record)

    async def recover(self, bot: Bot) -> None:
        """At start: tell the chats of exports a dead process left unfinished (in the
        background, so that polling starts at once)."""
        self._recovery = asyncio.create_task(self._recover(bot), context=on_own_schedule())

    async def _recover(self, bot: Bot) -> None:
        for record in await self._repo.running():
            if not is_gone(record.owner):
                continue  # another bot process on this database is running it
            await self._repo.finish(record.id, ExportState.INTERRUPTED)
            log.warning(
                "export %s in chat %s was interrupted by a restart", record.id, record.chat_id
            )
            if record.message_id is None:
                continue
            fmt = str(record.job.get("fmt", "")).upper()
            try:
                await bot.edit_message_text(
                    t("export.interrupted", record.lang, fmt=fmt),
                    chat_id=record.chat_id,
                    message_id=record.message_id,
                    reply_markup=retry_keyboard(record.id, record.lang),
                )
            except TelegramAPIError as error:
                log.info("export %s: could not update its message: %s", record.id, error)
        await self._repo.prune(KEPT)

    async def close(self) -> None:
        """Stop every export; each tells its chat it was interrupted, with Retry."""
        if self._recovery is not None and not self._recovery.done():
            self._recovery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._recovery
        for process in list(self._processes):
            process.terminate()
        for task in list(self._running.values()):
            task.cancel()
        await asyncio.gather(*self._running.values(), return_exceptions=True)

    async def _export(
        self, bot: Bot, request: ExportRequest, lang: str, again: ExportRecord | None
    ) -> None:
        fmt = request.job.fmt.upper()
        preparing = t("export.preparing", lang, fmt=fmt)
        if again is None:
            export_id = await self._repo.start(
                chat_id=request.chat_id,
                thread_id=request.thread_id,
                user_id=request.user_id,
                lang=lang,
                job=request.job.to_record(),
                title=request.title,
                owner=self._owner,
            )
            status = await bot.send_message(
                request.chat_id, preparing, message_thread_id=request.thread_id
            )
            status_id = status.message_id
            await self._repo.set_message(export_id, status_id)
        else:
            export_id = again.id
            if again.message_id is None:
                status = await bot.send_message(
                    request.chat_id, preparing, message_thread_id=request.thread_id
                )
                status_id = status.message_id
                await self._repo.set_message(export_id, status_id)
            else:
                status_id = again.message_id
                await _edit(bot, request.chat_id, status_id, preparing)
        reporter = _Progress(bot, request, status_id, lang)
        retry = retry_keyboard(export_id, lang)
        directory = Path(tempfile.mkdtemp(prefix="aiokk-export-"))
        state = ExportState.FAILED
        try:
            async with self._slots:
                outcome = await self._run_worker(request, directory, reporter)
            await self._deliver(bot, request, outcome, status_id, lang)
            state = ExportState.DONE
        except AiokkError as error:
            await reporter.show(error_sentence(error, lang), retry)
        except asyncio.CancelledError:
            state = ExportState.INTERRUPTED
            with contextlib.suppress(Exception):
                async with asyncio.timeout(NOTICE_TIMEOUT):
                    await reporter.show(t("export.interrupted", lang, fmt=fmt), retry)
            raise
        except Exception:
            error_id = secrets.token_hex(4)
            log.exception("export %s failed in chat %s", error_id, request.chat_id)
            await reporter.show(t("error.unexpected", lang, error_id=error_id), retry)
        finally:
            shutil.rmtree(directory, ignore_errors=True)
            await self._repo.finish(export_id, state)

    async def _run_worker(
        self, request: ExportRequest, directory: Path, reporter: _Progress
    ) -> ExportDone:
        receiver, sender = self._context.Pipe(duplex=False)
        job = replace(request.job, directory=directory, addresses=self._addresses)
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

    async def show(self, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        self._shown = text
        await _edit(self._bot, self._request.chat_id, self._message_id, text, markup)


async def _edit(
    bot: Bot, chat_id: int, message_id: int, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    with contextlib.suppress(TelegramBadRequest):
        await bot.edit_message_text(
            text, chat_id=chat_id, message_id=message_id, reply_markup=markup
        )


def install_exports(dispatcher: Dispatcher, exports: ExportService) -> None:
    """Exports a crash left unfinished are reported at start; running ones are stopped (and
    reported) when polling stops, while the bot can still edit their messages."""
    dispatcher.startup.register(exports.recover)
    dispatcher.shutdown.register(exports.close)
