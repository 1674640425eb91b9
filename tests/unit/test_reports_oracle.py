"""Every figure on the summary, the scorecard and the digest equals an independent
recomputation from the sandbox's raw records (a pinned ``now``, so any day gives the
same data). The oracle below reads the JSON dicts itself and formats as a reader
expects (half away from zero, decimal comma); it shares no code with the reports."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.digest.content import compute_figures
from bot.digest.model import BadCallRule
from bot.digest.render import RenderContext, render_digest
from bot.digest.rule import BadCallMatcher
from bot.reports.render import previous_period_label, render_operator_card, render_summary
from bot.reports.stats import compute_stats
from bot.sandbox import generate_records

ALMATY = ZoneInfo("Asia/Almaty")
NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
TYPE_NAMES = {
    1: "📤 Исходящий",
    2: "📥 Входящий",
    3: "🔀 Входящий с переадресацией",
    4: "🔁 Обратный звонок",
}
Raw = dict[str, Any]


@pytest.fixture(scope="module")
def records() -> list[Raw]:
    return generate_records(600, 1, NOW)


# --- the oracle: reading ----------------------------------------------------------


def block(raw: Raw, *path: str) -> dict[str, Any]:
    value: Any = raw
    for name in path:
        value = value.get(name) if isinstance(value, dict) else None
    return value if isinstance(value, dict) else {}


def local_day(raw: Raw) -> date:
    return datetime.fromisoformat(raw["call"]["date"]).astimezone(ALMATY).date()


def rating(raw: Raw) -> int | None:
    value = block(raw, "analytics", "clientLoyalty").get("currentGrade")
    return int(value) if value is not None else None


def score(raw: Raw) -> float | None:
    evaluation = block(raw, "analytics", "evaluationCriteria")
    if evaluation.get("eCurrentGrade") is None or not evaluation.get("maxGrade"):
        return None
    return 100.0 * float(evaluation["eCurrentGrade"]) / float(evaluation["maxGrade"])


def signals(raw: Raw) -> set[str]:
    text = block(raw, "analytics", "signals").get("mentionedSignals") or ""
    return {part.strip() for part in text.split(",") if part.strip()}


def person(raw: Raw) -> tuple[int | str, str] | None:
    operator = block(raw, "operator")
    if not operator.get("fullName"):
        return None
    key = operator["operatorId"] if operator.get("operatorId") is not None else operator["fullName"]
    return key, operator["fullName"]


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def badness(raw: Raw) -> float | None:
    """The worse of rating ×10 and script score: the definition the screens state."""
    measures = [10.0 * r for r in [rating(raw)] if r is not None]
    measures += [s for s in [score(raw)] if s is not None]
    return min(measures) if measures else None


def top_signals(counts: Counter[str], n: int = 5) -> list[tuple[str, int]]:
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0].casefold(), item[0]))
    if len(ordered) <= n:
        return ordered
    return [item for item in ordered if item[1] >= ordered[n - 1][1]]


# --- the oracle: formatting ---------------------------------------------------------


def half_up(value: float, digits: int = 0) -> Decimal:
    return Decimal(str(value)).quantize(Decimal(10) ** -digits, rounding=ROUND_HALF_UP)


def ru(value: float, digits: int = 1) -> str:
    number = half_up(value, digits)
    text = str(int(number)) if number == int(number) else str(number)
    return text.replace(".", ",")


def clock(seconds: float) -> str:
    minutes, secs = divmod(int(half_up(seconds)), 60)
    return f"{minutes}:{secs:02d}"


def of_calls(n: int) -> str:
    return "звонка" if n % 10 == 1 and n % 100 != 11 else "звонков"


def delta(current: float, previous: float, unit: str = "") -> str:
    diff = half_up(current - previous, 1)
    if diff == 0:
        return " (=)"
    arrow = "▲" if diff > 0 else "▼"
    return f" ({arrow} {ru(float(abs(diff)))}{unit})"


def figure_lines(calls: list[Raw], previous: list[Raw] | None) -> list[str]:
    """The duration, rating and score lines of a summary or a scorecard."""
    durations = [raw["call"]["durationSec"] for raw in calls]
    minutes = int(half_up(sum(durations) / 60))
    hours, rest = divmod(minutes, 60)
    talk = f"{hours} ч {rest} мин" if hours else f"{rest} мин"
    lines = [f"⏱ Разговоры: <b>{talk}</b> · в среднем {clock(mean(durations))}"]

    ratings = [r for raw in calls if (r := rating(raw)) is not None]
    low = sum(1 for r in ratings if r <= 3)
    over = f" по {len(ratings)} из {len(calls)} {of_calls(len(calls))}"
    over = over if len(ratings) < len(calls) else ""
    line = f"⭐ Оценка клиента: <b>{ru(mean(ratings))}</b>/10{over}"
    line += f" · ≤ 3: <b>{ru(100 * low / len(ratings), 0)} %</b> ({low})"
    if previous:
        previous_ratings = [r for raw in previous if (r := rating(raw)) is not None]
        line += delta(mean(ratings), mean(previous_ratings))
    lines.append(line)

    scores = [s for raw in calls if (s := score(raw)) is not None]
    low = sum(1 for s in scores if s < 50)
    over = f" по {len(scores)} из {len(calls)} {of_calls(len(calls))}"
    line = f"📋 Скрипт: <b>{ru(mean(scores), 0)} %</b>{over if len(scores) < len(calls) else ''}"
    line += f" · ниже 50 %: <b>{ru(100 * low / len(scores), 0)} %</b> ({low})"
    if previous:
        previous_scores = [s for raw in previous if (s := score(raw)) is not None]
        line += delta(mean(scores), mean(previous_scores), " п.п.")
    lines.append(line)
    return lines


def signal_lines(calls: list[Raw]) -> list[str]:
    counts: Counter[str] = Counter()
    for raw in calls:
        counts.update(signals(raw))
    return [f"· {word} — {count}" for word, count in top_signals(counts)]


def ranking_lines(calls: list[Raw]) -> list[str]:
    """Best and lagging operators: against the selection's average, 3 calls at least."""
    team = half_up(mean([s for raw in calls if (s := score(raw)) is not None]))
    by_person: dict[int | str, list[Raw]] = defaultdict(list)
    names: dict[int | str, str] = {}
    for raw in calls:
        if (found := person(raw)) is not None:
            by_person[found[0]].append(raw)
            names.setdefault(found[0], found[1])
    if len(by_person) < 2:
        return []
    rows = []
    for key, own in by_person.items():
        scores = [s for raw in own if (s := score(raw)) is not None]
        if len(own) >= 3 and scores:
            ratings = [r for raw in own if (r := rating(raw)) is not None]
            rows.append((mean(scores), len(own), names[key], ratings))
    best = sorted((r for r in rows if half_up(r[0]) > team), key=lambda r: (-r[0], -r[1], r[2]))
    lagging = sorted((r for r in rows if half_up(r[0]) < team), key=lambda r: (r[0], -r[1], r[2]))
    lines = []
    for heading, chosen in (("выше", best[:3]), ("ниже", lagging[:3])):
        if chosen:
            lines.append(f"<i>скрипт {heading} среднего по выборке ({team} %), от 3 звонков</i>")
        for position, (avg, count, name, ratings) in enumerate(chosen, start=1):
            stars = ru(mean(ratings)) if ratings else "–"
            lines.append(f"{position}. {name} — {ru(avg, 0)} % · ⭐ {stars} · {count} зв.")
    return lines


