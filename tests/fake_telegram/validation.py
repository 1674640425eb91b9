"""Checks the real Bot API applies to message content, with its error texts."""

from __future__ import annotations

import json
from typing import Any

from tests.fake_telegram.errors import ApiError, bad_request
from tests.fake_telegram.html_entities import parse_html, trim, utf16_len

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_KEYBOARD_BUTTONS = 100
MAX_PLACEHOLDER_LENGTH = 64

_BUTTON_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_URL_SCHEMES = ("http://", "https://", "tg://")


def decode_json(raw: Any, field: str) -> Any:
    """A JSON-serialized parameter (aiogram sends complex fields as JSON strings)."""
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except ValueError as error:
        raise bad_request(f"can't parse {field} JSON object") from error


def format_text(
    raw: str | None, parse_mode: str | None, raw_entities: Any
) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and entities after applying ``parse_mode`` (or explicit entities)."""
    text = raw or ""
    mode = (parse_mode or "").lower()
    if mode == "html":
        text, entities = parse_html(text)
    elif mode in ("", "markdown", "markdownv2"):
        # Markdown is not modelled: the bot under test uses HTML. Text passes through as is.
        entities = list(decode_json(raw_entities, "entities") or []) if raw_entities else []
    else:
        raise bad_request(f"unsupported parse_mode {parse_mode!r}")
    return trim(text, entities)


def message_text(
    raw: str | None, parse_mode: str | None, raw_entities: Any = None
) -> tuple[str, list[dict[str, Any]]]:
    text, entities = format_text(raw, parse_mode, raw_entities)
    if not text:
        raise bad_request("message text is empty")
    if utf16_len(text) > MAX_TEXT_LENGTH:
        raise bad_request("message is too long")
    return text, entities


def caption_text(
    raw: str | None, parse_mode: str | None, raw_entities: Any = None
) -> tuple[str, list[dict[str, Any]]]:
    text, entities = format_text(raw, parse_mode, raw_entities)
    if utf16_len(text) > MAX_CAPTION_LENGTH:
        raise bad_request("message caption is too long")
    return text, entities


def _button_error(detail: str) -> ApiError:
    return bad_request(f"can't parse inline keyboard button: {detail}")


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise _button_error("InlineKeyboardButton must be an Object")
    if not isinstance(button.get("text"), str):
        raise _button_error('Field "text" must be of type String')
    actions = [name for name in _BUTTON_ACTIONS if button.get(name) is not None]
    if not actions:
        raise _button_error("Text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise _button_error(
            f"exactly one of the optional fields must be used, got {', '.join(actions)}"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        url = button["url"]
        if not isinstance(url, str) or not url.startswith(_URL_SCHEMES):
            raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")


def _check_force_reply(markup: dict[str, Any]) -> None:
    """``ForceReply``: ``force_reply`` must be True, the placeholder 1-64 characters, and
    ``selective`` a Boolean."""
    if markup.get("force_reply") is not True:
        raise bad_request('field "force_reply" must be True')
    placeholder = markup.get("input_field_placeholder")
    if placeholder is not None and (
        not isinstance(placeholder, str) or not 1 <= len(placeholder) <= MAX_PLACEHOLDER_LENGTH
    ):
        raise bad_request("REPLY_MARKUP_INVALID: input_field_placeholder must be 1-64 characters")
    if "selective" in markup and not isinstance(markup["selective"], bool):
        raise bad_request('field "selective" must be of type Boolean')


def decoded_markup(raw: Any) -> dict[str, Any] | None:
    """``reply_markup`` as an object (None when absent); not validated."""
    if raw is None or raw == "":
        return None
    markup = decode_json(raw, "reply keyboard markup")
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    return markup


def force_reply(raw: Any) -> dict[str, Any] | None:
    """The ``ForceReply`` in ``reply_markup`` (validated by ``reply_markup``), or None."""
    markup = decoded_markup(raw)
    return markup if markup is not None and "force_reply" in markup else None


def reply_markup(raw: Any) -> dict[str, Any] | None:
    """Validate ``reply_markup``; return it when it is an inline keyboard (kept on the message)."""
    markup = decoded_markup(raw)
    if markup is None:
        return None
    if "inline_keyboard" not in markup:
        if not any(k in markup for k in ("keyboard", "remove_keyboard", "force_reply")):
            raise bad_request('can\'t find field "inline_keyboard"')
        if "force_reply" in markup:
            _check_force_reply(markup)
        return None  # reply keyboards and reply requests are not part of the message object
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays'
        )
    buttons = [button for row in rows for button in row]
    if len(buttons) > MAX_KEYBOARD_BUTTONS:
        raise bad_request("reply markup is too long")
    for button in buttons:
        _check_inline_button(button)
    return markup


def inline_buttons(markup: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not markup:
        return []
    return [button for row in markup.get("inline_keyboard", []) for button in row]
