"""How a chosen signal word matches a call: one rule for the /calls filter and digests.

A call's ``mentionedSignals`` is a comma-separated list of phrases. A chosen signal
matches the call when it equals one of those phrases or appears in one as whole
words, ignoring case, the difference between ё and е, and spacing: «дорого» matches
«дорого» and «очень дорого», not «дороговато»; «очень дорого» matches «Очень  дорого
для нас». The aiokk signal endpoint matches any substring, so its results are
narrowed with this rule too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache


def normalize_signal(text: str) -> str:
    """Case-, ё- and spacing-insensitive form of a signal word or phrase."""
    return " ".join(text.casefold().replace("ё", "е").split())


@lru_cache(maxsize=512)
def _pattern(chosen: str) -> re.Pattern[str] | None:
    """``chosen`` (normalised) as whole words, with any spacing between them."""
    words = chosen.split()
    if not words:
        return None
    return re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, words)) + r"(?!\w)")


def signal_matches(chosen: str, phrases: Iterable[str]) -> bool:
    """Whether the signal ``chosen`` matches a call whose signal phrases are ``phrases``."""
    needle = normalize_signal(chosen)
    pattern = _pattern(needle)
    if pattern is None:
        return False
    for phrase in phrases:
        text = normalize_signal(phrase)
        if text == needle or pattern.search(text) is not None:
            return True
    return False


def any_signal_matches(chosen: Iterable[str], phrases: Iterable[str]) -> bool:
    """Whether any of the signals ``chosen`` matches (see ``signal_matches``)."""
    listed = list(phrases)
    return any(signal_matches(word, listed) for word in chosen)
