"""The key pages of each demo role, found in the database (the busiest cohort, its latest
class day, a trainee with an outcome…), never hard-coded ids.

Run inside an app context. A page the role may not open, or whose record the data lacks
(no session for a mentor, say), is simply not listed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from urllib.parse import urlencode

import sqlalchemy as sa
from scale_server import LIGHT_PATH

from sesac_ms.extensions import db
from sesac_ms.models import (
    Application,
    Campus,
    ClassDay,
    CoachingSession,
    Cohort,
    CohortStatus,
    Course,
    Enrollment,
    EnrollmentStatus,
    Outcome,
    Role,
    User,
)
from sesac_ms.permissions import ACTIONS

EXPORT_REASON = "benchmark: measuring the export"


@dataclass
class Page:
    role: str
    name: str
    path: str
    # A form post (exports that ask for a reason): its fields; the CSRF token is read from
    # the GET of `path` by the runner.
    form: dict[str, str] | None = None
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.role} {self.name}"


def _url(path: str, **args: object) -> str:
    args = {k: v for k, v in args.items() if v is not None}
    return f"{path}?{urlencode(args)}" if args else path


def _in_campus(stmt: sa.Select, campus_id: int | None) -> sa.Select:
    """Cohorts of one campus (stmt must reach Cohort); every cohort when campus_id is None."""
    if campus_id is None:
        return stmt
    return stmt.join(Course, Course.id == Cohort.course_id).where(Course.campus_id == campus_id)


def busiest_applicants_cohort(campus_id: int | None) -> int | None:
    stmt = (
        sa.select(Cohort.id)
        .join(Application, Application.cohort_id == Cohort.id)
        .group_by(Cohort.id)
        .order_by(sa.func.count(Application.id).desc(), Cohort.id)
        .limit(1)
    )
    return db.session.scalar(_in_campus(stmt, campus_id))


def busiest_roster_cohort(campus_id: int | None) -> int | None:
    """The running cohort with the most trainees; any cohort when none runs."""
    for running in (True, False):
        stmt = (
            sa.select(Cohort.id)
            .join(Enrollment, Enrollment.cohort_id == Cohort.id)
            .group_by(Cohort.id)
            .order_by(sa.func.count(Enrollment.id).desc(), Cohort.id.desc())
            .limit(1)
        )
        if running:
            stmt = stmt.where(Cohort.status == CohortStatus.IN_PROGRESS)
        found = db.session.scalar(_in_campus(stmt, campus_id))
        if found:
            return found
    return None


def latest_class_day(cohort_id: int, today: date) -> int | None:
    """The latest class day up to today (one that has an attendance sheet), else the first."""
    base = sa.select(ClassDay.id).where(ClassDay.cohort_id == cohort_id, ~ClassDay.cancelled)
    return db.session.scalar(
        base.where(ClassDay.day <= today).order_by(ClassDay.day.desc()).limit(1)
    ) or db.session.scalar(base.order_by(ClassDay.day).limit(1))


def trainee_with_outcome(campus_id: int | None) -> int | None:
    """A completed trainee's enrollment with the longest outcome history."""
    stmt = (
        sa.select(Enrollment.id)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .join(Outcome, Outcome.enrollment_id == Enrollment.id)
        .where(Enrollment.status == EnrollmentStatus.COMPLETED)
        .group_by(Enrollment.id)
        .order_by(sa.func.count(Outcome.id).desc(), Enrollment.id.desc())
        .limit(1)
    )
    return db.session.scalar(_in_campus(stmt, campus_id))


def busiest_campus() -> int | None:
    return db.session.scalar(
        sa.select(Course.campus_id)
        .join(Cohort, Cohort.course_id == Course.id)
        .join(Enrollment, Enrollment.cohort_id == Cohort.id)
        .group_by(Course.campus_id)
        .order_by(sa.func.count(Enrollment.id).desc(), Course.campus_id)
        .limit(1)
    )


def latest_session(user: User) -> int | None:
    """The user's latest 1:1 session up to now (as staff or as trainee)."""
    column = CoachingSession.trainee_id if user.role == Role.TRAINEE else CoachingSession.staff_id
    return db.session.scalar(
        sa.select(CoachingSession.id)
        .where(column == user.id, CoachingSession.starts_at <= datetime.now(UTC))
        .order_by(CoachingSession.starts_at.desc())
        .limit(1)
    ) or db.session.scalar(
        sa.select(CoachingSession.id)
        .where(column == user.id)
        .order_by(CoachingSession.starts_at)
        .limit(1)
    )


def _may(user: User, action: str) -> bool:
    return user.role in ACTIONS[action]


def _report_pages(role: str, scopes: list[tuple[str, int | None]]) -> list[Page]:
    pages = []
    for scope_name, campus_id in scopes:
        suffix = f", {scope_name}" if scope_name else ""
        for by in ("campus", "course", "cohort"):
            for within in (None, 30):
                window = " ≤30d" if within else ""
                path = _url("/reports/employment", by=by, campus_id=campus_id, within_days=within)
                pages.append(Page(role, f"employment by {by}{window}{suffix}", path))
        for by in ("exam", "campus"):
            path = _url("/reports/certifications", by=by, campus_id=campus_id)
            pages.append(Page(role, f"certifications by {by}{suffix}", path))
    campus_id = scopes[0][1]
    for by, fmt in (("campus", "xlsx"), ("course", "xlsx"), ("cohort", "xlsx"), ("cohort", "csv")):
        path = _url("/reports/employment", by=by, campus_id=campus_id, format=fmt)
        pages.append(Page(role, f"employment export {fmt} by {by}", path))
    for fmt in ("xlsx", "csv"):
        path = _url("/reports/certifications", campus_id=campus_id, format=fmt)
        pages.append(Page(role, f"certifications export {fmt}", path))
    return pages


