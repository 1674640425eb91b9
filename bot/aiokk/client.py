"""HTTP client for the aiokk Export API.

One shared ``httpx.AsyncClient`` per process keeps connections pooled. Records
are parsed incrementally from the response bytes. ``collect`` feeds them to a sink
and retries the whole request on transport failures, 5xx answers and bodies cut
short, with exponential backoff, within a number of attempts and, if given, a
``Deadline`` for all of them together; ``stream`` hands them out one at a time and
retries only while nothing has been handed out yet. Every failure surfaces as one
of the typed errors in ``bot.aiokk.errors``; none of them, and no log line, carries
the token or the request body.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol, TypeVar

import httpx
from pydantic import ValidationError

from bot.aiokk.endpoints import Endpoint
from bot.aiokk.errors import (
    AiokkError,
    BadResponse,
    Disabled,
    InvalidArgument,
    NotPaid,
    TokenNotFound,
    Unavailable,
)
from bot.aiokk.models import CallRecord
from bot.aiokk.stream import RecordParser
from bot.aiokk.transport import (
    AddressGuard,
    AddressPolicy,
    CheckedTransport,
    Resolver,
    system_resolver,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=60.0, write=10.0, pool=10.0)
CHUNK_SIZE = 64 * 1024
MAX_BACKOFF = 10.0
MAX_TEXT_LENGTH = 255
_MAX_ID = 2**63 - 1
_ERROR_BODY_LIMIT = 4096
_ERROR_DETAIL_LIMIT = 300
# Status codes that mean "try again later" although they are 4xx.
_TRANSIENT_4XX = frozenset({408, 429})
# The endpoint and value check_token uses: call type 1 is always a valid filter.
_PROBE = (Endpoint.CALL_TYPE, 1)

_INT_RANGES: dict[Endpoint, tuple[int, int]] = {
    Endpoint.DEPARTMENT: (1, _MAX_ID),
    Endpoint.QUESTION_PACK: (1, _MAX_ID),
    Endpoint.CALL_TYPE: (1, 4),
    Endpoint.CLIENT_LOYALTY: (1, 10),
}
_DIGITS = re.compile(r"^\d+$")


@dataclass(frozen=True, slots=True)
class Deadline:
    """When a fetch must be over: every attempt, read and backoff of it included."""

    at: float
    clock: Callable[[], float] = time.monotonic

    @classmethod
    def after(cls, seconds: float, clock: Callable[[], float] = time.monotonic) -> Deadline:
        return cls(clock() + seconds, clock)

    def remaining(self) -> float:
        return self.at - self.clock()


def validate_filter(endpoint: Endpoint, value: int | str) -> int | str:
    """Check a filter value for ``endpoint`` and return it normalised.

    Integer filters accept an int or a string of digits; text filters are
    stripped and must not be empty. Raises ``InvalidArgument``.
    """
    bounds = _INT_RANGES.get(endpoint)
    if bounds is not None:
        return _validate_int(endpoint, value, *bounds)
    return _validate_text(endpoint, value)


def _validate_int(endpoint: Endpoint, value: Any, low: int, high: int) -> int:
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _DIGITS.match(value.strip()):
        number = int(value.strip())
    if number is None or not low <= number <= high:
        if high == _MAX_ID:
            raise InvalidArgument(f"{endpoint.field} must be a positive integer")
        raise InvalidArgument(f"{endpoint.field} must be an integer from {low} to {high}")
    return number


def _validate_text(endpoint: Endpoint, value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidArgument(f"{endpoint.field} must be text")
    text = value.strip()
    if not text:
        raise InvalidArgument(f"{endpoint.field} must not be empty")
    if len(text) > MAX_TEXT_LENGTH:
        raise InvalidArgument(f"{endpoint.field} is longer than {MAX_TEXT_LENGTH} characters")
    return text


def parse_record(raw: dict[str, Any]) -> CallRecord | None:
    """Typed model for one raw record, or ``None`` when it does not validate."""
    try:
        return CallRecord.model_validate(raw)
    except ValidationError as exc:
        # Field locations only: the record's content may be personal data.
        locations = sorted(
            {
                ".".join(str(part) for part in error["loc"])
                for error in exc.errors(include_url=False, include_input=False)
            }
        )
        logger.debug("skipped a record that does not validate: %s", ", ".join(locations))
        return None


class RecordSink(Protocol):
    """Takes the records of one response as they are parsed."""

    def add(self, raw: dict[str, Any]) -> None: ...


SinkT = TypeVar("SinkT", bound=RecordSink)


class RecordList(list[dict[str, Any]]):
    """A sink that keeps every record."""

    def add(self, raw: dict[str, Any]) -> None:
        self.append(raw)


class _TypedRecords:
    """A sink that keeps the records that validate, as models."""

    def __init__(self) -> None:
        self.records: list[CallRecord] = []
        self.dropped = 0

    def add(self, raw: dict[str, Any]) -> None:
        record = parse_record(raw)
        if record is None:
            self.dropped += 1
        else:
            self.records.append(record)


@dataclass(frozen=True, slots=True)
class _Target:
    """Where a request goes, plus what may be logged about it."""

    url: httpx.URL
    host: str
    path: str

    @classmethod
    def build(cls, base_url: str, endpoint: Endpoint) -> _Target:
        url: httpx.URL | None = None
        # Suppressed and reported below, so that the parser's error is not chained.
        with contextlib.suppress(httpx.InvalidURL):
            url = httpx.URL(base_url.rstrip("/") + endpoint.path)
        if url is None or url.scheme not in ("http", "https") or not url.host:
            raise InvalidArgument("the instance address is not a valid http(s) URL")
        host = url.host if url.port is None else f"{url.host}:{url.port}"
        return cls(url=url, host=host, path=endpoint.path)


async def _guard(awaitable: Awaitable[T]) -> T:
    """Await, turning httpx failures into typed errors with no link to the original.

    The typed error is raised outside the ``except`` block so that it carries
    neither ``__cause__`` nor ``__context__``: httpx exceptions hold the request,
    and the request body holds the token.
    """
    try:
        return await awaitable
    except httpx.TimeoutException as exc:
        failure: AiokkError = Unavailable(f"request timed out ({type(exc).__name__})")
    except httpx.TransportError as exc:
        failure = Unavailable(f"connection failed ({type(exc).__name__})")
    except httpx.DecodingError:
        failure = BadResponse("the response body could not be decoded")
    except httpx.HTTPError as exc:
        failure = Unavailable(f"request failed ({type(exc).__name__})")
    raise failure


def _redact(text: str, token: str) -> str:
    return text.replace(token, "***") if token else text


def _error_detail(body: bytes, token: str) -> str:
    """The ``error``/``message``/``code`` texts of a JSON error body, if any."""
    try:
        payload = json.loads(body.decode("utf-8", errors="replace"))
    except ValueError:
        return ""
    if not isinstance(payload, dict):
        return ""
    parts = [
        value.strip()
        for key in ("error", "message", "code")
        if isinstance(value := payload.get(key), str) and value.strip()
    ]
    detail = " - ".join(parts)
    # Never echo the token, even if a server put it into its error text.
    return _redact(detail, token)[:_ERROR_DETAIL_LIMIT]


def _status_error(status: int, detail: str) -> AiokkError:
    suffix = f": {detail}" if detail else ""
    if status == 402:
        return NotPaid(f"HTTP 402, API access is not paid{suffix}", status=status)
    if status == 403:
        return Disabled(f"HTTP 403, API access is disabled{suffix}", status=status)
    if status == 404:
        return TokenNotFound(f"HTTP 404, token not found{suffix}", status=status)
    if status >= 500 or status in _TRANSIENT_4XX:
        return Unavailable(f"HTTP {status}, service unavailable", status=status)
    return BadResponse(f"unexpected HTTP status {status}", status=status)


async def _read_limited(response: httpx.Response, limit: int) -> bytes:
    """At most ``limit`` bytes of the body; failures just end the reading."""
    buffer = bytearray()
    try:
        async for chunk in response.aiter_bytes():
            buffer.extend(chunk)
            if len(buffer) >= limit:
                break
    except httpx.HTTPError:
        pass  # the status alone decides the error; the body only adds detail
    return bytes(buffer[:limit])


class _Body:
    """The parsed body of one successful response, read chunk by chunk."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._chunks = response.aiter_bytes(CHUNK_SIZE)
        self._parser = RecordParser()
        self._finished = False

    async def next_batch(self) -> list[dict[str, Any]]:
        """The next non-empty batch of records; an empty list at the end of the body."""
        while not self._finished:
            chunk = await _guard(anext(self._chunks, None))
            if chunk is None:
                self._finished = True
                return self._parser.close()
            batch = self._parser.feed(chunk)
            # Parsing a chunk is CPU work: let other tasks run between chunks.
            await asyncio.sleep(0)
            if batch:
                return batch
        return []

    async def aclose(self) -> None:
        self._finished = True
        # httpx types aiter_bytes() as a plain iterator; it is an async generator.
        close_chunks = getattr(self._chunks, "aclose", None)
        try:
            if close_chunks is not None:
                await close_chunks()
        finally:
            await self.response.aclose()


