"""What each role's dashboard shows, gathered in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from functools import cache
from typing import Any

import sqlalchemy as sa

from .. import audit
from ..clock import SEOUL, today_in_seoul
from ..extensions import db
from ..models import (
    Application,
    AuditEntry,
    Campus,
    Cohort,
    CohortStaff,
    CohortStatus,
    Course,
    Role,
    User,
)
from ..models.applications import IN_SELECTION
from ..permissions import scope_campus_id

ACTIVE_STATUSES = (CohortStatus.RECRUITING, CohortStatus.SELECTING, CohortStatus.IN_PROGRESS)
# The soonest of the active cohorts; the rest (a hundred and more academy-wide) are counted
# and linked to the cohort list, which pages and filters them.
COHORTS_SHOWN = 20
UPCOMING_SHOWN = 10


@dataclass
class CampusGlance:
    campus: Campus
    running: int = 0
    in_selection: int = 0
    rate_30: Any = None  # reports.EmploymentRow
    rate_all: Any = None


@dataclass
class Dashboard:
    cohorts: list = field(default_factory=list)  # cohorts.names.CohortLine
    cohort_counts: dict[str, int] = field(default_factory=dict)  # staff: cohorts in progress
    more_cohorts: int = 0  # active cohorts past the list's end
    user_counts: dict[str, int] = field(default_factory=dict)
    campus_count: int = 0
    recent_audit: list[AuditEntry] = field(default_factory=list)
    campuses: list[CampusGlance] = field(default_factory=list)
    total_30: Any = None
    total_all: Any = None
    sessions_today: list = field(default_factory=list)
    upcoming: list = field(default_factory=list)
    without_outcome: dict[int, int] = field(default_factory=dict)
    follow_ups: list = field(default_factory=list)
    attendance: Any = None
    enrollment: Any = None
    data_requests: Any = None  # admin, manager: open requests about personal data (privacy/)
    review_due: Any = None  # admin: the previous month while its access review is not recorded
    figures_version: int | None = None  # read with the campuses (reports.figures_cache)


def dashboard_for(user: User) -> Dashboard:
    board = Dashboard()
    _cohorts(board, user)
    if user.role in (Role.ADMIN, Role.MANAGER):
        _campus_glance(board, user)
    if user.role == Role.ADMIN:
        board.campus_count = len(board.campuses)  # the glance lists every campus
        board.recent_audit = list(
            db.session.scalars(db.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(8))
        )
    if user.role in (Role.ADMIN, Role.MANAGER):
        from ..admin.review import previous_month, review_due, review_recorded
        from ..privacy.requests import open_counts

        # The admin's reminder of the access review is read with the open requests.
        month = previous_month() if user.role == Role.ADMIN else None
        board.data_requests = open_counts(user, review_recorded(month) if month else None)
        if month is not None:
            board.review_due = review_due(recorded=board.data_requests.recorded)
        board.user_counts = _user_counts(scope_campus_id(user), board.figures_version)
    if user.role in (Role.COORDINATOR, Role.MENTOR, Role.TRAINEE):
        _sessions(board, user)
    if user.role == Role.COORDINATOR:
        from ..placements.lists import without_outcome

        board.without_outcome = without_outcome(user, today_in_seoul())
    if user.role == Role.TRAINEE:
        _trainee(board, user)
    return board


def _user_counts(campus_id: int | None, version: int | None) -> dict[str, int]:
    """Active accounts per role (of a campus): 35,000 at twice Seoul's size, so counted once
    per change of the accounts and kept under the figures' `version` (reports.figures_cache,
    read with the campuses)."""
    from ..reports import figures_cache

    def count() -> dict[str, int]:
        stmt = db.select(User.role, sa.func.count()).where(User.active).group_by(User.role)
        if campus_id is not None:
            stmt = stmt.where(User.campus_id == campus_id)
        return {str(role): n for role, n in db.session.execute(stmt)}

    return figures_cache.figures_at(version, ("active accounts", campus_id), count)


def log_people_shown(user: User, board: Dashboard) -> bool:
    """Log the people a staff dashboard names: the trainees of the sessions it lists, and for
    an administrator the recent changes (who changed whose record). Nothing for a trainee,
    whose dashboard shows their own data and the staff they meet. True when it logged."""
    if user.role in (Role.COORDINATOR, Role.MENTOR):
        trainees = {s.trainee_id for s in [*board.sessions_today, *board.upcoming]}
        if trainees:
            audit.log_list_access(user, "main.dashboard", {}, len(trainees))
            return True
    if board.recent_audit:
        audit.log_list_access(user, "main.recent_changes", {}, len(board.recent_audit))
        return True
    return False


def _cohorts(board: Dashboard, user: User) -> None:
    """The cohorts listed, and for staff the active ones counted (all of them, and those in
    progress) by window functions of the same statement, evaluated before its LIMIT."""
    from ..cohorts.names import cohort_line

    if user.role == Role.TRAINEE:
        rows = db.session.execute(_cohorts_statement("trainee"), {"user_id": user.id})
        board.cohorts = [cohort_line(row) for row in rows]
        return
    if user.role == Role.MENTOR:
        rows = db.session.execute(_cohorts_statement("mentor"), {"user_id": user.id}).all()
    else:
        campus_id = scope_campus_id(user)
        shape = "academy" if campus_id is None else "campus"
        rows = db.session.execute(_cohorts_statement(shape), {"campus_id": campus_id}).all()
    board.cohorts = [cohort_line(row) for row in rows]
    active = int(rows[0].active) if rows else 0
    board.cohort_counts = {str(CohortStatus.IN_PROGRESS): int(rows[0].running) if rows else 0}
    board.more_cohorts = max(0, active - len(board.cohorts))


# The dashboards' statements are built once per shape, their values bound on each request:
# building one and working out its cache key cost more than running it.


@cache
def _cohorts_statement(shape: str) -> sa.Select:
    """The cohorts a dashboard lists: a trainee's ("trainee"), a mentor's ("mentor"), or the
    active ones of the academy ("academy") or of one campus ("campus")."""
    from ..cohorts.names import line_columns

    # Read as columns (cohorts.names): the list shows a label, a state and dates.
    listed = (
        db.select(*line_columns())
        .join(Course, Course.id == Cohort.course_id)
        .join(Campus, Campus.id == Course.campus_id)
    )
    if shape == "trainee":
        from ..models import Enrollment

        mine = db.select(Enrollment.cohort_id).where(Enrollment.user_id == sa.bindparam("user_id"))
        return (
            listed.where(Cohort.id.in_(mine))
            .order_by(Cohort.start_on, Cohort.id)
            .limit(COHORTS_SHOWN)
        )
    running = sa.case((Cohort.status == CohortStatus.IN_PROGRESS, 1), else_=0)
    stmt = (
        listed.add_columns(
            sa.func.count().over().label("active"),
            sa.func.sum(running).over().label("running"),
        )
        .where(Cohort.status.in_(ACTIVE_STATUSES))
        .order_by(Cohort.start_on, Cohort.id)
        .limit(COHORTS_SHOWN)
    )
    if shape == "mentor":
        mine = db.select(CohortStaff.cohort_id).where(
            CohortStaff.user_id == sa.bindparam("user_id")
        )
        return stmt.where(Cohort.id.in_(mine))
    if shape == "campus":
        return stmt.where(Course.campus_id == sa.bindparam("campus_id"))
    return stmt


@cache
def _campus_glance_statement(one_campus: bool) -> sa.Select:
    """Every campus (or the one bound as campus_id) with its running cohorts, applicants in
    selection and the figures' version."""
    from ..reports import figures_cache

    # Counted per campus in two grouped subqueries, each led by its selective filter (the
    # status and stage indexes), rather than once per campus through every cohort.
    running = (
        db.select(Course.campus_id, sa.func.count(Cohort.id).label("n"))
        .join(Course, Course.id == Cohort.course_id)
        .where(Cohort.status == CohortStatus.IN_PROGRESS)
        .group_by(Course.campus_id)
        .subquery("running")
    )
    # Counted per cohort from the partial index of applications in selection alone (an
    # index-only scan), then summed per campus over those few cohorts. The stages are
    # written into the statement, not bound, so the planners see that index applies.
    per_cohort = (
        db.select(Application.cohort_id, sa.func.count().label("n"))
        .where(
            Application.stage.in_(
                sa.bindparam(
                    "in_selection",
                    [stage.value for stage in IN_SELECTION],
                    expanding=True,
                    literal_execute=True,
                )
            )
        )
        .group_by(Application.cohort_id)
        .subquery("per_cohort")
    )
    selecting = (
        db.select(Course.campus_id, sa.func.sum(per_cohort.c.n).label("n"))
        .select_from(per_cohort)
        .join(Cohort, Cohort.id == per_cohort.c.cohort_id)
        .join(Course, Course.id == Cohort.course_id)
        .group_by(Course.campus_id)
        .subquery("selecting")
    )
    campuses = (
        db.select(Campus, running.c.n, selecting.c.n, figures_cache.version_column())
        .outerjoin(running, running.c.campus_id == Campus.id)
        .outerjoin(selecting, selecting.c.campus_id == Campus.id)
        .order_by(Campus.opening_order.nulls_last(), Campus.name_ko)
    )
    if one_campus:
        return campuses.where(Campus.id == sa.bindparam("campus_id"))
    return campuses


