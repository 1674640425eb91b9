"""Who may change what in a group: checked with getChatMember at the time of the action."""

from __future__ import annotations

from aiogram import Bot
from aiogram.enums import ChatMemberStatus, ChatType
from aiogram.types import Chat

_ADMIN_STATUSES = {ChatMemberStatus.CREATOR, ChatMemberStatus.ADMINISTRATOR}


def is_private(chat: Chat) -> bool:
    return chat.type == ChatType.PRIVATE


async def is_chat_admin(bot: Bot, chat: Chat, user_id: int) -> bool:
    """Everyone administers their private chat; in groups ask Telegram now, not from a cache."""
    if is_private(chat):
        return True
    member = await bot.get_chat_member(chat.id, user_id)
    return member.status in _ADMIN_STATUSES
