"""Course and cohort use-cases. Raise InvalidInput or Conflict with the field they concern."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy import Select

from .. import audit
from ..errors import Conflict, InvalidInput, NotAllowed
from ..extensions import db
from ..models import Campus, Cohort, CohortStaff, CohortStatus, Course, Role, StaffRole, Track, User
from ..models.campus import COHORT_STATUS_ORDER
from ..permissions import in_scope, scope_campus


def courses_query(user: User, campus_id: int | None = None) -> Select:
    stmt = db.select(Course).join(Course.campus).order_by(Campus.name_ko, Course.title)
    stmt = scope_campus(stmt, Course.campus_id, user)
    if campus_id:
        stmt = stmt.where(Course.campus_id == campus_id)
    return stmt


def cohorts_query(
    user: User,
    *,
    campus_id: int | None = None,
    course_id: int | None = None,
    status: CohortStatus | None = None,
) -> Select:
    stmt = (
        db.select(Cohort)
        .join(Cohort.course)
        .join(Course.campus)
        .order_by(Cohort.start_on.desc(), Campus.name_ko, Course.title, Cohort.number)
    )
    stmt = scope_campus(stmt, Course.campus_id, user)
    if campus_id:
        stmt = stmt.where(Course.campus_id == campus_id)
    if course_id:
        stmt = stmt.where(Cohort.course_id == course_id)
    if status:
        stmt = stmt.where(Cohort.status == status)
    return stmt


def campuses_for(user: User) -> list[Campus]:
    stmt = db.select(Campus).order_by(Campus.opening_order.nulls_last(), Campus.name_ko)
    return list(db.session.scalars(scope_campus(stmt, Campus.id, user)))


def _check_campus(actor: User, campus: Campus | None) -> Campus:
    if campus is None or not in_scope(campus, actor):
        raise NotAllowed(gettext("Choose one of your campuses."), "campus_id")
    return campus


def _check_course_title(campus: Campus, title: str, course: Course | None = None) -> str:
    title = " ".join(title.split())
    if not title:
        raise InvalidInput(gettext("Enter the course title."), "title")
    clash = db.session.scalar(
        db.select(Course.id).where(Course.campus_id == campus.id, Course.title == title)
    )
    if clash is not None and (course is None or clash != course.id):
        raise Conflict(gettext("This campus already has a course with this title."), "title")
    return title


def create_course(
    actor: User, *, campus: Campus | None, title: str, track: Track, description: str = ""
) -> Course:
    campus = _check_campus(actor, campus)
    title = _check_course_title(campus, title)
    course = Course(
        campus_id=campus.id, title=title, track=Track(track), description=description.strip()
    )
    db.session.add(course)
    db.session.flush()
    audit.record(
        actor,
        "course.created",
        course,
        {"title": [None, title], "track": [None, course.track], "campus_id": [None, campus.id]},
        label=title,
        campus_id=campus.id,
    )
    return course


def update_course(
    actor: User, course: Course, *, title: str, track: Track, description: str = ""
) -> None:
    title = _check_course_title(course.campus, title, course)
    changes = audit.apply_changes(
        course, {"title": title, "track": Track(track), "description": description.strip()}
    )
    if changes:
        audit.record(
            actor, "course.updated", course, changes, label=course.title, campus_id=course.campus_id
        )


def _check_cohort(
    course: Course,
    number: int,
    recruit_start_on: date,
    recruit_end_on: date,
    start_on: date,
    end_on: date,
    capacity: int,
    cohort: Cohort | None = None,
) -> None:
    if number is None or number < 1:
        raise InvalidInput(gettext("The cohort number must be 1 or more."), "number")
    if capacity is None or capacity < 1:
        raise InvalidInput(gettext("Enter a capacity above zero."), "capacity")
    if cohort is not None and capacity < cohort.seats_taken:
        raise InvalidInput(
            gettext(
                "%(n)d places are already taken: the capacity cannot be lower.",
                n=cohort.seats_taken,
            ),
            "capacity",
        )
    if recruit_end_on < recruit_start_on:
        raise InvalidInput(gettext("Recruiting cannot close before it opens."), "recruit_end_on")
    if start_on < recruit_end_on:
        raise InvalidInput(gettext("Training cannot start before recruiting closes."), "start_on")
    if end_on < start_on:
        raise InvalidInput(gettext("Training cannot end before it starts."), "end_on")
    clash = db.session.scalar(
        db.select(Cohort.id).where(Cohort.course_id == course.id, Cohort.number == number)
    )
    if clash is not None and (cohort is None or clash != cohort.id):
        raise Conflict(gettext("This course already has cohort %(n)d.", n=number), "number")


def create_cohort(
    actor: User,
    course: Course,
    *,
    number: int,
    recruit_start_on: date,
    recruit_end_on: date,
    start_on: date,
    end_on: date,
    capacity: int,
) -> Cohort:
    values = dict(
        number=number,
        recruit_start_on=recruit_start_on,
        recruit_end_on=recruit_end_on,
        start_on=start_on,
        end_on=end_on,
        capacity=capacity,
    )
    _check_cohort(course, **values)
    cohort = Cohort(course_id=course.id, status=CohortStatus.PLANNED, **values)
    db.session.add(cohort)
    db.session.flush()
    db.session.refresh(cohort)
    audit.record(
        actor,
        "cohort.created",
        cohort,
        {k: [None, v] for k, v in values.items()},
        label=cohort.label(),
        campus_id=course.campus_id,
    )
    return cohort


def update_cohort(
    actor: User,
    cohort: Cohort,
    *,
    number: int,
    recruit_start_on: date,
    recruit_end_on: date,
    start_on: date,
    end_on: date,
    capacity: int,
) -> None:
    values = dict(
        number=number,
        recruit_start_on=recruit_start_on,
        recruit_end_on=recruit_end_on,
        start_on=start_on,
        end_on=end_on,
        capacity=capacity,
    )
    _check_cohort(cohort.course, cohort=cohort, **values)
    changes = audit.apply_changes(cohort, values)
    if changes:
        audit.record(
            actor,
            "cohort.updated",
            cohort,
            changes,
            label=cohort.label(),
            campus_id=cohort.campus_id,
        )


def next_status(cohort: Cohort) -> CohortStatus | None:
    index = COHORT_STATUS_ORDER.index(cohort.status)
    return COHORT_STATUS_ORDER[index + 1] if index + 1 < len(COHORT_STATUS_ORDER) else None


def advance_status(actor: User, cohort: Cohort, to: CohortStatus | str) -> None:
    """Move a cohort one step along planned → recruiting → selecting → in progress → finished."""
    try:
        to = CohortStatus(to)
    except ValueError:
        raise InvalidInput(gettext("Unknown cohort status.")) from None
    if to != next_status(cohort):
        raise Conflict(
            gettext(
                "A cohort moves one step at a time; it is now “%(status)s”.",
                status=status_label(cohort.status),
            )
        )
    old = cohort.status
    cohort.status = to
    audit.record(
        actor,
        "cohort.status_changed",
        cohort,
        {"status": [old, to]},
        label=cohort.label(),
        campus_id=cohort.campus_id,
    )


def staff_candidates(cohort: Cohort) -> list[User]:
    assigned = db.select(CohortStaff.user_id).where(CohortStaff.cohort_id == cohort.id)
    return list(
        db.session.scalars(
            db.select(User)
            .where(
                User.campus_id == cohort.campus_id,
                User.active,
                User.role.in_((Role.COORDINATOR, Role.MENTOR)),
                User.id.not_in(assigned),
            )
            .order_by(User.role, User.name)
        )
    )


def cohort_staff(cohort: Cohort) -> list[CohortStaff]:
    return list(
        db.session.scalars(
            db.select(CohortStaff)
            .join(CohortStaff.user)
            .where(CohortStaff.cohort_id == cohort.id)
            .order_by(CohortStaff.role, User.name)
        )
    )


def assign_staff(actor: User, cohort: Cohort, user: User | None) -> CohortStaff:
    if (
        user is None
        or not user.active
        or user.campus_id != cohort.campus_id
        or user.role not in (Role.COORDINATOR, Role.MENTOR)
    ):
        raise InvalidInput(
            gettext("Choose an active coordinator or mentor of this cohort's campus."), "user_id"
        )
    exists = db.session.scalar(
        db.select(sa.func.count())
        .select_from(CohortStaff)
        .where(CohortStaff.cohort_id == cohort.id, CohortStaff.user_id == user.id)
    )
    if exists:
        raise Conflict(
            gettext("%(name)s is already assigned to this cohort.", name=user.name), "user_id"
        )
    staff = CohortStaff(cohort_id=cohort.id, user_id=user.id, role=StaffRole(user.role.value))
    db.session.add(staff)
    db.session.flush()
    audit.record(
        actor,
        "cohort.staff_assigned",
        cohort,
        {"staff": [None, f"{user.name} <{user.email}> ({user.role})"]},
        label=cohort.label(),
        campus_id=cohort.campus_id,
    )
    return staff


def remove_staff(actor: User, staff: CohortStaff) -> None:
    cohort, user = staff.cohort, staff.user
    db.session.delete(staff)
    audit.record(
        actor,
        "cohort.staff_removed",
        cohort,
        {"staff": [f"{user.name} <{user.email}> ({user.role})", None]},
        label=cohort.label(),
        campus_id=cohort.campus_id,
    )


def status_label(status: CohortStatus) -> str:
    return {
        CohortStatus.PLANNED: gettext("Planned"),
        CohortStatus.RECRUITING: gettext("Recruiting"),
        CohortStatus.SELECTING: gettext("Selecting"),
        CohortStatus.IN_PROGRESS: gettext("In progress"),
        CohortStatus.FINISHED: gettext("Finished"),
    }[CohortStatus(status)]
