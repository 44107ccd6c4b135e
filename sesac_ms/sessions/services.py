"""1:1 session use-cases.

Nobody is in two sessions at once, and no session lies over one of the trainee's class
hours. A booking first bumps `users.schedule_version` of both people (ordered by id):
on PostgreSQL that row lock, on SQLite the database write lock, makes a racing booking
of either person wait until this one commits, so the overlap check that follows sees
it. Back-to-back sessions (one ends when the next starts) are allowed.

Services flush, never commit; they raise DomainError subclasses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import (
    format_datetime,
    gettext,
    lazy_gettext,
    lazy_pgettext,
)
from sqlalchemy.orm import joinedload, lazyload, load_only

from .. import audit, notify
from ..clock import SEOUL
from ..errors import Conflict, InvalidInput, NotAllowed, Problems
from ..extensions import db
from ..links import external_url
from ..models import (
    AvailabilitySlot,
    ClassDay,
    CoachingSession,
    Cohort,
    CohortStaff,
    Enrollment,
    EnrollmentStatus,
    FollowUp,
    Role,
    SessionKind,
    SessionStatus,
    User,
)
from ..models.audit import AccessAction
from ..models.sessions import OCCUPYING
from ..models.types import utcnow
from .bookable import ClassHours as ClassHours
from .bookable import bookable_slots, check_class_hours
from .bookable import class_hours_of as class_hours_of

STAFF_ROLES = (Role.COORDINATOR, Role.MENTOR, Role.MANAGER)


class Overlap(Conflict):
    """Someone would be in two places at once, or the trainee has class then."""


def minutes_for(kind: SessionKind | str) -> int:
    return int(current_app.config["SESSION_MINUTES"][SessionKind(kind).value])


def seoul(moment: datetime) -> datetime:
    return moment.astimezone(SEOUL)


# --- who may work with whom -------------------------------------------------------------


def active_enrollment(trainee: User) -> Enrollment | None:
    return db.session.scalar(
        db.select(Enrollment)
        .where(Enrollment.user_id == trainee.id, Enrollment.status == EnrollmentStatus.ENROLLED)
        .order_by(Enrollment.enrolled_at.desc())
        .limit(1)
    )


def staff_of_cohort(cohort: Cohort) -> list[User]:
    return list(
        db.session.scalars(
            db.select(User)
            .join(CohortStaff, CohortStaff.user_id == User.id)
            .where(CohortStaff.cohort_id == cohort.id, User.active)
            .order_by(User.name)
        )
    )


def _trainees_of(staff: User, *columns: Any) -> sa.Select:
    """SELECT `columns` of the trainees a staff member may schedule: the campus for
    coordinators and managers, the assigned cohorts for mentors."""
    stmt = (
        db.select(*columns)
        .select_from(User)
        .join(Enrollment, Enrollment.user_id == User.id)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .where(Enrollment.status == EnrollmentStatus.ENROLLED, User.active)
    )
    if staff.role == Role.MENTOR:
        stmt = stmt.where(
            Cohort.id.in_(db.select(CohortStaff.cohort_id).where(CohortStaff.user_id == staff.id))
        )
    elif staff.role != Role.ADMIN:
        from ..models import Course

        stmt = stmt.join(Course, Course.id == Cohort.course_id).where(
            Course.campus_id == staff.campus_id
        )
    return stmt


def trainee_of(staff: User, trainee_id: int, cohort_id: int) -> tuple[User, Cohort] | None:
    """The trainee and cohort, if the staff member may schedule that trainee of that cohort."""
    row = db.session.execute(
        _trainees_of(staff, User, Cohort).where(User.id == trainee_id, Cohort.id == cohort_id)
    ).first()
    return (row[0], row[1]) if row is not None else None


def _check_staff_may_see(staff: User, trainee: User, cohort: Cohort) -> None:
    if trainee_of(staff, trainee.id, cohort.id) is None:
        raise NotAllowed(
            gettext("%(name)s is not one of your trainees.", name=trainee.name), "trainee_id"
        )


def can_see(user: User, session: CoachingSession) -> bool:
    if user.role == Role.ADMIN:
        return True
    if user.role == Role.TRAINEE:
        return session.trainee_id == user.id
    if user.role == Role.MENTOR:
        return session.staff_id == user.id
    return session.cohort.campus_id == user.campus_id


def can_see_notes(user: User, session: CoachingSession) -> bool:
    """Staff notes: the staff member who wrote them, and the campus's coordinators/managers."""
    if user.role == Role.TRAINEE:
        return False
    if user.role == Role.MENTOR:
        return session.staff_id == user.id
    return can_see(user, session)


