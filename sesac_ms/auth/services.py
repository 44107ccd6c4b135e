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
from flask_babel import gettext

from .. import audit, notify
from ..database import upsert_insert
from ..errors import Conflict, InvalidInput, Problems
from ..extensions import db
from ..links import external_url
from ..models import Campus, LoginFailureCount, PasswordToken, Role, User
from ..models.audit import AccessAction
from ..models.types import UTCDateTime, utcnow
from .passwords import hash_password, needs_rehash, verify_dummy, verify_password


class LoginRefused(InvalidInput):
    """Wrong e-mail or password, or the account cannot log in now: one message for all."""


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

    Nothing here tells an outsider which addresses have an account: failures are counted
    per normalised address in login_failures whether or not a user has it, an unknown
    address is locked after LOGIN_MAX_FAILURES in a row just as an account is, every
    attempt costs one argon2 verification (against a dummy hash when there is no real one
    to check, or the address is locked), and every refusal has the same message. Only the
    owner of a real account learns of its lockout, by mail.
    """
    email = normalise_email(email)
    now = utcnow()
    user = find_user_by_email(email)
    locked = _locked_until(email, now) is not None
    if user is None or locked or not user.active or user.password_hash is None:
        correct = verify_dummy(password)
    else:
        correct = verify_password(user.password_hash, password)
    if user is None or not correct:
        if not locked:
            until = count_failure(email, now, user)
            if until is not None and user is not None:
                account_locked(user, until)
        raise LoginRefused(
            gettext(
                "Wrong e-mail address or password, or too many attempts. "
                "Try again later, or set a new password by e-mail."
            )
        )
    if needs_rehash(user.password_hash or ""):
        user.password_hash = hash_password(password)
    return user


def signed_in(user: User, now: datetime | None = None) -> None:
    """The sign-in is complete (after the password, or after the second factor when one is
    due): the failure count starts again. Until then wrong passwords and wrong codes add up,
    so a known password does not buy fresh guesses at the code."""
    _forget_failures(user.email)
    user.last_login_at = now or utcnow()


def _locked_until(email: str, now: datetime) -> datetime | None:
    """The end of the address's lockout, or None when log-in is open to it."""
    until = db.session.scalar(
        sa.select(LoginFailureCount.locked_until).where(LoginFailureCount.email == email)
    )
    return until if until is not None and until > now else None


def is_locked(email: str, now: datetime) -> bool:
    return _locked_until(normalise_email(email), now) is not None


def locked_until(user: User) -> datetime | None:
    """The end of the user's log-in lockout, or None when they may log in (admin pages)."""
    return _locked_until(user.email, utcnow())


def count_failure(email: str, now: datetime, user: User | None) -> datetime | None:
    """Count a failed log-in of the address; return the lockout's end if this one locked it.

    `user` is the account with the address, None when no account has it. Each counted
    failure is also written to the audit log, so the monthly review can count a month's
    failures: `user.login_failed` for an account, `user.login_failed_unknown` for an
    address no account has (the address itself is not kept). Both cases write one row
    alike, so the work done does not tell which addresses exist.

    One INSERT … ON CONFLICT DO UPDATE (SQLite and PostgreSQL alike), so failures that
    workers count at the same moment all add up. LOGIN_MAX_FAILURES in a row lock the
    address for LOGIN_LOCKOUT and start the count again; failures while it is locked do
    not count, so a lockout is never extended by attempts made during it.
    """
    config = current_app.config
    limit = config["LOGIN_MAX_FAILURES"]
    until = now + config["LOGIN_LOCKOUT"]
    row = LoginFailureCount
    locked = sa.and_(row.locked_until.is_not(None), row.locked_until > now)
    reaching = row.failures + 1 >= limit
    insert = upsert_insert(db.session)
    statement = (
        insert(row)
        .values(
            email=email,
            failures=0 if limit <= 1 else 1,
            locked_until=until if limit <= 1 else None,
            last_failed_at=now,
        )
        .on_conflict_do_update(
            index_elements=[row.email],
            set_={
                "failures": sa.case((locked, row.failures), (reaching, 0), else_=row.failures + 1),
                "locked_until": sa.case(
                    (locked, row.locked_until),
                    (reaching, sa.literal(until, UTCDateTime())),
                    else_=row.locked_until,
                ),
                "last_failed_at": sa.literal(now, UTCDateTime()),
            },
        )
        .returning(row.locked_until)
    )
    stored = db.session.execute(statement).scalar_one()
    if user is not None:
        audit.record(None, "user.login_failed", user, label=user.email, campus_id=user.campus_id)
    else:
        audit.record(None, "user.login_failed_unknown", AddressWithoutAccount(), label="")
    return until if stored == until else None


