"""User-facing texts: the calls wizard, operator lookup, export progress and typed prompts."""

TEXTS: dict[str, dict[str, str]] = {
    # Filter chooser
    "calls.choose_filter": {
        "ru": "📞 <b>Звонки</b>\nВыберите фильтр — или сразу период, чтобы смотреть все звонки.",
        "en": "📞 <b>Calls</b>\nChoose a filter, or go straight to the period for all calls.",
    },
    "calls.current_filters": {"ru": "Фильтры: {filters}", "en": "Filters: {filters}"},
    "calls.all_calls": {"ru": "Все звонки", "en": "All calls"},
    "calls.field.d": {"ru": "🏢 Отдел", "en": "🏢 Department"},
    "calls.field.o": {"ru": "👤 Оператор", "en": "👤 Operator"},
    "calls.field.t": {"ru": "📞 Тип звонка", "en": "📞 Call type"},
    "calls.field.q": {"ru": "📋 Набор вопросов", "en": "📋 Question pack"},
    "calls.field.l": {"ru": "⭐ Оценка клиента", "en": "⭐ Client rating"},
    "calls.field.s": {"ru": "🔔 Сигнал", "en": "🔔 Signal word"},
    "calls.btn.period": {"ru": "➡️ Выбрать период", "en": "➡️ Choose the period"},
    "calls.btn.remove": {"ru": "✖️ {label}", "en": "✖️ {label}"},
    "calls.btn.type_another": {"ru": "⌨️ Ввести другое", "en": "⌨️ Type another"},
    "calls.btn.add_filter": {"ru": "➕ Добавить фильтр", "en": "➕ Add another filter"},
    "calls.btn.list": {"ru": "📋 Список", "en": "📋 List"},
    "calls.btn.xlsx": {"ru": "📊 Excel", "en": "📊 Excel"},
    "calls.btn.csv": {"ru": "📄 CSV", "en": "📄 CSV"},
    "calls.btn.json": {"ru": "🧾 JSON", "en": "🧾 JSON"},
    "calls.btn.change": {"ru": "🎛 Изменить фильтр", "en": "🎛 Change filter"},
    "calls.btn.refresh": {"ru": "🔄 Обновить", "en": "🔄 Refresh"},
    "calls.btn.to_summary": {"ru": "◀️ К сводке", "en": "◀️ To the summary"},
    "calls.btn.to_list": {"ru": "◀️ К списку", "en": "◀️ Back to list"},
    "calls.btn.prev": {"ru": "◀️", "en": "◀️"},
    "calls.btn.next": {"ru": "▶️", "en": "▶️"},
    "calls.btn.more": {"ru": "Ещё ▶️", "en": "More ▶️"},
    # Value screens
    "calls.ask.d": {"ru": "🏢 Выберите отдел:", "en": "🏢 Choose a department:"},
    "calls.ask.o": {"ru": "👤 Выберите оператора:", "en": "👤 Choose an operator:"},
    "calls.ask.t": {"ru": "📞 Выберите тип звонка:", "en": "📞 Choose a call type:"},
    "calls.ask.q": {"ru": "📋 Выберите набор вопросов:", "en": "📋 Choose a question pack:"},
    "calls.ask.l": {
        "ru": "⭐ Выберите оценку клиента (1 — очень недоволен, 10 — очень доволен):",
        "en": "⭐ Choose the client rating (1 is very unhappy, 10 is very happy):",
    },
    "calls.ask.s": {
        "ru": "🔔 Выберите сигнал (стоп-слово).\n<i>Звонок подходит, если сигнал есть в нём"
        " целыми словами, без учёта регистра и ё: «дорого» найдёт «очень дорого»,"
        " но не «дороговато».</i>",
        "en": "🔔 Choose a signal word.\n<i>A call matches when the signal occurs in it as"
        " whole words, ignoring case and ё/е: «дорого» finds «очень дорого»,"
        " not «дороговато».</i>",
    },
    "calls.catalog_empty": {
        "ru": "Я ещё не видел значений — введите своё.",
        "en": "I have not seen any values yet; type one.",
    },
    "calls.type.d": {
        "ru": "Пришлите ID отдела (целое число).",
        "en": "Send the department ID (a whole number).",
    },
    "calls.type.o": {
        "ru": "Пришлите имя оператора или его часть, например <i>Айгерим</i>: "
        "покажу звонки всех операторов, чьё имя содержит этот текст.",
        "en": "Send the operator's name or part of it, for example <i>Aigerim</i>: "
        "I will show the calls of every operator whose name contains it.",
    },
    # A typed operator filter means every name containing the text.
    "calls.operator_contains": {
        "ru": "имя содержит «{text}»",
        "en": "name contains “{text}”",
    },
    "calls.operator_contains_n": {
        "ru": "содержит «{text}»: {n} {operators}",
        "en": "contains “{text}”: {n} {operators}",
    },
    "unit.operators": {"ru": "оператор|оператора|операторов", "en": "operator|operators"},
    "calls.type.q": {
        "ru": "Пришлите ID набора вопросов (страница «Критерии оценки» в кабинете).",
        "en": 'Send the question pack ID (the "Критерии оценки" page in the cabinet).',
    },
    "calls.type.s": {
        "ru": "Пришлите сигнал — слово или фразу, например <i>дорого</i>. Ищу целые слова,"
        " без учёта регистра и ё: «дорого» найдёт «очень дорого», но не «дороговато».",
        "en": "Send a signal word or phrase, for example <i>дорого</i>. Whole words are"
        " matched, ignoring case and ё/е: «дорого» finds «очень дорого», not «дороговато».",
    },
    "calls.invalid.id": {
        "ru": "Нужно целое положительное число, например <code>84</code>. Попробуйте ещё раз.",
        "en": "A positive whole number is needed, for example <code>84</code>. Try again.",
    },
    "calls.invalid.text": {
        "ru": "Пришлите непустой текст до 100 символов. Попробуйте ещё раз.",
        "en": "Send non-empty text up to 100 characters. Try again.",
    },
    "calls.loyalty_exact": {"ru": "Оценка {n}", "en": "Rating {n}"},
    "calls.loyalty_max": {"ru": "Оценка ≤ {n}", "en": "Rating ≤ {n}"},
    "calls.department_label": {"ru": "Отдел {id}", "en": "Department {id}"},
    "calls.pack_label": {"ru": "Набор {id}", "en": "Pack {id}"},
    "calls.signal_label": {"ru": "«{word}»", "en": "“{word}”"},
    # Periods
    "calls.ask_period": {
        "ru": "🗓 <b>{title}</b>\nЗа какой период?",
        "en": "🗓 <b>{title}</b>\nWhich period?",
    },
    "period.today": {"ru": "Сегодня", "en": "Today"},
    "period.yesterday": {"ru": "Вчера", "en": "Yesterday"},
    "period.d7": {"ru": "7 дней", "en": "7 days"},
    "period.d30": {"ru": "30 дней", "en": "30 days"},
    "period.all": {"ru": "Всё время", "en": "All time"},
    "period.custom": {"ru": "📅 Свои даты", "en": "📅 Custom dates"},
    "calls.ask_custom": {
        "ru": "📅 Пришлите дату или диапазон.",
        "en": "📅 Send a date or a range.",
    },
    "period_error.format": {
        "ru": "Не понял дату.",
        "en": "I could not read the date.",
    },
    "period_error.invalid_date": {
        "ru": "Такой даты нет в календаре. Проверьте день и месяц.",
        "en": "That date does not exist. Check the day and the month.",
    },
    "period_error.order": {
        "ru": "Конец периода раньше начала. Пришлите даты по порядку.",
        "en": "The period ends before it starts. Send the dates in order.",
    },
    "period_error.too_long": {
        "ru": "Период длиннее года. Выберите «Всё время» или период короче.",
        "en": "The period is longer than a year. Choose All time or a shorter period.",
    },
    "period_error.future": {
        "ru": "Этот период ещё не наступил. Пришлите прошедшие даты.",
        "en": "That period has not come yet. Send past dates.",
    },
    # Loading and results
    "calls.updated": {"ru": "<i>Данные на {time}</i>", "en": "<i>Data as of {time}</i>"},
    "calls.loading": {"ru": "⏳ Загружаю звонки…", "en": "⏳ Loading calls…"},
    "calls.error_retry": {
        "ru": "❌ {reason}\nФильтр сохранён — можно повторить.",
        "en": "❌ {reason}\nYour filter is kept; you can retry.",
    },
    "calls.call_gone": {
        "ru": "Этого звонка больше нет в выборке. Обновите сводку.",
        "en": "That call is no longer in the results. Refresh the summary.",
    },
    "calls.not_connected": {
        "ru": "Сначала подключите aiokk в личном чате с ботом: /connect",
        "en": "Connect aiokk first in a private chat with the bot: /connect",
    },
    # Exports
    "export.preparing": {
        "ru": "⏳ Готовлю {fmt}: загружаю звонки…",
        "en": "⏳ Preparing {fmt}: loading calls…",
    },
    "export.progress": {
        "ru": "⏳ Готовлю {fmt}: {percent} % ({done} из {total})",
        "en": "⏳ Preparing {fmt}: {percent} % ({done} of {total})",
    },
    "export.started": {
        "ru": "Готовлю файл — можно пользоваться ботом дальше.",
        "en": "Preparing the file; keep using the bot meanwhile.",
    },
    "export.busy": {
        "ru": "Уже готовлю файл для этого чата. Дождитесь его, пожалуйста.",
        "en": "A file for this chat is already being prepared. Please wait for it.",
    },
    "export.empty": {
        "ru": "В выборке нет звонков — файл не нужен.",
        "en": "There are no calls in the results, so there is no file.",
    },
    "export.part": {"ru": "Часть {number} из {parts}", "en": "Part {number} of {parts}"},
    "export.caption": {"ru": "{title}\nЗвонков: {count}", "en": "{title}\nCalls: {count}"},
    # Operator lookup
    "op.ask": {
        "ru": "👤 <b>Оператор</b>\nПришлите имя или его часть, например <i>Айгерим</i>.",
        "en": "👤 <b>Operator</b>\nSend a name or part of it, for example <i>Aigerim</i>.",
    },
    "op.recent": {"ru": "Недавние и частые:", "en": "Recent and frequent:"},
    "op.searching": {"ru": "🔎 Ищу оператора…", "en": "🔎 Looking for the operator…"},
    "op.not_found": {
        "ru": "Не нашёл операторов по запросу «{text}». Попробуйте другую часть имени.",
        "en": "No operators match “{text}”. Try another part of the name.",
    },
    "op.choose": {
        "ru": "Нашлось несколько операторов — выберите:",
        "en": "Several operators match; choose one:",
    },
    "op.last_calls": {"ru": "Последние звонки:", "en": "Last calls:"},
    # The reply field's placeholder when a time zone is typed (digest wizard, /settings).
    "prompt.placeholder.timezone": {"ru": "Asia/Almaty", "en": "Europe/London"},
}
