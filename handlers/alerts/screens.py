"""The /alerts screens: the chat's rules, a rule's card and the editor's steps.

Texts are HTML: every value from users and the API (names, words, titles) is escaped here.
"""

from __future__ import annotations

import html

from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.alerts.model import AlertRule, ScopeKind
from bot.alerts.service import AlertService
from bot.digest.model import PauseReason
from bot.messages import esc, show
from bot.reports import fmt
from bot.texts import t
from handlers.alerts import keyboards as kb
from handlers.alerts.callbacks import Step
from handlers.alerts.editing import next_step


async def scope_text(rule: AlertRule, alerts: AlertService, lang: str) -> str:
    """``отдел Продажи (12)`` and the like, escaped."""
    scope = rule.scope
    match scope.kind:
        case ScopeKind.DEPARTMENT:
            name, _ = await alerts.scope_names(rule)
            shown = f"{esc(name)} ({scope.department_id})" if name else str(scope.department_id)
            return t("alerts.scope.dep", lang, name=shown)
        case ScopeKind.OPERATOR:
            assert scope.operator is not None
            return t("alerts.scope.op", lang, name=esc(scope.operator.name))
        case ScopeKind.PACK:
            _, title = await alerts.scope_names(rule)
            shown = f"{esc(title)} ({scope.pack_id})" if title else str(scope.pack_id)
            return t("alerts.scope.qp", lang, name=shown)
    return t("alerts.scope.all", lang)


def conditions_text(rule: AlertRule, lang: str) -> str:
    conditions = rule.conditions
    parts: list[str] = []
    if conditions.max_rating is not None:
        parts.append(t("alerts.cond.rating", lang, n=conditions.max_rating))
    if conditions.min_score is not None:
        parts.append(t("alerts.cond.score", lang, n=fmt.decimal(conditions.min_score, lang)))
    if conditions.signals:
        words = ", ".join(f"«{esc(word)}»" for word in conditions.signals)
        parts.append(t("alerts.cond.signals", lang, words=words))
    return t("alerts.cond.or", lang).join(parts)


def quiet_text(rule: AlertRule, lang: str) -> str:
    if rule.quiet is None:
        return t("alerts.quiet.off", lang)
    return t(
        "alerts.quiet.range", lang, start=f"{rule.quiet.start:%H:%M}", end=f"{rule.quiet.end:%H:%M}"
    )


async def card_text(
    rule: AlertRule, alerts: AlertService, lang: str, *, chat_title: str | None, header: str | None
) -> str:
    """The rule's screen (also the wizard's confirmation)."""
    lines: list[str] = []
    if header:
        lines.append(header)
    lines.append(
        t("alerts.card.title", lang, id=rule.id) if rule.id else t("alerts.card.draft", lang)
    )
    if chat_title:
        lines.append(t("alerts.card.chat", lang, title=esc(chat_title)))
    if rule.thread_id is not None:
        lines.append(t("alerts.card.topic", lang, id=rule.thread_id))
    lines.append(t("alerts.card.scope", lang, value=await scope_text(rule, alerts, lang)))
    lines.append(t("alerts.card.conditions", lang, value=conditions_text(rule, lang)))
    quiet = (
        quiet_text(rule, lang) + f" ({esc(rule.timezone)})"
        if rule.quiet
        else quiet_text(rule, lang)
    )
    lines.append(t("alerts.card.quiet", lang, value=quiet))
    if rule.owner_name:
        lines.append(t("alerts.card.owner", lang, name=esc(rule.owner_name)))
    if rule.id:
        lines.append(status_text(rule, lang))
        if rule.owner_lost and await alerts.feeding(rule) is None:
            lines.append(t("alerts.card.rebind", lang))
    return "\n".join(lines)


_TOLD: dict[PauseReason | None, str] = {
    PauseReason.DISCONNECTED: "alerts.card.paused.disconnected",
    PauseReason.NOT_ALLOWED: "alerts.card.paused.not_allowed",
    PauseReason.BLOCKED: "alerts.card.paused.blocked",
}
"""Pauses whose reason the card and the list name (a person's pause needs none)."""


