"""When the database is down or slow: error pages without it, bounded waits, health checks.

The database is made unreachable the way an outage looks to a worker: a second app, with
the same secret key, points at a database that cannot be opened (a closed port on
PostgreSQL, a file in a missing folder on SQLite). A user logs in on the working app and
the session cookie is replayed to the broken one, so the requests are a logged-in user's.
Apps are built with `make_app` (several apps stand for several workers); the first one,
on the working database, is the `app` fixture, which empties the tables afterwards.
"""

from __future__ import annotations

import socket
import sqlite3
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from html import unescape

import pytest
import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale, gettext
from sqlalchemy.engine import make_url

from sesac_ms.database import engine_options
from sesac_ms.extensions import db
from sesac_ms.main.health import migration_heads, migration_script
from sesac_ms.models import OutboxMessage, Role, User
from sesac_ms.models.types import utcnow
from sesac_ms.permissions import PUBLIC, acting_user, require
from tests.conftest import login

SESSION_COOKIE = "sesac_session"


def closed_port() -> int:
    """A local port nothing listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def text_of(response) -> str:
    return unescape(response.get_data(as_text=True))


def translated(locale: str, message: str) -> str:
    with force_locale(locale):
        return gettext(message)


def is_postgresql(url: str) -> bool:
    return url.startswith("postgresql")


@pytest.fixture
def down_url(database_url: str, tmp_path) -> str:
    """The same kind of database, unreachable."""
    if is_postgresql(database_url):
        url = make_url(database_url).set(host="127.0.0.1", port=closed_port())
        return url.render_as_string(hide_password=False)
    return f"sqlite:///{tmp_path / 'no-such-folder' / 'db.sqlite3'}"


@pytest.fixture
def down_app(app: Flask, make_app, down_url: str) -> Flask:
    """A worker whose database is down; unhandled errors reach the 500 page, as in production."""
    broken = make_app(SQLALCHEMY_DATABASE_URI=down_url, PROPAGATE_EXCEPTIONS=False)

    @broken.get("/boom")
    @require(PUBLIC)
    def boom():
        raise RuntimeError("a bug, not the database")

    @broken.get("/needs-db")
    @require(PUBLIC)
    def needs_db():
        db.session.execute(sa.text("SELECT 1"))
        return "unreachable"

    return broken


@pytest.fixture
def logged_in(client: FlaskClient, make_user) -> Callable[..., Callable[[Flask], FlaskClient]]:
    """Log a user in on the working app; return a function giving a client of another app
    (another worker) that carries the same session cookie."""

    def factory(locale: str = "ko", role: Role = Role.MANAGER) -> Callable[[Flask], FlaskClient]:
        user = make_user(role, locale=locale, name="김세싹")
        assert login(client, user.email).status_code == 302
        cookie = client.get_cookie(SESSION_COOKIE)
        assert cookie is not None

        def on(other: Flask) -> FlaskClient:
            browser = other.test_client()
            browser.set_cookie(SESSION_COOKIE, cookie.value)
            return browser

        return on

    return factory


# --- error pages without the database --------------------------------------------------


@pytest.mark.parametrize("locale", ["ko", "en"])
def test_a_logged_in_user_gets_the_unavailable_page_in_their_language_when_the_db_is_down(
    down_app, logged_in, locale
):
    browser = logged_in(locale)(down_app)

    response = browser.get("/")

    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(down_app.config["UNAVAILABLE_RETRY_AFTER"])
    page = text_of(response)
    assert f'<html lang="{locale}">' in page
    assert translated(locale, "The service is briefly unavailable") in page
    assert "김세싹" not in page  # no navigation with the user's name: it needs the database
    assert "Traceback" not in page and "OperationalError" not in page


@pytest.mark.parametrize("locale", ["ko", "en"])
def test_other_errors_still_show_the_500_page_in_the_users_language_when_the_db_is_down(
    down_app, logged_in, locale
):
    browser = logged_in(locale)(down_app)

    response = browser.get("/boom")

    assert response.status_code == 500
    assert "Retry-After" not in response.headers
    page = text_of(response)
    assert f'<html lang="{locale}">' in page
    assert translated(locale, "Something went wrong") in page
    if locale == "ko":
        assert "Something went wrong" not in page


def test_a_not_found_page_whose_menu_needs_the_db_falls_back_to_the_unavailable_page(
    down_app, logged_in
):
    browser = logged_in("en")(down_app)

    response = browser.get("/no-such-page")

    assert response.status_code == 503
    assert "The service is briefly unavailable" in text_of(response)


@pytest.mark.parametrize(
    "accept_language, locale", [(None, "ko"), ("en-US,en;q=0.9", "en"), ("ko-KR,ko", "ko")]
)
def test_anonymous_visitors_get_the_unavailable_page_in_their_browsers_language(
    down_app, accept_language, locale
):
    headers = {"Accept-Language": accept_language} if accept_language else {}

    response = down_app.test_client().get("/needs-db", headers=headers)

    assert response.status_code == 503
    assert "Retry-After" in response.headers
    assert f'<html lang="{locale}">' in text_of(response)


def test_the_session_language_wins_over_the_browsers(down_app, logged_in):
    browser = logged_in("ko")(down_app)

    response = browser.get("/", headers={"Accept-Language": "en"})

    assert response.status_code == 503
    assert '<html lang="ko">' in text_of(response)


def test_a_session_without_the_language_learns_it_from_the_next_page(
    make_app, app, make_user, down_app
):
    """A session restored from the remember cookie starts without the language; the next
    page that looks the user up stores it, so a later error page still finds it."""
    worker = make_app()
    user = make_user(Role.MANAGER, locale="en")
    browser = worker.test_client()
    assert login(browser, user.email).status_code == 302
    with browser.session_transaction() as session:
        del session["locale"]

    assert browser.get("/").status_code == 200
    with browser.session_transaction() as session:
        assert session["locale"] == "en"
    broken = down_app.test_client()
    broken.set_cookie(SESSION_COOKIE, browser.get_cookie(SESSION_COOKIE).value)
    assert '<html lang="en">' in text_of(broken.get("/"))


@pytest.mark.parametrize("user_loaded", [True, False])
def test_a_logged_in_users_error_pages_issue_no_query(make_app, app, logged_in, user_loaded):
    """The request's own queries come before the failure; rendering the page adds none,
    whether or not the view had loaded the user (templates would load it for the menu)."""
    worker = make_app(PROPAGATE_EXCEPTIONS=False)
    statements: list[str] = []
    before_failure: list[int] = []

    @worker.get("/fail/<kind>")
    @require(PUBLIC)
    def fail(kind: str):
        if user_loaded:
            assert acting_user().name
        before_failure.append(len(statements))
        if kind == "locked":
            raise sa.exc.OperationalError(
                "UPDATE cohorts", {}, sqlite3.OperationalError("database is locked")
            )
        raise RuntimeError("a bug")

    browser = logged_in("en")(worker)
    with worker.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))

    locked = browser.get("/fail/locked")
    assert locked.status_code == 503
    assert len(statements) == before_failure[-1]
    assert (before_failure[-1] > 0) is user_loaded

    bug = browser.get("/fail/bug")
    assert bug.status_code == 500
    assert len(statements) == before_failure[-1]
    assert "The service is briefly unavailable" in text_of(locked)
    assert "Something went wrong" in text_of(bug)


def test_a_mistake_in_a_statement_is_a_500_not_a_503(make_app, app):
    worker = make_app(PROPAGATE_EXCEPTIONS=False)

    @worker.get("/typo")
    @require(PUBLIC)
    def typo():
        db.session.execute(sa.text("SELECT * FROM no_such_table"))

    response = worker.test_client().get("/typo")

    assert response.status_code == 500
    assert "Retry-After" not in response.headers


# --- health checks ---------------------------------------------------------------------


def test_liveness_answers_while_the_database_is_down(down_app):
    response = down_app.test_client().get("/healthz")

    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readiness_fails_while_the_database_is_down(down_app):
    response = down_app.test_client().get("/readyz")

    assert response.status_code == 503
    assert response.json["status"] == "not ready"
    checks = response.json["checks"]
    assert checks["database"]["status"] == "error"
    assert checks["migrations"] == {"status": "skipped"}
    assert "127.0.0.1" not in response.get_data(as_text=True)


def test_readiness_reports_each_check_and_no_personal_data(app, client):
    recipient = "trainee.private@example.com"
    now = utcnow()
    mail = {"subject": "면접 안내", "body": "body"}
    db.session.add_all(
        [
            OutboxMessage(recipient=recipient, queued_at=now - timedelta(hours=2), **mail),
            OutboxMessage(recipient="b@example.com", queued_at=now, **mail),
            OutboxMessage(recipient="c@example.com", given_up_at=now, **mail),
            OutboxMessage(recipient="d@example.com", sent_at=now, **mail),
        ]
    )
    db.session.commit()

    response = client.get("/readyz")

    assert response.status_code == 200
    report = response.json
    assert report["status"] == "ready"
    checks = report["checks"]
    assert checks["database"] == {"status": "ok"}
    assert checks["migrations"]["status"] == "ok"
    assert checks["migrations"]["current"] == list(migration_heads())
    assert checks["rate_limit_storage"] == {"status": "disabled"}  # tests switch limits off
    outbox = checks["outbox"]
    assert (outbox["pending"], outbox["given_up"]) == (2, 1)
    assert 7000 < outbox["oldest_pending_age_seconds"] < 7400
    body = response.get_data(as_text=True)
    assert recipient not in body and "면접" not in body


@pytest.fixture
def schema_behind_head(app: Flask) -> Iterator[str]:
    """The database recorded one migration behind the code's head (restored afterwards)."""
    script = migration_script()
    (head,) = migration_heads()
    previous = script.get_revision(head).down_revision
    assert isinstance(previous, str)
    with db.engine.begin() as connection:
        MigrationContext.configure(connection).stamp(script, previous)
    try:
        yield previous
    finally:
        with db.engine.begin() as connection:
            MigrationContext.configure(connection).stamp(script, "heads")


