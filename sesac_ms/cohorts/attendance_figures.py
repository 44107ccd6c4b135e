"""Attendance figures of a cohort's trainees: rate, flags, and what is still reachable.

Rate (domain rule): (days attended, lates and early leaves included, − ⌊(lates + early
leaves) / N⌋) ÷ days with attendance taken; an excused day counts as attended.

What is still reachable, if the trainee attends every class day left (the days after
today, and today when it is not marked yet):
- `reachable`: the highest rate they can end with;
- `absences_left`: how many of those days they can still miss without falling under the
  completion threshold or meeting an expulsion flag (absences ≥ half of a month's class
  days, or > 20% of all class days), spreading them as kindly as the months allow;
  never more than the days left.
The at-risk flag and the daily nudges read `margin`: the same count before it is capped
by the days left (a finished course still shows how close a trainee came).

One statement reads everything, so the roster costs the same few queries however many
trainees it shows. A cohort's figures are kept, once worked out, under its attendance
version (attendance_versions), Seoul's date and its rules, so the roster, its downloads and
the nudges read them back until a mark, a class day or the trainees change; a page about one
trainee reads only that trainee's marks (`summary_of`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext

from ..clock import today_in_seoul
from ..extensions import db
from ..models import Attendance, AttendanceStatus, ClassDay, Cohort, Enrollment
from ..reports import figures_cache
from . import attendance_versions

# A trainee this many absences (or fewer) from a threshold is flagged at risk.
AT_RISK_MARGIN = 1


@dataclass
class AttendanceSummary:
    days: int = 0  # days with attendance taken for this trainee
    present: int = 0
    late: int = 0
    left_early: int = 0
    absent: int = 0
    excused: int = 0
    rate: float | None = None
    whole_course_days: int = 0
    minutes_late: int = 0  # in all, from check-in times
    minutes_left_early: int = 0
    days_left: int = 0  # class days still to come for this trainee
    reachable: float | None = None  # the best rate still possible
    margin: int = 0  # absences before a threshold, whatever the days left
    absences_left: int = 0  # min(margin, days_left)
    flags: list[str] = field(default_factory=list)  # "below", "at_risk", "expulsion"


def _rate(summary: AttendanceSummary, lates_per_absence: int) -> float | None:
    if not summary.days:
        return None
    return 100.0 * _counted(summary, lates_per_absence) / summary.days


def _counted(summary: AttendanceSummary, lates_per_absence: int) -> int:
    """Days counted as attended after lates and early leaves take their share."""
    attended = summary.present + summary.late + summary.left_early + summary.excused
    return attended - (summary.late + summary.left_early) // lates_per_absence


def _key(cohort: Cohort, today: date) -> tuple:
    """What a cohort's figures are kept under: its attendance version, the day, its rules."""
    return (
        "attendance",
        cohort.id,
        attendance_versions.current(cohort.id),
        today,
        cohort.completion_threshold,
        cohort.lates_per_absence,
    )


def summaries(cohort: Cohort) -> dict[int, AttendanceSummary]:
    """Attendance figures and flags of every trainee of the cohort, in one query, or read
    back as kept under the cohort's attendance version. Callers must not change them."""
    today = today_in_seoul()
    return figures_cache.kept(_key(cohort, today), lambda: _work_out(cohort, today))


def summary_of(enrollment: Enrollment) -> AttendanceSummary | None:
    """One trainee's attendance figures (None before any mark): read from the cohort's kept
    figures when the roster worked them out at this version, else from the trainee's marks
    alone, and kept under the same version. Callers must not change them."""
    cohort, today = enrollment.cohort, today_in_seoul()
    key = _key(cohort, today)
    found, figures = figures_cache.peek(key)
    if found:
        return figures.get(enrollment.id)
    return figures_cache.kept(
        (*key, enrollment.id),
        lambda: _work_out(cohort, today, enrollment.id).get(enrollment.id),
        figures_cache.trainees_store(),
    )


