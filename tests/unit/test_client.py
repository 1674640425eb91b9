"""The aiokk client: request shape, parsing, errors, retries and secrecy.

Most tests talk to the sandbox over real HTTP; a few use ``httpx.MockTransport``
for byte-level situations the sandbox does not produce (escaping styles, split
multi-byte characters, connections dropped mid-body).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from bot.aiokk.client import AiokkClient, parse_record, validate_filter
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
from bot.aiokk.stream import RecordParser
from bot.sandbox import RunningSandbox, start_sandbox
from tests.unit.test_models import SPEC_RECORD_JSON

BASE = "http://aiokk.test"
SECRET = "tok-Sensitive-4242"
FAST = 0.001  # backoff in seconds: retries stay real but quick

Handler = Callable[[httpx.Request], httpx.Response]


def spec_record() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SPEC_RECORD_JSON)
    return data


def many_records(count: int) -> list[dict[str, Any]]:
    records = []
    for number in range(count):
        record = spec_record()
        record["call"]["dialogId"] = 1000 + number
        records.append(record)
    return records


def php_json(value: Any) -> bytes:
    """What a PHP server sends by default: ASCII with ``\\uXXXX`` and ``\\/`` escapes."""
    return json.dumps(value, ensure_ascii=True).replace("/", "\\/").encode("ascii")


def utf8_json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


class Recorder:
    """A mock transport that records requests and answers with ``handler``."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []
        self.transport = httpx.MockTransport(self._handle)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)

    def client(self, **options: Any) -> AiokkClient:
        options.setdefault("backoff", FAST)
        return AiokkClient(transport=self.transport, **options)


class ChunkStream(httpx.AsyncByteStream):
    """A response body delivered in the given chunks, optionally failing afterwards."""

    def __init__(self, chunks: Iterable[bytes], fail_with: Exception | None = None) -> None:
        self.chunks = list(chunks)
        self.fail_with = fail_with
        self.served = 0
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            self.served += 1
            yield chunk
        if self.fail_with is not None:
            raise self.fail_with

    async def aclose(self) -> None:
        self.closed = True


def split(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def assert_secret_free(error: BaseException, secret: str = SECRET) -> None:
    """The error says nothing about the token and drags no httpx exception along."""
    assert secret not in str(error)
    assert secret not in repr(error)
    assert all(secret not in repr(arg) for arg in error.args)
    assert error.__cause__ is None
    assert error.__context__ is None


# --- argument validation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "value", "expected"),
    [
        (Endpoint.DEPARTMENT, 84, 84),
        (Endpoint.DEPARTMENT, " 84 ", 84),
        (Endpoint.QUESTION_PACK, "27", 27),
        (Endpoint.CALL_TYPE, 1, 1),
        (Endpoint.CALL_TYPE, 4, 4),
        (Endpoint.CLIENT_LOYALTY, 1, 1),
        (Endpoint.CLIENT_LOYALTY, "10", 10),
        (Endpoint.OPERATOR, "  Айгерим ", "Айгерим"),
        (Endpoint.SIGNALS, "дорого", "дорого"),
    ],
)
def test_validate_filter_normalises(endpoint: Endpoint, value: int | str, expected: object) -> None:
    assert validate_filter(endpoint, value) == expected


@pytest.mark.parametrize(
    ("endpoint", "value"),
    [
        (Endpoint.DEPARTMENT, 0),
        (Endpoint.DEPARTMENT, -5),
        (Endpoint.DEPARTMENT, "abc"),
        (Endpoint.DEPARTMENT, "-1"),
        (Endpoint.DEPARTMENT, 1.5),
        (Endpoint.DEPARTMENT, True),
        (Endpoint.DEPARTMENT, 2**70),
        (Endpoint.QUESTION_PACK, 0),
        (Endpoint.CALL_TYPE, 0),
        (Endpoint.CALL_TYPE, 5),
        (Endpoint.CLIENT_LOYALTY, 0),
        (Endpoint.CLIENT_LOYALTY, 11),
        (Endpoint.OPERATOR, ""),
        (Endpoint.OPERATOR, "   "),
        (Endpoint.OPERATOR, 42),
        (Endpoint.OPERATOR, "x" * 300),
        (Endpoint.SIGNALS, "\t\n"),
        (Endpoint.SIGNALS, None),
    ],
)
def test_validate_filter_rejects(endpoint: Endpoint, value: Any) -> None:
    with pytest.raises(InvalidArgument) as caught:
        validate_filter(endpoint, value)
    assert isinstance(caught.value, ValueError)
    assert endpoint.field in str(caught.value)


