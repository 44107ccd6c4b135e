"""The placements area's long lists and their counts: completed trainees with their
outcome, referrals, companies, and whom a referral may name.

Each list is a query for `paging.numbered`, loading only the columns its page shows (the
models load enrollments, outcomes and referrals with a joined-eager cascade that would
bring every column of a dozen tables); counts are aggregate queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Load, contains_eager, joinedload, lazyload, load_only

from ..extensions import db
from ..models import (
    Campus,
    Cohort,
    CohortEmployment,
    Company,
    Course,
    Enrollment,
    EnrollmentStatus,
    Outcome,
    Referral,
    Role,
    User,
)
from ..permissions import scope_campus, scope_campus_id
from .services import COMPLETED

# Who a referral may name: trainees still in training (a hire may come before the end,
# 조기취업) and completed trainees.
REFERABLE = (EnrollmentStatus.ENROLLED, *COMPLETED)


def _name_only(to_user: Load) -> Load:
    """A trainee as a list shows them: name and e-mail, not their campus."""
    return to_user.options(load_only(User.name, User.email), lazyload(User.campus))


def _label_only(to_course: Load) -> Load:
    """A cohort's course and campus with only what `Cohort.label` reads."""
    return to_course.options(
        load_only(Course.title, Course.title_en, Course.track, Course.campus_id),
        joinedload(Course.campus).load_only(Campus.name_ko, Campus.name_en),
    )


def _cohort_label_only(to_cohort: Load) -> Load:
    """A cohort (joined by the query itself, with its course) with only what its label,
    end date and scope read."""
    return to_cohort.options(
        load_only(Cohort.number, Cohort.end_on, Cohort.course_id),
        _label_only(contains_eager(Cohort.course)),
    )


def completed_query(
    user: User, cohort_id: int | None = None, *, missing: bool = False
) -> sa.Select:
    """Completed trainees in the user's scope with their current outcome, latest cohorts
    first: a query to page, of plain rows with only the columns the list shows (no model
    instance per row but the cohorts' courses, a few for a page, with what `Cohort.label`
    reads). The outcome's columns are None for a trainee without one. `missing`: only
    those without an outcome yet."""
    stmt = (
        db.select(
            Enrollment.id,
            User.name,
            Enrollment.status_on,
            Enrollment.cohort_id,
            Cohort.number.label("cohort_number"),
            Cohort.end_on,
            Course,
            Outcome.kind,
            Outcome.company,
            Outcome.outcome_on,
            Outcome.verification_state,
        )
        .join(User, User.id == Enrollment.user_id)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .join(Course, Course.id == Cohort.course_id)
        .outerjoin(Outcome, sa.and_(Outcome.enrollment_id == Enrollment.id, Outcome.is_current))
        .where(Enrollment.status.in_(COMPLETED))
        .order_by(Cohort.end_on.desc(), Enrollment.id)
        .options(
            load_only(Course.title, Course.title_en, Course.track, Course.campus_id),
            joinedload(Course.campus).load_only(Campus.name_ko, Campus.name_en),
        )
    )
    if user.role != Role.ADMIN:
        stmt = stmt.where(Course.campus_id == user.campus_id)
    if cohort_id:
        stmt = stmt.where(Cohort.id == cohort_id)
    if missing:
        stmt = stmt.where(Outcome.id.is_(None))
    return stmt


def trainee_enrollment(user: User, enrollment_id: int) -> Enrollment | None:
    """The enrollment a trainee's placement page shows, or None outside the user's campus:
    with only what the page reads of the trainee (name, e-mail) and of the cohort (its
    label), not the whole joined-eager cascade."""
    stmt = (
        db.select(Enrollment)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .join(Course, Course.id == Cohort.course_id)
        .where(Enrollment.id == enrollment_id)
        .options(
            load_only(Enrollment.cohort_id, Enrollment.user_id),
            _name_only(joinedload(Enrollment.user)),
            _cohort_label_only(contains_eager(Enrollment.cohort)),
        )
    )
    return db.session.scalar(_in_scope(stmt, user))


