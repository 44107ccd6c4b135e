"""The second factor: authenticator codes (TOTP) with a fixed clock, recovery codes, the
policy for staff roles, the half-signed-in state, lockout, admin and CLI resets, secrets
encrypted at rest.

Pages are read in English (see test_auth.english).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pyotp
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from sesac_ms.auth import second_factor
from sesac_ms.extensions import db
from sesac_ms.models import (
    AuditEntry,
    LoginFailureCount,
    OutboxMessage,
    RecoveryCode,
    Role,
    TotpCredential,
    User,
)
from tests.conftest import login
from tests.test_auth import english

STAFF = [Role.ADMIN, Role.MANAGER, Role.COORDINATOR, Role.MENTOR]
WRONG_CODE = "Wrong code, or too many attempts. Try again later, or use one of your recovery codes."
# A fixed clock, in the middle of a 30-second step.
NOW = datetime(2026, 11, 27, 9, 0, 15, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch) -> list[datetime]:
    """The time the second-factor checks see; tests move it with `clock[0] = ...`."""
    now = [NOW]
    monkeypatch.setattr(second_factor, "utcnow", lambda: now[0])
    return now


@pytest.fixture
def web(make_app) -> Flask:
    """The policy of production: every staff role needs a second factor."""
    return make_app(SECOND_FACTOR_ROLES="admin,manager,coordinator,mentor")


@pytest.fixture
def visitor(web: Flask) -> FlaskClient:
    return english(web.test_client())


def text_of(response) -> str:
    return unescape(response.get_data(as_text=True))


def secret_of(user: User) -> str:
    from sesac_ms import crypto

    stored = db.session.scalar(sa.select(TotpCredential).where(TotpCredential.user_id == user.id))
    db.session.refresh(stored)
    return crypto.decrypt(stored.secret_encrypted)


def code_at(secret: str, when: datetime, steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(when + timedelta(seconds=30 * steps))


def enrol(web: Flask, user: User, when: datetime = NOW) -> tuple[str, list[str]]:
    """Turn on an authenticator app for the user through the services; its secret and
    recovery codes."""
    with web.app_context():
        found = db.session.get(User, user.id)
        second_factor.begin_totp(found)
        secret = secret_of(found)
        codes = second_factor.confirm_totp(found, code_at(secret, when), now=when)
        db.session.commit()
    return secret, codes


def password_step(visitor: FlaskClient, user: User, **extra):
    return login(visitor, user.email, **extra)


def is_signed_in(visitor: FlaskClient) -> bool:
    response = visitor.get("/auth/account")
    return response.status_code == 200 and "Your account" in text_of(response)


# --- signing in with a code ---------------------------------------------------------------


def test_the_password_alone_leaves_a_half_signed_in_state_that_reaches_nothing(
    app, web, visitor, make_user, clock
):
    user = make_user(Role.MANAGER, locale="en")
    enrol(web, user, NOW - timedelta(minutes=5))

    response = password_step(visitor, user, next="/cohorts/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/auth/second-factor")
    for path in ("/cohorts/", "/auth/account", "/auth/password", "/reports/employment"):
        reached = visitor.get(path)
        assert reached.status_code == 302 and "/auth/login" in reached.headers["Location"], path
    assert "Second step of your log-in" in text_of(visitor.get("/auth/second-factor"))


def test_a_right_code_signs_in_and_keeps_next(app, web, visitor, make_user, clock):
    user = make_user(Role.MANAGER, locale="en")
    secret, _ = enrol(web, user, NOW - timedelta(minutes=5))
    password_step(visitor, user, next="/cohorts/")

    response = visitor.post("/auth/second-factor", data={"code": code_at(secret, NOW)})

    assert response.status_code == 302
    assert response.headers["Location"] == "/cohorts/"
    assert is_signed_in(visitor)
    db.session.expire_all()
    assert db.session.get(User, user.id).last_login_at == NOW


def test_an_unsafe_next_is_dropped_after_the_second_step(app, web, visitor, make_user, clock):
    user = make_user(Role.MANAGER, locale="en")
    secret, _ = enrol(web, user, NOW - timedelta(minutes=5))
    password_step(visitor, user, next="https://evil.example/")

    response = visitor.post("/auth/second-factor", data={"code": code_at(secret, NOW)})

    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(
    "steps, accepted", [(-2, False), (-1, True), (0, True), (1, True), (2, False)]
)
def test_codes_of_one_step_either_side_are_accepted(
    app, web, visitor, make_user, clock, steps, accepted
):
    user = make_user(Role.COORDINATOR, locale="en")
    secret, _ = enrol(web, user, NOW - timedelta(minutes=5))
    password_step(visitor, user)

    response = visitor.post("/auth/second-factor", data={"code": code_at(secret, NOW, steps)})

    assert (response.status_code == 302) is accepted
    if not accepted:
        assert WRONG_CODE in text_of(response)


def test_window_edges_follow_the_clock(app, web, visitor, make_user, clock):
    """At the last second of a step, the next step's code is one step ahead: accepted."""
    user = make_user(Role.MENTOR, locale="en")
    secret, _ = enrol(web, user, NOW - timedelta(minutes=5))
    edge = datetime(2026, 11, 27, 9, 0, 29, tzinfo=UTC)
    clock[0] = edge
    password_step(visitor, user)

    assert (
        visitor.post(
            "/auth/second-factor", data={"code": code_at(secret, edge + timedelta(seconds=1))}
        ).status_code
        == 302
    )


