"""Asking for typed input so that the answer reaches the bot in groups too.

In a group with privacy mode on (every bot's default) a plain message never reaches the bot;
a reply to one of the bot's messages does. So in a group a typed step also sends its question
as a new message with a selective ``ForceReply`` addressed to the person who opened the
wizard: their client opens a reply to it. ``ForceReply`` cannot go on an edited message, so
the wizard's own message keeps its Back and Cancel buttons. In a private chat every message
reaches the bot and nothing extra is sent.

Only the opener's reply counts: aiogram keeps wizard state per chat *and* user, so someone
else's reply finds no typing state and gets ``prompt.not_yours``
(see ``answers_someone_elses_request``).
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.enums import ChatType
from aiogram.types import Chat, ForceReply, Message, User

from bot.messages import esc
from bot.texts import t

PLACEHOLDER_LIMIT = 64
"""Telegram's limit for ``input_field_placeholder``."""


def mention(user: User) -> str:
    """An HTML mention that notifies the user and selects them for a selective ForceReply."""
    return f'<a href="tg://user?id={user.id}">{esc(user.full_name)}</a>'


async def ask_for_reply(
    bot: Bot,
    chat: Chat,
    user: User,
    question: str,
    lang: str,
    *,
    placeholder: str = "",
    thread_id: int | None = None,
) -> Message | None:
    """In a group, send ``question`` (HTML) as a reply request to ``user``; None in private."""
    if chat.type == ChatType.PRIVATE:
        return None
    markup = ForceReply(
        force_reply=True,
        selective=True,
        input_field_placeholder=placeholder[:PLACEHOLDER_LIMIT] or None,
    )
    return await bot.send_message(
        chat.id,
        t("prompt.reply", lang, who=mention(user), question=question),
        reply_markup=markup,
        message_thread_id=thread_id,
    )


def answers_someone_elses_request(message: Message, bot_id: int) -> bool:
    """Whether ``message`` replies to a reply request the bot addressed to another person.

    A reply request names its addressee with a ``text_mention``; other replies to the bot
    (say, a team discussing a digest) are not answers to anything and are left alone.
    """
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or replied.from_user.id != bot_id:
        return False
    sender = message.from_user.id if message.from_user else None
    return any(
        entity.type == "text_mention" and entity.user is not None and entity.user.id != sender
        for entity in replied.entities or ()
    )
