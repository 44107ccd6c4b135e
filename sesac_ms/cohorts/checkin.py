"""Self check-in by a rotating code: the classroom screen shows it, trainees' phones send it.

Every 30 seconds (a *step*) the screen of a class day shows a new QR code and a 6-digit
code, both HMACs of the cohort, the day and the step under a key derived from the app's
SECRET_KEY, so nothing is stored per code and every worker computes the same codes. The
QR code carries a longer token (16 characters) in a link to the trainee's check-in page;
the 6 digits are for typing when the camera will not do.

A code is accepted for its own step and the one before (a trainee who scanned just
before the change still gets in), only from a trainee enrolled in that cohort, on that
day. Each trainee checks in once and out once a day: the writes are an INSERT … ON
CONFLICT DO NOTHING (one row per trainee and day, by the unique constraint) and an UPDATE
… WHERE arrived_at/left_at IS NULL, so forty phones sending at once lose nothing and
double nothing, whichever worker takes each.

The times make the mark (`attendance_times.mark_from_times`) until a manager sets the
mark by hand on the sheet: from then on the sheet is the authority and check-ins only
add their times.
"""

from __future__ import annotations

import hashlib
import hmac
from base64 import b32encode
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import format_time, gettext

from .. import audit
from ..clock import SEOUL
from ..database import upsert_insert
from ..errors import Conflict, InvalidInput
from ..extensions import db
from ..models import (
    Attendance,
    ClassDay,
    Cohort,
    Enrollment,
    EnrollmentStatus,
    MarkSource,
    User,
)
from ..models.types import utcnow
from . import attendance_versions
from .attendance_times import class_hours, mark_from_times

STEP_SECONDS = 30
# Steps back a code is still accepted (its own and the one before), and further back
# a code is recognised as expired rather than unknown (for the message).
ACCEPTED_STEPS = 2
RECOGNISED_STEPS = 40  # 20 minutes
# The screen and check-in open this long before class and close this long after it.
OPENS_BEFORE_MINUTES = 60
CLOSES_AFTER_MINUTES = 120

IN, OUT = "in", "out"


def clock_now() -> datetime:
    """The current time (UTC): the one seam a test moves to fix the clock."""
    return utcnow()


def seoul_today() -> date:
    return clock_now().astimezone(SEOUL).date()


def _key() -> bytes:
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(secret, b"sesac-ms check-in codes", hashlib.sha256).digest()


