"""1:1 sessions (mentoring, portfolio coaching, mock interviews, career counselling),
the staff's published availability, and follow-ups."""

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


class SessionKind(StrEnum):
    MENTORING = "mentoring"  # 현직자 멘토링
    PORTFOLIO = "portfolio"  # 포트폴리오 코칭
    MOCK_INTERVIEW = "mock_interview"  # 모의면접
    CAREER = "career"  # 취·창업 상담


class SessionStatus(StrEnum):
    REQUESTED = "requested"
    SCHEDULED = "scheduled"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


# Sessions that occupy their time: nobody may be in two of them at once.
OCCUPYING = (SessionStatus.REQUESTED, SessionStatus.SCHEDULED, SessionStatus.COMPLETED)


class AvailabilitySlot(db.Model):
    """A time a coordinator or mentor offers for one session of a kind."""

    __tablename__ = "availability_slots"
    __table_args__ = (sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[SessionKind] = mapped_column(enum_type(SessionKind, "slot_kind"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    location: Mapped[str] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    staff: Mapped[User] = relationship(lazy="joined")


class CoachingSession(db.Model):
    """One 1:1 session between a trainee and a staff member."""

    __tablename__ = "coaching_sessions"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        # One person's sessions from a day on (dashboards, schedules): the years before are
        # skipped by the index rather than read and filtered out.
        # It carries the trainee: the session forms' picker reads a staff member's latest
        # trainees from the index alone (sessions.picker).
        sa.Index(
            "ix_coaching_sessions_staff_id_ends_at",
            "staff_id",
            "ends_at",
            postgresql_include=["trainee_id"],
        ),
        sa.Index("ix_coaching_sessions_trainee_id_ends_at", "trainee_id", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cohorts.id", ondelete="RESTRICT"), index=True
    )
    trainee_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    staff_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[SessionKind] = mapped_column(enum_type(SessionKind, "session_kind"), index=True)
    status: Mapped[SessionStatus] = mapped_column(
        enum_type(SessionStatus, "session_status"), default=SessionStatus.SCHEDULED, index=True
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    location: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    # The slot booked, if any: one session per slot.
    slot_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("availability_slots.id", ondelete="SET NULL"), unique=True
    )
    summary: Mapped[str] = mapped_column(sa.Text, default="", server_default="")  # trainee sees
    staff_notes: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    links: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    cancel_reason: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    trainee: Mapped[User] = relationship(foreign_keys=[trainee_id], lazy="joined")
    staff: Mapped[User] = relationship(foreign_keys=[staff_id], lazy="joined")
    cohort: Mapped[Cohort] = relationship(lazy="joined")
    follow_ups: Mapped[list[FollowUp]] = relationship(
        back_populates="session",
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="FollowUp.id",
    )


class FollowUp(db.Model):
    """An action item from a session, shown on the trainee's page until done."""

    __tablename__ = "follow_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("coaching_sessions.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(sa.String(500))
    # Indexed: the daily reminder reads the follow-ups due today and tomorrow only.
    due_on: Mapped[date | None] = mapped_column(index=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the trainee was told it is due (sessions/reminders.py); set once.
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    session: Mapped[CoachingSession] = relationship(back_populates="follow_ups")

    # The open ones by session: the coverage page counts a cohort's, a trainee's page lists
    # theirs; a fifth of all follow-ups at most, so a cohort's are found in a few pages.
    __table_args__ = (
        sa.Index(
            "ix_follow_ups_open_session",
            "session_id",
            postgresql_where=sa.text("done_at IS NULL"),
            sqlite_where=sa.text("done_at IS NULL"),
        ),
    )