def test_a_code_is_accepted_once(app, web, make_user, clock):
    user = make_user(Role.MANAGER, locale="en")
    secret, _ = enrol(web, user, NOW - timedelta(minutes=5))
    first, second = english(web.test_client()), english(web.test_client())
    password_step(first, user)
    password_step(second, user)
    code = code_at(secret, NOW)

    assert first.post("/auth/second-factor", data={"code": code}).status_code == 302
    replay = second.post("/auth/second-factor", data={"code": code})

    assert replay.status_code == 200
    assert WRONG_CODE in text_of(replay)
    # An older step than the last one used is refused as well.
    older = second.post("/auth/second-factor", data={"code": code_at(secret, NOW, -1)})
    assert WRONG_CODE in text_of(older)


def test_wrong_codes_lock_like_wrong_passwords_with_one_message(
    app, web, visitor, make_user, clock
):
    user = make_user(Role.MANAGER, locale="en")
    secret, _ = enrol(web, user, NOW - timedelta(minutes=5))
    password_step(visitor, user)
    limit = web.config["LOGIN_MAX_FAILURES"]

    messages = set()
    for attempt in range(limit):
        refused = visitor.post("/auth/second-factor", data={"code": f"{attempt:06d}"})
        messages.add(re.sub(r"\s+", " ", text_of(refused)).count(WRONG_CODE))
        assert WRONG_CODE in text_of(refused)
    locked = visitor.post("/auth/second-factor", data={"code": code_at(secret, NOW)})

    assert WRONG_CODE in text_of(locked)  # the right code, but locked: the same message
    assert not is_signed_in(visitor)
    failures = db.session.get(LoginFailureCount, user.email)
    db.session.refresh(failures)
    assert failures.locked_until is not None
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(AuditEntry.action == "user.locked")) == 1
    )


def test_a_right_password_does_not_reset_the_count_of_wrong_codes(
    app, web, visitor, make_user, clock
):
    user = make_user(Role.MANAGER, locale="en")
    secret, _ = enrol(web, user, NOW - timedelta(minutes=5))
    limit = web.config["LOGIN_MAX_FAILURES"]
    for attempt in range(limit):
        password_step(visitor, user)  # the password again, between the wrong codes
        visitor.post("/auth/second-factor", data={"code": f"{attempt:06d}"})

    password_step(visitor, user)
    locked = visitor.post("/auth/second-factor", data={"code": code_at(secret, NOW)})

    assert WRONG_CODE in text_of(locked)


def test_the_half_signed_in_state_expires(app, web, visitor, make_user, clock, monkeypatch):
    user = make_user(Role.MANAGER, locale="en")
    secret, _ = enrol(web, user, NOW - timedelta(minutes=5))
    password_step(visitor, user)
    import time as time_module

    later = time_module.time() + web.config["SECOND_FACTOR_STEP_SECONDS"] + 1
    monkeypatch.setattr("sesac_ms.auth.half_signed_in.time.time", lambda: later)

    response = visitor.post("/auth/second-factor", data={"code": code_at(secret, NOW)})

    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert not is_signed_in(visitor)


def test_a_password_change_elsewhere_voids_the_half_signed_in_state(
    app, web, visitor, make_user, clock
):
    user = make_user(Role.MANAGER, locale="en")
    secret, _ = enrol(web, user, NOW - timedelta(minutes=5))
    password_step(visitor, user)
    with web.app_context():
        db.session.get(User, user.id).session_version += 1
        db.session.commit()

    response = visitor.post("/auth/second-factor", data={"code": code_at(secret, NOW)})

    assert "/auth/login" in response.headers["Location"]


