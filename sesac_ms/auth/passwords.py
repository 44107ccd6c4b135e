"""argon2id password hashing with the cost taken from the app's settings."""

import secrets
from contextlib import suppress

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

_DUMMY_HASH_KEY = "sesac_ms.dummy_hash"


def _hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(
        time_cost=config["ARGON2_TIME_COST"],
        memory_cost=config["ARGON2_MEMORY_COST"],
        parallelism=config["ARGON2_PARALLELISM"],
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; with no hash, spend the same time so timing reveals nothing."""
    if password_hash is None:
        return verify_dummy(password)
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def verify_dummy(password: str) -> bool:
    """Spend one verification, at the current cost, on a hash that no password opens.

    Log-in calls it whenever it refuses without looking at a real hash (an unknown address,
    a locked or deactivated account), so every attempt costs the same one verification.
    Always False.
    """
    hasher = _hasher()
    dummy = current_app.extensions.get(_DUMMY_HASH_KEY)
    if dummy is None:
        dummy = current_app.extensions[_DUMMY_HASH_KEY] = hasher.hash(secrets.token_hex(16))
    with suppress(VerificationError, InvalidHashError):
        hasher.verify(dummy, password)
    return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)
