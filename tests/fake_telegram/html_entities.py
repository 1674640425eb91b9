"""Telegram's ``parse_mode=HTML``: turn marked-up text into plain text plus message entities.

The rules and the error texts follow the parser of the real server (tdlib's ``parse_html``):
only Telegram's tags are allowed, tags must nest properly, and offsets and lengths of the
resulting entities are counted in UTF-16 code units.

One deliberate difference: the real server keeps a bare ``&`` that does not start a valid
entity as a literal character, although the Bot API documentation requires it to be escaped.
This fake rejects it, so that text the bot forgot to escape fails here rather than in production
the day a ``<`` shows up next to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.fake_telegram.errors import ApiError, bad_request

_SPACES = " \t\r\n\v\f"
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ALLOWED_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins",
        "tg-spoiler", "tg-emoji", "span", "pre", "code", "blockquote",
    }
)  # fmt: skip
_SIMPLE_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _parse_error(detail: str) -> ApiError:
    return bad_request(f"can't parse entities: {detail}")


@dataclass
class _OpenTag:
    name: str
    argument: str
    utf16_offset: int


class _HtmlParser:
    def __init__(self, source: str) -> None:
        self.src = source
        self.pos = 0
        self.out: list[str] = []
        self.utf16_offset = 0
        self.open_tags: list[_OpenTag] = []
        self.entities: list[dict[str, Any]] = []

    # -- helpers -----------------------------------------------------------------------

    def _char(self, index: int) -> str:
        """The character at ``index`` or "" past the end (tdlib reads a NUL terminator there)."""
        return self.src[index] if index < len(self.src) else ""

    def _byte_offset(self, index: int) -> int:
        return len(self.src[:index].encode("utf-8"))

    def _emit(self, text: str) -> None:
        self.out.append(text)
        self.utf16_offset += utf16_len(text)

    def _decode_entity(self, index: int) -> tuple[str, int] | None:
        """Decode an entity starting at ``&`` at ``index``: (character, index after ``;``)."""
        src = self.src
        j = index + 1
        if self._char(j) == "#":
            j += 1
            base = 10
            if self._char(j) in ("x", "X"):
                base = 16
                j += 1
            start = j
            digits = "0123456789abcdefABCDEF" if base == 16 else "0123456789"
            while j < len(src) and src[j] in digits:
                j += 1
            if j == start or self._char(j) != ";":
                return None
            code = int(src[start:j], base)
            if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                return None
            return chr(code), j + 1
        start = j
        while j < len(src) and src[j].isascii() and src[j].isalnum():
            j += 1
        if self._char(j) != ";":
            return None
        name = src[start:j]
        if name not in _NAMED_ENTITIES:
            return None
        return _NAMED_ENTITIES[name], j + 1

    # -- main loop ---------------------------------------------------------------------

    def parse(self) -> tuple[str, list[dict[str, Any]]]:
        src = self.src
        while self.pos < len(src):
            char = src[self.pos]
            if char == "&":
                decoded = self._decode_entity(self.pos)
                if decoded is None:
                    raise _parse_error(
                        f"Character '&' at byte offset {self._byte_offset(self.pos)} "
                        "does not start an HTML entity and must be escaped as &amp;"
                    )
                self._emit(decoded[0])
                self.pos = decoded[1]
            elif char != "<":
                self._emit(char)
                self.pos += 1
            elif self._char(self.pos + 1) == "/":
                self._end_tag()
            else:
                self._start_tag()
        if self.open_tags:
            raise _parse_error(
                f'Can\'t find end tag corresponding to start tag "{self.open_tags[-1].name}"'
            )
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities

    def _start_tag(self) -> None:
        src = self.src
        begin = self.pos
        i = begin + 1
        while i < len(src) and src[i] not in _SPACES and src[i] != ">":
            i += 1
        if i >= len(src):
            raise _parse_error(f"Unclosed start tag at byte offset {self._byte_offset(begin)}")
        tag_name = src[begin + 1 : i].lower()
        if tag_name not in _ALLOWED_TAGS:
            raise _parse_error(
                f'Unsupported start tag "{tag_name}" at byte offset {self._byte_offset(begin)}'
            )
        argument = ""
        while self._char(i) != ">":
            while i < len(src) and src[i] in _SPACES:
                i += 1
            if self._char(i) == ">":
                break
            if i >= len(src):
                raise _parse_error(f"Unclosed start tag at byte offset {self._byte_offset(begin)}")
            attr_begin = i
            while i < len(src) and src[i] not in _SPACES and src[i] not in "=>":
                i += 1
            attr_name = src[attr_begin:i].lower()
            if not attr_name:
                raise _parse_error(
                    f'Empty attribute name in the tag "{tag_name}" at byte offset '
                    f"{self._byte_offset(begin)}"
                )
            while i < len(src) and src[i] in _SPACES:
                i += 1
            if self._char(i) != "=":
                if tag_name == "blockquote" and attr_name == "expandable":
                    argument = "expandable"
                    continue
                raise _parse_error(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{tag_name}" at byte offset {self._byte_offset(begin)}'
                )
            i += 1
            while i < len(src) and src[i] in _SPACES:
                i += 1
            if i >= len(src):
                raise _parse_error(
                    f'Unclosed start tag "{tag_name}" at byte offset {self._byte_offset(begin)}'
                )
            value, i = self._attribute_value(i)
            if i >= len(src):
                raise _parse_error(f"Unclosed start tag at byte offset {self._byte_offset(begin)}")
            if tag_name == "a" and attr_name == "href":
                argument = value
            elif tag_name == "code" and attr_name == "class" and value.startswith("language-"):
                argument = value[len("language-") :]
            elif tag_name == "span" and attr_name == "class" and value.startswith("tg-"):
                argument = value[len("tg-") :]
            elif tag_name == "tg-emoji" and attr_name == "emoji-id":
                argument = value
        if tag_name == "span" and argument != "spoiler":
            raise _parse_error(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self._byte_offset(begin)}'
            )
        self.open_tags.append(_OpenTag(tag_name, argument, self.utf16_offset))
        self.pos = i + 1

    def _attribute_value(self, i: int) -> tuple[str, int]:
        src = self.src
        quote = src[i]
        if quote not in ("'", '"'):
            # An unquoted name token: letters, digits, periods and hyphens, case-insensitive.
            start = i
            while i < len(src) and ((src[i].isascii() and src[i].isalnum()) or src[i] in ".-"):
                i += 1
            if i < len(src) and src[i] not in _SPACES and src[i] != ">":
                raise _parse_error(
                    f"Unexpected end of name token at byte offset {self._byte_offset(start)}"
                )
            return src[start:i].lower(), i
        i += 1
        value: list[str] = []
        while i < len(src) and src[i] != quote:
            if src[i] == "&":
                decoded = self._decode_entity(i)
                if decoded is not None:
                    value.append(decoded[0])
                    i = decoded[1]
                    continue
            value.append(src[i])
            i += 1
        if i < len(src):
            i += 1  # the closing quote
        return "".join(value), i

    def _end_tag(self) -> None:
        src = self.src
        begin = self.pos
        if not self.open_tags:
            raise _parse_error(f"Unexpected end tag at byte offset {self._byte_offset(begin)}")
        i = begin + 2
        while i < len(src) and src[i] not in _SPACES and src[i] != ">":
            i += 1
        end_name = src[begin + 2 : i].lower()
        while i < len(src) and src[i] in _SPACES:
            i += 1
        if self._char(i) != ">":
            raise _parse_error(f"Unclosed end tag at byte offset {self._byte_offset(begin)}")
        tag = self.open_tags.pop()
        if end_name and end_name != tag.name:
            raise _parse_error(
                f"Unmatched end tag at byte offset {self._byte_offset(begin)}, "
                f'expected "</{tag.name}>", found "</{end_name}>"'
            )
        self._close_entity(tag)
        self.pos = i + 1

    def _close_entity(self, tag: _OpenTag) -> None:
        length = self.utf16_offset - tag.utf16_offset
        if length <= 0:
            return
        entity: dict[str, Any] = {"offset": tag.utf16_offset, "length": length}
        if tag.name in _SIMPLE_ENTITY_TYPES:
            entity["type"] = _SIMPLE_ENTITY_TYPES[tag.name]
        elif tag.name == "a":
            if not tag.argument:
                return
            entity.update(type="text_link", url=tag.argument)
        elif tag.name == "tg-emoji":
            if not tag.argument.isdigit():
                raise _parse_error("Invalid custom emoji identifier specified")
            entity.update(type="custom_emoji", custom_emoji_id=tag.argument)
        elif tag.name == "blockquote":
            entity["type"] = (
                "expandable_blockquote" if tag.argument == "expandable" else "blockquote"
            )
        elif tag.name == "code":
            entity["type"] = "code"
            if tag.argument:
                # Only meaningful inside <pre>; kept here until the <pre> closes.
                entity["language"] = tag.argument
        else:  # pre
            entity["type"] = "pre"
            inner = next(
                (
                    e
                    for e in self.entities
                    if e["type"] == "code"
                    and e["offset"] == tag.utf16_offset
                    and e["length"] == length
                ),
                None,
            )
            if inner is not None:
                self.entities.remove(inner)
                if "language" in inner:
                    entity["language"] = inner["language"]
        self.entities.append(entity)
        if tag.name == "pre":
            return
        # A language on a <code> outside <pre> means nothing to Telegram: drop it once it
        # is clear no <pre> encloses it.
        if entity["type"] == "code" and not any(t.name == "pre" for t in self.open_tags):
            entity.pop("language", None)


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and entities (Telegram's ``MessageEntity`` dicts) for HTML-marked ``source``.

    Raises ``ApiError`` 400 "Bad Request: can't parse entities: ..." on invalid markup.
    """
    return _HtmlParser(source).parse()


def trim(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Strip surrounding whitespace as Telegram does, shifting and clipping the entities."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = utf16_len(text) - utf16_len(text.lstrip())
    size = utf16_len(stripped)
    result: list[dict[str, Any]] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, size)
        if end > start:
            result.append({**entity, "offset": start, "length": end - start})
    return stripped, result
