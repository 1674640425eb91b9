"""The sandbox aiokk server, over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from bot.aiokk.endpoints import Endpoint
from bot.aiokk.models import CallRecord
from bot.sandbox import create_app, generate_records, serve_forever, start_sandbox
from bot.sandbox.data import LOCAL_TZ, local_days
from bot.sandbox.server import run_app

NOW = datetime(2025, 4, 21, 7, 6, 15, tzinfo=UTC)  # 12:06:15 local
COUNT = 300

NOT_PAID = {
    "error": "API not paid",
    "code": "Your API subscription has expired or not been paid.",
}
DISABLED = {
    "error": "API functionality is disabled",
    "message": "The requested API functionality has been disabled. "
    "Please contact support for more details.",
}
TOKEN_NOT_FOUND = {
    "error": "Token not found",
    "message": "The access token is missing or invalid. "
    "Please provide a valid token to authenticate the request.",
}


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    return generate_records(COUNT, seed=7, now=NOW)


@pytest.fixture(scope="module")
def parsed(records: list[dict[str, Any]]) -> list[CallRecord]:
    return [CallRecord.model_validate(record) for record in records]


@pytest.fixture
async def client(records: list[dict[str, Any]]) -> AsyncIterator[httpx.AsyncClient]:
    sandbox = await run_app(create_app(records))
    try:
        async with httpx.AsyncClient(base_url=sandbox.base_url, timeout=30) as http:
            yield http
    finally:
        await sandbox.close()


async def export(
    client: httpx.AsyncClient, endpoint: Endpoint, value: Any, token: str = "demo"
) -> httpx.Response:
    return await client.post(endpoint.path, json={"token": token, endpoint.field: value})


def ids(response: httpx.Response) -> list[int]:
    assert response.status_code == 200, response.text
    return [item["call"]["dialogId"] for item in response.json()]


Case = tuple[Endpoint, Any, Callable[[CallRecord], bool]]
FILTER_CASES: list[Case] = [
    (Endpoint.DEPARTMENT, 84, lambda r: r.department_id == 84),
    (Endpoint.DEPARTMENT, "85", lambda r: r.department_id == 85),
    (Endpoint.OPERATOR, "айгерим", lambda r: "айгерим" in (r.operator_name or "").lower()),
    (Endpoint.OPERATOR, "Алёна Королёва", lambda r: r.operator_name == "Алёна Королёва"),
    (Endpoint.CALL_TYPE, 1, lambda r: r.call.call_type == 1),
    (Endpoint.CALL_TYPE, 4, lambda r: r.call.call_type == 4),
    (
        Endpoint.QUESTION_PACK,
        27,
        lambda r: r.evaluation is not None and r.evaluation.evaluation_id == 27,
    ),
    (Endpoint.CLIENT_LOYALTY, 2, lambda r: r.loyalty == 2),
    (Endpoint.CLIENT_LOYALTY, 8, lambda r: r.loyalty == 8),
    (Endpoint.SIGNALS, "ДОРОГО", lambda r: any("дорого" in w for w in r.signal_words)),
    (Endpoint.SIGNALS, "понимаете", lambda r: any("понимаете" in w for w in r.signal_words)),
]


@pytest.mark.parametrize(("endpoint", "value", "predicate"), FILTER_CASES)
async def test_each_endpoint_filters_like_the_api(
    client: httpx.AsyncClient,
    parsed: list[CallRecord],
    endpoint: Endpoint,
    value: Any,
    predicate: Callable[[CallRecord], bool],
) -> None:
    expected = sorted(record.dialog_id for record in parsed if predicate(record))
    got = ids(await export(client, endpoint, value))
    assert expected, "the case should select something"
    assert len(expected) < len(parsed), "the case should leave something out"
    assert got == expected


async def test_operator_search_matches_several_people(client: httpx.AsyncClient) -> None:
    response = await export(client, Endpoint.OPERATOR, "Айгерим")
    names = {item["operator"]["fullName"] for item in response.json()}
    assert names == {"Айгерим Нурланова", "Айгерим Сапарова"}


async def test_unknown_values_give_an_empty_array(client: httpx.AsyncClient) -> None:
    assert ids(await export(client, Endpoint.DEPARTMENT, 999_999)) == []
    assert ids(await export(client, Endpoint.OPERATOR, "Несуществующий")) == []


async def test_form_encoded_body_and_numbered_demo_tokens(
    client: httpx.AsyncClient, parsed: list[CallRecord]
) -> None:
    response = await client.post(
        Endpoint.CALL_TYPE.path, data={"token": "demo-17", "call_type": "2"}
    )
    expected = [record.dialog_id for record in parsed if record.call.call_type == 2]
    assert ids(response) == expected


@pytest.mark.parametrize(
    ("token", "status", "body"),
    [
        ("demo-unpaid", 402, NOT_PAID),
        ("demo-disabled", 403, DISABLED),
        ("nope", 404, TOKEN_NOT_FOUND),
        ("demo-x", 404, TOKEN_NOT_FOUND),
        ("", 404, TOKEN_NOT_FOUND),
    ],
)
async def test_error_tokens_give_the_spec_bodies(
    client: httpx.AsyncClient, token: str, status: int, body: dict[str, str]
) -> None:
    # The filter is missing on purpose: the token is checked first.
    response = await client.post(Endpoint.DEPARTMENT.path, json={"token": token})
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert response.json() == body


async def test_missing_token_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post(Endpoint.SIGNALS.path, json={"signal_word": "дорого"})
    assert response.status_code == 404
    assert response.json() == TOKEN_NOT_FOUND


async def test_unavailable_token_gives_a_non_json_502(client: httpx.AsyncClient) -> None:
    response = await export(client, Endpoint.DEPARTMENT, 84, token="demo-unavailable")
    assert response.status_code == 502
    assert response.headers["content-type"].startswith("text/html")
    assert "502 Bad Gateway" in response.text
    with pytest.raises(ValueError):
        json.loads(response.text)


@pytest.mark.parametrize(
    ("endpoint", "body", "message"),
    [
        (Endpoint.DEPARTMENT, {}, "The department id field is required."),
        (Endpoint.OPERATOR, {"operator_name": "  "}, "The operator name field is required."),
        (
            Endpoint.DEPARTMENT,
            {"department_id": "abc"},
            "The department id field must be an integer.",
        ),
        (Endpoint.CALL_TYPE, {"call_type": 9}, "The selected call type is invalid."),
        (
            Endpoint.CLIENT_LOYALTY,
            {"client_loyalty": 11},
            "The client loyalty field must be between 1 and 10.",
        ),
        (Endpoint.SIGNALS, {"signal_word": 5}, "The signal word field must be a string."),
    ],
)
async def test_invalid_filter_gives_laravel_422(
    client: httpx.AsyncClient, endpoint: Endpoint, body: dict[str, Any], message: str
) -> None:
    response = await client.post(endpoint.path, json={"token": "demo", **body})
    assert response.status_code == 422
    assert response.json() == {"message": message, "errors": {endpoint.field: [message]}}


async def test_body_is_encoded_like_php(client: httpx.AsyncClient) -> None:
    response = await export(client, Endpoint.DEPARTMENT, 84)
    raw = response.content
    assert response.headers["content-type"] == "application/json"
    assert raw.isascii()
    assert b"\\u0410" in raw or b"\\u0430" in raw  # Cyrillic escaped
    assert b"\\/" in raw  # slashes escaped
    assert b"/" not in raw.replace(b"\\/", b"")
    assert b'{"call":{"dialogId":' in raw  # compact, no whitespace
    assert json.loads(raw)[0]["operator"]["departmentId"] == "84"


async def test_records_are_shaped_like_the_spec_example(client: httpx.AsyncClient) -> None:
    items = (await export(client, Endpoint.CALL_TYPE, 2)).json()
    assert items
    for item in items:
        CallRecord.model_validate(item)
        call, analytics = item["call"], item["analytics"]
        assert list(item) == ["call", "operator", "analytics"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+05", call["date"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000000Z", call["created_at"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", analytics["finishDate"])
        assert datetime.fromisoformat(call["date"]) == datetime.fromisoformat(call["created_at"])
        assert analytics["markers"] == []
        if item["operator"] is not None:
            assert isinstance(item["operator"]["departmentId"], str)
        signals = analytics["signals"]
        if signals is not None:
            assert isinstance(signals["mentionedSignals"], str)
            words = [w for w in signals["mentionedSignals"].split(", ") if w]
            assert signals["count"] == len(words)
        evaluation = analytics["evaluationCriteria"]
        if evaluation is not None:
            marks = [
                evaluation[f"criterion{n}"][f"mark{n}"]
                for n in range(1, 13)
                if f"criterion{n}" in evaluation
            ]
            assert 5 <= len(marks) <= 12
            assert evaluation["eCurrentGrade"] == sum(marks)
            assert evaluation["maxGrade"] == 10 * len(marks)


async def test_results_ascend_by_dialog_id(client: httpx.AsyncClient) -> None:
    got = ids(await export(client, Endpoint.SIGNALS, "вы"))
    assert len(got) > 1
    assert got == sorted(got)


def test_generation_is_deterministic() -> None:
    first = generate_records(120, seed=3, now=NOW)
    assert first == generate_records(120, seed=3, now=NOW)
    assert first != generate_records(120, seed=4, now=NOW)


def test_dialog_ids_ascend_with_date(records: list[dict[str, Any]]) -> None:
    ids_ = [r["call"]["dialogId"] for r in records]
    dates = [datetime.fromisoformat(r["call"]["date"]) for r in records]
    assert ids_ == sorted(ids_) and len(set(ids_)) == len(ids_)
    assert dates == sorted(dates)


@pytest.mark.parametrize(
    "now",
    [
        NOW,
        datetime(2025, 6, 1, 0, 0, 30, tzinfo=LOCAL_TZ),  # just after local midnight
        datetime(2025, 6, 3, 8, 15, tzinfo=LOCAL_TZ),  # before working hours
        datetime(2025, 6, 7, 23, 59, 59, tzinfo=LOCAL_TZ),  # late on a Saturday
    ],
)
def test_every_recent_day_has_calls_and_none_is_in_the_future(now: datetime) -> None:
    records = generate_records(200, seed=11, now=now)
    dates = [datetime.fromisoformat(r["call"]["date"]) for r in records]
    assert max(dates) <= now
    days = {moment.astimezone(LOCAL_TZ).date() for moment in dates}
    expected = local_days(now)
    assert len(expected) == 30
    assert expected[-1] == now.astimezone(LOCAL_TZ).date()
    assert set(expected) <= days
    assert min(dates) >= now - timedelta(days=30)


def _is_bad(raw: dict[str, Any]) -> bool:
    """The default digest rule, written out: rating ≤ 3 or script score below 50 %."""
    analytics = raw.get("analytics") or {}
    rating = (analytics.get("clientLoyalty") or {}).get("currentGrade")
    evaluation = analytics.get("evaluationCriteria") or {}
    current, maximum = evaluation.get("eCurrentGrade"), evaluation.get("maxGrade")
    low_score = current is not None and bool(maximum) and 100 * current / maximum < 50
    return (rating is not None and rating <= 3) or low_score


@pytest.mark.parametrize(
    ("count", "seed", "now"),
    [
        (500, 1, datetime(2026, 11, 30, 9, 0, tzinfo=LOCAL_TZ)),  # a Monday after a Sunday
        (500, 2, datetime(2027, 1, 1, 0, 1, tzinfo=LOCAL_TZ)),  # New Year's midnight
        (120, 3, datetime(2026, 3, 29, 23, 59, tzinfo=LOCAL_TZ)),  # a quiet month, late
        (150, 4, datetime(2026, 6, 7, 12, 0, tzinfo=LOCAL_TZ)),  # a Sunday noon
    ],
)
def test_every_day_has_a_bad_call_weekends_included(count: int, seed: int, now: datetime) -> None:
    records = generate_records(count, seed=seed, now=now)
    bad_days = {
        datetime.fromisoformat(raw["call"]["date"]).astimezone(LOCAL_TZ).date()
        for raw in records
        if _is_bad(raw)
    }
    assert set(local_days(now)) <= bad_days
    # Still a minority: a digest lists the bad calls, not the whole day.
    assert sum(map(_is_bad, records)) < 0.5 * len(records)


def card_text(record: CallRecord) -> str:
    """Roughly everything a call card shows."""
    parts = [record.summary or "", ", ".join(record.signal_words)]
    analytics = record.analytics
    if analytics and analytics.client_loyalty:
        parts += [analytics.client_loyalty.description or ""]
        parts += [analytics.client_loyalty.recommendation or ""]
    if record.evaluation:
        parts.append(record.evaluation.recommendation or "")
        parts += [criterion.description or "" for criterion in record.evaluation.criteria]
    return "\n".join(parts)


def test_some_records_are_too_long_for_one_message(parsed: list[CallRecord]) -> None:
    long_ones = [r for r in parsed if len(card_text(r)) > 4096]
    assert len(long_ones) >= 2
    assert len(long_ones) >= COUNT // 100


def test_texts_contain_html_special_characters(parsed: list[CallRecord]) -> None:
    texts = [card_text(record) for record in parsed]
    for char in "<>&\"'":
        assert any(char in text for text in texts), char


def test_data_has_realistic_mix_and_quirks() -> None:
    records = generate_records(2000, seed=5, now=NOW)
    parsed = [CallRecord.model_validate(record) for record in records]
    loyalties = [r.loyalty for r in parsed if r.loyalty is not None]
    low_share = sum(grade <= 3 for grade in loyalties) / len(loyalties)
    assert 0.08 <= low_share <= 0.25
    assert {r.call.call_type for r in parsed} == {1, 2, 3, 4}
    assert len({r.department_id for r in parsed if r.department_id}) >= 5
    assert len({r.operator_name for r in parsed if r.operator_name}) >= 20
    assert any(r.evaluation and r.evaluation.evaluation_id == 27 for r in parsed)
    analytics = [record["analytics"] for record in records]
    assert any(record["operator"] is None for record in records)
    assert any(a["clientLoyalty"] is None for a in analytics)
    assert any(a["evaluationCriteria"] is None for a in analytics)
    assert any(a["signals"] is None for a in analytics)
    assert any(a["summary"] is None for a in analytics)
    assert any(a["signals"] and a["signals"]["count"] == 0 for a in analytics)
    assert {tuple(a["languages"]) for a in analytics} == {("ru",), ("ru", "kk"), ("en",)}
    # Bad calls carry more stop words than good ones.
    bad = [len(r.signal_words) for r in parsed if r.loyalty is not None and r.loyalty <= 3]
    good = [len(r.signal_words) for r in parsed if r.loyalty is not None and r.loyalty >= 8]
    assert sum(bad) / len(bad) > 2 * sum(good) / len(good)


async def test_status_fault_applies_to_the_next_requests_only(client: httpx.AsyncClient) -> None:
    added = await client.post("/_sandbox/faults", json={"kind": "status", "count": 2})
    assert added.status_code == 200
    for _ in range(2):
        response = await export(client, Endpoint.DEPARTMENT, 84)
        assert response.status_code == 502
        assert "502 Bad Gateway" in response.text
    assert (await export(client, Endpoint.DEPARTMENT, 84)).status_code == 200


async def test_status_fault_uses_spec_bodies(client: httpx.AsyncClient) -> None:
    await client.post("/_sandbox/faults", json={"kind": "status", "status": 402})
    response = await export(client, Endpoint.DEPARTMENT, 84)
    assert response.status_code == 402
    assert response.json() == NOT_PAID


async def test_garbage_and_delay_faults(client: httpx.AsyncClient) -> None:
    await client.post("/_sandbox/faults", json={"kind": "garbage"})
    await client.post("/_sandbox/faults", json={"kind": "delay", "seconds": 0.01})
    garbage = await export(client, Endpoint.CALL_TYPE, 1)
    assert garbage.status_code == 200
    with pytest.raises(ValueError):
        json.loads(garbage.content)
    delayed = await export(client, Endpoint.CALL_TYPE, 1)
    assert delayed.status_code == 200
    assert isinstance(delayed.json(), list)


async def test_faults_can_be_cleared_and_are_validated(client: httpx.AsyncClient) -> None:
    await client.post("/_sandbox/faults", json={"kind": "status", "count": 5})
    cleared = await client.delete("/_sandbox/faults")
    assert cleared.status_code == 200
    assert (await export(client, Endpoint.DEPARTMENT, 84)).status_code == 200
    bad = await client.post("/_sandbox/faults", json={"kind": "explode"})
    assert bad.status_code == 400


async def test_stats_count_export_requests(client: httpx.AsyncClient) -> None:
    await export(client, Endpoint.DEPARTMENT, 84)
    await export(client, Endpoint.DEPARTMENT, 85, token="nope")
    await export(client, Endpoint.SIGNALS, "дорого")
    stats = (await client.get("/_sandbox/stats")).json()
    assert stats["requests"]["department"] == 2
    assert stats["requests"]["signals"] == 1
    assert stats["requests"]["operator"] == 0
    assert stats["total"] == 3
    assert (await client.get("/_sandbox/health")).status_code == 200


async def test_start_sandbox_picks_a_free_port_and_serves() -> None:
    sandbox = await start_sandbox(calls=60, seed=2, now=NOW)
    try:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", sandbox.base_url)
        assert not sandbox.base_url.endswith(":0")
        async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
            health = await http.get("/_sandbox/health")
            assert health.json()["records"] == 60
            got = ids(await export(http, Endpoint.CALL_TYPE, 2))
        expected = [
            r["call"]["dialogId"]
            for r in generate_records(60, seed=2, now=NOW)
            if r["call"]["callType"] == 2
        ]
        assert got == expected
    finally:
        await sandbox.close()


class _Waiter(logging.Handler):
    def __init__(self, needle: str) -> None:
        super().__init__(logging.INFO)
        self.needle = needle
        self.messages: list[str] = []
        self.seen = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())
        if self.needle in record.getMessage():
            self.seen.set()


async def test_serve_forever_logs_url_and_tokens_until_cancelled() -> None:
    waiter = _Waiter("listening on")
    server_logger = logging.getLogger("bot.sandbox.server")
    server_logger.addHandler(waiter)
    previous_level = server_logger.level
    server_logger.setLevel(logging.INFO)
    task = asyncio.create_task(serve_forever(host="127.0.0.1", port=0, calls=40, seed=1))
    try:
        await asyncio.wait_for(waiter.seen.wait(), timeout=30)
        url = re.search(r"http://127\.0\.0\.1:\d+", " ".join(waiter.messages))
        assert url is not None
        assert any("demo-unpaid" in message for message in waiter.messages)
        async with httpx.AsyncClient(base_url=url.group(0)) as http:
            assert (await http.get("/_sandbox/health")).json()["records"] == 40
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        server_logger.removeHandler(waiter)
        server_logger.setLevel(previous_level)
    async with httpx.AsyncClient(base_url=url.group(0)) as http:
        with pytest.raises(httpx.ConnectError):
            await http.get("/_sandbox/health")
