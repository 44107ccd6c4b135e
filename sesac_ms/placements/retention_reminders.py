"""Retention checks due: ask a graduate how their job is going 6 and 12 months after it
started, and tell the cohort's coordinators that the check is due.

Meant for a daily cron (`flask --app sesac_ms placements retention-reminders`). A check is
due for a job (the enrollment's current outcome, of kind employed; an earlier outcome kept
as history does not count) on the same day 6 or 12 months after `outcome_on`, the month's
last day when that month is shorter. It is told on that day or, should the cron miss a day,
up to CATCH_UP_DAYS later; not when the check is already recorded, nor to a closed account.
Each (outcome, months) is told once: its row in `retention_reminders` is inserted first
(INSERT … ON CONFLICT DO NOTHING … RETURNING), and only the run whose insert went in sends,
so two runs at once, or a run repeated the same day, tell nobody twice. Each coordinator of
the cohorts concerned (cohort_staff, role coordinator) gets one digest per run listing the
graduates told in it.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from .. import notify
from ..clock import today_in_seoul
from ..database import upsert_insert
from ..extensions import db
from ..links import external_url
from ..models import (
    CohortStaff,
    Enrollment,
    Outcome,
    OutcomeKind,
    RetentionCheck,
    RetentionReminder,
    StaffRole,
    User,
)
from ..models.types import utcnow
from ..webhooks import events as webhooks

MONTHS = (6, 12)
# A check whose day passed at most this many days ago is still told (a missed cron day,
# a long weekend); one older than that is left to the coordinators' own lists.
CATCH_UP_DAYS = 7


@dataclass
class RetentionRun:
    graduates: int = 0  # (outcome, months) told this run
    digests: int = 0  # coordinators' digests queued


@dataclass(frozen=True)
class DueCheck:
    outcome: Outcome
    months: int
    due_on: date


def months_after(day: date, months: int) -> date:
    """The same day `months` later (or earlier, when negative); the month's last day when
    it is shorter (31 August + 6 months: the end of February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def retention_due_on(outcome: Outcome, months: int) -> date:
    return months_after(outcome.outcome_on, months)


def due_checks(today: date) -> list[DueCheck]:
    """The retention checks due today or in the last CATCH_UP_DAYS, not recorded and not
    told yet, of current job outcomes of active accounts; three queries in all."""
    earliest = today - timedelta(days=CATCH_UP_DAYS)
    # The start dates whose check day may fall in [earliest, today], with a few days to
    # spare for short months; the exact day is compared below.
    starts = [
        Outcome.outcome_on.between(
            months_after(earliest, -months) - timedelta(days=3),
            months_after(today, -months) + timedelta(days=3),
        )
        for months in MONTHS
    ]
    outcomes = list(
        db.session.scalars(
            db.select(Outcome)
            .join(Enrollment, Enrollment.id == Outcome.enrollment_id)
            .join(User, User.id == Enrollment.user_id)
            .where(
                Outcome.kind == OutcomeKind.EMPLOYED,
                Outcome.is_current,  # the current outcome, as placements.services has it
                User.active.is_(True),
                sa.or_(*starts),
            )
            .order_by(Outcome.outcome_on, Outcome.id)
        )
    )
    due = [
        DueCheck(outcome, months, retention_due_on(outcome, months))
        for outcome in outcomes
        for months in MONTHS
        if earliest <= retention_due_on(outcome, months) <= today
    ]
    if not due:
        return []
    ids = {check.outcome.id for check in due}
    done = set(
        db.session.execute(
            db.select(RetentionCheck.outcome_id, RetentionCheck.months).where(
                RetentionCheck.outcome_id.in_(ids)
            )
        ).all()
    )
    told = set(
        db.session.execute(
            db.select(RetentionReminder.outcome_id, RetentionReminder.months).where(
                RetentionReminder.outcome_id.in_(ids)
            )
        ).all()
    )
    return [c for c in due if (c.outcome.id, c.months) not in done | told]


def _claim(outcome_id: int, months: int) -> bool:
    """Record that the check is told; False when another run recorded it first."""
    insert = upsert_insert(db.session)
    statement = (
        insert(RetentionReminder)
        .values(outcome_id=outcome_id, months=months, sent_at=utcnow())
        .on_conflict_do_nothing(index_elements=["outcome_id", "months"])
        .returning(RetentionReminder.id)
    )
    return bool(db.session.execute(statement).all())


def _coordinators(cohort_ids: set[int]) -> dict[int, list[User]]:
    """The active coordinators of each cohort, by cohort id."""
    found: dict[int, list[User]] = {}
    for cohort_id, user in db.session.execute(
        db.select(CohortStaff.cohort_id, User)
        .join(User, User.id == CohortStaff.user_id)
        .where(
            CohortStaff.cohort_id.in_(cohort_ids),
            CohortStaff.role == StaffRole.COORDINATOR,
            User.active.is_(True),
        )
        .order_by(User.id)
    ):
        found.setdefault(cohort_id, []).append(user)
    return found


def _graduate(outcome: Outcome) -> str:
    """A digest line's graduate: "name (company)"."""
    name = outcome.enrollment.user.name
    return f"{name} ({outcome.company})" if outcome.company else name


def send_retention_reminders(today: date | None = None) -> RetentionRun:
    """Queue the `retention_check` messages due (each (outcome, months) once) and one
    `retention_checks_due` digest per coordinator of the cohorts concerned; the caller
    commits."""
    today = today or today_in_seoul()
    run = RetentionRun()
    told: list[DueCheck] = []
    for check in due_checks(today):
        if not _claim(check.outcome.id, check.months):
            continue
        enrollment = check.outcome.enrollment
        notify.send(
            enrollment.user,
            "retention_check",
            months=check.months,
            company=check.outcome.company or "",
            link=external_url("cohorts.my_training", enrollment=enrollment.id),
        )
        webhooks.emit(
            "retention_check.due",
            enrollment.cohort.campus_id,
            "outcome",
            check.outcome.id,
            {"months": check.months, "due_on": check.due_on.isoformat()},
        )
        told.append(check)
        run.graduates += 1
    if not told:
        return run
    coordinators = _coordinators({c.outcome.enrollment.cohort_id for c in told})
    digests: dict[int, tuple[User, list[DueCheck]]] = {}
    for check in told:
        for user in coordinators.get(check.outcome.enrollment.cohort_id, []):
            digests.setdefault(user.id, (user, []))[1].append(check)
    for user, checks in digests.values():
        cohort_ids = {c.outcome.enrollment.cohort_id for c in checks}
        link = (
            external_url("placements.index", cohort_id=cohort_ids.pop())
            if len(cohort_ids) == 1
            else external_url("placements.index")
        )
        graduates = [(_graduate(c.outcome), c.months) for c in checks]
        notify.send(user, "retention_checks_due", trainees=graduates, link=link)
        run.digests += 1
    return run
