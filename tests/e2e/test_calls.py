"""/calls end to end: filters, periods, summaries, lists, cards, stale buttons, restarts, groups.

Expected figures are never written down: each test fetches the sandbox's data over HTTP
and counts the matching calls itself, with its own (deliberately simple) filtering.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import itertools
import re
import sqlite3
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import httpx
import openpyxl

from tests.clock import TEST_NOW
from tests.e2e.conftest import Sandbox, StartBot
from tests.e2e.steps import Person
from tests.fake_telegram import FakeTelegram
from tests.fake_telegram.state import MESSAGE_METHODS

JsonDict = dict[str, Any]
T = TypeVar("T")
TZ_NAME = "Asia/Almaty"
TZ = ZoneInfo(TZ_NAME)
WAIT = 30.0
STALE = "устарело"
_forged_ids = itertools.count(1)


# ------------------------------------------------------------------ the sandbox's truth


async def sandbox_calls(base_url: str) -> list[JsonDict]:
    """Every call the sandbox serves: the union of the four call types."""
    records: list[JsonDict] = []
    async with httpx.AsyncClient(timeout=30) as client:
        for call_type in (1, 2, 3, 4):
            response = await client.post(
                f"{base_url}/api/v1/export/dialogs/call_type",
                json={"token": "demo", "call_type": call_type},
            )
            response.raise_for_status()
            records.extend(response.json())
    return records


async def sandbox_requests(base_url: str) -> int:
    """How many export requests the sandbox has answered so far."""
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.get(f"{base_url}/_sandbox/stats")
        response.raise_for_status()
        return int(response.json()["total"])


def _fold(text: str) -> str:
    return text.casefold().replace("ё", "е")


def _whole_words(chosen: str, phrase: str) -> bool:
    """A signal matches a call's phrase it equals or appears in as whole words."""
    needle, text = _fold(" ".join(chosen.split())), _fold(" ".join(phrase.split()))
    return needle == text or f" {needle} " in f" {text} "


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _block(raw: JsonDict, *path: str) -> JsonDict:
    current: Any = raw
    for name in path:
        current = current.get(name) if isinstance(current, dict) else None
    return current if isinstance(current, dict) else {}


@dataclass(frozen=True)
class Filter:
    """What a user chose in the wizard, checked the simple way on raw records."""

    department: int | None = None
    operator: str | None = None
    call_type: int | None = None
    pack: int | None = None
    rating: int | None = None
    rating_max: int | None = None
    signal: str | None = None

    def matches(self, raw: JsonDict) -> bool:
        operator = _block(raw, "operator")
        grade = _int(_block(raw, "analytics", "clientLoyalty").get("currentGrade"))
        words = [
            word.strip()
            for word in str(
                _block(raw, "analytics", "signals").get("mentionedSignals") or ""
            ).split(",")
            if word.strip()
        ]
        checks = (
            self.department is None or _int(operator.get("departmentId")) == self.department,
            self.operator is None
            or _fold(self.operator) in _fold(str(operator.get("fullName") or "")),
            self.call_type is None or _int(_block(raw, "call").get("callType")) == self.call_type,
            self.pack is None
            or _int(_block(raw, "analytics", "evaluationCriteria").get("evaluationId"))
            == self.pack,
            self.rating is None or grade == self.rating,
            self.rating_max is None or (grade is not None and grade <= self.rating_max),
            self.signal is None or any(_whole_words(self.signal, word) for word in words),
        )
        return all(checks)


Bounds = tuple[datetime, datetime] | None


def today() -> date:
    return TEST_NOW.astimezone(TZ).date()


def days(first: date, last: date) -> Bounds:
    """Local days ``first``..``last`` inclusive as [start, end) instants."""
    return (
        datetime.combine(first, time(), TZ),
        datetime.combine(last + timedelta(days=1), time(), TZ),
    )


def preset(label: str) -> Bounds:
    now = today()
    return {
        "Сегодня": days(now, now),
        "Вчера": days(now - timedelta(days=1), now - timedelta(days=1)),
        "7 дней": days(now - timedelta(days=6), now),
        "30 дней": days(now - timedelta(days=29), now),
        "Всё время": None,
    }[label]


def call_moment(raw: JsonDict) -> datetime | None:
    value = _block(raw, "call").get("date")
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def in_bounds(raw: JsonDict, bounds: Bounds) -> bool:
    if bounds is None:
        return True
    moment = call_moment(raw)
    return moment is not None and bounds[0] <= moment < bounds[1]