def log_view(actor: User, session: CoachingSession) -> None:
    """A session page names the trainee and shows the notes: log it, unless it is theirs."""
    if actor.id == session.trainee_id:
        return
    audit.record_access(
        actor,
        AccessAction.VIEW,
        f"{session.trainee.name} <{session.trainee.email}>",
        subject=session,
        page="sessions.show",
    )


# --- the overlap rule -------------------------------------------------------------------


def _lock_schedules(*users: User) -> None:
    for user_id in sorted({u.id for u in users}):
        db.session.execute(
            sa.update(User)
            .where(User.id == user_id)
            .values(schedule_version=User.schedule_version + 1)
            .execution_options(synchronize_session=False)
        )


def _check_free(
    trainee: User,
    staff: User,
    cohort: Cohort,
    starts_at: datetime,
    ends_at: datetime,
    *,
    ignore: int | None = None,
    check_class: bool = True,
    actor: User | None = None,
) -> None:
    """Raise Overlap if either person has a session then, or the trainee has class.

    The message speaks to `actor` (the reader) in the second person when the clash is
    theirs: a trainee booking reads "You have class…", never their own name.
    """
    clash = db.session.scalars(
        db.select(CoachingSession)
        .where(
            CoachingSession.status.in_(OCCUPYING),
            sa.or_(
                CoachingSession.trainee_id == trainee.id,
                CoachingSession.staff_id.in_((staff.id, trainee.id)),
                CoachingSession.trainee_id == staff.id,
            ),
            CoachingSession.starts_at < ends_at,
            CoachingSession.ends_at > starts_at,
            CoachingSession.id != (ignore or 0),
        )
        .limit(1)
    ).first()
    if clash is not None:
        who = trainee if trainee.id in (clash.trainee_id, clash.staff_id) else staff
        start = format_datetime(clash.starts_at, "MM-dd HH:mm")
        end = format_datetime(clash.ends_at, "HH:mm")
        if actor is not None and who.id == actor.id:
            message = gettext(
                "You already have a session from %(start)s to %(end)s.", start=start, end=end
            )
        else:
            message = gettext(
                "%(name)s already has a session from %(start)s to %(end)s.",
                name=who.name,
                start=start,
                end=end,
            )
        raise Overlap(message, "starts_at")
    if check_class:
        _check_not_in_class(trainee, starts_at, ends_at, actor=actor)


def _check_not_in_class(
    trainee: User, starts_at: datetime, ends_at: datetime, *, actor: User | None = None
) -> None:
    local_start, local_end = seoul(starts_at), seoul(ends_at)
    days = {local_start.date(), local_end.date()}
    rows = db.session.execute(
        db.select(ClassDay.day, Cohort.class_starts_at, Cohort.class_ends_at)
        .join(Cohort, Cohort.id == ClassDay.cohort_id)
        .join(Enrollment, Enrollment.cohort_id == Cohort.id)
        .where(
            Enrollment.user_id == trainee.id,
            Enrollment.status == EnrollmentStatus.ENROLLED,
            ClassDay.cancelled.is_(False),
            ClassDay.day.in_(days),
        )
    ).all()
    for day, class_start, class_end in rows:
        begins = datetime.combine(day, class_start, SEOUL)
        ends = datetime.combine(day, class_end, SEOUL)
        if local_start < ends and local_end > begins:
            hours = {
                "day": day.isoformat(),
                "start": class_start.strftime("%H:%M"),
                "end": class_end.strftime("%H:%M"),
            }
            if actor is not None and actor.id == trainee.id:
                message = gettext(
                    "You have class at that time (%(day)s, %(start)s–%(end)s). "
                    "Choose a time outside your class hours.",
                    **hours,
                )
            else:
                message = gettext(
                    "%(name)s has class on %(day)s from %(start)s to %(end)s.",
                    name=trainee.name,
                    **hours,
                )
            raise Overlap(message, "starts_at")


