from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.aiokk.endpoints import Endpoint
from bot.query.cache import CachedResult, CacheKey, ResultCache, cache_key
from bot.query.model import Window

DAY = Window(datetime(2025, 4, 21, tzinfo=UTC), datetime(2025, 4, 22, tzinfo=UTC))
FETCHED = datetime(2025, 4, 21, 12, tzinfo=UTC)
TOKEN = "secret-token-1234567890"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def records(count: int, start: int = 0) -> list[dict[str, Any]]:
    return [{"call": {"dialogId": start + index}} for index in range(count)]


def result(count: int, previous: int | None = None) -> CachedResult:
    return CachedResult(
        records=records(count),
        previous=records(previous, 10_000) if previous is not None else None,
        fetched_at=FETCHED,
    )


def key(
    value: int | str = 1, *, token: str = TOKEN, base: str = "http://a", window: Window = DAY
) -> CacheKey:
    return cache_key(base, token, Endpoint.CALL_TYPE, value, "f", window)


def test_token_is_hashed_in_the_key() -> None:
    made = key()
    assert TOKEN not in repr(made)
    assert made != key(token=TOKEN + "x")
    # A trailing slash in the address does not split the cache.
    assert key(base="http://a/") == made


def test_get_put_and_ttl() -> None:
    clock = Clock()
    cache = ResultCache(ttl=120, clock=clock)
    assert cache.get(key()) is None
    cache.put(key(), result(3))
    hit = cache.get(key())
    assert hit is not None and len(hit.records) == 3
    clock.now += 119
    assert cache.get(key()) is not None
    clock.now += 1
    assert cache.get(key()) is None
    assert cache.total_records == 0


def test_entry_without_previous_does_not_answer_a_request_needing_it() -> None:
    cache = ResultCache()
    cache.put(key(), result(3))
    assert cache.get(key(), need_previous=True) is None
    cache.put(key(), result(3, previous=2))
    hit = cache.get(key(), need_previous=True)
    assert hit is not None and hit.previous is not None and len(hit.previous) == 2
    assert cache.total_records == 5  # replaced, not added


def test_lru_eviction_by_record_count() -> None:
    cache = ResultCache(max_records=10)
    cache.put(key(1), result(4))
    cache.put(key(2), result(4))
    assert cache.get(key(1)) is not None  # 1 is now the most recently used
    cache.put(key(3), result(4))
    assert cache.get(key(2)) is None
    assert cache.get(key(1)) is not None
    assert cache.get(key(3)) is not None
    assert cache.total_records == 8
    # Larger than the whole cache: not stored, nothing else evicted.
    cache.put(key(4), result(11))
    assert cache.get(key(4)) is None
    assert len(cache) == 2


def test_different_windows_are_different_entries() -> None:
    cache = ResultCache()
    cache.put(key(), result(1))
    other = Window(DAY.start, (DAY.end or FETCHED) + timedelta(days=1))
    assert cache.get(key(window=other)) is None


def test_invalidate_connection_only_touches_that_connection() -> None:
    cache = ResultCache()
    cache.put(key(1), result(1))
    cache.put(key(2), result(1))
    cache.put(key(1, token="other"), result(1))
    cache.put(key(1, base="http://b"), result(1))
    assert cache.invalidate_connection("http://a", TOKEN) == 2
    assert cache.get(key(1)) is None and cache.get(key(2)) is None
    assert cache.get(key(1, token="other")) is not None
    assert cache.get(key(1, base="http://b")) is not None


@pytest.mark.parametrize(("ttl", "size"), [(0, 10), (10, 0)])
def test_bad_limits_are_rejected(ttl: float, size: int) -> None:
    with pytest.raises(ValueError):
        ResultCache(ttl=ttl, max_records=size)
