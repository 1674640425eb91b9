"""Telegram's flood limits as token buckets: per chat, per group chat and global."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.fake_telegram.errors import ApiError, too_many_requests

# Published guidance: about 1 message/s in one chat (short bursts pass), at most 20 messages
# a minute in one group, about 30 messages/s overall.
PER_CHAT_RATE = 1.0
PER_CHAT_BURST = 3.0
PER_GROUP_PER_MINUTE = 20.0
GLOBAL_RATE = 30.0


@dataclass
class TokenBucket:
    capacity: float
    rate: float  # tokens added per second
    tokens: float = field(init=False)
    updated: float | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.tokens = self.capacity

    def refill(self, now: float) -> None:
        if self.updated is not None:
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def wait_time(self) -> float:
        """Seconds until one token is available, as of the last refill (0: available now)."""
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


class FloodControl:
    """Decides whether one more outgoing message may be sent, as Telegram's flood control does.

    Sending methods count against every bucket; edits count against the per-chat and global
    buckets but not against a group's per-minute quota; a media group counts as one message.
    """

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._global = TokenBucket(GLOBAL_RATE, GLOBAL_RATE)
        self._per_chat: dict[int, TokenBucket] = {}
        self._per_group: dict[int, TokenBucket] = {}

    def _buckets(self, chat_id: int, *, is_edit: bool) -> list[TokenBucket]:
        chat = self._per_chat.setdefault(chat_id, TokenBucket(PER_CHAT_BURST, PER_CHAT_RATE))
        buckets = [self._global, chat]
        if chat_id < 0 and not is_edit:
            group = self._per_group.setdefault(
                chat_id, TokenBucket(PER_GROUP_PER_MINUTE, PER_GROUP_PER_MINUTE / 60)
            )
            buckets.append(group)
        return buckets

    def check(self, chat_id: int, *, is_edit: bool = False) -> ApiError | None:
        """Consume one message's worth, or return the 429 to answer (consuming nothing)."""
        now = self._clock()
        buckets = self._buckets(chat_id, is_edit=is_edit)
        for bucket in buckets:
            bucket.refill(now)
        wait = max(bucket.wait_time() for bucket in buckets)
        if wait > 0:
            return too_many_requests(max(1, math.ceil(wait)))
        for bucket in buckets:
            bucket.tokens -= 1
        return None
