"""Configuration from the environment, and the command line's handling of bad configuration."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.config import TELEGRAM_API_DEFAULT, Settings

TOKEN = "123456789:AAEexampleexampleexample"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "BOT_TOKEN",
        "TELEGRAM_API_URL",
        "DATABASE_PATH",
        "SECRET_KEY",
        "AIOKK_BASE_URL",
        "DEFAULT_TIMEZONE",
        "ALLOWED_USER_IDS",
        "LOG_LEVEL",
        "MAX_UPLOAD_MB",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env of the work tree


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    settings = Settings()
    assert settings.bot_token.get_secret_value() == TOKEN
    assert TOKEN not in repr(settings)
    assert settings.telegram_api_url == TELEGRAM_API_DEFAULT
    assert settings.database_path == Path("data/bot.sqlite3")
    assert settings.key_file == Path("data/bot.sqlite3.key")
    assert settings.default_timezone == "Asia/Almaty"
    assert settings.aiokk_base_url is None
    assert settings.is_allowed(42)
    assert settings.max_upload_bytes == 50 * 1024 * 1024


def test_values_are_normalised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_URL", "http://localhost:8081/")
    monkeypatch.setenv("AIOKK_BASE_URL", "company.aiokk.io/")
    monkeypatch.setenv("ALLOWED_USER_IDS", "1, 2;3")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    settings = Settings()
    assert settings.telegram_api_url == "http://localhost:8081"
    assert settings.aiokk_base_url == "https://company.aiokk.io"
    assert settings.allowed_user_ids == frozenset({1, 2, 3})
    assert not settings.is_allowed(4)
    assert settings.log_level == "DEBUG"


def test_env_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"BOT_TOKEN={TOKEN}\nDEFAULT_TIMEZONE=Europe/Moscow\n")
    settings = Settings()
    assert settings.default_timezone == "Europe/Moscow"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BOT_TOKEN", "not-a-token"),
        ("DEFAULT_TIMEZONE", "Mars/Olympus"),
        ("ALLOWED_USER_IDS", "1,two"),
        ("AIOKK_BASE_URL", "http://company.aiokk.io"),
        ("TELEGRAM_API_URL", "api.telegram.org"),
        ("LOG_LEVEL", "LOUD"),
        ("MAX_UPLOAD_MB", "0"),
    ],
)
def test_bad_values_are_refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings()


@pytest.mark.parametrize("token", [None, "garbage"])
def test_missing_or_malformed_token_exits_with_2_and_one_line(
    tmp_path: Path, token: str | None
) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    if token is not None:
        env["BOT_TOKEN"] = token
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "BOT_TOKEN" in lines[0], result.stderr
    assert "Traceback" not in result.stderr
