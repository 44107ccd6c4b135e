"""Shared fixtures: an app per test on SQLite and, with TEST_DATABASE_URL, on PostgreSQL too."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from unittest import mock

import jinja2
import jinja2.bccache
import pytest
import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url
from werkzeug.routing import Rule

from sesac_ms import create_app
from sesac_ms.applications.services import ApplicantDetails, submit_application, today_in_seoul
from sesac_ms.auth.services import create_user
from sesac_ms.extensions import db
from sesac_ms.main.health import migration_script
from sesac_ms.models import (
    Application,
    Campus,
    Cohort,
    CohortStatus,
    Course,
    Education,
    EmploymentStatus,
    Role,
    Track,
    User,
)
from sesac_ms.reports import figures_cache

PASSWORD = "correct horse battery"
IN_CI = os.environ.get("CI", "").lower() == "true"
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if TEST_DATABASE_URL else [])


def pytest_configure(config: pytest.Config) -> None:
    if IN_CI and not TEST_DATABASE_URL:
        raise pytest.UsageError("CI=true but TEST_DATABASE_URL is unset: PostgreSQL is required")
    _reuse_compiled_url_builders()


def _reuse_compiled_url_builders() -> None:
    """Compile each route's URL builder once per test process, not once per app.

    The suite builds an app for every test, and werkzeug writes and compiles Python code for
    each of ~200 rules twice per app: two thirds of create_app's 80 ms. The builder it
    returns takes the rule as its first argument, so rules alike in pattern, defaults and
    converters can share one; only the tests use this.
    """
    compile_builder = Rule._compile_builder
    builders: dict[tuple, Callable] = {}

    def cached(self: Rule, append_unknown: bool = True) -> Callable:
        key = (
            append_unknown,
            tuple(self._trace),
            tuple(sorted((k, repr(v)) for k, v in (self.defaults or {}).items())),
            # A converter shapes the code only through to_url of a default: its type says it.
            tuple((k, type(c)) for k, c in self._converters.items()),
        )
        if key not in builders:
            builders[key] = compile_builder(self, append_unknown)
        return builders[key]

    Rule._compile_builder = cached


class _CompiledTemplates(jinja2.BytecodeCache):
    """Templates compiled once per test process, not once per app (each test builds one):
    about 80 ms a test of Jinja's compiler. Jinja checks each entry against the template's
    source, so an edited template is compiled again."""

    def __init__(self) -> None:
        self.codes: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self.codes.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.codes[bucket.key] = bucket.bytecode_to_string()


TEMPLATES_COMPILED = _CompiledTemplates()


def base_config(database_url: str, instance: Path) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-of-sufficient-length-0123456789",
        "SQLALCHEMY_DATABASE_URI": database_url,
        # One test process stands for many gunicorn workers: the race tests send 20 to 45
        # requests at once from threads sharing this pool, where a production worker serves
        # one request at a time. With the default 5 + 10 connections a request could wait out
        # the pool timeout behind SQLite's serialised writers and answer 503 (a CI flake).
        "SQLALCHEMY_ENGINE_OPTIONS": {
            "pool_pre_ping": True,
            "hide_parameters": True,
            "pool_size": 5,
            "max_overflow": 45,
        },
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
        "ARGON2_PARALLELISM": 1,
        "MAIL_SERVER": None,
        "PUBLIC_BASE_URL": "http://localhost",
        "SERVER_NAME": None,
        # The second-factor policy is tested on its own (tests/test_second_factor.py).
        "SECOND_FACTOR_ROLES": "",
    }


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """Create a throw-away database on the server and drop it afterwards."""
    name = f"sesac_test_{uuid.uuid4().hex[:10]}"
    url = make_url(server_url).set(drivername="postgresql+psycopg")
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                ),
                {"n": name},
            )
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[str]:
    """One database per backend for the whole run; the schema is built once."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "test.sqlite3"
        url = f"sqlite:///{path}"
        _build_schema(url, tmp_path_factory.mktemp("instance"))
        yield url
    else:
        with postgres_database(TEST_DATABASE_URL) as url:
            _build_schema(url, tmp_path_factory.mktemp("instance"))
            yield url


def _build_schema(url: str, instance: Path) -> None:
    app = create_app(base_config(url, instance))
    with app.app_context():
        db.create_all()
        # create_all builds the head schema: record it, as `flask db upgrade` would (/readyz).
        with db.engine.begin() as connection:
            MigrationContext.configure(connection).stamp(migration_script(), "heads")
        db.engine.dispose()


