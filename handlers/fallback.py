"""Last resort: stale or forged buttons and messages nobody else handled."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.prompts import answers_someone_elses_request
from bot.texts import t

router = Router(name="fallback")


@router.callback_query()
async def on_stale_button(query: CallbackQuery, lang: str) -> None:
    await query.answer(t("error.stale", lang), show_alert=True)


@router.message(F.chat.type == ChatType.PRIVATE)
async def on_unknown_message(message: Message, lang: str) -> None:
    await message.answer(t("error.unknown_command", lang))


@router.message(F.chat.type.in_({ChatType.GROUP, ChatType.SUPERGROUP}))
async def on_group_reply(message: Message, state: FSMContext, lang: str, bot: Bot) -> None:
    """Someone answering a question the bot asked another person in a group (whose typing
    state is theirs alone). Other group messages stay unanswered: a group is not talking
    to the bot.
    """
    if not answers_someone_elses_request(message, bot.id) or await state.get_state() is not None:
        return
    await message.reply(t("prompt.not_yours", lang))
