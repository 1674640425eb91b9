"""The one entry point that fetches calls for summaries, lists, exports, cards and digests.

A query becomes one or more export requests (see ``planner``); their records
are streamed, filtered on the raw dicts, split between the period and the
previous one in a single pass, de-duplicated and sorted newest first. Every
record seen, kept or not, teaches the catalog something about the connection.

Under load: the same question asked again while it is being fetched joins that
fetch (one request to aiokk however many ask); fetches that miss the cache wait
for a turn in a fair queue per instance (see ``queue``), hearing their place in
line; an interactive fetch has a total time budget (``FetchPolicy``) and says when
aiokk is slow. Big cached results are dropped soon after their last use, and their
memory is handed back to the system.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from bot.aiokk import raw as rawacc
from bot.aiokk.client import AiokkClient, Deadline, parse_record
from bot.aiokk.endpoints import Endpoint
from bot.aiokk.errors import AiokkError
from bot.aiokk.models import CALL_TYPES, CallRecord
from bot.aiokk.raw import RawRecord
from bot.input.names import rank_names
from bot.query.cache import (
    CachedResult,
    CacheKey,
    PackedCall,
    ResultCache,
    Slab,
    cache_key,
    release_memory,
)
from bot.query.model import (
    CallQuery,
    OperatorPick,
    Period,
    PeriodKind,
    Window,
    name_key,
    now_utc,
    previous_window,
    resolve_period,
)
from bot.query.planner import LocalFilter, Plan, Request, normalize_text, plan
from bot.query.queue import SLOW, STARTED, FairQueue, Notifier, Progress, ProgressHook

if TYPE_CHECKING:
    from storage.catalog import CatalogObservation, OperatorEntry

logger = logging.getLogger(__name__)

T = TypeVar("T")

SLOW_AFTER = 5.0
"""Seconds after which a fetch that is still running tells its waiters aiokk is slow."""


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """How a fetch waits: its total time with aiokk, and whether a user is waiting for it
    (interactive fetches take turns before background ones)."""

    budget: float
    interactive: bool


INTERACTIVE = FetchPolicy(budget=30.0, interactive=True)
"""Summaries, lists, cards, /op: an answer or an error with Retry within half a minute."""
BACKGROUND = FetchPolicy(budget=600.0, interactive=False)
"""Digests and exports: nobody is watching, a slow aiokk gets its time."""


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


class QueryResult:
    """Calls of the period (newest first) and, if asked for, of the previous one.

    The service hands them over packed (see ``PackedCall``) and they are unpacked as
    they are read: ``iter_records`` one at a time for a single pass (a summary of
    20,000 calls never holds them all as dicts), ``typed_range`` and ``find`` just the
    calls asked for, ``records`` and ``previous`` all of them, kept from then on.
    """

    def __init__(
        self,
        records: list[RawRecord],
        previous: list[RawRecord] | None,
        window: Window,
        previous_window: Window | None,
        fetched_at: datetime,
        so_far: bool = False,
    ) -> None:
        """A result of plain records, in the order given (for tests and tools)."""
        slab = Slab()
        self._calls = [slab.pack(raw) for raw in records]
        self._previous_calls = (
            [slab.pack(raw) for raw in previous] if previous is not None else None
        )
        self.window = window
        self.previous_window = previous_window
        self.fetched_at = fetched_at
        # The period is still running, so the previous one stops at the same point (see
        # ``previous_window``): "today" is compared with yesterday until this time.
        self.so_far = so_far
        self._records: list[RawRecord] | None = None
        self._previous: list[RawRecord] | None = None
        self._models: dict[int, CallRecord | None] = {}
        self._index: dict[int, PackedCall] | None = None
        self._derived: dict[str, asyncio.Future[Any]] = {}

    @classmethod
    def packed(
        cls,
        calls: list[PackedCall],
        previous: list[PackedCall] | None,
        window: Window,
        previous_window: Window | None,
        fetched_at: datetime,
        so_far: bool = False,
    ) -> QueryResult:
        result = cls([], None, window, previous_window, fetched_at, so_far)
        result._calls = calls
        result._previous_calls = previous
        return result

    def __len__(self) -> int:
        return len(self._calls)

    @property
    def records(self) -> list[RawRecord]:
        if self._records is None:
            self._records = [call.unpack() for call in self._calls]
        return self._records

    @property
    def previous(self) -> list[RawRecord] | None:
        if self._previous is None and self._previous_calls is not None:
            self._previous = [call.unpack() for call in self._previous_calls]
        return self._previous

    @property
    def has_previous(self) -> bool:
        return self._previous_calls is not None

    def iter_records(self) -> Iterator[RawRecord]:
        """The period's records one by one, none of them kept."""
        return (call.unpack() for call in self._calls)

    def iter_previous(self) -> Iterator[RawRecord]:
        """The previous period's records one by one (none without one)."""
        return (call.unpack() for call in self._previous_calls or [])

    async def derived(self, name: str, compute: Callable[[], Awaitable[T]]) -> T:
        """What ``compute()`` makes of this result, made once for everyone who shares it
        (all who asked the same question at the same time get the same result)."""
        future = self._derived.get(name)
        if future is None:
            future = self._derived[name] = asyncio.ensure_future(compute())
        value: T = await asyncio.shield(future)
        return value

    def typed_range(self, start: int, stop: int) -> list[CallRecord]:
        """Models for one page of records only."""
        return self._build(self._calls[start:stop])

    def find_raw(self, dialog_id: int) -> RawRecord | None:
        call = self._find(dialog_id)
        return call.unpack() if call is not None else None

    def find(self, dialog_id: int) -> CallRecord | None:
        """The model of one record of the period, or ``None``."""
        call = self._find(dialog_id)
        built = self._build([call]) if call is not None else []
        return built[0] if built else None

    def _find(self, dialog_id: int) -> PackedCall | None:
        if self._index is None:
            self._index = {}
            for call in self._calls:
                if call.dialog_id is not None:
                    self._index.setdefault(call.dialog_id, call)
        return self._index.get(dialog_id)

    def _build(self, calls: Iterable[PackedCall]) -> list[CallRecord]:
        built: list[CallRecord] = []
        for call in calls:
            key = call.dialog_id
            if key is None:
                continue
            if key not in self._models:
                self._models[key] = parse_record(call.unpack())
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
            obs.add_operator(name, department, rawacc.operator_id(raw))
        pack = rawacc.question_pack_id(raw)
        if pack is not None:
            block = rawacc.evaluation(raw)
            title = block.get("evaluationTitle")
            # Counting criteria once per pack is enough; None keeps what was recorded.
            count = _criteria_count(block) if pack not in obs.question_packs else None
            obs.add_question_pack(pack, title if isinstance(title, str) else None, count)
        for word in rawacc.signal_words(raw):
            obs.add_signal(word)


