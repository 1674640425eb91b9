"""Fuzz the real dispatcher with seeded random updates and print what went wrong and how fast.

The same fuzzer as the suite's short run (``tests/fuzz``), for longer: the real
dispatcher and services (``open_services``, ``build_dispatcher``, ``build_bot``) against
the fake Bot API server and an aiokk sandbox, all in this process. Targets: 0 unhandled
errors, 0 unanswered presses, 0 Bot API errors other than "message is not modified",
first reaction p95 ≤ 1 s.

Run: ``python bench/fuzz_updates.py [--updates 10000] [--seed 1] [--calls 200]``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tests.flows.world import open_world  # noqa: E402
from tests.fuzz.updates import Figures, fuzz  # noqa: E402


async def main(updates: int, seed: int, calls: int) -> Figures:
    with tempfile.TemporaryDirectory() as directory:
        async with open_world(Path(directory), calls=calls) as world:
            return await fuzz(world, seed=seed, count=updates)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--calls", type=int, default=200, help="calls in the aiokk sandbox")
    parser.add_argument("--verbose", action="store_true", help="the bot's warnings too")
    options = parser.parse_args()
    logging.basicConfig(level=logging.WARNING if options.verbose else logging.CRITICAL)
    figures = asyncio.run(main(options.updates, options.seed, options.calls))
    print(figures.summary())
    for line in (figures.error_samples + figures.escaped + figures.api_errors)[:20]:
        print("  ", line)
    ok = (
        figures.unhandled_errors == 0
        and not figures.escaped
        and figures.unanswered == 0
        and not figures.api_errors
        and figures.p95 <= 1.0
    )
    sys.exit(0 if ok else 1)
