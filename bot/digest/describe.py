"""Describing a subscription to people: its schedule, scope, rule, attachments and state.

Returns HTML-safe text (values from users and the API are escaped here).
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Protocol

from bot.digest.model import (
    WORKING_DAYS,
    Attachment,
    DaysMode,
    PeriodMode,
    Schedule,
    Subscription,
)
from bot.digest.render import period_label, rule_text
from bot.digest.schedule import zone
from bot.query.model import CallQuery
from bot.reports import fmt
from bot.texts import t
from storage.catalog import QuestionPackEntry
from storage.digests import DigestRun, RunState


class ScopeNames(Protocol):
    """The part of CatalogRepo used to name a scope."""

    async def department_name(self, connection_id: int, department_id: int) -> str | None: ...

    async def question_pack(self, connection_id: int, pack_id: int) -> QuestionPackEntry | None: ...


def _esc(value: object) -> str:
    return html.escape(str(value), quote=False)


def weekday_names(lang: str) -> list[str]:
    return t("digest.weekdays", lang).split(",")


def days_text(schedule: Schedule, lang: str) -> str:
    match schedule.days:
        case DaysMode.DAILY:
            return t("digest.days.daily", lang)
        case DaysMode.WORKDAYS:
            return t("digest.days.work", lang)
        case DaysMode.WEEKDAYS:
            if schedule.weekdays == WORKING_DAYS:
                return t("digest.days.work", lang)
            names = weekday_names(lang)
            return ", ".join(names[day] for day in sorted(schedule.weekdays))


def period_text(sub: Subscription, lang: str) -> str:
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


async def scope_label(
    scope: CallQuery, lang: str, names: ScopeNames | None, connection_id: int | None
) -> str | None:
    """``Отдел: Продажи (12)`` and the like, escaped; None for all calls."""
    parts: list[str] = []
    if scope.department_id is not None:
        name = None
        if names is not None and connection_id is not None:
            name = await names.department_name(connection_id, scope.department_id)
        shown = f"{_esc(name)} ({scope.department_id})" if name else str(scope.department_id)
        parts.append(t("digest.scope.department", lang, name=shown))
    if scope.operator is not None and scope.operator_exact:
        parts.append(t("digest.scope.operator", lang, name=_esc(scope.operator)))
    elif scope.operator is not None:
        parts.append(t("digest.scope.operator_contains", lang, text=_esc(scope.operator)))
    if scope.question_pack_id is not None:
        entry = None
        if names is not None and connection_id is not None:
            entry = await names.question_pack(connection_id, scope.question_pack_id)
        title = entry.title if entry is not None else None
        shown = (
            f"{_esc(title)} ({scope.question_pack_id})" if title else str(scope.question_pack_id)
        )
        parts.append(t("digest.scope.pack", lang, name=shown))
    return " · ".join(parts) if parts else None


def local_moment(moment: datetime, sub: Subscription, lang: str) -> str:
    local = moment.astimezone(zone(sub.schedule))
    return f"{_esc(period_label(local.date(), local.date(), lang))}, {local:%H:%M}"


def state_text(sub: Subscription, lang: str) -> str:
    if sub.paused:
        reason = sub.pause_reason.value if sub.pause_reason else "user"
        text = t(f"digest.paused.{reason}", lang)
        if sub.pause_detail:
            text += f" ({_esc(fmt.truncate(sub.pause_detail, 120))})"
        return text
    if sub.next_run is None:
        return t("digest.next.none", lang)
    return t("digest.next.at", lang, when=local_moment(sub.next_run, sub, lang))


def schedule_text(sub: Subscription, lang: str) -> str:
    schedule = sub.schedule
    return f"{schedule.hhmm} ({_esc(schedule.timezone)}) · {days_text(schedule, lang)}"


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
        text += f": {_esc(fmt.truncate(run.error, 120))}"
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
        lines.append(t("digest.card.chat", lang, title=_esc(sub.chat_title)))
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
        lines.append(t("digest.card.owner", lang, name=_esc(sub.owner_name)))
    if sub.id:
        lines.append(state_text(sub, lang))
    if last_run is not None:
        lines.append(last_run_text(last_run, sub, lang))
    return "\n".join(lines)


def disconnect_line(sub: Subscription, lang: str, label: str | None) -> str:
    """One subscription fed by a connection being removed, for the disconnect message."""
    where = (
        t("digest.where.private", lang)
        if sub.is_private
        else t("digest.where.group", lang, title=_esc(sub.chat_title or str(sub.chat_id)))
    )
    scope = label or t("digest.scope.all", lang)
    return f"{schedule_text(sub, lang)} · {scope} — {where}"


def attachment_ext(kind: Attachment) -> str:
    return "csv" if kind is Attachment.CSV else "xlsx"
