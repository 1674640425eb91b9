"""Recognising an aiokk token in a message that should never carry one (a group message).

aiokk documents no token format, so a token is taken to be what API tokens look like: one
long word of URL-safe characters with both letters and digits. Words in a natural language
and links do not qualify, so ordinary group talk is left alone.
"""

from __future__ import annotations

import re

_TOKEN_RUN = re.compile(r"[A-Za-z0-9_\-.=:|+/]+")
_CONNECT = re.compile(r"^/connect(@\w+)?$", re.IGNORECASE)


def looks_like_token(word: str) -> bool:
    if not 20 <= len(word) <= 512 or _TOKEN_RUN.fullmatch(word) is None:
        return False
    if "://" in word or word.startswith("www."):
        return False
    letters = sum(ch.isalpha() for ch in word)
    return letters >= 2 and len(word) - letters >= 2


def leaks_token(text: str) -> bool:
    """Whether ``text`` holds a token: a token-like word anywhere, or anything given to
    ``/connect`` (``/connect@bot <token>``), whatever its shape."""
    words = text.split()
    if not words:
        return False
    if _CONNECT.match(words[0]) is not None and len(words) > 1:
        return True
    # A run of token characters, wherever it stands: «token», (token), token=...
    return any(looks_like_token(run.group().strip(".:")) for run in _TOKEN_RUN.finditer(text))
