"""Who has an account, or applied where, is nobody's business.

An outsider compares what log-in, the password-reset request and the public application
form answer for an address that exists and one that does not. Here the two answers are
compared whole: status, headers (but cookies, date and request id) and the page with the
typed address and the CSRF token blanked. The addresses have the same length, so even
Content-Length must agree. The time an answer takes is pinned by counting the work
(argon2 verifications, tokens made) rather than by a clock.
"""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import argon2
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale, gettext

from sesac_ms.applications.recruiting import cohort_slug
from sesac_ms.applications.tokens import token_for
from sesac_ms.auth import services as accounts
from sesac_ms.extensions import db
from sesac_ms.models import Application, AuditEntry, LoginFailureCount, OutboxMessage, User
from sesac_ms.models.types import utcnow
from tests.conftest import PASSWORD, login
from tests.test_applications import form_data
from tests.test_auth import english, errors_beside, is_dashboard
from tests.test_permissions import is_login_redirect

KNOWN = "known@sesac.example"
GHOST = "ghost@sesac.example"  # as long as KNOWN: the pages must have the same length
REFUSED = (
    "Wrong e-mail address or password, or too many attempts. "
    "Try again later, or set a new password by e-mail."
)
IGNORED_HEADERS = {"set-cookie", "date", "x-request-id"}  # cookies, clock, a nonce
SEOUL = ZoneInfo("Asia/Seoul")


def comparable(response, *typed: str) -> tuple:
    """What an outsider can compare of an answer, with the typed addresses blanked."""
    body = response.get_data(as_text=True)
    for address in typed:
        body = body.replace(address, "<typed address>")
    body = re.sub(r'(name="csrf_token" type="hidden" value=")[^"]*', r"\1…", body)
    headers = sorted(
        (name, value)
        for name, value in response.headers.items()
        if name.lower() not in IGNORED_HEADERS
    )
    return response.status_code, headers, body


def failures(email: str) -> LoginFailureCount | None:
    db.session.rollback()  # see what the other app's requests committed
    return db.session.get(LoginFailureCount, email)


def mails_to(email: str) -> list[OutboxMessage]:
    db.session.rollback()
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.recipient == email)
            .order_by(OutboxMessage.id)
        )
    )


@pytest.fixture
def web(make_app) -> Flask:
    """A second app on the test database for the browsers (see tests/test_auth.py)."""
    return make_app()


@pytest.fixture
def browsers(web: Flask) -> tuple[FlaskClient, FlaskClient]:
    """One browser for the real address, one for the unknown one."""
    return english(web.test_client()), english(web.test_client())


@pytest.fixture
def owner(make_user) -> User:
    return make_user(email=KNOWN, locale="en", name="Kim Owner")


# --- log-in ----------------------------------------------------------------------------


def test_log_in_answers_a_real_and_an_unknown_address_alike_through_the_lockout(browsers, owner):
    real, ghost = browsers
    for attempt in range(6):  # the fifth locks both, the sixth is made while locked
        answer = login(real, KNOWN, "guessing wrong")
        assert comparable(answer, KNOWN) == comparable(login(ghost, GHOST, "guessing wrong"), GHOST)
        assert errors_beside(answer, "password") == [REFUSED], attempt

    # During the lockout even the right password is refused, in the same words.
    answer = login(real, KNOWN, PASSWORD)
    assert comparable(answer, KNOWN) == comparable(login(ghost, GHOST, PASSWORD), GHOST)
    assert answer.status_code == 200
    assert errors_beside(answer, "password") == [REFUSED]
    assert is_login_redirect(real.get("/auth/password"))


def test_an_unknown_address_is_locked_after_five_failures_like_a_real_one(browsers, owner):
    real, ghost = browsers
    for _ in range(4):
        login(real, KNOWN, "guessing wrong")
        login(ghost, GHOST, "guessing wrong")
    assert failures(KNOWN).failures == failures(GHOST).failures == 4
    assert failures(KNOWN).locked_until is None

    before = utcnow()
    login(real, KNOWN, "guessing wrong")
    login(ghost, GHOST, "guessing wrong")

    for address in (KNOWN, GHOST):
        locked = failures(address)
        assert locked.failures == 0
        assert abs(locked.locked_until - (before + timedelta(minutes=15))) < timedelta(seconds=30)
    assert not is_dashboard(real.get("/")) and login(real, KNOWN).status_code == 200
    assert failures(KNOWN).failures == 0  # attempts during a lockout neither count nor extend it

    # The lockout ends for both alike: the owner gets in, the unknown address counts anew.
    db.session.execute(
        sa.update(LoginFailureCount).values(locked_until=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    assert login(real, KNOWN).status_code == 302
    assert failures(KNOWN) is None
    login(ghost, GHOST, "guessing wrong")
    assert failures(GHOST).failures == 1


def test_the_lockout_is_mailed_to_the_real_owner_only(browsers, owner):
    real, ghost = browsers
    for _ in range(5):
        login(real, KNOWN, "guessing wrong")
        login(ghost, GHOST, "guessing wrong")

    (mail,) = mails_to(KNOWN)
    assert mail.subject == "[SeSAC MS] Log-in to your account is paused"
    assert mail.body.startswith("Hello Kim Owner,")
    assert "5 times in a row" in mail.body
    until = failures(KNOWN).locked_until.astimezone(SEOUL)
    assert until.strftime("%Y-%m-%d %H:%M") in mail.body
    assert "http://localhost/auth/forgot" in mail.body
    assert mails_to(GHOST) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 1
    (entry,) = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "user.locked"))
    assert entry.object_id == owner.id

    login(real, KNOWN, "guessing wrong")  # while locked: no second mail
    assert len(mails_to(KNOWN)) == 1


