"""Starting an export from a button press (shared by the calls and operator screens), and
**Retry** under an export that failed or was interrupted by a restart."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiogram import Bot, Router
from aiogram.types import CallbackQuery, Message

from bot.aiokk.errors import AiokkError
from bot.exports.callbacks import ExportCb
from bot.exports.job import ExportFormat
from bot.exports.service import ExportBusy, ExportRequest, ExportService
from bot.messages import error_sentence
from bot.query.model import CallQuery
from bot.texts import t
from storage import Connection

if TYPE_CHECKING:  # handlers.calls imports this module
    from handlers.calls.context import CallsContext

router = Router(name="exporting")


async def launch_export(
    query: CallbackQuery,
    call_query: CallQuery,
    fmt: ExportFormat,
    ctx: CallsContext,
    conn: Connection,
) -> None:
    """Answer the press at once, then hand the job to the background export service."""
    lang, bot, exports = ctx.lang, ctx.bot, ctx.exports
    message = query.message
    if message is None:
        await query.answer(t("error.stale", lang), show_alert=True)
        return
    if exports.busy(message.chat.id):
        await query.answer(t("export.busy", lang), show_alert=True)
        return
    await query.answer(t("export.started", lang))
    thread_id = message.message_thread_id if isinstance(message, Message) else None
    try:
        job, title = await ctx.presenter.export_job(
            conn,
            call_query,
            ctx.tz,
            lang,
            fmt,
            delimiter=ctx.chat_settings.csv_delimiter,
            limit_bytes=ctx.settings.max_upload_bytes,
            now=ctx.now(),
        )
        request = ExportRequest(
            chat_id=message.chat.id,
            thread_id=thread_id,
            user_id=query.from_user.id,
            job=job,
            title=title,
        )
        exports.start(bot, request, lang)
    except AiokkError as error:
        await bot.send_message(
            message.chat.id, error_sentence(error, lang), message_thread_id=thread_id
        )
    except ExportBusy:
        await bot.send_message(message.chat.id, t("export.busy", lang), message_thread_id=thread_id)


@router.callback_query(ExportCb.filter())
async def on_retry(
    query: CallbackQuery,
    callback_data: ExportCb,
    lang: str,
    bot: Bot,
    connection: Connection | None,
    exports: ExportService,
) -> None:
    """Run the export again on the asker's connection, in its own message: only the person
    who asked for it may (the file is built from their aiokk)."""
    message = query.message
    record = await exports.stored(callback_data.id)
    if (
        record is None
        or message is None
        or record.chat_id != message.chat.id
        or record.message_id != message.message_id
    ):
        await query.answer(t("error.stale", lang), show_alert=True)
        return
    if record.user_id != query.from_user.id:
        await query.answer(t("export.retry_own", lang), show_alert=True)
        return
    if connection is None:
        await query.answer(t("calls.not_connected", lang), show_alert=True)
        return
    try:
        started = await exports.retry(
            bot, record, base_url=connection.base_url, token=connection.token
        )
    except ExportBusy:
        await query.answer(t("export.busy", lang), show_alert=True)
        return
    if started is None:
        await query.answer(t("error.stale", lang), show_alert=True)
        return
    await query.answer(t("export.started", lang))
