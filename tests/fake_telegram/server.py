"""``FakeTelegram``: an aiohttp server speaking the Bot API over HTTP, plus the test-side API.

The bot under test talks to it exactly as to api.telegram.org (``TELEGRAM_API_URL`` points
here); tests, running on the same event loop, inject user messages and button clicks and
inspect what the bot sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import socket
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from aiohttp import BodyPartReader, web

from tests.fake_telegram.errors import ApiError, too_many_requests
from tests.fake_telegram.limits import FloodControl
from tests.fake_telegram.methods import BotApi, Files, Params
from tests.fake_telegram.privacy import reaches_bot, text_entities
from tests.fake_telegram.state import (
    MESSAGE_METHODS,
    FakeChat,
    JsonDict,
    RecordedCall,
    snapshot,
)

logger = logging.getLogger(__name__)

# Parameters the Bot API takes as JSON-serialized strings; recorded decoded.
_JSON_FIELDS = frozenset(
    {
        "reply_markup", "entities", "caption_entities", "commands", "scope", "media",
        "allowed_updates", "menu_button", "reply_parameters", "link_preview_options",
        "message_ids",
    }
)  # fmt: skip
_CHUNK = 256 * 1024
_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _decode_json_fields(params: Params) -> Params:
    decoded = dict(params)
    for name in _JSON_FIELDS & decoded.keys():
        with contextlib.suppress(TypeError, ValueError):
            decoded[name] = json.loads(decoded[name])
    return decoded


class _Notifier:
    """Wakes every waiter when something changes (new call, new update, shutdown)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, max_seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), max_seconds)


