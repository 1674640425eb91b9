"""Where an update happens and how a refusal is said: shared by the feature routers."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import CallbackQuery, Chat, MaybeInaccessibleMessageUnion, Message

from bot.permissions import is_chat_admin
from bot.prompts import ask_for_reply
from bot.texts import t


def thread_of(message: MaybeInaccessibleMessageUnion | None) -> int | None:
    """The forum topic a message is in, to answer in the same topic."""
    if not isinstance(message, Message) or not message.is_topic_message:
        return None
    return message.message_thread_id


def chat_of(target: Message | CallbackQuery) -> Chat | None:
    if isinstance(target, Message):
        return target.chat
    return target.message.chat if target.message is not None else None


async def deny(target: Message | CallbackQuery, text: str) -> None:
    """An alert on a press, a message on typed input."""
    if isinstance(target, CallbackQuery):
        await target.answer(text, show_alert=True)
    else:
        await target.answer(text)


async def admin_or_deny(
    target: Message | CallbackQuery, bot: Bot, lang: str, refusal_key: str
) -> bool:
    """Whether the sender administers the chat (asked now, not cached); refused otherwise."""
    chat = chat_of(target)
    user = target.from_user
    if chat is None or user is None:
        await deny(target, t("error.stale", lang))
        return False
    if await is_chat_admin(bot, chat, user.id):
        return True
    await deny(target, t(refusal_key, lang))
    return False


async def ask_presser(
    query: CallbackQuery, bot: Bot, question: str, lang: str, placeholder: str = ""
) -> None:
    """In a group, also ask whoever pressed for a typed answer as a reply request: there only
    replies reach the bot. Nothing extra in a private chat."""
    message = query.message
    if message is not None:
        await ask_for_reply(
            bot,
            message.chat,
            query.from_user,
            question,
            lang,
            placeholder=placeholder,
            thread_id=thread_of(message),
        )


async def ask_again(message: Message, bot: Bot, text: str, placeholder: str, lang: str) -> None:
    """A typed answer that does not fit: say why and wait for the next one (in a group, as a
    new reply request, so that the answer reaches the bot)."""
    user = message.from_user
    if user is not None:
        asked = await ask_for_reply(
            bot,
            message.chat,
            user,
            text,
            lang,
            placeholder=placeholder,
            thread_id=thread_of(message),
        )
        if asked is not None:
            return
    await message.answer(text)