def step_of(moment: datetime) -> int:
    return int(moment.timestamp() // STEP_SECONDS)


def _mac(cohort_id: int, day: date, step: int) -> bytes:
    message = f"{cohort_id}:{day.isoformat()}:{step}".encode()
    return hmac.new(_key(), message, hashlib.sha256).digest()


def code_for(cohort_id: int, day: date, step: int) -> str:
    """The 6-digit code typed by hand."""
    number = int.from_bytes(_mac(cohort_id, day, step)[:8], "big") % 1_000_000
    return f"{number:06d}"


def token_for(cohort_id: int, day: date, step: int) -> str:
    """The token in the QR code's link (80 bits, base32 without padding)."""
    return b32encode(_mac(cohort_id, day, step)[8:18]).decode().rstrip("=")


@dataclass(frozen=True)
class ScreenCode:
    code: str
    token: str
    step: int
    seconds_left: int


def screen_code(cohort: Cohort, day: date, now: datetime | None = None) -> ScreenCode:
    now = now or clock_now()
    step = step_of(now)
    left = STEP_SECONDS - int(now.timestamp() % STEP_SECONDS)
    return ScreenCode(code_for(cohort.id, day, step), token_for(cohort.id, day, step), step, left)


def is_open(cohort: Cohort, day: date, now: datetime) -> bool:
    """Whether check-in is open at `now` for a class day (an hour before to two after)."""
    starts, ends = class_hours(cohort, day)
    opens = starts.timestamp() - OPENS_BEFORE_MINUTES * 60
    closes = ends.timestamp() + CLOSES_AFTER_MINUTES * 60
    return opens <= now.timestamp() <= closes


def _matches(cohort_id: int, day: date, given: str, step: int) -> bool:
    given = given.strip().upper()
    if given.isdigit():
        expected = code_for(cohort_id, day, step)
    else:
        expected = token_for(cohort_id, day, step)
    return hmac.compare_digest(given.encode(), expected.encode())


def _age_in_steps(cohort_id: int, day: date, given: str, now: datetime) -> int | None:
    """How many steps old the code is (0 = current), or None when it is no code of the day."""
    current = step_of(now)
    for age in range(RECOGNISED_STEPS):
        if _matches(cohort_id, day, given, current - age):
            return age
    return None


@dataclass(frozen=True)
class Today:
    """A trainee's class today: what they may check in to."""

    enrollment_id: int
    cohort: Cohort
    class_day: ClassDay


def todays_classes(trainee: User, today: date) -> list[Today]:
    """The trainee's cohorts with class today (enrolled, day not cancelled)."""
    rows = db.session.execute(
        db.select(Enrollment.id, Cohort, ClassDay)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .join(ClassDay, ClassDay.cohort_id == Cohort.id)
        .where(
            Enrollment.user_id == trainee.id,
            Enrollment.status == EnrollmentStatus.ENROLLED,
            ClassDay.day == today,
            ClassDay.cancelled.is_(False),
        )
        .order_by(Cohort.id)
    ).all()
    return [Today(enrollment_id, cohort, class_day) for enrollment_id, cohort, class_day in rows]


@dataclass(frozen=True)
class CheckedIn:
    direction: str
    at: datetime
    cohort: Cohort


def _find_class(trainee: User, code: str, now: datetime, cohort_id: int | None) -> Today:
    """The class today whose current code this is, or a refusal saying plainly why not."""
    today = now.astimezone(SEOUL).date()
    code = (code or "").strip().replace(" ", "").replace("-", "")
    if not code:
        raise InvalidInput(gettext("Enter the 6-digit code on the classroom screen."), "code")
    if code.isdigit() and len(code) != 6:
        raise InvalidInput(gettext("The code has 6 digits."), "code")
    classes = todays_classes(trainee, today)
    if cohort_id is not None:
        classes = [c for c in classes if c.cohort.id == cohort_id]
    if not classes:
        raise Conflict(gettext("You have no class to check in to today."), "code")
    expired = False
    for candidate in classes:
        age = _age_in_steps(candidate.cohort.id, today, code, now)
        if age is None:
            continue
        if age >= ACCEPTED_STEPS:
            expired = True
            continue
        if not is_open(candidate.cohort, today, now):
            raise Conflict(gettext("Check-in for today's class is closed."), "code")
        return candidate
    if expired:
        raise Conflict(
            gettext("This code has expired. Use the code on the screen now."),
            "code",
        )
    raise InvalidInput(
        gettext("This code is not your class's code for today. Check the number on the screen."),
        "code",
    )


def _insert_ignoring_duplicate(values: dict) -> int:
    """INSERT the day's row unless it exists (either database); returns rows inserted."""
    insert = upsert_insert(db.session)
    statement = (
        insert(Attendance)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["enrollment_id", "class_day_id"])
        .returning(Attendance.id)
    )
    # RETURNING, not rowcount: through the ORM, rowcount of an INSERT is not reliable.
    return len(db.session.execute(statement).all())


