"""An operator means that operator: the query, the local filter, the catalog and every tally.

Pure and storage-level tests on hand-made records. "Тимур Сейткали" and "Тимур Сейткали
Младший" have names that contain one another; two "Асель Жумабаева" in two departments
are two people; an operator renamed keeps the id.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import pytest

from bot.aiokk.endpoints import Endpoint
from bot.digest.content import compute_figures
from bot.digest.model import BadCallRule, ScopeKind, scope_dict, scope_query
from bot.digest.naming import scope_label
from bot.digest.rule import BadCallMatcher
from bot.query.model import CallQuery, OperatorPick, Period, PeriodKind, name_key, pick_labels
from bot.query.planner import LocalFilter, plan
from bot.query.service import CatalogCollector, operators_in
from bot.reports.fmt import short_name
from bot.reports.stats import compute_stats
from bot.services.calls import CallsPresenter
from bot.texts import plural
from handlers.calls import Draft, apply_choice, parse_typed_value, without
from handlers.digests.editing import scope_for
from handlers.operator import Lookup, same_person
from storage import CatalogRepo
from storage.catalog import CatalogObservation, OperatorEntry, merge_namesakes
from storage.db import Database
from storage.migrations import MIGRATIONS, apply_migrations, current_version
from storage.operator_lookups import OperatorLookupRepo

FATHER = "Тимур Сейткали"
SON = "Тимур Сейткали Младший"

Raw = dict[str, Any]


def record(
    dialog_id: int,
    name: str | None,
    operator_id: int | None,
    *,
    department: tuple[str, str] = ("86", "Колл-центр"),
    rating: int | None = 5,
    score: float = 80,
) -> Raw:
    raw: Raw = {
        "call": {
            "dialogId": dialog_id,
            "date": f"2025-04-{10 + dialog_id % 10:02d} 12:00:00+05",
            "callType": 1,
            "durationSec": 60,
        },
        "analytics": {
            "clientLoyalty": {"currentGrade": rating} if rating is not None else None,
            "evaluationCriteria": {"evaluationId": 27, "eCurrentGrade": score, "maxGrade": 100},
        },
    }
    if name is not None:
        operator: dict[str, Any] = {
            "fullName": name,
            "departmentId": department[0],
            "departmentName": department[1],
        }
        if operator_id is not None:
            operator["operatorId"] = operator_id
        raw["operator"] = operator
    return raw


# --- the query --------------------------------------------------------------------------


def test_a_picked_operator_round_trips_and_old_queries_still_load() -> None:
    week = Period(PeriodKind.D7)
    picked = CallQuery(period=week).with_operator(OperatorPick(FATHER, 37))
    assert picked.to_dict() == {"o": FATHER, "oi": 37, "ox": True, "p": "d7"}
    assert CallQuery.from_dict(picked.to_dict()) == picked
    by_name = CallQuery(period=week).with_operator(OperatorPick(FATHER))
    assert CallQuery.from_dict(by_name.to_dict()) == by_name
    assert by_name.operator_exact and by_name.operator_id is None
    typed = CallQuery(period=week).with_operator_text(FATHER)
    assert typed.to_dict() == {"o": FATHER, "p": "d7"}
    # Stored before operators had ids (FSM drafts, digest scopes): typed text, as it was.
    legacy = CallQuery.from_dict({"o": FATHER, "p": "d7"})
    assert legacy == typed and legacy.operator_pick is None
    assert picked.operator_pick == OperatorPick(FATHER, 37)
    # Three different queries: three different cache keys.
    keys = {query.fingerprint() for query in (picked, by_name, typed)}
    assert len(keys) == 3
    assert picked.without_operator() == CallQuery(period=week)
    assert not picked.is_empty_filter() and picked.without_operator().is_empty_filter()


@pytest.mark.parametrize(
    "data",
    [
        {"oi": 37},  # an id without a name
        {"o": FATHER, "oi": 37},  # an id is an exact match
        {"o": FATHER, "oi": True, "ox": True},
        {"o": FATHER, "oi": "37", "ox": True},
        {"o": FATHER, "ox": "yes"},
        {"ox": True},
    ],
)
def test_malformed_operator_data_is_rejected(data: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        CallQuery.from_dict(data)


def test_picks_dump_load_and_labels() -> None:
    pick = OperatorPick("  Асель   Жумабаева ", 23, "Служба поддержки")
    assert pick.name == "Асель Жумабаева"
    assert OperatorPick.load(pick.dump()) == pick
    assert OperatorPick.load(FATHER) == OperatorPick(FATHER)  # stored before ids
    for bad in ({"n": ""}, {"i": 3}, {"n": FATHER, "i": True}, ["x"], {"n": FATHER, "d": 5}):
        with pytest.raises(ValueError):
            OperatorPick.load(bad)
    namesakes = [
        OperatorPick(FATHER, 37, "Колл-центр"),
        OperatorPick(SON, 38, "Колл-центр"),
        OperatorPick("Асель Жумабаева", 23, "Служба поддержки"),
        OperatorPick("асель жумабаева", 36, "Колл-центр"),
        OperatorPick("Асель Жумабаева", 40),
    ]
    assert pick_labels(namesakes) == [
        FATHER,
        SON,
        "Асель Жумабаева · Служба поддержки",
        "асель жумабаева · Колл-центр",
        "Асель Жумабаева · #40",
    ]
    assert name_key("  ТИМУР   Сейткали ") == name_key("тимур сейткали")
    assert name_key("Алёна") == name_key("АЛЕНА")


# --- the planner and the local filter ------------------------------------------------------


def test_a_pick_asks_the_api_for_the_name_and_keeps_only_that_person() -> None:
    pick = plan(CallQuery(department_id=86).with_operator(OperatorPick(FATHER, 37)))
    assert pick.requests == ((Endpoint.OPERATOR, FATHER),)
    assert pick.local.conditions() == {
        "department_id": 86,
        "operator_id": 37,
        "operator_name": name_key(FATHER),
    }
    # Typed text: the API's substring match is the condition, nothing is narrowed.
    typed = plan(CallQuery().with_operator_text(FATHER))
    assert typed.requests == ((Endpoint.OPERATOR, FATHER),)
    assert typed.local.is_trivial
    assert pick.local.fingerprint() != typed.local.fingerprint()


def test_exact_by_id() -> None:
    local = plan(CallQuery().with_operator(OperatorPick(FATHER, 37))).local
    assert local.matches(record(1, FATHER, 37))
    assert not local.matches(record(2, SON, 38)), "a longer name containing it"
    assert not local.matches(record(3, FATHER, 99)), "a namesake is another person"
    assert local.matches(record(4, "Тимур Сейткали-Оглы", 37)), "renamed, same person"
    assert local.matches(record(5, "ТИМУР  СЕЙТКАЛИ", None)), "no id: the exact name decides"
    assert not local.matches(record(6, SON, None))
    assert not local.matches(record(7, None, None))


def test_exact_by_normalised_name_when_the_data_has_no_ids() -> None:
    local = plan(CallQuery().with_operator(OperatorPick("Алёна Королёва"))).local
    for name in ("Алёна Королёва", "алена  королева", "АЛЁНА КОРОЛЁВА"):
        assert local.matches(record(1, name, None)), name
        assert local.matches(record(2, name, 9)), name
    assert not local.matches(record(3, "Алёна Королёва-Смирнова", None))
    assert not local.matches(record(4, "Алёна", None))


def test_typed_text_means_names_containing_it() -> None:
    # Checked locally when another endpoint is chosen (never: the operator endpoint wins),
    # so the filter itself is tested here.
    local = LocalFilter(operator="тимур")
    assert local.matches(record(1, FATHER, 37)) and local.matches(record(2, SON, 38))
    assert not local.matches(record(3, "Асель Жумабаева", 23))


def test_people_behind_records() -> None:
    records = [
        record(1, SON, 38),
        record(2, FATHER, 37),
        record(3, "Тимур Сейткали-старший", 37),  # older name of the same person
        record(4, FATHER, None),  # no id: counts for the one person of that name
        record(5, "Асель Жумабаева", 23, department=("85", "Служба поддержки")),
        record(6, "Асель Жумабаева", 36),
        record(7, "Асель Жумабаева", None),  # two people of that name: not attributed
        record(8, None, None),
    ]
    found = operators_in(records)
    # Most calls first, then by name; the name-only Асель stays apart from both people.
    assert [(pick.name, pick.id) for pick in found] == [
        (FATHER, 37),
        ("Асель Жумабаева", 23),
        ("Асель Жумабаева", 36),
        ("Асель Жумабаева", None),
        (SON, 38),
    ]
    assert found[1].department == "Служба поддержки"
    assert same_person(OperatorPick(FATHER, 37), OperatorPick("x", 37))
    assert not same_person(OperatorPick(FATHER, 37), OperatorPick(FATHER, 38))
    assert same_person(OperatorPick(FATHER), OperatorPick("тимур сейткали", 37))


# --- the tallies -------------------------------------------------------------------------


def test_stats_count_people_not_names() -> None:
    records = [
        record(1, FATHER, 37, rating=9),
        record(2, FATHER, 37, rating=7),
        record(3, SON, 38, rating=2),
        record(4, "Асель Жумабаева", 23, rating=10),
        record(5, "Асель Жумабаева", 36, rating=1),
        record(6, "Тимур Сейткали-Оглы", 37, rating=8),
    ]
    stats = compute_stats(records)
    by_id = {op.operator_id: op for op in stats.operators}
    assert set(by_id) == {37, 38, 23, 36}
    assert (by_id[37].calls, by_id[37].avg_rating) == (3, 8.0)
    assert by_id[37].name == FATHER, "the first name seen (records come newest first)"
    assert (by_id[23].avg_rating, by_id[36].avg_rating) == (10.0, 1.0)
    assert (by_id[38].calls, by_id[38].low_ratings) == (1, 1)


def test_digest_tallies_bad_calls_per_person() -> None:
    records = [
        record(1, FATHER, 37, rating=1),
        record(2, SON, 38, rating=2),
        record(3, SON, 38, rating=3),
        record(4, "Асель Жумабаева", 23, rating=1, department=("85", "Служба поддержки")),
        record(5, "Асель Жумабаева", 36, rating=1),
        record(6, "Асель Жумабаева", 36, rating=9),
    ]
    matcher = BadCallMatcher(BadCallRule(score_on=False))
    figures = compute_figures(records, matcher, start=cast(Any, None), end=cast(Any, None))
    assert sorted(figures.per_operator) == sorted(
        [
            (SON, 2),
            (FATHER, 1),
            ("Асель Жумабаева (Служба поддержки)", 1),
            ("Асель Жумабаева (Колл-центр)", 1),
        ]
    )
    same_department = [record(1, "Асель", 1, rating=1), record(2, "Асель", 2, rating=1)]
    figures = compute_figures(same_department, matcher, start=cast(Any, None), end=cast(Any, None))
    assert sorted(figures.per_operator) == [
        ("Асель (Колл-центр) (#1)", 1),
        ("Асель (Колл-центр) (#2)", 1),
    ]


def test_short_names_keep_longer_names_apart() -> None:
    assert short_name(FATHER) == "Тимур С."
    assert short_name(SON) == "Тимур С. М."
    assert short_name("Айгерим") == "Айгерим"


def test_plural_forms() -> None:
    forms = {n: plural("unit.operators", n, "ru") for n in (1, 2, 4, 5, 11, 12, 21, 22, 25, 111)}
    assert forms == {
        1: "оператор",
        2: "оператора",
        4: "оператора",
        5: "операторов",
        11: "операторов",
        12: "операторов",
        21: "оператор",
        22: "оператора",
        25: "операторов",
        111: "операторов",
    }
    assert [plural("unit.operators", n, "en") for n in (1, 2, 0)] == [
        "operator",
        "operators",
        "operators",
    ]


# --- the wizards ----------------------------------------------------------------------------


def test_calls_wizard_button_is_one_person_and_typed_text_a_substring() -> None:
    picks = [OperatorPick(FATHER, 37, "Колл-центр"), OperatorPick(SON, 38, "Колл-центр")]
    draft = Draft(query=CallQuery(), message_id=1, options={"o": [p.dump() for p in picks]})
    chosen = apply_choice(draft, "o", "0")
    assert chosen is not None and chosen.operator_pick == OperatorPick(FATHER, 37)
    assert apply_choice(draft, "o", "2") is None
    # A draft saved before ids offered names: a name alone, still exact.
    old = Draft(query=CallQuery(), message_id=1, options={"o": [FATHER]})
    legacy = apply_choice(old, "o", "0")
    assert legacy is not None and legacy.operator_pick == OperatorPick(FATHER)
    typed = parse_typed_value(CallQuery(), "o", "  Тимур ")
    assert typed is not None and typed.operator == "Тимур" and not typed.operator_exact
    assert without(chosen, "o") == CallQuery()
    restored = Draft.load({"calls": draft.dump()})
    assert restored is not None and restored.options == draft.options


def test_operator_lookup_state_round_trips_and_reads_old_state() -> None:
    picks = [OperatorPick(FATHER, 37), OperatorPick(FATHER, 39, "Отдел продаж")]
    lookup = Lookup(message_id=5, options=picks)
    lookup.choose(1)
    assert lookup.label == f"{FATHER} · Отдел продаж"
    again = Lookup.load({"op": lookup.dump()})
    assert again == lookup
    assert again.query().operator_pick == OperatorPick(FATHER, 39)
    old = Lookup.load({"op": {"m": 5, "n": FATHER, "p": "d30", "opts": [FATHER, SON]}})
    assert old is not None and old.pick == OperatorPick(FATHER) and old.label == FATHER
    assert old.options == [OperatorPick(FATHER), OperatorPick(SON)]
    assert old.query().operator_exact
    nothing = Lookup.load({"op": {"m": 5, "n": "", "opts": []}})
    assert nothing is not None and nothing.pick is None


async def test_digest_scope_button_is_one_person_and_typed_text_a_substring() -> None:
    pick = OperatorPick(FATHER, 37, "Колл-центр")
    chosen = scope_for(ScopeKind.OPERATOR, pick.dump())
    assert chosen is not None and chosen.operator_pick == OperatorPick(FATHER, 37)
    assert scope_query(scope_dict(chosen)) == chosen, "stored and read back"
    typed = scope_for(ScopeKind.OPERATOR, "  Тимур  ", typed=True)
    assert typed is not None and typed.operator == "Тимур" and not typed.operator_exact
    assert scope_for(ScopeKind.OPERATOR, "  ", typed=True) is None
    assert scope_for(ScopeKind.OPERATOR, {"i": 3}) is None
    assert await scope_label(chosen, "ru", None, None) == f"оператор {FATHER}"
    assert await scope_label(typed, "ru", None, None) == "операторы, чьё имя содержит «Тимур»"
    assert await scope_label(typed, "en", None, None) == "operators whose name contains “Тимур”"


class NoNames:
    async def department_name(self, connection_id: int, department_id: int) -> str | None:
        return None

    async def question_pack(self, connection_id: int, pack_id: int) -> Any:
        return None


@pytest.mark.parametrize(
    ("operators", "lang", "label"),
    [
        (None, "ru", "имя содержит «Тимур»"),
        (0, "ru", "имя содержит «Тимур»"),
        (2, "ru", "содержит «Тимур»: 2 оператора"),
        (5, "ru", "содержит «Тимур»: 5 операторов"),
        (1, "en", "contains “Тимур”: 1 operator"),
        (2, "en", "contains “Тимур”: 2 operators"),
    ],
)
async def test_the_screen_says_typed_text_is_a_substring(
    operators: int | None, lang: str, label: str
) -> None:
    presenter = CallsPresenter(cast(Any, None), cast(CatalogRepo, NoNames()))
    conn = cast(Any, None)
    typed = CallQuery().with_operator_text("Тимур")
    assert await presenter.filter_labels(conn, typed, lang, operators=operators) == [label]
    picked = CallQuery().with_operator(OperatorPick(FATHER, 37))
    assert await presenter.filter_labels(conn, picked, lang, operators=operators) == [FATHER]


# --- the catalog ---------------------------------------------------------------------------


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "bot.sqlite3")
    try:
        yield database
    finally:
        await database.close()


async def connection(db: Database) -> int:
    await db.execute(
        "INSERT INTO connections (id, user_id, base_url, token_encrypted, token_last4,"
        " created_at) VALUES (1, 1, 'https://x', x'00', 'abcd', '2025-01-01')"
    )
    return 1


async def test_catalog_keeps_people_by_id(db: Database) -> None:
    conn = await connection(db)
    collector = CatalogCollector()
    rows = [
        record(1, "Тимур Сейткали-старший", 37),
        record(2, FATHER, 37),  # renamed: the name seen last stays
        record(3, SON, 38),
        record(4, SON, 38),
        record(5, SON, 38),
        record(6, "Асель Жумабаева", 23, department=("85", "Служба поддержки")),
        record(7, "Асель Жумабаева", 36),
        record(8, FATHER, None),  # no id: folded into the one Тимур Сейткали
    ]
    for raw in rows:
        collector.observe(raw)
    catalog = CatalogRepo(db)
    await catalog.learn(conn, collector.observation)
    entries = await catalog.operators(conn)
    assert [(e.name, e.operator_id, e.calls) for e in entries] == [
        (FATHER, 37, 3),
        (SON, 38, 3),
        ("Асель Жумабаева", 23, 1),
        ("Асель Жумабаева", 36, 1),
    ]
    # Namesakes are told apart on buttons by the department learned with them.
    assert pick_labels([entry.pick for entry in entries])[2:] == [
        "Асель Жумабаева · Служба поддержки",
        "Асель Жумабаева · Колл-центр",
    ]
    assert [entry.pick for entry in await catalog.operators(conn, limit=1)] == [
        OperatorPick(FATHER, 37)
    ]


def test_name_only_entries_fold_into_the_one_person_of_that_name() -> None:
    entries = [
        OperatorEntry("Асель", 85, 2, 23),
        OperatorEntry("Асель", 86, 1, 36),
        OperatorEntry("асель", None, 4),  # two people of that name: stays on its own
        OperatorEntry(FATHER, 86, 1, 37),
        OperatorEntry("тимур  сейткали", None, 5),
    ]
    merged = merge_namesakes(entries)
    assert [(e.name, e.operator_id, e.calls) for e in merged] == [
        (FATHER, 37, 6),
        ("асель", None, 4),
        ("Асель", 23, 2),
        ("Асель", 36, 1),
    ]


async def test_migration_keeps_what_was_learned_by_name(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "old.sqlite3", migrations=MIGRATIONS[:2])
    try:
        conn = await connection(db)
        await db.execute(
            "INSERT INTO catalog_operators (connection_id, name, department_id, calls,"
            " last_seen) VALUES (?, ?, 86, 5, '2025-01-01')",
            (conn, FATHER),
        )
        for name in (SON, FATHER):
            await db.execute(
                "INSERT INTO operator_lookups (user_id, name, looked_up_at)"
                " VALUES (1, ?, '2025-01-01')",
                (name,),
            )
        await apply_migrations(db)
        assert await current_version(db) == len(MIGRATIONS)
        catalog = CatalogRepo(db)
        assert [e.pick for e in await catalog.operators(conn)] == [OperatorPick(FATHER)]
        # Learned again with ids, the old row folds into the person.
        await catalog.learn(conn, CatalogObservation(operators={37: (FATHER, 86, 2)}))
        assert [(e.operator_id, e.calls) for e in await catalog.operators(conn)] == [(37, 7)]
        recent = await OperatorLookupRepo(db).recent(1)
        assert recent == [OperatorPick(FATHER), OperatorPick(SON)]
    finally:
        await db.close()
