"""Telegram's own faults against the real bot process: a 5xx or two on a reply, and on the
steps of a wizard, are retried; the user sees every answer once."""

from __future__ import annotations

from tests.e2e.conftest import Sandbox, StartBot
from tests.e2e.steps import Person
from tests.fake_telegram import FakeTelegram
from tests.fake_telegram.errors import ApiError

USER = 9301


async def test_replies_and_edits_survive_telegram_5xx_and_are_not_doubled(
    fake_telegram: FakeTelegram, sandbox: Sandbox, bot_process: StartBot
) -> None:
    await bot_process(aiokk_base_url=sandbox.base_url)
    person = Person(fake_telegram, USER)
    fake_telegram.fail_next_with("sendMessage", ApiError(502, "Bad Gateway"), count=2)
    await person.say("/start", contains="Здравствуйте", wait=30)
    await person.say("/connect", contains="токен")
    await person.say("demo", contains="Подключено", wait=30)

    fake_telegram.fail_next_with("editMessageText", ApiError(500, "Internal Server Error"))
    fake_telegram.fail_next_with("answerCallbackQuery", ApiError(502, "Bad Gateway"))
    menu = await person.say("/calls", contains="Выберите фильтр")
    periods = await person.press("Выбрать период", message=menu, contains="период", wait=30)
    summary = await person.press("Вчера", message=periods, contains="Звонков:", wait=30)
    assert summary["message_id"] == menu["message_id"], "the menu was edited in place"

    greetings = [m for m in fake_telegram.messages(USER) if "Здравствуйте" in (m.get("text") or "")]
    assert len(greetings) == 1, "a retried send is posted once"
    failed = [c for c in fake_telegram.calls if c.status is not None and c.status >= 500]
    assert len(failed) == 4, "every injected fault was met and retried"
    answered = [c for c in fake_telegram.calls if c.method == "answerCallbackQuery" and c.ok]
    assert len(answered) >= 2, "both presses were answered despite the fault"
