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
from bot.alerts.model import AlertRule, ScopeKind
from bot.digest.model import PauseReason
from bot.reports import fmt
from bot.reports.markup import fit
from bot.texts import t

SUMMARY_LIMIT: Final = 160
"""An alert's summary is its first sentence, cut to this: a line or two on a phone."""
BUNDLE_SUMMARY_LIMIT: Final = 110
BUNDLE_LISTED: Final = 20
"""Calls listed (each with its buttons) in one message; the rest are counted."""
NAME_LIMIT: Final = 40


def _esc(value: object) -> str:
    return html.escape(str(value), quote=False)


def _one_line(text: str, limit: int) -> str:
    """The first sentence of ``text`` on one line, cut to ``limit``."""
    flat = " ".join(text.split())
    ends = [flat.find(mark) for mark in (". ", "! ", "? ")]
    first = min((end for end in ends if end > 0), default=-1)
    if first > 0:
        flat = flat[: first + 1]
    return _esc(fmt.truncate(flat, limit))


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


def rule_scope(rule: AlertRule, lang: str) -> str:
    """The rule's calls in words, by ids (the owner's catalog may be gone with the
    connection)."""
    scope = rule.scope
    match scope.kind:
        case ScopeKind.DEPARTMENT:
            return t("alerts.scope.dep", lang, name=scope.department_id)
        case ScopeKind.OPERATOR:
            assert scope.operator is not None
            name = _esc(fmt.truncate(scope.operator.name, NAME_LIMIT))
            return t("alerts.scope.op", lang, name=name)
        case ScopeKind.PACK:
            return t("alerts.scope.qp", lang, name=scope.pack_id)
    return t("alerts.scope.all", lang)


_OWNER_LOST: Final[dict[PauseReason, tuple[str, str]]] = {
    PauseReason.DISCONNECTED: (
        "alerts.owner_lost.disconnected",
        "alerts.owner_lost.disconnected.own",
    ),
    PauseReason.NOT_ALLOWED: ("alerts.owner_lost.not_allowed", "alerts.owner_lost.not_allowed.own"),
}


def render_owner_lost(rules: Sequence[AlertRule], reason: PauseReason, lang: str) -> str:
    """The one message telling a chat that its rules fed by one owner are paused: the owner
    disconnected or lost access to the bot (``reason``, one of ``OWNER_LOST``)."""
    group, own = _OWNER_LOST[reason]
    owner = rules[0]
    lines = "\n".join(
        t("alerts.owner_lost.rule", lang, id=rule.id, scope=rule_scope(rule, lang))
        for rule in rules
    )
    if owner.chat_id == owner.owner_user_id:
        return fit(t(own, lang, rules=lines))
    name = (
        _esc(fmt.truncate(owner.owner_name, NAME_LIMIT))
        if owner.owner_name
        else owner.owner_user_id
    )
    return fit(t(group, lang, name=name, rules=lines))
