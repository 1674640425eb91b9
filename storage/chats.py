"""Per-chat settings: language, timezone, CSV delimiter."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database
from storage.timestamps import now_text

DEFAULT_CSV_DELIMITER = ";"
# Delimiters that open correctly in Excel and are unambiguous in our exports.
CSV_DELIMITERS: tuple[str, ...] = (";", ",", "\t")


@dataclass(frozen=True, slots=True)
class ChatSettings:
    chat_id: int
    language: str | None = None  # None: follow Telegram's language_code
    timezone: str | None = None  # None: DEFAULT_TIMEZONE
    csv_delimiter: str = DEFAULT_CSV_DELIMITER
    kind: str | None = None  # Telegram chat type: private, group, supergroup, channel


class ChatRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, chat_id: int) -> ChatSettings:
        """Settings of a chat; defaults when the chat has never been stored."""
        row = await self._db.fetch_one(
            "SELECT chat_id, kind, language, timezone, csv_delimiter FROM chats WHERE chat_id = ?",
            (chat_id,),
        )
        if row is None:
            return ChatSettings(chat_id=chat_id)
        return ChatSettings(
            chat_id=row["chat_id"],
            language=row["language"],
            timezone=row["timezone"],
            csv_delimiter=row["csv_delimiter"],
            kind=row["kind"],
        )

    async def ensure(self, chat_id: int, kind: str) -> None:
        """Create the chat row if missing; keep its kind current."""
        now = now_text()
        await self._db.execute(
            """
            INSERT INTO chats (chat_id, kind, created_at, updated_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (chat_id) DO UPDATE SET
                kind = excluded.kind, updated_at = excluded.updated_at
            WHERE chats.kind IS NOT excluded.kind
            """,
            (chat_id, kind, now, now),
        )

    async def set_language(self, chat_id: int, language: str | None) -> None:
        await self._set(chat_id, "language", language)

    async def set_timezone(self, chat_id: int, timezone: str | None) -> None:
        await self._set(chat_id, "timezone", timezone)

    async def set_csv_delimiter(self, chat_id: int, delimiter: str) -> None:
        if delimiter not in CSV_DELIMITERS:
            raise ValueError(
                f"Unsupported CSV delimiter {delimiter!r}; use one of {CSV_DELIMITERS}"
            )
        await self._set(chat_id, "csv_delimiter", delimiter)

    async def _set(self, chat_id: int, column: str, value: str | None) -> None:
        # ``column`` comes only from the fixed names above, never from user input.
        now = now_text()
        await self._db.execute(
            f"""
            INSERT INTO chats (chat_id, {column}, created_at, updated_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (chat_id) DO UPDATE SET
                {column} = excluded.{column}, updated_at = excluded.updated_at
            """,
            (chat_id, value, now, now),
        )
