"""The record models against the spec's example and the quirks of real data."""

# ruff: noqa: E501  (the spec's record is copied verbatim, long lines included)

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from bot.aiokk.client import parse_record
from bot.aiokk.models import CallRecord

# One record of the 200 response in the Export API spec, copied verbatim.
SPEC_RECORD_JSON = """
    {
        "call": {
            "dialogId": 1138,
            "created_at": "2025-04-21T07:06:15.000000Z",
            "callerId": "+7 (777) 777 77 77",
            "callerIdClean": "7777777777",
            "callType": 1,
            "date": "2025-04-21 12:06:15+05",
            "durationSec": 64,
            "durationMin": 2
        },
        "operator": {
            "operatorId": 4,
            "fullName": "Иван Иванович",
            "intNum": 594,
            "departmentId": "84",
            "departmentName": "Отдел продаж"
        },
        "analytics": {
            "status": 3,
            "price": 150,
            "finishDate": "2025-04-18T11:59:56",
            "summary": "The conversation began with greetings from both the operator and the customer. The customer quickly expressed frustration over perceived misunderstandings, accusing the operator of not grasping their concerns, and asserted that their problem was not being addressed. Phrases such as 'вы должны понять это ваша проблема' and 'вы не понимаете' indicated the customer's dissatisfaction with the operator's responses. The operator attempted to communicate service limitations but struggled to gain the customer's trust or convey clarity. The dialogue revealed a high level of tension, with raised voices and accusations from the customer about the operator's competence.",
            "languages": [
                "ru"
            ],
            "clientLoyalty": {
                "currentGrade": 2,
                "description": "The customer expressed frustration throughout the conversation, indicating a lack of understanding and perceived lack of attention from the operator. Phrasing like 'вы ничего не понимаете' and 'вы неадекватны' suggests high dissatisfaction with the service. The operator's handling of inquiries was ineffective, leading to a strained interaction.",
                "recommendation": "Implement a follow-up communication that clarifies the service terms and assures the customer of support. Additionally, consider training on empathy techniques and effective communication strategies for handling frustrated customers."
            },
            "evaluationCriteria": {
                "evaluationId": 27,
                "evaluationTitle": "Вопросы по умолчанию",
                "eCurrentGrade": 31,
                "maxGrade": 100,
                "evaluationRecommendation": "To enhance the quality of service, operators should receive training on active listening and managing difficult conversations. Implementing a script that guides operators on how to validate customer emotions without escalating conflict can also help in future interactions.",
                "criterion1": {
                    "description1": "Although the operator greeted the customer politely, the overall tone quickly turned negative due to the operator's inability to address the customer's concerns effectively.",
                    "mark1": 3
                },
                "criterion2": {
                    "description2": "The operator struggled to communicate effectively, leading to confusion rather than clarity in addressing the customer's issues.",
                    "mark2": 4
                },
                "criterion3": {
                    "description3": "The operator did not demonstrate effective listening skills, interrupting the customer multiple times and failing to acknowledge their frustrations adequately.",
                    "mark3": 2
                },
                "criterion4": {
                    "description4": "The operator's attempts to address the customer's problem were inefficient, resulting in an unresolved situation that heightened customer dissatisfaction.",
                    "mark4": 3
                },
                "criterion5": {
                    "description5": "The operator did not show initiative or offer any additional support to help resolve the customer's problems during the interaction.",
                    "mark5": 1
                },
                "criterion6": {
                    "description6": "Professional language was used, but the delivery was overshadowed by the overall negative tone of the conversation.",
                    "mark6": 5
                },
                "criterion7": {
                    "description7": "The operator's speech was not consistently calm, especially when the customer became agitated, leading to an escalation in conflict.",
                    "mark7": 3
                },
                "criterion8": {
                    "description8": "While the operator followed company standards in greetings and protocols, adherence faltered under pressure from the customer's frustrations.",
                    "mark8": 5
                },
                "criterion9": {
                    "description9": "The customer was clearly unhappy with the interaction, emphasizing their dissatisfaction and escalating the conversation with complaints.",
                    "mark9": 2
                },
                "criterion10": {
                    "description10": "Overall service quality was poor due to ineffective communication, lack of listening skills, and insufficient resolution of the customer's issues.",
                    "mark10": 3
                }
            },
            "signals": {
                "signalsTitle": "сенсата, стоп слова",
                "count": 24,
                "mentionedSignals": "вам не подходит, у вас недостаточно средств, не перебиваете, вы не понимаете, блин, может быть, мы не можем снизить цену, гарантируем сто процентов, вы должны понять, послушайте меня, не кричите, вы кто вообще, а вы кто, почему вы кричите, почему вы так выражаетесь, зачем вы так говорите, вы ничего не понимаете, вы же не знаете, вы вышли из себя, вы не адекватны, вы ведете себя странно, некорректно, агрессивно, это ваша проблема"
            },
            "markers": []
        }
    }
"""