def operators_in(records: Iterable[RawRecord]) -> list[OperatorPick]:
    """The people behind ``records`` (newest first), most calls first.

    A person is an ``operatorId``; the name shown is the newest one seen. Records
    without an id count for the one person of that name, or on their own.
    """
    calls: Counter[int | str] = Counter()
    found: dict[int | str, OperatorPick] = {}
    for raw in records:
        name = rawacc.operator_name(raw)
        if name is None:
            continue
        ident = rawacc.operator_id(raw)
        key: int | str = ident if ident is not None else name_key(name)
        calls[key] += 1
        if key not in found:
            found[key] = OperatorPick(name, ident, rawacc.department_name(raw))
    with_id: dict[str, list[int | str]] = {}
    for key, pick in found.items():
        if pick.id is not None:
            with_id.setdefault(name_key(pick.name), []).append(key)
    for key, pick in list(found.items()):
        owners = with_id.get(name_key(pick.name), [])
        if pick.id is None and len(owners) == 1:
            calls[owners[0]] += calls.pop(key)
            del found[key]
    ordered = sorted(found, key=lambda key: (-calls[key], found[key].name, str(key)))
    return [found[key] for key in ordered]


def _criteria_count(block: dict[str, Any]) -> int | None:
    count = sum(1 for key in block if key.startswith("criterion") and key[9:].isdigit())
    return count or None


