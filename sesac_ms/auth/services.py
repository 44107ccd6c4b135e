"""Account use-cases: log-in with lockout, passwords, one-time links, users.

Services take the acting user, check the rule, write, audit and flush; the caller commits.
They raise DomainError subclasses with a message for the user.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, gettext

from .. import audit, mail
from ..errors import Conflict, InvalidInput
from ..extensions import db
from ..links import external_url
from ..models import Campus, PasswordToken, Role, User
from ..models.audit import AccessAction
from ..models.types import utcnow
from .passwords import hash_password, needs_rehash, verify_password


class LoginRefused(InvalidInput):
    """Wrong e-mail or password, or the account cannot log in now."""


class AccountLocked(LoginRefused):
    def __init__(self, message: str, until: datetime) -> None:
        super().__init__(message)
        self.until = until


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(db.select(User).where(User.email == normalise_email(email)))


def check_password_rules(password: str, field: str = "password") -> None:
    """At least PASSWORD_MIN_LENGTH characters; no composition rules (NIST SP 800-63B)."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise InvalidInput(
            gettext("The password needs at least %(n)d characters.", n=minimum), field
        )
    if len(password) > 1024:
        raise InvalidInput(gettext("The password is too long (1024 characters at most)."), field)


def authenticate(email: str, password: str) -> User:
    """Return the user for a correct e-mail and password, or raise LoginRefused.

    The caller commits in both cases: the failure count must survive a refusal.

    Failures are counted in the database with one atomic UPDATE, so every worker
    sees the same count; LOGIN_MAX_FAILURES in a row lock the account for LOGIN_LOCKOUT.
    """
    user = find_user_by_email(email)
    now = utcnow()
    if user is not None and user.locked_until is not None and user.locked_until > now:
        raise AccountLocked(
            gettext(
                "Too many failed log-ins: this account is locked for a while. "
                "Try again later or set a new password by e-mail."
            ),
            user.locked_until,
        )
    if not verify_password(user.password_hash if user else None, password) or user is None:
        if user is not None:
            _count_failure(user, now)
        raise LoginRefused(gettext("The e-mail address or the password is wrong."))
    if not user.active:
        raise LoginRefused(gettext("The e-mail address or the password is wrong."))
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if needs_rehash(user.password_hash or ""):
        user.password_hash = hash_password(password)
    return user