def select(records: Iterable[JsonDict], rule: Filter, bounds: Bounds) -> list[JsonDict]:
    return [raw for raw in records if rule.matches(raw) and in_bounds(raw, bounds)]


def dialog_id(raw: JsonDict) -> int:
    return int(_block(raw, "call")["dialogId"])


# ------------------------------------------------------------------------ the user side


def total_of(message: JsonDict) -> int:
    """The "Звонков: N" figure of a summary or a scorecard."""
    found = re.search(r"Звонков: ([\d\s]+)", message.get("text") or "")
    assert found, message.get("text")
    return int(re.sub(r"\D", "", found.group(1)))


def button_data(fake: FakeTelegram, message: JsonDict, label: str, *, exact: bool) -> str:
    buttons = fake.buttons(message)
    for text, data in buttons:
        if (text == label) if exact else (label in text):
            return data
    raise LookupError(f"no button {label!r}; have {[text for text, _ in buttons]}")


class User(Person):
    """A Person who also counts taps and can match button labels exactly."""

    taps = 0

    async def tap(
        self,
        label: str,
        *,
        message: JsonDict | None = None,
        contains: str | None = None,
        exact: bool = False,
        wait: float = WAIT,
    ) -> JsonDict:
        source = self.current(message if message is not None else self.last_with_buttons())
        data = button_data(self.fake, source, label, exact=exact)
        self.taps += 1
        return await self.press_data(source, data, contains=contains, wait=wait)

    async def choose(self, label: str, *, contains: str | None = None) -> JsonDict:
        """Press a value button, paging through "Ещё ▶️" until it shows up."""
        screen = self.current(self.last_with_buttons())
        for _ in range(20):
            labels = self.labels(screen)
            if label in labels:
                return await self.tap(label, message=screen, exact=True, contains=contains)
            more = [text for text in labels if text.startswith("Ещё")]
            assert more, f"{label!r} is not offered: {labels}"
            screen = await self.tap(more[0], message=screen, exact=True)
        raise AssertionError(f"{label!r} not found after paging")

    async def say_until(self, text: str, any_of: Sequence[str], *, wait: float = WAIT) -> JsonDict:
        """Send ``text``; the bot's next message that contains one of ``any_of``."""

        def matches(message: JsonDict) -> bool:
            seen = message.get("text") or ""
            return message["chat"]["id"] == self.chat_id and any(part in seen for part in any_of)

        mark = self.fake.mark()
        self.fake.send_text(self.chat_id, self.user_id, text)
        call = await self.fake.wait_for(
            lambda c: c.method in MESSAGE_METHODS and any(map(matches, c.messages())),
            after=mark,
            timeout=wait,
        )
        return next(message for message in call.messages() if matches(message))

    async def answer_to(self, message: JsonDict, data: str, *, wait: float = WAIT) -> str:
        """Click ``data`` under ``message`` as this user; the text of the answered toast."""
        mark = self.fake.mark()
        self.fake.click(message, data, user_id=self.user_id)
        return await callback_answer(self.fake, mark, wait)

    def forge(self, message: JsonDict, data: str) -> int:
        """A callback query with any data, as a modified client could send; returns the mark."""
        mark = self.fake.mark()
        query_id = f"{9_100_000_000 + next(_forged_ids)}"
        query = {
            "id": query_id,
            "from": self.fake.user(self.user_id),
            "message": self.current(message),
            "chat_instance": "42",
            "data": data,
        }
        self.fake.api.pending_callbacks[query_id] = query
        self.fake.enqueue_update({"callback_query": query})
        return mark


async def callback_answer(fake: FakeTelegram, mark: int, wait: float = WAIT) -> str:
    """The alert a press got: on the press itself or, when the bot answered the press blank
    because its handler was slow (a loaded machine), as a message in the chat."""
    call = await fake.wait_for(
        lambda c: (
            (c.method == "answerCallbackQuery" and bool(c.params.get("text")))
            or c.method == "sendMessage"
        ),
        after=mark,
        timeout=wait,
    )
    assert call.ok, f"the answer was refused: {call.description}"
    return str(call.params["text"])


async def connect(fake: FakeTelegram, user_id: int) -> User:
    """A user connected with the token ``demo`` to a bot with a pinned sandbox address."""
    user = User(fake, user_id)
    await user.say("/connect", contains="токен")
    await user.say("demo", contains="Подключено", wait=WAIT)
    return user


