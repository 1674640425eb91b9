"""Run the fake Bot API by hand: ``python -m tests.fake_telegram --port 8081``.

Point the bot at it with ``TELEGRAM_API_URL=http://127.0.0.1:8081`` and the same token, then
act as a user through the debug endpoints, for example::

    curl -X POST 127.0.0.1:8081/_test/send_text -d '{"chat_id": 42, "text": "/start"}'
    curl -X POST 127.0.0.1:8081/_test/click \
        -d '{"chat_id": 42, "message_id": 2, "callback_data": "menu:calls"}'
    curl '127.0.0.1:8081/_test/messages?chat_id=42'
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging

from tests.fake_telegram.server import FakeTelegram


async def _serve(args: argparse.Namespace) -> None:
    fake = FakeTelegram(
        token=args.token, enforce_limits=args.enforce_limits, max_upload_mb=args.max_upload_mb
    )
    await fake.start(port=args.port)
    logging.getLogger(__name__).info("token %s, base URL %s", args.token, fake.base_url)
    try:
        await asyncio.Event().wait()
    finally:
        await fake.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Fake Telegram Bot API server")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456:TEST-TOKEN")
    parser.add_argument("--enforce-limits", action="store_true")
    parser.add_argument("--max-upload-mb", type=float, default=50)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
