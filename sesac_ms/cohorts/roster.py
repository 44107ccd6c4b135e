"""Roster use-cases: the class calendar, events, attendance, completion and deposits.

Attendance rate (rule, numbers set per cohort):
    (days attended, lates and early leaves included, − ⌊(lates + early leaves) / N⌋)
    ÷ days with attendance taken,
where an excused day (공가, with proof) counts as attended and N = lates_per_absence.
A day under half attended is marked absent. Figures are aggregated in SQL, so the
roster costs the same few queries however many trainees it shows.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

import holidays
import sqlalchemy as sa
from flask_babel import format_date, gettext, lazy_gettext

from .. import audit
from ..clock import SEOUL, today_in_seoul
from ..errors import Conflict, InvalidInput, Problems
from ..extensions import db
from ..models import (
    Attendance,
    AttendanceStatus,
    ClassDay,
    Cohort,
    CohortEvent,
    DepositStatus,
    DropReason,
    Enrollment,
    EnrollmentStatus,
    EventKind,
    MarkSource,
    User,
)
from ..models.audit import AccessAction
from .attendance_figures import (  # noqa: F401
    AttendanceSummary,
    flag_label,
    summaries,
    summary_of,
)

ATTENDED = (
    AttendanceStatus.PRESENT,
    AttendanceStatus.LATE,
    AttendanceStatus.LEFT_EARLY,
    AttendanceStatus.EXCUSED,
)
COMPLETED = (EnrollmentStatus.COMPLETED, EnrollmentStatus.EARLY_EMPLOYED)


# --- calendar -------------------------------------------------------------------------


def korean_holidays(start: date, end: date, locale: str = "ko") -> dict[date, str]:
    """Korean public holidays between the dates (the `holidays` package), named in the
    locale's language (the package names them in Korean and in American English)."""
    return dict(_holidays(start, end, "en_US" if locale == "en" else "ko"))


@lru_cache(maxsize=256)
def _holidays(start: date, end: date, language: str) -> tuple[tuple[date, str], ...]:
    """Kept per span and language: the package works the year's dates out on every call."""
    years = range(start.year, end.year + 1)
    return tuple(
        (day, name)
        for day, name in holidays.country_holidays("KR", years=years, language=language).items()
        if start <= day <= end
    )


def planned_days(cohort: Cohort) -> list[date]:
    """Weekdays of the cohort's pattern between its dates, public holidays left out."""
    weekdays = {int(ch) for ch in cohort.class_weekdays if ch.isdigit()}
    off = korean_holidays(cohort.start_on, cohort.end_on)
    days, day = [], cohort.start_on
    while day <= cohort.end_on:
        if day.weekday() in weekdays and day not in off:
            days.append(day)
        day += timedelta(days=1)
    return days


def generate_class_days(actor: User, cohort: Cohort) -> tuple[int, int]:
    """Create the missing generated days; drop generated days no longer planned and unused.

    Days added by hand and days with attendance are kept. Returns (added, removed).
    """
    planned = set(planned_days(cohort))
    existing = {
        d.day: d
        for d in db.session.scalars(db.select(ClassDay).where(ClassDay.cohort_id == cohort.id))
    }
    used = set(
        db.session.scalars(
            db.select(ClassDay.day)
            .join(Attendance, Attendance.class_day_id == ClassDay.id)
            .where(ClassDay.cohort_id == cohort.id)
            .distinct()
        )
    )
    added = 0
    for day in sorted(planned - existing.keys()):
        db.session.add(ClassDay(cohort_id=cohort.id, day=day))
        added += 1
    removed = 0
    for day, class_day in existing.items():
        if day not in planned and not class_day.added_by_hand and day not in used:
            db.session.delete(class_day)
            removed += 1
    if added or removed:
        audit.record(
            actor,
            "calendar.generated",
            cohort,
            {"added": added, "removed": removed},
            label=cohort.label(),
            campus_id=cohort.campus_id,
        )
    return added, removed


