"""Command line: ``python -m bot [--demo]`` runs the bot, ``python -m bot sandbox`` the sandbox."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from bot.config import Settings

EXIT_CONFIG = 2


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot", description="aiokk call analytics bot")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="start the built-in sandbox aiokk server and offer a demo",
    )
    commands = parser.add_subparsers(dest="command")
    sandbox = commands.add_parser("sandbox", help="run only the sandbox aiokk server")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8090)
    sandbox.add_argument("--calls", type=int, default=500, help="number of calls to generate")
    sandbox.add_argument("--seed", type=int, default=1)
    sandbox.add_argument(
        "--live",
        action="store_true",
        help="reveal calls as their time comes and plan a new day at midnight (UTC+5)",
    )
    return parser.parse_args(argv)


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # httpx logs every request URL at INFO; one line per aiokk call is ours to write.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("aiosqlite").setLevel(logging.INFO)
    # APScheduler logs two lines for every run of the minute tick; the tick logs what it did.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def describe(error: ValidationError) -> str:
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"]).upper() or "configuration"
    if first["type"] == "missing":
        return f"{field} is required: set it in the environment or in .env (see .env.example)"
    return f"{field}: {first['msg'].removeprefix('Value error, ')}"


def load_settings() -> Settings:
    try:
        return Settings()  # values come from the environment
    except ValidationError as error:
        print(f"Configuration error: {describe(error)}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.command == "sandbox":
        from bot.sandbox import serve_forever

        configure_logging("INFO")
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(
                serve_forever(
                    host=args.host,
                    port=args.port,
                    calls=args.calls,
                    seed=args.seed,
                    live=args.live,
                )
            )
        return
    settings = load_settings()
    configure_logging(settings.log_level)
    # Said before the heavy imports, so a first run does not look stuck.
    logging.getLogger("bot").info("starting%s", " with the demo sandbox" if args.demo else "")
    from bot.app import run_bot
    from bot.startup import TokenRejected
    from storage.migrations import SchemaTooNew

    try:
        asyncio.run(run_bot(settings, demo=args.demo))
    except SchemaTooNew as error:
        print(f"Database error: {error}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None
    except TokenRejected:
        print(
            "Telegram rejected BOT_TOKEN (401 Unauthorized): check the token @BotFather gave "
            "you, or whether it was revoked",
            file=sys.stderr,
        )
        raise SystemExit(EXIT_CONFIG) from None


if __name__ == "__main__":
    main()
