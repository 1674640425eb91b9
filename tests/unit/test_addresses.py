"""Instance addresses as users type them."""

from __future__ import annotations

import pytest

from bot.addresses import AddressError, display_host, normalise_base_url


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("company.aiokk.io", "https://company.aiokk.io"),
        ("https://company.aiokk.io/", "https://company.aiokk.io"),
        ("  https://Company.AIOKK.io/api/v1/export?x=1  ", "https://company.aiokk.io"),
        ("company.aiokk.io:8443/cabinet", "https://company.aiokk.io:8443"),
        ("http://127.0.0.1:8090", "http://127.0.0.1:8090"),
        ("localhost:8090", "http://localhost:8090"),
        ("https://localhost:8443/", "https://localhost:8443"),
        ("http://[::1]:8090", "http://[::1]:8090"),
    ],
)
def test_addresses_are_normalised(typed: str, expected: str) -> None:
    assert normalise_base_url(typed) == expected


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("http://company.aiokk.io", "https_required"),
        ("ftp://company.aiokk.io", "invalid"),
        ("not an address", "invalid"),
        ("", "invalid"),
        ("https://", "invalid"),
        ("company", "invalid"),
        ("https://user:pass@company.aiokk.io", "invalid"),
        ("https://company.aiokk.io:99999", "invalid"),
        ("https://bad_host!.io", "invalid"),
    ],
)
def test_bad_addresses_are_refused_with_a_reason(typed: str, reason: str) -> None:
    with pytest.raises(AddressError) as caught:
        normalise_base_url(typed)
    assert caught.value.reason == reason


def test_display_host_keeps_the_port() -> None:
    assert display_host("http://127.0.0.1:8090") == "127.0.0.1:8090"
    assert display_host("https://company.aiokk.io") == "company.aiokk.io"
