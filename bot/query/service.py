"""The one entry point that fetches calls for summaries, lists, exports, cards and digests.

A query becomes one or more export requests (see ``planner``); their records
are streamed, filtered on the raw dicts, split between the period and the
previous one in a single pass, de-duplicated and sorted newest first. Every
record seen, kept or not, teaches the catalog something about the connection.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from bot.aiokk import raw as rawacc
from bot.aiokk.client import AiokkClient, parse_record
from bot.aiokk.endpoints import Endpoint
from bot.aiokk.errors import AiokkError
from bot.aiokk.models import CALL_TYPES, CallRecord
from bot.aiokk.raw import RawRecord
from bot.query.cache import CachedResult, ResultCache, cache_key
from bot.query.model import (
    CallQuery,
    Period,
    PeriodKind,
    Window,
    now_utc,
    previous_window,
    resolve_period,
)
from bot.query.planner import LocalFilter, Request, normalize_text, plan

if TYPE_CHECKING:
    from storage.catalog import CatalogObservation, OperatorEntry

logger = logging.getLogger(__name__)


class ConnectionInfo(Protocol):
    """What the service needs to know about a connection (storage's Connection fits)."""

    @property
    def id(self) -> int: ...

    @property
    def base_url(self) -> str: ...

    @property
    def token(self) -> str: ...


@dataclass(frozen=True, slots=True)
class ConnectionRef:
    """A plain ConnectionInfo, for callers that do not load one from storage."""

    id: int
    base_url: str
    token: str = field(repr=False)


class CatalogStore(Protocol):
    """The part of storage's CatalogRepo the service uses."""

    async def learn(self, connection_id: int, obs: CatalogObservation) -> None: ...

    async def operators(
        self, connection_id: int, limit: int | None = None
    ) -> list[OperatorEntry]: ...


@dataclass(eq=False)
class QueryResult:
    """Raw records of the period (newest first) and, if asked for, of the previous one."""

    records: list[RawRecord]
    previous: list[RawRecord] | None
    window: Window
    previous_window: Window | None
    fetched_at: datetime
    # The period is still running, so the previous one stops at the same point (see
    # ``previous_window``): "today" is compared with yesterday until this time.
    so_far: bool = False
    _models: dict[int, CallRecord | None] = field(default_factory=dict, init=False, repr=False)
    _index: dict[int, RawRecord] | None = field(default=None, init=False, repr=False)

    def __len__(self) -> int:
        return len(self.records)

    def typed_range(self, start: int, stop: int) -> list[CallRecord]:
        """Models for one page of records only."""
        return self._build(self.records[start:stop])

    def find_raw(self, dialog_id: int) -> RawRecord | None:
        if self._index is None:
            self._index = {}
            for raw in self.records:
                key = rawacc.dialog_id(raw)
                if key is not None:
                    self._index.setdefault(key, raw)
        return self._index.get(dialog_id)

    def find(self, dialog_id: int) -> CallRecord | None:
        """The model of one record of the period, or ``None``."""
        raw = self.find_raw(dialog_id)
        if raw is None:
            return None
        built = self._build([raw])
        return built[0] if built else None

    def _build(self, records: Iterable[RawRecord]) -> list[CallRecord]:
        built: list[CallRecord] = []
        for raw in records:
            key = rawacc.dialog_id(raw)
            if key is None:
                continue
            if key not in self._models:
                self._models[key] = parse_record(raw)
            model = self._models[key]
            if model is not None:
                built.append(model)
        return built


class CatalogCollector:
    """Accumulates catalog observations from raw records while they stream by."""

    def __init__(self) -> None:
        # Imported here: the storage package pulls in aiogram, which this layer
        # must not need at import time.
        from storage.catalog import CatalogObservation

        self.observation: CatalogObservation = CatalogObservation()
        self.seen = 0
        # Requests of one fetch may overlap; a call is counted once.
        self._ids: set[int] = set()

    def observe(self, raw: RawRecord, key: int | None = None) -> None:
        """Count one record; ``key`` is its dialog id when the caller already has it."""
        if key is None:
            key = rawacc.dialog_id(raw)
        if key is not None:
            if key in self._ids:
                return
            self._ids.add(key)
        self.seen += 1
        obs = self.observation
        department = rawacc.department_id(raw)
        if department is not None:
            obs.add_department(department, rawacc.department_name(raw))
        name = rawacc.operator_name(raw)
        if name is not None:
            obs.add_operator(name, department)
        pack = rawacc.question_pack_id(raw)
        if pack is not None:
            block = rawacc.evaluation(raw)
            title = block.get("evaluationTitle")
            # Counting criteria once per pack is enough; None keeps what was recorded.
            count = _criteria_count(block) if pack not in obs.question_packs else None
            obs.add_question_pack(pack, title if isinstance(title, str) else None, count)
        for word in rawacc.signal_words(raw):
            obs.add_signal(word)


def _criteria_count(block: dict[str, Any]) -> int | None:
    count = sum(1 for key in block if key.startswith("criterion") and key[9:].isdigit())
    return count or None


def _sort_key(item: tuple[float | None, int, RawRecord]) -> tuple[float, int]:
    stamp, key, _ = item
    return (stamp if stamp is not None else float("-inf"), key)


Kept = list[tuple[float | None, int, RawRecord]]
# Records merged between two yields to the event loop (a few milliseconds of work).
_MERGE_CHUNK = 2_000


def _finish(items: Kept) -> list[RawRecord]:
    items.sort(key=_sort_key, reverse=True)
    return [raw for _, _, raw in items]


def _first_aiokk_error(group: BaseExceptionGroup[Any]) -> AiokkError | None:
    for error in group.exceptions:
        if isinstance(error, AiokkError):
            return error
        if isinstance(error, BaseExceptionGroup):
            nested = _first_aiokk_error(error)
            if nested is not None:
                return nested
    return None


class CallService:
    def __init__(
        self,
        client: AiokkClient,
        cache: ResultCache,
        catalog: CatalogStore | None,
        *,
        per_instance_concurrency: int = 4,
        clock: Callable[[], datetime] = now_utc,
    ) -> None:
        if per_instance_concurrency < 1:
            raise ValueError("per_instance_concurrency must be at least 1")
        self._client = client
        self._cache = cache
        self._catalog = catalog
        self._concurrency = per_instance_concurrency
        self._clock = clock
        self._semaphores: dict[str, asyncio.Semaphore] = {}

    @property
    def cache(self) -> ResultCache:
        return self._cache

    async def fetch(
        self,
        conn: ConnectionInfo,
        query: CallQuery,
        tz: ZoneInfo,
        *,
        with_previous: bool = False,
        refresh: bool = False,
    ) -> QueryResult:
        """Calls matching ``query`` in its period, newest first; raises ``AiokkError``."""
        now = self._clock()
        window = resolve_period(query.period, tz, now)
        earlier = previous_window(window, now) if with_previous else None
        the_plan = plan(query)
        fingerprint = the_plan.local.fingerprint()

        parts: list[CachedResult] = []
        missing: list[Request] = []
        for endpoint, value in the_plan.requests:
            key = cache_key(conn.base_url, conn.token, endpoint, value, fingerprint, window)
            hit = None if refresh else self._cache.get(key, need_previous=earlier is not None)
            if hit is None:
                missing.append((endpoint, value))
            else:
                parts.append(hit)

        if missing:
            fetched = await self._fetch_missing(conn, missing, the_plan.local, window, earlier)
            for (endpoint, value), part in zip(missing, fetched, strict=True):
                key = cache_key(conn.base_url, conn.token, endpoint, value, fingerprint, window)
                self._cache.put(key, part)
                parts.append(part)

        return QueryResult(
            records=await _merge([part.records for part in parts]),
            previous=(
                await _merge([part.previous or [] for part in parts])
                if earlier is not None
                else None
            ),
            window=window,
            previous_window=earlier,
            fetched_at=min(part.fetched_at for part in parts),
            so_far=earlier is not None and window.contains(now),
        )

    async def warm_catalog(self, conn: ConnectionInfo) -> int:
        """Read every call once (the four call types) only to learn the catalog.

        Errors are logged, not raised; returns how many records were seen.
        """
        collector = CatalogCollector()

        async def read(call_type: int) -> None:
            async with (
                self._semaphore(conn.base_url),
                self._client.stream(
                    conn.base_url, conn.token, Endpoint.CALL_TYPE, call_type
                ) as records,
            ):
                async for raw in records:
                    collector.observe(raw)

        try:
            async with asyncio.TaskGroup() as group:
                for call_type in CALL_TYPES:
                    group.create_task(read(call_type))
        except* AiokkError as failures:
            first = _first_aiokk_error(failures)
            logger.warning(
                "catalog warm-up for connection %d stopped: %s",
                conn.id,
                type(first).__name__ if first else "error",
            )
        await self._learn(conn, collector)
        return collector.seen

    async def find_operators(self, conn: ConnectionInfo, text: str, tz: ZoneInfo) -> list[str]:
        """Full names of operators matching ``text`` (case- and ё-insensitive substring).

        The catalog answers first; when it knows nobody matching, the operator
        endpoint is asked (which also teaches the catalog). Most frequent first.
        """
        needle = normalize_text(" ".join(text.split()))
        if not needle:
            return []
        try:
            known = await self._catalog.operators(conn.id) if self._catalog else []
        except Exception:
            logger.exception("reading the operator catalog failed")
            known = []
        names = [entry.name for entry in known if needle in normalize_text(entry.name)]
        if names:
            return names
        everything = Period(PeriodKind.ALL)
        records = (await self.fetch(conn, CallQuery(operator=text, period=everything), tz)).records
        if not records and "е" in needle:
            # The server's search tells ё from е: "алена" misses "Алёна". Match locally instead.
            all_calls = (await self.fetch(conn, CallQuery(period=everything), tz)).records
            records = [
                raw
                for raw in all_calls
                if needle in normalize_text(rawacc.operator_name(raw) or "")
            ]
        counts = Counter(name for raw in records if (name := rawacc.operator_name(raw)) is not None)
        return [name for name, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]

    def _semaphore(self, base_url: str) -> asyncio.Semaphore:
        key = base_url.rstrip("/").lower()
        semaphore = self._semaphores.get(key)
        if semaphore is None:
            semaphore = self._semaphores[key] = asyncio.Semaphore(self._concurrency)
        return semaphore

    async def _fetch_missing(
        self,
        conn: ConnectionInfo,
        requests: list[Request],
        local: LocalFilter,
        window: Window,
        earlier: Window | None,
    ) -> list[CachedResult]:
        # Without a catalog (an export worker) nothing is learned, so nothing is observed.
        collector = CatalogCollector() if self._catalog is not None else None
        failure: AiokkError | None = None
        tasks: list[asyncio.Task[CachedResult]] = []
        try:
            async with asyncio.TaskGroup() as group:
                for endpoint, value in requests:
                    tasks.append(
                        group.create_task(
                            self._collect(conn, endpoint, value, local, window, earlier, collector)
                        )
                    )
        except BaseExceptionGroup as errors:
            failure = _first_aiokk_error(errors)
            if failure is None:
                raise
        # Whatever was seen before a failure is still worth remembering.
        if collector is not None:
            await self._learn(conn, collector)
        if failure is not None:
            # Raised outside the handler so that it carries no link to the group.
            raise failure
        return [task.result() for task in tasks]

    async def _collect(
        self,
        conn: ConnectionInfo,
        endpoint: Endpoint,
        value: int | str,
        local: LocalFilter,
        window: Window,
        earlier: Window | None,
        collector: CatalogCollector | None,
    ) -> CachedResult:
        kept: Kept = []
        before: Kept = []
        seen: set[int] = set()
        async with (
            self._semaphore(conn.base_url),
            self._client.stream(conn.base_url, conn.token, endpoint, value) as records,
        ):
            async for raw in records:
                key = rawacc.dialog_id(raw)
                if key is not None:
                    if key in seen:
                        continue
                    seen.add(key)
                if collector is not None:
                    collector.observe(raw, key)
                if key is None:
                    continue  # a call without an id cannot be shown or opened
                moment = rawacc.call_date(raw)
                if window.contains(moment):
                    target = kept
                elif earlier is not None and earlier.contains(moment):
                    target = before
                else:
                    continue
                if local.matches_fields(raw):
                    stamp = moment.timestamp() if moment is not None else None
                    target.append((stamp, key, raw))
        return CachedResult(
            records=_finish(kept),
            previous=_finish(before) if earlier is not None else None,
            fetched_at=self._clock(),
        )

    async def _learn(self, conn: ConnectionInfo, collector: CatalogCollector) -> None:
        if self._catalog is None or collector.observation.is_empty:
            return
        try:
            await self._catalog.learn(conn.id, collector.observation)
        except Exception:
            # The catalog only helps with buttons; a storage hiccup must not fail the query.
            logger.exception("learning the catalog for connection %d failed", conn.id)


async def _merge(parts: list[list[RawRecord]]) -> list[RawRecord]:
    """Union of sorted parts without duplicate dialog ids, newest first.

    Reading every date again takes tens of milliseconds for 20,000 calls: it yields to the
    event loop now and then so that other chats are answered meanwhile.
    """
    non_empty = [part for part in parts if part]
    if len(non_empty) <= 1:
        return list(non_empty[0]) if non_empty else []
    items: Kept = []
    seen: set[int] = set()
    for part in non_empty:
        for index, raw in enumerate(part):
            if index % _MERGE_CHUNK == _MERGE_CHUNK - 1:
                await asyncio.sleep(0)
            key = rawacc.dialog_id(raw)
            if key is None or key in seen:
                continue
            seen.add(key)
            moment = rawacc.call_date(raw)
            items.append((moment.timestamp() if moment is not None else None, key, raw))
    return _finish(items)
