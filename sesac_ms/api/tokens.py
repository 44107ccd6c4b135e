"""Personal access tokens: made on the account page, shown once, kept hashed, revocable.

A token acts with its owner's role and campus and never more: the API checks the same
permissions table as the pages (permissions.ACTIONS), then the token's own narrowing
(read-only, some resources). A deactivated owner's tokens stop working with the account.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select

from .. import audit
from ..errors import NotAllowed, Problems
from ..extensions import db
from ..models import ApiToken, Role, User
from ..models.types import utcnow

SECRET_PREFIX = "sesac_"
SHOWN_PREFIX_LENGTH = len(SECRET_PREFIX) + 6
LIFETIMES_DAYS = (30, 90, 180, 365)
# The resources a token can be narrowed to, as the API's paths name them.
RESOURCES: dict[str, object] = {
    "campuses": _l("Campuses and courses"),
    "cohorts": _l("Cohorts and their class days"),
    "applications": _l("Applications"),
    "roster": _l("Rosters and attendance"),
    "sessions": _l("1:1 sessions"),
    "placements": _l("Outcomes, referrals and certifications"),
    "reports": _l("Reports"),
}
# Paths every token may read whatever its narrowing: who the token is.
ALWAYS = "me"


@dataclass
class NewToken:
    token: ApiToken
    secret: str  # shown once, never stored


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    owner: User,
    name: str,
    *,
    days: int,
    can_write: bool,
    resources: list[str] | None = None,
    now: datetime | None = None,
) -> NewToken:
    """Make a token for `owner`; every problem with the input is reported at once."""
    problems = Problems()
    name = (name or "").strip()
    if not name:
        problems.add(gettext("Give the token a name, such as the program that uses it."), "name")
    elif len(name) > 100:
        problems.add(gettext("Keep the name to 100 characters."), "name")
    if days not in LIFETIMES_DAYS:
        problems.add(gettext("Choose how long the token stays valid."), "days")
    chosen = sorted(set(resources or []))
    if any(resource not in RESOURCES for resource in chosen):
        problems.add(gettext("Choose resources from the list."), "resources")
    problems.raise_any()
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    now = now or utcnow()
    token = ApiToken(
        user_id=owner.id,
        name=name,
        token_hash=hash_secret(secret),
        prefix=secret[:SHOWN_PREFIX_LENGTH],
        can_write=can_write,
        resources=",".join(chosen) or None,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    db.session.add(token)
    audit.record(
        owner,
        "user.api_token_made",
        owner,
        {"api_token": [None, name]},
        label=owner.email,
        campus_id=owner.campus_id,
    )
    return NewToken(token, secret)


def tokens_of(owner: User) -> list[ApiToken]:
    """The owner's tokens, newest first, revoked ones included (they say so)."""
    return list(
        db.session.scalars(
            db.select(ApiToken)
            .where(ApiToken.user_id == owner.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def working_tokens_query() -> Select:
    """Every user's tokens that still work, newest first, for the administrator's list."""
    return (
        db.select(ApiToken)
        .where(ApiToken.revoked_at.is_(None), ApiToken.expires_at > utcnow())
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )


def revoke(actor: User, token_id: int) -> ApiToken:
    """Revoke a token: its owner may revoke their own, an administrator anyone's."""
    token = db.session.get(ApiToken, token_id)
    if token is None or (token.user_id != actor.id and actor.role != Role.ADMIN):
        raise NotAllowed(gettext("That token is not one you can revoke."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        token.revoked_by_id = actor.id
        audit.record(
            actor,
            "user.api_token_revoked",
            token.user,
            {"api_token": [token.name, None]},
            label=token.user.email,
            campus_id=token.user.campus_id,
        )
    return token


def is_usable(token: ApiToken, now: datetime | None = None) -> bool:
    return token.revoked_at is None and token.expires_at > (now or utcnow()) and token.user.active


def authenticate(secret: str, now: datetime | None = None) -> ApiToken | None:
    """The working token this secret belongs to, or None (unknown, expired, revoked)."""
    if not secret.startswith(SECRET_PREFIX) or len(secret) > 100:
        return None
    token = db.session.scalar(db.select(ApiToken).where(ApiToken.token_hash == hash_secret(secret)))
    if token is None or not is_usable(token, now):
        return None
    return token


def allows(token: ApiToken, resource: str, write: bool) -> bool:
    """Whether the token's own narrowing lets it at this resource (the role is checked apart)."""
    if write and not token.can_write:
        return False
    return resource == ALWAYS or not token.resources or resource in token.resource_names
