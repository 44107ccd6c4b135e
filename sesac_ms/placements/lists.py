"""The placements area's long lists and their counts: completed trainees with their
outcome, referrals, companies, and whom a referral may name.

Each list is a query for `paging.numbered`, loading only the columns its page shows (the
models load enrollments, outcomes and referrals with a joined-eager cascade that would
bring every column of a dozen tables); counts are aggregate queries.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Load, contains_eager, joinedload, lazyload, load_only

from ..extensions import db
from ..models import (
    Campus,
    Cohort,
    Company,
    Course,
    Enrollment,
    EnrollmentStatus,
    Outcome,
    Referral,
    Role,
    User,
)
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
    first, as (Enrollment, Outcome | None) rows: a query to page, loading only the columns
    the list shows. `missing`: only those without an outcome yet."""
    stmt = (
        db.select(Enrollment, Outcome)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .join(Course, Course.id == Cohort.course_id)
        .outerjoin(Outcome, sa.and_(Outcome.enrollment_id == Enrollment.id, Outcome.is_current))
        .where(Enrollment.status.in_(COMPLETED))
        .order_by(Cohort.end_on.desc(), Enrollment.id)
        .options(
            load_only(Enrollment.status_on, Enrollment.cohort_id, Enrollment.user_id),
            _name_only(joinedload(Enrollment.user)),
            _cohort_label_only(contains_eager(Enrollment.cohort)),
            load_only(
                Outcome.kind,
                Outcome.company,
                Outcome.outcome_on,
                Outcome.verification_state,
                Outcome.enrollment_id,
            ),
            lazyload(Outcome.enrollment),  # the row's own enrollment, already loaded
        )
    )
    if user.role != Role.ADMIN:
        stmt = stmt.where(Course.campus_id == user.campus_id)
    if cohort_id:
        stmt = stmt.where(Cohort.id == cohort_id)
    if missing:
        stmt = stmt.where(Outcome.id.is_(None))
    return stmt


WAITING_DAYS = (30, 90, 180)


def without_outcome(user: User, today: date) -> dict[int, int]:
    """Completed trainees with no outcome yet, 30/90/180 days or more after completion:
    counted by one aggregate query, whatever the history."""
    ended = sa.func.coalesce(Enrollment.status_on, Cohort.end_on)
    stmt = (
        db.select(
            *(
                sa.func.count(sa.case((ended <= today - timedelta(days=days), 1)))
                for days in WAITING_DAYS
            )
        )
        .select_from(Enrollment)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .join(Course, Course.id == Cohort.course_id)
        .outerjoin(Outcome, sa.and_(Outcome.enrollment_id == Enrollment.id, Outcome.is_current))
        .where(Enrollment.status.in_(COMPLETED), Outcome.id.is_(None))
    )
    if user.role != Role.ADMIN:
        stmt = stmt.where(Course.campus_id == user.campus_id)
    counts = db.session.execute(stmt).one()
    return {days: int(n or 0) for days, n in zip(WAITING_DAYS, counts, strict=True)}


def referral_cohorts(user: User) -> list[Cohort]:
    """Cohorts in the user's scope with trainees a referral may name, latest first."""
    referable = (
        db.select(Enrollment.id)
        .where(Enrollment.cohort_id == Cohort.id, Enrollment.status.in_(REFERABLE))
        .exists()
    )
    stmt = (
        db.select(Cohort)
        .join(Cohort.course)
        .where(referable)
        .order_by(Cohort.end_on.desc(), Cohort.id.desc())
        .options(
            load_only(Cohort.number, Cohort.end_on, Cohort.course_id),
            _label_only(contains_eager(Cohort.course)),
        )
    )
    if user.role != Role.ADMIN:
        stmt = stmt.where(Course.campus_id == user.campus_id)
    return list(db.session.scalars(stmt))


def referable_trainees(cohort: Cohort) -> list[Enrollment]:
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
    """Referrals in the user's scope, latest change first: a query to page, loading the
    trainee's name, the company's name and the referral's own columns only."""
    stmt = (
        db.select(Referral)
        .join(Referral.company)
        .order_by(Referral.updated_at.desc(), Referral.id.desc())
        .options(
            load_only(
                Referral.position, Referral.status, Referral.enrollment_id, Referral.company_id
            ),
            contains_eager(Referral.company).load_only(Company.name),
            joinedload(Referral.enrollment).options(
                load_only(Enrollment.user_id),
                lazyload(Enrollment.cohort),
                _name_only(joinedload(Enrollment.user)),
            ),
        )
    )
    if user.role != Role.ADMIN:
        stmt = stmt.where(Company.campus_id == user.campus_id)
    return stmt
