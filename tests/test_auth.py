"""Log-in, lockout, safe redirects, sessions that really end, and passwords.

Messages are checked in English: users and clients here ask for English pages, so the
texts read are those in the code, whatever the Korean catalogue says.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta
from html import unescape
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from sesac_ms.auth.safe_next import safe_next
from sesac_ms.auth.services import create_user
from sesac_ms.extensions import db
from sesac_ms.models import LoginFailureCount, OutboxMessage, PasswordToken, Role, User
from sesac_ms.models.types import utcnow
from tests.conftest import PASSWORD, login
from tests.test_permissions import is_login_redirect

WRONG_LOGIN = (
    "Wrong e-mail address or password, or too many attempts. "
    "Try again later, or set a new password by e-mail."
)
NEW_PASSWORD = "a brand new sentence to remember"
SESSION_COOKIE = "sesac_session"
REMEMBER_COOKIE = "sesac_remember"


# --- helpers ---------------------------------------------------------------------------


def english(client: FlaskClient) -> FlaskClient:
    """Ask for English pages, as the language switch in the footer does."""
    with client.session_transaction() as session:
        session["locale"] = "en"
    return client


@pytest.fixture
def web(make_app) -> Flask:
    """The app that serves the browsers here.

    The `app` fixture keeps an app context open for the factories; requests to that app
    would run inside it and share its `g`, where Flask-Login caches the logged-in user, so
    one browser would be taken for another. A second app on the same database has none.
    """
    return make_app()


@pytest.fixture
def client(web: Flask) -> FlaskClient:
    return english(web.test_client())


@pytest.fixture
def make_user(make_user):
    def factory(*args, **values) -> User:
        values.setdefault("locale", "en")
        return make_user(*args, **values)

    return factory


def page(response) -> str:
    return unescape(response.get_data(as_text=True))


def errors_beside(response, field: str) -> list[str]:
    """The error messages the form shows under one field."""
    html = response.get_data(as_text=True)
    start = html.index(f'name="{field}"')
    end = re.compile(r'<div class="mb-3|</form>').search(html, start)
    block = html[start : end.start() if end else len(html)]
    return [unescape(m) for m in re.findall(r'class="invalid-feedback">(.*?)</div>', block)]


def alerts(response) -> list[str]:
    """The flashed messages shown on top of a page."""
    html = response.get_data(as_text=True)
    found = re.findall(r'<div class="alert [^"]*" role="alert">\s*(.*?)\s*<button', html, re.S)
    return [unescape(text) for text in found]


def is_dashboard(response) -> bool:
    """The dashboard, shown only to someone logged in (it carries the log-out button)."""
    return response.status_code == 200 and 'action="/auth/logout"' in page(response)


def stored(user: User) -> User:
    """The user as the database holds it now, after other workers wrote to it."""
    db.session.rollback()  # ends this test's snapshot and expires what it loaded
    return db.session.get(User, user.id)


def failures_of(user: User) -> LoginFailureCount | None:
    """The failed log-ins counted for the user's address, as the database holds them now."""
    db.session.rollback()
    return db.session.get(LoginFailureCount, user.email)


def replay(app: Flask, cookie: str, value: str) -> FlaskClient:
    """A new browser that carries nothing but a copied cookie."""
    other = app.test_client()
    other.set_cookie(cookie, value)
    return other


# --- log in and out --------------------------------------------------------------------


def test_a_user_logs_in_and_out_through_the_form(client, make_user):
    user = make_user(Role.MANAGER, name="김민지")
    form = client.get("/auth/login")
    assert form.status_code == 200
    assert 'name="email"' in page(form) and 'name="password"' in page(form)

    response = login(client, user.email)
    assert response.status_code == 302
    assert response.location == "/"
    dashboard = client.get("/")
    assert is_dashboard(dashboard)
    assert "김민지" in page(dashboard)
    assert stored(user).last_login_at is not None

    response = client.post("/auth/logout")
    assert response.status_code == 302
    assert urlsplit(response.location).path == "/auth/login"
    assert is_login_redirect(client.get("/auth/password"))


@pytest.mark.parametrize(
    "email, password",
    [
        ("{user}", "not the right password"),
        ("nobody@sesac.example", PASSWORD),
    ],
    ids=["wrong password", "unknown address"],
)
def test_a_wrong_password_or_address_shows_one_error_and_logs_nobody_in(
    client, make_user, email, password
):
    user = make_user()
    response = login(client, email.format(user=user.email), password)
    assert response.status_code == 200
    assert errors_beside(response, "password") == [WRONG_LOGIN]
    assert is_login_redirect(client.get("/auth/password"))