# --- availability -----------------------------------------------------------------------


def check_slots(
    actor: User,
    *,
    kind: SessionKind | str | None,
    starts_at: datetime | None,
    location: str | None,
    weeks: int | None = 1,
    during_class: bool = False,
) -> tuple[SessionKind, list[tuple[datetime, datetime]]]:
    """The kind and the times to publish, or every problem of them at once, changing nothing.

    The class-hours refusal (ClassHours) stays its own problem among them: its `warning`
    tells the page to offer "publish during their class hours". Times that clash with the
    staff member's own calendar are found by publish_slots, under the schedule lock.
    """
    problems = Problems()
    if actor.role not in (Role.COORDINATOR, Role.MENTOR):
        problems.add_error(
            NotAllowed(gettext("Only coordinators and mentors publish session times."))
        )
    chosen = None
    try:
        chosen = SessionKind(kind)
    except ValueError:
        problems.add(gettext("Choose the kind of session."), "kind")
    if starts_at is None or starts_at <= utcnow():
        problems.add(gettext("The time must be in the future."), "starts_at")
    if weeks is None or not 1 <= weeks <= 26:
        problems.add(gettext("Repeat for 1 to 26 weeks."), "weeks")
    if not (location or "").strip():
        problems.add(gettext("Give the place or the online meeting link."), "location")
    times: list[tuple[datetime, datetime]] = []
    if chosen is not None and starts_at is not None and weeks and 1 <= weeks <= 26:
        length = timedelta(minutes=minutes_for(chosen))
        times = [
            (starts_at + timedelta(weeks=week), starts_at + timedelta(weeks=week) + length)
            for week in range(weeks)
        ]
        if not problems.on("starts_at"):
            with problems.check():
                check_class_hours(actor, times, during_class=during_class)
    problems.raise_any()
    assert chosen is not None
    return chosen, times


def publish_slots(
    actor: User,
    *,
    kind: SessionKind | str,
    starts_at: datetime,
    location: str,
    weeks: int = 1,
    during_class: bool = False,
) -> list[AvailabilitySlot]:
    """Offer a time for a session of a kind, once or on the same weekday for several weeks.

    Raises ClassHours when a time lies over class hours of the cohorts that would see it
    (see bookable.check_class_hours; `during_class` publishes over some cohorts' hours),
    Overlap when the staff member has a slot or session then, InvalidInput on bad input.
    """
    kind, times = check_slots(
        actor,
        kind=kind,
        starts_at=starts_at,
        location=location,
        weeks=weeks,
        during_class=during_class,
    )
    location = location.strip()
    _lock_schedules(actor)
    slots = []
    for start, end in times:
        clash = db.session.scalar(
            db.select(sa.func.count())
            .select_from(AvailabilitySlot)
            .where(
                AvailabilitySlot.staff_id == actor.id,
                AvailabilitySlot.starts_at < end,
                AvailabilitySlot.ends_at > start,
            )
        )
        busy = db.session.scalar(
            db.select(sa.func.count())
            .select_from(CoachingSession)
            .where(
                CoachingSession.staff_id == actor.id,
                CoachingSession.status.in_(OCCUPYING),
                CoachingSession.starts_at < end,
                CoachingSession.ends_at > start,
            )
        )
        if clash or busy:
            raise Overlap(
                gettext(
                    "You already have a slot or a session at %(when)s.",
                    when=format_datetime(start, "yyyy-MM-dd HH:mm"),
                ),
                "starts_at",
            )
        slot = AvailabilitySlot(
            staff_id=actor.id, kind=kind, starts_at=start, ends_at=end, location=location[:300]
        )
        db.session.add(slot)
        slots.append(slot)
    db.session.flush()
    audit.record(
        actor,
        "sessions.slots_published",
        actor,
        {"kind": str(kind), "first": starts_at, "weeks": weeks}
        | ({"during_class": True} if during_class else {}),
        label=actor.email,
        campus_id=actor.campus_id,
    )
    return slots


def open_slots_for(trainee: User) -> list[AvailabilitySlot]:
    """The slots the trainee can book now (what book_slot would accept): see
    bookable.bookable_slots."""
    enrollment = active_enrollment(trainee)
    if enrollment is None:
        return []
    return bookable_slots(trainee, enrollment.cohort_id)