class FakeTelegram:
    """A fake Bot API server for one bot.

    Rules enforced like Telegram's (with its error texts): HTML entity parsing, text and
    caption lengths, inline keyboards and reply requests (``ForceReply``), edits and deletes
    against the message history, blocked chats, upload size, and with ``enforce_limits`` the
    flood limits (429s are counted in ``too_many_requests``). ``clock`` drives the flood
    limits (monotonic seconds).

    Group privacy mode is on, as it is for every bot unless turned off in @BotFather
    (``privacy_mode=False``): a user's group message becomes an update only when it is a
    command for this bot, a reply to one of its messages or mentions it, or when the bot is an
    administrator there (see ``privacy``). Other messages stay in the chat's history and in
    ``withheld``.
    """

    def __init__(
        self,
        *,
        token: str = "123456:TEST-TOKEN",
        enforce_limits: bool = False,
        max_upload_mb: float = 50,
        clock: Callable[[], float] = time.monotonic,
        bot_username: str = "aiokk_test_bot",
        privacy_mode: bool = True,
    ) -> None:
        self.token = token
        self.privacy_mode = privacy_mode
        self.bot_user: JsonDict = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": "aiokk test bot",
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": not privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.max_upload_bytes = int(max_upload_mb * 1024 * 1024)
        self._clock = clock
        self.api = BotApi(
            bot_user=self.bot_user,
            max_upload_bytes=self.max_upload_bytes,
            flood=FloodControl(clock) if enforce_limits else None,
        )
        self.calls: list[RecordedCall] = []
        self.withheld: list[JsonDict] = []  # user messages privacy mode kept from the bot
        self._delivered: set[tuple[int, int]] = set()
        self.too_many_requests = 0
        self._injected: dict[str, deque[ApiError]] = {}
        self._update_ids = itertools.count(700_000_001)
        self._callback_ids = itertools.count(4_200_000_000_000_000_001)
        self._poll_generation = 0
        self._closing = False
        self._calls_changed = _Notifier()
        self._updates_changed = _Notifier()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._method_names = {name.lower(): name for name in self.api.methods}
        self._method_names["getupdates"] = "getUpdates"

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _make_app(self) -> web.Application:
        app = web.Application(client_max_size=self.max_upload_bytes + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_post("/_test/send_text", self._debug_send_text)
        app.router.add_post("/_test/click", self._debug_click)
        app.router.add_get("/_test/messages", self._debug_messages)
        return app

    async def start(self, port: int = 0) -> None:
        """Listen on 127.0.0.1 (a free port unless ``port`` is given)."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        self.port = sock.getsockname()[1]
        # A client that hangs up stops its handler, as a dropped long poll does on Telegram.
        self._runner = web.AppRunner(
            self._make_app(),
            handle_signals=False,
            access_log=None,
            handler_cancellation=True,
            shutdown_timeout=2.0,
        )
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()
        logger.info("fake Telegram Bot API listening on %s", self.base_url)

    async def stop(self) -> None:
        self._closing = True
        self._updates_changed.notify()  # release long polls so shutdown does not wait
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- HTTP ------------------------------------------------------------------------------

    async def _read_multipart(self, request: web.Request, params: Params, files: Files) -> None:
        reader = await request.multipart()
        too_large = False
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            if part.filename is None:
                params[part.name] = await part.text()
                continue
            chunks: list[bytes] = []
            size = 0
            while chunk := await part.read_chunk(_CHUNK):
                size += len(chunk)
                if size > self.max_upload_bytes:
                    too_large = True  # keep reading (and dropping) so the client sees the 413
                    chunks.clear()
                elif not too_large:
                    chunks.append(chunk)
            files[part.name] = (part.filename, b"".join(chunks))
        if too_large:
            raise ApiError(413, "Request Entity Too Large")

    async def _read_params(self, request: web.Request, params: Params, files: Files) -> None:
        params.update(request.query)
        if not request.can_read_body:
            return
        if request.content_type.startswith("multipart/"):
            await self._read_multipart(request, params, files)
        elif request.content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                params.update(body)
        else:
            params.update((await request.post()).items())

    async def _handle_method(self, request: web.Request) -> web.Response:
        raw_method = request.match_info["method"]
        method = self._method_names.get(raw_method.lower(), raw_method)
        params: Params = {}
        files: Files = {}
        read_error: ApiError | None = None
        try:
            await self._read_params(request, params, files)
        except ApiError as error:
            read_error = error
        call = RecordedCall(method, _decode_json_fields(params), files, self._clock())
        self.calls.append(call)
        self._calls_changed.notify()
        try:
            if read_error is not None:
                raise read_error
            result = await self._dispatch(request.match_info["token"], method, call.params, files)
            status, payload = 200, {"ok": True, "result": result}
        except ApiError as error:
            status, payload = error.code, error.payload()
            if status == 429:
                self.too_many_requests += 1
            log = logger.debug if method == "getUpdates" else logger.info
            log("%s -> %s %s", method, status, error.description)
        call.status, call.response = status, snapshot(payload)
        self._calls_changed.notify()
        return web.json_response(payload, status=status, dumps=_dumps)

    async def _dispatch(self, token: str, method: str, params: Params, files: Files) -> Any:
        if token != self.token:
            raise ApiError(401, "Unauthorized")
        handler = self.api.methods.get(method)
        if handler is None and method != "getUpdates":
            raise ApiError(404, "Not Found")
        injected = self._injected.get(method.lower())
        if injected:
            raise injected.popleft()
        if handler is None:
            return await self._get_updates(params)
        return handler(params, files)

    async def _get_updates(self, params: Params) -> list[JsonDict]:
        def number(name: str, default: int) -> int:
            raw = params.get(name)
            return default if raw in (None, "") else int(raw)

        offset = number("offset", 0) or None
        limit = min(max(number("limit", 100), 1), 100)
        timeout = max(number("timeout", 0), 0)
        self.api.set_allowed_updates(params.get("allowed_updates"))
        self.api.confirm(offset)
        self._poll_generation += 1
        generation = self._poll_generation
        self._updates_changed.notify()  # an older poll still waiting is now terminated
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if generation != self._poll_generation:
                raise ApiError(409, _CONFLICT)
            if self.api.updates or self._closing:
                return snapshot(self.api.updates[:limit])
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            await self._updates_changed.wait(remaining)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        stored = self.api.files.by_path(request.match_info["path"])
        if request.match_info["token"] != self.token or stored is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        return web.Response(body=stored.data, content_type="application/octet-stream")

    # -- test-side API: the world ----------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str = "Айгерим",
        language_code: str | None = "ru",
        *,
        last_name: str | None = None,
        username: str | None = None,
    ) -> JsonDict:
        """Register (or return) a user; the dict is what appears as ``from`` in updates."""
        if user_id in self.api.users:
            return self.api.users[user_id]
        user: JsonDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        self.api.users[user_id] = user
        return user

    def private_chat(
        self, user_id: int, first_name: str = "Айгерим", language_code: str | None = "ru"
    ) -> FakeChat:
        """The private chat between the bot and a user (created on first use)."""
        user = self.user(user_id, first_name, language_code)
        chat = self.api.chats.get(user_id)
        if chat is None:
            chat = FakeChat(
                id=user_id,
                type="private",
                first_name=user["first_name"],
                last_name=user.get("last_name"),
                username=user.get("username"),
            )
            self.api.chats[user_id] = chat
        return chat

    def group_chat(
        self,
        chat_id: int,
        title: str,
        *,
        admins: set[int],
        is_forum: bool = False,
        bot_can_delete: bool = False,
    ) -> FakeChat:
        """A group (a supergroup if forum or the id looks like -100...) the bot is in."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        for admin_id in admins:
            self.user(admin_id, f"Admin {admin_id}")
        kind = "supergroup" if is_forum or chat_id <= -1_000_000_000_000 else "group"
        chat = FakeChat(
            id=chat_id,
            type=kind,
            title=title,
            admins=set(admins),
            is_forum=is_forum,
            bot_can_delete=bot_can_delete,
            members=set(admins),
        )
        self.api.chats[chat_id] = chat
        return chat

    def chat(self, chat_id: int) -> FakeChat:
        return self.api.chats[chat_id]

    def block_chat(self, chat_id: int, blocked: bool = True) -> None:
        """The user blocks the bot (or, for a group, the bot is removed from it)."""
        self.api.chats[chat_id].blocked = blocked

    def upgrade_group(self, chat_id: int, supergroup_id: int) -> FakeChat:
        """The group becomes a supergroup with a new id, as Telegram does: sends to the old id
        answer 400 with ``migrate_to_chat_id``; the members and admins move along."""
        old = self.api.chats[chat_id]
        if old.type != "group" or supergroup_id > -1_000_000_000_000:
            raise ValueError("only a group is upgraded, to a -100… supergroup id")
        new = self.group_chat(supergroup_id, old.title or "", admins=set(old.admins))
        new.members |= old.members
        new.bot_can_delete = old.bot_can_delete
        old.migrated_to = supergroup_id
        return new

    def fail_next(self, method: str, count: int = 1, retry_after: int = 1) -> None:
        """Answer the next ``count`` calls of ``method`` with 429 and ``retry_after``."""
        self.fail_next_with(method, too_many_requests(retry_after), count=count)

    def fail_next_with(self, method: str, error: ApiError, count: int = 1) -> None:
        """Answer the next ``count`` calls of ``method`` with ``error`` (e.g. a 500)."""
        queue = self._injected.setdefault(method.lower(), deque())
        queue.extend([error] * count)

    # -- test-side API: user actions -------------------------------------------------------

    def _resolve_chat(self, chat: FakeChat | int) -> FakeChat:
        return chat if isinstance(chat, FakeChat) else self.api.chats[chat]

    def enqueue_update(self, payload: JsonDict) -> JsonDict:
        """Queue an update with the next ``update_id``; ``payload`` is e.g. {"message": ...}."""
        update = {"update_id": next(self._update_ids), **snapshot(payload)}
        if self.api.enqueue(update):
            self._updates_changed.notify()
        else:
            logger.info("update %s dropped by allowed_updates", update["update_id"])
        return update

    def send_text(
        self,
        chat: FakeChat | int,
        user_id: int,
        text: str,
        *,
        thread_id: int | None = None,
        reply_to: JsonDict | None = None,
    ) -> JsonDict:
        """The user writes ``text`` in ``chat`` (replying to ``reply_to`` if given); returns
        the message as stored.

        It reaches the bot as an update unless privacy mode keeps it away (a group message
        that is no command for this bot, no reply to it and no mention of it): then it is
        only in the chat's history and in ``withheld``; ``was_delivered`` tells which.
        """
        target = self._resolve_chat(chat)
        user = self.user(user_id)
        target.members.add(user_id)
        content: JsonDict = {"text": text, "entities": text_entities(text)}
        if thread_id is not None and not target.is_forum:
            raise ValueError("thread_id needs a forum chat")
        replied: JsonDict | None = None
        if reply_to is not None:
            if reply_to["chat"]["id"] != target.id:
                raise ValueError("a reply must be in the chat of the message it answers")
            replied = target.messages.get(reply_to["message_id"])
            if replied is None:
                raise LookupError(f"message {reply_to['message_id']} is gone from chat {target.id}")
            replied = snapshot(replied)
        message = self.api.store(target, user, content, thread_id=thread_id, reply=replied)
        if reaches_bot(target, message, self.bot_user, privacy=self.privacy_mode):
            self._delivered.add((target.id, message["message_id"]))
            self.enqueue_update({"message": message})
        else:
            self.withheld.append(message)
        return message

    def reply(self, to: JsonDict, user_id: int, text: str) -> JsonDict:
        """The user replies ``text`` to the message ``to`` (e.g. the bot's reply request), in
        its chat and topic; see ``send_text``."""
        return self.send_text(
            to["chat"]["id"],
            user_id,
            text,
            thread_id=to.get("message_thread_id") if to.get("is_topic_message") else None,
            reply_to=to,
        )

    def was_delivered(self, message: JsonDict) -> bool:
        """Whether a message a user sent with ``send_text`` reached the bot as an update."""
        return (message["chat"]["id"], message["message_id"]) in self._delivered

    def click(
        self, message: JsonDict, callback_data: str, *, user_id: int | None = None
    ) -> JsonDict:
        """The user presses the inline button carrying ``callback_data`` under a bot message."""
        chat = self.api.chats[message["chat"]["id"]]
        current = chat.messages.get(message["message_id"])
        if current is None:
            raise LookupError(f"message {message['message_id']} is gone from chat {chat.id}")
        available = self.api.callback_buttons(current)
        if callback_data not in [data for _, data in available]:
            raise LookupError(f"no button with callback_data {callback_data!r}; have {available}")
        if user_id is None:
            if not chat.is_private:
                raise ValueError("user_id is required to click in a group")
            user_id = chat.id
        query: JsonDict = {
            "id": str(next(self._callback_ids)),
            "from": self.user(user_id),
            "message": snapshot(current),
            "chat_instance": str(abs(chat.id) * 7919),
            "data": callback_data,
        }
        self.api.pending_callbacks[query["id"]] = query
        return self.enqueue_update({"callback_query": query})

    # -- test-side API: what the bot did ---------------------------------------------------

    def mark(self) -> int:
        """Current number of recorded calls, for ``after=`` in the waits."""
        return len(self.calls)

    async def wait_for(
        self,
        predicate: Callable[[RecordedCall], bool],
        *,
        timeout: float = 10.0,  # noqa: ASYNC109 - a deadline for the search, not a cancel scope
        after: int = 0,
    ) -> RecordedCall:
        """The first call from index ``after`` on that satisfies ``predicate``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        index = after
        while True:
            while index < len(self.calls):
                call = self.calls[index]
                index += 1
                if predicate(call):
                    return call
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(
                    f"no matching Bot API call within {timeout} s; calls since #{after}:\n"
                    + self.describe_calls(after)
                )
            await self._calls_changed.wait(remaining)

    async def wait_for_bot_message(
        self,
        chat_id: int,
        *,
        contains: str | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109 - a deadline for the search, not a cancel scope
        after: int = 0,
    ) -> JsonDict:
        """A message the bot sent or edited in ``chat_id``, as the call returned it.

        ``contains`` is looked for in the text or caption the user sees (markup removed).
        Pass ``after=fake.mark()`` taken before the action, or an older message may match.
        """

        def matches(message: JsonDict) -> bool:
            visible = message.get("text") or message.get("caption") or ""
            return message["chat"]["id"] == chat_id and (contains is None or contains in visible)

        call = await self.wait_for(
            lambda c: c.method in MESSAGE_METHODS and any(map(matches, c.messages())),
            timeout=timeout,
            after=after,
        )
        return next(m for m in call.messages() if matches(m))

    def describe_calls(self, after: int = 0) -> str:
        lines = []
        for index, call in enumerate(self.calls[after:], start=after):
            if call.method == "getUpdates":
                continue
            shown = {k: v for k, v in call.params.items() if k != "reply_markup"}
            lines.append(f"  #{index} {call.method} {call.status} {shown}"[:300])
        return "\n".join(lines) or "  (none)"

    def messages(self, chat_id: int) -> list[JsonDict]:
        """Messages now in the chat, oldest first (deleted ones are gone, edits applied)."""
        chat = self.api.chats[chat_id]
        return [snapshot(chat.messages[i]) for i in sorted(chat.messages)]

    def was_deleted(self, chat_id: int, message_id: int) -> bool:
        return message_id in self.api.chats[chat_id].deleted

    def last_bot_message(self, chat_id: int) -> JsonDict:
        own = [m for m in self.messages(chat_id) if m["from"]["id"] == self.bot_user["id"]]
        if not own:
            raise LookupError(f"the bot has no message in chat {chat_id}")
        return own[-1]

    def reply_request(self, message: JsonDict) -> JsonDict | None:
        """The ``ForceReply`` a bot message was sent with (a request to reply), or None."""
        return self.api.reply_requests.get((message["chat"]["id"], message["message_id"]))

    def buttons(self, message: JsonDict) -> list[tuple[str, str]]:
        """(text, callback_data) of the message's inline callback buttons, row by row."""
        return self.api.callback_buttons(message)

    def document(self, file_id: str) -> tuple[str, bytes]:
        """(file name, bytes) of an uploaded file."""
        stored = self.api.files.get(file_id)
        if stored is None:
            raise LookupError(f"no file {file_id}")
        return stored.file_name, stored.data

    @property
    def callback_answers(self) -> list[JsonDict]:
        return self.api.callback_answers

    # -- debug endpoints for running the fake by hand --------------------------------------

    async def _debug_send_text(self, request: web.Request) -> web.Response:
        body = await request.json()
        chat_id = int(body["chat_id"])
        user_id = int(body.get("user_id", chat_id))
        if chat_id not in self.api.chats:
            self.private_chat(chat_id, body.get("first_name", "Айгерим"))
        return web.json_response(self.send_text(chat_id, user_id, body["text"]), dumps=_dumps)

    async def _debug_click(self, request: web.Request) -> web.Response:
        body = await request.json()
        message = {"chat": {"id": int(body["chat_id"])}, "message_id": int(body["message_id"])}
        try:
            update = self.click(message, body["callback_data"], user_id=body.get("user_id"))
        except (LookupError, ValueError) as error:
            return web.json_response({"error": str(error)}, status=400)
        return web.json_response(update, dumps=_dumps)

    async def _debug_messages(self, request: web.Request) -> web.Response:
        chat_id = int(request.query["chat_id"])
        if chat_id not in self.api.chats:
            return web.json_response([])
        return web.json_response(self.messages(chat_id), dumps=_dumps)
