"""The fictional company behind the sandbox data: departments, operators, scripts, stop words.

Names and ids look like a real Kazakhstan call centre: Russian and Kazakh full
names, numeric department ids, question packs with Russian titles. A few names
are chosen on purpose: two operators share the first name "Айгерим" so that a
substring search matches several people, one name contains another ("Тимур
Сейткали" and his son "Тимур Сейткали Младший", both in the call centre): the
operator endpoint's substring search for the father returns the son's calls too,
and several names contain "ё".
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Department:
    id: int
    name: str
    # Question packs used by this department, with weights.
    packs: tuple[tuple[int, float], ...]
    # Weights of call types 1-4 (outgoing, incoming, redirected, callback).
    call_types: tuple[float, float, float, float]
    # Conversation topics used to build summaries.
    topic: str


@dataclass(frozen=True, slots=True)
class Operator:
    id: int
    full_name: str
    int_num: int
    department_id: int
    # Typical call quality in 0..1; drives marks, loyalty and signals.
    skill: float
    # Relative share of calls this operator handles.
    volume: float


@dataclass(frozen=True, slots=True)
class Criterion:
    en: str
    ru: str


@dataclass(frozen=True, slots=True)
class QuestionPack:
    id: int
    title: str
    criteria: tuple[Criterion, ...]


DEPARTMENTS: tuple[Department, ...] = (
    Department(
        84, "Отдел продаж", ((31, 0.6), (42, 0.25), (27, 0.15)), (0.55, 0.3, 0.05, 0.1), "sales"
    ),
    Department(85, "Служба поддержки", ((35, 0.7), (27, 0.3)), (0.1, 0.7, 0.1, 0.1), "support"),
    Department(86, "Колл-центр", ((27, 0.8), (35, 0.2)), (0.2, 0.6, 0.12, 0.08), "general"),
    Department(
        91,
        "Отдел по работе с ключевыми клиентами",
        ((42, 0.5), (31, 0.5)),
        (0.5, 0.35, 0.05, 0.1),
        "sales",
    ),
    Department(102, "Отдел возвратов", ((27, 0.6), (35, 0.4)), (0.15, 0.6, 0.1, 0.15), "refund"),
    Department(115, "Служба доставки", ((48, 0.8), (27, 0.2)), (0.6, 0.3, 0.02, 0.08), "delivery"),
)

DEPARTMENTS_BY_ID: dict[int, Department] = {department.id: department for department in DEPARTMENTS}

OPERATORS: tuple[Operator, ...] = (
    Operator(4, "Иван Иванович", 594, 84, 0.55, 1.0),
    Operator(7, "Айгерим Нурланова", 512, 84, 0.82, 1.3),
    Operator(9, "Алёна Королёва", 517, 84, 0.74, 1.1),
    Operator(11, "Данияр Ахметов", 521, 84, 0.62, 1.0),
    Operator(12, "Ольга Смирнова", 523, 84, 0.78, 0.9),
    Operator(15, "Ержан Касымов", 530, 84, 0.5, 0.8),
    Operator(18, "Айгерим Сапарова", 201, 85, 0.7, 1.2),
    Operator(19, "Пётр Семёнов", 204, 85, 0.45, 1.0),
    Operator(21, "Мария Кузнецова", 207, 85, 0.8, 1.1),
    Operator(23, "Асель Жумабаева", 210, 85, 0.68, 0.9),
    Operator(24, "Дмитрий Волков", 212, 85, 0.58, 0.7),
    Operator(27, "Нурсултан Абенов", 301, 86, 0.66, 1.4),
    Operator(28, "Екатерина Фёдорова", 302, 86, 0.72, 1.3),
    Operator(30, "Бауыржан Сейткали", 305, 86, 0.6, 1.2),
    Operator(31, "Анна Лебедева", 307, 86, 0.85, 1.0),
    Operator(33, "Жанар Тулегенова", 309, 86, 0.64, 1.1),
    Operator(34, "Сергей Орлов", 311, 86, 0.4, 0.9),
    Operator(36, "Алия Мухамедова", 314, 86, 0.75, 1.0),
    Operator(37, "Тимур Сейткали", 316, 86, 0.72, 1.0),
    Operator(38, "Тимур Сейткали Младший", 318, 86, 0.52, 1.0),
    Operator(40, "Максим Белов", 401, 91, 0.8, 0.6),
    Operator(41, "Динара Ержанова", 403, 91, 0.88, 0.5),
    Operator(43, "Артём Ковалёв", 405, 91, 0.6, 0.5),
    Operator(47, "Гульнара Искакова", 450, 102, 0.57, 0.6),
    Operator(48, "Наталья Морозова", 452, 102, 0.69, 0.5),
    Operator(52, "Арман Бектуров", 501, 115, 0.63, 0.7),
    Operator(53, "Татьяна Соколова", 503, 115, 0.77, 0.6),
)


def _criteria(*pairs: tuple[str, str]) -> tuple[Criterion, ...]:
    return tuple(Criterion(en=en, ru=ru) for en, ru in pairs)


QUESTION_PACKS: tuple[QuestionPack, ...] = (
    QuestionPack(
        27,
        "Вопросы по умолчанию",
        _criteria(
            ("greeting and introduction", "приветствие и представление"),
            ("clarity of communication", "ясность изложения"),
            ("active listening", "активное слушание"),
            ("problem solving", "решение вопроса клиента"),
            ("initiative", "проявление инициативы"),
            ("professional language", "профессиональная лексика"),
            ("calm and even speech", "спокойная и ровная речь"),
            ("adherence to company standards", "соблюдение стандартов компании"),
            ("customer satisfaction", "удовлетворённость клиента"),
            ("overall service quality", "общее качество обслуживания"),
        ),
    ),
    QuestionPack(
        31,
        "Скрипт продаж",
        _criteria(
            ("greeting and introduction", "приветствие и представление"),
            ("discovering the client's needs", "выявление потребностей"),
            ("product presentation", "презентация продукта"),
            ("handling objections", "работа с возражениями"),
            ("price argumentation", "аргументация цены"),
            ("offering an additional product", "предложение дополнительного продукта"),
            ("agreeing on the next step", "договорённость о следующем шаге"),
            ("farewell", "завершение разговора"),
        ),
    ),
    QuestionPack(
        35,
        "Скрипт поддержки",
        _criteria(
            ("identifying the client", "идентификация клиента"),
            ("clarifying the problem", "уточнение проблемы"),
            ("proposed solution", "предложенное решение"),
            ("checking that the issue is resolved", "проверка решения"),
            ("hold etiquette", "этикет удержания на линии"),
            ("farewell", "завершение разговора"),
        ),
    ),
    QuestionPack(
        42,
        "Работа с возражениями",
        _criteria(
            ("greeting and introduction", "приветствие и представление"),
            ("building rapport", "установление контакта"),
            ("discovering the client's needs", "выявление потребностей"),
            ("listening to the objection in full", "выслушивание возражения"),
            ("acknowledging the client's concern", "присоединение к возражению"),
            ("clarifying questions", "уточняющие вопросы"),
            ("argumentation", "аргументация"),
            ("comparison with competitors", "сравнение с конкурентами"),
            ("handling the price objection", "работа с возражением по цене"),
            ("checking the client's agreement", "проверка согласия клиента"),
            ("closing the deal", "закрытие сделки"),
            ("farewell", "завершение разговора"),
        ),
    ),
    QuestionPack(
        48,
        "Контроль качества доставки",
        _criteria(
            ("confirming the order", "подтверждение заказа"),
            ("checking the delivery address", "уточнение адреса доставки"),
            ("agreeing on the delivery window", "согласование времени доставки"),
            ("explaining the payment method", "информирование о способе оплаты"),
            ("farewell", "завершение разговора"),
        ),
    ),
)

PACKS_BY_ID: dict[int, QuestionPack] = {pack.id: pack for pack in QUESTION_PACKS}

SIGNALS_TITLE = "сенсата, стоп слова"

# Stop words split by how strongly they point at a bad call; mild ones appear in
# ordinary sales talk too. No entry may contain a comma: the API joins them with ", ".
MILD_SIGNALS: tuple[str, ...] = (
    "дорого",
    "подумаю",
    "может быть",
    "конкуренты",
    "у конкурентов дешевле",
    "перезвоните позже",
    "мне неудобно",
    "скидка",
    "вам не подходит",
    "мы не можем снизить цену",
)
STRONG_SIGNALS: tuple[str, ...] = (
    "вы не понимаете",
    "вы ничего не понимаете",
    "верните деньги",
    "это ваша проблема",
    "не кричите",
    "блин",
    "жалоба",
    "позовите руководителя",
    "расторгнуть договор",
    "вы должны понять",
    "послушайте меня",
    "некорректно",
    "безобразие",
    "обман",
    "вы вышли из себя",
    "я буду жаловаться",
    "гарантируем сто процентов",
    "у вас недостаточно средств",
    "не перебивайте",
    "почему вы кричите",
)
ALL_SIGNALS: tuple[str, ...] = MILD_SIGNALS + STRONG_SIGNALS
