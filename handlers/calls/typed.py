"""/calls: typed answers (an id, an operator's name, a signal word, custom dates)."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot.aiokk.errors import AiokkError
from bot.callbacks import CallsAction
from bot.isolation import outside_lock
from bot.prompts import ask_for_reply
from bot.query.model import PeriodError, read_custom_period
from bot.services.calls import progress_notice
from bot.texts import t
from handlers.calls.context import CallsContext
from handlers.calls.draft import TYPED_FIELDS, CallsFlow, Draft, load, parse_typed_value, save
from handlers.calls.keyboards import (
    OPERATOR_CHOICES,
    cb,
    custom_period_question,
    operator_choice_screen,
    period_screen,
    typed_screen,
)
from handlers.calls.results import put, run_summary
from handlers.targets import thread_of
from storage import Connection

log = logging.getLogger(__name__)

router = Router(name="calls.typed")


async def ask_again(
    message: Message, ctx: CallsContext, state: FSMContext, draft: Draft, problem: str,
    question: str, back: str,
) -> None:  # fmt: skip
    """Say what was wrong and ask again, in a new wizard message (and as a reply in a group)."""
    text, markup = typed_screen(problem + "\n\n" + question, ctx.lang, back)
    sent = await message.answer(text, reply_markup=markup)
    draft.message_id = sent.message_id
    await save(state, draft)
    if message.from_user is not None:
        await ask_for_reply(
            ctx.bot,
            message.chat,
            message.from_user,
            question,
            ctx.lang,
            thread_id=thread_of(message),
        )


@router.message(CallsFlow.typing, F.text, ~F.text.startswith("/"))
async def on_typed_value(message: Message, state: FSMContext, ctx: CallsContext) -> None:
    draft = await load(state)
    conn = await ctx.require_connection(message)
    if draft is None or conn is None or draft.typing not in TYPED_FIELDS:
        await state.clear()
        await message.answer(t("error.stale", ctx.lang))
        return
    code = draft.typing
    updated = parse_typed_value(draft.query, code, message.text or "")
    if updated is None:
        key = "calls.invalid.id" if code in {"d", "q"} else "calls.invalid.text"
        question = t(f"calls.type.{code}", ctx.lang)
        await ask_again(
            message, ctx, state, draft, t(key, ctx.lang), question, cb(CallsAction.FIELD, code)
        )
        return
    draft.typing = ""
    await state.set_state(None)
    if code == "o" and updated.operator:
        await _typed_operator(message, state, ctx, conn, draft, updated.operator)
        return
    draft.query = updated
    text, markup = await period_screen(ctx.presenter, conn, draft, ctx.lang)
    sent = await message.answer(text, reply_markup=markup)
    draft.message_id = sent.message_id
    await save(state, draft)


async def _typed_operator(
    message: Message,
    state: FSMContext,
    ctx: CallsContext,
    conn: Connection,
    draft: Draft,
    text: str,
) -> None:
    """A typed name: the one person it fits, a choice among several (ranked as found, and
    "everyone whose name contains it"), or, fitting nobody known, the text as "contains"."""
    progress = await message.answer(t("calls.op_searching", ctx.lang))
    draft.message_id = progress.message_id
    await save(state, draft)
    try:
        notice = progress_notice(progress.edit_text, ctx.lang)
        async with outside_lock(state) as away:
            picks = await ctx.presenter.find_operators(conn, text, ctx.tz, progress=notice)
    except AiokkError as error:
        # The summary asks aiokk again and reports its error with Retry; until then the
        # text keeps its meaning of every name that contains it.
        log.info("operator search for a typed name failed: %s", error)
        picks = []
    else:
        if away.moved_on:  # the user went on meanwhile: their draft is not this one
            await put(progress, t("error.stale", ctx.lang), None)
            return
    if len(picks) == 1:
        draft.query = draft.query.with_operator(picks[0])
    elif picks:
        offered = picks[:OPERATOR_CHOICES]
        draft.options["o"] = [pick.dump() for pick in offered]
        draft.text = text
        screen, markup = operator_choice_screen(offered, text, ctx.lang)
        await save(state, draft)
        await put(progress, screen, markup)
        return
    else:
        draft.query = draft.query.with_operator_text(text)
    screen, markup = await period_screen(ctx.presenter, conn, draft, ctx.lang)
    await save(state, draft)
    await put(progress, screen, markup)


@router.message(CallsFlow.custom_period, F.text, ~F.text.startswith("/"))
async def on_custom_period(message: Message, state: FSMContext, ctx: CallsContext) -> None:
    draft = await load(state)
    conn = await ctx.require_connection(message)
    if draft is None or conn is None:
        await state.clear()
        await message.answer(t("error.stale", ctx.lang))
        return
    today = ctx.now().astimezone(ctx.tz).date()
    try:
        reading = read_custom_period(message.text or "", today)
    except PeriodError as error:
        problem = t(f"period_error.{error.reason}", ctx.lang)
        question = custom_period_question(ctx.lang, today)
        await ask_again(message, ctx, state, draft, problem, question, cb(CallsAction.PERIODS))
        return
    if reading.end_clipped:
        await message.answer(t("input.period.clipped", ctx.lang, end=today.strftime("%d.%m.%Y")))
    draft.query = draft.query.with_(period=reading.period)
    await state.set_state(None)
    progress = await message.answer(t("calls.loading", ctx.lang))
    draft.message_id = progress.message_id
    await save(state, draft)
    owner = message.from_user.id if message.from_user is not None else message.chat.id
    await run_summary(progress, ctx, conn, draft.query, owner)


__all__ = ["router"]
