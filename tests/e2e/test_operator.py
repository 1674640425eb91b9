"""/op end to end: several matches, ё/е, a name inside a longer one, the scorecard's figures,
periods, calls and the export."""

from __future__ import annotations

import io
from datetime import timedelta

import openpyxl

from tests.e2e.conftest import Sandbox, StartBot
from tests.e2e.test_calls import (
    STALE,
    TZ_NAME,
    WAIT,
    Filter,
    JsonDict,
    User,
    callback_answer,
    connect,
    days,
    preset,
    sandbox_calls,
    select,
    today,
    total_of,
    warm,
)
from tests.fake_telegram import FakeTelegram


def op_ids(user: User, message: JsonDict) -> list[int]:
    """Dialog ids of the last-calls buttons under a scorecard (``op:c:<id>``)."""
    return [
        int(data.split(":")[2])
        for _, data in user.fake.buttons(user.current(message))
        if data.startswith("op:c:")
    ]


async def test_several_matches_then_a_scorecard_and_its_periods(
    fake_telegram: FakeTelegram, sandbox: Sandbox, bot_process: StartBot
) -> None:
    await bot_process(aiokk_base_url=sandbox.base_url, timezone=TZ_NAME)
    user = await connect(fake_telegram, 801)
    records = await sandbox_calls(sandbox.base_url)
    names = sorted(
        {
            str((raw.get("operator") or {}).get("fullName"))
            for raw in select(records, Filter(operator="Айгерим"), None)
        }
    )
    assert len(names) >= 2

    choice = await user.say("/op Айгерим", contains="несколько", wait=WAIT)
    offered = user.labels(choice)
    assert all(name in offered for name in names)
    name = names[-1]
    card = await user.tap(name, message=choice, exact=True, contains="Звонков:")
    assert name in card["text"] and "7 дней" in card["text"]
    expected = select(records, Filter(operator=name), preset("7 дней"))
    assert total_of(card) == len(expected)
    newest = sorted(expected, key=lambda raw: str(raw["call"]["date"]), reverse=True)
    assert op_ids(user, card) == [int(raw["call"]["dialogId"]) for raw in newest[:10]]

    for period in ("30 дней", "Всё время", "Вчера"):
        card = await user.tap(period, message=card, exact=True, contains="Звонков:")
        assert period in card["text"]
        assert f"• {period}" in user.labels(card), "the chosen period is marked"
        assert total_of(card) == len(select(records, Filter(operator=name), preset(period)))

    card = await user.tap("Всё время", message=card, contains="Звонков:")
    target = op_ids(user, card)[0]
    opened = await user.press_data(card, f"op:c:{target}", contains=f"Звонок #{target}", wait=WAIT)
    assert name in opened["text"]
    assert user.current(card)["text"] == card["text"], "the scorecard stays above the call"

    # 📈 Trend: the last 8 weeks (Monday to Sunday, this one until today) as a chart whose
    # caption gives each week's calls, recounted here from the sandbox.
    mark = fake_telegram.mark()
    await user.press_data(card, "op:t:")
    photo = await fake_telegram.wait_for(
        lambda c: c.method == "sendPhoto" and c.params.get("chat_id") == str(user.chat_id),
        after=mark,
        timeout=WAIT,
    )
    caption = str(photo.params["caption"])
    assert name in caption and len(caption) <= 1024
    monday = today() - timedelta(days=today().weekday())
    for week in range(8):
        first = monday - timedelta(weeks=7 - week)
        last = min(first + timedelta(days=6), today())
        calls = len(select(records, Filter(operator=name), days(first, last)))
        line = f"{first:%d.%m}: {calls} зв." if calls else f"{first:%d.%m}: звонков нет"
        assert line in caption, (line, caption)

    # Forged presses on the scorecard get a short answer, never an error.
    assert STALE in await callback_answer(fake_telegram, user.forge(card, "op:p:forever"))
    assert STALE in await callback_answer(fake_telegram, user.forge(card, "op:k:99"))
    gone = await callback_answer(fake_telegram, user.forge(card, "op:c:1"))
    assert "больше нет" in gone


async def test_yo_and_ye_are_the_same_letter(
    fake_telegram: FakeTelegram, sandbox: Sandbox, bot_process: StartBot
) -> None:
    await bot_process(aiokk_base_url=sandbox.base_url, timezone=TZ_NAME)
    user = await connect(fake_telegram, 802)
    records = await sandbox_calls(sandbox.base_url)
    await warm(user)  # the lookup asks the catalog first

    card = await user.say("/op алена", contains="Звонков:", wait=WAIT)
    assert "Алёна Королёва" in card["text"]
    assert total_of(card) == len(select(records, Filter(operator="Алёна"), preset("7 дней")))
    again = await user.say("/op ПЁТР семенов", contains="Звонков:", wait=WAIT)
    assert "Пётр Семёнов" in again["text"]
    missing = await user.say("/op Зарина", contains="Не нашёл", wait=WAIT)
    assert "Зарина" in missing["text"]


async def test_a_name_inside_a_longer_one_means_that_person_in_the_card_and_export(
    fake_telegram: FakeTelegram, sandbox: Sandbox, bot_process: StartBot
) -> None:
    """«Тимур Сейткали» is not «Тимур Сейткали Младший», although aiokk's search says so."""
    await bot_process(aiokk_base_url=sandbox.base_url, timezone=TZ_NAME)
    user = await connect(fake_telegram, 803)
    records = await sandbox_calls(sandbox.base_url)
    father = "Тимур Сейткали"
    people = {
        str(operator["fullName"]): operator["operatorId"]
        for raw in records
        if (operator := raw.get("operator")) and father in str(operator.get("fullName"))
    }
    assert set(people) == {father, f"{father} Младший"}, "the sandbox has both"

    def own(period: str) -> list[JsonDict]:
        return [
            raw
            for raw in select(records, Filter(), preset(period))
            if (raw.get("operator") or {}).get("operatorId") == people[father]
        ]

    choice = await user.say(f"/op {father}", contains="несколько", wait=WAIT)
    assert user.labels(choice)[:2] == [father, f"{father} Младший"], "the exact name first"
    card = await user.tap(father, message=choice, exact=True, contains="Звонков:")
    expected = own("7 дней")
    assert total_of(card) == len(expected)
    assert len(expected) < len(select(records, Filter(operator=father), preset("7 дней")))
    newest = sorted(expected, key=lambda raw: str(raw["call"]["date"]), reverse=True)
    assert op_ids(user, card) == [int(raw["call"]["dialogId"]) for raw in newest[:10]]

    card = await user.tap("30 дней", message=card, exact=True, contains="Звонков:")
    expected = own("30 дней")
    assert total_of(card) == len(expected)
    mark = fake_telegram.mark()
    fake_telegram.click(user.current(card), user.button("Excel", card), user_id=user.user_id)
    sent = await fake_telegram.wait_for(
        lambda c: c.method == "sendDocument" and c.ok, after=mark, timeout=60
    )
    document = sent.result["document"]
    name, data = fake_telegram.document(document["file_id"])
    assert name.startswith("calls_") and name.endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    ids = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(ids) == sorted(int(raw["call"]["dialogId"]) for raw in expected)
