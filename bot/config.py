"""Settings from the environment and ``.env`` (pydantic-settings)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.addresses import AddressError, normalise_base_url

TELEGRAM_API_DEFAULT = "https://api.telegram.org"
_BOT_TOKEN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{5,}$")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr
    telegram_api_url: str = TELEGRAM_API_DEFAULT
    database_path: Path = Path("data/bot.sqlite3")
    secret_key: SecretStr | None = None
    aiokk_base_url: str | None = None
    # Lets users connect to instances on loopback, private and link-local addresses.
    aiokk_allow_private: bool = False
    default_timezone: str = "Asia/Almaty"
    allowed_user_ids: Annotated[frozenset[int], NoDecode] = Field(default_factory=frozenset)
    log_level: str = "INFO"
    max_upload_mb: int = Field(default=50, ge=1, le=2000)
    # Seconds between two polls of aiokk for alerts on critical calls.
    alerts_poll_seconds: int = Field(default=300, ge=30)

    @field_validator("bot_token")
    @classmethod
    def _check_bot_token(cls, value: SecretStr) -> SecretStr:
        if not _BOT_TOKEN.match(value.get_secret_value().strip()):
            raise ValueError("BOT_TOKEN does not look like a token from @BotFather (123456:ABC...)")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("telegram_api_url")
    @classmethod
    def _check_api_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("TELEGRAM_API_URL must be an http(s) URL")
        return value

    @field_validator("aiokk_base_url")
    @classmethod
    def _check_aiokk_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        try:
            return normalise_base_url(value)
        except AddressError as error:
            raise ValueError(f"AIOKK_BASE_URL: {error}") from None

    @field_validator("default_timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"DEFAULT_TIMEZONE {value!r} is not an IANA time zone") from None
        return value

    @field_validator("allowed_user_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.replace(";", ",").split(",")]
            try:
                return frozenset(int(part) for part in parts if part)
            except ValueError:
                raise ValueError("ALLOWED_USER_IDS must be comma-separated numeric ids") from None
        return value

    @field_validator("log_level")
    @classmethod
    def _check_log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    @property
    def key_file(self) -> Path:
        return self.database_path.with_name(self.database_path.name + ".key")

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    def is_allowed(self, user_id: int) -> bool:
        return not self.allowed_user_ids or user_id in self.allowed_user_ids
