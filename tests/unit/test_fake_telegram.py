"""The fake Bot API server, driven by a real aiogram ``Bot`` over HTTP."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.filters import CommandStart
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    ChatMemberAdministrator,
    ChatMemberMember,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)

from tests.fake_telegram import ApiError, FakeTelegram
from tests.fake_telegram.html_entities import parse_html

USER_ID = 501
GROUP_ID = -1001234567890
ADMIN_ID = 601


def make_bot(fake: FakeTelegram, token: str | None = None) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))
    return Bot(
        token=token or fake.token,
        session=session,
        default=DefaultBotProperties(parse_mode="HTML"),
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    server.private_chat(USER_ID)
    server.group_chat(GROUP_ID, "Отдел продаж", admins={ADMIN_ID})
    yield server
    await server.stop()


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    client = make_bot(fake)
    yield client
    await client.session.close()


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t, callback_data=d)] for t, d in pairs]
    )


def png_header(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr + b"\0\0\0\0"


async def test_send_message_returns_telegram_shaped_message(fake: FakeTelegram, bot: Bot) -> None:
    first = await bot.send_message(USER_ID, "<b>Итоги</b> за неделю &lt;7 дней&gt;")
    second = await bot.send_message(USER_ID, "ещё", reply_markup=keyboard(("Список", "l:1")))

    assert first.text == "Итоги за неделю <7 дней>"
    assert first.from_user is not None and first.from_user.id == fake.bot_user["id"]
    assert first.chat.id == USER_ID and first.chat.type == "private"
    assert [(e.type, e.offset, e.length) for e in first.entities or []] == [("bold", 0, 5)]
    assert second.message_id == first.message_id + 1
    assert second.reply_markup is not None
    assert second.reply_markup.inline_keyboard[0][0].callback_data == "l:1"
    assert fake.buttons(fake.last_bot_message(USER_ID)) == [("Список", "l:1")]
    call = fake.calls[-1]
    assert call.method == "sendMessage" and call.chat_id == USER_ID
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "l:1"


async def test_bare_less_than_is_rejected_like_telegram(bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest) as raised:
        await bot.send_message(USER_ID, "оценка < 50%")
    assert raised.value.message == (
        'Bad Request: can\'t parse entities: Unsupported start tag "" at byte offset 13'
    )


@pytest.mark.parametrize(
    ("source", "detail"),
    [
        ("a & b", "Character '&'"),
        ("<br>", 'Unsupported start tag "br"'),
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag"),
        ('<span class="red">x</span>', 'Tag "span" must have class "tg-spoiler"'),
        ("<a href=https://x.kz>x</a>", "Unexpected end of name token"),
        ("text <b", "Unclosed start tag"),
    ],
)
def test_invalid_html_is_rejected(source: str, detail: str) -> None:
    with pytest.raises(ApiError) as raised:
        parse_html(source)
    assert raised.value.code == 400
    assert raised.value.description.startswith("Bad Request: can't parse entities: ")
    assert detail in raised.value.description


def test_allowed_html_becomes_entities() -> None:
    text, entities = parse_html(
        '<a href="https://aiokk.kz/?a=1&amp;b=2">ссылка</a> '
        '<pre><code class="language-python">x = 1</code></pre> '
        "<tg-spoiler>s</tg-spoiler> <blockquote expandable>q</blockquote> &#128512;&#x41;"
    )
    assert text == "ссылка x = 1 s q 😀A"
    assert entities == [
        {"offset": 0, "length": 6, "type": "text_link", "url": "https://aiokk.kz/?a=1&b=2"},
        {"offset": 7, "length": 5, "type": "pre", "language": "python"},
        {"offset": 13, "length": 1, "type": "spoiler"},
        {"offset": 15, "length": 1, "type": "expandable_blockquote"},
    ]


async def test_text_length_counts_after_entity_parsing(bot: Bot) -> None:
    accepted = await bot.send_message(USER_ID, "<b>" + "я" * 4096 + "</b>")
    assert accepted.text is not None and len(accepted.text) == 4096

    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(USER_ID, "<i>" + "я" * 4097 + "</i>")
    # An emoji outside the BMP is two UTF-16 code units.
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(USER_ID, "😀" + "я" * 4095)
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(USER_ID, "<b> </b>")


async def test_caption_over_1024_is_rejected(bot: Bot) -> None:
    report = BufferedInputFile(b"a;b\n1;2\n", filename="report.csv")
    sent = await bot.send_document(USER_ID, report, caption="<b>" + "ы" * 1024 + "</b>")
    assert sent.caption is not None and len(sent.caption) == 1024

    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_document(USER_ID, report, caption="ы" * 1025)


async def test_callback_data_over_64_bytes_is_rejected(bot: Bot) -> None:
    await bot.send_message(USER_ID, "ok", reply_markup=keyboard(("x", "d" * 64)))
    # 33 Cyrillic letters are 66 bytes in UTF-8.
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(USER_ID, "bad", reply_markup=keyboard(("x", "ж" * 33)))
    with pytest.raises(TelegramBadRequest, match="Text buttons are unallowed"):
        await bot.send_message(
            USER_ID,
            "bad",
            reply_markup=InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="x")]]),
        )


async def test_editing_to_same_content_is_not_modified(fake: FakeTelegram, bot: Bot) -> None:
    markup = keyboard(("Далее", "p:2"))
    sent = await bot.send_message(USER_ID, "<b>Страница 1</b>", reply_markup=markup)

    with pytest.raises(TelegramBadRequest) as raised:
        await bot.edit_message_text(
            "<b>Страница 1</b>", chat_id=USER_ID, message_id=sent.message_id, reply_markup=markup
        )
    assert raised.value.message == (
        "Bad Request: message is not modified: specified new message content and reply markup "
        "are exactly the same as a current content and reply markup of the message"
    )

    # Same text without the keyboard is a change: Telegram drops the keyboard.
    edited = await bot.edit_message_text(
        "<b>Страница 1</b>", chat_id=USER_ID, message_id=sent.message_id
    )
    assert not isinstance(edited, bool) and edited.reply_markup is None
    assert fake.buttons(fake.messages(USER_ID)[-1]) == []

    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER_ID, message_id=999)


async def test_injected_429_raises_retry_after(fake: FakeTelegram, bot: Bot) -> None:
    fake.fail_next("sendMessage", count=1, retry_after=3)

    with pytest.raises(TelegramRetryAfter) as raised:
        await bot.send_message(USER_ID, "первая попытка")
    assert raised.value.retry_after == 3
    assert fake.calls[-1].description == "Too Many Requests: retry after 3"

    await bot.send_message(USER_ID, "вторая попытка")
    assert fake.too_many_requests == 1
    assert [m["text"] for m in fake.messages(USER_ID)] == ["вторая попытка"]


async def test_get_updates_delivers_and_confirms_by_offset(fake: FakeTelegram, bot: Bot) -> None:
    fake.send_text(USER_ID, USER_ID, "/start")
    fake.send_text(USER_ID, USER_ID, "привет")

    updates = await bot.get_updates(timeout=0)
    assert [u.message.text for u in updates if u.message] == ["/start", "привет"]
    first = updates[0].message
    assert first is not None and first.entities is not None
    assert (first.entities[0].type, first.entities[0].length) == ("bot_command", 6)
    assert first.from_user is not None and first.from_user.language_code == "ru"

    # Not confirmed yet: delivered again; then confirmed past the first one.
    again = await bot.get_updates(offset=updates[1].update_id, timeout=0)
    assert [u.update_id for u in again] == [updates[1].update_id]
    assert await bot.get_updates(offset=updates[1].update_id + 1, timeout=0) == []


async def test_long_poll_wakes_on_new_update(fake: FakeTelegram, bot: Bot) -> None:
    mark = fake.mark()
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await fake.wait_for(lambda c: c.method == "getUpdates", after=mark)
    fake.send_text(USER_ID, USER_ID, "/help")

    updates = await poll
    assert [u.message.text for u in updates if u.message] == ["/help"]


async def test_click_delivers_callback_query_answered_once(fake: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(USER_ID, "Меню", reply_markup=keyboard(("Звонки", "m:calls")))
    with pytest.raises(LookupError):
        fake.click(fake.last_bot_message(USER_ID), "m:nothing")
    update = fake.click(fake.last_bot_message(USER_ID), "m:calls")

    (received,) = await bot.get_updates(timeout=0)
    query = received.callback_query
    assert received.update_id == update["update_id"] and query is not None
    assert query.data == "m:calls" and query.from_user.id == USER_ID
    assert query.message is not None and query.message.message_id == sent.message_id

    assert await bot.answer_callback_query(query.id, text="Загружаю")
    assert fake.callback_answers == [{"callback_query_id": query.id, "text": "Загружаю"}]
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query.id)


async def test_send_document_stores_bytes(fake: FakeTelegram, bot: Bot) -> None:
    payload = "Оператор;Оценка\nАйгерим;87\n".encode("utf-8-sig")
    sent = await bot.send_document(
        USER_ID, BufferedInputFile(payload, filename="calls.csv"), caption="Экспорт"
    )

    assert sent.document is not None
    assert sent.document.file_name == "calls.csv"
    assert sent.document.mime_type == "text/csv"
    assert sent.document.file_size == len(payload)
    assert fake.document(sent.document.file_id) == ("calls.csv", payload)
    downloaded = await bot.download(sent.document.file_id)
    assert downloaded is not None and downloaded.read() == payload
    message = await fake.wait_for_bot_message(USER_ID, contains="Экспорт")
    assert message["document"]["file_id"] == sent.document.file_id


async def test_send_photo_reports_sizes(bot: Bot) -> None:
    chart = png_header(1200, 600) + b"\0" * 100
    sent = await bot.send_photo(USER_ID, BufferedInputFile(chart, filename="chart.png"))

    assert sent.photo is not None
    assert (sent.photo[-1].width, sent.photo[-1].height) == (1200, 600)
    assert sent.photo[0].width == 90


async def test_upload_over_limit_gets_413() -> None:
    server = FakeTelegram(max_upload_mb=1)
    await server.start()
    server.private_chat(USER_ID)
    client = make_bot(server)
    try:
        big = BufferedInputFile(b"x" * (1024 * 1024 + 1), filename="big.xlsx")
        with pytest.raises(TelegramEntityTooLarge):
            await client.send_document(USER_ID, big)
        assert server.calls[-1].status == 413
        assert server.messages(USER_ID) == []
    finally:
        await client.session.close()
        await server.stop()


async def test_blocked_chat_is_forbidden(fake: FakeTelegram, bot: Bot) -> None:
    fake.block_chat(USER_ID)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(USER_ID, "Дайджест")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(777, "кому?")


async def test_group_delete_needs_rights_for_others_messages(fake: FakeTelegram, bot: Bot) -> None:
    own = await bot.send_message(GROUP_ID, "статус")
    theirs = fake.send_text(GROUP_ID, ADMIN_ID, "/digest")

    with pytest.raises(TelegramBadRequest, match="message can't be deleted"):
        await bot.delete_message(GROUP_ID, theirs["message_id"])
    assert await bot.delete_message(GROUP_ID, own.message_id)
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(GROUP_ID, own.message_id)

    fake.chat(GROUP_ID).bot_can_delete = True
    assert await bot.delete_message(GROUP_ID, theirs["message_id"])
    assert fake.messages(GROUP_ID) == []
    assert fake.was_deleted(GROUP_ID, theirs["message_id"])


async def test_members_and_commands_parse_into_aiogram_types(fake: FakeTelegram, bot: Bot) -> None:
    admin = await bot.get_chat_member(GROUP_ID, ADMIN_ID)
    me = await bot.get_chat_member(GROUP_ID, fake.bot_user["id"])
    assert isinstance(admin, ChatMemberAdministrator)
    assert isinstance(me, ChatMemberMember)
    admins = await bot.get_chat_administrators(GROUP_ID)
    assert [a.user.id for a in admins] == [ADMIN_ID]
    chat = await bot.get_chat(GROUP_ID)
    assert chat.type == "supergroup" and chat.title == "Отдел продаж"

    commands = [BotCommand(command="start", description="Начать")]
    assert await bot.set_my_commands(commands, language_code="ru")
    stored = await bot.get_my_commands(language_code="ru")
    assert [(c.command, c.description) for c in stored] == [("start", "Начать")]
    assert await bot.get_my_commands() == []
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Start-Now", description="x")])


async def test_wrong_token_and_unknown_method(fake: FakeTelegram) -> None:
    intruder = make_bot(fake, token="999:WRONG")
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await intruder.get_me()
    finally:
        await intruder.session.close()

    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{fake.base_url}/bot{fake.token}/sendSticker") as response,
    ):
        body = await response.json()
    assert response.status == 404
    assert body == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_enforced_limits_throttle_bursts_and_groups() -> None:
    now = [1000.0]
    clock: Callable[[], float] = lambda: now[0]  # noqa: E731
    server = FakeTelegram(enforce_limits=True, clock=clock)
    await server.start()
    server.private_chat(USER_ID)
    server.group_chat(GROUP_ID, "Группа", admins={ADMIN_ID})
    client = make_bot(server)
    try:
        for n in range(3):  # a short burst passes
            await client.send_message(USER_ID, f"#{n}")
        with pytest.raises(TelegramRetryAfter) as raised:
            await client.send_message(USER_ID, "too fast")
        assert raised.value.retry_after == 1
        now[0] += 1
        await client.send_message(USER_ID, "after a second")

        # One message a second is fine in a private chat but not in a group for long.
        throttled = {USER_ID: 0, GROUP_ID: 0}
        for _ in range(40):
            now[0] += 1
            for chat_id in throttled:
                try:
                    await client.send_message(chat_id, "tick")
                except TelegramRetryAfter:
                    throttled[chat_id] += 1
        assert throttled[USER_ID] == 0
        assert throttled[GROUP_ID] > 0
        assert server.too_many_requests == 1 + throttled[GROUP_ID]
    finally:
        await client.session.close()
        await server.stop()


async def test_wait_for_reports_calls_on_timeout(fake: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(USER_ID, "одно")
    with pytest.raises(TimeoutError, match="sendMessage"):
        await fake.wait_for(lambda c: c.method == "sendPhoto", timeout=0.05)


async def test_dispatcher_polls_and_answers_through_the_fake(fake: FakeTelegram, bot: Bot) -> None:
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer("<b>Меню</b>", reply_markup=keyboard(("Звонки", "m:calls")))

    @router.callback_query(F.data == "m:calls")
    async def calls(query: CallbackQuery) -> None:
        await query.answer()
        assert isinstance(query.message, Message)
        await query.message.edit_text("Выберите фильтр")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    polling = asyncio.create_task(dispatcher.start_polling(bot, handle_signals=False))
    try:
        mark = fake.mark()
        fake.send_text(USER_ID, USER_ID, "/start")
        menu = await fake.wait_for_bot_message(USER_ID, contains="Меню", after=mark)
        assert fake.buttons(menu) == [("Звонки", "m:calls")]

        mark = fake.mark()
        fake.click(menu, "m:calls")
        edited = await fake.wait_for_bot_message(USER_ID, contains="фильтр", after=mark)
        assert edited["message_id"] == menu["message_id"] and "reply_markup" not in edited
        assert [m["text"] for m in fake.messages(USER_ID)] == ["/start", "Выберите фильтр"]
        assert len(fake.callback_answers) == 1
    finally:
        await dispatcher.stop_polling()
        await polling


# ------------------------------------------------------------------------ privacy mode


async def updates_texts(bot: Bot) -> list[str]:
    updates = await bot.get_updates(timeout=0)
    if updates:
        await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    return [u.message.text or "" for u in updates if u.message is not None]


async def test_group_privacy_mode_delivers_only_what_is_meant_for_the_bot(
    fake: FakeTelegram, bot: Bot
) -> None:
    asked = await bot.send_message(GROUP_ID, "Введите время")
    theirs = fake.send_text(GROUP_ID, ADMIN_ID, "обычное сообщение")
    sent = [
        fake.send_text(GROUP_ID, ADMIN_ID, "/digest"),
        fake.send_text(GROUP_ID, ADMIN_ID, "/digest@aiokk_test_bot"),
        fake.send_text(GROUP_ID, ADMIN_ID, "/digest@other_bot"),
        fake.send_text(GROUP_ID, ADMIN_ID, "спросим @aiokk_test_bot, он знает"),
        fake.send_text(GROUP_ID, ADMIN_ID, "а @other_bot не знает"),
        fake.send_text(GROUP_ID, ADMIN_ID, "admin@aiokk_test_bot.kz"),
        fake.reply(fake.last_bot_message(GROUP_ID), ADMIN_ID, "09:30"),
        fake.reply(theirs, 602, "согласен"),
    ]

    assert await updates_texts(bot) == [
        "/digest",
        "/digest@aiokk_test_bot",
        "спросим @aiokk_test_bot, он знает",
        "09:30",
    ]
    assert [m["text"] for m in fake.withheld] == [
        "обычное сообщение",
        "/digest@other_bot",
        "а @other_bot не знает",
        "admin@aiokk_test_bot.kz",
        "согласен",
    ]
    assert [fake.was_delivered(m) for m in sent] == [
        True, True, False, True, False, False, True, False,
    ]  # fmt: skip
    # Withheld messages are still in the chat, as other members see them.
    assert [m["message_id"] for m in fake.messages(GROUP_ID)] == list(range(1, 11))
    reply = sent[6]
    assert reply["reply_to_message"]["message_id"] == asked.message_id
    assert reply["reply_to_message"]["from"]["id"] == fake.bot_user["id"]
    mention = sent[3]["entities"]
    assert mention == [{"type": "mention", "offset": 8, "length": 15}]


async def test_privacy_mode_spares_private_chats_admin_bots_and_bots_without_it(
    fake: FakeTelegram, bot: Bot
) -> None:
    fake.send_text(USER_ID, USER_ID, "просто текст")
    fake.chat(GROUP_ID).bot_can_delete = True  # the bot is an administrator of the group
    fake.send_text(GROUP_ID, ADMIN_ID, "всё видно")
    assert await updates_texts(bot) == ["просто текст", "всё видно"]
    assert fake.withheld == []
    assert (await bot.get_me()).can_read_all_group_messages is False

    relaxed = FakeTelegram(privacy_mode=False)
    await relaxed.start()
    client = make_bot(relaxed)
    try:
        relaxed.group_chat(GROUP_ID, "Отдел продаж", admins={ADMIN_ID})
        relaxed.send_text(GROUP_ID, ADMIN_ID, "без привилегий")
        assert await updates_texts(client) == ["без привилегий"]
        assert (await client.get_me()).can_read_all_group_messages is True
    finally:
        await client.session.close()
        await relaxed.stop()


def test_a_reply_needs_a_live_message_of_the_same_chat(fake: FakeTelegram) -> None:
    other = fake.send_text(USER_ID, USER_ID, "в личке")
    with pytest.raises(ValueError, match="chat"):
        fake.send_text(GROUP_ID, ADMIN_ID, "ответ", reply_to=other)
    gone = {"chat": {"id": GROUP_ID}, "message_id": 99}
    with pytest.raises(LookupError, match="gone"):
        fake.reply(gone, ADMIN_ID, "ответ")


# ------------------------------------------------------------------------ ForceReply


async def test_force_reply_is_accepted_and_recorded(fake: FakeTelegram, bot: Bot) -> None:
    markup = ForceReply(force_reply=True, selective=True, input_field_placeholder="09:30")
    asked = await bot.send_message(GROUP_ID, "Во сколько?", reply_markup=markup)
    plain = await bot.send_message(GROUP_ID, "Готово")

    message = fake.last_bot_message(GROUP_ID)
    assert message["message_id"] == plain.message_id
    request = fake.reply_request(fake.messages(GROUP_ID)[0])
    assert request == {"force_reply": True, "selective": True, "input_field_placeholder": "09:30"}
    assert asked.reply_markup is None  # a reply request is not part of the message
    assert fake.reply_request(message) is None


@pytest.mark.parametrize(
    ("markup", "error"),
    [
        ({"force_reply": False}, '"force_reply" must be True'),
        ({"force_reply": "true"}, '"force_reply" must be True'),
        ({"force_reply": True, "input_field_placeholder": ""}, "1-64 characters"),
        ({"force_reply": True, "input_field_placeholder": "x" * 65}, "1-64 characters"),
        ({"force_reply": True, "selective": "yes"}, '"selective" must be of type Boolean'),
    ],
)
async def test_invalid_force_reply_is_refused(
    fake: FakeTelegram, markup: dict[str, object], error: str
) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{fake.base_url}/bot{fake.token}/sendMessage",
            json={"chat_id": GROUP_ID, "text": "Во сколько?", "reply_markup": markup},
        ) as response,
    ):
        body = await response.json()
    assert response.status == 400
    assert error in body["description"]
    assert fake.messages(GROUP_ID) == [] and fake.api.reply_requests == {}


async def test_placeholder_of_64_characters_is_fine(fake: FakeTelegram, bot: Bot) -> None:
    markup = ForceReply(force_reply=True, input_field_placeholder="я" * 64)
    await bot.send_message(GROUP_ID, "Введите", reply_markup=markup)
    request = fake.reply_request(fake.last_bot_message(GROUP_ID))
    assert request is not None and request["input_field_placeholder"] == "я" * 64


async def test_a_link_to_a_known_user_becomes_a_mention(fake: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(
        GROUP_ID,
        f'<a href="tg://user?id={ADMIN_ID}">Админ</a> и <a href="tg://user?id=1">кто-то</a>',
    )
    first, second = fake.last_bot_message(GROUP_ID)["entities"]
    assert first["type"] == "text_mention" and first["user"]["id"] == ADMIN_ID
    assert (first["offset"], first["length"]) == (0, 5)
    assert second == {"type": "text_link", "offset": 8, "length": 6, "url": "tg://user?id=1"}
