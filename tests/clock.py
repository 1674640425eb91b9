"""The instant every date-sensitive test runs at, whatever the wall clock says.

The sandbox generates its data up to ``TEST_NOW`` and the bot's clock (``BOT_CLOCK``)
starts there, so "today", "yesterday" and "7 days" mean the same dates on every run.
It is a Monday morning after a quiet Sunday, the case where an unpinned test once found
no bad calls for "yesterday". ``.ci/run`` also runs the suite with the wall clock moved
(libfaketime) to prove that nothing else reads it.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

TEST_TZ = ZoneInfo("Asia/Almaty")
TEST_NOW = datetime(2026, 11, 23, 10, 30, tzinfo=TEST_TZ)
