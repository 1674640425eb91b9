"""Typed view of one aiokk export record.

Real data is messy: any block may be missing or null, ids come as strings or
ints, criteria are numbered keys, and ``date`` carries a short ``+05`` offset.
Every model ignores unknown fields and degrades to ``None`` instead of failing
the whole record.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

CALL_TYPES: tuple[int, ...] = (1, 2, 3, 4)


def parse_datetime(value: Any) -> datetime | None:
    """Parse aiokk timestamps: ``2025-04-21 12:06:15+05`` and ``...T07:06:15.000000Z``.

    ``datetime.fromisoformat`` accepts the short ``+05`` offset that pydantic rejects.
    """
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        return None


def _to_int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            try:
                return int(float(text))
            except ValueError:
                return None
    return None


def _to_float(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip().replace(",", "."))
        except ValueError:
            return None
    return None


def _to_str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return None


def split_signals(value: Any) -> list[str]:
    """``mentionedSignals`` is one comma-separated string; a list is accepted too."""
    if isinstance(value, list):
        items = [str(item) for item in value]
    elif isinstance(value, str):
        items = value.split(",")
    else:
        return []
    return [item.strip() for item in items if item and item.strip()]


LaxInt = Annotated[int | None, BeforeValidator(_to_int)]
LaxFloat = Annotated[float | None, BeforeValidator(_to_float)]
LaxStr = Annotated[str | None, BeforeValidator(_to_str)]
LaxDatetime = Annotated[datetime | None, BeforeValidator(parse_datetime)]


def _str_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(item) for item in value if item is not None]
    if isinstance(value, str) and value:
        return [value]
    return []


def _any_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


class _Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)


class Call(_Model):
    dialog_id: int = Field(alias="dialogId")
    created_at: LaxDatetime = None
    caller_id: LaxStr = Field(default=None, alias="callerId")
    caller_id_clean: LaxStr = Field(default=None, alias="callerIdClean")
    call_type: LaxInt = Field(default=None, alias="callType")
    date: LaxDatetime = None
    duration_sec: LaxInt = Field(default=None, alias="durationSec")
    duration_min: LaxInt = Field(default=None, alias="durationMin")

    @model_validator(mode="before")
    @classmethod
    def _lax_dialog_id(cls, data: Any) -> Any:
        if isinstance(data, dict) and "dialogId" in data:
            data = {**data, "dialogId": _to_int(data["dialogId"])}
        return data


class Operator(_Model):
    operator_id: LaxInt = Field(default=None, alias="operatorId")
    full_name: LaxStr = Field(default=None, alias="fullName")
    int_num: LaxStr = Field(default=None, alias="intNum")
    department_id: LaxInt = Field(default=None, alias="departmentId")
    department_name: LaxStr = Field(default=None, alias="departmentName")


class ClientLoyalty(_Model):
    current_grade: LaxInt = Field(default=None, alias="currentGrade")
    description: LaxStr = None
    recommendation: LaxStr = None


class Criterion(_Model):
    number: int
    description: str | None = None
    mark: float | None = None


_CRITERION_KEY = re.compile(r"^criterion(\d+)$")


class Evaluation(_Model):
    evaluation_id: LaxInt = Field(default=None, alias="evaluationId")
    evaluation_title: LaxStr = Field(default=None, alias="evaluationTitle")
    current_grade: LaxFloat = Field(default=None, alias="eCurrentGrade")
    max_grade: LaxFloat = Field(default=None, alias="maxGrade")
    recommendation: LaxStr = Field(default=None, alias="evaluationRecommendation")
    criteria: list[Criterion] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _collect_criteria(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "criteria" in data:
            return data
        data = dict(data)
        data["criteria"] = criteria_from_raw(data)
        return data

    @property
    def score_percent(self) -> float | None:
        return score_percent(self.current_grade, self.max_grade)


def criteria_from_raw(block: dict[str, Any]) -> list[Criterion]:
    """Build ``(number, description, mark)`` from ``criterionN: {descriptionN, markN}``."""
    found: list[Criterion] = []
    for key, value in block.items():
        match = _CRITERION_KEY.match(key)
        if not match or not isinstance(value, dict):
            continue
        number = int(match.group(1))
        description = _to_str(value.get(f"description{number}", value.get("description")))
        mark = _to_float(value.get(f"mark{number}", value.get("mark")))
        found.append(Criterion(number=number, description=description, mark=mark))
    found.sort(key=lambda criterion: criterion.number)
    return found


def score_percent(current: float | None, maximum: float | None) -> float | None:
    if current is None or not maximum:
        return None
    return 100.0 * current / maximum


class Signals(_Model):
    title: LaxStr = Field(default=None, alias="signalsTitle")
    count: LaxInt = None
    words: list[str] = Field(default_factory=list, alias="mentionedSignals")

    @model_validator(mode="before")
    @classmethod
    def _split_words(cls, data: Any) -> Any:
        if isinstance(data, dict) and "mentionedSignals" in data:
            data = {**data, "mentionedSignals": split_signals(data["mentionedSignals"])}
        return data


class Analytics(_Model):
    status: LaxInt = None
    price: LaxFloat = None
    finish_date: LaxStr = Field(default=None, alias="finishDate")
    summary: LaxStr = None
    languages: Annotated[list[str], BeforeValidator(_str_list)] = Field(default_factory=list)
    client_loyalty: ClientLoyalty | None = Field(default=None, alias="clientLoyalty")
    evaluation: Evaluation | None = Field(default=None, alias="evaluationCriteria")
    signals: Signals | None = None
    markers: Annotated[list[Any], BeforeValidator(_any_list)] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _drop_malformed_blocks(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        cleaned = dict(data)
        for key in ("clientLoyalty", "evaluationCriteria", "signals"):
            if key in cleaned and not isinstance(cleaned[key], dict):
                cleaned[key] = None
        return cleaned


class CallRecord(_Model):
    call: Call
    operator: Operator | None = None
    analytics: Analytics | None = None

    @model_validator(mode="before")
    @classmethod
    def _drop_malformed_blocks(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        cleaned = dict(data)
        for key in ("operator", "analytics"):
            if key in cleaned and not isinstance(cleaned[key], dict):
                cleaned[key] = None
        return cleaned

    @property
    def dialog_id(self) -> int:
        return self.call.dialog_id

    @property
    def loyalty(self) -> int | None:
        block = self.analytics.client_loyalty if self.analytics else None
        return block.current_grade if block else None

    @property
    def evaluation(self) -> Evaluation | None:
        return self.analytics.evaluation if self.analytics else None

    @property
    def score(self) -> float | None:
        """Script score in percent (``eCurrentGrade / maxGrade``)."""
        evaluation = self.evaluation
        return evaluation.score_percent if evaluation else None

    @property
    def signal_words(self) -> list[str]:
        signals = self.analytics.signals if self.analytics else None
        return signals.words if signals else []

    @property
    def operator_name(self) -> str | None:
        return self.operator.full_name if self.operator else None

    @property
    def department_id(self) -> int | None:
        return self.operator.department_id if self.operator else None

    @property
    def department_name(self) -> str | None:
        return self.operator.department_name if self.operator else None

    @property
    def summary(self) -> str | None:
        return self.analytics.summary if self.analytics else None
