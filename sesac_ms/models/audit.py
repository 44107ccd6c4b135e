"""The audit log of changes and the personal-data access log. Rows are never updated or deleted.

Both logs are tamper-evident (sesac_ms/audit_chain.py): each entry carries the SHA-256 of its
content, computed here as it is written (`content_hash`), and every Seoul day of each log is
sealed into `log_seals`, each seal chained to the day before. Database triggers (`guard_ddl`)
refuse to change an entry, and to delete one younger than MIN_RETENTION_DAYS.
"""

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from enum import Enum, StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy import DDL, event
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from ..extensions import db
from .types import UTCDateTime, enum_type, utcnow

# 개인정보의 안전성 확보조치 기준 제8조: access records are kept at least two years. The
# database refuses to delete a log entry younger than this, whatever the settings say.
MIN_RETENTION_DAYS = 730


class AuditEntry(db.Model):
    """Who did what to which record, when, with the changed fields ({field: [old, new]})."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    actor_label: Mapped[str] = mapped_column(sa.String(300))  # kept if the user goes
    action: Mapped[str] = mapped_column(sa.String(60), index=True)
    object_type: Mapped[str] = mapped_column(sa.String(60), index=True)
    object_id: Mapped[int | None] = mapped_column(index=True)
    object_label: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    campus_id: Mapped[int | None] = mapped_column(index=True)
    changes: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))
    # SHA-256 of the entry's content (content_hash), set as it is written.
    row_hash: Mapped[str | None] = mapped_column(sa.String(64))


class AccessAction(StrEnum):
    VIEW = "view"
    CHANGE = "change"
    DOWNLOAD = "download"


class PersonalDataAccess(db.Model):
    """Who viewed, changed or downloaded whose personal data, when, from where and why."""

    __tablename__ = "personal_data_access"
    __table_args__ = (
        sa.CheckConstraint("people_count IS NULL OR people_count >= 0", name="people_count"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    actor_label: Mapped[str] = mapped_column(sa.String(300))
    action: Mapped[AccessAction] = mapped_column(enum_type(AccessAction, "access_action"))
    subject_type: Mapped[str] = mapped_column(sa.String(60))
    subject_id: Mapped[int | None] = mapped_column(index=True)
    subject_label: Mapped[str] = mapped_column(sa.String(300))  # whose data, or what set of people
    # The account whose data it was, for one person's record: "who looked at my data?"
    person_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    page: Mapped[str] = mapped_column(sa.String(60), default="", server_default="")  # audit.PAGES
    people_count: Mapped[int | None]  # how many people a list showed
    filters: Mapped[dict[str, str] | None] = mapped_column(sa.JSON)  # {audit.FILTERS key: shown}
    detail: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    reason: Mapped[str | None] = mapped_column(sa.String(500))
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))
    # SHA-256 of the entry's content (content_hash), set as it is written.
    row_hash: Mapped[str | None] = mapped_column(sa.String(64))


class LogSeal(db.Model):
    """One Seoul day of one log, sealed by sesac_ms/audit_chain.py: the ids of its entries, a
    digest of their ids and hashes in id order, and the seal of the day before."""

    __tablename__ = "log_seals"
    __table_args__ = (sa.UniqueConstraint("log", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    log: Mapped[str] = mapped_column(sa.String(30))  # the log's table name
    day: Mapped[date]  # in Seoul
    entries: Mapped[int]
    ids: Mapped[str] = mapped_column(sa.Text)  # the entries' ids as ranges: "1-40,42-97"
    digest: Mapped[str] = mapped_column(sa.String(64))  # of "id:row_hash" lines, in id order
    prev_hash: Mapped[str] = mapped_column(sa.String(64))  # the day before's seal_hash
    seal_hash: Mapped[str] = mapped_column(sa.String(64))  # of all the fields above
    sealed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LogPrune(db.Model):
    """Entries of a log destroyed after their retention: the days before `before_day`."""

    __tablename__ = "log_prunes"

    id: Mapped[int] = mapped_column(primary_key=True)
    log: Mapped[str] = mapped_column(sa.String(30))
    before_day: Mapped[date]  # in Seoul: every entry of an earlier day was destroyed
    entries: Mapped[int]
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# --- the entries' hashes ------------------------------------------------------------------

HASH_VERSION = "v1"
# The fields each log's entry hash covers, in this order. Not the id (the database gives it
# as the row is written; the day's seal binds ids to hashes), nor actor_id and person_id:
# links to accounts that the database lets go of (ON DELETE SET NULL) when an account is
# destroyed, which the triggers allow; who acted and whose data it was stay in the labels.
HASHED_FIELDS: dict[str, tuple[str, ...]] = {
    "audit_entries": (
        "at", "actor_label", "action", "object_type", "object_id", "object_label",
        "campus_id", "changes", "ip_address",
    ),
    "personal_data_access": (
        "at", "actor_label", "action", "subject_type", "subject_id", "subject_label", "page",
        "people_count", "filters", "detail", "reason", "ip_address",
    ),
}  # fmt: skip


def _utc(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a log entry")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _json(value: Any) -> Any:
    return json.loads(json.dumps(value))  # as stored: tuples become lists, number keys strings


def _text(value: Any) -> str:
    return value.value if isinstance(value, Enum) else str(value)


# Each field's value as the database hands it back, whichever database and driver.
_CANONICAL: dict[str, Any] = {
    "at": _utc,
    "object_id": int,
    "campus_id": int,
    "subject_id": int,
    "people_count": int,
    "changes": _json,
    "filters": _json,
}
_FIELDS = {
    log: tuple((name, _CANONICAL.get(name, _text)) for name in names)
    for log, names in HASHED_FIELDS.items()
}


def content_hash(log: str, values: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of a log entry's canonical serialisation: a JSON array of the version,
    the log's table name and its HASHED_FIELDS in order (times in UTC to the microsecond,
    JSON values as stored), keys sorted, no spaces, UTF-8."""
    canonical: list[Any] = [HASH_VERSION, log]
    for name, convert in _FIELDS[log]:
        value = values.get(name)
        canonical.append(None if value is None else convert(value))
    text = json.dumps(canonical, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@event.listens_for(AuditEntry, "before_insert")
@event.listens_for(PersonalDataAccess, "before_insert")
def _hash_as_written(mapper, connection, target) -> None:
    """Fill the Python-side defaults now (they would be applied after this), then hash."""
    table = mapper.local_table
    for name in HASHED_FIELDS[table.name]:
        default = table.c[name].default
        if getattr(target, name) is None and default is not None:
            setattr(target, name, default.arg(None) if default.is_callable else default.arg)
    target.row_hash = content_hash(
        table.name, {n: getattr(target, n) for n in HASHED_FIELDS[table.name]}
    )


@event.listens_for(Session, "do_orm_execute")
def _no_bulk_changes_to_logs(state: ORMExecuteState) -> None:
    """Bulk UPDATE/DELETE statements skip the mapper events below: refuse them here."""
    if (state.is_update or state.is_delete) and any(
        mapper.class_ in _APPEND_ONLY for mapper in state.all_mappers
    ):
        raise RuntimeError("audit and access-log rows are append-only")


_APPEND_ONLY = (AuditEntry, PersonalDataAccess, LogSeal, LogPrune)


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
@event.listens_for(PersonalDataAccess, "before_update")
@event.listens_for(PersonalDataAccess, "before_delete")
@event.listens_for(LogSeal, "before_update")
@event.listens_for(LogSeal, "before_delete")
@event.listens_for(LogPrune, "before_update")
@event.listens_for(LogPrune, "before_delete")
def _logs_are_append_only(mapper, connection, target) -> None:
    raise RuntimeError(f"{type(target).__name__} rows are append-only")


# --- the database's own guard ---------------------------------------------------------------

# Columns of a log the database itself may change: it sets them NULL when the account they
# point to is deleted (ON DELETE SET NULL). Any other change of a log row is refused.
RELEASED_COLUMNS = ("actor_id", "person_id")
LOG_TABLES = ("audit_entries", "personal_data_access")
SEAL_TABLES = ("log_seals", "log_prunes")

_PG_FUNCTIONS = (
    f"""
CREATE OR REPLACE FUNCTION sesac_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_row jsonb;
    new_row jsonb;
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.at >= now() - interval '{MIN_RETENTION_DAYS} days' THEN
            RAISE EXCEPTION '% entry % is younger than {MIN_RETENTION_DAYS} days: it is kept',
                TG_TABLE_NAME, OLD.id;
        END IF;
        RETURN OLD;
    END IF;
    old_row := to_jsonb(OLD);
    new_row := to_jsonb(NEW);
    IF (new_row - 'actor_id' - 'person_id') = (old_row - 'actor_id' - 'person_id')
        AND (new_row ->> 'actor_id' IS NULL OR new_row -> 'actor_id' = old_row -> 'actor_id')
        AND (new_row ->> 'person_id' IS NULL OR new_row -> 'person_id' = old_row -> 'person_id')
    THEN
        RETURN NEW;  -- an account deleted: the database lets go of its id
    END IF;
    RAISE EXCEPTION '% rows are append-only (entry %)', TG_TABLE_NAME, OLD.id;
END
$$""",
    """
CREATE OR REPLACE FUNCTION sesac_log_seal_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are append-only', TG_TABLE_NAME;
END
$$""",
)


def guard_ddl(dialect: str, table: str, columns: tuple[str, ...] = ()) -> list[str]:
    """The statements that make the database refuse to change `table`'s rows.

    A log (LOG_TABLES) refuses every UPDATE except the database letting go of an account's
    id (RELEASED_COLUMNS set NULL), and every DELETE of an entry younger than
    MIN_RETENTION_DAYS; log_seals and log_prunes refuse every UPDATE and DELETE. On SQLite
    a trigger names the columns it watches (`columns`, all of the table's): a migration
    adding a column to a log drops and re-creates its triggers.
    """
    log = table in LOG_TABLES
    if dialect == "postgresql":
        function = "sesac_log_guard" if log else "sesac_log_seal_guard"
        return [
            *_PG_FUNCTIONS,
            f"CREATE TRIGGER {table}_guard BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}()",
        ]
    if dialect != "sqlite":
        return []
    if not log:
        return [
            f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} rows are append-only'); END"
            for verb in ("UPDATE", "DELETE")
        ]
    watched = ", ".join(c for c in columns if c not in RELEASED_COLUMNS)
    statements = [
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE OF {watched} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} rows are append-only'); END",
        f"CREATE TRIGGER {table}_kept BEFORE DELETE ON {table} "
        f"WHEN OLD.at >= strftime('%Y-%m-%d %H:%M:%f', 'now', '-{MIN_RETENTION_DAYS} days') "
        f"BEGIN SELECT RAISE(ABORT, '{table} entries younger than {MIN_RETENTION_DAYS} days "
        "are kept'); END",
    ]
    for column in RELEASED_COLUMNS:
        if column in columns:
            statements.append(
                f"CREATE TRIGGER {table}_keep_{column} BEFORE UPDATE OF {column} ON {table} "
                f"WHEN NEW.{column} IS NOT NULL "
                f"BEGIN SELECT RAISE(ABORT, '{table} rows are append-only'); END"
            )
    return statements


def unguard_ddl(dialect: str, table: str) -> list[str]:
    """The statements that drop guard_ddl's triggers (the functions stay on PostgreSQL)."""
    if dialect == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {table}_guard ON {table}"]
    if dialect != "sqlite":
        return []
    names = ["no_update", "no_delete", "kept", *(f"keep_{c}" for c in RELEASED_COLUMNS)]
    return [f"DROP TRIGGER IF EXISTS {table}_{name}" for name in names]


def _guard_on_create(table: sa.Table) -> None:
    columns = tuple(c.name for c in table.columns)
    for dialect in ("postgresql", "sqlite"):
        for statement in guard_ddl(dialect, table.name, columns):
            # DDL formats its text with %: the SQLite trigger's strftime pattern needs %%.
            event.listen(
                table, "after_create", DDL(statement.replace("%", "%%")).execute_if(dialect=dialect)
            )


for _model in _APPEND_ONLY:
    _guard_on_create(_model.__table__)