def _in_scope(stmt: sa.Select, user: User) -> sa.Select:
    """Rows of the user's campus (stmt must reach Course); every campus for an admin."""
    return scope_campus(stmt, Course.campus_id, user)


def _completed_tally(missing: bool) -> Any:
    """Per cohort (models.CohortEmployment, kept equal to the records): its completed
    trainees, less those with a current outcome when `missing`."""
    tally = CohortEmployment
    if missing:
        return tally.completed - tally.excluded - tally.employed - tally.founded
    return tally.completed


def _tally_query(user: User, cohort_id: int | None, *columns: Any) -> sa.Select:
    stmt = (
        db.select(*columns)
        .select_from(CohortEmployment)
        .join(Cohort, Cohort.id == CohortEmployment.cohort_id)
        .join(Course, Course.id == Cohort.course_id)
    )
    if cohort_id:
        stmt = stmt.where(Cohort.id == cohort_id)
    return _in_scope(stmt, user)


def completed_count(user: User, cohort_id: int | None = None, *, missing: bool = False) -> int:
    """How many rows `completed_query` lists, read from the per-cohort figures
    (models.CohortEmployment, kept equal to the records): completed trainees, less those
    with a current outcome when `missing`. One row per cohort, whatever the history."""
    value = sa.func.coalesce(sa.func.sum(_completed_tally(missing)), 0)
    return int(db.session.scalar(_tally_query(user, cohort_id, value)) or 0)


@dataclass
class EndDateCounts:
    """How many rows `completed_query` lists per cohort end date, latest first (the list's
    first sort key), from the per-cohort figures: the list's total, and for any page the
    end dates its rows lie between, so the page's query sorts those few cohorts' trainees
    rather than every completed trainee in scope."""

    counts: list[tuple[date, int]]

    @property
    def total(self) -> int:
        return sum(n for _, n in self.counts)

    def narrow(self, stmt: sa.Select, offset: int, limit: int) -> tuple[sa.Select, int] | None:
        """`stmt` (ordered by end date, latest first) narrowed to the end dates holding rows
        offset … offset + limit - 1, with the offset within them; None past the end."""
        before = 0  # rows on the later end dates, before the page
        within = 0  # rows from the page's first end date to `earliest`
        latest = earliest = None
        for end_on, n in self.counts:
            if latest is None:
                if before + n <= offset:
                    before += n
                    continue
                latest = end_on
            earliest, within = end_on, within + n
            if before + within >= offset + limit:
                break
        if latest is None:
            return None
        return stmt.where(Cohort.end_on.between(earliest, latest)), offset - before


def completed_by_end(
    user: User, cohort_id: int | None = None, *, missing: bool = False
) -> EndDateCounts:
    """Rows of `completed_query` per cohort end date (one grouped query over the per-cohort
    figures: a row per end date, whatever the number of trainees), kept with the report's
    figures (reports.figures_cache)."""
    from ..reports import figures_cache

    value = sa.func.sum(_completed_tally(missing))
    stmt = (
        _tally_query(user, cohort_id, Cohort.end_on, value)
        .group_by(Cohort.end_on)
        .having(value > 0)
        .order_by(Cohort.end_on.desc())
    )
    return figures_cache.figures(
        ("completed by end", scope_campus_id(user), cohort_id, missing),
        lambda: EndDateCounts([(end_on, int(n)) for end_on, n in db.session.execute(stmt)]),
    )


WAITING_DAYS = (30, 90, 180)


def without_outcome(user: User, today: date) -> dict[int, int]:
    """Completed trainees with no outcome yet, 30/90/180 days or more after completion.

    Exact and cheap at any history: all those without an outcome (the per-cohort figures),
    less those who completed within the last 180 days, a few hundred rows found through the
    enrollments' status date (or, when a trainee has none, their cohort's end date).
    """
    from ..reports import figures_cache

    return figures_cache.figures(
        ("without outcome", scope_campus_id(user), today), lambda: _without_outcome(user, today)
    )


