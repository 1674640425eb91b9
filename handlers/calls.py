"""/calls: filters, value, period, summary, list, card and exports, in one edited message."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.enums import ChatAction
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.aiokk.errors import AiokkError
from bot.callbacks import CallsAction, CallsCb, MenuAction, MenuCb, parse_number
from bot.config import Settings
from bot.exports.job import ExportFormat
from bot.exports.service import ExportService
from bot.isolation import outside_lock
from bot.messages import error_sentence, esc, show
from bot.query.model import (
    CallQuery,
    OperatorPick,
    Period,
    PeriodError,
    PeriodKind,
    parse_custom_period,
    pick_labels,
)
from bot.services.calls import CallButton, CallsPresenter, SummaryView, progress_notice
from bot.texts import t
from handlers.exporting import launch_export
from storage import CatalogRepo, ChatSettings, Connection

log = logging.getLogger(__name__)

router = Router(name="calls")


FIELDS = ("d", "o", "t", "q", "l", "s")
CHOICES_PER_PAGE = 8
TEXT_LIMIT = 100
ID_LIMIT = 2_000_000_000
PERIOD_KINDS = (
    PeriodKind.TODAY,
    PeriodKind.YESTERDAY,
    PeriodKind.D7,
    PeriodKind.D30,
    PeriodKind.ALL,
)


class CallsFlow(StatesGroup):
    typing = State()
    custom_period = State()


@dataclass
class Draft:
    """The wizard's state, kept in FSM data so that it survives restarts."""

    query: CallQuery
    message_id: int
    # Offered values by filter: signal words, and operators as ``OperatorPick.dump()``.
    options: dict[str, list[Any]] = field(default_factory=dict)
    typing: str = ""

    def dump(self) -> dict[str, Any]:
        return {
            "q": self.query.to_dict(),
            "m": self.message_id,
            "opts": self.options,
            "typing": self.typing,
        }

    @classmethod
    def load(cls, data: dict[str, Any]) -> Draft | None:
        raw = data.get("calls")
        if not isinstance(raw, dict):
            return None
        try:
            return cls(
                query=CallQuery.from_dict(raw["q"]),
                message_id=int(raw["m"]),
                options={k: list(v) for k, v in dict(raw.get("opts", {})).items()},
                typing=str(raw.get("typing", "")),
            )
        except (KeyError, TypeError, ValueError):
            return None


async def save(state: FSMContext, draft: Draft) -> None:
    await state.update_data(calls=draft.dump())


def cb(action: CallsAction, f: str = "", v: str | int = "", p: int = 0) -> str:
    return CallsCb(a=action, f=f, v=str(v), p=p).pack()


def btn(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data)


def cancel_row(lang: str, back: str | None = None) -> list[InlineKeyboardButton]:
    row = []
    if back is not None:
        row.append(btn(t("btn.back", lang), back))
    row.append(btn(t("btn.cancel", lang), cb(CallsAction.CANCEL)))
    return row


def menu_button(lang: str) -> InlineKeyboardButton:
    return btn(t("btn.menu", lang), MenuCb(action=MenuAction.MENU).pack())


def field_is_set(query: CallQuery, code: str) -> bool:
    values = {
        "d": query.department_id,
        "o": query.operator,
        "t": query.call_type,
        "q": query.question_pack_id,
        "l": query.loyalty if query.loyalty is not None else query.loyalty_max,
        "s": query.signal,
    }
    return values[code] is not None


def without(query: CallQuery, code: str) -> CallQuery:
    if code == "o":
        return query.without_operator()
    changes: dict[str, Any] = {
        "d": {"department_id": None},
        "t": {"call_type": None},
        "q": {"question_pack_id": None},
        "l": {"loyalty": None, "loyalty_max": None},
        "s": {"signal": None},
    }[code]
    return query.with_(**changes)


# --------------------------------------------------------------------------- screens


async def filters_screen(
    presenter: CallsPresenter, conn: Connection, draft: Draft, lang: str
) -> tuple[str, InlineKeyboardMarkup]:
    labels = await presenter.filter_labels(conn, draft.query, lang)
    text = t("calls.choose_filter", lang)
    if labels:
        text += "\n\n" + t("calls.current_filters", lang, filters=esc(" · ".join(labels)))
    builder = InlineKeyboardBuilder()
    for code in FIELDS:
        mark = " ✓" if field_is_set(draft.query, code) else ""
        builder.add(btn(t(f"calls.field.{code}", lang) + mark, cb(CallsAction.FIELD, code)))
    builder.adjust(2)
    for code in FIELDS:
        if field_is_set(draft.query, code):
            label = t(f"calls.field.{code}", lang)
            builder.row(btn(t("calls.btn.remove", lang, label=label), cb(CallsAction.REMOVE, code)))
    builder.row(btn(t("calls.btn.period", lang), cb(CallsAction.PERIODS)))
    builder.row(*cancel_row(lang))
    return text, builder.as_markup()


