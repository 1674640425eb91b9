"""One poll: fetch what the active rules need, remember new calls, deliver their alerts.

For each connection with active rules one process per interval polls (``claim_poll``),
with the requests of ``plan`` shared by every rule on it, through ``CallService`` with
``refresh`` so that a poll sees calls exported since the last one. A rule's first poll
only remembers what is there. Afterwards every call that meets the rule, is dated within
24 hours of the poll and was never seen by the rule is inserted as a pending row: the
process whose insert succeeds sends it. Delivery is exactly once across processes and
restarts: a row is sent only by its claimer, whose claim is renewed right before the send
and taken over by others only once it is stale (past the lease, or a process of this host
that is gone); a send whose fate Telegram leaves unknown is not repeated.

More than ``BUNDLE_AFTER`` alerts for one rule in one poll, and all the alerts held during
quiet hours, go out as one message.

A rule whose owner has no connection any more, or is no longer in ``ALLOWED_USER_IDS``,
is paused with the reason (as digests are), together with every other active rule of that
owner, and each chat (each forum topic) of those rules is told once; an admin resumes it
from its card with their own connection. Telegram's 403 pauses every rule of the chat.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Protocol, TypeAlias
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)

from bot.aiokk import raw
from bot.aiokk.errors import AiokkError
from bot.aiokk.raw import RawRecord
from bot.alerts.buttons import AlertButtons
from bot.alerts.card import AlertCard
from bot.alerts.match import FRESH_FOR, RuleMatcher
from bot.alerts.model import AlertRule
from bot.alerts.plan import FULL_EVERY, PollPlan, plan_poll, poll_period
from bot.alerts.quiet import quiet_until
from bot.alerts.render import (
    AlertContext,
    listed,
    render_alert,
    render_bundle,
    render_owner_lost,
)
from bot.clock import Clock
from bot.digest.model import PauseReason
from bot.instance import instance_id, is_gone
from bot.pacing import never_arrived, on_own_schedule
from bot.query.model import CallQuery
from bot.query.service import ConnectionInfo
from bot.sources import CallFetcher, ChatSource, ConnectionSource
from bot.texts import LANGUAGES
from storage.alerts import AlertRepo, Delivery, Found, SeenState

log = logging.getLogger(__name__)

DEFAULT_INTERVAL: Final = timedelta(seconds=300)
LEASE: Final = timedelta(minutes=10)
"""A pending alert claimed longer ago than this belongs to a process that died."""
MAX_ATTEMPTS: Final = 4
BUNDLE_AFTER: Final = 5
"""More alerts than this for one rule in one poll become one message."""
KEPT: Final = FRESH_FOR * 2
_PRUNE_EVERY: Final = timedelta(hours=1)
_EARLY: Final = 0.8
"""A poll turn opens a little before a full interval has passed: timers jitter."""
_FETCH_ZONE: Final = ZoneInfo("UTC")


Alert: TypeAlias = tuple[AlertRule, Delivery]
"""One call to tell a chat about, with the rule that found it."""


class HandledSource(Protocol):
    """The digests' handled marks (``DigestRepo.handled``): one record for both."""

    async def handled(self, chat_id: int, dialog_ids: Sequence[int]) -> dict[int, Any]: ...


@dataclass
class PollReport:
    outcomes: Counter[str] = field(default_factory=Counter)
    requests: list[CallQuery] = field(default_factory=list)

    def __getitem__(self, outcome: str) -> int:
        return self.outcomes[outcome]


