"""Two operators whose names contain one another, against the real sandbox over HTTP.

The sandbox's roster has "Тимур Сейткали" and "Тимур Сейткали Младший"; its operator
endpoint, like aiokk's, returns both for the father's name. Every figure for either of
them (summary, /op scorecard, export, digest and its attachment) is recomputed here from
the raw records by ``operatorId`` and must match exactly.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from cryptography.fernet import Fernet

from bot.aiokk import raw as rawacc
from bot.aiokk.client import AiokkClient
from bot.aiokk.endpoints import Endpoint
from bot.crypto import TokenCipher
from bot.digest.artifacts import InlineArtifacts
from bot.digest.model import Attachment, ScopeKind, Subscription
from bot.digest.runner import DigestRunner
from bot.exports.job import ExportFormat, ExportJob, fetch_records, write_file
from bot.query.cache import ResultCache
from bot.query.model import CallQuery, OperatorPick, Period, PeriodKind
from bot.query.service import CallService
from bot.reports.render import render_operator_card
from bot.reports.stats import compute_stats
from bot.sandbox import RunningSandbox, generate_records, start_sandbox
from bot.sandbox.catalog import OPERATORS
from bot.sandbox.server import create_app, run_app
from bot.services.calls import CallsPresenter
from bot.texts import t
from handlers.digests.editing import scope_for
from handlers.digests.keyboards import TelegramDigestButtons
from handlers.operator import LAST_CALLS, Lookup
from storage import CatalogRepo, ChatRepo, DigestRepo
from storage.connections import Connection, ConnectionRepo
from storage.db import Database

ALMATY_NAME = "Asia/Almaty"
NOW = datetime(2025, 4, 21, 14, 0, tzinfo=UTC)  # 19:00 in Almaty, a Monday
CALLS = 1000
FATHER = "Тимур Сейткали"
SON = "Тимур Сейткали Младший"
IDS = {operator.full_name: operator.id for operator in OPERATORS}

Raw = dict[str, Any]


# --- fixtures ---------------------------------------------------------------------------


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    running = await start_sandbox(calls=CALLS, seed=1, now=NOW)
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
    return await ConnectionRepo(db, TokenCipher(Fernet.generate_key())).save(
        1, sandbox.base_url, "demo"
    )


@pytest.fixture
async def client() -> AsyncIterator[AiokkClient]:
    async with AiokkClient() as aiokk:
        yield aiokk


@pytest.fixture
def service(client: AiokkClient, db: Database) -> CallService:
    return CallService(client, ResultCache(), CatalogRepo(db), clock=lambda: NOW)


@pytest.fixture
def presenter(service: CallService, db: Database) -> CallsPresenter:
    return CallsPresenter(service, CatalogRepo(db))


@pytest.fixture
async def everything(client: AiokkClient, sandbox: RunningSandbox) -> list[Raw]:
    """Every sandbox record, read independently of the bot's query layer."""
    records: list[Raw] = []
    for call_type in (1, 2, 3, 4):
        records += await client.fetch_raw(sandbox.base_url, "demo", Endpoint.CALL_TYPE, call_type)
    assert len(records) == CALLS
    return records


# --- the oracle: plain loops over raw dicts ---------------------------------------------------


def tz() -> ZoneInfo:
    return ZoneInfo(ALMATY_NAME)


def today() -> date:
    return NOW.astimezone(tz()).date()


def of_person(records: list[Raw], operator_id: int, first: date | None = None) -> list[Raw]:
    """Calls whose ``operator.operatorId`` is ``operator_id``, from ``first`` to today."""
    kept = []
    for raw in records:
        operator = raw.get("operator") or {}
        if operator.get("operatorId") != operator_id:
            continue
        day = datetime.fromisoformat(raw["call"]["date"]).astimezone(tz()).date()
        if first is None or first <= day <= today():
            kept.append(raw)
    return kept


def dialog_ids(records: list[Raw]) -> list[int]:
    return [int(raw["call"]["dialogId"]) for raw in records]


def newest_first(records: list[Raw]) -> list[int]:
    ordered = sorted(
        records,
        key=lambda raw: (datetime.fromisoformat(raw["call"]["date"]), raw["call"]["dialogId"]),
        reverse=True,
    )
    return dialog_ids(ordered)


def rating(raw: Raw) -> int | None:
    block = (raw.get("analytics") or {}).get("clientLoyalty")
    return int(block["currentGrade"]) if block else None


def score(raw: Raw) -> float | None:
    block = (raw.get("analytics") or {}).get("evaluationCriteria")
    if not block or not block.get("maxGrade"):
        return None
    return 100.0 * float(block["eCurrentGrade"]) / float(block["maxGrade"])


def is_bad(raw: Raw) -> bool:
    """The default digest rule: client rating ≤ 3 or script score below 50 %."""
    grade, percent = rating(raw), score(raw)
    return (grade is not None and grade <= 3) or (percent is not None and percent < 50)


