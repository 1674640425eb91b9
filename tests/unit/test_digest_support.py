"""Shared pieces of the digest tests: raw records with known answers, a stub aiokk,
and a "world" wiring the digest parts to a real database and the fake Bot API.

It holds no tests itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode

from bot.aiokk import raw
from bot.clock import FrozenClock
from bot.digest.artifacts import Artifacts, InlineArtifacts
from bot.digest.claims import Claimer
from bot.digest.model import Schedule, Subscription
from bot.digest.runner import DigestRunner
from bot.digest.scheduler import DigestScheduler
from bot.digest.service import DigestService
from bot.query.model import CallQuery, previous_window, resolve_period
from bot.query.service import ConnectionRef, QueryResult
from handlers.digests.keyboards import TelegramDigestButtons
from storage.chats import ChatRepo
from storage.db import Database
from storage.digests import DigestRepo
from tests.fake_telegram import FakeTelegram

ALMATY = ZoneInfo("Asia/Almaty")
OWNER = 501
OTHER = 502


def record(
    dialog_id: int,
    when: str,
    *,
    rating: int | None = 8,
    score: float | None = 90.0,
    signals: Iterable[str] = (),
    operator: str | None = "Айгерим Нурланова",
    summary: str | None = "Клиент уточнил условия доставки.",
    department: int = 10,
) -> dict[str, Any]:
    """One export record as aiokk sends it (``when`` is local Almaty time)."""
    analytics: dict[str, Any] = {"summary": summary}
    if rating is not None:
        analytics["clientLoyalty"] = {"currentGrade": rating, "description": "—"}
    if score is not None:
        analytics["evaluationCriteria"] = {
            "evaluationId": 7,
            "evaluationTitle": "Продажи",
            "eCurrentGrade": score,
            "maxGrade": 100,
            "criterion1": {"description1": "Приветствие", "mark1": 1},
        }
    words = list(signals)
    if words:
        analytics["signals"] = {"mentionedSignals": ",".join(words), "count": len(words)}
    return {
        "call": {"dialogId": dialog_id, "date": f"{when}+05", "callType": 2, "durationSec": 95},
        "operator": (
            {"fullName": operator, "departmentId": str(department), "departmentName": "Продажи"}
            if operator is not None
            else None
        ),
        "analytics": analytics,
    }


def day_records() -> list[dict[str, Any]]:
    """Calls of 20 Nov 2025 (Thursday) and of the days around it, with known bad calls.

    With the default rule (rating ≤ 3 or score < 50 %) the bad calls of 20 Nov are
    1002, 1003, 1004 and 1006; 1005 is bad only with the signal "жалоба".
    """
    return [
        record(1001, "2025-11-20 09:15:00"),
        record(1002, "2025-11-20 10:42:00", rating=2, score=35.0, signals=["возврат"]),
        record(1003, "2025-11-20 11:05:00", rating=3, operator="Борис <Петров>"),
        record(1004, "2025-11-20 12:30:00", rating=9, score=40.0, operator="Борис <Петров>"),
        record(1005, "2025-11-20 14:00:00", signals=["жалоба"]),
        record(1006, "2025-11-20 16:20:00", rating=1, score=None, summary=None),
        record(1007, "2025-11-20 17:00:00", rating=None, score=None),
        # 19 Nov: the previous day (one bad call).
        record(901, "2025-11-19 10:00:00", rating=2),
        record(902, "2025-11-19 11:00:00"),
        # Friday to Sunday before Monday 24 Nov.
        record(2101, "2025-11-21 10:00:00", rating=2),
        record(2201, "2025-11-22 10:00:00", rating=1),
        record(2301, "2025-11-23 10:00:00", score=20.0),
        record(2302, "2025-11-23 11:00:00"),
        # Monday 24 Nov itself (after the run's period).
        record(2401, "2025-11-24 08:00:00", rating=1),
    ]


class StubCalls:
    """Answers like CallService from a fixed list of records; can be told to fail."""

    def __init__(self, records: list[dict[str, Any]], clock: FrozenClock) -> None:
        self.records = records
        self.clock = clock
        self.failures: list[Exception] = []
        self.fetches: list[CallQuery] = []

    async def fetch(
        self,
        conn: Any,
        query: CallQuery,
        tz: ZoneInfo,
        *,
        with_previous: bool = False,
        refresh: bool = False,
    ) -> QueryResult:
        self.fetches.append(query)
        if self.failures:
            raise self.failures.pop(0)
        window = resolve_period(query.period, tz, self.clock())
        earlier = previous_window(window) if with_previous else None
        kept = [r for r in self.records if window.contains(raw.call_date(r))]
        before = (
            [r for r in self.records if earlier.contains(raw.call_date(r))]
            if earlier is not None
            else None
        )
        return QueryResult(
            records=kept,
            previous=before,
            window=window,
            previous_window=earlier,
            fetched_at=self.clock(),
        )


class StubConnections:
    def __init__(self) -> None:
        self.by_user: dict[int, ConnectionRef] = {}

    def connect(self, user_id: int) -> ConnectionRef:
        ref = ConnectionRef(id=user_id * 10, base_url="http://aiokk.test", token=f"demo-{user_id}")
        self.by_user[user_id] = ref
        return ref

    async def get(self, user_id: int) -> ConnectionRef | None:
        return self.by_user.get(user_id)


@dataclass
class World:
    db: Database
    repo: DigestRepo
    chats: ChatRepo
    clock: FrozenClock
    calls: StubCalls
    connections: StubConnections
    runner: DigestRunner
    claimer: Claimer
    scheduler: DigestScheduler
    service: DigestService
    fake: FakeTelegram
    bot: Bot
    extra: list[Database] = field(default_factory=list)

    async def close(self) -> None:
        await self.bot.session.close()
        await self.fake.stop()
        await self.runner.artifacts.close()
        for db in [*self.extra, self.db]:
            await db.close()

    async def subscribe(self, **changes: Any) -> Subscription:
        """A stored subscription: 09:00 Almaty daily in OWNER's private chat by default."""
        values: dict[str, Any] = {
            "chat_id": OWNER,
            "owner_user_id": OWNER,
            "created_by": OWNER,
            "owner_name": "Айгерим",
            "schedule": Schedule(9, 0, "Asia/Almaty"),
            "chart": False,
        }
        values.update(changes)
        return await self.service.create(Subscription(**values))