def slot_of_my_cohort(trainee: User, slot: AvailabilitySlot) -> bool:
    """Whether the slot's staff member is assigned to the trainee's current cohort."""
    enrollment = active_enrollment(trainee)
    return enrollment is not None and bool(
        db.session.scalar(
            db.select(sa.func.count())
            .select_from(CohortStaff)
            .where(
                CohortStaff.cohort_id == enrollment.cohort_id, CohortStaff.user_id == slot.staff_id
            )
        )
    )


def my_slots(staff: User) -> list[sa.Row]:
    """The staff member's times not yet over, as rows of what their list shows: id, kind,
    starts_at, ends_at, location, and for a booked time session_id, trainee_id and
    trainee_name (else None). Columns, not the models: those join their people, cohorts
    and campuses eagerly, which the list never shows."""
    return list(
        db.session.execute(
            db.select(
                AvailabilitySlot.id,
                AvailabilitySlot.kind,
                AvailabilitySlot.starts_at,
                AvailabilitySlot.ends_at,
                AvailabilitySlot.location,
                CoachingSession.id.label("session_id"),
                CoachingSession.trainee_id,
                User.name.label("trainee_name"),
            )
            .outerjoin(
                CoachingSession,
                sa.and_(
                    CoachingSession.slot_id == AvailabilitySlot.id,
                    CoachingSession.status.in_(OCCUPYING),
                ),
            )
            .outerjoin(User, User.id == CoachingSession.trainee_id)
            .where(AvailabilitySlot.staff_id == staff.id, AvailabilitySlot.ends_at > utcnow())
            .order_by(AvailabilitySlot.starts_at)
        )
    )


def delete_slot(actor: User, slot: AvailabilitySlot) -> None:
    if slot.staff_id != actor.id:
        raise NotAllowed(gettext("This is not your slot."))
    taken = db.session.scalar(
        db.select(CoachingSession.id).where(
            CoachingSession.slot_id == slot.id, CoachingSession.status.in_(OCCUPYING)
        )
    )
    if taken:
        raise Conflict(gettext("A trainee booked this slot: cancel the session instead."))
    db.session.delete(slot)


# --- booking and scheduling -------------------------------------------------------------


def book_slot(trainee: User, slot: AvailabilitySlot) -> CoachingSession:
    """A trainee books an open slot of a staff member of their cohort."""
    enrollment = active_enrollment(trainee)
    if enrollment is None:
        raise NotAllowed(gettext("You can book sessions only while you are in training."))
    assigned = db.session.scalar(
        db.select(sa.func.count())
        .select_from(CohortStaff)
        .where(CohortStaff.cohort_id == enrollment.cohort_id, CohortStaff.user_id == slot.staff_id)
    )
    if not assigned:
        raise NotAllowed(gettext("This slot belongs to staff outside your cohort."), "slot_id")
    if slot.starts_at <= utcnow():
        raise InvalidInput(gettext("This time has passed."), "slot_id")
    _lock_schedules(trainee, slot.staff)
    taken = db.session.scalar(
        db.select(CoachingSession.id).where(
            CoachingSession.slot_id == slot.id, CoachingSession.status.in_(OCCUPYING)
        )
    )
    if taken:
        raise Overlap(
            gettext("Someone booked this time just before you. Choose another."), "slot_id"
        )
    _check_free(trainee, slot.staff, enrollment.cohort, slot.starts_at, slot.ends_at, actor=trainee)
    # A cancelled booking keeps its slot_id; free it so the unique key admits this one.
    # Only a cancelled or missed one: the key stays a last guard against a double booking.
    db.session.execute(
        sa.update(CoachingSession)
        .where(CoachingSession.slot_id == slot.id, CoachingSession.status.not_in(OCCUPYING))
        .values(slot_id=None)
        .execution_options(synchronize_session=False)
    )
    session = CoachingSession(
        cohort_id=enrollment.cohort_id,
        trainee_id=trainee.id,
        staff_id=slot.staff_id,
        kind=slot.kind,
        status=SessionStatus.SCHEDULED,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        location=slot.location,
        slot_id=slot.id,
        created_by_id=trainee.id,
    )
    db.session.add(session)
    db.session.flush()
    _audit(trainee, "session.booked", session)
    _notify(session, "booked", to_staff=True)
    return session


