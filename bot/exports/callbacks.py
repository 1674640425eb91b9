"""The Retry button under an export that failed or was interrupted by a restart."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import RowId
from bot.texts import t


class ExportCb(CallbackData, prefix="ex"):
    """Run the stored export ``id`` again."""

    id: RowId


def retry_keyboard(export_id: int, lang: str) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(
        text=t("btn.retry", lang), callback_data=ExportCb(id=export_id).pack()
    )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])
