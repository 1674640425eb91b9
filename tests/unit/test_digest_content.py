"""The bad-call rule, the digest figures and the message text (pure functions)."""

from __future__ import annotations

from datetime import date

from bot.aiokk import raw
from bot.digest.content import compute_figures
from bot.digest.model import BadCallRule
from bot.digest.render import (
    CAPTION_LIMIT,
    RenderContext,
    RenderedDigest,
    mark_text,
    period_label,
    render_digest,
    render_empty,
)
from bot.digest.rule import BadCallMatcher, Reason
from bot.reports.markup import MESSAGE_LIMIT, text_length
from tests.unit.test_digest_support import ALMATY, almaty, day_records, record

NOV20 = date(2025, 11, 20)


def _of_day(day: date) -> list[dict[str, object]]:
    return [r for r in day_records() if (m := raw.call_date(r)) and m.date() == day]


def _bad_ids(rule: BadCallRule, day: date = NOV20) -> set[int]:
    matcher = BadCallMatcher(rule)
    return {raw.dialog_id(r) or 0 for r in _of_day(day) if matcher.is_bad(r)}


def test_default_rule_rating_or_score() -> None:
    assert _bad_ids(BadCallRule()) == {1002, 1003, 1004, 1006}


def test_each_condition_can_be_switched_off() -> None:
    assert _bad_ids(BadCallRule(score_on=False)) == {1002, 1003, 1006}
    assert _bad_ids(BadCallRule(rating_on=False)) == {1002, 1004}
    assert _bad_ids(BadCallRule(max_rating=2, score_on=False)) == {1002, 1006}
    assert _bad_ids(BadCallRule(rating_on=False, min_score=36)) == {1002}


def test_signal_words_are_an_or_condition_and_case_insensitive() -> None:
    rule = BadCallRule(signals_on=True, signals=("ЖАЛОБА",))
    assert _bad_ids(rule) == {1002, 1003, 1004, 1005, 1006}
    only_signals = BadCallRule(
        rating_on=False, score_on=False, signals_on=True, signals=("жалоба",)
    )
    assert _bad_ids(only_signals) == {1005}
    # Listed but switched off: ignored.
    assert _bad_ids(BadCallRule(signals_on=False, signals=("жалоба",))) == {1002, 1003, 1004, 1006}


def test_reasons_name_every_condition_met() -> None:
    rule = BadCallRule(signals_on=True, signals=("возврат",))
    bad = record(1, "2025-11-20 10:00:00", rating=2, score=35.0, signals=["возврат"])
    assert BadCallMatcher(rule).reasons(bad) == [Reason.RATING, Reason.SCORE, Reason.SIGNAL]
    # Missing analytics is not evidence of a bad call.
    unknown = record(2, "2025-11-20 10:00:00", rating=None, score=None)
    assert BadCallMatcher(rule).reasons(unknown) == []


def test_figures_of_a_day() -> None:
    figures = compute_figures(
        _of_day(NOV20),
        BadCallMatcher(BadCallRule()),
        start=NOV20,
        end=NOV20,
        previous=_of_day(date(2025, 11, 19)),
    )
    assert (figures.total, figures.bad) == (7, 4)
    assert (figures.previous_total, figures.previous_bad) == (2, 1)
    assert figures.per_operator == [("Айгерим Нурланова", 2), ("Борис <Петров>", 2)]
    assert figures.signals == [("возврат", 1)]
    # Worst first: rating 1, then 2, then 3, then the unrated one with the low score.
    assert [call.dialog_id for call in figures.worst] == [1006, 1002, 1003, 1004]
    assert figures.ratings == {8: 2, 2: 1, 3: 1, 9: 1, 1: 1}
    assert round(figures.bad_share) == 57


def test_handled_calls_are_left_out_of_the_list_but_still_counted() -> None:
    figures = compute_figures(
        _of_day(NOV20),
        BadCallMatcher(BadCallRule()),
        start=NOV20,
        end=NOV20,
        handled={1006, 1002},
    )
    assert figures.bad == 4
    assert figures.handled == 2
    assert [call.dialog_id for call in figures.worst] == [1003, 1004]


def _ctx(**changes: object) -> RenderContext:
    values: dict[str, object] = {"lang": "ru", "tz": ALMATY, "rule": BadCallRule()}
    values.update(changes)
    return RenderContext(**values)  # type: ignore[arg-type]


