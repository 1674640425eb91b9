"""Composition root: builds every piece once and wires them into the dispatcher.

Tests reuse ``build_dispatcher`` with their own pieces; nothing else knows the
whole graph, and no module imports a global bot or dispatcher.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.types import BotCommand, BotCommandScopeDefault

from bot.aiokk.client import AiokkClient
from bot.config import Settings
from bot.crypto import TokenCipher, load_or_create_key
from bot.digest.wiring import Digests, build_digests, install_digests
from bot.exports.service import ExportService
from bot.middlewares import ContextMiddleware
from bot.pacing import PacingMiddleware
from bot.query.cache import ResultCache
from bot.query.service import CallService
from bot.services.calls import CallsPresenter
from bot.services.connections import ConnectionService
from bot.tasks import BackgroundTasks
from bot.texts import DEFAULT_LANGUAGE, LANGUAGES, t
from handlers import get_routers
from storage import CatalogRepo, ChatRepo, Connection, ConnectionRepo, OperatorLookupRepo
from storage.db import Database
from storage.fsm import SQLiteStorage

log = logging.getLogger(__name__)

COMMANDS = ("start", "calls", "op", "digest", "connect", "status", "settings", "help", "cancel")


@dataclass
class Services:
    """Everything handlers may ask for by keyword argument."""

    settings: Settings
    db: Database
    client: AiokkClient
    chats: ChatRepo
    connections: ConnectionService
    catalog: CatalogRepo
    lookups: OperatorLookupRepo
    calls: CallService
    calls_presenter: CallsPresenter
    exports: ExportService
    digests: Digests


def build_dispatcher(services: Services) -> Dispatcher:
    # One update at a time per user and chat: a quick press on a menu that was just sent
    # must see the draft saved by the handler that sent it.
    dispatcher = Dispatcher(
        storage=SQLiteStorage(services.db), events_isolation=SimpleEventIsolation()
    )
    dispatcher.workflow_data.update(
        settings=services.settings,
        db=services.db,
        client=services.client,
        chats=services.chats,
        connections=services.connections,
        catalog=services.catalog,
        lookups=services.lookups,
        calls=services.calls,
        calls_presenter=services.calls_presenter,
        exports=services.exports,
    )
    install_digests(dispatcher, services.digests)
    dispatcher.update.outer_middleware(
        ContextMiddleware(services.settings, services.chats, services.connections)
    )
    dispatcher.include_routers(*get_routers())
    dispatcher.startup.register(set_commands)
    return dispatcher


def build_bot(settings: Settings) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    # Every outgoing request passes one pacer: Telegram's flood limits and 429s live there.
    session.middleware(PacingMiddleware())
    return Bot(
        token=settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


async def set_commands(bot: Bot) -> None:
    for lang in LANGUAGES:
        commands = [
            BotCommand(command=name, description=t(f"cmd.{name}", lang)) for name in COMMANDS
        ]
        language_code = None if lang == DEFAULT_LANGUAGE else lang
        await bot.set_my_commands(
            commands, scope=BotCommandScopeDefault(), language_code=language_code
        )


@asynccontextmanager
async def open_services(
    settings: Settings, *, demo_base_url: str | None
) -> AsyncIterator[Services]:
    async with AsyncExitStack() as stack:
        key, created = load_or_create_key(
            settings.secret_key.get_secret_value() if settings.secret_key else None,
            settings.key_file,
        )
        if created:
            log.warning(
                "SECRET_KEY is not set: generated an encryption key in %s; keep it with the "
                "database (losing it makes saved tokens unreadable)",
                settings.key_file,
            )
        db = await Database.open(settings.database_path)
        stack.push_async_callback(db.close)
        client = AiokkClient()
        stack.push_async_callback(client.aclose)
        catalog = CatalogRepo(db)
        calls = CallService(client, ResultCache(), catalog)
        warmups = BackgroundTasks()
        stack.push_async_callback(warmups.cancel_all)

        async def warm_catalog(connection: Connection) -> None:
            warmups.spawn(calls.warm_catalog(connection))

        connections = ConnectionService(
            client,
            ConnectionRepo(db, TokenCipher(key)),
            demo_base_url=demo_base_url,
            on_connected=warm_catalog,
        )
        exports = ExportService()
        stack.push_async_callback(exports.close)
        chats = ChatRepo(db)
        digests = build_digests(
            db, calls=calls, connections=connections, chats=chats, catalog=catalog
        )
        yield Services(
            settings=settings,
            db=db,
            client=client,
            chats=chats,
            connections=connections,
            catalog=catalog,
            lookups=OperatorLookupRepo(db),
            calls=calls,
            calls_presenter=CallsPresenter(calls, catalog),
            exports=exports,
            digests=digests,
        )


def tune_garbage_collector() -> None:
    """Keep the cyclic collector from stalling the event loop while big responses are parsed.

    A 20,000-call response becomes millions of (acyclic) dicts; with the default thresholds
    the collector rescans every live object several times per fetch, in pauses of up to
    0.4 s. Everything built at startup lives as long as the process, so it is frozen out of
    the scans, and the youngest generation is collected less often.
    """
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


async def run_bot(settings: Settings, *, demo: bool) -> None:
    async with AsyncExitStack() as stack:
        demo_base_url = None
        if demo:
            from bot.sandbox import start_sandbox

            sandbox = await start_sandbox(live=True)
            stack.push_async_callback(sandbox.close)
            demo_base_url = sandbox.base_url
            log.info("demo sandbox is serving at %s", demo_base_url)
        services = await stack.enter_async_context(
            open_services(settings, demo_base_url=demo_base_url)
        )
        bot = build_bot(settings)
        stack.push_async_callback(bot.session.close)
        dispatcher = build_dispatcher(services)
        me = await bot.get_me()
        tune_garbage_collector()
        log.info("bot @%s started%s", me.username, " in demo mode" if demo else "")
        await dispatcher.start_polling(bot, handle_signals=True, close_bot_session=False)
        log.info("bot stopped")