def _without_outcome(user: User, today: date) -> dict[int, int]:
    since = today - timedelta(days=max(WAITING_DAYS))

    def completed_since(ended: Any, condition: Any) -> sa.Select:
        stmt = (
            db.select(ended.label("ended"))
            .select_from(Enrollment)
            .join(Cohort, Cohort.id == Enrollment.cohort_id)
            .join(Course, Course.id == Cohort.course_id)
            .where(Enrollment.status.in_(COMPLETED), condition, ~_has_outcome)
        )
        return _in_scope(stmt, user)

    # NOT EXISTS, not an outer join: PostgreSQL then looks each one up in the current
    # outcomes' index instead of reading every outcome (as it did, 14 ms at 2× Seoul).
    _has_outcome = sa.exists().where(Outcome.enrollment_id == Enrollment.id, Outcome.is_current)

    recent = sa.union_all(
        completed_since(Enrollment.status_on, Enrollment.status_on > since),
        completed_since(
            Cohort.end_on, sa.and_(Enrollment.status_on.is_(None), Cohort.end_on > since)
        ),
    ).subquery("recent")
    counts = db.session.execute(
        db.select(
            *(
                sa.func.count(sa.case((recent.c.ended > today - timedelta(days=days), 1)))
                for days in WAITING_DAYS
            )
        )
    ).one()
    total = completed_count(user, missing=True)
    return {days: total - int(n or 0) for days, n in zip(WAITING_DAYS, counts, strict=True)}


@dataclass(frozen=True)
class CohortChoice:
    """A cohort as the referral form offers it: its id, its label (the model's own text) and
    its campus, without loading a model instance per cohort of the campus's history."""

    id: int
    number: int
    course: Any  # a Course, or what of it the label reads (cohorts.names.course_name)

    label = Cohort.label
    campus_id = Cohort.campus_id


def referral_campus(user: User, chosen: int | None) -> int | None:
    """The campus whose cohorts the referral form offers: the user's, or for an admin the
    campus chosen (none before one is: every campus's history would make a list of a
    thousand cohorts)."""
    return chosen if user.role == Role.ADMIN else user.campus_id


def referral_cohorts(campus_id: int | None) -> tuple[CohortChoice, ...]:
    """Cohorts of the campus (`referral_campus`) with trainees a referral may name, latest
    first; none without a campus.

    The list grows with the campus's years, and every change it depends on (a trainee's
    status, a cohort, course or campus) raises the figures' version: it is kept under it
    (reports.figures_cache), as plain values, made once."""
    from ..cohorts.names import course_name, label_columns
    from ..reports import figures_cache

    if campus_id is None:
        return ()

    def cohorts() -> tuple[CohortChoice, ...]:
        referable = (
            db.select(Enrollment.id)
            .where(Enrollment.cohort_id == Cohort.id, Enrollment.status.in_(REFERABLE))
            .exists()
        )
        stmt = (
            db.select(Cohort.id, Cohort.number, *label_columns())
            .join(Course, Course.id == Cohort.course_id)
            .join(Campus, Campus.id == Course.campus_id)
            .where(referable, Course.campus_id == campus_id)
            .order_by(Cohort.end_on.desc(), Cohort.id.desc())
        )
        return tuple(
            CohortChoice(cohort_id, number, course_name(*course))
            for cohort_id, number, *course in db.session.execute(stmt)
        )

    return figures_cache.figures(("referral cohorts", campus_id), cohorts)


def cohort_campus_id(cohort_id: int) -> int | None:
    """The campus of a cohort (an admin's referral form opened on a cohort)."""
    return db.session.scalar(
        db.select(Course.campus_id)
        .join(Cohort, Cohort.course_id == Course.id)
        .where(Cohort.id == cohort_id)
    )


