"""Digest callback data stays within Telegram's 64 bytes with the largest values."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from bot.digest.model import Attachment, DaysMode, PeriodMode, ScopeKind
from bot.keyboards import COMMON_TIMEZONES
from handlers.digests.callbacks import (
    CallAction,
    DigestAction,
    DigestCallCb,
    DigestCb,
    DigestSetCb,
    Field,
    Step,
    Toggle,
)

BIGGEST_ID = 2**63 - 1  # SQLite's largest rowid; Telegram ids and dialog ids are smaller


def _longest(values: list[str]) -> str:
    return max(values, key=lambda value: len(value.encode()))


def _fits(callback: CallbackData) -> str:
    packed = callback.pack()
    assert len(packed.encode()) <= 64, packed
    return packed


def test_prefixes_start_with_d_and_are_distinct() -> None:
    prefixes = [DigestCb.__prefix__, DigestSetCb.__prefix__, DigestCallCb.__prefix__]
    assert all(prefix.startswith("d") for prefix in prefixes)
    assert len(set(prefixes)) == 3


def test_subscription_actions_fit() -> None:
    for action in DigestAction:
        packed = _fits(DigestCb(action=action, sid=BIGGEST_ID))
        assert DigestCb.unpack(packed) == DigestCb(action=action, sid=BIGGEST_ID)


def test_editor_actions_fit_with_their_longest_values() -> None:
    values = [
        *Step,
        *ScopeKind,
        *Toggle,
        *Attachment,
        *DaysMode,
        *PeriodMode,
        "2359",
        str(len(COMMON_TIMEZONES) - 1),
        "99",  # an index into an offered list (at most 20 are offered)
    ]
    longest = _longest([str(value) for value in values])
    for field in Field:
        packed = _fits(DigestSetCb(field=field, sid=BIGGEST_ID, value=longest))
        assert DigestSetCb.unpack(packed).value == longest


def test_buttons_under_digests_fit() -> None:
    for action in CallAction:
        packed = _fits(DigestCallCb(action=action, m=BIGGEST_ID, d=BIGGEST_ID))
        assert DigestCallCb.unpack(packed) == DigestCallCb(
            action=action, m=BIGGEST_ID, d=BIGGEST_ID
        )