def test_readiness_fails_while_the_schema_is_behind_the_code(app, client, schema_behind_head):
    response = client.get("/readyz")

    assert response.status_code == 503
    migrations = response.json["checks"]["migrations"]
    assert migrations["status"] == "error"
    assert migrations["current"] == [schema_behind_head]
    assert migrations["head"] == list(migration_heads())
    assert response.json["checks"]["database"] == {"status": "ok"}


@pytest.mark.parametrize("fallback, status, code", [(True, "degraded", 200), (False, "error", 503)])
def test_readiness_sees_the_rate_limit_storage(make_app, app, fallback, status, code):
    worker = make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{closed_port()}/0",
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=fallback,
    )

    response = worker.test_client().get("/readyz")

    assert response.status_code == code
    assert response.json["checks"]["rate_limit_storage"] == {"status": status}


# --- bounded waits ---------------------------------------------------------------------


def test_every_postgresql_connection_starts_with_the_configured_timeouts(
    make_app, app, database_url
):
    if not is_postgresql(database_url):
        pytest.skip("PostgreSQL's timeouts")
    worker = make_app(
        DB_STATEMENT_TIMEOUT=4, DB_LOCK_TIMEOUT=1.5, DB_IDLE_IN_TRANSACTION_TIMEOUT=20
    )
    with worker.app_context():
        shown = {
            name: db.session.execute(sa.text(f"SHOW {name}")).scalar()
            for name in (
                "statement_timeout",
                "lock_timeout",
                "idle_in_transaction_session_timeout",
                "plan_cache_mode",
            )
        }
        db.session.rollback()
    assert shown == {
        "statement_timeout": "4s",
        "lock_timeout": "1500ms",
        "idle_in_transaction_session_timeout": "20s",
        # A plan for each execution's values, never psycopg's prepared generic plan.
        "plan_cache_mode": "force_custom_plan",
    }


