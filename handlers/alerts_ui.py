"""The Telegram side of alert buttons: Open (the call card) and Handled ✓ per call."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import DialogId, RowId
from bot.texts import t


class AlertAction(StrEnum):
    OPEN = "o"
    HANDLED = "h"


class AlertCb(CallbackData, prefix="al"):
    """``al:o:<rule>:<dialog>``: ids only, well within Telegram's 64 bytes."""

    action: AlertAction
    rule: RowId
    dialog: DialogId


class TelegramAlertButtons:
    """One row per call: Open and Handled ✓ (numbered when the message lists several)."""

    def for_calls(self, calls: Sequence[tuple[int, int]], lang: str) -> InlineKeyboardMarkup | None:
        if not calls:
            return None
        numbered = len(calls) > 1
        rows: list[list[InlineKeyboardButton]] = []
        for number, (rule_id, dialog_id) in enumerate(calls, start=1):
            prefix = f"{number}. " if numbered else ""
            rows.append(
                [
                    InlineKeyboardButton(
                        text=prefix + t("alerts.button.open", lang),
                        callback_data=AlertCb(
                            action=AlertAction.OPEN, rule=rule_id, dialog=dialog_id
                        ).pack(),
                    ),
                    InlineKeyboardButton(
                        text=prefix + t("alerts.button.handled", lang),
                        callback_data=AlertCb(
                            action=AlertAction.HANDLED, rule=rule_id, dialog=dialog_id
                        ).pack(),
                    ),
                ]
            )
        return InlineKeyboardMarkup(inline_keyboard=rows)
