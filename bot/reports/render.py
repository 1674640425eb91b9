"""HTML texts for Telegram (``parse_mode=HTML``): summary, call list, call card,
operator scorecard.

Everything that came from the API is escaped here; every line keeps its own
tags balanced (see ``bot.reports.markup``), so long texts are cut or split
between lines and never inside a tag or an entity.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Final
from zoneinfo import ZoneInfo

from bot.aiokk.models import CallRecord, Evaluation
from bot.reports import fmt
from bot.reports.markup import Block, Line, Span, fit, pack_blocks, text_length
from bot.reports.stats import LOW_RATING, CallStats, CriterionStats, OperatorStats, WorstCall
from bot.texts import plural, t

NAME_LIMIT: Final = 40
SIGNAL_LIMIT: Final = 40
TITLE_LIMIT: Final = 200
PACK_LIMIT: Final = 40
SIGNAL_LINES: Final = 10
"""Signal lines at most; further words tied at the cut-off are counted in one line."""

_escape = html.escape


def _name(value: str | None, limit: int = NAME_LIMIT) -> str:
    """Escaped, single-line, shortened name from the API."""
    if not value or not value.strip():
        return fmt.MISSING
    return _escape(fmt.truncate(" ".join(value.split()), limit), quote=False)


def _safe_title(title: str) -> str:
    """``title`` arrives escaped; shorten it without breaking an entity."""
    if len(title) <= TITLE_LIMIT:
        return title
    plain = fmt.truncate(html.unescape(title), TITLE_LIMIT)
    return _escape(plain, quote=False)


# --------------------------------------------------------------------- comparisons


def previous_period_label(days: int | None, lang: str, *, so_far: bool = False) -> str:
    """The phrase that follows "к"/"vs": ``прошлым 7 дням`` / ``the previous 7 days``.

    ``so_far``: the period is still running and compared up to the same point, which the
    phrase says: ``этому же времени вчера``, ``прошлым 7 дням до того же времени суток``.
    """
    if days == 1:
        return t("report.prev.day_so_far" if so_far else "report.prev.day", lang)
    if days is None or days <= 0:
        label = t("report.prev.period", lang)
    elif days % 10 == 1 and days % 100 != 11:
        label = t("report.prev.days_one", lang, n=days)
    else:
        label = t("report.prev.days", lang, n=days)
    return t("report.prev.same_time", lang, label=label) if so_far else label


def compare_counts(current: int, previous: int | None, label: str, lang: str) -> str:
    """``▲ 12 % к прошлым 7 дням``; an absolute difference when the previous count was 0.

    ``previous`` is ``None`` when the previous period has no data at all (no calls):
    that is said in words, never as a change.
    """
    if previous is None:
        return t("report.cmp.no_data", lang)
    label = _escape(label, quote=False)
    diff = current - previous
    if diff == 0:
        return t("report.cmp.same", lang, label=label)
    arrow = "▲" if diff > 0 else "▼"
    if previous == 0:
        increase = f"+{fmt.integer(diff, lang)}"
        return t("report.cmp.abs", lang, arrow=arrow, diff=increase, label=label)
    share = abs(diff) * 100.0 / previous
    pct = fmt.percent(share, lang) if share >= 1 else "<1"
    return t("report.cmp.pct", lang, arrow=arrow, pct=_escape(pct), label=label)


def _delta(current: float | None, previous: float | None, lang: str, unit: str = "") -> str:
    """`` (▲ 0,4)`` after a figure, or nothing when either side is missing."""
    if current is None or previous is None:
        return ""
    diff = fmt.rounded(current - previous, 1)
    if diff == 0:
        return " (=)"
    arrow = "▲" if diff > 0 else "▼"
    suffix = f" {unit}" if unit else ""
    return f" ({arrow} {fmt.decimal(abs(float(diff)), lang)}{suffix})"


def _of_calls(n: int, lang: str) -> str:
    """The word after "of N"/"из N": ``звонка`` / ``звонков``, ``call`` / ``calls``."""
    return plural("unit.of_calls", n, lang)


def pack_label(pack_id: int | None, title: str | None, lang: str) -> str:
    """A question pack for a screen, escaped: ``«Вопросы по умолчанию»`` or ``набор 27``."""
    if title:
        return t("report.pack.titled", lang, title=_name(title, PACK_LIMIT))
    if pack_id is not None:
        return t("report.pack.id", lang, id=pack_id)
    return t("report.pack.unknown", lang)


def _previous_total(previous: CallStats) -> int | None:
    """The previous count to compare with; ``None`` when that period has no data."""
    return previous.total if previous.total else None


# ------------------------------------------------------------------------- summary


def _figure_lines(stats: CallStats, previous: CallStats | None, lang: str) -> list[str]:
    """Duration, rating and score lines shared by the summary and the operator card."""
    lines: list[str] = []
    if stats.avg_duration is not None:
        lines.append(
            t(
                "report.summary.duration",
                lang,
                total=_escape(fmt.hours_minutes(stats.total_duration, lang)),
                avg=fmt.clock(round(stats.avg_duration)),
            )
        )
    if stats.avg_rating is not None:
        # The average is over rated calls only: say over how many when some have none.
        if stats.rated < stats.total:
            line = t(
                "report.summary.rating_part",
                lang,
                avg=fmt.decimal(stats.avg_rating, lang),
                rated=fmt.integer(stats.rated, lang),
                total=fmt.integer(stats.total, lang),
                calls=_of_calls(stats.total, lang),
                share=fmt.percent(stats.low_rating_share, lang),
                n=fmt.integer(stats.low_rated, lang),
            )
        else:
            line = t(
                "report.summary.rating",
                lang,
                avg=fmt.decimal(stats.avg_rating, lang),
                share=fmt.percent(stats.low_rating_share, lang),
                n=fmt.integer(stats.low_rated, lang),
            )
        lines.append(
            line + _delta(stats.avg_rating, previous.avg_rating if previous else None, lang)
        )
    else:
        lines.append(t("report.summary.rating_none", lang))
    if stats.avg_score is not None:
        if stats.scored < stats.total:
            line = t(
                "report.summary.score_part",
                lang,
                avg=fmt.percent(stats.avg_score, lang),
                scored=fmt.integer(stats.scored, lang),
                total=fmt.integer(stats.total, lang),
                calls=_of_calls(stats.total, lang),
                share=fmt.percent(stats.low_score_share, lang),
                n=fmt.integer(stats.low_scored, lang),
            )
        else:
            line = t(
                "report.summary.score",
                lang,
                avg=fmt.percent(stats.avg_score, lang),
                share=fmt.percent(stats.low_score_share, lang),
                n=fmt.integer(stats.low_scored, lang),
            )
        lines.append(
            line
            + _delta(
                stats.avg_score,
                previous.avg_score if previous else None,
                lang,
                t("report.unit.points", lang),
            )
        )
    else:
        lines.append(t("report.summary.score_none", lang))
    return lines


def _signal_lines(stats: CallStats, lang: str) -> list[str]:
    """The top signal words with every word tied at the cut-off: listed up to
    ``SIGNAL_LINES``, the rest of the tie counted in one line, never dropped silently."""
    top = stats.top_signals
    if not top:
        return []
    lines = [t("report.summary.signals", lang)]
    shown = top if len(top) <= SIGNAL_LINES else top[: SIGNAL_LINES - 1]
    lines.extend(
        f"· {_name(word, SIGNAL_LIMIT)} — {fmt.integer(count, lang)}" for word, count in shown
    )
    if len(shown) < len(top):
        # Past the first TOP_SIGNALS every listed word has the cut-off count.
        rest = len(top) - len(shown)
        count = fmt.integer(top[-1][1], lang)
        lines.append(t("report.summary.signals_more", lang, n=fmt.integer(rest, lang), count=count))
    return lines


def _operator_lines(
    key: str, operators: Sequence[OperatorStats], stats: CallStats, lang: str
) -> list[str]:
    """Best or lagging operators under a heading that says what they are compared with."""
    if not operators:
        return []
    heading = t(
        key,
        lang,
        avg=fmt.percent(stats.avg_score, lang),
        min=stats.min_operator_calls,
        calls=_of_calls(stats.min_operator_calls, lang),
    )
    lines = [heading]
    for position, operator in enumerate(operators, start=1):
        row = t(
            "report.summary.operator_row",
            lang,
            name=_name(operator.name),
            score=fmt.percent(operator.avg_score, lang),
            rating=fmt.decimal(operator.avg_rating, lang),
            calls=fmt.integer(operator.calls, lang),
        )
        lines.append(f"{position}. {row}")
    return lines


def render_summary(
    stats: CallStats,
    *,
    title: str,
    lang: str,
    previous: CallStats | None = None,
    previous_label: str | None = None,
    updated: str | None = None,
) -> str:
    """The summary screen. ``title`` must already be HTML-escaped by the caller;
    ``previous_label`` is plain text that reads after "к"/"vs" (see
    ``previous_period_label``); ``updated`` (HTML) goes before the caption of the worst
    calls, which stays the last line, right above their buttons."""
    header = f"📊 <b>{_safe_title(title)}</b>"
    total_line = t("report.summary.total", lang, n=fmt.integer(stats.total, lang))
    if previous is not None:
        label = previous_label or t("report.prev.period", lang)
        total_line += " · " + compare_counts(stats.total, _previous_total(previous), label, lang)
    if stats.total == 0:
        empty = [header, total_line, "", t("report.summary.empty", lang)]
        if updated:
            empty.extend(["", updated])
        return fit("\n".join(empty))

    blocks: list[list[str]] = [[header, total_line]]
    type_lines = [
        f"{fmt.call_type_icon(call_type)} {_escape(fmt.call_type_name(call_type, lang))}: "
        f"{fmt.integer(count, lang)} ({fmt.percent(100.0 * count / stats.total, lang)} %)"
        for call_type, count in sorted(stats.by_type.items())
        if count
    ]
    blocks[0].extend(type_lines)
    blocks.append(_figure_lines(stats, previous, lang))
    blocks.append(_signal_lines(stats, lang))
    blocks.append(_operator_lines("report.summary.best", stats.best_operators, stats, lang))
    blocks.append(_operator_lines("report.summary.worst", stats.worst_operators, stats, lang))
    if updated:
        blocks.append([updated])
    text = fit("\n\n".join("\n".join(block) for block in blocks if block))
    if not stats.worst_calls:
        return text
    caption = t("report.summary.worst_calls", lang)
    # The caption belongs right above the buttons: a long summary is cut before it.
    return fit(text, limit=4096 - text_length(caption) - 2) + "\n\n" + caption


# ---------------------------------------------------------------------------- list


def list_row(record: CallRecord, tz: ZoneInfo, lang: str) -> str:
    """One call in a line of plain text (a button label; escape it for HTML)."""
    moment = fmt.local_datetime(record, tz)
    when = moment.strftime("%d.%m %H:%M") if moment else fmt.MISSING
    rating = record.loyalty
    score = record.score
    parts = [
        when,
        f"{fmt.call_type_icon(record.call.call_type)} {fmt.short_name(record.operator_name)}",
        fmt.clock(record.call.duration_sec),
        f"⭐{rating if rating is not None else fmt.MISSING}",
        f"📋{fmt.percent(score, lang)}%" if score is not None else f"📋{fmt.MISSING}",
    ]
    return " · ".join(parts)


def worst_call_label(call: WorstCall, tz: ZoneInfo, lang: str) -> str:
    """Plain-text button label for one of ``CallStats.worst_calls``."""
    when = fmt.MISSING
    if call.date is not None:
        moment = call.date.astimezone(tz) if call.date.tzinfo else call.date
        when = moment.strftime("%d.%m %H:%M")
    rating = f"⭐{call.rating}" if call.rating is not None else f"⭐{fmt.MISSING}"
    score = f"📋{fmt.percent(call.score, lang)}%" if call.score is not None else ""
    return " · ".join(p for p in (rating, score, fmt.short_name(call.operator), when) if p)


def render_list_page(
    records: Sequence[CallRecord],
    *,
    page: int,
    pages: int,
    tz: ZoneInfo,
    lang: str,
    first: int = 1,
) -> str:
    """One page of the call list; ``page`` is 1-based, ``first`` the number of its first call.

    Each call is one numbered line; the buttons under the page carry the same numbers only,
    so a call is never printed twice.
    """
    lines = [t("report.list.title", lang, page=page, pages=max(pages, 1))]
    if not records:
        lines.append(t("report.list.empty", lang))
    lines.extend(
        f"<b>{number}.</b> {_escape(list_row(record, tz, lang), quote=False)}"
        for number, record in enumerate(records, start=first)
    )
    if records:
        lines.append(t("report.list.hint", lang))
    return fit("\n".join(lines))


# ---------------------------------------------------------------------------- card


def _text_lines(text: str | None, tag: str | None = None) -> list[Line]:
    """API text as lines (it may contain its own line breaks)."""
    if not text:
        return []
    return [(Span(part, tag),) for part in text.splitlines() if part.strip()]


def _heading(emoji: str, label: str) -> Line:
    return (Span(f"{emoji} "), Span(label, "b"), Span(":"))


def _labelled(emoji: str, label: str, value: str, tag: str | None = None) -> Line:
    return (Span(f"{emoji} "), Span(label, "b"), Span(": "), Span(value, tag))


def render_card(record: CallRecord, *, tz: ZoneInfo, lang: str) -> list[str]:
    """Everything aiokk said about one call, as one or more messages ≤ 4096."""
    call = record.call
    operator = record.operator
    analytics = record.analytics
    title = t("report.card.title", lang, id=call.dialog_id)

    head: Block = [(Span("📞 "), Span(title, "b"))]
    moment = fmt.local_datetime(record, tz)
    when = moment.strftime("%d.%m.%Y %H:%M") if moment else fmt.MISSING
    head.append(
        (
            Span(f"🗓 {when} · "),
            Span(f"{fmt.call_type_icon(call.call_type)} "),
            Span(fmt.call_type_name(call.call_type, lang)),
            Span(f" · ⏱ {fmt.clock(call.duration_sec)}"),
        )
    )
    caller = call.caller_id or call.caller_id_clean
    if caller:
        head.append(_labelled("☎️", t("report.card.caller", lang), caller, "code"))
    if operator is not None:
        if operator.full_name:
            name_line = list(_labelled("👤", t("report.card.operator", lang), operator.full_name))
            if operator.int_num:
                name_line.append(Span(f" ({t('report.card.extension', lang)} {operator.int_num})"))
            head.append(tuple(name_line))
        if operator.department_name or operator.department_id is not None:
            department = operator.department_name or fmt.MISSING
            if operator.department_id is not None:
                department += f" ({operator.department_id})"
            head.append(_labelled("🏢", t("report.card.department", lang), department))
    blocks: list[Block] = [head]

    if analytics is None:
        blocks.append([(Span(t("report.card.no_analytics", lang), "i"),)])
        return pack_blocks(blocks, continued=_continued(title, lang))

    loyalty = analytics.client_loyalty
    if loyalty is not None and (loyalty.current_grade is not None or loyalty.description):
        grade = loyalty.current_grade
        mood = "🔴" if grade is not None and grade <= LOW_RATING else "⭐"
        grade_text = str(grade) if grade is not None else fmt.MISSING
        rating: Block = [
            (Span(f"{mood} "), Span(f"{t('report.card.rating', lang)}: {grade_text}/10", "b"))
        ]
        rating.extend(_text_lines(loyalty.description, "i"))
        if loyalty.recommendation:
            rating.append(_heading("💡", t("report.card.recommendation", lang)))
            rating.extend(_text_lines(loyalty.recommendation))
        blocks.append(rating)

    evaluation = analytics.evaluation
    if evaluation is not None:
        score = evaluation.score_percent
        heading = t("report.card.script", lang)
        if evaluation.evaluation_title:
            heading += f" «{evaluation.evaluation_title}»"
        heading += f": {fmt.percent(score, lang)} %" if score is not None else ""
        script_head: list[Span] = [Span("📋 "), Span(heading, "b")]
        if evaluation.current_grade is not None and evaluation.max_grade:
            script_head.append(
                Span(
                    f" ({fmt.decimal(evaluation.current_grade, lang)}"
                    f"/{fmt.decimal(evaluation.max_grade, lang)})"
                )
            )
        script: Block = [tuple(script_head)]
        most = criterion_maximum(evaluation)
        for criterion in evaluation.criteria:
            line: list[Span] = [
                Span(t("report.card.criterion", lang, n=criterion.number)),
                Span(fmt.mark_text(criterion.mark, lang), "b"),
            ]
            if most is not None:
                line.append(Span(f"/{fmt.mark_text(most, lang)}"))
            if criterion.description:
                line.append(Span(" — " + " ".join(criterion.description.split())))
            script.append(tuple(line))
        blocks.append(script)
        if evaluation.recommendation:
            advice: Block = [_heading("💡", t("report.card.recommendation", lang))]
            advice.extend(_text_lines(evaluation.recommendation))
            blocks.append(advice)

    signals = analytics.signals
    if signals is not None and signals.words:
        count = signals.count if signals.count is not None else len(signals.words)
        blocks.append(
            [
                _heading("🔔", f"{t('report.card.signals', lang)} ({count})"),
                (Span(", ".join(signals.words)),),
            ]
        )

    if analytics.summary:
        summary: Block = [_heading("📝", t("report.card.summary", lang))]
        summary.extend(_text_lines(analytics.summary))
        blocks.append(summary)

    footer: list[str] = []
    if analytics.languages:
        footer.append(f"🌐 {t('report.card.languages', lang)}: {', '.join(analytics.languages)}")
    # ``status`` and ``price`` are left out: the Export API does not say what they mean.
    if footer:
        blocks.append([(Span(" · ".join(footer), "i"),)])
    return pack_blocks(blocks, continued=_continued(title, lang))


def criterion_maximum(evaluation: Evaluation) -> float | None:
    """The most a criterion of this call could score, when the call's own figures say so.

    aiokk does not state a criterion's maximum. A call's ``eCurrentGrade`` is the sum of its
    marks and ``maxGrade`` the sum of the criteria's maxima (10 criteria, 100 points in the
    spec's example): when the marks do add up to the grade and ``maxGrade`` splits evenly over
    equal criteria that every mark fits in, that share is the maximum; otherwise None.
    """
    criteria = evaluation.criteria
    marks = [criterion.mark for criterion in criteria]
    if not criteria or evaluation.max_grade is None or evaluation.current_grade is None:
        return None
    if any(mark is None for mark in marks):
        return None
    total = sum(mark for mark in marks if mark is not None)
    if abs(total - evaluation.current_grade) > 1e-6:
        return None
    share = evaluation.max_grade / len(criteria)
    if share <= 0 or share != int(share):
        return None
    if any(mark is not None and mark > share for mark in marks):
        return None
    return share


def _continued(title: str, lang: str) -> str:
    return f"<i>{_escape(title, quote=False)} · {t('report.card.part', lang)}</i>"


# ------------------------------------------------------------------- operator card


def _criterion_line(criterion: CriterionStats, lang: str) -> str:
    """``«Вопросы по умолчанию» · п. 3 — <b>4,2</b> (звонков: 12)``."""
    return t(
        "report.op.criterion",
        lang,
        pack=pack_label(criterion.pack_id, criterion.pack_title, lang),
        n=criterion.number,
        avg=fmt.mark_text(criterion.avg_mark, lang),
        calls=fmt.integer(criterion.count, lang),
    )


def render_operator_card(
    name: str,
    stats: CallStats,
    previous: CallStats | None,
    *,
    period_label: str,
    lang: str,
    previous_label: str | None = None,
) -> str:
    """An operator's scorecard for a period; ``name``, ``period_label`` and
    ``previous_label`` are plain text (see ``render_summary``)."""
    header = t(
        "report.op.title",
        lang,
        name=_name(name, 80),
        period=_escape(fmt.truncate(period_label, 80), quote=False),
    )
    total_line = t("report.summary.total", lang, n=fmt.integer(stats.total, lang))
    if previous is not None:
        label = previous_label or t("report.prev.period", lang)
        total_line += " · " + compare_counts(stats.total, _previous_total(previous), label, lang)
    if stats.total == 0:
        return fit("\n".join([header, total_line, "", t("report.op.empty", lang)]))

    blocks: list[list[str]] = [[header, total_line, *_figure_lines(stats, previous, lang)]]
    weakest = stats.weakest_criteria(3)
    if weakest:
        lines = [t("report.op.weakest", lang)]
        lines.extend(f"· {_criterion_line(criterion, lang)}" for criterion in weakest)
        blocks.append(lines)
    blocks.append(_signal_lines(stats, lang))
    return fit("\n\n".join("\n".join(block) for block in blocks if block))