def make_bot(fake: FakeTelegram) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))
    return Bot(
        fake.token,
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


def almaty(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ALMATY)


def build_parts(
    db: Database,
    clock: FrozenClock,
    calls: StubCalls,
    connections: StubConnections,
    *,
    owner: str = "test-a",
    artifacts: Artifacts | None = None,
    allowed: Callable[[int], bool] = lambda _user_id: True,
) -> tuple[DigestRepo, DigestRunner, Claimer, DigestScheduler, DigestService]:
    repo = DigestRepo(db)
    chats = ChatRepo(db)
    runner = DigestRunner(
        repo=repo,
        calls=calls,
        connections=connections,
        chats=chats,
        names=None,
        artifacts=artifacts or InlineArtifacts(),
        clock=clock,
        allowed=allowed,
        buttons=TelegramDigestButtons(),
    )
    claimer = Claimer(repo, clock, owner=owner)
    scheduler = DigestScheduler(repo=repo, runner=runner, claimer=claimer, clock=clock)
    service = DigestService(
        repo=repo,
        runner=runner,
        connections=connections,
        calls=calls,
        names=None,
        clock=clock,
    )
    return repo, runner, claimer, scheduler, service


async def make_world(
    tmp_path: Path,
    *,
    start: datetime | None = None,
    artifacts: Artifacts | None = None,
    allowed: Callable[[int], bool] = lambda _user_id: True,
) -> World:
    db = await Database.open(tmp_path / "bot.sqlite3")
    clock = FrozenClock(start or almaty(2025, 11, 20, 18, 0))
    calls = StubCalls(day_records(), clock)
    connections = StubConnections()
    connections.connect(OWNER)
    repo, runner, claimer, scheduler, service = build_parts(
        db, clock, calls, connections, artifacts=artifacts, allowed=allowed
    )
    fake = FakeTelegram()
    await fake.start()
    fake.private_chat(OWNER, "Айгерим")
    bot = make_bot(fake)
    return World(
        db=db,
        repo=repo,
        chats=ChatRepo(db),
        clock=clock,
        calls=calls,
        connections=connections,
        runner=runner,
        claimer=claimer,
        scheduler=scheduler,
        service=service,
        fake=fake,
        bot=bot,
    )


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def local_day(moment: datetime) -> date:
    return moment.astimezone(ALMATY).date()
