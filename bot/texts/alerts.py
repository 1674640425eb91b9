"""User-facing texts: alerts on critical calls.

Templates that contain HTML expect every parameter to be escaped already.
"""

TEXTS: dict[str, dict[str, str]] = {
    "alerts.msg.title": {"ru": "🚨 <b>Критичный звонок</b>", "en": "🚨 <b>Critical call</b>"},
    "alerts.msg.many": {
        "ru": "🚨 <b>Критичные звонки: {n}</b>",
        "en": "🚨 <b>Critical calls: {n}</b>",
    },
    "alerts.msg.quiet": {
        "ru": "🌙 <b>За тихие часы — критичные звонки: {n}</b>",
        "en": "🌙 <b>During quiet hours — critical calls: {n}</b>",
    },
    "alerts.msg.more": {
        "ru": "…и ещё {n} — все в /calls",
        "en": "…and {n} more — all in /calls",
    },
    "alerts.msg.no_operator": {"ru": "оператор не указан", "en": "no operator"},
    "alerts.msg.rating": {"ru": "⭐ оценка {n}", "en": "⭐ rating {n}"},
    "alerts.msg.score": {"ru": "📋 скрипт {n} %", "en": "📋 script {n} %"},
    "alerts.msg.signals": {"ru": "🔔 {words}", "en": "🔔 {words}"},
    "alerts.button.open": {"ru": "Открыть", "en": "Open"},
    "alerts.button.handled": {"ru": "Обработан ✓", "en": "Handled ✓"},
}
