"""Encryption of aiokk tokens at rest.

Tokens are stored in SQLite encrypted with Fernet (AES-128-CBC + HMAC). The key
comes from ``SECRET_KEY`` or, when that is unset, from a key file kept next to
the database, created on first start with owner-only permissions.
"""

from __future__ import annotations

import logging
import os
import stat
import time
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

logger = logging.getLogger(__name__)

# Tokens shorter than this are masked completely: showing four characters of a
# short token would reveal too much of it.
_MIN_LENGTH_TO_SHOW_TAIL = 8
_VISIBLE_TAIL = 4
_FULL_MASK = "****"

# Another process may have just created the key file and not finished writing it.
_KEY_FILE_READ_ATTEMPTS = 50
_KEY_FILE_READ_PAUSE_SECONDS = 0.02


class TokenDecryptionError(ValueError):
    """A stored token cannot be decrypted, usually because the key has changed."""


class TokenCipher:
    """Encrypts and decrypts aiokk tokens with one Fernet key."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(validate_key(key))

    def __repr__(self) -> str:
        return "TokenCipher(key=<hidden>)"

    def encrypt(self, token: str) -> bytes:
        return self._fernet.encrypt(token.encode("utf-8"))

    def decrypt(self, blob: bytes) -> str:
        try:
            return self._fernet.decrypt(blob).decode("utf-8")
        except (InvalidToken, UnicodeDecodeError) as exc:
            raise TokenDecryptionError(
                "A stored token cannot be decrypted: the encryption key has changed "
                "or the data is damaged."
            ) from exc


def mask_token(token: str) -> str:
    """``"…abcd"`` for normal tokens; short tokens are hidden completely."""
    if len(token) < _MIN_LENGTH_TO_SHOW_TAIL:
        return _FULL_MASK
    return "…" + token[-_VISIBLE_TAIL:]


def token_tail(token: str) -> str:
    """The last four characters worth storing for display, or ``""`` for short tokens."""
    if len(token) < _MIN_LENGTH_TO_SHOW_TAIL:
        return ""
    return token[-_VISIBLE_TAIL:]


def validate_key(key: bytes | str, *, source: str = "the encryption key") -> bytes:
    """Return ``key`` as bytes if it is a valid Fernet key, else raise a clear ValueError.

    The message never contains the key itself.
    """
    raw = key.encode("ascii", errors="replace") if isinstance(key, str) else key
    raw = raw.strip()
    try:
        Fernet(raw)
    except ValueError as exc:  # binascii.Error is a ValueError too
        raise ValueError(
            f"{source} is not a valid Fernet key: it must be 32 url-safe base64-encoded "
            "bytes (44 characters). Generate one with: python -c "
            '"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
        ) from exc
    return raw


def load_or_create_key(secret_key: str | None, key_file: Path) -> tuple[bytes, bool]:
    """Find the token encryption key.

    Order: ``secret_key`` (from ``SECRET_KEY``) when given; else the key file;
    else a new key written to ``key_file`` with mode 0600. Returns
    ``(key, created)``; ``created`` is True only when a new key file was written,
    so the caller can warn the admin to back it up.
    """
    if secret_key is not None and secret_key.strip():
        return validate_key(secret_key, source="SECRET_KEY"), False

    existing = _read_key_file(key_file)
    if existing is not None:
        return existing, False

    key = Fernet.generate_key()
    if _create_key_file(key_file, key):
        return key, True
    # Lost a race with another process starting at the same time: use its key.
    existing = _read_key_file(key_file)
    if existing is None:
        raise ValueError(f"Key file {key_file} exists but is empty.")
    return existing, False


def _read_key_file(key_file: Path) -> bytes | None:
    for attempt in range(_KEY_FILE_READ_ATTEMPTS):
        try:
            content = key_file.read_bytes().strip()
        except FileNotFoundError:
            return None
        if content:
            _warn_if_readable_by_others(key_file)
            return validate_key(content, source=f"Key file {key_file}")
        if attempt + 1 < _KEY_FILE_READ_ATTEMPTS:
            time.sleep(_KEY_FILE_READ_PAUSE_SECONDS)
    raise ValueError(f"Key file {key_file} is empty; delete it or set SECRET_KEY.")


def _create_key_file(key_file: Path, key: bytes) -> bool:
    """Write a new key file atomically with mode 0600; False if it already exists."""
    key_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    try:
        # os.open's mode passes through the umask; make it exactly 0600.
        os.fchmod(fd, 0o600)
        os.write(fd, key + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    return True


def _warn_if_readable_by_others(key_file: Path) -> None:
    mode = key_file.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        logger.warning(
            "Key file %s is accessible by other users (mode %o); restrict it with chmod 600.",
            key_file,
            stat.S_IMODE(mode),
        )
