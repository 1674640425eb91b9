"""What counts as a token in a group message."""

from __future__ import annotations

import pytest

from bot.token_leaks import leaks_token, looks_like_token

TOKEN = "0123456789abcdefABCDEF0123456789"


@pytest.mark.parametrize(
    "text",
    [
        TOKEN,
        f"/connect {TOKEN}",
        "/connect@aiokk_bot short",
        "/CONNECT anything at all",
        f"вот токен: «{TOKEN}», проверьте",
        f"token=({TOKEN})",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOjF9.abc123",
    ],
)
def test_a_token_or_a_connect_attempt_is_recognised(text: str) -> None:
    assert leaks_token(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "/connect",
        "/connect@aiokk_bot",
        "/calls",
        "Привет, коллеги! Отчёт за 21.11.2026 готов",
        "internationalization",  # long, but no digit
        "12345678901234567890",  # long, but no letter
        "https://company.aiokk.io/export/2026/report",
        "www.example.com/a1b2c3d4e5f6g7h8",
        "short1",
        "abc123def456ghi789",  # shorter than 20
    ],
)
def test_ordinary_messages_are_left_alone(text: str) -> None:
    assert not leaks_token(text)


def test_a_word_of_512_token_characters_is_a_token_and_513_is_not() -> None:
    assert looks_like_token("a1" * 256)
    assert not looks_like_token("a1" * 256 + "b")
