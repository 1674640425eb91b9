"""CallService against the real sandbox over HTTP, compared with brute-force filtering."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from cryptography.fernet import Fernet

from bot.aiokk import raw as rawacc
from bot.aiokk.client import AiokkClient, Deadline, RecordList, SinkT
from bot.aiokk.endpoints import Endpoint
from bot.aiokk.errors import NotPaid
from bot.crypto import TokenCipher
from bot.query.cache import ResultCache
from bot.query.model import CallQuery, Period, PeriodKind
from bot.query.service import CallService, ConnectionRef
from bot.sandbox import RunningSandbox, start_sandbox
from storage.catalog import CatalogRepo
from storage.connections import Connection, ConnectionRepo
from storage.db import Database

ALMATY = ZoneInfo("Asia/Almaty")
MOSCOW = ZoneInfo("Europe/Moscow")
NOW = datetime(2025, 4, 21, 14, 0, tzinfo=UTC)
CALLS = 400

Raw = dict[str, Any]


# --- fixtures -----------------------------------------------------------------


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    running = await start_sandbox(calls=CALLS, seed=7, now=NOW)
    try:
        yield running
    finally:
        await running.close()


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "bot.sqlite3")
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
async def conn(db: Database, sandbox: RunningSandbox) -> Connection:
    repo = ConnectionRepo(db, TokenCipher(Fernet.generate_key()))
    return await repo.save(1, sandbox.base_url, "demo")


@pytest.fixture
async def client() -> AsyncIterator[AiokkClient]:
    async with AiokkClient() as aiokk:
        yield aiokk


@pytest.fixture
def catalog(db: Database) -> CatalogRepo:
    return CatalogRepo(db)


@pytest.fixture
def service(client: AiokkClient, catalog: CatalogRepo) -> CallService:
    return CallService(client, ResultCache(), catalog, clock=lambda: NOW)


@pytest.fixture
async def everything(client: AiokkClient, sandbox: RunningSandbox) -> list[Raw]:
    """Every sandbox record, read independently of the service."""
    records: list[Raw] = []
    for call_type in (1, 2, 3, 4):
        records += await client.fetch_raw(sandbox.base_url, "demo", Endpoint.CALL_TYPE, call_type)
    assert len(records) == CALLS
    return records


async def export_requests(sandbox: RunningSandbox) -> int:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{sandbox.base_url}/_sandbox/stats")
    total = response.json()["total"]
    assert isinstance(total, int)
    return total


# --- brute force ------------------------------------------------------------------


def local_day(raw: Raw, tz: ZoneInfo) -> date | None:
    moment = rawacc.call_date(raw)
    return moment.astimezone(tz).date() if moment is not None else None


def in_days(first: date, last: date, tz: ZoneInfo) -> Callable[[Raw], bool]:
    def test(raw: Raw) -> bool:
        day = local_day(raw, tz)
        return day is not None and first <= day <= last

    return test


def brute(query: CallQuery, raw: Raw) -> bool:
    """The query's field conditions, written out plainly."""
    if query.department_id is not None and rawacc.department_id(raw) != query.department_id:
        return False
    if query.call_type is not None and rawacc.call_type(raw) != query.call_type:
        return False
    if query.question_pack_id is not None and (
        rawacc.question_pack_id(raw) != query.question_pack_id
    ):
        return False
    grade = rawacc.loyalty(raw)
    if query.loyalty is not None and grade != query.loyalty:
        return False
    if query.loyalty_max is not None and (grade is None or grade > query.loyalty_max):
        return False
    if query.operator is not None:
        name = rawacc.operator_name(raw) or ""
        if query.operator.casefold() not in name.casefold():
            return False
    if query.signal is not None:
        words = rawacc.signal_words(raw)
        if not any(query.signal.casefold() in word.casefold() for word in words):
            return False
    return True


def ids(records: list[Raw]) -> list[int | None]:
    return [rawacc.dialog_id(raw) for raw in records]