@pytest.mark.parametrize(
    ("method", "value"),
    [
        ("by_department", 0),
        ("by_department", -1),
        ("by_operator", "  "),
        ("by_call_type", 5),
        ("by_call_type", 0),
        ("by_question_pack", 0),
        ("by_client_loyalty", 11),
        ("by_client_loyalty", 0),
        ("by_signal", ""),
    ],
)
async def test_invalid_arguments_raise_before_any_request(method: str, value: Any) -> None:
    recorder = Recorder(lambda request: httpx.Response(200, content=b"[]"))
    async with recorder.client() as client:
        with pytest.raises(InvalidArgument):
            await getattr(client, method)(BASE, SECRET, value)
    assert recorder.requests == []


@pytest.mark.parametrize("base_url", ["", "aiokk.test", "ftp://aiokk.test", "http://"])
async def test_invalid_base_url_raises_before_any_request(base_url: str) -> None:
    recorder = Recorder(lambda request: httpx.Response(200, content=b"[]"))
    async with recorder.client() as client:
        with pytest.raises(InvalidArgument):
            await client.by_call_type(base_url, SECRET, 1)
        with pytest.raises(InvalidArgument):
            await client.check_token(base_url, SECRET)
    assert recorder.requests == []


async def test_empty_token_raises_before_any_request() -> None:
    recorder = Recorder(lambda request: httpx.Response(200, content=b"[]"))
    async with recorder.client() as client:
        with pytest.raises(InvalidArgument):
            await client.check_token(BASE, " ")
        with pytest.raises(InvalidArgument):
            await client.by_call_type(BASE, "", 1)
    assert recorder.requests == []


# --- request shape ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "value", "path", "body"),
    [
        ("by_department", 84, "/api/v1/export/dialogs/department", {"department_id": 84}),
        ("by_operator", " Иван ", "/api/v1/export/dialogs/operator", {"operator_name": "Иван"}),
        ("by_call_type", 2, "/api/v1/export/dialogs/call_type", {"call_type": 2}),
        ("by_question_pack", 27, "/api/v1/export/dialogs/question_pack", {"qp_id": 27}),
        ("by_client_loyalty", 10, "/api/v1/export/dialogs/client_loyalty", {"client_loyalty": 10}),
        ("by_signal", "дорого", "/api/v1/export/dialogs/signals", {"signal_word": "дорого"}),
    ],
)
async def test_request_shape(method: str, value: Any, path: str, body: dict[str, Any]) -> None:
    recorder = Recorder(lambda request: httpx.Response(200, content=php_json([spec_record()])))
    async with recorder.client() as client:
        records = await getattr(client, method)(BASE, SECRET, value)
    assert [record.dialog_id for record in records] == [1138]
    [request] = recorder.requests
    assert request.method == "POST"
    assert str(request.url) == BASE + path
    assert request.headers["accept"] == "application/json"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {"token": SECRET, **body}


# --- parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("encode", [php_json, utf8_json], ids=["escaped", "utf-8"])
@pytest.mark.parametrize("chunk_size", [1, 7, 4096, 1 << 20])
async def test_both_encodings_and_any_chunking_give_the_same_records(
    encode: Callable[[Any], bytes], chunk_size: int
) -> None:
    expected = many_records(3)
    payload = encode(expected)
    recorder = Recorder(
        lambda request: httpx.Response(200, stream=ChunkStream(split(payload, chunk_size)))
    )
    async with recorder.client() as client:
        raw = await client.fetch_raw(BASE, SECRET, Endpoint.CALL_TYPE, 1)
    assert raw == expected
    record = parse_record(raw[0])
    assert record is not None
    assert record.operator_name == "Иван Иванович"
    assert record.department_id == 84
    assert len(record.signal_words) == 24


