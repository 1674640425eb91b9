"""The fuzzer's short seeded run (the long one: ``python bench/fuzz_updates.py``)."""

from __future__ import annotations

from pathlib import Path

from tests.flows.world import open_world
from tests.fuzz.updates import fuzz

SEED = 20_260_801
UPDATES = 300


async def test_fuzzed_updates_are_all_handled_and_answered(tmp_path: Path) -> None:
    async with open_world(tmp_path) as world:
        figures = await fuzz(world, seed=SEED, count=UPDATES)
    report = figures.summary()
    assert figures.updates >= UPDATES and figures.presses > UPDATES // 5, report
    assert figures.unhandled_errors == 0, (report, figures.error_samples)
    assert figures.escaped == [], (report, figures.escaped)
    assert figures.unanswered == 0, report
    assert figures.api_errors == [], (report, figures.api_errors[:10])
