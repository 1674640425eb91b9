"""The small error hierarchy of the aiokk client; none of them carries the token."""

from __future__ import annotations


class AiokkError(Exception):
    """Base class: something went wrong talking to an aiokk instance."""

    retryable = False

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class NotPaid(AiokkError):
    """402: the API subscription has expired or was not paid."""


class Disabled(AiokkError):
    """403: API access is disabled for this account."""


class TokenNotFound(AiokkError):
    """404: the token is missing or invalid."""


class Unavailable(AiokkError):
    """502/5xx, timeouts and connection errors: worth retrying later."""

    retryable = True


class BadResponse(AiokkError):
    """The instance answered something that is not the documented JSON."""


class AddressRefused(AiokkError):
    """The instance address leads into the bot's own network: refused before connecting."""


class InvalidArgument(AiokkError, ValueError):
    """A filter value was rejected before anything was sent."""
