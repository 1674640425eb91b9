"""What a poll asks aiokk: the most selective endpoints, shared by every rule of a
connection, and all four call types only when a score rule needs them, every 15 minutes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.alerts.model import AlertConditions, AlertRule, AlertScope
from bot.alerts.plan import plan_poll
from bot.query.model import CallQuery, OperatorPick
from tests.clock import TEST_NOW
from tests.unit.test_alerts_support import OWNER, World, make_world, record


def rule(rule_id: int, **changes: object) -> AlertRule:
    values: dict[str, object] = {"chat_id": OWNER, "owner_user_id": OWNER, "created_by": OWNER}
    values.update(changes)
    return AlertRule(id=rule_id, **values)  # type: ignore[arg-type]


WORDS = ("расторгнуть договор", "позовите руководителя")


def test_rating_and_words_ask_one_request_per_grade_and_per_word() -> None:
    plan = plan_poll([rule(1, conditions=AlertConditions(2, WORDS))], full_due=True)
    assert plan.queries == (
        CallQuery(loyalty=1),
        CallQuery(loyalty=2),
        CallQuery(signal=WORDS[0]),
        CallQuery(signal=WORDS[1]),
    )
    assert not plan.full and plan.covers(rule(1))


def test_many_rules_on_one_connection_share_their_requests() -> None:
    pick = OperatorPick("Айгерим Нурланова", 7)
    rules = [
        rule(1, conditions=AlertConditions(2, WORDS[:1])),
        rule(2, conditions=AlertConditions(3, WORDS)),
        rule(3, scope=AlertScope.department(84), conditions=AlertConditions(None, WORDS)),
        rule(4, scope=AlertScope.of_operator(pick), conditions=AlertConditions(1, (), 40.0)),
        rule(5, scope=AlertScope.pack(27), conditions=AlertConditions(2)),
    ]
    plan = plan_poll(rules, full_due=True)
    assert plan.queries == (
        CallQuery(loyalty=1),
        CallQuery(loyalty=2),
        CallQuery(signal=WORDS[0]),
        CallQuery(loyalty=3),
        CallQuery(signal=WORDS[1]),
        CallQuery(department_id=84),
        CallQuery().with_operator_text("Айгерим Нурланова"),
    )
    assert plan.complete == {1, 2, 3, 4, 5}


def test_a_score_rule_on_all_calls_reads_every_call_type_only_when_due() -> None:
    score = rule(1, conditions=AlertConditions(2, (), 50.0))
    narrow = rule(2, scope=AlertScope.department(84))
    due = plan_poll([score, narrow], full_due=True)
    assert due.queries == (CallQuery(),) and due.full, "all calls: nothing else is needed"
    assert due.complete == {1, 2}
    between = plan_poll([score, narrow], full_due=False)
    assert between.queries == (
        CallQuery(loyalty=1),
        CallQuery(loyalty=2),
        CallQuery(department_id=84),
    ), "rating alerts keep coming between the full reads"
    assert not between.full and between.complete == {2}


def test_a_score_rule_on_a_pack_asks_for_that_pack() -> None:
    plan = plan_poll(
        [rule(1, scope=AlertScope.pack(31), conditions=AlertConditions(None, (), 60))],
        full_due=False,
    )
    assert plan.queries == (CallQuery(question_pack_id=31),)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    built = await make_world(
        tmp_path, [record(1001, TEST_NOW - timedelta(hours=1), rating=1)], TEST_NOW
    )
    yield built
    await built.close()


async def test_one_poll_per_interval_serves_every_rule_of_a_connection(world: World) -> None:
    await world.rule(conditions=AlertConditions(2, WORDS[:1]))
    await world.rule(conditions=AlertConditions(2))
    await world.rule(scope=AlertScope.department(84))
    poller = world.poller()
    await poller.poll_once()
    assert await world.aiokk.requests() == {"client_loyalty": 2, "signals": 1, "department": 1}
    world.clock.advance(timedelta(minutes=1))
    await poller.poll_once()
    assert await world.aiokk.requests() == {}, "not again within the interval"
    world.clock.advance(timedelta(minutes=4))
    await poller.poll_once()
    assert await world.aiokk.requests() == {"client_loyalty": 2, "signals": 1, "department": 1}


async def test_all_call_types_are_read_at_most_every_15_minutes(world: World) -> None:
    await world.rule(conditions=AlertConditions(2, (), 50.0))
    poller = world.poller()
    seen: list[dict[str, int]] = []
    for _ in range(5):
        await poller.poll_once()
        seen.append(await world.aiokk.requests())
        world.clock.advance(timedelta(minutes=5))
    full = {"call_type": 4}
    between = {"client_loyalty": 2}
    assert seen == [full, between, between, full, between]
