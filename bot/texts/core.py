"""User-facing texts: start, connection, settings, menus and errors."""

TEXTS: dict[str, dict[str, str]] = {
    # Start and help
    "start.greeting": {
        "ru": (
            "👋 Здравствуйте, {name}!\n\n"
            "Я показываю аналитику звонков aiokk прямо в Telegram: сводки, плохие звонки, "
            "карточки звонков и выгрузки в Excel/CSV.\n"
            "Каждое утро могу присылать дайджест вчерашних плохих звонков."
        ),
        "en": (
            "👋 Hello, {name}!\n\n"
            "I bring aiokk call analytics to Telegram: summaries, bad calls, call cards "
            "and Excel/CSV exports.\n"
            "Every morning I can send a digest of yesterday's bad calls."
        ),
    },
    "start.connected": {
        "ru": "Подключено: <b>{host}</b>. Выберите раздел.",
        "en": "Connected to <b>{host}</b>. Choose a section.",
    },
    "help.text": {
        "ru": (
            "<b>Команды</b>\n"
            "/start — главное меню\n"
            "/calls — звонки: фильтры, сводка, выгрузки\n"
            "/op <i>имя</i> — карточка оператора\n"
            "/digest — дайджесты и отчёты: за день, неделю, месяц\n"
            "/alerts — алерты о критичных звонках за минуты\n"
            "/connect — подключить aiokk\n"
            "/status — текущее подключение\n"
            "/disconnect — отключить aiokk\n"
            "/settings — язык, часовой пояс, CSV\n"
            "/cancel — отменить текущее действие\n"
            "/help — эта справка"
        ),
        "en": (
            "<b>Commands</b>\n"
            "/start — main menu\n"
            "/calls — calls: filters, summary, exports\n"
            "/op <i>name</i> — operator scorecard\n"
            "/digest — digests and reports: daily, weekly, monthly\n"
            "/alerts — alerts on critical calls within minutes\n"
            "/connect — connect aiokk\n"
            "/status — current connection\n"
            "/disconnect — disconnect aiokk\n"
            "/settings — language, time zone, CSV\n"
            "/cancel — cancel the current action\n"
            "/help — this help"
        ),
    },
    "cmd.start": {"ru": "Главное меню", "en": "Main menu"},
    "cmd.calls": {"ru": "Звонки: сводка и выгрузки", "en": "Calls: summary and exports"},
    "cmd.op": {"ru": "Карточка оператора", "en": "Operator scorecard"},
    "cmd.digest": {"ru": "Дайджесты и отчёты", "en": "Digests and reports"},
    "cmd.connect": {"ru": "Подключить aiokk", "en": "Connect aiokk"},
    "cmd.status": {"ru": "Текущее подключение", "en": "Current connection"},
    "cmd.settings": {"ru": "Настройки", "en": "Settings"},
    "cmd.help": {"ru": "Справка", "en": "Help"},
    "cmd.cancel": {"ru": "Отменить действие", "en": "Cancel the current action"},
    # Buttons
    "btn.connect": {"ru": "🔌 Подключить aiokk", "en": "🔌 Connect aiokk"},
    "btn.demo": {"ru": "🧪 Попробовать демо", "en": "🧪 Try the demo"},
    "btn.calls": {"ru": "📞 Звонки", "en": "📞 Calls"},
    "btn.operator": {"ru": "👤 Оператор", "en": "👤 Operator"},
    "btn.digests": {"ru": "📬 Дайджесты", "en": "📬 Digests"},
    "btn.settings": {"ru": "⚙️ Настройки", "en": "⚙️ Settings"},
    "btn.menu": {"ru": "🏠 Меню", "en": "🏠 Menu"},
    "btn.back": {"ru": "◀️ Назад", "en": "◀️ Back"},
    "btn.cancel": {"ru": "✖️ Отмена", "en": "✖️ Cancel"},
    "btn.retry": {"ru": "🔄 Повторить", "en": "🔄 Retry"},
    "btn.yes_disconnect": {"ru": "Да, отключить", "en": "Yes, disconnect"},
    "btn.keep": {"ru": "Нет, оставить", "en": "No, keep it"},
    "btn.open_private": {"ru": "Написать боту лично", "en": "Message the bot privately"},
    # Menu
    "menu.title": {
        "ru": "🏠 <b>Главное меню</b>\nПодключение: <b>{host}</b>",
        "en": "🏠 <b>Main menu</b>\nConnection: <b>{host}</b>",
    },
    "menu.not_connected": {
        "ru": "Сначала подключите aiokk: /connect",
        "en": "Connect aiokk first: /connect",
    },
    # Connect flow
    "connect.ask_address": {
        "ru": (
            "🔌 <b>Подключение aiokk</b>\n\n"
            "Шаг 1 из 2. Пришлите адрес вашего кабинета aiokk, например "
            "<code>company.aiokk.io</code>."
        ),
        "en": (
            "🔌 <b>Connect aiokk</b>\n\n"
            "Step 1 of 2. Send the address of your aiokk instance, for example "
            "<code>company.aiokk.io</code>."
        ),
    },
    "connect.ask_token": {
        "ru": (
            "🔌 <b>Подключение к {host}</b>\n\n"
            "Пришлите токен API. Его можно получить в кабинете aiokk на странице "
            "«Экспорт через API».\n"
            "Сообщение с токеном я сразу удалю, а сам токен сохраню в зашифрованном виде."
        ),
        "en": (
            "🔌 <b>Connecting to {host}</b>\n\n"
            "Send your API token. You can get it in your aiokk cabinet on the "
            '"Экспорт через API" (API export) page.\n'
            "I will delete the message with the token at once and keep the token encrypted."
        ),
    },
    "connect.address_invalid": {
        "ru": (
            "Не похоже на адрес кабинета. Пришлите адрес вида <code>company.aiokk.io</code> "
            "или <code>https://company.aiokk.io</code>."
        ),
        "en": (
            "That does not look like an instance address. Send something like "
            "<code>company.aiokk.io</code> or <code>https://company.aiokk.io</code>."
        ),
    },
    "connect.address_https_required": {
        "ru": "Нужен защищённый адрес: <code>https://…</code>. Пришлите адрес ещё раз.",
        "en": "A secure address is required: <code>https://…</code>. Please send it again.",
    },
    "connect.token_invalid_format": {
        "ru": "Токен должен быть одной строкой без пробелов. Пришлите токен ещё раз.",
        "en": "The token must be a single line without spaces. Please send it again.",
    },
    "connect.checking": {
        "ru": "⏳ Проверяю токен…",
        "en": "⏳ Checking the token…",
    },
    "connect.done": {
        "ru": "✅ Готово! Подключено к <b>{host}</b>, токен {masked}.",
        "en": "✅ Done! Connected to <b>{host}</b>, token {masked}.",
    },
    "connect.failed": {
        "ru": "❌ {reason}\n\nНичего не сохранено. Пришлите другой токен или нажмите «Отмена».",
        "en": "❌ {reason}\n\nNothing was saved. Send another token or press Cancel.",
    },
    "connect.private_only": {
        "ru": (
            "🔒 Токены принимаю только в личном чате с ботом. "
            "Напишите мне лично — там можно подключить aiokk."
        ),
        "en": ("🔒 I accept tokens only in a private chat. Message me privately to connect aiokk."),
    },
    "connect.token_deleted_group": {
        "ru": (
            "🔒 В сообщении был токен aiokk — я удалил его. Его могли увидеть участники чата: "
            "отзовите этот токен в кабинете aiokk («Экспорт через API») и подключитесь "
            "в личном чате с ботом."
        ),
        "en": (
            "🔒 That message held an aiokk token, so I deleted it. Members may have seen it: "
            'revoke that token in your aiokk cabinet ("Export via API") and connect in a '
            "private chat with the bot."
        ),
    },
    "connect.token_not_deleted_group": {
        "ru": (
            "⚠️ В сообщении выше токен aiokk, а удалить его я не смог (нужно право удалять). "
            "Удалите сообщение, отзовите этот токен в кабинете aiokk («Экспорт через API») "
            "и подключитесь в личном чате с ботом."
        ),
        "en": (
            "⚠️ The message above holds an aiokk token and I could not delete it, it takes a right. "
            'Delete the message, revoke that token in your aiokk cabinet ("Export via API") '
            "and connect in a private chat with the bot."
        ),
    },
    "connect.token_not_deleted": {
        "ru": (
            "⚠️ Не получилось удалить сообщение с токеном: Telegram не ответил. "
            "Удалите его сами, пожалуйста."
        ),
        "en": (
            "⚠️ I could not delete the message with your token: Telegram did not answer. "
            "Please delete it yourself."
        ),
    },
    "connect.cancelled": {"ru": "Подключение отменено.", "en": "Connection cancelled."},
    "connect.demo_unavailable": {
        "ru": "Демо-режим выключен. Подключите свой кабинет aiokk: /connect",
        "en": "The demo is not enabled. Connect your aiokk instance: /connect",
    },
    "connect.demo_done": {
        "ru": "🧪 Подключено демо с тестовыми данными. Можно пробовать!",
        "en": "🧪 Connected to the demo with sample data. Go ahead!",
    },
    # Status and disconnect
    "status.connected": {
        "ru": (
            "🔌 <b>Подключение</b>\n"
            "Кабинет: <b>{host}</b>\n"
            "Токен: <code>{masked}</code>\n"
            "Подключено: {created}\n"
            "Проверено: {checked}"
        ),
        "en": (
            "🔌 <b>Connection</b>\n"
            "Instance: <b>{host}</b>\n"
            "Token: <code>{masked}</code>\n"
            "Connected: {created}\n"
            "Checked: {checked}"
        ),
    },
    "status.none": {
        "ru": "aiokk не подключён. Подключить: /connect",
        "en": "aiokk is not connected. Connect: /connect",
    },
    "disconnect.confirm": {
        "ru": "Отключить <b>{host}</b>? Токен будет удалён.",
        "en": "Disconnect <b>{host}</b>? The token will be deleted.",
    },
    "disconnect.done": {
        "ru": "Отключено. Токен удалён. Подключить снова: /connect",
        "en": "Disconnected. The token was deleted. Connect again: /connect",
    },
    "disconnect.kept": {"ru": "Подключение сохранено.", "en": "The connection is kept."},
    # Settings
    "settings.title": {
        "ru": (
            "⚙️ <b>Настройки</b>\n"
            "Язык: <b>{language}</b>\n"
            "Часовой пояс: <b>{timezone}</b>\n"
            "Разделитель CSV: <b>{delimiter}</b>"
        ),
        "en": (
            "⚙️ <b>Settings</b>\n"
            "Language: <b>{language}</b>\n"
            "Time zone: <b>{timezone}</b>\n"
            "CSV separator: <b>{delimiter}</b>"
        ),
    },
    "settings.btn_language": {"ru": "🌐 Язык", "en": "🌐 Language"},
    "settings.btn_timezone": {"ru": "🕒 Часовой пояс", "en": "🕒 Time zone"},
    "settings.btn_delimiter": {"ru": "📄 Разделитель CSV", "en": "📄 CSV separator"},
    "settings.btn_type_timezone": {"ru": "⌨️ Ввести другой", "en": "⌨️ Type another"},
    "settings.choose_language": {"ru": "Выберите язык:", "en": "Choose a language:"},
    "settings.choose_timezone": {
        "ru": (
            "Выберите часовой пояс или напишите город или смещение: "
            "<code>Ташкент</code>, <code>МСК</code>, <code>UTC+5</code>."
        ),
        "en": (
            "Choose a time zone or type a city or an offset: "
            "<code>Tashkent</code>, <code>Moscow</code>, <code>UTC+5</code>."
        ),
    },
    "settings.type_timezone": {
        "ru": (
            "Напишите город или смещение от UTC: <code>Алматы</code>, <code>Москва</code>, "
            "<code>UTC+3</code> или <code>Europe/Berlin</code>."
        ),
        "en": (
            "Type a city or an offset from UTC: <code>Almaty</code>, <code>Moscow</code>, "
            "<code>UTC+3</code> or <code>Europe/Berlin</code>."
        ),
    },
    "settings.choose_delimiter": {
        "ru": "Разделитель для CSV: «;» удобен для Excel с русской локалью, «,» — для остальных.",
        "en": 'CSV separator: ";" suits Russian-locale Excel, "," suits the rest.',
    },
    "settings.saved": {"ru": "Сохранено ✅", "en": "Saved ✅"},
    "settings.admin_only": {
        "ru": "Настройки группы могут менять только её администраторы.",
        "en": "Only the group's administrators can change its settings.",
    },
    "language.name": {"ru": "Русский", "en": "English"},
    # Access and generic errors
    "access.denied": {
        "ru": (
            "Извините, этот бот доступен только сотрудникам компании. Обратитесь к администратору."
        ),
        "en": "Sorry, this bot is available only to the company's staff. Please contact the admin.",
    },
    "error.unexpected": {
        "ru": "😔 Что-то пошло не так. Попробуйте ещё раз (код ошибки {error_id}).",
        "en": "😔 Something went wrong. Please try again (error id {error_id}).",
    },
    "prompt.reply": {
        "ru": "{who}, ответьте на это сообщение.\n\n{question}",
        "en": "{who}, please reply to this message.\n\n{question}",
    },
    "prompt.not_yours": {
        "ru": "На этот вопрос отвечает тот, к кому он обращён: он открыл это меню.",
        "en": "This question is for the person it names: they opened this menu.",
    },
    "error.stale": {
        "ru": "Это меню устарело. Начните заново: /calls или /start",
        "en": "This menu is out of date. Start again: /calls or /start",
    },
    "error.unknown_command": {
        "ru": "Не понял сообщение. Список команд: /help",
        "en": "I did not understand that. Commands: /help",
    },
    "error.cancelled": {"ru": "Действие отменено.", "en": "Cancelled."},
    "error.nothing_to_cancel": {"ru": "Нечего отменять.", "en": "Nothing to cancel."},
    "error.still_failing": {
        "ru": "🔁 Повтор в {time} — всё ещё не получается.",
        "en": "🔁 Retried at {time}: still failing.",
    },
    # aiokk errors, one sentence each
    "aiokk.not_paid": {
        "ru": "Доступ к API aiokk не оплачен или истёк. Продлите подписку в кабинете aiokk.",
        "en": "aiokk API access is unpaid or has expired. Renew it in your aiokk cabinet.",
    },
    "aiokk.disabled": {
        "ru": "Доступ к API отключён для вашего кабинета. Обратитесь в поддержку aiokk.",
        "en": "API access is disabled for your account. Please contact aiokk support.",
    },
    "aiokk.token_not_found": {
        "ru": "Токен не найден. Проверьте его на странице «Экспорт через API» в кабинете aiokk.",
        "en": 'Token not found. Check it on the "Экспорт через API" page of your aiokk cabinet.',
    },
    "aiokk.unavailable": {
        "ru": "Сервер aiokk сейчас недоступен. Попробуйте через несколько минут.",
        "en": "The aiokk server is unavailable right now. Please try again in a few minutes.",
    },
    "aiokk.bad_response": {
        "ru": "Сервер aiokk ответил неожиданно. Проверьте адрес кабинета или попробуйте позже.",
        "en": "The aiokk server gave an unexpected answer. Check the address or try later.",
    },
    "aiokk.not_public": {
        "ru": (
            "Это не публичный адрес aiokk, поэтому я к нему не подключаюсь; если ваш aiokk "
            "работает во внутренней сети, администратор бота может разрешить такие адреса "
            "настройкой <code>AIOKK_ALLOW_PRIVATE=true</code>."
        ),
        "en": (
            "That is not a public aiokk address, so I will not connect to it; if your aiokk "
            "runs on a private network, the bot's administrator can allow such addresses "
            "with <code>AIOKK_ALLOW_PRIVATE=true</code>."
        ),
    },
    "aiokk.invalid_argument": {
        "ru": "Недопустимое значение фильтра.",
        "en": "That filter value is not allowed.",
    },
    # Exports interrupted by a restart
    "export.interrupted": {
        "ru": "⚠️ Бот перезапустился, пока готовил {fmt}, и файл не был отправлен. "
        "Нажмите «Повторить», чтобы подготовить его заново.",
        "en": "⚠️ The bot restarted while preparing the {fmt} file, so it was not sent. "
        "Press Retry to prepare it again.",
    },
    "export.retry_own": {
        "ru": "Повторить может только тот, кто запросил файл.",
        "en": "Only the person who asked for the file can retry it.",
    },
}
