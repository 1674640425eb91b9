"""Scripted misbehaviour for tests: the next N export requests fail or stall."""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass
from typing import Any, Literal

FaultKind = Literal["status", "delay", "garbage"]
_KINDS: tuple[FaultKind, ...] = ("status", "delay", "garbage")
_MAX_DELAY = 600.0


@dataclass(slots=True)
class Fault:
    kind: FaultKind
    remaining: int
    status: int = 502
    seconds: float = 2.0


class FaultError(ValueError):
    """A fault request that does not describe a valid fault."""


def parse_fault(payload: Any) -> Fault:
    """Build a fault from ``{"kind", "count", "status", "seconds"}``; raise ``FaultError``."""
    if not isinstance(payload, dict):
        raise FaultError("body must be a JSON object")
    kind = payload.get("kind")
    if kind not in _KINDS:
        raise FaultError(f"kind must be one of {', '.join(_KINDS)}")
    count = payload.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise FaultError("count must be a positive integer")
    status = payload.get("status", 502)
    if not isinstance(status, int) or isinstance(status, bool) or not 400 <= status <= 599:
        raise FaultError("status must be an integer between 400 and 599")
    seconds = payload.get("seconds", 2.0)
    if (
        not isinstance(seconds, int | float)
        or isinstance(seconds, bool)
        or not 0 <= seconds <= _MAX_DELAY
    ):
        raise FaultError(f"seconds must be a number between 0 and {_MAX_DELAY:g}")
    for_kind: FaultKind = kind
    return Fault(kind=for_kind, remaining=count, status=status, seconds=float(seconds))


class FaultQueue:
    """Faults apply in the order they were added, each to its next ``count`` requests."""

    def __init__(self) -> None:
        self._queue: deque[Fault] = deque()

    def add(self, fault: Fault) -> None:
        self._queue.append(fault)

    def clear(self) -> None:
        self._queue.clear()

    def take(self) -> Fault | None:
        """The fault for the current request, or ``None`` to answer normally."""
        if not self._queue:
            return None
        fault = self._queue[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            self._queue.popleft()
        return fault

    def pending(self) -> list[dict[str, Any]]:
        return [asdict(fault) for fault in self._queue]
