"""HTML renderers: escaping, the 4096 limit, balanced tags, local time."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

from bot.aiokk.models import CallRecord
from bot.reports.markup import fit, text_length
from bot.reports.render import (
    list_row,
    previous_period_label,
    render_card,
    render_list_page,
    render_operator_card,
    render_summary,
    worst_call_label,
)
from bot.reports.stats import compute_stats
from tests.unit.test_reports_stats import fixture_raws, make_raw

MOSCOW = ZoneInfo("Europe/Moscow")
ALLOWED_TAGS = {"b", "i", "code"}
_TAG = re.compile(r"</?(?:b|i|code)>")
_ENTITY = re.compile(r"&(?:amp|lt|gt|quot|#x27);")


class _TagChecker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.errors.append(f"unexpected tag {tag}")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(f"unbalanced </{tag}>")


def assert_telegram_html(text: str) -> None:
    """Balanced known tags only, no bare ``<`` or ``&``, within 4096 UTF-16 units."""
    assert text_length(text) <= 4096
    checker = _TagChecker()
    checker.feed(text)
    checker.close()
    assert checker.errors == []
    assert checker.stack == []
    bare = _TAG.sub("", text)
    assert "<" not in bare and ">" not in bare
    assert "&" not in _ENTITY.sub("", bare)


def plain(text: str) -> str:
    return html.unescape(_TAG.sub("", text))


def test_summary_contents_in_russian() -> None:
    stats = compute_stats(fixture_raws())
    text = render_summary(stats, title="Отдел продаж · 7 дней", lang="ru", previous=None)
    assert_telegram_html(text)
    assert "Отдел продаж · 7 дней" in text
    assert "<b>7</b>" in text
    for name in ("Исходящий", "Входящий", "Входящий с переадресацией", "Обратный звонок"):
        assert name in text
    assert "4,8" in text  # average rating, Russian decimal comma
    assert "60 %" in text  # share of ratings ≤ 3
    assert "52 %" in text  # average script score
    assert "дорого — 3" in text
    assert "Айгерим Нурланова" in text and "Иван Иванович" in text
    assert "<b>6 мин</b>" in text and "1:06" in text  # 330 s of talk over 5 calls


def test_summary_comparison_arrows_both_languages() -> None:
    current = compute_stats(fixture_raws())  # 7 calls
    fewer = compute_stats(fixture_raws()[:4])  # 4 calls
    up = render_summary(
        current,
        title="x",
        lang="ru",
        previous=fewer,
        previous_label=previous_period_label(7, "ru"),
    )
    assert "▲ 75 % к прошлым 7 дням" in up
    down = render_summary(
        fewer,
        title="x",
        lang="en",
        previous=current,
        previous_label=previous_period_label(7, "en"),
    )
    assert "▼ 43 % vs the previous 7 days" in down
    assert "Outgoing" in down
    today = render_summary(
        fewer,
        title="x",
        lang="ru",
        previous=current,
        previous_label=previous_period_label(1, "ru", so_far=True),
    )
    assert "▼ 43 % к этому же времени вчера" in today
    running = "the previous 7 days up to the same time of day"
    assert previous_period_label(7, "en", so_far=True) == running
    assert previous_period_label(7, "ru", so_far=True) == "прошлым 7 дням до того же времени суток"
    assert previous_period_label(21, "ru") == "прошлому 21 дню"


def test_summary_of_nothing() -> None:
    text = render_summary(compute_stats([]), title="Пусто", lang="ru", previous=None)
    assert_telegram_html(text)
    assert "нет" in text


def test_summary_stays_short_and_escaped_with_hostile_data() -> None:
    long_name = "<script>alert(1)</script> & " + "Оченьдлинноеимя " * 20
    raws = []
    for index in range(200):
        for call in range(3):
            raws.append(
                make_raw(
                    index * 10 + call,
                    operator=f"{long_name}{index}",
                    operator_id=index,
                    rating=1 + index % 10,
                    grade=(index % 100, 100),
                    signals=", ".join(f"<script>сигнал {n} {'x' * 300}" for n in range(10)),
                )
            )
    stats = compute_stats(raws)
    title = html.escape("<b>Отдел</b> & " * 100)
    text = render_summary(stats, title=title, lang="ru", previous=stats, previous_label="<x>")
    assert_telegram_html(text)
    assert "<script>" not in text
    assert "&lt;script&gt;" in text
    # Cut to fit, it keeps the caption of the worst calls last, right above their buttons.
    assert text.rstrip().endswith("(оценка 3 = 30 %)</i>")


def test_list_row_and_page() -> None:
    record = CallRecord.model_validate(
        make_raw(
            42,
            call_type=2,
            duration=64,
            rating=2,
            grade=(31, 100),
            operator="Айгерим Нурланова",
        )
    )
    row = list_row(record, MOSCOW, "ru")
    assert "21.04 10:06" in row  # 12:06 at +05 is 10:06 in Moscow
    assert "📥" in row and "Айгерим Н." in row and "1:04" in row
    assert "⭐2" in row and "31%" in row

    hostile = CallRecord.model_validate(make_raw(43, operator="<b>Злой</b> & Co"))
    page = render_list_page([record, hostile], page=2, pages=5, tz=MOSCOW, lang="en")
    assert_telegram_html(page)
    assert "2/5" in page
    assert "&lt;b&gt;Злой" in page

    empty = render_list_page([], page=1, pages=1, tz=MOSCOW, lang="ru")
    assert "Звонков нет" in empty


def test_list_page_numbers_each_call_once() -> None:
    records = [
        CallRecord.model_validate(make_raw(100 + n, operator=f"Оператор {n}")) for n in range(10)
    ]
    page = render_list_page(records, page=2, pages=3, tz=MOSCOW, lang="ru", first=11)
    assert_telegram_html(page)
    lines = page.split("\n")
    numbered = [line for line in lines if re.match(r"<b>\d+\.</b> ", line)]
    assert [line.split(".", 1)[0] for line in numbered] == [f"<b>{n}" for n in range(11, 21)]
    assert all(list_row(r, MOSCOW, "ru") in page for r in records)
    assert "Нажмите номер" in lines[-1]


def test_summary_ends_with_the_caption_of_the_worst_calls() -> None:
    stats = compute_stats(fixture_raws())
    text = render_summary(stats, title="T", lang="ru", updated="<i>Данные на 10:00:00</i>")
    assert_telegram_html(text)
    assert text.rstrip().endswith(
        "по худшему из показателей: оценка клиента или скрипт (оценка 3 = 30 %)</i>"
    )
    assert "Худшие звонки — нажмите, чтобы открыть:" in text
    assert text.index("Данные на 10:00:00") < text.index("Худшие звонки")


def test_worst_call_label() -> None:
    stats = compute_stats(fixture_raws())
    label = worst_call_label(stats.worst_calls[0], MOSCOW, "ru")
    assert label.startswith("⭐1")
    assert "Иван И." in label and "10:06" in label


def test_card_has_everything_in_local_time() -> None:
    raw = make_raw(
        1138,
        call_type=1,
        duration=64,
        rating=2,
        grade=(31, 100),
        criteria={1: (3, "Greeted <politely>"), 2: (4, "Clear & calm")},
        signals="вы не понимаете, блин",
        summary="The customer was upset.",
    )
    parts = render_card(CallRecord.model_validate(raw), tz=MOSCOW, lang="ru")
    assert len(parts) == 1
    text = parts[0]
    assert_telegram_html(text)
    assert "#1138" in text
    assert "21.04.2025 10:06" in text
    assert "Исходящий" in text and "1:04" in text
    assert "<code>+7 (777) 777 77 77</code>" in text
    assert "Айгерим Нурланова" in text and "594" in text and "Отдел продаж" in text
    assert "2/10" in text and "Rating 2 description" in text and "Call the client back" in text
    assert "Вопросы по умолчанию" in text and "31 %" in text
    # The marks (3 + 4) are not the call's grade (31): a criterion's maximum is unknown.
    assert "п. 1 · <b>3</b> — Greeted &lt;politely&gt;" in text
    assert "п. 2 · <b>4</b> — Clear &amp; calm" in text
    assert "Train active listening" in text
    assert "вы не понимаете, блин" in text
    assert "The customer was upset." in text
    assert "ru" in text
    # aiokk does not say what "status" and "price" mean: the card leaves them out.
    assert "Статус" not in text and "Стоимость" not in text and "150" not in text


def test_card_criteria_show_their_maximum_when_the_grade_says_it() -> None:
    """10 criteria of 10 points: eCurrentGrade is the sum of the marks, maxGrade 100."""
    marks = [3, 4, 2, 3, 1, 5, 3, 5, 2, 3]
    criteria = {n: (mark, f"Note {n}") for n, mark in enumerate(marks, start=1)}
    raw = make_raw(1, grade=(sum(marks), 100), criteria=criteria)
    text = render_card(CallRecord.model_validate(raw), tz=MOSCOW, lang="ru")[0]
    assert_telegram_html(text)
    assert "п. 3 · <b>2</b>/10 — Note 3" in text
    english = render_card(CallRecord.model_validate(raw), tz=MOSCOW, lang="en")[0]
    assert "item 3 · <b>2</b>/10 — Note 3" in english
    # A grade that is not the sum of the marks leaves the maximum unsaid.
    odd = make_raw(2, grade=(sum(marks) + 1, 100), criteria=criteria)
    assert "</b>/10" not in render_card(CallRecord.model_validate(odd), tz=MOSCOW, lang="ru")[0]
    # So does a mark above the share of the maximum.
    high = {**criteria, 1: (60, "Note 1")}
    big = make_raw(3, grade=(sum(marks) + 57, 100), criteria=high)
    assert "</b>/10" not in render_card(CallRecord.model_validate(big), tz=MOSCOW, lang="ru")[0]


def test_card_without_analytics() -> None:
    raw = make_raw(5, analytics=False, operator=None)
    parts = render_card(CallRecord.model_validate(raw), tz=MOSCOW, lang="en")
    assert len(parts) == 1
    assert_telegram_html(parts[0])
    assert "#5" in parts[0]


def test_long_card_splits_into_balanced_parts_without_losing_text() -> None:
    criteria = {n: (n % 5 + 1, f"Criterion {n} <note> & " + "word " * 120) for n in range(1, 16)}
    summary = " ".join(f"sentence{n} <tag> & more" for n in range(1500))
    unbroken = "Z" * 9000  # one word longer than a message
    raw = make_raw(
        7,
        rating=2,
        grade=(31, 100),
        criteria=criteria,
        summary=summary + "\n" + unbroken,
        signals="дорого",
    )
    parts = render_card(CallRecord.model_validate(raw), tz=MOSCOW, lang="ru")
    assert len(parts) >= 4
    for part in parts:
        assert_telegram_html(part)
    # Parts after the first open with a "continued" line naming the call.
    assert all("#7" in part.split("\n", 1)[0] for part in parts)
    bodies = [parts[0]] + [part.split("\n", 1)[1] for part in parts[1:]]
    joined = "".join(plain(body) for body in bodies)
    squashed = re.sub(r"\s+", "", joined)
    assert re.sub(r"\s+", "", summary) in squashed
    assert "Z" * 9000 in squashed
    for n in (1, 15):
        assert f"Criterion {n} <note> &" in joined


def test_operator_card() -> None:
    raws = [
        r for r in fixture_raws() if r.get("operator", {}).get("fullName") == "Айгерим Нурланова"
    ]
    stats = compute_stats(raws)
    previous = compute_stats(raws[:1])
    text = render_operator_card(
        "Айгерим <Нурланова>", stats, previous, period_label="7 дней", lang="ru"
    )
    assert_telegram_html(text)
    assert "Айгерим &lt;Нурланова&gt;" in text
    assert "<b>3</b>" in text  # calls
    assert "▲ 200 %" in text
    # The weakest criterion first, named by its pack and number, with its calls.
    weakest = text.split("Слабые пункты скрипта", 1)[1]
    assert "«Вопросы по умолчанию» · п. 2 — <b>2,3</b> (звонков: 3)" in weakest
    assert weakest.index("п. 2") < weakest.index("п. 1")
    assert "did not listen" not in text  # an AI comment on one call is not a name
    assert "дорого" in text

    empty = render_operator_card("X", compute_stats([]), None, period_label="1 день", lang="en")
    assert "No calls" in empty


def test_operator_card_limit_with_huge_descriptions() -> None:
    criteria = {n: (1, "<b>" + "long " * 2000) for n in range(1, 4)}
    raws = [make_raw(n, grade=(1, 100), criteria=criteria, signals="x" * 5000) for n in range(3)]
    stats = compute_stats(raws)
    text = render_operator_card("A" * 500, stats, None, period_label="p" * 500, lang="ru")
    assert_telegram_html(text)


def test_fit_cuts_on_line_boundaries() -> None:
    lines = [f"<b>line {n}</b>" for n in range(1000)]
    text = fit("\n".join(lines), limit=200)
    assert text_length(text) <= 200
    assert text.endswith("…")
    assert_telegram_html(text)
    one_line = fit("<i>" + "&amp;" * 100 + "</i>", limit=50)
    assert_telegram_html(one_line)
