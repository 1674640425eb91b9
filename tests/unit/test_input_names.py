"""Fuzzy operator-name matching: scripts, Kazakh letters, typos, surnames, negatives."""

from __future__ import annotations

import pytest

from bot.input.names import MATCH, fold, name_score, rank_names

ROSTER = [
    "Айгерим Нурланова",
    "Айгерим Сапарова",
    "Тимур Сейткали",
    "Тимур Сейткали Младший",
    "Нұрсұлтан Әбенов",
    "Әсел Жумабаева",
    "Бауыржан Ахметов",
    "Алёна Королёва",
    "Иван Петров",
    "Дарья Смирнова",
    "Асет Омаров",
    "Али Алиев",
    "Наталья Ким",
    "Алина Ли",
]


def ranked(typed: str, names: list[str] = ROSTER) -> list[str]:
    return [names[index] for index in rank_names(typed, names)]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        # Kazakh letters, Russian spellings and Latin ones meet.
        ("Нұрсұлтан", ["Нұрсұлтан Әбенов"]),
        ("Нурсултан", ["Нұрсұлтан Әбенов"]),
        ("nursultan", ["Нұрсұлтан Әбенов"]),
        ("NURSULTAN abenov", ["Нұрсұлтан Әбенов"]),
        ("Әсел", ["Әсел Жумабаева"]),
        ("Асель", ["Әсел Жумабаева"]),
        ("Асел", ["Әсел Жумабаева"]),
        ("asel", ["Әсел Жумабаева"]),
        ("Бауржан", ["Бауыржан Ахметов"]),
        ("baurzhan", ["Бауыржан Ахметов"]),
        ("Дарья", ["Дарья Смирнова"]),
        ("darya", ["Дарья Смирнова"]),
        # ё is е.
        ("алена", ["Алёна Королёва"]),
        ("королева", ["Алёна Королёва"]),
        # A typo.
        ("Айгирим Сапарова", ["Айгерим Сапарова"]),
        ("Сапарва", ["Айгерим Сапарова"]),
        # The beginning of a word, and a part of one (as aiokk's search).
        ("сапар", ["Айгерим Сапарова"]),
        ("Ив", ["Иван Петров"]),
        ("Ки", ["Наталья Ким"]),
        ("Ким", ["Наталья Ким"]),
        ("Али", ["Али Алиев", "Алина Ли"]),  # the exact word first
        ("smirn", ["Дарья Смирнова"]),
        ("мирнова", ["Дарья Смирнова"]),
        # Word order does not matter.
        ("Сапарова Айгерим", ["Айгерим Сапарова"]),
    ],
)
def test_finds(typed: str, expected: list[str]) -> None:
    assert ranked(typed) == expected


@pytest.mark.parametrize("typed", ["aigerim", "Айгерим", "АЙГЕРИМ", "Айгирим", "айгер", "ай"])
def test_both_aigerims(typed: str) -> None:
    assert sorted(ranked(typed)) == ["Айгерим Нурланова", "Айгерим Сапарова"]


@pytest.mark.parametrize("typed", ["Сейткали", "сейткали", "Seytkali", "Тимур Сейткали", "Тимур"])
def test_a_name_inside_a_longer_one_comes_first(typed: str) -> None:
    assert ranked(typed) == ["Тимур Сейткали", "Тимур Сейткали Младший"]


def test_the_longer_name_typed_in_full_finds_only_it() -> None:
    assert ranked("тимур сейткали младший") == ["Тимур Сейткали Младший"]
    # ... and first when it stands after the shorter one.
    names = ["Тимур Сейткали Младший", "Тимур Сейткали"]
    assert [names[i] for i in rank_names("Тимур Сейткали", names)] == list(reversed(names))


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("Иван", "Айгерим Нурланова"),
        ("Алена", "Алина Ли"),  # a different name of the same shape
        ("Нурлан", "Нұрсұлтан Әбенов"),
        ("Асель", "Асет Омаров"),
        ("Тимур Сапарова", "Тимур Сейткали"),  # every typed word has to match
        ("ер", "Айгерим Сапарова"),  # two letters: only the beginning of a word
        ("и", "Айгерим Сапарова"),
        ("ли", "Наталья Ким"),
        ("ова", "Айгерим Сапарова"),  # three letters: not inside a word
    ],
)
def test_does_not_find(typed: str, name: str) -> None:
    assert name not in ranked(typed)
    assert name_score(typed, name)[0] < MATCH


@pytest.mark.parametrize(
    "typed", ["", "   ", "xyz", "😀", "-", "Петя", "Zzzzzz", "12345", "ё" * 200]
)
def test_nothing_close(typed: str) -> None:
    assert rank_names(typed, ROSTER) == []


def test_limit_and_edge_cases() -> None:
    assert len(rank_names("а", ROSTER)) == 8  # the default limit
    assert len(rank_names("а", ROSTER, limit=3)) == 3
    assert rank_names("а", ROSTER, limit=0) == []
    assert rank_names("Айгерим", []) == []
    assert rank_names("Айгерим", ["", "  ", "😀"]) == []
    # Namesakes both come back, in the given order.
    assert rank_names("Асель", ["Әсел Жумабаева", "Асель Жумабаева"]) == [0, 1]


def test_fold() -> None:
    assert fold("  Нұрсұлтан   Әбенов ") == "nursultan abenov"
    assert fold("Алёна") == fold("Алена") == "alena"
    assert fold("Асель") == fold("Әсел") == "asel"
    assert fold("Мухамед-Али") == "mukhamed ali"
