"""The instance address is not a way into the bot's network.

Every form of a loopback, private, link-local, multicast, reserved or unspecified address
is refused before anything connects, at the address step and on every request (a name may
resolve elsewhere later), and a request goes to the very address that was checked. No test
here looks a name up in DNS: resolvers are injected.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import json
import pickle
import re
import socket
import ssl
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bot.addresses import IPAddress, is_public, normalise_base_url, parse_ip
from bot.aiokk.client import AiokkClient
from bot.aiokk.errors import AddressRefused, BadResponse, Unavailable
from bot.aiokk.transport import AddressGuard, AddressPolicy, CheckedTransport, system_resolver
from bot.config import Settings
from bot.crypto import TokenCipher
from bot.exports.job import ExportFormat, ExportJob, fetch_records
from bot.messages import error_sentence
from bot.query.model import CallQuery, Period, PeriodKind
from bot.services.connections import ConnectionService
from storage import ConnectionRepo
from storage.db import Database
from tests.clock import TEST_NOW

TOKEN = "tok-Sensitive-4242"
PUBLIC_V4 = "93.184.216.34"
PUBLIC_V6 = "2606:4700::1111"
FAST = 0.001


class FakeDns:
    """An injected resolver: a table of names, and a log of what was asked."""

    def __init__(self, table: dict[str, list[str]] | None = None) -> None:
        self.table = dict(table or {})
        self.asked: list[str] = []

    async def __call__(self, host: str) -> Sequence[str]:
        self.asked.append(host)
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.table[host]


class Recorder:
    """The network behind the guard: records each request that would have gone out."""

    def __init__(self, handler: Callable[[httpx.Request], httpx.Response] | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.handler = handler or (lambda request: httpx.Response(200, json=[]))
        self.transport = httpx.MockTransport(self._handle)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)


def guarded(dns: FakeDns, network: Recorder, policy: AddressPolicy | None = None) -> AiokkClient:
    return AiokkClient(
        transport=network.transport,
        addresses=policy or AddressPolicy(),
        resolver=dns,
        backoff=FAST,
    )


# --- what an address is ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0x7F000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("10.1", "10.0.0.1"),
        ("0", "0.0.0.0"),
        ("169.254.169.254", "169.254.169.254"),
        ("[::ffff:127.0.0.1]", "::ffff:7f00:1"),
        ("::1", "::1"),
        ("company.aiokk.io", None),
        ("abc.def", None),
        ("0xdead.beef", None),
        ("1.2.3.256", None),
        ("4294967296", None),
    ],
)
def test_ip_literals_are_read_as_the_os_reads_them(host: str, expected: str | None) -> None:
    parsed = parse_ip(host)
    assert (None if parsed is None else str(parsed)) == expected


NOT_PUBLIC = [
    "127.0.0.1",
    "127.255.255.254",
    "0.0.0.0",
    "10.20.30.40",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",  # carrier-grade NAT
    "192.0.2.1",  # documentation
    "198.18.0.1",
    "224.0.0.1",  # multicast
    "239.255.255.250",
    "240.0.0.1",  # reserved
    "255.255.255.255",
    "::1",
    "::",
    "::ffff:127.0.0.1",
    "::ffff:169.254.169.254",
    "::ffff:10.0.0.1",
    "::7f00:1",  # IPv4-compatible
    "fe80::1",
    "fe80::1%2",
    "fc00::1",
    "fd12:3456::1",
    "fec0::1",  # site-local
    "ff02::1",
    "ff0e::1",
    "2001:db8::1",
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2002:a00:1::1",  # 6to4 of 10.0.0.1
]
PUBLIC = [PUBLIC_V4, "8.8.8.8", "1.1.1.1", PUBLIC_V6, "::ffff:8.8.8.8", "64:ff9b::808:808"]


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_addresses_inside_a_network_are_not_public(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_internet_addresses_are_public(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("http://127.1:8090", "http://127.0.0.1:8090"),
        ("2130706433:8090", "http://127.0.0.1:8090"),
        ("https://0x7f.1/", "https://127.0.0.1"),
        ("https://10.1", "https://10.0.0.1"),
        ("https://[2606:4700::1111]:8443", "https://[2606:4700::1111]:8443"),
    ],
)
def test_every_spelling_of_an_ip_is_normalised_to_one(typed: str, expected: str) -> None:
    assert normalise_base_url(typed) == expected


# --- the check at the address step ------------------------------------------------------------

REFUSED_AS_TYPED = [
    "http://127.0.0.1:8090",
    "localhost:8090",
    "https://app.localhost",
    "https://127.1",
    "https://2130706433",
    "https://0x7f.1",
    "https://0177.0.0.1",
    "https://0.0.0.0",
    "https://0",
    "https://10.1.2.3",
    "https://172.16.5.4",
    "https://192.168.0.10:8443",
    "https://169.254.169.254",
    "https://100.64.0.1",
    "https://224.0.0.1",
    "https://255.255.255.255",
    "https://[::1]",
    "https://[::]",
    "https://[::ffff:127.0.0.1]",
    "https://[::ffff:a9fe:a9fe]",
    "https://[fe80::1]",
    "https://[fd00::1]",
    "https://[ff02::1]",
    "https://[64:ff9b::a9fe:a9fe]",
    "https://[2002:7f00:1::]",
]


@pytest.mark.parametrize("typed", REFUSED_AS_TYPED)
async def test_literal_addresses_inside_a_network_are_refused_without_dns(typed: str) -> None:
    dns, network = FakeDns(), Recorder()
    async with guarded(dns, network) as client:
        with pytest.raises(AddressRefused):
            await client.check_address(normalise_base_url(typed))
        with pytest.raises(AddressRefused):
            await client.check_token(normalise_base_url(typed), TOKEN)
    assert dns.asked == []
    assert network.requests == []


PRIVATE_NAMES = {
    "metadata.evil.test": ["169.254.169.254"],
    "loop.evil.test": ["127.0.0.1"],
    "office.evil.test": ["192.168.10.5"],
    "mixed.evil.test": [PUBLIC_V4, "10.0.0.7"],  # one bad address is enough
    "six.evil.test": [PUBLIC_V6, "::1"],
    "mapped.evil.test": ["::ffff:192.168.1.1"],
    "linklocal.evil.test": ["fe80::1%2"],
}


@pytest.mark.parametrize("name", sorted(PRIVATE_NAMES))
async def test_names_resolving_inside_a_network_are_refused(name: str) -> None:
    dns, network = FakeDns(PRIVATE_NAMES), Recorder()
    async with guarded(dns, network) as client:
        with pytest.raises(AddressRefused) as caught:
            await client.check_address(f"https://{name}")
    assert dns.asked == [name]
    assert network.requests == []
    assert "не публичный адрес" in error_sentence(caught.value, "ru")
    assert "AIOKK_ALLOW_PRIVATE" in error_sentence(caught.value, "en")


@pytest.mark.parametrize(
    "base_url",
    ["https://company.aiokk.io", f"https://{PUBLIC_V4}", f"https://[{PUBLIC_V6}]:8443"],
)
async def test_public_addresses_pass(base_url: str) -> None:
    dns = FakeDns({"company.aiokk.io": [PUBLIC_V4, PUBLIC_V6]})
    async with guarded(dns, Recorder()) as client:
        await client.check_address(base_url)


async def test_a_name_that_does_not_resolve_passes_the_address_step_and_is_unavailable() -> None:
    dns, network = FakeDns(), Recorder()
    async with guarded(dns, network) as client:
        await client.check_address("https://no-such.aiokk.io")
        with pytest.raises(Unavailable):
            await client.check_token("https://no-such.aiokk.io", TOKEN)
    assert dns.asked == ["no-such.aiokk.io"] * 4  # the address step, then three attempts
    assert network.requests == []


async def test_the_system_resolver_reads_getaddrinfo() -> None:
    # A numeric host: getaddrinfo answers without asking DNS.
    assert await system_resolver("127.0.0.1") == ["127.0.0.1"]


# --- every request goes to the address that was checked -------------------------------------


async def test_a_request_goes_to_the_checked_address_with_the_real_host_name() -> None:
    dns, network = FakeDns({"company.aiokk.io": [PUBLIC_V4]}), Recorder()
    async with guarded(dns, network) as client:
        await client.check_token("https://company.aiokk.io:8443", TOKEN)
    [sent] = network.requests
    assert sent.url.host == PUBLIC_V4
    assert sent.url.port == 8443
    assert sent.url.path == "/api/v1/export/dialogs/call_type"
    assert sent.headers["host"] == "company.aiokk.io:8443"
    assert sent.extensions["sni_hostname"] == "company.aiokk.io"
    assert json.loads(sent.content) == {"token": TOKEN, "call_type": 1}


async def test_an_address_that_cannot_be_reached_gives_way_to_the_next() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == PUBLIC_V6:
            raise httpx.ConnectError("Network is unreachable", request=request)
        return httpx.Response(200, json=[])

    dns = FakeDns({"company.aiokk.io": [PUBLIC_V6, PUBLIC_V4]})
    network = Recorder(handler)
    async with guarded(dns, network) as client:
        await client.check_token("https://company.aiokk.io", TOKEN)
    assert [request.url.host for request in network.requests] == [PUBLIC_V6, PUBLIC_V4]
    assert str(network.requests[0].url).startswith(f"https://[{PUBLIC_V6}]/")


async def test_a_name_that_moves_into_the_network_after_connecting_is_refused(
    tmp_path: Path,
) -> None:
    dns, network = FakeDns({"company.aiokk.io": [PUBLIC_V4]}), Recorder()
    db = await Database.open(tmp_path / "bot.sqlite3")
    try:
        async with guarded(dns, network) as client:
            connections = ConnectionService(
                client, ConnectionRepo(db, TokenCipher(Fernet.generate_key()))
            )
            await connections.check_address("https://company.aiokk.io")
            connection = await connections.connect(7, "https://company.aiokk.io", TOKEN)
            assert len(network.requests) == 1

            dns.table["company.aiokk.io"] = ["127.0.0.1"]  # DNS rebinding
            with pytest.raises(AddressRefused):
                await client.by_call_type(connection.base_url, connection.token, 2)
    finally:
        await db.close()
    assert len(network.requests) == 1, "nothing went to the new address"
    assert dns.asked.count("company.aiokk.io") == 3


async def test_a_redirect_is_not_followed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "http://127.0.0.1:8090/api/v1/x"})

    dns = FakeDns({"company.aiokk.io": [PUBLIC_V4]})
    network = Recorder(handler)
    async with guarded(dns, network) as client:
        with pytest.raises(BadResponse) as caught:
            await client.check_token("https://company.aiokk.io", TOKEN)
    assert caught.value.status == 302
    assert [request.url.host for request in network.requests] == [PUBLIC_V4]


async def test_a_redirect_into_the_network_is_refused_even_by_a_client_that_follows() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(307, headers={"Location": "http://169.254.169.254/latest/"})

    dns = FakeDns({"company.aiokk.io": [PUBLIC_V4]})
    network = Recorder(handler)
    transport = CheckedTransport(AddressGuard(AddressPolicy(), dns), network.transport)
    async with httpx.AsyncClient(transport=transport, follow_redirects=True) as http:
        with pytest.raises(AddressRefused):
            await http.post("https://company.aiokk.io/api", json={"token": TOKEN})
    assert [request.url.host for request in network.requests] == [PUBLIC_V4]


# --- what the administrator trusts ----------------------------------------------------------


async def test_pinned_and_demo_addresses_are_used_as_they_are() -> None:
    pinned, demo = "https://aiokk.office.lan", "http://127.0.0.1:8090"
    policy = AddressPolicy.build(allow_private=False, trusted=(pinned, demo, None))
    dns, network = FakeDns(), Recorder()
    async with guarded(dns, network, policy) as client:
        await client.check_token(pinned, TOKEN)
        await client.check_token("https://AIOKK.office.lan:443/", TOKEN)
        await client.check_token(demo, TOKEN)
        with pytest.raises(AddressRefused):
            await client.check_token("http://127.0.0.1:8091", TOKEN)
    assert dns.asked == []
    assert [request.url.host for request in network.requests] == [
        "aiokk.office.lan",
        "aiokk.office.lan",
        "127.0.0.1",
    ]
    assert all("sni_hostname" not in request.extensions for request in network.requests)


async def test_allow_private_lets_every_address_through() -> None:
    dns, network = FakeDns(), Recorder()
    policy = AddressPolicy.build(allow_private=True, trusted=())
    async with guarded(dns, network, policy) as client:
        for base_url in ("http://127.0.0.1:8090", "https://10.0.0.5", "https://aiokk.lan"):
            await client.check_address(base_url)
            await client.check_token(base_url, TOKEN)
    assert dns.asked == []
    assert [request.url.host for request in network.requests] == [
        "127.0.0.1",
        "10.0.0.5",
        "aiokk.lan",
    ]


def test_allow_private_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the work tree
    monkeypatch.setenv("BOT_TOKEN", "123456789:AAEexampleexampleexample")
    monkeypatch.delenv("AIOKK_ALLOW_PRIVATE", raising=False)
    assert Settings().aiokk_allow_private is False
    monkeypatch.setenv("AIOKK_ALLOW_PRIVATE", "true")
    assert Settings().aiokk_allow_private is True


# --- an export's worker process applies the same policy --------------------------------------


@pytest.fixture
async def listener() -> AsyncIterator[tuple[int, list[object]]]:
    """A loopback port, and the connections it received."""
    accepted: list[object] = []

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer.get_extra_info("peername"))
        writer.close()

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield port, accepted
    finally:
        server.close()
        await server.wait_closed()


async def test_an_export_worker_refuses_what_the_bot_refuses(
    listener: tuple[int, list[object]], tmp_path: Path
) -> None:
    port, accepted = listener
    policy = AddressPolicy.build(allow_private=False, trusted=("http://127.0.0.1:1",))
    job = ExportJob(
        base_url=f"http://127.0.0.1:{port}",
        token=TOKEN,
        query=CallQuery(period=Period(PeriodKind.D7)).to_dict(),
        tz_name="Asia/Almaty",
        lang="ru",
        fmt=ExportFormat.CSV,
        delimiter=";",
        directory=tmp_path,
        filename="export.csv",
        now=TEST_NOW,
        limit_bytes=50 << 20,
        addresses=policy,
    )
    assert pickle.loads(pickle.dumps(job)).addresses == policy  # it crosses to the worker
    with pytest.raises(AddressRefused):
        await fetch_records(job)
    assert accepted == []


# --- over a real connection: TLS verifies the real name at the checked address ---------------


class ThisMachineAsPublic(AddressGuard):
    """Resolves every name to 127.0.0.1 and lets it through: a stand-in for a public host."""

    def __init__(self) -> None:
        super().__init__(AddressPolicy())

    async def addresses(self, scheme: str, host: str, port: int | None) -> list[IPAddress]:
        return [ipaddress.IPv4Address("127.0.0.1")]


def certificate_for(name: str, folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    valid_from = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid_from)
        .not_valid_after(valid_from + dt.timedelta(days=365 * 30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


async def test_tls_verifies_the_real_name_at_the_checked_address(tmp_path: Path) -> None:
    name = "company.aiokk.io"
    cert_path, key_path = certificate_for(name, tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert_path, key_path)
    server_names: list[str | None] = []
    server_tls.sni_callback = lambda _sock, server_name, _ctx: server_names.append(server_name)
    heads: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = re.search(rb"(?i)content-length: *(\d+)", head)
        assert length is not None
        heads.append(head + await reader.readexactly(int(length.group(1))))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n[]")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=server_tls)
    port = server.sockets[0].getsockname()[1]
    client_tls = ssl.create_default_context(cafile=str(cert_path))
    inner = httpx.AsyncHTTPTransport(verify=client_tls)
    try:
        transport = CheckedTransport(ThisMachineAsPublic(), inner)
        async with AiokkClient(transport=transport, backoff=FAST) as client:
            await client.check_token(f"https://{name}:{port}", TOKEN)
    finally:
        server.close()
        await server.wait_closed()
    assert server_names == [name]
    [request] = heads
    assert f"Host: {name}:{port}".encode() in request
    assert TOKEN.encode() in request
