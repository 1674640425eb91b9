"""compute_stats against a small hand-computed fixture."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from bot.reports.stats import compute_stats


def make_raw(
    dialog_id: int,
    *,
    call_type: int | None = 1,
    duration: int | None = 60,
    operator: str | None = "Айгерим Нурланова",
    operator_id: int = 1,
    rating: int | None = None,
    grade: tuple[float, float] | None = None,
    criteria: Mapping[int, tuple[float, str]] | None = None,
    signals: str | None = None,
    summary: str | None = "Summary",
    analytics: bool = True,
    date: str = "2025-04-21 12:06:15+05",
    caller: str | None = "+7 (777) 777 77 77",
) -> dict[str, Any]:
    """A record shaped like the spec's example, with only the asked-for blocks."""
    raw: dict[str, Any] = {
        "call": {
            "dialogId": dialog_id,
            "created_at": "2025-04-21T07:06:15.000000Z",
            "callerId": caller,
            "callerIdClean": "7777777777",
            "callType": call_type,
            "date": date,
            "durationSec": duration,
            "durationMin": (duration or 0) // 60 + 1,
        }
    }
    if operator is not None:
        raw["operator"] = {
            "operatorId": operator_id,
            "fullName": operator,
            "intNum": 594,
            "departmentId": "84",
            "departmentName": "Отдел продаж",
        }
    if not analytics:
        return raw
    block: dict[str, Any] = {
        "status": 3,
        "price": 150,
        "finishDate": "2025-04-18T11:59:56",
        "summary": summary,
        "languages": ["ru"],
        "markers": [],
    }
    if rating is not None:
        block["clientLoyalty"] = {
            "currentGrade": rating,
            "description": f"Rating {rating} description",
            "recommendation": "Call the client back",
        }
    if grade is not None:
        evaluation: dict[str, Any] = {
            "evaluationId": 27,
            "evaluationTitle": "Вопросы по умолчанию",
            "eCurrentGrade": grade[0],
            "maxGrade": grade[1],
            "evaluationRecommendation": "Train active listening",
        }
        for number, (mark, description) in (criteria or {}).items():
            evaluation[f"criterion{number}"] = {
                f"description{number}": description,
                f"mark{number}": mark,
            }
        block["evaluationCriteria"] = evaluation
    if signals is not None:
        block["signals"] = {
            "signalsTitle": "стоп слова",
            "count": len(signals.split(",")),
            "mentionedSignals": signals,
        }
    raw["analytics"] = block
    return raw


AIGERIM = "Айгерим Нурланова"
IVAN = "Иван Иванович"


def fixture_raws() -> list[dict[str, Any]]:
    return [
        make_raw(
            1,
            call_type=1,
            duration=60,
            rating=2,
            grade=(30, 100),
            criteria={1: (3, "greeting ok"), 2: (1, "did not listen")},
            signals="дорого, блин",
        ),
        make_raw(
            2,
            call_type=2,
            duration=120,
            rating=8,
            grade=(80, 100),
            criteria={1: (5, "great greeting"), 2: (4, "listened")},
            signals="дорого",
        ),
        make_raw(
            3,
            call_type=2,
            duration=30,
            grade=(40, 80),
            criteria={1: (4, "fine"), 2: (2, "interrupted")},
        ),
        make_raw(
            4,
            call_type=3,
            duration=None,
            operator=IVAN,
            operator_id=2,
            rating=3,
            grade=(45, 50),
            signals="скидка, дорого",
        ),
        make_raw(5, call_type=4, duration=90, operator=IVAN, operator_id=2, rating=10),
        make_raw(
            6, call_type=1, duration=30, operator=IVAN, operator_id=2, rating=1, grade=(10, 100)
        ),
        make_raw(7, call_type=None, duration=None, operator=None, analytics=False),
    ]


def test_totals_types_and_durations() -> None:
    stats = compute_stats(iter(fixture_raws()))
    assert stats.total == 7
    assert dict(stats.by_type) == {1: 2, 2: 2, 3: 1, 4: 1}
    assert stats.total_duration == 330
    assert stats.avg_duration == pytest.approx(66.0)


