"""Inline keyboards of the digest screens and of digest messages."""

from __future__ import annotations

import html
from collections.abc import Collection, Sequence
from datetime import datetime

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks import MenuAction, MenuCb
from bot.digest.model import (
    TIME_PRESETS,
    Attachment,
    Cadence,
    DaysMode,
    PeriodMode,
    ScopeKind,
    Subscription,
)
from bot.digest.render import DigestItem
from bot.input.zones import zone_label
from bot.keyboards import COMMON_TIMEZONES
from bot.reports import fmt
from bot.texts import t
from handlers.digests.callbacks import (
    CallAction,
    DigestAction,
    DigestCallCb,
    DigestCb,
    DigestSetCb,
    Field,
    Step,
    Toggle,
)

Callback = DigestCb | DigestSetCb | DigestCallCb | MenuCb


def _button(text: str, callback: Callback) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=callback.pack())


def _set(field: Field, sid: int, value: str = "") -> DigestSetCb:
    return DigestSetCb(field=field, sid=sid, value=value)


def _check(on: bool) -> str:
    return "✅" if on else "▫️"


# ---------------------------------------------------------------- digest messages


def digest_message_keyboard(
    row_id: int, items: Sequence[DigestItem], handled: Collection[int], lang: str
) -> InlineKeyboardMarkup:
    """Per listed call: open its card, and mark it handled until someone has."""
    rows: list[list[InlineKeyboardButton]] = []
    for item in items:
        row = [
            _button(
                f"🔎 {item.label}", DigestCallCb(action=CallAction.OPEN, m=row_id, d=item.dialog_id)
            )
        ]
        if item.dialog_id not in handled:
            row.append(
                _button(
                    t("digest.btn.handled", lang),
                    DigestCallCb(action=CallAction.HANDLED, m=row_id, d=item.dialog_id),
                )
            )
        rows.append(row)
    return InlineKeyboardMarkup(inline_keyboard=rows)


# ---------------------------------------------------------------- list and card


def list_keyboard(labels: Sequence[tuple[int, str]], lang: str) -> InlineKeyboardMarkup:
    """``labels``: (subscription id, button text)."""
    builder = InlineKeyboardBuilder()
    for sid, label in labels:
        builder.row(_button(label, DigestCb(action=DigestAction.VIEW, sid=sid)))
    builder.row(_button(t("digest.btn.new", lang), DigestCb(action=DigestAction.NEW)))
    builder.row(_button(t("btn.menu", lang), MenuCb(action=MenuAction.MENU)))
    return builder.as_markup()


def card_keyboard(sub: Subscription, lang: str) -> InlineKeyboardMarkup:
    sid = sub.id
    builder = InlineKeyboardBuilder()
    builder.row(
        _button(t("digest.btn.time", lang), _set(Field.OPEN, sid, Step.TIME)),
        _button(t("digest.btn.days", lang), _set(Field.OPEN, sid, Step.DAYS)),
    )
    builder.row(
        _button(t("digest.btn.scope", lang), _set(Field.OPEN, sid, Step.SCOPE)),
        _button(t("digest.btn.rule", lang), _set(Field.OPEN, sid, Step.RULE)),
    )
    builder.row(_button(t("digest.btn.file", lang), _set(Field.OPEN, sid, Step.FILE)))
    builder.row(
        _button(t("digest.btn.send_now", lang), DigestCb(action=DigestAction.SEND_NOW, sid=sid))
    )
    toggle = (
        _button(t("digest.btn.resume", lang), DigestCb(action=DigestAction.RESUME, sid=sid))
        if sub.paused
        else _button(t("digest.btn.pause", lang), DigestCb(action=DigestAction.PAUSE, sid=sid))
    )
    builder.row(
        toggle, _button(t("digest.btn.delete", lang), DigestCb(action=DigestAction.DELETE, sid=sid))
    )
    builder.row(_button(t("digest.btn.list", lang), DigestCb(action=DigestAction.LIST)))
    return builder.as_markup()


class TelegramDigestButtons:
    """The buttons digest messages carry, for ``bot.digest.buttons.DigestButtons``."""

    def under_digest(
        self, row_id: int, items: Sequence[DigestItem], handled: Collection[int], lang: str
    ) -> InlineKeyboardMarkup | None:
        markup = digest_message_keyboard(row_id, items, handled, lang)
        return markup if markup.inline_keyboard else None

    def send_now(self, sub_id: int, lang: str) -> InlineKeyboardMarkup | None:
        return send_now_keyboard(sub_id, lang)