def check_rules(
    *,
    class_weekdays: str | None,
    class_starts_at: time | None,
    class_ends_at: time | None,
    lates_per_absence: int | None,
    completion_threshold: int | None,
    deposit_amount: int | None,
    grace_minutes: int | None = None,
) -> str:
    """The weekdays as stored, or every problem of the roster rules at once, changing nothing.

    None: the field did not parse (the form says so); its rule is skipped.
    """
    problems = Problems()
    weekdays = ""
    if class_weekdays is not None:
        weekdays = "".join(sorted({ch for ch in class_weekdays if ch in "0123456"}))
        if not weekdays or any(ch not in "0123456, " for ch in class_weekdays):
            problems.add(
                gettext("Class weekdays are digits 0 (Monday) to 6 (Sunday), e.g. 01234."),
                "class_weekdays",
            )
    if class_starts_at and class_ends_at and class_starts_at >= class_ends_at:
        problems.add(gettext("Class must end after it starts."), "class_ends_at")
    if lates_per_absence is not None and not 1 <= lates_per_absence <= 10:
        problems.add(gettext("Between 1 and 10."), "lates_per_absence")
    if grace_minutes is not None and not 0 <= grace_minutes <= 120:
        problems.add(gettext("Between 0 and 120."), "grace_minutes")
    if completion_threshold is not None and not 1 <= completion_threshold <= 100:
        problems.add(gettext("Between 1 and 100."), "completion_threshold")
    if deposit_amount is not None and deposit_amount < 0:
        problems.add(gettext("The deposit cannot be negative."), "deposit_amount")
    problems.raise_any()
    return weekdays


def update_rules(
    actor: User,
    cohort: Cohort,
    *,
    class_weekdays: str,
    class_starts_at: time,
    class_ends_at: time,
    lates_per_absence: int,
    completion_threshold: int,
    deposit_amount: int,
    grace_minutes: int | None = None,
) -> None:
    """The cohort's weekly pattern, class hours, attendance rule numbers and deposit."""
    weekdays = check_rules(
        class_weekdays=class_weekdays,
        class_starts_at=class_starts_at,
        class_ends_at=class_ends_at,
        lates_per_absence=lates_per_absence,
        completion_threshold=completion_threshold,
        deposit_amount=deposit_amount,
        grace_minutes=grace_minutes,
    )
    if grace_minutes is None:
        grace_minutes = cohort.grace_minutes
    changes = audit.apply_changes(
        cohort,
        {
            "class_weekdays": weekdays,
            "class_starts_at": class_starts_at,
            "class_ends_at": class_ends_at,
            "lates_per_absence": lates_per_absence,
            "grace_minutes": grace_minutes,
            "completion_threshold": completion_threshold,
            "deposit_amount": deposit_amount,
        },
    )
    if changes:
        audit.record(
            actor,
            "cohort.roster_rules",
            cohort,
            changes,
            label=cohort.label(),
            campus_id=cohort.campus_id,
        )


def _check_in_cohort(cohort: Cohort, day: date | None, field_name: str = "day") -> date:
    if day is None:
        raise InvalidInput(gettext("Enter a date."), field_name)
    if not cohort.start_on <= day <= cohort.end_on:
        raise InvalidInput(
            gettext(
                "%(day)s is outside the cohort (%(start)s – %(end)s).",
                day=format_date(day),
                start=format_date(cohort.start_on),
                end=format_date(cohort.end_on),
            ),
            field_name,
        )
    return day


def check_class_day(cohort: Cohort, day: date | None) -> ClassDay | None:
    """The cancelled day to bring back (or None), or why the day cannot be added."""
    day = _check_in_cohort(cohort, day)
    class_day = db.session.scalar(
        db.select(ClassDay).where(ClassDay.cohort_id == cohort.id, ClassDay.day == day)
    )
    if class_day is not None and not class_day.cancelled:
        raise Conflict(gettext("%(day)s is already a class day.", day=format_date(day)), "day")
    return class_day


def add_class_day(actor: User, cohort: Cohort, day: date | None, note: str = "") -> ClassDay:
    class_day = check_class_day(cohort, day)
    assert day is not None
    if class_day is None:
        class_day = ClassDay(cohort_id=cohort.id, day=day, added_by_hand=True)
        db.session.add(class_day)
    class_day.cancelled = False
    class_day.note = note.strip()[:200]
    db.session.flush()
    audit.record(
        actor,
        "calendar.day_added",
        cohort,
        {"day": [None, day], "note": note},
        label=cohort.label(),
        campus_id=cohort.campus_id,
    )
    return class_day


