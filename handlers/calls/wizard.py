"""/calls: the wizard's steps, one handler per button. They work on the live draft, which
belongs to the one wizard message the user has open."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.callbacks import CallsAction, CallsCb, MenuAction, MenuCb
from bot.messages import show
from bot.query.model import Period, PeriodKind
from bot.texts import t
from handlers.calls.context import CallsContext
from handlers.calls.draft import (
    FIELDS,
    TYPED_FIELDS,
    CallsFlow,
    Draft,
    apply_choice,
    is_acceptable,
    load,
    save,
    without,
)
from handlers.calls.keyboards import (
    cb,
    custom_period_question,
    filters_screen,
    only_menu,
    open_wizard,
    period_screen,
    typed_screen,
    value_screen,
)
from handlers.calls.results import run_summary
from handlers.targets import ask_presser
from storage import Connection

router = Router(name="calls.wizard")


@router.message(Command("calls"))
async def cmd_calls(message: Message, state: FSMContext, ctx: CallsContext) -> None:
    conn = await ctx.require_connection(message)
    if conn is not None:
        await open_wizard(message, state, ctx, conn)


@router.callback_query(MenuCb.filter(F.action == MenuAction.CALLS))
async def on_calls_menu(query: CallbackQuery, state: FSMContext, ctx: CallsContext) -> None:
    conn = await ctx.require_connection(query)
    if conn is None:
        return
    await query.answer()
    await open_wizard(query, state, ctx, conn)


async def wizard_press(
    query: CallbackQuery, callback_data: CallsCb, state: FSMContext, ctx: CallsContext
) -> tuple[Draft, Connection] | None:
    """The presser's draft for this very message and their connection; otherwise the press
    is answered (out of date, or not connected) and None returned."""
    draft = await load(state)
    message = query.message
    if draft is None or message is None or draft.message_id != message.message_id:
        await query.answer(t("error.stale", ctx.lang), show_alert=True)
        return None
    conn = await ctx.require_connection(query)
    if conn is None:
        return None
    if not is_acceptable(callback_data, draft):
        await query.answer(t("error.stale", ctx.lang), show_alert=True)
        return None
    # A press is answered exactly once: Telegram refuses a second answer.
    await query.answer()
    return draft, conn


async def step(
    query: CallbackQuery,
    state: FSMContext,
    draft: Draft,
    screen: tuple[str, InlineKeyboardMarkup],
    to: State | None = None,
) -> None:
    """Show the next screen of the wizard: the flow's state, the draft saved, the edit."""
    await state.set_state(to)
    await save(state, draft)
    await show(query, *screen)


@router.callback_query(CallsCb.filter(F.a == CallsAction.FILTERS))
async def on_filters(query: CallbackQuery, state: FSMContext, ctx: CallsContext) -> None:
    """Back to the filters: of the draft on its message; from a results message that is not
    the draft's, a new draft starts from the query the message shows."""
    message = query.message
    draft = await load(state)
    if message is not None and (draft is None or draft.message_id != message.message_id):
        shown = await ctx.shown.current(message.chat.id, message.message_id)
        draft = None
        if shown is not None and shown.user_id == query.from_user.id:
            draft = Draft(query=shown.query, message_id=message.message_id)
    if draft is None or message is None:
        await query.answer(t("error.stale", ctx.lang), show_alert=True)
        return
    conn = await ctx.require_connection(query)
    if conn is None:
        return
    await query.answer()
    await step(query, state, draft, await filters_screen(ctx.presenter, conn, draft, ctx.lang))


@router.callback_query(CallsCb.filter(F.a == CallsAction.FIELD))
async def on_field(
    query: CallbackQuery, callback_data: CallsCb, state: FSMContext, ctx: CallsContext
) -> None:
    pressed = await wizard_press(query, callback_data, state, ctx)
    if pressed is None:
        return
    draft, conn = pressed
    code, page = callback_data.f, callback_data.p
    screen = await value_screen(ctx.catalog, conn, draft, code, page, ctx.lang)
    # Back from a typed value lands here too: the typing is over.
    await step(query, state, draft, screen)


