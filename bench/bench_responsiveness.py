"""Does the bot stay responsive while it summarises and exports 20,000 calls?

Runs the real bot in this process (``open_services``, ``build_dispatcher``,
``build_bot``) against the fake Bot API server (``tests.fake_telegram``), with
the sandbox serving 20,000 calls from a subprocess (a real aiokk instance is
another machine: its work must not count against our event loop). One chat
asks for an Excel export of all calls, exactly as the export button does
(``CallsPresenter.export_job``, then ``ExportService.start``), after it has shown
the summary of all calls, which is fetched and counted in the bot's own process.
During each of the two:

* every 0.5 s another chat (a handful of them in turn, so that Telegram's
  per-chat pacing never delays an answer) sends ``/start`` and the time until
  the bot's answer reaches the fake server is measured;
* a heartbeat task sleeps 10 ms in a loop and records the longest gap: what
  exceeds the 10 ms is the longest the event loop was blocked.

The same figures are taken for a few idle seconds first, as a reference.

Run: ``python bench/bench_responsiveness.py [--calls 20000] [--idle 3]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    # For ``tests.fake_telegram``; spawned export workers inherit the path.
    sys.path.insert(0, str(REPO_ROOT))

OWNER = 700_001  # the chat that exports
PROBES = tuple(range(710_001, 710_009))  # the chats that send /start
PROBE_EVERY = 0.5
HEARTBEAT = 0.010
LANG = "ru"
TZ_NAME = "Asia/Almaty"
START_LATENCY_TARGET = 0.300
STALL_TARGET = 0.100
ANSWER_TIMEOUT = 30.0


# --- the sandbox in its own process ------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def sandbox_process(calls: int, seed: int) -> AsyncIterator[str]:
    import httpx

    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "sandbox",
        "--port",
        str(port),
        "--calls",
        str(calls),
        "--seed",
        str(seed),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        cwd=REPO_ROOT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(timeout=2) as http:
            for _ in range(600):
                if process.returncode is not None:
                    raise RuntimeError(f"the sandbox exited with code {process.returncode}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get(base_url + "/_sandbox/health")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError("the sandbox did not come up within a minute")
        yield base_url
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()


# --- measurements -----------------------------------------------------------------------


@dataclass
class Heartbeat:
    """Sleeps ``HEARTBEAT`` in a loop; remembers every gap between wake-ups."""

    gaps: list[tuple[float, float]] = field(default_factory=list)  # (woke at, gap)

    async def run(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(HEARTBEAT)
            after = time.perf_counter()
            self.gaps.append((after, after - before))

    def max_stall(self, start: float, end: float) -> float:
        """The longest the loop was blocked beyond the heartbeat's own sleep."""
        inside = [gap for woke, gap in self.gaps if start <= woke <= end]
        return max(inside, default=HEARTBEAT) - HEARTBEAT


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0
    stall: float = 0.0

    def line(self) -> str:
        if not self.latencies:
            return f"{self.name}: no /start probes answered"
        ms = [latency * 1000 for latency in self.latencies]
        return (
            f"{self.name}: {len(ms)} /start probes, latency median {statistics.median(ms):.0f} ms,"
            f" max {max(ms):.0f} ms; longest event-loop stall {self.stall * 1000:.0f} ms"
            f" over {self.ended - self.started:.1f} s"
        )


async def probe_start(fake: Any, chat_id: int) -> float:
    """Send /start from ``chat_id``; seconds until the bot's answer reached the fake."""
    mark = fake.mark()
    started = time.perf_counter()
    fake.send_text(chat_id, chat_id, "/start")
    await fake.wait_for_bot_message(chat_id, after=mark, timeout=ANSWER_TIMEOUT)
    return time.perf_counter() - started


async def probe_loop(fake: Any, phase: Phase, stop: asyncio.Event) -> None:
    number = 0
    next_at = time.perf_counter()
    while not stop.is_set():
        chat_id = PROBES[number % len(PROBES)]
        number += 1
        phase.latencies.append(await probe_start(fake, chat_id))
        next_at += PROBE_EVERY
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), max(0.0, next_at - time.perf_counter()))


