"""Shared pieces of the alert tests: export records with known answers, an aiokk (the
sandbox server over real HTTP) whose calls a test changes between polls, and a world
wiring the poller to a real database, the real CallService and the fake Bot API.

It holds no tests itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiohttp import web

from bot.aiokk.client import AiokkClient
from bot.alerts.model import AlertRule
from bot.alerts.poller import AlertPoller
from bot.clock import FrozenClock
from bot.query.cache import ResultCache
from bot.query.service import CallService, ConnectionRef
from bot.sandbox.index import RecordIndex
from bot.sandbox.server import STATE, RunningSandbox, build_app, run_app
from handlers.alerts_ui import TelegramAlertButtons
from storage.alerts import AlertRepo
from storage.chats import ChatRepo
from storage.db import Database
from storage.digests import DigestRepo
from tests.fake_telegram import FakeTelegram

ALMATY = ZoneInfo("Asia/Almaty")
OWNER = 501
Raw = dict[str, Any]


def almaty(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ALMATY)


def record(
    dialog_id: int,
    when: datetime,
    *,
    rating: int | None = 8,
    score: float | None = 90.0,
    signals: Iterable[str] = (),
    operator: str = "Айгерим Нурланова",
    operator_id: int = 7,
    department: int = 84,
    department_name: str = "Отдел продаж",
    pack: int = 27,
    summary: str | None = "Клиент уточнил условия доставки.",
) -> Raw:
    """One export record as aiokk sends it (``when`` is shown with the +05 offset)."""
    local = when.astimezone(ALMATY)
    analytics: dict[str, Any] = {"summary": summary}
    if rating is not None:
        analytics["clientLoyalty"] = {"currentGrade": rating}
    if score is not None:
        analytics["evaluationCriteria"] = {
            "evaluationId": pack,
            "evaluationTitle": "Вопросы по умолчанию",
            "eCurrentGrade": score,
            "maxGrade": 100,
        }
    words = list(signals)
    analytics["signals"] = {"mentionedSignals": ", ".join(words), "count": len(words)}
    return {
        "call": {
            "dialogId": dialog_id,
            "date": local.strftime("%Y-%m-%d %H:%M:%S") + "+05",
            "callType": 2,
            "durationSec": 155,
        },
        "operator": {
            "operatorId": operator_id,
            "fullName": operator,
            "departmentId": str(department),
            "departmentName": department_name,
        },
        "analytics": analytics,
    }


class Aiokk:
    """The sandbox's Export API serving records a test chooses (and changes)."""

    def __init__(self, app: web.Application, running: RunningSandbox) -> None:
        self._app = app
        self._running = running

    @classmethod
    async def start(cls, records: list[Raw]) -> Aiokk:
        app = build_app(RecordIndex(records))
        return cls(app, await run_app(app))

    @property
    def base_url(self) -> str:
        return self._running.base_url

    def serve(self, records: list[Raw]) -> None:
        self._app[STATE].index = RecordIndex(records)

    async def requests(self) -> dict[str, int]:
        """Requests per endpoint since the last call (the counts are reset)."""
        async with httpx.AsyncClient(base_url=self.base_url) as http:
            counts = (await http.get("/_sandbox/stats")).json()["requests"]
            await http.delete("/_sandbox/stats")
        return {name: count for name, count in counts.items() if count}

    async def close(self) -> None:
        await self._running.close()


class Connections:
    def __init__(self, base_url: str) -> None:
        self.ref = ConnectionRef(id=1, base_url=base_url, token="demo")

    async def get(self, user_id: int) -> ConnectionRef | None:
        return self.ref if user_id == OWNER else None


def make_bot(fake: FakeTelegram) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))
    return Bot(
        fake.token,
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


@dataclass
class World:
    db: Database
    clock: FrozenClock
    aiokk: Aiokk
    client: AiokkClient
    calls: CallService
    connections: Connections
    fake: FakeTelegram
    bot: Bot
    repo: AlertRepo
    digests: DigestRepo
    extra: list[Database] = field(default_factory=list)

    def poller(
        self, owner: str = "test-a", db: Database | None = None, **kwargs: Any
    ) -> AlertPoller:
        database = db or self.db
        return AlertPoller(
            repo=AlertRepo(database),
            handled=DigestRepo(database),
            calls=self.calls,
            connections=self.connections,
            chats=ChatRepo(database),
            clock=self.clock,
            bot=self.bot,
            buttons=TelegramAlertButtons(),
            owner=owner,
            **kwargs,
        )

    async def second_process_db(self) -> Database:
        """Another connection to the same database file, as a second bot process has."""
        other = await Database.open(self.db.path)
        self.extra.append(other)
        return other

    async def rule(self, **changes: Any) -> AlertRule:
        values: dict[str, Any] = {
            "chat_id": OWNER,
            "owner_user_id": OWNER,
            "created_by": OWNER,
            "quiet": None,
        }
        values.update(changes)
        return await self.repo.create(AlertRule(**values), self.clock())

    def texts(self, chat_id: int = OWNER) -> list[str]:
        bot_id = self.fake.bot_user["id"]
        return [
            str(m.get("text") or "")
            for m in self.fake.messages(chat_id)
            if m["from"]["id"] == bot_id
        ]

    def sent(self, chat_id: int = OWNER) -> list[dict[str, Any]]:
        bot_id = self.fake.bot_user["id"]
        return [m for m in self.fake.messages(chat_id) if m["from"]["id"] == bot_id]

    async def close(self) -> None:
        await self.bot.session.close()
        await self.fake.stop()
        await self.calls.aclose()
        await self.client.aclose()
        await self.aiokk.close()
        for db in [*self.extra, self.db]:
            await db.close()


async def make_world(tmp_path: Path, records: list[Raw], start: datetime) -> World:
    db = await Database.open(tmp_path / "bot.sqlite3")
    clock = FrozenClock(start)
    aiokk = await Aiokk.start(records)
    client = AiokkClient()
    calls = CallService(client, ResultCache(), None, clock=clock)
    fake = FakeTelegram()
    await fake.start()
    fake.private_chat(OWNER, "Айгерим")
    return World(
        db=db,
        clock=clock,
        aiokk=aiokk,
        client=client,
        calls=calls,
        connections=Connections(aiokk.base_url),
        fake=fake,
        bot=make_bot(fake),
        repo=AlertRepo(db),
        digests=DigestRepo(db),
    )
