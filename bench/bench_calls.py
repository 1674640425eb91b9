"""Figures for fetching, filtering, summarising and exporting a large aiokk export.

Starts the sandbox in this process with 20,000 calls (by default) and runs
each step in a fresh subprocess, so that every step reports its own wall time
and peak RSS (``VmHWM``). Each of our steps is printed next to a baseline that
does the least possible work, or what a user's own script would do, on the
same bytes:

* download: the four call-type responses as bytes (transport only);
* orjson / orjson + day filter: ``orjson.loads`` of the same bytes, then
  keeping one local day with the raw accessors;
* service, one day: ``CallService.fetch`` of yesterday (streamed parse, local
  filter, catalog learning);
* service, all: the same keeping every call;
* summary: ``compute_stats`` + ``render_summary`` over every call; then, for
  comparison, building the ``CallRecord`` models that ``compute_stats`` skips;
* CSV / Excel: the export worker's own code (``bot.exports.job``: fetch,
  filter, write) against ``json.loads`` + ``pandas.json_normalize`` +
  ``to_csv``, and against ``pandas.DataFrame(rows).to_excel`` (xlsxwriter) on
  the very rows our Excel file holds. The pandas baselines are skipped, with a
  note, when pandas is not installed (``pip install pandas``).

Every step runs ``--repeat`` times, interleaved; the fastest run counts (the
others only add noise from whatever else the machine does) and the largest
peak RSS counts. A table of figures against their targets ends the output.

Run: ``python bench/bench_calls.py [--calls 20000] [--seed 1] [--repeat 2]``.
orjson and pandas are needed for the baselines only; they are imported here.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import importlib.util
import json
import resource
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Almaty")
TOKEN = "demo"
LANG = "ru"
PANDAS_MISSING = "pandas is not installed (pip install pandas): baseline skipped"

Timings = dict[str, float]
Figures = dict[str, Any]
Step = Callable[[str, Timings], Awaitable[Figures]]


# --- measurements ----------------------------------------------------------------


def _status_mb(field: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB."""
    peak = _status_mb("VmHWM")
    # Linux reports ru_maxrss in KiB.
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    current = _status_mb("VmRSS")
    return current if current is not None else float("nan")


class Timer:
    """``with timer(timings, "name"):`` records the block's duration under ``name``."""

    def __init__(self, timings: Timings, name: str) -> None:
        self._timings = timings
        self._name = name
        self._started = 0.0

    def __enter__(self) -> None:
        self._started = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self._timings[self._name] = time.perf_counter() - self._started


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


async def step_download(base_url: str, timings: Timings) -> Figures:
    with Timer(timings, "download"):
        bodies = await download(base_url)
    return {"bytes": sum(len(body) for body in bodies)}


async def step_orjson(base_url: str, timings: Timings) -> Figures:
    import orjson

    with Timer(timings, "download"):
        bodies = await download(base_url)
    with Timer(timings, "orjson.loads"):
        records = [record for body in bodies for record in orjson.loads(body)]
    return {"records": len(records)}


async def step_orjson_day(base_url: str, timings: Timings) -> Figures:
    import orjson

    from bot.aiokk.raw import call_date

    window = yesterday_window()
    with Timer(timings, "download"):
        bodies = await download(base_url)
    kept: list[dict[str, Any]] = []
    with Timer(timings, "orjson.loads + filter"):
        for index in range(len(bodies)):
            body, bodies[index] = bodies[index], b""
            kept.extend(
                record for record in orjson.loads(body) if window.contains(call_date(record))
            )
            del body
    return {"records": len(kept)}


async def _with_service(
    base_url: str,
    action: Callable[[Any, Any], Awaitable[Figures]],
) -> Figures:
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


async def step_service(base_url: str, timings: Timings, kind: str) -> Figures:
    from bot.query.model import CallQuery, Period, PeriodKind

    async def action(service: Any, conn: Any) -> Figures:
        with Timer(timings, "fetch + parse + filter"):
            result = await service.fetch(conn, CallQuery(period=Period(PeriodKind(kind))), TZ)
        return {"records": len(result.records)}

    return await _with_service(base_url, action)


