"""A stored digest's card actions: pause and resume, delete (confirmed), and send now."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery

from bot.aiokk.errors import AiokkError
from bot.digest.naming import schedule_text
from bot.digest.render import period_label
from bot.digest.runner import NoConnection, PartlyDelivered
from bot.digest.service import DigestService
from bot.isolation import outside_lock
from bot.messages import error_sentence, esc, show
from bot.texts import t
from handlers.digests import keyboards as kb
from handlers.digests.callbacks import DigestAction, DigestCb
from handlers.digests.common import load, may_manage
from handlers.digests.screens import show_card, show_list
from handlers.targets import deny

router = Router(name="digests.manage")


@router.callback_query(DigestCb.filter(F.action == DigestAction.PAUSE))
async def on_pause(
    query: CallbackQuery,
    callback_data: DigestCb,
    state: FSMContext,
    lang: str,
    bot: Bot,
    digests: DigestService,
) -> None:
    sub = await load(query, callback_data.sid, state, digests, lang)
    if sub is None or not await may_manage(query, bot, lang):
        return
    changed = await digests.pause(sub)
    if changed is None:
        await deny(query, t("digest.gone", lang))
        return
    await query.answer(t("digest.paused_now", lang))
    await show_card(query, changed, digests, lang)


@router.callback_query(DigestCb.filter(F.action == DigestAction.RESUME))
async def on_resume(
    query: CallbackQuery,
    callback_data: DigestCb,
    state: FSMContext,
    lang: str,
    bot: Bot,
    digests: DigestService,
) -> None:
    sub = await load(query, callback_data.sid, state, digests, lang)
    if sub is None or not await may_manage(query, bot, lang):
        return
    user = query.from_user
    resumed, owner_changed = await digests.resume(sub, user.id, user.full_name)
    if resumed is None:
        await deny(query, t("digest.resume_needs_connection", lang))
        return
    await query.answer(t("digest.resumed_now", lang))
    header = t("digest.owner_changed", lang, name=esc(user.full_name)) if owner_changed else None
    await show_card(query, resumed, digests, lang, header=header)


@router.callback_query(DigestCb.filter(F.action == DigestAction.DELETE))
async def on_delete(
    query: CallbackQuery,
    callback_data: DigestCb,
    state: FSMContext,
    lang: str,
    bot: Bot,
    digests: DigestService,
) -> None:
    sub = await load(query, callback_data.sid, state, digests, lang)
    if sub is None or not await may_manage(query, bot, lang):
        return
    await query.answer()
    label = await digests.label(sub, lang)
    text = t(
        "digest.delete_confirm",
        lang,
        what=f"{schedule_text(sub, lang)} · {label or t('digest.scope.all', lang)}",
    )
    await show(query, text, kb.confirm_delete_keyboard(sub.id, lang))


@router.callback_query(DigestCb.filter(F.action == DigestAction.DELETE_OK))
async def on_delete_confirmed(
    query: CallbackQuery,
    callback_data: DigestCb,
    state: FSMContext,
    lang: str,
    bot: Bot,
    digests: DigestService,
) -> None:
    sub = await load(query, callback_data.sid, state, digests, lang)
    if sub is None or not await may_manage(query, bot, lang):
        return
    await digests.delete(sub.id)
    await query.answer(t("digest.deleted", lang))
    await show_list(query, sub.chat_id, digests, lang)


@router.callback_query(DigestCb.filter(F.action == DigestAction.SEND_NOW))
async def on_send_now(
    query: CallbackQuery,
    callback_data: DigestCb,
    state: FSMContext,
    lang: str,
    bot: Bot,
    digests: DigestService,
) -> None:
    sub = await load(query, callback_data.sid, state, digests, lang)
    if sub is None or not await may_manage(query, bot, lang):
        return
    # Answer before the slow part: a callback query expires within seconds.
    await query.answer(t("digest.sending", lang))
    try:
        async with outside_lock():  # the user's other updates need not wait for aiokk
            await digests.send_now(bot, sub)
    except NoConnection:
        await bot.send_message(
            sub.chat_id, t("digest.error.no_connection", lang), message_thread_id=sub.thread_id
        )
    except AiokkError as error:
        await bot.send_message(
            sub.chat_id,
            t("digest.preview_failed", lang, reason=error_sentence(error, lang)),
            reply_markup=kb.send_now_keyboard(sub.id, lang),  # the way to try again
            message_thread_id=sub.thread_id,
        )
    except PartlyDelivered:
        start, end = digests.preview_period(sub)
        await bot.send_message(
            sub.chat_id,
            t("digest.file_failed", lang, period=period_label(start, end, lang)),
            reply_markup=kb.send_now_keyboard(sub.id, lang),
            message_thread_id=sub.thread_id,
        )
