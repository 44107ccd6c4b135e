"""CSRF on every POST, per-address rate limits, headers and cookies, and production start-up.

Browsers are served by apps made with `make_app`: the `app` fixture keeps an app context
open, and requests inside it would share its `g`, where Flask-Login caches the user.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from html import unescape
from io import BytesIO

import pytest
import redis
from cryptography.fernet import Fernet
from flask import Flask
from flask.testing import FlaskClient

from sesac_ms import create_app
from sesac_ms.models import Role
from sesac_ms.security import UnsafeProductionConfig
from sesac_ms.settings_env import PLAIN_NAMES as ENV_SETTINGS
from tests.conftest import base_config, login
from tests.test_permissions import build_url, is_login_redirect, routes

REDIS_URL = "redis://127.0.0.1:6379"
NOTHING_LISTENS = "redis://127.0.0.1:1"  # a port no redis answers on


def redis_reachable() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


needs_redis = pytest.mark.skipif(not redis_reachable(), reason=f"no redis at {REDIS_URL}")


def english(client: FlaskClient) -> FlaskClient:
    """Ask for English pages, so the texts checked here are the ones in the code."""
    with client.session_transaction() as session:
        session["locale"] = "en"
    return client


def page(response) -> str:
    return unescape(response.get_data(as_text=True))


def csrf_token_in(response) -> str:
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page(response))
    assert found is not None, "the page has no CSRF token"
    return found.group(1)


# --- CSRF ------------------------------------------------------------------------------


@pytest.fixture
def url_values(app) -> dict:
    """A value for every URL parameter of every route: CSRF is refused before any lookup."""
    from werkzeug.routing import IntegerConverter

    values = {}
    for rule in app.url_map.iter_rules():
        for name, converter in rule._converters.items():
            values[name] = 1 if isinstance(converter, IntegerConverter) else "x" * 16
    return values


@pytest.fixture
def guarded(make_app) -> Flask:
    return make_app(WTF_CSRF_ENABLED=True)


def log_in_with_token(client: FlaskClient, email: str, **extra):
    token = csrf_token_in(client.get("/auth/login"))
    return login(client, email, csrf_token=token, **extra)


def test_the_login_form_works_with_a_valid_token_and_so_does_log_out(guarded, make_user):
    browser = guarded.test_client()
    user = make_user()
    response = log_in_with_token(browser, user.email)
    assert response.status_code == 302
    dashboard = browser.get("/")
    assert dashboard.status_code == 200

    response = browser.post("/auth/logout", data={"csrf_token": csrf_token_in(dashboard)})
    assert response.status_code == 302
    assert is_login_redirect(browser.get("/auth/password"))


@pytest.mark.parametrize("who", ["anonymous", "admin"])
@pytest.mark.parametrize("token", ["missing", "another visitor's"])
def test_every_post_route_refuses_a_request_without_its_csrf_token(
    guarded, make_user, url_values, who, token
):
    browser = english(guarded.test_client())
    if who == "admin":
        admin = make_user(Role.ADMIN, locale="en")
        assert log_in_with_token(browser, admin.email).status_code == 302
    data = {}
    if token != "missing":
        data["csrf_token"] = csrf_token_in(guarded.test_client().get("/auth/login"))

    # The API takes no cookie (tests/test_api.py), so it has no CSRF to guard against.
    posts = [
        endpoint
        for endpoint, _rule, method in routes(guarded)
        if method == "POST" and not hasattr(guarded.view_functions[endpoint], "api_resource")
    ]
    assert {"auth.login", "auth.logout", "admin.deactivate_user"} <= set(posts)
    failures = []
    for endpoint in posts:
        url = build_url(guarded, endpoint, url_values)
        response = browser.post(url, data=data)
        if response.status_code != 400 or "Bad request" not in page(response):
            failures.append(f"POST {url} ({endpoint}): {response.status_code}")
    assert not failures, "\n".join(failures)

    if who == "admin":  # the refused log-out ended nothing
        assert browser.get("/").status_code == 200


# --- rate limits -----------------------------------------------------------------------


@pytest.fixture
def address() -> Iterator[str]:
    """A client address of this test alone: the Limiter keeps the first key prefix it
    sees for the whole process, and counts on redis outlive a test run for a minute."""
    value = f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"
    yield value
    if redis_reachable():
        store = redis.Redis.from_url(REDIS_URL)
        for key in store.scan_iter(match=f"*{value}*"):
            store.delete(key)


def limited_app(make_app, storage: str = "memory://") -> Flask:
    return make_app(
        RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute", RATELIMIT_STORAGE_URI=storage
    )


def post_from(client: FlaskClient, address: str, url: str):
    data = {"email": "someone@sesac.example", "password": "a guess", "confirm": "a guess"}
    return client.post(url, data=data, environ_base={"REMOTE_ADDR": address})


@pytest.mark.parametrize("url", ["/auth/login", "/auth/forgot", "/auth/set-password/no-token"])
def test_the_fourth_post_from_one_address_in_a_minute_gets_429(make_app, address, url):
    client = english(limited_app(make_app).test_client())
    for _ in range(5):
        assert client.get(url, environ_base={"REMOTE_ADDR": address}).status_code != 429

    for _ in range(3):
        assert post_from(client, address, url).status_code != 429
    refused = post_from(client, address, url)

    assert refused.status_code == 429
    assert "Too many attempts" in page(refused)
    # The real wait (a minute's limit: 1 minute), and the way back for a visitor.
    assert "Try again in 1 minute." in page(refused)
    assert int(refused.headers["Retry-After"]) <= 60
    assert 'href="/auth/login"' in page(refused)
    assert client.get(url, environ_base={"REMOTE_ADDR": address}).status_code != 429
    assert post_from(client, "192.0.2.77", url).status_code != 429  # another address


@pytest.mark.parametrize(
    "storage, shared",
    [("memory://", False), pytest.param(REDIS_URL, True, marks=needs_redis)],
    ids=["memory", "redis"],
)
def test_workers_count_attempts_together_only_on_a_shared_storage(
    make_app, address, storage, shared
):
    """The Limiter is one object per process: starting the second worker opens a new
    storage on it, as a new process would. Memory starts from zero; redis remembers."""
    first_worker = limited_app(make_app, storage).test_client()
    for _ in range(3):
        assert post_from(first_worker, address, "/auth/login").status_code == 200

    second_worker = limited_app(make_app, storage).test_client()
    fourth = post_from(second_worker, address, "/auth/login")

    assert (fourth.status_code == 429) is shared


# --- headers, cookies, sizes -----------------------------------------------------------


def csp(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    directives = (part.split() for part in policy.split(";") if part.strip())
    return {name: values for name, *values in directives}


@pytest.mark.parametrize(
    "path, role",
    [("/auth/login", None), ("/no-such-page", None), ("/healthz", None), ("/", Role.ADMIN)],
)
def test_every_kind_of_page_carries_the_security_headers(make_app, make_user, path, role):
    browser = make_app().test_client()
    if role is not None:
        login(browser, make_user(role).email)
    response = browser.get(path)
    assert response.status_code in (200, 404)

    policy = csp(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["script-src"] + policy["style-src"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] in ("same-origin", "no-referrer")


@pytest.mark.parametrize("role", [None, Role.ADMIN])
def test_pages_hold_no_inline_script_the_policy_would_block(make_app, make_user, role):
    browser = make_app().test_client()
    path = "/auth/login"
    if role is not None:
        login(browser, make_user(role).email)
        path = "/"
    html = browser.get(path).get_data(as_text=True)
    assert re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", html) == []
    assert re.findall(r"<[^>]*\son[a-z]+\s*=", html) == []  # onclick= and the like
    assert "javascript:" not in html


def test_log_in_cookies_are_http_only_and_same_site_lax(make_app, make_user):
    response = login(make_app().test_client(), make_user().email, remember="y")
    cookies = {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}
    assert {"sesac_session", "sesac_remember"} <= cookies.keys()
    for name in ("sesac_session", "sesac_remember"):
        attributes = [part.strip().lower() for part in cookies[name].split(";")]
        assert "httponly" in attributes, cookies[name]
        assert "samesite=lax" in attributes, cookies[name]


@pytest.mark.parametrize("role", [None, Role.MANAGER], ids=["anonymous", "logged in"])
@pytest.mark.parametrize("kind", ["form", "upload"])
def test_a_body_above_the_limit_gets_the_413_page(make_app, make_user, kind, role):
    body = {"email": "someone@sesac.example", "password": "x" * 4096}
    if kind == "upload":
        body = {"email": "someone@sesac.example", "file": (BytesIO(b"x" * 4096), "big.csv")}
    browser = english(make_app(MAX_CONTENT_LENGTH=2048).test_client())
    if role is not None:
        assert login(browser, make_user(role, locale="en").email).status_code == 302
    response = browser.post("/auth/password" if role else "/auth/login", data=body)
    assert response.status_code == 413
    assert "Too large" in page(response)
    assert "larger than 0 MB" not in page(response) and "Nothing was stored" in page(response)
    small = browser.post("/auth/login", data={"email": "someone@sesac.example", "password": "x"})
    assert small.status_code != 413


# --- production start-up ---------------------------------------------------------------


@pytest.fixture
def environment(monkeypatch, tmp_path) -> None:
    """No setting from the shell that runs the tests, and an instance folder of our own."""
    for name in list(os.environ):
        if name.startswith(("SESAC_", "FLASK_")) or name in (*ENV_SETTINGS, "DATABASE_URL"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SESAC_INSTANCE_PATH", str(tmp_path / "instance"))


@pytest.fixture
def production(database_url, tmp_path, environment):
    """A configuration production accepts, changed by the test."""

    def config(**changes) -> dict:
        values = base_config(database_url, tmp_path)
        values.update(
            TESTING=False,
            PRODUCTION=True,
            SESSION_COOKIE_SECURE=True,
            REMEMBER_COOKIE_SECURE=True,
            RATELIMIT_ENABLED=True,
            RATELIMIT_STORAGE_URI=NOTHING_LISTENS,
            WTF_CSRF_ENABLED=True,
            DATA_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        )
        values.update(changes)
        return values

    return config


@pytest.mark.parametrize(
    "changes, reason",
    [
        ({"DEBUG": True}, "debug is on"),
        ({"SECRET_KEY": None}, "generated development key"),
        ({"SECRET_KEY": "short"}, "shorter than 32"),
        ({"SESSION_COOKIE_SECURE": False}, "SESSION_COOKIE_SECURE is off"),
        ({"REMEMBER_COOKIE_SECURE": False}, "REMEMBER_COOKIE_SECURE is off"),
        ({"RATELIMIT_STORAGE_URI": "memory://"}, "RATELIMIT_STORAGE_URI"),
        ({"WTF_CSRF_ENABLED": False}, "CSRF protection is off"),
        ({"RATELIMIT_ENABLED": False}, "rate limiting is off"),
        ({"DATA_ENCRYPTION_KEYS": ""}, "DATA_ENCRYPTION_KEYS is unset"),
        ({"DATA_ENCRYPTION_KEYS": "not-a-key"}, "key 1 is not a Fernet key"),
    ],
    ids=[
        "debug",
        "generated key",
        "short key",
        "session cookie",
        "remember cookie",
        "memory",
        "csrf off",
        "rate limit off",
        "no data key",
        "bad data key",
    ],
)
def test_production_refuses_to_start_with_an_unsafe_setting(production, changes, reason):
    with pytest.raises(UnsafeProductionConfig, match=reason):
        create_app(production(**changes))


def test_the_generated_development_key_is_refused_though_it_is_long(production, tmp_path):
    with pytest.raises(UnsafeProductionConfig) as refused:
        create_app(production(SECRET_KEY=None))
    assert len((tmp_path / "instance" / "secret_key").read_text().strip()) >= 32
    assert "shorter" not in str(refused.value)


def test_production_starts_with_a_proper_config_and_connects_to_redis_only_when_needed(
    production,
):
    app = create_app(production())  # nothing listens there: a connection would fail
    assert app.config["PRODUCTION"] is True
    response = app.test_client().get("/healthz")
    assert response.json == {"status": "ok"}
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize(
    "variable, value", [("SESAC_ENV", "production"), ("SESAC_PRODUCTION", "true")]
)
def test_production_from_the_environment_turns_secure_cookies_on(
    monkeypatch, environment, database_url, tmp_path, variable, value
):
    config = base_config(database_url, tmp_path)
    config.update(
        RATELIMIT_STORAGE_URI=NOTHING_LISTENS,
        RATELIMIT_ENABLED=True,
        WTF_CSRF_ENABLED=True,
        DATA_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
    )
    assert create_app(config).config["SESSION_COOKIE_SECURE"] is False  # development

    monkeypatch.setenv(variable, value)
    app = create_app(config)

    assert app.config["PRODUCTION"] is True
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


def test_production_refuses_a_cookie_made_insecure_through_the_environment(
    monkeypatch, environment, database_url, tmp_path
):
    monkeypatch.setenv("SESAC_ENV", "production")
    monkeypatch.setenv("SESAC_SESSION_COOKIE_SECURE", "false")
    config = base_config(database_url, tmp_path)
    config["RATELIMIT_STORAGE_URI"] = NOTHING_LISTENS
    with pytest.raises(UnsafeProductionConfig, match="SESSION_COOKIE_SECURE is off"):
        create_app(config)
