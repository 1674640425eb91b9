"""Incremental parser for the export responses: a top-level JSON array of records.

Bytes are pushed in as they arrive and complete array items come out, so a
response of a hundred megabytes is never held in memory whole.

Records are cut out of the buffered bytes at candidate boundaries (``}`` then
``,`` then ``{``, whitespace allowed) and parsed with orjson, several at a time.
A candidate is checked by parsing everything before it as a closed array: that
succeeds only at a real boundary between top-level items, never inside a record
or a string, so no JSON tokenising is done in Python. Whenever that cannot make
progress (no boundary within ``FAST_LIMIT`` bytes, numbers orjson refuses, a
broken body), the rest of the body goes through ijson's C backend, which also
gives the error. Both accept ``\\uXXXX``-escaped Cyrillic (with PHP's ``\\/``)
and plain UTF-8.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import ijson
import orjson

from bot.aiokk.errors import AiokkError, BadResponse, Unavailable

logger = logging.getLogger(__name__)

_UTF8_BOM = b"\xef\xbb\xbf"
_WHITESPACE = b" \t\r\n"
_OPEN = 0x5B  # "["
_CLOSE = 0x5D  # "]"
_COMPACT_BOUNDARY = b"},{"
_SPACED_BOUNDARY = re.compile(rb"\}[ \t\r\n]*,[ \t\r\n]*\{")
# Candidate boundaries tried per chunk before waiting for more bytes.
_TRIES = 4
FAST_LIMIT = 1 << 20
"""Buffered bytes without a usable boundary after which ijson takes over."""


class RecordParser:
    """Push parser: ``feed(chunk)`` returns the records completed by that chunk.

    Raises ``BadResponse`` when the body is not a JSON array or is malformed;
    array items that are not objects are skipped (and counted).
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._fast = True
        self._finished = False  # the fast path has parsed the closing "]"
        self._items: list[Any] = ijson.sendable_list()
        self._coro: Any = None
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
        if not self._fast:
            return self._send(chunk)
        if self._finished:
            if chunk.strip(_WHITESPACE):
                self._closed = True
                raise BadResponse("malformed JSON in the response body")
            return []
        self._buffer += chunk
        items = self._take()
        if items is not None:
            return self._objects(items)
        if len(self._buffer) > FAST_LIMIT:
            return self._fall_back()
        return []

    def close(self) -> list[dict[str, Any]]:
        """Finish the document; raises ``BadResponse`` if it was empty or malformed and
        ``Unavailable`` if it was cut short (a body that ended early is retried like a 5xx)."""
        if self._closed:
            return []
        if not self._started:
            self._closed = True
            raise BadResponse("empty response body")
        records: list[dict[str, Any]] = []
        if self._fast:
            if self._finished:
                self._closed = True
                return []
            # Not a complete array (feed would have parsed it): ijson decides, and
            # words the error, exactly as for a body it streamed from the start.
            records = self._fall_back()
        self._closed = True
        failure: AiokkError | None = None
        try:
            self._coro.close()
        except ijson.IncompleteJSONError:
            # The connection ended early, the document itself may be fine: worth retrying.
            failure = Unavailable("the response body ends before its JSON does")
        except (ijson.JSONError, UnicodeDecodeError):
            failure = BadResponse("malformed JSON in the response body")
        if failure is not None:
            raise failure
        return records + self._drain()

    # ------------------------------------------------------------------ fast path

    def _take(self) -> list[Any] | None:
        """Items completed in the buffer, or ``None`` when none could be cut yet."""
        buffer = self._buffer
        if buffer[-64:].rstrip(_WHITESPACE).endswith(b"]"):
            # Possibly the whole rest of the array (or a "]" inside a record).
            try:
                items = orjson.loads(buffer)
            except orjson.JSONDecodeError:
                pass
            else:
                self._finished = True
                self._buffer = bytearray()
                return items if isinstance(items, list) else [items]
        for cut in self._candidates():
            head = buffer[: cut + 2]
            head[cut + 1] = _CLOSE
            try:
                items = orjson.loads(head)
            except orjson.JSONDecodeError:
                continue
            comma = buffer.index(b",", cut + 1)
            del buffer[:comma]
            buffer[0] = _OPEN
            return items if isinstance(items, list) else [items]
        return None

    def _candidates(self) -> Iterator[int]:
        """Positions of ``}`` that may end a top-level item, last first."""
        buffer = self._buffer
        found = False
        stop = len(buffer)
        for _ in range(_TRIES):
            position = buffer.rfind(_COMPACT_BOUNDARY, 0, stop)
            if position < 0:
                break
            found = True
            yield position
            stop = position
        if found:
            return
        spaced = [match.start() for match in _SPACED_BOUNDARY.finditer(buffer)]
        yield from reversed(spaced[-_TRIES:])

    def _objects(self, items: list[Any]) -> list[dict[str, Any]]:
        records = [item for item in items if isinstance(item, dict)]
        skipped = len(items) - len(records)
        if skipped:
            self.skipped += skipped
            logger.debug("skipped %d array items that are not objects", skipped)
        return records

    # ------------------------------------------------------------- ijson fallback

    def _fall_back(self) -> list[dict[str, Any]]:
        """Hand the buffered bytes, and everything after them, to ijson."""
        self._fast = False
        self._coro = ijson.items_coro(self._items, "item", use_float=True)
        data = bytes(self._buffer)
        self._buffer = bytearray()
        return self._send(data)

    def _send(self, chunk: bytes) -> list[dict[str, Any]]:
        failed = False
        try:
            self._coro.send(chunk)
        except (ijson.JSONError, UnicodeDecodeError):
            failed = True
        if failed:
            # Raised outside the handler: the parser's message quotes the body.
            self._closed = True
            raise BadResponse("malformed JSON in the response body")
        return self._drain()

    def _check_start(self, chunk: bytes) -> bytes:
        """Make sure the first significant byte opens an array, before parsing starts.

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
        records = self._objects(list(self._items))
        del self._items[:]
        return records
