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
        assert "удалил сообщение" in said
    else:
        assert not world.fake.was_deleted(group.id, message["message_id"])
        assert "нет права удалять" in said
    assert refused(world) == [], "the bot asked before deleting"