def cancel_class_day(actor: User, class_day: ClassDay, note: str = "") -> None:
    if class_day.cancelled:
        raise Conflict(gettext("This day is already cancelled."))
    class_day.cancelled = True
    class_day.note = note.strip()[:200]
    cohort = db.session.get(Cohort, class_day.cohort_id)
    audit.record(
        actor,
        "calendar.day_cancelled",
        cohort,
        {"day": [class_day.day, None], "note": note},
        label=cohort.label(),
        campus_id=cohort.campus_id,
    )


def class_days(cohort: Cohort, *, include_cancelled: bool = True) -> list[ClassDay]:
    stmt = db.select(ClassDay).where(ClassDay.cohort_id == cohort.id).order_by(ClassDay.day)
    if not include_cancelled:
        stmt = stmt.where(ClassDay.cancelled.is_(False))
    return list(db.session.scalars(stmt))


def events(cohort: Cohort) -> list[CohortEvent]:
    return list(
        db.session.scalars(
            db.select(CohortEvent)
            .where(CohortEvent.cohort_id == cohort.id)
            .order_by(CohortEvent.starts_at)
        )
    )


def check_event(
    cohort: Cohort,
    *,
    kind: EventKind | str | None,
    title: str | None,
    starts_at: datetime | None,
    ends_at: datetime | None,
) -> EventKind:
    """The event's kind, or every problem of a new event at once, changing nothing."""
    problems = Problems()
    chosen = None
    try:
        chosen = EventKind(kind)
    except ValueError:
        problems.add(gettext("Choose the kind of event."), "kind")
    if not " ".join((title or "").split()):
        problems.add(gettext("Enter the event's title."), "title")
    if starts_at is not None:
        with problems.check():
            _check_in_cohort(cohort, starts_at.astimezone(SEOUL).date(), "starts_at")
    if starts_at is None or ends_at is None or ends_at <= starts_at:
        problems.add(gettext("The event must end after it starts."), "ends_at")
    problems.raise_any()
    assert chosen is not None
    return chosen


def create_event(
    actor: User,
    cohort: Cohort,
    *,
    kind: EventKind | str,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    place: str = "",
    description: str = "",
) -> CohortEvent:
    kind = check_event(cohort, kind=kind, title=title, starts_at=starts_at, ends_at=ends_at)
    title = " ".join((title or "").split())
    event = CohortEvent(
        cohort_id=cohort.id,
        kind=kind,
        title=title[:200],
        starts_at=starts_at,
        ends_at=ends_at,
        place=(place or "").strip()[:300],
        description=(description or "").strip(),
    )
    db.session.add(event)
    db.session.flush()
    audit.record(
        actor,
        "calendar.event_created",
        event,
        {"kind": [None, kind], "title": [None, title], "starts_at": [None, starts_at]},
        label=cohort.label(),
        campus_id=cohort.campus_id,
    )
    return event


def delete_event(actor: User, event: CohortEvent) -> None:
    cohort = db.session.get(Cohort, event.cohort_id)
    audit.record(
        actor,
        "calendar.event_deleted",
        event,
        {"title": [event.title, None]},
        label=cohort.label(),
        campus_id=cohort.campus_id,
    )
    db.session.delete(event)


# --- attendance -----------------------------------------------------------------------


def roster(cohort: Cohort) -> list[Enrollment]:
    return list(
        db.session.scalars(
            db.select(Enrollment)
            .join(Enrollment.user)
            .where(Enrollment.cohort_id == cohort.id)
            .order_by(User.name, Enrollment.id)
        )
    )


