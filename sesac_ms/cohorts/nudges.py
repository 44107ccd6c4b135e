"""At-risk nudges: tell a trainee when the absences they can still afford reach 2, 1 and 0.

Meant for a daily cron (`flask --app sesac_ms attendance nudges`). For every running cohort
it reads the attendance figures (`attendance_figures.summaries`, one query a cohort), and
for each trainee still enrolled with class days to come, the thresholds their margin has
reached. A threshold is told once: its row in `attendance_nudges` (unique per trainee and
threshold) is inserted first, and only the run whose insert went in sends, so two runs at
once, or a run repeated the same day, tell nobody twice. A trainee who reached 1 and 0
since the last run hears once, of the lowest. The campus's managers get one digest per
cohort listing the trainees told in that run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..clock import today_in_seoul
from ..database import upsert_insert
from ..extensions import db
from ..links import external_url
from ..models import (
    AttendanceNudge,
    Cohort,
    CohortStatus,
    Enrollment,
    EnrollmentStatus,
    Role,
    User,
)
from ..notify.service import send_attendance_at_risk, send_attendance_digest
from .attendance_figures import summaries

THRESHOLDS = (2, 1, 0)


@dataclass
class NudgeRun:
    cohorts: int = 0
    trainees: int = 0  # trainees told this run
    digests: int = 0  # managers' digests queued


def _claim(enrollment_id: int, threshold: int) -> bool:
    """Record that a threshold is told; False when another run recorded it first."""
    insert = upsert_insert(db.session)
    statement = (
        insert(AttendanceNudge)
        .values(enrollment_id=enrollment_id, threshold=threshold)
        .on_conflict_do_nothing(index_elements=["enrollment_id", "threshold"])
        .returning(AttendanceNudge.id)
    )
    return bool(db.session.execute(statement).all())


def running_cohorts(today: date) -> list[Cohort]:
    return list(
        db.session.scalars(
            db.select(Cohort)
            .where(
                Cohort.status == CohortStatus.IN_PROGRESS,
                Cohort.start_on <= today,
                Cohort.end_on >= today,
            )
            .order_by(Cohort.id)
        )
    )


def send_nudges(today: date | None = None) -> NudgeRun:
    """Queue the nudges due today and the managers' digests; the caller commits."""
    today = today or today_in_seoul()
    run = NudgeRun()
    cohorts = running_cohorts(today)
    if not cohorts:
        return run
    cohort_ids = [c.id for c in cohorts]
    told = set(
        db.session.execute(
            db.select(AttendanceNudge.enrollment_id, AttendanceNudge.threshold)
            .join(Enrollment, Enrollment.id == AttendanceNudge.enrollment_id)
            .where(Enrollment.cohort_id.in_(cohort_ids))
        ).all()
    )
    trainees: dict[int, list[tuple[int, User]]] = {}
    for cohort_id, enrollment_id, user in db.session.execute(
        db.select(Enrollment.cohort_id, Enrollment.id, User)
        .join(User, User.id == Enrollment.user_id)
        .where(
            Enrollment.cohort_id.in_(cohort_ids),
            Enrollment.status == EnrollmentStatus.ENROLLED,
            User.active.is_(True),
        )
        .order_by(User.name, Enrollment.id)
    ):
        trainees.setdefault(cohort_id, []).append((enrollment_id, user))
    managers = _managers({c.course.campus_id for c in cohorts})
    link = external_url("cohorts.my_training")
    for cohort in cohorts:
        run.cohorts += 1
        figures = summaries(cohort)
        digest: list[tuple[str, int]] = []
        for enrollment_id, user in trainees.get(cohort.id, []):
            summary = figures.get(enrollment_id)
            if summary is None or not summary.days_left:
                continue
            new = [t for t in THRESHOLDS if summary.margin <= t and (enrollment_id, t) not in told]
            claimed = [t for t in new if _claim(enrollment_id, t)]
            if not claimed:
                continue
            send_attendance_at_risk(user, cohort, summary.margin, link=link)
            digest.append((user.name, summary.margin))
            run.trainees += 1
        if digest:
            roster_link = external_url("cohorts.roster_page", cohort_id=cohort.id)
            for manager in managers.get(cohort.course.campus_id, []):
                send_attendance_digest(manager, cohort, digest, link=roster_link)
                run.digests += 1
    return run


def _managers(campus_ids: set[int]) -> dict[int, list[User]]:
    found: dict[int, list[User]] = {}
    for manager in db.session.scalars(
        db.select(User)
        .where(
            User.role == Role.MANAGER,
            User.active.is_(True),
            User.campus_id.in_(campus_ids),
        )
        .order_by(User.id)
    ):
        found.setdefault(manager.campus_id, []).append(manager)
    return found
