"""Alert messages as Telegram HTML: one call, or several in one message. Pure functions;
everything that came from the API is escaped here."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

from bot.alerts.card import AlertCard
from bot.reports import fmt
from bot.reports.markup import fit
from bot.texts import t

SUMMARY_LIMIT: Final = 300
BUNDLE_SUMMARY_LIMIT: Final = 110
BUNDLE_LISTED: Final = 20
"""Calls listed (each with its buttons) in one message; the rest are counted."""
NAME_LIMIT: Final = 40


def _esc(value: object) -> str:
    return html.escape(str(value), quote=False)


def _one_line(text: str, limit: int) -> str:
    return _esc(fmt.truncate(" ".join(text.split()), limit))


@dataclass(frozen=True, slots=True)
class AlertContext:
    lang: str
    tz: ZoneInfo
    now: datetime  # the day of sending: calls of another local day show their date


def _when(card: AlertCard, ctx: AlertContext) -> str:
    local = card.moment.astimezone(ctx.tz)
    if local.date() == ctx.now.astimezone(ctx.tz).date():
        return f"{local:%H:%M}"
    return f"{local:%d.%m %H:%M}"


def _signals(card: AlertCard) -> str:
    return ", ".join(f"<b>{_esc(word)}</b>" for word in card.signals)


def _grades(card: AlertCard, lang: str) -> list[str]:
    parts: list[str] = []
    if card.rating is not None:
        parts.append(t("alerts.msg.rating", lang, n=card.rating))
    if card.score is not None:
        parts.append(t("alerts.msg.score", lang, n=fmt.percent(card.score, lang)))
    return parts


def render_alert(card: AlertCard, ctx: AlertContext) -> str:
    """The message about one critical call."""
    lang = ctx.lang
    operator = card.operator or t("alerts.msg.no_operator", lang)
    who = f"👤 <b>{_esc(fmt.truncate(operator, NAME_LIMIT))}</b>"
    if card.department:
        who += f" · {_esc(card.department)}"
    call = [
        f"🕒 {_when(card, ctx)}",
        f"{fmt.call_type_icon(card.call_type)} {fmt.call_type_name(card.call_type, lang)}",
        f"⏱ {fmt.clock(card.duration)}",
    ]
    lines = [t("alerts.msg.title", lang), who, " · ".join(call)]
    grades = _grades(card, lang)
    if grades:
        lines.append(" · ".join(grades))
    if card.signals:
        lines.append(t("alerts.msg.signals", lang, words=_signals(card)))
    if card.summary:
        lines.append(f"<i>{_one_line(card.summary, SUMMARY_LIMIT)}</i>")
    return fit("\n".join(lines))


def listed(cards: Sequence[AlertCard]) -> Sequence[AlertCard]:
    """The calls a message about ``cards`` lists one by one (and gives buttons)."""
    return cards[:BUNDLE_LISTED]


def render_bundle(cards: Sequence[AlertCard], ctx: AlertContext, *, quiet: bool) -> str:
    """One message listing several critical calls (``quiet``: held during quiet hours)."""
    lang = ctx.lang
    key = "alerts.msg.quiet" if quiet else "alerts.msg.many"
    lines = [t(key, lang, n=len(cards))]
    for number, card in enumerate(listed(cards), start=1):
        parts = [_when(card, ctx), _esc(fmt.short_name(card.operator, 24))]
        if card.department:
            parts.append(_esc(fmt.truncate(card.department, 30)))
        parts += _grades(card, lang)
        if card.signals:
            parts.append(_signals(card))
        lines.append(f"<b>{number}.</b> " + " · ".join(parts))
        if card.summary:
            lines.append(f"<i>{_one_line(card.summary, BUNDLE_SUMMARY_LIMIT)}</i>")
    rest = len(cards) - len(listed(cards))
    if rest > 0:
        lines.append(t("alerts.msg.more", lang, n=rest))
    return fit("\n".join(lines))
