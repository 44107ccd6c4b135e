"""Figures kept up to date as the records they summarise change (reports.tallies)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

# Windows (days after a cohort's end) whose counts are kept per cohort; the report page offers
# these. Another window is counted from the raw records (reports.services), exactly as well.
TALLY_WINDOWS = (30, 90, 180, 365)


def _count() -> Mapped[int]:
    return mapped_column(default=0, server_default="0")


class CohortEmployment(db.Model):
    """One cohort's employment figures, so reports sum one row per cohort at any history.

    `completed` counts its completed enrollments (수료 and 조기취업); `excluded`, `employed`
    and `founded` their current outcomes of each kind, whatever the date; the `_Nd` columns
    only outcomes dated by the cohort's end + N days. Retention: checks made and still
    employed, at 6 and 12 months. reports.tallies rewrites a cohort's row from its records
    in the transaction that changes them; `flask report check` proves the rows equal.
    """

    __tablename__ = "cohort_employment"

    cohort_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True
    )
    completed: Mapped[int] = _count()
    excluded: Mapped[int] = _count()
    employed: Mapped[int] = _count()
    founded: Mapped[int] = _count()
    excluded_30d: Mapped[int] = _count()
    employed_30d: Mapped[int] = _count()
    founded_30d: Mapped[int] = _count()
    excluded_90d: Mapped[int] = _count()
    employed_90d: Mapped[int] = _count()
    founded_90d: Mapped[int] = _count()
    excluded_180d: Mapped[int] = _count()
    employed_180d: Mapped[int] = _count()
    founded_180d: Mapped[int] = _count()
    excluded_365d: Mapped[int] = _count()
    employed_365d: Mapped[int] = _count()
    founded_365d: Mapped[int] = _count()
    checked_6m: Mapped[int] = _count()
    retained_6m: Mapped[int] = _count()
    checked_12m: Mapped[int] = _count()
    retained_12m: Mapped[int] = _count()


class ExamResults(db.Model):
    """Per exam and campus: trainees who sat it (candidates) and those with a pass.

    A trainee counts once per exam however many attempts; the campus is the trainee's.
    reports.exam_tallies rewrites an exam's rows from its attempts in the transaction that
    changes them (or moves a trainee to another campus).
    """

    __tablename__ = "exam_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(sa.ForeignKey("exams.id", ondelete="CASCADE"), index=True)
    campus_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("campuses.id", ondelete="CASCADE"), index=True
    )
    candidates: Mapped[int] = _count()
    passed: Mapped[int] = _count()


FIGURES = tuple(c.name for c in CohortEmployment.__table__.columns if c.name != "cohort_id")


class FiguresVersion(db.Model):
    """One row: a number raised in every transaction that can move a report's figures.

    reports.figures_cache keeps worked-out figures under it; see there. The row is made by
    the migration, or by the first raise (an upsert) where a test emptied the table.
    """

    __tablename__ = "figures_version"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    number: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")


class AttendanceVersion(db.Model):
    """A cohort's attendance version: a number raised in every transaction that can move its
    trainees' attendance figures (a mark, a check-in, an import, a class day added or
    cancelled, a trainee added or moved). cohorts.attendance_figures keeps the cohort's
    figures under it; see there.

    Keyed by the cohort's id without a foreign key: the row outlives a deleted cohort (whose
    deletion raises it), so a cohort that later gets the same id never starts from a number
    figures were kept under.
    """

    __tablename__ = "attendance_versions"

    cohort_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    number: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