async def step_summary(base_url: str, timings: Timings) -> Figures:
    from bot.query.model import CallQuery, Period, PeriodKind
    from bot.reports.render import render_summary
    from bot.reports.stats import compute_stats, validated

    async def action(service: Any, conn: Any) -> Figures:
        with Timer(timings, "fetch"):
            result = await service.fetch(conn, CallQuery(period=Period(PeriodKind.ALL)), TZ)
        # Results come packed (see bot.query.cache); the bot's summary unpacks them as it
        # counts, one at a time.
        with Timer(timings, "unpack"):
            records = result.records
        with Timer(timings, "compute_stats + render_summary"):
            stats = compute_stats(records)
            text = render_summary(stats, title="All calls", lang=LANG)
        # What reading through the models would cost instead.
        with Timer(timings, "CallRecord models"):
            models = [record for raw in records if (record := validated(raw)) is not None]
        return {
            "records": len(records),
            "stats_total": stats.total,
            "models": len(models),
            "text_chars": len(text),
        }

    return await _with_service(base_url, action)


def _export_job(base_url: str, fmt: str, directory: Path) -> Any:
    from bot.exports.job import ExportFormat, ExportJob
    from bot.query.model import CallQuery, Period, PeriodKind

    return ExportJob(
        base_url=base_url,
        token=TOKEN,
        query=CallQuery(period=Period(PeriodKind.ALL)).to_dict(),
        tz_name=TZ.key,
        lang=LANG,
        fmt=ExportFormat(fmt),
        delimiter=";",
        directory=directory,
        filename=f"calls.{fmt}",
        now=datetime.now(UTC),
        limit_bytes=2000 * 1024 * 1024,
    )


async def step_export(base_url: str, timings: Timings, fmt: str) -> Figures:
    """What the export worker process does, minus the pipe: fetch, filter, write."""
    from bot.exports.job import fetch_records, tune_process, write_file

    tune_process()
    with tempfile.TemporaryDirectory(prefix="bench-export-") as folder:
        job = _export_job(base_url, fmt, Path(folder))
        path = Path(folder) / job.filename
        done: list[int] = []
        with Timer(timings, "fetch + filter"):
            records = await fetch_records(job)
        with Timer(timings, f"write {fmt}"):
            write_file(job, records, path, done.append)
        return {"rows": done[-1] if done else 0, "file_mb": round(path.stat().st_size / 2**20, 1)}


def _pandas() -> Any:
    if importlib.util.find_spec("pandas") is None:
        return None
    return importlib.import_module("pandas")


async def step_csv_naive(base_url: str, timings: Timings) -> Figures:
    """A user's script: download, json.loads, json_normalize, to_csv."""
    pandas = _pandas()
    if pandas is None:
        return {"skipped": PANDAS_MISSING}
    with tempfile.TemporaryDirectory(prefix="bench-naive-") as folder:
        path = Path(folder) / "calls.csv"
        with Timer(timings, "download"):
            bodies = await download(base_url)
        with Timer(timings, "json.loads"):
            records = [record for body in bodies for record in json.loads(body)]
        del bodies
        with Timer(timings, "json_normalize"):
            frame = pandas.json_normalize(records)
        with Timer(timings, "to_csv"):
            frame.to_csv(path, index=False)
        return {
            "rows": len(frame),
            "columns": len(frame.columns),
            "file_mb": round(path.stat().st_size / 2**20, 1),
        }


async def step_xlsx_pandas(base_url: str, timings: Timings) -> Figures:
    """``pandas.DataFrame(rows).to_excel`` on exactly the rows of our Excel file.

    Fetching and building the rows is not timed: pandas gets them for free.
    """
    pandas = _pandas()
    if pandas is None:
        return {"skipped": PANDAS_MISSING}
    from bot.exports.job import fetch_records
    from bot.reports.export import (
        CriteriaColumns,
        _type_names,
        criteria_layout,
        headers,
        row_values,
    )

    with tempfile.TemporaryDirectory(prefix="bench-pandas-") as folder:
        job = _export_job(base_url, "xlsx", Path(folder))
        records = await fetch_records(job)
        columns = CriteriaColumns.per_pack(criteria_layout(records))
        names = _type_names(LANG)
        rows = [row for raw in records if (row := row_values(raw, TZ, columns, names)) is not None]
        del records
        path = Path(folder) / "calls.xlsx"
        with Timer(timings, "DataFrame + to_excel"):
            frame = pandas.DataFrame(rows, columns=headers(LANG, columns))
            frame.to_excel(path, index=False, engine="xlsxwriter")
        return {"rows": len(frame), "file_mb": round(path.stat().st_size / 2**20, 1)}


