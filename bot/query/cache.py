"""Short-lived cache of filtered export results.

Paging through a list or exporting right after a summary must not fetch the
same tens of thousands of records again. Entries hold only the records a
request kept after local filtering, are bounded by their total record count
(least recently used go first) and expire after a TTL. Tokens are keyed by a
hash, never in plain text.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.aiokk.endpoints import Endpoint
from bot.aiokk.raw import RawRecord
from bot.query.model import Window

CacheKey = tuple[str, str, str, int | str, str, tuple[float | None, float | None]]


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def cache_key(
    base_url: str,
    token: str,
    endpoint: Endpoint,
    value: int | str,
    local_fingerprint: str,
    window: Window,
) -> CacheKey:
    return (
        base_url.rstrip("/"),
        token_digest(token),
        endpoint.value,
        value,
        local_fingerprint,
        window.cache_key(),
    )


@dataclass(frozen=True, slots=True)
class CachedResult:
    """What one request kept: records in the window and, if collected, in the previous one."""

    records: list[RawRecord]
    previous: list[RawRecord] | None
    fetched_at: datetime

    @property
    def size(self) -> int:
        return len(self.records) + (len(self.previous) if self.previous is not None else 0)


@dataclass(slots=True)
class _Entry:
    result: CachedResult
    stored_at: float


class ResultCache:
    def __init__(
        self,
        ttl: float = 120,
        max_records: int = 60_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl <= 0 or max_records <= 0:
            raise ValueError("ttl and max_records must be positive")
        self._ttl = ttl
        self._max_records = max_records
        self._clock = clock
        self._entries: OrderedDict[CacheKey, _Entry] = OrderedDict()
        self._total = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def total_records(self) -> int:
        return self._total

    def get(self, key: CacheKey, *, need_previous: bool = False) -> CachedResult | None:
        """A fresh entry, or ``None``; an entry without the previous window does not
        answer a request that needs it."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if self._clock() - entry.stored_at >= self._ttl:
            self._drop(key)
            return None
        if need_previous and entry.result.previous is None:
            return None
        self._entries.move_to_end(key)
        return entry.result

    def put(self, key: CacheKey, result: CachedResult) -> None:
        """Store (or replace) an entry, evicting the least recently used ones to fit."""
        self._drop(key)
        if result.size > self._max_records:
            return
        now = self._clock()
        self._expire(now)
        while self._entries and self._total + result.size > self._max_records:
            oldest = next(iter(self._entries))
            self._drop(oldest)
        self._entries[key] = _Entry(result, now)
        self._total += result.size

    def invalidate_connection(self, base_url: str, token: str) -> int:
        """Forget everything fetched with this address and token; returns how many entries."""
        prefix = (base_url.rstrip("/"), token_digest(token))
        doomed = [key for key in self._entries if key[:2] == prefix]
        for key in doomed:
            self._drop(key)
        return len(doomed)

    def clear(self) -> None:
        self._entries.clear()
        self._total = 0

    def _expire(self, now: float) -> None:
        doomed = [key for key, entry in self._entries.items() if now - entry.stored_at >= self._ttl]
        for key in doomed:
            self._drop(key)

    def _drop(self, key: CacheKey) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._total -= entry.result.size