def sheet(cohort: Cohort, class_day: ClassDay) -> list[tuple[Enrollment, Attendance | None]]:
    """The trainees to mark on a day, with what is already recorded.

    Someone who has left is still listed for days up to the day they left, as
    `record_attendance` lets those days be marked.
    """
    rows = db.session.execute(
        db.select(Enrollment, Attendance)
        .join(Enrollment.user)
        .outerjoin(
            Attendance,
            sa.and_(
                Attendance.enrollment_id == Enrollment.id, Attendance.class_day_id == class_day.id
            ),
        )
        .where(Enrollment.cohort_id == cohort.id)
        .order_by(User.name, Enrollment.id)
    ).all()
    return [
        (enrollment, record)
        for enrollment, record in rows
        if enrollment.status == EnrollmentStatus.ENROLLED
        or record is not None
        or (enrollment.status_on is not None and enrollment.status_on >= class_day.day)
    ]


def record_attendance(
    actor: User, cohort: Cohort, class_day: ClassDay, marks: dict[int, tuple[str, str]]
) -> int:
    """Mark several trainees for one class day at once; returns how many records changed."""
    if class_day.cohort_id != cohort.id:
        raise InvalidInput(gettext("This day is not on the cohort's calendar."))
    if class_day.cancelled:
        raise Conflict(gettext("Class on %(day)s is cancelled.", day=format_date(class_day.day)))
    if class_day.day > today_in_seoul():
        raise InvalidInput(
            gettext(
                "Attendance for %(day)s can be taken on that day, not before.",
                day=format_date(class_day.day),
            )
        )
    enrollments = {
        e.id: e
        for e in db.session.scalars(
            db.select(Enrollment).where(
                Enrollment.cohort_id == cohort.id, Enrollment.id.in_(list(marks))
            )
        )
    }
    existing = {
        a.enrollment_id: a
        for a in db.session.scalars(
            db.select(Attendance).where(
                Attendance.class_day_id == class_day.id, Attendance.enrollment_id.in_(list(marks))
            )
        )
    }
    changes: dict[str, Any] = {}
    problems = Problems()
    for enrollment_id, (raw_status, note) in marks.items():
        enrollment = enrollments.get(enrollment_id)
        if enrollment is None:
            raise InvalidInput(gettext("A trainee on the form is not on this cohort's roster."))
        try:
            status = AttendanceStatus(raw_status)
        except ValueError:
            raise InvalidInput(
                gettext("“%(value)s” is not an attendance status.", value=raw_status)
            ) from None
        ended = enrollment.status != EnrollmentStatus.ENROLLED and (
            enrollment.status_on is None or enrollment.status_on < class_day.day
        )
        if ended:
            raise Conflict(
                gettext(
                    "%(name)s is no longer on the roster (%(status)s) and cannot be marked.",
                    name=enrollment.user.name,
                    status=enrollment_status_label(enrollment.status),
                )
            )
        record = existing.get(enrollment_id)
        note = (note or "").strip()[:200]
        if record is None:
            db.session.add(
                Attendance(
                    enrollment_id=enrollment_id,
                    class_day_id=class_day.id,
                    status=status,
                    note=note,
                    recorded_by_id=actor.id,
                )
            )
            changes[enrollment.user.name] = [None, status]
        elif record.status != status or record.note != note:
            if record.status != status and record.source == MarkSource.CHECK_IN:
                # The sheet is the authority over check-in times, with a reason on record.
                if not note or note == record.note:
                    problems.add(
                        gettext(
                            "Say why you change %(name)s's mark made from check-in times.",
                            name=enrollment.user.name,
                        ),
                        f"note-{enrollment_id}",
                    )
                    continue
                record.source = MarkSource.MANUAL
            changes[enrollment.user.name] = [record.status, status]
            record.status, record.note, record.recorded_by_id = status, note, actor.id
    problems.raise_any()
    if changes:
        audit.record(
            actor,
            "attendance.recorded",
            cohort,
            changes,
            label=f"{cohort.label()} {class_day.day.isoformat()}",
            campus_id=cohort.campus_id,
        )
    return len(changes)


# --- completion and deposits ----------------------------------------------------------