@dataclass(frozen=True)
class StepInfo:
    title: str
    run: Step
    pandas: bool = False


STEPS: dict[str, StepInfo] = {
    "download": StepInfo("baseline: download bytes", step_download),
    "orjson": StepInfo("baseline: download + orjson.loads (all)", step_orjson),
    "orjson_day": StepInfo("baseline: download + orjson.loads + keep one day", step_orjson_day),
    "service_day": StepInfo(
        "CallService.fetch, one day", lambda url, timings: step_service(url, timings, "yesterday")
    ),
    "service_all": StepInfo(
        "CallService.fetch, all calls", lambda url, timings: step_service(url, timings, "all")
    ),
    "summary": StepInfo("summary of all calls", step_summary),
    "csv": StepInfo("CSV export (worker code)", lambda url, t: step_export(url, t, "csv")),
    "csv_naive": StepInfo("baseline: json + json_normalize + to_csv", step_csv_naive, True),
    "xlsx": StepInfo("Excel export (worker code)", lambda url, t: step_export(url, t, "xlsx")),
    "xlsx_pandas": StepInfo("baseline: DataFrame(rows).to_excel", step_xlsx_pandas, True),
}


def preload(step: str) -> float:
    """Import what any step uses, so that every step starts from the same footprint.

    The storage package pulls in aiogram, which alone is over 100 MiB; without
    this, the service steps would look that much heavier than the baselines.
    pandas is loaded only for its own baselines.
    """
    started = time.perf_counter()
    for name in (
        "httpx",
        "orjson",
        "xlsxwriter",
        "bot.aiokk.client",
        "bot.query.service",
        "bot.exports.job",
        "bot.reports.export",
        "bot.reports.render",
        "bot.reports.stats",
        "storage.catalog",
        "storage.connections",
        "storage.db",
        "bot.crypto",
    ):
        importlib.import_module(name)
    if STEPS[step].pandas:
        _pandas()
    return time.perf_counter() - started


def run_child(step: str, base_url: str) -> None:
    imports = preload(step)
    start_rss = current_rss_mb()
    timings: Timings = {}
    started = time.perf_counter()
    figures = asyncio.run(STEPS[step].run(base_url, timings))
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


def timed(result: dict[str, Any] | None, *names: str) -> float | None:
    """Sum of the named timings (all of them when none are named)."""
    if result is None or "error" in result:
        return None
    timings: Timings = result["timings"]
    if not timings or any(name not in timings for name in names):
        return None
    return sum(timings[name] for name in names) if names else sum(timings.values())


def growth(result: dict[str, Any]) -> float:
    return float(result["peak_rss_mb"] - result["start_rss_mb"])


