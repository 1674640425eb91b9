"""One text format for timestamps stored in SQLite.

All stored times are UTC ISO 8601 with microseconds and an explicit offset
(``2025-04-21T07:06:15.000000+00:00``). A single fixed-width format keeps
string comparison in SQL (``WHERE next_run <= ?``) equal to time comparison.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def to_db_time(moment: datetime) -> str:
    """Serialize an aware datetime; naive values are rejected to avoid silent shifts."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("Timestamps stored in the database must be timezone-aware.")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def from_db_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        # Rows written by hand or by SQLite's own functions carry no offset; they are UTC.
        moment = moment.replace(tzinfo=UTC)
    return moment


def now_text() -> str:
    return to_db_time(utc_now())