def newest_first(records: list[Raw]) -> list[Raw]:
    return sorted(
        records,
        key=lambda raw: (rawacc.call_date(raw) or datetime.min.replace(tzinfo=UTC), ids([raw])),
        reverse=True,
    )


TODAY = NOW.astimezone(ALMATY).date()
QUERIES: list[tuple[CallQuery, date | None, date | None]] = [
    (CallQuery(period=Period(PeriodKind.ALL)), None, None),
    (CallQuery(period=Period(PeriodKind.D7)), TODAY - timedelta(days=6), TODAY),
    (CallQuery(department_id=84, period=Period(PeriodKind.D30)), TODAY - timedelta(days=29), TODAY),
    (CallQuery(department_id=85, call_type=2, loyalty_max=5), TODAY, TODAY),
    (
        CallQuery(operator="айгерим", period=Period(PeriodKind.D7)),
        TODAY - timedelta(days=6),
        TODAY,
    ),
    (
        CallQuery(signal="понимаете", question_pack_id=27, period=Period(PeriodKind.ALL)),
        None,
        None,
    ),
    (CallQuery(question_pack_id=35, loyalty_max=4, period=Period(PeriodKind.ALL)), None, None),
    (CallQuery(loyalty_max=3, period=Period(PeriodKind.D30)), TODAY - timedelta(days=29), TODAY),
    (CallQuery(loyalty=7, call_type=1, period=Period(PeriodKind.ALL)), None, None),
    (
        CallQuery(
            call_type=2, period=Period.custom(TODAY - timedelta(days=9), TODAY - timedelta(days=3))
        ),
        TODAY - timedelta(days=9),
        TODAY - timedelta(days=3),
    ),
    (
        CallQuery(period=Period(PeriodKind.YESTERDAY)),
        TODAY - timedelta(days=1),
        TODAY - timedelta(days=1),
    ),
]


@pytest.mark.parametrize(
    ("query", "first", "last"), QUERIES, ids=[q.fingerprint() for q, _, _ in QUERIES]
)
async def test_result_equals_brute_force(
    service: CallService,
    conn: Connection,
    everything: list[Raw],
    query: CallQuery,
    first: date | None,
    last: date | None,
) -> None:
    result = await service.fetch(conn, query, ALMATY)
    in_period = in_days(first, last, ALMATY) if first and last else (lambda raw: True)
    expected = [raw for raw in everything if brute(query, raw) and in_period(raw)]
    assert ids(result.records) == ids(newest_first(expected))
    assert len(set(ids(result.records))) == len(result.records)
    assert result.previous is None and result.previous_window is None
    # Most of these queries keep something: a wrong filter that drops all would show.
    if query.period.kind in (PeriodKind.ALL, PeriodKind.D30):
        assert result.records


async def test_chat_timezone_decides_the_day(
    service: CallService, conn: Connection, everything: list[Raw]
) -> None:
    query = CallQuery(period=Period(PeriodKind.YESTERDAY))
    in_almaty = await service.fetch(conn, query, ALMATY)
    in_moscow = await service.fetch(conn, query, MOSCOW)
    moscow_yesterday = NOW.astimezone(MOSCOW).date() - timedelta(days=1)
    expected = [raw for raw in everything if local_day(raw, MOSCOW) == moscow_yesterday]
    assert ids(in_moscow.records) == ids(newest_first(expected))
    # Calls between 00:00 and 02:00 in Almaty belong to another Moscow day.
    assert ids(in_moscow.records) != ids(in_almaty.records) or not any(
        (rawacc.call_date(raw) or NOW).astimezone(ALMATY).hour < 2 for raw in everything
    )


async def test_only_a_running_period_is_compared_so_far(
    service: CallService, conn: Connection
) -> None:
    today = CallQuery(period=Period(PeriodKind.TODAY))
    yesterday = CallQuery(period=Period(PeriodKind.YESTERDAY))
    running = await service.fetch(conn, today, ALMATY, with_previous=True)
    over = await service.fetch(conn, yesterday, ALMATY, with_previous=True)
    assert running.so_far and running.previous_window is not None
    assert running.previous_window.end == NOW - timedelta(days=1)
    assert not over.so_far


