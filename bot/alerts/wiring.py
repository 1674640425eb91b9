"""Building the alert feature from the app's shared pieces and hooking it to the dispatcher.

The composition root calls ``build_alerts`` once and ``install_alerts`` on the dispatcher;
the poller then starts and stops with polling.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from aiogram import Bot, Dispatcher

from bot.alerts.buttons import AlertButtons
from bot.alerts.poller import AlertPoller
from bot.alerts.scheduler import AlertScheduler
from bot.alerts.service import AlertService
from bot.catalog_offers import CatalogWarmer
from bot.clock import Clock
from bot.sources import CallFetcher, ChatSource, ConnectionSource
from storage.alerts import AlertRepo
from storage.catalog import CatalogRepo
from storage.db import Database
from storage.digests import DigestRepo


@dataclass
class Alerts:
    service: AlertService
    scheduler: AlertScheduler

    @property
    def poller(self) -> AlertPoller:
        return self.scheduler.poller

    def kick(self) -> None:
        """Poll now, even a connection polled within the interval (SIGUSR1)."""
        self.scheduler.kick(force=True)

    async def start(self, bot: Bot) -> None:
        await self.scheduler.start(bot)

    async def stop(self) -> None:
        await self.scheduler.stop()


def build_alerts(
    db: Database,
    *,
    calls: CallFetcher,
    connections: ConnectionSource,
    chats: ChatSource,
    clock: Clock,
    poll_seconds: int,
    buttons: AlertButtons,
    allowed: Callable[[int], bool] = lambda _user_id: True,
    catalog: CatalogRepo | None = None,
    warmer: CatalogWarmer | None = None,
) -> Alerts:
    """Everything alerts need, on the bot's ``clock``; ``buttons`` builds Open and
    Handled ✓ under alert messages (the Telegram side supplies them); ``catalog`` and
    ``warmer`` offer the rule wizard its choices."""
    repo = AlertRepo(db)
    digests = DigestRepo(db)
    poller = AlertPoller(
        repo=repo,
        handled=digests,
        calls=calls,
        connections=connections,
        chats=chats,
        clock=clock,
        buttons=buttons,
        interval=timedelta(seconds=poll_seconds),
        allowed=allowed,
    )
    scheduler = AlertScheduler(poller)
    service = AlertService(
        repo,
        digests,
        clock,
        poll_soon=scheduler.kick,
        calls=calls,
        connections=connections,
        catalog=catalog,
        warmer=warmer,
        allowed=allowed,
        pause_owner=poller.pause_owner,
    )
    return Alerts(service=service, scheduler=scheduler)


def install_alerts(dispatcher: Dispatcher, alerts: Alerts) -> None:
    """``alerts`` for handlers; the poller starts and stops with polling."""
    dispatcher.workflow_data["alerts"] = alerts.service
    dispatcher.startup.register(alerts.start)
    dispatcher.shutdown.register(alerts.stop)
