"""A fake Telegram Bot API server for tests: see ``server.FakeTelegram``.

Run it by hand with ``python -m tests.fake_telegram --port 8081``.
"""

from tests.fake_telegram.errors import ApiError
from tests.fake_telegram.server import FakeTelegram
from tests.fake_telegram.state import FakeChat, RecordedCall

__all__ = ["ApiError", "FakeChat", "FakeTelegram", "RecordedCall"]
