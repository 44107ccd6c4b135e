"""How long the app waits for its database, and which database errors mean "unavailable".

Without bounds one lock held on `cohorts` froze every page for as long as it was held, and
past gunicorn's timeout every worker was killed at once. So every PostgreSQL connection
starts with `statement_timeout`, `lock_timeout` and `idle_in_transaction_session_timeout`
(libpq's startup `options`), connecting and waiting for a pooled connection are bounded,
and SQLite waits for a write lock at most `DB_SQLITE_BUSY_TIMEOUT`. Connections opened
while a `flask` command runs (imports, reports, mail) get the longer `DB_CLI_*` values.
A request that hits one of these bounds is answered with the 503 page (errors.py).
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import click
import psycopg
import psycopg.errors
from flask import Flask
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

from .extensions import db

# SQLite errors that mean "try again later", not a bug in the statement ("no such table").
_SQLITE_UNAVAILABLE = ("locked", "busy", "unable to open", "disk i/o")


def seconds(value: float | timedelta) -> float:
    """A setting in seconds (a number from config or the environment, or a timedelta)."""
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _milliseconds(value: float | timedelta) -> int:
    return max(0, round(seconds(value) * 1000))


def server_options(config: Mapping[str, Any], cli: bool = False) -> str:
    """libpq `options`: the three timeouts, in milliseconds (0 turns one off), and plans
    made for each execution's own parameters."""
    prefix = "DB_CLI_" if cli else "DB_"
    values = {
        "statement_timeout": config[f"{prefix}STATEMENT_TIMEOUT"],
        "lock_timeout": config[f"{prefix}LOCK_TIMEOUT"],
        "idle_in_transaction_session_timeout": config[f"{prefix}IDLE_IN_TRANSACTION_TIMEOUT"],
    }
    timeouts = " ".join(f"-c {name}={_milliseconds(value)}" for name, value in values.items())
    # psycopg prepares a statement on the server once it has run it 5 times, and PostgreSQL
    # then may plan it once for any parameters (a "generic plan"). For the reports' date
    # windows that plan reads every completed trainee (20 ms became 160 ms on the
    # coordinator's dashboard at 2× Seoul): plan each execution for its own values.
    return f"{timeouts} -c plan_cache_mode=force_custom_plan"


def engine_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """SQLALCHEMY_ENGINE_OPTIONS with the timeouts added; values set explicitly there win."""
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = dict(options.get("connect_args") or {})
    url = make_url(config["SQLALCHEMY_DATABASE_URI"])
    backend = url.get_backend_name()
    if backend == "postgresql":
        # libpq takes whole seconds and treats anything below 2 as 2.
        connect_args.setdefault(
            "connect_timeout", max(2, math.ceil(seconds(config["DB_CONNECT_TIMEOUT"])))
        )
        # Options already given (in the URL or connect_args) come last, so they still win.
        given = connect_args.get("options") or url.query.get("options") or ""
        connect_args["options"] = f"{server_options(config)} {given}".strip()
        options.setdefault("pool_timeout", seconds(config["DB_POOL_TIMEOUT"]))
    elif backend == "sqlite":
        connect_args.setdefault("timeout", seconds(config["DB_SQLITE_BUSY_TIMEOUT"]))
        if url.database not in (None, "", ":memory:"):  # a file: SQLAlchemy pools it
            options.setdefault("pool_timeout", seconds(config["DB_POOL_TIMEOUT"]))
    options["connect_args"] = connect_args
    return options


def install_cli_timeouts(app: Flask) -> None:
    """Give connections opened while a `flask` command runs the longer DB_CLI_* timeouts.

    The web values are in every connection's startup options already; PostgreSQL applies
    repeated `-c` options in order, so appending the CLI ones overrides them. A command
    runs inside click's context; web requests (gunicorn, and `flask run`'s request
    threads: click's context is per thread) do not.
    """
    with app.app_context():
        engines = list(db.engines.values())
    cli_options = server_options(app.config, cli=True)
    for engine in engines:
        if engine.dialect.name != "postgresql":
            continue

        @event.listens_for(engine, "do_connect")
        def _longer_for_commands(dialect: Any, record: Any, cargs: Any, cparams: dict) -> None:
            if click.get_current_context(silent=True) is not None:
                cparams["options"] = f"{cparams.get('options', '')} {cli_options}".strip()


def is_database_unavailable(error: BaseException | None) -> bool:
    """True when the error says the database is unreachable or did not answer in time.

    Connection failures, pool timeouts, PostgreSQL's statement and lock timeouts, and
    SQLite's "database is locked" all qualify; errors in the statement itself do not.
    """
    if isinstance(error, sa_exc.DisconnectionError | sa_exc.TimeoutError):
        return True
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return True
        error = error.orig
    if isinstance(error, sqlite3.OperationalError):
        message = str(error).lower()
        return any(words in message for words in _SQLITE_UNAVAILABLE)
    return isinstance(
        error, psycopg.OperationalError | psycopg.errors.IdleInTransactionSessionTimeout
    )


# The exception classes errors.py registers its handler for; it re-raises the others.
UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    sa_exc.OperationalError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
    sa_exc.InternalError,  # wraps IdleInTransactionSessionTimeout
    psycopg.OperationalError,
    sqlite3.OperationalError,
)


def upsert_insert(connection: Any) -> Any:
    """The INSERT with ON CONFLICT of the connection's database (PostgreSQL or SQLite); a
    connection, a session or an engine, whatever has a dialect or a bind."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = getattr(connection, "dialect", None) or connection.get_bind().dialect
    return postgresql.insert if dialect.name == "postgresql" else sqlite.insert