class AddressWithoutAccount:
    """What a failed log-in at an address no account has is about, in the audit log."""

    id = None


def _forget_failures(email: str) -> None:
    db.session.execute(sa.delete(LoginFailureCount).where(LoginFailureCount.email == email))


def account_locked(user: User, until: datetime) -> None:
    """Record the lockout of a real account and tell its owner by mail (queued, not sent)."""
    audit.record(
        None,
        "user.locked",
        user,
        {"locked_until": [None, until]},
        label=user.email,
        campus_id=user.campus_id,
    )
    if not user.active:
        return
    notify.send(
        user,
        "account_locked",
        n=current_app.config["LOGIN_MAX_FAILURES"],
        until=until,
        link=external_url("auth.forgot_password"),
    )


def end_all_sessions(user: User) -> None:
    """Make every session and remember cookie of the user useless."""
    user.session_version += 1


def _new_token() -> tuple[str, str]:
    """A new one-time token and the SHA-256 that is stored of it."""
    raw = secrets.token_urlsafe(32)
    return raw, _token_hash(raw)


def issue_password_link(
    user: User, *, purpose: str = "welcome", token: tuple[str, str] | None = None
) -> str:
    """Create a one-time set-password link, queue the mail, and return the link."""
    for old in db.session.scalars(
        db.select(PasswordToken).where(
            PasswordToken.user_id == user.id, PasswordToken.used_at.is_(None)
        )
    ):
        old.used_at = utcnow()
    raw, hashed = token or _new_token()
    db.session.add(
        PasswordToken(
            user_id=user.id,
            token_hash=hashed,
            expires_at=utcnow() + current_app.config["PASSWORD_TOKEN_LIFETIME"],
        )
    )
    link = external_url("auth.set_password", token=raw)
    hours = int(current_app.config["PASSWORD_TOKEN_LIFETIME"].total_seconds() // 3600)
    kind = "password_welcome" if purpose == "welcome" else "password_reset"
    notify.send(user, kind, hours=hours, link=link)
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
    _forget_failures(user.email)  # a new password ends a lockout
    end_all_sessions(user)


def request_password_reset(email: str) -> None:
    """Mail a reset link if the address belongs to an active user; say nothing either way.

    The token is made for every address, so an unknown one costs the same work, and the
    mail is only queued: the answer comes as fast whether or not an account exists.
    """
    token = _new_token()
    user = find_user_by_email(email)
    if user is not None and user.active:
        issue_password_link(user, purpose="reset", token=token)


def logout(user: User) -> None:
    end_all_sessions(user)


# --- user administration -------------------------------------------------------------


def _check_role_campus(role: Role, campus: Campus | None) -> None:
    if role != Role.ADMIN and campus is None:
        raise InvalidInput(gettext("Choose the campus this person belongs to."), "campus_id")


def check_user(
    actor: User | None,
    *,
    email: str | None,
    name: str | None,
    role: Role | str | None,
    campus: Campus | None,
    user: User | None = None,
) -> None:
    """Every problem of a user's details at once (DomainErrors), changing nothing.

    None: not given or refused by the form already; the rules that need it are skipped.
    `user` is the account being edited (its e-mail is not changed).
    """
    problems = Problems()
    if name is not None and not name.strip():
        problems.add(gettext("Enter the person's name."), "name")
    try:
        role = Role(role) if role else None
    except ValueError:
        role = None
    if role is not None:
        with problems.check():
            _check_role_campus(role, campus)
    if user is not None and actor is not None and user.id == actor.id and role != user.role:
        problems.add(gettext("You cannot change your own role."), "role")
    if user is None and email and find_user_by_email(normalise_email(email)) is not None:
        problems.add_error(
            Conflict(gettext("A user with this e-mail address already exists."), "email")
        )
    problems.raise_any()


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
    check_user(actor, email=email, name=name, role=role, campus=campus)
    email = normalise_email(email)
    name = name.strip()
    if role == Role.ADMIN:
        campus = None
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
    check_user(actor, email=None, name=name, role=role, campus=campus, user=user)
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
            actor,
            AccessAction.CHANGE,
            user.email,
            subject=user,
            page="admin.user_edit",
            detail=", ".join(sorted(changes)),
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