def set_status(
    actor: User,
    enrollment: Enrollment,
    status: EnrollmentStatus | str,
    *,
    on: date | None,
    drop_reason: str | None = None,
    note: str = "",
    rate: float | None = None,
) -> None:
    """Complete, complete by early employment, drop (date and reason) or expel a trainee.

    Completion below the threshold needs a written override in `note`; the rate is the
    trainee's current one unless the caller passes it. Raises InvalidInput.
    """
    cohort = enrollment.cohort
    try:
        status = EnrollmentStatus(status)
    except ValueError:
        raise InvalidInput(
            gettext("“%(value)s” is not a trainee status.", value=status), "status"
        ) from None
    note = (note or "").strip()
    reason = None
    on = _check_in_cohort(cohort, on, "on") if status != EnrollmentStatus.ENROLLED else None
    if status == EnrollmentStatus.COMPLETED and rate is None:  # callers other than the page
        summary = summary_of(enrollment)
        rate = summary.rate if summary else None
    below = rate is None or rate < cohort.completion_threshold
    if status == EnrollmentStatus.COMPLETED and below and not note:
        raise InvalidInput(
            gettext(
                "Attendance is %(rate)s, under %(threshold)d%%: write why "
                "completion is granted anyway.",
                rate="—" if rate is None else f"{rate:.1f}%",
                threshold=cohort.completion_threshold,
            ),
            "note",
        )
    if status == EnrollmentStatus.DROPPED:
        try:
            reason = DropReason(drop_reason or "")
        except ValueError:
            raise InvalidInput(
                gettext("Choose why the trainee dropped out."), "drop_reason"
            ) from None
    if status == EnrollmentStatus.EXPELLED and not note:
        raise InvalidInput(gettext("Write why the trainee is expelled."), "note")
    changes = audit.apply_changes(
        enrollment, {"status": status, "status_on": on, "drop_reason": reason, "status_note": note}
    )
    if changes:
        audit.record(
            actor,
            "roster.status_changed",
            enrollment,
            changes,
            label=f"{enrollment.user.name} <{enrollment.user.email}>",
            campus_id=cohort.campus_id,
        )


def check_deposit(enrollment: Enrollment, action: str | None, on: date | None) -> DepositStatus:
    """The deposit's new state, or every problem of the change at once, changing nothing."""
    problems = Problems()
    if not enrollment.cohort.deposit_amount:
        problems.add_error(Conflict(gettext("This cohort asks no deposit.")))
    if on is None:
        problems.add(gettext("Enter the date."), "on")
    transitions = {
        "paid": ((DepositStatus.DUE, DepositStatus.NOT_REQUIRED), DepositStatus.PAID),
        "refunded": ((DepositStatus.PAID,), DepositStatus.REFUNDED),
        "forfeited": ((DepositStatus.PAID,), DepositStatus.FORFEITED),
    }
    to = None
    if action not in transitions:
        problems.add(gettext("Unknown deposit action."), "action")
    else:
        allowed, to = transitions[action]
        if enrollment.deposit_status not in allowed:
            problems.add_error(
                Conflict(
                    gettext(
                        "The deposit is “%(status)s”; it cannot be marked “%(to)s”.",
                        status=deposit_label(enrollment.deposit_status),
                        to=deposit_label(to),
                    ),
                    "action",
                )
            )
        elif to == DepositStatus.REFUNDED and enrollment.status not in COMPLETED:
            problems.add_error(
                Conflict(gettext("A deposit is returned on completion only."), "action")
            )
    problems.raise_any()
    assert to is not None
    return to


def record_deposit(actor: User, enrollment: Enrollment, action: str, on: date | None) -> None:
    """Paid, refunded (on completion) or forfeited, with its date."""
    cohort = enrollment.cohort
    to = check_deposit(enrollment, action, on)
    values: dict[str, Any] = {"deposit_status": to}
    values["deposit_paid_on" if to == DepositStatus.PAID else "deposit_settled_on"] = on
    changes = audit.apply_changes(enrollment, values)
    audit.record(
        actor,
        "roster.deposit",
        enrollment,
        changes,
        label=f"{enrollment.user.name} <{enrollment.user.email}>",
        campus_id=cohort.campus_id,
    )


def refunds_due(cohort: Cohort) -> list[Enrollment]:
    """Completed trainees whose paid deposit has not been returned yet."""
    return list(
        db.session.scalars(
            db.select(Enrollment)
            .join(Enrollment.user)
            .where(
                Enrollment.cohort_id == cohort.id,
                Enrollment.status.in_(COMPLETED),
                Enrollment.deposit_status == DepositStatus.PAID,
            )
            .order_by(User.name)
        )
    )


