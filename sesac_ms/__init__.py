"""SeSAC MS: the operations system of Seoul's youth job-training academy (청년취업사관학교)."""

from __future__ import annotations

import os
import secrets
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, request, session
from flask_babel import format_date, format_datetime
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.exceptions import NotFound
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from .clock import SEOUL
from .extensions import babel, csrf, db, limiter, login_manager, migrate
from .settings_env import read_environment

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent


def _shipped(name: str) -> Path:
    """A folder an installed wheel carries inside the package (setup.py copies it there),
    else the checkout's top-level one (development, editable install)."""
    inside = PACKAGE_DIR / name
    return inside if inside.is_dir() else PROJECT_DIR / name


TEMPLATES_DIR = _shipped("templates")
MIGRATIONS_DIR = _shipped("migrations")
INSTALLED = MIGRATIONS_DIR.parent == PACKAGE_DIR


def _instance_path() -> str | None:
    """SESAC_INSTANCE_PATH; else the checkout's instance/; else (an installed wheel) None,
    Flask's default for installed packages: <prefix>/var/sesac_ms-instance, so settings and
    the generated key never land in site-packages."""
    if os.environ.get("SESAC_INSTANCE_PATH"):
        return os.path.abspath(os.environ["SESAC_INSTANCE_PATH"])
    return None if INSTALLED else str(PROJECT_DIR / "instance")


DURATION_SETTINGS = (
    "LOGIN_LOCKOUT",
    "PASSWORD_TOKEN_LIFETIME",
    "REMEMBER_COOKIE_DURATION",
    "PERMANENT_SESSION_LIFETIME",
)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Assemble the app: settings in layers, extensions, blueprints, error pages, CLI."""
    app = Flask(
        __name__,
        instance_path=_instance_path(),
        instance_relative_config=True,
        template_folder=str(TEMPLATES_DIR),
    )
    # Ids in URLs fit the database's INTEGER: a longer number finds no route (404), where it
    # would overflow SQLite's driver or PostgreSQL's int4 and answer 500.
    app.url_map.converters["int"] = DatabaseIdConverter
    _load_settings(app, test_config)
    from .audit_chain import check_retention_setting

    check_retention_setting(app.config)  # access records: two years at least
    from .request_log import init_request_log

    init_request_log(app)
    _init_extensions(app)
    _register_blueprints(app)
    from .api import init_api

    init_api(app)  # /api/v1: tokens, not cookies (sesac_ms/api)
    _register_template_helpers(app)
    from .reports.tallies import install as keep_employment_tallies

    keep_employment_tallies()
    from .cohorts.attendance_versions import install as keep_attendance_versions

    keep_attendance_versions()

    from .errors import register_error_handlers
    from .security import StaticFreeSessionInterface, add_security_headers, check_production_config

    app.session_interface = StaticFreeSessionInterface()
    register_error_handlers(app)
    app.after_request(add_security_headers)
    from .mail import send_after_request

    app.after_request(send_after_request)
    if app.config["PROXY_FIX_COUNT"]:
        count = int(app.config["PROXY_FIX_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)

    from .cli import register_cli

    register_cli(app)
    if app.config["PRODUCTION"]:
        check_production_config(app)
    return app


class DatabaseIdConverter(IntegerConverter):
    """`<int:…>` bounded to a 32-bit INTEGER id (0 to 2,147,483,647): a larger one is not
    found. (Not werkzeug's `max`: a value over it makes the router answer 405 to other
    methods instead of 404.)"""

    def to_python(self, value: str) -> Any:
        number = super().to_python(value)
        if number > MAX_DATABASE_ID:
            raise NotFound()
        return number


MAX_DATABASE_ID = 2**31 - 1


def _load_settings(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Defaults → instance/config.py → environment → the test mapping."""
    app.config.from_object("sesac_ms.config")
    app.config.from_pyfile("config.py", silent=True)
    read_environment(app.config, os.environ)
    if "DATABASE_URL" in os.environ:
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if os.environ.get("SESAC_ENV") == "production":
        app.config["PRODUCTION"] = True
    if app.config["PRODUCTION"]:
        app.config.setdefault("SESSION_COOKIE_SECURE", True)
        for name in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
            if name not in os.environ and f"SESAC_{name}" not in os.environ:
                app.config[name] = True
    if test_config:
        app.config.update(test_config)
    # Durations may come from the environment as seconds.
    for name in DURATION_SETTINGS:
        if isinstance(app.config.get(name), int | float):
            app.config[name] = timedelta(seconds=app.config[name])

    app.config.setdefault(
        "SQLALCHEMY_DATABASE_URI", f"sqlite:///{Path(app.instance_path) / 'sesac_ms.sqlite3'}"
    )
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _generated_secret_key(Path(app.instance_path))
        app.config["SECRET_KEY_GENERATED"] = True


