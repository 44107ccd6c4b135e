"""Applications to a cohort, the evaluators' scores, interview slots and imported files."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, enum_type, utcnow

if TYPE_CHECKING:
    from .campus import Cohort
    from .people import User


class Stage(StrEnum):
    SUBMITTED = "submitted"
    SCREENING = "screening"  # 서류전형
    ASSESSMENT = "assessment"  # 기초역량평가
    INTERVIEW = "interview"  # 면접
    ACCEPTED = "accepted"  # 합격
    OFFERED = "offered"  # a waitlisted applicant offered a freed place, until a date
    WAITLISTED = "waitlisted"  # 예비합격, ranked
    REJECTED = "rejected"  # 불합격
    WITHDRAWN = "withdrawn"
    LAPSED = "lapsed"  # an offer not taken in time
    ENROLLED = "enrolled"


# Stages where the applicant is still being assessed.
IN_SELECTION = (Stage.SUBMITTED, Stage.SCREENING, Stage.ASSESSMENT, Stage.INTERVIEW)
IN_SELECTION_SQL = "stage IN (" + ", ".join(f"'{stage.value}'" for stage in IN_SELECTION) + ")"
# Stages that hold one of the cohort's places.
HOLDS_SEAT = (Stage.ACCEPTED, Stage.OFFERED, Stage.ENROLLED)
SCORED_STAGES = (Stage.SCREENING, Stage.ASSESSMENT, Stage.INTERVIEW)


class EmploymentStatus(StrEnum):
    UNEMPLOYED = "unemployed"
    EMPLOYED = "employed"
    SELF_EMPLOYED = "self_employed"
    STUDENT = "student"


class Education(StrEnum):
    HIGH_SCHOOL = "high_school"
    COLLEGE = "college"  # 전문대
    UNIVERSITY = "university"
    GRADUATE = "graduate"
    OTHER = "other"


OUTSIDE_SEOUL = "outside_seoul"


class Application(db.Model):
    __tablename__ = "applications"
    __table_args__ = (
        sa.UniqueConstraint("cohort_id", "email"),
        sa.CheckConstraint("waitlist_rank IS NULL OR waitlist_rank > 0", name="waitlist_rank"),
        # The applicants still in selection by cohort (the dashboards count them per
        # campus): a few thousand of 200,000 applications. Its statistics also tell
        # SQLite's planner how few they are, which the stage index alone does not (it read
        # every application through the cohorts, 95 ms at twice Seoul's size).
        sa.Index(
            "ix_applications_in_selection",
            "cohort_id",
            postgresql_where=sa.text(IN_SELECTION_SQL),
            sqlite_where=sa.text(IN_SELECTION_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cohorts.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(100))
    email: Mapped[str] = mapped_column(sa.String(254), index=True)
    phone: Mapped[str] = mapped_column(sa.String(20))
    birth_date: Mapped[date]
    district: Mapped[str] = mapped_column(sa.String(20))  # a Seoul 자치구 or OUTSIDE_SEOUL
    seoul_university: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    employment_status: Mapped[EmploymentStatus] = mapped_column(
        enum_type(EmploymentStatus, "employment_status")
    )
    education: Mapped[Education] = mapped_column(enum_type(Education, "education"))
    motivation: Mapped[str] = mapped_column(sa.Text)
    portfolio_url: Mapped[str | None] = mapped_column(sa.String(500))
    consent_version: Mapped[str] = mapped_column(sa.String(20))
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime())
    source: Mapped[str] = mapped_column(sa.String(10), default="web", server_default="web")

    stage: Mapped[Stage] = mapped_column(
        enum_type(Stage, "application_stage"), default=Stage.SUBMITTED, index=True
    )
    eligible: Mapped[bool] = mapped_column(default=True, server_default=sa.true(), index=True)
    # [{"code": "age", "age": 41, "min": 15, "max": 39}, ...] — shown translated.
    eligibility_flags: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    waitlist_rank: Mapped[int | None]
    decision_reason: Mapped[str | None] = mapped_column(sa.Text)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    offer_expires_on: Mapped[date | None]
    interview_slot_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("interview_slots.id", ondelete="SET NULL"), unique=True
    )
    # The private status link is HMAC(SECRET_KEY, nonce), so later mails can repeat it;
    # its SHA-256 finds the application. A new nonce revokes the link.
    status_nonce: Mapped[str] = mapped_column(sa.String(32))
    status_token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    locale: Mapped[str] = mapped_column(sa.String(5), default="ko", server_default="ko")
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    cohort: Mapped[Cohort] = relationship(lazy="joined")
    interview_slot: Mapped[InterviewSlot | None] = relationship(lazy="joined")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id], lazy="raise")
    scores: Mapped[list[ApplicationScore]] = relationship(
        back_populates="application", lazy="raise", cascade="all, delete-orphan"
    )

    def age_on(self, day: date) -> int:
        """만 나이: full years on the day."""
        before_birthday = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - before_birthday


class ApplicationScore(db.Model):
    """One evaluator's score (0–100) and comment for one stage of one application."""

    __tablename__ = "application_scores"
    __table_args__ = (
        sa.UniqueConstraint("application_id", "stage", "evaluator_id"),
        sa.CheckConstraint("score >= 0 AND score <= 100", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    stage: Mapped[Stage] = mapped_column(enum_type(Stage, "score_stage"))
    evaluator_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    evaluator_label: Mapped[str] = mapped_column(sa.String(150))
    score: Mapped[int]
    comment: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    application: Mapped[Application] = relationship(back_populates="scores")


class InterviewSlot(db.Model):
    """A time with one interviewer; at most one applicant (applications.interview_slot_id)."""

    __tablename__ = "interview_slots"
    __table_args__ = (sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cohorts.id", ondelete="CASCADE"), index=True
    )
    interviewer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    location: Mapped[str] = mapped_column(sa.String(300))  # a room, or an online meeting link
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    interviewer: Mapped[User] = relationship(lazy="joined")


# The average of every evaluator's score over all stages, computed in the same SELECT.
# Deferred: list pages that show it ask for it with undefer().
Application.average_score = column_property(
    sa.select(sa.func.avg(ApplicationScore.score))
    .where(ApplicationScore.application_id == Application.id)
    .correlate_except(ApplicationScore)
    .scalar_subquery(),
    deferred=True,
)


class UploadedFile(db.Model):
    """An uploaded spreadsheet kept between its preview and the confirmed import."""

    __tablename__ = "uploaded_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(30))
    filename: Mapped[str] = mapped_column(sa.String(255))
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)
    uploaded_by_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    target_id: Mapped[int | None]  # e.g. the cohort an applicant file is for
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