def _campus_glance(board: Dashboard, user: User) -> None:
    """Per campus: running cohorts, applicants in selection, employment rates (SQL)."""
    from ..reports import figures_cache
    from ..reports.services import employment_reports_by_campus

    campus_id = scope_campus_id(user)
    rows = db.session.execute(
        _campus_glance_statement(campus_id is not None), {"campus_id": campus_id}
    ).all()
    glance = {
        campus.name_ko: CampusGlance(
            campus, running=int(running_count or 0), in_selection=int(selecting_count or 0)
        )
        for campus, running_count, selecting_count, _ in rows
    }
    version = rows[0].figures_version if rows else None
    # The report decides what is not yet counted (reports.services.window_closed); the cards
    # and the table show its rows as they are, so the two always agree. The figures' version
    # came with the campuses (figures_cache).
    board.figures_version = version
    within, overall = figures_cache.figures_at(
        version,
        ("dashboard", campus_id),
        lambda: employment_reports_by_campus((30, None), campus_id),
    )
    # Report rows name a campus in the page's language.
    by_name = {name: g for g in glance.values() for name in (g.campus.name_ko, g.campus.name_en)}
    for row in within[:-1]:
        if row.campus in by_name:
            by_name[row.campus].rate_30 = row
    for row in overall[:-1]:
        if row.campus in by_name:
            by_name[row.campus].rate_all = row
    board.campuses = list(glance.values())
    board.total_30, board.total_all = within[-1], overall[-1]