def shown_total(text: str) -> int:
    found = re.search(r"Звонков: ([\d\s]+)", re.sub(r"<[^>]+>", "", text))
    assert found, text
    return int(re.sub(r"\D", "", found.group(1)))


PEOPLE = [FATHER, SON]
PERIODS = {PeriodKind.D7: 6, PeriodKind.D30: 29, PeriodKind.ALL: None}


def first_day(kind: PeriodKind) -> date | None:
    back = PERIODS[kind]
    return today() - timedelta(days=back) if back is not None else None


async def picked(service: CallService, conn: Connection, name: str) -> OperatorPick:
    """The person as /op offers them after typing the father's name."""
    picks = await service.find_operators(conn, FATHER, tz())
    return next(pick for pick in picks if pick.name == name)


# --- tests ---------------------------------------------------------------------------------


async def test_the_father_s_name_finds_both_and_the_exact_one_first(
    service: CallService,
    conn: Connection,
    client: AiokkClient,
    sandbox: RunningSandbox,
) -> None:
    # The sandbox's operator endpoint, like aiokk's, answers the father's name with both.
    answer = await client.fetch_raw(sandbox.base_url, "demo", Endpoint.OPERATOR, FATHER)
    assert {rawacc.operator_id(raw) for raw in answer} == {IDS[FATHER], IDS[SON]}
    picks = await service.find_operators(conn, "тимур сейткали", tz())
    assert [(pick.name, pick.id) for pick in picks] == [(FATHER, IDS[FATHER]), (SON, IDS[SON])]


@pytest.mark.parametrize("kind", list(PERIODS))
@pytest.mark.parametrize("name", PEOPLE)
async def test_summary_figures_are_that_person_s_own(
    service: CallService,
    presenter: CallsPresenter,
    conn: Connection,
    everything: list[Raw],
    name: str,
    kind: PeriodKind,
) -> None:
    pick = await picked(service, conn, name)
    query = CallQuery(period=Period(kind)).with_operator(pick)
    expected = of_person(everything, IDS[name], first_day(kind))
    assert expected, "the person has calls in the period"
    result = await service.fetch(conn, query, tz())
    assert dialog_ids(result.records) == newest_first(expected)

    stats = compute_stats(result.records)
    ratings = [grade for raw in expected if (grade := rating(raw)) is not None]
    scores = [percent for raw in expected if (percent := score(raw)) is not None]
    assert stats.total == len(expected)
    assert stats.rated == len(ratings)
    assert stats.avg_rating == pytest.approx(sum(ratings) / len(ratings))
    assert stats.low_rated == sum(1 for grade in ratings if grade <= 3)
    assert stats.avg_score == pytest.approx(sum(scores) / len(scores))
    assert [(op.operator_id, op.calls) for op in stats.operators] == [(IDS[name], len(expected))]

    view = await presenter.summary(conn, query, tz(), "ru")
    assert shown_total(view.text) == len(expected)
    assert name in view.text
    assert all(item.dialog_id in set(dialog_ids(expected)) for item in view.worst)


async def test_typed_text_keeps_both_and_says_so(
    service: CallService, presenter: CallsPresenter, conn: Connection, everything: list[Raw]
) -> None:
    query = CallQuery(period=Period(PeriodKind.ALL)).with_operator_text(FATHER)
    expected = of_person(everything, IDS[FATHER]) + of_person(everything, IDS[SON])
    view = await presenter.summary(conn, query, tz(), "ru")
    assert shown_total(view.text) == len(expected)
    assert f"содержит «{FATHER}»: 2 оператора" in view.text


@pytest.mark.parametrize("name", PEOPLE)
async def test_scorecard_and_last_calls_are_that_person_s_own(
    service: CallService,
    presenter: CallsPresenter,
    conn: Connection,
    everything: list[Raw],
    name: str,
) -> None:
    offered = await service.find_operators(conn, FATHER, tz())
    lookup = Lookup(message_id=1, options=offered, period=PeriodKind.ALL.value)
    lookup.choose([pick.name for pick in offered].index(name))
    restored = Lookup.load({"op": lookup.dump()})  # as the next press reads it
    assert restored is not None
    lookup = restored
    expected = of_person(everything, IDS[name])

    result = await presenter.fetch(conn, lookup.query(), tz())
    stats = compute_stats(result.records)
    text = render_operator_card(lookup.label, stats, None, period_label="", lang="ru")
    assert shown_total(text) == len(expected)
    last = [record.dialog_id for record in result.typed_range(0, LAST_CALLS)]
    assert last == newest_first(expected)[:LAST_CALLS]


