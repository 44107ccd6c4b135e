"""Encryption of secrets stored in the database (second-factor secrets, health data), with
keys from config.

`DATA_ENCRYPTION_KEYS` holds one or more Fernet keys (AES-128-CBC with HMAC-SHA256, from
the `cryptography` library), separated by commas: the first encrypts, every one decrypts,
so a new key goes first and the old one stays until `rotate` has re-encrypted every value.
Without keys, development and tests derive one from SECRET_KEY; production refuses to start
(security.check_production_config), since a stolen database and a leaked SECRET_KEY must not
be the same secret.

Make a key:
    python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"
"""

from __future__ import annotations

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app


class UnreadableSecret(RuntimeError):
    """A stored value none of the configured keys decrypts (a key was removed too early)."""


def configured_keys(config: dict) -> list[str]:
    text = config.get("DATA_ENCRYPTION_KEYS") or ""
    return [key.strip() for key in str(text).split(",") if key.strip()]


@functools.lru_cache(maxsize=8)
def _derived_key(secret_key: str) -> bytes:
    """A Fernet key derived from SECRET_KEY: development and tests only."""
    raw = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"sesac-ms data encryption"
    ).derive(secret_key.encode())
    return base64.urlsafe_b64encode(raw)


def _keys() -> tuple[str, ...]:
    config = current_app.config
    return tuple(configured_keys(config) or [_derived_key(str(config["SECRET_KEY"])).decode()])


def _box() -> MultiFernet:
    return _box_of(_keys())


@functools.lru_cache(maxsize=8)
def _box_of(keys: tuple[str, ...]) -> MultiFernet:
    """Built once per set of keys: health data is decrypted a row at a time."""
    return MultiFernet([Fernet(key.encode()) for key in keys])


def check_keys(config: dict) -> str | None:
    """A problem with DATA_ENCRYPTION_KEYS, said for the operator, or None."""
    for number, key in enumerate(configured_keys(config), start=1):
        try:
            Fernet(key.encode())
        except (ValueError, TypeError):
            return (
                f"DATA_ENCRYPTION_KEYS: key {number} is not a Fernet key "
                "(32 url-safe base64-encoded bytes)"
            )
    return None


def encrypt(text: str) -> str:
    return _box().encrypt(text.encode()).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _box().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeEncodeError):  # not a token at all: plain text
        raise UnreadableSecret("no configured key decrypts this value") from None


def is_current(token: str) -> bool:
    """True when the first key decrypts the value (`rotate` has nothing to do for it)."""
    try:
        _box_of(_keys()[:1]).decrypt(token.encode("ascii"))
    except (InvalidToken, UnicodeEncodeError):  # not a token at all: plain text
        return False
    return True


def rotate(token: str) -> str:
    """The value re-encrypted with the first key."""
    try:
        return _box().rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeEncodeError):  # not a token at all: plain text
        raise UnreadableSecret("no configured key decrypts this value") from None
