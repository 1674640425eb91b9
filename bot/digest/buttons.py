"""The buttons a digest's own messages carry, as the digest needs them: supplied from outside.

A digest message lists bad calls with an Open and a Handled ✓ button each, and a note about
a missing file offers Send now. What those buttons are (their layout, labels and callback
data) belongs to the Telegram side, which hands an implementation of ``DigestButtons`` to
``build_digests``; the digest only passes the markup on to the Bot API unopened.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, Protocol, TypeAlias

from bot.digest.render import DigestItem

ReplyMarkup: TypeAlias = Any
"""A reply markup built by the Telegram side; opaque here, handed to the Bot API as it is."""


class DigestButtons(Protocol):
    def under_digest(
        self, row_id: int, items: Sequence[DigestItem], handled: Collection[int], lang: str
    ) -> ReplyMarkup | None:
        """Buttons under the stored digest message ``row_id``; None for none."""
        ...

    def send_now(self, sub_id: int, lang: str) -> ReplyMarkup | None:
        """The way to get a digest that failed, or whose file did (Send now)."""
        ...