def status_text(rule: AlertRule, lang: str) -> str:
    """``▶️ Active``, ``⏸ Paused`` or ``⏸ Paused: owner disconnected`` and the like."""
    if not rule.paused:
        return t("alerts.card.active", lang)
    return t(_TOLD.get(rule.pause_reason, "alerts.card.paused"), lang)


def _chat_title(target: Message | CallbackQuery) -> str | None:
    message = target if isinstance(target, Message) else target.message
    if message is None or message.chat.type == "private":
        return None
    return message.chat.title


async def show_list(
    target: Message | CallbackQuery, chat_id: int, alerts: AlertService, lang: str
) -> None:
    rules = await alerts.for_chat(chat_id)
    lines = [t("alerts.list.title", lang)]
    labels: list[tuple[int, str]] = []
    if not rules:
        lines.append(t("alerts.list.empty", lang))
    for number, rule in enumerate(rules, start=1):
        icon = "⏸" if rule.paused else "🚨"
        scope = await scope_text(rule, alerts, lang)
        if rule.thread_id is not None:
            scope += " · " + t("alerts.topic", lang, id=rule.thread_id)
        line = t(
            "alerts.list.line",
            lang,
            number=number,
            icon=icon,
            scope=scope,
            conditions=conditions_text(rule, lang),
            quiet=quiet_text(rule, lang),
        )
        if rule.paused and rule.pause_reason in _TOLD:
            line += "\n    " + status_text(rule, lang)
        lines.append(line)
        plain = html.unescape(f"{number}. {icon} {scope}")
        labels.append((rule.id, fmt.truncate(plain, 60)))
    await show(target, "\n\n".join(lines), kb.list_keyboard(labels, lang))


async def show_card(
    target: Message | CallbackQuery,
    rule: AlertRule,
    alerts: AlertService,
    lang: str,
    header: str | None = None,
) -> None:
    text = await card_text(rule, alerts, lang, chat_title=_chat_title(target), header=header)
    await show(target, text, kb.card_keyboard(rule, lang))


async def show_step(
    target: Message | CallbackQuery, step: Step, rule: AlertRule, alerts: AlertService, lang: str
) -> None:
    markup: InlineKeyboardMarkup
    match step:
        case Step.SCOPE:
            current = await scope_text(rule, alerts, lang)
            text = t("alerts.ask.scope", lang, current=current)
            markup = kb.scope_keyboard(rule.id, lang)
        case Step.CONDITIONS:
            text = t("alerts.ask.conditions", lang, current=conditions_text(rule, lang))
            markup = kb.conditions_keyboard(rule, lang)
        case Step.QUIET:
            text = t(
                "alerts.ask.quiet", lang, tz=esc(rule.timezone), current=quiet_text(rule, lang)
            )
            markup = kb.quiet_keyboard(rule, lang)
        case Step.CONFIRM:
            if rule.id:
                await show_card(target, rule, alerts, lang)
                return
            header = t("alerts.ask.confirm", lang)
            text = await card_text(
                rule, alerts, lang, chat_title=_chat_title(target), header=header
            )
            markup = kb.confirm_keyboard(lang)
    await show(target, text, markup)


async def after_change(
    target: Message | CallbackQuery,
    rule: AlertRule,
    step: Step,
    alerts: AlertService,
    lang: str,
    *,
    advance: bool,
) -> None:
    """The wizard moves on after a choice that settles a step; editing stays on the screen."""
    if rule.id == 0 and advance:
        await show_step(target, next_step(step), rule, alerts, lang)
    else:
        await show_step(target, step, rule, alerts, lang)


async def show_signals(
    target: Message | CallbackQuery, rule: AlertRule, offered: list[str], lang: str
) -> None:
    chosen = list(rule.conditions.signals)
    # Words chosen by typing stay visible even when the catalog does not know them.
    shown = offered + [word for word in chosen if word not in offered]
    text = t(
        "alerts.ask.signals",
        lang,
        chosen=esc(", ".join(chosen)) if chosen else t("alerts.signals.none", lang),
    )
    await show(target, text, kb.signals_keyboard(rule.id, shown, chosen, lang))