@router.callback_query(CallsCb.filter(F.a == CallsAction.REMOVE))
async def on_remove(
    query: CallbackQuery, callback_data: CallsCb, state: FSMContext, ctx: CallsContext
) -> None:
    pressed = await wizard_press(query, callback_data, state, ctx)
    if pressed is None:
        return
    draft, conn = pressed
    draft.query = without(draft.query, callback_data.f)
    await step(query, state, draft, await filters_screen(ctx.presenter, conn, draft, ctx.lang))


@router.callback_query(CallsCb.filter(F.a == CallsAction.SET))
async def on_set(
    query: CallbackQuery, callback_data: CallsCb, state: FSMContext, ctx: CallsContext
) -> None:
    pressed = await wizard_press(query, callback_data, state, ctx)
    if pressed is None:
        return
    draft, conn = pressed
    updated = apply_choice(draft, callback_data.f, callback_data.v)
    if updated is None:  # ruled out by is_acceptable
        return
    draft.query = updated
    draft.text = ""
    await step(query, state, draft, await period_screen(ctx.presenter, conn, draft, ctx.lang))


@router.callback_query(CallsCb.filter(F.a == CallsAction.TYPE))
async def on_type(
    query: CallbackQuery, callback_data: CallsCb, state: FSMContext, ctx: CallsContext
) -> None:
    pressed = await wizard_press(query, callback_data, state, ctx)
    if pressed is None:
        return
    draft, _ = pressed
    code = callback_data.f
    assert code in TYPED_FIELDS, "checked by is_acceptable"
    draft.typing = code
    question = t(f"calls.type.{code}", ctx.lang)
    screen = typed_screen(question, ctx.lang, cb(CallsAction.FIELD, code))
    await step(query, state, draft, screen, CallsFlow.typing)
    await ask_presser(query, ctx.bot, question, ctx.lang)


@router.callback_query(CallsCb.filter(F.a == CallsAction.PERIODS))
async def on_periods(
    query: CallbackQuery, callback_data: CallsCb, state: FSMContext, ctx: CallsContext
) -> None:
    pressed = await wizard_press(query, callback_data, state, ctx)
    if pressed is None:
        return
    draft, conn = pressed
    await step(query, state, draft, await period_screen(ctx.presenter, conn, draft, ctx.lang))


@router.callback_query(CallsCb.filter(F.a == CallsAction.CUSTOM))
async def on_custom(
    query: CallbackQuery, callback_data: CallsCb, state: FSMContext, ctx: CallsContext
) -> None:
    pressed = await wizard_press(query, callback_data, state, ctx)
    if pressed is None:
        return
    draft, _ = pressed
    question = custom_period_question(ctx.lang, ctx.now().astimezone(ctx.tz).date())
    screen = typed_screen(question, ctx.lang, cb(CallsAction.PERIODS))
    await step(query, state, draft, screen, CallsFlow.custom_period)
    await ask_presser(query, ctx.bot, question, ctx.lang)


@router.callback_query(CallsCb.filter(F.a == CallsAction.PERIOD))
async def on_period(
    query: CallbackQuery, callback_data: CallsCb, state: FSMContext, ctx: CallsContext
) -> None:
    pressed = await wizard_press(query, callback_data, state, ctx)
    if pressed is None:
        return
    draft, conn = pressed
    draft.query = draft.query.with_(period=Period(PeriodKind(callback_data.v)))
    await state.set_state(None)
    await save(state, draft)
    await run_summary(query, ctx, conn, draft.query, query.from_user.id)


@router.callback_query(CallsCb.filter(F.a == CallsAction.CANCEL))
async def on_cancel(
    query: CallbackQuery, callback_data: CallsCb, state: FSMContext, ctx: CallsContext
) -> None:
    pressed = await wizard_press(query, callback_data, state, ctx)
    if pressed is None:
        return
    await state.clear()
    if query.message is not None:
        await ctx.shown.forget(query.message.chat.id, query.message.message_id)
    await show(query, t("error.cancelled", ctx.lang), only_menu(ctx.lang))


__all__ = ["FIELDS", "router"]