class AlertPoller:
    def __init__(
        self,
        *,
        repo: AlertRepo,
        handled: HandledSource,
        calls: CallFetcher,
        connections: ConnectionSource,
        chats: ChatSource,
        clock: Clock,
        buttons: AlertButtons,
        bot: Bot | None = None,
        interval: timedelta = DEFAULT_INTERVAL,
        lease: timedelta = LEASE,
        owner: str | None = None,
        allowed: Callable[[int], bool] = lambda _user_id: True,
    ) -> None:
        self._repo = repo
        self._handled = handled
        self._calls = calls
        self._connections = connections
        self._chats = chats
        self._clock = clock
        self._bot = bot
        self._buttons = buttons
        self.interval = interval
        self._lease = lease
        self.owner = owner or instance_id()
        self._allowed = allowed
        self._last_prune: datetime | None = None

    def attach(self, bot: Bot) -> None:
        self._bot = bot

    async def poll_once(self, *, force: bool = False) -> PollReport:
        """Poll every connection whose turn it is, then deliver what is due.

        ``force`` (SIGUSR1) polls even a connection polled within the interval: whoever
        sends the signal wants a poll now. Delivery stays exactly once either way, since
        it rests on the claims in ``alert_seen``, not on the turns."""
        if self._bot is None:
            raise RuntimeError("the alert poller has no bot: attach() one first")
        report = PollReport()
        now = self._clock()
        groups = await self._groups(report)
        mine: dict[int, list[int]] = defaultdict(list)
        if groups:
            results = await asyncio.gather(
                *(
                    self._poll_connection(conn, rules, now, report, force=force)
                    for conn, rules in groups
                )
            )
            for claimed in results:
                for rule_id, ids in claimed.items():
                    mine[rule_id] += ids
        # Sent as the bot's own messages (paced), even when a handler asked for this poll.
        await asyncio.create_task(self._deliver(mine, now, report), context=on_own_schedule())
        await self._prune(now)
        if report.outcomes:
            log.info("alert poll: %s", dict(report.outcomes))
        return report

    async def _groups(self, report: PollReport) -> list[tuple[ConnectionInfo, list[AlertRule]]]:
        """Active rules by the connection that feeds them; those of an owner who lost the
        connection or access are paused instead."""
        by_owner: dict[int, list[AlertRule]] = defaultdict(list)
        for rule in await self._repo.active():
            by_owner[rule.owner_user_id].append(rule)
        groups: dict[int, tuple[ConnectionInfo, list[AlertRule]]] = {}
        for user_id, rules in by_owner.items():
            allowed = self._allowed(user_id)
            conn = await self._connections.get(user_id) if allowed else None
            if conn is None:
                reason = PauseReason.DISCONNECTED if allowed else PauseReason.NOT_ALLOWED
                report.outcomes["owner lost"] += len(await self.pause_owner(user_id, reason))
                continue
            groups.setdefault(conn.id, (conn, []))[1].extend(rules)
        return list(groups.values())

    async def pause_owner(self, user_id: int, reason: PauseReason) -> list[AlertRule]:
        """Pause the active rules fed by the user's connection (``reason``: it is gone, or
        the user lost access) and tell each of their chats once; returns the rules paused
        here (another process may have paused them first, and told the chats)."""
        paused = await self._repo.pause_where("owner_user_id", user_id, reason, self._clock())
        if not paused:
            return paused
        log.warning("alerts: owner %s is %s; paused %d rules", user_id, reason.value, len(paused))
        if self._bot is None:
            log.warning("alerts: no bot attached; the chats of owner %s are not told", user_id)
        else:
            # Sent as the bot's own messages (paced), even when /disconnect asked for it.
            await asyncio.create_task(
                self._tell_owner_lost(paused, reason), context=on_own_schedule()
            )
        return paused

    async def _tell_owner_lost(self, rules: list[AlertRule], reason: PauseReason) -> None:
        assert self._bot is not None
        places: dict[tuple[int, int | None], list[AlertRule]] = defaultdict(list)
        for rule in rules:
            places[(rule.chat_id, rule.thread_id)].append(rule)
        for (chat_id, thread_id), paused in places.items():
            text = render_owner_lost(paused, reason, await self._language(paused[0]))
            try:
                await self._bot.send_message(chat_id, text, message_thread_id=thread_id)
            except TelegramForbiddenError as error:
                blocked = await self._repo.pause_chat(chat_id, PauseReason.BLOCKED, self._clock())
                log.warning(
                    "alerts: chat %s is closed to the bot (%s); paused %d more rules",
                    chat_id,
                    error.message,
                    blocked,
                )
            except TelegramAPIError as error:
                log.warning(
                    "alerts: could not tell chat %s that its rules are paused: %s",
                    chat_id,
                    error.message,
                )

    # -- polling ---------------------------------------------------------------------------

    async def _poll_connection(
        self,
        conn: ConnectionInfo,
        rules: list[AlertRule],
        now: datetime,
        report: PollReport,
        *,
        force: bool = False,
    ) -> dict[int, list[int]]:
        turn = await self._repo.claim_poll(
            conn.id,
            now,
            every=timedelta(0) if force else self.interval * _EARLY,
            full_every=FULL_EVERY,
            owner=self.owner,
        )
        if turn is None:
            report.outcomes["not our turn"] += 1
            return {}
        the_plan = plan_poll(rules, full_due=turn.full_due)
        report.requests.extend(the_plan.queries)
        try:
            records = await self._fetch(conn, the_plan, now)
        except AiokkError as error:
            # Nothing is lost: the next poll reads the same 24 hours.
            log.warning("alert poll of connection %d failed: %s", conn.id, type(error).__name__)
            report.outcomes["aiokk error"] += 1
            return {}
        report.outcomes["polled"] += 1
        if the_plan.full:
            await self._repo.record_full_read(conn.id, now)
        claimed: dict[int, list[int]] = {}
        for rule in rules:
            ids = await self._note(rule, records, the_plan, now, report)
            if ids:
                claimed[rule.id] = ids
        return claimed

    async def _fetch(
        self, conn: ConnectionInfo, the_plan: PollPlan, now: datetime
    ) -> list[RawRecord]:
        period = poll_period(now.astimezone(UTC).date())
        results = await asyncio.gather(
            *(
                self._calls.fetch(conn, query.with_(period=period), _FETCH_ZONE, refresh=True)
                for query in the_plan.queries
            )
        )
        unique: dict[int, RawRecord] = {}
        for result in results:
            for record in result.iter_records():
                key = raw.dialog_id(record)
                if key is not None:
                    unique.setdefault(key, record)
        return list(unique.values())

    async def _note(
        self,
        rule: AlertRule,
        records: list[RawRecord],
        the_plan: PollPlan,
        now: datetime,
        report: PollReport,
    ) -> list[int]:
        """Remember the rule's calls; returns the new ones this process has to deliver."""
        matcher = RuleMatcher(rule)
        hits = [hit for record in records if (hit := matcher.hit(record, now)) is not None]
        if rule.baselined_at is None:
            if not the_plan.covers(rule):
                return []  # a first poll must see every call the rule could alert on
            found = [Found(hit.dialog_id, hit.moment, None) for hit in hits]
            if await self._repo.baseline(rule.id, found, now):
                report.outcomes["baseline"] += 1
                return []
        known = await self._repo.known(rule.id, (hit.dialog_id for hit in hits))
        fresh = [hit for hit in hits if hit.dialog_id not in known]
        if not fresh:
            return []
        handled = await self._handled.handled(rule.chat_id, [hit.dialog_id for hit in fresh])
        release_at = quiet_until(rule.quiet, now, rule.tz)
        claimed = await self._repo.claim_new(
            rule.id,
            [Found(hit.dialog_id, hit.moment, AlertCard.of(hit)) for hit in fresh],
            now,
            owner=self.owner,
            release_at=release_at,
            handled=handled.keys(),
        )
        if release_at is not None:
            report.outcomes["held"] += len(claimed)
            return []
        return claimed

    # -- delivery --------------------------------------------------------------------------

    async def _deliver(self, mine: dict[int, list[int]], now: datetime, report: PollReport) -> None:
        fresh: dict[int, list[Delivery]] = {
            rule_id: await self._repo.deliveries(rule_id, ids) for rule_id, ids in mine.items()
        }
        for delivery in await self._repo.open_deliveries(now):
            if delivery.claimed_by == self.owner and delivery.dialog_id in mine.get(
                delivery.rule_id, ()
            ):
                continue
            if not self._may_take(delivery, now):
                continue
            if delivery.attempts >= MAX_ATTEMPTS:
                await self._repo.finish(
                    delivery.rule_id,
                    [delivery.dialog_id],
                    SeenState.FAILED,
                    now,
                    error="too many attempts",
                )
                report.outcomes["failed"] += 1
                continue
            if await self._repo.take_over(delivery, now, self.owner):
                if delivery.state == SeenState.PENDING and delivery.claimed_by is not None:
                    log.warning(
                        "alert %s/%s: taking over the claim of %s",
                        delivery.rule_id,
                        delivery.dialog_id,
                        delivery.claimed_by,
                    )
                fresh.setdefault(delivery.rule_id, []).append(delivery)
        chats: dict[tuple[int, int | None], list[Alert]] = {}
        for rule_id, deliveries in fresh.items():
            rule = await self._repo.get(rule_id)
            if rule is None:
                continue  # deleted meanwhile: its rows went with it
            if rule.paused:
                # Paused since they were found (by hand, or its owner lost access): a paused
                # rule says nothing, not even what it held through the night.
                skipped = [(rule, item) for item in deliveries]
                await self._finish(skipped, SeenState.SKIPPED, error="rule paused")
                report.outcomes["skipped"] += len(skipped)
                continue
            chat = chats.setdefault((rule.chat_id, rule.thread_id), [])
            chat.extend((rule, item) for item in deliveries)
        for alerts in chats.values():
            held = [alert for alert in alerts if alert[1].held]
            instant = [alert for alert in alerts if not alert[1].held]
            await self._send_group(held, quiet=True, report=report)
            await self._send_group(instant, quiet=False, report=report)

    def _may_take(self, delivery: Delivery, now: datetime) -> bool:
        if delivery.state == SeenState.HELD or delivery.claimed_by is None:
            return True
        stale = delivery.claimed_at is None or delivery.claimed_at < now - self._lease
        # A claim of a process of this host that has ended needs no lease to run out.
        return stale or (delivery.claimed_by != self.owner and is_gone(delivery.claimed_by))

    async def _send_group(self, alerts: list[Alert], *, quiet: bool, report: PollReport) -> None:
        """One chat's alerts of this poll: one message each, or one for them all when the
        quiet hours held them or there are more than ``BUNDLE_AFTER``."""
        if not alerts:
            return
        if quiet or len(alerts) > BUNDLE_AFTER:
            await self._send(alerts, bundle=len(alerts) > 1, quiet=quiet, report=report)
            return
        for alert in alerts:
            await self._send([alert], bundle=False, quiet=False, report=report)

    async def _send(
        self, alerts: list[Alert], *, bundle: bool, quiet: bool, report: PollReport
    ) -> None:
        assert self._bot is not None
        alerts = await self._still_mine(alerts)
        if not alerts:
            return
        rule = alerts[0][0]  # the chat's rules share its chat, topic and language
        cards = [delivery.card for _, delivery in alerts]
        lang = await self._language(rule)
        ctx = AlertContext(lang=lang, tz=rule.tz, now=self._clock())
        if bundle:
            text = render_bundle(cards, ctx, quiet=quiet)
            shown = alerts[: len(listed(cards))]
        else:
            text = render_alert(cards[0], ctx)
            shown = alerts
        calls = [(owner.id, delivery.dialog_id) for owner, delivery in shown]
        markup = self._buttons.for_calls(calls, lang)
        try:
            message = await self._bot.send_message(
                rule.chat_id, text, reply_markup=markup, message_thread_id=rule.thread_id
            )
        except TelegramForbiddenError as error:
            await self._finish(alerts, SeenState.FAILED, error=f"Telegram: {error.message}")
            paused = await self._repo.pause_chat(rule.chat_id, PauseReason.BLOCKED, self._clock())
            log.warning(
                "alerts: chat %s is closed to the bot (%s); paused %d rules",
                rule.chat_id,
                error.message,
                paused,
            )
            report.outcomes["blocked"] += 1
        except TelegramNetworkError as error:
            if never_arrived(error):
                await self._put_back(alerts, f"Telegram: {error.message}")
                report.outcomes["put back"] += 1
            else:
                # Telegram may have posted it: a duplicate is worse than a gap.
                log.warning(
                    "alerts to chat %s: Telegram did not answer; not repeated", rule.chat_id
                )
                await self._finish(alerts, SeenState.SENT, error="not confirmed by Telegram")
                report.outcomes["unconfirmed"] += 1
        except (TelegramRetryAfter, TelegramServerError) as error:
            await self._put_back(alerts, f"Telegram: {error.message}")
            report.outcomes["put back"] += 1
        except TelegramMigrateToChat as error:
            # The group became a supergroup: the rules follow it, the alerts go there next.
            new_id = error.migrate_to_chat_id
            moved = await self._repo.move_chat(rule.chat_id, new_id, self._clock())
            log.info("alerts: chat %s became %s; moved %d rules", rule.chat_id, new_id, moved)
            await self._put_back(alerts, "chat migrated")
            report.outcomes["put back"] += 1
        except TelegramAPIError as error:
            log.error("alerts to chat %s: Telegram refused them: %s", rule.chat_id, error.message)
            await self._finish(alerts, SeenState.FAILED, error=f"Telegram: {error.message}")
            report.outcomes["failed"] += 1
        else:
            await self._finish(alerts, SeenState.SENT, message_id=message.message_id)
            report.outcomes["alerts"] += len(alerts)
            report.outcomes["messages"] += 1

    async def _still_mine(self, alerts: list[Alert]) -> list[Alert]:
        """The alerts whose claims this process still holds, renewed for the send."""
        kept: list[Alert] = []
        for rule, deliveries in _by_rule(alerts):
            ids = [delivery.dialog_id for delivery in deliveries]
            still = await self._repo.renew(rule.id, ids, self._clock(), self.owner)
            if len(still) < len(ids):
                log.warning("alerts of rule %s were taken over meanwhile; not sent here", rule.id)
            kept.extend((rule, item) for item in deliveries if item.dialog_id in still)
        return kept

    async def _put_back(self, alerts: list[Alert], error: str) -> None:
        for rule, deliveries in _by_rule(alerts):
            await self._repo.put_back(rule.id, [item.dialog_id for item in deliveries], error)

    async def _finish(
        self,
        alerts: list[Alert],
        state: str,
        *,
        message_id: int | None = None,
        error: str | None = None,
    ) -> None:
        for rule, deliveries in _by_rule(alerts):
            ids = [item.dialog_id for item in deliveries]
            await self._repo.finish(
                rule.id, ids, state, self._clock(), message_id=message_id, error=error
            )

    async def _language(self, rule: AlertRule) -> str:
        settings = await self._chats.get(rule.chat_id)
        lang = settings.language or rule.language
        return lang if lang in LANGUAGES else LANGUAGES[0]

    async def _prune(self, now: datetime) -> None:
        if self._last_prune is not None and now - self._last_prune < _PRUNE_EVERY:
            return
        self._last_prune = now
        try:
            await self._repo.prune(now - KEPT)
        except Exception:
            log.warning("pruning old alert rows failed", exc_info=True)


def _by_rule(alerts: list[Alert]) -> list[tuple[AlertRule, list[Delivery]]]:
    """The alerts grouped by their rule, in order."""
    groups: dict[int, tuple[AlertRule, list[Delivery]]] = {}
    for rule, delivery in alerts:
        groups.setdefault(rule.id, (rule, []))[1].append(delivery)
    return list(groups.values())
