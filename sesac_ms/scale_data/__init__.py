"""History at N × Seoul's real size, for benchmarks: `flask demo-data --scale N`.

Scale 1 is about 600 cohorts over 25 campuses and five years: ~17,500 trainees, ~100,000
applications, ~175,000 1:1 sessions, ~1.7 million attendance marks, ~13,000 outcomes and
~100,000 audit entries (issue 12 measured at scale 2). It goes on top of the demo data,
whose accounts the benchmark logs in with; the demo manager, coordinator and mentor get
the demo campus's busy history, the demo trainee keeps the record the demo data gave.

Rows are generated cohort by cohort (in the order their recruiting opened) and written
in bulk (writer.py); nothing is committed here: the caller commits once at the end, after
`reports.tallies.rebuild_all()` has recounted the employment figures. Generated accounts
have no password. Loading twice into one database is refused.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from time import monotonic

import sqlalchemy as sa
from flask import current_app

from ..clock import today_in_seoul
from ..cohorts.roster import korean_holidays
from ..demo import AI_PARTNERS, DEMO_ACCOUNTS, DEMO_CAMPUS
from ..extensions import db
from ..models import (
    AvailabilitySlot,
    Campus,
    CoachingSession,
    Company,
    Course,
    Exam,
    LogSeal,
    User,
)
from ..models.types import utcnow
from ..reports.tallies import rebuild_all
from . import logs, outcomes, people, roster, sessions
from .context import KST, CampusPlan, CohortPlan, Context, Staff
from .names import STAFF_DOMAIN, People
from .plan import (
    AI_WEIGHT,
    DEMO_WEIGHT,
    YEARS,
    assign_staff,
    plan_campuses,
    plan_cohorts,
    plan_courses,
    staff_counts,
)
from .writer import BulkWriter, TimeOrderedLog

DEFAULT_SEED = 12
MAX_SCALE = 10.0
DEMO_STAFF_WEIGHT = 3.0

# progress(label, total) -> a context manager yielding advance(steps)
Progress = Callable[[str, int], AbstractContextManager[Callable[[int], None]]]


class ScaleDataError(Exception):
    """The generator was asked for something it will not do; `message` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Result:
    written: dict[str, int] = field(default_factory=dict)  # rows added, per table
    cohorts_by_status: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


@contextmanager
def _quiet(label: str, total: int) -> Iterator[Callable[[int], None]]:
    yield lambda steps: None


def check_scale(scale: float) -> None:
    if not 0 < scale <= MAX_SCALE:
        raise ScaleDataError(
            f"--scale must be more than 0 and at most {MAX_SCALE:g} "
            f"(1 = Seoul's real size, 2 = the benchmark's size); got {scale:g}."
        )


def already_generated() -> bool:
    """Scale data is marked by its staff accounts' domain."""
    return (
        db.session.scalar(sa.select(User.id).where(User.email.like(f"%@{STAFF_DOMAIN}")).limit(1))
        is not None
    )