def _check_new_session(
    actor: User,
    *,
    trainee: User | None,
    cohort: Cohort | None,
    kind: SessionKind | str | None,
    starts_at: datetime | None,
    minutes: int | None,
    logging: bool,
    follow_up_lines: str = "",
) -> None:
    """Every problem of a session to schedule (or, `logging`, one just held) at once.

    None: not given or refused by the form already; the rules that need it are skipped.
    The time is compared with both people's other sessions (and, to schedule, the
    trainee's classes) only when the trainee and the time are fine.
    """
    problems = Problems()
    session_kind = None
    with problems.check():
        session_kind = _kind(kind) if kind else None
    person_ok = False
    if trainee is None or cohort is None:
        problems.add(gettext("Choose the trainee."), "trainee_id")
    else:
        with problems.check():
            _check_staff_may_see(actor, trainee, cohort)
            person_ok = True
    time_ok = False
    if logging and starts_at is not None and starts_at > utcnow() + timedelta(minutes=5):
        problems.add(
            gettext(
                "A session to log has already taken place: choose a "
                "past time, or schedule it instead."
            ),
            "starts_at",
        )
    elif not logging and starts_at is not None and starts_at <= utcnow():
        problems.add(gettext("The time must be in the future."), "starts_at")
    else:
        time_ok = starts_at is not None
    if logging and minutes is not None and not 5 <= minutes <= 480:
        problems.add(gettext("A session lasts 5 to 480 minutes."), "minutes")
        time_ok = False
    with problems.check():
        parse_follow_ups(follow_up_lines)
    if person_ok and time_ok and (session_kind is not None or logging and minutes):
        assert trainee is not None and cohort is not None and starts_at is not None
        length = minutes if logging else minutes or minutes_for(session_kind)
        with problems.check():
            _check_free(
                trainee,
                actor,
                cohort,
                starts_at,
                starts_at + timedelta(minutes=length),
                check_class=not logging,
                actor=actor,
            )
    problems.raise_any()


def check_schedule(
    actor: User,
    *,
    trainee: User | None,
    cohort: Cohort | None,
    kind: SessionKind | str | None,
    starts_at: datetime | None,
    minutes: int | None,
) -> None:
    """The schedule form's service checks, all at once, changing nothing."""
    _check_new_session(
        actor,
        trainee=trainee,
        cohort=cohort,
        kind=kind,
        starts_at=starts_at,
        minutes=minutes,
        logging=False,
    )


def check_log_unscheduled(
    actor: User,
    *,
    trainee: User | None,
    cohort: Cohort | None,
    kind: SessionKind | str | None,
    starts_at: datetime | None,
    minutes: int | None,
    follow_up_lines: str = "",
) -> None:
    """The quick-log form's service checks, all at once, changing nothing."""
    _check_new_session(
        actor,
        trainee=trainee,
        cohort=cohort,
        kind=kind,
        starts_at=starts_at,
        minutes=minutes,
        logging=True,
        follow_up_lines=follow_up_lines,
    )


def schedule(
    actor: User,
    *,
    trainee: User | None,
    cohort: Cohort | None,
    kind: SessionKind | str,
    starts_at: datetime,
    minutes: int | None,
    location: str,
) -> CoachingSession:
    """Staff schedule a session for one of their trainees directly."""
    check_schedule(
        actor, trainee=trainee, cohort=cohort, kind=kind, starts_at=starts_at, minutes=minutes
    )
    assert trainee is not None and cohort is not None and starts_at is not None
    kind = _kind(kind)
    ends_at = starts_at + timedelta(minutes=minutes or minutes_for(kind))
    _lock_schedules(trainee, actor)
    _check_free(trainee, actor, cohort, starts_at, ends_at, actor=actor)
    session = CoachingSession(
        cohort_id=cohort.id,
        trainee_id=trainee.id,
        staff_id=actor.id,
        kind=kind,
        status=SessionStatus.SCHEDULED,
        starts_at=starts_at,
        ends_at=ends_at,
        location=(location or "").strip()[:300],
        created_by_id=actor.id,
    )
    db.session.add(session)
    db.session.flush()
    _audit(actor, "session.scheduled", session)
    _notify(session, "scheduled", to_staff=False)
    return session


