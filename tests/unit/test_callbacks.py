"""Telegram refuses callback data over 64 bytes: every factory and every calls keyboard fits."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from datetime import UTC, date, datetime
from enum import StrEnum
from types import ModuleType
from typing import Any, cast
from zoneinfo import available_timezones

import pytest
from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup

import bot.callbacks as core_callbacks
from bot.callbacks import (
    CallsAction,
    CallsCb,
    ConnectAction,
    ConnectCb,
    MenuAction,
    MenuCb,
    OperatorAction,
    OperatorCb,
    SettingsAction,
    SettingsCb,
)
from bot.exports.job import ExportFormat
from bot.query.model import CallQuery, OperatorPick, Period, PeriodKind
from bot.query.service import CallService
from bot.services.calls import CallButton, CallsPresenter, SummaryView
from handlers import calls as screens
from handlers.operator import options_keyboard
from storage import CatalogRepo, Connection
from storage.catalog import DepartmentEntry, OperatorEntry, QuestionPackEntry, SignalEntry

LIMIT = 64
BIGGEST_ID = 2**63 - 1  # SQLite rowids and aiokk dialog ids are 64-bit at most
BIGGEST_PAGE = 999_999  # far beyond 50,000 calls at 10 a page
LANGS = ("ru", "en")


def size(data: str) -> int:
    return len(data.encode("utf-8"))


def longest(values: Iterator[str] | list[str] | tuple[str, ...]) -> str:
    return max(values, key=lambda value: len(value.encode("utf-8")))


def enum_values(module: ModuleType) -> list[str]:
    return [
        member.value
        for _, kind in inspect.getmembers(module, inspect.isclass)
        if issubclass(kind, StrEnum) and kind is not StrEnum
        for member in kind
    ]


def factories(module: ModuleType) -> list[type[CallbackData]]:
    return [
        kind
        for _, kind in inspect.getmembers(module, inspect.isclass)
        if issubclass(kind, CallbackData)
        and kind is not CallbackData
        and kind.__module__ == module.__name__
    ]


def core_instances() -> dict[type[CallbackData], list[CallbackData]]:
    timezone = longest(sorted(available_timezones()))
    calls_value = longest(
        [
            str(BIGGEST_ID),
            str(screens.ID_LIMIT - 1),
            "le3",
            *(kind.value for kind in PeriodKind),
            *(fmt.value for fmt in ExportFormat),
        ]
    )
    return {
        MenuCb: [MenuCb(action=action) for action in MenuAction],
        ConnectCb: [ConnectCb(action=action) for action in ConnectAction],
        SettingsCb: [SettingsCb(action=action, value=timezone) for action in SettingsAction],
        CallsCb: [
            CallsCb(a=action, f=code, v=calls_value, p=BIGGEST_PAGE)
            for action in CallsAction
            for code in screens.FIELDS
        ],
        OperatorCb: [
            OperatorCb(a=action, v=longest([str(BIGGEST_ID), *(k.value for k in PeriodKind)]))
            for action in OperatorAction
        ],
    }


def digest_instances() -> dict[type[CallbackData], list[CallbackData]]:
    digest = pytest.importorskip("handlers.digests.callbacks")
    model = pytest.importorskip("bot.digest.model")
    value = longest([*enum_values(digest), *enum_values(model), "2359", str(BIGGEST_PAGE)])
    return {
        digest.DigestCb: [
            digest.DigestCb(action=action, sid=BIGGEST_ID) for action in digest.DigestAction
        ],
        digest.DigestSetCb: [
            digest.DigestSetCb(field=field, sid=BIGGEST_ID, value=value) for field in digest.Field
        ],
        digest.DigestCallCb: [
            digest.DigestCallCb(action=action, m=BIGGEST_ID, d=BIGGEST_ID)
            for action in digest.CallAction
        ],
    }


def test_every_core_factory_packs_its_largest_value_within_64_bytes() -> None:
    instances = core_instances()
    assert set(factories(core_callbacks)) == set(instances), "a new factory needs a case here"
    for kind, cases in instances.items():
        for case in cases:
            packed = case.pack()
            assert size(packed) <= LIMIT, (kind.__name__, packed, size(packed))
            assert type(case).unpack(packed) == case


def test_every_digest_factory_packs_its_largest_value_within_64_bytes() -> None:
    instances = digest_instances()
    module = pytest.importorskip("handlers.digests.callbacks")
    assert set(factories(module)) == set(instances), "a new factory needs a case here"
    for kind, cases in instances.items():
        for case in cases:
            packed = case.pack()
            assert size(packed) <= LIMIT, (kind.__name__, packed, size(packed))
            assert type(case).unpack(packed) == case


# ------------------------------------------------------------------------ keyboards

LONG = "Отдел по работе с ключевыми клиентами и партнёрами Южного региона " * 5


class LongCatalog:
    """A catalog full of long names and the largest ids the wizard accepts."""

    def __init__(self, count: int = 30) -> None:
        biggest = screens.ID_LIMIT - 1
        self._departments = [DepartmentEntry(biggest - n, f"{LONG}{n}", 1) for n in range(count)]
        self._packs = [QuestionPackEntry(biggest - n, f"{LONG}{n}", 12, 1) for n in range(count)]
        # Namesakes in pairs, so that labels carry the (long) department too.
        self._operators = [
            OperatorEntry(f"{LONG}{n // 2}", biggest, 1, biggest - n, LONG) for n in range(count)
        ]
        self._signals = [SignalEntry(f"{LONG}{n}", 1) for n in range(count)]

    async def departments(self, connection_id: int, limit: int | None = None) -> Any:
        return self._departments[:limit]

    async def question_packs(self, connection_id: int, limit: int | None = None) -> Any:
        return self._packs[:limit]

    async def operators(self, connection_id: int, limit: int | None = None) -> Any:
        return self._operators[:limit]

    async def signals(self, connection_id: int, limit: int | None = None) -> Any:
        return self._signals[:limit]

    async def department_name(self, connection_id: int, department_id: int) -> str | None:
        return LONG

    async def question_pack(self, connection_id: int, pack_id: int) -> Any:
        return self._packs[0]


CONN = Connection(
    id=1,
    user_id=1,
    base_url="https://company.aiokk.io",
    token="secret",
    token_last4="cret",
    created_at=datetime(2025, 4, 21, tzinfo=UTC),
    checked_at=None,
)
FULL_QUERY = CallQuery(
    department_id=screens.ID_LIMIT - 1,
    operator=LONG[:100],
    call_type=3,
    question_pack_id=screens.ID_LIMIT - 1,
    loyalty=10,
    signal=LONG[:100],
    period=Period.custom(date(2025, 1, 1), date(2025, 12, 31)),
)


def callback_data(markup: InlineKeyboardMarkup) -> list[str]:
    data = [button.callback_data for row in markup.inline_keyboard for button in row]
    assert all(item is not None for item in data), "every button is a callback button"
    return [item for item in data if item is not None]


def assert_fits(markup: InlineKeyboardMarkup) -> None:
    data = callback_data(markup)
    assert data
    too_long = [(item, size(item)) for item in data if size(item) > LIMIT]
    assert not too_long


def catalog() -> CatalogRepo:
    return cast(CatalogRepo, LongCatalog())


def presenter() -> CallsPresenter:
    # The screens only ask the presenter for filter labels, which come from the catalog.
    return CallsPresenter(cast(CallService, None), catalog())


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(
    "query", [CallQuery(), FULL_QUERY, FULL_QUERY.with_(loyalty=None, loyalty_max=3)]
)
async def test_filter_and_period_screens_fit(lang: str, query: CallQuery) -> None:
    draft = screens.Draft(query=query, message_id=1)
    _, markup = await screens.filters_screen(presenter(), CONN, draft, lang)
    assert_fits(markup)
    _, markup = await screens.period_screen(presenter(), CONN, draft, lang)
    assert_fits(markup)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("code", screens.FIELDS)
async def test_every_page_of_every_value_screen_fits(lang: str, code: str) -> None:
    draft = screens.Draft(query=FULL_QUERY, message_id=1)
    pages = 0
    seen: set[str] = set()
    for page in range(10):
        _, markup = await screens.value_screen(catalog(), CONN, draft, code, page, lang)
        assert_fits(markup)
        new = set(callback_data(markup)) - seen
        if not new:
            break
        seen |= new
        pages += 1
    if code in {"d", "o", "q", "s"}:
        assert pages > 1, "30 long names take several pages"
        # Long labels are shortened, never carried in the data.
        assert not any(LONG[:20] in item for item in seen)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("total", [0, 50_000])
def test_summary_keyboard_fits(lang: str, total: int) -> None:
    worst = [CallButton(BIGGEST_ID - n, LONG[:60]) for n in range(5)] if total else []
    view = SummaryView(text="", total=total, worst=worst)
    markup = screens.summary_keyboard(view, lang)
    assert_fits(markup)
    data = callback_data(markup)
    assert (CallsCb(a=CallsAction.EXPORT, v=ExportFormat.XLSX.value).pack() in data) == bool(total)


def test_list_rows_and_operator_choices_fit() -> None:
    rows = screens.call_rows([CallButton(BIGGEST_ID, LONG[:60])] * 10, BIGGEST_PAGE)
    assert_fits(InlineKeyboardMarkup(inline_keyboard=rows))
    namesakes = [OperatorPick(LONG[:100], BIGGEST_ID - n, LONG) for n in range(16)]
    assert_fits(options_keyboard(namesakes, "ru"))
    assert_fits(screens.error_keyboard("en"))
