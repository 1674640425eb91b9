"""Definitions stated on screen: rounding, rated-of-total, rankings against the average,
comparisons without data, running periods, signal ties and one signal-matching rule."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.digest.content import compute_figures
from bot.digest.model import BadCallRule
from bot.digest.render import RenderContext, render_digest
from bot.digest.rule import BadCallMatcher
from bot.query.model import Period, PeriodKind, previous_window, resolve_period
from bot.query.planner import LocalFilter, normalize_text
from bot.query.service import QueryResult
from bot.reports import fmt
from bot.reports.render import compare_counts, render_operator_card, render_summary
from bot.reports.stats import CallStats, compute_stats, top_with_ties
from bot.services.calls import comparison_label
from bot.signals import signal_matches
from bot.texts import t
from tests.unit.test_reports_stats import make_raw

ALMATY = ZoneInfo("Asia/Almaty")
NOW = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)  # 11:30 in Almaty


# --- rounding ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "digits", "ru"),
    [
        (42.5, 0, "43"),  # half away from zero, as spreadsheets round
        (6.35, 1, "6,4"),  # 6.35 is 6.3499… in binary: the digits read are rounded
        (2.5, 0, "3"),  # not banker's rounding
        (0.125, 2, "0,13"),
        (1.005, 2, "1,01"),
        (-2.5, 0, "-3"),
        (-0.04, 1, "0"),
        (12.0, 1, "12"),
        (float("nan"), 1, "–"),
        (float("inf"), 1, "–"),
    ],
)
def test_rounding_is_half_away_from_zero(value: float, digits: int, ru: str) -> None:
    assert fmt.decimal(value, "ru", digits) == ru
    assert fmt.decimal(value, "en", digits) == ru.replace(",", ".")


def test_percent_and_durations_round_the_same_way() -> None:
    assert fmt.percent(42.5, "ru") == "43"
    assert fmt.whole(0.5) == 1 and fmt.whole(-0.5) == -1
    assert fmt.hours_minutes(150, "ru") == "3 мин"  # 2,5 minutes
    assert fmt.round_half_up(6.345, 2) == 6.35


def test_a_share_of_exactly_half_a_percent_point_rounds_up_on_screen() -> None:
    # 17 of 40 rated calls ≤ 3 is 42,5 %: shown as 43 %.
    raws = [make_raw(n, rating=2 if n < 17 else 8) for n in range(40)]
    text = render_summary(compute_stats(raws), title="x", lang="ru")
    assert "≤ 3: <b>43 %</b> (17)" in text


# --- averages over rated calls -----------------------------------------------------


def test_rating_average_says_over_how_many_calls() -> None:
    raws = [make_raw(n, rating=7 if n < 27 else None, grade=(60, 100)) for n in range(30)]
    text = render_summary(compute_stats(raws), title="x", lang="ru")
    assert "⭐ Оценка клиента: <b>7</b>/10 по 27 из 30 звонков" in text
    assert "📋 Скрипт: <b>60 %</b> · ниже 50 %" in text  # all scored: nothing to add
    english = render_summary(compute_stats(raws[:21] + raws[27:]), title="x", lang="en")
    assert "<b>7</b>/10 over 21 of 24 calls" in english
    one = render_summary(compute_stats([*raws[:20], raws[27]]), title="x", lang="ru")
    assert "по 20 из 21 звонка" in one


# --- best and lagging operators -----------------------------------------------------


def _operator_calls(operator_id: int, scores: list[int]) -> list[dict[str, Any]]:
    return [
        make_raw(
            operator_id * 100 + n,
            operator=f"Оператор {operator_id}",
            operator_id=operator_id,
            grade=(score, 100),
        )
        for n, score in enumerate(scores)
    ]


def test_ranking_is_relative_to_the_selection_average() -> None:
    raws = [
        *_operator_calls(1, [90, 90, 90]),
        *_operator_calls(2, [60, 60, 60]),
        *_operator_calls(3, [30, 30, 30]),
        *_operator_calls(4, [10, 10]),  # too few calls to be ranked
    ]
    stats = compute_stats(raws)
    average = (270 + 180 + 90 + 20) / 11  # 50,9 → 51 %
    assert stats.avg_score == pytest.approx(average)
    assert [op.name for op in stats.best_operators] == ["Оператор 1", "Оператор 2"]
    assert [op.name for op in stats.worst_operators] == ["Оператор 3"]
    text = render_summary(stats, title="x", lang="ru")
    assert "скрипт выше среднего по выборке (51 %), от 3 звонков" in text
    assert "скрипт ниже среднего по выборке (51 %), от 3 звонков" in text
    assert "Оператор 4" not in text


def test_one_operator_is_not_ranked() -> None:
    stats = compute_stats(_operator_calls(1, [90, 10, 50, 20]))
    assert stats.best_operators == () and stats.worst_operators == ()
    text = render_summary(stats, title="x", lang="ru")
    assert "Лучшие" not in text and "Отстающие" not in text


def test_a_score_shown_as_the_average_is_neither_best_nor_lagging() -> None:
    # 50,2 and 49,8 both read as 50 %, as does the average.
    raws = [*_operator_calls(1, [50, 50, 50, 51]), *_operator_calls(2, [50, 50, 50, 49])]
    stats = compute_stats(raws)
    assert stats.best_operators == () and stats.worst_operators == ()


# --- comparisons ---------------------------------------------------------------------


def test_no_data_for_the_previous_period_is_said_in_words() -> None:
    stats = compute_stats([make_raw(n, rating=5) for n in range(500)])
    text = render_summary(stats, title="x", lang="ru", previous=compute_stats([]))
    assert "нет данных за прошлый период" in text
    assert "▲" not in text and "+500" not in text
    english = render_summary(stats, title="x", lang="en", previous=compute_stats([]))
    assert "no data for the previous period" in english
    card = render_operator_card("A", stats, compute_stats([]), period_label="p", lang="ru")
    assert "нет данных за прошлый период" in card and "▲" not in card
    # A previous count of zero that is real data (a digest's bad calls) is a change.
    assert compare_counts(5, 0, "прошлому дню", "ru") == "▲ +5 к прошлому дню"
    assert compare_counts(5, None, "прошлому дню", "ru") == "нет данных за прошлый период"


def _digest_text(previous: list[dict[str, Any]]) -> str:
    day = date(2026, 11, 22)
    records = [make_raw(n, rating=2, date="2026-11-22 10:00:00+05") for n in range(3)]
    figures = compute_figures(
        records, BadCallMatcher(BadCallRule()), start=day, end=day, previous=previous
    )
    context = RenderContext(lang="ru", tz=ALMATY, rule=BadCallRule())
    return render_digest(figures, context).text()


def test_digest_comparison_without_previous_data() -> None:
    empty = _digest_text([])
    assert "нет данных за прошлый период" in empty and "▲" not in empty
    good_day = _digest_text([make_raw(9, rating=9)])  # calls, none of them bad
    assert "▲ +3 к предыдущему дню (было 0)" in good_day


def _result(kind: PeriodKind) -> QueryResult:
    window = resolve_period(Period(kind), ALMATY, NOW)
    earlier = previous_window(window, NOW)
    return QueryResult(
        records=[],
        previous=[],
        window=window,
        previous_window=earlier,
        fetched_at=NOW,
        so_far=window.contains(NOW),
    )


def test_running_periods_say_up_to_the_same_time_of_day_in_calls_and_op() -> None:
    assert comparison_label(_result(PeriodKind.TODAY), "ru") == "этому же времени вчера"
    week = comparison_label(_result(PeriodKind.D7), "ru")
    assert week == "прошлым 7 дням до того же времени суток"
    assert comparison_label(_result(PeriodKind.D30), "en") == (
        "the previous 30 days up to the same time of day"
    )
    assert comparison_label(_result(PeriodKind.YESTERDAY), "ru") == "предыдущему дню"
    stats = compute_stats([make_raw(n, rating=5) for n in range(4)])
    previous = compute_stats([make_raw(n, rating=5) for n in range(2)])
    summary = render_summary(stats, title="x", lang="ru", previous=previous, previous_label=week)
    card = render_operator_card(
        "A", stats, previous, period_label="7 дней", lang="ru", previous_label=week
    )
    for text in (summary, card):
        assert "▲ 100 % к прошлым 7 дням до того же времени суток" in text


# --- top signal words -------------------------------------------------------------------


def test_ties_at_the_cut_off_are_kept() -> None:
    counts = Counter({"a": 9, "b": 7, "c": 5, "d": 4, "e": 2, "f": 2, "g": 2, "h": 1})
    assert top_with_ties(counts, 5) == [
        ("a", 9), ("b", 7), ("c", 5), ("d", 4), ("e", 2), ("f", 2), ("g", 2)
    ]  # fmt: skip
    assert top_with_ties(Counter({"x": 1, "y": 1}), 5) == [("x", 1), ("y", 1)]
    assert top_with_ties(counts, 0) == []


def test_a_long_tie_is_counted_not_dropped() -> None:
    words = [f"слово{n:02d}" for n in range(14)]
    stats = CallStats(total=1, signals=Counter(dict.fromkeys(words, 3)))
    text = render_summary(stats, title="x", lang="ru")
    listed = [line for line in text.splitlines() if line.startswith("· слово")]
    assert len(listed) == 9
    assert "· и ещё 5 с тем же числом — 3" in text  # 9 listed + 5 counted = 14


def test_digest_signal_ties_are_kept() -> None:
    day = date(2026, 11, 22)
    records = [
        make_raw(n, rating=2, signals=word, date="2026-11-22 10:00:00+05")
        for n, word in enumerate(["a", "b", "c", "d", "e", "f", "g"])
    ]
    figures = compute_figures(records, BadCallMatcher(BadCallRule()), start=day, end=day)
    assert [word for word, _ in figures.signals] == ["a", "b", "c", "d", "e", "f", "g"]


# --- one signal-matching rule ----------------------------------------------------------

SIGNAL_CASES = [
    ("дорого", "дорого", True),
    ("дорого", "очень дорого, скидка", True),
    ("ДОРОГО", "Очень Дорого", True),
    ("очень  дорого", "очень дорого для нас", True),
    ("ёлка", "елка", True),
    ("елка", "Ёлка зелёная", True),
    ("не кричите", "почему вы не кричите", True),
    ("дорог", "очень дорого", False),  # part of a word
    ("дороговато", "дорого", False),
    ("дорого скидка", "дорого, скидка", False),  # across two phrases
    ("скидка", "", False),
    ("вам не подходит", "вам не подходит", True),
]


@pytest.mark.parametrize(("chosen", "mentioned", "expected"), SIGNAL_CASES)
def test_calls_filter_and_digest_rule_match_signals_the_same_way(
    chosen: str, mentioned: str, expected: bool
) -> None:
    raw = make_raw(1, signals=mentioned) if mentioned else make_raw(1)
    phrases = [part for part in mentioned.split(",") if part.strip()]
    assert signal_matches(chosen, phrases) is expected
    assert LocalFilter(signal=normalize_text(chosen)).matches_fields(raw) is expected
    rule = BadCallRule(rating_on=False, score_on=False, signals_on=True, signals=(chosen,))
    assert BadCallMatcher(rule).is_bad(raw) is expected


def test_the_wizards_say_how_signals_match() -> None:
    for lang, words in (("ru", "целыми словами"), ("en", "whole words")):
        assert words in t("calls.ask.s", lang)
        assert words in t("digest.ask.signals", lang, chosen="—")
    assert "целые слова" in t("calls.type.s", "ru")
    assert "целые слова" in t("digest.type_signal", "ru")