async def measure(
    fake: Any, heartbeat: Heartbeat, name: str, work: asyncio.Future[Any] | float
) -> Phase:
    """Probe until ``work`` is done (or for that many seconds)."""
    phase = Phase(name, started=time.perf_counter())
    stop = asyncio.Event()
    prober = asyncio.create_task(probe_loop(fake, phase, stop))
    try:
        if isinstance(work, float | int):
            await asyncio.sleep(work)
        else:
            await work
    finally:
        stop.set()
        await prober
    phase.ended = time.perf_counter()
    phase.stall = heartbeat.max_stall(phase.started, phase.ended)
    return phase


# --- the bot ------------------------------------------------------------------------------


async def export_excel(services: Any, bot: Any, conn: Any, timings: dict[str, float]) -> int:
    """What pressing "Excel" does: build the job in the bot's loop, then run the worker."""
    from bot.exports.job import ExportFormat
    from bot.exports.service import ExportRequest
    from bot.query.model import CallQuery, Period, PeriodKind, now_utc
    from bot.services.calls import CallsPresenter

    presenter: CallsPresenter = services.calls_presenter
    started = time.perf_counter()
    job, title = await presenter.export_job(
        conn,
        CallQuery(period=Period(PeriodKind.ALL)),
        _zone(),
        LANG,
        ExportFormat.XLSX,
        delimiter=";",
        limit_bytes=services.settings.max_upload_mb * 1024 * 1024,
        now=now_utc(),
    )
    timings["export_job (in the bot's loop)"] = time.perf_counter() - started
    request = ExportRequest(chat_id=OWNER, thread_id=None, user_id=OWNER, job=job, title=title)
    await services.exports.start(bot, request, LANG)
    timings["export, press to file sent"] = time.perf_counter() - started
    return 0


async def summary(services: Any, conn: Any, timings: dict[str, float]) -> int:
    """What opening the summary of all calls does: fetch and count in the bot's loop."""
    from bot.query.model import CallQuery, Period, PeriodKind
    from bot.services.calls import CallsPresenter

    presenter: CallsPresenter = services.calls_presenter
    started = time.perf_counter()
    view = await presenter.summary(conn, CallQuery(period=Period(PeriodKind.ALL)), _zone(), LANG)
    timings["summary of all calls"] = time.perf_counter() - started
    return int(view.total)


def _zone() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(TZ_NAME)


@dataclass
class Outcome:
    idle: Phase
    summary: Phase
    busy: Phase
    timings: dict[str, float]
    document: str | None


async def run(calls: int, seed: int, idle_seconds: float) -> Outcome:
    from cryptography.fernet import Fernet

    from bot.app import build_bot, build_dispatcher, open_services, tune_garbage_collector
    from bot.clock import system_clock
    from bot.config import Settings
    from bot.crypto import TokenCipher
    from storage import ConnectionRepo
    from tests.fake_telegram import FakeTelegram

    heartbeat = Heartbeat()
    beating = asyncio.create_task(heartbeat.run())
    fake = FakeTelegram()
    await fake.start()
    for chat_id in (OWNER, *PROBES):
        fake.private_chat(chat_id)
    key = Fernet.generate_key().decode()
    timings: dict[str, float] = {}
    try:
        async with sandbox_process(calls, seed) as base_url:
            with tempfile.TemporaryDirectory(prefix="bench-bot-") as folder:
                # Everything explicit, so that no .env or shell variable changes the run.
                settings = Settings(
                    _env_file=None,
                    bot_token=fake.token,
                    telegram_api_url=fake.base_url,
                    database_path=Path(folder) / "bot.sqlite3",
                    secret_key=key,
                    aiokk_base_url=None,
                    aiokk_allow_private=True,  # the sandbox is on loopback
                    default_timezone=TZ_NAME,
                    allowed_user_ids=frozenset(),
                    log_level="WARNING",
                    max_upload_mb=50,
                )
                opened = open_services(settings, demo_base_url=None, clock=system_clock)
                async with opened as services:
                    bot = build_bot(settings)
                    dispatcher = build_dispatcher(services)
                    tune_garbage_collector()  # as run_bot does before polling
                    polling = asyncio.create_task(
                        dispatcher.start_polling(bot, handle_signals=False, close_bot_session=False)
                    )
                    try:
                        conn = await ConnectionRepo(services.db, TokenCipher(key.encode())).save(
                            OWNER, base_url, "demo"
                        )
                        # As after /connect: the catalog is learned before anyone uses it.
                        await services.calls.warm_catalog(conn)
                        await probe_start(fake, PROBES[0])  # the first answer warms caches up

                        idle = await measure(fake, heartbeat, "idle", idle_seconds)
                        summarising = asyncio.ensure_future(summary(services, conn, timings))
                        counted = await measure(fake, heartbeat, "during the summary", summarising)
                        mark = fake.mark()
                        exporting = asyncio.ensure_future(
                            export_excel(services, bot, conn, timings)
                        )
                        busy = await measure(fake, heartbeat, "during the export", exporting)
                        document = _sent_document(fake, mark)
                    finally:
                        await dispatcher.stop_polling()
                        with contextlib.suppress(asyncio.CancelledError):
                            await polling
                        await bot.session.close()
    finally:
        await fake.stop()
        beating.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beating
    return Outcome(idle, counted, busy, timings, document)