async def warm(user: User) -> JsonDict:
    """An all-time summary of all calls: the bot then knows every catalog value."""
    menu = await user.say("/calls", contains="Выберите фильтр")
    await user.tap("Выбрать период", message=menu, contains="За какой период")
    return await user.tap("Всё время", exact=True, contains="Звонков:")


async def summary(
    user: User, field: str, value: str, period: str, *, typed: bool = False
) -> JsonDict:
    """/calls → filter → value (a button, or typed) → period → the summary."""
    menu = await user.say("/calls", contains="Выберите фильтр")
    await user.tap(field, message=menu)
    if typed:
        await user.tap("Ввести другое")
        answer = await user.say_until(value, ("За какой период", "несколько операторов"))
        if "несколько операторов" in answer["text"]:
            # A typed name that fits several people: keep it as "contains".
            await user.tap("Все, чьё имя содержит", message=answer, contains="За какой период")
    else:
        await user.choose(value, contains="За какой период")
    return await user.tap(period, exact=True, contains="Звонков:")


def assert_all_calls_ok(fake: FakeTelegram, mark: int) -> None:
    """No Bot API call since ``mark`` was refused (bad HTML, too long, not modified…)."""
    failed = [
        (c.method, c.description)
        for c in fake.calls[mark:]
        if c.method != "getUpdates" and c.status is not None and not c.ok
    ]
    assert not failed, failed


async def crowd(fake: FakeTelegram, first_id: int, count: int) -> list[User]:
    """Several connected users with warm catalogs, set up side by side.

    The bot paces messages per chat (about one a second), so spreading a test's steps
    over several private chats is what keeps it fast.
    """
    users = await asyncio.gather(*(connect(fake, first_id + n) for n in range(count)))
    await asyncio.gather(*(warm(user) for user in users))
    return list(users)


async def spread(
    users: list[User],
    cases: Sequence[T],
    run: Callable[[User, T], Awaitable[None]],
) -> None:
    """Run ``cases`` round-robin over ``users``: one after another per user, users at once."""

    async def work(index: int, user: User) -> None:
        for case in cases[index :: len(users)]:
            await run(user, case)

    await asyncio.gather(*(work(index, user) for index, user in enumerate(users)))


# ------------------------------------------------------------------------------- tests


async def test_every_filter_type_counts_what_the_sandbox_holds(
    fake_telegram: FakeTelegram, sandbox: Sandbox, bot_process: StartBot
) -> None:
    await bot_process(aiokk_base_url=sandbox.base_url, timezone=TZ_NAME)
    records = await sandbox_calls(sandbox.base_url)
    mark = fake_telegram.mark()
    users = await crowd(fake_telegram, 701, 4)
    assert total_of(users[0].current(users[0].last_with_buttons())) == len(records)

    signals = Counter(
        word.strip()
        for raw in select(records, Filter(), preset("30 дней"))
        for word in str(_block(raw, "analytics", "signals").get("mentionedSignals") or "").split(
            ","
        )
        if word.strip()
    )
    signal = signals.most_common(1)[0][0]
    cases: list[tuple[str, str, str, Filter, bool]] = [
        ("Отдел", "Служба поддержки", "30 дней", Filter(department=85), False),
        ("Оператор", "Пётр Семёнов", "Всё время", Filter(operator="Пётр Семёнов"), False),
        ("Оператор", "айгерим", "30 дней", Filter(operator="Айгерим"), True),
        ("Тип звонка", "Входящий", "7 дней", Filter(call_type=2), False),
        ("Тип звонка", "Обратный звонок", "Всё время", Filter(call_type=4), False),
        ("Набор вопросов", "Скрипт продаж", "30 дней", Filter(pack=31), False),
        ("Набор вопросов", "42", "Всё время", Filter(pack=42), True),
        ("Оценка клиента", "2", "30 дней", Filter(rating=2), False),
        ("Оценка клиента", "≤ 3", "7 дней", Filter(rating_max=3), False),
        ("Сигнал", signal, "30 дней", Filter(signal=signal), False),
        ("Сигнал", signal.upper(), "Всё время", Filter(signal=signal), True),
    ]

    async def check(user: User, case: tuple[str, str, str, Filter, bool]) -> None:
        field, value, period, rule, typed = case
        answer = await summary(user, field, value, period, typed=typed)
        expected = len(select(records, rule, preset(period)))
        assert expected > 0, case  # each case must check a real figure
        assert total_of(answer) == expected, (case, answer["text"])

    await spread(users, cases, check)
    assert_all_calls_ok(fake_telegram, mark)