def send_now_keyboard(sid: int, lang: str) -> InlineKeyboardMarkup:
    """Under a digest that failed, or whose file did: the way to get it (Send now again)."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(
                    t("digest.btn.send_now", lang), DigestCb(action=DigestAction.SEND_NOW, sid=sid)
                )
            ]
        ]
    )


def confirm_delete_keyboard(sid: int, lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(
                    t("digest.btn.delete_yes", lang),
                    DigestCb(action=DigestAction.DELETE_OK, sid=sid),
                ),
                _button(
                    t("digest.btn.delete_no", lang), DigestCb(action=DigestAction.VIEW, sid=sid)
                ),
            ]
        ]
    )


def _footer(builder: InlineKeyboardBuilder, sid: int, step: Step, lang: str) -> None:
    """Next (wizard) or back to the card (editing a stored subscription)."""
    if sid:
        builder.row(_button(t("digest.btn.done", lang), _set(Field.NEXT, sid, step)))
    else:
        builder.row(
            _button(t("btn.cancel", lang), DigestCb(action=DigestAction.CANCEL)),
            _button(t("digest.btn.next", lang), _set(Field.NEXT, sid, step)),
        )


# ---------------------------------------------------------------- editor screens


def time_keyboard(sid: int, lang: str, now: datetime) -> InlineKeyboardMarkup:
    """Time presets and the common zones with their offsets at ``now``."""
    builder = InlineKeyboardBuilder()
    builder.row(
        *(
            _button(f"{hour:02d}:{minute:02d}", _set(Field.TIME, sid, f"{hour:02d}{minute:02d}"))
            for hour, minute in TIME_PRESETS
        )
    )
    builder.row(_button(t("digest.btn.type_time", lang), _set(Field.TIME_TYPE, sid)))
    zones = [
        _button(zone_label(name, now, lang), _set(Field.TZ, sid, str(index)))
        for index, name in enumerate(COMMON_TIMEZONES)
    ]
    for start in range(0, len(zones), 2):
        builder.row(*zones[start : start + 2])
    builder.row(_button(t("digest.btn.type_tz", lang), _set(Field.TZ_TYPE, sid)))
    _footer(builder, sid, Step.TIME, lang)
    return builder.as_markup()


def days_keyboard(sub: Subscription, lang: str) -> InlineKeyboardMarkup:
    sid = sub.id
    schedule = sub.schedule
    builder = InlineKeyboardBuilder()
    modes = (
        (DaysMode.DAILY, "digest.days.daily"),
        (DaysMode.WORKDAYS, "digest.days.work"),
    )
    daily = schedule.cadence is Cadence.DAILY
    builder.row(
        *(
            _button(
                f"{_check(daily and schedule.days is mode)} {t(key, lang)}",
                _set(Field.DAYS, sid, mode),
            )
            for mode, key in modes
        )
    )
    builder.row(
        *(
            _button(
                f"{_check(schedule.cadence is cadence)} "
                f"{t(f'digest.btn.cadence_{cadence.value}', lang)}",
                _set(Field.CADENCE, sid, cadence),
            )
            for cadence in (Cadence.WEEKLY, Cadence.MONTHLY)
        )
    )
    names = t("digest.weekdays", lang).split(",")
    chosen = schedule.weekdays if schedule.days is DaysMode.WEEKDAYS else frozenset()
    builder.row(
        *(
            _button(
                ("✅" if day in chosen else "") + names[day], _set(Field.WEEKDAY, sid, str(day))
            )
            for day in range(7)
        )
    )
    periods = (
        (PeriodMode.AUTO, "digest.btn.period_auto"),
        (PeriodMode.DAY, "digest.btn.period_day"),
        (PeriodMode.WEEK, "digest.btn.period_week"),
    )
    if daily:  # a weekly or monthly digest always covers the previous week or month
        builder.row(
            *(
                _button(
                    f"{_check(sub.period is mode)} {t(key, lang)}", _set(Field.PERIOD, sid, mode)
                )
                for mode, key in periods
            )
        )
    _footer(builder, sid, Step.DAYS, lang)
    return builder.as_markup()


def scope_keyboard(sid: int, lang: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for kind in ScopeKind:
        builder.row(
            _button(t(f"digest.btn.scope_{kind.value}", lang), _set(Field.SCOPE, sid, kind))
        )
    _footer(builder, sid, Step.SCOPE, lang)
    return builder.as_markup()


def scope_items_keyboard(
    sid: int, kind: ScopeKind, labels: Sequence[str], lang: str
) -> InlineKeyboardMarkup:
    """One button per offered value (chosen by index), typing, and back to the kinds."""
    builder = InlineKeyboardBuilder()
    for index, label in enumerate(labels):
        builder.add(_button(fmt.truncate(label, 40), _set(Field.SCOPE_ITEM, sid, str(index))))
    builder.adjust(2)
    builder.row(
        _button(t(f"digest.btn.type_{kind.value}", lang), _set(Field.SCOPE_TYPE, sid, kind))
    )
    builder.row(_button(t("btn.back", lang), _set(Field.OPEN, sid, Step.SCOPE)))
    return builder.as_markup()


def rule_keyboard(sub: Subscription, lang: str) -> InlineKeyboardMarkup:
    sid, rule = sub.id, sub.rule
    builder = InlineKeyboardBuilder()
    builder.row(
        _button(
            f"{_check(rule.rating_on)} {t('digest.rule.rating', lang, n=rule.max_rating)}",
            _set(Field.RATING, sid, Toggle.SWITCH),
        ),
        _button("−", _set(Field.RATING, sid, Toggle.DOWN)),
        _button("+", _set(Field.RATING, sid, Toggle.UP)),
    )
    builder.row(
        _button(
            f"{_check(rule.score_on)} "
            + html.unescape(t("digest.rule.score", lang, n=fmt.decimal(rule.min_score, lang))),
            _set(Field.SCORE, sid, Toggle.SWITCH),
        ),
        _button("−", _set(Field.SCORE, sid, Toggle.DOWN)),
        _button("+", _set(Field.SCORE, sid, Toggle.UP)),
    )
    signals_on = rule.signals_on and bool(rule.signals)
    builder.row(
        _button(
            f"{_check(signals_on)} {t('digest.btn.signals', lang, n=len(rule.signals))}",
            _set(Field.SIGNALS, sid, Toggle.SWITCH),
        )
    )
    _footer(builder, sid, Step.RULE, lang)
    return builder.as_markup()


def signals_keyboard(
    sid: int, offered: Sequence[str], chosen: Collection[str], lang: str
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for index, word in enumerate(offered):
        mark = "✅ " if word in chosen else ""
        builder.add(
            _button(mark + fmt.truncate(word, 30), _set(Field.SIGNAL_ITEM, sid, str(index)))
        )
    builder.adjust(2)
    builder.row(_button(t("digest.btn.type_signal", lang), _set(Field.SIGNAL_TYPE, sid)))
    builder.row(_button(t("btn.back", lang), _set(Field.OPEN, sid, Step.RULE)))
    return builder.as_markup()


def file_keyboard(sub: Subscription, lang: str) -> InlineKeyboardMarkup:
    sid = sub.id
    builder = InlineKeyboardBuilder()
    builder.row(
        *(
            _button(
                f"{_check(sub.attachment is kind)} {t(f'digest.attach.{kind.value}', lang)}",
                _set(Field.ATTACH, sid, kind),
            )
            for kind in Attachment
        )
    )
    builder.row(
        _button(f"{_check(sub.chart)} {t('digest.btn.chart', lang)}", _set(Field.CHART, sid))
    )
    builder.row(
        _button(
            f"{_check(sub.skip_empty)} {t('digest.btn.skip_empty', lang)}", _set(Field.SKIP, sid)
        )
    )
    _footer(builder, sid, Step.FILE, lang)
    return builder.as_markup()


def confirm_keyboard(lang: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.row(_button(t("digest.btn.create", lang), _set(Field.CREATE, 0)))
    builder.row(
        _button(t("digest.btn.time", lang), _set(Field.OPEN, 0, Step.TIME)),
        _button(t("digest.btn.days", lang), _set(Field.OPEN, 0, Step.DAYS)),
    )
    builder.row(
        _button(t("digest.btn.scope", lang), _set(Field.OPEN, 0, Step.SCOPE)),
        _button(t("digest.btn.rule", lang), _set(Field.OPEN, 0, Step.RULE)),
    )
    builder.row(
        _button(t("digest.btn.file", lang), _set(Field.OPEN, 0, Step.FILE)),
        _button(t("btn.cancel", lang), DigestCb(action=DigestAction.CANCEL)),
    )
    return builder.as_markup()


def back_to_list(lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(t("digest.btn.list", lang), DigestCb(action=DigestAction.LIST))]]
    )
