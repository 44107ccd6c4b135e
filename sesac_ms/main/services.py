"""What each role's dashboard shows, gathered in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from ..extensions import db
from ..models import AuditEntry, Campus, Cohort, CohortStaff, CohortStatus, Course, Role, User
from ..permissions import scope_campus


@dataclass
class Dashboard:
    cohorts: list[Cohort] = field(default_factory=list)
    cohort_counts: dict[str, int] = field(default_factory=dict)
    user_counts: dict[str, int] = field(default_factory=dict)
    campus_count: int = 0
    recent_audit: list[AuditEntry] = field(default_factory=list)


ACTIVE_STATUSES = (CohortStatus.RECRUITING, CohortStatus.SELECTING, CohortStatus.IN_PROGRESS)


def dashboard_for(user: User) -> Dashboard:
    board = Dashboard()
    cohorts = (
        db.select(Cohort)
        .join(Cohort.course)
        .where(Cohort.status.in_(ACTIVE_STATUSES))
        .order_by(Cohort.start_on, Cohort.id)
    )
    counts = db.select(Cohort.status, sa.func.count()).join(Cohort.course).group_by(Cohort.status)
    if user.role in (Role.MENTOR, Role.TRAINEE):
        assigned = db.select(CohortStaff.cohort_id).where(CohortStaff.user_id == user.id)
        cohorts = cohorts.where(Cohort.id.in_(assigned))
        counts = counts.where(Cohort.id.in_(assigned))
    else:
        cohorts = scope_campus(cohorts, Course.campus_id, user)
        counts = scope_campus(counts, Course.campus_id, user)
    board.cohorts = list(db.session.scalars(cohorts.limit(50)))
    board.cohort_counts = {str(status): n for status, n in db.session.execute(counts)}
    if user.role == Role.ADMIN:
        board.campus_count = db.session.scalar(db.select(sa.func.count(Campus.id))) or 0
        board.user_counts = {
            str(role): n
            for role, n in db.session.execute(
                db.select(User.role, sa.func.count()).where(User.active).group_by(User.role)
            )
        }
        board.recent_audit = list(
            db.session.scalars(db.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(8))
        )
    elif user.role == Role.MANAGER:
        board.user_counts = {
            str(role): n
            for role, n in db.session.execute(
                db.select(User.role, sa.func.count())
                .where(User.active, User.campus_id == user.campus_id)
                .group_by(User.role)
            )
        }
    return board