async def test_combined_filter_and_every_period(
    fake_telegram: FakeTelegram, sandbox: Sandbox, bot_process: StartBot
) -> None:
    await bot_process(aiokk_base_url=sandbox.base_url, timezone=TZ_NAME)
    records = await sandbox_calls(sandbox.base_url)
    users = await crowd(fake_telegram, 721, 5)
    rule = Filter(department=86, rating_max=3)
    periods = ("Сегодня", "Вчера", "7 дней", "30 дней", "Всё время")

    async def check(user: User, period: str) -> None:
        # Department + rating ≤ 3.
        menu = await user.say("/calls", contains="Выберите фильтр")
        await user.tap("Отдел", message=menu)
        await user.choose("Колл-центр", contains="За какой период")
        filters = await user.tap("Добавить фильтр", contains="Выберите фильтр")
        assert "Колл-центр" in filters["text"]
        assert "🏢 Отдел ✓" in user.labels(filters)
        await user.tap("Оценка клиента", message=filters)
        await user.choose("≤ 3", contains="За какой период")
        answer = await user.tap(period, exact=True, contains="Звонков:")
        assert "Колл-центр" in answer["text"] and "Оценка ≤ 3" in answer["text"]
        assert period in answer["text"]
        assert total_of(answer) == len(select(records, rule, preset(period))), period
        # All calls with the same preset.
        menu = await user.say("/calls", contains="Выберите фильтр")
        await user.tap("Выбрать период", message=menu)
        answer = await user.tap(period, exact=True, contains="Звонков:")
        assert total_of(answer) == len(select(records, Filter(), preset(period))), period

    await spread(users, periods, check)
    count = {period: len(select(records, Filter(), preset(period))) for period in periods}
    # The sandbox has calls every day: a preset that took the wrong days would show.
    assert count["Сегодня"] < count["7 дней"] < count["30 дней"] <= count["Всё время"]
    assert count["Вчера"] < count["7 дней"]

    # From a summary, Change filter keeps the draft: a new period on the same filters.
    user = users[0]
    await user.tap("Изменить фильтр", contains="Выберите фильтр")
    await user.tap("Выбрать период", contains="За какой период")
    answer = await user.tap("Вчера", exact=True, contains="Звонков:")
    assert "Все звонки · Вчера" in answer["text"]
    assert total_of(answer) == len(select(records, Filter(), preset("Вчера")))


async def test_custom_range_wrong_then_right_keeps_the_draft(
    fake_telegram: FakeTelegram, sandbox: Sandbox, bot_process: StartBot
) -> None:
    await bot_process(aiokk_base_url=sandbox.base_url, timezone=TZ_NAME)
    user = await connect(fake_telegram, 703)
    records = await sandbox_calls(sandbox.base_url)
    await warm(user)

    menu = await user.say("/calls", contains="Выберите фильтр")
    await user.tap("Отдел", message=menu)
    await user.choose("Отдел продаж", contains="За какой период")
    await user.tap("Свои даты", contains="Пришлите дату")
    wrong = await user.say("31.02-05.03")
    assert "Такой даты нет" in wrong["text"]
    nonsense = await user.say("когда-нибудь потом")
    assert "Не понял дату" in nonsense["text"]

    first, last = today() - timedelta(days=12), today() - timedelta(days=3)
    answer = await user.say(f"{first:%d.%m}-{last:%d.%m}", contains="Звонков:", wait=WAIT)
    assert "Отдел продаж" in answer["text"], "the department chosen before is kept"
    assert f"{first:%d.%m}–{last:%d.%m.%Y}" in answer["text"]
    expected = select(records, Filter(department=84), days(first, last))
    assert expected and total_of(answer) == len(expected)
    assert "Список" in " ".join(user.labels(answer))

    # Dates as people type them (TEST_NOW is Monday 23.11.2026).
    forms = {
        "2026-11-16..2026-11-20": "16.11–20.11.2026",
        "с 16 по 20 ноября": "16.11–20.11.2026",
        "16-20 ноября": "16.11–20.11.2026",
        "November 16 - 20": "16.11–20.11.2026",
        "20.11–16.11": "16.11–20.11.2026",  # reversed: the same days, never a year ahead
        "21 ноября": "21.11.2026",
        "вчера": "22.11.2026",
        "прошлая неделя": "16.11–22.11.2026",
    }
    assert today() == date(2026, 11, 23)
    for typed, shown in forms.items():
        await user.tap("Изменить фильтр", contains="Выберите фильтр")
        await user.tap("Выбрать период", contains="За какой период")
        prompt = await user.tap("Свои даты", contains="Пришлите дату")
        assert "<code>2026-" not in prompt["text"] and ".2026" in prompt["text"]
        answer = await user.say(typed, contains="Звонков:", wait=WAIT)
        assert shown in answer["text"], typed
    # An end in the future is cut to today, and the user is told.
    mark = fake_telegram.mark()
    await user.tap("Изменить фильтр", contains="Выберите фильтр")
    await user.tap("Выбрать период", contains="За какой период")
    await user.tap("Свои даты", contains="Пришлите дату")
    answer = await user.say("16.11–30.11", contains="Звонков:", wait=WAIT)
    assert "16.11–23.11.2026" in answer["text"]
    note = await fake_telegram.wait_for_bot_message(user.chat_id, contains="по сегодня", after=mark)
    assert "23.11.2026" in note["text"]


