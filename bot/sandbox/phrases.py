"""Phrase pools the sandbox assembles AI-style texts from, in English and Russian.

Pools are keyed by language ("en"/"ru") and by a quality band ("good", "mid",
"bad"). Some entries deliberately contain ``<``, ``>``, ``&``, quotes and ``/``
because real summaries quote what clients said and typed; renderers must escape
them.
"""

from __future__ import annotations

Pool = dict[str, tuple[str, ...]]

SUMMARY_OPENINGS: dict[str, dict[int, tuple[str, ...]]] = {
    "en": {
        1: (
            "The operator called the client back about a recent request.",
            "The operator made an outgoing call to follow up on the client's order.",
            "The conversation began with the operator introducing themselves and the company.",
        ),
        2: (
            "The client called the company with a question.",
            "The conversation began with greetings from both the operator and the customer.",
            "An incoming call from a returning customer.",
        ),
        3: (
            "The call was transferred to the operator from the main line.",
            "The client was redirected from another department and had to explain the issue again.",
        ),
        4: (
            "The operator returned a missed call left by the client.",
            "This was a callback requested by the client through the website form.",
        ),
    },
    "ru": {
        1: (
            "Оператор перезвонил клиенту по недавней заявке.",
            "Исходящий звонок: оператор уточнял детали заказа клиента.",
            "Разговор начался с того, что оператор представился и назвал компанию.",
        ),
        2: (
            "Клиент позвонил в компанию с вопросом.",
            "Разговор начался с взаимного приветствия оператора и клиента.",
            "Входящий звонок от постоянного клиента.",
        ),
        3: (
            "Звонок был переведён на оператора с общей линии.",
            "Клиента перенаправили из другого отдела, и ему пришлось повторить вопрос.",
        ),
        4: (
            "Оператор перезвонил по пропущенному вызову клиента.",
            "Обратный звонок по заявке, оставленной клиентом на сайте.",
        ),
    },
}

SUMMARY_TOPICS: dict[str, Pool] = {
    "en": {
        "sales": (
            "The client was interested in the tariff plans and asked about the price.",
            'The client asked whether the "Business+" plan costs < 10 000 ₸ a month & includes '
            "free delivery.",
            "The client compared the offer with a competitor's and asked for a discount.",
            'The client quoted the website banner "<b>-30% today only</b>" and asked why the '
            "discount was not applied.",
            "The client wanted to upgrade the current subscription for the whole team.",
        ),
        "support": (
            "The client reported that the mobile app stopped accepting the password.",
            "The client complained about an internet outage at home that lasted two days.",
            "The client could not find the invoice in the personal account and asked for a copy.",
            "The client said the support line is supposed to work 24/7 but nobody answered at "
            "night.",
            "The client asked how to connect a second device to the account.",
        ),
        "general": (
            "The client asked about the company's working hours and the nearest office.",
            "The client wanted to change the phone number in the contract.",
            "The client asked for the status of an application submitted last week.",
            "The client referred to the page example.kz/help/faq and asked for clarification.",
        ),
        "refund": (
            "The client demanded a refund for a service that had not been provided.",
            "The client asked how long a refund to the card usually takes.",
            "The client returned a defective item and wanted the money back the same day.",
        ),
        "delivery": (
            "The operator confirmed the order and the delivery address.",
            "The client complained that the courier was late & did not call in advance.",
            "The client asked to move the delivery to the evening, after 19:00.",
            'The client asked for order No. 4521/17 to be delivered "to the door".',
        ),
    },
    "ru": {
        "sales": (
            "Клиент интересовался тарифами и спрашивал о стоимости.",
            "Клиент уточнил, действует ли тариф «Бизнес+» при сумме < 10 000 ₸ & нужна ли "
            "предоплата.",
            "Клиент сравнивал предложение с конкурентами и просил скидку.",
            'Клиент сослался на баннер "<b>-30% только сегодня</b>" на сайте и спросил, почему '
            "скидка не применилась.",
            "Клиент хотел расширить подписку на весь отдел.",
        ),
        "support": (
            "Клиент сообщил, что мобильное приложение перестало принимать пароль.",
            "Клиент пожаловался на отсутствие интернета дома в течение двух дней.",
            "Клиент не нашёл счёт в личном кабинете и попросил выслать копию.",
            "Клиент заметил, что поддержка должна работать 24/7, но ночью никто не ответил.",
            "Клиент спросил, как подключить второе устройство к аккаунту.",
        ),
        "general": (
            "Клиент спрашивал о графике работы и ближайшем офисе.",
            "Клиент хотел изменить номер телефона в договоре.",
            "Клиент уточнял статус заявки, поданной на прошлой неделе.",
            "Клиент сослался на страницу example.kz/help/faq и попросил пояснений.",
        ),
        "refund": (
            "Клиент требовал вернуть деньги за неоказанную услугу.",
            "Клиент спросил, сколько обычно идёт возврат на карту.",
            "Клиент вернул бракованный товар и хотел получить деньги в тот же день.",
        ),
        "delivery": (
            "Оператор подтвердил заказ и адрес доставки.",
            "Клиент пожаловался, что курьер опоздал & не позвонил заранее.",
            "Клиент попросил перенести доставку на вечер, после 19:00.",
            'Клиент попросил доставить заказ №4521/17 "до двери".',
        ),
    },
}