# --- recovery codes ---------------------------------------------------------------------


def test_each_recovery_code_works_once_is_audited_and_mailed(app, web, make_user, clock):
    user = make_user(Role.MANAGER, locale="en")
    _, codes = enrol(web, user, NOW - timedelta(minutes=5))
    assert len(codes) == 10 and len(set(codes)) == 10

    first = english(web.test_client())
    password_step(first, user)
    assert first.post("/auth/second-factor", data={"code": codes[0].upper()}).status_code == 302

    again = english(web.test_client())
    password_step(again, user)
    assert WRONG_CODE in text_of(again.post("/auth/second-factor", data={"code": codes[0]}))
    assert again.post("/auth/second-factor", data={"code": codes[1]}).status_code == 302

    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(AuditEntry.action == "user.recovery_code_used")
        )
        == 2
    )
    subjects = db.session.scalars(
        sa.select(OutboxMessage.subject).where(OutboxMessage.recipient == user.email)
    ).all()
    assert sum("recovery code" in subject for subject in subjects) == 2


def test_recovery_codes_are_stored_hashed_and_new_ones_void_the_old(app, web, make_user, clock):
    user = make_user(Role.MANAGER, locale="en")
    _, codes = enrol(web, user, NOW - timedelta(minutes=5))
    stored = db.session.scalars(sa.select(RecoveryCode.code_hash)).all()
    assert not any(code.replace("-", "") in value for code in codes for value in stored)

    visitor = english(web.test_client())
    password_step(visitor, user)
    visitor.post("/auth/second-factor", data={"code": codes[0]})
    fresh = visitor.post("/auth/account/recovery-codes")
    new_codes = re.findall(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", text_of(fresh))

    assert len(new_codes) == 10
    other = english(web.test_client())
    password_step(other, user)
    assert WRONG_CODE in text_of(other.post("/auth/second-factor", data={"code": codes[1]}))
    assert other.post("/auth/second-factor", data={"code": new_codes[0]}).status_code == 302


# --- the policy -------------------------------------------------------------------------


@pytest.mark.parametrize("role", STAFF, ids=lambda role: role.value)
def test_staff_without_a_second_factor_set_one_up_before_anything_else(
    app, web, visitor, make_user, clock, role
):
    user = make_user(role, locale="en")

    response = password_step(visitor, user)
    assert response.headers["Location"].endswith("/auth/second-factor/setup")
    assert "/auth/login" in visitor.get("/cohorts/").headers["Location"]
    assert "/auth/login" in visitor.get("/auth/account").headers["Location"]

    visitor.post("/auth/second-factor/setup/authenticator")
    setup = text_of(visitor.get("/auth/second-factor/setup"))
    assert "<svg" in setup
    secret = secret_of(db.session.get(User, user.id))
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in setup

    wrong = visitor.post("/auth/second-factor/setup/confirm", data={"code": "000000"})
    assert "That code does not match" in text_of(wrong)
    codes_page = visitor.post(
        "/auth/second-factor/setup/confirm", data={"code": code_at(secret, NOW)}
    )
    assert "Your recovery codes" in text_of(codes_page)
    assert not is_signed_in(visitor)  # not before the codes are kept

    done = visitor.post("/auth/second-factor/setup/done")
    assert done.status_code == 302
    assert is_signed_in(visitor)


def test_trainees_sign_in_with_the_password_and_may_opt_in(app, web, visitor, make_user, clock):
    trainee = make_user(Role.TRAINEE, locale="en")

    assert password_step(visitor, trainee).headers["Location"] == "/"
    assert is_signed_in(visitor)

    visitor.post("/auth/second-factor/setup/authenticator")
    secret = secret_of(db.session.get(User, trainee.id))
    kept = visitor.post("/auth/second-factor/setup/confirm", data={"code": code_at(secret, NOW)})
    assert "Your recovery codes" in text_of(kept)

    later = english(web.test_client())
    clock[0] = NOW + timedelta(minutes=1)
    assert password_step(later, trainee).headers["Location"].endswith("/auth/second-factor")


def test_a_session_from_before_the_policy_goes_through_the_second_step(make_app, make_user, clock):
    relaxed = make_app()  # SECOND_FACTOR_ROLES empty, as the tests' default
    user = make_user(Role.COORDINATOR, locale="en")
    visitor = english(relaxed.test_client())
    password_step(visitor, user)
    assert visitor.get("/cohorts/").status_code == 200

    relaxed.config["SECOND_FACTOR_ROLES"] = "coordinator"  # the policy changes
    response = visitor.get("/cohorts/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/auth/second-factor/setup")
    assert not is_signed_in(visitor)


def test_a_required_role_cannot_remove_its_only_second_factor(app, web, make_user, clock):
    user = make_user(Role.MANAGER, locale="en")
    secret, _ = enrol(web, user, NOW - timedelta(minutes=5))
    visitor = english(web.test_client())
    password_step(visitor, user)
    visitor.post("/auth/second-factor", data={"code": code_at(secret, NOW)})

    response = visitor.post("/auth/account/authenticator/remove", follow_redirects=True)

    assert "add a passkey before removing the app" in text_of(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TotpCredential)) == 1


