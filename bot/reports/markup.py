"""Telegram-safe HTML building blocks: measuring, cutting and splitting.

Every line built here keeps its own tags balanced, so a text can be cut between
lines. Call cards are built from plain-text spans so that even one over-long
line can be split on spaces, closing and reopening its tag at each cut.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Final

MESSAGE_LIMIT: Final = 4096
ELLIPSIS: Final = "…"
MIN_TAIL: Final = 200
"""Least room worth filling with the start of a cut block or line."""

_escape = html.escape


def text_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units); an emoji may count twice.

    Measured on the HTML source, which is never shorter than the parsed text.
    """
    return len(text.encode("utf-16-le")) // 2


def fit(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """Shorten ``text`` to ``limit`` by dropping whole lines from the end.

    Safe for HTML as long as every line has balanced tags, which holds for all
    texts built here.
    """
    if text_length(text) <= limit:
        return text
    lines = text.split("\n")
    budget = limit - len(ELLIPSIS) - 1
    kept: list[str] = []
    used = 0
    for line in lines:
        cost = text_length(line) + (1 if kept else 0)
        if used + cost > budget:
            break
        kept.append(line)
        used += cost
    if not kept:
        # A single giant line: fall back to its plain text.
        plain = _strip_tags(lines[0])
        return _cut_escaped(_escape(plain, quote=False), limit - len(ELLIPSIS)) + ELLIPSIS
    return "\n".join(kept) + "\n" + ELLIPSIS


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _strip_tags(markup: str) -> str:
    collector = _TextCollector()
    collector.feed(markup)
    collector.close()
    return "".join(collector.parts)


def _cut_escaped(escaped: str, limit: int) -> str:
    """Cut escaped text to ``limit`` UTF-16 units without splitting an entity."""
    used = 0
    end = len(escaped)
    for index, char in enumerate(escaped):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            end = index
            break
    cut = escaped[:end]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut


@dataclass(frozen=True, slots=True)
class Span:
    """Plain text with at most one formatting tag; escaped when rendered."""

    text: str
    tag: str | None = None


Line = tuple[Span, ...]
Block = list[Line]


def _render_run(text: str, tag: str | None) -> str:
    body = _escape(text, quote=False)
    return f"<{tag}>{body}</{tag}>" if tag else body


def render_line(line: Line) -> str:
    return "".join(_render_run(span.text, span.tag) for span in line)


def _split_line(line: Line, limit: int, first_limit: int | None = None) -> list[str]:
    """Split one line into HTML chunks ≤ ``limit`` (the first ≤ ``first_limit``,
    to fill what is left of a message), on spaces where possible, closing and
    reopening tags at each cut."""
    tokens: list[tuple[str, str | None]] = []
    for span in line:
        words = span.text.split(" ")
        for index, word in enumerate(words):
            token = word + (" " if index < len(words) - 1 else "")
            if token:
                tokens.append((token, span.tag))

    chunks: list[str] = []
    runs: list[tuple[str | None, list[str]]] = []
    used = 0
    budget = limit if first_limit is None else min(first_limit, limit)

    def flush() -> None:
        nonlocal used, budget
        if runs:
            chunks.append("".join(_render_run("".join(parts), tag) for tag, parts in runs))
        runs.clear()
        used = 0
        budget = limit

    for text, tag in tokens:
        overhead = 5 + 2 * len(tag) if tag else 0
        for piece in _hard_pieces(text, limit - overhead):
            cost = text_length(_escape(piece, quote=False))
            opens_run = not runs or runs[-1][0] != tag
            extra = cost + (overhead if opens_run else 0)
            if used + extra > budget:
                flush()
                opens_run = True
                extra = cost + overhead
            if opens_run:
                runs.append((tag, [piece]))
            else:
                runs[-1][1].append(piece)
            used += extra
    flush()
    return chunks


def _hard_pieces(text: str, limit: int) -> Iterable[str]:
    """Cut a word without spaces so that each escaped piece fits ``limit``."""
    if text_length(_escape(text, quote=False)) <= limit:
        yield text
        return
    piece = ""
    size = 0
    for char in text:
        cost = text_length(_escape(char, quote=False))
        if size + cost > limit and piece:
            yield piece
            piece, size = "", 0
        piece += char
        size += cost
    if piece:
        yield piece


def pack_blocks(
    blocks: Sequence[Block], *, limit: int = MESSAGE_LIMIT, continued: str = ""
) -> list[str]:
    """Pack blocks into messages ≤ ``limit``: blocks separated by a blank line,
    cut between blocks when possible, else between lines, else inside a line.
    ``continued`` (HTML, one line) starts every message after the first."""
    header = continued + "\n" if continued else ""
    capacity = limit - text_length(header)
    messages: list[str] = []
    current: list[str] = []
    used = 0

    def flush() -> None:
        nonlocal used
        if current:
            messages.append("".join(current))
        current.clear()
        used = 0

    def room(separator: str) -> int:
        return capacity - used - (len(separator) if current else 0)

    def put(markup: str, separator: str) -> None:
        """Add ``markup``, which the caller checked to fit ``room(separator)``."""
        nonlocal used
        if current:
            current.append(separator)
            used += len(separator)
        current.append(markup)
        used += text_length(markup)

    for block in blocks:
        rendered = [render_line(line) for line in block]
        if not rendered:
            continue
        block_text = "\n".join(rendered)
        size = text_length(block_text)
        if size <= room("\n\n"):
            put(block_text, "\n\n")
            continue
        if size <= capacity:
            flush()
            put(block_text, "\n\n")
            continue
        # The block must be cut; keep its heading with a fair share of what follows.
        if current and room("\n\n") < text_length(rendered[0]) + 1 + MIN_TAIL:
            flush()
        separator = "\n\n"
        for line, markup in zip(block, rendered, strict=True):
            size = text_length(markup)
            if size <= room(separator):
                put(markup, separator)
            elif size <= capacity:
                flush()
                put(markup, separator)
            else:
                if room(separator) < MIN_TAIL:
                    flush()
                chunks = _split_line(line, capacity, room(separator))
                if text_length(chunks[0]) > room(separator):
                    flush()
                put(chunks[0], separator)
                for chunk in chunks[1:]:
                    flush()
                    put(chunk, separator)
            separator = "\n"
    flush()
    return [messages[0], *(header + message for message in messages[1:])] if messages else []
