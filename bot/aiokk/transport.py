"""Connecting only where the bot may: the instance address is checked on every request.

Users type the instance address, so unchecked it would be a way into the bot's own
network: services on loopback, cloud metadata at 169.254.169.254, the office LAN. Each
request's host is resolved, every address it resolves to must be public, and the request
goes to one of exactly those addresses, so a name that resolves differently a moment
later (DNS rebinding) changes nothing. The Host header and the TLS server name
(``sni_hostname``) stay the original host, so the certificate is still verified for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from bot.addresses import IPAddress, is_localhost_name, is_public, parse_ip
from bot.aiokk.errors import AddressRefused

logger = logging.getLogger(__name__)

Resolver = Callable[[str], Awaitable[Sequence[str]]]
"""Every IP address a host name resolves to, as text; raises ``OSError`` when there is none."""

# (scheme, host, port) with the default port filled in.
Origin = tuple[str, str, int]

RESOLVE_TIMEOUT = 10.0
_DEFAULT_PORTS = {"http": 80, "https": 443}
# What localhost names are, whatever a resolver answers for them (RFC 6761).
_LOOPBACK = ipaddress.IPv4Address("127.0.0.1")


async def system_resolver(host: str) -> list[str]:
    """The addresses the OS resolves ``host`` to (``getaddrinfo`` off the event loop)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def origin(scheme: str, host: str, port: int | None) -> Origin:
    scheme = scheme.lower()
    host = host.lower().removeprefix("[").removesuffix("]").rstrip(".")
    return scheme, host, port or _DEFAULT_PORTS.get(scheme, 0)


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """Which instance addresses the bot may connect to.

    Plain data, so that an export's worker process applies the same policy.
    """

    allow_private: bool = False
    # Origins used as they are, unchecked: the pinned instance and the demo sandbox.
    trusted: frozenset[Origin] = frozenset()

    @classmethod
    def build(cls, *, allow_private: bool, trusted: Iterable[str | None]) -> AddressPolicy:
        origins = {
            origin(parts.scheme, parts.hostname or "", parts.port)
            for parts in (urlsplit(url) for url in trusted if url)
        }
        return cls(allow_private=allow_private, trusted=frozenset(origins))

    def trusts(self, scheme: str, host: str, port: int | None) -> bool:
        return self.allow_private or origin(scheme, host, port) in self.trusted


class AddressGuard:
    """Resolves a host and checks every address it leads to against the policy."""

    def __init__(self, policy: AddressPolicy, resolver: Resolver = system_resolver) -> None:
        self._policy = policy
        self._resolver = resolver

    async def addresses(self, scheme: str, host: str, port: int | None) -> list[IPAddress] | None:
        """The checked addresses to connect to, or ``None`` to connect to the host as it is.

        Raises ``AddressRefused`` when any address is not public (whatever listens
        there: nothing is connected to), ``OSError`` or ``TimeoutError`` when the host
        does not resolve.
        """
        if self._policy.trusts(scheme, host, port):
            return None
        literal = parse_ip(host)
        found: list[IPAddress]
        if literal is not None:
            found = [literal]
        elif is_localhost_name(host):
            found = [_LOOPBACK]
        else:
            found = await self._resolve(host)
        if not all(is_public(address) for address in found):
            shown = ", ".join(str(address) for address in found)
            logger.warning("refused %s: it leads into the bot's network (%s)", host, shown)
            raise AddressRefused(f"{host} is not a public address")
        return found

    async def _resolve(self, host: str) -> list[IPAddress]:
        async with asyncio.timeout(RESOLVE_TIMEOUT):
            answers = await self._resolver(host)
        if not answers:
            raise socket.gaierror(socket.EAI_NONAME, f"{host} has no address")
        return [ipaddress.ip_address(answer) for answer in answers]


class CheckedTransport(httpx.AsyncBaseTransport):
    """Sends each request to an address the guard checked, keeping its Host and TLS name."""

    def __init__(self, guard: AddressGuard, inner: httpx.AsyncBaseTransport) -> None:
        self._guard = guard
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        try:
            addresses = await self._guard.addresses(url.scheme, url.host, url.port)
        except (OSError, TimeoutError) as exc:
            reason = f"the host did not resolve ({type(exc).__name__})"
            raise httpx.ConnectError(reason, request=request) from None
        if addresses is None:
            return await self._inner.handle_async_request(request)
        # Like a plain connection: on to the next address when one cannot be connected to.
        for address in addresses[:-1]:
            with contextlib.suppress(httpx.ConnectError):
                return await self._inner.handle_async_request(_pinned(request, address))
        return await self._inner.handle_async_request(_pinned(request, addresses[-1]))

    async def aclose(self) -> None:
        await self._inner.aclose()


def _pinned(request: httpx.Request, address: IPAddress) -> httpx.Request:
    """``request`` sent to ``address``; the Host header and the TLS server name stay its host."""
    return httpx.Request(
        request.method,
        request.url.copy_with(host=str(address)),
        headers=request.headers,
        stream=request.stream,
        extensions={**request.extensions, "sni_hostname": request.url.host},
    )
