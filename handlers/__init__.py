"""aiogram routers, one per feature; order matters: fallback last."""

from __future__ import annotations

from aiogram import Router

from handlers import (
    alerts,
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
        # Before digests: /alerts typed while a digest step waits for text still opens the
        # rules (the alert steps take no text that starts with "/", so /digest works too).
        alerts.router,
        digests.router,
        exporting.router,
        fallback.router,
    ]
