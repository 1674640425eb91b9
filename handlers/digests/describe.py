"""Describing a subscription on the digest screens: its list line, card, state and last run.

Returns HTML-safe text (values from users and the API are escaped here). How a digest names
itself in its own messages (scope, schedule) lives in ``bot.digest.naming``.
"""

from __future__ import annotations

import html
from datetime import datetime

from bot.digest.model import WORKING_DAYS, PeriodMode, Subscription
from bot.digest.naming import esc, schedule_text
from bot.digest.render import period_label, rule_text
from bot.digest.schedule import zone
from bot.reports import fmt
from bot.texts import t
from storage.digests import DigestRun, RunState


def period_text(sub: Subscription, lang: str) -> str:
    if sub.schedule.periodic:
        return t(f"digest.period.{sub.schedule.cadence.value}_full", lang)
    match sub.period:
        case PeriodMode.DAY:
            return t("digest.period.day", lang)
        case PeriodMode.WEEK:
            return t("digest.period.week", lang)
        case PeriodMode.AUTO:
            run_days = sub.schedule.run_days
            if len(run_days) == 7:
                return t("digest.period.day", lang)
            if run_days == WORKING_DAYS:
                return t("digest.period.auto_work", lang)
            return t("digest.period.auto", lang)


def attachment_text(sub: Subscription, lang: str) -> str:
    parts = [t(f"digest.attach.{sub.attachment.value}", lang)]
    parts.append(t("digest.chart.on" if sub.chart else "digest.chart.off", lang))
    return " · ".join(parts)


def local_moment(moment: datetime, sub: Subscription, lang: str) -> str:
    local = moment.astimezone(zone(sub.schedule))
    return f"{esc(period_label(local.date(), local.date(), lang))}, {local:%H:%M}"


def state_text(sub: Subscription, lang: str) -> str:
    if sub.paused:
        reason = sub.pause_reason.value if sub.pause_reason else "user"
        text = t(f"digest.paused.{reason}", lang)
        if sub.pause_detail:
            text += f" ({esc(fmt.truncate(sub.pause_detail, 120))})"
        return text
    if sub.next_run is None:
        return t("digest.next.none", lang)
    return t("digest.next.at", lang, when=local_moment(sub.next_run, sub, lang))


def list_line(number: int, sub: Subscription, label: str | None, lang: str) -> str:
    icon = "⏸" if sub.paused else "⏰"
    scope = label or t("digest.scope.all", lang)
    where = ""
    if sub.thread_id is not None:
        where = " · " + t("digest.topic", lang, id=sub.thread_id)
    return (
        f"<b>{number}.</b> {icon} {schedule_text(sub, lang)} · {scope}{where}\n"
        f"    {state_text(sub, lang)}"
    )


def button_label(number: int, sub: Subscription, label: str | None, lang: str) -> str:
    icon = "⏸" if sub.paused else "⏰"
    scope = label or t("digest.scope.all", lang)
    plain = html.unescape(scope)
    return fmt.truncate(f"{number}. {icon} {sub.schedule.hhmm} · {plain}", 60)


def last_run_text(run: DigestRun, sub: Subscription, lang: str) -> str:
    when = local_moment(run.finished_at or run.due_at, sub, lang)
    state = run.state if run.state != RunState.CLAIMED else "claimed"
    text = t(f"digest.run.{state}", lang, when=when)
    if run.error and run.state in (RunState.FAILED, RunState.RETRY):
        text += f": {esc(fmt.truncate(run.error, 120))}"
    return text


def card_text(
    sub: Subscription,
    lang: str,
    label: str | None,
    last_run: DigestRun | None = None,
    *,
    header: str | None = None,
) -> str:
    """The subscription screen (also the wizard's confirmation)."""
    lines: list[str] = []
    if header:
        lines.append(header)
    title_key = "digest.card.title" if sub.id else "digest.card.draft"
    lines.append(t(title_key, lang, id=sub.id))
    if sub.chat_title and not sub.is_private:
        lines.append(t("digest.card.chat", lang, title=esc(sub.chat_title)))
    if sub.thread_id is not None:
        lines.append(t("digest.card.topic", lang, id=sub.thread_id))
    lines.append(t("digest.card.time", lang, value=schedule_text(sub, lang)))
    lines.append(t("digest.card.period", lang, value=period_text(sub, lang)))
    lines.append(t("digest.card.scope", lang, value=label or t("digest.scope.all", lang)))
    lines.append(t("digest.card.rule", lang, value=rule_text(sub.rule, lang)))
    lines.append(t("digest.card.attach", lang, value=attachment_text(sub, lang)))
    empty_key = "digest.empty.skip" if sub.skip_empty else "digest.empty.send"
    lines.append(t("digest.card.empty", lang, value=t(empty_key, lang)))
    if sub.owner_name:
        lines.append(t("digest.card.owner", lang, name=esc(sub.owner_name)))
    if sub.id:
        lines.append(state_text(sub, lang))
    if last_run is not None:
        lines.append(last_run_text(last_run, sub, lang))
    return "\n".join(lines)
