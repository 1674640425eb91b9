"""How soon does ``python -m bot --demo`` answer ``/start`` after it is launched?

Starts the fake Bot API server in this process, queues a ``/start`` from a new user, then
launches the real bot (``python -m bot --demo``) as a child process and measures the time
from the launch to the bot's answer reaching the fake server. Run several times: the first
run after an install also pays for compiling ``.pyc`` files.

Run: ``python bench/bench_startup.py [--runs 5]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.harness import BotProcess
from tests.fake_telegram import FakeTelegram


async def one_run(user_id: int) -> float:
    fake = FakeTelegram()
    await fake.start()
    try:
        with tempfile.TemporaryDirectory() as workdir:
            bot = BotProcess(fake, Path(workdir), args=["--demo"])
            fake.send_text(fake.private_chat(user_id), user_id, "/start")
            launched = time.perf_counter()
            await bot.start(timeout=60)
            await fake.wait_for(
                lambda c: c.method == "sendMessage" and c.params.get("chat_id") == str(user_id),
                timeout=60,
            )
            answered = time.perf_counter() - launched
            await bot.stop()
            return answered
    finally:
        await fake.stop()


async def main(runs: int) -> None:
    figures = []
    for run in range(runs):
        seconds = await one_run(9000 + run)
        figures.append(seconds)
        print(f"run {run + 1}: /start answered {seconds:.2f} s after launch")
    print(
        f"median {statistics.median(figures):.2f} s, best {min(figures):.2f} s, "
        f"worst {max(figures):.2f} s over {runs} runs"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    asyncio.run(main(parser.parse_args().runs))