SUMMARY_BODY: dict[str, Pool] = {
    "en": {
        "good": (
            "The operator listened carefully and asked clarifying questions.",
            "The operator explained the conditions clearly and checked that the client understood.",
            "The operator offered a suitable solution right away.",
            "The tone of the conversation remained friendly and calm throughout.",
            "The operator summarised the agreements at the end of the call.",
            "The client thanked the operator for the quick help.",
        ),
        "mid": (
            "The operator answered the main question but did not offer alternatives.",
            "Part of the conversation was spent on repeating the same information.",
            "The operator put the client on hold twice to check the details.",
            "The client seemed to accept the answer, although some doubts remained.",
            "The operator followed the script but sounded a little mechanical.",
        ),
        "bad": (
            "The customer quickly expressed frustration, accusing the operator of not grasping "
            "their concerns.",
            "The operator interrupted the client several times and did not let them finish.",
            "The operator attempted to explain the service limitations but struggled to gain the "
            "customer's trust.",
            "The dialogue revealed a high level of tension, with raised voices on both sides.",
            "The client's problem remained unresolved by the end of the call.",
            "The operator did not offer a callback or any next step.",
        ),
    },
    "ru": {
        "good": (
            "Оператор внимательно выслушал клиента и задал уточняющие вопросы.",
            "Оператор доступно объяснил условия и убедился, что клиенту всё понятно.",
            "Оператор сразу предложил подходящее решение.",
            "Разговор прошёл в доброжелательном и спокойном тоне.",
            "В конце звонка оператор подвёл итог договорённостей.",
            "Клиент поблагодарил оператора за быструю помощь.",
        ),
        "mid": (
            "Оператор ответил на основной вопрос, но не предложил альтернатив.",
            "Часть разговора ушла на повторение одной и той же информации.",
            "Оператор дважды ставил клиента на удержание, чтобы уточнить детали.",
            "Клиент в целом принял ответ, хотя сомнения остались.",
            "Оператор следовал скрипту, но звучал несколько формально.",
        ),
        "bad": (
            "Клиент быстро вышел из себя и обвинил оператора в непонимании проблемы.",
            "Оператор несколько раз перебивал клиента и не давал договорить.",
            "Оператор пытался объяснить ограничения услуги, но не смог вызвать доверие клиента.",
            "В диалоге чувствовалось сильное напряжение, обе стороны повышали голос.",
            "К концу звонка проблема клиента так и осталась нерешённой.",
            "Оператор не предложил перезвонить и не обозначил следующий шаг.",
        ),
    },
}

