"""A live sandbox's stream of critical calls: during the local working day, a call with an
upset client (rating 1–2 and stop words) every few minutes, so that a demo alert rule made
at any working hour fires within minutes.

The stream of a day depends only on the seed and the date, so a restart serves the same
calls under the same ids; its ids lie above every regular call's.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any, Final

from bot.sandbox.catalog import OPERATORS
from bot.sandbox.data import LOCAL_TZ, _CallBuilder, _Dice

STREAM_START: Final = time(9, 0)
STREAM_END: Final = time(19, 0)
GAP_SECONDS: Final = (150, 270)
"""Between the starts of two critical calls."""
DURATION_SECONDS: Final = (60, 120)
ANALYSIS_SECONDS: Final = (30, 60)
"""From the end of a call to its export (``finishDate``)."""
FIRST_ID: Final = 5_000_000
MAX_RATING: Final = 2


def critical_calls(seed: int, day: date) -> list[dict[str, Any]]:
    """The critical calls of local ``day``, oldest first."""
    dice = _Dice(random.Random(f"critical:{seed}:{day.isoformat()}"))
    moment = datetime.combine(day, STREAM_START, LOCAL_TZ)
    end = datetime.combine(day, STREAM_END, LOCAL_TZ)
    dialog_id = FIRST_ID + (day - date(2000, 1, 1)).days * 1000
    records: list[dict[str, Any]] = []
    while True:
        moment += timedelta(seconds=dice.between(*GAP_SECONDS))
        if moment >= end:
            return records
        dialog_id += 1
        records.append(_critical(dice, moment, dialog_id))


def _critical(dice: _Dice, moment: datetime, dialog_id: int) -> dict[str, Any]:
    operator = dice.pick(OPERATORS)
    duration = dice.between(*DURATION_SECONDS)
    finished = moment + timedelta(seconds=duration + dice.between(*ANALYSIS_SECONDS))
    # The builder's own timing is for the past; this call is exported as soon as analysed.
    record = _CallBuilder(dice, operator, moment, finished, long=False, conflict=True).build(
        dialog_id
    )
    call = record["call"]
    call["durationSec"] = duration
    call["durationMin"] = -(-duration // 60)
    analytics = record["analytics"]
    analytics["finishDate"] = finished.strftime("%Y-%m-%dT%H:%M:%S")
    loyalty = analytics["clientLoyalty"]
    loyalty["currentGrade"] = min(loyalty["currentGrade"], MAX_RATING)
    return record
