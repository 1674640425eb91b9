"""An aiohttp.web stand-in for an aiokk instance's Export API.

Six ``POST /api/v1/export/dialogs/...`` endpoints answer like a real Laravel
instance behind nginx (see the spec); ``/_sandbox/...`` hooks let tests inject
faults and read request counts. Tokens:

* ``demo`` and ``demo-<digits>``: valid, all see the same data;
* ``demo-unpaid`` → 402, ``demo-disabled`` → 403, ``demo-unavailable`` → 502;
* anything else (or none) → 404.

A live sandbox (``--demo``, ``python -m bot sandbox --live``) reveals each call once its
analysis has finished and plans a new day of calls at every local midnight, so a bot left
running for days keeps seeing today's and yesterday's calls; during the working day a
critical call arrives every few minutes, for alerts to fire on.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import re
import socket
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.aiokk.endpoints import Endpoint
from bot.clock import Clock, system_clock
from bot.sandbox.critical import critical_calls
from bot.sandbox.data import LOCAL_TZ, generate_records, next_local_midnight
from bot.sandbox.faults import FaultError, FaultQueue, parse_fault
from bot.sandbox.index import RecordIndex
from bot.sandbox.responses import (
    garbage_response,
    json_response,
    status_response,
    validation_response,
)
from bot.sandbox.validation import Invalid, validate_filter

logger = logging.getLogger(__name__)

VALID_TOKEN = "demo"
TOKEN_STATUSES: dict[str, int] = {
    "demo-unpaid": 402,
    "demo-disabled": 403,
    "demo-unavailable": 502,
}
_VALID_TOKEN = re.compile(r"demo(?:-\d+)?")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class SandboxState:
    index: RecordIndex
    faults: FaultQueue = field(default_factory=FaultQueue)
    requests: Counter[Endpoint] = field(default_factory=Counter)


STATE = web.AppKey("sandbox_state", SandboxState)


def create_app(records: list[dict[str, Any]]) -> web.Application:
    """A sandbox application serving ``records`` (encoded once, here)."""
    return build_app(RecordIndex(records))


def build_app(
    index: RecordIndex,
    *,
    renew: Callable[[], RecordIndex] | None = None,
    clock: Clock = system_clock,
) -> web.Application:
    """The sandbox serving ``index``; ``renew`` builds the next day's index at local midnight
    (by ``clock``)."""
    app = web.Application()
    app[STATE] = SandboxState(index=index)
    if renew is not None:
        app.cleanup_ctx.append(_daily(renew, clock))
    for endpoint in Endpoint:
        app.router.add_post(endpoint.path, _export_handler(endpoint))
    app.router.add_post("/_sandbox/faults", _add_fault)
    app.router.add_delete("/_sandbox/faults", _clear_faults)
    app.router.add_get("/_sandbox/faults", _list_faults)
    app.router.add_get("/_sandbox/stats", _stats)
    app.router.add_delete("/_sandbox/stats", _reset_stats)
    app.router.add_get("/_sandbox/health", _health)
    return app


def token_status(token: Any) -> int | None:
    """The error status a token gets, or ``None`` when it is valid."""
    if not isinstance(token, str):
        return 404
    if token in TOKEN_STATUSES:
        return TOKEN_STATUSES[token]
    return None if _VALID_TOKEN.fullmatch(token) else 404


def _export_handler(endpoint: Endpoint) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        state = request.app[STATE]
        state.requests[endpoint] += 1
        params = await _read_params(request)
        fault = state.faults.take()
        if fault is not None:
            if fault.kind == "garbage":
                return garbage_response()
            if fault.kind == "status":
                return status_response(fault.status)
            await asyncio.sleep(fault.seconds)
        # The token is checked before the filter, as the real middleware does.
        status = token_status(params.get("token"))
        if status is not None:
            return status_response(status)
        value = validate_filter(endpoint, params.get(endpoint.field))
        if isinstance(value, Invalid):
            return validation_response(endpoint.field, value.message)
        body = state.index.body(endpoint, value)
        return web.Response(
            body=body,
            content_type="application/json",
            headers={"Cache-Control": "no-cache, private"},
        )

    handle.__name__ = f"export_{endpoint.value}"
    return handle


async def _read_params(request: web.Request) -> dict[str, Any]:
    """Query string merged with the body, like Laravel's ``$request->input()``.

    As in Laravel, a body counts as JSON only when its Content-Type says so.
    """
    params: dict[str, Any] = dict(request.query)
    if not request.body_exists:
        return params
    if request.content_type in _FORM_TYPES:
        form = await request.post()
        params.update((key, value) for key, value in form.items() if isinstance(value, str))
    elif "json" in request.content_type:
        try:
            payload = json.loads(await request.read())
        except ValueError:
            payload = None
        if isinstance(payload, dict):
            params.update(payload)
    return params


async def _add_fault(request: web.Request) -> web.Response:
    try:
        fault = parse_fault(await request.json())
    except (FaultError, ValueError) as error:
        return json_response({"error": str(error)}, status=400)
    faults = request.app[STATE].faults
    faults.add(fault)
    return json_response({"pending": faults.pending()})


async def _clear_faults(request: web.Request) -> web.Response:
    request.app[STATE].faults.clear()
    return json_response({"pending": []})


async def _list_faults(request: web.Request) -> web.Response:
    return json_response({"pending": request.app[STATE].faults.pending()})


async def _stats(request: web.Request) -> web.Response:
    requests = request.app[STATE].requests
    counts = {endpoint.value: requests[endpoint] for endpoint in Endpoint}
    return json_response({"requests": counts, "total": sum(counts.values())})


async def _reset_stats(request: web.Request) -> web.Response:
    request.app[STATE].requests.clear()
    return await _stats(request)


async def _health(request: web.Request) -> web.Response:
    return json_response({"status": "ok", "records": len(request.app[STATE].index)})


@dataclass
class RunningSandbox:
    base_url: str
    runner: web.AppRunner

    async def close(self) -> None:
        await self.runner.cleanup()


def _daily(
    renew: Callable[[], RecordIndex], clock: Clock
) -> Callable[[web.Application], AsyncIterator[None]]:
    # An async generator, the cleanup context form every supported aiohttp accepts.
    async def renewing(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(_renew_every_day(app, renew, clock=clock))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return renewing


async def _renew_every_day(
    app: web.Application,
    renew: Callable[[], RecordIndex],
    *,
    clock: Clock = system_clock,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    day = clock().astimezone(LOCAL_TZ).date()
    while True:
        now = clock()
        # Woken at least every ten minutes: a suspended machine or a clock change must not
        # leave the data a day behind.
        await sleep(min((next_local_midnight(now) - now).total_seconds(), 600) + 1)
        today = clock().astimezone(LOCAL_TZ).date()
        if today == day:
            continue
        try:
            app[STATE].index = await asyncio.to_thread(renew)
        except Exception:
            # Yesterday's data keeps being served; the next wake-up tries again.
            logger.exception("sandbox: planning the calls for %s failed", today.isoformat())
            continue
        day = today
        logger.info("sandbox: calls planned for %s", today.isoformat())


def live_index(calls: int, seed: int, clock: Clock = system_clock) -> RecordIndex:
    """Today's data for a live sandbox: the 30 days through the end of today, plus today's
    stream of critical calls (see ``critical``), revealed call by call as time passes."""
    now = clock()
    records = generate_records(calls, seed, now, whole_day=True)
    records += critical_calls(seed, now.astimezone(LOCAL_TZ).date())
    return RecordIndex(records, clock=clock)


def _index_and_renewal(
    calls: int, seed: int, now: datetime | None, live: bool, clock: Clock
) -> tuple[Callable[[], RecordIndex], Callable[[], RecordIndex] | None]:
    if live:
        renew = functools.partial(live_index, calls, seed, clock)
        return renew, renew
    return functools.partial(_fixed_index, calls, seed, now), None


def _fixed_index(calls: int, seed: int, now: datetime | None) -> RecordIndex:
    return RecordIndex(generate_records(calls, seed, now))


async def start_sandbox(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    calls: int = 500,
    seed: int = 1,
    now: datetime | None = None,
    live: bool = False,
    clock: Clock = system_clock,
) -> RunningSandbox:
    """Generate ``calls`` records and serve them; ``port=0`` picks a free port.

    Not ``live``, the data is fixed at start (``now``), as tests and benchmarks need.
    ``live``, the data follows ``clock`` (the bot's, in a demo).
    """
    build, renew = _index_and_renewal(calls, seed, now, live, clock)
    # Generating and encoding tens of thousands of records takes seconds; keep
    # the event loop responsive meanwhile.
    index = await asyncio.to_thread(build)
    app = build_app(index, renew=renew, clock=clock)
    return await run_app(app, host=host, port=port, access_log=False)


async def run_app(
    app: web.Application, *, host: str = "127.0.0.1", port: int = 0, access_log: bool = False
) -> RunningSandbox:
    """Serve ``app`` on ``host:port`` and return its address."""
    runner = web.AppRunner(
        app, access_log=logging.getLogger("aiohttp.access") if access_log else None
    )
    await runner.setup()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        site = web.SockSite(runner, sock)
        await site.start()
    except BaseException:
        sock.close()
        await runner.cleanup()
        raise
    bound_port = sock.getsockname()[1]
    shown_host = f"[{host}]" if family == socket.AF_INET6 else host
    return RunningSandbox(base_url=f"http://{shown_host}:{bound_port}", runner=runner)


async def serve_forever(*, host: str, port: int, calls: int, seed: int, live: bool = False) -> None:
    """Run a sandbox until cancelled, logging where it listens and which tokens to use."""
    build, renew = _index_and_renewal(calls, seed, None, live, system_clock)
    index = await asyncio.to_thread(build)
    sandbox = await run_app(build_app(index, renew=renew), host=host, port=port, access_log=True)
    logger.info(
        "aiokk sandbox listening on %s (%d calls, seed %d%s)",
        sandbox.base_url,
        calls,
        seed,
        ", live" if live else "",
    )
    logger.info(
        "Tokens: %s or %s-<digits> (valid); %s",
        VALID_TOKEN,
        VALID_TOKEN,
        ", ".join(f"{token} ({status})" for token, status in TOKEN_STATUSES.items()),
    )
    try:
        await asyncio.Event().wait()
    finally:
        await sandbox.close()