SUMMARY_SIGNAL_QUOTES: dict[str, tuple[str, ...]] = {
    "en": (
        "Phrases such as {quotes} indicated the customer's dissatisfaction.",
        "The client used phrases like {quotes} during the conversation.",
        "Stop phrases were heard: {quotes}.",
    ),
    "ru": (
        "Фразы {quotes} указывали на недовольство клиента.",
        "В разговоре прозвучали стоп-фразы: {quotes}.",
        "Клиент несколько раз повторял {quotes}.",
    ),
}

SUMMARY_CLOSINGS: dict[str, Pool] = {
    "en": {
        "good": (
            "The call ended on a positive note.",
            "Overall, the interaction was productive.",
            "",
        ),
        "mid": (
            "The call ended without a clear commitment from the client.",
            "The client promised to think about the offer.",
            "",
        ),
        "bad": (
            "The call ended abruptly, and the client said they would file a complaint.",
            "Overall, the interaction left the customer dissatisfied.",
            "The client hung up before the operator could finish.",
        ),
    },
    "ru": {
        "good": (
            "Звонок завершился на позитивной ноте.",
            "В целом разговор был продуктивным.",
            "",
        ),
        "mid": (
            "Звонок завершился без чёткого решения со стороны клиента.",
            "Клиент обещал подумать над предложением.",
            "",
        ),
        "bad": (
            "Звонок оборвался, клиент пообещал написать жалобу.",
            "В целом клиент остался недоволен общением.",
            "Клиент положил трубку, не дослушав оператора.",
        ),
    },
}

LOYALTY_DESCRIPTIONS: dict[str, Pool] = {
    "en": {
        "good": (
            "The customer was satisfied with the answers and the speed of service.",
            "The client sounded relaxed and thanked the operator several times.",
            "The customer expressed trust in the company and is likely to stay.",
            "The client received exactly what they asked for & agreed to the offer.",
        ),
        "mid": (
            "The customer was neutral: the question was answered, but without enthusiasm.",
            "The client had some doubts about the price and the terms.",
            "The customer accepted the answer but mentioned that competitors offer similar terms.",
        ),
        "bad": (
            "The customer expressed frustration throughout the conversation, indicating a lack of "
            "understanding and perceived lack of attention from the operator.",
            "The client felt ignored and said they were ready to switch to another provider.",
            "Phrasing like 'вы ничего не понимаете' suggests high dissatisfaction with the "
            "service.",
            "The customer lost trust after being transferred between departments.",
        ),
    },
    "ru": {
        "good": (
            "Клиент остался доволен ответами и скоростью обслуживания.",
            "Клиент говорил спокойно и несколько раз поблагодарил оператора.",
            "Клиент доверяет компании и, скорее всего, останется с ней.",
            "Клиент получил именно то, что просил, & согласился на предложение.",
        ),
        "mid": (
            "Клиент настроен нейтрально: ответ получен, но без энтузиазма.",
            "У клиента остались сомнения по цене и условиям.",
            "Клиент принял ответ, но заметил, что у конкурентов похожие условия.",
        ),
        "bad": (
            "Клиент на протяжении всего разговора выражал раздражение и ощущал невнимание со "
            "стороны оператора.",
            "Клиент почувствовал, что его игнорируют, и готов перейти к другому поставщику.",
            "Фразы вроде «вы ничего не понимаете» говорят о сильном недовольстве сервисом.",
            "Клиент потерял доверие после переводов между отделами.",
        ),
    },
}

