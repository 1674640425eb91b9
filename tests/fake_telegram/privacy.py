"""Which group messages reach a bot in privacy mode, Telegram's default for every bot.

From Telegram's bot documentation (features#privacy-mode and the FAQ "What messages will my
bot get?"): a bot in privacy mode receives from a group only

- commands meant for it: ``/command@this_bot``, and general commands (``/start``) when it is
  the last bot that wrote to the group (the fake knows one bot, so always);
- replies to its own messages;
- messages that mention it by username (``@this_bot``), as BotFather's setting says;
- messages sent via the bot (inline mode; not modelled) and service messages.

Every message of a private chat arrives, and a bot that is an administrator of the group
(``FakeChat.bot_can_delete`` in the fake) or has privacy mode off receives all of them.
"""

from __future__ import annotations

import re

from tests.fake_telegram.state import FakeChat, JsonDict

# A command is "/" and 1-32 letters, digits or underscores, optionally "@bot_username".
_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]+))?(?=$|\s)")
_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_]{5,32})\b")


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def text_entities(text: str) -> list[JsonDict]:
    """The entities Telegram's clients mark in plain text: a leading command and mentions."""
    entities: list[JsonDict] = []
    skip = 0
    command = _COMMAND.match(text)
    if command is not None:
        entities.append({"type": "bot_command", "offset": 0, "length": _utf16(command.group(0))})
        skip = command.end()
    elif text.startswith("/"):
        # Not a valid command name: the client still marks "/word" up to the first space.
        first = text.split(maxsplit=1)[0]
        entities.append({"type": "bot_command", "offset": 0, "length": _utf16(first)})
        skip = len(first)
    for mention in _MENTION.finditer(text, skip):
        entities.append(
            {
                "type": "mention",
                "offset": _utf16(text[: mention.start()]),
                "length": _utf16(mention.group(0)),
            }
        )
    return entities


def _mentioned(message: JsonDict, bot_user: JsonDict) -> bool:
    text = str(message.get("text") or message.get("caption") or "")
    units = text.encode("utf-16-le")
    username = str(bot_user.get("username") or "").lower()
    for entity in message.get("entities") or message.get("caption_entities") or []:
        if (
            entity.get("type") == "text_mention"
            and entity.get("user", {}).get("id") == bot_user["id"]
        ):
            return True
        if entity.get("type") != "mention":
            continue
        start, length = int(entity["offset"]) * 2, int(entity["length"]) * 2
        mentioned = units[start : start + length].decode("utf-16-le")
        if mentioned.lower() == f"@{username}":
            return True
    return False


def _command_for_bot(message: JsonDict, bot_user: JsonDict) -> bool:
    command = _COMMAND.match(str(message.get("text") or ""))
    if command is None:
        return False
    addressee = command.group(2)
    return addressee is None or addressee.lower() == str(bot_user.get("username") or "").lower()


def _replies_to_bot(message: JsonDict, bot_user: JsonDict) -> bool:
    replied = message.get("reply_to_message")
    return isinstance(replied, dict) and replied.get("from", {}).get("id") == bot_user["id"]


def reaches_bot(chat: FakeChat, message: JsonDict, bot_user: JsonDict, *, privacy: bool) -> bool:
    """Whether Telegram delivers this user message in ``chat`` to the bot as an update."""
    if chat.is_private or not privacy or chat.bot_can_delete:
        return True
    return (
        _command_for_bot(message, bot_user)
        or _replies_to_bot(message, bot_user)
        or _mentioned(message, bot_user)
    )
