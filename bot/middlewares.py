"""Update middleware: the allowlist, the chat's language and time zone, the user's connection."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiogram import BaseMiddleware
from aiogram.types import Chat, TelegramObject, Update, User

from bot.config import Settings
from bot.services.connections import ConnectionService
from bot.texts import pick_language, t
from storage import ChatRepo

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class ContextMiddleware(BaseMiddleware):
    """Puts ``lang``, ``tz``, ``chat_settings`` and ``connection`` into handler kwargs."""

    def __init__(self, settings: Settings, chats: ChatRepo, connections: ConnectionService) -> None:
        self._settings = settings
        self._chats = chats
        self._connections = connections

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        chat: Chat | None = data.get("event_chat")
        if user is None or user.is_bot:
            return await handler(event, data)
        chat_id = chat.id if chat else user.id
        settings = await self._chats.get(chat_id)
        if chat is not None and settings.kind != chat.type:
            await self._chats.ensure(chat.id, chat.type)
        lang = settings.language or pick_language(user.language_code)
        data["lang"] = lang
        data["chat_settings"] = settings
        data["tz"] = _zone(settings.timezone or self._settings.default_timezone)
        if not self._settings.is_allowed(user.id):
            log.info("refused user %s: not in ALLOWED_USER_IDS", user.id)
            await _refuse(event, t("access.denied", lang))
            return None
        data["connection"] = await self._connections.get(user.id)
        return await handler(event, data)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


async def _refuse(event: TelegramObject, text: str) -> None:
    if not isinstance(event, Update):
        return
    if event.message is not None:
        await event.message.answer(text)
    elif event.callback_query is not None:
        await event.callback_query.answer(text, show_alert=True)
