"""The Bot API methods the fake implements, checked against the state the fake keeps.

Every method takes the request's parameters (strings as sent, JSON fields decoded) and
uploaded files, and returns the ``result`` or raises ``ApiError``. All methods here are
synchronous, so a call's effects and its recording happen at once; only ``getUpdates``, which
waits, lives in the server.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from tests.fake_telegram.errors import ApiError, bad_request
from tests.fake_telegram.limits import FloodControl
from tests.fake_telegram.state import (
    FakeChat,
    FileStore,
    JsonDict,
    StoredFile,
    image_size,
    snapshot,
)
from tests.fake_telegram.validation import (
    caption_text,
    decode_json,
    force_reply,
    inline_buttons,
    message_text,
    reply_markup,
)

Params = dict[str, Any]
Files = dict[str, tuple[str, bytes]]
Method = Callable[[Params, Files], Any]

CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice",
        "upload_voice", "upload_document", "choose_sticker", "find_location",
        "record_video_note", "upload_video_note",
    }
)  # fmt: skip
# Update types Telegram leaves out unless allowed_updates names them.
NOT_SENT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_USER_LINK = re.compile(r"^tg://user\?id=(\d+)$")
_DOWNLOAD_LIMIT = 20 * 1024 * 1024  # getFile refuses bigger files unless in local mode
_PHOTO_LIMIT = 10 * 1024 * 1024
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


def _flag(value: Any) -> bool:
    return str(value).lower() in ("true", "1")


def _int(params: Params, name: str, *, missing: str, invalid: str | None = None) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        raise bad_request(missing)
    try:
        return int(raw)
    except (TypeError, ValueError) as error:
        raise bad_request(invalid or f"invalid {name} specified") from error


def _optional_int(params: Params, name: str) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    return _int(params, name, missing="")


def _administrator(user: JsonDict) -> JsonDict:
    rights = dict.fromkeys(
        (
            "can_manage_chat", "can_delete_messages", "can_manage_video_chats",
            "can_restrict_members", "can_change_info", "can_invite_users", "can_post_stories",
            "can_edit_stories", "can_delete_stories", "can_pin_messages",
        ),
        True,
    )  # fmt: skip
    return {
        "status": "administrator",
        "user": user,
        "can_be_edited": False,
        "is_anonymous": False,
        "can_promote_members": False,
        "can_send_welcome_messages": False,
        **rights,
    }


class BotApi:
    """State of one bot's world (users, chats, files, updates) and the methods acting on it."""

    def __init__(
        self,
        *,
        bot_user: JsonDict,
        max_upload_bytes: int,
        flood: FloodControl | None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.bot_user = bot_user
        self.max_upload_bytes = max_upload_bytes
        self.flood = flood
        self._now = now
        self.users: dict[int, JsonDict] = {bot_user["id"]: bot_user}
        self.chats: dict[int, FakeChat] = {}
        self.files = FileStore()
        self.updates: list[JsonDict] = []  # not yet confirmed by getUpdates' offset
        self.allowed_updates: frozenset[str] | None = None  # None: Telegram's default set
        self.pending_callbacks: dict[str, JsonDict] = {}
        self.callback_answers: list[JsonDict] = []
        # (chat id, message id) of a bot message sent with a ForceReply -> that ForceReply.
        self.reply_requests: dict[tuple[int, int], JsonDict] = {}
        self.commands: dict[tuple[str, str], list[JsonDict]] = {}
        self.menu_buttons: dict[int | None, JsonDict] = {}
        self.descriptions: dict[str, str] = {}
        self._media_groups = 0
        self.methods: dict[str, Method] = {
            "getMe": lambda p, f: self.bot_user,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": lambda p, f: {
                "url": "",
                "has_custom_certificate": False,
                "pending_update_count": len(self.updates),
            },
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "setMyDescription": self._set_text_setting("description"),
            "setMyShortDescription": self._set_text_setting("short_description"),
            "setMyName": self._set_text_setting("name"),
            "setChatMenuButton": self.set_chat_menu_button,
            "getChatMenuButton": self.get_chat_menu_button,
            "sendMessage": self.send_message,
            "editMessageText": self.edit_message_text,
            "editMessageCaption": self.edit_message_caption,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "deleteMessages": self.delete_messages,
            "answerCallbackQuery": self.answer_callback_query,
            "sendChatAction": self.send_chat_action,
            "sendDocument": self.send_document,
            "sendPhoto": self.send_photo,
            "sendMediaGroup": self.send_media_group,
            "getFile": self.get_file,
            "getChat": lambda p, f: self._chat(p).full_info(),
            "getChatMember": self.get_chat_member,
            "getChatAdministrators": self.get_chat_administrators,
        }

    # -- shared checks ---------------------------------------------------------------------

    def _chat(self, params: Params) -> FakeChat:
        chat_id = _int(params, "chat_id", missing="chat_id is empty", invalid="chat not found")
        chat = self.chats.get(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def _writable_chat(self, params: Params) -> FakeChat:
        chat = self._chat(params)
        if chat.migrated_to is not None:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                migrate_to_chat_id=chat.migrated_to,
            )
        if chat.blocked:
            if chat.is_private:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            raise ApiError(403, f"Forbidden: bot was kicked from the {chat.type} chat")
        return chat

    def _spend(self, chat: FakeChat, *, is_edit: bool = False) -> None:
        if self.flood is not None and (error := self.flood.check(chat.id, is_edit=is_edit)):
            raise error

    def _thread_id(self, chat: FakeChat, params: Params) -> int | None:
        thread_id = _optional_int(params, "message_thread_id")
        if thread_id is not None and not chat.is_forum:
            raise bad_request("message thread not found")
        return thread_id

    def _reply_to(self, chat: FakeChat, params: Params) -> JsonDict | None:
        reply = decode_json(params.get("reply_parameters"), "reply parameters")
        if isinstance(reply, dict):
            message_id, lenient = (
                reply.get("message_id"),
                bool(reply.get("allow_sending_without_reply")),
            )
        else:
            message_id = _optional_int(params, "reply_to_message_id")
            lenient = _flag(params.get("allow_sending_without_reply"))
        if message_id is None:
            return None
        target = chat.messages.get(int(message_id))
        if target is None and not lenient:
            raise bad_request("message to be replied not found")
        return None if target is None else snapshot(target)

    def _post(self, chat: FakeChat, params: Params, content: JsonDict) -> JsonDict:
        """Validate addressing, spend flood quota and store a new bot message."""
        thread_id = self._thread_id(chat, params)
        reply = self._reply_to(chat, params)
        self._spend(chat)
        message = self.store(chat, self.bot_user, content, thread_id=thread_id, reply=reply)
        request = force_reply(params.get("reply_markup"))
        if request is not None:
            self.reply_requests[(chat.id, message["message_id"])] = snapshot(request)
        return message

    def store(
        self,
        chat: FakeChat,
        sender: JsonDict,
        content: JsonDict,
        *,
        thread_id: int | None = None,
        reply: JsonDict | None = None,
    ) -> JsonDict:
        message: JsonDict = {
            "message_id": chat.next_message_id(),
            "from": sender,
            "chat": chat.as_dict(),
            "date": int(self._now()),
        }
        if thread_id is not None:
            message.update(message_thread_id=thread_id, is_topic_message=True)
        if reply is not None:
            message["reply_to_message"] = reply
        message.update({key: value for key, value in content.items() if value})
        chat.messages[message["message_id"]] = message
        return snapshot(message)

    def _content(
        self, field: str, text: str, entities: list[JsonDict], markup: JsonDict | None
    ) -> JsonDict:
        entities_field = "entities" if field == "text" else "caption_entities"
        return {field: text, entities_field: self._mentions(entities), "reply_markup": markup}

    def _mentions(self, entities: list[JsonDict]) -> list[JsonDict]:
        """Like Telegram, a link to ``tg://user?id=N`` of a known user becomes a
        ``text_mention`` of that user (it notifies them and selects them for a selective
        ``ForceReply``)."""
        converted: list[JsonDict] = []
        for entity in entities:
            match = _USER_LINK.match(str(entity.get("url") or ""))
            user = self.users.get(int(match.group(1))) if match else None
            if entity.get("type") == "text_link" and user is not None:
                entity = {
                    "type": "text_mention",
                    "offset": entity["offset"],
                    "length": entity["length"],
                    "user": user,
                }
            converted.append(entity)
        return converted

    # -- updates and bot settings ----------------------------------------------------------

    def enqueue(self, update: JsonDict) -> bool:
        """Queue an update unless its type is filtered out by ``allowed_updates``."""
        kind = next(key for key in update if key != "update_id")
        allowed = (
            kind not in NOT_SENT_BY_DEFAULT
            if self.allowed_updates is None
            else kind in self.allowed_updates
        )
        if not allowed:
            return False
        self.updates.append(update)
        return True

    def confirm(self, offset: int | None) -> None:
        if offset is None:
            return
        if offset < 0:
            del self.updates[: max(len(self.updates) + offset, 0)]
        else:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]

    def set_allowed_updates(self, raw: Any) -> None:
        if raw is None or raw == "":
            return
        allowed = decode_json(raw, "allowed updates")
        self.allowed_updates = frozenset(allowed) if allowed else None

    def delete_webhook(self, params: Params, files: Files) -> bool:
        if _flag(params.get("drop_pending_updates")):
            self.updates.clear()
        return True

    @staticmethod
    def _commands_key(params: Params) -> tuple[str, str]:
        scope = decode_json(params.get("scope"), "scope") or {"type": "default"}
        scope_key = ":".join(str(scope[k]) for k in sorted(scope))
        return scope_key, str(params.get("language_code") or "")

    def set_my_commands(self, params: Params, files: Files) -> bool:
        commands = decode_json(params.get("commands"), "commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("commands must be an array of at most 100 BotCommand")
        for command in commands:
            if not _COMMAND_RE.match(str(command.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._commands_key(params)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    def get_my_commands(self, params: Params, files: Files) -> list[JsonDict]:
        return self.commands.get(self._commands_key(params), [])

    def delete_my_commands(self, params: Params, files: Files) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    def _set_text_setting(self, name: str) -> Method:
        def method(params: Params, files: Files) -> bool:
            language = str(params.get("language_code") or "")
            self.descriptions[f"{name}:{language}"] = str(params.get(name) or "")
            return True

        return method

    def set_chat_menu_button(self, params: Params, files: Files) -> bool:
        chat_id = _optional_int(params, "chat_id")
        if chat_id is not None:
            self._chat(params)
        button = decode_json(params.get("menu_button"), "menu button") or {"type": "default"}
        self.menu_buttons[chat_id] = button
        return True

    def get_chat_menu_button(self, params: Params, files: Files) -> JsonDict:
        chat_id = _optional_int(params, "chat_id")
        return self.menu_buttons.get(chat_id) or self.menu_buttons.get(None) or {"type": "default"}

    # -- messages --------------------------------------------------------------------------

    def send_message(self, params: Params, files: Files) -> JsonDict:
        chat = self._writable_chat(params)
        text, entities = message_text(
            params.get("text"), params.get("parse_mode"), params.get("entities")
        )
        markup = reply_markup(params.get("reply_markup"))
        return self._post(chat, params, self._content("text", text, entities, markup))

    def send_chat_action(self, params: Params, files: Files) -> bool:
        chat = self._writable_chat(params)
        if params.get("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self._thread_id(chat, params)
        return True

    def _editable(self, params: Params) -> tuple[FakeChat, JsonDict]:
        if params.get("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        chat = self._writable_chat(params)
        message_id = _int(params, "message_id", missing="message identifier is not specified")
        message = chat.messages.get(message_id)
        if message is None:
            raise bad_request("message to edit not found")
        if message["from"]["id"] != self.bot_user["id"]:
            raise bad_request("message can't be edited")
        return chat, message

    def _apply_edit(self, chat: FakeChat, message: JsonDict, field: str, new: JsonDict) -> JsonDict:
        entities_field = "entities" if field == "text" else "caption_entities"
        old = {
            field: message.get(field, ""),
            entities_field: message.get(entities_field, []),
            "reply_markup": message.get("reply_markup"),
        }
        if old == new:
            raise bad_request(_NOT_MODIFIED)
        self._spend(chat, is_edit=True)
        for key, value in new.items():
            if value:
                message[key] = value
            else:
                message.pop(key, None)
        message["edit_date"] = int(self._now())
        return snapshot(message)

    def edit_message_text(self, params: Params, files: Files) -> JsonDict:
        chat, message = self._editable(params)
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        text, entities = message_text(
            params.get("text"), params.get("parse_mode"), params.get("entities")
        )
        # Like Telegram: an edit without reply_markup removes the inline keyboard.
        markup = reply_markup(params.get("reply_markup"))
        return self._apply_edit(
            chat, message, "text", self._content("text", text, entities, markup)
        )

    def edit_message_caption(self, params: Params, files: Files) -> JsonDict:
        chat, message = self._editable(params)
        if "text" in message:
            raise bad_request("there is no caption in the message to edit")
        caption, entities = caption_text(
            params.get("caption"), params.get("parse_mode"), params.get("caption_entities")
        )
        markup = reply_markup(params.get("reply_markup"))
        content = self._content("caption", caption, entities, markup)
        return self._apply_edit(chat, message, "caption", content)

    def edit_message_reply_markup(self, params: Params, files: Files) -> JsonDict:
        chat, message = self._editable(params)
        field = "text" if "text" in message else "caption"
        entities_field = "entities" if field == "text" else "caption_entities"
        content = self._content(
            field,
            message.get(field, ""),
            message.get(entities_field, []),
            reply_markup(params.get("reply_markup")),
        )
        return self._apply_edit(chat, message, field, content)

    def _check_deletable(self, chat: FakeChat, message_id: int) -> None:
        message = chat.messages.get(message_id)
        if message is None:
            raise bad_request("message to delete not found")
        own = message["from"]["id"] == self.bot_user["id"]
        if not (chat.is_private or own or chat.bot_can_delete):
            raise bad_request("message can't be deleted")

    def _delete(self, chat: FakeChat, message_id: int) -> None:
        del chat.messages[message_id]
        chat.deleted.add(message_id)

    def delete_message(self, params: Params, files: Files) -> bool:
        chat = self._chat(params)
        message_id = _int(params, "message_id", missing="message identifier is not specified")
        self._check_deletable(chat, message_id)
        self._delete(chat, message_id)
        return True

    def delete_messages(self, params: Params, files: Files) -> bool:
        chat = self._chat(params)
        ids = decode_json(params.get("message_ids"), "message identifiers")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad_request("message identifiers are not specified")
        present = [int(i) for i in ids if int(i) in chat.messages]  # missing ones are skipped
        for message_id in present:
            self._check_deletable(chat, message_id)
        for message_id in present:
            self._delete(chat, message_id)
        return True

    def answer_callback_query(self, params: Params, files: Files) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if self.pending_callbacks.pop(query_id, None) is None:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        answer: JsonDict = {"callback_query_id": query_id}
        for key in ("text", "show_alert", "url", "cache_time"):
            if key in params:
                answer[key] = params[key]
        self.callback_answers.append(answer)
        return True

    # -- files -----------------------------------------------------------------------------

    def _input_file(
        self, params: Params, files: Files, field: str, kind: str, *, prefix: str
    ) -> StoredFile:
        """The file a send method refers to: an upload (attach:// or direct) or a file_id."""
        value = params.get(field)
        upload: tuple[str, bytes] | None = None
        if isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value[len("attach://") :])
            if upload is None:
                raise bad_request(f"wrong remote file identifier specified: can't find {value}")
        elif value is None and field in files:
            upload = files[field]
        if upload is not None:
            file_name, data = upload
            if not data:
                raise bad_request("file must be non-empty")
            return self.files.add(kind, file_name or field, data, prefix=prefix)
        if not value:
            raise bad_request(f"there is no {field} in the request")
        known = self.files.get(str(value))
        if known is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return known

    def _photo_sizes(self, stored: StoredFile) -> list[JsonDict]:
        if len(stored.data) > _PHOTO_LIMIT:
            raise bad_request("PHOTO_SAVE_FILE_INVALID")
        width, height = image_size(stored.data) or (800, 600)
        if width + height > 10000 or max(width, height) > 20 * max(min(width, height), 1):
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        # Telegram returns several sizes; the thumbnail shares the original's bytes here.
        scale = 90 / max(width, height)
        thumb = self.files.add("photos", "thumb.jpg", stored.data, prefix="AgAC")
        return [
            {
                "file_id": thumb.file_id,
                "file_unique_id": thumb.file_unique_id,
                "file_size": len(thumb.data),
                "width": max(1, round(width * scale)),
                "height": max(1, round(height * scale)),
            },
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_size": len(stored.data),
                "width": width,
                "height": height,
            },
        ]

    def _media_content(
        self, kind: str, stored: StoredFile, params: Params, markup: JsonDict | None
    ) -> JsonDict:
        caption, entities = caption_text(
            params.get("caption"), params.get("parse_mode"), params.get("caption_entities")
        )
        content = self._content("caption", caption, entities, markup)
        if kind == "photo":
            content["photo"] = self._photo_sizes(stored)
        else:
            content["document"] = stored.as_document()
        return content

    def send_document(self, params: Params, files: Files) -> JsonDict:
        chat = self._writable_chat(params)
        markup = reply_markup(params.get("reply_markup"))
        stored = self._input_file(params, files, "document", "documents", prefix="BQAC")
        return self._post(chat, params, self._media_content("document", stored, params, markup))

    def send_photo(self, params: Params, files: Files) -> JsonDict:
        chat = self._writable_chat(params)
        markup = reply_markup(params.get("reply_markup"))
        stored = self._input_file(params, files, "photo", "photos", prefix="AgAC")
        return self._post(chat, params, self._media_content("photo", stored, params, markup))

    def send_media_group(self, params: Params, files: Files) -> list[JsonDict]:
        chat = self._writable_chat(params)
        media = decode_json(params.get("media"), "media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise bad_request("wrong number of media in the group: must be 2-10")
        kinds = {item.get("type") for item in media}
        if not kinds <= {"photo", "document"}:
            raise bad_request("unsupported media type in the group")
        if "document" in kinds and len(kinds) > 1:
            raise bad_request("document can't be mixed with other media types")
        contents = []
        for item in media:
            kind = item["type"]
            stored = self._input_file(
                item, files, "media", f"{kind}s", prefix="AgAC" if kind == "photo" else "BQAC"
            )
            contents.append(self._media_content(kind, stored, item, None))
        thread_id = self._thread_id(chat, params)
        reply = self._reply_to(chat, params)
        self._spend(chat)
        self._media_groups += 1
        group_id = str(13_000_000_000_000_000 + self._media_groups)
        return [
            self.store(
                chat,
                self.bot_user,
                {**content, "media_group_id": group_id},
                thread_id=thread_id,
                reply=reply,
            )
            for content in contents
        ]

    def get_file(self, params: Params, files: Files) -> JsonDict:
        stored = self.files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise bad_request("invalid file_id")
        local_mode = self.max_upload_bytes > 50 * 1024 * 1024
        if len(stored.data) > _DOWNLOAD_LIMIT and not local_mode:
            raise bad_request("file is too big")
        return stored.as_file()

    # -- members ---------------------------------------------------------------------------

    def get_chat_member(self, params: Params, files: Files) -> JsonDict:
        chat = self._chat(params)
        user_id = _int(params, "user_id", missing="user not found", invalid="user not found")
        user = self.users.get(user_id)
        if user is None:
            raise bad_request("PARTICIPANT_ID_INVALID")
        if chat.is_private:
            if user_id not in (chat.id, self.bot_user["id"]):
                raise bad_request("user not found")
            return {"status": "member", "user": user}
        if user_id == self.bot_user["id"]:
            return (
                _administrator(user) if chat.bot_can_delete else {"status": "member", "user": user}
            )
        if user_id in chat.admins:
            return _administrator(user)
        if user_id in chat.members:
            return {"status": "member", "user": user}
        return {"status": "left", "user": user}

    def get_chat_administrators(self, params: Params, files: Files) -> list[JsonDict]:
        chat = self._chat(params)
        if chat.is_private:
            raise bad_request("there are no administrators in the private chat")
        admins = [_administrator(self.users[user_id]) for user_id in sorted(chat.admins)]
        if chat.bot_can_delete:
            admins.append(_administrator(self.bot_user))
        return admins

    # -- test-side helpers -----------------------------------------------------------------

    def callback_buttons(self, message: JsonDict) -> list[tuple[str, str]]:
        return [
            (button["text"], button["callback_data"])
            for button in inline_buttons(message.get("reply_markup"))
            if "callback_data" in button
        ]