def test_parser_unescapes_php_slashes_and_cyrillic() -> None:
    parser = RecordParser()
    records = parser.feed(
        b'[{"url": "https:\\/\\/x.kz\\/a", "name": "\\u0418\\u0432\\u0430\\u043d"}]'
    )
    records += parser.close()
    assert records == [{"url": "https://x.kz/a", "name": "Иван"}]


def test_parser_gives_floats_not_decimals() -> None:
    parser = RecordParser()
    records = parser.feed(b'[{"price": 150.5, "grade": 31}]') + parser.close()
    assert records == [{"price": 150.5, "grade": 31}]
    assert type(records[0]["price"]) is float
    assert type(records[0]["grade"]) is int


def test_parser_hands_out_records_as_soon_as_they_are_complete() -> None:
    parser = RecordParser()
    assert parser.feed(b'  [{"a": 1}, {"b"') == [{"a": 1}]
    assert parser.feed(b': 2}, {"c": 3') == [{"b": 2}]
    assert parser.feed(b"}]") == [{"c": 3}]
    assert parser.close() == []


async def test_items_that_are_not_objects_are_skipped() -> None:
    body = b'[1, "x", null, [], {"call": {"dialogId": 1}}, true, {"call": {"dialogId": 2}}]'
    recorder = Recorder(lambda request: httpx.Response(200, content=body))
    async with recorder.client() as client:
        raw = await client.fetch_raw(BASE, SECRET, Endpoint.CALL_TYPE, 1)
    assert raw == [{"call": {"dialogId": 1}}, {"call": {"dialogId": 2}}]


async def test_records_that_do_not_validate_are_dropped_from_typed_results() -> None:
    good = spec_record()
    body = utf8_json([{"call": {"no": "id"}}, good, {"operator": {}}])
    recorder = Recorder(lambda request: httpx.Response(200, content=body))
    async with recorder.client() as client:
        records = await client.by_operator(BASE, SECRET, "Иван")
    assert [record.dialog_id for record in records] == [1138]


@pytest.mark.parametrize("body", [b"[]", b" \r\n[ ]\n", b"\xef\xbb\xbf[]"])
async def test_empty_array_is_no_records(body: bytes) -> None:
    recorder = Recorder(lambda request: httpx.Response(200, content=body))
    async with recorder.client() as client:
        assert await client.fetch_raw(BASE, SECRET, Endpoint.CALL_TYPE, 1) == []


async def test_byte_order_mark_is_tolerated() -> None:
    body = b"\xef\xbb\xbf" + utf8_json([spec_record()])
    recorder = Recorder(lambda request: httpx.Response(200, stream=ChunkStream(split(body, 1))))
    async with recorder.client() as client:
        raw = await client.fetch_raw(BASE, SECRET, Endpoint.CALL_TYPE, 1)
    assert raw == [spec_record()]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"   \n", id="whitespace"),
        pytest.param(b'{"error": "nope"}', id="object"),
        pytest.param(b'"text"', id="string"),
        pytest.param(b"<html><body>Bad Gateway</body></html>", id="html"),
        pytest.param(b'[{"a": 1}] trailing', id="trailing garbage"),
        pytest.param(b"[{'a': 1}]", id="single quotes"),
    ],
)
async def test_non_json_or_non_array_200_is_bad_response(body: bytes) -> None:
    recorder = Recorder(lambda request: httpx.Response(200, content=body))
    async with recorder.client() as client:
        with pytest.raises(BadResponse) as caught:
            await client.fetch_raw(BASE, SECRET, Endpoint.CALL_TYPE, 1)
    assert_secret_free(caught.value)
    assert len(recorder.requests) == 1  # never retried


# --- status codes ----------------------------------------------------------------------------


NOT_PAID = {"error": "API not paid", "code": "Your API subscription has expired or not been paid."}
DISABLED = {"error": "API functionality is disabled", "message": "Please contact support."}
NOT_FOUND = {"error": "Token not found", "message": "The access token is missing or invalid."}


