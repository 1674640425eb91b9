"""A user's side of a conversation with the bot: say something, press a button, read the answer."""

from __future__ import annotations

from typing import Any

from tests.fake_telegram import FakeTelegram
from tests.fake_telegram.state import MESSAGE_METHODS

JsonDict = dict[str, Any]


class Person:
    """One Telegram user talking to the bot in one chat (private by default)."""

    def __init__(
        self,
        fake: FakeTelegram,
        user_id: int,
        *,
        chat_id: int | None = None,
        first_name: str = "Айгерим",
        language_code: str = "ru",
    ) -> None:
        self.fake = fake
        self.user_id = user_id
        self.chat_id = chat_id if chat_id is not None else user_id
        if chat_id is None:
            fake.private_chat(user_id, first_name=first_name, language_code=language_code)
        else:
            fake.user(user_id, first_name=first_name, language_code=language_code)

    async def say(self, text: str, *, contains: str | None = None, wait: float = 15.0) -> JsonDict:
        """Send ``text``; return the bot's next message (the one containing ``contains``)."""
        mark = self.fake.mark()
        self.fake.send_text(self.chat_id, self.user_id, text)
        return await self.fake.wait_for_bot_message(
            self.chat_id, contains=contains, after=mark, timeout=wait
        )

    def button(self, label: str, message: JsonDict | None = None) -> str:
        """The callback data of the first button whose text contains ``label``."""
        source = message if message is not None else self.last_with_buttons()
        current = self.current(source)
        for text, data in self.fake.buttons(current):
            if label in text:
                return data
        raise LookupError(f"no button {label!r}; have {self.fake.buttons(current)}")

    def labels(self, message: JsonDict | None = None) -> list[str]:
        source = message if message is not None else self.last_with_buttons()
        return [text for text, _ in self.fake.buttons(self.current(source))]

    def current(self, message: JsonDict) -> JsonDict:
        for candidate in self.fake.messages(self.chat_id):
            if candidate["message_id"] == message["message_id"]:
                return candidate
        raise LookupError(f"message {message['message_id']} is gone")

    async def message_with_button(self, label: str, *, after: int, wait: float = 15.0) -> JsonDict:
        """The bot's message, sent or edited since ``after``, with a button labelled ``label``
        (e.g. the last part of a card split over several messages)."""

        def carries(message: JsonDict) -> bool:
            return message["chat"]["id"] == self.chat_id and any(
                label in text for text, _ in self.fake.buttons(message)
            )

        call = await self.fake.wait_for(
            lambda c: c.method in MESSAGE_METHODS and any(map(carries, c.messages())),
            after=after,
            timeout=wait,
        )
        return next(message for message in call.messages() if carries(message))

    def last_with_buttons(self) -> JsonDict:
        for message in reversed(self.fake.messages(self.chat_id)):
            if message["from"]["id"] == self.fake.bot_user["id"] and self.fake.buttons(message):
                return message
        raise LookupError("no bot message with buttons")

    async def press(
        self,
        label: str,
        *,
        message: JsonDict | None = None,
        contains: str | None = None,
        wait: float = 20.0,
    ) -> JsonDict:
        """Press a button by (part of) its label and return the bot's next message."""
        source = self.current(message if message is not None else self.last_with_buttons())
        data = self.button(label, source)
        return await self.press_data(source, data, contains=contains, wait=wait)

    async def press_data(
        self, message: JsonDict, data: str, *, contains: str | None = None, wait: float = 20.0
    ) -> JsonDict:
        mark = self.fake.mark()
        self.fake.click(message, data, user_id=self.user_id)
        return await self.fake.wait_for_bot_message(
            self.chat_id, contains=contains, after=mark, timeout=wait
        )
