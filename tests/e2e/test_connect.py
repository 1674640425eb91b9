"""The foundation end to end: the real bot process, the fake Bot API and the sandbox over HTTP."""

from __future__ import annotations

from tests.e2e.conftest import Sandbox, StartBot
from tests.e2e.steps import Person
from tests.fake_telegram import FakeTelegram
from tests.fake_telegram.errors import ApiError

TOKEN = "demo-90817263"
# The sandbox listens on loopback: typing its address takes the admin's permission.
ALLOW_PRIVATE = {"AIOKK_ALLOW_PRIVATE": "true"}


async def connect(person: Person, address: str, token: str = TOKEN) -> dict:
    await person.say("/connect", contains="Шаг 1")
    await person.say(address, contains="токен")
    return await person.say(token, contains="Подключено")


async def test_start_offers_connect_and_demo(
    fake_telegram: FakeTelegram, bot_process: StartBot
) -> None:
    await bot_process(args=["--demo"])
    person = Person(fake_telegram, 501, first_name="Айгерим <b>")
    greeting = await person.say("/start")
    assert "Айгерим &lt;b&gt;" in greeting["text"] or "Айгерим <b>" in greeting["text"]
    assert any("Подключить" in label for label in person.labels(greeting))
    answer = await person.press("демо", contains="демо")
    assert "Подключено демо" in answer["text"]
    assert {"📞 Звонки", "👤 Оператор", "📬 Дайджесты", "🚨 Алерты", "⚙️ Настройки"} <= set(
        person.labels(answer)
    )
    status = await person.say("/status")
    assert "127.0.0.1" in status["text"]


async def test_connect_deletes_the_token_and_stores_it_encrypted(
    fake_telegram: FakeTelegram, sandbox: Sandbox, bot_process: StartBot
) -> None:
    bot = await bot_process(env=ALLOW_PRIVATE)
    person = Person(fake_telegram, 502)
    await person.say("/connect", contains="Шаг 1")
    await person.say(sandbox.base_url + "/some/path", contains="токен")
    mark = fake_telegram.mark()
    fake_telegram.send_text(502, 502, TOKEN)
    done = await fake_telegram.wait_for_bot_message(502, contains="Подключено", after=mark)
    sent = [c for c in fake_telegram.calls[mark:] if c.method == "deleteMessage"]
    assert sent and sent[0].ok
    assert all(TOKEN not in (m.get("text") or "") for m in fake_telegram.messages(502))
    assert "…7263" in done["text"] and TOKEN not in done["text"]

    status = await person.say("/status")
    assert "…7263" in status["text"] and TOKEN not in status["text"]

    await bot.stop()
    for path in bot.workdir.glob("bot.sqlite3*"):
        assert TOKEN.encode() not in path.read_bytes(), path
    assert TOKEN not in bot.log_path.read_text(encoding="utf-8")

    await bot.start()
    status = await person.say("/status")
    assert "…7263" in status["text"], "the connection survives a restart"


async def test_failing_tokens_save_nothing_and_say_what_to_do(
    fake_telegram: FakeTelegram, sandbox: Sandbox, bot_process: StartBot
) -> None:
    await bot_process(aiokk_base_url=sandbox.base_url)
    person = Person(fake_telegram, 503)
    prompt = await person.say("/connect", contains="токен")
    assert "Экспорт через API" in prompt["text"]
    expectations = {
        "demo-unpaid": "не оплачен",
        "demo-disabled": "отключён",
        "no-such-token-42": "Токен не найден",
        "demo-unavailable": "недоступен",
    }
    for token, phrase in expectations.items():
        answer = await person.say(token, contains="Ничего не сохранено", wait=30)
        assert phrase in answer["text"], (token, answer["text"])
    status = await person.say("/status")
    assert "не подключён" in status["text"]
    # The flow is still waiting for a token: a good one now connects.
    done = await person.say(TOKEN, contains="Подключено")
    assert "…7263" in done["text"]


async def test_wrong_addresses_get_a_clear_answer_and_the_flow_goes_on(
    fake_telegram: FakeTelegram, sandbox: Sandbox, bot_process: StartBot
) -> None:
    await bot_process(env=ALLOW_PRIVATE)
    person = Person(fake_telegram, 504)
    await person.say("/connect", contains="Шаг 1")
    invalid = await person.say("not an address")
    assert "Не похоже на адрес" in invalid["text"]
    insecure = await person.say("http://company.aiokk.io")
    assert "https" in insecure["text"]
    asked = await person.say(sandbox.base_url, contains="токен")
    assert "127.0.0.1" in asked["text"]