def _work_out(cohort: Cohort, today: date, only: int | None = None) -> dict[int, AttendanceSummary]:
    month = sa.func.extract("month", ClassDay.day) + 100 * sa.func.extract("year", ClassDay.day)
    zero = sa.literal(0)
    # One statement, four parts: marks per trainee and status (days cancelled left out)
    # with their minutes; class days per month with those still to come; who is marked
    # today already (today is still to come for the others); and absences per trainee and
    # month, the only marks the rules count by month (a row per mark status and month
    # would be three times as many rows to read).
    trainees = db.select(Enrollment.id).where(Enrollment.cohort_id == cohort.id)
    if only is not None:
        trainees = trainees.where(Enrollment.id == only)
    # A trainee's marks are all on their cohort's days: leaving out its few cancelled days
    # spares looking up the day of every mark (thousands of lookups on PostgreSQL).
    cancelled = db.select(ClassDay.id).where(
        ClassDay.cohort_id == cohort.id, ClassDay.cancelled.is_(True)
    )
    marks = (
        db.select(
            zero.label("part"),
            Attendance.enrollment_id,
            Attendance.status,
            zero.label("month"),
            sa.func.count().label("n"),
            sa.func.sum(Attendance.minutes_late).label("a"),
            sa.func.sum(Attendance.minutes_left_early).label("b"),
        )
        .where(Attendance.enrollment_id.in_(trainees), Attendance.class_day_id.not_in(cancelled))
        .group_by(Attendance.enrollment_id, Attendance.status)
    )
    absent_months = (
        db.select(
            sa.literal(3), Attendance.enrollment_id, sa.null(), month, sa.func.count(), zero, zero
        )
        .join(ClassDay, ClassDay.id == Attendance.class_day_id)
        .where(
            Attendance.enrollment_id.in_(trainees),
            ClassDay.cancelled.is_(False),
            Attendance.status == AttendanceStatus.ABSENT,
        )
        .group_by(Attendance.enrollment_id, month)
    )
    days = (
        db.select(
            sa.literal(1),
            sa.null(),
            sa.null(),
            month,
            sa.func.count(),
            sa.func.sum(sa.case((ClassDay.day > today, 1), else_=0)),
            sa.func.sum(sa.case((ClassDay.day == today, 1), else_=0)),
        )
        .where(ClassDay.cohort_id == cohort.id, ClassDay.cancelled.is_(False))
        .group_by(month)
    )
    marked_today = (
        db.select(sa.literal(2), Attendance.enrollment_id, sa.null(), zero, zero, zero, zero)
        .join(ClassDay, ClassDay.id == Attendance.class_day_id)
        .where(
            Attendance.enrollment_id.in_(trainees),
            ClassDay.day == today,
            ClassDay.cancelled.is_(False),
        )
    )
    result: dict[int, AttendanceSummary] = {}
    absences: dict[int, dict[int, int]] = {}  # trainee -> month -> absences
    days_per_month: dict[int, int] = {}
    future_per_month: dict[int, int] = {}
    today_month: int | None = None
    marked = set()
    for part, enrollment_id, status, in_month, n, a, b in db.session.execute(
        sa.union_all(marks, days, marked_today, absent_months)
    ).all():
        if part == 0:
            summary = result.setdefault(enrollment_id, AttendanceSummary())
            name = AttendanceStatus(status).value
            setattr(summary, name, getattr(summary, name) + n)
            summary.days += n
            summary.minutes_late += int(a or 0)
            summary.minutes_left_early += int(b or 0)
        elif part == 3:
            absences.setdefault(enrollment_id, {})[int(in_month)] = n
        elif part == 1:
            days_per_month[int(in_month)] = n
            future_per_month[int(in_month)] = int(a or 0)
            if b:
                today_month = int(in_month)
        else:
            marked.add(enrollment_id)
    whole_course = sum(days_per_month.values())
    for enrollment_id, summary in result.items():
        summary.whole_course_days = whole_course
        summary.rate = _rate(summary, cohort.lates_per_absence)
        left = dict(future_per_month)
        if today_month is not None and enrollment_id not in marked:
            left[today_month] = left.get(today_month, 0) + 1
        _reach(cohort, summary, absences.get(enrollment_id, {}), days_per_month, left)
    return result


def _reach(
    cohort: Cohort,
    summary: AttendanceSummary,
    absences: dict[int, int],
    days_per_month: dict[int, int],
    left: dict[int, int],
) -> None:
    """Fill in the flags, the rate still reachable and the absences still affordable."""
    threshold = cohort.completion_threshold
    whole_course = summary.whole_course_days
    counted = _counted(summary, cohort.lates_per_absence)
    summary.days_left = days_left = sum(left.values())
    projected = summary.days + days_left
    summary.reachable = 100.0 * (counted + days_left) / projected if projected else None
    expelled = summary.absent * 5 > whole_course or any(
        n * 2 >= days_per_month.get(m, 0) for m, n in absences.items()
    )
    if summary.rate is not None and summary.rate < threshold:
        summary.flags.append("below")
    # Absences that keep the final rate at the threshold, that stay within 20% of the
    # course, and that fit under half of each month still to come.
    by_rate = math.floor(counted + days_left - threshold * projected / 100 + 1e-9)
    by_total = whole_course // 5 - summary.absent
    months_left = [m for m, n in left.items() if n]
    by_month = (
        sum(max(0, (days_per_month[m] - 1) // 2 - absences.get(m, 0)) for m in months_left)
        if months_left
        else by_total
    )
    margin = 0 if expelled else max(0, min(by_rate, by_total, by_month))
    summary.margin = margin
    summary.absences_left = min(margin, days_left)
    if "below" not in summary.flags and not expelled and margin <= AT_RISK_MARGIN:
        summary.flags.append("at_risk")
    if expelled:
        summary.flags.append("expulsion")


_FLAGS = {
    "below": lazy_gettext("Below the completion threshold"),
    "at_risk": lazy_gettext("At risk of falling below the threshold"),
    "expulsion": lazy_gettext("Meets an expulsion flag (absences)"),
}


def flag_label(flag: str) -> str:
    return str(_FLAGS[flag])