async def test_previous_window_is_split_in_the_same_pass(
    service: CallService, conn: Connection, sandbox: RunningSandbox, everything: list[Raw]
) -> None:
    query = CallQuery(department_id=84, period=Period(PeriodKind.D7))
    before = await export_requests(sandbox)
    result = await service.fetch(conn, query, ALMATY, with_previous=True)
    assert await export_requests(sandbox) == before + 1

    current = [raw for raw in everything if brute(query, raw)]
    week = in_days(TODAY - timedelta(days=6), TODAY, ALMATY)
    week_before = in_days(TODAY - timedelta(days=13), TODAY - timedelta(days=7), ALMATY)
    assert ids(result.records) == ids(newest_first([raw for raw in current if week(raw)]))
    assert result.previous is not None and result.previous
    # The week is still running: it is compared with the previous week up to the same time.
    cut = NOW - timedelta(days=7)
    previous = [raw for raw in current if week_before(raw) and (rawacc.call_date(raw) or NOW) < cut]
    assert ids(result.previous) == ids(newest_first(previous))
    assert result.previous_window is not None
    assert result.previous_window.end == cut


async def test_second_fetch_is_served_from_cache_and_refresh_bypasses_it(
    service: CallService, conn: Connection, sandbox: RunningSandbox
) -> None:
    query = CallQuery(period=Period(PeriodKind.D7))
    first = await service.fetch(conn, query, ALMATY)
    after_first = await export_requests(sandbox)
    assert after_first == 4  # the union of four call types

    second = await service.fetch(conn, query, ALMATY)
    assert await export_requests(sandbox) == after_first
    assert ids(second.records) == ids(first.records)
    assert second.fetched_at == first.fetched_at

    # A query that needs the previous window cannot use an entry without it.
    await service.fetch(conn, query, ALMATY, with_previous=True)
    assert await export_requests(sandbox) == after_first + 4
    # ...but the entry with it answers the plain query too.
    await service.fetch(conn, query, ALMATY)
    assert await export_requests(sandbox) == after_first + 4

    refreshed = await service.fetch(conn, query, ALMATY, refresh=True)
    assert await export_requests(sandbox) == after_first + 8
    assert ids(refreshed.records) == ids(first.records)

    # A different local filter on the same endpoint is another entry.
    await service.fetch(conn, query.with_(loyalty=3), ALMATY)
    assert await export_requests(sandbox) == after_first + 9

    service.cache.invalidate_connection(conn.base_url, conn.token)
    await service.fetch(conn, query, ALMATY)
    assert await export_requests(sandbox) == after_first + 13


async def test_catalog_learns_from_every_record_seen(
    service: CallService, conn: Connection, catalog: CatalogRepo, everything: list[Raw]
) -> None:
    # Today only, but the department request returns the whole month: all of it teaches.
    result = await service.fetch(conn, CallQuery(department_id=84), ALMATY)
    department = [raw for raw in everything if rawacc.department_id(raw) == 84]
    assert len(result.records) < len(department)

    departments = await catalog.departments(conn.id)
    assert [(entry.id, entry.name, entry.calls) for entry in departments] == [
        (84, "Отдел продаж", len(department))
    ]
    operators = {
        entry.name: (entry.department_id, entry.calls) for entry in await catalog.operators(conn.id)
    }
    expected_names: dict[str, int] = {}
    for raw in department:
        name = rawacc.operator_name(raw)
        if name:
            expected_names[name] = expected_names.get(name, 0) + 1
    assert operators == {name: (84, calls) for name, calls in expected_names.items()}

    packs = {entry.id: entry for entry in await catalog.question_packs(conn.id)}
    for raw in department:
        block = rawacc.evaluation(raw)
        if block:
            pack = packs[rawacc.question_pack_id(raw) or -1]
            assert pack.title == block["evaluationTitle"]
            assert pack.criteria_count == sum(1 for key in block if key.startswith("criterion"))
    signal_words = {entry.word for entry in await catalog.signals(conn.id)}
    assert signal_words == {word for raw in department for word in rawacc.signal_words(raw)}