def _sort_key(call: PackedCall) -> tuple[float, int]:
    return (
        call.stamp if call.stamp is not None else float("-inf"),
        call.dialog_id if call.dialog_id is not None else -1,
    )


def _finish(calls: list[PackedCall]) -> list[PackedCall]:
    """Newest first (the list itself is sorted)."""
    calls.sort(key=_sort_key, reverse=True)
    return calls


class _Keeper:
    """The records of one response that a query keeps, split between its two windows.

    A sink for ``AiokkClient.collect``: a retried request starts again with a new one.
    """

    def __init__(
        self,
        local: LocalFilter,
        window: Window,
        earlier: Window | None,
        collector: CatalogCollector | None,
    ) -> None:
        self._local = local
        self._window = window
        self._earlier = earlier
        self._collector = collector
        self._seen: set[int] = set()
        self._slab = Slab()
        self.kept: list[PackedCall] = []
        self.before: list[PackedCall] = []

    def add(self, raw: RawRecord) -> None:
        key = rawacc.dialog_id(raw)
        if key is not None:
            if key in self._seen:
                return
            self._seen.add(key)
        if self._collector is not None:
            self._collector.observe(raw, key)
        if key is None:
            return  # a call without an id cannot be shown or opened
        moment = rawacc.call_date(raw)
        if self._window.contains(moment):
            target = self.kept
        elif self._earlier is not None and self._earlier.contains(moment):
            target = self.before
        else:
            return
        if self._local.matches_fields(raw):
            stamp = moment.timestamp() if moment is not None else None
            target.append(self._slab.pack(raw, stamp, key))


FlightKey = tuple[tuple[CacheKey, ...], bool, bool, FetchPolicy]


