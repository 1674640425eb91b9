"""Alerts end to end: the real bot process, the fake Bot API and an aiokk sandbox over HTTP
whose calls the test changes. A rule made in a few taps, a first poll that only remembers,
a new bad call, SIGUSR1, the alert with Open and Handled ✓, and no repeat on the next poll.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path

import pytest

from tests.clock import TEST_NOW
from tests.e2e.conftest import StartBot
from tests.e2e.harness import BotProcess
from tests.e2e.steps import Person
from tests.fake_telegram import FakeTelegram
from tests.unit.test_alerts_support import Aiokk, record

USER = 7901
WAIT = 30.0
BEFORE = [
    record(3001, TEST_NOW - timedelta(hours=2), rating=1),  # already there: never alerted
    record(3002, TEST_NOW - timedelta(hours=1), rating=9),
]
NEW_BAD = record(
    3010, TEST_NOW + timedelta(minutes=1), rating=2, operator="Данияр <Ахметов>", operator_id=8
)


@pytest.fixture
async def aiokk() -> AsyncIterator[Aiokk]:
    running = await Aiokk.start(list(BEFORE))
    yield running
    await running.close()


async def until(check: Callable[[], bool], what: str) -> None:
    for _ in range(int(WAIT / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def baselined(database: Path) -> bool:
    with sqlite3.connect(database) as db:
        row = db.execute("SELECT baselined_at FROM alert_rules").fetchone()
    return row is not None and row[0] is not None


def polls(bot: BotProcess) -> int:
    """Alert polls the bot has logged (each poll that asked aiokk logs one line)."""
    return bot.log_path.read_text(encoding="utf-8", errors="replace").count("alert poll: ")


async def test_a_rule_then_a_new_bad_call_alerts_once_with_open_and_handled(
    fake_telegram: FakeTelegram, aiokk: Aiokk, bot_process: StartBot
) -> None:
    bot = await bot_process(aiokk_base_url=aiokk.base_url)
    assert bot.process is not None
    person = Person(fake_telegram, USER)
    await person.say("/connect", contains="токен")
    await person.say("demo-1", contains="Подключено", wait=WAIT)

    await person.say("/alerts", contains="Алерты этого чата")
    await person.press("Новое правило", contains="Шаг 1 из 3")
    await person.press("Все звонки", contains="Шаг 2 из 3")
    await person.press("Далее", contains="Шаг 3 из 3")
    await person.press("Без тихих часов", contains="Проверьте")
    card = await person.press("Создать", contains="Правило создано")
    assert "оценка клиента ≤ 2" in card["text"]
    # The rule's first poll (asked for on creation) only remembers the bad call already there.
    await until(lambda: baselined(bot.database_path), "the first poll")

    aiokk.serve([*BEFORE, NEW_BAD])
    mark = fake_telegram.mark()
    bot.process.send_signal(signal.SIGUSR1)
    alert = await fake_telegram.wait_for_bot_message(
        USER, contains="Критичный звонок", after=mark, timeout=WAIT
    )
    assert "Данияр <Ахметов>" in alert["text"] and "оценка 2" in alert["text"]
    assert person.labels(alert) == ["Открыть", "Обработан ✓"]

    opened = await person.press("Открыть", message=alert, contains="3010")
    assert opened["message_id"] != alert["message_id"]
    edited = await person.press("Обработан", message=alert, contains="✓ Обработан: Айгерим")
    assert edited["message_id"] == alert["message_id"]
    assert person.labels(edited) == ["Открыть"]

    # The next poll sees the call again and says nothing.
    before = polls(bot)
    mark = fake_telegram.mark()
    bot.process.send_signal(signal.SIGUSR1)
    await until(lambda: polls(bot) > before, "the second poll")
    alerts = [
        call
        for call in fake_telegram.calls[mark:]
        if call.method == "sendMessage" and call.chat_id == USER
    ]
    assert alerts == []
    texts = [m.get("text") or "" for m in fake_telegram.messages(USER)]
    assert sum("Критичный звонок" in text for text in texts) == 1
