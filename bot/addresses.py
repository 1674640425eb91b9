"""Normalising the aiokk instance address a user types."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

_HOST = re.compile(
    r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$"
)


class AddressError(ValueError):
    """The text is not a usable instance address; ``reason`` is a text-catalog suffix."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def normalise_base_url(text: str) -> str:
    """``company.aiokk.io``, ``https://company.aiokk.io/path`` → ``https://company.aiokk.io``.

    https is required; plain http is allowed only for loopback hosts (the sandbox).
    """
    raw = text.strip()
    if not raw or any(ch.isspace() for ch in raw):
        raise AddressError("invalid")
    if "://" not in raw:
        raw = "//" + raw
    try:
        parts = urlsplit(raw)
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        raise AddressError("invalid") from None
    if parts.username or parts.password:
        raise AddressError("invalid")
    loopback = is_loopback(host)
    scheme = parts.scheme.lower() or ("http" if loopback else "https")
    if scheme not in {"http", "https"}:
        raise AddressError("invalid")
    if not host or not (loopback or _HOST.match(host) or _is_ip(host)):
        raise AddressError("invalid")
    if scheme == "http" and not loopback:
        raise AddressError("https_required")
    if "." not in host and not loopback:
        raise AddressError("invalid")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    return f"{scheme}://{netloc}"


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def display_host(base_url: str) -> str:
    return urlsplit(base_url).netloc
