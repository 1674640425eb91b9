"""/calls screens and keyboards: plain functions of the draft, the catalog and views."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks import CallsAction, CallsCb, MenuAction, MenuCb
from bot.exports.job import ExportFormat
from bot.input.dates import period_examples
from bot.messages import esc, show
from bot.query.model import CallQuery, OperatorPick, pick_labels
from bot.services.calls import CallButton, CallsPresenter, PageView, SummaryView
from bot.texts import t
from handlers.calls.context import CallsContext
from handlers.calls.draft import CONTAINS, FIELDS, PERIOD_KINDS, Draft, field_is_set, save
from storage import CatalogRepo, Connection

CHOICES_PER_PAGE = 8
NUMBERS_PER_ROW = 5
"""Numbered call buttons under a list page: two rows of five for ten calls."""
OPERATOR_CHOICES = 8


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


def short(label: str, limit: int = 48) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


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


async def open_wizard(
    target: Message | CallbackQuery, state: FSMContext, ctx: CallsContext, conn: Connection
) -> None:
    """A new wizard on all calls: in the pressed message, or a new one for a command."""
    await state.set_state(None)
    draft = Draft(query=CallQuery(), message_id=0)
    text, markup = await filters_screen(ctx.presenter, conn, draft, ctx.lang)
    sent = await show(target, text, markup)
    draft.message_id = sent.message_id if sent else 0
    await save(state, draft)


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
        builder.row(btn(short(label), cb(CallsAction.SET, code, value)))
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


def operator_choice_screen(
    picks: Sequence[OperatorPick], text: str, lang: str
) -> tuple[str, InlineKeyboardMarkup]:
    """People a typed name fits, as ranked, and the option to keep it as "contains"."""
    builder = InlineKeyboardBuilder()
    for number, label in enumerate(pick_labels(list(picks))):
        builder.row(btn(short(label), cb(CallsAction.SET, "o", number)))
    builder.row(
        btn(
            t("calls.btn.op_contains", lang, text=short(text, 32)),
            cb(CallsAction.SET, "o", CONTAINS),
        )
    )
    builder.row(*cancel_row(lang, cb(CallsAction.FIELD, "o")))
    return t("calls.op_choose", lang, text=esc(text)), builder.as_markup()


def typed_screen(question: str, lang: str, back: str) -> tuple[str, InlineKeyboardMarkup]:
    return question, InlineKeyboardMarkup(inline_keyboard=[cancel_row(lang, back)])


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
    """One labelled button per call (the summary's worst calls)."""
    return [
        [btn(item.label, cb(CallsAction.CARD, v=item.dialog_id, p=back_page))] for item in buttons
    ]


def number_rows(buttons: list[CallButton], back_page: int) -> list[list[InlineKeyboardButton]]:
    """The list page's numbered buttons, ``NUMBERS_PER_ROW`` to a row."""
    cells = [
        btn(item.label, cb(CallsAction.CARD, v=item.dialog_id, p=back_page)) for item in buttons
    ]
    return [cells[i : i + NUMBERS_PER_ROW] for i in range(0, len(cells), NUMBERS_PER_ROW)]


def page_row(page: int, pages: int, lang: str) -> list[InlineKeyboardButton]:
    """◀️ page/pages ▶️, with jumps to the first and last pages when they are further off."""
    nav = []
    if page > 2:
        nav.append(btn(t("calls.btn.first", lang), cb(CallsAction.LIST, p=1)))
    if page > 1:
        nav.append(btn(t("calls.btn.prev", lang), cb(CallsAction.LIST, p=page - 1)))
    nav.append(btn(f"{page}/{pages}", cb(CallsAction.LIST, p=page)))
    if page < pages:
        nav.append(btn(t("calls.btn.next", lang), cb(CallsAction.LIST, p=page + 1)))
    if page < pages - 1:
        nav.append(btn(t("calls.btn.last", lang, n=pages), cb(CallsAction.LIST, p=pages)))
    return nav


def list_keyboard(view: PageView, lang: str) -> InlineKeyboardMarkup:
    rows = number_rows(view.rows, view.page)
    rows.append(page_row(view.page, view.pages, lang))
    rows.append([btn(t("calls.btn.to_summary", lang), cb(CallsAction.SUMMARY)), menu_button(lang)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def card_keyboard(back_page: int, lang: str) -> InlineKeyboardMarkup:
    back = (
        btn(t("calls.btn.to_list", lang), cb(CallsAction.LIST, p=back_page))
        if back_page > 0
        else btn(t("calls.btn.to_summary", lang), cb(CallsAction.SUMMARY))
    )
    return InlineKeyboardMarkup(inline_keyboard=[[back, menu_button(lang)]])


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


def error_keyboard(lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                btn(t("btn.retry", lang), cb(CallsAction.RETRY)),
                btn(t("calls.btn.change", lang), cb(CallsAction.FILTERS)),
            ]
        ]
    )


def rebuild_keyboard(message_id: int, lang: str) -> InlineKeyboardMarkup:
    """Under an out-of-date results message: build it again (``message_id`` names it)."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                btn(t("calls.btn.rebuild", lang), cb(CallsAction.REBUILD, v=message_id)),
                menu_button(lang),
            ]
        ]
    )


def only_menu(lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[menu_button(lang)]])


def custom_period_question(lang: str, today: date) -> str:
    """The custom dates prompt, with examples in ``today``'s year."""
    whole, short, day = period_examples(today)
    examples = t("input.period.examples", lang, range=whole, short=short, day=day)
    return t("calls.ask_custom", lang) + "\n" + examples