def test_ratings_and_scores() -> None:
    stats = compute_stats(fixture_raws())
    assert stats.rated == 5
    assert stats.avg_rating == pytest.approx(4.8)
    assert stats.low_rated == 3
    assert stats.low_rating_share == pytest.approx(60.0)
    assert stats.scored == 5
    assert stats.avg_score == pytest.approx(52.0)
    # 50 % exactly is not "below 50 %".
    assert stats.low_scored == 2
    assert stats.low_score_share == pytest.approx(40.0)


def test_signals_counted_per_call() -> None:
    stats = compute_stats(fixture_raws())
    assert stats.signals == {"дорого": 3, "блин": 1, "скидка": 1}
    assert stats.top_signals[0] == ("дорого", 3)


def test_per_operator_aggregates_and_ranking() -> None:
    stats = compute_stats(fixture_raws())
    by_name = {op.name: op for op in stats.operators}
    assert set(by_name) == {AIGERIM, IVAN}
    aigerim, ivan = by_name[AIGERIM], by_name[IVAN]
    assert (aigerim.calls, aigerim.low_ratings, aigerim.operator_id) == (3, 1, 1)
    assert aigerim.avg_rating == pytest.approx(5.0)
    assert aigerim.avg_score == pytest.approx(160 / 3)
    assert (ivan.calls, ivan.low_ratings) == (3, 2)
    assert ivan.avg_rating == pytest.approx(14 / 3)
    assert ivan.avg_score == pytest.approx(50.0)
    assert [op.name for op in stats.best_operators] == [AIGERIM]
    assert [op.name for op in stats.worst_operators] == [IVAN]


def test_operators_below_min_calls_are_not_ranked() -> None:
    stats = compute_stats(fixture_raws(), min_operator_calls=4)
    assert stats.best_operators == ()
    assert stats.worst_operators == ()
    assert len(stats.operators) == 2


def test_best_and_worst_three_with_many_operators() -> None:
    raws = []
    for index in range(8):
        for call in range(3):
            raws.append(
                make_raw(
                    index * 10 + call,
                    operator=f"Operator {index}",
                    operator_id=index,
                    grade=(10 * index + 5, 100),
                )
            )
    # Perfect score but only two calls: not ranked.
    raws += [
        make_raw(900 + n, operator="Rookie", operator_id=99, grade=(100, 100)) for n in range(2)
    ]
    stats = compute_stats(raws)
    assert [op.name for op in stats.best_operators] == ["Operator 7", "Operator 6", "Operator 5"]
    assert [op.name for op in stats.worst_operators] == ["Operator 0", "Operator 1", "Operator 2"]


def test_worst_calls_order() -> None:
    stats = compute_stats(fixture_raws())
    # By the worse of rating ×10 and score: 6 (10), 1 (20), 4 (30), 3 (50, unrated), 2 (80).
    assert [call.dialog_id for call in stats.worst_calls] == [6, 1, 4, 3, 2]
    first = stats.worst_calls[0]
    assert (first.rating, first.operator) == (1, IVAN)
    assert first.score == pytest.approx(10.0)
    assert first.date is not None and first.date.utcoffset() is not None


def test_an_unrated_call_with_a_very_low_score_is_among_the_worst() -> None:
    raws = [
        make_raw(1, grade=(5, 100)),
        make_raw(2, rating=9, grade=(90, 100)),
        make_raw(3, rating=2, grade=(80, 100)),
        make_raw(4, analytics=False),  # nothing to judge it by: last
    ]
    stats = compute_stats(raws)
    assert [call.dialog_id for call in stats.worst_calls] == [1, 3, 2, 4]


def test_criteria_averages_and_weakest() -> None:
    stats = compute_stats(fixture_raws())
    pack = (27, None)
    assert set(stats.criteria) == {(pack, 1), (pack, 2)}
    first, second = stats.criteria[(pack, 1)], stats.criteria[(pack, 2)]
    assert (first.pack_id, first.pack_title) == (27, "Вопросы по умолчанию")
    assert first.avg_mark == pytest.approx(4.0)
    assert first.count == 3
    assert second.avg_mark == pytest.approx(7 / 3)
    assert [c.number for c in stats.weakest_criteria()] == [2, 1]
    assert [c.number for c in stats.weakest_criteria(1)] == [2]


def test_empty_input() -> None:
    stats = compute_stats([])
    assert stats.total == 0
    assert stats.avg_rating is None and stats.avg_score is None and stats.avg_duration is None
    assert stats.low_rating_share is None
    assert stats.worst_calls == ()
    assert stats.weakest_criteria() == []
