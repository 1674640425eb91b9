"""/start, /help, /cancel and the main menu."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.addresses import display_host
from bot.callbacks import MenuAction, MenuCb
from bot.keyboards import back_to_menu, main_menu, start_keyboard
from bot.messages import esc, show
from bot.services.connections import ConnectionService
from bot.texts import t
from storage import Connection

router = Router(name="start")


def menu_text(connection: Connection, lang: str) -> str:
    return t("menu.title", lang, host=esc(display_host(connection.base_url)))


@router.message(CommandStart(deep_link=False))
async def cmd_start(
    message: Message,
    state: FSMContext,
    lang: str,
    connection: Connection | None,
    connections: ConnectionService,
) -> None:
    await state.clear()
    name = esc(message.from_user.first_name if message.from_user else "")
    text = t("start.greeting", lang, name=name)
    if connection is not None:
        text += "\n\n" + t("start.connected", lang, host=esc(display_host(connection.base_url)))
    markup = start_keyboard(lang, connected=connection is not None, demo=connections.demo_enabled)
    await message.answer(text, reply_markup=markup)


@router.message(Command("help"))
async def cmd_help(message: Message, lang: str) -> None:
    await message.answer(t("help.text", lang), reply_markup=back_to_menu(lang))


@router.callback_query(MenuCb.filter(F.action == MenuAction.HELP))
async def on_help(query: CallbackQuery, lang: str) -> None:
    await query.answer()
    await show(query, t("help.text", lang), back_to_menu(lang))


@router.message(Command("cancel"))
async def cmd_cancel(message: Message, state: FSMContext, lang: str) -> None:
    if await state.get_state() is None and not await state.get_data():
        await message.answer(t("error.nothing_to_cancel", lang))
        return
    await state.clear()
    await message.answer(t("error.cancelled", lang), reply_markup=back_to_menu(lang))


@router.message(Command("menu"))
async def cmd_menu(
    message: Message, state: FSMContext, lang: str, connection: Connection | None
) -> None:
    await state.set_state(None)
    if connection is None:
        await message.answer(t("menu.not_connected", lang))
        return
    await message.answer(menu_text(connection, lang), reply_markup=main_menu(lang))


@router.callback_query(MenuCb.filter(F.action == MenuAction.MENU))
async def on_menu(
    query: CallbackQuery, state: FSMContext, lang: str, connection: Connection | None
) -> None:
    await query.answer()
    await state.set_state(None)
    if connection is None:
        await show(query, t("menu.not_connected", lang))
        return
    await show(query, menu_text(connection, lang), main_menu(lang))
