"""Alerts over the real CallService, sandbox HTTP and the fake Bot API: the first poll only
remembers, a new call alerts once, many become one message, text from aiokk is escaped,
Handled is the digests' mark, and the 24 hours hold across New Year's midnight."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.alerts.model import AlertConditions
from bot.alerts.service import AlertService
from handlers.alerts_ui import AlertAction, AlertCb
from tests.clock import TEST_NOW
from tests.unit.test_alerts_support import OWNER, Raw, World, almaty, make_world, record

BEFORE = [
    record(1001, TEST_NOW - timedelta(hours=1), rating=1),
    record(1002, TEST_NOW - timedelta(hours=2), signals=["позовите руководителя"]),
    record(1003, TEST_NOW - timedelta(minutes=30)),
]
WORDS = ("расторгнуть договор", "позовите руководителя")


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    built = await make_world(tmp_path, list(BEFORE), TEST_NOW)
    yield built
    await built.close()


async def next_poll(world: World, records: list[Raw], minutes: int = 5) -> None:
    world.aiokk.serve(records)
    world.clock.advance(timedelta(minutes=minutes))


async def test_the_first_poll_only_remembers_then_a_new_call_alerts_once(world: World) -> None:
    await world.rule(conditions=AlertConditions(2, WORDS))
    poller = world.poller()
    report = await poller.poll_once()
    assert report["baseline"] == 1 and world.texts() == [], "no flood of history"

    fresh = record(
        1010,
        TEST_NOW + timedelta(minutes=2),
        rating=4,
        score=35.0,
        signals=["вы не понимаете", "Расторгнуть договор"],
        operator="Данияр Ахметов",
        summary="Клиент   грозит\nрасторгнуть договор. Оператор не предложил решения.",
    )
    await next_poll(world, [*BEFORE, fresh])
    await poller.poll_once()
    [text] = world.texts()
    assert "Данияр Ахметов · Отдел продаж" in text
    assert "10:32" in text and "Входящий" in text and "2:35" in text
    assert "оценка 4" in text and "скрипт 35 %" in text
    assert "🔔 расторгнуть договор" in text
    assert "Клиент грозит расторгнуть договор." in text
    assert "Оператор не предложил" not in text, "a one-line summary: its first sentence"
    [message] = world.sent()
    units = text.encode("utf-16-le")  # entity offsets count UTF-16 code units
    bold = [
        units[2 * entity["offset"] : 2 * (entity["offset"] + entity["length"])].decode("utf-16-le")
        for entity in message["entities"]
        if entity["type"] == "bold"
    ]
    assert "расторгнуть договор" in bold
    buttons = message["reply_markup"]["inline_keyboard"]
    assert [[AlertCb.unpack(b["callback_data"]).action for b in row] for row in buttons] == [
        [AlertAction.OPEN, AlertAction.HANDLED]
    ]
    assert all(len(b["callback_data"].encode()) <= 64 for row in buttons for b in row)

    for _ in range(2):
        await next_poll(world, [*BEFORE, fresh])
        await poller.poll_once()
    assert len(world.texts()) == 1, "once"


async def test_more_than_five_alerts_of_one_poll_are_one_message(world: World) -> None:
    await world.rule()
    poller = world.poller()
    await poller.poll_once()
    burst = [record(2000 + n, TEST_NOW + timedelta(minutes=n % 4), rating=1) for n in range(7)]
    await next_poll(world, [*BEFORE, *burst])
    await poller.poll_once()
    [message] = world.sent()
    assert "Критичные звонки: 7" in message["text"]
    assert len(message["reply_markup"]["inline_keyboard"]) == 7

    few = [record(3000 + n, TEST_NOW + timedelta(minutes=6), rating=2) for n in range(5)]
    await next_poll(world, [*BEFORE, *burst, *few])
    await poller.poll_once()
    assert len(world.sent()) == 1 + 5, "five or fewer: one message each"


async def test_text_from_aiokk_is_escaped(world: World) -> None:
    await world.rule(conditions=AlertConditions(2, ("<жалоба>",)))
    poller = world.poller()
    await poller.poll_once()
    nasty = record(
        4001,
        TEST_NOW + timedelta(minutes=1),
        rating=1,
        signals=["<жалоба>"],
        operator="Борис <Петров> & Ко",
        department_name="<b>Отдел</b>",
        summary="Клиент & оператор: <i>кричал</i> " + "очень " * 2000,
    )
    await next_poll(world, [*BEFORE, nasty])
    await poller.poll_once()
    [text] = world.texts()
    assert "Борис <Петров> & Ко · <b>Отдел</b>" in text
    assert "🔔 <жалоба>" in text
    assert "Клиент & оператор: <i>кричал</i>" in text
    assert len(text) < 4096 and text.endswith("…")


async def test_handled_from_an_alert_is_the_digests_mark(world: World) -> None:
    await world.rule()
    poller = world.poller()
    await poller.poll_once()
    calls = [record(5001, TEST_NOW, rating=1), record(5002, TEST_NOW, rating=1)]
    service = AlertService(world.repo, world.digests, world.clock)
    # Handled in the chat (e.g. from a digest) before the poll saw it: no alert.
    await service.mark_handled(OWNER, 5002, OWNER, "Айгерим")
    await next_poll(world, [*BEFORE, *calls])
    await poller.poll_once()
    [text] = world.texts()
    assert "⭐ оценка 1" in text and len(world.sent()) == 1

    mark, first = await service.mark_handled(OWNER, 5001, OWNER, "Айгерим")
    assert first and mark.user_name == "Айгерим"
    assert set(await world.digests.handled(OWNER, [5001, 5002])) == {5001, 5002}


async def test_the_24_hours_reach_into_last_year_at_new_years_midnight(tmp_path: Path) -> None:
    midnight = almaty(2027, 1, 1, 0, 5)
    world = await make_world(tmp_path, [], midnight)
    try:
        await world.rule()
        poller = world.poller()
        await poller.poll_once()
        calls = [
            record(6001, almaty(2026, 12, 31, 23, 58), rating=1, operator="Старый Год"),
            record(6002, almaty(2026, 12, 31, 0, 4), rating=1, operator="Позавчера"),
            record(6003, almaty(2027, 1, 1, 0, 3), rating=1, operator="Новый Год"),
        ]
        await next_poll(world, calls)
        await poller.poll_once()
        texts = world.texts()
        assert len(texts) == 2
        assert any("Старый Год" in text and "31.12 23:58" in text for text in texts)
        assert any("Новый Год" in text and "00:03" in text for text in texts)
        assert not any("Позавчера" in text for text in texts), "more than 24 hours ago"
    finally:
        await world.close()


async def test_a_group_upgraded_to_a_supergroup_takes_its_rules_along(world: World) -> None:
    group, supergroup = -500, -1_005_000_000_000
    world.fake.group_chat(group, "Продажи", admins={OWNER})
    rule = await world.rule(chat_id=group)
    poller = world.poller()
    await poller.poll_once()
    world.fake.upgrade_group(group, supergroup)
    fresh = record(1020, TEST_NOW + timedelta(minutes=3), rating=1)
    await next_poll(world, [*BEFORE, fresh])
    await poller.poll_once()  # refused with migrate_to_chat_id: the rule moves, the alert waits
    moved = await world.repo.get(rule.id)
    assert moved is not None and moved.chat_id == supergroup
    assert world.texts(group) == [] and world.texts(supergroup) == []
    await next_poll(world, [*BEFORE, fresh])
    await poller.poll_once()
    [text] = world.texts(supergroup)
    assert "оценка 1" in text
    await next_poll(world, [*BEFORE, fresh])
    await poller.poll_once()
    assert len(world.texts(supergroup)) == 1, "sent once"


async def test_a_call_two_rules_of_a_chat_meet_is_one_alert(world: World) -> None:
    group = -600
    world.fake.group_chat(group, "Продажи", admins={OWNER})
    await world.rule(conditions=AlertConditions(2))
    await world.rule(conditions=AlertConditions(None, WORDS))
    await world.rule(chat_id=group, conditions=AlertConditions(2))
    poller = world.poller()
    await poller.poll_once()
    both = record(1030, TEST_NOW + timedelta(minutes=2), rating=1, signals=[WORDS[0]])
    words_only = record(1031, TEST_NOW + timedelta(minutes=3), rating=8, signals=[WORDS[1]])
    await next_poll(world, [*BEFORE, both, words_only])
    await poller.poll_once()
    assert len(world.sent()) == 2, "the call both rules meet comes once, the other call once"
    assert len(world.texts(group)) == 1, "another chat's rule is told on its own"


async def test_more_than_five_alerts_for_one_chat_from_two_rules_are_one_message(
    world: World,
) -> None:
    low = await world.rule(conditions=AlertConditions(2))
    words = await world.rule(conditions=AlertConditions(None, WORDS))
    poller = world.poller()
    await poller.poll_once()
    rated = [record(4000 + n, TEST_NOW + timedelta(minutes=2), rating=1) for n in range(3)]
    said = [
        record(4100 + n, TEST_NOW + timedelta(minutes=3), rating=9, signals=[WORDS[0]])
        for n in range(3)
    ]
    await next_poll(world, [*BEFORE, *rated, *said])
    await poller.poll_once()
    [message] = world.sent()
    assert "Критичные звонки: 6" in message["text"]
    pressed = [
        AlertCb.unpack(row[0]["callback_data"])
        for row in message["reply_markup"]["inline_keyboard"]
    ]
    by_rule = {(data.rule, data.dialog) for data in pressed}
    assert by_rule == {(low.id, 4000 + n) for n in range(3)} | {
        (words.id, 4100 + n) for n in range(3)
    }, "each button acts for the rule that found its call"
