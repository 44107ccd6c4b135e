"""Which published times can be booked: the class hours a time falls in, and the trainee's list.

A trainee sees the times of the staff assigned to their cohort, so a staff member's times
are for the trainees of their assigned cohorts (those with someone enrolled). A time over
the class hours of every such cohort can be booked by nobody and is refused; one over the
class hours of some of them is published only when the staff member says so (the other
cohorts can book it). The trainee's list holds only times `services.book_slot` accepts:
future, free, clear of the trainee's and the staff member's sessions, outside class.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

import sqlalchemy as sa
from flask_babel import get_locale, gettext
from sqlalchemy.orm import aliased

from ..clock import SEOUL
from ..cohorts.names import CohortName, cohort_names, names_query
from ..errors import Conflict
from ..extensions import db
from ..models import (
    AvailabilitySlot,
    ClassDay,
    CoachingSession,
    Cohort,
    CohortStaff,
    Enrollment,
    EnrollmentStatus,
    User,
)
from ..models.sessions import OCCUPYING
from ..models.types import utcnow

# A trainee's list is capped (a page, not an archive); times are sorted by start.
LIST_LIMIT = 200


class ClassHours(Conflict):
    """A time lies over class hours. `warning` says the staff member may publish it anyway
    (some of their cohorts have no class then); otherwise nobody could book it."""

    def __init__(self, message: str, field: str | None = None, *, warning: bool) -> None:
        super().__init__(message, field)
        self.warning = warning


@dataclass(frozen=True)
class ClassWindow:
    """One class day of one cohort, from its start to its end (Seoul)."""

    cohort: Cohort
    day: date

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.day, self.cohort.class_starts_at, SEOUL)

    @property
    def ends_at(self) -> datetime:
        return datetime.combine(self.day, self.cohort.class_ends_at, SEOUL)

    def overlaps(self, starts_at: datetime, ends_at: datetime) -> bool:
        return starts_at < self.ends_at and ends_at > self.starts_at

    def hours(self) -> str:
        return (
            f"{self.cohort.class_starts_at.strftime('%H:%M')}"
            f"–{self.cohort.class_ends_at.strftime('%H:%M')}"
        )


def _seoul_days(times: Sequence[tuple[datetime, datetime]]) -> set[date]:
    days: set[date] = set()
    for starts_at, ends_at in times:
        days |= {starts_at.astimezone(SEOUL).date(), ends_at.astimezone(SEOUL).date()}
    return days


def _class_windows(cohort_ids: sa.Select, first: date, last: date) -> list[ClassWindow]:
    """The class days (not cancelled) of the cohorts between the dates: one query."""
    rows = db.session.execute(
        db.select(ClassDay.day, Cohort)
        .join(Cohort, Cohort.id == ClassDay.cohort_id)
        .where(
            ClassDay.cohort_id.in_(cohort_ids),
            ClassDay.cancelled.is_(False),
            ClassDay.day >= first,
            ClassDay.day <= last,
        )
        .order_by(ClassDay.day, Cohort.id)
    ).all()
    return [ClassWindow(cohort, day) for day, cohort in rows]


# --- publishing ------------------------------------------------------------------------


def _audience(staff: User) -> tuple[sa.ColumnElement[bool], ...]:
    """The staff member's CohortStaff rows whose cohort has someone enrolled."""
    enrolled = (
        db.select(Enrollment.id)
        .where(
            Enrollment.cohort_id == CohortStaff.cohort_id,
            Enrollment.status == EnrollmentStatus.ENROLLED,
        )
        .exists()
    )
    return CohortStaff.user_id == staff.id, enrolled


def audience_cohorts(staff: User) -> sa.Select:
    """Ids of the cohorts whose trainees see the staff member's times: assigned, with
    someone enrolled."""
    return db.select(CohortStaff.cohort_id).where(*_audience(staff))


