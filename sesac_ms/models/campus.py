"""Campuses, their courses and the cohorts (기수) that run them, with assigned staff."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, enum_type, utcnow

if TYPE_CHECKING:
    from .people import User


class Track(StrEnum):
    AI_CORE_SW = "ai_core_sw"  # AI핵심/융합(SW)
    AI_CONVERGENCE_DX = "ai_convergence_dx"  # AI융합(DX)


class CohortStatus(StrEnum):
    PLANNED = "planned"
    RECRUITING = "recruiting"
    SELECTING = "selecting"
    IN_PROGRESS = "in_progress"
    FINISHED = "finished"


COHORT_STATUS_ORDER = list(CohortStatus)


class StaffRole(StrEnum):
    COORDINATOR = "coordinator"
    MENTOR = "mentor"


class Campus(db.Model):
    __tablename__ = "campuses"
    __table_args__ = (
        sa.CheckConstraint("opening_order IS NULL OR opening_order > 0", name="opening_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name_ko: Mapped[str] = mapped_column(sa.String(50), unique=True)
    name_en: Mapped[str] = mapped_column(sa.String(50), unique=True)
    district: Mapped[str] = mapped_column(sa.String(50))  # 자치구, e.g. 구로구
    opening_order: Mapped[int | None] = mapped_column(unique=True)
    opened_on: Mapped[date | None]
    ai_specialised: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    partner_company: Mapped[str | None] = mapped_column(sa.String(100))
    # A trainee may cancel a 1:1 session until this many hours before it.
    session_cancel_cutoff_hours: Mapped[int] = mapped_column(default=24, server_default="24")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    courses: Mapped[list[Course]] = relationship(back_populates="campus", lazy="raise")

    def display_name(self, locale: str = "ko") -> str:
        return self.name_en if locale == "en" else self.name_ko

    def __repr__(self) -> str:
        return f"<Campus {self.name_ko}>"


class Course(db.Model):
    __tablename__ = "courses"
    __table_args__ = (sa.UniqueConstraint("campus_id", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campus_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campuses.id", ondelete="RESTRICT"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    # The title on English pages; the Korean title is shown when there is none.
    title_en: Mapped[str | None] = mapped_column(sa.String(200))
    track: Mapped[Track] = mapped_column(enum_type(Track, "course_track"))
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    campus: Mapped[Campus] = relationship(back_populates="courses", lazy="joined")
    cohorts: Mapped[list[Cohort]] = relationship(back_populates="course", lazy="raise")

    def display_title(self, locale: str = "ko") -> str:
        """The English title on English pages when the campus gave one, else the Korean."""
        return self.title_en if locale == "en" and self.title_en else self.title


class Cohort(db.Model):
    __tablename__ = "cohorts"
    __table_args__ = (
        sa.UniqueConstraint("course_id", "number"),
        sa.CheckConstraint("number > 0", name="number_positive"),
        sa.CheckConstraint("capacity > 0", name="capacity_positive"),
        sa.CheckConstraint("recruit_start_on <= recruit_end_on", name="recruiting_window"),
        sa.CheckConstraint("recruit_end_on <= start_on", name="recruiting_before_start"),
        sa.CheckConstraint("start_on <= end_on", name="start_before_end"),
        # The database itself keeps accepted + offered + enrolled within capacity.
        sa.CheckConstraint("seats_taken >= 0 AND seats_taken <= capacity", name="seats_within"),
        sa.CheckConstraint(
            "min_age IS NULL OR max_age IS NULL OR min_age <= max_age", name="age_range"
        ),
        sa.CheckConstraint("offer_days > 0", name="offer_days_positive"),
        sa.CheckConstraint("lates_per_absence > 0", name="lates_per_absence_positive"),
        sa.CheckConstraint("completion_threshold BETWEEN 0 AND 100", name="completion_threshold"),
        sa.CheckConstraint("deposit_amount >= 0", name="deposit_not_negative"),
        sa.CheckConstraint("class_starts_at < class_ends_at", name="class_hours"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(
        sa.ForeignKey("courses.id", ondelete="RESTRICT"), index=True
    )
    number: Mapped[int]
    recruit_start_on: Mapped[date]
    recruit_end_on: Mapped[date]
    start_on: Mapped[date] = mapped_column(index=True)
    end_on: Mapped[date] = mapped_column(index=True)
    capacity: Mapped[int]
    status: Mapped[CohortStatus] = mapped_column(
        enum_type(CohortStatus, "cohort_status"), default=CohortStatus.PLANNED, index=True
    )
    # Places held by accepted, offered and enrolled applicants; changed only by
    # conditional UPDATEs in applications.services so racing accepts cannot over-fill.
    seats_taken: Mapped[int] = mapped_column(default=0, server_default="0")

    # Selection: which stages this cohort uses and who is eligible (flags, not a block).
    uses_screening: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    uses_assessment: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    uses_interview: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    min_age: Mapped[int | None] = mapped_column(default=15, server_default="15")
    max_age: Mapped[int | None] = mapped_column(default=39, server_default="39")
    require_seoul: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    require_unemployed: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # Days a waitlisted applicant has to take a freed place.
    offer_days: Mapped[int] = mapped_column(default=3, server_default="3")

    # Roster rules (rule: K-Digital Training defaults, set per cohort).
    class_weekdays: Mapped[str] = mapped_column(
        sa.String(7), default="01234", server_default="01234"
    )  # Monday = 0
    class_starts_at: Mapped[time] = mapped_column(
        sa.Time, default=time(9, 0), server_default="09:00:00"
    )
    class_ends_at: Mapped[time] = mapped_column(
        sa.Time, default=time(18, 0), server_default="18:00:00"
    )
    lates_per_absence: Mapped[int] = mapped_column(default=3, server_default="3")
    # Minutes after the start (or before the end) a checked-in trainee is still on time.
    grace_minutes: Mapped[int] = mapped_column(default=10, server_default="10")
    completion_threshold: Mapped[int] = mapped_column(default=80, server_default="80")  # %
    deposit_amount: Mapped[int] = mapped_column(default=0, server_default="0")  # won
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    course: Mapped[Course] = relationship(back_populates="cohorts", lazy="joined")
    staff: Mapped[list[CohortStaff]] = relationship(
        back_populates="cohort", lazy="raise", cascade="all, delete-orphan"
    )

    @property
    def campus_id(self) -> int:
        return self.course.campus_id

    def label(self, locale: str = "ko") -> str:
        """The name campuses use: "(구로1기/AI융합) AI 활용 데이터분석 취업캠프"."""
        campus = self.course.campus
        if locale == "en":
            return f"({campus.name_en} #{self.number}) {self.course.display_title(locale)}"
        track = "AI융합" if self.course.track == Track.AI_CONVERGENCE_DX else "AI핵심"
        return f"({campus.name_ko}{self.number}기/{track}) {self.course.title}"


class CohortStaff(db.Model):
    """A coordinator or mentor assigned to a cohort."""

    __tablename__ = "cohort_staff"
    __table_args__ = (sa.UniqueConstraint("cohort_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cohorts.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[StaffRole] = mapped_column(enum_type(StaffRole, "staff_role"))

    cohort: Mapped[Cohort] = relationship(back_populates="staff")
    user: Mapped[User] = relationship(lazy="joined")
