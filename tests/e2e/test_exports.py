"""Exports end to end: Excel, CSV and JSON files built in a worker process and uploaded.

Each format is pressed by its own user (one export per chat at a time, and the bot paces
messages per chat), so the three run side by side.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import timedelta

import httpx
import openpyxl

from tests.e2e.conftest import Sandbox, StartBot
from tests.e2e.test_calls import (
    TZ_NAME,
    WAIT,
    Filter,
    JsonDict,
    User,
    assert_all_calls_ok,
    crowd,
    dialog_id,
    preset,
    sandbox_calls,
    select,
    summary,
    today,
    total_of,
)
from tests.fake_telegram import FakeTelegram
from tests.fake_telegram.state import RecordedCall

EXPORT_WAIT = 60.0
PERIOD = "30 дней"
DEPARTMENT = ("Отдел продаж", 84, "otdel-prodazh")


async def export(user: User, screen: JsonDict, label: str) -> tuple[str, bytes, RecordedCall]:
    """Press an export button; the uploaded file's name and bytes, and the status message call."""
    fake = user.fake
    mark = fake.mark()
    fake.click(user.current(screen), user.button(label, screen), user_id=user.user_id)
    status = await fake.wait_for(
        lambda c: (
            c.method == "sendMessage"
            and c.chat_id == user.chat_id
            and c.ok
            and "Готовлю" in str(c.params.get("text"))
        ),
        after=mark,
        timeout=WAIT,
    )
    sent = await fake.wait_for(
        lambda c: c.method == "sendDocument" and c.chat_id == user.chat_id and c.ok,
        after=mark,
        timeout=EXPORT_WAIT,
    )
    name, data = fake.document(sent.result["document"]["file_id"])
    return name, data, status


async def gone(user: User, message_id: int) -> None:
    """Wait until the bot deletes ``message_id`` in the user's chat."""
    await user.fake.wait_for(
        lambda c: (
            c.method == "deleteMessage"
            and c.chat_id == user.chat_id
            and int(c.params.get("message_id", 0)) == message_id
        ),
        timeout=WAIT,
    )
    assert user.fake.was_deleted(user.chat_id, message_id)


def check_name(name: str, extension: str) -> None:
    first, last = today() - timedelta(days=29), today()
    assert name == f"calls_{DEPARTMENT[2]}_{first.isoformat()}_{last.isoformat()}.{extension}"


async def test_excel_csv_and_json_hold_exactly_the_selected_calls(
    fake_telegram: FakeTelegram, sandbox: Sandbox, bot_process: StartBot
) -> None:
    await bot_process(aiokk_base_url=sandbox.base_url, timezone=TZ_NAME)
    records = await sandbox_calls(sandbox.base_url)
    expected = select(records, Filter(department=DEPARTMENT[1]), preset(PERIOD))
    expected_ids = sorted(dialog_id(raw) for raw in expected)
    assert expected_ids
    mark = fake_telegram.mark()
    users = await crowd(fake_telegram, 901, 3)
    screens = await asyncio.gather(
        *(summary(user, "Отдел", DEPARTMENT[0], PERIOD) for user in users)
    )
    for screen in screens:
        assert total_of(screen) == len(expected)

    async def excel(user: User, screen: JsonDict) -> None:
        fake = user.fake
        mark = fake.mark()
        task = asyncio.ensure_future(export(user, screen, "Excel"))
        await fake.wait_for(
            lambda c: c.method == "answerCallbackQuery" and c.ok, after=mark, timeout=WAIT
        )
        greeting = await user.say("/start", contains="Здравствуйте")
        name, data, status = await task
        # The bot answered /start while the file was being made, not after it.
        greeting_at = next(
            i for i, c in enumerate(fake.calls) if greeting in c.messages() and i >= mark
        )
        document_at = next(
            i for i, c in enumerate(fake.calls) if c.method == "sendDocument" and i >= mark
        )
        assert greeting_at < document_at
        assert "Готовлю XLSX" in status.params["text"]
        check_name(name, "xlsx")
        workbook = openpyxl.load_workbook(io.BytesIO(data))
        sheet = workbook.worksheets[0]
        assert sheet.freeze_panes == "A2", "the header row stays in view"
        assert sheet.max_row - 1 == len(expected)
        assert sheet.cell(1, 1).value == "ID звонка"
        ids = [sheet.cell(row, 1).value for row in range(2, sheet.max_row + 1)]
        assert sorted(ids) == expected_ids
        await gone(user, status.result["message_id"])

    async def csv_file(user: User, screen: JsonDict) -> None:
        name, data, status = await export(user, screen, "CSV")
        check_name(name, "csv")
        assert data.startswith(b"\xef\xbb\xbf"), "a BOM, so that Excel reads UTF-8"
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
        assert rows[0][0] == "ID звонка" and len(rows[0]) > 20
        assert len(rows) - 1 == len(expected), "one row per call"
        assert all(len(row) == len(rows[0]) for row in rows)
        assert sorted(int(row[0]) for row in rows[1:]) == expected_ids
        await gone(user, status.result["message_id"])

    async def json_file(user: User, screen: JsonDict) -> None:
        name, data, status = await export(user, screen, "JSON")
        check_name(name, "json")
        exported = json.loads(data.decode("utf-8"))
        assert sorted(exported, key=dialog_id) == sorted(expected, key=dialog_id)
        await gone(user, status.result["message_id"])

    # Each export's fetch takes a few seconds, so the bot's answer to /start can only come
    # first because the export does not hold the bot up, not because the file was slow.
    async with httpx.AsyncClient(base_url=sandbox.base_url) as client:
        fault = {"kind": "delay", "seconds": 4, "count": 3}
        (await client.post("/_sandbox/faults", json=fault)).raise_for_status()
    await asyncio.gather(
        excel(users[0], screens[0]), csv_file(users[1], screens[1]), json_file(users[2], screens[2])
    )
    async with httpx.AsyncClient(base_url=sandbox.base_url) as client:
        pending = (await client.get("/_sandbox/faults")).json()["pending"]
    assert pending == [], "the exports' fetches were the slow ones"
    assert_all_calls_ok(fake_telegram, mark)
