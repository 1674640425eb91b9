"""Pre-encoded records and the filters of the six export endpoints.

Every record is encoded once; a response is the selected records' bytes joined
into an array, and joined bodies are cached per (endpoint, value). That keeps a
50,000-record answer down to a memory copy.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.aiokk.endpoints import Endpoint
from bot.sandbox.data import release_time
from bot.sandbox.encoding import php_json
from bot.sandbox.validation import FilterValue

_EXACT = (Endpoint.DEPARTMENT, Endpoint.CALL_TYPE, Endpoint.QUESTION_PACK, Endpoint.CLIENT_LOYALTY)
_CACHE_ENTRIES = 256
_CACHE_BYTES = 1 << 30


class RecordIndex:
    """The sandbox's data set, ordered by ``dialogId`` and indexed for filtering.

    With a ``clock`` (a live sandbox), a record is served only from its ``release_time``
    on, so calls keep arriving through the day as on a real instance.
    """

    def __init__(
        self, records: list[dict[str, Any]], *, clock: Callable[[], datetime] | None = None
    ) -> None:
        ordered = sorted(records, key=lambda record: int(record["call"]["dialogId"]))
        self._clock = clock
        self._release = [release_time(record).timestamp() for record in ordered] if clock else []
        self._release_order = sorted(self._release)
        self._released = -1  # how many records the cached bodies were built with
        self._encoded = [php_json(record) for record in ordered]
        self._exact: dict[Endpoint, dict[int, list[int]]] = {key: {} for key in _EXACT}
        self._names: list[str] = []
        self._signals: list[str] = []
        for position, record in enumerate(ordered):
            keys = _filter_keys(record)
            for endpoint in _EXACT:
                value = keys[endpoint]
                if isinstance(value, int):
                    self._exact[endpoint].setdefault(value, []).append(position)
            self._names.append(str(keys[Endpoint.OPERATOR]))
            self._signals.append(str(keys[Endpoint.SIGNALS]))
        self._cache: OrderedDict[tuple[Endpoint, FilterValue], bytes] = OrderedDict()
        self._cached_bytes = 0

    def __len__(self) -> int:
        return len(self._encoded)

    def positions(self, endpoint: Endpoint, value: FilterValue) -> list[int]:
        """Positions of matching records, ascending by ``dialogId``.

        String values must already be case-folded (see ``validate_filter``).
        """
        if endpoint in self._exact:
            return self._exact[endpoint].get(value, []) if isinstance(value, int) else []
        needle = str(value)
        haystack = self._names if endpoint is Endpoint.OPERATOR else self._signals
        return [position for position, text in enumerate(haystack) if needle in text]

    def body(self, endpoint: Endpoint, value: FilterValue) -> bytes:
        """The JSON array answering ``endpoint`` filtered by ``value``."""
        now = self._clock().timestamp() if self._clock is not None else None
        if now is not None:
            released = bisect_right(self._release_order, now)
            if released != self._released:
                # Calls were released since: every cached body is out of date.
                self._cache.clear()
                self._cached_bytes = 0
                self._released = released
        key = (endpoint, value)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        positions = self.positions(endpoint, value)
        if now is not None:
            release = self._release
            positions = [i for i in positions if release[i] <= now]
        encoded = self._encoded
        body = b"[" + b",".join([encoded[i] for i in positions]) + b"]"
        self._remember(key, body)
        return body

    def _remember(self, key: tuple[Endpoint, FilterValue], body: bytes) -> None:
        if len(body) > _CACHE_BYTES:
            return
        self._cache[key] = body
        self._cached_bytes += len(body)
        while len(self._cache) > _CACHE_ENTRIES or self._cached_bytes > _CACHE_BYTES:
            _, dropped = self._cache.popitem(last=False)
            self._cached_bytes -= len(dropped)


def _filter_keys(record: dict[str, Any]) -> dict[Endpoint, int | str | None]:
    """What each endpoint compares for one record; ``None``/"" never match."""
    call = record.get("call") or {}
    operator = record.get("operator") or {}
    analytics = record.get("analytics") or {}
    loyalty = analytics.get("clientLoyalty") or {}
    evaluation = analytics.get("evaluationCriteria") or {}
    signals = analytics.get("signals") or {}
    return {
        Endpoint.DEPARTMENT: _int_or_none(operator.get("departmentId")),
        Endpoint.OPERATOR: str(operator.get("fullName") or "").casefold(),
        Endpoint.CALL_TYPE: _int_or_none(call.get("callType")),
        Endpoint.QUESTION_PACK: _int_or_none(evaluation.get("evaluationId")),
        Endpoint.CLIENT_LOYALTY: _int_or_none(loyalty.get("currentGrade")),
        Endpoint.SIGNALS: str(signals.get("mentionedSignals") or "").casefold(),
    }


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