def generate(
    scale: float,
    seed: int = DEFAULT_SEED,
    progress: Progress | None = None,
    today: date | None = None,
) -> Result:
    """Add N × Seoul's history to a database holding the demo data; commit is the caller's.

    Raises ScaleDataError for a scale outside (0, 10] or a database that has it already.
    """
    check_scale(scale)
    if already_generated():
        raise ScaleDataError(
            "Scale data is already in this database: --scale adds it once. "
            "Load it into a new, empty database."
        )
    if not db.session.scalar(sa.select(sa.func.count(Campus.id))):
        raise ScaleDataError("The database has no campus: load the demo data first.")
    if db.session.scalar(sa.select(LogSeal.id).limit(1)) is not None:
        # The history's log entries would land in days already sealed (audit_chain.py).
        raise ScaleDataError(
            "The logs of this database are sealed already (flask audit verify): "
            "load scale data into a new, empty database."
        )
    progress = progress or _quiet
    started = monotonic()
    connection = db.session.connection()
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:  # a bigger page cache: the indexes of the big tables stay in memory
        connection.exec_driver_sql("PRAGMA cache_size=-50000")
    ctx = _context(connection, scale, seed, today or today_in_seoul())
    campuses = _campuses(ctx)
    taken = _taken_names()
    plan_campuses(campuses, scale)
    ctx.writer.start()  # from here on the connection is the writer's until finish()
    try:
        cohorts = _plan_and_write_campuses(ctx, campuses, taken, progress)
        cohorts.sort(key=lambda c: (c.recruit_start_on, c.id))
        with progress("History, cohort by cohort", len(cohorts)) as advance:
            for index, cohort in enumerate(cohorts):
                # No cohort still to come logs anything before its recruiting opened.
                watermark = datetime.combine(
                    cohort.recruit_start_on - timedelta(days=40), time(), KST
                )
                ctx.audit.release(watermark)
                ctx.access.release(watermark)
                if index % 25 == 0:
                    sessions.prune(ctx, cohort.recruit_start_on)
                _cohort_history(ctx, cohort)
                advance(1)
        with progress("Audit and access logs", len(ctx.audit) + len(ctx.access)) as advance:
            advance(ctx.audit.release() + ctx.access.release())
            ctx.writer.finish()
    except BaseException:
        with suppress(Exception):
            ctx.writer.stop()
        raise
    with progress("Employment figures per cohort", 1) as advance:
        rebuild_all()
        advance(1)
    if sqlite:
        connection.exec_driver_sql("PRAGMA cache_size=-2000")
    statuses: dict[str, int] = {}
    for cohort in cohorts:
        statuses[cohort.status] = statuses.get(cohort.status, 0) + 1
    return Result(dict(ctx.writer.written), statuses, monotonic() - started)


def _context(connection: sa.Connection, scale: float, seed: int, today: date) -> Context:
    rng = random.Random(f"sesac-scale:{seed}:{scale!r}")
    writer = BulkWriter(connection)
    audit = TimeOrderedLog(writer, "audit_entries", logs.AUDIT_COLUMNS)
    access = TimeOrderedLog(writer, "personal_data_access", logs.ACCESS_COLUMNS)
    first = today - timedelta(days=(YEARS + 1) * 366)
    ctx = Context(
        rng=rng,
        writer=writer,
        audit=audit,
        access=access,
        people=People(rng),
        now=max(utcnow(), datetime(today.year, today.month, today.day, tzinfo=KST)),
        today=today,
        holidays=frozenset(korean_holidays(first, today + timedelta(days=400))),
        exams={name: id_ for name, id_ in db.session.execute(sa.select(Exam.name, Exam.id))},
        session_minutes=dict(current_app.config["SESSION_MINUTES"]),
    )
    for module in (people, roster, sessions, outcomes):
        module.declare(ctx)
    return ctx


def _demo_staff() -> dict[str, Staff]:
    """The demo accounts of each staff role (and the admin), as they are in the database."""
    found = {}
    for role, email, _ in DEMO_ACCOUNTS:
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is not None:  # the demo coordinator and mentor run more than their share
            weight = DEMO_STAFF_WEIGHT if role.value in ("coordinator", "mentor") else 1.0
            found[role.value] = Staff(user.id, user.name, user.email, role.value, weight)
    return found


