"""One catalog of user-facing texts, Russian by default, English too.

Each feature keeps its strings in its own module (``core``, ``calls``, ``digest``);
they are merged here into one mapping so that a key is defined exactly once.
``t(key, lang, **params)`` formats with ``str.format``; callers escape any value
that came from the API or the user before passing it in.
"""

from __future__ import annotations

from typing import Final

from bot.texts import alerts, calls, core, digest, input, wizard

LANGUAGES: Final = ("ru", "en")
DEFAULT_LANGUAGE: Final = "ru"

Catalog = dict[str, dict[str, str]]


def _merge(*parts: Catalog) -> Catalog:
    merged: Catalog = {}
    for part in parts:
        for key, value in part.items():
            if key in merged:
                raise RuntimeError(f"text key defined twice: {key}")
            missing = [lang for lang in LANGUAGES if lang not in value]
            if missing:
                raise RuntimeError(f"text key {key} lacks {missing}")
            merged[key] = value
    return merged


CATALOG: Final[Catalog] = _merge(
    core.TEXTS, calls.TEXTS, digest.TEXTS, wizard.TEXTS, input.TEXTS, alerts.TEXTS
)


def pick_language(code: str | None) -> str:
    """Map Telegram's ``language_code`` (``en-US``, ``ru``, ``kk``) to a catalog language."""
    if code and code.split("-")[0].lower() == "en":
        return "en"
    return DEFAULT_LANGUAGE


def t(key: str, lang: str, /, **params: object) -> str:
    entry = CATALOG[key]
    template = entry.get(lang) or entry[DEFAULT_LANGUAGE]
    return template.format(**params) if params else template


def plural(key: str, n: int, lang: str, /) -> str:
    """The word form of ``key`` that goes with the number ``n``.

    The entry lists forms separated by ``|``: Russian "one|few|many" (1 оператор,
    2 оператора, 5 операторов), English "one|other".
    """
    forms = t(key, lang).split("|")
    if lang == "en" or len(forms) < 3:
        return forms[0] if n == 1 else forms[-1]
    tens, units = n % 100, n % 10
    if units == 1 and tens != 11:
        return forms[0]
    if 2 <= units <= 4 and not 12 <= tens <= 14:
        return forms[1]
    return forms[2]
