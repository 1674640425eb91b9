"""A local stand-in for an aiokk instance: realistic data behind the real Export API."""

from bot.sandbox.data import generate_records
from bot.sandbox.server import RunningSandbox, create_app, serve_forever, start_sandbox

__all__ = ["RunningSandbox", "create_app", "generate_records", "serve_forever", "start_sandbox"]
