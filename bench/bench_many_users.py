"""Many users at once: 20 people ask for a summary of a 20,000-call instance together.

The bot's services run in this process exactly as ``bot.app.open_services`` wires them
(call service, cache, catalog in SQLite, the presenter the handlers use), with the bot's
garbage-collector settings; the sandbox serves 20,000 calls from a subprocess (a real
aiokk instance is another machine). Twenty users, each with a connection of their own
to the same instance, ask at the same moment for the summary of all calls, as the
period button does (``CallsPresenter.summary`` with a progress hook), then:

* the same twenty ask five different periods (four each), which the cache cannot
  share: the fair queue runs them in turns and tells the waiting their place in line.

Printed: each answer's latency, how many requests reached aiokk, what the users were
told while waiting, and this process's RSS before, at its peak (sampled every 50 ms)
and during the minute after the last answer.

Run: ``python bench/bench_many_users.py [--calls 20000] [--users 20] [--after 60]``.
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
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

TZ_NAME = "Asia/Almaty"
LANG = "ru"
ANSWER_TARGET = 15.0  # seconds, the slowest answer
RSS_MARGIN = 100.0  # MiB above idle, within a minute of the burst
PERIODS = ("all", "d30", "d7", "yesterday", "today")


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


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


async def aiokk_requests(base_url: str, *, reset: bool = False) -> int:
    import httpx

    async with httpx.AsyncClient(timeout=5) as http:
        if reset:
            response = await http.delete(base_url + "/_sandbox/stats")
        else:
            response = await http.get(base_url + "/_sandbox/stats")
    total: int = response.json()["total"]
    return total


@dataclass
class Sampler:
    """RSS every 50 ms while running."""

    peak: float = 0.0

    async def run(self) -> None:
        while True:
            self.peak = max(self.peak, rss_mb())
            await asyncio.sleep(0.05)


@dataclass
class Burst:
    name: str
    latencies: list[float] = field(default_factory=list)
    requests: int = 0
    notices: Counter[str] = field(default_factory=Counter)
    totals: set[int] = field(default_factory=set)

    def line(self) -> str:
        ordered = sorted(self.latencies)
        told = ", ".join(f"{kind} ×{count}" for kind, count in sorted(self.notices.items()))
        return (
            f"{self.name}: {len(ordered)} answers, median {statistics.median(ordered):.1f} s,"
            f" slowest {ordered[-1]:.1f} s; {self.requests} requests to aiokk;"
            f" notices: {told or 'none'}\n  each answer (s): "
            + " ".join(f"{latency:.1f}" for latency in ordered)
        )


async def burst(
    name: str,
    presenter: Any,
    connections: list[Any],
    periods: Callable[[int], str],
    base_url: str,
) -> Burst:
    from zoneinfo import ZoneInfo

    from bot.query.model import CallQuery, Period, PeriodKind
    from bot.query.queue import Progress

    zone = ZoneInfo(TZ_NAME)
    outcome = Burst(name)
    await aiokk_requests(base_url, reset=True)

    def hook() -> Callable[[Progress], Awaitable[None]]:
        async def notice(progress: Progress) -> None:
            outcome.notices[progress.stage.value] += 1

        return notice

    async def ask(number: int, conn: Any) -> None:
        query = CallQuery(period=Period(PeriodKind(periods(number))))
        view = await presenter.summary(conn, query, zone, LANG, progress=hook())
        outcome.latencies.append(time.perf_counter() - started)
        if periods(number) == "all":
            outcome.totals.add(view.total)

    started = time.perf_counter()
    await asyncio.gather(*(ask(number, conn) for number, conn in enumerate(connections)))
    outcome.requests = await aiokk_requests(base_url)
    return outcome


@dataclass
class Outcome:
    idle: float
    bursts: list[Burst]
    peak: float
    after: list[tuple[float, float]]  # (seconds after the last answer, RSS)
    cached: int  # records the cache still holds at the end


async def run(calls: int, users: int, after: float, seed: int) -> Outcome:
    from cryptography.fernet import Fernet

    from bot.app import open_services, tune_garbage_collector
    from bot.clock import system_clock
    from bot.config import Settings
    from bot.crypto import TokenCipher
    from bot.query.cache import release_memory
    from storage import ConnectionRepo

    key = Fernet.generate_key().decode()
    async with sandbox_process(calls, seed) as base_url:
        with tempfile.TemporaryDirectory(prefix="bench-users-") as folder:
            settings = Settings(
                _env_file=None,
                bot_token="123456:bench-no-telegram-is-used",
                database_path=Path(folder) / "bot.sqlite3",
                secret_key=key,
                aiokk_base_url=None,
                aiokk_allow_private=True,  # the sandbox is on loopback
                default_timezone=TZ_NAME,
                allowed_user_ids=frozenset(),
                log_level="WARNING",
            )
            async with open_services(settings, demo_base_url=None, clock=system_clock) as services:
                repo = ConnectionRepo(services.db, TokenCipher(key.encode()))
                connections = [
                    await repo.save(800_000 + number, base_url, "demo") for number in range(users)
                ]
                # As after /connect: the catalog is learned before anyone asks.
                await services.calls.warm_catalog(connections[0])
                tune_garbage_collector()  # as run_bot does before polling
                release_memory()
                await asyncio.sleep(2)
                idle = rss_mb()

                sampler = Sampler(peak=idle)
                sampling = asyncio.create_task(sampler.run())
                presenter = services.calls_presenter
                same = await burst(
                    f"{users} users, the same summary (all calls)",
                    presenter,
                    connections,
                    lambda number: "all",
                    base_url,
                )
                mixed = await burst(
                    f"{users} users, {len(PERIODS)} different periods",
                    presenter,
                    connections,
                    lambda number: PERIODS[number % len(PERIODS)],
                    base_url,
                )
                last_answer = time.perf_counter()
                samples: list[tuple[float, float]] = []
                while (elapsed := time.perf_counter() - last_answer) < after:
                    samples.append((elapsed, rss_mb()))
                    await asyncio.sleep(1.0)
                samples.append((time.perf_counter() - last_answer, rss_mb()))
                sampling.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sampling
                if same.totals != {calls}:
                    raise RuntimeError(f"the summary counted {same.totals}, not {calls}")
                cached = services.calls.cache.total_records
    return Outcome(idle, [same, mixed], sampler.peak, samples, cached)


def report(outcome: Outcome, after: float) -> None:
    for each in outcome.bursts:
        print(each.line())
    idle = outcome.idle
    final = outcome.after[-1][1]
    back = next((seconds for seconds, rss in outcome.after if rss <= idle + RSS_MARGIN), None)
    print(
        f"RSS: idle {idle:.0f} MiB, peak {outcome.peak:.0f} MiB,"
        f" {outcome.after[-1][0]:.0f} s after the last answer {final:.0f} MiB"
        + (f" (within idle + {RSS_MARGIN:.0f} MiB after {back:.0f} s)" if back is not None else "")
        + f"; the cache then holds {outcome.cached} records"
    )
    same = outcome.bursts[0]
    slowest = max(max(each.latencies) for each in outcome.bursts)
    rows = [
        (
            "slowest answer, same summary",
            f"{max(same.latencies):.1f} s",
            f"≤ {ANSWER_TARGET:.0f} s",
            max(same.latencies) <= ANSWER_TARGET,
        ),
        (
            "slowest answer, different periods",
            f"{slowest:.1f} s",
            f"≤ {ANSWER_TARGET:.0f} s",
            slowest <= ANSWER_TARGET,
        ),
        ("requests to aiokk, same summary", str(same.requests), "4", same.requests == 4),
        (
            f"RSS {after:.0f} s after the burst",
            f"{final:.0f} MiB (idle {idle:.0f})",
            f"≤ {idle + RSS_MARGIN:.0f} MiB",
            final <= idle + RSS_MARGIN,
        ),
    ]
    widths = [max(len(row[index]) for row in rows) for index in range(3)]
    print()
    print(f"{'figure':<{widths[0]}}  {'value':<{widths[1]}}  {'target':<{widths[2]}}  result")
    for figure, value, target, ok in rows:
        verdict = "pass" if ok else "FAIL"
        print(f"{figure:<{widths[0]}}  {value:<{widths[1]}}  {target:<{widths[2]}}  {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--after", type=float, default=60.0, help="seconds to watch RSS")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    started = time.perf_counter()
    outcome = asyncio.run(run(args.calls, args.users, args.after, args.seed))
    report(outcome, args.after)
    print(f"\ntotal {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
