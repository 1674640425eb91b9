"""Building one digest (fetch, rule, figures, text, chart, file) and delivering it.

Used by the scheduler for scheduled runs and by "Send now" for previews; the
two differ only in the preview mark and in the run row the scheduler keeps.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup, Message

from bot.aiokk import raw
from bot.digest.artifacts import Artifacts, ChartInput, FileInput
from bot.digest.clock import Clock
from bot.digest.content import DigestFigures, compute_figures
from bot.digest.describe import ScopeNames, attachment_ext, scope_label
from bot.digest.keyboards import digest_message_keyboard
from bot.digest.model import Attachment, Subscription, scope_dict
from bot.digest.render import (
    RenderContext,
    RenderedDigest,
    chart_title,
    render_digest,
    render_empty,
)
from bot.digest.rule import BadCallMatcher
from bot.digest.schedule import zone
from bot.query.model import CallQuery, Period
from bot.query.service import ConnectionInfo, QueryResult
from bot.reports.export import export_filename
from bot.texts import LANGUAGES
from storage.chats import ChatSettings
from storage.digests import DigestRepo

log = logging.getLogger(__name__)

FILE_KIND = "bad-calls"


class NoConnection(Exception):
    """The subscription's owner has no usable aiokk connection any more."""


class PartlyDelivered(Exception):
    """The digest message went out but a later part (the file) failed; not worth resending."""

    def __init__(self, error: TelegramAPIError) -> None:
        super().__init__(error.message)
        self.error = error


class CallFetcher(Protocol):
    """The part of CallService a digest uses."""

    async def fetch(
        self,
        conn: ConnectionInfo,
        query: CallQuery,
        tz: ZoneInfo,
        *,
        with_previous: bool = False,
        refresh: bool = False,
    ) -> QueryResult: ...


class ConnectionSource(Protocol):
    """The part of ConnectionService a digest uses."""

    async def get(self, user_id: int) -> Any: ...


class ChatSource(Protocol):
    async def get(self, chat_id: int) -> ChatSettings: ...


@dataclass(frozen=True)
class BuiltDigest:
    sub: Subscription
    period: tuple[date, date]
    lang: str
    tz: ZoneInfo
    figures: DigestFigures
    rendered: RenderedDigest
    empty: bool
    chart: bytes | None
    file: tuple[str, bytes] | None
    query: dict[str, Any]

    @property
    def skip(self) -> bool:
        return self.empty and self.sub.skip_empty

    def message_body(self) -> dict[str, Any]:
        """What a Handled or Open button needs later, stored with the sent message."""
        return {
            "r": self.rendered.to_dict(),
            "lang": self.lang,
            "tz": self.tz.key,
            "o": self.sub.owner_user_id,
            "q": self.query,
            "ps": self.period[0].isoformat(),
            "pe": self.period[1].isoformat(),
        }


