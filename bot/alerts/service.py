"""What the Telegram side does with alert rules: create, list, pause, delete, and mark a
call handled (the digests' mark: a call handled from an alert is not repeated in a digest)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.alerts.model import AlertRule
from bot.clock import Clock
from storage.alerts import AlertRepo
from storage.digests import DigestRepo, HandledMark


class AlertService:
    def __init__(
        self,
        repo: AlertRepo,
        digests: DigestRepo,
        clock: Clock,
        *,
        poll_soon: Callable[[], None] = lambda: None,
    ) -> None:
        self._repo = repo
        self._digests = digests
        self._clock = clock
        self._poll_soon = poll_soon

    async def create(self, rule: AlertRule) -> AlertRule:
        """Store a rule and poll soon: its first poll only remembers the calls there, so the
        sooner it runs, the sooner the next bad call alerts."""
        stored = await self._repo.create(rule, self._clock())
        self._poll_soon()
        return stored

    async def for_chat(self, chat_id: int) -> list[AlertRule]:
        return await self._repo.for_chat(chat_id)

    async def get(self, rule_id: int) -> AlertRule | None:
        return await self._repo.get(rule_id)

    async def set_paused(self, rule_id: int, paused: bool) -> bool:
        return await self._repo.set_paused(rule_id, paused, self._clock(), "user")

    async def delete(self, rule_id: int) -> bool:
        return await self._repo.delete(rule_id)

    async def mark_handled(
        self, chat_id: int, dialog_id: int, user_id: int, user_name: str
    ) -> tuple[HandledMark, bool]:
        """Record who handled the call in the chat; the first mark wins (see ``DigestRepo``)."""
        return await self._digests.mark_handled(chat_id, dialog_id, user_id, user_name, self._now())

    def _now(self) -> datetime:
        return self._clock()