def referable_trainees(cohort: CohortChoice) -> list[Enrollment]:
    """The cohort's trainees a referral may name (in training or completed), by name."""
    return list(
        db.session.scalars(
            db.select(Enrollment)
            .join(Enrollment.user)
            .where(Enrollment.cohort_id == cohort.id, Enrollment.status.in_(REFERABLE))
            .order_by(User.name, Enrollment.id)
            .options(
                load_only(Enrollment.cohort_id, Enrollment.user_id, Enrollment.status),
                _name_only(contains_eager(Enrollment.user)),
                lazyload(Enrollment.cohort),  # the cohort asked for, already loaded
            )
        )
    )


def referable_enrollment(user: User, enrollment_id: int | None) -> Enrollment | None:
    """The enrollment a referral form names, when it is in the user's scope and referable."""
    if not enrollment_id:
        return None
    stmt = (
        db.select(Enrollment)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .join(Course, Course.id == Cohort.course_id)
        .where(Enrollment.id == enrollment_id, Enrollment.status.in_(REFERABLE))
    )
    if user.role != Role.ADMIN:
        stmt = stmt.where(Course.campus_id == user.campus_id)
    return db.session.scalar(stmt)


# --- companies and referrals -------------------------------------------------------------


def companies_query(user: User) -> sa.Select:
    """The companies in the user's scope by name: a query to page."""
    stmt = db.select(Company).order_by(Company.name, Company.id)
    if user.role != Role.ADMIN:
        stmt = stmt.where(Company.campus_id == user.campus_id)
    return stmt


def company_in_scope(user: User, company_id: int | None) -> Company | None:
    if not company_id:
        return None
    company = db.session.get(Company, company_id)
    if company is None or (user.role != Role.ADMIN and company.campus_id != user.campus_id):
        return None
    return company


def campus_companies(campus_id: int) -> list[Company]:
    """The companies a referral from this campus may go to, by name (names only)."""
    return list(
        db.session.scalars(
            db.select(Company)
            .where(Company.campus_id == campus_id)
            .order_by(Company.name, Company.id)
            .options(load_only(Company.name, Company.campus_id))
        )
    )


def referrals_query(user: User) -> sa.Select:
    """Referrals in the user's scope, latest change first, as plain rows of the columns the
    list shows: a query to page. The trainee's name is a subquery of the row, which the
    database runs for the page's rows only, after the sort and limit (joined into the list
    query, the trainees of every referral of the campus would be joined before the sort),
    and leaves out of the page's count. The page (placements/referrals.html) unpacks each
    row in this order."""
    trainee = (
        db.select(User.name)
        .join(Enrollment, Enrollment.user_id == User.id)
        .where(Enrollment.id == Referral.enrollment_id)
        .scalar_subquery()
    )
    stmt = (
        db.select(
            Referral.id,
            Referral.position,
            Referral.status,
            Referral.enrollment_id,
            Company.name.label("company"),
            trainee.label("trainee"),
        )
        .join(Company, Company.id == Referral.company_id)
        .order_by(Referral.updated_at.desc(), Referral.id.desc())
    )
    if user.role != Role.ADMIN:
        stmt = stmt.where(Company.campus_id == user.campus_id)
    return stmt


def referral_count(user: User) -> int:
    """How many rows `referrals_query` lists: for an admin every referral, counted without
    the join to their companies (each referral has one), at a third of the cost. The
    figures' version is read with it (reports.figures_cache.version_column), sparing the
    referral form's cohorts, kept under it, a query of their own."""
    from ..reports import figures_cache

    stmt = db.select(sa.func.count(), figures_cache.version_column()).select_from(Referral)
    if user.role != Role.ADMIN:
        stmt = stmt.join(Company, Company.id == Referral.company_id).where(
            Company.campus_id == user.campus_id
        )
    count, version = db.session.execute(stmt).one()
    figures_cache.read_with(version)
    return int(count or 0)
