"""Destroying a trainee: anonymised, not deleted, so the figures of past cohorts stay exact.

A trainee is due once their last cohort ended more than TRAINEE_RETENTION_YEARS ago (a
trainee account without any enrollment: once it was created that long ago). Destroying:

- the account: name "#<id>", e-mail "destroyed-<id>@destroyed.invalid", no phone, no
  password, closed (inactive, every session ended), no calendar link; its second factors,
  password links and log-in failure count deleted. Role and campus stay (the exam figures
  count per campus);
- their applications (documents, motivation, birth date, contact) and the evaluators'
  scores and comments on them: deleted;
- free text about them blanked: the note on their enrollment's status, their attendance
  notes, the summaries, staff notes, links and cancel reasons of their 1:1 sessions, the
  job title, salary band and evidence of their outcomes, the notes of retention checks
  and job referrals; their follow-ups and attendance nudges deleted.

What the reports count stays, without a name: enrollments (status, dates, deposit),
attendance marks, 1:1 sessions (kind, status, time, staff), outcomes (kind, date, company,
current or not), retention checks (result), referrals (company, status) and exam attempts.
So `cohort_employment` needs no rewrite and `flask report check` keeps passing; anonymising
rather than deleting enrollments and outcomes is what keeps the employment report of past
cohorts exact.

The access log and the audit log, which name the trainee, are pruned by their own
retention (ACCESS_LOG_RETENTION_DAYS, at least two years, shorter than this one); sent
messages by OUTBOX_RETENTION_DAYS.

Every statement is set-based on the same subquery of due trainees, so 35,000 of them cost
the same dozen statements as one. The account is anonymised last: until then the
subquery still finds every due trainee by their untouched e-mail address.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import (
    Application,
    ApplicationScore,
    Attendance,
    AttendanceNudge,
    CoachingSession,
    Cohort,
    DataRequest,
    Enrollment,
    FollowUp,
    LoginFailureCount,
    Outcome,
    Passkey,
    PasswordToken,
    RecoveryCode,
    Referral,
    RetentionCheck,
    Role,
    TotpCredential,
    User,
)
from ..reports import figures_cache
from .days import start_of_day

# Destroyed accounts keep a unique address in a reserved domain (RFC 2606) no mail reaches.
DESTROYED_DOMAIN = "destroyed.invalid"


def is_destroyed(email: str) -> bool:
    return email.endswith("@" + DESTROYED_DOMAIN)


def due_trainees(cutoff: date) -> sa.Select:
    """The ids of trainees not yet destroyed whose every cohort ended before `cutoff`.

    Aliased throughout, so the subquery stays itself inside an UPDATE of users or
    enrollments rather than correlating with the table being updated.
    """
    person = aliased(User, name="due_person")
    recent = aliased(Enrollment, name="recent_enrollment")
    recent_cohort = aliased(Cohort, name="recent_cohort")
    anything = aliased(Enrollment, name="any_enrollment")
    still_kept = (
        sa.select(recent.id)
        .join(recent_cohort, recent_cohort.id == recent.cohort_id)
        .where(recent.user_id == person.id, recent_cohort.end_on >= cutoff)
    )
    enrolled = sa.select(anything.id).where(anything.user_id == person.id)
    return sa.select(person.id).where(
        person.role == Role.TRAINEE,
        sa.not_(person.email.endswith("@" + DESTROYED_DOMAIN)),
        ~still_kept.exists(),
        sa.or_(enrolled.exists(), person.created_at < start_of_day(cutoff)),
    )


def count_trainees(cutoff: date) -> int:
    stmt = sa.select(sa.func.count()).select_from(due_trainees(cutoff).subquery())
    return int(db.session.scalar(stmt) or 0)


def _run(stmt: Any) -> None:
    db.session.execute(stmt.execution_options(synchronize_session=False))


def destroy_trainees(cutoff: date, today: date) -> int:
    """Anonymise every due trainee (see the module's docstring); returns how many. Flushes
    nothing through the ORM and commits nothing."""
    due = due_trainees(cutoff)
    count = count_trainees(cutoff)
    if not count:
        return 0
    enrollments = sa.select(Enrollment.id).where(Enrollment.user_id.in_(due))
    # Their applications: linked to the account, or to one of their enrollments.
    theirs = sa.or_(
        Application.user_id.in_(due),
        Application.id.in_(
            sa.select(Enrollment.application_id).where(
                Enrollment.user_id.in_(due), Enrollment.application_id.is_not(None)
            )
        ),
    )
    sessions = sa.select(CoachingSession.id).where(CoachingSession.trainee_id.in_(due))
    outcomes = sa.select(Outcome.id).where(Outcome.enrollment_id.in_(enrollments))

    # Applications with their scores; the enrollment's link to one is cleared by its foreign
    # key (ON DELETE SET NULL), as the deleting statement runs.
    _run(
        sa.delete(ApplicationScore).where(
            ApplicationScore.application_id.in_(sa.select(Application.id).where(theirs))
        )
    )
    # Their requests about their data, made as a trainee or as an applicant, go with them.
    _run(
        sa.delete(DataRequest).where(
            sa.or_(
                DataRequest.user_id.in_(due),
                DataRequest.application_id.in_(sa.select(Application.id).where(theirs)),
            )
        )
    )
    _run(sa.delete(Application).where(theirs))
    _run(
        sa.update(Enrollment)
        .where(Enrollment.user_id.in_(due), Enrollment.status_note != "")
        .values(status_note="")
    )

    # Free text about them; rows the reports count stay.
    _run(
        sa.update(Attendance)
        .where(Attendance.enrollment_id.in_(enrollments), Attendance.note != "")
        .values(note="")
    )
    _run(sa.delete(AttendanceNudge).where(AttendanceNudge.enrollment_id.in_(enrollments)))
    _run(sa.update(RetentionCheck).where(RetentionCheck.outcome_id.in_(outcomes)).values(note=""))
    _run(
        sa.update(Outcome)
        .where(Outcome.enrollment_id.in_(enrollments))
        .values(job_title=None, salary_band=None, evidence="")
    )
    _run(sa.update(Referral).where(Referral.enrollment_id.in_(enrollments)).values(note=""))
    _run(sa.delete(FollowUp).where(FollowUp.session_id.in_(sessions)))
    _run(
        sa.update(CoachingSession)
        .where(CoachingSession.trainee_id.in_(due))
        .values(summary="", staff_notes="", links="", cancel_reason=None)
    )

    # The account, last.
    for credential in (PasswordToken, TotpCredential, Passkey, RecoveryCode):
        _run(sa.delete(credential).where(credential.user_id.in_(due)))
    _run(
        sa.delete(LoginFailureCount).where(
            LoginFailureCount.email.in_(sa.select(User.email).where(User.id.in_(due)))
        )
    )
    id_text = sa.cast(User.id, sa.String)
    _run(
        sa.update(User)
        .where(User.id.in_(due))
        .values(
            name=sa.literal("#") + id_text,
            email=sa.literal("destroyed-") + id_text + sa.literal("@" + DESTROYED_DOMAIN),
            phone=None,
            password_hash=None,
            password_changed_at=None,
            active=False,
            session_version=User.session_version + 1,
            feed_nonce=None,
            feed_token_hash=None,
            last_login_at=None,
            notify_opt_out=True,
        )
    )
    # Past the ORM: the dashboards' counts of active accounts move (reports.figures_cache).
    figures_cache.raise_version(db.session.connection())
    return count