def check_class_hours(
    staff: User, times: Sequence[tuple[datetime, datetime]], *, during_class: bool
) -> None:
    """Refuse times no trainee of the staff member could book because all their cohorts
    are in class then; refuse times over some cohorts' class hours unless `during_class`.

    Raises ClassHours (warning=False: refused; warning=True: may be published anyway),
    naming the cohorts and their class hours. Two queries whatever the number of times.
    """
    if not times:
        return
    audience = audience_cohorts(staff)
    size = db.session.scalar(db.select(sa.func.count()).select_from(audience.subquery()))
    if not size:
        return
    days = _seoul_days(times)
    windows = _class_windows(audience, min(days), max(days))
    clashes = [
        (starts_at, [w for w in windows if w.overlaps(starts_at, ends_at)])
        for starts_at, ends_at in times
    ]
    clashes = [(starts_at, found) for starts_at, found in clashes if found]
    if not clashes:
        return
    for starts_at, found in clashes:
        if len({w.cohort.id for w in found}) >= size:
            raise ClassHours(
                gettext(
                    "No trainee of yours could book this time: on %(day)s every cohort you "
                    "serve has class then. Class hours: %(classes)s. Choose a time outside them.",
                    day=starts_at.astimezone(SEOUL).date().isoformat(),
                    classes=_classes(found),
                ),
                "starts_at",
                warning=False,
            )
    if during_class:
        return
    first, found = clashes[0]
    raise ClassHours(
        gettext(
            "On %(day)s trainees of these cohorts have class at that time and cannot book "
            "it: %(classes)s. Your other cohorts can. To publish it anyway, tick “Publish "
            "during their class hours”.",
            day=first.astimezone(SEOUL).date().isoformat(),
            classes=_classes(found),
        ),
        "starts_at",
        warning=True,
    )


def _classes(windows: Sequence[ClassWindow]) -> str:
    locale = str(get_locale() or "ko")
    seen: dict[int, str] = {}
    for window in windows:
        seen.setdefault(window.cohort.id, f"{window.cohort.label(locale)} {window.hours()}")
    return "; ".join(seen.values())


@dataclass(frozen=True)
class CohortHours:
    cohort: CohortName
    starts: time
    ends: time


def class_hours_of(staff: User) -> list[CohortHours]:
    """The class hours of the cohorts that see the staff member's times, for the form."""
    # Joined from the staff member's few assignments (one row per cohort: cohort and person
    # are unique together), not `id IN (audience)`, which PostgreSQL answers by sorting
    # every cohort.
    cohorts = cohort_names(
        names_query().join(CohortStaff, CohortStaff.cohort_id == Cohort.id).where(*_audience(staff))
    )
    return [CohortHours(c, c.class_starts_at, c.class_ends_at) for c in cohorts]


# --- the trainee's list ----------------------------------------------------------------


def bookable_slots(trainee: User, cohort_id: int) -> list[AvailabilitySlot]:
    """Times the trainee can book now: of the staff of their cohort `cohort_id`, future,
    not taken, clear of the trainee's and the staff member's sessions, outside the
    trainee's class hours. Two queries: the times (sessions filtered in SQL), then the
    trainee's class days over those dates, checked in one pass."""
    now = utcnow()
    # Per slot through the unique slot_id index, not a list of every booked slot ever.
    taken = (
        db.select(CoachingSession.id)
        .where(
            CoachingSession.slot_id == AvailabilitySlot.id, CoachingSession.status.in_(OCCUPYING)
        )
        .exists()
    )
    staff_ids = db.select(CohortStaff.user_id).where(CohortStaff.cohort_id == cohort_id)
    other = aliased(CoachingSession)
    people = (trainee.id, AvailabilitySlot.staff_id)
    busy = (
        db.select(other.id)
        .where(
            other.status.in_(OCCUPYING),
            # Implied (the slot starts after now), and lets the ends_at index skip the past.
            other.ends_at > now,
            other.starts_at < AvailabilitySlot.ends_at,
            other.ends_at > AvailabilitySlot.starts_at,
            sa.or_(other.trainee_id.in_(people), other.staff_id.in_(people)),
        )
        .exists()
    )
    slots = list(
        db.session.scalars(
            db.select(AvailabilitySlot)
            .where(
                AvailabilitySlot.staff_id.in_(staff_ids),
                AvailabilitySlot.starts_at > now,
                ~taken,
                ~busy,
            )
            .order_by(AvailabilitySlot.starts_at, AvailabilitySlot.id)
            .limit(LIST_LIMIT)
        )
    )
    if not slots:
        return []
    days = _seoul_days([(s.starts_at, s.ends_at) for s in slots])
    mine = db.select(Enrollment.cohort_id).where(
        Enrollment.user_id == trainee.id, Enrollment.status == EnrollmentStatus.ENROLLED
    )
    windows = _class_windows(mine, min(days), max(days))
    by_day: dict[date, list[ClassWindow]] = {}
    for window in windows:
        by_day.setdefault(window.day, []).append(window)

    def in_class(slot: AvailabilitySlot) -> bool:
        local = {slot.starts_at.astimezone(SEOUL).date(), slot.ends_at.astimezone(SEOUL).date()}
        return any(
            w.overlaps(slot.starts_at, slot.ends_at) for day in local for w in by_day.get(day, [])
        )

    return [slot for slot in slots if not in_class(slot)]