def best_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest run, carrying the largest peak RSS growth seen in any run."""
    ok = [run for run in runs if "error" not in run]
    if not ok:
        return runs[-1]
    best = dict(min(ok, key=lambda run: timed(run) or float("inf")))
    worst_peak = max(ok, key=growth)
    best["peak_rss_mb"] = best["start_rss_mb"] + growth(worst_peak)
    best["runs"] = len(ok)
    return best


def describe(result: dict[str, Any]) -> str:
    title = STEPS[result["step"]].title
    if "error" in result:
        return f"{title:<50} failed: {result['error']}"
    parts = ", ".join(f"{name} {seconds:.3f}s" for name, seconds in result["timings"].items())
    figures = ", ".join(f"{name}={value}" for name, value in result["figures"].items())
    return (
        f"{title:<50} wall {result['wall']:7.3f}s  peak RSS {result['peak_rss_mb']:7.1f} MiB"
        f" (+{growth(result):.1f} over {result['start_rss_mb']:.1f} after imports)"
        f"\n{'':<50} {parts}; {figures}"
    )


@dataclass(frozen=True)
class Row:
    figure: str
    value: str
    target: str
    verdict: str


def _verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("pass" if ok else "FAIL")


def _ratio_row(
    figure: str, ours: float | None, base: float | None, limit: float, note: str = ""
) -> Row:
    if ours is None or base is None or base <= 0:
        return Row(figure, note or "n/a", f"≤ {limit:g}×", _verdict(None))
    ratio = ours / base
    value = f"{ours:.2f} s vs {base:.2f} s = {ratio:.2f}×"
    return Row(figure, value, f"≤ {limit:g}×", _verdict(ratio <= limit))


def table(results: dict[str, dict[str, Any]], calls: int) -> list[Row]:
    def skipped(step: str) -> str:
        result = results.get(step)
        return str(result["figures"].get("skipped", "")) if result and "figures" in result else ""

    rows: list[Row] = []
    day = results.get("service_day")
    rows.append(
        _ratio_row(
            "fetch + parse + filter, one day",
            timed(day, "fetch + parse + filter"),
            timed(results.get("orjson_day")),
            1.5,
        )
    )
    if day is not None and "error" not in day:
        extra = growth(day)
        rows.append(
            Row(
                "  peak RSS above the idle bot, one day",
                f"+{extra:.1f} MiB",
                "≤ 100 MiB",
                _verdict(extra <= 100),
            )
        )
    rows.append(
        _ratio_row(
            f"CSV of all {calls:,} (fetch + filter + write)",
            timed(results.get("csv")),
            timed(results.get("csv_naive")),
            0.5,
            skipped("csv_naive"),
        )
    )
    ours_xlsx = timed(results.get("xlsx"))
    pandas_xlsx = timed(results.get("xlsx_pandas"))
    if ours_xlsx is None or pandas_xlsx is None:
        rows.append(
            Row(
                f"Excel of all {calls:,}",
                skipped("xlsx_pandas") or "n/a",
                "< pandas to_excel",
                "n/a",
            )
        )
    else:
        rows.append(
            Row(
                f"Excel of all {calls:,} (fetch + filter + write)",
                f"{ours_xlsx:.2f} s vs {pandas_xlsx:.2f} s (to_excel alone)",
                "< pandas to_excel",
                _verdict(ours_xlsx < pandas_xlsx),
            )
        )
    summary = results.get("summary")
    seconds = timed(summary, "compute_stats + render_summary")
    rows.append(
        Row(
            f"summary of {calls:,} (compute_stats + render)",
            "n/a" if seconds is None else f"{seconds:.3f} s",
            "≤ 0.3 s",
            _verdict(None if seconds is None else seconds <= 0.3),
        )
    )
    models = timed(summary, "CallRecord models")
    if models is not None:
        rows.append(Row(f"  building {calls:,} CallRecord models", f"{models:.2f} s", "-", "-"))
    for step, label in (("csv", "CSV"), ("xlsx", "Excel")):
        result = results.get(step)
        if result is not None and "error" not in result:
            extra = f"+{growth(result):.0f} MiB"
            rows.append(Row(f"  {label} export peak RSS above imports", extra, "-", "-"))
    return rows


def print_table(rows: list[Row]) -> None:
    header = Row("figure", "value", "target", "result")
    everything = (header, *rows)
    widths = [max(len(row.figure) for row in everything)]
    widths.append(max(len(row.value) for row in everything))
    widths.append(max(len(row.target) for row in everything))
    for row in everything:
        print(
            f"{row.figure:<{widths[0]}}  {row.value:<{widths[1]}}  {row.target:<{widths[2]}}"
            f"  {row.verdict}"
        )


async def run_parent(calls: int, seed: int, repeat: int, steps: list[str]) -> None:
    from bot.sandbox import start_sandbox

    started = time.perf_counter()
    sandbox = await start_sandbox(calls=calls, seed=seed)
    print(f"sandbox with {calls} calls ready in {time.perf_counter() - started:.1f}s")
    runs: dict[str, list[dict[str, Any]]] = {step: [] for step in steps}
    try:
        # Interleaved, so that a busy moment of the machine hits every step alike.
        for round_number in range(1, repeat + 1):
            print(f"--- round {round_number} of {repeat}", flush=True)
            for step in steps:
                result = await run_step(step, sandbox.base_url)
                runs[step].append(result)
                print(describe(result), flush=True)
    finally:
        await sandbox.close()
    results = {step: best_of(step_runs) for step, step_runs in runs.items()}
    print(f"\nbest of {repeat} run(s) per step; peak RSS is the largest seen\n")
    print_table(table(results, calls))
    print(f"\ntotal {time.perf_counter() - started:.0f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=2, help="runs per step (the best counts)")
    parser.add_argument(
        "--only", nargs="+", choices=sorted(STEPS), help="run only these steps (default: all)"
    )
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        run_child(args.step, args.base_url)
    else:
        steps = [step for step in STEPS if not args.only or step in args.only]
        asyncio.run(run_parent(args.calls, args.seed, max(1, args.repeat), steps))


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
