"""End to end: in the default setup the address step is not a way into the bot's network.

The real bot process, no pinned instance, everyone allowed. Whatever listens at an
address inside the network, or nothing at all, the user gets the same sentence and
nothing connects there.
"""

from __future__ import annotations

import asyncio
import socket

from tests.e2e.conftest import StartBot
from tests.e2e.steps import Person
from tests.fake_telegram import FakeTelegram


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_addresses_inside_the_network_are_refused_alike_and_nothing_connects(
    fake_telegram: FakeTelegram, bot_process: StartBot
) -> None:
    accepted: list[object] = []

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(await reader.read(4096))
        writer.close()

    listener = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        await bot_process()
        person = Person(fake_telegram, 521)
        await person.say("/connect", contains="Шаг 1")
        addresses = [
            f"http://127.0.0.1:{port}",
            f"http://127.0.0.1:{closed_port()}",
            "https://169.254.169.254",
            f"https://[::ffff:127.0.0.1]:{port}",
            f"https://2130706433:{port}",
            f"localhost:{port}",
        ]
        answers = [(await person.say(address))["text"] for address in addresses]
        # The flow still waits for an address: a token now is not taken for one.
        await person.say("demo-90817263", contains="Не похоже на адрес")
        status = await person.say("/status")
    finally:
        listener.close()
        await listener.wait_closed()

    assert len(set(answers)) == 1, answers
    assert "не публичный адрес aiokk" in answers[0]
    assert "AIOKK_ALLOW_PRIVATE" in answers[0]
    assert accepted == [], "the listener received a connection"
    assert "не подключён" in status["text"]