# --- resets and storage -----------------------------------------------------------------


def test_the_cli_resets_a_second_factor_audited_and_mailed(app, web, make_user, runner, clock):
    admin = make_user(Role.ADMIN, locale="en")
    enrol(web, admin, NOW - timedelta(minutes=5))
    version = admin.session_version

    result = runner.invoke(args=["users", "reset-2fa", "--email", admin.email.upper()])

    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TotpCredential)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode)) == 0
    assert db.session.get(User, admin.id).session_version == version + 1
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(AuditEntry.action == "user.second_factor_reset")
        )
        == 1
    )
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(
                OutboxMessage.recipient == admin.email,
                OutboxMessage.subject.contains("second factor was reset"),
            )
        )
        == 1
    )

    unknown = runner.invoke(args=["users", "reset-2fa", "--email", "nobody@sesac.example"])
    assert unknown.exit_code != 0
    assert "Invalid value for --email" in unknown.output


def test_secrets_are_encrypted_at_rest(app, web, make_user, clock):
    user = make_user(Role.MANAGER, locale="en")
    secret, _ = enrol(web, user, NOW - timedelta(minutes=5))

    raw = db.session.execute(sa.text("SELECT secret_encrypted FROM totp_credentials")).scalar_one()

    assert secret not in raw and secret.lower() not in raw.lower()
    assert raw.startswith("gAAAA")  # a Fernet token


def test_encryption_keys_rotate(app, web, make_user, clock):
    from cryptography.fernet import Fernet

    from sesac_ms import crypto

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with web.test_request_context():
        web.config["DATA_ENCRYPTION_KEYS"] = old
        token = crypto.encrypt("JBSWY3DPEHPK3PXP")
        web.config["DATA_ENCRYPTION_KEYS"] = f"{new},{old}"
        assert crypto.decrypt(token) == "JBSWY3DPEHPK3PXP"
        rotated = crypto.rotate(token)
        web.config["DATA_ENCRYPTION_KEYS"] = new
        assert crypto.decrypt(rotated) == "JBSWY3DPEHPK3PXP"
        with pytest.raises(crypto.UnreadableSecret):
            crypto.decrypt(token)


def test_an_admin_resets_a_second_factor_which_ends_the_users_sessions(app, web, make_user, clock):
    admin = make_user(Role.ADMIN, campus=None, locale="en")
    manager = make_user(Role.MANAGER, locale="en")
    admin_secret, _ = enrol(web, admin, NOW - timedelta(minutes=5))
    secret, _ = enrol(web, manager, NOW - timedelta(minutes=5))
    signed_in_manager = english(web.test_client())
    password_step(signed_in_manager, manager)
    signed_in_manager.post("/auth/second-factor", data={"code": code_at(secret, NOW)})
    assert is_signed_in(signed_in_manager)

    admin_visitor = english(web.test_client())
    password_step(admin_visitor, admin)
    admin_visitor.post("/auth/second-factor", data={"code": code_at(admin_secret, NOW)})
    shown = text_of(admin_visitor.get(f"/admin/users/{manager.id}"))
    assert "Authenticator app" in shown and "Reset second factor" in shown
    response = admin_visitor.post(
        f"/admin/users/{manager.id}/reset-second-factor", follow_redirects=True
    )

    assert "their sessions ended" in text_of(response)
    assert not is_signed_in(signed_in_manager)
    db.session.expire_all()
    assert second_factor.factors_of(db.session.get(User, manager.id)).any is False
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "user.second_factor_reset")
    )
    assert entry.actor_id == admin.id and entry.object_id == manager.id
    # At the next log-in, the manager sets up a new second factor.
    again = english(web.test_client())
    assert password_step(again, manager).headers["Location"].endswith("/auth/second-factor/setup")
