"""What the fake server remembers: users, chats with their message history, files, calls."""

from __future__ import annotations

import copy
import mimetypes
import struct
from dataclasses import dataclass, field
from typing import Any, TypeVar

JsonDict = dict[str, Any]
T = TypeVar("T")

# Sending methods whose result is a message (or a list of messages).
MESSAGE_METHODS = frozenset(
    {
        "sendMessage",
        "sendDocument",
        "sendPhoto",
        "sendMediaGroup",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
    }
)


@dataclass
class RecordedCall:
    """One HTTP call the bot made.

    ``params`` holds the form fields as sent (strings), except JSON-serialized fields such as
    ``reply_markup``, ``entities`` or ``media``, which are decoded. ``files`` maps a multipart
    field name to (filename, bytes). ``status`` and ``response`` are filled in once the call is
    answered; every method except a waiting ``getUpdates`` is answered by the time it is
    visible in ``FakeTelegram.calls``.
    """

    method: str
    params: JsonDict
    files: dict[str, tuple[str, bytes]]
    at: float
    status: int | None = None
    response: JsonDict | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def result(self) -> Any:
        return None if self.response is None else self.response.get("result")

    @property
    def description(self) -> str | None:
        return None if self.response is None else self.response.get("description")

    @property
    def chat_id(self) -> int | None:
        raw = self.params.get("chat_id")
        try:
            return None if raw is None else int(raw)
        except ValueError:
            return None

    def messages(self) -> list[JsonDict]:
        """Message objects this call produced (empty for failed and non-message calls)."""
        result = self.result if self.ok else None
        if isinstance(result, dict) and "message_id" in result:
            return [result]
        if isinstance(result, list):
            return [item for item in result if isinstance(item, dict) and "message_id" in item]
        return []


@dataclass(eq=False)
class FakeChat:
    """A chat the fake knows. Tests may flip ``blocked`` and ``bot_can_delete`` at any time;
    ``migrated_to`` is the supergroup a group was upgraded to (its old id then refuses)."""

    id: int
    type: str  # "private", "group" or "supergroup"
    title: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None
    admins: set[int] = field(default_factory=set)
    is_forum: bool = False
    bot_can_delete: bool = False
    blocked: bool = False
    migrated_to: int | None = None
    members: set[int] = field(default_factory=set)
    messages: dict[int, JsonDict] = field(default_factory=dict)  # live messages by id
    deleted: set[int] = field(default_factory=set)
    last_message_id: int = 0

    @property
    def is_private(self) -> bool:
        return self.type == "private"

    def next_message_id(self) -> int:
        self.last_message_id += 1
        return self.last_message_id

    def as_dict(self) -> JsonDict:
        """The ``Chat`` object as it appears inside messages."""
        chat: JsonDict = {"id": self.id, "type": self.type}
        if self.is_private:
            chat["first_name"] = self.first_name
            if self.last_name:
                chat["last_name"] = self.last_name
            if self.username:
                chat["username"] = self.username
        else:
            chat["title"] = self.title
            if self.is_forum:
                chat["is_forum"] = True
        return chat

    def full_info(self) -> JsonDict:
        """The ``ChatFullInfo`` object ``getChat`` returns."""
        info = self.as_dict()
        info.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        return info


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_name: str
    mime_type: str
    data: bytes
    file_path: str

    def as_file(self) -> JsonDict:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }

    def as_document(self) -> JsonDict:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_name": self.file_name,
            "mime_type": self.mime_type,
            "file_size": len(self.data),
        }


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG or JPEG image, read from its header."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                return None
            marker = data[i + 1]
            (segment_length,) = struct.unpack(">H", data[i + 2 : i + 4])
            if marker in (0xC0, 0xC1, 0xC2):  # start of frame: height, then width
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return int(width), int(height)
            i += 2 + segment_length
    return None


class FileStore:
    """Uploaded files, addressable by ``file_id`` and by the ``file_path`` getFile reports."""

    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._counter = 0

    def add(self, kind: str, file_name: str, data: bytes, *, prefix: str = "BQAC") -> StoredFile:
        self._counter += 1
        n = self._counter
        mime_type = mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        extension = file_name.rsplit(".", 1)[-1] if "." in file_name else "bin"
        stored = StoredFile(
            file_id=f"{prefix}AgADfake{n:08d}AAQ",
            file_unique_id=f"AgADfake{n:06d}",
            file_name=file_name,
            mime_type=mime_type,
            data=data,
            file_path=f"{kind}/file_{n}.{extension}",
        )
        self._by_id[stored.file_id] = stored
        self._by_path[stored.file_path] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        return self._by_id.get(file_id)

    def by_path(self, path: str) -> StoredFile | None:
        return self._by_path.get(path)


def snapshot(value: T) -> T:
    """A deep copy, so answers and recordings do not change when a message is edited later."""
    return copy.deepcopy(value)
