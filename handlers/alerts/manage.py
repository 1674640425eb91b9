"""/alerts: the chat's rules, a rule's card, starting the wizard, and the card's actions:
pause and resume, delete (confirmed), and Test (the latest matching call as a sample)."""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.aiokk.errors import AiokkError
from bot.alerts.model import AlertRule
from bot.alerts.render import AlertContext, render_alert
from bot.alerts.service import AlertService
from bot.callbacks import MenuAction, MenuCb
from bot.isolation import outside_lock
from bot.keyboards import connect_first
from bot.messages import error_sentence, show
from bot.permissions import is_private
from bot.reports.markup import fit
from bot.texts import t
from handlers.alerts import keyboards as kb
from handlers.alerts.callbacks import AlertRuleCb, RuleAction, Step
from handlers.alerts.common import DRAFT_KEY, load, may_manage, save_draft
from handlers.alerts.screens import (
    conditions_text,
    scope_text,
    show_card,
    show_list,
    show_step,
)
from handlers.targets import deny, thread_of
from storage import Connection

log = logging.getLogger(__name__)

router = Router(name="alerts.manage")


@router.message(Command("alerts"))
async def cmd_alerts(message: Message, state: FSMContext, lang: str, alerts: AlertService) -> None:
    await state.set_state(None)
    await show_list(message, message.chat.id, alerts, lang)


@router.callback_query(MenuCb.filter(F.action == MenuAction.ALERTS))
@router.callback_query(AlertRuleCb.filter(F.action == RuleAction.LIST))
async def on_list(query: CallbackQuery, state: FSMContext, lang: str, alerts: AlertService) -> None:
    await query.answer()
    await state.set_state(None)
    if query.message is not None:
        await show_list(query, query.message.chat.id, alerts, lang)


@router.callback_query(AlertRuleCb.filter(F.action == RuleAction.CANCEL))
async def on_cancel(
    query: CallbackQuery, state: FSMContext, lang: str, alerts: AlertService
) -> None:
    await query.answer(t("error.cancelled", lang))
    await state.set_state(None)
    await state.update_data({DRAFT_KEY: None})
    if query.message is not None:
        await show_list(query, query.message.chat.id, alerts, lang)


@router.callback_query(AlertRuleCb.filter(F.action == RuleAction.VIEW))
async def on_view(
    query: CallbackQuery,
    callback_data: AlertRuleCb,
    state: FSMContext,
    lang: str,
    alerts: AlertService,
) -> None:
    rule = await load(query, callback_data.rid, state, alerts, lang)
    if rule is None or rule.id == 0:
        return
    await query.answer()
    await state.set_state(None)
    await show_card(query, rule, alerts, lang)


@router.callback_query(AlertRuleCb.filter(F.action == RuleAction.NEW))
async def on_new(
    query: CallbackQuery,
    state: FSMContext,
    lang: str,
    bot: Bot,
    alerts: AlertService,
    connection: Connection | None,
    tz: ZoneInfo,
) -> None:
    message = query.message
    if message is None or not await may_manage(query, bot, lang):
        return
    chat = message.chat
    await query.answer()
    if connection is None:
        me = await bot.me()
        key = "alerts.need_connection" if is_private(chat) else "alerts.need_connection_group"
        await show(query, t(key, lang), connect_first(lang, is_private(chat), me.username))
        return
    user = query.from_user
    draft = AlertRule(
        chat_id=chat.id,
        thread_id=thread_of(message),
        owner_user_id=user.id,
        owner_name=user.full_name,
        created_by=user.id,
        language=lang,
        timezone=tz.key,
    )
    await state.set_state(None)
    await save_draft(state, draft)
    await show_step(query, Step.SCOPE, draft, alerts, lang)


async def _stored(
    query: CallbackQuery,
    callback_data: AlertRuleCb,
    state: FSMContext,
    lang: str,
    bot: Bot,
    alerts: AlertService,
) -> AlertRule | None:
    """The stored rule the press is about, when the presser may change it."""
    if callback_data.rid == 0:
        await deny(query, t("error.stale", lang))
        return None
    rule = await load(query, callback_data.rid, state, alerts, lang)
    if rule is None or not await may_manage(query, bot, lang):
        return None
    return rule