LOYALTY_RECOMMENDATIONS: dict[str, Pool] = {
    "en": {
        "good": (
            "Keep the same approach and offer the loyalty programme next time.",
            "Send a short thank-you message and a link to the customer survey.",
            "No action required.",
        ),
        "mid": (
            "Follow up in a few days with a personalised offer.",
            "Send the client a written summary of the terms to remove doubts.",
            "Offer a trial period or a small discount to strengthen the relationship.",
        ),
        "bad": (
            "Implement a follow-up communication that clarifies the service terms and assures the "
            "customer of support.",
            "Escalate the case to a supervisor & call the client back within 24 hours.",
            "Consider training on empathy techniques and effective communication strategies for "
            "handling frustrated customers.",
            "Offer compensation and a direct contact of the responsible manager.",
        ),
    },
    "ru": {
        "good": (
            "Сохранять тот же подход и в следующий раз предложить программу лояльности.",
            "Отправить клиенту благодарность и ссылку на опрос.",
            "Действий не требуется.",
        ),
        "mid": (
            "Связаться с клиентом через несколько дней с персональным предложением.",
            "Отправить клиенту письменное описание условий, чтобы снять сомнения.",
            "Предложить пробный период или небольшую скидку.",
        ),
        "bad": (
            "Перезвонить клиенту, разъяснить условия услуги и заверить в поддержке.",
            "Передать обращение руководителю & перезвонить клиенту в течение 24 часов.",
            "Провести обучение оператора техникам эмпатии и работе с недовольными клиентами.",
            "Предложить компенсацию и прямой контакт ответственного менеджера.",
        ),
    },
}

EVALUATION_RECOMMENDATIONS: dict[str, Pool] = {
    "en": {
        "good": (
            "The operator followed the script well; share this call as a positive example.",
            "Minor improvements possible in summarising agreements at the end of the call.",
        ),
        "mid": (
            "Pay more attention to discovering the client's needs before presenting the offer.",
            "Work on handling objections: acknowledge the concern first, then argue.",
            "Reduce hold time by preparing answers to frequent questions in advance.",
        ),
        "bad": (
            "To enhance the quality of service, operators should receive training on active "
            "listening and managing difficult conversations.",
            "Implementing a script that guides operators on how to validate customer emotions "
            "without escalating conflict can also help.",
            "Review the call with the team lead & repeat the basic script training.",
        ),
    },
    "ru": {
        "good": (
            "Оператор хорошо следовал скрипту; звонок можно использовать как положительный пример.",
            "Можно улучшить подведение итогов в конце разговора.",
        ),
        "mid": (
            "Больше внимания уделять выявлению потребностей до презентации предложения.",
            "Отработать работу с возражениями: сначала присоединение, затем аргументы.",
            "Сократить время удержания, заранее подготовив ответы на частые вопросы.",
        ),
        "bad": (
            "Оператору рекомендуется пройти обучение активному слушанию и ведению сложных "
            "разговоров.",
            "Внедрить скрипт, помогающий признавать эмоции клиента без эскалации конфликта.",
            "Разобрать звонок с руководителем группы & повторить базовое обучение по скрипту.",
        ),
    },
}

CRITERION_TEMPLATES: dict[str, Pool] = {
    "en": {
        "good": (
            "The operator handled {topic} confidently.",
            "{Topic} was done according to the standard.",
            "Good work on {topic}.",
        ),
        "mid": (
            "{Topic} was only partially completed.",
            "The operator addressed {topic}, but not consistently.",
            "{Topic} needs improvement.",
        ),
        "bad": (
            "The operator failed at {topic}.",
            "{Topic} was skipped or done poorly.",
            "Serious problems with {topic}.",
        ),
    },
    "ru": {
        "good": (
            "{Topic}: выполнено по стандарту.",
            "{Topic}: оператор уверенно справился.",
            "{Topic}: хорошая работа.",
        ),
        "mid": (
            "{Topic}: выполнено частично.",
            "{Topic}: оператор справился не полностью.",
            "{Topic}: требуется доработка.",
        ),
        "bad": (
            "{Topic}: не выполнено.",
            "{Topic}: этап пропущен или выполнен плохо.",
            "{Topic}: серьёзные ошибки.",
        ),
    },
}