def worst_ids(calls: list[Raw]) -> list[int]:
    def key(raw: Raw) -> tuple[bool, float, bool, int, bool, float]:
        worst, r, s = badness(raw), rating(raw), score(raw)
        return (worst is None, worst or 0.0, r is None, r or 0, s is None, s or 0.0)

    return [raw["call"]["dialogId"] for raw in sorted(calls, key=key)[:5]]


# --- the screens --------------------------------------------------------------------


def test_summary_figures_equal_the_oracle(records: list[Raw]) -> None:
    current = [raw for raw in records if date(2026, 11, 17) <= local_day(raw)]
    previous = [raw for raw in records if date(2026, 11, 10) <= local_day(raw) < date(2026, 11, 17)]
    assert current and previous
    stats = compute_stats(current)
    text = render_summary(
        stats,
        title="Все звонки · 7 дней",
        lang="ru",
        previous=compute_stats(previous),
        previous_label=previous_period_label(7, "ru"),
    )
    lines = text.splitlines()

    change = 100 * abs(len(current) - len(previous)) / len(previous)
    arrow = "▲" if len(current) > len(previous) else "▼"
    assert lines[1] == (
        f"📞 Звонков: <b>{len(current)}</b> · {arrow} {ru(change, 0)} % к прошлым 7 дням"
    )
    types = Counter(raw["call"]["callType"] for raw in current)
    for call_type, name in TYPE_NAMES.items():
        share = ru(100 * types[call_type] / len(current), 0)
        assert f"{name}: {types[call_type]} ({share} %)" in lines
    for line in figure_lines(current, previous):
        assert line in lines
    signal_part = lines[lines.index("🔔 <b>Сигналы</b> (в скольких звонках)") + 1 :]
    expected_signals = signal_lines(current)
    assert signal_part[: len(expected_signals)] == expected_signals
    assert signal_part[len(expected_signals)] == ""  # nothing more in that block
    ranking = ranking_lines(current)
    assert ranking and all(line in lines for line in ranking)
    assert [call.dialog_id for call in stats.worst_calls] == worst_ids(current)


