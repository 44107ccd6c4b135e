"""Readiness: whether this worker can serve, checked against what it depends on.

`/healthz` (liveness) only says the process answers and touches nothing, so a database
outage never gets healthy workers restarted. `/readyz` checks the database (SELECT 1,
bounded by READYZ_DB_TIMEOUT), that its schema is at the migrations' head, the rate-limit
storage, and reports the outbox backlog. It answers counts and statuses only: nothing
personal, no error text (which could name hosts or users).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app

from ..database import seconds
from ..extensions import db, limiter
from ..models import OutboxMessage
from ..models.types import utcnow

OK, DEGRADED, FAILED, SKIPPED = "ok", "degraded", "error", "skipped"


def migrations_directory() -> str:
    """Where the app's migrations are: the folder Flask-Migrate was given in create_app."""
    return str(current_app.extensions["migrate"].directory)


@lru_cache(maxsize=8)
def _script_of(directory: str) -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", directory)
    return ScriptDirectory.from_config(config)


def migration_script() -> ScriptDirectory:
    """The app's migration scripts (read once per process: they change only with the code)."""
    return _script_of(migrations_directory())


def migration_heads() -> tuple[str, ...]:
    """The head revision(s) of the migrations this code ships."""
    return tuple(sorted(migration_script().get_heads()))


def readiness() -> tuple[bool, dict[str, Any]]:
    """(ready, report): each check's status, and the overall one."""
    checks: dict[str, dict[str, Any]] = {}
    try:
        with db.engine.connect() as connection:
            _bound(connection)
            connection.execute(sa.text("SELECT 1"))
            checks["database"] = {"status": OK}
            checks["migrations"] = _migrations(connection)
            checks["outbox"] = _outbox(connection)
    except sa.exc.SQLAlchemyError as error:
        failed = next(name for name in ("database", "migrations", "outbox") if name not in checks)
        current_app.logger.warning("readiness: %s check failed (%s)", failed, type(error).__name__)
        checks[failed] = {"status": FAILED, "error": type(error).__name__}
        for name in ("migrations", "outbox"):
            checks.setdefault(name, {"status": SKIPPED})
    checks["rate_limit_storage"] = _rate_limit_storage()

    ready = (
        checks["database"]["status"] == OK
        and checks["migrations"]["status"] == OK
        and checks["rate_limit_storage"]["status"] != FAILED
    )
    degraded = any(check["status"] == DEGRADED for check in checks.values())
    status = "not ready" if not ready else DEGRADED if degraded else "ready"
    return ready, {"status": status, "checks": checks}


def _bound(connection: sa.Connection) -> None:
    """Keep the check short even when a statement would wait (PostgreSQL; local to it)."""
    if connection.dialect.name == "postgresql":
        milliseconds = max(1, round(seconds(current_app.config["READYZ_DB_TIMEOUT"]) * 1000))
        connection.execute(
            sa.select(sa.func.set_config("statement_timeout", str(milliseconds), True))
        )


def _migrations(connection: sa.Connection) -> dict[str, Any]:
    current = tuple(sorted(MigrationContext.configure(connection).get_current_heads()))
    head = migration_heads()
    return {"status": OK if current == head else FAILED, "current": current, "head": head}


def _outbox(connection: sa.Connection) -> dict[str, Any]:
    """Mail waiting to be sent: how much, how long the oldest has waited, and how much was
    given up (left for an admin under Mail). A growing backlog means no sender is running."""
    unsent = OutboxMessage.sent_at.is_(None)
    pending = unsent & OutboxMessage.given_up_at.is_(None)
    count, oldest, given_up = connection.execute(
        sa.select(
            sa.func.count().filter(pending),
            sa.func.min(OutboxMessage.queued_at).filter(pending),
            sa.func.count().filter(OutboxMessage.given_up_at.is_not(None)),
        ).where(unsent)
    ).one()
    age = round((utcnow() - oldest).total_seconds()) if oldest is not None else None
    return {
        "status": OK,
        "pending": count,
        "oldest_pending_age_seconds": age,
        "given_up": given_up,
    }


def _rate_limit_storage() -> dict[str, Any]:
    """The shared counts (Redis). While it is away each worker limits alone (config.py's
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED), so the worker can still serve: degraded."""
    config = current_app.config
    if not config.get("RATELIMIT_ENABLED", True):
        return {"status": "disabled"}
    try:
        reachable = bool(limiter.storage.check())
    except Exception:  # a storage client may raise rather than answer False
        reachable = False
    if reachable:
        return {"status": OK}
    current_app.logger.warning("readiness: the rate-limit storage is unreachable")
    return {"status": DEGRADED if config.get("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED") else FAILED}
