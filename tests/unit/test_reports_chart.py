"""The digest chart renders to PNG bytes whatever the input."""

from __future__ import annotations

import struct

from bot.reports.chart import render_bad_calls_chart

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_chart_is_a_phone_sized_png() -> None:
    per_operator = [(f"Оператор{n} Фамилия", n) for n in range(1, 30)]
    per_operator.append(("Айгерим Нурланова", 12))
    data = render_bad_calls_chart(
        per_operator,
        {1: 4, 2: 9, 3: 15, 7: 30, 10: 2},
        title="Плохие звонки за 21.04",
        lang="ru",
    )
    assert data.startswith(PNG_SIGNATURE)
    width, height = png_size(data)
    assert 1000 <= width <= 1400 and 1200 <= height <= 1600


def test_chart_without_bad_calls() -> None:
    data = render_bad_calls_chart([], {}, title="Yesterday", lang="en")
    assert data.startswith(PNG_SIGNATURE)
