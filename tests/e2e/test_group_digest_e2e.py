"""A group's digest set up by its admin in the group itself, with Telegram's default privacy
mode: plain group messages never reach the bot, so every typed step is answered by replying
to the bot's reply request. Then a restart across the due time (``BOT_CLOCK``) delivers the
digest to the group, checked against the sandbox's own data.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.clock import TEST_NOW
from tests.e2e.conftest import Sandbox, StartBot
from tests.e2e.steps import Person
from tests.e2e.test_digest_e2e import MONTHS, is_bad, sandbox_calls
from tests.fake_telegram import FakeTelegram

JsonDict = dict[str, Any]
ALMATY = ZoneInfo("Asia/Almaty")
MOSCOW = ZoneInfo("Europe/Moscow")
WAIT = 60.0
ADMIN = 7801
MEMBER = 7802
GROUP = -1_000_000_007_801
NOT_YOURS = "На этот вопрос отвечает тот, к кому он обращён"


def on_day(raw: JsonDict, day: date, tz: ZoneInfo) -> bool:
    try:
        moment = datetime.fromisoformat(str(raw["call"]["date"]))
    except (KeyError, ValueError):
        return False
    return moment.astimezone(tz).date() == day


def department(raw: JsonDict) -> str:
    return str((raw.get("operator") or {}).get("departmentId") or "")


def busiest_department(records: Iterable[JsonDict]) -> str:
    """The department with the most bad calls (ties: the smallest id)."""
    bad: dict[str, int] = {}
    for raw in records:
        if department(raw) and is_bad(raw):
            bad[department(raw)] = bad.get(department(raw), 0) + 1
    return min(bad, key=lambda key: (-bad[key], int(key)))


async def reply_request_after(fake: FakeTelegram, mark: int) -> JsonDict:
    """The first reply request (a message with ``ForceReply``) the bot sent the group since
    ``mark``."""
    call = await fake.wait_for(
        lambda c: (
            c.method == "sendMessage"
            and c.chat_id == GROUP
            and c.ok
            and "force_reply" in (c.params.get("reply_markup") or {})
        ),
        after=mark,
    )
    (prompt,) = call.messages()
    return prompt


async def ask(fake: FakeTelegram, person: Person, label: str, question: str) -> JsonDict:
    """Press ``label``; the wizard's message shows ``question`` and, as the group's members
    cannot simply type to the bot, a reply request to the presser follows. Returns it."""
    mark = fake.mark()
    await person.press(label, contains=question)
    prompt = await reply_request_after(fake, mark)
    assert question in prompt["text"]
    assert fake.reply_request(prompt) is not None
    return prompt


async def answer(
    fake: FakeTelegram, prompt: JsonDict, user_id: int, text: str, *, contains: str
) -> JsonDict:
    """``user_id`` replies ``text`` to ``prompt``; the bot's next message with ``contains``."""
    mark = fake.mark()
    reply = fake.reply(prompt, user_id, text)
    assert fake.was_delivered(reply), "a reply to the bot reaches it"
    return await fake.wait_for_bot_message(GROUP, contains=contains, after=mark, timeout=WAIT)


async def test_admin_sets_up_a_group_digest_by_replying_and_it_is_delivered(
    fake_telegram: FakeTelegram, sandbox: Sandbox, bot_process: StartBot
) -> None:
    fake = fake_telegram
    today = TEST_NOW.astimezone(ALMATY).date()
    yesterday = today - timedelta(days=1)  # in Moscow too: the digest runs at 07:05 there
    records = [
        raw for raw in await sandbox_calls(sandbox.base_url) if on_day(raw, yesterday, MOSCOW)
    ]
    dep = busiest_department(records)
    ours = [raw for raw in records if department(raw) == dep]
    bad = [raw for raw in ours if is_bad(raw)]
    assert bad, "the sandbox should have bad calls every day"

    before = datetime.combine(today, time(8, 40), ALMATY)  # 06:40 in Moscow
    bot = await bot_process(aiokk_base_url=sandbox.base_url, env={"BOT_CLOCK": before.isoformat()})
    private = Person(fake, ADMIN, first_name="Ержан")
    await private.say("/connect", contains="токен")
    await private.say("demo-1", contains="Подключено", wait=WAIT)
    fake.group_chat(GROUP, "Продажи", admins={ADMIN})
    admin = Person(fake, ADMIN, chat_id=GROUP)
    Person(fake, MEMBER, chat_id=GROUP, first_name="Марат")

    await admin.say("/digest", contains="Дайджесты этого чата")
    await admin.press("Новый", contains="Во сколько")

    # The time zone: asked of the admin by name, with a reply field that only opens for them.
    prompt = await ask(fake, admin, "Другой пояс", "город или смещение")
    assert prompt["text"].startswith("Ержан, ответьте на это сообщение.")
    (mention,) = [e for e in prompt.get("entities", []) if e["type"] == "text_mention"]
    assert mention["user"]["id"] == ADMIN
    request = fake.reply_request(prompt)
    assert request is not None and request["selective"] is True
    assert request["input_field_placeholder"] == "Asia/Almaty"
    # A plain group message never reaches the bot: privacy mode.
    plain = fake.send_text(GROUP, ADMIN, "Asia/Tokyo")
    assert not fake.was_delivered(plain) and plain in fake.withheld
    # Another member's reply reaches it, changes nothing and is told so.
    refusal = await answer(fake, prompt, MEMBER, "Asia/Tokyo", contains=NOT_YOURS)
    assert refusal["reply_to_message"]["from"]["id"] == MEMBER
    # The admin's reply is the answer.
    screen = await answer(fake, prompt, ADMIN, "Europe/Moscow", contains="Во сколько")
    assert "09:00 (Europe/Moscow)" in screen["text"] and "Tokyo" not in screen["text"]

    prompt = await ask(fake, admin, "Своё время", "ЧЧ:ММ")
    await answer(fake, prompt, MEMBER, "8:00", contains=NOT_YOURS)
    await answer(fake, prompt, ADMIN, "7:05", contains="По каким дням")

    await admin.press("каждый день", contains="Какие звонки")
    await admin.press("Отдел", contains="отдел")
    prompt = await ask(fake, admin, "Ввести номер", "номер отдела")
    # Not a number: asked again, with a new reply request.
    mark = fake.mark()
    await answer(fake, prompt, ADMIN, "продажи", contains="только цифры")
    prompt = await reply_request_after(fake, mark)
    await answer(fake, prompt, ADMIN, dep, contains="Что считать плохим")

    await admin.press("Далее", contains="Что приложить")
    await admin.press("Далее", contains="Проверьте")
    card = await admin.press("Создать", contains="Дайджест создан")
    assert "07:05 (Europe/Moscow) · каждый день" in card["text"]
    assert f"({dep})" in card["text"]
    assert f"Следующий: {today.day} {MONTHS[today.month - 1]}, 07:05" in card["text"]

    # The bot is down at 07:05 Moscow (09:05 Almaty) and back 20 seconds later.
    await bot.stop()
    bot.env["BOT_CLOCK"] = datetime.combine(today, time(9, 5, 20), ALMATY).isoformat()
    mark = fake.mark()
    await bot.start()
    digest = await fake.wait_for_bot_message(
        GROUP, contains="Плохие звонки за", after=mark, timeout=WAIT
    )
    text = digest.get("text") or digest.get("caption") or ""
    period = f"{yesterday.day} {MONTHS[yesterday.month - 1]}"
    assert f"Плохие звонки за {period}: {len(bad)} из {len(ours)}" in text
    assert f"({dep})" in text
    assert "Данные из подключения aiokk: Ержан" in text
