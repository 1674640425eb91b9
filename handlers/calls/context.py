"""What every /calls and /op handler needs besides its event and FSM state, in one object.

``CallsContextMiddleware`` builds a ``CallsContext`` from the dispatcher's workflow data
and the per-update values that ``bot.middlewares.ContextMiddleware`` put there, and hands
it to handlers as the ``ctx`` keyword.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import BaseMiddleware, Bot, Router
from aiogram.types import CallbackQuery, Message, TelegramObject

from bot.config import Settings
from bot.exports.service import ExportService
from bot.services.calls import CallsPresenter
from bot.texts import t
from storage import CatalogRepo, ChatSettings, Connection, OperatorLookupRepo, ShownQueryRepo

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class CallsContext:
    lang: str
    tz: ZoneInfo
    bot: Bot
    settings: Settings
    chat_settings: ChatSettings
    connection: Connection | None
    presenter: CallsPresenter
    catalog: CatalogRepo
    exports: ExportService
    shown: ShownQueryRepo
    lookups: OperatorLookupRepo

    def now(self) -> datetime:
        return self.presenter.service.now()

    def clock_time(self) -> str:
        """The bot's local time of day, e.g. for "failed again at …"."""
        return self.now().astimezone(self.tz).strftime("%H:%M:%S")

    async def require_connection(self, target: Message | CallbackQuery) -> Connection | None:
        """The user's connection, or None after telling them to connect."""
        if self.connection is None:
            if isinstance(target, CallbackQuery):
                await target.answer(t("calls.not_connected", self.lang), show_alert=True)
            else:
                await target.answer(t("calls.not_connected", self.lang))
        return self.connection


class CallsContextMiddleware(BaseMiddleware):
    """Router inner middleware: adds ``ctx`` for the handler that matched."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if "lang" in data:  # set for every allowed user (see ContextMiddleware)
            data["ctx"] = CallsContext(
                lang=data["lang"],
                tz=data["tz"],
                bot=data["bot"],
                settings=data["settings"],
                chat_settings=data["chat_settings"],
                connection=data.get("connection"),
                presenter=data["calls_presenter"],
                catalog=data["catalog"],
                exports=data["exports"],
                shown=data["shown_queries"],
                lookups=data["lookups"],
            )
        return await handler(event, data)


def install_context(router: Router) -> None:
    """Give ``router``'s (and its sub-routers') message and press handlers ``ctx``."""
    middleware = CallsContextMiddleware()
    router.message.middleware(middleware)
    router.callback_query.middleware(middleware)