def test_scorecard_figures_equal_the_oracle(records: list[Raw]) -> None:
    people = Counter(found[0] for raw in records if (found := person(raw)) is not None)
    chosen = people.most_common(1)[0][0]
    calls = [raw for raw in records if (found := person(raw)) and found[0] == chosen]
    name = block(calls[0], "operator")["fullName"]
    text = render_operator_card(name, compute_stats(calls), None, period_label="30 дней", lang="ru")
    lines = text.splitlines()
    assert lines[0] == f"👤 <b>{name}</b> · 30 дней"
    assert lines[1] == f"📞 Звонков: <b>{len(calls)}</b>"
    for line in figure_lines(calls, None):
        assert line in lines

    marks: dict[tuple[int, int], list[float]] = defaultdict(list)
    titles: dict[int, str] = {}
    for raw in calls:
        evaluation = block(raw, "analytics", "evaluationCriteria")
        for key, value in evaluation.items():
            if key.startswith("criterion"):
                number = int(key.removeprefix("criterion"))
                marks[(evaluation["evaluationId"], number)].append(value[f"mark{number}"])
                titles[evaluation["evaluationId"]] = evaluation["evaluationTitle"]
    averages = sorted(
        (
            (mean(values), titles[pack], number, len(values))
            for (pack, number), values in marks.items()
        ),
        key=lambda item: (item[0], item[1].casefold(), item[2]),
    )
    expected = [
        f"· «{title}» · п. {number} — <b>{ru(average)}</b> (звонков: {count})"
        for average, title, number, count in averages[:3]
    ]
    start = lines.index(
        "📉 <b>Слабые пункты скрипта</b> (средний балл; пункты наборов не смешиваются)"
    )
    assert lines[start + 1 : start + 4] == expected
    signal_part = lines[lines.index("🔔 <b>Сигналы</b> (в скольких звонках)") + 1 :]
    assert signal_part == signal_lines(calls)


def test_digest_figures_equal_the_oracle(records: list[Raw]) -> None:
    day = date(2026, 11, 22)  # a Sunday: fewer calls, still bad ones
    calls = [raw for raw in records if local_day(raw) == day]
    bad = [
        raw
        for raw in calls
        if ((r := rating(raw)) is not None and r <= 3) or ((s := score(raw)) is not None and s < 50)
    ]
    assert bad, "the sandbox has bad calls every day"
    figures = compute_figures(calls, BadCallMatcher(BadCallRule()), start=day, end=day)
    text = render_digest(figures, RenderContext(lang="ru", tz=ALMATY, rule=BadCallRule())).text()
    share = 100 * len(bad) / len(calls)
    share_text = "<1" if 0 < share < 1 else ru(share, 0)
    assert (
        f"📉 <b>Плохие звонки за 22 ноября: {len(bad)} из {len(calls)} ({share_text} %)</b>" in text
    )

    per_operator = Counter(block(raw, "operator").get("fullName") or "–" for raw in bad)
    for name, count in sorted(per_operator.items(), key=lambda item: (-item[1], item[0]))[:8]:
        assert f"\n{name} — {count}\n" in text + "\n"

    counts: Counter[str] = Counter()
    for raw in bad:
        counts.update(signals(raw))
    if counts:
        words = ", ".join(f"{word} ({count})" for word, count in top_signals(counts))
        assert f"🔔 <b>Частые сигналы:</b> {words}" in text

    def severity(raw: Raw) -> tuple[float, int, float, float]:
        worst, r, s = badness(raw), rating(raw), score(raw)
        stamp = datetime.fromisoformat(raw["call"]["date"]).timestamp()
        return (
            worst if worst is not None else 999.0,
            r if r is not None else 99,
            s if s is not None else 999.0,
            -stamp,
        )

    expected = [raw["call"]["dialogId"] for raw in sorted(bad, key=severity)[:5]]
    assert [call.dialog_id for call in figures.worst] == expected
