"""Naming a subscription in the digest's own messages: its scope, schedule and file type.

The digest message, the "paused" notices and the disconnect message all say which digest
they are about; these words are part of the digest's content. Returns HTML-safe text
(values from users and the API are escaped here).
"""

from __future__ import annotations

import html
from typing import Protocol

from bot.digest.model import WORKING_DAYS, Attachment, Cadence, DaysMode, Schedule, Subscription
from bot.query.model import CallQuery
from bot.texts import t
from storage.catalog import QuestionPackEntry


class ScopeNames(Protocol):
    """The part of CatalogRepo used to name a scope."""

    async def department_name(self, connection_id: int, department_id: int) -> str | None: ...

    async def question_pack(self, connection_id: int, pack_id: int) -> QuestionPackEntry | None: ...


def esc(value: object) -> str:
    return html.escape(str(value), quote=False)


def weekday_names(lang: str) -> list[str]:
    return t("digest.weekdays", lang).split(",")


def days_text(schedule: Schedule, lang: str) -> str:
    match schedule.cadence:
        case Cadence.WEEKLY:
            return t("digest.weekly_on", lang).split(",")[schedule.weekday]
        case Cadence.MONTHLY:
            return t("digest.days.monthly", lang)
        case Cadence.DAILY:
            pass
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


def schedule_text(sub: Subscription, lang: str) -> str:
    """``09:00 (Asia/Almaty) · по будням``; ``по понедельникам в 09:00 (Asia/Almaty), за
    прошлую неделю`` for a weekly or monthly digest."""
    schedule = sub.schedule
    if schedule.periodic:
        return t(
            "digest.schedule.periodic",
            lang,
            days=days_text(schedule, lang),
            time=schedule.hhmm,
            tz=esc(schedule.timezone),
            period=t(f"digest.period.{schedule.cadence.value}", lang),
        )
    return f"{schedule.hhmm} ({esc(schedule.timezone)}) · {days_text(schedule, lang)}"


async def scope_label(
    scope: CallQuery, lang: str, names: ScopeNames | None, connection_id: int | None
) -> str | None:
    """``Отдел: Продажи (12)`` and the like, escaped; None for all calls."""
    parts: list[str] = []
    if scope.department_id is not None:
        name = None
        if names is not None and connection_id is not None:
            name = await names.department_name(connection_id, scope.department_id)
        shown = f"{esc(name)} ({scope.department_id})" if name else str(scope.department_id)
        parts.append(t("digest.scope.department", lang, name=shown))
    if scope.operator is not None and scope.operator_exact:
        parts.append(t("digest.scope.operator", lang, name=esc(scope.operator)))
    elif scope.operator is not None:
        parts.append(t("digest.scope.operator_contains", lang, text=esc(scope.operator)))
    if scope.question_pack_id is not None:
        entry = None
        if names is not None and connection_id is not None:
            entry = await names.question_pack(connection_id, scope.question_pack_id)
        title = entry.title if entry is not None else None
        shown = f"{esc(title)} ({scope.question_pack_id})" if title else str(scope.question_pack_id)
        parts.append(t("digest.scope.pack", lang, name=shown))
    return " · ".join(parts) if parts else None


def disconnect_line(sub: Subscription, lang: str, label: str | None) -> str:
    """One subscription fed by a connection being removed, for the disconnect message."""
    where = (
        t("digest.where.private", lang)
        if sub.is_private
        else t("digest.where.group", lang, title=esc(sub.chat_title or str(sub.chat_id)))
    )
    scope = label or t("digest.scope.all", lang)
    return f"{schedule_text(sub, lang)} · {scope} — {where}"


def attachment_ext(kind: Attachment) -> str:
    return "csv" if kind is Attachment.CSV else "xlsx"