SPEC_MARKS = [3.0, 4.0, 2.0, 3.0, 1.0, 5.0, 3.0, 5.0, 2.0, 3.0]


def spec_record() -> dict[str, Any]:
    """A fresh copy of the spec's record, safe to mutate."""
    data: dict[str, Any] = json.loads(SPEC_RECORD_JSON)
    return data


def parsed(raw: dict[str, Any]) -> CallRecord:
    record = parse_record(raw)
    assert record is not None
    return record


def test_spec_record_parses_with_the_documented_values() -> None:
    record = parsed(spec_record())

    assert record.dialog_id == 1138
    assert record.call.call_type == 1
    assert record.call.duration_sec == 64
    assert record.call.caller_id == "+7 (777) 777 77 77"
    assert record.call.date == datetime(2025, 4, 21, 12, 6, 15, tzinfo=timezone(timedelta(hours=5)))
    assert record.call.date is not None
    assert record.call.date.utcoffset() == timedelta(hours=5)
    assert record.call.created_at == datetime(2025, 4, 21, 7, 6, 15, tzinfo=UTC)
    assert record.call.date == record.call.created_at  # the same instant, two notations

    assert record.operator_name == "Иван Иванович"
    assert record.department_id == 84
    assert isinstance(record.department_id, int)
    assert record.department_name == "Отдел продаж"
    assert record.operator is not None
    assert record.operator.operator_id == 4
    assert record.operator.int_num == "594"

    assert record.loyalty == 2
    assert record.summary is not None
    assert record.summary.startswith("The conversation began with greetings")
    assert record.analytics is not None
    assert record.analytics.languages == ["ru"]
    assert record.analytics.price == 150.0

    evaluation = record.evaluation
    assert evaluation is not None
    assert evaluation.evaluation_id == 27
    assert evaluation.evaluation_title == "Вопросы по умолчанию"
    assert record.score == 31.0
    assert [c.number for c in evaluation.criteria] == list(range(1, 11))
    assert [c.mark for c in evaluation.criteria] == SPEC_MARKS
    assert all(c.description for c in evaluation.criteria)
    assert evaluation.criteria[0].description is not None
    assert evaluation.criteria[0].description.startswith("Although the operator greeted")
    assert evaluation.criteria[9].description is not None
    assert evaluation.criteria[9].description.startswith("Overall service quality was poor")

    words = record.signal_words
    assert len(words) == 24
    assert words[0] == "вам не подходит"
    assert words[-1] == "это ваша проблема"
    assert "мы не можем снизить цену" in words
    assert all(word == word.strip() and word for word in words)


def test_spec_record_escaped_like_php_parses_the_same() -> None:
    raw = json.loads(json.dumps(spec_record(), ensure_ascii=True).replace("/", "\\/"))
    assert parsed(raw) == parsed(spec_record())


@pytest.mark.parametrize("department_id", [84, "84", " 84 "])
def test_department_id_as_int_or_string(department_id: object) -> None:
    raw = spec_record()
    raw["operator"]["departmentId"] = department_id
    assert parsed(raw).department_id == 84


@pytest.mark.parametrize("department_id", ["", "sales", None])
def test_unusable_department_id_becomes_none(department_id: object) -> None:
    raw = spec_record()
    raw["operator"]["departmentId"] = department_id
    record = parsed(raw)
    assert record.department_id is None
    assert record.operator_name == "Иван Иванович"


def test_dialog_id_as_string() -> None:
    raw = spec_record()
    raw["call"]["dialogId"] = "1138"
    assert parsed(raw).dialog_id == 1138