async def test_disconnect_asks_first(
    fake_telegram: FakeTelegram, sandbox: Sandbox, bot_process: StartBot
) -> None:
    await bot_process(env=ALLOW_PRIVATE)
    person = Person(fake_telegram, 505)
    await connect(person, sandbox.base_url)
    confirm = await person.say("/disconnect")
    kept = await person.press("Нет", message=confirm)
    assert "сохранено" in kept["text"]
    confirm = await person.say("/disconnect")
    gone = await person.press("Да", message=confirm)
    assert "Отключено" in gone["text"]
    status = await person.say("/status")
    assert "не подключён" in status["text"]


async def test_settings_change_language_and_timezone(
    fake_telegram: FakeTelegram, bot_process: StartBot
) -> None:
    await bot_process()
    person = Person(fake_telegram, 506)
    screen = await person.say("/settings")
    assert "Asia/Almaty" in screen["text"]
    await person.press("Язык", message=screen)
    english = await person.press("English")
    assert "Settings" in english["text"]
    help_text = await person.say("/help")
    assert "Commands" in help_text["text"]

    zones = await person.press("Time zone", message=english)
    await person.press("Type another", message=zones)
    wrong = await person.say("Mars/Olympus")
    assert "do not know that time zone" in wrong["text"]
    await person.say("europe/moscow", contains="Saved")
    screen = await person.say("/settings")
    assert "Europe/Moscow" in screen["text"]
    # Zones as people type them; the button shows the offset at the bot's clock.
    forms = {
        "Москва": "Europe/Moscow",
        "МСК": "Europe/Moscow",
        "Алматы": "Asia/Almaty",
        "Ташкент": "Asia/Tashkent",
        "New York": "America/New_York",
        "UTC+3": "Etc/GMT-3",
        "+5": "Etc/GMT-5",
        "GMT+05:00": "Etc/GMT-5",
    }
    for typed, zone in forms.items():
        zones = await person.press("Time zone", message=screen, contains="offset")
        assert "Almaty (UTC+5)" in person.labels(zones)
        await person.press("Type another", message=zones)
        await person.say(typed, contains="Saved")
        screen = await person.say("/settings")
        assert zone in screen["text"], typed


async def test_tokens_in_groups_are_deleted_and_a_failed_private_delete_is_owned_up(
    fake_telegram: FakeTelegram, sandbox: Sandbox, bot_process: StartBot
) -> None:
    await bot_process(aiokk_base_url=sandbox.base_url)
    fake_telegram.group_chat(-100501, "Продажи", admins={601}, bot_can_delete=True)
    fake_telegram.group_chat(-100502, "Склад", admins={601})  # the bot may not delete here
    member = Person(fake_telegram, 602, chat_id=-100501)
    pasted = "0123456789abcdefABCDEF0123456789"
    for chat_id, text, said in (
        (-100501, pasted, "удалил"),
        (-100501, f"/connect@aiokk_test_bot {pasted[:20]}", "удалил"),
        (-100501, f"вот токен: «{pasted}», проверьте", "удалил"),
        (-100502, f"/connect {pasted}", "не смог"),
    ):
        mark = fake_telegram.mark()
        fake_telegram.send_text(chat_id, 602, text)
        warning = await fake_telegram.wait_for_bot_message(chat_id, contains=said, after=mark)
        assert "отзовите этот токен" in warning["text"] and pasted[:20] not in warning["text"]
    assert all(pasted[:20] not in (m.get("text") or "") for m in fake_telegram.messages(-100501))
    refused = await member.say("/connect")
    assert "только в личном чате" in refused["text"]
    calm = await member.say("/help")
    assert "удалил" not in calm["text"], "a message without a token is left alone"

    # In private, a delete that Telegram keeps failing: the user is told to delete it.
    person = Person(fake_telegram, 603)
    await person.say("/connect", contains="токен")
    fake_telegram.fail_next_with("deleteMessage", ApiError(502, "Bad Gateway"), count=10)
    mark = fake_telegram.mark()
    fake_telegram.send_text(603, 603, "demo")
    await fake_telegram.wait_for_bot_message(
        603, contains="Удалите его сами", after=mark, timeout=30
    )
    await fake_telegram.wait_for_bot_message(603, contains="Подключено", after=mark, timeout=30)
    texts = [m.get("text") or "" for m in fake_telegram.messages(603)]
    assert not any("пошло не так" in text for text in texts)


async def test_allowlist_refuses_others_politely(
    fake_telegram: FakeTelegram, bot_process: StartBot
) -> None:
    await bot_process(env={"ALLOWED_USER_IDS": "507"})
    allowed = Person(fake_telegram, 507)
    stranger = Person(fake_telegram, 508)
    assert "Здравствуйте" in (await allowed.say("/start"))["text"]
    assert "только сотрудникам" in (await stranger.say("/start"))["text"]