def _campuses(ctx: Context) -> list[CampusPlan]:
    demo = _demo_staff()
    ctx.admin = demo.get("admin")
    plans = []
    for campus in db.session.scalars(sa.select(Campus).order_by(Campus.id)):
        is_demo = campus.name_ko == DEMO_CAMPUS
        weight = DEMO_WEIGHT if is_demo else AI_WEIGHT if campus.name_ko in AI_PARTNERS else 1.0
        plan = CampusPlan(campus.id, campus.name_ko, campus.name_en, campus.district, weight)
        plan.is_demo = is_demo
        if is_demo:  # the demo staff first in their pools (plan.assign_staff relies on it)
            for role, pool in (
                ("manager", plan.managers),
                ("coordinator", plan.coordinators),
                ("mentor", plan.mentors),
            ):
                if role in demo:
                    pool.append(demo[role])
        plans.append(plan)
    # Hours the demo data's sessions and offered times already take.
    booked = []
    for model in (CoachingSession, AvailabilitySlot):
        booked += db.session.execute(sa.select(model.staff_id, model.starts_at, model.ends_at))
    for staff_id, starts, ends in booked:
        first, last = starts.astimezone(KST), ends.astimezone(KST)
        sessions.mark_busy(
            ctx, staff_id, sessions.hour_key(first.date(), first.hour),
            sessions.hour_key(last.date(), last.hour),
        )  # fmt: skip
    return plans


def _taken_names() -> tuple[dict[int, set[str]], dict[int, set[str]]]:
    """Course titles and company names each campus has already: (titles, companies)."""
    titles: dict[int, set[str]] = {}
    for campus_id, title in db.session.execute(sa.select(Course.campus_id, Course.title)):
        titles.setdefault(campus_id, set()).add(title)
    companies: dict[int, set[str]] = {}
    for campus_id, name in db.session.execute(sa.select(Company.campus_id, Company.name)):
        companies.setdefault(campus_id, set()).add(name)
    return titles, companies


def _plan_and_write_campuses(
    ctx: Context,
    campuses: list[CampusPlan],
    taken: tuple[dict[int, set[str]], dict[int, set[str]]],
    progress: Progress,
) -> list[CohortPlan]:
    """Staff, courses, companies and cohort rows of every campus; returns the cohorts."""
    outcomes.write_exams(ctx)
    titles, companies = taken
    since = ctx.today - timedelta(days=YEARS * 365 + 120)
    cohorts: list[CohortPlan] = []
    busy = [c for c in campuses if c.cohorts]
    with progress("Staff, courses and companies", len(busy)) as advance:
        for campus in busy:
            counts = staff_counts(campus.cohorts)
            people.write_staff(ctx, campus, counts, since)
            courses = plan_courses(ctx, campus, titles.get(campus.id, set()))
            for course in courses:
                roster.write_course(ctx, course, since + timedelta(days=ctx.rng.randint(0, 60)))
            areas = sorted({c.area for c in courses})
            outcomes.write_companies(ctx, campus, companies.get(campus.id, set()), areas, since)
            for cohort in plan_cohorts(ctx, campus, courses):
                assign_staff(ctx.rng, campus, cohort)
                roster.write_cohort(ctx, cohort)
                cohorts.append(cohort)
            advance(1)
    return cohorts


def _cohort_history(ctx: Context, cohort: CohortPlan) -> None:
    """Everything that happened to one cohort, up to today."""
    holders = people.applications(ctx, cohort)
    trainees = []
    if cohort.status in ("finished", "in_progress"):
        trainees = people.roster(ctx, cohort, holders)
    if cohort.status in ("finished", "in_progress", "selecting"):
        days = roster.class_days(ctx, cohort)
        if trainees:
            roster.attendance(ctx, cohort, trainees, days)
            matching_day = roster.events(ctx, cohort, days)
            sessions.sessions(ctx, cohort, trainees)
            outcomes.outcomes(ctx, cohort, trainees, matching_day)
    roster.list_views(ctx, cohort, trainees)


def refresh_statistics() -> None:
    """Let the query planner know the tables' new sizes (after the commit).

    On PostgreSQL also VACUUM, as autovacuum does soon after a real day's writes: until the
    visibility map is set, an index-only scan reads every row's page too (the completed
    list's count took 14 ms instead of 3 on a freshly loaded 2× Seoul)."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA analysis_limit=2000")
        connection.exec_driver_sql("ANALYZE")
        return
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as autocommit:
        autocommit.exec_driver_sql("VACUUM ANALYZE")


def table_counts() -> dict[str, int]:
    """Rows in every table of the schema."""
    return {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table)) or 0
        for table in db.metadata.sorted_tables
    }
