"""/op's trend: one operator's last 8 weeks, script % and bad-call share per week.

A bad call is what the scorecard counts as low: a client rating ≤ ``LOW_RATING`` or a
script score below ``LOW_SCORE`` (the default digest rule); weeks
are Monday–Sunday in the chat's time zone, the current one until today.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import date

from bot.reports import fmt
from bot.reports.markup import fit
from bot.reports.stats import LOW_RATING, LOW_SCORE
from bot.reports.trend import Span, TrendPoint, week_of, weeks_until
from bot.texts import t

CAPTION_LIMIT = 1024


def trend_weeks(today: date) -> list[Span]:
    """The 8 weeks up to the current one (which ends today, not on Sunday)."""
    spans = weeks_until(week_of(today))
    spans[-1] = (spans[-1][0], today)
    return spans


def week_label(span: Span) -> str:
    return f"{span[0]:%d.%m}"


def trend_caption(name: str, points: Sequence[TrendPoint], lang: str) -> str:
    """The photo's caption (HTML, ≤ 1024): what is shown and each week's figures."""
    lines = [
        t(
            "op.trend.caption",
            lang,
            name=html.escape(fmt.truncate(name, 60), quote=False),
            rating=LOW_RATING,
            score=fmt.decimal(LOW_SCORE, lang),
        )
    ]
    for point in points:
        week = week_label(point.span)
        if not point.calls:
            lines.append(t("op.trend.week_empty", lang, week=week))
            continue
        lines.append(
            t(
                "op.trend.week",
                lang,
                week=week,
                calls=fmt.integer(point.calls, lang),
                script=f"{fmt.percent(point.script, lang)} %" if point.script is not None else "–",
                share=f"{fmt.percent(point.bad_share, lang)} %",
            )
        )
    return fit("\n".join(lines), CAPTION_LIMIT)
