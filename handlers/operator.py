"""/op <name> and the Operator button: find an operator, show the scorecard, open calls, export."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.enums import ChatAction
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.aiokk.errors import AiokkError
from bot.callbacks import MenuAction, MenuCb, OperatorAction, OperatorCb, parse_number
from bot.config import Settings
from bot.exports.job import ExportFormat
from bot.exports.service import ExportService
from bot.isolation import outside_lock
from bot.messages import error_sentence, esc, is_not_modified, show
from bot.query.model import CallQuery, OperatorPick, Period, PeriodKind, name_key, pick_labels
from bot.reports.render import list_row, render_card, render_operator_card
from bot.reports.stats import compute_stats_async
from bot.services.calls import CallsPresenter, comparison_label, period_label, progress_notice
from bot.texts import t
from handlers.calls import clock_time
from handlers.exporting import launch_export
from storage import CatalogRepo, ChatSettings, Connection, OperatorLookupRepo

router = Router(name="operator")

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


async def _suggestions(
    user_id: int, conn: Connection, lookups: OperatorLookupRepo, catalog: CatalogRepo
) -> list[OperatorPick]:
    picks = await lookups.recent(user_id)
    for entry in await catalog.operators(conn.id, limit=SUGGESTIONS * 2):
        candidate = entry.pick
        if not any(same_person(candidate, known) for known in picks):
            picks.append(candidate)
    return picks[:SUGGESTIONS]


@router.message(Command("op"))
async def cmd_op(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    lang: str,
    tz: ZoneInfo,
    bot: Bot,
    connection: Connection | None,
    calls_presenter: CallsPresenter,
    lookups: OperatorLookupRepo,
    catalog: CatalogRepo,
) -> None:
    if connection is None:
        await message.answer(t("calls.not_connected", lang))
        return
    text = (command.args or "").strip()
    if not text:
        await _ask(message, state, lang, connection, lookups, catalog)
        return
    await _search(message, state, text, lang, tz, bot, connection, calls_presenter, lookups)


@router.callback_query(MenuCb.filter(F.action == MenuAction.OPERATOR))
@router.callback_query(OperatorCb.filter(F.a == OperatorAction.ASK))
async def on_operator_menu(
    query: CallbackQuery,
    state: FSMContext,
    lang: str,
    connection: Connection | None,
    lookups: OperatorLookupRepo,
    catalog: CatalogRepo,
) -> None:
    if connection is None:
        await query.answer(t("calls.not_connected", lang), show_alert=True)
        return
    await query.answer()
    await _ask(query, state, lang, connection, lookups, catalog)


async def _ask(
    target: Message | CallbackQuery,
    state: FSMContext,
    lang: str,
    conn: Connection,
    lookups: OperatorLookupRepo,
    catalog: CatalogRepo,
) -> None:
    picks = await _suggestions(
        target.from_user.id if target.from_user else 0, conn, lookups, catalog
    )
    text = t("op.ask", lang)
    if picks:
        text += "\n\n" + t("op.recent", lang)
    sent = await show(target, text, options_keyboard(picks, lang))
    await state.set_state(OperatorFlow.name)
    await save(state, Lookup(message_id=sent.message_id if sent else 0, options=picks))


@router.message(OperatorFlow.name, F.text, ~F.text.startswith("/"))
async def on_name(
    message: Message,
    state: FSMContext,
    lang: str,
    tz: ZoneInfo,
    bot: Bot,
    connection: Connection | None,
    calls_presenter: CallsPresenter,
    lookups: OperatorLookupRepo,
) -> None:
    if connection is None:
        await message.answer(t("calls.not_connected", lang))
        return
    await _search(
        message, state, message.text or "", lang, tz, bot, connection, calls_presenter, lookups
    )


async def _search(
    message: Message,
    state: FSMContext,
    text: str,
    lang: str,
    tz: ZoneInfo,
    bot: Bot,
    conn: Connection,
    presenter: CallsPresenter,
    lookups: OperatorLookupRepo,
) -> None:
    text = " ".join(text.split())
    if not text or len(text) > NAME_LIMIT:
        await message.answer(t("calls.invalid.text", lang))
        return
    progress = await message.answer(t("op.searching", lang))
    user_id = message.chat.id if message.from_user is None else message.from_user.id
    await _find(progress, state, text, user_id, lang, tz, bot, conn, presenter, lookups)


async def _find(
    progress: Message,
    state: FSMContext,
    text: str,
    user_id: int,
    lang: str,
    tz: ZoneInfo,
    bot: Bot,
    conn: Connection,
    presenter: CallsPresenter,
    lookups: OperatorLookupRepo,
    *,
    again: bool = False,
) -> None:
    """Search for ``text`` and show the result in ``progress`` (``again``: from Retry)."""
    await bot.send_chat_action(progress.chat.id, ChatAction.TYPING)
    try:
        notice = progress_notice(progress.edit_text, lang)
        async with outside_lock(state) as away:
            picks = await presenter.find_operators(conn, text, tz, progress=notice)
    except AiokkError as error:
        retry = None
        if not away.moved_on:
            await save(state, Lookup(message_id=progress.message_id, search=text))
            retry = retry_keyboard(lang)
        await _edit(progress, failure_text(error, lang, presenter, tz, again=again), retry)
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
    await lookups.remember(user_id, only)
    await _scorecard(progress, state, lookup, lang, tz, conn, presenter)


def retry_keyboard(lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[btn(t("btn.retry", lang), cb(OperatorAction.RETRY))]]
    )


def failure_text(
    error: AiokkError, lang: str, presenter: CallsPresenter, tz: ZoneInfo, *, again: bool
) -> str:
    """The error's sentence; after a Retry, first that it failed again and when (so that
    the message visibly changes)."""
    text = error_sentence(error, lang)
    if again:
        text = t("error.still_failing", lang, time=clock_time(presenter, tz)) + "\n" + text
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
    lang: str,
    tz: ZoneInfo,
    conn: Connection,
    presenter: CallsPresenter,
    *,
    again: bool = False,
) -> None:
    query = lookup.query()
    try:
        waiting = InlineKeyboardMarkup(inline_keyboard=[])
        notice = progress_notice(lambda text: _show(target, text, waiting), lang)
        async with outside_lock(state) as away:
            result = await presenter.fetch(conn, query, tz, progress=notice)
    except AiokkError as error:
        text = failure_text(error, lang, presenter, tz, again=again)
        await _show(target, text, retry_keyboard(lang))
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
        builder.row(btn(t("calls.btn.xlsx", lang), cb(OperatorAction.EXPORT, ExportFormat.XLSX)))
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


@router.callback_query(OperatorCb.filter())
async def on_operator_button(
    query: CallbackQuery,
    callback_data: OperatorCb,
    state: FSMContext,
    lang: str,
    tz: ZoneInfo,
    bot: Bot,
    settings: Settings,
    chat_settings: ChatSettings,
    connection: Connection | None,
    calls_presenter: CallsPresenter,
    lookups: OperatorLookupRepo,
    exports: ExportService,
) -> None:
    lookup = Lookup.load(await state.get_data())
    message = query.message
    if lookup is None or message is None or lookup.message_id != message.message_id:
        await query.answer(t("error.stale", lang), show_alert=True)
        return
    if connection is None:
        await query.answer(t("calls.not_connected", lang), show_alert=True)
        return
    value = callback_data.v
    action = callback_data.a
    if action is OperatorAction.EXPORT and lookup.pick is not None:
        await launch_export(
            query,
            lookup.query(),
            ExportFormat.XLSX,
            lang=lang,
            tz=tz,
            bot=bot,
            settings=settings,
            chat_settings=chat_settings,
            conn=connection,
            presenter=calls_presenter,
            exports=exports,
        )
        return
    number = parse_number(value)
    pick = action is OperatorAction.PICK and number is not None and number < len(lookup.options)
    chosen = lookup.pick is not None
    period = action is OperatorAction.PERIOD and chosen and value in {k.value for k in PERIODS}
    card = action is OperatorAction.CARD and chosen and number is not None
    retry = action is OperatorAction.RETRY and (chosen or bool(lookup.search))
    if not (pick or period or card or retry):
        await query.answer(t("error.stale", lang), show_alert=True)
        return
    if card:
        # Answered inside: the answer may be "that call is gone".
        await _card(query, lookup, int(value), lang, tz, bot, connection, calls_presenter)
        return
    # A press is answered exactly once: Telegram refuses a second answer.
    await query.answer()
    if retry and not chosen:
        if isinstance(message, Message):
            await _find(
                message,
                state,
                lookup.search,
                query.from_user.id,
                lang,
                tz,
                bot,
                connection,
                calls_presenter,
                lookups,
                again=True,
            )
        return
    if retry:
        await bot.send_chat_action(message.chat.id, ChatAction.TYPING)
        await _scorecard(query, state, lookup, lang, tz, connection, calls_presenter, again=True)
        return
    if pick:
        chosen_pick = lookup.choose(int(value))
        await state.set_state(None)
        await lookups.remember(query.from_user.id, chosen_pick)
    else:
        lookup.period = value
    await save(state, lookup)
    await bot.send_chat_action(message.chat.id, ChatAction.TYPING)
    await _scorecard(query, state, lookup, lang, tz, connection, calls_presenter)


async def _card(
    query: CallbackQuery,
    lookup: Lookup,
    dialog_id: int,
    lang: str,
    tz: ZoneInfo,
    bot: Bot,
    conn: Connection,
    presenter: CallsPresenter,
) -> None:
    try:
        async with outside_lock():
            result = await presenter.fetch(conn, lookup.query(), tz)
    except AiokkError as error:
        await query.answer(error_sentence(error, lang), show_alert=True)
        return
    record = result.find(dialog_id)
    if record is None or query.message is None:
        await query.answer(t("calls.call_gone", lang), show_alert=True)
        return
    await query.answer()
    # The card arrives as new messages so that the scorecard and its buttons stay above.
    for part in render_card(record, tz=tz, lang=lang):
        await bot.send_message(
            query.message.chat.id,
            part,
            message_thread_id=(
                query.message.message_thread_id if isinstance(query.message, Message) else None
            ),
        )
