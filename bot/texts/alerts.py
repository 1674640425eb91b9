"""User-facing texts: alerts on critical calls.

Templates that contain HTML expect every parameter to be escaped already.
"""

TEXTS: dict[str, dict[str, str]] = {
    "alerts.disconnect_paused": {
        "ru": "⏸ Приостановлено правил алертов: {n}. Их чаты предупреждены.",
        "en": "⏸ Alert rules paused: {n}. Their chats were told.",
    },
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
    # -- /alerts: the rule list, card and wizard -----------------------------------------
    "cmd.alerts": {"ru": "Алерты о критичных звонках", "en": "Alerts on critical calls"},
    "btn.alerts": {"ru": "🚨 Алерты", "en": "🚨 Alerts"},
    "alerts.list.title": {
        "ru": "🚨 <b>Алерты этого чата</b>\nСообщение приходит через несколько минут после "
        "критичного звонка.",
        "en": "🚨 <b>Alerts of this chat</b>\nA message comes a few minutes after a critical call.",
    },
    "alerts.list.empty": {
        "ru": "Пока ни одного правила. Создайте первое — это пара нажатий.",
        "en": "No rules yet. Create the first one — it takes a few taps.",
    },
    "alerts.list.line": {
        "ru": "<b>{number}.</b> {icon} {scope} — {conditions}\n    {quiet}",
        "en": "<b>{number}.</b> {icon} {scope} — {conditions}\n    {quiet}",
    },
    "alerts.btn.new": {"ru": "➕ Новое правило", "en": "➕ New rule"},
    "alerts.btn.list": {"ru": "◀️ К списку", "en": "◀️ To the list"},
    "alerts.btn.scope": {"ru": "🎯 Какие звонки", "en": "🎯 Which calls"},
    "alerts.btn.conditions": {"ru": "⚙️ Условия", "en": "⚙️ Conditions"},
    "alerts.btn.quiet": {"ru": "🌙 Тихие часы", "en": "🌙 Quiet hours"},
    "alerts.btn.test": {"ru": "🧪 Тест", "en": "🧪 Test"},
    "alerts.btn.pause": {"ru": "⏸ Пауза", "en": "⏸ Pause"},
    "alerts.btn.resume": {"ru": "▶️ Возобновить", "en": "▶️ Resume"},
    "alerts.btn.delete": {"ru": "🗑 Удалить", "en": "🗑 Delete"},
    "alerts.btn.delete_yes": {"ru": "Да, удалить", "en": "Yes, delete"},
    "alerts.btn.delete_no": {"ru": "Нет, оставить", "en": "No, keep it"},
    "alerts.btn.create": {"ru": "✅ Создать", "en": "✅ Create"},
    "alerts.btn.next": {"ru": "Далее ▶️", "en": "Next ▶️"},
    "alerts.btn.done": {"ru": "✅ Готово", "en": "✅ Done"},
    "alerts.btn.scope_all": {"ru": "Все звонки", "en": "All calls"},
    "alerts.btn.scope_dep": {"ru": "Отдел", "en": "Department"},
    "alerts.btn.scope_op": {"ru": "Оператор", "en": "Operator"},
    "alerts.btn.scope_qp": {"ru": "Набор вопросов", "en": "Question pack"},
    "alerts.btn.type_dep": {"ru": "✍️ Ввести номер отдела", "en": "✍️ Type a department id"},
    "alerts.btn.type_op": {"ru": "✍️ Ввести имя", "en": "✍️ Type a name"},
    "alerts.btn.type_qp": {"ru": "✍️ Ввести номер набора", "en": "✍️ Type a pack id"},
    "alerts.btn.rating": {"ru": "⭐ ≤ {n}", "en": "⭐ ≤ {n}"},
    "alerts.btn.score": {"ru": "📋 < {n} %", "en": "📋 < {n} %"},
    "alerts.btn.off": {"ru": "выкл.", "en": "off"},
    "alerts.btn.signals": {"ru": "🔔 Сигнальные слова: {n}", "en": "🔔 Signal words: {n}"},
    "alerts.btn.type_signal": {"ru": "✍️ Ввести слова", "en": "✍️ Type words"},
    "alerts.btn.quiet_off": {"ru": "Без тихих часов", "en": "No quiet hours"},
    "alerts.ask.scope": {
        "ru": "<b>Шаг 1 из 3.</b> Какие звонки отслеживать?\nСейчас: {current}",
        "en": "<b>Step 1 of 3.</b> Which calls to watch?\nNow: {current}",
    },
    "alerts.ask.scope_dep": {"ru": "Выберите отдел:", "en": "Choose a department:"},
    "alerts.ask.scope_dep_none": {
        "ru": "Отделы ещё не известны. Введите номер отдела.",
        "en": "No departments known yet. Type a department id.",
    },
    "alerts.ask.scope_op": {"ru": "Выберите оператора:", "en": "Choose an operator:"},
    "alerts.ask.scope_op_none": {
        "ru": "Операторы ещё не известны. Введите имя оператора.",
        "en": "No operators known yet. Type an operator's name.",
    },
    "alerts.ask.scope_qp": {"ru": "Выберите набор вопросов:", "en": "Choose a question pack:"},
    "alerts.ask.scope_qp_none": {
        "ru": "Наборы вопросов ещё не известны. Введите номер набора.",
        "en": "No question packs known yet. Type a pack id.",
    },
    "alerts.type_dep": {
        "ru": "Введите номер отдела (только цифры).",
        "en": "Type the department id (digits only).",
    },
    "alerts.type_op": {
        "ru": "Введите полное имя оператора.",
        "en": "Type the operator's full name.",
    },
    "alerts.type_qp": {
        "ru": "Введите номер набора вопросов (только цифры).",
        "en": "Type the question pack id (digits only).",
    },
    "alerts.type_signal": {
        "ru": "Напишите сигнальное слово или фразу (несколько — через запятую).",
        "en": "Type a signal word or phrase (several: separated by commas).",
    },
    "alerts.placeholder.dep": {"ru": "например, 12", "en": "e.g. 12"},
    "alerts.placeholder.op": {"ru": "например, Айгерим Нурланова", "en": "e.g. Aigerim Nurlanova"},
    "alerts.placeholder.qp": {"ru": "например, 27", "en": "e.g. 27"},
    "alerts.placeholder.signal": {
        "ru": "например, расторгнуть договор",
        "en": "e.g. cancel the contract",
    },
    "alerts.id_invalid": {
        "ru": "Нужен номер — только цифры. Попробуйте ещё раз.",
        "en": "An id is digits only. Try again.",
    },
    "alerts.name_invalid": {
        "ru": "Нужно имя оператора. Попробуйте ещё раз.",
        "en": "An operator's name is needed. Try again.",
    },
    "alerts.signal_invalid": {
        "ru": "Не вижу слов. Напишите слово или фразу, несколько — через запятую.",
        "en": "No words there. Type a word or phrase, several separated by commas.",
    },
    "alerts.signals_full": {
        "ru": "Не больше 10 сигнальных слов в одном правиле.",
        "en": "No more than 10 signal words in one rule.",
    },
    "alerts.keep_one": {
        "ru": "Оставьте хотя бы одно условие.",
        "en": "Keep at least one condition.",
    },
    "alerts.ask.conditions": {
        "ru": "<b>Шаг 2 из 3.</b> Когда присылать алерт? Достаточно любого из условий.\n"
        "⭐ — оценка клиента не выше, 📋 — скрипт ниже, 🔔 — сигнальные слова.\n"
        "Сейчас: {current}",
        "en": "<b>Step 2 of 3.</b> When to alert? Any one condition is enough.\n"
        "⭐ — client rating at most, 📋 — script score below, 🔔 — signal words.\n"
        "Now: {current}",
    },
    "alerts.ask.signals": {
        "ru": "Алерт придёт, если в звонке прозвучало любое из выбранных слов.\nВыбрано: {chosen}",
        "en": "An alert comes when a call has any of the chosen words.\nChosen: {chosen}",
    },
    "alerts.signals.none": {"ru": "ничего", "en": "nothing"},
    "alerts.ask.quiet": {
        "ru": "<b>Шаг 3 из 3.</b> Тихие часы ({tz}): алерты за это время придут одним "
        "сообщением, когда они закончатся.\nСейчас: {current}",
        "en": "<b>Step 3 of 3.</b> Quiet hours ({tz}): alerts of that time come as one "
        "message when they end.\nNow: {current}",
    },
    "alerts.ask.confirm": {
        "ru": "Проверьте правило и нажмите «Создать».",
        "en": "Check the rule and press Create.",
    },
    "alerts.scope.all": {"ru": "все звонки", "en": "all calls"},
    "alerts.scope.dep": {"ru": "отдел {name}", "en": "department {name}"},
    "alerts.scope.op": {"ru": "оператор {name}", "en": "operator {name}"},
    "alerts.scope.qp": {"ru": "набор вопросов {name}", "en": "question pack {name}"},
    "alerts.cond.rating": {"ru": "оценка клиента ≤ {n}", "en": "client rating ≤ {n}"},
    "alerts.cond.score": {"ru": "скрипт ниже {n} %", "en": "script score below {n} %"},
    "alerts.cond.signals": {"ru": "слова: {words}", "en": "words: {words}"},
    "alerts.cond.or": {"ru": " или ", "en": " or "},
    "alerts.quiet.off": {"ru": "нет", "en": "none"},
    "alerts.quiet.range": {"ru": "{start}–{end}", "en": "{start}–{end}"},
    "alerts.card.draft": {"ru": "🚨 <b>Новое правило</b>", "en": "🚨 <b>New rule</b>"},
    "alerts.card.title": {"ru": "🚨 <b>Правило №{id}</b>", "en": "🚨 <b>Rule #{id}</b>"},
    "alerts.card.chat": {"ru": "Группа: {title}", "en": "Group: {title}"},
    "alerts.card.topic": {"ru": "Тема: {id}", "en": "Topic: {id}"},
    "alerts.card.scope": {"ru": "Звонки: {value}", "en": "Calls: {value}"},
    "alerts.card.conditions": {"ru": "Когда: {value}", "en": "When: {value}"},
    "alerts.card.quiet": {"ru": "Тихие часы: {value}", "en": "Quiet hours: {value}"},
    "alerts.card.owner": {
        "ru": "Данные из подключения aiokk: {name}",
        "en": "Data from the aiokk connection of {name}",
    },
    "alerts.card.active": {"ru": "▶️ Работает", "en": "▶️ Active"},
    "alerts.card.paused": {"ru": "⏸ На паузе", "en": "⏸ Paused"},
    "alerts.card.paused.disconnected": {
        "ru": "⏸ На паузе: владелец подключения отключился",
        "en": "⏸ Paused: owner disconnected",
    },
    "alerts.card.paused.not_allowed": {
        "ru": "⏸ На паузе: владелец подключения потерял доступ к боту",
        "en": "⏸ Paused: owner lost access",
    },
    "alerts.card.paused.blocked": {
        "ru": "⏸ На паузе: Telegram не даёт боту писать в этот чат",
        "en": "⏸ Paused: Telegram does not let the bot write to this chat",
    },
    "alerts.card.rebind": {
        "ru": "Нажмите «Возобновить» — правило продолжит работу с вашим подключением aiokk.",
        "en": "Press Resume to run the rule on your own aiokk connection.",
    },
    "alerts.owner_lost.disconnected": {
        "ru": "⏸ <b>Алерты на паузе</b>: владелец подключения aiokk, из которого они брали "
        "звонки ({name}), отключился. Администратор чата может возобновить их со своим "
        "подключением в /alerts.\n{rules}",
        "en": "⏸ <b>Alerts paused</b>: the owner of the aiokk connection they read calls "
        "through ({name}) disconnected. A chat admin can resume them with their own connection "
        "in /alerts.\n{rules}",
    },
    "alerts.owner_lost.not_allowed": {
        "ru": "⏸ <b>Алерты на паузе</b>: у владельца подключения aiokk, из которого они брали "
        "звонки ({name}), больше нет доступа к боту. Администратор чата может возобновить их "
        "со своим подключением в /alerts.\n{rules}",
        "en": "⏸ <b>Alerts paused</b>: the owner of the aiokk connection they read calls "
        "through ({name}) no longer has access to this bot. A chat admin can resume them with "
        "their own connection in /alerts.\n{rules}",
    },
    "alerts.owner_lost.disconnected.own": {
        "ru": "⏸ <b>Алерты на паузе</b>: подключение aiokk, из которого они брали звонки, "
        "удалено. Подключитесь снова (/connect) и возобновите их в /alerts.\n{rules}",
        "en": "⏸ <b>Alerts paused</b>: the aiokk connection they read calls through was "
        "removed. Connect again (/connect) and resume them in /alerts.\n{rules}",
    },
    "alerts.owner_lost.not_allowed.own": {
        "ru": "⏸ <b>Алерты на паузе</b>: у вас больше нет доступа к этому боту.\n{rules}",
        "en": "⏸ <b>Alerts paused</b>: you no longer have access to this bot.\n{rules}",
    },
    "alerts.owner_lost.rule": {"ru": "• Правило №{id}: {scope}", "en": "• Rule #{id}: {scope}"},
    "alerts.topic": {"ru": "тема {id}", "en": "topic {id}"},
    "alerts.created": {
        "ru": "✅ Правило создано. Первая проверка только запомнит уже сделанные звонки — "
        "алерты придут о новых.",
        "en": "✅ Rule created. Its first check only remembers the calls already there — "
        "alerts come about new ones.",
    },
    "alerts.created_toast": {"ru": "Правило создано", "en": "Rule created"},
    "alerts.saved": {"ru": "Сохранено", "en": "Saved"},
    "alerts.paused_now": {"ru": "Правило на паузе", "en": "Rule paused"},
    "alerts.resumed_now": {"ru": "Правило снова работает", "en": "Rule resumed"},
    "alerts.resumed_rebound": {
        "ru": "Правило снова работает — с вашим подключением aiokk",
        "en": "Rule resumed on your aiokk connection",
    },
    "alerts.resume_needs_connection": {
        "ru": "Подключения aiokk, из которого правило брало звонки, больше нет. Чтобы "
        "возобновить правило со своим подключением, сначала подключитесь в личном чате с ботом.",
        "en": "The aiokk connection this rule read calls through is gone. To resume it with "
        "your own connection, connect first in a private chat with the bot.",
    },
    "alerts.delete_confirm": {
        "ru": "Удалить правило №{id} ({what})?",
        "en": "Delete rule #{id} ({what})?",
    },
    "alerts.deleted": {"ru": "Правило удалено", "en": "Rule deleted"},
    "alerts.gone": {"ru": "Этого правила уже нет.", "en": "This rule no longer exists."},
    "alerts.draft_gone": {
        "ru": "Черновик устарел — начните заново: /alerts",
        "en": "This draft is out of date — start again: /alerts",
    },
    "alerts.admin_only": {
        "ru": "Менять алерты группы могут только её администраторы.",
        "en": "Only the group's administrators may change its alerts.",
    },
    "alerts.need_connection": {
        "ru": "Алерты берут звонки из вашего подключения aiokk. Сначала подключитесь.",
        "en": "Alerts read calls through your aiokk connection. Connect first.",
    },
    "alerts.need_connection_group": {
        "ru": "Алерты группы берут звонки из личного подключения aiokk администратора, "
        "который их создаёт. Подключитесь в личном чате с ботом, затем вернитесь сюда.",
        "en": "A group's alerts read calls through the private aiokk connection of the "
        "administrator who creates them. Connect in a private chat with the bot, then "
        "come back here.",
    },
    "alerts.no_connection": {
        "ru": "Нет подключения aiokk, из которого правило берёт звонки.",
        "en": "The aiokk connection this rule reads calls through is gone.",
    },
    "alerts.testing": {
        "ru": "Ищу последний подходящий звонок за 30 дней…",
        "en": "Looking for the latest matching call of 30 days…",
    },
    "alerts.test.header": {
        "ru": "🧪 <b>Тест правила №{id}</b> — так выглядит алерт (последний подходящий "
        "звонок за 30 дней):",
        "en": "🧪 <b>Test of rule #{id}</b> — this is how an alert looks (the latest matching "
        "call of 30 days):",
    },
    "alerts.test.none": {
        "ru": "🧪 За последние 30 дней ни один звонок не подошёл под правило №{id}.",
        "en": "🧪 No call of the last 30 days meets rule #{id}.",
    },
    "alerts.test.failed": {
        "ru": "🧪 Тест правила №{id} не удался: {reason}",
        "en": "🧪 The test of rule #{id} failed: {reason}",
    },
    "alerts.call_gone": {
        "ru": "Этого звонка больше нет в aiokk.",
        "en": "This call is no longer in aiokk.",
    },
    "alerts.card_sent_private": {
        "ru": "Карточка звонка — в личном чате с ботом.",
        "en": "The call card is in your private chat with the bot.",
    },
    "alerts.handled_toast": {"ru": "Отмечено ✓", "en": "Marked ✓"},
    "alerts.handled_already": {
        "ru": "Уже отметил(а) {name} в {time}.",
        "en": "Already marked by {name} at {time}.",
    },
    "alerts.handled_line": {
        "ru": "✓ Обработан: {name}, {time}",
        "en": "✓ Handled: {name}, {time}",
    },
    "alerts.handled_line_n": {
        "ru": "✓ {number}. Обработан: {name}, {time}",
        "en": "✓ {number}. Handled: {name}, {time}",
    },
}
