"""Digests end to end: the wizard in the real bot, then a restart across the due time
(``BOT_CLOCK``), then the digest, its chart and its Excel file, checked against the
sandbox's own data. Nothing waits for the schedule: the clock is moved instead.
"""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import openpyxl

from tests.clock import TEST_NOW
from tests.e2e.conftest import Sandbox, StartBot
from tests.e2e.steps import Person
from tests.fake_telegram import FakeTelegram

JsonDict = dict[str, Any]
TZ = ZoneInfo("Asia/Almaty")
WAIT = 60.0
USER = 7701
MONTHS = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)


async def sandbox_calls(base_url: str) -> list[JsonDict]:
    """Every call the sandbox serves (the union of the four call types, by dialog id)."""
    by_id: dict[int, JsonDict] = {}
    async with httpx.AsyncClient(timeout=30) as client:
        for call_type in (1, 2, 3, 4):
            response = await client.post(
                f"{base_url}/api/v1/export/dialogs/call_type",
                json={"token": "demo", "call_type": call_type},
            )
            response.raise_for_status()
            for raw in response.json():
                by_id[int(raw["call"]["dialogId"])] = raw
    return list(by_id.values())


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def is_bad(raw: JsonDict) -> bool:
    """The default rule, written out plainly: rating ≤ 3 or script score below 50 %."""
    analytics = raw.get("analytics") or {}
    loyalty = analytics.get("clientLoyalty") or {}
    rating = _number(loyalty.get("currentGrade"))
    evaluation = analytics.get("evaluationCriteria") or {}
    current, maximum = _number(evaluation.get("eCurrentGrade")), _number(evaluation.get("maxGrade"))
    score = 100.0 * current / maximum if current is not None and maximum else None
    return (rating is not None and rating <= 3) or (score is not None and score < 50)


def on_day(raw: JsonDict, day: date) -> bool:
    try:
        moment = datetime.fromisoformat(str(raw["call"]["date"]))
    except (KeyError, ValueError):
        return False
    return moment.astimezone(TZ).date() == day


async def connect(fake: FakeTelegram) -> Person:
    person = Person(fake, USER)
    await person.say("/connect", contains="токен")
    await person.say("demo-1", contains="Подключено", wait=WAIT)
    return person


async def test_wizard_then_restart_across_the_due_time_delivers_digest_chart_and_excel(
    fake_telegram: FakeTelegram, sandbox: Sandbox, bot_process: StartBot
) -> None:
    today = TEST_NOW.astimezone(TZ).date()
    yesterday = today - timedelta(days=1)
    before = datetime.combine(today, time(8, 40), TZ)
    bot = await bot_process(aiokk_base_url=sandbox.base_url, env={"BOT_CLOCK": before.isoformat()})
    person = await connect(fake_telegram)

    await person.say("/digest", contains="Дайджесты этого чата")
    await person.press("Новый", contains="Во сколько")
    await person.press("09:00", contains="По каким дням")
    await person.press("каждый день", contains="Какие звонки")
    await person.press("Все звонки", contains="плохим звонком")
    await person.press("Далее", contains="Что приложить")
    await person.press("Excel", contains="Сейчас: Excel")
    await person.press("Далее", contains="Проверьте")
    card = await person.press("Создать", contains="Дайджест создан")
    assert f"Следующий: {today.day} {MONTHS[today.month - 1]}, 09:00" in card["text"]

    # The bot is down at 09:00 and back 20 seconds later: the digest goes out on start.
    await bot.stop()
    due = datetime.combine(today, time(9, 0, 20), TZ)
    bot.env["BOT_CLOCK"] = due.isoformat()
    mark = fake_telegram.mark()
    await bot.start()
    photo_call = await fake_telegram.wait_for(
        lambda c: c.method == "sendPhoto" and c.chat_id == USER and c.ok, after=mark, timeout=WAIT
    )
    document_call = await fake_telegram.wait_for(
        lambda c: c.method == "sendDocument" and c.chat_id == USER and c.ok,
        after=mark,
        timeout=WAIT,
    )
    (photo,) = photo_call.messages()
    text = photo.get("caption") or ""
    if not text:
        text_call = await fake_telegram.wait_for(
            lambda c: c.method == "sendMessage" and c.chat_id == USER and c.ok,
            after=mark,
            timeout=WAIT,
        )
        text = text_call.messages()[0]["text"]

    records = [raw for raw in await sandbox_calls(sandbox.base_url) if on_day(raw, yesterday)]
    bad_ids = sorted(int(raw["call"]["dialogId"]) for raw in records if is_bad(raw))
    assert bad_ids, "the sandbox should have bad calls every day"
    period = f"{yesterday.day} {MONTHS[yesterday.month - 1]}"
    assert f"Плохие звонки за {period}: {len(bad_ids)} из {len(records)}" in text
    assert "офлайн" not in text  # 20 seconds is not late

    (document,) = document_call.messages()
    name, data = fake_telegram.document(document["document"]["file_id"])
    assert name.endswith(".xlsx") and yesterday.isoformat() in name
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    rows = [row for row in sheet.iter_rows(min_row=2, values_only=True) if row and row[0]]
    assert sorted(int(row[0]) for row in rows) == bad_ids

    # Handled ✓ under the digest: recorded and shown in place.
    digest = person.last_with_buttons()
    assert "Плохие звонки" in (digest.get("text") or digest.get("caption") or "")
    edited = await person.press("Обработан", message=digest, contains="✓ Айгерим,")
    assert edited["message_id"] == digest["message_id"]
