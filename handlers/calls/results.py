"""A results message's buttons: summary, refresh, retry, list pages, cards, exports, rebuild.

Each results message keeps the query it shows (``storage.shown_queries``): its buttons work
from that query, whatever the user's wizard does meanwhile, until the message is older
than the retention. In a group only whoever opened it may press them.
"""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.enums import ChatAction
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.aiokk.errors import AiokkError
from bot.callbacks import CallsAction, CallsCb, parse_number
from bot.exports.job import ExportFormat
from bot.isolation import outside_lock
from bot.messages import error_sentence, is_not_modified, show
from bot.query.model import CallQuery
from bot.services.calls import progress_notice
from bot.texts import t
from handlers.calls.context import CallsContext
from handlers.calls.draft import load
from handlers.calls.keyboards import (
    card_keyboard,
    error_keyboard,
    list_keyboard,
    only_menu,
    open_wizard,
    rebuild_keyboard,
    summary_keyboard,
)
from handlers.exporting import launch_export
from storage import Connection, ShownQuery

log = logging.getLogger(__name__)

router = Router(name="calls.results")


# ------------------------------------------------------------------------------ helpers


async def put(
    target: CallbackQuery | Message, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    """Show ``text`` in the flow's message: the pressed one, or ``target`` itself."""
    if isinstance(target, CallbackQuery):
        await show(target, text, markup)
        return
    try:
        await target.edit_text(text, reply_markup=markup)
    except TelegramBadRequest as error:
        if not is_not_modified(error):
            raise


async def show_error(
    target: CallbackQuery | Message, error: AiokkError, ctx: CallsContext, *, again: bool = False
) -> None:
    """The error's sentence with Retry (the message keeps its query, so Retry repeats it);
    after a Retry that failed again, first when, so that the message visibly changes."""
    text = t("calls.error_retry", ctx.lang, reason=error_sentence(error, ctx.lang))
    if again:
        text = t("error.still_failing", ctx.lang, time=ctx.clock_time()) + "\n" + text
    await put(target, text, error_keyboard(ctx.lang))


async def run_summary(
    target: CallbackQuery | Message,
    ctx: CallsContext,
    conn: Connection,
    query: CallQuery,
    owner: int,
    *,
    refresh: bool = False,
    again: bool = False,
) -> None:
    """Fetch and show the summary of ``query`` in the flow's message, which keeps the query
    from now on (before the fetch: a Retry after an error repeats it)."""
    message = target.message if isinstance(target, CallbackQuery) else target
    if not isinstance(message, Message):
        return
    await ctx.shown.remember(message.chat.id, message.message_id, owner, query)
    # The typing action, not an extra edit: edits count against the chat's flood limit.
    await ctx.bot.send_chat_action(message.chat.id, ChatAction.TYPING)
    try:
        notice = progress_notice(lambda text: put(target, text, None), ctx.lang)
        async with outside_lock():
            view = await ctx.presenter.summary(
                conn, query, ctx.tz, ctx.lang, refresh=refresh, progress=notice
            )
    except AiokkError as error:
        await show_error(target, error, ctx, again=again)
        return
    # Meanwhile the wizard may have been cancelled on this message, or another query shown
    # in it: then the summary comes without buttons that need its query.
    kept = await ctx.shown.get(message.chat.id, message.message_id)
    if kept is None or kept.query != query:
        await put(target, view.text, only_menu(ctx.lang))
        return
    await put(target, view.text, summary_keyboard(view, ctx.lang))


async def shown_query(query: CallbackQuery, ctx: CallsContext) -> ShownQuery | None:
    """The query the pressed message shows, or None after the press was answered:
    someone else's menu (a group) is out of date as before; a message past the retention
    (or one that never kept a query) says so and turns into a Rebuild button."""
    message = query.message
    if message is None:
        await query.answer(t("error.stale", ctx.lang), show_alert=True)
        return None
    shown = await ctx.shown.get(message.chat.id, message.message_id)
    if shown is not None and shown.user_id != query.from_user.id:
        await query.answer(t("error.stale", ctx.lang), show_alert=True)
        return None
    if shown is None or ctx.shown.expired(shown):
        await out_of_date(query, ctx)
        return None
    return shown


async def out_of_date(query: CallbackQuery, ctx: CallsContext) -> None:
    message = query.message
    if message is None:
        return
    days = ctx.shown.retention.days
    await query.answer(t("calls.expired", ctx.lang, days=days), show_alert=True)
    markup = rebuild_keyboard(message.message_id, ctx.lang)
    if isinstance(message, Message):
        try:
            await message.edit_reply_markup(reply_markup=markup)
            return
        except TelegramBadRequest as error:
            if is_not_modified(error):
                return
            log.info("could not put Rebuild under message %s: %s", message.message_id, error)
    thread = message.message_thread_id if isinstance(message, Message) else None
    await ctx.bot.send_message(
        message.chat.id,
        t("calls.expired", ctx.lang, days=days),
        reply_markup=markup,
        message_thread_id=thread,
    )


async def leave_typing(state: FSMContext, query: CallbackQuery) -> None:
    """A press on the wizard's own message ends a typed step it was waiting for."""
    draft = await load(state)
    message = query.message
    if draft is not None and message is not None and draft.message_id == message.message_id:
        await state.set_state(None)


# ----------------------------------------------------------------------------- handlers


@router.callback_query(CallsCb.filter(F.a == CallsAction.SUMMARY))
@router.callback_query(CallsCb.filter(F.a == CallsAction.REFRESH))
@router.callback_query(CallsCb.filter(F.a == CallsAction.RETRY))
async def on_summary(
    query: CallbackQuery, callback_data: CallsCb, state: FSMContext, ctx: CallsContext
) -> None:
    shown = await shown_query(query, ctx)
    if shown is None:
        return
    conn = await ctx.require_connection(query)
    if conn is None:
        return
    await query.answer()
    await leave_typing(state, query)
    await run_summary(
        query,
        ctx,
        conn,
        shown.query,
        shown.user_id,
        refresh=callback_data.a is CallsAction.REFRESH,
        again=callback_data.a is CallsAction.RETRY,
    )


@router.callback_query(CallsCb.filter(F.a == CallsAction.LIST))
async def on_list(
    query: CallbackQuery, callback_data: CallsCb, state: FSMContext, ctx: CallsContext
) -> None:
    shown = await shown_query(query, ctx)
    if shown is None:
        return
    conn = await ctx.require_connection(query)
    if conn is None:
        return
    await query.answer()
    await leave_typing(state, query)
    try:
        notice = progress_notice(lambda text: show(query, text), ctx.lang)
        async with outside_lock():
            view = await ctx.presenter.page(
                conn, shown.query, ctx.tz, ctx.lang, callback_data.p, progress=notice
            )
    except AiokkError as error:
        await show_error(query, error, ctx)
        return
    await show(query, view.text, list_keyboard(view, ctx.lang))


@router.callback_query(CallsCb.filter(F.a == CallsAction.CARD))
async def on_card(query: CallbackQuery, callback_data: CallsCb, ctx: CallsContext) -> None:
    if parse_number(callback_data.v) is None:
        await query.answer(t("error.stale", ctx.lang), show_alert=True)
        return
    shown = await shown_query(query, ctx)
    if shown is None:
        return
    conn = await ctx.require_connection(query)
    if conn is None:
        return
    try:
        async with outside_lock():
            parts = await ctx.presenter.card(
                conn, shown.query, ctx.tz, ctx.lang, int(callback_data.v)
            )
    except AiokkError as error:
        await query.answer()
        await show_error(query, error, ctx)
        return
    if parts is None:
        # Answered here rather than first: the answer is that the call is gone.
        await query.answer(t("calls.call_gone", ctx.lang), show_alert=True)
        return
    await query.answer()
    markup = card_keyboard(callback_data.p, ctx.lang)
    if len(parts) == 1:
        await show(query, parts[0], markup)
        return
    # A long card: the pressed message shows the first part, the rest follow; the last
    # part carries the buttons, and the query with them.
    await show(query, parts[0])
    message = query.message
    if not isinstance(message, Message):
        return
    last: Message | None = None
    for index, part in enumerate(parts[1:], start=1):
        last = await ctx.bot.send_message(
            message.chat.id,
            part,
            reply_markup=markup if index == len(parts) - 1 else None,
            message_thread_id=message.message_thread_id,
        )
    if last is not None:
        await ctx.shown.remember(message.chat.id, last.message_id, shown.user_id, shown.query)


@router.callback_query(CallsCb.filter(F.a == CallsAction.EXPORT))
async def on_export(query: CallbackQuery, callback_data: CallsCb, ctx: CallsContext) -> None:
    if callback_data.v not in {fmt.value for fmt in ExportFormat}:
        await query.answer(t("error.stale", ctx.lang), show_alert=True)
        return
    shown = await shown_query(query, ctx)
    if shown is None:
        return
    conn = await ctx.require_connection(query)
    if conn is None:
        return
    await launch_export(query, shown.query, ExportFormat(callback_data.v), ctx, conn)


@router.callback_query(CallsCb.filter(F.a == CallsAction.REBUILD))
async def on_rebuild(
    query: CallbackQuery, callback_data: CallsCb, state: FSMContext, ctx: CallsContext
) -> None:
    """An out-of-date results message again: its query when it is still kept (a fresh
    summary of the same filter and period), otherwise a new /calls in its place."""
    message = query.message
    number = parse_number(callback_data.v)
    if message is None or number is None:
        await query.answer(t("error.stale", ctx.lang), show_alert=True)
        return
    shown = await ctx.shown.get(message.chat.id, number)
    if shown is not None and shown.user_id != query.from_user.id:
        await query.answer(t("error.stale", ctx.lang), show_alert=True)
        return
    conn = await ctx.require_connection(query)
    if conn is None:
        return
    await query.answer()
    if shown is None:
        await open_wizard(query, state, ctx, conn)
        return
    if number != message.message_id:
        await ctx.shown.forget(message.chat.id, number)
    await run_summary(query, ctx, conn, shown.query, shown.user_id)
