"""The six export endpoints and the body field each one filters by."""

from __future__ import annotations

from enum import StrEnum

EXPORT_PREFIX = "/api/v1/export/dialogs/"


class Endpoint(StrEnum):
    DEPARTMENT = "department"
    OPERATOR = "operator"
    CALL_TYPE = "call_type"
    QUESTION_PACK = "question_pack"
    CLIENT_LOYALTY = "client_loyalty"
    SIGNALS = "signals"

    @property
    def path(self) -> str:
        return EXPORT_PREFIX + self.value

    @property
    def field(self) -> str:
        """Name of the filter field in the request body, as the spec documents it."""
        return _FIELDS[self]


_FIELDS: dict[Endpoint, str] = {
    Endpoint.DEPARTMENT: "department_id",
    Endpoint.OPERATOR: "operator_name",
    Endpoint.CALL_TYPE: "call_type",
    Endpoint.QUESTION_PACK: "qp_id",
    Endpoint.CLIENT_LOYALTY: "client_loyalty",
    Endpoint.SIGNALS: "signal_word",
}