@pytest.mark.parametrize("how", ["null", "missing"])
def test_without_operator(how: str) -> None:
    raw = spec_record()
    if how == "null":
        raw["operator"] = None
    else:
        del raw["operator"]
    record = parsed(raw)
    assert record.operator is None
    assert record.operator_name is None
    assert record.department_id is None
    assert record.department_name is None
    assert record.score == 31.0  # the rest of the record is still there


@pytest.mark.parametrize("how", ["null", "missing"])
def test_without_analytics(how: str) -> None:
    raw = spec_record()
    if how == "null":
        raw["analytics"] = None
    else:
        del raw["analytics"]
    record = parsed(raw)
    assert record.analytics is None
    assert record.loyalty is None
    assert record.evaluation is None
    assert record.score is None
    assert record.signal_words == []
    assert record.summary is None
    assert record.department_id == 84


@pytest.mark.parametrize("how", ["null", "missing", "not an object"])
def test_without_client_loyalty(how: str) -> None:
    raw = spec_record()
    _drop(raw["analytics"], "clientLoyalty", how)
    record = parsed(raw)
    assert record.loyalty is None
    assert record.score == 31.0


@pytest.mark.parametrize("how", ["null", "missing", "not an object"])
def test_without_evaluation_criteria(how: str) -> None:
    raw = spec_record()
    _drop(raw["analytics"], "evaluationCriteria", how)
    record = parsed(raw)
    assert record.evaluation is None
    assert record.score is None
    assert record.loyalty == 2


@pytest.mark.parametrize("how", ["null", "missing", "not an object"])
def test_without_signals(how: str) -> None:
    raw = spec_record()
    _drop(raw["analytics"], "signals", how)
    record = parsed(raw)
    assert record.signal_words == []
    assert record.loyalty == 2


def _drop(block: dict[str, Any], key: str, how: str) -> None:
    if how == "null":
        block[key] = None
    elif how == "missing":
        del block[key]
    else:
        block[key] = "n/a"


def _with_criteria(count: int) -> dict[str, Any]:
    raw = spec_record()
    evaluation = raw["analytics"]["evaluationCriteria"]
    for key in [key for key in evaluation if key.startswith("criterion")]:
        del evaluation[key]
    # Inserted in string order (1, 10, 11, ..., 2, ...) as a sorted-keys encoder would.
    for number in sorted(range(1, count + 1), key=str):
        evaluation[f"criterion{number}"] = {
            f"description{number}": f"criterion number {number}",
            f"mark{number}": number % 6,
        }
    return raw


def test_one_criterion() -> None:
    evaluation = parsed(_with_criteria(1)).evaluation
    assert evaluation is not None
    assert [(c.number, c.description, c.mark) for c in evaluation.criteria] == [
        (1, "criterion number 1", 1.0)
    ]


def test_fifteen_criteria_sort_numerically() -> None:
    evaluation = parsed(_with_criteria(15)).evaluation
    assert evaluation is not None
    assert [c.number for c in evaluation.criteria] == list(range(1, 16))
    numbers = [c.number for c in evaluation.criteria]
    assert numbers.index(10) == numbers.index(9) + 1
    assert all(c.description == f"criterion number {c.number}" for c in evaluation.criteria)
    assert [c.mark for c in evaluation.criteria] == [float(n % 6) for n in range(1, 16)]


def test_criterion_with_string_mark_and_missing_description() -> None:
    raw = _with_criteria(2)
    raw["analytics"]["evaluationCriteria"]["criterion2"] = {"mark2": "4"}
    evaluation = parsed(raw).evaluation
    assert evaluation is not None
    assert evaluation.criteria[1].number == 2
    assert evaluation.criteria[1].mark == 4.0
    assert evaluation.criteria[1].description is None


@pytest.mark.parametrize("value", ["", None, " , ,"])
def test_empty_mentioned_signals(value: object) -> None:
    raw = spec_record()
    raw["analytics"]["signals"]["mentionedSignals"] = value
    raw["analytics"]["signals"]["count"] = 0
    record = parsed(raw)
    assert record.signal_words == []


def test_signals_with_stray_spaces_and_commas() -> None:
    raw = spec_record()
    raw["analytics"]["signals"]["mentionedSignals"] = " дорого ,, подумаю,  ,нет денег "
    assert parsed(raw).signal_words == ["дорого", "подумаю", "нет денег"]