def test_an_inactive_user_cannot_log_in(client, make_user):
    user = make_user(active=False)
    response = login(client, user.email)
    assert response.status_code == 200
    assert errors_beside(response, "password") == [WRONG_LOGIN]
    assert is_login_redirect(client.get("/auth/password"))


@pytest.mark.parametrize(
    "typed", ["KIM.MINJI@SESAC.EXAMPLE", "Kim.Minji@Sesac.Example", "kim.minji@sesac.example"]
)
def test_the_email_address_is_case_insensitive(client, make_user, typed):
    user = make_user(email="Kim.MinJi@SeSAC.example")
    assert user.email == "kim.minji@sesac.example"
    assert login(client, typed).status_code == 302
    assert is_dashboard(client.get("/"))


# --- lockout ---------------------------------------------------------------------------


def test_five_failures_across_two_workers_lock_the_account_until_the_lockout_ends(
    make_app, make_user
):
    lockout = timedelta(minutes=7)
    worker_a = english(make_app(LOGIN_LOCKOUT=lockout).test_client())
    worker_b = english(make_app(LOGIN_LOCKOUT=lockout).test_client())
    workers = [worker_a, worker_b]
    user = make_user()

    for attempt in range(4):
        response = login(workers[attempt % 2], user.email, "guessing wrong")
        assert errors_beside(response, "password") == [WRONG_LOGIN]
    assert failures_of(user).failures == 4  # both workers counted into one number

    fifth = login(worker_a, user.email, "guessing wrong")
    assert errors_beside(fifth, "password") == [WRONG_LOGIN]
    locked_at = utcnow()
    response = login(worker_b, user.email)  # even the right password
    assert response.status_code == 200
    assert errors_beside(response, "password") == [WRONG_LOGIN]  # says nothing more
    assert is_login_redirect(worker_b.get("/auth/password"))
    locked_until = failures_of(user).locked_until
    assert locked_until is not None
    assert abs(locked_until - (locked_at + lockout)) < timedelta(seconds=30)

    # The lockout time passes.
    db.session.execute(
        sa.update(LoginFailureCount)
        .where(LoginFailureCount.email == user.email)
        .values(locked_until=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    assert login(worker_a, user.email).status_code == 302
    assert is_dashboard(worker_a.get("/"))
    assert failures_of(user) is None  # a log-in forgets the failures


def test_a_successful_log_in_in_between_resets_the_count(client, make_user):
    user = make_user()
    for _ in range(4):
        login(client, user.email, "guessing wrong")
    assert login(client, user.email).status_code == 302
    assert failures_of(user) is None
    client.post("/auth/logout")

    for _ in range(4):
        login(client, user.email, "guessing wrong again")
    assert failures_of(user).failures == 4
    assert login(client, user.email).status_code == 302  # eight failures, never five in a row
    assert failures_of(user) is None


# --- where log-in leads ----------------------------------------------------------------

OFF_SITE = [
    "https://evil.example",
    "//evil.example",
    "/\\evil.example",
    "\\/evil.example",
    "/\t/evil.example",
    "javascript:alert(1)",
    "http:/evil.example",
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_an_off_site_next_after_log_in_lands_on_the_dashboard(client, make_user, target):
    user = make_user()
    response = login(client, user.email, next=target)
    assert response.status_code == 302
    assert response.location == "/"


@pytest.mark.parametrize("target", OFF_SITE)
def test_the_language_switch_does_not_leave_the_site_either(client, target):
    response = client.post("/auth/locale", data={"locale": "ko", "next": target})
    assert response.status_code == 302
    assert response.location == "/"


def test_log_in_returns_to_the_same_site_page_asked_for(client, make_user):
    user = make_user(Role.MANAGER)
    asked = client.get("/cohorts/?status=planned")
    assert is_login_redirect(asked)
    form = client.get(asked.location)
    hidden = re.search(r'name="next" type="hidden" value="([^"]*)"', form.get_data(as_text=True))
    assert hidden is not None
    assert unescape(hidden.group(1)) == "/cohorts/?status=planned"

    response = login(client, user.email, next=unescape(hidden.group(1)))
    assert response.location == "/cohorts/?status=planned"
    assert client.get(response.location).status_code == 200


@pytest.mark.parametrize(
    "target", [*OFF_SITE, None, "", "evil.example", "///evil.example", "/\x7f/evil.example"]
)
def test_safe_next_refuses_anything_but_a_same_site_path(target):
    assert safe_next(target) is None


@pytest.mark.parametrize("target", ["/", "/cohorts/?status=planned", "/admin/users/3#history"])
def test_safe_next_keeps_a_same_site_path(target):
    assert safe_next(target) == target


# --- sessions that really end -----------------------------------------------------------


@pytest.mark.parametrize("cookie", [SESSION_COOKIE, REMEMBER_COOKIE])
def test_a_copied_cookie_stops_working_after_log_out(web, client, make_user, cookie):
    user = make_user()
    login(client, user.email, remember="y")
    copied = client.get_cookie(cookie).value
    assert is_dashboard(replay(web, cookie, copied).get("/"))  # the copy alone lets one in

    client.post("/auth/logout")

    assert is_login_redirect(replay(web, cookie, copied).get("/auth/password"))


@pytest.mark.parametrize("cookie", [SESSION_COOKIE, REMEMBER_COOKIE])
def test_a_password_change_ends_the_other_sessions_but_not_this_one(web, client, make_user, cookie):
    user = make_user()
    login(client, user.email, remember="y")
    copied = client.get_cookie(cookie).value

    response = client.post(
        "/auth/password",
        data={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302

    assert is_dashboard(client.get("/"))
    assert is_login_redirect(replay(web, cookie, copied).get("/auth/password"))


@pytest.mark.parametrize("cookie", [SESSION_COOKIE, REMEMBER_COOKIE])
def test_deactivating_a_user_ends_their_sessions(web, client, make_user, cookie):
    user = make_user(Role.TRAINEE)
    login(client, user.email, remember="y")
    copied = client.get_cookie(cookie).value
    admin = web.test_client()
    login(admin, make_user(Role.ADMIN).email)

    response = admin.post(f"/admin/users/{user.id}/deactivate")
    assert response.status_code == 302
    assert stored(user).active is False

    assert is_login_redirect(client.get("/auth/password"))
    assert is_login_redirect(replay(web, cookie, copied).get("/auth/password"))


def test_a_session_expires_when_idle_but_not_while_in_use(make_app, make_user):
    short = make_app(PERMANENT_SESSION_LIFETIME=timedelta(seconds=1))
    client = short.test_client()
    user = make_user()
    login(client, user.email)
    assert is_dashboard(client.get("/"))  # takes the welcome message: the session is as stored

    # Each request renews the cookie, so a busy user outlives the lifetime.
    for _ in range(3):
        time.sleep(0.7)
        assert is_dashboard(client.get("/"))
    copied = client.get_cookie(SESSION_COOKIE).value

    time.sleep(2)  # idle longer than the lifetime
    assert is_login_redirect(client.get("/auth/password"))
    # The server refuses the old cookie itself, not only the browser that dropped it.
    assert is_login_redirect(replay(short, SESSION_COOKIE, copied).get("/auth/password"))


# --- changing a password ---------------------------------------------------------------


def change_password(client: FlaskClient, current: str, new: str, confirm: str | None = None):
    return client.post(
        "/auth/password",
        data={"current_password": current, "new_password": new, "confirm": confirm or new},
    )


def test_a_password_change_needs_the_current_password(client, login_as):
    user = login_as(Role.MENTOR)
    response = change_password(client, "not my password at all", NEW_PASSWORD)
    assert response.status_code == 200
    assert errors_beside(response, "current_password") == ["The current password is wrong."]
    assert login(english(client.application.test_client()), user.email).status_code == 302


@pytest.mark.parametrize(
    "new, confirm, field, message",
    [
        ("elevenchars", "elevenchars", "new_password", "12"),
        (NEW_PASSWORD, NEW_PASSWORD + "!", "confirm", "The two passwords differ."),
    ],
    ids=["11 characters", "confirmation differs"],
)
def test_a_bad_new_password_is_refused_beside_its_field(
    client, login_as, new, confirm, field, message
):
    user = login_as(Role.MENTOR)
    hash_before = user.password_hash
    response = change_password(client, PASSWORD, new, confirm)
    assert response.status_code == 200
    assert any(message in error for error in errors_beside(response, field))
    assert stored(user).password_hash == hash_before


def test_a_changed_password_replaces_the_old_one(client, login_as):
    user = login_as(Role.COORDINATOR)
    response = change_password(client, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302
    assert "Your password was changed" in " ".join(alerts(client.get("/")))

    browser = english(client.application.test_client())
    assert errors_beside(login(browser, user.email, PASSWORD), "password") == [WRONG_LOGIN]
    assert login(browser, user.email, NEW_PASSWORD).status_code == 302


# --- set-password links and forgotten passwords ------------------------------------------


def link_mailed_to(email: str) -> str:
    """The path of the set-password link in the newest mail to the address."""
    message = db.session.scalars(
        db.select(OutboxMessage)
        .where(OutboxMessage.recipient == email)
        .order_by(OutboxMessage.id.desc())
    ).first()
    assert message is not None, f"no mail to {email}"
    link = re.search(r"https?://\S+/auth/set-password/\S+", message.body)
    assert link is not None, message.body
    return urlsplit(link.group(0)).path


@pytest.fixture
def newcomer(app, make_user, campus) -> User:
    """An account an admin created without a password: the person got a link by mail."""
    admin = make_user(Role.ADMIN)
    user = create_user(
        admin,
        email="new.mentor@sesac.example",
        name="새 멘토",
        role=Role.MENTOR,
        campus=campus,
        locale="en",
    )
    db.session.commit()
    return user


def test_a_new_user_sets_a_password_through_the_mailed_link(client, newcomer):
    link = link_mailed_to(newcomer.email)
    no_password_yet = login(client, newcomer.email, "anything at all")
    assert errors_beside(no_password_yet, "password") == [WRONG_LOGIN]

    form = client.get(link)
    assert form.status_code == 200
    assert 'name="password"' in page(form) and 'name="confirm"' in page(form)

    short = client.post(link, data={"password": "elevenchars", "confirm": "elevenchars"})
    assert any("12" in error for error in errors_beside(short, "password"))

    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert urlsplit(response.location).path == "/auth/login"
    assert login(client, newcomer.email, NEW_PASSWORD).status_code == 302
    assert is_dashboard(client.get("/"))

    used = client.get(link)
    assert used.status_code == 404
    assert "Link not valid" in page(used)


def test_an_expired_link_is_not_found(client, newcomer):
    link = link_mailed_to(newcomer.email)
    db.session.execute(
        sa.update(PasswordToken)
        .where(PasswordToken.user_id == newcomer.id)
        .values(expires_at=utcnow() - timedelta(minutes=1))
    )
    db.session.commit()

    assert client.get(link).status_code == 404
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 404
    assert stored(newcomer).password_hash is None


@pytest.mark.parametrize("stranger", ["unknown", "inactive"])
def test_forgot_password_says_the_same_for_any_address_and_mails_only_a_real_user(
    client, make_user, stranger
):
    known = make_user(email="known@sesac.example")
    if stranger == "inactive":
        other = make_user(email="gone@sesac.example", active=False).email
    else:
        other = "nobody@sesac.example"

    said_for_known = client.post("/auth/forgot", data={"email": known.email}, follow_redirects=True)
    said_for_other = client.post("/auth/forgot", data={"email": other}, follow_redirects=True)

    assert said_for_known.request.path == said_for_other.request.path == "/auth/login"
    assert alerts(said_for_known) == [
        "If the address belongs to an account, a link to set a new password is on its way."
    ]
    assert page(said_for_other) == page(said_for_known)

    def mails_to(email: str) -> int:
        return db.session.scalar(sa.select(sa.func.count()).where(OutboxMessage.recipient == email))

    db.session.rollback()
    assert mails_to(known.email) == 1
    assert mails_to(other) == 0
    assert client.get(link_mailed_to(known.email)).status_code == 200


def test_a_new_password_by_mail_ends_a_lockout_and_the_admin_saw_it(web, client, make_user):
    user = make_user(Role.MENTOR)
    for _ in range(5):
        login(client, user.email, "guessing wrong")
    locked_until = failures_of(user).locked_until
    assert locked_until is not None
    admin = web.test_client()
    login(admin, make_user(Role.ADMIN).email)
    assert "Locked until" in page(admin.get(f"/admin/users/{user.id}"))

    client.post("/auth/forgot", data={"email": user.email})
    link = link_mailed_to(user.email)
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302

    assert failures_of(user) is None
    assert "Locked until" not in page(admin.get(f"/admin/users/{user.id}"))
    assert login(client, user.email, NEW_PASSWORD).status_code == 302


# --- how passwords are stored ---------------------------------------------------------------


def test_passwords_are_stored_as_argon2id_hashes(client, login_as):
    user = login_as(Role.MANAGER)
    first = user.password_hash
    assert first.startswith("$argon2id$")
    assert PASSWORD not in first

    change_password(client, PASSWORD, NEW_PASSWORD)
    changed = stored(user).password_hash
    assert changed.startswith("$argon2id$")
    assert changed != first


def test_a_weaker_hash_is_upgraded_at_log_in(make_app, make_user):
    user = make_user()  # hashed with time cost 1, the tests' default
    assert ",t=1," in user.password_hash
    stronger = make_app(ARGON2_TIME_COST=2)
    assert login(stronger.test_client(), user.email).status_code == 302
    upgraded = stored(user).password_hash
    assert upgraded.startswith("$argon2id$") and ",t=2," in upgraded
