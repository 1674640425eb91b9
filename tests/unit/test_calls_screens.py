"""The call list's layout: each call once (a numbered line, a numbered button), page jumps."""

from __future__ import annotations

import pytest

from bot.callbacks import CallsAction, CallsCb
from bot.services.calls import CallButton, PageView
from handlers.calls import list_keyboard, number_rows, page_row

BIGGEST_ID = 2**63 - 1


def labels(row: list[object]) -> list[str]:
    return [getattr(button, "text", "") for button in row]


def pages_of(row: list[object]) -> list[int]:
    return [CallsCb.unpack(str(getattr(button, "callback_data", ""))).p for button in row]


def test_ten_calls_are_two_rows_of_five_numbers_that_open_cards() -> None:
    buttons = [CallButton(BIGGEST_ID - n, str(11 + n)) for n in range(10)]
    rows = number_rows(buttons, 2)
    assert [labels(row) for row in rows] == [
        ["11", "12", "13", "14", "15"],
        ["16", "17", "18", "19", "20"],
    ]
    data = [CallsCb.unpack(str(button.callback_data)) for row in rows for button in row]
    assert all(item.a is CallsAction.CARD and item.p == 2 for item in data)
    assert [int(item.v) for item in data] == [BIGGEST_ID - n for n in range(10)]
    assert all(len(str(button.callback_data).encode()) <= 64 for row in rows for button in row)


@pytest.mark.parametrize(
    ("page", "pages", "expected"),
    [
        (1, 1, ["1/1"]),
        (1, 2, ["1/2", "▶️"]),
        (2, 2, ["◀️", "2/2"]),
        (1, 12, ["1/12", "▶️", "12 ⏭"]),
        (2, 12, ["◀️", "2/12", "▶️", "12 ⏭"]),
        (6, 12, ["⏮ 1", "◀️", "6/12", "▶️", "12 ⏭"]),
        (11, 12, ["⏮ 1", "◀️", "11/12", "▶️"]),
        (12, 12, ["⏮ 1", "◀️", "12/12"]),
    ],
)
def test_page_jumps_appear_when_the_first_or_last_page_is_further_than_a_step(
    page: int, pages: int, expected: list[str]
) -> None:
    row = page_row(page, pages, "ru")
    assert labels(row) == expected
    targets = dict(zip(labels(row), pages_of(row), strict=True))
    assert targets.get("⏮ 1", 1) == 1 and targets.get(f"{pages} ⏭", pages) == pages
    assert targets.get("◀️", page - 1) == page - 1 and targets.get("▶️", page + 1) == page + 1


def test_list_keyboard_rows() -> None:
    view = PageView(text="", page=3, pages=9, rows=[CallButton(n, str(21 + n)) for n in range(7)])
    markup = list_keyboard(view, "en")
    rows = [labels(row) for row in markup.inline_keyboard]
    assert rows[0] == ["21", "22", "23", "24", "25"] and rows[1] == ["26", "27"]
    assert rows[2] == ["⏮ 1", "◀️", "3/9", "▶️", "9 ⏭"]
    assert "To the summary" in rows[3][0]
