"""/alerts: the chat's alert rules, a short button wizard to create one, its card (edit each
field, pause, resume, delete, test), and the Open and Handled ✓ buttons under alerts.

The Telegram side of ``bot.alerts``: its screens, keyboards and callback data live here and
talk to ``AlertService``. In a group or a forum topic only the group's administrators may
change its rules, which are fed by the creating admin's own private connection; typed steps
there ask with a reply request, since only replies to the bot reach it.
"""

from __future__ import annotations

from aiogram import Router

from handlers.alerts import manage, under_alert, wizard

router = Router(name="alerts")
# The /alerts command first: typed while a step waits for text, it still opens the list.
router.include_routers(manage.router, wizard.router, under_alert.router)

__all__ = ["router"]