@pytest.fixture
def counted(monkeypatch) -> dict[str, int]:
    """Count argon2 verifications, and those log-in spends on the dummy hash."""
    calls = {"argon2": 0, "dummy": 0}
    verify = argon2.PasswordHasher.verify
    dummy = accounts.verify_dummy

    def counting_verify(self, *args, **kwargs):
        calls["argon2"] += 1
        return verify(self, *args, **kwargs)

    def counting_dummy(password: str) -> bool:
        calls["dummy"] += 1
        return dummy(password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counting_verify)
    monkeypatch.setattr(accounts, "verify_dummy", counting_dummy)
    return calls


CASES = {
    # case: (address, password, what the account is like, verifications on the dummy hash)
    "unknown address": (GHOST, PASSWORD, None, 1),
    "unknown address, locked": (GHOST, PASSWORD, "locked", 1),
    "wrong password": (KNOWN, "guessing wrong", None, 0),
    "right password": (KNOWN, PASSWORD, None, 0),
    "locked, right password": (KNOWN, PASSWORD, "locked", 1),
    "deactivated": (KNOWN, PASSWORD, "deactivated", 1),
    "no password yet": (KNOWN, "anything at all", "no password", 1),
}


@pytest.mark.parametrize("case", list(CASES))
def test_every_log_in_attempt_costs_one_argon2_verification(browsers, owner, counted, case):
    address, password, state, on_dummy = CASES[case]
    if state == "locked":
        db.session.add(
            LoginFailureCount(
                email=address,
                failures=0,
                locked_until=utcnow() + timedelta(minutes=5),
                last_failed_at=utcnow(),
            )
        )
    elif state == "deactivated":
        owner.active = False
    elif state == "no password":
        owner.password_hash = None
    db.session.commit()

    login(browsers[0], address, password)

    assert counted == {"argon2": 1, "dummy": on_dummy}


# --- the password-reset request ------------------------------------------------------------


def test_the_reset_request_answers_alike_after_the_same_token_work(browsers, owner, monkeypatch):
    made = []
    new_token = accounts._new_token
    monkeypatch.setattr(accounts, "_new_token", lambda: made.append(1) or new_token())
    real, ghost = browsers

    for_real = real.post("/auth/forgot", data={"email": KNOWN})
    for_ghost = ghost.post("/auth/forgot", data={"email": GHOST})

    assert for_real.status_code == 302
    assert comparable(for_real, KNOWN) == comparable(for_ghost, GHOST)
    assert comparable(real.get(for_real.location)) == comparable(ghost.get(for_ghost.location))
    assert len(made) == 2  # a token is made for the unknown address too
    assert len(mails_to(KNOWN)) == 1 and mails_to(GHOST) == []


def test_the_reset_request_only_queues_its_mail(app, owner):
    """Sending (SMTP, seconds) would make a real address answer slower: the outbox does it."""
    accounts.request_password_reset(KNOWN)
    db.session.commit()
    (mail,) = mails_to(KNOWN)
    assert mail.sent_at is None


# --- the public application form -------------------------------------------------------------

FIRST = "first@example.com"
AGAIN = "again@example.com"  # as long as FIRST


def test_the_application_form_answers_a_repeat_like_a_first_application(
    app, make_open_cohort, make_application
):
    cohort = make_open_cohort()
    earlier = make_application(cohort, email=AGAIN, locale="en")
    url = f"/apply/{cohort.id}-{cohort_slug(cohort)}"
    newcomer, repeater = english(app.test_client()), english(app.test_client())

    first = newcomer.post(url, data=form_data(email=FIRST))
    repeat = repeater.post(url, data=form_data(email=AGAIN))

    assert first.status_code == 302
    assert first.location == f"/apply/{cohort.id}-{cohort_slug(cohort)}/sent"
    assert comparable(first, FIRST) == comparable(repeat, AGAIN)
    shown = newcomer.get(first.location)
    assert shown.status_code == 200
    assert comparable(shown) == comparable(repeater.get(repeat.location))
    assert "/applications/status/" not in shown.get_data(as_text=True)

    db.session.rollback()
    stored = db.session.scalars(sa.select(Application).where(Application.cohort_id == cohort.id))
    assert sorted(application.email for application in stored) == [AGAIN, FIRST]
    submitted = db.session.scalars(
        sa.select(AuditEntry.object_id).where(AuditEntry.action == "application.submitted")
    ).all()
    assert earlier.id in submitted and len(submitted) == 2  # the repeat left no trace
    (mail,) = mails_to(AGAIN)
    with force_locale("en"):
        subject = gettext("[SeSAC] You already applied: %(cohort)s", cohort=cohort.label("en"))
    assert mail.subject == subject
    assert f"http://localhost/applications/status/{token_for(earlier.status_nonce)}" in mail.body
    assert len(mails_to(FIRST)) == 1


def test_a_repeat_in_another_case_is_still_a_repeat(app, make_open_cohort, make_application):
    cohort = make_open_cohort()
    make_application(cohort, email=AGAIN)
    public = english(app.test_client())

    answer = public.post(
        f"/apply/{cohort.id}-{cohort_slug(cohort)}", data=form_data(email=AGAIN.upper())
    )

    assert answer.location == f"/apply/{cohort.id}-{cohort_slug(cohort)}/sent"
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Application)) == 1
    assert len(mails_to(AGAIN)) == 1
