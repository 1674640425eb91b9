"""User-facing texts: digests (subscriptions, the wizard, digest messages).

Templates that contain HTML expect every parameter to be escaped already.
"""

TEXTS: dict[str, dict[str, str]] = {
    "digest.rule.or": {"ru": " или ", "en": " or "},
    # Calendar words.
    "digest.months": {
        "ru": ("января,февраля,марта,апреля,мая,июня,июля,августа,сентября,октября,ноября,декабря"),
        "en": "January,February,March,April,May,June,July,August,September,October,November,"
        "December",
    },
    "digest.weekdays": {"ru": "пн,вт,ср,чт,пт,сб,вс", "en": "Mon,Tue,Wed,Thu,Fri,Sat,Sun"},
    "digest.days.daily": {"ru": "каждый день", "en": "every day"},
    "digest.days.work": {"ru": "по будням", "en": "working days"},
    "digest.period.day": {"ru": "предыдущий день", "en": "the previous day"},
    "digest.period.week": {"ru": "последние 7 дней", "en": "the last 7 days"},
    "digest.period.auto": {
        "ru": "дни с прошлого дайджеста",
        "en": "the days since the previous digest",
    },
    "digest.period.auto_work": {
        "ru": "предыдущий день, в понедельник — пятница–воскресенье",
        "en": "the previous day; on Monday, Friday–Sunday",
    },
    # The bad-call rule.
    "digest.rule.rating": {"ru": "оценка ≤ {n}", "en": "rating ≤ {n}"},
    "digest.rule.score": {"ru": "скрипт &lt; {n} %", "en": "script &lt; {n} %"},
    "digest.rule.signals": {"ru": "сигналы: {words}", "en": "signals: {words}"},
    "digest.rule.none": {"ru": "условия не выбраны", "en": "no condition chosen"},
    "digest.rule.keep_one": {
        "ru": "Оставьте хотя бы одно условие плохого звонка.",
        "en": "Keep at least one bad-call condition.",
    },
    # Scope.
    "digest.scope.all": {"ru": "все звонки", "en": "all calls"},
    "digest.scope.department": {"ru": "отдел {name}", "en": "department {name}"},
    "digest.scope.operator": {"ru": "оператор {name}", "en": "operator {name}"},
    "digest.scope.operator_contains": {
        "ru": "операторы, чьё имя содержит «{text}»",
        "en": "operators whose name contains “{text}”",
    },
    "digest.scope.pack": {"ru": "пакет вопросов {name}", "en": "question pack {name}"},
    "digest.topic": {"ru": "тема {id}", "en": "topic {id}"},
    "digest.where.private": {"ru": "в личном чате", "en": "in your private chat"},
    "digest.where.group": {"ru": "в группе «{title}»", "en": "in the group “{title}”"},
    # Attachments.
    "digest.attach.none": {"ru": "без файла", "en": "no file"},
    "digest.attach.xlsx": {"ru": "Excel", "en": "Excel"},
    "digest.attach.csv": {"ru": "CSV", "en": "CSV"},
    "digest.chart.on": {"ru": "с графиком", "en": "with a chart"},
    "digest.chart.off": {"ru": "без графика", "en": "no chart"},
    "digest.empty.send": {
        "ru": "одна строка «плохих звонков нет ✅»",
        "en": "one line “no bad calls ✅”",
    },
    "digest.empty.skip": {"ru": "ничего не присылать", "en": "send nothing"},
    # The digest message.
    "digest.chart_title": {"ru": "Плохие звонки за {period}", "en": "Bad calls for {period}"},
    "digest.msg.title": {
        "ru": "📉 <b>Плохие звонки за {period}: {bad} из {total} ({share} %)</b>",
        "en": "📉 <b>Bad calls for {period}: {bad} of {total} ({share} %)</b>",
    },
    "digest.msg.preview": {
        "ru": "🔎 <i>Предпросмотр: не заменяет отправку по расписанию.</i>",
        "en": "🔎 <i>Preview: the scheduled digest will still be sent.</i>",
    },
    "digest.msg.change": {"ru": "{cmp} (было {n})", "en": "{cmp} (was {n})"},
    "digest.msg.by_operator": {"ru": "👤 <b>По операторам</b>", "en": "👤 <b>By operator</b>"},
    "digest.msg.more_operators": {"ru": "…и ещё {n}", "en": "…and {n} more"},
    "digest.msg.signals": {
        "ru": "🔔 <b>Частые сигналы:</b> {words}",
        "en": "🔔 <b>Frequent signals:</b> {words}",
    },
    "digest.msg.signals_more": {
        "ru": " и ещё {n} с тем же числом ({count})",
        "en": " and {n} more with the same count ({count})",
    },
    "digest.msg.worst": {
        "ru": "🔻 <b>Худшие звонки ({n})</b>",
        "en": "🔻 <b>Worst calls ({n})</b>",
    },
    "digest.msg.handled_before": {
        "ru": "✓ Уже обработаны и не показаны: {n}",
        "en": "✓ Already handled and not shown: {n}",
    },
    "digest.msg.rule": {"ru": "<i>Плохой звонок: {rule}</i>", "en": "<i>Bad call: {rule}</i>"},
    "digest.msg.fed_by": {
        "ru": "<i>Данные из подключения aiokk: {name}</i>",
        "en": "<i>Data from the aiokk connection of {name}</i>",
    },
    "digest.msg.late": {
        "ru": "⏰ <i>Отправлено с опозданием: бот был офлайн в {time}.</i>",
        "en": "⏰ <i>Sent late: the bot was offline at {time}.</i>",
    },
    "digest.msg.none": {
        "ru": "За {period} плохих звонков нет ✅",
        "en": "No bad calls for {period} ✅",
    },
    "digest.msg.none_scoped": {
        "ru": "За {period} плохих звонков нет ✅ ({scope})",
        "en": "No bad calls for {period} ✅ ({scope})",
    },
    "digest.msg.failed": {
        "ru": "⚠️ Не удалось собрать дайджест за {period}. {reason}",
        "en": "⚠️ The digest for {period} could not be built. {reason}",
    },
    "digest.msg.failed_next": {
        "ru": "Следующая попытка — по расписанию: {when}.",
        "en": "The next one is due as scheduled: {when}.",
    },
    "digest.error.no_connection": {
        "ru": "Подключение aiokk, на котором работал дайджест, удалено. Дайджест на паузе: "
        "подключите aiokk заново и возобновите его.",
        "en": "The aiokk connection this digest used has been removed. The digest is paused: "
        "connect aiokk again and resume it.",
    },
    "digest.file_failed": {
        "ru": "⚠️ Файл к дайджесту за {period} не удалось отправить. Чтобы получить его, "
        "нажмите «Отправить сейчас» (или в /digest).",
        "en": "⚠️ The file of the digest for {period} could not be sent. To get it, press "
        "Send now (or find it in /digest).",
    },
    "digest.file_unsure": {
        "ru": "⚠️ Telegram не подтвердил, что файл к дайджесту за {period} дошёл. Если его нет "
        "выше, нажмите «Отправить сейчас» (или в /digest).",
        "en": "⚠️ Telegram did not confirm that the file of the digest for {period} arrived. "
        "If it is not above, press Send now (or find it in /digest).",
    },
    "digest.not_allowed": {
        "ru": "⏸ Дайджест {what} поставлен на паузу: он получал данные из подключения aiokk "
        "пользователя {name}, у которого больше нет доступа к боту. Администратор чата может "
        "возобновить его в /digest — со своим подключением.",
        "en": "⏸ The digest {what} is paused: it used the aiokk connection of {name}, who no "
        "longer has access to this bot. A chat admin can resume it in /digest with their own "
        "connection.",
    },
    "digest.not_allowed.own": {
        "ru": "⏸ Дайджест {what} поставлен на паузу: у вас больше нет доступа к этому боту.",
        "en": "⏸ The digest {what} is paused: you no longer have access to this bot.",
    },
    "digest.listed_only": {
        "ru": "Этого звонка нет в этом дайджесте.",
        "en": "This call is not in this digest.",
    },
    # Buttons under a digest.
    "digest.btn.handled": {"ru": "✓ Обработан", "en": "✓ Handled"},
    "digest.handled_toast": {"ru": "Отмечено ✓", "en": "Marked ✓"},
    "digest.handled_already": {
        "ru": "Уже отметил(а) {name} в {time}.",
        "en": "Already marked by {name} at {time}.",
    },
    "digest.card_sent_private": {
        "ru": "Карточка звонка — в личном чате с ботом.",
        "en": "The call card is in your private chat with the bot.",
    },
    "digest.call_gone": {
        "ru": "Этот звонок больше не найден в aiokk.",
        "en": "This call is no longer found in aiokk.",
    },
    # List and card.
    "digest.list.title": {
        "ru": "📬 <b>Дайджесты этого чата</b>",
        "en": "📬 <b>Digests of this chat</b>",
    },
    "digest.list.empty": {
        "ru": "Пока ни одного. Дайджест присылает плохие звонки за прошлый день "
        "в выбранное время — с графиком и файлом, если нужно.",
        "en": "None yet. A digest sends the previous day's bad calls at the time you choose, "
        "with a chart and a file if you like.",
    },
    "digest.next.at": {"ru": "Следующий: {when}", "en": "Next: {when}"},
    "digest.next.none": {"ru": "Не запланирован", "en": "Not scheduled"},
    "digest.paused.user": {"ru": "⏸ На паузе", "en": "⏸ Paused"},
    "digest.paused.blocked": {
        "ru": "⏸ На паузе: Telegram не даёт писать в этот чат",
        "en": "⏸ Paused: Telegram does not let the bot write to this chat",
    },
    "digest.paused.disconnected": {
        "ru": "⏸ На паузе: подключение aiokk удалено",
        "en": "⏸ Paused: the aiokk connection was removed",
    },
    "digest.paused.not_allowed": {
        "ru": "⏸ На паузе: у владельца подключения больше нет доступа к боту",
        "en": "⏸ Paused: the connection's owner no longer has access to the bot",
    },
    "digest.run.claimed": {
        "ru": "Последний: отправляется ({when})",
        "en": "Last: sending ({when})",
    },
    "digest.run.retry": {
        "ru": "Последний: ждёт повтора ({when})",
        "en": "Last: waiting for a retry ({when})",
    },
    "digest.run.sent": {"ru": "Последний: отправлен {when}", "en": "Last: sent {when}"},
    "digest.run.partial": {
        "ru": "Последний: отправлен без файла ({when})",
        "en": "Last: sent without its file ({when})",
    },
    "digest.run.skipped": {
        "ru": "Последний: плохих звонков не было, пропущен ({when})",
        "en": "Last: no bad calls, skipped ({when})",
    },
    "digest.run.failed": {"ru": "Последний: не удался ({when})", "en": "Last: failed ({when})"},
    "digest.run.missed": {
        "ru": "Последний: пропущен, бот был офлайн ({when})",
        "en": "Last: missed, the bot was offline ({when})",
    },
    "digest.card.title": {"ru": "📬 <b>Дайджест №{id}</b>", "en": "📬 <b>Digest #{id}</b>"},
    "digest.card.draft": {"ru": "📬 <b>Новый дайджест</b>", "en": "📬 <b>New digest</b>"},
    "digest.card.chat": {"ru": "Чат: {title}", "en": "Chat: {title}"},
    "digest.card.topic": {"ru": "Тема: {id}", "en": "Topic: {id}"},
    "digest.card.time": {"ru": "⏰ Время: {value}", "en": "⏰ Time: {value}"},
    "digest.card.period": {"ru": "🗓 Период: {value}", "en": "🗓 Period: {value}"},
    "digest.card.scope": {"ru": "🗂 Звонки: {value}", "en": "🗂 Calls: {value}"},
    "digest.card.rule": {"ru": "⚖️ Плохой звонок: {value}", "en": "⚖️ Bad call: {value}"},
    "digest.card.attach": {"ru": "📎 Вложения: {value}", "en": "📎 Attachments: {value}"},
    "digest.card.empty": {
        "ru": "✅ Если плохих нет: {value}",
        "en": "✅ When there are no bad calls: {value}",
    },
    "digest.card.owner": {"ru": "🔌 Подключение: {name}", "en": "🔌 Connection: {name}"},
    "digest.created": {
        "ru": "✅ Дайджест создан.",
        "en": "✅ The digest is created.",
    },
    "digest.created_toast": {"ru": "Создано", "en": "Created"},
    "digest.saved": {"ru": "Сохранено", "en": "Saved"},
    "digest.paused_now": {"ru": "Поставлено на паузу", "en": "Paused"},
    "digest.resumed_now": {"ru": "Возобновлено", "en": "Resumed"},
    "digest.owner_changed": {
        "ru": "🔌 Теперь дайджест работает на подключении {name}.",
        "en": "🔌 The digest now uses the connection of {name}.",
    },
    "digest.resume_needs_connection": {
        "ru": "Подключения aiokk, на котором работал дайджест, больше нет. "
        "Подключите aiokk в личном чате с ботом и нажмите ещё раз.",
        "en": "The aiokk connection this digest used is gone. Connect aiokk in a private chat "
        "with the bot and press again.",
    },
    "digest.delete_confirm": {
        "ru": "Удалить дайджест {what}?",
        "en": "Delete the digest {what}?",
    },
    "digest.deleted": {"ru": "Удалено", "en": "Deleted"},
    "digest.sending": {"ru": "Собираю дайджест…", "en": "Building the digest…"},
    "digest.preview_failed": {
        "ru": "⚠️ Не удалось собрать дайджест. {reason}",
        "en": "⚠️ The digest could not be built. {reason}",
    },
    "digest.gone": {
        "ru": "Этого дайджеста больше нет.",
        "en": "This digest no longer exists.",
    },
    "digest.draft_gone": {
        "ru": "Черновик устарел — начните заново из списка дайджестов.",
        "en": "This draft has expired: start again from the list of digests.",
    },
    "digest.admin_only": {
        "ru": "Менять дайджесты группы могут только её администраторы.",
        "en": "Only the group's administrators can change its digests.",
    },
    "digest.need_connection": {
        "ru": "Сначала подключите aiokk: дайджест будет работать на вашем подключении.",
        "en": "Connect aiokk first: the digest will use your connection.",
    },
    "digest.need_connection_group": {
        "ru": "Сначала подключите aiokk в личном чате с ботом (токен в группе не вводится). "
        "Дайджест группы будет работать на вашем подключении, и в сообщении будет это видно.",
        "en": "Connect aiokk in a private chat with the bot first (never type the token in a "
        "group). The group's digest will use your connection, and its message will say so.",
    },
    # Wizard and editor screens.
    "digest.ask.time": {
        "ru": "⏰ <b>Во сколько присылать?</b>\nСейчас: {current}\n"
        "Выберите время или введите своё (ЧЧ:ММ); часовой пояс — кнопками ниже.",
        "en": "⏰ <b>When to send it?</b>\nNow: {current}\n"
        "Pick a time or type your own (HH:MM); the time zone is below.",
    },
    "digest.ask.days": {
        "ru": "📅 <b>По каким дням?</b>\nСейчас: {days}\nПериод: {period}\n"
        "Отметьте дни недели, чтобы выбрать их вручную.",
        "en": "📅 <b>On which days?</b>\nNow: {days}\nPeriod: {period}\n"
        "Tick weekdays to choose them yourself.",
    },
    "digest.ask.scope": {
        "ru": "🗂 <b>Какие звонки?</b>\nСейчас: {current}",
        "en": "🗂 <b>Which calls?</b>\nNow: {current}",
    },
    "digest.ask.scope_dep": {"ru": "Выберите отдел:", "en": "Choose a department:"},
    "digest.ask.scope_op": {"ru": "Выберите оператора:", "en": "Choose an operator:"},
    "digest.ask.scope_qp": {"ru": "Выберите пакет вопросов:", "en": "Choose a question pack:"},
    "digest.ask.scope_dep_none": {
        "ru": "Бот ещё не видел отделов в ваших звонках. Введите номер отдела.",
        "en": "The bot has not seen any departments in your calls yet. Type a department id.",
    },
    "digest.ask.scope_op_none": {
        "ru": "Бот ещё не видел операторов в ваших звонках. Введите имя оператора.",
        "en": "The bot has not seen any operators in your calls yet. Type an operator's name.",
    },
    "digest.ask.scope_qp_none": {
        "ru": "Бот ещё не видел пакетов вопросов. Введите номер пакета.",
        "en": "The bot has not seen any question packs yet. Type a pack id.",
    },
    "digest.ask.rule": {
        "ru": "⚖️ <b>Что считать плохим звонком?</b>\nСейчас: {rule}\n"
        "Любое из включённых условий; −/+ меняют порог.",
        "en": "⚖️ <b>What is a bad call?</b>\nNow: {rule}\n"
        "Any of the switched-on conditions; −/+ change the threshold.",
    },
    "digest.ask.signals": {
        "ru": "🔔 <b>Сигнальные слова</b>\nВыбраны: {chosen}\n"
        "Звонок плохой, если в нём прозвучало любое из них — целыми словами, без учёта"
        " регистра и ё, как в фильтре /calls: «дорого» найдёт «очень дорого»,"
        " но не «дороговато».",
        "en": "🔔 <b>Signal words</b>\nChosen: {chosen}\nA call is bad when any of them was heard"
        " — as whole words, ignoring case and ё/е, as the /calls filter does: «дорого» finds"
        " «очень дорого», not «дороговато».",
    },
    "digest.signals.none": {"ru": "нет", "en": "none"},
    "digest.ask.file": {
        "ru": "📎 <b>Что приложить?</b>\nСейчас: {current}\nЕсли плохих звонков нет: {empty}",
        "en": "📎 <b>What to attach?</b>\nNow: {current}\nWhen there are no bad calls: {empty}",
    },
    "digest.ask.confirm": {
        "ru": "Проверьте и создайте дайджест:",
        "en": "Check and create the digest:",
    },
    "digest.type_time": {
        "ru": "Введите время в формате ЧЧ:ММ, например 08:30.",
        "en": "Type the time as HH:MM, e.g. 08:30.",
    },
    "digest.type_tz": {
        "ru": "Напишите город или смещение от UTC: Алматы, МСК, UTC+5.",
        "en": "Type a city or an offset from UTC: Almaty, Moscow, UTC+5.",
    },
    "digest.type_dep": {"ru": "Введите номер отдела.", "en": "Type the department id."},
    "digest.type_op": {
        "ru": "Введите имя оператора или его часть: в дайджест попадут звонки всех операторов, "
        "чьё имя содержит этот текст. Чтобы выбрать одного человека, нажмите его кнопку.",
        "en": "Type an operator's name or part of it: the digest will take the calls of every "
        "operator whose name contains it. To choose one person, press their button.",
    },
    "digest.type_qp": {"ru": "Введите номер пакета вопросов.", "en": "Type the question pack id."},
    "digest.type_signal": {
        "ru": "Введите сигнальные слова или фразы через запятую. Ищу целые слова, без учёта"
        " регистра и ё.",
        "en": "Type signal words or phrases separated by commas. Whole words are matched,"
        " ignoring case and ё/е.",
    },
    # Placeholders in the reply field of a group's reply request (at most 64 characters).
    "digest.placeholder.time": {"ru": "например, 08:30", "en": "e.g. 08:30"},
    "digest.placeholder.dep": {"ru": "номер отдела", "en": "department id"},
    "digest.placeholder.op": {"ru": "имя оператора", "en": "operator's name"},
    "digest.placeholder.qp": {"ru": "номер пакета вопросов", "en": "question pack id"},
    "digest.placeholder.signal": {"ru": "жалоба, возврат", "en": "complaint, refund"},
    "digest.time_invalid": {
        "ru": "Не похоже на время. Введите ЧЧ:ММ, например 09:15.",
        "en": "That is not a time. Type HH:MM, e.g. 09:15.",
    },
    "digest.id_invalid": {
        "ru": "Нужен номер — только цифры.",
        "en": "A number is needed: digits only.",
    },
    "digest.signal_invalid": {
        "ru": "Не вижу слов. Введите их через запятую.",
        "en": "No words found. Type them separated by commas.",
    },
    "digest.btn.new": {"ru": "➕ Новый дайджест", "en": "➕ New digest"},
    "digest.btn.list": {"ru": "◀️ К списку", "en": "◀️ To the list"},
    "digest.btn.time": {"ru": "⏰ Время", "en": "⏰ Time"},
    "digest.btn.days": {"ru": "📅 Дни", "en": "📅 Days"},
    "digest.btn.scope": {"ru": "🗂 Звонки", "en": "🗂 Calls"},
    "digest.btn.rule": {"ru": "⚖️ Правило", "en": "⚖️ Rule"},
    "digest.btn.file": {"ru": "📎 Вложения", "en": "📎 Attachments"},
    "digest.btn.send_now": {"ru": "📨 Отправить сейчас", "en": "📨 Send now"},
    "digest.btn.pause": {"ru": "⏸ Пауза", "en": "⏸ Pause"},
    "digest.btn.resume": {"ru": "▶️ Возобновить", "en": "▶️ Resume"},
    "digest.btn.delete": {"ru": "🗑 Удалить", "en": "🗑 Delete"},
    "digest.btn.delete_yes": {"ru": "Да, удалить", "en": "Yes, delete"},
    "digest.btn.delete_no": {"ru": "Нет", "en": "No"},
    "digest.btn.done": {"ru": "✔️ Готово", "en": "✔️ Done"},
    "digest.btn.next": {"ru": "Далее ▶️", "en": "Next ▶️"},
    "digest.btn.create": {"ru": "✅ Создать", "en": "✅ Create"},
    "digest.btn.type_time": {"ru": "⌨️ Своё время", "en": "⌨️ Type a time"},
    "digest.btn.type_tz": {"ru": "⌨️ Другой пояс", "en": "⌨️ Other zone"},
    "digest.btn.period_auto": {"ru": "с прошлого", "en": "since last"},
    "digest.btn.period_day": {"ru": "вчера", "en": "yesterday"},
    "digest.btn.period_week": {"ru": "7 дней", "en": "7 days"},
    "digest.btn.scope_all": {"ru": "Все звонки", "en": "All calls"},
    "digest.btn.scope_dep": {"ru": "🏢 Отдел", "en": "🏢 Department"},
    "digest.btn.scope_op": {"ru": "👤 Оператор", "en": "👤 Operator"},
    "digest.btn.scope_qp": {"ru": "📋 Пакет вопросов", "en": "📋 Question pack"},
    "digest.btn.type_dep": {"ru": "⌨️ Ввести номер", "en": "⌨️ Type an id"},
    "digest.btn.type_op": {"ru": "⌨️ Ввести имя", "en": "⌨️ Type a name"},
    "digest.btn.type_qp": {"ru": "⌨️ Ввести номер", "en": "⌨️ Type an id"},
    "digest.btn.signals": {"ru": "сигнальные слова ({n})", "en": "signal words ({n})"},
    "digest.btn.type_signal": {"ru": "⌨️ Ввести слова", "en": "⌨️ Type words"},
    "digest.btn.chart": {"ru": "график", "en": "chart"},
    "digest.btn.skip_empty": {
        "ru": "не присылать, если плохих нет",
        "en": "skip when there are no bad calls",
    },
    # Weekly and monthly digests.
    "digest.month_names": {
        "ru": "январь,февраль,март,апрель,май,июнь,июль,август,сентябрь,октябрь,ноябрь,декабрь",
        "en": "January,February,March,April,May,June,July,August,September,October,November,"
        "December",
    },
    "digest.weekly_on": {
        "ru": "по понедельникам,по вторникам,по средам,по четвергам,по пятницам,по субботам,"
        "по воскресеньям",
        "en": "on Mondays,on Tuesdays,on Wednesdays,on Thursdays,on Fridays,on Saturdays,"
        "on Sundays",
    },
    "digest.days.monthly": {"ru": "1-го числа каждого месяца", "en": "on the 1st of each month"},
    "digest.schedule.periodic": {
        "ru": "{days} в {time} ({tz}), {period}",
        "en": "{days} at {time} ({tz}), {period}",
    },
    "digest.period.weekly": {"ru": "за прошлую неделю", "en": "for the previous week"},
    "digest.period.monthly": {"ru": "за прошлый месяц", "en": "for the previous month"},
    "digest.period.weekly_full": {
        "ru": "прошлая неделя, пн–вс, с отчётом по операторам и трендом за 8 недель",
        "en": "the previous week, Mon–Sun, with a per-operator report and an 8-week trend",
    },
    "digest.period.monthly_full": {
        "ru": "прошлый месяц, с отчётом по операторам и трендом за 6 месяцев",
        "en": "the previous month, with a per-operator report and a 6-month trend",
    },
    "digest.previous.weekly": {"ru": "прошлой неделе", "en": "the previous week"},
    "digest.previous.monthly": {"ru": "прошлому месяцу", "en": "the previous month"},
    "digest.btn.cadence_weekly": {"ru": "Раз в неделю", "en": "Weekly"},
    "digest.btn.cadence_monthly": {"ru": "Раз в месяц", "en": "Monthly"},
    "digest.ask.days_weekly": {
        "ru": "📅 <b>Как часто?</b>\nСейчас: {days}\nПериод: {period}\n"
        "Нажмите день недели, в который присылать отчёт.",
        "en": "📅 <b>How often?</b>\nNow: {days}\nPeriod: {period}\n"
        "Press the weekday to send the report on.",
    },
    "digest.ask.days_monthly": {
        "ru": "📅 <b>Как часто?</b>\nСейчас: {days}\nПериод: {period}",
        "en": "📅 <b>How often?</b>\nNow: {days}\nPeriod: {period}",
    },
    # The weekly or monthly report message.
    "report.period.title_week": {
        "ru": "📊 <b>Отчёт за неделю {period}</b>",
        "en": "📊 <b>Report for the week {period}</b>",
    },
    "report.period.title_month": {
        "ru": "📊 <b>Отчёт за {period}</b>",
        "en": "📊 <b>Report for {period}</b>",
    },
    "report.period.team": {
        "ru": "Команда: {calls} звонков (было {calls_before}) · скрипт {script} ({script_change})"
        " по {scored} звонкам с оценкой скрипта · плохих {bad}, {share} ({share_change} п.п.)",
        "en": "Team: {calls} calls (was {calls_before}) · script {script} ({script_change})"
        " over {scored} calls with a script score · bad {bad}, {share} ({share_change} pp)",
    },
    "report.period.table_week": {
        "ru": "👤 <b>По операторам</b> (Δ — к прошлой неделе)",
        "en": "👤 <b>By operator</b> (Δ: vs the previous week)",
    },
    "report.period.table_month": {
        "ru": "👤 <b>По операторам</b> (Δ — к прошлому месяцу)",
        "en": "👤 <b>By operator</b> (Δ: vs the previous month)",
    },
    "report.period.columns": {"ru": "Звон,Оцен,Скр,Плох,Доля", "en": "Calls,Rate,Scr,Bad,Share"},
    "report.period.absent_now": {
        "ru": "  нет звонков (было {n})",
        "en": "  no calls (was {n})",
    },
    "report.period.absent_before": {
        "ru": "Δ не было звонков раньше",
        "en": "Δ no calls before",
    },
    "report.period.more": {
        "ru": "…и ещё {n} операторов не поместились.",
        "en": "…and {n} more operators did not fit.",
    },
    "report.period.more_in_file": {
        "ru": "…и ещё {n} операторов — все в файле Excel, лист «Операторы».",
        "en": "…and {n} more operators: all are in the Excel file, sheet “Operators”.",
    },
    "report.period.movers_rule": {
        "ru": "🏁 <b>Изменения</b>: по разнице среднего % скрипта (как показан) с прошлым "
        "периодом, среди операторов с ≥ {n} звонками с оценкой скрипта в обоих периодах.",
        "en": "🏁 <b>Movers</b>: by the change of the average script % (as shown) against the "
        "previous period, among operators with ≥ {n} calls with a script score in both periods.",
    },
    "report.period.no_ranking": {
        "ru": "Рейтинга нет: меньше двух операторов с ≥ {n} звонками в обоих периодах.",
        "en": "No ranking: fewer than two operators with ≥ {n} calls in both periods.",
    },
    "report.period.improved": {"ru": "📈 Лучше всех:", "en": "📈 Most improved:"},
    "report.period.declined": {"ru": "📉 Хуже всех:", "en": "📉 Most declined:"},
    "report.period.improved_none": {"ru": "никто не вырос", "en": "nobody improved"},
    "report.period.declined_none": {"ru": "никто не просел", "en": "nobody declined"},
    "report.period.mover": {
        "ru": "{n}. {name}: скрипт {before} → {now} % ({change}), доля плохих {bad} п.п.",
        "en": "{n}. {name}: script {before} → {now} % ({change}), bad share {bad} pp",
    },
    "report.period.fallen": {
        "ru": "📋 <b>Просевшие пункты скрипта</b> — средняя оценка пункта в своём наборе "
        "вопросов, пункты с ≥ {n} оценками в обоих периодах:",
        "en": "📋 <b>Script criteria that fell</b>: a criterion's average mark within its "
        "question pack, criteria marked in ≥ {n} calls in both periods:",
    },
    "report.period.fallen_none": {"ru": "ни один не просел", "en": "none fell"},
    "report.period.fallen_item": {
        "ru": " · п. {number}: {before} → {now} ({change}), {calls} оценок",
        "en": " · item {number}: {before} → {now} ({change}), {calls} marks",
    },
    "report.period.fallen_more": {
        "ru": "…и ещё в {n} наборах вопросов.",
        "en": "…and in {n} more question packs.",
    },
    "report.period.pack_id": {"ru": "Набор вопросов {id}", "en": "Question pack {id}"},
    "report.period.legend_week": {
        "ru": "<i>Звон — звонков; Оцен — средняя оценка клиента по звонкам с оценкой; Скр — "
        "средний % скрипта по звонкам с оценкой скрипта; Плох — плохие звонки; Доля — плохие "
        "от всех звонков оператора. Δ — разница показанных значений с прошлой неделей (для "
        "процентов — в п.п.). Неделя — пн–вс по местному времени. Плохой звонок: {rule}.</i>",
        "en": "<i>Calls; Rate: the average client rating over rated calls; Scr: the average "
        "script % over calls with a script score; Bad: bad calls; Share: bad of all the "
        "operator's calls. Δ: the shown figure minus the previous week's (percent figures in "
        "pp). A week is Mon–Sun, local time. Bad call: {rule}.</i>",
    },
    "report.period.legend_month": {
        "ru": "<i>Звон — звонков; Оцен — средняя оценка клиента по звонкам с оценкой; Скр — "
        "средний % скрипта по звонкам с оценкой скрипта; Плох — плохие звонки; Доля — плохие "
        "от всех звонков оператора. Δ — разница показанных значений с прошлым месяцем (для "
        "процентов — в п.п.). Месяц — по местному времени. Плохой звонок: {rule}.</i>",
        "en": "<i>Calls; Rate: the average client rating over rated calls; Scr: the average "
        "script % over calls with a script score; Bad: bad calls; Share: bad of all the "
        "operator's calls. Δ: the shown figure minus the previous month's (percent figures in "
        "pp). Months in local time. Bad call: {rule}.</i>",
    },
    "report.period.sheet": {"ru": "Операторы", "en": "Operators"},
    "report.period.sheet_name": {"ru": "Оператор", "en": "Operator"},
    "report.period.sheet_columns": {
        "ru": "Звонков,Средняя оценка,Звонков с оценкой скрипта,Средний % скрипта,Плохих,"
        "Доля плохих %",
        "en": "Calls,Average rating,Calls with a script score,Average script %,Bad calls,"
        "Bad share %",
    },
    "report.period.sheet_before": {"ru": "{name} (прошлый период)", "en": "{name} (previous)"},
    "report.period.sheet_note": {
        "ru": "Средняя оценка — по звонкам с оценкой клиента; средний % скрипта — по звонкам "
        "с оценкой скрипта; доля плохих — плохие от всех звонков оператора.",
        "en": "Average rating over calls with a client rating; average script % over calls "
        "with a script score; bad share: bad calls of all the operator's calls.",
    },
    # Disconnecting.
    "digest.disconnect.paused": {
        "ru": "Эти дайджесты работали на вашем подключении и поставлены на паузу:\n{items}",
        "en": "These digests used your connection and are now paused:\n{items}",
    },
}
