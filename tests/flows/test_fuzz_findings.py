"""What the update fuzzer found, pinned by tests (see also ``test_press_answers``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.flows.world import World, open_world

ADMIN = 911
MEMBER = 912
TOKEN = "tok_0123456789abcdefABCDEF"


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with open_world(tmp_path) as opened:
        yield opened


def refused(world: World) -> list[str]:
    return [f"{c.method}: {c.description}" for c in world.fake.calls if c.status not in (None, 200)]


@pytest.mark.parametrize("bot_can_delete", [False, True])
async def test_a_token_pasted_in_a_group_is_deleted_only_where_the_bot_may(
    world: World, bot_can_delete: bool
) -> None:
    group = world.fake.group_chat(
        -1_000_000_000_911, "Team", admins={ADMIN}, bot_can_delete=bot_can_delete
    )
    world.fake.user(MEMBER, "Member")
    message = world.fake.send_text(group, MEMBER, TOKEN)
    await world.feed({"update_id": 1, "message": message})

    said = world.fake.last_bot_message(group.id)["text"]
    if bot_can_delete:
        assert world.fake.was_deleted(group.id, message["message_id"])
        assert "я удалил его" in said
    else:
        assert not world.fake.was_deleted(group.id, message["message_id"])
        assert "нужно право удалять" in said
    assert refused(world) == [], "the bot asked before deleting"


class Wizard:
    """One private user in the digest wizard, pressing the buttons the bot sent."""

    def __init__(self, world: World, user_id: int) -> None:
        self.world = world
        self.fake = world.fake
        self.user_id = user_id
        self.chat = self.fake.private_chat(user_id)
        self.update_id = 100

    def _next(self) -> int:
        self.update_id += 1
        return self.update_id

    async def say(self, text: str) -> str:
        message = self.fake.send_text(self.chat, self.user_id, text)
        await self.world.feed({"update_id": self._next(), "message": message})
        return str(self.fake.last_bot_message(self.user_id)["text"])

    async def press(self, data: str) -> str:
        """Press ``data`` under the newest bot message that has it."""
        bot_id = self.fake.bot_user["id"]
        message = next(
            m
            for m in reversed(self.fake.messages(self.user_id))
            if m["from"]["id"] == bot_id and data in [d for _, d in self.fake.buttons(m)]
        )
        update = self.fake.click(message, data)
        await self.world.feed({"update_id": self._next(), **update})
        return str(self.fake.last_bot_message(self.user_id)["text"])


async def test_typed_digest_times_and_ids_are_checked_before_use(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """A typed "1²:00" passed ``str.isdigit`` and crashed ``int``; a department id beyond 64
    bits was stored in the draft, and every screen looking its name up in SQLite failed."""
    wizard = Wizard(world, 914)
    await world.connect(914)
    await wizard.say("/digest")
    await wizard.press("dg:new:0")
    await wizard.press("ds:tt:0:")
    assert "Не похоже на время" in await wizard.say("1²:00")
    await wizard.press("ds:t:0:0900")
    await wizard.press("ds:n:0:days")
    await wizard.press("ds:s:0:dep")
    await wizard.press("ds:sy:0:dep")
    assert "номер" in await wizard.say("9" * 25)
    assert "плохим звонком" in await wizard.say("12"), "a real id is taken: on to the rule"
    assert [r for r in caplog.records if "unhandled error" in r.getMessage()] == []
    assert refused(world) == []
