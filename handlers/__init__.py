"""aiogram routers, one per feature; order matters: fallback last."""

from __future__ import annotations

from aiogram import Router

from handlers import (
    calls,
    connect,
    digests,
    errors,
    exporting,
    fallback,
    operator,
    settings,
    start,
)


def get_routers() -> list[Router]:
    return [
        errors.router,
        start.router,
        connect.router,
        settings.router,
        calls.router,
        operator.router,
        digests.router,
        exporting.router,
        fallback.router,
    ]