@pytest.mark.parametrize(
    ("status", "body", "error_type", "detail"),
    [
        (402, NOT_PAID, NotPaid, "API not paid"),
        (403, DISABLED, Disabled, "disabled"),
        (404, NOT_FOUND, TokenNotFound, "Token not found"),
    ],
)
async def test_error_statuses_carry_the_server_text(
    status: int, body: dict[str, str], error_type: type[AiokkError], detail: str
) -> None:
    recorder = Recorder(lambda request: httpx.Response(status, json=body))
    async with recorder.client() as client:
        with pytest.raises(error_type) as caught:
            await client.fetch_raw(BASE, SECRET, Endpoint.DEPARTMENT, 84)
    assert caught.value.status == status
    assert detail in str(caught.value)
    assert not caught.value.retryable
    assert len(recorder.requests) == 1


@pytest.mark.parametrize("body", [b"<html>Not Found</html>", b"", b"[1, 2]", b"\xff\xfe"])
async def test_404_with_a_body_that_is_not_the_documented_json(body: bytes) -> None:
    recorder = Recorder(lambda request: httpx.Response(404, content=body))
    async with recorder.client() as client:
        with pytest.raises(TokenNotFound) as caught:
            await client.check_token(BASE, SECRET)
    assert caught.value.status == 404


async def test_server_echoing_the_token_is_redacted() -> None:
    recorder = Recorder(
        lambda request: httpx.Response(404, json={"error": f"Token {SECRET} not found"})
    )
    async with recorder.client() as client:
        with pytest.raises(TokenNotFound) as caught:
            await client.fetch_raw(BASE, SECRET, Endpoint.CALL_TYPE, 1)
    assert "not found" in str(caught.value)
    assert_secret_free(caught.value)


@pytest.mark.parametrize("status", [400, 401, 405, 422, 301])
async def test_other_statuses_are_bad_response_and_not_retried(status: int) -> None:
    recorder = Recorder(lambda request: httpx.Response(status, json={"errors": ["x"]}))
    async with recorder.client() as client:
        with pytest.raises(BadResponse) as caught:
            await client.fetch_raw(BASE, SECRET, Endpoint.CALL_TYPE, 1)
    assert caught.value.status == status
    assert len(recorder.requests) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
async def test_transient_statuses_are_retried_then_unavailable(status: int) -> None:
    recorder = Recorder(lambda request: httpx.Response(status, text="<html>oops</html>"))
    async with recorder.client(attempts=4) as client:
        with pytest.raises(Unavailable) as caught:
            await client.fetch_raw(BASE, SECRET, Endpoint.CALL_TYPE, 1)
    assert caught.value.status == status
    assert caught.value.retryable
    assert len(recorder.requests) == 4


async def test_attempts_one_means_no_retry() -> None:
    recorder = Recorder(lambda request: httpx.Response(502))
    async with recorder.client(attempts=1) as client:
        with pytest.raises(Unavailable):
            await client.check_token(BASE, SECRET)
    assert len(recorder.requests) == 1


# --- transport failures ----------------------------------------------------------------------


def raising(error: Exception) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error

    return handler


@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectError("connection refused"),
        httpx.ConnectTimeout("connect timed out"),
        httpx.ReadTimeout("read timed out"),
        httpx.RemoteProtocolError("server disconnected"),
    ],
)
async def test_transport_errors_become_unavailable_without_chaining(error: Exception) -> None:
    recorder = Recorder(raising(error))
    async with recorder.client() as client:
        with pytest.raises(Unavailable) as caught:
            await client.by_call_type(BASE, SECRET, 1)
    assert len(recorder.requests) == 3
    assert_secret_free(caught.value)
    assert caught.value.status is None


