"""The global error handler: an unexpected failure is logged with an id and the user is told."""

from __future__ import annotations

import logging
import re

import pytest
from aiogram.types import Update

from tests.fake_telegram.errors import ApiError
from tests.flows.conftest import Flow


async def test_unexpected_error_is_logged_with_an_id_and_reported(
    flow: Flow, caplog: pytest.LogCaptureFixture
) -> None:
    chat = flow.fake.private_chat(801)
    message = flow.fake.send_text(chat, 801, "/help")
    # Telegram refuses the handler's reply once (a 5xx would be retried); the report that
    # follows goes through.
    flow.fake.fail_next_with("sendMessage", ApiError(400, "Bad Request: CHAT_RESTRICTED"))
    update = Update.model_validate({"update_id": 1, "message": message}, context={"bot": flow.bot})
    with caplog.at_level(logging.ERROR):
        await flow.dispatcher.feed_update(flow.bot, update)

    sent = [c for c in flow.fake.calls if c.method == "sendMessage" and c.ok]
    assert sent, "the user was told about the failure"
    match = re.search(r"код ошибки ([0-9a-f]{8})", sent[-1].params["text"])
    assert match is not None, sent[-1].params["text"]
    logged = [r for r in caplog.records if match.group(1) in r.getMessage()]
    assert logged and logged[0].exc_info is not None, "the traceback is logged with the same id"


async def test_stale_button_gets_a_short_answer(flow: Flow) -> None:
    chat = flow.fake.private_chat(802)
    flow.fake.send_text(chat, 802, "/start")
    bot_message = flow.fake.messages(802)[0] if flow.fake.messages(802) else None
    assert bot_message is not None
    query = {
        "id": "42",
        "from": flow.fake.user(802),
        "message": bot_message,
        "chat_instance": "1",
        "data": "k:zz:garbage",
    }
    # A forged press: no such button exists, so register the query with the fake directly.
    flow.fake.api.pending_callbacks[query["id"]] = query
    update = Update.model_validate(
        {"update_id": 2, "callback_query": query}, context={"bot": flow.bot}
    )
    await flow.dispatcher.feed_update(flow.bot, update)
    # On the press itself, or as a message when a loaded machine made the press wait past
    # the moment it is answered blank (see bot.middlewares.Press).
    said = [
        str(c.params.get("text", ""))
        for c in flow.fake.calls
        if c.method in ("answerCallbackQuery", "sendMessage")
    ]
    assert any("устарело" in text for text in said)
