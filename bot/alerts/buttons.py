"""The buttons under an alert, supplied by the Telegram side (``handlers.alerts_ui``):
Open (the call card) and Handled ✓ for each call the message lists. The alert only passes
the markup on to the Bot API unopened."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, TypeAlias

ReplyMarkup: TypeAlias = Any
"""A reply markup built by the Telegram side; opaque here."""


class AlertButtons(Protocol):
    def for_calls(self, calls: Sequence[tuple[int, int]], lang: str) -> ReplyMarkup | None:
        """Buttons for the calls a message lists, as (rule id, dialog id) in message order."""
        ...
