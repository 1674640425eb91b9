"""Connecting a user to an aiokk instance: check the token with one real request, then save."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable

from bot.aiokk.client import AiokkClient
from storage import Connection, ConnectionRepo

log = logging.getLogger(__name__)

# Demo connections point at the in-process sandbox, whose port changes on every start.
DEMO_BASE_URL = "demo://sandbox"
DEMO_TOKEN = "demo"

OnConnected = Callable[[Connection], Awaitable[None]]


class DemoUnavailable(Exception):
    """The bot runs without ``--demo``, so there is no sandbox to connect to."""


class ConnectionService:
    def __init__(
        self,
        client: AiokkClient,
        repo: ConnectionRepo,
        *,
        demo_base_url: str | None = None,
        on_connected: OnConnected | None = None,
    ) -> None:
        self._client = client
        self._repo = repo
        self._demo_base_url = demo_base_url
        self._on_connected = on_connected

    @property
    def demo_enabled(self) -> bool:
        return self._demo_base_url is not None

    def effective(self, connection: Connection) -> Connection:
        """The connection with the demo marker replaced by the live sandbox address."""
        if connection.base_url == DEMO_BASE_URL and self._demo_base_url:
            return dataclasses.replace(connection, base_url=self._demo_base_url)
        return connection

    async def get(self, user_id: int) -> Connection | None:
        connection = await self._repo.get(user_id)
        return self.effective(connection) if connection else None

    async def check_address(self, base_url: str) -> None:
        """Raise ``AddressRefused`` when ``base_url`` leads into the bot's own network.

        Every request checks again (a name may resolve elsewhere later); this answers at
        the address step, before the user sends a token.
        """
        await self._client.check_address(base_url)

    async def connect(self, user_id: int, base_url: str, token: str) -> Connection:
        """Raises the client's typed errors; saves nothing unless the token works."""
        await self._client.check_token(base_url, token)
        saved = await self._repo.save(user_id, base_url, token)
        log.info("user %s connected to %s", user_id, base_url)
        return await self._after_connect(saved)

    async def connect_demo(self, user_id: int) -> Connection:
        if not self._demo_base_url:
            raise DemoUnavailable
        await self._client.check_token(self._demo_base_url, DEMO_TOKEN)
        saved = await self._repo.save(user_id, DEMO_BASE_URL, DEMO_TOKEN)
        log.info("user %s connected to the demo sandbox", user_id)
        return await self._after_connect(saved)

    async def _after_connect(self, saved: Connection) -> Connection:
        connection = self.effective(saved)
        if self._on_connected is not None:
            await self._on_connected(connection)
        return connection

    async def disconnect(self, user_id: int) -> bool:
        removed = await self._repo.delete(user_id)
        if removed:
            log.info("user %s disconnected", user_id)
        return removed