def pages_for(user: User, today: date) -> list[Page]:
    """Every key page of this user's role, with ids from the data."""
    role = user.role.value
    campus_id = None if user.role == Role.ADMIN else user.campus_id
    pages = [Page(role, "password (light)", LIGHT_PATH), Page(role, "dashboard", "/")]
    pages.append(Page(role, "schedule", "/sessions/"))

    if user.role == Role.TRAINEE:
        pages.append(Page(role, "my training", "/cohorts/me"))
        pages.append(Page(role, "book a session", "/sessions/book"))
    if _may(user, "session.manage"):
        pages.append(Page(role, "open slots", "/sessions/slots"))
        pages.append(Page(role, "quick log form", "/sessions/log"))
        pages.append(Page(role, "new session form", "/sessions/new"))
    if user.role in (Role.COORDINATOR, Role.MENTOR, Role.TRAINEE):
        session_id = latest_session(user)
        if session_id:
            pages.append(Page(role, "1:1 session", f"/sessions/{session_id}"))

    if _may(user, "cohort.view"):
        pages.append(Page(role, "cohorts", "/cohorts/"))
        pages.append(Page(role, "courses", "/cohorts/courses"))
    applicants = busiest_applicants_cohort(campus_id)
    if applicants and _may(user, "application.view"):
        pages.append(
            Page(role, "applicants (busiest cohort)", f"/applications/cohorts/{applicants}")
        )
        first = db.session.scalar(
            sa.select(sa.func.min(Application.id)).where(Application.cohort_id == applicants)
        )
        pages.append(Page(role, "application", f"/applications/{first}"))
    if applicants and _may(user, "interview.manage"):
        pages.append(Page(role, "interviews", f"/applications/cohorts/{applicants}/interviews"))

    cohort_id = busiest_roster_cohort(campus_id)
    if cohort_id and _may(user, "roster.view"):
        pages.append(Page(role, "cohort", f"/cohorts/{cohort_id}"))
        pages.append(Page(role, "roster", f"/cohorts/{cohort_id}/roster"))
        pages.append(Page(role, "class calendar", f"/cohorts/{cohort_id}/calendar"))
        pages.append(Page(role, "deposits", f"/cohorts/{cohort_id}/deposits"))
        enrollment = db.session.scalar(
            sa.select(sa.func.min(Enrollment.id)).where(Enrollment.cohort_id == cohort_id)
        )
        pages.append(Page(role, "roster trainee", f"/cohorts/{cohort_id}/roster/{enrollment}"))
    if cohort_id and _may(user, "attendance.record"):
        day_id = latest_class_day(cohort_id, today)
        if day_id:
            pages.append(
                Page(role, "attendance sheet", f"/cohorts/{cohort_id}/attendance/{day_id}")
            )
    if cohort_id and _may(user, "roster.export"):
        for fmt in ("xlsx", "csv"):
            form = {"format": fmt, "reason": EXPORT_REASON}
            path = f"/cohorts/{cohort_id}/roster/export"
            pages.append(Page(role, f"roster export {fmt}", path, form=form))
    if cohort_id and _may(user, "coverage.view"):
        pages.append(Page(role, "1:1 coverage", f"/sessions/coverage/{cohort_id}"))

    if _may(user, "placement.view"):
        pages.append(Page(role, "completed trainees", "/placements/"))
        pages.append(Page(role, "companies", "/placements/companies"))
        pages.append(Page(role, "referrals", "/placements/referrals"))
        enrollment = trainee_with_outcome(campus_id)
        if enrollment:
            pages.append(Page(role, "placement trainee", f"/placements/{enrollment}"))

    if _may(user, "report.view"):
        scopes: list[tuple[str, int | None]] = [("", None)]
        if user.role == Role.ADMIN:
            one = busiest_campus()
            name = db.session.get(Campus, one).name_en if one else ""
            scopes = [("all campuses", None)] + ([(f"{name} campus", one)] if one else [])
        pages += _report_pages(role, scopes)

    if user.role == Role.ADMIN:
        pages.append(Page(role, "users", "/admin/users"))
        trainee = db.session.scalar(
            sa.select(sa.func.min(User.id)).where(User.role == Role.TRAINEE)
        )
        if trainee:
            pages.append(Page(role, "user", f"/admin/users/{trainee}"))
        pages.append(
            Page(role, "users export csv", "/admin/users/export", form={"reason": EXPORT_REASON})
        )
        pages.append(Page(role, "campuses", "/admin/campuses"))
        pages.append(Page(role, "audit log", "/admin/audit"))
        pages.append(Page(role, "access log", "/admin/access-log"))
        pages.append(Page(role, "mail outbox", "/admin/mail"))
    return pages
