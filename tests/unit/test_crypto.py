from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

import bot.crypto as crypto
from bot.crypto import (
    TokenCipher,
    TokenDecryptionError,
    load_or_create_key,
    mask_token,
    token_tail,
)

TOKEN = "aiokk-secret-token-1234abcd"


def test_encrypt_decrypt_round_trip() -> None:
    cipher = TokenCipher(Fernet.generate_key())
    blob = cipher.encrypt(TOKEN)
    assert TOKEN.encode() not in blob
    assert cipher.decrypt(blob) == TOKEN


def test_cyrillic_token_round_trip() -> None:
    cipher = TokenCipher(Fernet.generate_key())
    assert cipher.decrypt(cipher.encrypt("токен-Ё")) == "токен-Ё"


def test_decrypt_with_another_key_fails_clearly() -> None:
    blob = TokenCipher(Fernet.generate_key()).encrypt(TOKEN)
    with pytest.raises(TokenDecryptionError, match="key has changed"):
        TokenCipher(Fernet.generate_key()).decrypt(blob)


def test_decrypt_garbage_fails_clearly() -> None:
    with pytest.raises(TokenDecryptionError):
        TokenCipher(Fernet.generate_key()).decrypt(b"not a fernet token")


def test_cipher_repr_hides_key() -> None:
    key = Fernet.generate_key()
    assert key.decode() not in repr(TokenCipher(key))


def test_mask_token_shows_only_last_four() -> None:
    assert mask_token(TOKEN) == "…abcd"
    assert token_tail(TOKEN) == "abcd"


@pytest.mark.parametrize("short", ["", "a", "abcd", "abcdefg"])
def test_short_tokens_are_fully_masked(short: str) -> None:
    masked = mask_token(short)
    assert masked == "****"
    assert token_tail(short) == ""


def test_secret_key_is_used_and_no_file_written(tmp_path: Path) -> None:
    secret = Fernet.generate_key().decode()
    key_file = tmp_path / "data" / "secret.key"
    key, created = load_or_create_key(secret, key_file)
    assert key == secret.encode()
    assert created is False
    assert not key_file.exists()


def test_secret_key_surrounding_whitespace_is_ignored(tmp_path: Path) -> None:
    secret = Fernet.generate_key().decode()
    key, _ = load_or_create_key(f"  {secret}\n", tmp_path / "k")
    assert key == secret.encode()


@pytest.mark.parametrize(
    "bad",
    ["short", "x" * 44, Fernet.generate_key().decode()[:-2]],
    ids=["short", "not-base64", "truncated-key"],
)
def test_bad_secret_key_is_rejected_without_echoing_it(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError, match="SECRET_KEY is not a valid Fernet key") as info:
        load_or_create_key(bad, tmp_path / "k")
    assert bad not in str(info.value)
    assert not (tmp_path / "k").exists()


def test_key_file_created_with_0600_and_reused(tmp_path: Path) -> None:
    key_file = tmp_path / "nested" / "secret.key"
    old_umask = os.umask(0)  # the most permissive umask must still give 0600
    try:
        key, created = load_or_create_key(None, key_file)
    finally:
        os.umask(old_umask)
    assert created is True
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    Fernet(key)  # a usable key

    again, created_again = load_or_create_key(None, key_file)
    assert again == key
    assert created_again is False

    blank, _ = load_or_create_key("", key_file)  # an empty SECRET_KEY means "unset"
    assert blank == key


def test_existing_key_file_is_read(tmp_path: Path) -> None:
    key_file = tmp_path / "secret.key"
    existing = Fernet.generate_key()
    key_file.write_bytes(existing + b"\n")
    key, created = load_or_create_key(None, key_file)
    assert key == existing
    assert created is False


def test_invalid_key_file_is_rejected(tmp_path: Path) -> None:
    key_file = tmp_path / "secret.key"
    key_file.write_text("garbage")
    with pytest.raises(ValueError, match="not a valid Fernet key"):
        load_or_create_key(None, key_file)


def test_empty_key_file_is_rejected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(crypto, "_KEY_FILE_READ_PAUSE_SECONDS", 0.0)
    key_file = tmp_path / "secret.key"
    key_file.write_bytes(b"")
    with pytest.raises(ValueError, match="empty"):
        load_or_create_key(None, key_file)


def test_losing_the_creation_race_uses_the_other_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = tmp_path / "secret.key"
    winner = Fernet.generate_key()
    real_create = crypto._create_key_file

    def other_process_first(path: Path, key: bytes) -> bool:
        path.write_bytes(winner)
        return real_create(path, key)

    monkeypatch.setattr(crypto, "_create_key_file", other_process_first)
    key, created = load_or_create_key(None, key_file)
    assert key == winner
    assert created is False