CRITERION_DETAILS: dict[str, Pool] = {
    "en": {
        "good": (
            "The client's questions were answered clearly and without delay.",
            "The operator kept a friendly tone throughout.",
            "The operator used the client's name and confirmed the details.",
            "",
        ),
        "mid": (
            "The client had to repeat the question once.",
            "Some details were left out and had to be clarified later.",
            "The wording was correct but sounded rushed.",
            "",
        ),
        "bad": (
            "The client had to repeat the question several times.",
            "The operator interrupted the client & did not acknowledge their frustration.",
            "This step was skipped entirely, which confused the client.",
            'The operator said "it\'s not our problem", which escalated the conflict.',
        ),
    },
    "ru": {
        "good": (
            "Вопросы клиента получили чёткие и быстрые ответы.",
            "Оператор сохранял доброжелательный тон.",
            "Оператор обращался к клиенту по имени и подтверждал детали.",
            "",
        ),
        "mid": (
            "Клиенту пришлось один раз повторить вопрос.",
            "Часть деталей была упущена и уточнялась позже.",
            "Формулировки верные, но звучали торопливо.",
            "",
        ),
        "bad": (
            "Клиенту пришлось несколько раз повторять вопрос.",
            "Оператор перебивал клиента & не признал его раздражение.",
            "Этап полностью пропущен, что запутало клиента.",
            "Оператор сказал «это не наша проблема», что усилило конфликт.",
        ),
    },
}

# Extra narrative used to make a few records deliberately long.
LONG_NARRATIVE: dict[str, tuple[str, ...]] = {
    "en": (
        "At the start the client described the history of the issue in detail, mentioning three "
        "previous calls, two e-mails and a visit to the office that had not helped.",
        "The operator tried to find the earlier requests in the CRM but could not locate them, "
        "and asked the client to dictate the contract number again.",
        'The client read out the text of the SMS: "Your request <No. 88213> is closed & '
        'resolved", and insisted that nothing had been resolved.',
        "The operator explained the standard procedure, the expected timelines and the documents "
        "required, but the client considered the explanation irrelevant.",
        "Several minutes were spent on a discussion of the penalty in the contract, with the "
        "client quoting clause 4.2/b and the operator reading a different version.",
        "The client then asked to speak to a supervisor; the operator replied that no supervisor "
        "was available at the moment and offered to register a complaint instead.",
        "After a long pause the client agreed to wait for a callback, but warned that they would "
        "contact the regulator and post a review if the problem was not fixed.",
        "The operator registered the complaint, read out its number and promised a callback "
        "within two working days.",
    ),
    "ru": (
        "В начале разговора клиент подробно описал историю проблемы: три предыдущих звонка, два "
        "письма и визит в офис, которые не помогли.",
        "Оператор пытался найти прежние обращения в CRM, но не смог и попросил клиента ещё раз "
        "продиктовать номер договора.",
        "Клиент зачитал текст SMS: «Ваша заявка <№88213> закрыта & решена» и настаивал, что "
        "ничего не решено.",
        "Оператор объяснил стандартную процедуру, сроки и необходимые документы, но клиент счёл "
        "объяснение не относящимся к делу.",
        "Несколько минут ушло на обсуждение штрафа по договору: клиент ссылался на пункт 4.2/б, "
        "а оператор читал другую редакцию.",
        "Затем клиент попросил соединить с руководителем; оператор ответил, что руководитель "
        "сейчас недоступен, и предложил зарегистрировать жалобу.",
        "После долгой паузы клиент согласился подождать обратного звонка, но предупредил, что "
        "обратится к регулятору и оставит отзыв, если проблему не решат.",
        "Оператор зарегистрировал жалобу, продиктовал её номер и пообещал перезвонить в течение "
        "двух рабочих дней.",
    ),
}