async def test_department_week_in_four_taps(
    fake_telegram: FakeTelegram, sandbox: Sandbox, bot_process: StartBot
) -> None:
    await bot_process(aiokk_base_url=sandbox.base_url, timezone=TZ_NAME)
    user = await connect(fake_telegram, 704)
    records = await sandbox_calls(sandbox.base_url)
    await warm(user)

    menu = await user.say("/calls", contains="Выберите фильтр")
    user.taps = 0
    await user.tap("Отдел", message=menu, contains="Выберите отдел")
    await user.tap("Служба доставки", exact=True, contains="За какой период")
    answer = await user.tap("7 дней", exact=True, contains="Звонков:")
    assert user.taps <= 4
    assert "Служба доставки · 7 дней" in answer["text"]
    expected = select(records, Filter(department=115), preset("7 дней"))
    assert total_of(answer) == len(expected)

    # The worst calls open from the summary and lead back to it; Refresh counts again.
    worst = card_ids(user, answer)
    assert worst and set(worst) <= {dialog_id(raw) for raw in expected}
    opened = fake_telegram.mark()
    await user.press_data(
        answer, card_button(user, answer, worst[0]), contains=f"Звонок #{worst[0]}", wait=WAIT
    )
    # A long card comes in parts; its buttons are under the last one.
    card_end = await user.message_with_button("К сводке", after=opened)
    back = await user.tap("К сводке", message=card_end, contains="Звонков:")
    assert "Служба доставки · 7 дней" in back["text"]
    asked = await sandbox_requests(sandbox.base_url)
    mark = fake_telegram.mark()
    fake_telegram.click(
        back, button_data(fake_telegram, back, "Обновить", exact=False), user_id=user.user_id
    )
    await fake_telegram.wait_for(
        lambda c: c.method == "editMessageText" and c.status is not None, after=mark, timeout=WAIT
    )
    assert await sandbox_requests(sandbox.base_url) > asked, "Refresh asks aiokk again"
    assert total_of(user.current(back)) == len(expected)

    # A new /calls, used to the end: the old summary's buttons still work on its own query.
    newer = await summary(user, "Тип звонка", "Входящий", "Вчера")
    assert newer["message_id"] != back["message_id"]
    page = await user.tap("Список", message=back, contains="стр. 1/")
    assert set(card_ids(user, page)) <= {dialog_id(raw) for raw in expected}
    old = await user.tap("К сводке", message=page, contains="Звонков:")
    assert "Служба доставки · 7 дней" in old["text"]
    mark = fake_telegram.mark()
    fake_telegram.click(user.current(old), user.button("Excel", old), user_id=user.user_id)
    sent = await fake_telegram.wait_for(
        lambda c: c.method == "sendDocument" and c.ok, after=mark, timeout=60
    )
    _, data = fake_telegram.document(sent.result["document"]["file_id"])
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    ids = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(ids) == sorted(dialog_id(raw) for raw in expected)


