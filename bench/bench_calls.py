"""Figures for fetching, filtering and summarising a large aiokk export.

Starts the sandbox in this process with 20,000 calls (by default) and runs
each step in a fresh subprocess, so that every step reports its own wall time
and peak RSS. Each of our steps is printed next to a baseline that does the
least possible work on the same bytes:

* download: the four call-type responses as bytes (transport only);
* orjson / orjson + day filter: ``orjson.loads`` of the same bytes, then
  keeping one local day with the raw accessors;
* service, one day: ``CallService.fetch`` of yesterday (streamed ijson parse,
  local filter, catalog learning);
* service, all: the same keeping every call;
* typed: building ``CallRecord`` models for every call;
* summary: ``compute_stats`` over every call (skipped when the reports module
  is absent).

Run: ``python bench/bench_calls.py [--calls 20000] [--seed 1]``.
orjson is needed for the baseline only; it is imported here, nowhere else.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import resource
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Almaty")
TOKEN = "demo"


# --- measurements ----------------------------------------------------------------


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


# --- steps (run in the child process) --------------------------------------------


async def download(base_url: str) -> list[bytes]:
    import httpx

    from bot.aiokk.endpoints import Endpoint

    bodies: list[bytes] = []
    async with httpx.AsyncClient(timeout=120) as http:
        for call_type in (1, 2, 3, 4):
            response = await http.post(
                base_url + Endpoint.CALL_TYPE.path,
                json={"token": TOKEN, Endpoint.CALL_TYPE.field: call_type},
            )
            response.raise_for_status()
            bodies.append(response.content)
    return bodies


def yesterday_window() -> Any:
    from bot.query.model import Period, PeriodKind, now_utc, resolve_period

    return resolve_period(Period(PeriodKind.YESTERDAY), TZ, now_utc())


async def step_download(base_url: str, timings: dict[str, float]) -> dict[str, Any]:
    started = time.perf_counter()
    bodies = await download(base_url)
    timings["download"] = time.perf_counter() - started
    return {"bytes": sum(len(body) for body in bodies)}


async def step_orjson(base_url: str, timings: dict[str, float]) -> dict[str, Any]:
    import orjson

    started = time.perf_counter()
    bodies = await download(base_url)
    timings["download"] = time.perf_counter() - started
    started = time.perf_counter()
    records = [record for body in bodies for record in orjson.loads(body)]
    timings["orjson.loads"] = time.perf_counter() - started
    return {"records": len(records)}


async def step_orjson_day(base_url: str, timings: dict[str, float]) -> dict[str, Any]:
    import orjson

    from bot.aiokk.raw import call_date

    window = yesterday_window()
    started = time.perf_counter()
    bodies = await download(base_url)
    timings["download"] = time.perf_counter() - started
    started = time.perf_counter()
    kept: list[dict[str, Any]] = []
    for index in range(len(bodies)):
        body, bodies[index] = bodies[index], b""
        kept.extend(record for record in orjson.loads(body) if window.contains(call_date(record)))
        del body
    timings["orjson.loads + filter"] = time.perf_counter() - started
    return {"records": len(kept)}


async def _with_service(
    base_url: str,
    action: Callable[[Any, Any], Awaitable[dict[str, Any]]],
) -> dict[str, Any]:
    from cryptography.fernet import Fernet

    from bot.aiokk.client import AiokkClient
    from bot.crypto import TokenCipher
    from bot.query.cache import ResultCache
    from bot.query.service import CallService
    from storage.catalog import CatalogRepo
    from storage.connections import ConnectionRepo
    from storage.db import Database

    db = await Database.open(":memory:")
    try:
        conn = await ConnectionRepo(db, TokenCipher(Fernet.generate_key())).save(1, base_url, TOKEN)
        async with AiokkClient() as client:
            service = CallService(client, ResultCache(), CatalogRepo(db))
            return await action(service, conn)
    finally:
        await db.close()


async def step_service(
    base_url: str, timings: dict[str, float], kind: str, then: str | None = None
) -> dict[str, Any]:
    from bot.query.model import CallQuery, Period, PeriodKind

    async def action(service: Any, conn: Any) -> dict[str, Any]:
        started = time.perf_counter()
        result = await service.fetch(conn, CallQuery(period=Period(PeriodKind(kind))), TZ)
        timings["fetch + parse + filter"] = time.perf_counter() - started
        figures: dict[str, Any] = {"records": len(result.records)}
        if then is None:
            return figures
        started = time.perf_counter()
        typed = result.typed()
        timings["typed models"] = time.perf_counter() - started
        figures["typed"] = len(typed)
        if then == "summary":
            try:
                from bot.reports.stats import compute_stats
            except ImportError:
                figures["note"] = "bot.reports.stats is absent: summary skipped"
                return figures
            started = time.perf_counter()
            stats = compute_stats(typed)
            timings["compute_stats"] = time.perf_counter() - started
            figures["stats_total"] = stats.total
        return figures

    return await _with_service(base_url, action)


STEPS: dict[str, tuple[str, Callable[[str, dict[str, float]], Awaitable[dict[str, Any]]]]] = {
    "download": ("baseline: download bytes", step_download),
    "orjson": ("baseline: download + orjson.loads (all)", step_orjson),
    "orjson_day": ("baseline: download + orjson.loads + keep one day", step_orjson_day),
    "service_day": (
        "CallService.fetch, one day",
        lambda url, timings: step_service(url, timings, "yesterday"),
    ),
    "service_all": (
        "CallService.fetch, all calls",
        lambda url, timings: step_service(url, timings, "all"),
    ),
    "typed_all": (
        "fetch all + CallRecord models",
        lambda url, timings: step_service(url, timings, "all", "typed"),
    ),
    "summary": (
        "fetch all + models + compute_stats",
        lambda url, timings: step_service(url, timings, "all", "summary"),
    ),
}


async def _run_step(step: str, base_url: str, timings: dict[str, float]) -> dict[str, Any]:
    return await STEPS[step][1](base_url, timings)


def preload() -> float:
    """Import what any step uses, so that every step starts from the same footprint.

    The storage package pulls in aiogram, which alone is over 100 MiB; without
    this, the service steps would look that much heavier than the baselines.
    """
    import importlib

    started = time.perf_counter()
    for name in (
        "httpx",
        "orjson",
        "bot.aiokk.client",
        "bot.query.service",
        "storage.catalog",
        "storage.connections",
        "storage.db",
        "bot.crypto",
    ):
        importlib.import_module(name)
    with contextlib.suppress(ImportError):
        importlib.import_module("bot.reports.stats")
    return time.perf_counter() - started


def run_child(step: str, base_url: str) -> None:
    imports = preload()
    start_rss = current_rss_mb()
    timings: dict[str, float] = {}
    started = time.perf_counter()
    figures: dict[str, Any] = asyncio.run(_run_step(step, base_url, timings))
    wall = time.perf_counter() - started
    print(
        json.dumps(
            {
                "step": step,
                "wall": wall,
                "imports": imports,
                "start_rss_mb": start_rss,
                "peak_rss_mb": peak_rss_mb(),
                "timings": timings,
                "figures": figures,
            }
        )
    )


# --- the parent: sandbox + one subprocess per step ----------------------------------


async def run_step(step: str, base_url: str) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--step",
        step,
        "--base-url",
        base_url,
        stdout=asyncio.subprocess.PIPE,
    )
    stdout, _ = await process.communicate()
    if process.returncode != 0:
        return {"step": step, "error": f"exit code {process.returncode}"}
    result: dict[str, Any] = json.loads(stdout.decode().strip().splitlines()[-1])
    return result


def describe(result: dict[str, Any]) -> str:
    title = STEPS[result["step"]][0]
    if "error" in result:
        return f"{title:<50} failed: {result['error']}"
    parts = ", ".join(f"{name} {seconds:.3f}s" for name, seconds in result["timings"].items())
    figures = ", ".join(f"{name}={value}" for name, value in result["figures"].items())
    growth = result["peak_rss_mb"] - result["start_rss_mb"]
    return (
        f"{title:<50} wall {result['wall']:7.3f}s  peak RSS {result['peak_rss_mb']:7.1f} MiB"
        f" (+{growth:.1f} over {result['start_rss_mb']:.1f} after imports)"
        f"\n{'':<50} {parts}; {figures}"
    )


async def run_parent(calls: int, seed: int) -> None:
    from bot.sandbox import start_sandbox

    started = time.perf_counter()
    sandbox = await start_sandbox(calls=calls, seed=seed)
    print(f"sandbox with {calls} calls ready in {time.perf_counter() - started:.1f}s")
    try:
        for step in STEPS:
            print(describe(await run_step(step, sandbox.base_url)), flush=True)
    finally:
        await sandbox.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        run_child(args.step, args.base_url)
    else:
        asyncio.run(run_parent(args.calls, args.seed))


if __name__ == "__main__":
    main()
