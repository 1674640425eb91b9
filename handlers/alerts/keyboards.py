"""Inline keyboards of the /alerts screens."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.alerts.model import AlertRule, ScopeKind
from bot.callbacks import MenuAction, MenuCb
from bot.reports import fmt
from bot.texts import t
from handlers.alerts.callbacks import AlertRuleCb, AlertSetCb, Field, RuleAction, Step
from handlers.alerts.editing import QUIET_PRESETS, RATINGS, SCORES

Callback = AlertRuleCb | AlertSetCb | MenuCb


def _button(text: str, callback: Callback) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=callback.pack())


def _set(field: Field, rid: int, value: str = "") -> AlertSetCb:
    return AlertSetCb(field=field, rid=rid, value=value)


def _rule(action: RuleAction, rid: int = 0) -> AlertRuleCb:
    return AlertRuleCb(action=action, rid=rid)


def _mark(on: bool, text: str) -> str:
    return f"✅ {text}" if on else text


def list_keyboard(labels: Sequence[tuple[int, str]], lang: str) -> InlineKeyboardMarkup:
    """``labels``: (rule id, button text)."""
    builder = InlineKeyboardBuilder()
    for rid, label in labels:
        builder.row(_button(label, _rule(RuleAction.VIEW, rid)))
    builder.row(_button(t("alerts.btn.new", lang), _rule(RuleAction.NEW)))
    builder.row(_button(t("btn.menu", lang), MenuCb(action=MenuAction.MENU)))
    return builder.as_markup()


def card_keyboard(rule: AlertRule, lang: str) -> InlineKeyboardMarkup:
    rid = rule.id
    builder = InlineKeyboardBuilder()
    builder.row(
        _button(t("alerts.btn.scope", lang), _set(Field.OPEN, rid, Step.SCOPE)),
        _button(t("alerts.btn.conditions", lang), _set(Field.OPEN, rid, Step.CONDITIONS)),
    )
    builder.row(
        _button(t("alerts.btn.quiet", lang), _set(Field.OPEN, rid, Step.QUIET)),
        _button(t("alerts.btn.test", lang), _rule(RuleAction.TEST, rid)),
    )
    toggle = (
        _button(t("alerts.btn.resume", lang), _rule(RuleAction.RESUME, rid))
        if rule.paused
        else _button(t("alerts.btn.pause", lang), _rule(RuleAction.PAUSE, rid))
    )
    builder.row(toggle, _button(t("alerts.btn.delete", lang), _rule(RuleAction.DELETE, rid)))
    builder.row(_button(t("alerts.btn.list", lang), _rule(RuleAction.LIST)))
    return builder.as_markup()


def confirm_delete_keyboard(rid: int, lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(t("alerts.btn.delete_yes", lang), _rule(RuleAction.DELETE_OK, rid)),
                _button(t("alerts.btn.delete_no", lang), _rule(RuleAction.VIEW, rid)),
            ]
        ]
    )


def _footer(builder: InlineKeyboardBuilder, rid: int, step: Step, lang: str) -> None:
    """Next (wizard) or back to the card (editing a stored rule)."""
    if rid:
        builder.row(_button(t("alerts.btn.done", lang), _set(Field.NEXT, rid, step)))
    else:
        builder.row(
            _button(t("btn.cancel", lang), _rule(RuleAction.CANCEL)),
            _button(t("alerts.btn.next", lang), _set(Field.NEXT, rid, step)),
        )


def scope_keyboard(rid: int, lang: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for kind in ScopeKind:
        builder.row(
            _button(t(f"alerts.btn.scope_{kind.value}", lang), _set(Field.SCOPE, rid, kind))
        )
    _footer(builder, rid, Step.SCOPE, lang)
    return builder.as_markup()


def scope_items_keyboard(
    rid: int, kind: ScopeKind, labels: Sequence[str], lang: str
) -> InlineKeyboardMarkup:
    """One button per offered value (chosen by index), typing, and back to the kinds."""
    builder = InlineKeyboardBuilder()
    for index, label in enumerate(labels):
        builder.add(_button(fmt.truncate(label, 40), _set(Field.SCOPE_ITEM, rid, str(index))))
    builder.adjust(2)
    builder.row(
        _button(t(f"alerts.btn.type_{kind.value}", lang), _set(Field.SCOPE_TYPE, rid, kind))
    )
    builder.row(_button(t("btn.back", lang), _set(Field.OPEN, rid, Step.SCOPE)))
    return builder.as_markup()


def conditions_keyboard(rule: AlertRule, lang: str) -> InlineKeyboardMarkup:
    rid, conditions = rule.id, rule.conditions
    off = t("alerts.btn.off", lang)
    builder = InlineKeyboardBuilder()
    builder.row(
        *(
            _button(
                _mark(conditions.max_rating == n, t("alerts.btn.rating", lang, n=n)),
                _set(Field.RATING, rid, str(n)),
            )
            for n in RATINGS
        )
    )
    builder.row(
        _button(_mark(conditions.max_rating is None, f"⭐ {off}"), _set(Field.RATING, rid, "0"))
    )
    builder.row(
        *(
            _button(
                _mark(conditions.min_score == n, t("alerts.btn.score", lang, n=n)),
                _set(Field.SCORE, rid, str(n)),
            )
            for n in SCORES
        ),
        _button(_mark(conditions.min_score is None, f"📋 {off}"), _set(Field.SCORE, rid, "0")),
    )
    builder.row(
        _button(t("alerts.btn.signals", lang, n=len(conditions.signals)), _set(Field.SIGNALS, rid))
    )
    _footer(builder, rid, Step.CONDITIONS, lang)
    return builder.as_markup()


def signals_keyboard(
    rid: int, offered: Sequence[str], chosen: Collection[str], lang: str
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for index, word in enumerate(offered):
        builder.add(
            _button(
                _mark(word in chosen, fmt.truncate(word, 30)),
                _set(Field.SIGNAL_ITEM, rid, str(index)),
            )
        )
    builder.adjust(2)
    builder.row(_button(t("alerts.btn.type_signal", lang), _set(Field.SIGNAL_TYPE, rid)))
    builder.row(_button(t("btn.back", lang), _set(Field.OPEN, rid, Step.CONDITIONS)))
    return builder.as_markup()


def quiet_keyboard(rule: AlertRule, lang: str) -> InlineKeyboardMarkup:
    rid = rule.id
    builder = InlineKeyboardBuilder()
    for index, preset in enumerate(QUIET_PRESETS):
        label = f"{preset.start:%H:%M}–{preset.end:%H:%M}"
        builder.add(_button(_mark(rule.quiet == preset, label), _set(Field.QUIET, rid, str(index))))
    builder.adjust(2)
    builder.row(
        _button(
            _mark(rule.quiet is None, t("alerts.btn.quiet_off", lang)),
            _set(Field.QUIET, rid, str(len(QUIET_PRESETS))),
        )
    )
    _footer(builder, rid, Step.QUIET, lang)
    return builder.as_markup()


def confirm_keyboard(lang: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.row(_button(t("alerts.btn.create", lang), _set(Field.CREATE, 0)))
    builder.row(
        _button(t("alerts.btn.scope", lang), _set(Field.OPEN, 0, Step.SCOPE)),
        _button(t("alerts.btn.conditions", lang), _set(Field.OPEN, 0, Step.CONDITIONS)),
    )
    builder.row(
        _button(t("alerts.btn.quiet", lang), _set(Field.OPEN, 0, Step.QUIET)),
        _button(t("btn.cancel", lang), _rule(RuleAction.CANCEL)),
    )
    return builder.as_markup()