async def test_empty_result_offers_to_change_the_filter(
    fake_telegram: FakeTelegram, sandbox: Sandbox, bot_process: StartBot
) -> None:
    await bot_process(aiokk_base_url=sandbox.base_url, timezone=TZ_NAME)
    user = await connect(fake_telegram, 705)
    mark = fake_telegram.mark()
    nobody = "<b>Никто</b> & Co"  # also proves that typed text is escaped everywhere
    answer = await summary(user, "Оператор", nobody, "Всё время", typed=True)
    assert total_of(answer) == 0
    assert "нет" in answer["text"] and nobody in answer["text"]
    labels = user.labels(answer)
    assert any("Изменить фильтр" in label for label in labels)
    assert not any("Excel" in label or "Список" in label for label in labels)
    screen = await user.tap("Изменить фильтр", message=answer, contains="Выберите фильтр")
    assert nobody in screen["text"]
    assert_all_calls_ok(fake_telegram, mark)
    cleared = await user.tap("✖️ 👤 Оператор", message=screen, exact=True, contains="фильтр")
    assert nobody not in cleared["text"]
    cancelled = await user.tap("Отмена", message=cleared, contains="отменено")
    assert cancelled["message_id"] == cleared["message_id"]
    # The draft is gone with the cancel: an old wizard press is out of date.
    assert STALE in await callback_answer(fake_telegram, user.forge(cancelled, "k:pp::0"))


