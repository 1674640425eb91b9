"""Short-lived cache of filtered export results.

Paging through a list or exporting right after a summary must not fetch the
same tens of thousands of records again. Entries hold only the records a
request kept after local filtering, are bounded by their total record count
(least recently used go first) and expire after a TTL; a large entry (thousands
of calls) also expires once nobody has read it for a while, so that a burst of
big summaries does not keep the bot's memory. Tokens are keyed by a hash, never
in plain text.

Records are kept packed (``PackedCall``): compact JSON, about a third of their size
as Python dicts, back to back in one buffer per response (``Slab``). Thousands of
parsed records that outlive their fetch would stay spread over Python's small-object
arenas, where a few survivors keep a whole arena; packed one by one, they would be
spread just as badly over the C heap, between the blocks of the records parsed and
dropped meanwhile. A slab is one allocation, given back whole when it goes.
"""

from __future__ import annotations

import ctypes
import gc
import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import orjson

from bot.aiokk import raw as rawacc
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


# Packed by the standard library (orjson refuses integers beyond 64 bits).
_STDLIB_JSON = b"J"


@dataclass(frozen=True, slots=True)
class PackedCall:
    """One call: what it is sorted and found by, and where its raw record is packed."""

    stamp: float | None  # the call's time, as a timestamp
    dialog_id: int | None
    slab: bytearray
    start: int
    end: int

    def unpack(self) -> RawRecord:
        data = memoryview(self.slab)[self.start : self.end]
        if data[:1] == _STDLIB_JSON:
            decoded: RawRecord = json.loads(bytes(data[1:]))
        else:
            decoded = orjson.loads(data)
        return decoded


class Slab:
    """Records packed as compact JSON, back to back in one growing buffer."""

    def __init__(self) -> None:
        self._data = bytearray()

    def pack(
        self, raw: RawRecord, stamp: float | None = None, dialog_id: int | None = None
    ) -> PackedCall:
        """``raw`` packed; ``stamp`` and ``dialog_id`` are read from it unless given."""
        if dialog_id is None:
            dialog_id = rawacc.dialog_id(raw)
        if stamp is None:
            moment = rawacc.call_date(raw)
            stamp = moment.timestamp() if moment is not None else None
        start = len(self._data)
        try:
            self._data += orjson.dumps(raw)
        except TypeError:
            self._data += _STDLIB_JSON + json.dumps(raw, ensure_ascii=False).encode()
        return PackedCall(stamp, dialog_id, self._data, start, len(self._data))


@dataclass(frozen=True, slots=True)
class CachedResult:
    """What one request kept: calls in the window and, if collected, in the previous one."""

    records: list[PackedCall]
    previous: list[PackedCall] | None
    fetched_at: datetime

    @property
    def size(self) -> int:
        return len(self.records) + (len(self.previous) if self.previous is not None else 0)


@dataclass(slots=True)
class _Entry:
    result: CachedResult
    stored_at: float
    used_at: float


class ResultCache:
    """``ttl`` seconds for every entry; entries of ``large_records`` or more records
    also go ``large_idle`` seconds after they were last stored or read."""

    def __init__(
        self,
        ttl: float = 120,
        max_records: int = 60_000,
        clock: Callable[[], float] = time.monotonic,
        *,
        large_records: int = 1_000,
        large_idle: float = 45,
    ) -> None:
        if ttl <= 0 or max_records <= 0 or large_records <= 0 or large_idle <= 0:
            raise ValueError("ttl, max_records, large_records and large_idle must be positive")
        self._ttl = ttl
        self._max_records = max_records
        self._clock = clock
        self._large = large_records
        self._large_idle = large_idle
        self._entries: OrderedDict[CacheKey, _Entry] = OrderedDict()
        self._total = 0

    @property
    def large_records(self) -> int:
        return self._large

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
        now = self._clock()
        if self._expires_at(entry) <= now:
            self._drop(key)
            return None
        if need_previous and entry.result.previous is None:
            return None
        entry.used_at = now
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
        self._entries[key] = _Entry(result, now, now)
        self._total += result.size

    def sweep(self) -> int:
        """Drop every expired entry; returns how many records they held."""
        before = self._total
        self._expire(self._clock())
        return before - self._total

    def next_expiry(self) -> float | None:
        """Seconds until the next entry expires (0 if one already has); ``None`` if empty."""
        if not self._entries:
            return None
        soonest = min(self._expires_at(entry) for entry in self._entries.values())
        return max(0.0, soonest - self._clock())

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

    def _expires_at(self, entry: _Entry) -> float:
        expires = entry.stored_at + self._ttl
        if entry.result.size >= self._large:
            expires = min(expires, entry.used_at + self._large_idle)
        return expires

    def _expire(self, now: float) -> None:
        doomed = [key for key, entry in self._entries.items() if self._expires_at(entry) <= now]
        for key in doomed:
            self._drop(key)

    def _drop(self, key: CacheKey) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._total -= entry.result.size


def _load_malloc_trim() -> Callable[[int], int] | None:
    try:
        # The process's own symbols, the C library's among them.
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None  # not glibc (musl, macOS): freed memory stays with the process
    return trim


_malloc_trim = _load_malloc_trim()


def release_memory() -> None:
    """Hand memory freed by a large result back to the system.

    Python frees the parsed records at once, but keeps what a cycle still reaches
    until the collector runs, and glibc keeps freed heap pages for reuse: the bot's
    memory would stay at its peak after a burst of big summaries.
    """
    gc.collect()
    if _malloc_trim is not None:
        _malloc_trim(0)
