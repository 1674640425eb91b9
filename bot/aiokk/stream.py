"""Incremental parser for the export responses: a top-level JSON array of records.

Bytes are pushed in as they arrive and complete array items come out, so a
response of a hundred megabytes is never held in memory whole. ijson's C
backend handles both ``\\uXXXX``-escaped Cyrillic (with PHP's ``\\/``) and plain
UTF-8.
"""

from __future__ import annotations

import logging
from typing import Any

import ijson

from bot.aiokk.errors import BadResponse

logger = logging.getLogger(__name__)

_UTF8_BOM = b"\xef\xbb\xbf"
_WHITESPACE = b" \t\r\n"


class RecordParser:
    """Push parser: ``feed(chunk)`` returns the records completed by that chunk.

    Raises ``BadResponse`` when the body is not a JSON array or is malformed;
    array items that are not objects are skipped (and counted).
    """

    def __init__(self) -> None:
        self._items: list[Any] = ijson.sendable_list()
        self._coro = ijson.items_coro(self._items, "item", use_float=True)
        self._started = False
        self._closed = False
        self._head = b""
        self.skipped = 0

    def feed(self, chunk: bytes) -> list[dict[str, Any]]:
        if self._closed:
            raise RuntimeError("parser already closed")
        if not self._started:
            chunk = self._check_start(chunk)
            if not chunk:
                return []
        failed = False
        try:
            self._coro.send(chunk)
        except ijson.JSONError:
            failed = True
        if failed:
            # Raised outside the handler: the parser's message quotes the body.
            self._closed = True
            raise BadResponse("malformed JSON in the response body")
        return self._drain()

    def close(self) -> list[dict[str, Any]]:
        """Finish the document; raises ``BadResponse`` if it was empty or cut short."""
        if self._closed:
            return []
        self._closed = True
        if not self._started:
            raise BadResponse("empty response body")
        failed = False
        try:
            self._coro.close()
        except ijson.JSONError:
            failed = True
        if failed:
            raise BadResponse("incomplete JSON in the response body")
        return self._drain()

    def _check_start(self, chunk: bytes) -> bytes:
        """Make sure the first significant byte opens an array, before ijson sees it.

        Without this, an object (e.g. ``{"error": ...}``) would parse as zero items.
        """
        data = self._head + chunk
        if len(data) < len(_UTF8_BOM) and _UTF8_BOM.startswith(data):
            self._head = data
            return b""
        if data.startswith(_UTF8_BOM):
            data = data[len(_UTF8_BOM) :]
        stripped = data.lstrip(_WHITESPACE)
        if not stripped:
            self._head = b""
            return b""
        if not stripped.startswith(b"["):
            self._closed = True
            raise BadResponse("response body is not a JSON array")
        self._started = True
        self._head = b""
        return stripped

    def _drain(self) -> list[dict[str, Any]]:
        if not self._items:
            return []
        records = [item for item in self._items if isinstance(item, dict)]
        skipped = len(self._items) - len(records)
        if skipped:
            self.skipped += skipped
            logger.debug("skipped %d array items that are not objects", skipped)
        del self._items[:]
        return records