async def test_warm_catalog_reads_all_four_call_types(
    service: CallService, conn: Connection, catalog: CatalogRepo, everything: list[Raw]
) -> None:
    assert await service.warm_catalog(conn) == CALLS
    departments = {entry.id: entry.calls for entry in await catalog.departments(conn.id)}
    expected: dict[int, int] = {}
    for raw in everything:
        key = rawacc.department_id(raw)
        if key is not None:
            expected[key] = expected.get(key, 0) + 1
    assert departments == expected


async def test_warm_catalog_swallows_api_errors(
    service: CallService, sandbox: RunningSandbox, db: Database
) -> None:
    unpaid = ConnectionRef(id=99, base_url=sandbox.base_url, token="demo-unpaid")
    assert await service.warm_catalog(unpaid) == 0


async def test_api_errors_surface_as_typed_errors(
    service: CallService, sandbox: RunningSandbox
) -> None:
    unpaid = ConnectionRef(id=99, base_url=sandbox.base_url, token="demo-unpaid")
    with pytest.raises(NotPaid):
        await service.fetch(unpaid, CallQuery(), ALMATY)  # four requests, one error out


async def test_find_operators_asks_the_api_then_the_catalog(
    service: CallService, conn: Connection, sandbox: RunningSandbox
) -> None:
    found = [pick.name for pick in await service.find_operators(conn, "айгерим", ALMATY)]
    assert sorted(found) == ["Айгерим Нурланова", "Айгерим Сапарова"]
    requests = await export_requests(sandbox)
    assert requests == 1

    # Learned now: answered from the catalog, case- and ё-insensitively, with no request.
    again = await service.find_operators(conn, "АЙГЕРИМ", ALMATY)
    assert sorted(pick.name for pick in again) == sorted(found)
    await service.warm_catalog(conn)
    requests = await export_requests(sandbox)
    assert [pick.name for pick in await service.find_operators(conn, "алена", ALMATY)] == [
        "Алёна Королёва"
    ]
    assert await export_requests(sandbox) == requests
    assert await service.find_operators(conn, "  ", ALMATY) == []


async def test_query_result_typed_access(service: CallService, conn: Connection) -> None:
    result = await service.fetch(conn, CallQuery(period=Period(PeriodKind.D7)), ALMATY)
    typed = result.typed_range(0, len(result))
    assert [record.dialog_id for record in typed] == ids(result.records)
    assert result.typed_range(1, 2)[0] is typed[1]  # each model is built once
    some = result.records[3]
    found = result.find(rawacc.dialog_id(some) or -1)
    assert found is not None and found.dialog_id == rawacc.dialog_id(some)
    assert result.find(-5) is None
    assert [r.dialog_id for r in result.typed_range(0, 2)] == ids(result.records[:2])


# --- behaviour that needs a misbehaving or instrumented client --------------------


class RepeatingClient(AiokkClient):
    """A server that repeats itself: every record twice, and call type N also returns N+1."""

    async def collect(
        self,
        base_url: str,
        token: str,
        endpoint: Endpoint,
        value: int | str,
        sink: Callable[[], SinkT],
        *,
        deadline: Deadline | None = None,
    ) -> SinkT:
        values = [value]
        if endpoint is Endpoint.CALL_TYPE and isinstance(value, int) and value < 4:
            values.append(value + 1)
        into = sink()
        for each in values:
            for raw in await super().collect(base_url, token, endpoint, each, RecordList):
                into.add(raw)
                into.add(raw)
        return into