def _count_failure(user: User, now: datetime) -> None:
    config = current_app.config
    limit = config["LOGIN_MAX_FAILURES"]
    reaching = User.failed_logins + 1 >= limit
    db.session.execute(
        sa.update(User)
        .where(User.id == user.id)
        .values(
            failed_logins=sa.case((reaching, 0), else_=User.failed_logins + 1),
            locked_until=sa.case(
                (reaching, now + config["LOGIN_LOCKOUT"]), else_=User.locked_until
            ),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(user)
    if user.locked_until is not None and user.locked_until > now:
        audit.record(
            None,
            "user.locked",
            user,
            {"locked_until": [None, user.locked_until]},
            label=user.email,
            campus_id=user.campus_id,
        )


def end_all_sessions(user: User) -> None:
    """Make every session and remember cookie of the user useless."""
    user.session_version += 1


def issue_password_link(user: User, *, purpose: str = "welcome") -> str:
    """Create a one-time set-password link, queue the mail, and return the link."""
    for old in db.session.scalars(
        db.select(PasswordToken).where(
            PasswordToken.user_id == user.id, PasswordToken.used_at.is_(None)
        )
    ):
        old.used_at = utcnow()
    raw = secrets.token_urlsafe(32)
    db.session.add(
        PasswordToken(
            user_id=user.id,
            token_hash=_token_hash(raw),
            expires_at=utcnow() + current_app.config["PASSWORD_TOKEN_LIFETIME"],
        )
    )
    link = external_url("auth.set_password", token=raw)
    hours = int(current_app.config["PASSWORD_TOKEN_LIFETIME"].total_seconds() // 3600)
    with force_locale(user.locale):
        if purpose == "welcome":
            subject = gettext("[SeSAC MS] Set your password")
            intro = gettext(
                "Hello %(name)s, an account on SeSAC MS was created for you.", name=user.name
            )
        else:
            subject = gettext("[SeSAC MS] Reset your password")
            intro = gettext(
                "Hello %(name)s, someone asked to reset your SeSAC MS password.", name=user.name
            )
        body = "\n\n".join(
            [
                intro,
                gettext(
                    "Open this link to set your password (valid for %(hours)d hours, once):",
                    hours=hours,
                ),
                link,
                gettext("If you did not expect this mail, you can ignore it."),
            ]
        )
    mail.queue(user.email, subject, body)
    return link


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def find_valid_token(raw: str) -> PasswordToken | None:
    token = db.session.scalar(
        db.select(PasswordToken).where(PasswordToken.token_hash == _token_hash(raw))
    )
    if token is None or token.used_at is not None or token.expires_at <= utcnow():
        return None
    if not token.user.active:
        return None
    return token


def set_password_with_token(raw: str, password: str) -> User:
    token = find_valid_token(raw)
    if token is None:
        raise InvalidInput(gettext("This link is invalid, used or expired. Ask for a new one."))
    check_password_rules(password)
    user = token.user
    token.used_at = utcnow()
    _store_password(user, password)
    audit.record(user, "user.password_set", user, label=user.email, campus_id=user.campus_id)
    return user


def change_password(user: User, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current):
        raise InvalidInput(gettext("The current password is wrong."), "current_password")
    check_password_rules(new, "new_password")
    _store_password(user, new)
    audit.record(user, "user.password_changed", user, label=user.email, campus_id=user.campus_id)


def _store_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    user.failed_logins = 0
    user.locked_until = None
    end_all_sessions(user)


def request_password_reset(email: str) -> None:
    """Mail a reset link if the address belongs to an active user; say nothing either way."""
    user = find_user_by_email(email)
    if user is not None and user.active:
        issue_password_link(user, purpose="reset")


def logout(user: User) -> None:
    end_all_sessions(user)


# --- user administration -------------------------------------------------------------


def _check_role_campus(role: Role, campus: Campus | None) -> None:
    if role != Role.ADMIN and campus is None:
        raise InvalidInput(gettext("Choose the campus this person belongs to."), "campus_id")


def create_user(
    actor: User | None,
    *,
    email: str,
    name: str,
    role: Role,
    campus: Campus | None,
    password: str | None = None,
    locale: str = "ko",
    send_link: bool = True,
) -> User:
    """Create an account. Without a password, the person gets a one-time set-password link."""
    email = normalise_email(email)
    name = name.strip()
    if not name:
        raise InvalidInput(gettext("Enter the person's name."), "name")
    _check_role_campus(role, campus)
    if role == Role.ADMIN:
        campus = None
    if find_user_by_email(email) is not None:
        raise Conflict(gettext("A user with this e-mail address already exists."), "email")
    user = User(
        email=email, name=name, role=role, campus_id=campus.id if campus else None, locale=locale
    )
    if password is not None:
        check_password_rules(password)
        user.password_hash = hash_password(password)
        user.password_changed_at = utcnow()
    db.session.add(user)
    db.session.flush()
    audit.record(
        actor,
        "user.created",
        user,
        {
            "email": [None, email],
            "name": [None, name],
            "role": [None, role],
            "campus_id": [None, user.campus_id],
        },
        label=email,
        campus_id=user.campus_id,
    )
    if password is None and send_link:
        issue_password_link(user)
    return user


def update_user(actor: User, user: User, *, name: str, role: Role, campus: Campus | None) -> None:
    _check_role_campus(role, campus)
    if user.id == actor.id and role != user.role:
        raise InvalidInput(gettext("You cannot change your own role."), "role")
    changes = audit.apply_changes(
        user,
        {
            "name": name.strip(),
            "role": role,
            "campus_id": None if role == Role.ADMIN else campus.id if campus else None,
        },
    )
    if changes:
        if {"role", "campus_id"} & changes.keys():
            end_all_sessions(user)  # new permissions take effect at once
        audit.record(
            actor, "user.updated", user, changes, label=user.email, campus_id=user.campus_id
        )
        audit.record_access(
            actor, AccessAction.CHANGE, user.email, subject=user, detail=", ".join(sorted(changes))
        )


def set_user_active(actor: User, user: User, active: bool) -> None:
    if user.id == actor.id and not active:
        raise InvalidInput(gettext("You cannot deactivate your own account."))
    if user.active == active:
        return
    user.active = active
    end_all_sessions(user)
    audit.record(
        actor,
        "user.activated" if active else "user.deactivated",
        user,
        {"active": [not active, active]},
        label=user.email,
        campus_id=user.campus_id,
    )


def set_locale(user: User, locale: str) -> None:
    if locale not in current_app.config["LANGUAGES"]:
        raise InvalidInput(gettext("Unknown language."), "locale")
    user.locale = locale
