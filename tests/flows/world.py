"""The real dispatcher and services against the fake Bot API and an aiokk sandbox behind a
gate: a test closes the gate to make aiokk stall (as a 20-second fetch does), feeds
updates meanwhile, and opens it again."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiogram import Bot, Dispatcher
from aiohttp import web
from pydantic import SecretStr

from bot.app import Services, build_bot, build_dispatcher, open_services
from bot.clock import ShiftedClock
from bot.config import Settings
from bot.sandbox import start_sandbox
from tests.clock import TEST_NOW
from tests.fake_telegram import FakeTelegram

JsonDict = dict[str, Any]


@dataclass
class GatedAiokk:
    """A proxy in front of the sandbox: requests wait while the gate is closed."""

    upstream: str
    base_url: str = ""
    waiting: int = 0  # requests held at the closed gate
    _open: asyncio.Event = field(default_factory=asyncio.Event)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self._open.set()

    def close_gate(self) -> None:
        self._open.clear()
        self._arrived.clear()

    def open_gate(self) -> None:
        self._open.set()

    async def stalled(self) -> None:
        """Wait until a request is held at the closed gate."""
        await self._arrived.wait()

    async def add_fault(self, fault: JsonDict) -> None:
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{self.upstream}/_sandbox/faults", json=fault) as response,
        ):
            response.raise_for_status()

    async def clear_faults(self) -> None:
        async with (
            aiohttp.ClientSession() as session,
            session.delete(f"{self.upstream}/_sandbox/faults") as response,
        ):
            response.raise_for_status()

    async def forward(self, request: web.Request) -> web.Response:
        if not self._open.is_set():
            self.waiting += 1
            self._arrived.set()
            try:
                await self._open.wait()
            finally:
                self.waiting -= 1
        session: aiohttp.ClientSession = request.app[SESSION]
        headers = {"Content-Type": request.headers.get("Content-Type", "application/json")}
        async with session.request(
            request.method,
            self.upstream + request.path_qs,
            data=await request.read(),
            headers=headers,
        ) as response:
            return web.Response(
                body=await response.read(),
                status=response.status,
                headers={"Content-Type": response.headers.get("Content-Type", "text/plain")},
            )


SESSION = web.AppKey("session", aiohttp.ClientSession)


@contextlib.asynccontextmanager
async def gated(upstream: str) -> AsyncIterator[GatedAiokk]:
    gate = GatedAiokk(upstream)
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", gate.forward)
    runner = web.AppRunner(app, access_log=None)
    async with aiohttp.ClientSession() as session:
        app[SESSION] = session
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        await web.SockSite(runner, sock).start()
        gate.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        try:
            yield gate
        finally:
            gate.open_gate()
            await runner.cleanup()


@dataclass
class World:
    fake: FakeTelegram
    bot: Bot
    dispatcher: Dispatcher
    services: Services
    aiokk: GatedAiokk

    async def feed(self, update: JsonDict) -> None:
        await self.dispatcher.feed_raw_update(self.bot, update)

    async def connect(self, user_id: int) -> None:
        """The user connects to the (gated) demo sandbox."""
        await self.services.connections.connect_demo(user_id)


@contextlib.asynccontextmanager
async def open_world(tmp_path: Path, *, calls: int = 200) -> AsyncIterator[World]:
    fake = FakeTelegram()
    await fake.start()
    sandbox = await start_sandbox(calls=calls, now=TEST_NOW)
    try:
        async with gated(sandbox.base_url) as aiokk:
            settings = Settings(
                bot_token=SecretStr(fake.token),
                telegram_api_url=fake.base_url,
                database_path=tmp_path / "bot.sqlite3",
                _env_file=None,
            )
            clock = ShiftedClock(TEST_NOW)
            async with open_services(
                settings, demo_base_url=aiokk.base_url, clock=clock
            ) as services:
                bot = build_bot(settings)
                dispatcher = build_dispatcher(services)
                try:
                    yield World(fake, bot, dispatcher, services, aiokk)
                finally:
                    await bot.session.close()
                    # Routers live at module level and may belong to one dispatcher at a
                    # time; aiogram has no public way to detach them.
                    for router in dispatcher.sub_routers:
                        router._parent_router = None
    finally:
        await sandbox.close()
        await fake.stop()