async def value_screen(
    catalog: CatalogRepo, conn: Connection, draft: Draft, code: str, page: int, lang: str
) -> tuple[str, InlineKeyboardMarkup]:
    """Buttons for one filter's values: fixed for call type and rating, learned for the rest."""
    builder = InlineKeyboardBuilder()
    text = t(f"calls.ask.{code}", lang)
    back = cb(CallsAction.FILTERS)
    if code == "t":
        for call_type in (1, 2, 3, 4):
            builder.row(
                btn(t(f"report.call_type.{call_type}", lang), cb(CallsAction.SET, "t", call_type))
            )
        builder.row(*cancel_row(lang, back))
        return text, builder.as_markup()
    if code == "l":
        for grade in range(1, 11):
            builder.add(btn(str(grade), cb(CallsAction.SET, "l", grade)))
        builder.adjust(5)
        builder.row(
            btn("≤ 3", cb(CallsAction.SET, "l", "le3")),
            btn("≤ 5", cb(CallsAction.SET, "l", "le5")),
        )
        builder.row(*cancel_row(lang, back))
        return text, builder.as_markup()

    choices: list[tuple[str, str]] = []  # (label, value)
    if code == "d":
        for dept in await catalog.departments(conn.id):
            choices.append(
                (dept.name or t("calls.department_label", lang, id=dept.id), str(dept.id))
            )
    elif code == "q":
        for pack in await catalog.question_packs(conn.id):
            choices.append((pack.title or t("calls.pack_label", lang, id=pack.id), str(pack.id)))
    elif code == "o":
        picks = [entry.pick for entry in await catalog.operators(conn.id)]
        draft.options["o"] = [pick.dump() for pick in picks]
        choices = [(label, str(number)) for number, label in enumerate(pick_labels(picks))]
    elif code == "s":
        words = [entry.word for entry in await catalog.signals(conn.id)]
        draft.options["s"] = words
        choices = [(word, str(number)) for number, word in enumerate(words)]
    if not choices:
        text += "\n" + t("calls.catalog_empty", lang)
    pages = max(1, -(-len(choices) // CHOICES_PER_PAGE))
    page %= pages
    for label, value in choices[page * CHOICES_PER_PAGE : (page + 1) * CHOICES_PER_PAGE]:
        builder.row(btn(_short(label), cb(CallsAction.SET, code, value)))
    if pages > 1:
        builder.row(
            btn(
                f"{t('calls.btn.more', lang)} {page + 1}/{pages}",
                cb(CallsAction.FIELD, code, p=(page + 1) % pages),
            )
        )
    builder.row(btn(t("calls.btn.type_another", lang), cb(CallsAction.TYPE, code)))
    builder.row(*cancel_row(lang, back))
    return text, builder.as_markup()


def _short(label: str, limit: int = 48) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


async def period_screen(
    presenter: CallsPresenter, conn: Connection, draft: Draft, lang: str
) -> tuple[str, InlineKeyboardMarkup]:
    labels = await presenter.filter_labels(conn, draft.query, lang)
    title = " · ".join(labels) or t("calls.all_calls", lang)
    builder = InlineKeyboardBuilder()
    for kind in PERIOD_KINDS:
        builder.add(btn(t(f"period.{kind.value}", lang), cb(CallsAction.PERIOD, v=kind.value)))
    builder.add(btn(t("period.custom", lang), cb(CallsAction.CUSTOM)))
    builder.adjust(3)
    builder.row(btn(t("calls.btn.add_filter", lang), cb(CallsAction.FILTERS)))
    builder.row(*cancel_row(lang, cb(CallsAction.FILTERS)))
    return t("calls.ask_period", lang, title=esc(title)), builder.as_markup()


def call_rows(buttons: list[CallButton], back_page: int) -> list[list[InlineKeyboardButton]]:
    return [
        [btn(item.label, cb(CallsAction.CARD, v=item.dialog_id, p=back_page))] for item in buttons
    ]


def summary_keyboard(view: SummaryView, lang: str) -> InlineKeyboardMarkup:
    if view.total == 0:
        rows = [[btn(t("calls.btn.change", lang), cb(CallsAction.FILTERS)), menu_button(lang)]]
        return InlineKeyboardMarkup(inline_keyboard=rows)
    rows = call_rows(view.worst, 0)
    rows.append(
        [
            btn(t("calls.btn.list", lang), cb(CallsAction.LIST, p=1)),
            btn(t("calls.btn.refresh", lang), cb(CallsAction.REFRESH)),
        ]
    )
    rows.append(
        [
            btn(t(f"calls.btn.{fmt.value}", lang), cb(CallsAction.EXPORT, v=fmt.value))
            for fmt in ExportFormat
        ]
    )
    rows.append([btn(t("calls.btn.change", lang), cb(CallsAction.FILTERS)), menu_button(lang)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def show_error(
    target: CallbackQuery | Message, error: AiokkError, lang: str, *, again_at: str | None = None
) -> None:
    """The error's sentence with Retry: the draft is untouched, so retrying repeats the query.
    ``again_at``: the time a Retry failed again, said first so that the message changes."""
    text = t("calls.error_retry", lang, reason=error_sentence(error, lang))
    if again_at is not None:
        text = t("error.still_failing", lang, time=again_at) + "\n" + text
    if isinstance(target, Message):
        await target.edit_text(text, reply_markup=error_keyboard(lang))
    else:
        await show(target, text, error_keyboard(lang))


def moved_on_keyboard(lang: str) -> InlineKeyboardMarkup:
    """Under a result that arrived after the user went on: nothing that needs their draft."""
    return InlineKeyboardMarkup(inline_keyboard=[[menu_button(lang)]])


def error_keyboard(lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                btn(t("btn.retry", lang), cb(CallsAction.RETRY)),
                btn(t("calls.btn.change", lang), cb(CallsAction.FILTERS)),
            ]
        ]
    )


# ------------------------------------------------------------------------ entry points


async def _require_connection(
    target: Message | CallbackQuery, connection: Connection | None, lang: str
) -> Connection | None:
    if connection is None:
        if isinstance(target, CallbackQuery):
            await target.answer(t("calls.not_connected", lang), show_alert=True)
        else:
            await target.answer(t("calls.not_connected", lang))
    return connection


async def _open(
    target: Message | CallbackQuery,
    state: FSMContext,
    presenter: CallsPresenter,
    conn: Connection,
    lang: str,
) -> None:
    await state.set_state(None)
    draft = Draft(query=CallQuery(), message_id=0)
    text, markup = await filters_screen(presenter, conn, draft, lang)
    sent = await show(target, text, markup)
    draft.message_id = sent.message_id if sent else 0
    await save(state, draft)


@router.message(Command("calls"))
async def cmd_calls(
    message: Message,
    state: FSMContext,
    lang: str,
    connection: Connection | None,
    calls_presenter: CallsPresenter,
) -> None:
    conn = await _require_connection(message, connection, lang)
    if conn is not None:
        await _open(message, state, calls_presenter, conn, lang)


@router.callback_query(MenuCb.filter(F.action == MenuAction.CALLS))
async def on_calls_menu(
    query: CallbackQuery,
    state: FSMContext,
    lang: str,
    connection: Connection | None,
    calls_presenter: CallsPresenter,
) -> None:
    conn = await _require_connection(query, connection, lang)
    if conn is None:
        return
    await query.answer()
    await _open(query, state, calls_presenter, conn, lang)


async def _draft_for(query: CallbackQuery, state: FSMContext, lang: str) -> Draft | None:
    """The presser's draft for this very message, or a short "out of date" answer."""
    draft = Draft.load(await state.get_data())
    message = query.message
    if draft is None or message is None or draft.message_id != message.message_id:
        await query.answer(t("error.stale", lang), show_alert=True)
        return None
    return draft


@router.callback_query(CallsCb.filter())
async def on_calls_button(
    query: CallbackQuery,
    callback_data: CallsCb,
    state: FSMContext,
    lang: str,
    tz: ZoneInfo,
    bot: Bot,
    settings: Settings,
    chat_settings: ChatSettings,
    connection: Connection | None,
    calls_presenter: CallsPresenter,
    catalog: CatalogRepo,
    exports: ExportService,
) -> None:
    draft = await _draft_for(query, state, lang)
    if draft is None:
        return
    conn = await _require_connection(query, connection, lang)
    if conn is None:
        return
    action = callback_data.a
    if action is CallsAction.EXPORT:
        if callback_data.v not in {fmt.value for fmt in ExportFormat}:
            await query.answer(t("error.stale", lang), show_alert=True)
            return
        await launch_export(
            query,
            draft.query,
            ExportFormat(callback_data.v),
            lang=lang,
            tz=tz,
            bot=bot,
            settings=settings,
            chat_settings=chat_settings,
            conn=conn,
            presenter=calls_presenter,
            exports=exports,
        )
        return
    if not is_acceptable(callback_data, draft):
        await query.answer(t("error.stale", lang), show_alert=True)
        return
    if action is CallsAction.CARD:
        # Answered inside: the answer may be "that call is gone".
        await _card(query, state, draft, conn, lang, tz, bot, calls_presenter, callback_data)
        return
    # A press is answered exactly once: Telegram refuses a second answer.
    await query.answer()
    presenter = calls_presenter
    code = callback_data.f
    if action is CallsAction.CANCEL:
        await state.clear()
        await show(
            query,
            t("error.cancelled", lang),
            InlineKeyboardMarkup(inline_keyboard=[[menu_button(lang)]]),
        )
        return
    if action is CallsAction.FILTERS:
        await state.set_state(None)
        text, markup = await filters_screen(presenter, conn, draft, lang)
    elif action is CallsAction.FIELD and code in FIELDS:
        text, markup = await value_screen(catalog, conn, draft, code, callback_data.p, lang)
    elif action is CallsAction.REMOVE and code in FIELDS:
        draft.query = without(draft.query, code)
        text, markup = await filters_screen(presenter, conn, draft, lang)
    elif action is CallsAction.SET and code in FIELDS:
        updated = apply_choice(draft, code, callback_data.v)
        if updated is None:  # ruled out by is_acceptable
            return
        draft.query = updated
        text, markup = await period_screen(presenter, conn, draft, lang)
    elif action is CallsAction.TYPE and code in {"d", "o", "q", "s"}:
        draft.typing = code
        await state.set_state(CallsFlow.typing)
        text = t(f"calls.type.{code}", lang)
        markup = InlineKeyboardMarkup(
            inline_keyboard=[cancel_row(lang, cb(CallsAction.FIELD, code))]
        )
    elif action is CallsAction.PERIODS:
        await state.set_state(None)
        text, markup = await period_screen(presenter, conn, draft, lang)
    elif action is CallsAction.CUSTOM:
        await state.set_state(CallsFlow.custom_period)
        text = t("calls.ask_custom", lang)
        markup = InlineKeyboardMarkup(inline_keyboard=[cancel_row(lang, cb(CallsAction.PERIODS))])
    elif action is CallsAction.PERIOD and callback_data.v in {k.value for k in PERIOD_KINDS}:
        draft.query = draft.query.with_(period=Period(PeriodKind(callback_data.v)))
        await save(state, draft)
        await _summary(query, state, draft, conn, lang, tz, bot, presenter)
        return
    elif action in (CallsAction.SUMMARY, CallsAction.REFRESH, CallsAction.RETRY):
        await state.set_state(None)
        refresh = action is CallsAction.REFRESH
        retry = action is CallsAction.RETRY
        await _summary(
            query, state, draft, conn, lang, tz, bot, presenter, refresh=refresh, retry=retry
        )
        return
    elif action is CallsAction.LIST:
        await _list(query, state, draft, conn, lang, tz, bot, presenter, callback_data.p)
        return
    else:  # ruled out by is_acceptable
        return
    await save(state, draft)
    await show(query, text, markup)


def is_acceptable(data: CallsCb, draft: Draft) -> bool:
    """Whether a press names something that exists; checked before the press is answered."""
    code, value = data.f, data.v
    if data.a in (CallsAction.FIELD, CallsAction.REMOVE):
        return code in FIELDS
    if data.a is CallsAction.SET:
        return code in FIELDS and apply_choice(draft, code, value) is not None
    if data.a is CallsAction.TYPE:
        return code in {"d", "o", "q", "s"}
    if data.a is CallsAction.PERIOD:
        return value in {kind.value for kind in PERIOD_KINDS}
    if data.a is CallsAction.CARD:
        return parse_number(value) is not None
    return True


def apply_choice(draft: Draft, code: str, value: str) -> CallQuery | None:
    """The query with one filter set from a button's value, or None for a forged value."""
    query = draft.query
    try:
        if code == "t" and value in {"1", "2", "3", "4"}:
            return query.with_(call_type=int(value))
        if code == "l":
            if value in {"le3", "le5"}:
                return query.with_(loyalty=None, loyalty_max=int(value[2:]))
            grade = parse_number(value, 10)
            if grade is not None and grade >= 1:
                return query.with_(loyalty=grade, loyalty_max=None)
            return None
        number = parse_number(value, ID_LIMIT - 1)
        if code in {"d", "q"} and number is not None and number > 0:
            key = "department_id" if code == "d" else "question_pack_id"
            return query.with_(**{key: number})
        options = draft.options.get(code, [])
        if code in {"o", "s"} and number is not None and number < len(options):
            if code == "o":
                # A button means that one person, not every name containing it.
                return query.with_operator(OperatorPick.load(options[number]))
            return query.with_(signal=str(options[number]))
    except ValueError:
        return None
    return None


def clock_time(presenter: CallsPresenter, tz: ZoneInfo) -> str:
    return presenter.service.now().astimezone(tz).strftime("%H:%M:%S")


async def _summary(
    query: CallbackQuery,
    state: FSMContext,
    draft: Draft,
    conn: Connection,
    lang: str,
    tz: ZoneInfo,
    bot: Bot,
    presenter: CallsPresenter,
    *,
    refresh: bool = False,
    retry: bool = False,
) -> None:
    # The typing action, not an extra edit: edits count against the chat's flood limit.
    if query.message is not None:
        await bot.send_chat_action(query.message.chat.id, ChatAction.TYPING)
    try:
        notice = progress_notice(lambda text: show(query, text), lang)
        async with outside_lock(state) as away:
            view = await presenter.summary(
                conn, draft.query, tz, lang, refresh=refresh, progress=notice
            )
    except AiokkError as error:
        await show_error(query, error, lang, again_at=clock_time(presenter, tz) if retry else None)
        return
    markup = moved_on_keyboard(lang) if away.moved_on else summary_keyboard(view, lang)
    await show(query, view.text, markup)


async def _list(
    query: CallbackQuery,
    state: FSMContext,
    draft: Draft,
    conn: Connection,
    lang: str,
    tz: ZoneInfo,
    bot: Bot,
    presenter: CallsPresenter,
    page: int,
) -> None:
    try:
        notice = progress_notice(lambda text: show(query, text), lang)
        async with outside_lock(state) as away:
            view = await presenter.page(conn, draft.query, tz, lang, page, progress=notice)
    except AiokkError as error:
        await show_error(query, error, lang)
        return
    if away.moved_on:
        await show(query, view.text, moved_on_keyboard(lang))
        return
    rows = call_rows(view.rows, view.page)
    nav = []
    if view.page > 1:
        nav.append(btn(t("calls.btn.prev", lang), cb(CallsAction.LIST, p=view.page - 1)))
    nav.append(btn(f"{view.page}/{view.pages}", cb(CallsAction.LIST, p=view.page)))
    if view.page < view.pages:
        nav.append(btn(t("calls.btn.next", lang), cb(CallsAction.LIST, p=view.page + 1)))
    rows.append(nav)
    rows.append([btn(t("calls.btn.to_summary", lang), cb(CallsAction.SUMMARY)), menu_button(lang)])
    await show(query, view.text, InlineKeyboardMarkup(inline_keyboard=rows))


async def _card(
    query: CallbackQuery,
    state: FSMContext,
    draft: Draft,
    conn: Connection,
    lang: str,
    tz: ZoneInfo,
    bot: Bot,
    presenter: CallsPresenter,
    data: CallsCb,
) -> None:
    try:
        async with outside_lock(state) as away:
            parts = await presenter.card(conn, draft.query, tz, lang, int(data.v))
    except AiokkError as error:
        await query.answer()
        await show_error(query, error, lang)
        return
    if parts is None:
        await query.answer(t("calls.call_gone", lang), show_alert=True)
        return
    await query.answer()
    back = (
        btn(t("calls.btn.to_list", lang), cb(CallsAction.LIST, p=data.p))
        if data.p > 0
        else btn(t("calls.btn.to_summary", lang), cb(CallsAction.SUMMARY))
    )
    markup = InlineKeyboardMarkup(inline_keyboard=[[back, menu_button(lang)]])
    if away.moved_on:
        markup = moved_on_keyboard(lang)
    if len(parts) == 1:
        await show(query, parts[0], markup)
        return
    # A long card: the flow message shows the first part, the rest follow; the last
    # part carries the buttons and becomes the flow's message.
    await show(query, parts[0])
    if query.message is None:
        return
    last: Message | None = None
    for index, part in enumerate(parts[1:], start=1):
        last = await bot.send_message(
            query.message.chat.id,
            part,
            reply_markup=markup if index == len(parts) - 1 else None,
            message_thread_id=query.message.message_thread_id
            if isinstance(query.message, Message)
            else None,
        )
    if last is not None and not away.moved_on:
        draft.message_id = last.message_id
        await save(state, draft)


# ---------------------------------------------------------------------- typed input


@router.message(CallsFlow.typing, F.text, ~F.text.startswith("/"))
async def on_typed_value(
    message: Message,
    state: FSMContext,
    lang: str,
    connection: Connection | None,
    calls_presenter: CallsPresenter,
) -> None:
    draft = Draft.load(await state.get_data())
    conn = await _require_connection(message, connection, lang)
    if draft is None or conn is None or draft.typing not in {"d", "o", "q", "s"}:
        await state.clear()
        await message.answer(t("error.stale", lang))
        return
    code = draft.typing
    retry = InlineKeyboardMarkup(inline_keyboard=[cancel_row(lang, cb(CallsAction.FIELD, code))])
    updated = parse_typed_value(draft.query, code, message.text or "")
    if updated is None:
        key = "calls.invalid.id" if code in {"d", "q"} else "calls.invalid.text"
        sent = await message.answer(
            t(key, lang) + "\n\n" + t(f"calls.type.{code}", lang), reply_markup=retry
        )
        draft.message_id = sent.message_id
        await save(state, draft)
        return
    draft.query = updated
    draft.typing = ""
    await state.set_state(None)
    text, markup = await period_screen(calls_presenter, conn, draft, lang)
    sent = await message.answer(text, reply_markup=markup)
    draft.message_id = sent.message_id
    await save(state, draft)


def parse_typed_value(query: CallQuery, code: str, text: str) -> CallQuery | None:
    value = " ".join(text.split())
    if code in {"d", "q"}:
        number = parse_number(value, ID_LIMIT - 1)
        if number is None or number == 0:
            return None
        key = "department_id" if code == "d" else "question_pack_id"
        return query.with_(**{key: number})
    if not value or len(value) > TEXT_LIMIT:
        return None
    if code == "o":
        # Typed text means every operator whose name contains it (the screen says so).
        return query.with_operator_text(value)
    return query.with_(signal=value)


@router.message(CallsFlow.custom_period, F.text, ~F.text.startswith("/"))
async def on_custom_period(
    message: Message,
    state: FSMContext,
    lang: str,
    tz: ZoneInfo,
    bot: Bot,
    connection: Connection | None,
    calls_presenter: CallsPresenter,
) -> None:
    draft = Draft.load(await state.get_data())
    conn = await _require_connection(message, connection, lang)
    if draft is None or conn is None:
        await state.clear()
        await message.answer(t("error.stale", lang))
        return
    today = calls_presenter.service.now().astimezone(tz).date()
    try:
        period = parse_custom_period(message.text or "", today)
    except PeriodError as error:
        retry = InlineKeyboardMarkup(inline_keyboard=[cancel_row(lang, cb(CallsAction.PERIODS))])
        sent = await message.answer(
            t(f"period_error.{error.reason}", lang) + "\n\n" + t("calls.ask_custom", lang),
            reply_markup=retry,
        )
        draft.message_id = sent.message_id
        await save(state, draft)
        return
    draft.query = draft.query.with_(period=period)
    await state.set_state(None)
    progress = await message.answer(t("calls.loading", lang))
    draft.message_id = progress.message_id
    await save(state, draft)
    await bot.send_chat_action(message.chat.id, ChatAction.TYPING)
    try:
        notice = progress_notice(progress.edit_text, lang)
        async with outside_lock(state) as away:
            view = await calls_presenter.summary(conn, draft.query, tz, lang, progress=notice)
    except AiokkError as error:
        await show_error(progress, error, lang)
        return
    markup = moved_on_keyboard(lang) if away.moved_on else summary_keyboard(view, lang)
    await progress.edit_text(view.text, reply_markup=markup)
