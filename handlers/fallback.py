"""Last resort: stale or forged buttons and messages nobody else handled."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.types import CallbackQuery, Message

from bot.texts import t

router = Router(name="fallback")


@router.callback_query()
async def on_stale_button(query: CallbackQuery, lang: str) -> None:
    await query.answer(t("error.stale", lang), show_alert=True)


@router.message(F.chat.type == ChatType.PRIVATE)
async def on_unknown_message(message: Message, lang: str) -> None:
    await message.answer(t("error.unknown_command", lang))