def test_flask_commands_get_the_longer_timeouts(make_app, app, database_url):
    if not is_postgresql(database_url):
        pytest.skip("PostgreSQL's timeouts")
    worker = make_app(DB_STATEMENT_TIMEOUT=4, DB_CLI_STATEMENT_TIMEOUT=7, DB_CLI_LOCK_TIMEOUT=3)

    @worker.cli.command("show-timeouts")
    def show_timeouts() -> None:
        for name in ("statement_timeout", "lock_timeout"):
            print(name, db.session.execute(sa.text(f"SHOW {name}")).scalar())
        db.session.rollback()

    with worker.app_context():  # else the command runs in the `app` fixture's context
        result = worker.test_cli_runner().invoke(args=["show-timeouts"])

    assert result.exit_code == 0, result.output
    assert result.output.split() == ["statement_timeout", "7s", "lock_timeout", "3s"]


def test_sqlite_waits_for_a_write_lock_as_long_as_configured(make_app, app, database_url):
    if is_postgresql(database_url):
        pytest.skip("SQLite's busy timeout")
    worker = make_app(DB_SQLITE_BUSY_TIMEOUT=0.25)
    with worker.app_context():
        assert db.session.execute(sa.text("PRAGMA busy_timeout")).scalar() == 250
        db.session.rollback()