@dataclass(frozen=True, slots=True)
class SessionLine:
    """A session as a dashboard lists it: when, and with whom (the other person)."""

    id: int
    starts_at: datetime
    trainee_id: int
    other: str


def _sessions(board: Dashboard, user: User) -> None:
    today = today_in_seoul()
    begin = datetime.combine(today, time(), SEOUL)
    board.sessions_today = _session_lines(user, begin, begin + timedelta(days=1))
    board.upcoming = _session_lines(
        user, begin + timedelta(days=1), begin + timedelta(days=15), limit=UPCOMING_SHOWN
    )


def _session_lines(
    user: User, start: datetime, end: datetime, limit: int | None = None
) -> list[SessionLine]:
    """The user's sessions (as trainee or as staff) meeting [start, end), earliest first, not
    cancelled, as plain rows: the dashboard shows a time and a name."""
    stmt = _sessions_statement(user.role == Role.TRAINEE, limit is not None)
    params = {"user_id": user.id, "start": start, "end": end, "limit": limit}
    return [SessionLine(*row) for row in db.session.execute(stmt, params)]


@cache
def _sessions_statement(trainee: bool, limited: bool) -> sa.Select:
    """_session_lines' statement for a trainee's or a staff member's sessions, built once."""
    from ..models import CoachingSession, SessionStatus

    mine = CoachingSession.trainee_id if trainee else CoachingSession.staff_id
    other = CoachingSession.staff_id if trainee else CoachingSession.trainee_id
    stmt = (
        db.select(
            CoachingSession.id,
            CoachingSession.starts_at,
            CoachingSession.trainee_id,
            User.name,
        )
        .join(User, User.id == other)
        .where(
            mine == sa.bindparam("user_id"),
            CoachingSession.ends_at > sa.bindparam("start"),
            CoachingSession.starts_at < sa.bindparam("end"),
            CoachingSession.status != SessionStatus.CANCELLED,
        )
        .order_by(CoachingSession.starts_at, CoachingSession.id)
    )
    return stmt.limit(sa.bindparam("limit")) if limited else stmt


def _trainee(board: Dashboard, user: User) -> None:
    from ..cohorts.roster import summary_of, trainee_enrollments
    from ..sessions.services import open_follow_ups

    board.follow_ups = open_follow_ups(user)
    enrollments = trainee_enrollments(user)
    if enrollments:
        board.enrollment = enrollments[0]
        board.attendance = summary_of(enrollments[0])
