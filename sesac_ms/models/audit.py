"""The audit log of changes and the personal-data access log. Rows are never updated or deleted."""

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from ..extensions import db
from .types import UTCDateTime, enum_type, utcnow


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


@event.listens_for(Session, "do_orm_execute")
def _no_bulk_changes_to_logs(state: ORMExecuteState) -> None:
    """Bulk UPDATE/DELETE statements skip the mapper events below: refuse them here."""
    if (state.is_update or state.is_delete) and any(
        mapper.class_ in (AuditEntry, PersonalDataAccess) for mapper in state.all_mappers
    ):
        raise RuntimeError("audit and access-log rows are append-only")


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
@event.listens_for(PersonalDataAccess, "before_update")
@event.listens_for(PersonalDataAccess, "before_delete")
def _logs_are_append_only(mapper, connection, target) -> None:
    raise RuntimeError(f"{type(target).__name__} rows are append-only")