async def test_connection_error_once_then_success() -> None:
    calls = 0

    def flaky(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise httpx.ConnectError("refused")
        return httpx.Response(200, content=php_json([spec_record()]))

    recorder = Recorder(flaky)
    async with recorder.client() as client:
        records = await client.by_call_type(BASE, SECRET, 1)
    assert [record.dialog_id for record in records] == [1138]
    assert calls == 2


async def test_failure_before_the_first_record_is_retried() -> None:
    payload = utf8_json(many_records(2))
    bodies = [ChunkStream([payload[:50]], fail_with=httpx.ReadError("reset")), None]

    def handler(request: httpx.Request) -> httpx.Response:
        stream = bodies.pop(0)
        if stream is None:
            return httpx.Response(200, content=payload)
        return httpx.Response(200, stream=stream)

    recorder = Recorder(handler)
    async with recorder.client() as client:
        raw = await client.fetch_raw(BASE, SECRET, Endpoint.CALL_TYPE, 1)
    assert len(raw) == 2
    assert len(recorder.requests) == 2


async def test_failure_after_records_were_yielded_is_not_retried() -> None:
    records = many_records(40)  # well over one read chunk, so records come out first
    payload = utf8_json(records)
    cut = len(payload) - 10
    stream = ChunkStream([payload[:cut]], fail_with=httpx.ReadError("connection reset"))
    recorder = Recorder(lambda request: httpx.Response(200, stream=stream))
    seen: list[dict[str, Any]] = []
    async with recorder.client() as client:
        with pytest.raises(Unavailable) as caught:
            async with client.stream(BASE, SECRET, Endpoint.CALL_TYPE, 1) as rows:
                async for row in rows:
                    seen.append(row)
    assert 0 < len(seen) < len(records)
    assert seen == records[: len(seen)]
    assert len(recorder.requests) == 1
    assert_secret_free(caught.value)
    assert stream.closed


async def test_leaving_the_stream_early_closes_the_response() -> None:
    payload = utf8_json(many_records(40))
    stream = ChunkStream(split(payload, 70_000))
    recorder = Recorder(lambda request: httpx.Response(200, stream=stream))
    async with (
        recorder.client() as client,
        client.stream(BASE, SECRET, Endpoint.CALL_TYPE, 1) as rows,
    ):
        first = await anext(rows)
    assert first["call"]["dialogId"] == 1000
    assert stream.closed
    assert stream.served < len(stream.chunks)


async def test_check_token_reads_only_the_status() -> None:
    stream = ChunkStream(split(utf8_json(many_records(10)), 1000))
    recorder = Recorder(lambda request: httpx.Response(200, stream=stream))
    async with recorder.client() as client:
        await client.check_token(BASE, SECRET)
    [request] = recorder.requests
    assert request.url.path.startswith("/api/v1/export/dialogs/")
    assert json.loads(request.content)["token"] == SECRET
    assert stream.served == 0
    assert stream.closed


def test_attempts_must_be_positive() -> None:
    with pytest.raises(ValueError):
        AiokkClient(attempts=0)


# --- against the sandbox over real HTTP ------------------------------------------------------

SANDBOX_NOW = datetime(2025, 4, 21, 12, 0, tzinfo=UTC)
SANDBOX_CALLS = 300


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    running = await start_sandbox(calls=SANDBOX_CALLS, seed=7, now=SANDBOX_NOW)
    try:
        yield running
    finally:
        await running.close()


@pytest.fixture
async def client() -> AsyncIterator[AiokkClient]:
    async with AiokkClient(backoff=FAST) as instance:
        yield instance


class Hooks:
    """The sandbox's test hooks: scripted faults and request counts."""

    def __init__(self, base_url: str) -> None:
        self._http = httpx.AsyncClient(base_url=base_url)

    async def fault(self, kind: str, count: int, **options: Any) -> None:
        response = await self._http.post(
            "/_sandbox/faults", json={"kind": kind, "count": count, **options}
        )
        response.raise_for_status()

    async def clear_faults(self) -> None:
        (await self._http.delete("/_sandbox/faults")).raise_for_status()

    async def requests(self) -> int:
        """Export requests the sandbox has received so far."""
        response = await self._http.get("/_sandbox/stats")
        response.raise_for_status()
        total: int = response.json()["total"]
        return total

    async def aclose(self) -> None:
        await self._http.aclose()


@pytest.fixture
async def hooks(sandbox: RunningSandbox) -> AsyncIterator[Hooks]:
    instance = Hooks(sandbox.base_url)
    try:
        yield instance
    finally:
        await instance.aclose()


async def all_sandbox_records(client: AiokkClient, base_url: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for call_type in (1, 2, 3, 4):
        records += await client.fetch_raw(base_url, "demo", Endpoint.CALL_TYPE, call_type)
    return records


def ids(records: Iterable[Any]) -> list[int]:
    return sorted(
        record.dialog_id if hasattr(record, "dialog_id") else int(record["call"]["dialogId"])
        for record in records
    )


def block(record: dict[str, Any], *path: str) -> dict[str, Any]:
    """A nested block of a raw record, ``{}`` when missing or null."""
    current: Any = record
    for key in path:
        current = current.get(key) if isinstance(current, dict) else None
    return current if isinstance(current, dict) else {}


def _complete(record: dict[str, Any]) -> bool:
    """Whether every block a filter looks at is present."""
    return bool(
        block(record, "operator").get("departmentId")
        and block(record, "operator").get("fullName")
        and block(record, "analytics", "evaluationCriteria").get("evaluationId")
        and block(record, "analytics", "clientLoyalty").get("currentGrade")
        and block(record, "analytics", "signals").get("mentionedSignals")
    )


async def test_every_endpoint_returns_what_the_sandbox_filter_selects(
    sandbox: RunningSandbox, client: AiokkClient
) -> None:
    base = sandbox.base_url
    everything = await all_sandbox_records(client, base)
    assert len(everything) == SANDBOX_CALLS
    assert len(set(ids(everything))) == SANDBOX_CALLS

    # Filter values taken from the data itself, so the expectations hold for any seed.
    sample = next(record for record in everything if _complete(record))
    department = int(block(sample, "operator")["departmentId"])
    full_name: str = block(sample, "operator")["fullName"]
    name_part = full_name.split()[0][1:].upper()  # a case-changed substring
    pack = int(block(sample, "analytics", "evaluationCriteria")["evaluationId"])
    loyalty = int(block(sample, "analytics", "clientLoyalty")["currentGrade"])
    word = block(sample, "analytics", "signals")["mentionedSignals"].split(",")[0].strip()
    signal_part = word[: max(3, len(word) // 2)].upper()

    def expected(keep: Callable[[dict[str, Any]], bool]) -> list[int]:
        return ids(record for record in everything if keep(record))

    def department_of(r: dict[str, Any]) -> str:
        return str(block(r, "operator").get("departmentId"))

    cases = [
        (
            await client.by_department(base, "demo", department),
            expected(lambda r: department_of(r) == str(department)),
        ),
        (
            await client.by_operator(base, "demo", f"  {name_part} "),
            expected(
                lambda r: (
                    name_part.casefold()
                    in str(block(r, "operator").get("fullName") or "").casefold()
                )
            ),
        ),
        (
            await client.by_call_type(base, "demo", 3),
            expected(lambda r: r["call"]["callType"] == 3),
        ),
        (
            await client.by_question_pack(base, "demo", pack),
            expected(
                lambda r: block(r, "analytics", "evaluationCriteria").get("evaluationId") == pack
            ),
        ),
        (
            await client.by_client_loyalty(base, "demo", loyalty),
            expected(
                lambda r: block(r, "analytics", "clientLoyalty").get("currentGrade") == loyalty
            ),
        ),
        (
            await client.by_signal(base, "demo", signal_part),
            expected(
                lambda r: (
                    signal_part.casefold()
                    in str(
                        block(r, "analytics", "signals").get("mentionedSignals") or ""
                    ).casefold()
                )
            ),
        ),
    ]
    for got, want in cases:
        assert want, "each filter value was taken from a record, so something must match"
        assert ids(got) == want

    by_department = cases[0][0]
    assert all(record.department_id == department for record in by_department)
    by_operator = cases[1][0]
    assert all(name_part.casefold() in (r.operator_name or "").casefold() for r in by_operator)
    by_signal = cases[5][0]
    assert all(
        any(signal_part.casefold() in w.casefold() for w in r.signal_words) for r in by_signal
    )


async def test_sandbox_records_arrive_unescaped_and_typed(
    sandbox: RunningSandbox, client: AiokkClient
) -> None:
    async with client.stream(sandbox.base_url, "demo", Endpoint.CALL_TYPE, 2) as rows:
        raw = [row async for row in rows]
    assert raw
    names = [str(block(r, "operator").get("fullName")) for r in raw if block(r, "operator")]
    assert any(any("а" <= char <= "я" for char in name.lower()) for name in names)
    assert not any("\\u" in name for name in names)
    records = await client.by_call_type(sandbox.base_url, "demo", 2)
    assert ids(records) == ids(raw)
    dated = [record.call.date for record in records if record.call.date is not None]
    assert dated
    assert all(moment.utcoffset() is not None for moment in dated)
    assert all(moment <= SANDBOX_NOW for moment in dated)


async def test_an_unknown_operator_gives_an_empty_list(
    sandbox: RunningSandbox, client: AiokkClient
) -> None:
    assert await client.by_operator(sandbox.base_url, "demo", "nobody-by-this-name") == []


async def test_check_token_accepts_a_valid_token_with_one_request(
    sandbox: RunningSandbox, client: AiokkClient, hooks: Hooks
) -> None:
    await client.check_token(sandbox.base_url, "demo")
    assert await hooks.requests() == 1


@pytest.mark.parametrize(
    ("token", "error_type", "status"),
    [
        ("demo-unpaid", NotPaid, 402),
        ("demo-disabled", Disabled, 403),
        (SECRET, TokenNotFound, 404),
    ],
)
async def test_error_codes_are_typed_and_never_retried(
    sandbox: RunningSandbox,
    client: AiokkClient,
    hooks: Hooks,
    caplog: pytest.LogCaptureFixture,
    token: str,
    error_type: type[AiokkError],
    status: int,
) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(error_type) as by_check:
        await client.check_token(sandbox.base_url, token)
    with pytest.raises(error_type) as by_fetch:
        await client.by_department(sandbox.base_url, token, 84)
    with pytest.raises(error_type) as by_stream:
        async with client.stream(sandbox.base_url, token, Endpoint.SIGNALS, "дорого") as rows:
            [row async for row in rows]
    assert await hooks.requests() == 3  # one request each, no retries
    for caught in (by_check, by_fetch, by_stream):
        assert caught.value.status == status
        assert not caught.value.retryable
        assert_secret_free(caught.value, token)
    assert_logs_secret_free(caplog, token)


async def test_unavailable_token_is_retried_then_unavailable(
    sandbox: RunningSandbox, client: AiokkClient, hooks: Hooks, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(Unavailable) as caught:
        await client.by_call_type(sandbox.base_url, "demo-unavailable", 1)
    assert caught.value.status == 502
    assert await hooks.requests() == 3
    assert_secret_free(caught.value, "demo-unavailable")
    assert_logs_secret_free(caplog, "demo-unavailable")


async def test_502_twice_then_success(
    sandbox: RunningSandbox, client: AiokkClient, hooks: Hooks
) -> None:
    expected = await client.by_call_type(sandbox.base_url, "demo", 1)
    await hooks.fault("status", 2, status=502)
    records = await client.by_call_type(sandbox.base_url, "demo", 1)
    assert ids(records) == ids(expected)
    assert await hooks.requests() == 1 + 3


async def test_502_forever_gives_up_after_three_attempts(
    sandbox: RunningSandbox, client: AiokkClient, hooks: Hooks, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await hooks.fault("status", 50, status=502)
    with pytest.raises(Unavailable) as caught:
        await client.by_signal(sandbox.base_url, SECRET, "дорого")
    assert caught.value.status == 502
    assert await hooks.requests() == 3
    assert_secret_free(caught.value)
    assert_logs_secret_free(caplog, SECRET)
    assert "retrying" in caplog.text


@pytest.mark.parametrize(("status", "attempts"), [(500, 3), (503, 3), (429, 3), (422, 1)])
async def test_other_fault_statuses(
    sandbox: RunningSandbox, client: AiokkClient, hooks: Hooks, status: int, attempts: int
) -> None:
    await hooks.fault("status", 50, status=status)
    expected_type = BadResponse if attempts == 1 else Unavailable
    with pytest.raises(expected_type) as caught:
        await client.by_client_loyalty(sandbox.base_url, "demo", 5)
    assert caught.value.status == status
    assert await hooks.requests() == attempts


async def test_timeout_becomes_unavailable(
    sandbox: RunningSandbox, hooks: Hooks, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await hooks.fault("delay", 3, seconds=0.6)
    impatient = AiokkClient(timeout=httpx.Timeout(5.0, read=0.1), backoff=FAST)
    try:
        with pytest.raises(Unavailable) as caught:
            await impatient.by_question_pack(sandbox.base_url, SECRET, 27)
    finally:
        await impatient.aclose()
    assert "timed out" in str(caught.value)
    assert await hooks.requests() == 3
    assert_secret_free(caught.value)
    assert_logs_secret_free(caplog, SECRET)


async def test_slow_but_in_time_answer_succeeds(
    sandbox: RunningSandbox, client: AiokkClient, hooks: Hooks
) -> None:
    await hooks.fault("delay", 1, seconds=0.05)
    records = await client.by_call_type(sandbox.base_url, "demo", 4)
    assert records
    assert await hooks.requests() == 1


async def test_garbage_body_is_bad_response_without_retry(
    sandbox: RunningSandbox, client: AiokkClient, hooks: Hooks, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await hooks.fault("garbage", 1)
    with pytest.raises(BadResponse) as caught:
        await client.by_operator(sandbox.base_url, "demo", "Айгерим")
    assert await hooks.requests() == 1
    assert_secret_free(caught.value, "demo")
    # The fault is used up: the same request now works.
    assert await client.by_operator(sandbox.base_url, "demo", "Айгерим") is not None
    assert await hooks.requests() == 2


async def test_connection_refused_is_unavailable(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    stopped = await start_sandbox(calls=1, seed=1, now=SANDBOX_NOW)
    base = stopped.base_url
    await stopped.close()  # nothing listens on that port any more
    async with AiokkClient(backoff=FAST) as client:
        with pytest.raises(Unavailable) as caught:
            await client.check_token(base, SECRET)
    assert "connection failed" in str(caught.value)
    assert_secret_free(caught.value)
    assert_logs_secret_free(caplog, SECRET)


async def test_invalid_arguments_send_nothing(
    sandbox: RunningSandbox, client: AiokkClient, hooks: Hooks
) -> None:
    base = sandbox.base_url
    attempts: list[Callable[[], Awaitable[object]]] = [
        lambda: client.by_department(base, "demo", 0),
        lambda: client.by_operator(base, "demo", "   "),
        lambda: client.by_call_type(base, "demo", 5),
        lambda: client.by_question_pack(base, "demo", -3),
        lambda: client.by_client_loyalty(base, "demo", 11),
        lambda: client.by_signal(base, "demo", ""),
        lambda: client.fetch_raw(base, "demo", Endpoint.CALL_TYPE, "two"),
    ]
    for attempt in attempts:
        with pytest.raises(InvalidArgument):
            await attempt()
    assert await hooks.requests() == 0


async def test_successful_requests_are_logged_without_the_token(
    sandbox: RunningSandbox, client: AiokkClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = "demo-777001"  # also valid in the sandbox
    records = await client.by_department(sandbox.base_url, token, 84)
    await client.check_token(sandbox.base_url, token)
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("bot.aiokk")]
    done = [m for m in messages if "/api/v1/export/dialogs/department" in m and "HTTP 200" in m]
    assert len(done) == 1
    assert f"{len(records)} records" in done[0]
    assert "127.0.0.1" in done[0]
    assert_logs_secret_free(caplog, token)


def assert_logs_secret_free(caplog: pytest.LogCaptureFixture, secret: str) -> None:
    assert caplog.records, "the test expects something to have been logged"
    for record in caplog.records:
        assert secret not in record.getMessage()
        assert secret not in repr(record.args)
        assert record.exc_info is None or secret not in repr(record.exc_info[1])
    assert secret not in caplog.text