@pytest.mark.parametrize("max_grade", [0, "0", None])
def test_max_grade_zero_gives_no_score(max_grade: object) -> None:
    raw = spec_record()
    raw["analytics"]["evaluationCriteria"]["maxGrade"] = max_grade
    record = parsed(raw)
    assert record.score is None
    assert record.evaluation is not None
    assert record.evaluation.current_grade == 31.0


def test_score_is_a_percentage_of_max_grade() -> None:
    raw = spec_record()
    raw["analytics"]["evaluationCriteria"]["eCurrentGrade"] = 15
    raw["analytics"]["evaluationCriteria"]["maxGrade"] = 20
    assert parsed(raw).score == 75.0


def test_unknown_extra_fields_are_ignored() -> None:
    raw = spec_record()
    raw["portalNumber"] = "+7 727 000 00 00"
    raw["call"]["recordingUrl"] = "https://example.com/1138.mp3"
    raw["operator"]["email"] = "ivan@example.com"
    raw["analytics"]["sentiment"] = {"value": -0.7}
    raw["analytics"]["evaluationCriteria"]["weights"] = [1, 2]
    raw["analytics"]["signals"]["color"] = "red"
    record = parsed(raw)
    assert record == parsed(spec_record())
    assert "portalNumber" not in record.model_dump(by_alias=True)


def test_html_in_texts_is_kept_verbatim() -> None:
    raw = spec_record()
    summary = "<b>bold</b> & <script>alert('x')</script> \"quoted\" 1 < 2 > 0"
    raw["analytics"]["summary"] = summary
    raw["analytics"]["clientLoyalty"]["description"] = "<i>angry</i> & loud"
    raw["analytics"]["evaluationCriteria"]["criterion1"]["description1"] = "<script>x</script>"
    raw["operator"]["fullName"] = "Иван <Иванович> & Co"
    record = parsed(raw)
    assert record.summary == summary
    assert record.analytics is not None
    assert record.analytics.client_loyalty is not None
    assert record.analytics.client_loyalty.description == "<i>angry</i> & loud"
    assert record.evaluation is not None
    assert record.evaluation.criteria[0].description == "<script>x</script>"
    assert record.operator_name == "Иван <Иванович> & Co"


@pytest.mark.parametrize("value", ["not a date", "2025-13-45 99:00:00+05", "", 20250421, None])
def test_bad_date_becomes_none(value: object) -> None:
    raw = spec_record()
    raw["call"]["date"] = value
    raw["call"]["created_at"] = value
    record = parsed(raw)
    assert record.call.date is None
    assert record.call.created_at is None
    assert record.dialog_id == 1138


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda raw: raw.pop("call"), id="no call block"),
        pytest.param(lambda raw: raw.update(call=None), id="call is null"),
        pytest.param(lambda raw: raw["call"].pop("dialogId"), id="no dialogId"),
        pytest.param(lambda raw: raw["call"].update(dialogId="abc"), id="dialogId not a number"),
        pytest.param(lambda raw: raw["call"].update(dialogId=True), id="dialogId is a boolean"),
    ],
)
def test_records_without_a_usable_dialog_id_are_rejected(mutate: Any) -> None:
    raw = spec_record()
    mutate(raw)
    assert parse_record(raw) is None


def test_rejected_record_is_logged_without_its_data(caplog: pytest.LogCaptureFixture) -> None:
    raw = spec_record()
    raw["call"]["dialogId"] = "secret-looking-value"
    caplog.set_level("DEBUG", logger="bot.aiokk")
    assert parse_record(raw) is None
    assert "skipped a record" in caplog.text
    assert "secret-looking-value" not in caplog.text
    assert "Иван" not in caplog.text


def test_parse_record_does_not_mutate_its_input() -> None:
    raw = spec_record()
    before = copy.deepcopy(raw)
    parsed(raw)
    assert raw == before


@pytest.mark.parametrize("value", [1138.0, "1138.0"])
def test_dialog_id_as_float(value: object) -> None:
    raw = spec_record()
    raw["call"]["dialogId"] = value
    assert parsed(raw).dialog_id == 1138
