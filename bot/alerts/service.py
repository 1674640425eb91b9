"""What the Telegram side does with alert rules: create, change, list, pause, delete, test,
offer scope and signal-word choices from the catalog, open an alerted call, and mark a call
handled (the digests' mark: a call handled from an alert is not repeated in a digest)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from bot.aiokk.models import CallRecord
from bot.alerts.card import AlertCard
from bot.alerts.match import Hit, RuleMatcher
from bot.alerts.model import AlertRule, AlertScope, ScopeKind
from bot.alerts.plan import plan_poll
from bot.catalog_offers import CatalogOffers, CatalogWarmer
from bot.clock import Clock
from bot.digest.model import PauseReason
from bot.query.model import OperatorPick, Period
from bot.query.service import ConnectionInfo
from bot.sources import CallFetcher, ConnectionSource
from storage.alerts import AlertRepo
from storage.catalog import CatalogRepo
from storage.digests import DigestRepo, HandledMark

SAMPLE_DAYS: Final = 30
"""How far back **Test** looks for a call that meets the rule."""


@dataclass(frozen=True, slots=True)
class FoundCall:
    """An alerted call, fetched again for its card."""

    record: CallRecord
    tz: ZoneInfo


class AlertService:
    def __init__(
        self,
        repo: AlertRepo,
        digests: DigestRepo,
        clock: Clock,
        *,
        poll_soon: Callable[[], None] = lambda: None,
        calls: CallFetcher | None = None,
        connections: ConnectionSource | None = None,
        catalog: CatalogRepo | None = None,
        warmer: CatalogWarmer | None = None,
        allowed: Callable[[int], bool] = lambda _user_id: True,
        pause_owner: Callable[[int, PauseReason], Awaitable[list[AlertRule]]] | None = None,
    ) -> None:
        """``pause_owner`` pauses an owner's rules and tells their chats
        (``AlertPoller.pause_owner``); without it they are only paused."""
        self._repo = repo
        self._digests = digests
        self._clock = clock
        self._poll_soon = poll_soon
        self._calls = calls
        self._connections = connections
        self._catalog = catalog
        self._offers = CatalogOffers(catalog, warmer)
        self._allowed = allowed
        self._pause_owner = pause_owner

    def now(self) -> datetime:
        return self._clock()

    # -- rules -----------------------------------------------------------------------------

    async def create(self, rule: AlertRule) -> AlertRule:
        """Store a rule and poll soon: its first poll only remembers the calls there, so the
        sooner it runs, the sooner the next bad call alerts."""
        stored = await self._repo.create(rule.with_(id=0, baselined_at=None), self._clock())
        self._poll_soon()
        return stored

    async def save(self, rule: AlertRule) -> AlertRule | None:
        """Store a changed rule (None when it was deleted meanwhile). A new scope or new
        conditions start again from a first poll, which is asked for now."""
        if not await self._repo.save(rule, self._clock()):
            return None
        stored = await self._repo.get(rule.id)
        if stored is not None and stored.baselined_at is None and not stored.paused:
            self._poll_soon()
        return stored

    async def for_chat(self, chat_id: int) -> list[AlertRule]:
        return await self._repo.for_chat(chat_id)

    async def get(self, rule_id: int) -> AlertRule | None:
        return await self._repo.get(rule_id)

    async def set_paused(self, rule_id: int, paused: bool) -> bool:
        changed = await self._repo.set_paused(
            rule_id, paused, self._clock(), PauseReason.USER.value
        )
        if changed and not paused:
            self._poll_soon()
        return changed

    async def resume(
        self, rule: AlertRule, user_id: int, user_name: str
    ) -> tuple[AlertRule | None, bool]:
        """Resume a rule; when its owner's connection is gone (or the owner lost access),
        the presser's takes over, as for digests. A rule that changes connection, or was
        paused because its owner was lost, starts again from a first poll, which only
        remembers the calls there: calls made meanwhile do not all alert at once.

        Returns the rule (None when it was deleted, or nobody's connection can feed it)
        and whether its owner changed."""
        owner: tuple[int, str] | None = None
        if self._connections is not None and await self.feeding(rule) is None:
            if await self._connections.get(user_id) is None:
                return None, False
            owner = (user_id, user_name)
        rebaseline = owner is not None or rule.owner_lost
        if not await self._repo.resume(rule.id, self._clock(), owner=owner, rebaseline=rebaseline):
            return None, False
        self._poll_soon()
        return await self._repo.get(rule.id), owner is not None

    async def on_disconnect(self, user_id: int) -> int:
        """Pause the active rules fed by this user's connection, being removed, and tell
        their chats; returns how many were paused."""
        if self._pause_owner is not None:
            paused = await self._pause_owner(user_id, PauseReason.DISCONNECTED)
        else:
            paused = await self._repo.pause_where(
                "owner_user_id", user_id, PauseReason.DISCONNECTED, self._clock()
            )
        return len(paused)

    async def delete(self, rule_id: int) -> bool:
        return await self._repo.delete(rule_id)

    # -- the catalog -----------------------------------------------------------------------

    async def owner_connection(self, rule: AlertRule) -> Any | None:
        if self._connections is None:
            return None
        return await self._connections.get(rule.owner_user_id)

    async def offer(self, kind: ScopeKind, connection: ConnectionInfo) -> list[tuple[str, Any]]:
        return await self._offers.scope(kind, connection)

    async def offer_signals(self, connection: ConnectionInfo) -> list[str]:
        return await self._offers.signals(connection)

    async def scope_names(self, rule: AlertRule) -> tuple[str | None, str | None]:
        """The department's name or the pack's title from the owner's catalog (raw text:
        the caller escapes it), as (department, pack)."""
        scope = rule.scope
        connection = await self.owner_connection(rule)
        if self._catalog is None or connection is None:
            return None, None
        department = None
        pack = None
        if scope.kind is ScopeKind.DEPARTMENT and scope.department_id is not None:
            department = await self._catalog.department_name(connection.id, scope.department_id)
        if scope.kind is ScopeKind.PACK and scope.pack_id is not None:
            entry = await self._catalog.question_pack(connection.id, scope.pack_id)
            pack = entry.title if entry is not None else None
        return department, pack

    # -- calls -----------------------------------------------------------------------------

    async def alerted(self, rule: AlertRule, dialog_id: int, message_id: int) -> bool:
        """Whether the rule's alert about the call went out as ``message_id``: the buttons
        under an alert act from that message only."""
        return await self._repo.sent_message(rule.id, dialog_id) == message_id

    async def feeding(self, rule: AlertRule) -> Any | None:
        """The connection that feeds the rule: its owner's, while the owner may use the bot."""
        if not self._allowed(rule.owner_user_id):
            return None
        return await self.owner_connection(rule)

    async def find_call(self, rule: AlertRule, dialog_id: int) -> FoundCall | None:
        """An alerted call, fetched through the connection that feeds the rule (within a
        day of its date, in the rule's zone). Raises ``AiokkError``; None when the call or
        the connection is gone."""
        if self._calls is None:
            return None
        connection = await self.feeding(rule)
        seen = await self._repo.deliveries(rule.id, [dialog_id])
        if connection is None or not seen:
            return None
        tz = rule.tz
        day = seen[0].card.moment.astimezone(tz).date()
        period = Period.custom(day - timedelta(days=1), day + timedelta(days=1))
        result = await self._calls.fetch(connection, rule.scope.query().with_(period=period), tz)
        record = result.find(dialog_id)
        return FoundCall(record, tz) if record is not None else None

    async def sample(self, rule: AlertRule) -> AlertCard | None:
        """The most recent call of the last ``SAMPLE_DAYS`` days that meets the rule, for
        **Test**. Asks what a poll would (with a full read where a poll would need one).
        Raises ``AiokkError``; None when there is none or no connection feeds the rule."""
        if self._calls is None:
            return None
        connection = await self.feeding(rule)
        if connection is None:
            return None
        now = self._clock()
        today = now.astimezone(rule.tz).date()
        period = Period.custom(today - timedelta(days=SAMPLE_DAYS), today)
        matcher = RuleMatcher(rule)
        best: Hit | None = None
        for query in plan_poll([rule], full_due=True).queries:
            result = await self._calls.fetch(connection, query.with_(period=period), rule.tz)
            for record in result.iter_records():
                hit = matcher.hit(record, now, fresh_for=None)
                if hit is None or hit.moment > now:
                    continue
                if best is None or (hit.moment, hit.dialog_id) > (best.moment, best.dialog_id):
                    best = hit
        return AlertCard.of(best) if best is not None else None

    async def mark_handled(
        self, chat_id: int, dialog_id: int, user_id: int, user_name: str
    ) -> tuple[HandledMark, bool]:
        """Record who handled the call in the chat; the first mark wins (see ``DigestRepo``)."""
        return await self._digests.mark_handled(chat_id, dialog_id, user_id, user_name, self._now())

    def _now(self) -> datetime:
        return self._clock()


def scope_for(kind: ScopeKind, value: Any) -> AlertScope | None:
    """The scope for a chosen or typed value; None when the value does not fit the kind.

    An operator chosen from a button (an ``OperatorPick.dump()``) is that one person; a
    typed name is the operator of exactly that name (case and ё/е aside)."""
    try:
        match kind:
            case ScopeKind.ALL:
                return AlertScope()
            case ScopeKind.DEPARTMENT:
                return AlertScope.department(int(value))
            case ScopeKind.PACK:
                return AlertScope.pack(int(value))
            case ScopeKind.OPERATOR if isinstance(value, str):
                return AlertScope.of_operator(OperatorPick(value))
            case ScopeKind.OPERATOR:
                return AlertScope.of_operator(OperatorPick.load(value))
    except (TypeError, ValueError, KeyError):
        return None
    return None