class _RecordStream:
    """Async iterator over raw records; the first batch was read while opening."""

    def __init__(self, body: _Body, first: list[dict[str, Any]]) -> None:
        self._body = body
        self._pending: deque[dict[str, Any]] = deque(first)
        self._exhausted = not first
        self.count = 0

    @property
    def status(self) -> int:
        return self._body.response.status_code

    def __aiter__(self) -> _RecordStream:
        return self

    async def __anext__(self) -> dict[str, Any]:
        if not self._pending:
            if self._exhausted:
                raise StopAsyncIteration
            batch = await self._body.next_batch()
            if not batch:
                self._exhausted = True
                raise StopAsyncIteration
            self._pending.extend(batch)
        self.count += 1
        return self._pending.popleft()

    async def aclose(self) -> None:
        self._exhausted = True
        self._pending.clear()
        await self._body.aclose()


class AiokkClient:
    """Client for any number of aiokk instances and tokens (both passed per call).

    With ``addresses``, every request goes only where that policy allows (see
    ``bot.aiokk.transport``); without it, anywhere: for tests and tools that talk to
    an instance they know.
    """

    def __init__(
        self,
        *,
        timeout: httpx.Timeout | None = None,
        attempts: int = 3,
        backoff: float = 0.5,
        transport: httpx.AsyncBaseTransport | None = None,
        addresses: AddressPolicy | None = None,
        resolver: Resolver = system_resolver,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        if backoff < 0:
            raise ValueError("backoff must not be negative")
        self._attempts = attempts
        self._backoff = backoff
        self._timeout = timeout or DEFAULT_TIMEOUT
        self._guard = AddressGuard(addresses, resolver) if addresses is not None else None
        if self._guard is not None:
            # A transport of its own also keeps proxies from the environment out: a proxy
            # would resolve the name itself, after the check.
            transport = CheckedTransport(self._guard, transport or httpx.AsyncHTTPTransport())
        self._http = httpx.AsyncClient(
            timeout=self._timeout,
            transport=transport,
            headers={"Accept": "application/json"},
            follow_redirects=False,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AiokkClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    @asynccontextmanager
    async def stream(
        self, base_url: str, token: str, endpoint: Endpoint, value: int | str
    ) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
        """Open an export request and iterate over its raw records.

        ``async with client.stream(...) as records: async for raw in records: ...``
        Leaving the block early closes the connection.
        """
        value = validate_filter(endpoint, value)
        _check_token_argument(token)
        target = _Target.build(base_url, endpoint)
        body = {"token": token, endpoint.field: value}
        started = time.monotonic()
        try:
            records = await self._retrying(
                target, lambda timeouts: self._open_records(target, body, token, timeouts)
            )
        except AiokkError as error:
            _log_failure(target, error, started)
            raise
        try:
            yield records
        except AiokkError as error:
            _log_failure(target, error, started, count=records.count)
            raise
        finally:
            await records.aclose()
        _log_success(target, records, started)

    async def collect(
        self,
        base_url: str,
        token: str,
        endpoint: Endpoint,
        value: int | str,
        sink: Callable[[], SinkT],
        *,
        deadline: Deadline | None = None,
    ) -> SinkT:
        """Feed every record of one export request to a fresh ``sink()``; return that sink.

        The whole request is retried, with a new sink, while it fails as ``Unavailable``:
        a 5xx, a timeout, a connection closed mid-body or a body that ends before its
        JSON does. Attempts stop at ``attempts`` or when ``deadline`` leaves no time,
        whichever comes first; each attempt's timeouts end at the deadline too.
        """
        value = validate_filter(endpoint, value)
        _check_token_argument(token)
        target = _Target.build(base_url, endpoint)
        body = {"token": token, endpoint.field: value}
        started = time.monotonic()

        async def read_all(timeouts: httpx.Timeout | None) -> tuple[SinkT, _RecordStream]:
            records = await self._open_records(target, body, token, timeouts)
            try:
                into = sink()
                async for raw in records:
                    into.add(raw)
            finally:
                await records.aclose()
            return into, records

        try:
            into, records = await self._retrying(target, read_all, deadline)
        except AiokkError as error:
            _log_failure(target, error, started)
            raise
        _log_success(target, records, started)
        return into

    async def fetch_raw(
        self, base_url: str, token: str, endpoint: Endpoint, value: int | str
    ) -> list[dict[str, Any]]:
        """All raw records of one export request."""
        return await self.collect(base_url, token, endpoint, value, RecordList)

    async def fetch_records(
        self, base_url: str, token: str, endpoint: Endpoint, value: int | str
    ) -> list[CallRecord]:
        """All records of one export request that validate, as typed models."""
        typed = await self.collect(base_url, token, endpoint, value, _TypedRecords)
        if typed.dropped:
            logger.info("aiokk %s: %d records did not validate", endpoint.path, typed.dropped)
        return typed.records

    async def check_address(self, base_url: str) -> None:
        """Raise ``AddressRefused`` unless the policy lets the bot connect to ``base_url``.

        Nothing is connected to. A name that does not resolve passes here: a request to it
        fails as ``Unavailable`` like any unreachable server.
        """
        if self._guard is None:
            return
        url = _Target.build(base_url, _PROBE[0]).url
        with contextlib.suppress(OSError, TimeoutError):
            await self._guard.addresses(url.scheme, url.host, url.port)

    async def check_token(self, base_url: str, token: str) -> None:
        """Make one real request and raise the typed error unless the token works."""
        _check_token_argument(token)
        endpoint, value = _PROBE
        target = _Target.build(base_url, endpoint)
        body = {"token": token, endpoint.field: value}
        started = time.monotonic()
        try:
            status = await self._retrying(
                target, lambda timeouts: self._probe(target, body, token, timeouts)
            )
        except AiokkError as error:
            _log_failure(target, error, started)
            raise
        logger.info(
            "aiokk token check at %s: HTTP %d in %.2fs",
            target.host,
            status,
            time.monotonic() - started,
        )

    async def by_department(
        self, base_url: str, token: str, department_id: int
    ) -> list[CallRecord]:
        return await self.fetch_records(base_url, token, Endpoint.DEPARTMENT, department_id)

    async def by_operator(self, base_url: str, token: str, operator_name: str) -> list[CallRecord]:
        return await self.fetch_records(base_url, token, Endpoint.OPERATOR, operator_name)

    async def by_call_type(self, base_url: str, token: str, call_type: int) -> list[CallRecord]:
        return await self.fetch_records(base_url, token, Endpoint.CALL_TYPE, call_type)

    async def by_question_pack(self, base_url: str, token: str, qp_id: int) -> list[CallRecord]:
        return await self.fetch_records(base_url, token, Endpoint.QUESTION_PACK, qp_id)

    async def by_client_loyalty(self, base_url: str, token: str, loyalty: int) -> list[CallRecord]:
        return await self.fetch_records(base_url, token, Endpoint.CLIENT_LOYALTY, loyalty)

    async def by_signal(self, base_url: str, token: str, word: str) -> list[CallRecord]:
        return await self.fetch_records(base_url, token, Endpoint.SIGNALS, word)

    async def _retrying(
        self,
        target: _Target,
        operation: Callable[[httpx.Timeout | None], Awaitable[T]],
        deadline: Deadline | None = None,
    ) -> T:
        """Run ``operation`` up to ``attempts`` times while it raises ``Unavailable``,
        and, given a ``deadline``, only while there is time left for the next try."""
        attempt = 1
        while True:
            try:
                return await self._attempt(operation, deadline)
            except Unavailable as error:
                if attempt >= self._attempts:
                    raise
                delay = self._delay(attempt)
                if deadline is not None and delay >= deadline.remaining():
                    logger.warning(
                        "aiokk POST %s%s: attempt %d failed (%s), no time left for another",
                        target.host,
                        target.path,
                        attempt,
                        error.message,
                    )
                    raise
                logger.warning(
                    "aiokk POST %s%s: attempt %d of %d failed (%s), retrying in %.2fs",
                    target.host,
                    target.path,
                    attempt,
                    self._attempts,
                    error.message,
                    delay,
                )
            await asyncio.sleep(delay)
            attempt += 1

    async def _attempt(
        self,
        operation: Callable[[httpx.Timeout | None], Awaitable[T]],
        deadline: Deadline | None,
    ) -> T:
        """One try; with a deadline, its timeouts end there and so does the whole try
        (a body trickling in never outlasts it)."""
        if deadline is None:
            return await operation(None)
        remaining = deadline.remaining()
        if remaining <= 0:
            raise Unavailable("no time left for the request")
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(remaining):
                return await operation(self._timeout_within(remaining))
        # Raised outside the handler: the timeout's own exception is no part of the story.
        raise Unavailable("no complete answer within the time allowed")

    def _timeout_within(self, seconds: float) -> httpx.Timeout:
        """The client's timeouts, none of them longer than ``seconds``."""

        def capped(value: float | None) -> float:
            return seconds if value is None else min(value, seconds)

        configured = self._timeout
        return httpx.Timeout(
            connect=capped(configured.connect),
            read=capped(configured.read),
            write=capped(configured.write),
            pool=capped(configured.pool),
        )

    def _delay(self, attempt: int) -> float:
        """Exponential backoff with jitter, so that many chats do not retry in step."""
        ceiling = min(MAX_BACKOFF, self._backoff * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)

    async def _send(
        self, target: _Target, body: dict[str, Any], token: str, timeouts: httpx.Timeout | None
    ) -> httpx.Response:
        """POST and check the status; the returned response is open and successful."""
        request = self._http.build_request(
            "POST",
            target.url,
            json=body,
            timeout=httpx.USE_CLIENT_DEFAULT if timeouts is None else timeouts,
        )
        response = await _guard(self._http.send(request, stream=True))
        if 200 <= response.status_code < 300:
            return response
        try:
            # Error bodies are small; reading them lets the connection be reused.
            content = await _read_limited(response, _ERROR_BODY_LIMIT)
        finally:
            await response.aclose()
        detail = _error_detail(content, token) if response.status_code in (402, 403, 404) else ""
        raise _status_error(response.status_code, detail)

    async def _open_records(
        self, target: _Target, body: dict[str, Any], token: str, timeouts: httpx.Timeout | None
    ) -> _RecordStream:
        """Send and read up to the first records, so that failures so far can be retried."""
        response = await self._send(target, body, token, timeouts)
        reader = _Body(response)
        try:
            first = await reader.next_batch()
        except BaseException:
            await reader.aclose()
            raise
        return _RecordStream(reader, first)

    async def _probe(
        self, target: _Target, body: dict[str, Any], token: str, timeouts: httpx.Timeout | None
    ) -> int:
        response = await self._send(target, body, token, timeouts)
        # Only the status matters: close without reading a possibly huge body.
        await response.aclose()
        return response.status_code


def _check_token_argument(token: str) -> None:
    if not isinstance(token, str) or not token.strip():
        raise InvalidArgument("the token must not be empty")


def _log_success(target: _Target, records: _RecordStream, started: float) -> None:
    logger.info(
        "aiokk POST %s%s: HTTP %d, %d records in %.2fs",
        target.host,
        target.path,
        records.status,
        records.count,
        time.monotonic() - started,
    )


def _log_failure(target: _Target, error: AiokkError, started: float, *, count: int = 0) -> None:
    logger.warning(
        "aiokk POST %s%s failed after %.2fs and %d records: %s (HTTP %s)",
        target.host,
        target.path,
        time.monotonic() - started,
        count,
        type(error).__name__,
        error.status if error.status is not None else "-",
    )