def _sent_document(fake: Any, after: int) -> str | None:
    """The caption of the document the bot sent to the exporting chat, if any."""
    for call in fake.calls[after:]:
        if call.method == "sendDocument" and int(call.params.get("chat_id", 0)) == OWNER:
            return str(call.params.get("caption") or "(no caption)")
    return None


def report(outcome: Outcome) -> None:
    print(outcome.idle.line())
    print(outcome.summary.line())
    print(outcome.busy.line())
    for name, seconds in outcome.timings.items():
        print(f"{name}: {seconds:.2f} s")
    sent = outcome.document
    print("document sent:", "no" if sent is None else sent.splitlines()[-1][:120])

    busy = outcome.busy
    worst = max(busy.latencies, default=float("inf"))
    median = statistics.median(busy.latencies) if busy.latencies else float("inf")
    export_wall = outcome.timings.get("export, press to file sent")
    counted = outcome.summary
    counted_worst = max(counted.latencies, default=float("inf"))
    rows = [
        (
            "/start latency during the summary, max",
            f"{counted_worst * 1000:.0f} ms ({len(counted.latencies)} probes)",
            f"≤ {START_LATENCY_TARGET * 1000:.0f} ms",
            counted_worst <= START_LATENCY_TARGET,
        ),
        (
            "longest event-loop stall during the summary",
            f"{counted.stall * 1000:.0f} ms",
            f"≤ {STALL_TARGET * 1000:.0f} ms",
            counted.stall <= STALL_TARGET,
        ),
        (
            "/start latency during the export, max",
            f"{worst * 1000:.0f} ms (median {median * 1000:.0f} ms, {len(busy.latencies)} probes)",
            f"≤ {START_LATENCY_TARGET * 1000:.0f} ms",
            worst <= START_LATENCY_TARGET,
        ),
        (
            "longest event-loop stall during the export",
            f"{busy.stall * 1000:.0f} ms",
            f"≤ {STALL_TARGET * 1000:.0f} ms",
            busy.stall <= STALL_TARGET,
        ),
        (
            "Excel export of all calls, press to file sent",
            "not finished" if export_wall is None else f"{export_wall:.1f} s",
            "-",
            None,
        ),
    ]
    widths = [max(len(row[index]) for row in rows) for index in range(3)]
    print()
    print(f"{'figure':<{widths[0]}}  {'value':<{widths[1]}}  {'target':<{widths[2]}}  result")
    for figure, value, target, ok in rows:
        verdict = "-" if ok is None else ("pass" if ok else "FAIL")
        print(f"{figure:<{widths[0]}}  {value:<{widths[1]}}  {target:<{widths[2]}}  {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--idle", type=float, default=3.0, help="seconds of idle reference")
    args = parser.parse_args()
    started = time.perf_counter()
    outcome = asyncio.run(run(args.calls, args.seed, args.idle))
    report(outcome)
    print(f"\ntotal {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
