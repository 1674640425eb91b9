"""/digest: list, create (a short button wizard), edit, pause, delete and preview digests;
the Open and Handled ✓ buttons under digest messages.

The Telegram side of ``bot.digest``: its screens, keyboards and callback data live here,
one module per part of the feature. In a group or a forum topic only the group's
administrators may change its digests, and the token is never typed there: a digest is fed
by the creating admin's own private connection, which the digest message names. Typed steps
in a group ask with a reply request, since only replies to the bot reach it there.
"""

from __future__ import annotations

from aiogram import Router

from handlers.digests import listing, manage, scope, signals, steps, timing, under_digest

router = Router(name="digests")
# The /digest command first: typed while a step waits for text, it still opens the list.
router.include_routers(
    listing.router,
    manage.router,
    steps.router,
    timing.router,
    scope.router,
    signals.router,
    under_digest.router,
)

__all__ = ["router"]