# --- export ---------------------------------------------------------------------------


# --- labels ---------------------------------------------------------------------------


# One message per value, translated when shown: a label costs one look-up, not five.
_ENROLLMENT_STATUS = {
    EnrollmentStatus.ENROLLED: lazy_gettext("In training"),
    EnrollmentStatus.COMPLETED: lazy_gettext("Completed"),
    EnrollmentStatus.EARLY_EMPLOYED: lazy_gettext("Completed by early employment"),
    EnrollmentStatus.DROPPED: lazy_gettext("Dropped out"),
    EnrollmentStatus.EXPELLED: lazy_gettext("Expelled"),
}
_ATTENDANCE = {
    AttendanceStatus.PRESENT: lazy_gettext("Present"),
    AttendanceStatus.LATE: lazy_gettext("Late"),
    AttendanceStatus.LEFT_EARLY: lazy_gettext("Left early"),
    AttendanceStatus.ABSENT: lazy_gettext("Absent"),
    AttendanceStatus.EXCUSED: lazy_gettext("Excused"),
}
_DEPOSIT = {
    DepositStatus.NOT_REQUIRED: lazy_gettext("None"),
    DepositStatus.DUE: lazy_gettext("Due"),
    DepositStatus.PAID: lazy_gettext("Paid"),
    DepositStatus.REFUNDED: lazy_gettext("Refunded"),
    DepositStatus.FORFEITED: lazy_gettext("Forfeited"),
}
_DROP_REASON = {
    DropReason.PERSONAL: lazy_gettext("Personal"),
    DropReason.HEALTH: lazy_gettext("Health"),
    DropReason.ABSENCE: lazy_gettext("Absence"),
    DropReason.OTHER: lazy_gettext("Other"),
}
_EVENT_KIND = {
    EventKind.SPECIAL_LECTURE: lazy_gettext("HR special lecture"),
    EventKind.COMPANY_VISIT: lazy_gettext("Company visit"),
    EventKind.HACKATHON: lazy_gettext("Hackathon"),
    EventKind.COMPETITION: lazy_gettext("Competition"),
    EventKind.JOB_FAIR: lazy_gettext("Job fair"),
    EventKind.MATCHING_DAY: lazy_gettext("Matching day"),
    EventKind.OTHER: lazy_gettext("Other"),
}


def enrollment_status_label(status: EnrollmentStatus | str) -> str:
    return str(_ENROLLMENT_STATUS[EnrollmentStatus(status)])


def attendance_label(status: AttendanceStatus | str) -> str:
    return str(_ATTENDANCE[AttendanceStatus(status)])


def deposit_label(status: DepositStatus | str) -> str:
    return str(_DEPOSIT[DepositStatus(status)])


def drop_reason_label(reason: DropReason | str) -> str:
    return str(_DROP_REASON[DropReason(reason)])


def event_kind_label(kind: EventKind | str) -> str:
    return str(_EVENT_KIND[EventKind(kind)])


def trainee_enrollments(user: User) -> list[Enrollment]:
    return list(
        db.session.scalars(
            db.select(Enrollment)
            .where(Enrollment.user_id == user.id)
            .order_by(Enrollment.enrolled_at.desc())
        )
    )


def trainee_attendance(enrollment: Enrollment) -> list[tuple[ClassDay, Attendance | None]]:
    return [
        (day, record)
        for day, record in db.session.execute(
            db.select(ClassDay, Attendance)
            .outerjoin(
                Attendance,
                sa.and_(
                    Attendance.class_day_id == ClassDay.id,
                    Attendance.enrollment_id == enrollment.id,
                ),
            )
            .where(ClassDay.cohort_id == enrollment.cohort_id)
            .order_by(ClassDay.day)
        ).all()
    ]


def log_trainee_view(actor: User, enrollment: Enrollment) -> None:
    audit.record_access(
        actor,
        AccessAction.VIEW,
        f"{enrollment.user.name} <{enrollment.user.email}>",
        subject=enrollment,
        page="cohorts.trainee",
    )
