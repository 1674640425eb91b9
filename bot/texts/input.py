"""User-facing texts: reading typed dates, periods and time zones.

Templates that contain HTML expect every parameter to be escaped already.
"""

TEXTS: dict[str, dict[str, str]] = {
    # After a custom period whose end was after today: the period ends today instead.
    "input.period.clipped": {
        "ru": "Конец периода ещё не наступил: считаю по сегодня, {end}.",
        "en": "The period's end has not come yet: counting up to today, {end}.",
    },
    # Examples for the custom period prompt; the dates come from bot.input.dates.period_examples.
    "input.period.examples": {
        "ru": (
            "Например: <code>{range}</code>, <code>{short}</code>, <code>{day}</code>, "
            "<code>с 1 по 7 марта</code>, <code>вчера</code> или <code>прошлая неделя</code>."
        ),
        "en": (
            "For example: <code>{range}</code>, <code>{short}</code>, <code>{day}</code>, "
            "<code>March 1 - 7</code>, <code>yesterday</code> or <code>last week</code>."
        ),
    },
    "input.zone.unknown": {
        "ru": (
            "Не знаю такого часового пояса. Напишите город (<code>Алматы</code>, "
            "<code>Москва</code>) или смещение от UTC (<code>UTC+5</code>)."
        ),
        "en": (
            "I do not know that time zone. Send a city (<code>Almaty</code>, "
            "<code>London</code>) or an offset from UTC (<code>UTC+5</code>)."
        ),
    },
}