@router.callback_query(AlertRuleCb.filter(F.action.in_({RuleAction.PAUSE, RuleAction.RESUME})))
async def on_pause_or_resume(
    query: CallbackQuery,
    callback_data: AlertRuleCb,
    state: FSMContext,
    lang: str,
    bot: Bot,
    alerts: AlertService,
) -> None:
    rule = await _stored(query, callback_data, state, lang, bot, alerts)
    if rule is None:
        return
    current: AlertRule | None
    if callback_data.action is RuleAction.PAUSE:
        changed = await alerts.set_paused(rule.id, True)
        current = await alerts.get(rule.id) if changed else None
        toast = "alerts.paused_now"
    else:
        # The owner's connection may be gone: then the presser's feeds the rule from now on.
        user = query.from_user
        current, rebound = await alerts.resume(rule, user.id, user.full_name)
        if current is None and await alerts.get(rule.id) is not None:
            await deny(query, t("alerts.resume_needs_connection", lang))
            return
        toast = "alerts.resumed_rebound" if rebound else "alerts.resumed_now"
    if current is None:
        await deny(query, t("alerts.gone", lang))
        return
    await query.answer(t(toast, lang))
    await show_card(query, current, alerts, lang)


@router.callback_query(AlertRuleCb.filter(F.action == RuleAction.DELETE))
async def on_delete(
    query: CallbackQuery,
    callback_data: AlertRuleCb,
    state: FSMContext,
    lang: str,
    bot: Bot,
    alerts: AlertService,
) -> None:
    rule = await _stored(query, callback_data, state, lang, bot, alerts)
    if rule is None:
        return
    await query.answer()
    what = f"{await scope_text(rule, alerts, lang)} · {conditions_text(rule, lang)}"
    text = t("alerts.delete_confirm", lang, id=rule.id, what=what)
    await show(query, text, kb.confirm_delete_keyboard(rule.id, lang))


@router.callback_query(AlertRuleCb.filter(F.action == RuleAction.DELETE_OK))
async def on_delete_confirmed(
    query: CallbackQuery,
    callback_data: AlertRuleCb,
    state: FSMContext,
    lang: str,
    bot: Bot,
    alerts: AlertService,
) -> None:
    rule = await _stored(query, callback_data, state, lang, bot, alerts)
    if rule is None:
        return
    await alerts.delete(rule.id)
    await query.answer(t("alerts.deleted", lang))
    await show_list(query, rule.chat_id, alerts, lang)


@router.callback_query(AlertRuleCb.filter(F.action == RuleAction.TEST))
async def on_test(
    query: CallbackQuery,
    callback_data: AlertRuleCb,
    state: FSMContext,
    lang: str,
    bot: Bot,
    alerts: AlertService,
) -> None:
    rule = await _stored(query, callback_data, state, lang, bot, alerts)
    if rule is None:
        return
    # Answer before the slow part: a callback query expires within seconds.
    await query.answer(t("alerts.testing", lang))
    try:
        async with outside_lock():  # the user's other updates need not wait for aiokk
            card = await alerts.sample(rule)
            connected = card is not None or await alerts.owner_connection(rule) is not None
    except AiokkError as error:
        text = t("alerts.test.failed", lang, id=rule.id, reason=error_sentence(error, lang))
    else:
        if card is not None:
            ctx = AlertContext(lang=lang, tz=rule.tz, now=alerts.now())
            text = fit(t("alerts.test.header", lang, id=rule.id) + "\n\n" + render_alert(card, ctx))
        elif connected:
            text = t("alerts.test.none", lang, id=rule.id)
        else:
            text = t("alerts.no_connection", lang)
    # A new message, like a real alert, so the rule's card stays where it is.
    await bot.send_message(rule.chat_id, text, message_thread_id=rule.thread_id)