def normalise_database_url(url: str) -> str:
    """postgres:// and postgresql:// use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _generated_secret_key(instance: Path) -> str:
    """A development key kept in instance/secret_key (never committed); production refuses it."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_hex(32))
    return path.read_text().strip()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """SQLite enforces foreign keys only when asked; WAL and a busy timeout let workers share it.

    The busy timeout is sqlite3's `timeout` connect argument, DB_SQLITE_BUSY_TIMEOUT
    (database.engine_options), so it already applies to these statements.

    `synchronous=NORMAL` is SQLite's advice for WAL: the database stays consistent through
    any crash, and a commit survives the app's crash; only a power loss or an OS crash may
    undo the last commits, whole. FULL syncs the disk at every commit: 3 ms at twice Seoul's
    size, and most pages commit (their access-log entry). PostgreSQL is the production
    database and keeps its own full durability.
    """
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def _datetime_text(value: datetime | None, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    """The `datetime` filter: Babel's format_datetime in Seoul's time. The default pattern is
    all digits, the same in every language, so it is written without Babel's pattern
    machinery (a log page writes fifty of them); a naive value is UTC, as Babel takes it."""
    if not value:
        return ""
    if fmt != "yyyy-MM-dd HH:mm" or not isinstance(value, datetime):
        return format_datetime(value, fmt)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(SEOUL).strftime("%Y-%m-%d %H:%M")


def _init_extensions(app: Flask) -> None:
    from .database import engine_options, install_cli_timeouts
    from .models import User

    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config)
    db.init_app(app)
    install_cli_timeouts(app)
    migrate.init_app(
        app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True, compare_type=True
    )
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(
        app,
        locale_selector=_select_locale,
        timezone_selector=lambda: "Asia/Seoul",
        default_translation_directories=str(PACKAGE_DIR / "translations"),
    )
    from .i18n_speed import install as install_template_translations

    install_template_translations(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    from flask_babel import lazy_gettext

    login_manager.login_message = lazy_gettext("Please log in to open this page.")
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        """The id carries the session version: an older cookie no longer loads the user."""
        try:
            raw_id, raw_version = user_id.split(":")
            user = db.session.get(User, int(raw_id))
            version = int(raw_version)
        except (ValueError, TypeError):
            return None
        if user is None or not user.active or user.session_version != version:
            return None
        return user


def _select_locale() -> str:
    """The user's language; kept in the session too, so error pages find it without the DB.

    Log-in and the language switch store it there; a session restored from the remember
    cookie, or a language changed on another device, is brought in line here.
    """
    if current_user and current_user.is_authenticated:
        if request and session.get("locale") != current_user.locale:
            session["locale"] = current_user.locale
        return current_user.locale
    locale = session.get("locale") if request else None
    return locale if locale in ("ko", "en") else "ko"


def _register_blueprints(app: Flask) -> None:
    from . import (
        admin,
        applications,
        auth,
        cohorts,
        main,
        placements,
        privacy,
        reports,
        sessions,
        webhooks,
    )
    from .notify import routes as notify_routes

    for blueprint in (
        main.bp,
        auth.bp,
        admin.bp,
        cohorts.bp,
        cohorts.checkin_bp,  # /check-in: trainees' self check-in and the classroom screen
        applications.bp,
        applications.front.bp,  # /apply: the public form's readable links
        sessions.bp,
        placements.bp,
        reports.bp,
        notify_routes.bp,  # /notify: each user's message settings
        privacy.bp,  # /privacy: "My data" and requests about personal data
        webhooks.bp,  # /webhooks: a campus's events sent to other systems
    ):
        app.register_blueprint(blueprint)


def _register_template_helpers(app: Flask) -> None:
    from flask_babel import get_locale

    from .audit_text import describe_entry, source_label
    from .auth.forms import ButtonForm, LocaleForm
    from .cohorts.services import status_label
    from .forms import hidden_fields
    from .imports.limits import megabytes
    from .permissions import can
    from .rate_limits import minutes_to_wait
    from .seoul import district_label

    # Templates build these forms only to render them, so they never read the request
    # body: on the 413 page reading it again would fail and the error page with it.
    app.jinja_env.globals.update(
        can=can,
        cohort_status_label=status_label,
        ButtonForm=lambda **kwargs: ButtonForm(formdata=None, **kwargs),
        LocaleForm=lambda **kwargs: LocaleForm(formdata=None, **kwargs),
        hidden_fields=hidden_fields,  # every form's CSRF token, without an id
        current_locale=lambda: str(get_locale()),
        district_label=district_label,
        audit_entry=describe_entry,  # an audit entry as sentences (sesac_ms/audit_text.py)
        source_label=source_label,
    )
    # One unambiguous, sortable form in both languages, in Asia/Seoul.
    app.jinja_env.filters["datetime"] = _datetime_text
    app.jinja_env.filters["megabytes"] = megabytes
    app.jinja_env.globals["minutes_to_wait"] = minutes_to_wait
    app.jinja_env.filters["date"] = lambda value, fmt="medium": (
        format_date(value, fmt) if value else ""
    )
