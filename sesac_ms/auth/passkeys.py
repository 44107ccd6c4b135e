"""Passkeys and security keys (WebAuthn) as a second factor, through the `webauthn` library.

The relying party is the app's public address (PUBLIC_BASE_URL): its host name is the
relying-party id and its scheme and host the only origin a browser's answer may come from.
A challenge lives in the signed session cookie for the one ceremony it was made for.
"""

from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
import webauthn
from flask import current_app, session
from flask_babel import gettext
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from .. import audit
from ..errors import Conflict, InvalidInput
from ..extensions import db
from ..models import User
from ..models.second_factor import Passkey
from ..models.types import utcnow
from . import second_factor, services

CHALLENGE_KEY = "webauthn_challenge"
NAME_MAX = 100


def relying_party() -> tuple[str, str]:
    """(rp id, origin) from PUBLIC_BASE_URL."""
    parts = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    return parts.hostname or "localhost", f"{parts.scheme}://{parts.netloc}"


def _descriptors(user: User) -> list[PublicKeyCredentialDescriptor]:
    rows = db.session.execute(
        sa.select(Passkey.credential_id, Passkey.transports).where(Passkey.user_id == user.id)
    ).all()
    found = []
    for credential_id, transports in rows:
        known = [t for t in transports.split(",") if t in AuthenticatorTransport._value2member_map_]
        found.append(
            PublicKeyCredentialDescriptor(
                id=credential_id, transports=[AuthenticatorTransport(t) for t in known] or None
            )
        )
    return found


def _remember(challenge: bytes, purpose: str, user: User) -> None:
    session[CHALLENGE_KEY] = {
        "challenge": bytes_to_base64url(challenge),
        "purpose": purpose,
        "user": user.id,
    }


def _take_challenge(purpose: str, user: User) -> bytes | None:
    kept = session.pop(CHALLENGE_KEY, None)
    if not isinstance(kept, dict) or kept.get("purpose") != purpose or kept.get("user") != user.id:
        return None
    return base64url_to_bytes(kept["challenge"])


def registration_options(user: User) -> str:
    """The options for the browser's navigator.credentials.create, as JSON."""
    rp_id, _ = relying_party()
    options = webauthn.generate_registration_options(
        rp_id=rp_id,
        rp_name="SeSAC MS",
        user_id=f"sesac-ms-user-{user.id}".encode(),
        user_name=user.email,
        user_display_name=user.name,
        exclude_credentials=_descriptors(user),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
    )
    _remember(options.challenge, "register", user)
    return webauthn.options_to_json(options)


def _check_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput(gettext("Give the passkey a name, such as “work laptop”."), "name")
    if len(name) > NAME_MAX:
        raise InvalidInput(
            gettext("The name is too long (%(n)d characters at most).", n=NAME_MAX), "name"
        )
    return name


def register(user: User, name: str, credential: str) -> list[str] | None:
    """Keep the passkey the browser made; new recovery codes when the user had none left."""
    name = _check_name(name)
    challenge = _take_challenge("register", user)
    rp_id, origin = relying_party()
    try:
        if challenge is None:
            raise InvalidRegistrationResponse("no challenge")
        verified = webauthn.verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
        )
    except (InvalidRegistrationResponse, ValueError, KeyError, TypeError):
        raise InvalidInput(
            gettext("The passkey could not be added. Try again, or use an authenticator app."),
            "credential",
        ) from None
    exists = db.session.scalar(
        sa.select(Passkey.id).where(Passkey.credential_id == verified.credential_id)
    )
    if exists is not None:
        raise Conflict(gettext("This passkey is already added."), "credential")
    try:
        transports = json.loads(credential).get("response", {}).get("transports") or []
    except (ValueError, AttributeError):
        transports = []
    passkey = Passkey(
        user_id=user.id,
        name=name,
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=",".join(str(t) for t in transports)[:200],
    )
    db.session.add(passkey)
    audit.record(
        user,
        "user.passkey_added",
        user,
        {"passkey": [None, name]},
        label=user.email,
        campus_id=user.campus_id,
    )
    return (
        None
        if second_factor.factors_of(user).recovery_left
        else (second_factor.new_recovery_codes(user))
    )


def authentication_options(user: User) -> str | None:
    """The options for navigator.credentials.get, or None when the user has no passkey."""
    allowed = _descriptors(user)
    if not allowed:
        return None
    rp_id, _ = relying_party()
    options = webauthn.generate_authentication_options(
        rp_id=rp_id,
        allow_credentials=allowed,
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    _remember(options.challenge, "sign-in", user)
    return webauthn.options_to_json(options)


def check_assertion(user: User, credential: str, now: datetime | None = None) -> None:
    """Accept the browser's answer signed by one of the user's passkeys, or raise WrongCode
    (counted as a failure, like a wrong code)."""
    now = now or utcnow()
    if services.is_locked(user.email, now):
        raise second_factor.wrong_code()
    challenge = _take_challenge("sign-in", user)
    rp_id, origin = relying_party()
    try:
        raw_id = base64url_to_bytes(json.loads(credential)["rawId"])
        passkey = db.session.scalar(
            sa.select(Passkey).where(Passkey.user_id == user.id, Passkey.credential_id == raw_id)
        )
        if challenge is None or passkey is None:
            raise InvalidAuthenticationResponse("unknown")
        verified = webauthn.verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
        )
    except (InvalidAuthenticationResponse, ValueError, KeyError, TypeError):
        until = services.count_failure(user.email, now, user)
        if until is not None:
            services.account_locked(user, until)
        raise second_factor.wrong_code() from None
    passkey.sign_count = verified.new_sign_count
    passkey.last_used_at = now
    services.signed_in(user, now)


def passkeys_of(user: User) -> list[Passkey]:
    return list(
        db.session.scalars(
            sa.select(Passkey).where(Passkey.user_id == user.id).order_by(Passkey.created_at)
        )
    )


def remove(user: User, passkey_id: int) -> None:
    passkey = db.session.get(Passkey, passkey_id)
    if passkey is None or passkey.user_id != user.id:
        raise Conflict(gettext("This passkey is no longer on your account."))
    factors = second_factor.factors_of(user)
    if second_factor.is_required(user) and not factors.totp and factors.passkeys <= 1:
        raise Conflict(
            gettext("Your role needs a second factor: add another one before removing this.")
        )
    db.session.delete(passkey)
    audit.record(
        user,
        "user.passkey_removed",
        user,
        {"passkey": [passkey.name, None]},
        label=user.email,
        campus_id=user.campus_id,
    )
