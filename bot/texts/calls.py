"""User-facing texts: calls (summaries, lists, call cards, operator cards, exports, charts).

Templates that contain HTML expect every parameter to be escaped already.
"""

TEXTS: dict[str, dict[str, str]] = {
    # While a summary, list, card or operator waits for aiokk (the flow's message says so).
    "calls.progress.queued": {
        "ru": "⏳ К aiokk сейчас много запросов. Ваш — {n}-й в очереди…",
        "en": "⏳ aiokk has many requests right now. Yours is number {n} in line…",
    },
    "calls.progress.started": {
        "ru": "⏳ Очередь дошла, загружаю звонки…",
        "en": "⏳ Your turn has come: loading calls…",
    },
    "calls.progress.slow": {
        "ru": "⏳ aiokk отвечает медленно, пробую ещё…",
        "en": "⏳ aiokk is slow, still trying…",
    },
    # Call types as the API numbers them.
    "report.call_type.1": {"ru": "Исходящий", "en": "Outgoing"},
    "report.call_type.2": {"ru": "Входящий", "en": "Incoming"},
    "report.call_type.3": {
        "ru": "Входящий с переадресацией",
        "en": "Incoming, redirected",
    },
    "report.call_type.4": {"ru": "Обратный звонок", "en": "Callback"},
    "report.call_type.unknown": {"ru": "Другой тип", "en": "Other type"},
    # Units and small pieces.
    "report.unit.hours_minutes": {"ru": "{h} ч {m} мин", "en": "{h} h {m} min"},
    "report.unit.minutes": {"ru": "{m} мин", "en": "{m} min"},
    "report.unit.points": {"ru": "п.п.", "en": "pp"},
    "report.prev.period": {"ru": "прошлому периоду", "en": "the previous period"},
    "report.prev.day": {"ru": "предыдущему дню", "en": "the previous day"},
    "report.prev.day_so_far": {
        "ru": "этому же времени вчера",
        "en": "the same time yesterday",
    },
    "report.prev.days": {"ru": "прошлым {n} дням", "en": "the previous {n} days"},
    "report.prev.days_one": {"ru": "прошлому {n} дню", "en": "the previous {n} days"},
    "report.prev.same_time": {
        "ru": "{label} до того же времени суток",
        "en": "{label} up to the same time of day",
    },
    "report.cmp.pct": {"ru": "{arrow} {pct} % к {label}", "en": "{arrow} {pct} % vs {label}"},
    "report.cmp.abs": {"ru": "{arrow} {diff} к {label}", "en": "{arrow} {diff} vs {label}"},
    "report.cmp.same": {"ru": "= без изменений к {label}", "en": "= unchanged vs {label}"},
    "report.cmp.no_data": {
        "ru": "нет данных за прошлый период",
        "en": "no data for the previous period",
    },
    # "of 30 calls", "at least 3 calls": the genitive after a number (see ``plural``).
    "unit.of_calls": {"ru": "звонка|звонков|звонков", "en": "call|calls"},
    "report.pack.titled": {"ru": "«{title}»", "en": "“{title}”"},
    "report.pack.id": {"ru": "набор {id}", "en": "pack {id}"},
    "report.pack.unknown": {"ru": "набор без названия", "en": "untitled pack"},
    # Summary screen.
    "report.summary.total": {"ru": "📞 Звонков: <b>{n}</b>", "en": "📞 Calls: <b>{n}</b>"},
    "report.summary.empty": {
        "ru": "Звонков по этому запросу за период нет.",
        "en": "No calls match this query in the period.",
    },
    "report.summary.duration": {
        "ru": "⏱ Разговоры: <b>{total}</b> · в среднем {avg}",
        "en": "⏱ Talk time: <b>{total}</b> · avg {avg}",
    },
    "report.summary.rating": {
        "ru": "⭐ Оценка клиента: <b>{avg}</b>/10 · ≤ 3: <b>{share} %</b> ({n})",
        "en": "⭐ Client rating: <b>{avg}</b>/10 · ≤ 3: <b>{share} %</b> ({n})",
    },
    "report.summary.rating_part": {
        "ru": "⭐ Оценка клиента: <b>{avg}</b>/10 по {rated} из {total} {calls}"
        " · ≤ 3: <b>{share} %</b> ({n})",
        "en": "⭐ Client rating: <b>{avg}</b>/10 over {rated} of {total} {calls}"
        " · ≤ 3: <b>{share} %</b> ({n})",
    },
    "report.summary.rating_none": {"ru": "⭐ Оценок клиента нет", "en": "⭐ No client ratings"},
    "report.summary.score": {
        "ru": "📋 Скрипт: <b>{avg} %</b> · ниже 50 %: <b>{share} %</b> ({n})",
        "en": "📋 Script score: <b>{avg} %</b> · below 50 %: <b>{share} %</b> ({n})",
    },
    "report.summary.score_part": {
        "ru": "📋 Скрипт: <b>{avg} %</b> по {scored} из {total} {calls}"
        " · ниже 50 %: <b>{share} %</b> ({n})",
        "en": "📋 Script score: <b>{avg} %</b> over {scored} of {total} {calls}"
        " · below 50 %: <b>{share} %</b> ({n})",
    },
    "report.summary.score_none": {"ru": "📋 Оценок по скрипту нет", "en": "📋 No script scores"},
    "report.summary.signals": {
        "ru": "🔔 <b>Сигналы</b> (в скольких звонках)",
        "en": "🔔 <b>Signals</b> (calls heard in)",
    },
    "report.summary.signals_more": {
        "ru": "· и ещё {n} с тем же числом — {count}",
        "en": "· and {n} more with the same count — {count}",
    },
    "report.summary.best": {
        "ru": "🏆 <b>Лучшие операторы</b>\n<i>скрипт выше среднего по выборке ({avg} %),"
        " от {min} {calls}</i>",
        "en": "🏆 <b>Best operators</b>\n<i>script above the selection's average ({avg} %),"
        " at least {min} {calls}</i>",
    },
    "report.summary.worst": {
        "ru": "⚠️ <b>Отстающие операторы</b>\n<i>скрипт ниже среднего по выборке ({avg} %),"
        " от {min} {calls}</i>",
        "en": "⚠️ <b>Operators to coach</b>\n<i>script below the selection's average ({avg} %),"
        " at least {min} {calls}</i>",
    },
    "report.summary.worst_calls": {
        "ru": "🔻 <b>Худшие звонки — нажмите, чтобы открыть:</b>\n<i>по худшему из показателей:"
        " оценка клиента или скрипт (оценка 3 = 30 %)</i>",
        "en": "🔻 <b>Worst calls — tap one to open it:</b>\n<i>by the worse of client rating"
        " and script score (rating 3 = 30 %)</i>",
    },
    "report.summary.operator_row": {
        "ru": "{name} — {score} % · ⭐ {rating} · {calls} зв.",
        "en": "{name} — {score} % · ⭐ {rating} · {calls} calls",
    },
    # List of calls.
    "report.list.title": {
        "ru": "📋 <b>Звонки</b> · стр. {page}/{pages}",
        "en": "📋 <b>Calls</b> · page {page}/{pages}",
    },
    "report.list.empty": {"ru": "Звонков нет.", "en": "No calls."},
    "report.list.hint": {
        "ru": "<i>Нажмите номер звонка, чтобы открыть его карточку.</i>",
        "en": "<i>Tap a call's number to open its card.</i>",
    },
    # Call card.
    "report.card.title": {"ru": "Звонок #{id}", "en": "Call #{id}"},
    "report.card.part": {"ru": "продолжение", "en": "continued"},
    "report.card.date": {"ru": "Дата", "en": "Date"},
    "report.card.duration": {"ru": "Длительность", "en": "Duration"},
    "report.card.caller": {"ru": "Звонящий", "en": "Caller"},
    "report.card.operator": {"ru": "Оператор", "en": "Operator"},
    "report.card.extension": {"ru": "внутр.", "en": "ext."},
    "report.card.department": {"ru": "Отдел", "en": "Department"},
    "report.card.rating": {"ru": "Оценка клиента", "en": "Client rating"},
    "report.card.recommendation": {"ru": "Рекомендация", "en": "Recommendation"},
    "report.card.script": {"ru": "Скрипт", "en": "Script"},
    "report.card.signals": {"ru": "Сигналы", "en": "Signals"},
    "report.card.summary": {"ru": "Резюме", "en": "Summary"},
    "report.card.languages": {"ru": "Языки", "en": "Languages"},
    "report.card.no_analytics": {
        "ru": "Аналитики по звонку пока нет.",
        "en": "No analytics for this call yet.",
    },
    # A criterion of the script on a call card: "п. 3 · 6/10 — …" (the maximum when known).
    "report.card.criterion": {"ru": "п. {n} · ", "en": "item {n} · "},
    # Results messages whose query is gone or past the retention, and the way back.
    "calls.expired": {
        "ru": "⌛ Это меню устарело: кнопки сводки работают {days} дней."
        " Соберите её заново одной кнопкой.",
        "en": "⌛ This menu is out of date: summary buttons work for {days} days."
        " Rebuild it with one tap.",
    },
    "calls.expired_toast": {
        "ru": "Это меню устарело",
        "en": "This menu is out of date",
    },
    "calls.btn.rebuild": {"ru": "🔄 Собрать заново", "en": "🔄 Rebuild"},
    "calls.btn.first": {"ru": "⏮ 1", "en": "⏮ 1"},
    "calls.btn.last": {"ru": "{n} ⏭", "en": "{n} ⏭"},
    # A typed operator name that fits several people.
    "calls.op_searching": {"ru": "🔎 Ищу оператора…", "en": "🔎 Looking for the operator…"},
    "calls.op_choose": {
        "ru": "👤 Под «{text}» подходят несколько операторов. Выберите одного"
        " или оставьте всех, чьё имя содержит этот текст:",
        "en": "👤 Several operators fit “{text}”. Choose one, or keep everyone whose name"
        " contains the text:",
    },
    "calls.btn.op_contains": {
        "ru": "🔎 Все, чьё имя содержит «{text}»",
        "en": "🔎 Everyone whose name contains “{text}”",
    },
    # Operator card.
    "report.op.title": {"ru": "👤 <b>{name}</b> · {period}", "en": "👤 <b>{name}</b> · {period}"},
    "report.op.empty": {
        "ru": "За этот период звонков нет.",
        "en": "No calls in this period.",
    },
    "report.op.weakest": {
        "ru": "📉 <b>Слабые пункты скрипта</b> (средний балл; пункты наборов не смешиваются)",
        "en": "📉 <b>Weakest script criteria</b> (average mark; each pack on its own)",
    },
    "report.op.criterion": {
        "ru": "{pack} · п. {n} — <b>{avg}</b> (звонков: {calls})",
        "en": "{pack} · item {n} — <b>{avg}</b> (calls: {calls})",
    },
    # Export columns.
    "report.col.dialog_id": {"ru": "ID звонка", "en": "Call ID"},
    "report.col.date": {"ru": "Дата и время", "en": "Date and time"},
    "report.col.call_type": {"ru": "Тип звонка", "en": "Call type"},
    "report.col.duration": {"ru": "Длительность, сек", "en": "Duration, s"},
    "report.col.caller": {"ru": "Номер звонящего", "en": "Caller"},
    "report.col.operator": {"ru": "Оператор", "en": "Operator"},
    "report.col.operator_id": {"ru": "ID оператора", "en": "Operator ID"},
    "report.col.int_num": {"ru": "Внутренний номер", "en": "Extension"},
    "report.col.department_id": {"ru": "ID отдела", "en": "Department ID"},
    "report.col.department": {"ru": "Отдел", "en": "Department"},
    "report.col.rating": {"ru": "Оценка клиента", "en": "Client rating"},
    "report.col.rating_description": {"ru": "Описание оценки", "en": "Rating description"},
    "report.col.rating_recommendation": {
        "ru": "Рекомендация по клиенту",
        "en": "Rating recommendation",
    },
    "report.col.pack_id": {"ru": "ID набора вопросов", "en": "Question pack ID"},
    "report.col.pack_title": {"ru": "Набор вопросов", "en": "Question pack"},
    "report.col.score": {"ru": "Скрипт, %", "en": "Script score, %"},
    "report.col.current_grade": {"ru": "Набрано баллов", "en": "Points scored"},
    "report.col.max_grade": {"ru": "Максимум баллов", "en": "Max points"},
    "report.col.pack_item": {"ru": "Пункт {n} набора", "en": "Pack item {n}"},
    "report.col.pack_criterion": {"ru": "{pack} · п. {n}", "en": "{pack} · item {n}"},
    "report.col.pack_id_name": {"ru": "Набор {id}", "en": "Pack {id}"},
    "report.col.pack_unknown": {"ru": "Набор без названия", "en": "Untitled pack"},
    "report.col.signals": {"ru": "Сигналы", "en": "Signals"},
    "report.col.signal_count": {"ru": "Кол-во сигналов", "en": "Signal count"},
    "report.col.summary": {"ru": "Резюме (ИИ)", "en": "AI summary"},
    "report.col.languages": {"ru": "Языки", "en": "Languages"},
    "report.col.status": {"ru": "Статус", "en": "Status"},
    "report.col.price": {"ru": "Стоимость", "en": "Price"},
    "report.sheet.calls": {"ru": "Звонки", "en": "Calls"},
    "report.sheet.summary": {"ru": "Сводка", "en": "Summary"},
    "report.sheet.metric": {"ru": "Показатель", "en": "Metric"},
    "report.sheet.value": {"ru": "Значение", "en": "Value"},
    "report.sheet.pack": {"ru": "Набор вопросов", "en": "Question pack"},
    "report.sheet.item": {"ru": "Пункт", "en": "Item"},
    "report.sheet.avg_mark": {"ru": "Средний балл", "en": "Average mark"},
    "report.sheet.marked_calls": {"ru": "Звонков", "en": "Calls"},
    # Summary sheet figures.
    "report.fig.total": {"ru": "Звонков", "en": "Calls"},
    "report.fig.duration_total": {
        "ru": "Общая длительность, сек",
        "en": "Total duration, s",
    },
    "report.fig.duration_avg": {"ru": "Средняя длительность, сек", "en": "Average duration, s"},
    "report.fig.rated": {"ru": "Звонков с оценкой клиента", "en": "Calls with a client rating"},
    "report.fig.rating_avg": {
        "ru": "Средняя оценка клиента (по звонкам с оценкой)",
        "en": "Average client rating (calls with a rating)",
    },
    "report.fig.rating_low": {"ru": "Оценок ≤ 3", "en": "Ratings ≤ 3"},
    "report.fig.rating_low_share": {"ru": "Доля оценок ≤ 3, %", "en": "Share of ratings ≤ 3, %"},
    "report.fig.scored": {"ru": "Звонков с оценкой по скрипту", "en": "Calls with a script score"},
    "report.fig.score_avg": {
        "ru": "Средний балл по скрипту, % (по звонкам с оценкой)",
        "en": "Average script score, % (calls with a score)",
    },
    "report.fig.score_low_share": {
        "ru": "Доля звонков ниже 50 % по скрипту, %",
        "en": "Share of calls below 50 % script score, %",
    },
    "report.fig.type": {"ru": "Тип: {name}", "en": "Type: {name}"},
    "report.fig.signal": {"ru": "Сигнал: {name}", "en": "Signal: {name}"},
    # Chart.
    "report.chart.bad_by_operator": {
        "ru": "Плохие звонки по операторам",
        "en": "Bad calls by operator",
    },
    "report.chart.no_bad": {"ru": "Плохих звонков нет", "en": "No bad calls"},
    "report.chart.ratings": {
        "ru": "Оценки клиентов (1–10)",
        "en": "Client ratings (1–10)",
    },
    "report.chart.script": {"ru": "Скрипт, средний %", "en": "Script, average %"},
    "report.chart.bad_share": {"ru": "Доля плохих, %", "en": "Bad-call share, %"},
    "report.chart.trend_week": {
        "ru": "Команда: {n} недель",
        "en": "Team: {n} weeks",
    },
    "report.chart.trend_month": {
        "ru": "Команда: {n} месяцев",
        "en": "Team: {n} months",
    },
    "report.chart.months_short": {
        "ru": "янв,фев,мар,апр,май,июн,июл,авг,сен,окт,ноя,дек",
        "en": "Jan,Feb,Mar,Apr,May,Jun,Jul,Aug,Sep,Oct,Nov,Dec",
    },
    "op.btn.trend": {"ru": "📈 Тренд", "en": "📈 Trend"},
    "op.trend.title": {"ru": "{name}: 8 недель", "en": "{name}: 8 weeks"},
    "op.trend.caption": {
        "ru": "📈 <b>{name}</b> — последние 8 недель (пн–вс, текущая — по сегодня).\n"
        "Скрипт — средний % по звонкам с оценкой скрипта; доля плохих — звонки с оценкой "
        "клиента ≤ {rating} или скриптом &lt; {score} % от всех звонков недели. "
        "Недели без звонков — разрывы, не нули.",
        "en": "📈 <b>{name}</b>: the last 8 weeks (Mon–Sun, the current one until today).\n"
        "Script: the average % over calls with a script score; bad share: calls with a "
        "client rating ≤ {rating} or a script &lt; {score} % of all the week's calls. "
        "Weeks without calls are gaps, not zeros.",
    },
    "op.trend.week": {
        "ru": "{week}: {calls} зв. · скрипт {script} · плохих {share}",
        "en": "{week}: {calls} calls · script {script} · bad {share}",
    },
    "op.trend.week_empty": {"ru": "{week}: звонков нет", "en": "{week}: no calls"},
    "report.chart.calls": {"ru": "Звонков", "en": "Calls"},
    "report.chart.rating": {"ru": "Оценка", "en": "Rating"},
}
