"""Operator names as people type them: any script, any case, with typos.

Both the typed text and each name are transliterated to ASCII (``anyascii``), so
Kazakh and Russian spellings and Latin ones meet: «Нұрсұлтан», «Нурсултан» and
"nursultan" are all ``nursultan``. Each typed word is then compared with the words of
a name (``rapidfuzz``): a word matches the name word most like it, so word order and
extra words (a surname, «Младший») do not count against a match, and every typed word
has to match something.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from typing import Final

from anyascii import anyascii
from rapidfuzz import fuzz, process

MATCH: Final = 82.0
"""The lowest similarity of a typed word to a name word that counts as a match.

One wrong letter in a word of six or more letters, or one letter too many or too
few in a word of five or more, stays above it (Айгирим/Айгерим 86, Бауржан/Бауыржан
94); a different name that shares most letters falls below (Нурлан/Нурсултан 80,
Алена/Алина 80, Асель/Асет 75, Иван/Айгерим 36). Words of three letters or fewer only
match exactly or as the beginning of a word.
"""

PREFIX: Final = 90.0
"""The score of a typed word that begins a name word (≥ 3 letters): below an equal word."""

INSIDE: Final = 85.0
"""The score of a typed word (≥ 4 letters) found inside a name word, as aiokk's search does."""

MAX_TYPED: Final = 100

_NOT_WORD = re.compile(r"[^a-z0-9]+")
# Soft and hard signs come out of anyascii as apostrophes: not a word break.
_SIGNS = re.compile(r"['`\"]")


@lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """A name as compared: ASCII, lower case, words separated by single spaces."""
    # ё is е, as people type it («Алена» for «Алёна»); anyascii agrees.
    normal = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")
    ascii_text = _SIGNS.sub("", anyascii(normal).lower())
    return " ".join(_NOT_WORD.split(ascii_text)).strip()


def _word_score(typed: str, words: Sequence[str]) -> float:
    """How well one typed word matches the best of a name's words."""
    best = 0.0
    for word in words:
        if word == typed:
            return 100.0
        if word.startswith(typed) and len(typed) >= 3:
            best = max(best, PREFIX)
        elif typed in word and len(typed) >= 4:
            best = max(best, INSIDE)
    if len(typed) > 3:
        found = process.extractOne(typed, words, scorer=fuzz.ratio)
        if found is not None:
            best = max(best, float(found[1]))
    return best


def name_score(typed: str, name: str) -> tuple[float, float, float]:
    """How well a name matches typed text, best highest: (worst word, mean word, whole).

    A first element below :data:`MATCH` means no match. Typed text of one or two
    letters only matches as the beginning of a word.
    """
    wanted, have = fold(typed), fold(name)
    typed_words, words = wanted.split(), have.split()
    if not typed_words or not words:
        return (0.0, 0.0, 0.0)
    whole = fuzz.ratio(wanted, have)
    # Counted as typed: «Ща» is two letters although its ASCII form has five.
    if sum(char.isalnum() for char in typed) <= 2:
        hit = any(word.startswith(wanted) for word in words)
        return (100.0, 100.0, whole) if hit else (0.0, 0.0, 0.0)
    scores = [_word_score(word, words) for word in typed_words]
    return (min(scores), sum(scores) / len(scores), whole)


def rank_names(typed: str, names: Sequence[str], *, limit: int = 8) -> list[int]:
    """Indexes into ``names`` of the plausible matches for ``typed``, best first.

    Equal scores keep the order of ``names``; a name equal to the text comes before a
    longer name that contains it (the whole-text similarity decides).
    """
    if limit <= 0 or len(typed) > MAX_TYPED or not fold(typed):
        return []
    scored = []
    for index, name in enumerate(names):
        score = name_score(typed, name)
        if score[0] >= MATCH:
            scored.append((score, index))
    scored.sort(key=lambda item: (-item[0][0], -item[0][1], -item[0][2], item[1]))
    return [index for _, index in scored[:limit]]
