"""The digest message as Telegram HTML: a head, the worst calls (each markable as handled)
and a tail. Pure functions; everything from the API is escaped here.

The message is kept as parts so that a "✓ handled" mark can be added to one
call later and the message redrawn in place without fetching anything.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from bot.digest.content import BadCall, DigestFigures
from bot.digest.model import BadCallRule
from bot.reports import fmt
from bot.reports.markup import MESSAGE_LIMIT, fit, text_length
from bot.reports.render import compare_counts, previous_period_label
from bot.texts import t

CAPTION_LIMIT: Final = 1024
OPERATOR_LINES: Final = 8
SUMMARY_LIMIT: Final = 140
NAME_LIMIT: Final = 28
SIGNAL_WORDS: Final = 10
"""Signal words listed at most; the rest of a tie at the cut-off is counted, not dropped."""
MARK_NAME_LIMIT: Final = 20
# A mark is " — ✓ <name ≤ 20>, 10:42"; reserving its length for every call keeps
# a caption within Telegram's limit after any number of marks.
MARK_RESERVE: Final = len(" — ✓ , 00:00") + MARK_NAME_LIMIT


def _esc(value: object) -> str:
    return html.escape(str(value), quote=False)


def _month(month: int, lang: str) -> str:
    return t("digest.months", lang).split(",")[month - 1]


def period_label(start: date, end: date, lang: str) -> str:
    """``20 ноября``, ``17–19 ноября``, ``28 ноября – 2 декабря`` (plain text)."""

    def day_month(day: date) -> str:
        return f"{day.day} {_month(day.month, lang)}"

    if start == end:
        return day_month(start)
    if start.year != end.year:
        return f"{day_month(start)} {start.year} – {day_month(end)} {end.year}"
    if start.month == end.month:
        return f"{start.day}–{end.day} {_month(end.month, lang)}"
    return f"{day_month(start)} – {day_month(end)}"


def chart_title(figures: DigestFigures, lang: str) -> str:
    """Plain-text chart title (no emoji: the chart font has none)."""
    return t("digest.chart_title", lang, period=period_label(figures.start, figures.end, lang))


def rule_text(rule: BadCallRule, lang: str) -> str:
    """``оценка ≤ 3 или скрипт < 50 % или сигналы: жалоба`` (escaped): any one makes it bad."""
    parts: list[str] = []
    if rule.rating_on:
        parts.append(t("digest.rule.rating", lang, n=rule.max_rating))
    if rule.score_on:
        parts.append(t("digest.rule.score", lang, n=fmt.decimal(rule.min_score, lang)))
    if rule.signals_on and rule.signals:
        words = ", ".join(_esc(word) for word in rule.signals)
        parts.append(t("digest.rule.signals", lang, words=words))
    return t("digest.rule.or", lang).join(parts) if parts else t("digest.rule.none", lang)


def mark_text(name: str, moment: datetime, tz: ZoneInfo) -> str:
    """`` — ✓ Айгерим, 10:42`` (escaped)."""
    short = fmt.truncate(" ".join(name.split()) or "?", MARK_NAME_LIMIT)
    return f" — ✓ {_esc(short)}, {moment.astimezone(tz):%H:%M}"


@dataclass(frozen=True)
class DigestItem:
    dialog_id: int
    line: str  # HTML, its tags balanced
    label: str  # plain text for the buttons

    def to_dict(self) -> dict[str, Any]:
        return {"d": self.dialog_id, "l": self.line, "b": self.label}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DigestItem:
        return cls(int(data["d"]), str(data["l"]), str(data["b"]))


@dataclass(frozen=True)
class RenderedDigest:
    head: str
    items: list[DigestItem] = field(default_factory=list)
    tail: str = ""
    list_title: str = ""  # the line right above the calls

    def text(self, marks: Mapping[int, str] | None = None, limit: int = MESSAGE_LIMIT) -> str:
        """The message, each marked call followed by its mark; cut to ``limit``."""
        marks = marks or {}
        blocks = [self.head]
        if self.items:
            lines: list[str] = []
            for item in self.items:
                first, _, rest = item.line.partition("\n")
                first += marks.get(item.dialog_id, "")
                lines.append(first + ("\n" + rest if rest else ""))
            if self.list_title:
                lines.insert(0, self.list_title)
            blocks.append("\n".join(lines))
        if self.tail:
            blocks.append(self.tail)
        return fit("\n\n".join(blocks), limit)

    def fits_caption(self) -> bool:
        """Whether the message fits a photo caption even with every call marked."""
        reserve = {item.dialog_id: "x" * MARK_RESERVE for item in self.items}
        full = self.text(reserve, limit=MESSAGE_LIMIT * 2)
        return text_length(full) <= CAPTION_LIMIT

    def to_dict(self) -> dict[str, Any]:
        return {
            "h": self.head,
            "i": [item.to_dict() for item in self.items],
            "t": self.tail,
            "lt": self.list_title,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RenderedDigest:
        return cls(
            head=str(data.get("h", "")),
            items=[DigestItem.from_dict(item) for item in data.get("i", [])],
            tail=str(data.get("t", "")),
            list_title=str(data.get("lt", "")),
        )


@dataclass(frozen=True)
class RenderContext:
    """Everything about the subscription and the run that shows in the message."""

    lang: str
    tz: ZoneInfo
    rule: BadCallRule
    scope_label: str | None = None  # escaped; None for all calls
    owner_name: str | None = None  # set when someone else's connection feeds the chat
    late_due: datetime | None = None  # the due time, when the digest is sent late
    preview: bool = False
    previous_label: str | None = None  # "прошлой неделе"; by default the same number of days


def _share(figures: DigestFigures, lang: str) -> str:
    share = figures.bad_share
    return "<1" if 0 < share < 1 else fmt.percent(share, lang)


def _call_line(number: int, call: BadCall, single_day: bool, ctx: RenderContext) -> str:
    """``1. ⭐ 2 · 📋 35 % · Айгерим Нурланова · 10:42`` and the summary in italics below."""
    lang = ctx.lang
    parts: list[str] = []
    if call.rating is not None:
        parts.append(f"⭐ {call.rating}")
    if call.score is not None:
        parts.append(f"📋 {fmt.percent(call.score, lang)} %")
    parts.append(_esc(fmt.truncate(call.operator or fmt.MISSING, NAME_LIMIT)))
    if call.moment is not None:
        local = call.moment.astimezone(ctx.tz)
        parts.append(f"{local:%H:%M}" if single_day else f"{local:%d.%m %H:%M}")
    line = f"<b>{number}.</b> " + " · ".join(parts)
    if call.summary:
        summary = fmt.truncate(" ".join(call.summary.split()), SUMMARY_LIMIT)
        line += f"\n<i>{_esc(summary)}</i>"
    return line


def _button_label(number: int, call: BadCall) -> str:
    return f"{number}. {fmt.short_name(call.operator, 18)}"


def _head(figures: DigestFigures, ctx: RenderContext) -> list[str]:
    lang = ctx.lang
    lines: list[str] = []
    if ctx.preview:
        lines.append(t("digest.msg.preview", lang))
    lines.append(
        t(
            "digest.msg.title",
            lang,
            period=_esc(period_label(figures.start, figures.end, lang)),
            bad=fmt.integer(figures.bad, lang),
            total=fmt.integer(figures.total, lang),
            share=_share(figures, lang),
        )
    )
    if ctx.scope_label:
        lines.append(f"🗂 {ctx.scope_label}")
    if figures.previous_bad is not None:
        if not figures.previous_total:
            # No calls at all before: "no data", never a change from zero.
            lines.append(compare_counts(figures.bad, None, "", lang))
        else:
            days = (figures.end - figures.start).days + 1
            label = ctx.previous_label or previous_period_label(days, lang)
            change = compare_counts(figures.bad, figures.previous_bad, label, lang)
            lines.append(
                t("digest.msg.change", lang, cmp=change, n=fmt.integer(figures.previous_bad, lang))
            )
    return lines


def _sections(figures: DigestFigures, ctx: RenderContext) -> list[str]:
    lang = ctx.lang
    blocks: list[str] = []
    if figures.per_operator:
        rows = [t("digest.msg.by_operator", lang)]
        for name, count in figures.per_operator[:OPERATOR_LINES]:
            rows.append(f"{_esc(fmt.truncate(name, NAME_LIMIT))} — {count}")
        rest = len(figures.per_operator) - OPERATOR_LINES
        if rest > 0:
            rows.append(t("digest.msg.more_operators", lang, n=rest))
        blocks.append("\n".join(rows))
    if figures.signals:
        top = figures.signals
        shown = top if len(top) <= SIGNAL_WORDS else top[: SIGNAL_WORDS - 1]
        words = ", ".join(f"{_esc(fmt.truncate(word, 30))} ({count})" for word, count in shown)
        if len(shown) < len(top):
            # Past the first few, every listed word has the cut-off count.
            words += t("digest.msg.signals_more", lang, n=len(top) - len(shown), count=top[-1][1])
        blocks.append(t("digest.msg.signals", lang, words=words))
    return blocks


def _tail(figures: DigestFigures, ctx: RenderContext) -> str:
    lang = ctx.lang
    lines: list[str] = []
    if figures.handled:
        lines.append(t("digest.msg.handled_before", lang, n=figures.handled))
    lines.append(t("digest.msg.rule", lang, rule=rule_text(ctx.rule, lang)))
    if ctx.owner_name:
        lines.append(t("digest.msg.fed_by", lang, name=_esc(ctx.owner_name)))
    if ctx.late_due is not None:
        lines.append(t("digest.msg.late", lang, time=f"{ctx.late_due.astimezone(ctx.tz):%H:%M}"))
    return "\n".join(lines)


def render_digest(figures: DigestFigures, ctx: RenderContext) -> RenderedDigest:
    """The full digest of a period that has bad calls."""
    single_day = figures.start == figures.end
    head = "\n\n".join(["\n".join(_head(figures, ctx)), *_sections(figures, ctx)])
    items = [
        DigestItem(
            call.dialog_id,
            _call_line(number, call, single_day, ctx),
            _button_label(number, call),
        )
        for number, call in enumerate(figures.worst, start=1)
    ]
    title = t("digest.msg.worst", ctx.lang, n=len(items)) if items else ""
    return RenderedDigest(head=head, items=items, tail=_tail(figures, ctx), list_title=title)


def render_empty(figures: DigestFigures, ctx: RenderContext) -> RenderedDigest:
    """The one short line sent when the period has no bad calls."""
    lang = ctx.lang
    period = _esc(period_label(figures.start, figures.end, lang))
    lines: list[str] = []
    if ctx.preview:
        lines.append(t("digest.msg.preview", lang))
    if ctx.scope_label:
        line = t("digest.msg.none_scoped", lang, period=period, scope=ctx.scope_label)
    else:
        line = t("digest.msg.none", lang, period=period)
    lines.append(line)
    if ctx.late_due is not None:
        lines.append(t("digest.msg.late", lang, time=f"{ctx.late_due.astimezone(ctx.tz):%H:%M}"))
    return RenderedDigest(head="\n".join(lines))


def render_failure(
    period_start: date, period_end: date, reason: str, next_run: datetime | None, ctx: RenderContext
) -> str:
    """The one message saying a digest could not be built, and why (``reason`` is escaped)."""
    lang = ctx.lang
    text = t(
        "digest.msg.failed",
        lang,
        period=_esc(period_label(period_start, period_end, lang)),
        reason=reason,
    )
    if next_run is not None:
        local = next_run.astimezone(ctx.tz)
        text += "\n" + t(
            "digest.msg.failed_next",
            lang,
            when=_esc(f"{period_label(local.date(), local.date(), lang)}, {local:%H:%M}"),
        )
    return text