def check_in(
    trainee: User,
    code: str,
    direction: str,
    *,
    cohort_id: int | None = None,
    now: datetime | None = None,
) -> CheckedIn:
    """Record a trainee's arrival (`in`) or departure (`out`) with the code they were shown."""
    if direction not in (IN, OUT):
        raise InvalidInput(gettext("Choose checking in or checking out."), "direction")
    now = now or clock_now()
    found = _find_class(trainee, code, now, cohort_id)
    cohort, class_day = found.cohort, found.class_day
    moment = now.replace(microsecond=0)
    if direction == IN:
        mark = mark_from_times(cohort, class_day.day, moment, None)
        inserted = _insert_ignoring_duplicate(
            {
                "enrollment_id": found.enrollment_id,
                "class_day_id": class_day.id,
                "status": mark.status.value,
                "note": "",
                "recorded_at": moment,
                "arrived_at": moment,
                "minutes_late": mark.minutes_late,
                "minutes_left_early": 0,
                "source": MarkSource.CHECK_IN.value,
            }
        )
        # A row exists when the manager marked the day first, or this is a second check-in.
        if not inserted and not _stamp(found, arrived_at=moment):
            raise Conflict(_already(found, IN))
    elif not _stamp(found, left_at=moment):
        raise Conflict(_already(found, OUT))
    _remark(found)
    # The insert and the stamp go past the ORM's flush, which raises the version otherwise.
    attendance_versions.raise_for(db.session.connection(), [cohort.id])
    audit.record(
        trainee,
        "attendance.checked_in" if direction == IN else "attendance.checked_out",
        cohort,
        {trainee.name: [None, moment]},
        label=f"{cohort.label()} {class_day.day.isoformat()}",
        campus_id=cohort.campus_id,
    )
    return CheckedIn(direction, moment, cohort)


def _stamp(found: Today, **time: datetime) -> bool:
    """Write the arrival or the departure unless it is written already (a departure only
    after an arrival); False when nothing was written."""
    [(column, moment)] = time.items()
    conditions = [getattr(Attendance, column).is_(None)]
    if column == "left_at":
        conditions.append(Attendance.arrived_at.is_not(None))
    return bool(
        db.session.execute(
            sa.update(Attendance)
            .where(
                Attendance.enrollment_id == found.enrollment_id,
                Attendance.class_day_id == found.class_day.id,
                *conditions,
            )
            .values({column: moment})
            .execution_options(synchronize_session=False)
        ).rowcount
    )


def _already(found: Today, direction: str) -> str:
    record = db.session.scalar(
        db.select(Attendance).where(
            Attendance.enrollment_id == found.enrollment_id,
            Attendance.class_day_id == found.class_day.id,
        )
    )
    if direction == OUT and (record is None or record.arrived_at is None):
        return gettext("Check in first: you have not checked in today.")
    at = record.arrived_at if direction == IN else record.left_at
    if direction == IN:
        return gettext("You already checked in today at %(time)s.", time=format_time(at, "HH:mm"))
    return gettext("You already checked out today at %(time)s.", time=format_time(at, "HH:mm"))


def _remark(found: Today) -> None:
    """Work the mark out again from the stored times, unless the manager has set it."""
    record = db.session.scalar(
        db.select(Attendance)
        .where(
            Attendance.enrollment_id == found.enrollment_id,
            Attendance.class_day_id == found.class_day.id,
        )
        .execution_options(populate_existing=True)
    )
    mark = mark_from_times(found.cohort, found.class_day.day, record.arrived_at, record.left_at)
    record.minutes_late = mark.minutes_late if record.arrived_at else 0
    record.minutes_left_early = mark.minutes_left_early if record.left_at else 0
    if record.source != MarkSource.MANUAL:
        record.status = mark.status


def day_counts(class_day: ClassDay) -> tuple[int, int]:
    """How many have checked in and out on the day, for the screen."""
    arrived, left = db.session.execute(
        db.select(sa.func.count(Attendance.arrived_at), sa.func.count(Attendance.left_at)).where(
            Attendance.class_day_id == class_day.id
        )
    ).one()
    return arrived, left


def current_direction(trainee: User, today: date) -> str:
    """What the trainee most likely does next: check in, or out once in."""
    arrived = db.session.scalar(
        db.select(sa.func.count())
        .select_from(Attendance)
        .join(Enrollment, Enrollment.id == Attendance.enrollment_id)
        .join(ClassDay, ClassDay.id == Attendance.class_day_id)
        .where(
            Enrollment.user_id == trainee.id,
            ClassDay.day == today,
            Attendance.arrived_at.is_not(None),
            Attendance.left_at.is_(None),
        )
    )
    return OUT if arrived else IN