def _empty_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        # TRUNCATE of every table took ~130 ms a test (new files for 41 tables); a test fills
        # a few, so delete the rows of those. The replica role skips the triggers, the logs'
        # guards and the foreign keys' checks alike; every sequence starts again at 1, as
        # RESTART IDENTITY did.
        filled = " UNION ALL ".join(
            f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")" for t in tables
        )
        names = set(db.session.execute(sa.text(filled)).scalars())
        db.session.execute(sa.text("SET LOCAL session_replication_role = replica"))
        for table in tables:
            if table.name in names:
                db.session.execute(sa.text(f'DELETE FROM "{table.name}"'))
        db.session.execute(
            sa.text("SELECT setval(oid, 1, false) FROM pg_class WHERE relkind = 'S'")
        )
    else:
        # The logs' triggers (models/audit.py guard_ddl) refuse to delete young entries: the
        # test database's owner lifts them for the wipe and puts them back.
        triggers = db.session.execute(
            sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        ).all()
        connection = db.session.connection()
        for name, _ in triggers:
            connection.exec_driver_sql(f'DROP TRIGGER "{name}"')
        for table in tables:
            db.session.execute(table.delete())
        for _, sql in triggers:
            connection.exec_driver_sql(sql)
    db.session.commit()


def _forget_request_state() -> None:
    """Tests keep one app context open, so `g` would outlive a request; start each afresh.

    Otherwise the user Flask-Login cached, Babel's locale and the CSRF token of one
    request (or client) would leak into the next, as no real request ever does.
    """
    for name in list(g):
        g.pop(name)


