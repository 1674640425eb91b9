"""Building one digest (fetch, rule, figures, text, chart, file) and delivering it.

Used by the scheduler for scheduled runs and by "Send now" for previews; the
two differ only in the preview mark and in the run row the scheduler keeps.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError, TelegramNetworkError
from aiogram.types import BufferedInputFile, Message

from bot.aiokk import raw
from bot.aiokk.raw import RawRecord
from bot.clock import Clock
from bot.digest.artifacts import Artifacts, ChartInput, FileInput
from bot.digest.buttons import DigestButtons
from bot.digest.content import DigestFigures, compute_figures
from bot.digest.model import Attachment, Cadence, Subscription, scope_dict
from bot.digest.naming import ScopeNames, attachment_ext, scope_label
from bot.digest.period_report import (
    PeriodParts,
    PeriodReport,
    build_period_report,
    fetch_span,
    report_spans,
)
from bot.digest.render import (
    RenderContext,
    RenderedDigest,
    chart_title,
    render_digest,
    render_empty,
    rule_text,
)
from bot.digest.rule import BadCallMatcher
from bot.digest.schedule import zone
from bot.pacing import never_arrived
from bot.query.model import Period
from bot.query.service import ConnectionInfo
from bot.reports.export import export_filename
from bot.sources import CallFetcher, ChatSource, ConnectionSource
from bot.texts import LANGUAGES, t
from storage.chats import ChatSettings
from storage.digests import DigestRepo, Part

log = logging.getLogger(__name__)

FILE_KIND = "bad-calls"


class NoConnection(Exception):
    """The subscription's owner has no usable aiokk connection any more (or no access)."""


