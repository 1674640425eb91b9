"""/op <name> and the Operator button: find an operator, show the scorecard, open calls, export.

One handler per button; each gets the ``CallsContext`` (``ctx``) and the FSM state, where
the lookup (the person chosen, the period, the options offered) is kept."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiogram import F, Router
from aiogram.enums import ChatAction
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    User,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.aiokk.errors import AiokkError
from bot.callbacks import MenuAction, MenuCb, OperatorAction, OperatorCb, parse_number
from bot.digest.artifacts import TrendChartInput
from bot.digest.model import BadCallRule
from bot.digest.rule import BadCallMatcher
from bot.digest.service import DigestService
from bot.exports.job import ExportFormat
from bot.isolation import outside_lock
from bot.messages import error_sentence, esc, is_not_modified, show
from bot.prompts import ask_for_reply
from bot.query.model import CallQuery, OperatorPick, Period, PeriodKind, name_key, pick_labels
from bot.query.service import INTERACTIVE
from bot.reports.operator_trend import trend_caption, trend_weeks, week_label
from bot.reports.render import list_row, render_card, render_operator_card
from bot.reports.stats import LOW_RATING, LOW_SCORE, compute_stats_async
from bot.reports.trend import split_by_span, trend_points
from bot.services.calls import comparison_label, period_label, progress_notice
from bot.texts import t
from handlers.calls.context import CallsContext, install_context
from handlers.exporting import launch_export
from handlers.targets import thread_of
from storage import Connection

router = Router(name="operator")
install_context(router)

LAST_CALLS = 10
SUGGESTIONS = 8
NAME_LIMIT = 100
PERIODS = (PeriodKind.TODAY, PeriodKind.YESTERDAY, PeriodKind.D7, PeriodKind.D30, PeriodKind.ALL)


class OperatorFlow(StatesGroup):
    name = State()


@dataclass
class Lookup:
    """The operator screen's state in FSM data: the person chosen, period and offered options.

    The chosen person is matched exactly (by ``operatorId`` where the data has one), never
    as a part of a longer name: "Тимур Сейткали" is not "Тимур Сейткали Младший".
    """

    message_id: int = 0
    pick: OperatorPick | None = None
    label: str = ""  # the name, with the department for a namesake
    period: str = PeriodKind.D7.value
    options: list[OperatorPick] = field(default_factory=list)
    search: str = ""  # the text of a search that failed, for Retry

    def dump(self) -> dict[str, Any]:
        return {
            "m": self.message_id,
            "k": self.pick.dump() if self.pick else None,
            "lb": self.label,
            "p": self.period,
            "opts": [option.dump() for option in self.options],
            "q": self.search,
        }

    @classmethod
    def load(cls, data: dict[str, Any]) -> Lookup | None:
        raw = data.get("op")
        if not isinstance(raw, dict):
            return None
        try:
            # Before ids, the chosen name was stored as "n" (empty when none).
            chosen = raw.get("k", raw.get("n") or None)
            pick = OperatorPick.load(chosen) if chosen else None
            return cls(
                message_id=int(raw["m"]),
                pick=pick,
                label=str(raw.get("lb") or (pick.name if pick else "")),
                period=str(raw.get("p", PeriodKind.D7.value)),
                options=[OperatorPick.load(item) for item in raw.get("opts", [])],
                search=str(raw.get("q", "")),
            )
        except (KeyError, TypeError, ValueError):
            return None

    def choose(self, index: int) -> OperatorPick:
        self.pick = self.options[index]
        self.label = pick_labels(self.options)[index]
        return self.pick

    def query(self) -> CallQuery:
        assert self.pick is not None, "no operator chosen yet"
        return CallQuery(period=Period(PeriodKind(self.period))).with_operator(self.pick)


async def save(state: FSMContext, lookup: Lookup) -> None:
    await state.update_data(op=lookup.dump())


def cb(action: OperatorAction, value: str | int = "") -> str:
    return OperatorCb(a=action, v=str(value)).pack()


def btn(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data)


def menu_row(lang: str) -> list[InlineKeyboardButton]:
    return [btn(t("btn.menu", lang), MenuCb(action=MenuAction.MENU).pack())]


def options_keyboard(picks: list[OperatorPick], lang: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for index, label in enumerate(pick_labels(picks)):
        builder.row(btn(label[:60], cb(OperatorAction.PICK, index)))
    builder.row(*menu_row(lang))
    return builder.as_markup()


def same_person(one: OperatorPick, other: OperatorPick) -> bool:
    """By id when both have one; otherwise by the exact name (as the local filter matches)."""
    if one.id is not None and other.id is not None:
        return one.id == other.id
    return name_key(one.name) == name_key(other.name)


async def _suggestions(user_id: int, conn: Connection, ctx: CallsContext) -> list[OperatorPick]:
    picks = await ctx.lookups.recent(user_id)
    for entry in await ctx.catalog.operators(conn.id, limit=SUGGESTIONS * 2):
        candidate = entry.pick
        if not any(same_person(candidate, known) for known in picks):
            picks.append(candidate)
    return picks[:SUGGESTIONS]


@router.message(Command("op"))
async def cmd_op(
    message: Message, command: CommandObject, state: FSMContext, ctx: CallsContext
) -> None:
    conn = await ctx.require_connection(message)
    if conn is None:
        return
    text = (command.args or "").strip()
    if not text:
        await _ask(message, state, ctx, conn)
        return
    await _search(message, state, text, ctx, conn)


@router.callback_query(MenuCb.filter(F.action == MenuAction.OPERATOR))
@router.callback_query(OperatorCb.filter(F.a == OperatorAction.ASK))
async def on_operator_menu(query: CallbackQuery, state: FSMContext, ctx: CallsContext) -> None:
    conn = await ctx.require_connection(query)
    if conn is None:
        return
    await query.answer()
    await _ask(query, state, ctx, conn)


async def _ask(
    target: Message | CallbackQuery, state: FSMContext, ctx: CallsContext, conn: Connection
) -> None:
    user = target.from_user
    picks = await _suggestions(user.id if user else 0, conn, ctx)
    text = t("op.ask", ctx.lang)
    if picks:
        text += "\n\n" + t("op.recent", ctx.lang)
    sent = await show(target, text, options_keyboard(picks, ctx.lang))
    await state.set_state(OperatorFlow.name)
    await save(state, Lookup(message_id=sent.message_id if sent else 0, options=picks))
    if sent is not None and user is not None:
        await _ask_for_name(sent, user, ctx)


async def _ask_for_name(message: Message, user: User, ctx: CallsContext) -> None:
    """In a group, also ask for the name as a reply (privacy mode lets replies in)."""
    await ask_for_reply(
        ctx.bot, message.chat, user, t("op.ask", ctx.lang), ctx.lang, thread_id=thread_of(message)
    )


@router.message(OperatorFlow.name, F.text, ~F.text.startswith("/"))
async def on_name(message: Message, state: FSMContext, ctx: CallsContext) -> None:
    conn = await ctx.require_connection(message)
    if conn is not None:
        await _search(message, state, message.text or "", ctx, conn)


async def _search(
    message: Message, state: FSMContext, text: str, ctx: CallsContext, conn: Connection
) -> None:
    text = " ".join(text.split())
    if not text or len(text) > NAME_LIMIT:
        await message.answer(t("calls.invalid.text", ctx.lang))
        if message.from_user is not None and await state.get_state() == OperatorFlow.name.state:
            await _ask_for_name(message, message.from_user, ctx)
        return
    progress = await message.answer(t("op.searching", ctx.lang))
    user_id = message.chat.id if message.from_user is None else message.from_user.id
    await _find(progress, state, text, user_id, ctx, conn)


async def _find(
    progress: Message,
    state: FSMContext,
    text: str,
    user_id: int,
    ctx: CallsContext,
    conn: Connection,
    *,
    again: bool = False,
) -> None:
    """Search for ``text`` and show the result in ``progress`` (``again``: from Retry)."""
    lang = ctx.lang
    await ctx.bot.send_chat_action(progress.chat.id, ChatAction.TYPING)
    try:
        notice = progress_notice(progress.edit_text, lang)
        async with outside_lock(state) as away:
            picks = await ctx.presenter.find_operators(conn, text, ctx.tz, progress=notice)
    except AiokkError as error:
        retry = None
        if not away.moved_on:
            await save(state, Lookup(message_id=progress.message_id, search=text))
            retry = retry_keyboard(lang)
        await _edit(progress, failure_text(error, ctx, again=again), retry)
        return
    if not picks:
        await _edit(progress, t("op.not_found", lang, text=esc(text)), None)
        return
    if away.moved_on:
        # The user went on meanwhile: the buttons would need the lookup they replaced.
        await _edit(progress, t("error.stale", lang), None)
        return
    lookup = Lookup(message_id=progress.message_id, options=picks[: SUGGESTIONS * 2])
    await state.set_state(None)
    if len(picks) > 1:
        # Several people match the text, even when one name equals it: the user picks.
        await save(state, lookup)
        await progress.edit_text(
            t("op.choose", lang), reply_markup=options_keyboard(lookup.options, lang)
        )
        return
    only = lookup.choose(0)
    await save(state, lookup)
    await ctx.lookups.remember(user_id, only)
    await _scorecard(progress, state, lookup, ctx, conn)


def retry_keyboard(lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[btn(t("btn.retry", lang), cb(OperatorAction.RETRY))]]
    )


def failure_text(error: AiokkError, ctx: CallsContext, *, again: bool) -> str:
    """The error's sentence; after a Retry, first that it failed again and when (so that
    the message visibly changes)."""
    text = error_sentence(error, ctx.lang)
    if again:
        text = t("error.still_failing", ctx.lang, time=ctx.clock_time()) + "\n" + text
    return text


async def _edit(message: Message, text: str, markup: InlineKeyboardMarkup | None) -> None:
    try:
        await message.edit_text(text, reply_markup=markup)
    except TelegramBadRequest as error:
        if not is_not_modified(error):
            raise


async def _scorecard(
    target: Message | CallbackQuery,
    state: FSMContext,
    lookup: Lookup,
    ctx: CallsContext,
    conn: Connection,
    *,
    again: bool = False,
) -> None:
    lang, tz = ctx.lang, ctx.tz
    query = lookup.query()
    try:
        waiting = InlineKeyboardMarkup(inline_keyboard=[])
        notice = progress_notice(lambda text: _show(target, text, waiting), lang)
        async with outside_lock(state) as away:
            result = await ctx.presenter.fetch(conn, query, tz, progress=notice)
    except AiokkError as error:
        await _show(target, failure_text(error, ctx, again=again), retry_keyboard(lang))
        return
    stats = await compute_stats_async(result.records)
    previous = None
    previous_text = None
    if result.previous is not None:
        previous = await compute_stats_async(result.previous)
        previous_text = comparison_label(result, lang)
    text = render_operator_card(
        lookup.label,
        stats,
        previous,
        period_label=period_label(query, lang),
        lang=lang,
        previous_label=previous_text,
    )
    builder = InlineKeyboardBuilder()
    for record in result.typed_range(0, LAST_CALLS):
        builder.row(btn(list_row(record, tz, lang)[:60], cb(OperatorAction.CARD, record.dialog_id)))
    periods = [
        btn(("• " if kind.value == lookup.period else "") + t(f"period.{kind.value}", lang),
            cb(OperatorAction.PERIOD, kind.value))
        for kind in PERIODS
    ]  # fmt: skip
    builder.row(*periods[:3])
    builder.row(*periods[3:])
    if stats.total:
        builder.row(
            btn(t("calls.btn.xlsx", lang), cb(OperatorAction.EXPORT, ExportFormat.XLSX)),
            btn(t("op.btn.trend", lang), cb(OperatorAction.TREND)),
        )
    else:
        builder.row(btn(t("op.btn.trend", lang), cb(OperatorAction.TREND)))
    builder.row(btn(t("btn.back", lang), cb(OperatorAction.ASK)), *menu_row(lang))
    if away.moved_on:  # the user went on meanwhile: no buttons that need this lookup
        builder = InlineKeyboardBuilder()
        builder.row(*menu_row(lang))
    await _show(target, text, builder.as_markup())


async def _show(target: Message | CallbackQuery, text: str, markup: InlineKeyboardMarkup) -> None:
    if isinstance(target, Message):
        await target.edit_text(text, reply_markup=markup)
    else:
        await show(target, text, markup)


# ------------------------------------------------------------------ scorecard buttons


async def _pressed(
    query: CallbackQuery, state: FSMContext, ctx: CallsContext
) -> tuple[Lookup, Connection] | None:
    """The lookup of this very message and the connection; otherwise the press is answered
    (out of date, or not connected) and None returned."""
    lookup = Lookup.load(await state.get_data())
    message = query.message
    if lookup is None or message is None or lookup.message_id != message.message_id:
        await query.answer(t("error.stale", ctx.lang), show_alert=True)
        return None
    conn = await ctx.require_connection(query)
    if conn is None:
        return None
    return lookup, conn


async def _stale(query: CallbackQuery, ctx: CallsContext) -> None:
    await query.answer(t("error.stale", ctx.lang), show_alert=True)


@router.callback_query(OperatorCb.filter(F.a == OperatorAction.PICK))
async def on_pick(
    query: CallbackQuery, callback_data: OperatorCb, state: FSMContext, ctx: CallsContext
) -> None:
    pressed = await _pressed(query, state, ctx)
    if pressed is None:
        return
    lookup, conn = pressed
    number = parse_number(callback_data.v)
    if number is None or number >= len(lookup.options):
        await _stale(query, ctx)
        return
    await query.answer()
    chosen = lookup.choose(number)
    await state.set_state(None)
    await ctx.lookups.remember(query.from_user.id, chosen)
    await save(state, lookup)
    await _typing(query, ctx)
    await _scorecard(query, state, lookup, ctx, conn)


@router.callback_query(OperatorCb.filter(F.a == OperatorAction.PERIOD))
async def on_period(
    query: CallbackQuery, callback_data: OperatorCb, state: FSMContext, ctx: CallsContext
) -> None:
    pressed = await _pressed(query, state, ctx)
    if pressed is None:
        return
    lookup, conn = pressed
    if lookup.pick is None or callback_data.v not in {kind.value for kind in PERIODS}:
        await _stale(query, ctx)
        return
    await query.answer()
    lookup.period = callback_data.v
    await save(state, lookup)
    await _typing(query, ctx)
    await _scorecard(query, state, lookup, ctx, conn)


@router.callback_query(OperatorCb.filter(F.a == OperatorAction.RETRY))
async def on_retry(query: CallbackQuery, state: FSMContext, ctx: CallsContext) -> None:
    """Retry what failed on this message: the search, or the scorecard."""
    pressed = await _pressed(query, state, ctx)
    if pressed is None:
        return
    lookup, conn = pressed
    if lookup.pick is None and not lookup.search:
        await _stale(query, ctx)
        return
    await query.answer()
    message = query.message
    if lookup.pick is None:
        if isinstance(message, Message):
            await _find(message, state, lookup.search, query.from_user.id, ctx, conn, again=True)
        return
    await _typing(query, ctx)
    await _scorecard(query, state, lookup, ctx, conn, again=True)


@router.callback_query(OperatorCb.filter(F.a == OperatorAction.EXPORT))
async def on_export(query: CallbackQuery, state: FSMContext, ctx: CallsContext) -> None:
    pressed = await _pressed(query, state, ctx)
    if pressed is None:
        return
    lookup, conn = pressed
    if lookup.pick is None:
        await _stale(query, ctx)
        return
    await launch_export(query, lookup.query(), ExportFormat.XLSX, ctx, conn)


@router.callback_query(OperatorCb.filter(F.a == OperatorAction.TREND))
async def on_trend(
    query: CallbackQuery, state: FSMContext, ctx: CallsContext, digests: DigestService
) -> None:
    """The operator's last 8 weeks as a chart: one fetch of the whole range, split by week."""
    pressed = await _pressed(query, state, ctx)
    if pressed is None:
        return
    lookup, conn = pressed
    message = query.message
    if lookup.pick is None or message is None:
        await _stale(query, ctx)
        return
    lang, tz = ctx.lang, ctx.tz
    spans = trend_weeks(ctx.now().astimezone(tz).date())
    weeks = CallQuery(period=Period.custom(spans[0][0], spans[-1][1])).with_operator(lookup.pick)
    await query.answer()
    await ctx.bot.send_chat_action(message.chat.id, ChatAction.UPLOAD_PHOTO)
    thread = message.message_thread_id if isinstance(message, Message) else None
    try:
        async with outside_lock():
            result = await ctx.presenter.service.fetch(conn, weeks, tz, policy=INTERACTIVE)
    except AiokkError as error:
        await ctx.bot.send_message(
            message.chat.id, error_sentence(error, lang), message_thread_id=thread
        )
        return
    low = BadCallMatcher(BadCallRule(max_rating=LOW_RATING, min_score=LOW_SCORE))
    points = trend_points(split_by_span(result.records, spans, tz), spans, low.is_bad)
    chart = await digests.artifacts.chart(
        TrendChartInput(
            labels=tuple(week_label(point.span) for point in points),
            script=tuple(point.script for point in points),
            bad_share=tuple(point.bad_share for point in points),
            title=t("op.trend.title", lang, name=lookup.pick.name),
            lang=lang,
        )
    )
    await ctx.bot.send_photo(
        message.chat.id,
        BufferedInputFile(chart, filename="trend.png"),
        caption=trend_caption(lookup.label, points, lang),
        message_thread_id=thread,
    )