def _kind(kind: SessionKind | str) -> SessionKind:
    try:
        return SessionKind(kind)
    except ValueError:
        raise InvalidInput(gettext("Choose the kind of session."), "kind") from None


# --- changes ----------------------------------------------------------------------------


def reschedule(
    actor: User, session: CoachingSession, starts_at: datetime, minutes: int | None = None
) -> None:
    if session.status not in (SessionStatus.REQUESTED, SessionStatus.SCHEDULED):
        raise Conflict(gettext("Only upcoming sessions can be moved."))
    if actor.role == Role.TRAINEE:
        raise NotAllowed(gettext("Ask your coordinator or mentor to move the session."))
    if starts_at is None or starts_at <= utcnow():
        raise InvalidInput(gettext("The time must be in the future."), "starts_at")
    length = timedelta(minutes=minutes) if minutes else session.ends_at - session.starts_at
    ends_at = starts_at + length
    _lock_schedules(session.trainee, session.staff)
    _check_free(
        session.trainee,
        session.staff,
        session.cohort,
        starts_at,
        ends_at,
        ignore=session.id,
        actor=actor,
    )
    changes = audit.apply_changes(
        session, {"starts_at": starts_at, "ends_at": ends_at, "slot_id": None}
    )
    _audit(actor, "session.rescheduled", session, changes)
    _notify(session, "rescheduled", to_staff=actor.id == session.trainee_id)


