"""A cohort's roster: the trainees enrolled in it."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, enum_type, utcnow

if TYPE_CHECKING:
    from .campus import Cohort
    from .people import User


class EnrollmentStatus(StrEnum):
    ENROLLED = "enrolled"
    COMPLETED = "completed"  # 수료
    EARLY_EMPLOYED = "early_employed"  # 조기취업, counts as completion
    DROPPED = "dropped"  # 중도탈락
    EXPELLED = "expelled"  # 제적


class DropReason(StrEnum):
    PERSONAL = "personal"
    HEALTH = "health"
    ABSENCE = "absence"
    OTHER = "other"


class DepositStatus(StrEnum):
    NOT_REQUIRED = "not_required"
    DUE = "due"
    PAID = "paid"
    REFUNDED = "refunded"
    FORFEITED = "forfeited"


class AttendanceStatus(StrEnum):
    PRESENT = "present"
    LATE = "late"
    LEFT_EARLY = "left_early"
    ABSENT = "absent"
    EXCUSED = "excused"  # 공가, with proof


class MarkSource(StrEnum):
    """Where an attendance mark came from: the manager's sheet, QR check-in or a file."""

    MANUAL = "manual"
    CHECK_IN = "check_in"
    IMPORT = "import"


class EventKind(StrEnum):
    SPECIAL_LECTURE = "special_lecture"  # 인사담당자 특강
    COMPANY_VISIT = "company_visit"  # 본사 견학
    HACKATHON = "hackathon"
    COMPETITION = "competition"
    JOB_FAIR = "job_fair"
    MATCHING_DAY = "matching_day"  # 매칭데이
    OTHER = "other"


class Enrollment(db.Model):
    __tablename__ = "enrollments"
    __table_args__ = (
        sa.UniqueConstraint("cohort_id", "user_id"),
        # Those of a status since a date: the completed trainees still without an outcome are
        # counted from the per-cohort figures, less those who completed lately (placements).
        sa.Index("ix_enrollments_status_status_on", "status", "status_on"),
        # Trainees in training, by cohort: the session forms' picker reads a campus's from
        # this index alone, not every enrollment of the campus's history.
        sa.Index(
            "ix_enrollments_in_training",
            "cohort_id",
            "user_id",
            postgresql_where=sa.text("status = 'enrolled'"),
            sqlite_where=sa.text("status = 'enrolled'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cohorts.id", ondelete="RESTRICT"), index=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    application_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="SET NULL"), unique=True
    )
    status: Mapped[EnrollmentStatus] = mapped_column(
        enum_type(EnrollmentStatus, "enrollment_status"),
        default=EnrollmentStatus.ENROLLED,
        index=True,
    )
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Completion or dropping out: the date, and why (drop reason, or the written
    # override when completion was granted below the attendance threshold).
    status_on: Mapped[date | None]
    drop_reason: Mapped[DropReason | None] = mapped_column(enum_type(DropReason, "drop_reason"))
    status_note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # 예치금: paid at the start, returned on completion, forfeited otherwise.
    deposit_status: Mapped[DepositStatus] = mapped_column(
        enum_type(DepositStatus, "deposit_status"),
        default=DepositStatus.NOT_REQUIRED,
        server_default=DepositStatus.NOT_REQUIRED.value,
    )
    deposit_paid_on: Mapped[date | None]
    deposit_settled_on: Mapped[date | None]

    cohort: Mapped[Cohort] = relationship(lazy="joined")
    user: Mapped[User] = relationship(lazy="joined")


class ClassDay(db.Model):
    """A day the cohort has class: generated from its dates and weekly pattern, or by hand."""

    __tablename__ = "class_days"
    __table_args__ = (
        sa.UniqueConstraint("cohort_id", "day"),
        # A month's classes of a staff member's cohorts, read from the index alone (agenda).
        sa.Index("ix_class_days_day_cohort", "day", "cohort_id", "cancelled"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cohorts.id", ondelete="CASCADE"), index=True
    )
    day: Mapped[date] = mapped_column(index=True)
    cancelled: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    added_by_hand: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    note: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")


class CohortEvent(db.Model):
    """Special lectures, company visits, hackathons… on the cohort's calendar."""

    __tablename__ = "cohort_events"
    __table_args__ = (sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cohorts.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[EventKind] = mapped_column(enum_type(EventKind, "event_kind"))
    title: Mapped[str] = mapped_column(sa.String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # By its end: a month's events are those ending after it begins, few of a long history.
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    place: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Attendance(db.Model):
    """One trainee's attendance on one class day."""

    __tablename__ = "attendance"
    __table_args__ = (sa.UniqueConstraint("enrollment_id", "class_day_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("enrollments.id", ondelete="CASCADE"), index=True
    )
    class_day_id: Mapped[int] = mapped_column(
        sa.ForeignKey("class_days.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[AttendanceStatus] = mapped_column(
        enum_type(AttendanceStatus, "attendance_status")
    )
    note: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # Times of check-in and check-out (QR code or an imported file), and the minutes they
    # make late or early by the cohort's hours and grace; the sheet stays the authority.
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    minutes_late: Mapped[int] = mapped_column(default=0, server_default="0")
    minutes_left_early: Mapped[int] = mapped_column(default=0, server_default="0")
    source: Mapped[MarkSource] = mapped_column(
        enum_type(MarkSource, "mark_source"),
        default=MarkSource.MANUAL,
        server_default=MarkSource.MANUAL.value,
    )


class AttendanceNudge(db.Model):
    """A trainee told that their affordable absences reached a threshold (2, 1, 0), once."""

    __tablename__ = "attendance_nudges"
    __table_args__ = (sa.UniqueConstraint("enrollment_id", "threshold"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("enrollments.id", ondelete="CASCADE"), index=True
    )
    threshold: Mapped[int]
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
