"""The minute tick: claim due digests, build them concurrently, send them as they are ready.

An APScheduler ``AsyncIOScheduler`` job fires every minute and once at start;
``kick`` asks for a tick right away (SIGUSR1, handled in ``bot.app``). A tick
never overlaps another in the same process (a request during a tick runs one
more tick after it); processes
sharing a database are kept apart by the claims.

Exactly once: each part of a digest (chart, message, file) is recorded as soon
as Telegram has it, so a run resumed after a crash (its claim taken over after
the lease) or a retry sends only what is missing. On stop, builds are dropped
and put back at once, while digests already being sent get ``stop_grace``
seconds to finish; whatever is still unsent then is put back for the next start.

Failures: an aiokk error worth retrying (``Unavailable``) or a Telegram network
or server error puts the run back with a backoff (5, 15, 30 minutes); after
the last attempt, or at once for errors that waiting does not fix (unpaid,
disabled, unknown token), the chat gets one message saying why. A file that
still fails after the retries leaves the run ``partial``, and the chat gets a
line saying so with a **Send now** button. Telegram's 403 pauses every
subscription of the chat; any other 400 is logged with the subscription id and
ends that run only. Subscriptions fed by a user no longer in
``ALLOWED_USER_IDS`` are paused at every tick, and their chats told.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final, TypeVar

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.aiokk.errors import AiokkError
from bot.clock import Clock
from bot.digest.claims import MAX_ATTEMPTS, STOPPED, Claim, Claimer
from bot.digest.model import PauseReason
from bot.digest.naming import schedule_text, scope_label
from bot.digest.render import RenderContext, period_label, render_failure
from bot.digest.runner import BuiltDigest, DigestRunner, NoConnection, PartlyDelivered
from bot.digest.schedule import zone
from bot.messages import error_sentence, esc
from bot.texts import t
from storage.digests import DigestRepo, Part, RunState

log = logging.getLogger(__name__)

BACKOFF: Final = (timedelta(minutes=5), timedelta(minutes=15), timedelta(minutes=30))
"""Delay before the 2nd, 3rd and 4th attempt: all within the hour."""

STOP_GRACE: Final = 5.0
"""Seconds a digest being sent may take to finish when the bot stops."""

MESSAGES_KEPT: Final = timedelta(days=45)
_PRUNE_EVERY: Final = timedelta(hours=1)
_TICK_JOB: Final = "digest-tick"

ClaimFn = Callable[[], Awaitable[Claim | None]]
T = TypeVar("T")


class _Stopping(Exception):
    """The scheduler is stopping: drop what has not been sent yet."""


@dataclass
class TickReport:
    """What one tick did (for logs, tests and the benchmark)."""

    outcomes: Counter[str] = field(default_factory=Counter)

    def add(self, outcome: str) -> None:
        self.outcomes[outcome] += 1

    def __getitem__(self, outcome: str) -> int:
        return self.outcomes[outcome]


class DigestScheduler:
    def __init__(
        self,
        *,
        repo: DigestRepo,
        runner: DigestRunner,
        claimer: Claimer,
        clock: Clock,
        max_building: int = 8,
        max_in_flight: int = 48,
        stop_grace: float = STOP_GRACE,
    ) -> None:
        self._repo = repo
        self._runner = runner
        self._claimer = claimer
        self._clock = clock
        self._stop_grace = stop_grace
        self._stopping = asyncio.Event()
        # Builds hold aiokk connections and CPU; built digests waiting to be sent hold
        # memory (chart, file). Both are bounded.
        self._building = asyncio.Semaphore(max_building)
        self._in_flight = asyncio.Semaphore(max_in_flight)
        self._bot: Bot | None = None
        self._scheduler: AsyncIOScheduler | None = None
        self._tick_task: asyncio.Task[None] | None = None
        self._again = False
        self._last_prune: datetime | None = None
        self._warm_up: asyncio.Task[None] | None = None

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self, bot: Bot) -> None:
        """Start the minute job (first tick now)."""
        self._bot = bot
        self._stopping.clear()
        scheduler = AsyncIOScheduler(timezone=UTC)
        scheduler.add_job(
            self._on_timer,
            CronTrigger(second=0, timezone=UTC),
            id=_TICK_JOB,
            next_run_time=datetime.now(UTC),
            max_instances=1,
            coalesce=True,
            misfire_grace_time=30,
        )
        scheduler.start()
        self._scheduler = scheduler
        log.info("digest scheduler started (instance %s)", self._claimer.owner)

    async def _warm_artifacts_if_needed(self) -> None:
        """Start the chart and file workers once some subscription is active.

        They take seconds to start, so not at 09:00 and not blocking polling; and they hold
        about 100 MiB each, so not in a bot where nobody has subscribed (a tick within a
        minute of the first subscription starts them).
        """
        if self._warm_up is not None or not await self._repo.any_scheduled():
            return
        self._warm_up = asyncio.get_running_loop().create_task(self._warm_artifacts())

    async def _warm_artifacts(self) -> None:
        try:
            await self._runner.artifacts.warm_up()
        except Exception:
            log.warning("starting the chart and file workers failed", exc_info=True)

    async def stop(self) -> None:
        """Stop ticking; digests being sent get ``stop_grace`` seconds to finish."""
        self._stopping.set()
        if self._warm_up is not None and not self._warm_up.done():
            self._warm_up.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._warm_up
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        task = self._tick_task
        if task is not None and not task.done():
            await asyncio.wait({task}, timeout=self._stop_grace)
            if not task.done():
                log.warning("digests still sending after %.0f s: put back", self._stop_grace)
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._runner.artifacts.close()
        log.info("digest scheduler stopped")

    async def _on_timer(self) -> None:
        self.kick()

    def kick(self) -> None:
        """Tick now in the background, or right after the tick that is running."""
        if self._stopping.is_set():
            return
        if self._tick_task is not None and not self._tick_task.done():
            self._again = True
            return
        self._tick_task = asyncio.get_running_loop().create_task(self._tick_loop())

    async def _tick_loop(self) -> None:
        while True:
            self._again = False
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("digest tick failed")
            if not self._again or self._stopping.is_set():
                return

    # -- the tick --------------------------------------------------------------------------

    async def tick(self, bot: Bot | None = None) -> TickReport:
        """Claim, build and send everything due now; returns when all of it is done."""
        bot = bot or self._bot
        if bot is None:
            raise RuntimeError("the digest scheduler has no bot: call start() or pass one")
        report = TickReport()
        if self._stopping.is_set():
            return report
        await self._pause_not_allowed(bot, report)
        await self._warm_artifacts_if_needed()
        missed_before = self._claimer.missed
        sub_ids, runs = await self._claimer.due()
        claimer = self._claimer
        jobs = [
            self._process(bot, report, functools.partial(claimer.claim_subscription, sub_id))
            for sub_id in sub_ids
        ]
        jobs += [
            self._process(bot, report, functools.partial(claimer.claim_run, run)) for run in runs
        ]
        if jobs:
            await asyncio.gather(*jobs)
        missed = self._claimer.missed - missed_before
        if missed:
            report.outcomes["missed"] += missed
        await self._prune()
        if report.outcomes:
            log.info("digest tick: %s", dict(report.outcomes))
        return report

    async def _process(self, bot: Bot, report: TickReport, claim: ClaimFn) -> None:
        async with self._in_flight:
            try:
                outcome = await self._claim_and_run(bot, claim)
            except Exception:
                log.exception("digest job failed unexpectedly")
                outcome = "error"
            if outcome:
                report.add(outcome)

    async def _claim_and_run(self, bot: Bot, claim_fn: ClaimFn) -> str | None:
        async with self._building:
            if self._stopping.is_set():
                return None
            claim = await claim_fn()
            if claim is None:
                return None
            delivered = await self._repo.parts(claim.run_id) if claim.attempt > 1 else frozenset()
            try:
                built = await self._unless_stopping(
                    self._runner.build(
                        claim.sub,
                        claim.period,
                        late_due=claim.due_at if claim.late else None,
                        delivered=delivered,
                    )
                )
            except _Stopping:
                await self._put_back(claim)
                return "put back"
            except asyncio.CancelledError:
                await self._put_back(claim)
                raise
            except NoConnection:
                return await self._no_connection(bot, claim)
            except AiokkError as error:
                return await self._build_failed(bot, claim, error)
            except Exception as error:
                log.exception("digest %s: building failed", claim.sub.id)
                return await self._give_up(bot, claim, f"internal error: {type(error).__name__}")
        if self._stopping.is_set():
            # Not being sent yet: the next start sends it (or what is missing of it).
            await self._put_back(claim)
            return "put back"
        try:
            return await self._send(bot, claim, built)
        except asyncio.CancelledError:
            # Stopped past the grace period: what went out is recorded, the rest follows.
            await self._put_back(claim)
            raise

    async def _unless_stopping(self, work: Awaitable[T]) -> T:
        """``work``, cancelled as soon as the scheduler stops (raising ``_Stopping``)."""
        task = asyncio.ensure_future(work)
        stop = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if task.cancelled():
            raise _Stopping
        return task.result()

    async def _send(self, bot: Bot, claim: Claim, built: BuiltDigest) -> str:
        sub = claim.sub
        counts = (built.figures.total, built.figures.bad)
        if built.skip:
            await self._repo.finish_run(
                claim.run_id, RunState.SKIPPED, self._clock(), counts=counts
            )
            return RunState.SKIPPED
        if not await self._repo.renew_claim(
            claim.run_id, claim.attempt, self._clock(), self._claimer.owner
        ):
            # Held up past the lease and taken over by another process: theirs now.
            log.warning("digest %s: run %s was taken over; not sending", sub.id, claim.run_id)
            return "taken over"
        try:
            delivery = await self._runner.deliver(bot, built, run_id=claim.run_id)
        except PartlyDelivered as partial:
            return await self._file_failed(bot, claim, built, partial)
        except TelegramForbiddenError as error:
            await self._forbidden(claim, error)
            return "blocked"
        except TelegramMigrateToChat as error:
            moved = await self._repo.move_chat(sub.chat_id, error.migrate_to_chat_id, self._clock())
            log.info(
                "digest %s: chat %s became %s; moved %d digests",
                sub.id,
                sub.chat_id,
                error.migrate_to_chat_id,
                moved,
            )
            now = self._clock()
            await self._repo.finish_run(
                claim.run_id, RunState.RETRY, now, error="chat migrated", retry_at=now
            )
            return RunState.RETRY
        except TelegramRetryAfter as error:
            return await self._retry_or_fail(bot, claim, f"Telegram flood control: {error.message}")
        except (TelegramNetworkError, TelegramServerError) as error:
            return await self._retry_or_fail(bot, claim, f"Telegram: {error.message}")
        except TelegramBadRequest as error:
            log.error("digest %s: Telegram refused the digest: %s", sub.id, error.message)
            await self._repo.finish_run(
                claim.run_id, RunState.FAILED, self._clock(), error=f"Telegram: {error.message}"
            )
            return RunState.FAILED
        except TelegramAPIError as error:
            log.error("digest %s: Telegram error: %s", sub.id, error.message)
            await self._repo.finish_run(
                claim.run_id, RunState.FAILED, self._clock(), error=f"Telegram: {error.message}"
            )
            return RunState.FAILED
        if Part.FILE in delivery.uncertain:
            return await self._file_missing(
                bot, claim, built, "file not confirmed by Telegram", "digest.file_unsure"
            )
        unsure = ", ".join(sorted(delivery.uncertain))
        await self._repo.finish_run(
            claim.run_id,
            RunState.SENT,
            self._clock(),
            error=f"not confirmed by Telegram: {unsure}" if unsure else None,
            counts=counts,
        )
        return RunState.SENT

    async def _file_failed(
        self, bot: Bot, claim: Claim, built: BuiltDigest, partial: PartlyDelivered
    ) -> str:
        """The message is out, the file is not: retry the file alone, then tell the chat."""
        error = partial.error
        reason = f"file not delivered: {error.message}"
        log.warning("digest %s: sent, but the file failed: %s", claim.sub.id, error.message)
        passing = isinstance(error, TelegramServerError | TelegramNetworkError | TelegramRetryAfter)
        if passing and claim.attempt < MAX_ATTEMPTS:
            now = self._clock()
            delay = BACKOFF[min(claim.attempt, len(BACKOFF)) - 1]
            await self._repo.finish_run(
                claim.run_id, RunState.RETRY, now, error=reason, retry_at=now + delay
            )
            return RunState.RETRY
        return await self._file_missing(bot, claim, built, reason, "digest.file_failed")

    async def _file_missing(
        self, bot: Bot, claim: Claim, built: BuiltDigest, reason: str, note_key: str
    ) -> str:
        """Record the run as sent without its file and say so in the chat, once."""
        sub = claim.sub
        done = await self._repo.parts(claim.run_id)
        if Part.FILE_NOTE not in done:
            start, end = claim.period
            text = t(note_key, built.lang, period=period_label(start, end, built.lang))
            try:
                note = await bot.send_message(
                    sub.chat_id,
                    text,
                    reply_markup=self._runner.buttons.send_now(sub.id, built.lang),
                    message_thread_id=sub.thread_id,
                )
            except TelegramAPIError:
                log.warning("digest %s: could not tell the chat about the file", sub.id)
            else:
                await self._repo.record_part(
                    claim.run_id, Part.FILE_NOTE, self._clock(), message_id=note.message_id
                )
        counts = (built.figures.total, built.figures.bad)
        await self._repo.finish_run(
            claim.run_id, RunState.PARTIAL, self._clock(), error=reason, counts=counts
        )
        return RunState.PARTIAL

    async def _put_back(self, claim: Claim) -> None:
        """Shutting down: the next start resumes the run at once, sending what is missing."""
        with contextlib.suppress(Exception):
            await self._repo.finish_run(
                claim.run_id, RunState.RETRY, self._clock(), error=STOPPED, retry_at=self._clock()
            )

    async def _build_failed(self, bot: Bot, claim: Claim, error: AiokkError) -> str:
        log.warning(
            "digest %s: building failed (attempt %d): %s",
            claim.sub.id,
            claim.attempt,
            type(error).__name__,
        )
        lang, _ = await self._runner.language(claim.sub)
        reason = error_sentence(error, lang)
        if error.retryable:
            return await self._retry_or_fail(bot, claim, reason)
        return await self._give_up(bot, claim, reason)

    async def _retry_or_fail(self, bot: Bot, claim: Claim, reason: str) -> str:
        if claim.attempt < MAX_ATTEMPTS:
            now = self._clock()
            delay = BACKOFF[min(claim.attempt, len(BACKOFF)) - 1]
            await self._repo.finish_run(
                claim.run_id, RunState.RETRY, now, error=reason, retry_at=now + delay
            )
            return RunState.RETRY
        return await self._give_up(bot, claim, reason)

    async def _give_up(self, bot: Bot, claim: Claim, reason: str) -> str:
        """Record the failure and tell the chat once, why."""
        await self._repo.finish_run(claim.run_id, RunState.FAILED, self._clock(), error=reason)
        sub = claim.sub
        lang, _ = await self._runner.language(sub)
        fresh = await self._repo.get(sub.id)
        ctx = RenderContext(lang=lang, tz=zone(sub.schedule), rule=sub.rule)
        text = render_failure(
            claim.period[0],
            claim.period[1],
            reason,
            fresh.next_run if fresh is not None and not fresh.paused else None,
            ctx,
        )
        try:
            await bot.send_message(sub.chat_id, text, message_thread_id=sub.thread_id)
        except TelegramForbiddenError as error:
            await self._forbidden(claim, error)
        except Exception:
            log.warning(
                "digest %s: could not report the failure to the chat", sub.id, exc_info=True
            )
        return RunState.FAILED

    async def _pause_not_allowed(self, bot: Bot, report: TickReport) -> None:
        """Pause what users removed from ``ALLOWED_USER_IDS`` feed, as on disconnect, and
        tell each chat why."""
        for user_id in await self._repo.active_owner_ids():
            if self._runner.allows(user_id):
                continue
            paused = await self._repo.pause_where(
                "owner_user_id", user_id, PauseReason.NOT_ALLOWED, None, self._clock()
            )
            log.warning(
                "user %s is no longer allowed: paused %d digests fed by them", user_id, len(paused)
            )
            for sub in paused:
                report.add("paused")
                lang, _ = await self._runner.language(sub)
                label = await scope_label(sub.scope, lang, None, None)
                what = f"{schedule_text(sub, lang)} · {label or t('digest.scope.all', lang)}"
                text = (
                    t("digest.not_allowed.own", lang, what=what)
                    if sub.chat_id == sub.owner_user_id
                    else t("digest.not_allowed", lang, what=what, name=esc(sub.owner_name))
                )
                try:
                    await bot.send_message(sub.chat_id, text, message_thread_id=sub.thread_id)
                except TelegramAPIError as error:
                    log.info("digest %s: could not tell the chat it is paused: %s", sub.id, error)

    async def _no_connection(self, bot: Bot, claim: Claim) -> str:
        sub = claim.sub
        paused = await self._repo.pause_where(
            "owner_user_id", sub.owner_user_id, PauseReason.DISCONNECTED, None, self._clock()
        )
        log.warning(
            "digest %s: owner %s has no connection; paused %d subscriptions",
            sub.id,
            sub.owner_user_id,
            len(paused),
        )
        lang, _ = await self._runner.language(sub)
        return await self._give_up(bot, claim, t("digest.error.no_connection", lang))

    async def _forbidden(self, claim: Claim, error: TelegramForbiddenError) -> None:
        sub = claim.sub
        detail = error.message
        await self._repo.finish_run(
            claim.run_id, RunState.FAILED, self._clock(), error=f"Telegram: {detail}"
        )
        paused = await self._repo.pause_where(
            "chat_id", sub.chat_id, PauseReason.BLOCKED, detail, self._clock()
        )
        log.warning(
            "digest %s: chat %s is closed to the bot (%s); paused %d subscriptions",
            sub.id,
            sub.chat_id,
            detail,
            len(paused),
        )

    async def _prune(self) -> None:
        now = self._clock()
        if self._last_prune is not None and now - self._last_prune < _PRUNE_EVERY:
            return
        self._last_prune = now
        try:
            await self._repo.prune_messages(now - MESSAGES_KEPT)
        except Exception:
            log.warning("pruning old digest messages failed", exc_info=True)
