"""What the digest screens do: manage subscriptions, send a preview, mark calls handled,
find a call for its card, and pause what depends on a connection being removed.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest

from bot.aiokk.models import CallRecord
from bot.catalog_offers import CatalogOffers, CatalogSource, CatalogWarmer
from bot.clock import Clock
from bot.digest.artifacts import Artifacts
from bot.digest.model import PauseReason, ScopeKind, Subscription, scope_query
from bot.digest.naming import ScopeNames, disconnect_line, scope_label
from bot.digest.render import RenderedDigest, mark_text
from bot.digest.runner import BuiltDigest, DigestRunner
from bot.digest.schedule import covered_days, next_run_at_or_after, zone
from bot.messages import is_not_modified
from bot.query.model import Period
from bot.query.service import ConnectionInfo
from bot.sources import CallFetcher, ConnectionSource
from bot.texts import DEFAULT_LANGUAGE, t
from storage.digests import DigestMessage, DigestRepo, DigestRun, HandledMark

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FoundCall:
    record: CallRecord
    tz: ZoneInfo
    chat_id: int


class DigestService:
    def __init__(
        self,
        *,
        repo: DigestRepo,
        runner: DigestRunner,
        connections: ConnectionSource,
        calls: CallFetcher,
        names: ScopeNames | None,
        clock: Clock,
        catalog: CatalogSource | None = None,
        warmer: CatalogWarmer | None = None,
    ) -> None:
        self._offers = CatalogOffers(catalog, warmer)
        self._repo = repo
        self._runner = runner
        self._connections = connections
        self._calls = calls
        self._names = names
        self._clock = clock

    def now(self) -> datetime:
        """The bot's clock (what the schedule and the screens go by)."""
        return self._clock()

    @property
    def repo(self) -> DigestRepo:
        return self._repo

    @property
    def artifacts(self) -> Artifacts:
        """The chart and file workers (also drawing /op's trend)."""
        return self._runner.artifacts

    # -- reading ---------------------------------------------------------------------------

    async def for_chat(self, chat_id: int) -> list[Subscription]:
        return await self._repo.for_chat(chat_id)

    async def get(self, sub_id: int) -> Subscription | None:
        return await self._repo.get(sub_id)

    async def last_run(self, sub_id: int) -> DigestRun | None:
        return await self._repo.last_run(sub_id)

    async def owner_connection(self, sub: Subscription) -> Any | None:
        return await self._connections.get(sub.owner_user_id)

    async def offer(self, kind: ScopeKind, connection: ConnectionInfo) -> list[tuple[str, Any]]:
        return await self._offers.scope(kind, connection)

    async def offer_signals(self, connection: ConnectionInfo) -> list[str]:
        return await self._offers.signals(connection)

    async def label(self, sub: Subscription, lang: str) -> str | None:
        """The scope in words (department and pack names from the owner's catalog)."""
        if sub.scope.is_empty_filter():
            return None
        connection = await self._connections.get(sub.owner_user_id)
        return await scope_label(
            sub.scope, lang, self._names, connection.id if connection is not None else None
        )

    # -- changing --------------------------------------------------------------------------

    def _scheduled(self, sub: Subscription) -> Subscription:
        if sub.paused:
            return sub
        return sub.with_(next_run=next_run_at_or_after(sub.schedule, self._clock()))

    async def create(self, sub: Subscription) -> Subscription:
        return await self._repo.create(self._scheduled(sub.with_(id=0)), self._clock())

    async def save(self, sub: Subscription) -> Subscription | None:
        """Store changed fields; the next run is recomputed from now. None when deleted."""
        updated = self._scheduled(sub)
        return updated if await self._repo.save(updated, self._clock()) else None

    async def pause(self, sub: Subscription) -> Subscription | None:
        paused = sub.with_(paused=True, pause_reason=PauseReason.USER, pause_detail=None)
        return await self.save(paused)

    async def resume(
        self, sub: Subscription, user_id: int, user_name: str
    ) -> tuple[Subscription | None, bool]:
        """Resume; when the owner's connection is gone, the presser's takes over.

        Returns the subscription (None when it cannot run: nobody's connection) and
        whether the owner changed.
        """
        owner_changed = False
        owner = sub.owner_user_id
        if await self._connections.get(owner) is None or not self._runner.allows(owner):
            if await self._connections.get(user_id) is None:
                return None, False
            sub = sub.with_(owner_user_id=user_id, owner_name=user_name)
            owner_changed = True
        resumed = sub.with_(paused=False, pause_reason=None, pause_detail=None)
        return await self.save(resumed), owner_changed

    async def delete(self, sub_id: int) -> bool:
        return await self._repo.delete(sub_id)

    async def on_disconnect(self, user_id: int, lang: str = DEFAULT_LANGUAGE) -> list[str]:
        """Pause the running subscriptions fed by this user's connection.

        Returns one escaped line per paused subscription, to tell the user.
        """
        paused = await self._repo.pause_where(
            "owner_user_id", user_id, PauseReason.DISCONNECTED, None, self._clock()
        )
        lines: list[str] = []
        for sub in paused:
            # The catalog goes with the connection; describe the scope by ids.
            label = await scope_label(sub.scope, lang, None, None)
            lines.append(disconnect_line(sub, lang, label))
        if paused:
            log.info("user %s disconnected: paused %d digests", user_id, len(paused))
        return lines

    async def disconnect_notice(self, user_id: int, lang: str = DEFAULT_LANGUAGE) -> str | None:
        """``on_disconnect`` as one message for the user (HTML), or None when nothing paused."""
        lines = await self.on_disconnect(user_id, lang)
        if not lines:
            return None
        items = "\n".join(f"• {line}" for line in lines)
        return t("digest.disconnect.paused", lang, items=items)

    # -- send now --------------------------------------------------------------------------

    def preview_period(self, sub: Subscription) -> tuple[date, date]:
        """The period a run today would cover: the latest complete one."""
        today = self._clock().astimezone(zone(sub.schedule)).date()
        return covered_days(sub.schedule, sub.period, today)

    async def send_now(self, bot: Bot, sub: Subscription) -> BuiltDigest:
        """Build and send a preview now; it does not count as the scheduled run.

        Raises ``AiokkError``, ``NoConnection``, ``PartlyDelivered`` (the file failed) and
        aiogram's Telegram errors.
        """
        built = await self._runner.build(sub, self.preview_period(sub), preview=True)
        await self._runner.deliver(bot, built)
        return built

    # -- buttons under digest messages -----------------------------------------------------

    async def listed_message(
        self, row_id: int, chat_id: int, message_id: int, dialog_id: int
    ) -> DigestMessage | None:
        """The digest message a button was pressed under, if that button may act on the call.

        Open and Handled ✓ work only on the calls the digest itself listed, and only from
        that digest message in its chat: whoever can see the message (any member of the
        chat) may open those cards and mark those calls, nothing else of the scope and
        period. None when the press does not qualify.
        """
        message = await self._repo.get_message(row_id)
        if message is None or message.chat_id != chat_id or dialog_id not in listed_calls(message):
            return None
        if message.message_id is None:
            # Sent, but Telegram's answer (its id) never came: the first press tells it.
            await self._repo.set_message_id(message.id, message_id, message.kind)
            return dataclasses.replace(message, message_id=message_id)
        return message if message.message_id == message_id else None

    async def mark_handled(
        self, bot: Bot, message: DigestMessage, dialog_id: int, user_id: int, user_name: str
    ) -> tuple[HandledMark, bool]:
        """Record the mark (the first one wins) and redraw the digest message in place.

        The press is checked by ``listed_message`` first.
        """
        mark, new = await self._repo.mark_handled(
            message.chat_id, dialog_id, user_id, user_name, self._clock()
        )
        if new:
            await self.redraw(bot, message)
        return mark, new

    async def redraw(self, bot: Bot, message: DigestMessage) -> None:
        if message.message_id is None:
            return
        body = message.body
        rendered = RenderedDigest.from_dict(body.get("r", {}))
        tz = ZoneInfo(str(body.get("tz", "UTC")))
        lang = str(body.get("lang", DEFAULT_LANGUAGE))
        marks = await self._repo.handled(
            message.chat_id, [item.dialog_id for item in rendered.items]
        )
        texts = {key: mark_text(mark.user_name, mark.handled_at, tz) for key, mark in marks.items()}
        keyboard = self._runner.buttons.under_digest(message.id, rendered.items, marks.keys(), lang)
        try:
            if message.kind == "caption":
                await bot.edit_message_caption(
                    chat_id=message.chat_id,
                    message_id=message.message_id,
                    caption=rendered.text(texts),
                    reply_markup=keyboard,
                )
            else:
                await bot.edit_message_text(
                    chat_id=message.chat_id,
                    message_id=message.message_id,
                    text=rendered.text(texts),
                    reply_markup=keyboard,
                )
        except TelegramBadRequest as error:
            if not is_not_modified(error):
                raise

    async def find_call(self, message: DigestMessage, dialog_id: int) -> FoundCall | None:
        """A call listed in a digest (the press is checked by ``listed_message`` first),
        fetched through the connection that fed it.

        Raises ``AiokkError``; None when the call or the connection is gone, or its owner
        no longer has access to the bot.
        """
        body = message.body
        owner = int(body.get("o", 0))
        connection = await self._connections.get(owner)
        if connection is None or not self._runner.allows(owner):
            return None
        tz = ZoneInfo(str(body.get("tz", "UTC")))
        start = date.fromisoformat(str(body["ps"]))
        end = date.fromisoformat(str(body["pe"]))
        query = scope_query(body.get("q")).with_(period=Period.custom(start, end))
        result = await self._calls.fetch(connection, query, tz)
        record = result.find(dialog_id)
        return FoundCall(record, tz, message.chat_id) if record is not None else None


def listed_calls(message: DigestMessage) -> frozenset[int]:
    """The calls a sent digest listed (stored with it): its buttons act on these only."""
    rendered = RenderedDigest.from_dict(message.body.get("r", {}))
    return frozenset(item.dialog_id for item in rendered.items)
