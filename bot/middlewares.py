"""Update middleware: the allowlist, the chat's language and time zone, the user's connection;
and every button press answered once and in time."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramAPIError
from aiogram.methods import AnswerCallbackQuery, Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import CallbackQuery, Chat, Message, TelegramObject, Update, User

from bot.config import Settings
from bot.messages import esc
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


# ------------------------------------------------------------------ button presses

ANSWER_AFTER = 0.3
"""Seconds a handler has to answer a press itself (with its own toast or alert) before the
press is answered for it: a press must be answered within seconds or it is lost."""

_PRESS: contextvars.ContextVar[Press | None] = contextvars.ContextVar("press", default=None)


class Press:
    """One callback query being handled, answered exactly once whoever answers first.

    Handlers answer as before (``query.answer(...)``); ``AnswerOnce`` on the bot session
    lets only the first answer through. An alert that comes after the press was answered
    (by ``AnswerPresses``, because its handler was slow) is not lost: it becomes a message
    in the chat. A later toast is dropped: it only confirmed what the screen shows.
    """

    def __init__(self, query: CallbackQuery) -> None:
        self.query_id = query.id
        message = query.message
        # None for a press under an inline message: there is no chat to write to.
        self.chat_id = message.chat.id if message is not None else None
        self.thread_id: int | None = None
        if isinstance(message, Message) and message.is_topic_message:
            self.thread_id = message.message_thread_id
        self._answered = False

    @property
    def answered(self) -> bool:
        return self._answered

    def claim(self) -> bool:
        """True for the first answer only."""
        first = not self._answered
        self._answered = True
        return first

    async def answer(self, bot: Bot, text: str | None = None, *, alert: bool = False) -> None:
        """Answer the press (from anywhere, the error handler included) as a handler would."""
        token = _PRESS.set(self)
        try:
            await bot.answer_callback_query(self.query_id, text=text, show_alert=alert)
        finally:
            _PRESS.reset(token)

    async def tell(self, bot: Bot, text: str) -> None:
        """An alert that can no longer be one, as a message in the chat of the press."""
        if self.chat_id is None:
            log.info("press %s: an alert came too late and has no chat: %s", self.query_id, text)
            return
        await bot.send_message(self.chat_id, esc(text), message_thread_id=self.thread_id)


class AnswerPresses(BaseMiddleware):
    """Update outer middleware, before the FSM middleware and its isolation lock: every
    press is answered within ``delay`` seconds, even while it waits behind another update
    of the same user, and answered at the end if its handler never did.

    The press goes to handlers (and to the error handler) as the ``press`` keyword.
    """

    def __init__(self, delay: float = ANSWER_AFTER) -> None:
        self._delay = delay

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        query = event.callback_query if isinstance(event, Update) else None
        if query is None:
            return await handler(event, data)
        bot: Bot = data["bot"]
        press = Press(query)
        data["press"] = press
        finished = asyncio.Event()
        token = _PRESS.set(press)
        # Created after the press is current, so the early answer goes through ``AnswerOnce``.
        early = asyncio.create_task(self._answer_unless(finished, press, bot))
        try:
            result = await handler(event, data)
        finally:
            finished.set()
            await early  # never cancelled: an answer on its way must arrive
            _PRESS.reset(token)
        if not press.answered:  # no handler answered (a failing one leaves it to the errors)
            await _answer_quietly(press, bot)
        return result

    async def _answer_unless(self, finished: asyncio.Event, press: Press, bot: Bot) -> None:
        try:
            await asyncio.wait_for(finished.wait(), self._delay)
        except TimeoutError:
            if not press.answered:
                await _answer_quietly(press, bot)


async def _answer_quietly(press: Press, bot: Bot) -> None:
    """An answer with nothing to say; if Telegram refuses it, the press is past helping."""
    try:
        await press.answer(bot)
    except TelegramAPIError as error:  # e.g. the press is older than Telegram keeps it
        log.warning("could not answer press %s: %s", press.query_id, error)


class AnswerOnce(BaseRequestMiddleware):
    """Request middleware: one answer per press (see ``Press``), whoever sends it.

    Register it before the pacer, so that a retried answer is still the same answer.
    """

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if isinstance(method, AnswerCallbackQuery):
            press = _PRESS.get()
            if (
                press is not None
                and press.query_id == method.callback_query_id
                and not press.claim()
            ):
                if method.show_alert and method.text:
                    await press.tell(bot, method.text)
                return Response[TelegramType](ok=True, result=cast(TelegramType, True))
        return await make_request(bot, method)
