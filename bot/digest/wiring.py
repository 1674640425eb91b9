"""Building the digest feature from the app's shared pieces and hooking it to the dispatcher.

The composition root calls ``build_digests`` once and ``install_digests`` on the
dispatcher; the scheduler then starts and stops with polling.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from aiogram import Bot, Dispatcher

from bot.catalog_offers import CatalogSource, CatalogWarmer
from bot.clock import Clock
from bot.digest.artifacts import Artifacts, ProcessArtifacts
from bot.digest.buttons import DigestButtons
from bot.digest.claims import Claimer
from bot.digest.runner import DigestRunner
from bot.digest.scheduler import DigestScheduler
from bot.digest.service import DigestService
from bot.sources import CallFetcher, ChatSource, ConnectionSource
from storage.catalog import CatalogRepo
from storage.db import Database
from storage.digests import DigestRepo


class _Calls(CallFetcher, CatalogWarmer, Protocol):
    """CallService: fetches calls and can warm a connection's catalog."""


@dataclass
class Digests:
    service: DigestService
    scheduler: DigestScheduler

    async def start(self, bot: Bot) -> None:
        await self.scheduler.start(bot)

    async def stop(self) -> None:
        await self.scheduler.stop()


def build_digests(
    db: Database,
    *,
    calls: _Calls,
    connections: ConnectionSource,
    chats: ChatSource,
    catalog: CatalogRepo,
    clock: Clock,
    buttons: DigestButtons,
    allowed: Callable[[int], bool] = lambda _user_id: True,
    artifacts: Artifacts | None = None,
    max_building: int = 8,
) -> Digests:
    """Everything digests need, on the bot's ``clock``; ``allowed`` tells whether a user may
    still use the bot (and so feed digests). ``buttons`` builds the buttons under digest
    messages: the Telegram side supplies them."""
    repo = DigestRepo(db)
    catalog_source: CatalogSource = catalog
    runner = DigestRunner(
        repo=repo,
        calls=calls,
        connections=connections,
        chats=chats,
        names=catalog,
        artifacts=artifacts or ProcessArtifacts(),
        clock=clock,
        allowed=allowed,
        buttons=buttons,
    )
    scheduler = DigestScheduler(
        repo=repo,
        runner=runner,
        claimer=Claimer(repo, clock),
        clock=clock,
        max_building=max_building,
    )
    service = DigestService(
        repo=repo,
        runner=runner,
        connections=connections,
        calls=calls,
        names=catalog,
        clock=clock,
        catalog=catalog_source,
        warmer=calls,
    )
    return Digests(service=service, scheduler=scheduler)


def install_digests(dispatcher: Dispatcher, digests: Digests) -> None:
    """``digests`` for handlers; the scheduler starts and stops with polling."""
    dispatcher.workflow_data["digests"] = digests.service
    dispatcher.startup.register(digests.start)
    dispatcher.shutdown.register(digests.stop)
