"""Figures for a burst of digests: many subscriptions due in the same minute.

Sets up (by default) 1,000 subscriptions across 50 sandbox tokens (``demo-1`` …
``demo-50``), every one due at the same instant, each in its own chat (the
owner's private chat or one of their groups), with a chart and, for every
other one, an Excel file. The fake Bot API enforces Telegram's flood limits
(30 messages/s overall, 1/s per chat, 20/min per group) and runs with the
sandbox in a child process, so the bot side's memory is measured alone.

One tick then claims, builds and sends everything, through the real pieces:
``CallService`` over HTTP, the digest scheduler, the chart and file workers
and the bot session's ``PacingMiddleware``. Printed:

* total time from the tick to the last message, against the floor that
  30 messages/s sets for that many messages (target ≤ 1.15 × floor);
* 429 answers received (target 0);
* duplicate and missing digests (target 0 and 0);
* peak RSS of the bot process and of the render workers.

Run: ``python bench/bench_digest.py [--subs 1000] [--tokens 50] [--calls 500]``.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection as Pipe
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TZ = ZoneInfo("Asia/Almaty")
GLOBAL_RATE = 30.0
TARGET_RATIO = 1.15
# A digest message says either of these (the full digest or the "no bad calls" line).
DIGEST_MARKS = ("Плохие звонки за", "плохих звонков нет")
GROUP_BASE = -1_001_000_000_000
DEPARTMENTS = (85, 86, 102, 115)


@dataclass(frozen=True)
class ChatPlan:
    chat_id: int
    owner: int
    title: str


def plan_chats(subs: int, tokens: int) -> list[ChatPlan]:
    """The first subscription of an owner goes to their private chat, the rest to groups."""
    plans: list[ChatPlan] = []
    for index in range(subs):
        owner = 10_000 + index % tokens
        if index < tokens:
            plans.append(ChatPlan(owner, owner, ""))
        else:
            plans.append(ChatPlan(GROUP_BASE - index, owner, f"Группа {index}"))
    return plans


# --- the other side: fake Bot API and sandbox, in a child process ---------------------


def serve_world(pipe: Pipe, calls: int, plans: list[ChatPlan]) -> None:
    asyncio.run(_serve_world(pipe, calls, plans))


async def _serve_world(pipe: Pipe, calls: int, plans: list[ChatPlan]) -> None:
    from bot.sandbox import start_sandbox
    from tests.fake_telegram import FakeTelegram
    from tests.fake_telegram.state import MESSAGE_METHODS

    fake = FakeTelegram(enforce_limits=True)
    await fake.start()
    sandbox = await start_sandbox(calls=calls, seed=1)
    for plan in plans:
        fake.private_chat(plan.owner, f"Owner {plan.owner}")
        if plan.chat_id < 0:
            fake.group_chat(plan.chat_id, plan.title, admins={plan.owner})
    pipe.send((fake.base_url, fake.token, sandbox.base_url))
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, pipe.recv)  # the bot side has finished
    sent = [
        (call.method, call.chat_id, call.at, _visible(call.messages()))
        for call in fake.calls
        if call.method in MESSAGE_METHODS and call.ok
    ]
    pipe.send({"sent": sent, "too_many_requests": fake.too_many_requests})
    await sandbox.close()
    await fake.stop()


def _visible(messages: list[dict[str, Any]]) -> str:
    if not messages:
        return ""
    return str(messages[0].get("text") or messages[0].get("caption") or "")[:120]


# --- the bot side ------------------------------------------------------------------------


def _rss_kib(pid: str = "self", field: str = "VmHWM") -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


async def run_bot_side(
    args: argparse.Namespace, urls: tuple[str, str, str], plans: list[ChatPlan]
) -> dict[str, Any]:
    from aiogram import Bot
    from aiogram.client.default import DefaultBotProperties
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.enums import ParseMode
    from cryptography.fernet import Fernet

    from bot.aiokk.client import AiokkClient
    from bot.clock import FrozenClock
    from bot.crypto import TokenCipher
    from bot.digest.artifacts import ProcessArtifacts
    from bot.digest.model import Attachment, Schedule, Subscription, scope_query
    from bot.digest.wiring import build_digests
    from bot.pacing import PacingMiddleware
    from bot.query.cache import ResultCache
    from bot.query.service import CallService
    from bot.services.connections import ConnectionService
    from handlers.digests.keyboards import TelegramDigestButtons
    from storage import CatalogRepo, ChatRepo, ConnectionRepo, Database

    telegram_url, telegram_token, sandbox_url = urls
    workdir = Path(tempfile.mkdtemp(prefix="bench-digest-"))
    db = await Database.open(workdir / "bot.sqlite3")
    client = AiokkClient()
    catalog = CatalogRepo(db)
    calls = CallService(client, ResultCache(), catalog)
    repo = ConnectionRepo(db, TokenCipher(Fernet.generate_key()))
    connections = ConnectionService(client, repo)
    for number in range(args.tokens):
        await repo.save(10_000 + number, sandbox_url, f"demo-{number + 1}")

    now = datetime.now(UTC)
    due = now.astimezone(TZ).replace(hour=9, minute=0, second=0, microsecond=0)
    clock = FrozenClock(due + timedelta(seconds=5))
    artifacts = ProcessArtifacts(workers=args.workers, memo=not args.no_chart_memo)
    digests = build_digests(
        db,
        calls=calls,
        connections=connections,
        chats=ChatRepo(db),
        catalog=catalog,
        clock=clock,
        artifacts=artifacts,
        buttons=TelegramDigestButtons(),
    )
    service = digests.service
    for index, plan in enumerate(plans):
        scope = scope_query({"d": DEPARTMENTS[index % 4]} if index % 5 == 4 else None)
        sub = Subscription(
            chat_id=plan.chat_id,
            chat_title=plan.title,
            owner_user_id=plan.owner,
            owner_name=f"Owner {plan.owner}",
            created_by=plan.owner,
            schedule=Schedule(9, 0, "Asia/Almaty"),
            scope=scope,
            chart=True,
            attachment=Attachment.XLSX if index % 2 == 0 else Attachment.NONE,
            next_run=due,
        )
        await service.repo.create(sub, clock())

    session = AiohttpSession(api=TelegramAPIServer.from_base(telegram_url))
    session.middleware(PacingMiddleware())
    bot = Bot(
        telegram_token,
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )
    # Start the render workers before the clock starts, as a running bot has them already.
    await artifacts.warm_up()
    rss_before = _rss_kib(field="VmRSS")
    started_cpu = time.process_time()
    started_wall = time.monotonic()
    report = await digests.scheduler.tick(bot)
    finished_wall = time.monotonic()
    cpu = time.process_time() - started_cpu
    worker_peaks = [_rss_kib(str(pid)) for pid in artifacts.worker_pids]
    charts = artifacts.charts_rendered
    await digests.stop()
    await bot.session.close()
    await client.aclose()
    await db.close()
    return {
        "started": started_wall,
        "finished": finished_wall,
        "outcomes": dict(report.outcomes),
        "rss_before_kib": rss_before,
        "rss_peak_kib": _rss_kib(),
        "worker_peaks_kib": worker_peaks,
        "charts": charts,
        "cpu": cpu,
    }


def figures(
    args: argparse.Namespace, plans: list[ChatPlan], bot: dict[str, Any], world: dict[str, Any]
) -> None:
    sent: list[tuple[str, int, float, str]] = world["sent"]
    chats = {plan.chat_id for plan in plans}
    digest_sends = [item for item in sent if item[1] in chats]
    digests_per_chat = Counter(
        chat for _, chat, _, text in digest_sends if any(mark in text for mark in DIGEST_MARKS)
    )
    duplicates = sum(count - 1 for count in digests_per_chat.values() if count > 1)
    missing = len(chats - set(digests_per_chat))
    messages = len(digest_sends)
    last = max((at for _, _, at, _ in digest_sends), default=bot["started"])
    first = min((at for _, _, at, _ in digest_sends), default=bot["started"])
    total = last - bot["started"]
    floor = messages / GLOBAL_RATE
    ratio = total / floor if floor else float("nan")
    methods = Counter(method for method, *_ in digest_sends)

    print(f"subscriptions:            {len(plans)} across {args.tokens} tokens")
    print(f"sandbox calls:            {args.calls} (30 days)")
    print(f"tick outcomes:            {bot['outcomes']}")
    print(f"messages sent:            {messages} ({dict(methods)})")
    print(f"floor at {GLOBAL_RATE:.0f} msg/s:         {floor:.1f} s")
    print(f"tick to last message:     {total:.1f} s")
    print(f"tick to first message:    {first - bot['started']:.2f} s")
    steady = (messages - 1) / (last - first) if last > first else float("nan")
    print(f"sending rate:             {steady:.1f} messages/s from the first to the last")
    verdict = "ok" if ratio <= TARGET_RATIO else "OVER TARGET"
    print(f"ratio to the floor:       {ratio:.3f} (target ≤ {TARGET_RATIO}) {verdict}")
    print(f"tick returned after:      {bot['finished'] - bot['started']:.1f} s")
    busy = bot["cpu"] / (bot["finished"] - bot["started"])
    print(f"bot process CPU:          {bot['cpu']:.1f} s ({busy:.0%} of the tick)")
    print(f"429 responses:            {world['too_many_requests']} (target 0)")
    print(f"duplicate digests:        {duplicates} (target 0)")
    print(f"missing digests:          {missing} (target 0)")
    memo = "every chart rendered" if args.no_chart_memo else "identical charts rendered once"
    print(f"charts rendered:          {bot['charts']} ({memo})")
    print(
        f"bot process RSS:          {bot['rss_before_kib'] / 1024:.0f} MiB before the tick, "
        f"peak {bot['rss_peak_kib'] / 1024:.0f} MiB"
    )
    peaks = ", ".join(f"{kib / 1024:.0f}" for kib in bot["worker_peaks_kib"]) or "n/a"
    print(f"render workers peak RSS:  {peaks} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subs", type=int, default=1000)
    parser.add_argument("--tokens", type=int, default=50)
    parser.add_argument("--calls", type=int, default=500, help="calls in the sandbox")
    parser.add_argument("--workers", type=int, default=2, help="chart and file workers")
    parser.add_argument(
        "--no-chart-memo",
        action="store_true",
        help="render every chart even when an identical one was just rendered (worst case)",
    )
    args = parser.parse_args()
    if not 1 <= args.tokens <= args.subs:
        parser.error("need 1 ≤ tokens ≤ subs")

    plans = plan_chats(args.subs, args.tokens)
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    world_process = context.Process(target=serve_world, args=(theirs, args.calls, plans))
    world_process.start()
    urls = ours.recv()
    bot = asyncio.run(run_bot_side(args, urls, plans))
    ours.send("done")
    world = ours.recv()
    world_process.join(timeout=30)
    figures(args, plans, bot, world)


if __name__ == "__main__":
    main()
