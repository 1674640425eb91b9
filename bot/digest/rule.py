"""The bad-call rule applied to raw export records (cheap accessors, no model building)."""

from __future__ import annotations

from enum import StrEnum

from bot.aiokk import raw
from bot.aiokk.raw import RawRecord
from bot.digest.model import BadCallRule
from bot.signals import any_signal_matches


class Reason(StrEnum):
    RATING = "rating"
    SCORE = "score"
    SIGNAL = "signal"


class BadCallMatcher:
    """The rule prepared for many records.

    A signal word matches as in the /calls filter (``bot.signals``): whole words or
    phrases, case- and ё-insensitive.
    """

    def __init__(self, rule: BadCallRule) -> None:
        self.rule = rule
        self._signals = rule.signals if rule.signals_on else ()

    def reasons(self, record: RawRecord) -> list[Reason]:
        """Which switched-on conditions the call meets; empty when it is not a bad call.

        A call without a rating (or score) never meets that condition: missing
        analytics is not evidence of a bad call.
        """
        rule = self.rule
        found: list[Reason] = []
        if rule.rating_on:
            rating = raw.loyalty(record)
            if rating is not None and rating <= rule.max_rating:
                found.append(Reason.RATING)
        if rule.score_on:
            score = raw.score(record)
            if score is not None and score < rule.min_score:
                found.append(Reason.SCORE)
        if self._signals and any_signal_matches(self._signals, raw.signal_words(record)):
            found.append(Reason.SIGNAL)
        return found

    def is_bad(self, record: RawRecord) -> bool:
        return bool(self.reasons(record))


def is_bad(rule: BadCallRule, record: RawRecord) -> bool:
    return BadCallMatcher(rule).is_bad(record)