@pytest.mark.parametrize("fmt", [ExportFormat.JSON, ExportFormat.CSV])
@pytest.mark.parametrize("name", PEOPLE)
async def test_export_holds_that_person_s_calls_only(
    service: CallService,
    conn: Connection,
    everything: list[Raw],
    tmp_path: Path,
    name: str,
    fmt: ExportFormat,
) -> None:
    pick = await picked(service, conn, name)
    query = CallQuery(period=Period(PeriodKind.D30)).with_operator(pick)
    job = ExportJob(
        base_url=conn.base_url,
        token=conn.token,
        query=query.to_dict(),
        tz_name=ALMATY_NAME,
        lang="ru",
        fmt=fmt,
        delimiter=";",
        directory=tmp_path,
        filename=f"export.{fmt.value}",
        now=NOW,
        limit_bytes=50 << 20,
    )
    records = await fetch_records(job)
    path = tmp_path / job.filename
    write_file(job, records, path, lambda done: None)
    expected = of_person(everything, IDS[name], first_day(PeriodKind.D30))
    if fmt is ExportFormat.JSON:
        written = json.loads(path.read_text(encoding="utf-8"))
        assert sorted(dialog_ids(written)) == sorted(dialog_ids(expected))
        return
    ids, operators = csv_columns(path.read_text(encoding="utf-8"), "ru")
    assert sorted(ids) == sorted(dialog_ids(expected))
    assert set(operators) == {IDS[name]}


def csv_columns(text: str, lang: str) -> tuple[list[int], list[int]]:
    """The call id and operator id columns of a CSV the bot wrote."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    header = rows[0]
    id_at = header.index(t("report.col.dialog_id", lang))
    operator_at = header.index(t("report.col.operator_id", lang))
    body = [row for row in rows[1:] if row]
    return [int(row[id_at]) for row in body], [int(row[operator_at]) for row in body]


class OneConnection:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def get(self, user_id: int) -> Connection:
        return self.conn


@pytest.mark.parametrize("name", PEOPLE)
async def test_digest_and_its_attachment_are_that_person_s_own(
    service: CallService, conn: Connection, db: Database, everything: list[Raw], name: str
) -> None:
    pick = await picked(service, conn, name)
    scope = scope_for(ScopeKind.OPERATOR, pick.dump())  # the wizard's button
    assert scope is not None
    artifacts = InlineArtifacts()
    runner = DigestRunner(
        repo=DigestRepo(db),
        calls=service,
        connections=OneConnection(conn),
        chats=ChatRepo(db),
        names=CatalogRepo(db),
        artifacts=artifacts,
        clock=lambda: NOW,
        buttons=TelegramDigestButtons(),
    )
    sub = Subscription(
        chat_id=1, owner_user_id=1, created_by=1, scope=scope, attachment=Attachment.CSV
    )
    period = (today() - timedelta(days=7), today() - timedelta(days=1))
    try:
        built = await runner.build(sub, period)
    finally:
        await artifacts.close()

    week = [
        raw
        for raw in of_person(everything, IDS[name])
        if period[0]
        <= datetime.fromisoformat(raw["call"]["date"]).astimezone(tz()).date()
        <= period[1]
    ]
    bad = [raw for raw in week if is_bad(raw)]
    assert bad, "the week has bad calls of this person"
    figures = built.figures
    assert (figures.total, figures.bad) == (len(week), len(bad))
    assert figures.per_operator == [(name, len(bad))]
    assert name in built.rendered.text()
    assert built.file is not None
    ids, operators = csv_columns(built.file[1].decode("utf-8"), "ru")
    assert sorted(ids) == sorted(dialog_ids(bad))
    assert set(operators) == {IDS[name]}


async def test_namesakes_in_two_departments_are_two_people(
    client: AiokkClient, db: Database
) -> None:
    records = generate_records(400, seed=3, now=NOW)
    # Алия Мухамедова (call centre) renamed to the name of Асель Жумабаева (support).
    for raw in records:
        operator = raw.get("operator")
        if operator and operator["operatorId"] == IDS["Алия Мухамедова"]:
            operator["fullName"] = "Асель Жумабаева"
    running = await run_app(create_app(records))
    try:
        conn = await ConnectionRepo(db, TokenCipher(Fernet.generate_key())).save(
            1, running.base_url, "demo"
        )
        service = CallService(client, ResultCache(), CatalogRepo(db), clock=lambda: NOW)
        picks = await service.find_operators(conn, "Асель Жумабаева", tz())
        assert sorted(pick.id or 0 for pick in picks) == sorted(
            [IDS["Асель Жумабаева"], IDS["Алия Мухамедова"]]
        )
        assert {pick.department for pick in picks} == {"Служба поддержки", "Колл-центр"}
        for pick in picks:
            assert pick.id is not None
            query = CallQuery(period=Period(PeriodKind.ALL)).with_operator(pick)
            result = await service.fetch(conn, query, tz())
            assert sorted(dialog_ids(result.records)) == sorted(
                dialog_ids(of_person(records, pick.id))
            )
    finally:
        await running.close()
