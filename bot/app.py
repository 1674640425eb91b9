"""Composition root: builds every piece once and wires them into the dispatcher.

Tests reuse ``build_dispatcher`` with their own pieces; nothing else knows the
whole graph, and no module imports a global bot or dispatcher.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import TypeVar

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeDefault

from bot.aiokk.client import AiokkClient
from bot.aiokk.transport import AddressPolicy
from bot.alerts.wiring import Alerts, build_alerts, install_alerts
from bot.clock import Clock, clock_from_env
from bot.config import Settings
from bot.crypto import TokenCipher, load_or_create_key
from bot.digest.wiring import Digests, build_digests, install_digests
from bot.exports.service import ExportService, install_exports
from bot.isolation import UserIsolation
from bot.middlewares import AnswerOnce, AnswerPresses, ContextMiddleware
from bot.pacing import PacingMiddleware, ReplyPacingMiddleware
from bot.query.cache import ResultCache
from bot.query.service import CallService
from bot.services.calls import CallsPresenter
from bot.services.connections import ConnectionService
from bot.startup import reach_telegram
from bot.tasks import BackgroundTasks
from bot.texts import DEFAULT_LANGUAGE, LANGUAGES, t
from handlers import get_routers
from handlers.alerts_ui import TelegramAlertButtons
from handlers.digests.keyboards import TelegramDigestButtons
from storage import (
    CatalogRepo,
    ChatRepo,
    Connection,
    ConnectionRepo,
    OperatorLookupRepo,
    ShownQueryRepo,
)
from storage.db import Database
from storage.exports import ExportRepo
from storage.fsm import SQLiteStorage

log = logging.getLogger(__name__)
T = TypeVar("T")

COMMANDS = (
    "start",
    "calls",
    "op",
    "digest",
    "alerts",
    "connect",
    "status",
    "settings",
    "help",
    "cancel",
)


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
    shown_queries: ShownQueryRepo
    calls: CallService
    calls_presenter: CallsPresenter
    exports: ExportService
    digests: Digests
    alerts: Alerts


class KickSignal:
    """SIGUSR1 runs a digest tick and an alert poll right away.

    One handler for both: the event loop keeps one handler per signal, so a second
    ``add_signal_handler`` would silently replace the first. Installed while polling runs.
    """

    def __init__(self, *kicks: Callable[[], None]) -> None:
        self._kicks = kicks
        self._installed = False

    def kick(self) -> None:
        for kick in self._kicks:
            try:
                kick()
            except Exception:
                # One feature failing to start its run must not keep the other from its own.
                log.exception("SIGUSR1: %r failed", kick)

    async def install(self) -> None:
        sigusr1 = getattr(signal, "SIGUSR1", None)
        if sigusr1 is None:
            return
        try:
            asyncio.get_running_loop().add_signal_handler(sigusr1, self.kick)
        except (NotImplementedError, RuntimeError, ValueError):
            log.info("SIGUSR1 is not available here; digests and alerts run on their timers only")
            return
        self._installed = True

    async def remove(self) -> None:
        if not self._installed:
            return
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            asyncio.get_running_loop().remove_signal_handler(signal.SIGUSR1)
        self._installed = False


def build_dispatcher(services: Services) -> Dispatcher:
    # One update at a time per user and chat: a quick press on a menu that was just sent
    # must see the draft saved by the handler that sent it. Handlers leave that lock while
    # they wait on aiokk (``bot.isolation.outside_lock``), and presses are answered before
    # it is taken: the FSM middleware is registered below, after ``AnswerPresses``.
    dispatcher = Dispatcher(
        storage=SQLiteStorage(services.db), events_isolation=UserIsolation(), disable_fsm=True
    )
    dispatcher.update.outer_middleware(AnswerPresses())
    dispatcher.update.outer_middleware(dispatcher.fsm)
    dispatcher.workflow_data.update(
        settings=services.settings,
        db=services.db,
        client=services.client,
        chats=services.chats,
        connections=services.connections,
        catalog=services.catalog,
        lookups=services.lookups,
        shown_queries=services.shown_queries,
        calls=services.calls,
        clock=services.calls.now,
        calls_presenter=services.calls_presenter,
        exports=services.exports,
    )
    install_digests(dispatcher, services.digests)
    install_alerts(dispatcher, services.alerts)
    kick_signal = KickSignal(services.digests.scheduler.kick, services.alerts.kick)
    dispatcher.startup.register(kick_signal.install)
    dispatcher.shutdown.register(kick_signal.remove)
    install_exports(dispatcher, services.exports)
    dispatcher.update.outer_middleware(ReplyPacingMiddleware())
    dispatcher.update.outer_middleware(
        ContextMiddleware(services.settings, services.chats, services.connections)
    )
    dispatcher.include_routers(*get_routers())
    dispatcher.startup.register(set_commands)
    return dispatcher


def build_bot(settings: Settings) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    # A press is answered once, whoever answers it (outside the pacer, whose retries repeat
    # the same answer).
    session.middleware(AnswerOnce())
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
        try:
            await bot.set_my_commands(
                commands, scope=BotCommandScopeDefault(), language_code=language_code
            )
        except TelegramAPIError as error:
            # The command menu is a convenience: the bot works without it.
            log.warning("could not set the %s command menu: %s", lang, error.message)


@asynccontextmanager
async def open_services(
    settings: Settings, *, demo_base_url: str | None, clock: Clock
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
        # The pinned instance and the demo sandbox are trusted as they are; whatever a user
        # types must be public unless the admin allows private addresses.
        addresses = AddressPolicy.build(
            allow_private=settings.aiokk_allow_private,
            trusted=(settings.aiokk_base_url, demo_base_url),
        )
        client = AiokkClient(addresses=addresses)
        stack.push_async_callback(client.aclose)
        catalog = CatalogRepo(db)
        # Results messages past their retention are forgotten now, then daily as rows come.
        shown_queries = ShownQueryRepo(db, clock)
        await shown_queries.purge()
        calls = CallService(client, ResultCache(), catalog, clock=clock)
        stack.push_async_callback(calls.aclose)
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
        exports = ExportService(ExportRepo(db), addresses=addresses)
        stack.push_async_callback(exports.close)
        chats = ChatRepo(db)
        digests = build_digests(
            db,
            calls=calls,
            connections=connections,
            chats=chats,
            catalog=catalog,
            clock=clock,
            allowed=settings.is_allowed,
            buttons=TelegramDigestButtons(),
        )
        alerts = build_alerts(
            db,
            calls=calls,
            connections=connections,
            chats=chats,
            clock=clock,
            poll_seconds=settings.alerts_poll_seconds,
            allowed=settings.is_allowed,
            buttons=TelegramAlertButtons(),
            catalog=catalog,
            warmer=calls,
        )
        yield Services(
            settings=settings,
            db=db,
            client=client,
            chats=chats,
            connections=connections,
            catalog=catalog,
            lookups=OperatorLookupRepo(db),
            shown_queries=shown_queries,
            calls=calls,
            calls_presenter=CallsPresenter(calls, catalog),
            exports=exports,
            digests=digests,
            alerts=alerts,
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


async def _until_stopped(work: Awaitable[T]) -> T | None:
    """``work``, or None if SIGTERM/SIGINT comes first (before polling has its own handlers)."""
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(work)
    stoppable = [sig for sig in (signal.SIGTERM, signal.SIGINT) if hasattr(signal, sig.name)]
    for sig in stoppable:
        loop.add_signal_handler(sig, task.cancel)
    try:
        return await task
    except asyncio.CancelledError:
        if not task.cancelled():
            raise
        return None
    finally:
        for sig in stoppable:
            loop.remove_signal_handler(sig)


async def run_bot(settings: Settings, *, demo: bool) -> None:
    clock = clock_from_env()
    async with AsyncExitStack() as stack:
        bot = build_bot(settings)
        stack.push_async_callback(bot.session.close)
        # Telegram first: a wrong token or no network is said before anything else starts.
        me = await _until_stopped(reach_telegram(bot))
        if me is None:
            log.info("stopped before Telegram could be reached")
            return
        demo_base_url = None
        if demo:
            from bot.sandbox import start_sandbox

            sandbox = await start_sandbox(live=True, clock=clock)
            stack.push_async_callback(sandbox.close)
            demo_base_url = sandbox.base_url
            log.info("demo sandbox is serving at %s", demo_base_url)
        services = await stack.enter_async_context(
            open_services(settings, demo_base_url=demo_base_url, clock=clock)
        )
        dispatcher = build_dispatcher(services)
        tune_garbage_collector()
        log.info("bot @%s started%s", me.username, " in demo mode" if demo else "")
        await dispatcher.start_polling(bot, handle_signals=True, close_bot_session=False)
        log.info("bot stopped")