class _Flight:
    """One fetch under way, shared by everyone who asks the same question meanwhile."""

    def __init__(self, fly: Callable[[_Flight], Coroutine[Any, Any, QueryResult]]) -> None:
        self.notifiers: list[Notifier] = []
        self.last: Progress | None = None
        self.waiters = 0
        self.task = asyncio.create_task(fly(self))

    def tell(self, progress: Progress) -> None:
        self.last = progress
        for notifier in self.notifiers:
            notifier.notify(progress)


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
        per_instance_fetches: int = 2,
        clock: Callable[[], datetime] = now_utc,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """``per_instance_concurrency`` bounds the requests open to one instance,
        ``per_instance_fetches`` the fetches (queries) that may run against it at once;
        ``monotonic`` and ``sleep`` time budgets, slow notices and cache expiry."""
        if per_instance_concurrency < 1:
            raise ValueError("per_instance_concurrency must be at least 1")
        if per_instance_fetches < 1:
            raise ValueError("per_instance_fetches must be at least 1")
        self._client = client
        self._cache = cache
        self._catalog = catalog
        self._concurrency = per_instance_concurrency
        self._fetches = per_instance_fetches
        self._clock = clock
        self._monotonic = monotonic
        self._sleep = sleep
        self._semaphores: dict[str, asyncio.Semaphore] = {}
        self._queues: dict[str, FairQueue] = {}
        self._flights: dict[FlightKey, _Flight] = {}
        self._janitor: asyncio.Task[None] | None = None

    def now(self) -> datetime:
        """The bot's current instant (its clock is injected, so tests can pin it)."""
        return self._clock()

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
        policy: FetchPolicy = BACKGROUND,
        progress: ProgressHook | None = None,
    ) -> QueryResult:
        """Calls matching ``query`` in its period, newest first; raises ``AiokkError``.

        Who asks the same while it is being fetched gets the very same result. A fetch
        that has to ask aiokk waits for its turn (``progress`` hears its place in line,
        then that it started) and has ``policy.budget`` seconds from then on;
        ``progress`` also hears when aiokk has taken more than ``SLOW_AFTER`` seconds.
        """
        now = self._clock()
        window = resolve_period(query.period, tz, now)
        earlier = previous_window(window, now) if with_previous else None
        the_plan = plan(query)
        fingerprint = the_plan.local.fingerprint()
        keys = tuple(
            cache_key(conn.base_url, conn.token, endpoint, value, fingerprint, window)
            for endpoint, value in the_plan.requests
        )
        key: FlightKey = (keys, with_previous, refresh, policy)
        flight = self._flights.get(key)
        if flight is None:
            flight = self._flights[key] = _Flight(
                lambda new: self._fly(
                    new, conn, the_plan, keys, window, earlier, now, refresh, policy
                )
            )
            flight.task.add_done_callback(lambda _: self._landed(key, flight))
        return await self._wait(key, flight, progress)

    async def _wait(
        self, key: FlightKey, flight: _Flight, progress: ProgressHook | None
    ) -> QueryResult:
        task = flight.task
        notifier = Notifier(progress) if progress is not None else None
        if notifier is not None:
            flight.notifiers.append(notifier)
            if flight.last is not None:
                notifier.notify(flight.last)
        flight.waiters += 1
        try:
            return await asyncio.shield(task)
        finally:
            flight.waiters -= 1
            if notifier is not None:
                flight.notifiers.remove(notifier)
                await notifier.close()
            if flight.waiters == 0 and not task.done():
                # Everyone waiting has gone (cancelled): so does the fetch.
                self._landed(key, flight)
                task.cancel()

    def _landed(self, key: FlightKey, flight: _Flight) -> None:
        """Forget a flight that ended (or is being called off): later askers start anew."""
        if self._flights.get(key) is flight:
            del self._flights[key]
        task = flight.task
        if task.done() and not task.cancelled():
            task.exception()  # its waiters have it; this only marks it as retrieved

    async def _fly(
        self,
        flight: _Flight,
        conn: ConnectionInfo,
        the_plan: Plan,
        keys: tuple[CacheKey, ...],
        window: Window,
        earlier: Window | None,
        now: datetime,
        refresh: bool,
        policy: FetchPolicy,
    ) -> QueryResult:
        parts: dict[CacheKey, CachedResult] = {}
        missing: list[tuple[CacheKey, Request]] = []
        for key, request in zip(keys, the_plan.requests, strict=True):
            hit = None if refresh else self._cache.get(key, need_previous=earlier is not None)
            if hit is None:
                missing.append((key, request))
            else:
                parts[key] = hit

        if missing:
            turn = self._queue(conn.base_url).turn(
                conn.id,
                urgent=policy.interactive,
                on_position=lambda position: flight.tell(Progress.queued(position)),
            )
            async with turn:
                if flight.last is not None:
                    flight.tell(STARTED)  # the waiters were told their place in line
                slow = asyncio.create_task(self._tell_slow(flight))
                try:
                    deadline = Deadline.after(policy.budget, self._monotonic)
                    requests = [request for _, request in missing]
                    fetched = await self._fetch_missing(
                        conn, requests, the_plan.local, window, earlier, deadline
                    )
                finally:
                    slow.cancel()
            for (key, _), part in zip(missing, fetched, strict=True):
                self._remember(key, part)
                parts[key] = part

        ordered = [parts[key] for key in keys]
        return QueryResult.packed(
            _merge([part.records for part in ordered]),
            _merge([part.previous or [] for part in ordered]) if earlier is not None else None,
            window=window,
            previous_window=earlier,
            fetched_at=min(part.fetched_at for part in ordered),
            so_far=earlier is not None and window.contains(now),
        )

    async def _tell_slow(self, flight: _Flight) -> None:
        await self._sleep(SLOW_AFTER)
        flight.tell(SLOW)

    def _remember(self, key: CacheKey, part: CachedResult) -> None:
        self._cache.put(key, part)
        if self._janitor is None or self._janitor.done():
            self._janitor = asyncio.create_task(self._expire_cache())

    async def _expire_cache(self) -> None:
        """Drop cache entries as they expire; after a big one, give its memory back."""
        while (wait := self._cache.next_expiry()) is not None:
            await self._sleep(wait)
            if self._cache.sweep() >= self._cache.large_records:
                release_memory()

    async def aclose(self) -> None:
        """Stop the cache's expiry task (fetches under way finish on their own)."""
        if self._janitor is not None:
            self._janitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._janitor

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

    async def find_operators(
        self,
        conn: ConnectionInfo,
        text: str,
        tz: ZoneInfo,
        *,
        policy: FetchPolicy = BACKGROUND,
        progress: ProgressHook | None = None,
    ) -> list[OperatorPick]:
        """People whose name is like ``text``, one per person, best match first.

        Names are compared as ``rank_names`` does: in any script and case, ё as е,
        with a typo forgiven, a surname alone finding every person who has it. The
        catalog answers first; when it knows nobody matching, the operator endpoint
        is asked (which also teaches the catalog; ``policy`` and ``progress`` as for
        ``fetch``), and when the server finds nobody either (its search is literal:
        "алена" misses "Алёна", "aigerim" misses "Айгерим"), every call's operator is
        matched here. A name equal to ``text`` comes first.
        """
        if not normalize_text(" ".join(text.split())):
            return []
        try:
            known = await self._catalog.operators(conn.id) if self._catalog else []
        except Exception:
            logger.exception("reading the operator catalog failed")
            known = []
        # Every plausible person: the caller decides how many to offer.
        order = rank_names(text, [entry.name for entry in known], limit=len(known))
        picks = [known[index].pick for index in order]
        if not picks:
            everything = Period(PeriodKind.ALL)
            query = CallQuery(period=everything).with_operator_text(text)
            found = await self.fetch(conn, query, tz, policy=policy, progress=progress)
            picks = operators_in(found.records)
            if not picks:
                every = CallQuery(period=everything)
                all_calls = (
                    await self.fetch(conn, every, tz, policy=policy, progress=progress)
                ).records
                people = operators_in(all_calls)
                order = rank_names(text, [pick.name for pick in people], limit=len(people))
                picks = [people[index] for index in order]
        wanted = name_key(text)
        # Stable: the order within each group is kept.
        return sorted(picks, key=lambda pick: name_key(pick.name) != wanted)

    def _semaphore(self, base_url: str) -> asyncio.Semaphore:
        key = base_url.rstrip("/").lower()
        semaphore = self._semaphores.get(key)
        if semaphore is None:
            semaphore = self._semaphores[key] = asyncio.Semaphore(self._concurrency)
        return semaphore

    def _queue(self, base_url: str) -> FairQueue:
        key = base_url.rstrip("/").lower()
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = FairQueue(self._fetches)
        return queue

    async def _fetch_missing(
        self,
        conn: ConnectionInfo,
        requests: list[Request],
        local: LocalFilter,
        window: Window,
        earlier: Window | None,
        deadline: Deadline,
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
                            self._collect(
                                conn, endpoint, value, local, window, earlier, collector, deadline
                            )
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
        deadline: Deadline,
    ) -> CachedResult:
        async with self._semaphore(conn.base_url):
            keeper = await self._client.collect(
                conn.base_url,
                conn.token,
                endpoint,
                value,
                lambda: _Keeper(local, window, earlier, collector),
                deadline=deadline,
            )
        return CachedResult(
            records=_finish(keeper.kept),
            previous=_finish(keeper.before) if earlier is not None else None,
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


def _merge(parts: list[list[PackedCall]]) -> list[PackedCall]:
    """Union of sorted parts without duplicate dialog ids, newest first."""
    non_empty = [part for part in parts if part]
    if len(non_empty) <= 1:
        return list(non_empty[0]) if non_empty else []
    seen: set[int | None] = set()
    merged: list[PackedCall] = []
    for part in non_empty:
        for call in part:
            if call.dialog_id not in seen:
                seen.add(call.dialog_id)
                merged.append(call)
    return _finish(merged)
