"""Who may use the buttons under a group digest: any member, for the calls that digest
listed, from that digest message; forged presses for other calls of the same scope and
period (whose cards carry phone numbers) get nothing."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from handlers.digests.callbacks import CallAction, DigestCallCb
from tests.fake_telegram import FakeTelegram
from tests.unit.test_digest_handlers import ADMIN, GROUP, MEMBER, Harness
from tests.unit.test_digest_support import OWNER, almaty, make_world

NOT_LISTED = "Этого звонка нет в этом дайджесте."
_query_ids = itertools.count(77_000)


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    world = await make_world(tmp_path)
    built = Harness(world)
    yield built
    built.detach()
    await world.close()


def forged(fake: FakeTelegram, message: dict[str, Any], user_id: int, data: str) -> dict[str, Any]:
    """A press under ``message`` with callback data of the presser's own making."""
    query = {
        "id": str(next(_query_ids)),
        "from": fake.user(user_id),
        "message": message,
        "chat_instance": "1",
        "data": data,
    }
    fake.api.pending_callbacks[query["id"]] = query
    return fake.enqueue_update({"callback_query": query})


async def test_group_digest_buttons_act_only_on_the_calls_it_listed(harness: Harness) -> None:
    fake, world = harness.fake, harness.world
    fake.group_chat(GROUP, "Продажи", admins={ADMIN})
    fake.user(MEMBER, "Марат")
    fake.chat(GROUP).members.add(MEMBER)
    world.connections.connect(ADMIN)
    await world.subscribe(chat_id=GROUP, owner_user_id=ADMIN, created_by=ADMIN, owner_name="Ержан")
    world.clock.set(almaty(2025, 11, 21, 9, 0))
    await world.scheduler.tick(world.bot)
    digest = harness.last(GROUP)
    buttons = [DigestCallCb.unpack(data) for _, data in fake.buttons(digest)]
    row = buttons[0].m
    assert {cb.d for cb in buttons} == {1002, 1003, 1004, 1006}

    # 1001 and 1005 are calls of the same day and scope that the digest did not list.
    fetched = len(world.calls.fetches)
    for dialog_id in (1001, 1005):
        for action in (CallAction.OPEN, CallAction.HANDLED):
            sent = len(fake.calls)
            data = DigestCallCb(action=action, m=row, d=dialog_id).pack()
            await harness.feed(forged(fake, digest, MEMBER, data))
            assert harness.last_answer()["text"] == NOT_LISTED
            assert not [c for c in fake.calls[sent:] if c.method.startswith(("send", "edit"))]
    assert await world.repo.handled(GROUP, [1001, 1005]) == {}
    assert len(world.calls.fetches) == fetched  # no card was even fetched

    # A listed call opened by a member: the card comes as a reply in the group.
    opened = next(cb for cb in buttons if cb.action is CallAction.OPEN and cb.d == 1002)
    await harness.feed(fake.click(digest, opened.pack(), user_id=MEMBER))
    card = harness.last(GROUP)
    assert "Звонок" in card["text"] and len(world.calls.fetches) == fetched + 1

    # The digest's own button data pressed under another message (the card) does nothing.
    handled = next(cb for cb in buttons if cb.action is CallAction.HANDLED and cb.d == 1002)
    await harness.feed(forged(fake, card, MEMBER, handled.pack()))
    assert harness.last_answer()["text"] == NOT_LISTED
    assert await world.repo.handled(GROUP, [1002]) == {}

    # Any member may mark a listed call under the digest itself; the mark names them.
    world.clock.set(almaty(2025, 11, 21, 10, 42))
    await harness.feed(fake.click(digest, handled.pack(), user_id=MEMBER))
    assert harness.last_answer()["text"] == "Отмечено ✓"
    marks = await world.repo.handled(GROUP, [1002])
    assert marks[1002].user_id == MEMBER and marks[1002].user_name == "Марат"


async def test_buttons_of_a_digest_whose_send_was_not_answered_bind_at_the_first_press(
    harness: Harness,
) -> None:
    fake, world = harness.fake, harness.world
    await world.subscribe()
    world.clock.set(almaty(2025, 11, 21, 9, 0))
    await world.scheduler.tick(world.bot)
    digest = harness.last(OWNER)
    handled = next(
        DigestCallCb.unpack(data)
        for _, data in fake.buttons(digest)
        if DigestCallCb.unpack(data).action is CallAction.HANDLED
    )
    # Telegram posted the digest but its answer (the message id) was lost.
    await world.db.execute("UPDATE digest_messages SET message_id = NULL")
    await harness.feed(fake.click(digest, handled.pack(), user_id=OWNER))
    assert harness.last_answer()["text"] == "Отмечено ✓"
    stored = await world.repo.get_message(handled.m)
    assert stored is not None and stored.message_id == digest["message_id"]
    assert "✓ Айгерим" in harness.text(OWNER)