@pytest.fixture
def make_app(database_url: str, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Build an app on the test database; several apps stand for several workers."""
    apps: list[Flask] = []

    def factory(**overrides) -> Flask:
        config = base_config(database_url, tmp_path)
        config.update(overrides)
        os.environ["SESAC_INSTANCE_PATH"] = str(tmp_path / "instance")
        app = create_app(config)
        app.jinja_env.bytecode_cache = TEMPLATES_COMPILED
        app.before_request_funcs.setdefault(None, []).insert(0, _forget_request_state)
        apps.append(app)
        return app

    yield factory
    for app in apps[:1]:
        with app.app_context():
            db.session.rollback()
            _empty_tables()
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app) -> Iterator[Flask]:
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def app_log(app: Flask, caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """caplog for the app's own logger, which writes through its handler only (no propagation)."""
    caplog.set_level(logging.INFO, logger=app.logger.name)
    app.logger.addHandler(caplog.handler)
    yield caplog
    app.logger.removeHandler(caplog.handler)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


# --- factories -------------------------------------------------------------------------

_counter = iter(range(1, 10**9))


@pytest.fixture
def make_campus(app: Flask) -> Callable[..., Campus]:
    def factory(name_ko: str | None = None, **values) -> Campus:
        n = next(_counter)
        campus = Campus(
            name_ko=name_ko or f"캠퍼스{n}",
            name_en=values.pop("name_en", f"Campus {n}"),
            district=values.pop("district", f"구{n}"),
            **values,
        )
        db.session.add(campus)
        db.session.commit()
        return campus

    return factory


@pytest.fixture
def campus(make_campus) -> Campus:
    return make_campus("구로", name_en="Guro", district="구로구", opening_order=24)


@pytest.fixture
def make_user(app: Flask, campus: Campus) -> Callable[..., User]:
    def factory(
        role: Role | str = Role.MANAGER,
        campus: Campus | None = campus,
        email: str | None = None,
        name: str = "테스트 사용자",
        password: str = PASSWORD,
        **values,
    ) -> User:
        role = Role(role)
        user = create_user(
            None,
            email=email or f"{role.value}{next(_counter)}@sesac.example",
            name=name,
            role=role,
            campus=None if role == Role.ADMIN else campus,
            password=password,
            send_link=False,
        )
        for key, value in values.items():
            setattr(user, key, value)
        db.session.commit()
        return user

    return factory


@pytest.fixture
def make_course(app: Flask, campus: Campus) -> Callable[..., Course]:
    def factory(
        campus: Campus = campus, title: str | None = None, track: Track = Track.AI_CONVERGENCE_DX
    ) -> Course:
        course = Course(campus_id=campus.id, title=title or f"과정 {next(_counter)}", track=track)
        db.session.add(course)
        db.session.commit()
        return course

    return factory


@pytest.fixture
def make_cohort(app: Flask, make_course) -> Callable[..., Cohort]:
    def factory(
        course: Course | None = None,
        number: int | None = None,
        capacity: int = 30,
        status: CohortStatus = CohortStatus.PLANNED,
        **dates,
    ) -> Cohort:
        course = course or make_course()
        cohort = Cohort(
            course_id=course.id,
            number=number or next(_counter),
            capacity=capacity,
            status=status,
            recruit_start_on=dates.get("recruit_start_on", date(2026, 1, 5)),
            recruit_end_on=dates.get("recruit_end_on", date(2026, 1, 30)),
            start_on=dates.get("start_on", date(2026, 2, 9)),
            end_on=dates.get("end_on", date(2026, 6, 30)),
        )
        db.session.add(cohort)
        db.session.commit()
        return cohort

    return factory


@pytest.fixture
def make_open_cohort(make_cohort) -> Callable[..., Cohort]:
    """A cohort recruiting today, starting in a month."""

    def factory(**values) -> Cohort:
        today = today_in_seoul()
        values.setdefault("status", CohortStatus.RECRUITING)
        values.setdefault("recruit_start_on", today - timedelta(days=5))
        values.setdefault("recruit_end_on", today + timedelta(days=10))
        values.setdefault("start_on", today + timedelta(days=30))
        values.setdefault("end_on", today + timedelta(days=150))
        return make_cohort(**values)

    return factory


@pytest.fixture
def make_application(app: Flask) -> Callable[..., Application]:
    """An application through the service, as the public form stores it."""

    def factory(cohort: Cohort, **values) -> Application:
        n = next(_counter)
        details = ApplicantDetails(
            name=values.pop("name", f"지원자{n}"),
            email=values.pop("email", f"applicant{n}@example.com"),
            phone=values.pop("phone", "010-1234-5678"),
            birth_date=values.pop("birth_date", date(2000, 3, 15)),
            district=values.pop("district", "구로구"),
            seoul_university=values.pop("seoul_university", False),
            employment_status=values.pop("employment_status", EmploymentStatus.UNEMPLOYED),
            education=values.pop("education", Education.UNIVERSITY),
            motivation=values.pop("motivation", "데이터 분석가가 되고 싶습니다."),
            portfolio_url=values.pop("portfolio_url", None),
        )
        application = submit_application(
            cohort, details, consent=True, source="import", send_mail=False
        )
        for key, value in values.items():
            setattr(application, key, value)
        db.session.commit()
        return application

    return factory


# A public internet address (example.com's) for names the tests look up.
PUBLIC_ADDRESS = "93.184.216.34"


@contextmanager
def dns(answers: Mapping[str, str | tuple[str, ...]]) -> Iterator[list[str]]:
    """socket.getaddrinfo answering each name with its address or addresses (tests ask no
    DNS server): an address, in any form the system reads (127.1, [::1]), stands for
    itself; any other name is not found. Yields the hosts looked up, in order."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        name = host.decode() if isinstance(host, bytes) else str(host)
        asked.append(name)
        found = answers.get(name.lower(), (name,))
        try:
            return [
                info
                for address in ((found,) if isinstance(found, str) else found)
                for info in real(address, port, family, type, proto, flags | socket.AI_NUMERICHOST)
            ]
        except socket.gaierror:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None

    with mock.patch("socket.getaddrinfo", getaddrinfo):
        yield asked


def login(client: FlaskClient, email: str, password: str = PASSWORD, **extra):
    return client.post("/auth/login", data={"email": email, "password": password, **extra})


@pytest.fixture
def login_as(client: FlaskClient, make_user) -> Callable[..., User]:
    """Create a user of the role and log in through the real form."""

    def factory(role: Role | str, campus: Campus | None = None, **values) -> User:
        kwargs = {"campus": campus} if campus is not None else {}
        user = make_user(role, **kwargs, **values)
        response = login(client, user.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return factory


@pytest.fixture
def count_queries(app: Flask):
    """Count the SQL statements run inside the block: `with count_queries() as n: ...; n()`."""

    @contextmanager
    def counter():
        statements: list[str] = []
        # Counted as worked out: figures kept from an earlier request would spare a page
        # its report queries on one count and not on the next.
        figures_cache.forget()

        def before(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", before)
        try:
            yield lambda: len(statements)
        finally:
            sa.event.remove(engine, "before_cursor_execute", before)

    return counter


# The PostgreSQL copies of these walks run for a sample of roles (SQLite runs every role):
# they check what a page renders and which headers it sends, not the database, and the
# whole suite has 15 minutes. Every role still walks every route on PostgreSQL in
# tests/test_permissions.py.
POSTGRES_SAMPLED: dict[str, set[str]] = {
    "test_every_route_keeps_personal_answers_out_of_caches": {"anonymous", "admin", "trainee"},
    "test_every_page_in_english_has_no_korean_but_typed_data": {"anonymous", "admin", "trainee"},
    "test_the_api_keeps_to_its_openapi_document": {"manager"},
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    kept, dropped = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        sample = POSTGRES_SAMPLED.get(getattr(item, "originalname", ""))
        role = params.get("role")
        role_name = "anonymous" if role is None else str(getattr(role, "value", role))
        on_postgres = params.get("database_url") == "postgresql"
        (dropped if sample and on_postgres and role_name not in sample else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