async def test_list_pages_to_the_end_and_opens_a_card(
    fake_telegram: FakeTelegram, sandbox: Sandbox, bot_process: StartBot
) -> None:
    await bot_process(aiokk_base_url=sandbox.base_url, timezone=TZ_NAME)
    user = await connect(fake_telegram, 706)
    records = await sandbox_calls(sandbox.base_url)
    await warm(user)
    departments = {
        "Отдел продаж": 84,
        "Служба поддержки": 85,
        "Колл-центр": 86,
        "Отдел возвратов": 102,
        "Служба доставки": 115,
    }
    # A few pages, not dozens: every page costs a paced edit.
    name, period, expected = next(
        (name, period, found)
        for period in ("7 дней", "30 дней")
        for name, number in departments.items()
        if 3
        <= -(-len(found := select(records, Filter(department=number), preset(period))) // 10)
        <= 5
    )
    newest_first = sorted(expected, key=lambda raw: (call_moment(raw), dialog_id(raw)))[::-1]
    pages = -(-len(expected) // 10)

    answer = await summary(user, "Отдел", name, period)
    assert total_of(answer) == len(expected)
    page = await user.tap("Список", message=answer, contains="стр. 1/")
    assert f"стр. 1/{pages}" in page["text"]
    assert "◀️" not in user.labels(page) and f"1/{pages}" in user.labels(page)
    shown: list[int] = []
    for number in range(2, pages + 1):
        shown.extend(card_ids(user, page))
        page = await user.tap("▶️", message=page, exact=True, contains=f"стр. {number}/")
    shown.extend(card_ids(user, page))
    labels = user.labels(page)
    assert "▶️" not in labels and "◀️" in labels and f"{pages}/{pages}" in labels
    assert shown == [dialog_id(raw) for raw in newest_first], "every call once, newest first"

    back = await user.tap("◀️", message=page, exact=True, contains=f"стр. {pages - 1}/")
    assert f"{pages - 1}/{pages}" in user.labels(back)
    target = card_ids(user, back)[0]
    card = await user.press_data(
        back, card_button(user, back, target), contains=f"Звонок #{target}", wait=WAIT
    )
    assert any("К списку" in label for label in user.labels(card))
    again = await user.tap("К списку", message=card, contains=f"стр. {pages - 1}/")
    assert target in card_ids(user, again)


def card_ids(user: User, message: JsonDict) -> list[int]:
    """Dialog ids of the call buttons under a list page or a summary (``k:C::<id>:<page>``)."""
    ids = []
    for _, data in user.fake.buttons(user.current(message)):
        parts = data.split(":")
        if parts[:2] == ["k", "C"]:
            ids.append(int(parts[3]))
    return ids


def card_button(user: User, message: JsonDict, target: int) -> str:
    for _, data in user.fake.buttons(user.current(message)):
        parts = data.split(":")
        if parts[:2] == ["k", "C"] and parts[3] == str(target):
            return data
    raise LookupError(f"no card button for {target}")


async def test_a_long_card_is_split_into_valid_messages(
    fake_telegram: FakeTelegram, sandbox: Sandbox, bot_process: StartBot
) -> None:
    from bot.aiokk.client import parse_record
    from bot.reports.render import render_card

    await bot_process(aiokk_base_url=sandbox.base_url, timezone=TZ_NAME)
    user = await connect(fake_telegram, 707)
    records = await sandbox_calls(sandbox.base_url)

    def long(raw: JsonDict) -> bool:
        model = parse_record(raw)
        return model is not None and len(render_card(model, tz=TZ, lang="ru")) > 1

    record = next(raw for raw in records if long(raw))
    target = dialog_id(record)
    moment = call_moment(record)
    assert moment is not None
    day = moment.astimezone(TZ).date()
    pack = _int(_block(record, "analytics", "evaluationCriteria").get("evaluationId"))

    menu = await user.say("/calls", contains="Выберите фильтр")
    await user.tap("Набор вопросов", message=menu)
    await user.tap("Ввести другое")
    await user.say(str(pack), contains="За какой период")
    await user.tap("Свои даты", contains="Пришлите дату")
    answer = await user.say(f"{day:%d.%m}", contains="Звонков:", wait=WAIT)
    assert total_of(answer) == len(select(records, Filter(pack=pack), days(day, day)))
    page = await user.tap("Список", message=answer, contains="стр. 1/")
    while target not in card_ids(user, page):
        page = await user.tap("▶️", message=page, exact=True, contains="стр.")

    mark = fake_telegram.mark()
    await user.press_data(page, card_button(user, page, target), contains=f"#{target}", wait=WAIT)
    last = await fake_telegram.wait_for(
        lambda c: c.method == "sendMessage" and bool(c.params.get("reply_markup")),
        after=mark,
        timeout=WAIT,
    )
    assert_all_calls_ok(fake_telegram, mark)
    parts = [
        message
        for call in fake_telegram.calls[mark:]
        if call.method in ("sendMessage", "editMessageText")
        for message in call.messages()
        if "⏳" not in (message.get("text") or "")
    ]
    assert len(parts) >= 2, "a long card comes in several messages"
    assert all(len(message["text"]) <= 4096 for message in parts)
    assert f"Звонок #{target}" in parts[0]["text"]
    assert last.messages()[0]["message_id"] == parts[-1]["message_id"]
    assert not fake_telegram.buttons(user.current(parts[0])), "only the last part has buttons"
    back = await user.tap("К списку", message=parts[-1], contains="стр.")
    assert target in card_ids(user, back), "the last part's button leads back to the list"


async def test_forged_and_foreign_buttons_get_a_short_answer(
    fake_telegram: FakeTelegram, sandbox: Sandbox, bot_process: StartBot
) -> None:
    bot = await bot_process(aiokk_base_url=sandbox.base_url, timezone=TZ_NAME)
    user = await connect(fake_telegram, 708)
    old = await user.say("/calls", contains="Выберите фильтр")
    current = await user.say("/calls", contains="Выберите фильтр")
    mark = fake_telegram.mark()

    forged = [
        (current, "k:zz"),  # does not parse
        (current, "k"),
        (current, "k:s:l:99:0"),  # a rating that does not exist
        (current, "k:s:o:7:0"),  # an operator index never offered
        (current, "k:C::abc:0"),
        (current, "k:f:zz::0"),
        (current, "k:E::pdf:0"),
        (old, "k:pp::0"),  # well formed, but not the current menu
        (old, "k:p::d7:0"),
    ]
    for message, data in forged:
        start = user.forge(message, data)
        answer = await callback_answer(fake_telegram, start)
        assert STALE in answer, (data, answer)
    # The current menu still works.
    periods = await user.tap("Выбрать период", message=current, contains="За какой период")
    assert periods["message_id"] == current["message_id"]
    shown = await user.tap("Всё время", message=current, exact=True, contains="Звонков:")
    # A well-formed card press on a summary, for a call that is not in its results.
    answer = await callback_answer(fake_telegram, user.forge(shown, "k:C::1:0"))
    assert "больше нет" in answer
    assert user.current(shown)["text"] == shown["text"], "the summary is left as it was"
    assert_all_calls_ok(fake_telegram, mark)
    log = "\n".join(c.params.get("text", "") for c in fake_telegram.calls[mark:])
    assert "код ошибки" not in log

    # A summary past the retention (its stored time moved 8 days before the bot's clock) is
    # out of date; its buttons give way to Rebuild, which runs its filter again.
    stamp = (TEST_NOW - timedelta(days=8)).astimezone(UTC).isoformat(timespec="microseconds")
    with contextlib.closing(sqlite3.connect(bot.database_path)) as db, db:
        db.execute(
            "UPDATE shown_queries SET created_at = ? WHERE message_id = ?",
            (stamp, shown["message_id"]),
        )
    start = fake_telegram.mark()
    excel = button_data(fake_telegram, user.current(shown), "Excel", exact=False)
    assert STALE in await user.answer_to(shown, excel)
    expired = await user.message_with_button("Собрать заново", after=start)
    assert expired["message_id"] == shown["message_id"]
    again = await user.tap("Собрать заново", message=expired, contains="Звонков:")
    assert "Все звонки · Всё время" in again["text"] and "Список" in " ".join(user.labels(again))
    assert not [c for c in fake_telegram.calls[start:] if c.method == "sendDocument"]

    # A results button on a message that never showed results: out of date, and Rebuild
    # opens /calls in its place.
    start = user.forge(old, "k:L:::1")
    assert STALE in await callback_answer(fake_telegram, start)
    stale = await user.message_with_button("Собрать заново", after=start)
    await user.tap("Собрать заново", message=stale, contains="Выберите фильтр")


async def test_the_wizard_survives_a_restart(
    fake_telegram: FakeTelegram, sandbox: Sandbox, bot_process: StartBot
) -> None:
    bot = await bot_process(aiokk_base_url=sandbox.base_url, timezone=TZ_NAME)
    user = await connect(fake_telegram, 709)
    records = await sandbox_calls(sandbox.base_url)
    menu = await user.say("/calls", contains="Выберите фильтр")
    await user.tap("Тип звонка", message=menu)
    periods = await user.tap("Исходящий", exact=True, contains="За какой период")

    await bot.restart()
    answer = await user.tap("7 дней", message=periods, exact=True, contains="Звонков:")
    assert answer["message_id"] == periods["message_id"]
    assert "Исходящий" in answer["text"]
    assert total_of(answer) == len(select(records, Filter(call_type=1), preset("7 дней")))

    # Waiting for typed dates survives a restart too.
    await user.tap("Изменить фильтр", message=answer, contains="Выберите фильтр")
    await user.tap("Выбрать период", contains="За какой период")
    await user.tap("Свои даты", contains="Пришлите дату")
    await bot.restart()
    day = today() - timedelta(days=2)
    typed = await user.say(f"{day:%d.%m}", contains="Звонков:", wait=WAIT)
    assert "Исходящий" in typed["text"]
    assert total_of(typed) == len(select(records, Filter(call_type=1), days(day, day)))


async def test_a_menu_in_a_group_belongs_to_whoever_opened_it(
    fake_telegram: FakeTelegram, sandbox: Sandbox, bot_process: StartBot
) -> None:
    await bot_process(aiokk_base_url=sandbox.base_url, timezone=TZ_NAME)
    await connect(fake_telegram, 710)
    fake_telegram.group_chat(-100710, "Продажи", admins={710})
    owner = User(fake_telegram, 710, chat_id=-100710)
    other = User(fake_telegram, 711, chat_id=-100710, first_name="Данияр")

    menu = await owner.say("/calls", contains="Выберите фильтр")
    data = button_data(fake_telegram, menu, "Выбрать период", exact=False)
    refusal = await other.answer_to(menu, data)
    assert STALE in refusal or "другой пользователь" in refusal
    assert owner.current(menu)["text"] == menu["text"], "the refused press changed nothing"

    periods = await owner.tap("Выбрать период", message=menu, contains="За какой период")
    data = button_data(fake_telegram, periods, "Всё время", exact=True)
    refusal = await other.answer_to(periods, data)
    assert STALE in refusal or "другой пользователь" in refusal
    answer = await owner.tap("Всё время", message=periods, exact=True, contains="Звонков:")
    assert total_of(answer) > 0
    # The summary's buttons are the opener's too.
    refusal = await other.answer_to(
        answer, button_data(fake_telegram, answer, "Список", exact=False)
    )
    assert STALE in refusal or "другой пользователь" in refusal

    # A typed step also asks the opener for a reply, which privacy mode lets through.
    await owner.tap("Изменить фильтр", message=answer, contains="Выберите фильтр")
    await owner.tap("Отдел", message=answer)
    mark = fake_telegram.mark()
    await owner.tap("Ввести другое", message=answer)
    prompt = await fake_telegram.wait_for(
        lambda c: c.method == "sendMessage" and "ответьте" in str(c.params.get("text")),
        after=mark,
        timeout=WAIT,
    )
    markup = str(prompt.params.get("reply_markup"))
    assert "force_reply" in markup and "selective" in markup, markup