class DigestRunner:
    def __init__(
        self,
        *,
        repo: DigestRepo,
        calls: CallFetcher,
        connections: ConnectionSource,
        chats: ChatSource,
        names: ScopeNames | None,
        artifacts: Artifacts,
        clock: Clock,
    ) -> None:
        self._repo = repo
        self._calls = calls
        self._connections = connections
        self._chats = chats
        self._names = names
        self._artifacts = artifacts
        self._clock = clock

    @property
    def artifacts(self) -> Artifacts:
        return self._artifacts

    async def language(self, sub: Subscription) -> tuple[str, ChatSettings]:
        settings = await self._chats.get(sub.chat_id)
        lang = settings.language or sub.language
        return (lang if lang in LANGUAGES else LANGUAGES[0]), settings

    async def build(
        self,
        sub: Subscription,
        period: tuple[date, date],
        *,
        late_due: datetime | None = None,
        preview: bool = False,
    ) -> BuiltDigest:
        """Fetch and compute the digest; raises ``AiokkError`` or ``NoConnection``."""
        connection = await self._connections.get(sub.owner_user_id)
        if connection is None:
            raise NoConnection
        lang, chat_settings = await self.language(sub)
        tz = zone(sub.schedule)
        start, end = period
        query = sub.scope.with_(period=Period.custom(start, end))
        result = await self._calls.fetch(connection, query, tz, with_previous=True)
        matcher = BadCallMatcher(sub.rule)
        bad_ids = [
            key
            for record in result.records
            if matcher.is_bad(record) and (key := raw.dialog_id(record)) is not None
        ]
        handled = await self._repo.handled(sub.chat_id, bad_ids) if bad_ids else {}
        figures = compute_figures(
            result.records,
            matcher,
            start=start,
            end=end,
            previous=result.previous,
            handled=handled.keys(),
        )
        label = await scope_label(sub.scope, lang, self._names, connection.id)
        ctx = RenderContext(
            lang=lang,
            tz=tz,
            rule=sub.rule,
            scope_label=label,
            owner_name=sub.owner_name if sub.fed_by_someone_else else None,
            late_due=late_due,
            preview=preview,
        )
        empty = figures.bad == 0
        rendered = render_empty(figures, ctx) if empty else render_digest(figures, ctx)
        chart: bytes | None = None
        attachment: tuple[str, bytes] | None = None
        if not empty:
            if sub.chart:
                chart = await self._artifacts.chart(
                    ChartInput.of(
                        figures.per_operator, figures.ratings, chart_title(figures, lang), lang
                    )
                )
            if sub.attachment is not Attachment.NONE:
                data = await self._artifacts.file(
                    FileInput(
                        figures.bad_records,
                        sub.attachment,
                        tz.key,
                        lang,
                        chat_settings.csv_delimiter,
                    )
                )
                name = export_filename(
                    FILE_KIND, _scope_slug(sub), start, end, attachment_ext(sub.attachment)
                )
                attachment = (name, data)
        return BuiltDigest(
            sub=sub,
            period=period,
            lang=lang,
            tz=tz,
            figures=figures,
            rendered=rendered,
            empty=empty,
            chart=chart,
            file=attachment,
            query=scope_dict(sub.scope),
        )

    async def deliver(self, bot: Bot, built: BuiltDigest) -> list[Message]:
        """Send the digest: chart (with the text as caption when it fits), text, file.

        Raises aiogram's Telegram errors; whatever was sent before an error stays sent.
        """
        sub = built.sub
        chat_id, thread_id = sub.chat_id, sub.thread_id
        sent: list[Message] = []
        if built.empty:
            sent.append(
                await bot.send_message(chat_id, built.rendered.text(), message_thread_id=thread_id)
            )
            return sent
        now = self._clock()
        row_id = await self._repo.add_message(sub.id, chat_id, "text", built.message_body(), now)
        markup = digest_message_keyboard(row_id, built.rendered.items, set(), built.lang)
        text = built.rendered.text()
        message: Message
        kind = "text"
        if built.chart is not None and built.rendered.fits_caption():
            kind = "caption"
            message = await bot.send_photo(
                chat_id,
                _photo(built),
                caption=text,
                reply_markup=markup,
                message_thread_id=thread_id,
            )
        else:
            if built.chart is not None:
                sent.append(
                    await bot.send_photo(chat_id, _photo(built), message_thread_id=thread_id)
                )
            message = await bot.send_message(
                chat_id, text, reply_markup=_or_none(markup), message_thread_id=thread_id
            )
        sent.append(message)
        await self._repo.set_message_id(row_id, message.message_id, kind)
        if built.file is not None:
            name, data = built.file
            try:
                sent.append(
                    await bot.send_document(
                        chat_id,
                        BufferedInputFile(data, filename=name),
                        message_thread_id=thread_id,
                    )
                )
            except TelegramForbiddenError:
                raise
            except TelegramAPIError as error:
                raise PartlyDelivered(error) from error
        return sent


def _photo(built: BuiltDigest) -> BufferedInputFile:
    assert built.chart is not None
    start, end = built.period
    return BufferedInputFile(built.chart, filename=f"digest_{start}_{end}.png")


def _or_none(markup: InlineKeyboardMarkup) -> InlineKeyboardMarkup | None:
    return markup if markup.inline_keyboard else None


def _scope_slug(sub: Subscription) -> str:
    scope = sub.scope
    if scope.operator:
        return scope.operator
    if scope.department_id is not None:
        return f"dep-{scope.department_id}"
    if scope.question_pack_id is not None:
        return f"pack-{scope.question_pack_id}"
    return ""
