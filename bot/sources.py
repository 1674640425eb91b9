"""What the background features (digests, alerts) need of the bot's services: narrow
protocols, so that each can be run and tested with only what it uses."""

from __future__ import annotations

from typing import Any, Protocol
from zoneinfo import ZoneInfo

from bot.query.model import CallQuery
from bot.query.service import ConnectionInfo, QueryResult
from storage import ChatSettings


class CallFetcher(Protocol):
    """The part of CallService that reads calls."""

    async def fetch(
        self,
        conn: ConnectionInfo,
        query: CallQuery,
        tz: ZoneInfo,
        *,
        with_previous: bool = False,
        refresh: bool = False,
    ) -> QueryResult: ...


class ConnectionSource(Protocol):
    """The part of ConnectionService that finds a user's connection."""

    async def get(self, user_id: int) -> Any: ...


class ChatSource(Protocol):
    async def get(self, chat_id: int) -> ChatSettings: ...
