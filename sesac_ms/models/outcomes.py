"""What happened after training: outcomes, retention checks, referrals to companies,
and certification attempts."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import (
    EncryptedDateTime,
    EncryptedEnum,
    EncryptedText,
    UTCDateTime,
    enum_type,
    utcnow,
)

if TYPE_CHECKING:
    from .people import User
    from .roster import Enrollment


class OutcomeKind(StrEnum):
    EMPLOYED = "employed"
    FOUNDED = "founded"  # 창업
    EXCLUDED = "excluded"  # not in the employment target


class EmploymentType(StrEnum):
    PERMANENT = "permanent"
    CONTRACT = "contract"
    INTERN = "intern"
    FREELANCE = "freelance"


class ExclusionReason(StrEnum):
    FURTHER_STUDY = "further_study"
    MILITARY = "military"
    ILLNESS = "illness"  # health data: needs its own consent, shown to few
    EMIGRATION = "emigration"
    OTHER = "other"


class Verification(StrEnum):
    INSURANCE_RECORD = "insurance_record"  # 고용보험 가입 이력
    EMPLOYMENT_CERTIFICATE = "employment_certificate"  # 재직증명서
    BUSINESS_REGISTRATION = "business_registration"  # 사업자등록증
    OTHER = "other"


class VerificationState(StrEnum):
    UNVERIFIED = "unverified"
    VERIFIED = "verified"
    REJECTED = "rejected"


class Outcome(db.Model):
    """A completed trainee's outcome. One is current; earlier ones stay as history."""

    __tablename__ = "outcomes"
    __table_args__ = (
        sa.Index(
            "uq_outcomes_current",
            "enrollment_id",
            unique=True,
            sqlite_where=sa.text("is_current"),
            postgresql_where=sa.text("is_current"),
        ),
        sa.CheckConstraint(
            "kind != 'excluded' OR exclusion_reason IS NOT NULL", name="excluded_has_reason"
        ),
        # Every exclusion carries its sealed consent record, given or not (below), so the
        # database alone cannot tell an illness from another reason. That an illness has
        # a consent is checked on writing (_illness_needs_consent), as the database cannot
        # read the record.
        sa.CheckConstraint(
            "kind != 'excluded' OR health_consent_at IS NOT NULL",
            name="exclusion_has_consent_record",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("enrollments.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[OutcomeKind] = mapped_column(enum_type(OutcomeKind, "outcome_kind"), index=True)
    outcome_on: Mapped[date] = mapped_column(index=True)  # job or business start, or exclusion
    company: Mapped[str | None] = mapped_column(sa.String(200))
    job_title: Mapped[str | None] = mapped_column(sa.String(200))
    industry: Mapped[str | None] = mapped_column(sa.String(100))
    employment_type: Mapped[EmploymentType | None] = mapped_column(
        enum_type(EmploymentType, "employment_type")
    )
    insured: Mapped[bool | None]  # 고용보험
    salary_band: Mapped[str | None] = mapped_column(sa.String(50))
    # Health data, encrypted at rest (제7조; models/types.py, crypto.py): an illness
    # exclusion's reason, its separate consent and the evidence that may describe it.
    # Every reason is encrypted, not only illness, and the consent is sealed on every row
    # (None too), so no column in the clear singles out an illness. Reports count by
    # `kind` only. Shown to the roles placements.services.may_see_health names.
    exclusion_reason: Mapped[ExclusionReason | None] = mapped_column(EncryptedEnum(ExclusionReason))
    health_consent_at: Mapped[datetime | None] = mapped_column(EncryptedDateTime(seal_null=True))
    evidence: Mapped[str] = mapped_column(EncryptedText(), default="", server_default="")
    verification: Mapped[Verification | None] = mapped_column(
        enum_type(Verification, "verification")
    )
    verification_state: Mapped[VerificationState] = mapped_column(
        enum_type(VerificationState, "verification_state"),
        default=VerificationState.UNVERIFIED,
        server_default=VerificationState.UNVERIFIED.value,
    )
    source: Mapped[str] = mapped_column(sa.String(10), default="web", server_default="web")
    is_current: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    enrollment: Mapped[Enrollment] = relationship(lazy="joined")


@sa.event.listens_for(Outcome, "before_insert")
@sa.event.listens_for(Outcome, "before_update")
def _illness_needs_consent(mapper, connection, outcome: Outcome) -> None:
    """The rule the database held before the reason was encrypted: an illness exclusion is
    written only with the trainee's separate consent to health data."""
    if outcome.exclusion_reason == ExclusionReason.ILLNESS and outcome.health_consent_at is None:
        raise ValueError("an illness exclusion needs the trainee's consent to health data")


class RetentionResult(StrEnum):
    STILL_EMPLOYED = "still_employed"
    MOVED = "moved"
    LEFT = "left"


class RetentionCheck(db.Model):
    """직무유지율: is the trainee still in the job 6 or 12 months after it started?"""

    __tablename__ = "retention_checks"
    __table_args__ = (
        sa.UniqueConstraint("outcome_id", "months"),
        sa.CheckConstraint("months IN (6, 12)", name="months"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    outcome_id: Mapped[int] = mapped_column(
        sa.ForeignKey("outcomes.id", ondelete="CASCADE"), index=True
    )
    months: Mapped[int]
    checked_on: Mapped[date]
    result: Mapped[RetentionResult] = mapped_column(enum_type(RetentionResult, "retention_result"))
    note: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )


class RetentionReminder(db.Model):
    """A retention check told as due to the graduate and their coordinators: once per
    outcome and months (placements/retention_reminders.py)."""

    __tablename__ = "retention_reminders"
    __table_args__ = (
        sa.UniqueConstraint("outcome_id", "months"),
        sa.CheckConstraint("months IN (6, 12)", name="months"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # No index of its own: the unique (outcome_id, months) leads with it.
    outcome_id: Mapped[int] = mapped_column(sa.ForeignKey("outcomes.id", ondelete="CASCADE"))
    months: Mapped[int]
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Company(db.Model):
    __tablename__ = "companies"
    __table_args__ = (sa.UniqueConstraint("campus_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campus_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campuses.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(200))
    industry: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    contact_name: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    contact_email: Mapped[str] = mapped_column(sa.String(254), default="", server_default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(30), default="", server_default="")
    openings: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ReferralStatus(StrEnum):
    PROPOSED = "proposed"
    SENT = "sent"
    INTERVIEW = "interview"
    HIRED = "hired"
    NOT_HIRED = "not_hired"


class Referral(db.Model):
    """기업 연계: a trainee proposed to a company, with the trainee's consent to share."""

    __tablename__ = "referrals"
    __table_args__ = (sa.CheckConstraint("sharing_consent_at IS NOT NULL", name="consented"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("enrollments.id", ondelete="CASCADE"), index=True
    )
    company_id: Mapped[int] = mapped_column(
        sa.ForeignKey("companies.id", ondelete="RESTRICT"), index=True
    )
    position: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    status: Mapped[ReferralStatus] = mapped_column(
        enum_type(ReferralStatus, "referral_status"), default=ReferralStatus.PROPOSED
    )
    sharing_consent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    matching_day_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("cohort_events.id", ondelete="SET NULL")
    )
    note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Indexed: the referrals list shows the latest change first, a page at a time.
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, index=True
    )

    company: Mapped[Company] = relationship(lazy="joined")
    enrollment: Mapped[Enrollment] = relationship(lazy="joined")


class Exam(db.Model):
    __tablename__ = "exams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)


class CertificationAttempt(db.Model):
    __tablename__ = "certification_attempts"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "exam_id", "exam_on"),
        sa.CheckConstraint("score IS NULL OR score >= 0", name="score"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    exam_id: Mapped[int] = mapped_column(sa.ForeignKey("exams.id", ondelete="RESTRICT"), index=True)
    exam_on: Mapped[date]
    passed: Mapped[bool]
    score: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    exam: Mapped[Exam] = relationship(lazy="joined")
    user: Mapped[User] = relationship(lazy="joined")