def test_message_says_what_the_issue_asks_for() -> None:
    figures = compute_figures(
        _of_day(NOV20),
        BadCallMatcher(BadCallRule()),
        start=NOV20,
        end=NOV20,
        previous=_of_day(date(2025, 11, 19)),
    )
    rendered = render_digest(figures, _ctx(owner_name="Айгерим <admin>"))
    text = rendered.text()
    assert "Плохие звонки за 20 ноября: 4 из 7 (57 %)" in text
    assert "▲ 300 % к предыдущему дню" in text
    assert "Борис &lt;Петров&gt; — 2" in text  # escaped
    assert "<Петров>" not in text
    assert "возврат (1)" in text
    assert "Айгерим &lt;admin&gt;" in text  # whose connection feeds the chat
    assert [item.dialog_id for item in rendered.items] == [1006, 1002, 1003, 1004]
    first = rendered.items[1].line
    assert "⭐ 2" in first and "📋 35 %" in first and "10:42" in first
    assert "Клиент уточнил условия доставки." in first


def test_marks_are_added_in_place_and_round_trip_through_storage_form() -> None:
    figures = compute_figures(_of_day(NOV20), BadCallMatcher(BadCallRule()), start=NOV20, end=NOV20)
    rendered = render_digest(figures, _ctx())
    mark = mark_text("Айгерим", almaty(2025, 11, 21, 10, 42), ALMATY)
    text = RenderedDigest.from_dict(rendered.to_dict()).text({1002: mark})
    assert "✓ Айгерим, 10:42" in text
    line = next(line for line in text.split("\n") if "✓ Айгерим" in line)
    assert "⭐ 2" in line  # the mark goes on the call's own line


def test_long_digest_fits_telegram_and_caption_check_is_honest() -> None:
    long_name = "Оператор " + "Очень-Длинная-Фамилия " * 10
    records = [
        record(
            5000 + n,
            f"2025-11-20 {8 + n % 10:02d}:00:00",
            rating=1,
            operator=f"{long_name}{n}",
            summary="<b>" + "жалоба на сервис " * 60,
            signals=[f"слово{n}-" + "x" * 40],
        )
        for n in range(60)
    ]
    figures = compute_figures(records, BadCallMatcher(BadCallRule()), start=NOV20, end=NOV20)
    rendered = render_digest(figures, _ctx(owner_name="x" * 300, late_due=almaty(2025, 11, 21, 9)))
    marks = {
        item.dialog_id: mark_text("И" * 80, almaty(2025, 11, 21, 10), ALMATY)
        for item in rendered.items
    }
    assert text_length(rendered.text(marks)) <= MESSAGE_LIMIT
    assert "<b>жалоба" not in rendered.text()
    assert not rendered.fits_caption()
    short = compute_figures(_of_day(NOV20), BadCallMatcher(BadCallRule()), start=NOV20, end=NOV20)
    small = render_digest(short, _ctx())
    assert small.fits_caption()
    worst_marks = {
        item.dialog_id: mark_text("Ж" * 80, almaty(2025, 11, 21, 23, 59), ALMATY)
        for item in small.items
    }
    assert text_length(small.text(worst_marks)) <= CAPTION_LIMIT


def test_empty_digest_is_one_short_line_and_notes_lateness() -> None:
    figures = compute_figures([], BadCallMatcher(BadCallRule()), start=NOV20, end=NOV20)
    text = render_empty(figures, _ctx()).text()
    assert text == "За 20 ноября плохих звонков нет ✅"
    late = render_empty(figures, _ctx(late_due=almaty(2025, 11, 21, 9))).text()
    assert "бот был офлайн в 09:00" in late


def test_period_labels() -> None:
    assert period_label(date(2025, 11, 20), date(2025, 11, 20), "ru") == "20 ноября"
    assert period_label(date(2025, 11, 21), date(2025, 11, 23), "ru") == "21–23 ноября"
    assert period_label(date(2025, 11, 28), date(2025, 12, 2), "en") == "28 November – 2 December"
    assert (
        period_label(date(2024, 12, 30), date(2025, 1, 2), "ru")
        == "30 декабря 2024 – 2 января 2025"
    )


def test_english_message() -> None:
    figures = compute_figures(_of_day(NOV20), BadCallMatcher(BadCallRule()), start=NOV20, end=NOV20)
    text = render_digest(figures, _ctx(lang="en")).text()
    assert "Bad calls for 20 November: 4 of 7 (57 %)" in text
    assert "Bad call: rating ≤ 3 or script &lt; 50 %" in text
