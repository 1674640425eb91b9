"""The digest screens: the chat's list, a subscription's card and the editor's steps."""

from __future__ import annotations

from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.callbacks import MenuAction, MenuCb
from bot.digest.model import Cadence, Subscription
from bot.digest.naming import days_text, schedule_text
from bot.digest.render import rule_text
from bot.digest.service import DigestService
from bot.messages import esc, show
from bot.texts import t
from handlers.digests import keyboards as kb
from handlers.digests.callbacks import Step
from handlers.digests.describe import (
    attachment_text,
    button_label,
    card_text,
    list_line,
    period_text,
)
from handlers.digests.editing import next_step


async def show_list(
    target: Message | CallbackQuery, chat_id: int, digests: DigestService, lang: str
) -> None:
    subs = await digests.for_chat(chat_id)
    lines = [t("digest.list.title", lang)]
    labels: list[tuple[int, str]] = []
    if not subs:
        lines.append(t("digest.list.empty", lang))
    for number, sub in enumerate(subs, start=1):
        label = await digests.label(sub, lang)
        lines.append(list_line(number, sub, label, lang))
        labels.append((sub.id, button_label(number, sub, label, lang)))
    rows = kb.list_keyboard(labels, lang).inline_keyboard
    alerts = InlineKeyboardButton(
        text=t("btn.alerts", lang), callback_data=MenuCb(action=MenuAction.ALERTS).pack()
    )
    # The chat's alert rules, just above the way back to the menu.
    markup = InlineKeyboardMarkup(inline_keyboard=[*rows[:-1], [alerts], *rows[-1:]])
    await show(target, "\n\n".join(lines), markup)


async def show_card(
    target: Message | CallbackQuery,
    sub: Subscription,
    digests: DigestService,
    lang: str,
    header: str | None = None,
) -> None:
    label = await digests.label(sub, lang)
    last = await digests.last_run(sub.id)
    text = card_text(sub, lang, label, last, header=header)
    await show(target, text, kb.card_keyboard(sub, lang))


async def show_step(
    target: Message | CallbackQuery,
    step: Step,
    sub: Subscription,
    digests: DigestService,
    lang: str,
) -> None:
    sid = sub.id
    markup: InlineKeyboardMarkup
    match step:
        case Step.TIME:
            text = t("digest.ask.time", lang, current=schedule_text(sub, lang))
            markup = kb.time_keyboard(sid, lang, digests.now())
        case Step.DAYS:
            key = {
                Cadence.DAILY: "digest.ask.days",
                Cadence.WEEKLY: "digest.ask.days_weekly",
                Cadence.MONTHLY: "digest.ask.days_monthly",
            }[sub.schedule.cadence]
            text = t(key, lang, days=days_text(sub.schedule, lang), period=period_text(sub, lang))
            markup = kb.days_keyboard(sub, lang)
        case Step.SCOPE:
            label = await digests.label(sub, lang)
            text = t("digest.ask.scope", lang, current=label or t("digest.scope.all", lang))
            markup = kb.scope_keyboard(sid, lang)
        case Step.RULE:
            text = t("digest.ask.rule", lang, rule=rule_text(sub.rule, lang))
            markup = kb.rule_keyboard(sub, lang)
        case Step.FILE:
            empty = t("digest.empty.skip" if sub.skip_empty else "digest.empty.send", lang)
            text = t("digest.ask.file", lang, current=attachment_text(sub, lang), empty=empty)
            markup = kb.file_keyboard(sub, lang)
        case Step.CONFIRM:
            if sid:
                await show_card(target, sub, digests, lang)
                return
            label = await digests.label(sub, lang)
            text = card_text(sub, lang, label, header=t("digest.ask.confirm", lang))
            markup = kb.confirm_keyboard(lang)
    await show(target, text, markup)


async def after_change(
    target: Message | CallbackQuery,
    sub: Subscription,
    step: Step,
    digests: DigestService,
    lang: str,
    *,
    advance: bool,
) -> None:
    """The wizard moves on after a one-tap choice; editing stays on the screen."""
    if sub.id == 0 and advance:
        await show_step(target, next_step(step), sub, digests, lang)
    else:
        await show_step(target, step, sub, digests, lang)


async def show_signals(
    target: Message | CallbackQuery, sub: Subscription, offered: list[str], lang: str
) -> None:
    chosen = list(sub.rule.signals)
    # Words chosen by typing stay visible even when the catalog does not know them.
    shown = offered + [word for word in chosen if word not in offered]
    text = t(
        "digest.ask.signals",
        lang,
        chosen=esc(", ".join(chosen)) if chosen else t("digest.signals.none", lang),
    )
    await show(target, text, kb.signals_keyboard(sub.id, shown, chosen, lang))
