"""Normalising the aiokk instance address a user types, and telling public addresses apart."""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# The characters of an IPv4 address in any form inet_aton reads: 127.1, 2130706433, 0x7f.1.
_NUMERIC_HOST = re.compile(r"^[0-9a-fx.]+$")
# NAT64's well-known prefix: the last 32 bits are the IPv4 address a translator connects to.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")

_HOST = re.compile(
    r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$"
)


class AddressError(ValueError):
    """The text is not a usable instance address; ``reason`` is a text-catalog suffix."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_ip(host: str) -> IPAddress | None:
    """The IP address ``host`` spells, in any form the OS accepts, or ``None`` for a name.

    Besides the usual forms, IPv4 may be short, decimal, octal or hex (``127.1``,
    ``2130706433``, ``0177.0.0.1``, ``0x7f.1``): ``inet_aton`` reads them as connecting would.
    """
    text = host.strip().lower()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    if not _NUMERIC_HOST.match(text):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(text))
    except OSError:
        return None


def is_public(address: IPAddress) -> bool:
    """Whether ``address`` is on the public internet: not loopback, private, link-local,
    multicast, reserved or unspecified. An IPv6 address that carries an IPv4 one (mapped,
    NAT64, 6to4) is judged by the IPv4 address it leads to."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public(embedded)
        if address.is_site_local:
            return False
    return address.is_global and not address.is_multicast and not address.is_reserved


def is_localhost_name(host: str) -> bool:
    """``localhost`` and its subdomains always mean this machine (RFC 6761)."""
    name = host.lower().rstrip(".")
    return name == "localhost" or name.endswith(".localhost")


def is_loopback(host: str) -> bool:
    if is_localhost_name(host):
        return True
    address = parse_ip(host)
    return address is not None and address.is_loopback


def normalise_base_url(text: str) -> str:
    """``company.aiokk.io``, ``https://company.aiokk.io/path`` → ``https://company.aiokk.io``.

    https is required; plain http is allowed only for loopback hosts (the sandbox). Whether
    the bot may connect there at all is decided later, against its resolved addresses
    (``bot.aiokk.transport.AddressGuard``).
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
    address = parse_ip(host) if host else None
    if isinstance(address, ipaddress.IPv4Address):
        # One spelling for every form of an IPv4 address: 127.1 and 2130706433 are 127.0.0.1.
        host = str(address)
    loopback = is_loopback(host)
    scheme = parts.scheme.lower() or ("http" if loopback else "https")
    if scheme not in {"http", "https"}:
        raise AddressError("invalid")
    if not host or not (loopback or _HOST.match(host) or address is not None):
        raise AddressError("invalid")
    if scheme == "http" and not loopback:
        raise AddressError("https_required")
    if "." not in host and not loopback and address is None:
        raise AddressError("invalid")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    return f"{scheme}://{netloc}"


def display_host(base_url: str) -> str:
    return urlsplit(base_url).netloc