def cancel(actor: User, session: CoachingSession, reason: str) -> None:
    """Cancel with a reason; a trainee only until the campus's cut-off before the start."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(gettext("Give the reason for cancelling."), "reason")
    if session.status not in (SessionStatus.REQUESTED, SessionStatus.SCHEDULED):
        raise Conflict(gettext("Only upcoming sessions can be cancelled."))
    if actor.role == Role.TRAINEE:
        cutoff = session.cohort.course.campus.session_cancel_cutoff_hours
        if session.starts_at - timedelta(hours=cutoff) < utcnow():
            raise Conflict(
                gettext(
                    "Sessions can be cancelled up to %(n)d hours before they "
                    "start; contact your coordinator.",
                    n=cutoff,
                )
            )
    changes = audit.apply_changes(
        session, {"status": SessionStatus.CANCELLED, "cancel_reason": reason}
    )
    _audit(actor, "session.cancelled", session, changes)
    _notify(session, "cancelled", to_staff=actor.id == session.trainee_id)


def mark(actor: User, session: CoachingSession, status: SessionStatus | str) -> None:
    """Staff mark a session completed or a no-show once it has started."""
    status = SessionStatus(status)
    if status not in (SessionStatus.COMPLETED, SessionStatus.NO_SHOW):
        raise InvalidInput(gettext("Mark a session completed or no-show."))
    if session.status not in (
        SessionStatus.SCHEDULED,
        SessionStatus.REQUESTED,
        SessionStatus.COMPLETED,
        SessionStatus.NO_SHOW,
    ):
        raise Conflict(gettext("A cancelled session cannot be marked."))
    if session.starts_at > utcnow():
        raise Conflict(gettext("The session has not started yet."))
    changes = audit.apply_changes(session, {"status": status})
    _audit(actor, "session.marked", session, changes)
    if changes:  # the trainee hears of it either way
        _notify(
            session, "no_show" if status == SessionStatus.NO_SHOW else "completed", to_staff=False
        )


@dataclass
class SessionLog:
    summary: str = ""
    staff_notes: str = ""
    links: str = ""
    follow_ups: list[tuple[str, date | None]] | None = None


def log(actor: User, session: CoachingSession, entry: SessionLog) -> None:
    """Write what happened: the summary the trainee sees, staff notes, links, follow-ups."""
    changes = audit.apply_changes(
        session,
        {
            "summary": entry.summary.strip(),
            "staff_notes": entry.staff_notes.strip(),
            "links": entry.links.strip(),
        },
    )
    if "staff_notes" in changes:
        changes["staff_notes"] = ["…", "…"]  # notes stay out of the audit trail's text
    for text, due_on in entry.follow_ups or []:
        db.session.add(FollowUp(session_id=session.id, text=text[:500], due_on=due_on))
        changes.setdefault("follow_ups", []).append(text[:100])
    # Like mark(): a session is completed only once it has started (notes may come before).
    if (
        session.status in (SessionStatus.SCHEDULED, SessionStatus.REQUESTED)
        and session.starts_at <= utcnow()
    ):
        changes.update(audit.apply_changes(session, {"status": SessionStatus.COMPLETED}))
    db.session.flush()
    if changes:
        _audit(actor, "session.logged", session, changes)
    # Staff notes alone are nothing the trainee can read: no mail for them.
    if changes.keys() - {"staff_notes"}:
        _notify(session, "logged", to_staff=False)


def log_unscheduled(
    actor: User,
    *,
    trainee: User | None,
    cohort: Cohort | None,
    kind: SessionKind | str,
    starts_at: datetime,
    minutes: int,
    location: str,
    entry: SessionLog,
) -> CoachingSession:
    """Record a session just held that was never scheduled."""
    if not minutes:
        raise InvalidInput(gettext("A session lasts 5 to 480 minutes."), "minutes")
    if starts_at is None:
        raise InvalidInput(gettext("Enter the time."), "starts_at")
    check_log_unscheduled(
        actor, trainee=trainee, cohort=cohort, kind=kind, starts_at=starts_at, minutes=minutes
    )
    assert trainee is not None and cohort is not None
    kind = _kind(kind)
    ends_at = starts_at + timedelta(minutes=minutes)
    _lock_schedules(trainee, actor)
    _check_free(trainee, actor, cohort, starts_at, ends_at, check_class=False, actor=actor)
    session = CoachingSession(
        cohort_id=cohort.id,
        trainee_id=trainee.id,
        staff_id=actor.id,
        kind=kind,
        status=SessionStatus.COMPLETED,
        starts_at=starts_at,
        ends_at=ends_at,
        location=(location or "").strip()[:300],
        created_by_id=actor.id,
    )
    db.session.add(session)
    db.session.flush()
    log(actor, session, entry)
    return session


def complete_follow_up(actor: User, follow_up: FollowUp) -> None:
    if follow_up.done_at is not None:
        return
    follow_up.done_at = utcnow()
    _audit(actor, "session.follow_up_done", follow_up.session, {"follow_up": follow_up.text})


def parse_follow_ups(text: str) -> list[tuple[str, date | None]]:
    """One per line: "what to do" or "what to do | 2026-12-01"; every bad line at once."""
    items = []
    problems = Problems()
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        what, _, due = line.partition("|")
        due_on = None
        if due.strip():
            try:
                due_on = date.fromisoformat(due.strip())
            except ValueError:
                problems.add(
                    gettext(
                        "Follow-up line %(n)d: “%(due)s” is not a date (write 2026-12-01).",
                        n=number,
                        due=due.strip(),
                    ),
                    "follow_up_lines",
                )
                continue
        if what.strip():
            items.append((what.strip(), due_on))
    problems.raise_any()
    return items


# --- schedules --------------------------------------------------------------------------


def sessions_of(
    user: User,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    include_cancelled: bool = False,
    limit: int | None = None,
    brief: bool = False,
) -> list[CoachingSession]:
    """The user's sessions (as trainee or as staff) meeting [start, end), earliest first.

    `limit`: the first so many only (in SQL). `brief`: for a dashboard's list, load the
    times and the names of the two people only, not the notes nor the cohort, course and
    campus the model joins by default.
    """
    stmt = db.select(CoachingSession).order_by(CoachingSession.starts_at, CoachingSession.id)
    if user.role == Role.TRAINEE:
        stmt = stmt.where(CoachingSession.trainee_id == user.id)
    else:
        stmt = stmt.where(CoachingSession.staff_id == user.id)
    if start is not None:
        stmt = stmt.where(CoachingSession.ends_at > start)
    if end is not None:
        stmt = stmt.where(CoachingSession.starts_at < end)
    if not include_cancelled:
        stmt = stmt.where(CoachingSession.status != SessionStatus.CANCELLED)
    if brief:
        stmt = stmt.options(
            load_only(
                CoachingSession.starts_at,
                CoachingSession.ends_at,
                CoachingSession.status,
                CoachingSession.trainee_id,
                CoachingSession.staff_id,
            ),
            lazyload(CoachingSession.cohort),
            joinedload(CoachingSession.trainee).options(
                load_only(User.name), lazyload(User.campus)
            ),
            joinedload(CoachingSession.staff).options(load_only(User.name), lazyload(User.campus)),
        )
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(db.session.scalars(stmt))


def open_follow_ups(trainee: User) -> list[FollowUp]:
    return list(
        db.session.scalars(
            db.select(FollowUp)
            .join(FollowUp.session)
            .where(CoachingSession.trainee_id == trainee.id, FollowUp.done_at.is_(None))
            .order_by(FollowUp.due_on.nulls_last(), FollowUp.id)
        )
    )


# --- calendar feed ----------------------------------------------------------------------


# --- reminders --------------------------------------------------------------------------


def send_reminders(now: datetime | None = None) -> int:
    """Queue one reminder per session starting tomorrow (Seoul), each session once; return
    how many sessions this run reminded."""
    now = now or utcnow()
    tomorrow = seoul(now).date() + timedelta(days=1)
    begin = datetime.combine(tomorrow, time(), SEOUL)
    end = begin + timedelta(days=1)
    due = db.session.scalars(
        db.select(CoachingSession)
        .where(
            CoachingSession.status == SessionStatus.SCHEDULED,
            CoachingSession.reminder_sent_at.is_(None),
            CoachingSession.starts_at >= begin,
            CoachingSession.starts_at < end,
        )
        .order_by(CoachingSession.id)
    ).all()
    sent = 0
    for session in due:
        claimed = db.session.execute(
            sa.update(CoachingSession)
            .where(CoachingSession.id == session.id, CoachingSession.reminder_sent_at.is_(None))
            .values(reminder_sent_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount == 1:  # another run may have claimed it since the SELECT
            _notify(session, "reminder", to_staff=False)
            _notify(session, "reminder", to_staff=True)
            sent += 1
    return sent


# --- coverage ---------------------------------------------------------------------------


# --- labels, audit and mail -------------------------------------------------------------


# One lazy string each: a label costs one catalog look-up, not one per kind (pages list many).
_KIND_LABELS = {
    SessionKind.MENTORING: lazy_gettext("Industry mentoring"),
    SessionKind.PORTFOLIO: lazy_gettext("Portfolio coaching"),
    SessionKind.MOCK_INTERVIEW: lazy_gettext("Mock interview"),
    SessionKind.CAREER: lazy_gettext("Career counselling"),
}
_STATUS_LABELS = {
    SessionStatus.REQUESTED: lazy_gettext("Requested"),
    SessionStatus.SCHEDULED: lazy_gettext("Scheduled"),
    SessionStatus.COMPLETED: lazy_pgettext("session", "Completed"),
    SessionStatus.CANCELLED: lazy_gettext("Cancelled"),
    SessionStatus.NO_SHOW: lazy_gettext("No-show"),
}


def kind_label(kind: SessionKind | str) -> str:
    return str(_KIND_LABELS[SessionKind(kind)])


def status_label(status: SessionStatus | str) -> str:
    return str(_STATUS_LABELS[SessionStatus(status)])


def _audit(actor: User, action: str, session: CoachingSession, changes: dict | None = None) -> None:
    audit.record(
        actor,
        action,
        session,
        changes
        or {
            "kind": str(session.kind),
            "starts_at": session.starts_at,
            "trainee": session.trainee.email,
            "staff": session.staff.email,
        },
        label=f"{session.trainee.name} · {session.staff.name}",
        campus_id=session.cohort.campus_id,
    )


# Changes to a session's time: urgent (sent at night too) when it starts within hours.
_CHANGES = frozenset({"booked", "scheduled", "rescheduled", "cancelled"})


def _notify(session: CoachingSession, what: str, *, to_staff: bool) -> None:
    """Tell the trainee or the staff member what happened to the session (notify.send)."""
    person = session.staff if to_staff else session.trainee
    other = session.trainee if to_staff else session.staff
    kind = session.kind
    notify.send(
        person,
        f"session_{what}",
        urgent=True if what in _CHANGES and notify.starts_soon(session.starts_at) else None,
        other=other.name,
        kind=lambda _locale: kind_label(kind),
        when=session.starts_at,
        reason=session.cancel_reason or "",
        location=session.location or "",
        link=external_url("sessions.show", session_id=session.id),
    )
