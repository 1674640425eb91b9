"""/op <name> and the Operator button: find an operator, show the scorecard, open calls, export."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.enums import ChatAction
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.aiokk.errors import AiokkError
from bot.callbacks import MenuAction, MenuCb, OperatorAction, OperatorCb
from bot.config import Settings
from bot.exports.job import ExportFormat
from bot.exports.service import ExportService
from bot.messages import error_sentence, esc, show
from bot.query.model import CallQuery, Period, PeriodKind
from bot.reports.render import list_row, render_card, render_operator_card
from bot.reports.stats import compute_stats_async
from bot.services.calls import CallsPresenter, period_label
from bot.texts import t
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
    """The operator screen's state in FSM data: the chosen name, period and offered options."""

    message_id: int = 0
    name: str = ""
    period: str = PeriodKind.D7.value
    options: list[str] = field(default_factory=list)

    def dump(self) -> dict[str, Any]:
        return {"m": self.message_id, "n": self.name, "p": self.period, "opts": self.options}

    @classmethod
    def load(cls, data: dict[str, Any]) -> Lookup | None:
        raw = data.get("op")
        if not isinstance(raw, dict):
            return None
        try:
            return cls(
                message_id=int(raw["m"]),
                name=str(raw.get("n", "")),
                period=str(raw.get("p", PeriodKind.D7.value)),
                options=[str(item) for item in raw.get("opts", [])],
            )
        except (KeyError, TypeError, ValueError):
            return None

    def query(self) -> CallQuery:
        return CallQuery(operator=self.name, period=Period(PeriodKind(self.period)))


async def save(state: FSMContext, lookup: Lookup) -> None:
    await state.update_data(op=lookup.dump())


def cb(action: OperatorAction, value: str | int = "") -> str:
    return OperatorCb(a=action, v=str(value)).pack()


def btn(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data)


def menu_row(lang: str) -> list[InlineKeyboardButton]:
    return [btn(t("btn.menu", lang), MenuCb(action=MenuAction.MENU).pack())]


def options_keyboard(names: list[str], lang: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for index, name in enumerate(names):
        builder.row(btn(name[:60], cb(OperatorAction.PICK, index)))
    builder.row(*menu_row(lang))
    return builder.as_markup()


async def _suggestions(
    user_id: int, conn: Connection, lookups: OperatorLookupRepo, catalog: CatalogRepo
) -> list[str]:
    names = await lookups.recent(user_id)
    for entry in await catalog.operators(conn.id, limit=SUGGESTIONS * 2):
        if entry.name not in names:
            names.append(entry.name)
    return names[:SUGGESTIONS]


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
    names = await _suggestions(
        target.from_user.id if target.from_user else 0, conn, lookups, catalog
    )
    text = t("op.ask", lang)
    if names:
        text += "\n\n" + t("op.recent", lang)
    sent = await show(target, text, options_keyboard(names, lang))
    await state.set_state(OperatorFlow.name)
    await save(state, Lookup(message_id=sent.message_id if sent else 0, options=names))


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
    await bot.send_chat_action(message.chat.id, ChatAction.TYPING)
    try:
        names = await presenter.service.find_operators(conn, text, tz)
    except AiokkError as error:
        await progress.edit_text(error_sentence(error, lang))
        return
    if not names:
        await progress.edit_text(t("op.not_found", lang, text=esc(text)))
        return
    lookup = Lookup(message_id=progress.message_id, options=names[: SUGGESTIONS * 2])
    await state.set_state(None)
    if len(names) > 1:
        await save(state, lookup)
        await progress.edit_text(
            t("op.choose", lang), reply_markup=options_keyboard(lookup.options, lang)
        )
        return
    lookup.name = names[0]
    await save(state, lookup)
    await lookups.remember(
        message.chat.id if message.from_user is None else message.from_user.id, names[0]
    )
    await _scorecard(progress, lookup, lang, tz, conn, presenter)


async def _scorecard(
    target: Message | CallbackQuery,
    lookup: Lookup,
    lang: str,
    tz: ZoneInfo,
    conn: Connection,
    presenter: CallsPresenter,
) -> None:
    query = lookup.query()
    try:
        result = await presenter.fetch(conn, query, tz)
    except AiokkError as error:
        retry = InlineKeyboardMarkup(
            inline_keyboard=[[btn(t("btn.retry", lang), cb(OperatorAction.PERIOD, lookup.period))]]
        )
        await _show(target, error_sentence(error, lang), retry)
        return
    stats = await compute_stats_async(result.records)
    previous = None
    if result.previous is not None:
        previous = await compute_stats_async(result.previous)
    text = render_operator_card(
        lookup.name, stats, previous, period_label=period_label(query, lang), lang=lang
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
    if action is OperatorAction.EXPORT and lookup.name:
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
    pick = action is OperatorAction.PICK and value.isdigit() and int(value) < len(lookup.options)
    chosen = bool(lookup.name)
    period = action is OperatorAction.PERIOD and chosen and value in {k.value for k in PERIODS}
    card = action is OperatorAction.CARD and chosen and value.isdigit()
    if not (pick or period or card):
        await query.answer(t("error.stale", lang), show_alert=True)
        return
    if card:
        # Answered inside: the answer may be "that call is gone".
        await _card(query, lookup, int(value), lang, tz, bot, connection, calls_presenter)
        return
    # A press is answered exactly once: Telegram refuses a second answer.
    await query.answer()
    if pick:
        lookup.name = lookup.options[int(value)]
        await state.set_state(None)
        await lookups.remember(query.from_user.id, lookup.name)
    else:
        lookup.period = value
    await save(state, lookup)
    await bot.send_chat_action(message.chat.id, ChatAction.TYPING)
    await _scorecard(query, lookup, lang, tz, connection, calls_presenter)


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
