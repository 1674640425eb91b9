"""PNG chart for digests: bad calls per operator and the client-rating distribution.

matplotlib is imported inside the function and used through ``Figure`` with the
Agg canvas, never through pyplot: no global state, no GUI backend, and the bot
starts without paying matplotlib's import time.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Final

from bot.reports import fmt
from bot.reports.stats import LOW_RATING
from bot.texts import t

MAX_BARS: Final = 15
NAME_LIMIT: Final = 22
FIGURE_INCHES: Final = (8.0, 9.33)
DPI: Final = 150  # 8 x 9.33 in at 150 dpi ≈ 1200 x 1400 px: sharp on a phone
BAD_COLOR: Final = "#d64545"
MIDDLE_COLOR: Final = "#f0a030"
GOOD_COLOR: Final = "#3fa86b"


def _rating_color(rating: int) -> str:
    if rating <= LOW_RATING:
        return BAD_COLOR
    if rating <= 6:
        return MIDDLE_COLOR
    return GOOD_COLOR


def render_bad_calls_chart(
    per_operator: Sequence[tuple[str, int]],
    ratings: Mapping[int, int],
    *,
    title: str,
    lang: str,
) -> bytes:
    """Horizontal bars of bad calls per operator (top ``MAX_BARS``) above a 1–10
    rating histogram; returns PNG bytes. ``title`` is plain text (no emoji: the
    default font has none)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=FIGURE_INCHES, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    figure.suptitle(fmt.truncate(title, 60), fontsize=20, fontweight="bold")
    top, bottom = figure.subplots(2, 1, height_ratios=(3, 2))

    ranked = sorted(
        ((name, count) for name, count in per_operator if count > 0),
        key=lambda item: (-item[1], item[0]),
    )[:MAX_BARS]
    top.set_title(t("report.chart.bad_by_operator", lang), fontsize=17, loc="left")
    if ranked:
        positions = list(range(len(ranked)))
        counts = [count for _, count in ranked]
        bars = top.barh(positions, counts, color=BAD_COLOR, height=0.7)
        top.set_yticks(positions, [fmt.short_name(name, NAME_LIMIT) for name, _ in ranked])
        top.invert_yaxis()  # the worst operator on top
        top.bar_label(bars, padding=4, fontsize=14)
        top.set_xlim(0, max(counts) * 1.15)
        top.xaxis.get_major_locator().set_params(integer=True)
    else:
        top.text(
            0.5,
            0.5,
            t("report.chart.no_bad", lang),
            ha="center",
            va="center",
            fontsize=18,
            transform=top.transAxes,
        )
        top.set_yticks([])
        top.set_xticks([])
    top.tick_params(labelsize=14)
    top.spines[["top", "right"]].set_visible(False)

    grades = list(range(1, 11))
    values = [ratings.get(grade, 0) for grade in grades]
    bars = bottom.bar(grades, values, color=[_rating_color(grade) for grade in grades])
    bottom.set_title(t("report.chart.ratings", lang), fontsize=17, loc="left")
    bottom.set_xticks(grades)
    bottom.set_xlabel(t("report.chart.rating", lang), fontsize=14)
    bottom.set_ylabel(t("report.chart.calls", lang), fontsize=14)
    bottom.tick_params(labelsize=14)
    bottom.yaxis.get_major_locator().set_params(integer=True)
    if any(values):
        bottom.bar_label(bars, labels=[str(v) if v else "" for v in values], fontsize=12)
        bottom.set_ylim(0, max(values) * 1.18)
    else:
        bottom.set_ylim(0, 1)
        bottom.set_yticks([0, 1])
    bottom.spines[["top", "right"]].set_visible(False)

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


SCRIPT_COLOR: Final = "#2f6fb3"
TREND_INCHES: Final = (8.0, 6.0)  # 1200 x 900 px at 150 dpi


def render_trend_chart(
    labels: Sequence[str],
    script: Sequence[float | None],
    bad_share: Sequence[float | None],
    *,
    title: str,
    lang: str,
) -> bytes:
    """Script % and bad-call share per week or month as two lines on one 0–100 % axis;
    returns PNG bytes. A period without calls (``None``) is a gap in the line, never a zero.
    ``title`` and ``labels`` are plain text (no emoji)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=TREND_INCHES, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    figure.suptitle(fmt.truncate(title, 60), fontsize=19, fontweight="bold")
    axes = figure.subplots()
    positions = list(range(len(labels)))
    nan = float("nan")
    lines = (
        (script, SCRIPT_COLOR, "o", t("report.chart.script", lang)),
        (bad_share, BAD_COLOR, "s", t("report.chart.bad_share", lang)),
    )
    for values, color, marker, name in lines:
        ys = [value if value is not None else nan for value in values]
        axes.plot(positions, ys, color=color, marker=marker, linewidth=3, markersize=8, label=name)
        for x, value in zip(positions, values, strict=True):
            if value is not None:
                axes.annotate(
                    fmt.percent(value, lang),
                    (x, value),
                    textcoords="offset points",
                    xytext=(0, 9),
                    ha="center",
                    fontsize=12,
                    color=color,
                )
    axes.set_xticks(positions, list(labels), rotation=45 if len(labels) > 6 else 0)
    axes.set_ylim(0, 108)
    axes.set_ylabel("%", fontsize=14)
    axes.tick_params(labelsize=13)
    axes.grid(axis="y", alpha=0.3)
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, fontsize=13, frameon=False)

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
