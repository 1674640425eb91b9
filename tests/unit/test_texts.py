"""The text catalog: every key used in the code exists, in Russian and English."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from bot.app import COMMANDS
from bot.query.model import PeriodError, PeriodKind
from bot.texts import CATALOG, LANGUAGES, pick_language, t
from handlers.calls import FIELDS

ROOT = Path(__file__).resolve().parents[2]
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-z0-9_.]+)["']""")


def source_files() -> list[Path]:
    return [path for folder in ("bot", "handlers") for path in (ROOT / folder).rglob("*.py")]


def test_every_literal_key_used_in_the_code_exists() -> None:
    missing = {
        (path.relative_to(ROOT).as_posix(), key)
        for path in source_files()
        for key in LITERAL_KEY.findall(path.read_text(encoding="utf-8"))
        if key not in CATALOG
    }
    assert not missing


@pytest.mark.parametrize("key", sorted(CATALOG))
def test_both_languages_take_the_same_parameters(key: str) -> None:
    fields = [
        {name for _, name, _, _ in string.Formatter().parse(CATALOG[key][lang]) if name}
        for lang in LANGUAGES
    ]
    assert all(found == fields[0] for found in fields), key


def test_language_choice_and_fallback() -> None:
    assert pick_language("en-US") == "en"
    assert pick_language("kk") == "ru"
    assert pick_language(None) == "ru"
    assert t("btn.menu", "en") != t("btn.menu", "ru")


def test_keys_built_at_run_time_exist() -> None:

    built = [f"calls.field.{code}" for code in FIELDS]
    built += [f"calls.ask.{code}" for code in FIELDS]
    built += [f"calls.type.{code}" for code in ("d", "o", "q", "s")]
    built += [f"period.{kind.value}" for kind in PeriodKind]
    reasons = ("FORMAT", "INVALID_DATE", "ORDER", "TOO_LONG", "FUTURE")
    built += [f"period_error.{getattr(PeriodError, name)}" for name in reasons]
    built += [f"report.call_type.{number}" for number in (1, 2, 3, 4)]
    built += [f"connect.address_{reason}" for reason in ("invalid", "https_required")]
    built += [f"cmd.{name}" for name in COMMANDS]
    assert [key for key in built if key not in CATALOG] == []