async def _typing(query: CallbackQuery, ctx: CallsContext) -> None:
    if query.message is not None:
        await ctx.bot.send_chat_action(query.message.chat.id, ChatAction.TYPING)


@router.callback_query(OperatorCb.filter(F.a == OperatorAction.CARD))
async def on_card(
    query: CallbackQuery, callback_data: OperatorCb, state: FSMContext, ctx: CallsContext
) -> None:
    pressed = await _pressed(query, state, ctx)
    if pressed is None:
        return
    lookup, conn = pressed
    dialog_id = parse_number(callback_data.v)
    if lookup.pick is None or dialog_id is None:
        await _stale(query, ctx)
        return
    try:
        async with outside_lock():
            result = await ctx.presenter.fetch(conn, lookup.query(), ctx.tz)
    except AiokkError as error:
        await query.answer(error_sentence(error, ctx.lang), show_alert=True)
        return
    record = result.find(dialog_id)
    if record is None or query.message is None:
        # Answered here rather than first: the answer is that the call is gone.
        await query.answer(t("calls.call_gone", ctx.lang), show_alert=True)
        return
    await query.answer()
    # The card arrives as new messages so that the scorecard and its buttons stay above.
    for part in render_card(record, tz=ctx.tz, lang=ctx.lang):
        await ctx.bot.send_message(
            query.message.chat.id,
            part,
            message_thread_id=(
                query.message.message_thread_id if isinstance(query.message, Message) else None
            ),
        )