async def test_duplicates_within_and_across_responses_are_dropped(
    catalog: CatalogRepo, conn: Connection, everything: list[Raw]
) -> None:
    async with RepeatingClient() as repeating:
        service = CallService(repeating, ResultCache(), catalog, clock=lambda: NOW)
        result = await service.fetch(conn, CallQuery(period=Period(PeriodKind.ALL)), ALMATY)
    assert ids(result.records) == ids(newest_first(everything))
    # Each record counted once in the catalog although it arrived up to four times.
    departments = {entry.id: entry.calls for entry in await catalog.departments(conn.id)}
    assert sum(departments.values()) == sum(
        1 for raw in everything if rawacc.department_id(raw) is not None
    )


class CountingClient(AiokkClient):
    """Counts export requests open at the same time."""

    def __init__(self) -> None:
        super().__init__()
        self.in_flight = 0
        self.peak = 0
        self.opened = 0

    async def collect(
        self,
        base_url: str,
        token: str,
        endpoint: Endpoint,
        value: int | str,
        sink: Callable[[], SinkT],
        *,
        deadline: Deadline | None = None,
    ) -> SinkT:
        self.in_flight += 1
        self.opened += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            return await super().collect(base_url, token, endpoint, value, sink, deadline=deadline)
        finally:
            self.in_flight -= 1


@pytest.mark.parametrize("limit", [1, 2, 3])
async def test_concurrency_per_instance_is_bounded(
    catalog: CatalogRepo, conn: Connection, limit: int
) -> None:
    counting = CountingClient()
    async with counting:
        service = CallService(
            counting, ResultCache(), catalog, per_instance_concurrency=limit, clock=lambda: NOW
        )
        # "Rating at most 10" is a union of ten requests.
        await service.fetch(conn, CallQuery(loyalty_max=10), ALMATY)
    assert counting.opened == 10
    assert counting.peak == limit
    assert counting.in_flight == 0


async def test_find_operators_treats_yo_as_e_even_with_an_empty_catalog(
    service: CallService, conn: Connection
) -> None:
    # The server's own search tells ё from е, so "алена" only matches through local matching.
    found = await service.find_operators(conn, "алена", ALMATY)
    assert [pick.name for pick in found] == ["Алёна Королёва"]
    assert await service.find_operators(conn, "никого-нет", ALMATY) == []


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("aigerim", ["Айгерим Нурланова", "Айгерим Сапарова"]),
        ("Айгирим", ["Айгерим Нурланова", "Айгерим Сапарова"]),
        ("Нұрсұлтан", ["Нурсултан Абенов"]),
        ("Асел", ["Асель Жумабаева"]),
        ("Бауржан", ["Бауыржан Сейткали"]),
    ],
)
async def test_find_operators_matches_other_spellings_and_typos(
    service: CallService, conn: Connection, sandbox: RunningSandbox, typed: str, expected: list[str]
) -> None:
    # An empty catalog: the server's literal search finds nobody, all calls are matched here.
    found = await service.find_operators(conn, typed, ALMATY)
    assert sorted(pick.name for pick in found) == expected
    # Learned now: the catalog answers the same, with no request.
    requests = await export_requests(sandbox)
    again = await service.find_operators(conn, typed, ALMATY)
    assert sorted(pick.name for pick in again) == expected
    assert await export_requests(sandbox) == requests


async def test_find_operators_ranks_catalog_names(service: CallService, conn: Connection) -> None:
    await service.warm_catalog(conn)
    seytkali = [pick.name for pick in await service.find_operators(conn, "Тимур Сейткали", ALMATY)]
    assert seytkali == ["Тимур Сейткали", "Тимур Сейткали Младший"]
    surname = [pick.name for pick in await service.find_operators(conn, "сейткали", ALMATY)]
    assert sorted(surname) == ["Бауыржан Сейткали", "Тимур Сейткали", "Тимур Сейткали Младший"]
    assert [pick.name for pick in await service.find_operators(conn, "Иван", ALMATY)] == [
        "Иван Иванович"
    ]
    # Two letters: the beginning of a word only («Айгерим» has «ер» inside).
    two = {pick.name for pick in await service.find_operators(conn, "ер", ALMATY)}
    assert two == {"Ержан Касымов", "Динара Ержанова"}