class PartlyDelivered(Exception):
    """The digest message went out but the file failed; only the file is worth resending."""

    def __init__(self, error: TelegramAPIError) -> None:
        super().__init__(error.message)
        self.error = error


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
    report: str | None = None
    """A weekly or monthly report's own message (HTML); its chart is the trend."""

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
        buttons: DigestButtons,
        allowed: Callable[[int], bool] = lambda _user_id: True,
    ) -> None:
        self._allowed = allowed
        self._buttons = buttons
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

    @property
    def buttons(self) -> DigestButtons:
        """The buttons digest messages carry (supplied by the Telegram side)."""
        return self._buttons

    def allows(self, user_id: int) -> bool:
        """Whether the user may still use the bot (``ALLOWED_USER_IDS``), and so feed digests."""
        return self._allowed(user_id)

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
        delivered: frozenset[str] = frozenset(),
    ) -> BuiltDigest:
        """Fetch and compute the digest; raises ``AiokkError`` or ``NoConnection``.

        Parts already ``delivered`` by an earlier attempt of the run are not made again.
        """
        connection = await self._connections.get(sub.owner_user_id)
        if connection is None or not self.allows(sub.owner_user_id):
            raise NoConnection
        lang, chat_settings = await self.language(sub)
        tz = zone(sub.schedule)
        start, end = period
        matcher = BadCallMatcher(sub.rule)
        records, previous, report = await self._fetch(connection, sub, period, tz, matcher)
        bad_ids = [
            key
            for record in records
            if matcher.is_bad(record) and (key := raw.dialog_id(record)) is not None
        ]
        handled = await self._repo.handled(sub.chat_id, bad_ids) if bad_ids else {}
        figures = compute_figures(
            records,
            matcher,
            start=start,
            end=end,
            previous=previous,
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
            previous_label=(
                t(f"digest.previous.{sub.schedule.cadence.value}", lang) if report else None
            ),
        )
        empty = figures.bad == 0
        rendered = render_empty(figures, ctx) if empty else render_digest(figures, ctx)
        chart: bytes | None = None
        attachment: tuple[str, bytes] | None = None
        report_text: str | None = None
        if report is not None:
            report_text = report.text(
                rule_text(sub.rule, lang), lang, file_has_table=sub.attachment is Attachment.XLSX
            )
            if sub.chart and Part.CHART not in delivered:
                chart = await self._artifacts.chart(report.chart(lang))
        if report is not None or not empty:
            if report is None and sub.chart and not delivered & {Part.CHART, Part.MESSAGE}:
                chart = await self._artifacts.chart(
                    ChartInput.of(
                        figures.per_operator, figures.ratings, chart_title(figures, lang), lang
                    )
                )
            if sub.attachment is not Attachment.NONE and Part.FILE not in delivered:
                data = await self._artifacts.file(
                    FileInput(
                        figures.bad_records,
                        sub.attachment,
                        tz.key,
                        lang,
                        chat_settings.csv_delimiter,
                        operators=(
                            report.operators_sheet(lang)
                            if report is not None and sub.attachment is Attachment.XLSX
                            else None
                        ),
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
            report=report_text,
        )

    async def _fetch(
        self,
        connection: ConnectionInfo,
        sub: Subscription,
        period: tuple[date, date],
        tz: ZoneInfo,
        matcher: BadCallMatcher,
    ) -> tuple[list[RawRecord], list[RawRecord] | None, PeriodReport | None]:
        """The period's calls, the previous period's, and a weekly or monthly report.

        A weekly or monthly digest fetches its whole trend (8 weeks, 6 months) at once
        and splits it by local date; a daily one fetches its days and the days before.
        """
        schedule = sub.schedule
        if schedule.cadence is Cadence.DAILY:
            query = sub.scope.with_(period=Period.custom(*period))
            result = await self._calls.fetch(connection, query, tz, with_previous=True)
            return result.records, result.previous, None
        spans = report_spans(schedule, period)
        query = sub.scope.with_(period=Period.custom(*fetch_span(spans)))
        result = await self._calls.fetch(connection, query, tz)
        parts = PeriodParts.split(result.records, spans, tz)
        report = build_period_report(parts, schedule.cadence, matcher.is_bad)
        return parts.current, parts.previous, report

    async def deliver(self, bot: Bot, built: BuiltDigest, *, run_id: int | None = None) -> Delivery:
        """Send the digest: chart (with the text as caption when it fits), text, file.

        With a ``run_id`` each part is recorded as soon as Telegram has it, and parts the
        run already delivered (before a crash or a retry) are not sent again. A part whose
        fate is unknown (the connection dropped after the request went out) is recorded as
        such and not repeated either: a duplicate is worse than a gap the chat is told about.
        Raises aiogram's Telegram errors, and ``PartlyDelivered`` when only the file failed.
        """
        sub = built.sub
        chat_id, thread_id = sub.chat_id, sub.thread_id
        journal = _Journal(
            self._repo,
            self._clock,
            run_id,
            await self._repo.parts(run_id) if run_id else frozenset(),
        )
        # A weekly or monthly report sends its trend chart with the report, after the calls.
        with_calls_chart = built.chart if built.report is None else None
        if built.empty:
            if not journal.has(Part.MESSAGE):
                await journal.send(
                    Part.MESSAGE,
                    bot.send_message(chat_id, built.rendered.text(), message_thread_id=thread_id),
                )
        elif not journal.has(Part.MESSAGE):
            row_id = await self._repo.add_message(
                sub.id, chat_id, "text", built.message_body(), self._clock()
            )
            markup = self._buttons.under_digest(row_id, built.rendered.items, set(), built.lang)
            text = built.rendered.text()
            if with_calls_chart is not None and built.rendered.fits_caption():
                await journal.send(
                    Part.MESSAGE,
                    bot.send_photo(
                        chat_id,
                        _photo(built),
                        caption=text,
                        reply_markup=markup,
                        message_thread_id=thread_id,
                    ),
                    message_row=(row_id, "caption"),
                )
            else:
                if with_calls_chart is not None and not journal.has(Part.CHART):
                    await journal.send(
                        Part.CHART,
                        bot.send_photo(chat_id, _photo(built), message_thread_id=thread_id),
                    )
                await journal.send(
                    Part.MESSAGE,
                    bot.send_message(
                        chat_id, text, reply_markup=markup, message_thread_id=thread_id
                    ),
                    message_row=(row_id, "text"),
                )
        if built.report is not None:
            if built.chart is not None and not journal.has(Part.CHART):
                await journal.send(
                    Part.CHART,
                    bot.send_photo(chat_id, _photo(built), message_thread_id=thread_id),
                )
            if not journal.has(Part.REPORT):
                await journal.send(
                    Part.REPORT,
                    bot.send_message(chat_id, built.report, message_thread_id=thread_id),
                )
        if built.file is not None and not journal.has(Part.FILE):
            name, data = built.file
            try:
                await journal.send(
                    Part.FILE,
                    bot.send_document(
                        chat_id,
                        BufferedInputFile(data, filename=name),
                        message_thread_id=thread_id,
                    ),
                )
            except TelegramForbiddenError:
                raise
            except TelegramAPIError as error:
                raise PartlyDelivered(error) from error
        return journal.delivery()


@dataclass(frozen=True)
class Delivery:
    """Which parts of one delivery Telegram may or may not have (no answer came)."""

    uncertain: frozenset[str]


class _Journal:
    """Sends the parts of one delivery and records each as soon as Telegram has it."""

    def __init__(
        self,
        repo: DigestRepo,
        clock: Clock,
        run_id: int | None,
        done: frozenset[str],
    ) -> None:
        self._repo = repo
        self._clock = clock
        self._run_id = run_id
        self._done = done
        self._uncertain: set[str] = set()

    def has(self, part: str) -> bool:
        return part in self._done

    def delivery(self) -> Delivery:
        return Delivery(frozenset(self._uncertain))

    async def send(
        self,
        part: str,
        request: Coroutine[Any, Any, Message],
        *,
        message_row: tuple[int, str] | None = None,
    ) -> None:
        try:
            message = await request
        except TelegramNetworkError as error:
            if never_arrived(error):
                raise
            log.warning("digest part %s: Telegram did not answer (%s); not repeated", part, error)
            self._uncertain.add(part)
            await self._record(part, None, sure=False)
            return
        async with self._repo.db.transaction():
            if message_row is not None:
                row_id, kind = message_row
                await self._repo.set_message_id(row_id, message.message_id, kind)
            await self._record(part, message.message_id, sure=True)

    async def _record(self, part: str, message_id: int | None, *, sure: bool) -> None:
        if self._run_id is not None:
            await self._repo.record_part(
                self._run_id, part, self._clock(), message_id=message_id, sure=sure
            )


def _photo(built: BuiltDigest) -> BufferedInputFile:
    assert built.chart is not None
    start, end = built.period
    return BufferedInputFile(built.chart, filename=f"digest_{start}_{end}.png")


def _scope_slug(sub: Subscription) -> str:
    scope = sub.scope
    if scope.operator:
        return scope.operator
    if scope.department_id is not None:
        return f"dep-{scope.department_id}"
    if scope.question_pack_id is not None:
        return f"pack-{scope.question_pack_id}"
    return ""