def test_a_statement_over_the_statement_timeout_is_cancelled_with_a_503(
    make_app, app, database_url
):
    if not is_postgresql(database_url):
        pytest.skip("PostgreSQL's statement timeout")
    worker = make_app(DB_STATEMENT_TIMEOUT=0.2)

    @worker.get("/slow")
    @require(PUBLIC)
    def slow():
        db.session.execute(sa.text("SELECT pg_sleep(5)"))
        return "finished"

    started = time.monotonic()
    response = worker.test_client().get("/slow")

    assert response.status_code == 503
    assert "Retry-After" in response.headers
    assert time.monotonic() - started < 4


@pytest.fixture
def other_connection(app: Flask, database_url: str) -> Iterator[sa.Connection]:
    """A second client of the database, as another worker or a psql session would be.

    On PostgreSQL it gives up its locks after 15 s idle, so a test whose timeouts broke
    fails instead of hanging.
    """
    engine = sa.create_engine(database_url)
    connection = engine.connect()
    if is_postgresql(database_url):
        connection.exec_driver_sql("SET idle_in_transaction_session_timeout = '15s'")
        connection.commit()
    try:
        yield connection
    finally:
        try:
            connection.rollback()
            connection.close()
        except sa.exc.DBAPIError:  # the server ended the idle session
            pass
        engine.dispose()


def test_a_page_blocked_by_a_table_lock_answers_503_within_the_lock_timeout(
    make_app, app, make_user, database_url, other_connection
):
    if not is_postgresql(database_url):
        pytest.skip("LOCK TABLE is PostgreSQL's")
    worker = make_app(DB_LOCK_TIMEOUT=0.5)
    manager = make_user(Role.MANAGER, locale="en")
    browser = worker.test_client()
    assert login(browser, manager.email).status_code == 302
    other_connection.execute(sa.text("LOCK TABLE cohorts IN ACCESS EXCLUSIVE MODE"))

    started = time.monotonic()
    response = browser.get("/cohorts/")
    waited = time.monotonic() - started

    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(worker.config["UNAVAILABLE_RETRY_AFTER"])
    assert "The service is briefly unavailable" in text_of(response)
    assert waited < 10  # bounded by the lock timeout, not by the lock's holder
    assert worker.test_client().get("/healthz").status_code == 200
    other_connection.rollback()
    assert browser.get("/cohorts/").status_code == 200  # the worker serves again


def test_a_write_waiting_for_another_transactions_lock_answers_503(
    make_app, app, make_user, database_url, other_connection
):
    """PostgreSQL: the user's row is locked FOR UPDATE; SQLite: another writer holds the
    database's write lock. Changing the language then writes the user's row."""
    worker = make_app(DB_LOCK_TIMEOUT=0.5, DB_SQLITE_BUSY_TIMEOUT=0.5)
    user = make_user(Role.TRAINEE, locale="ko")
    browser = worker.test_client()
    assert login(browser, user.email).status_code == 302
    if is_postgresql(database_url):
        other_connection.execute(
            sa.text("SELECT id FROM users WHERE id = :id FOR UPDATE"), {"id": user.id}
        )
    else:
        other_connection.exec_driver_sql("BEGIN IMMEDIATE")

    started = time.monotonic()
    response = browser.post("/auth/locale", data={"locale": "en", "next": "/"})
    waited = time.monotonic() - started

    assert response.status_code == 503
    assert "Retry-After" in response.headers
    assert waited < 10
    other_connection.rollback()
    db.session.expire_all()
    assert db.session.get(User, user.id).locale == "ko"  # nothing half-written


def test_engine_options_keep_what_the_url_and_the_settings_already_say():
    config = {
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@db/x?options=-c%20search_path%3Dms",
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "pool_timeout": 1},
        "DB_STATEMENT_TIMEOUT": 10,
        "DB_LOCK_TIMEOUT": timedelta(seconds=5),
        "DB_IDLE_IN_TRANSACTION_TIMEOUT": 0,
        "DB_CONNECT_TIMEOUT": 0.5,
        "DB_POOL_TIMEOUT": 5,
    }

    options = engine_options(config)

    assert options["connect_args"] == {
        "connect_timeout": 2,
        "options": "-c statement_timeout=10000 -c lock_timeout=5000 "
        "-c idle_in_transaction_session_timeout=0 -c plan_cache_mode=force_custom_plan "
        "-c search_path=ms",
    }
    assert options["pool_timeout"] == 1 and options["pool_pre_ping"] is True
