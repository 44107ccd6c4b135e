"""The second factor of a sign-in: authenticator codes (TOTP, RFC 6238) and recovery codes.

Rules kept here, for the routes and the CLI alike:
- a code is accepted for the current 30-second step and one step either side, and never
  for a step at or before the last one accepted (one atomic UPDATE, so two workers given
  the same code accept it once);
- wrong codes count in the same per-address table as wrong passwords (login_failures),
  lock the same way and get the same message whatever went wrong;
- the secret is stored encrypted (crypto.py); recovery codes only as their SHA-256;
- which roles must have a second factor is the SECOND_FACTOR_ROLES setting.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
import segno
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext

from .. import audit, crypto, notify
from ..errors import Conflict, InvalidInput
from ..extensions import db
from ..models import Role, User
from ..models.second_factor import Passkey, RecoveryCode, TotpCredential
from ..models.types import utcnow
from . import services

ISSUER = "SeSAC MS"
STEP_SECONDS = 30
RECOVERY_CODES = 10
# 16 characters of an alphabet without look-alikes (no i, l, o, 0, 1): 79 random bits a code.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


class WrongCode(InvalidInput):
    """A wrong, used or late code, or too many attempts: one message for all."""


def wrong_code() -> WrongCode:
    return WrongCode(
        gettext(
            "Wrong code, or too many attempts. Try again later, or use one of your recovery codes."
        ),
        "code",
    )


# --- policy ---------------------------------------------------------------------------


def required_roles() -> frozenset[Role]:
    names = current_app.config["SECOND_FACTOR_ROLES"]
    if isinstance(names, str):
        names = [name.strip() for name in names.split(",")]
    return frozenset(Role(name) for name in names if name)


def is_required(user: User) -> bool:
    return user.role in required_roles()


def role_required(role: str | None) -> bool:
    return role is not None and role in {required.value for required in required_roles()}


@dataclass(frozen=True)
class Factors:
    totp: bool
    passkeys: int
    recovery_left: int

    @property
    def any(self) -> bool:
        return self.totp or self.passkeys > 0


def factors_of(user: User) -> Factors:
    """What the user has, in one query."""
    totp = (
        sa.select(sa.func.count())
        .where(TotpCredential.user_id == user.id, TotpCredential.confirmed_at.is_not(None))
        .scalar_subquery()
    )
    keys = sa.select(sa.func.count()).where(Passkey.user_id == user.id).scalar_subquery()
    left = (
        sa.select(sa.func.count())
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        .scalar_subquery()
    )
    row = db.session.execute(sa.select(totp, keys, left)).one()
    return Factors(totp=row[0] > 0, passkeys=row[1], recovery_left=row[2])


# --- authenticator codes --------------------------------------------------------------


@dataclass(frozen=True)
class TotpSetup:
    secret: str
    uri: str
    qr_svg: str  # an <svg> element, drawn here: no outside service sees the secret


def _step(at: datetime) -> int:
    return int(at.timestamp()) // STEP_SECONDS


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def begin_totp(user: User) -> TotpSetup:
    """A new secret waiting for its first code (it replaces an unconfirmed one)."""
    credential = db.session.scalar(
        sa.select(TotpCredential).where(TotpCredential.user_id == user.id)
    )
    if credential is not None and credential.confirmed_at is not None:
        raise Conflict(gettext("An authenticator app is already set up. Remove it first."))
    secret = pyotp.random_base32()
    if credential is None:
        credential = TotpCredential(user_id=user.id, secret_encrypted="")
        db.session.add(credential)
    credential.secret_encrypted = crypto.encrypt(secret)
    credential.last_used_step = None
    db.session.flush()
    return pending_totp(user)


def pending_totp(user: User) -> TotpSetup | None:
    """The unconfirmed secret of the user, to show again (a reload of the setup page)."""
    credential = db.session.scalar(
        sa.select(TotpCredential).where(
            TotpCredential.user_id == user.id, TotpCredential.confirmed_at.is_(None)
        )
    )
    if credential is None:
        return None
    secret = crypto.decrypt(credential.secret_encrypted)
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    qr = segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff", border=2)
    return TotpSetup(secret=_grouped(secret), uri=uri, qr_svg=qr)


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    code = "".join(code.split())
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = _step(now)
    for step in (current - 1, current, current + 1):
        if secrets.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def confirm_totp(user: User, code: str, now: datetime | None = None) -> list[str] | None:
    """Turn the pending secret on with a first code from the app.

    Returns new recovery codes when the user had none left, else None.
    """
    now = now or utcnow()
    credential = db.session.scalar(
        sa.select(TotpCredential).where(
            TotpCredential.user_id == user.id, TotpCredential.confirmed_at.is_(None)
        )
    )
    if credential is None:
        raise Conflict(gettext("Start the set-up again: the code to scan has expired."))
    step = _matching_step(crypto.decrypt(credential.secret_encrypted), code, now)
    if step is None:
        raise InvalidInput(
            gettext("That code does not match. Type the 6 digits the app shows now."), "code"
        )
    credential.confirmed_at = now
    credential.last_used_step = step
    audit.record(user, "user.totp_enabled", user, label=user.email, campus_id=user.campus_id)
    return None if factors_of(user).recovery_left else new_recovery_codes(user)


def remove_totp(user: User) -> None:
    """Remove the authenticator app; a role that requires a second factor keeps one."""
    if is_required(user) and factors_of(user).passkeys == 0:
        raise Conflict(
            gettext("Your role needs a second factor: add a passkey before removing the app.")
        )
    db.session.execute(sa.delete(TotpCredential).where(TotpCredential.user_id == user.id))
    audit.record(user, "user.totp_removed", user, label=user.email, campus_id=user.campus_id)


def _accept_totp(user: User, code: str, now: datetime) -> bool:
    credential = db.session.scalar(
        sa.select(TotpCredential).where(
            TotpCredential.user_id == user.id, TotpCredential.confirmed_at.is_not(None)
        )
    )
    if credential is None:
        return False
    step = _matching_step(crypto.decrypt(credential.secret_encrypted), code, now)
    if step is None:
        return False
    # Only one request may move the step forward: a replayed code finds it already there.
    moved = db.session.execute(
        sa.update(TotpCredential)
        .where(
            TotpCredential.id == credential.id,
            sa.or_(TotpCredential.last_used_step.is_(None), TotpCredential.last_used_step < step),
        )
        .values(last_used_step=step)
        .execution_options(synchronize_session=False)
    )
    return moved.rowcount == 1


# --- recovery codes -------------------------------------------------------------------


def _code_hash(code: str) -> str:
    plain = "".join(ch for ch in code.lower() if ch.isalnum())
    return hashlib.sha256(plain.encode()).hexdigest()


def new_recovery_codes(user: User) -> list[str]:
    """Ten new codes, shown once; the earlier ones stop working."""
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(16))
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_code_hash(c)) for c in codes)
    audit.record(user, "user.recovery_codes_made", user, label=user.email, campus_id=user.campus_id)
    return codes


def _use_recovery_code(user: User, code: str, now: datetime) -> bool:
    used = db.session.execute(
        sa.update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _code_hash(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:
        return False
    audit.record(user, "user.recovery_code_used", user, label=user.email, campus_id=user.campus_id)
    _mail_recovery_code_used(user, now)
    return True


def _mail_recovery_code_used(user: User, when: datetime) -> None:
    notify.send(user, "recovery_code_used", when=when, left=factors_of(user).recovery_left)


# --- the second step of a sign-in ------------------------------------------------------


def check_code(user: User, code: str, now: datetime | None = None) -> None:
    """Accept an authenticator or a recovery code of the user, or raise WrongCode.

    Wrong codes count like wrong passwords; a locked address is refused whatever the code.
    """
    now = now or utcnow()
    if services.is_locked(user.email, now):
        raise wrong_code()
    code = code.strip()
    if _accept_totp(user, code, now) or (len(code) > 6 and _use_recovery_code(user, code, now)):
        services.signed_in(user, now)
        return
    until = services.count_failure(user.email, now, user)
    if until is not None:
        services.account_locked(user, until)
    raise wrong_code()


def reset(actor: User | None, user: User) -> None:
    """Remove every second factor of the user and end their sessions (admin, CLI)."""
    had = factors_of(user)
    db.session.execute(sa.delete(TotpCredential).where(TotpCredential.user_id == user.id))
    db.session.execute(sa.delete(Passkey).where(Passkey.user_id == user.id))
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    services.end_all_sessions(user)
    audit.record(
        actor,
        "user.second_factor_reset",
        user,
        {"authenticator": [had.totp, False], "passkeys": [had.passkeys, 0]},
        label=user.email,
        campus_id=user.campus_id,
    )
    notify.send(user, "second_factor_reset")


def find_user(email: str) -> User:
    user = services.find_user_by_email(email)
    if user is None:
        raise InvalidInput(gettext("No account has this e-mail address."), "email")
    return user
