"""Course and cohort use-cases. Raise InvalidInput or Conflict with the field they concern."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy import Select

from .. import audit
from ..errors import Conflict, DomainError, InvalidInput, NotAllowed, Problems
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


def course_list_query(user: User, campus_id: int | None, locale: str) -> Select:
    """`courses_query` as the course list reads it: only the columns it shows, the campus's
    name in the locale's language, the course's id last in the order so that pages hold
    steady. The list pages it (`course_lines` reads a page): at twice Seoul's size an
    administrator sees 225 courses."""
    return (
        courses_query(user, campus_id)
        .with_only_columns(
            Course.id,
            Course.campus_id,
            Campus.name_en if locale == "en" else Campus.name_ko,
            Course.title,
            Course.title_en,
            Course.track,
            maintain_column_froms=True,
        )
        .order_by(Course.id)
    )


def course_lines(rows: Iterable[Any], locale: str) -> list[tuple[int, int, str, str, str]]:
    """(course id, campus id, campus name, course title, track) of `course_list_query` rows, the
    title in English where the locale is English and the course has one."""
    return [
        (
            course_id,
            course_campus,
            campus,
            title_en if locale == "en" and title_en else title,
            track,
        )
        for course_id, course_campus, campus, title, title_en, track in rows
    ]


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


def _clean_title_en(title_en: str | None) -> str | None:
    """The optional English title, spaces tidied; None when left empty."""
    return " ".join((title_en or "").split()) or None


def create_course(
    actor: User,
    *,
    campus: Campus | None,
    title: str,
    track: Track,
    description: str = "",
    title_en: str | None = None,
) -> Course:
    campus = _check_campus(actor, campus)
    title = _check_course_title(campus, title)
    course = Course(
        campus_id=campus.id,
        title=title,
        title_en=_clean_title_en(title_en),
        track=Track(track),
        description=description.strip(),
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
    actor: User,
    course: Course,
    *,
    title: str,
    track: Track,
    description: str = "",
    title_en: str | None = None,
) -> None:
    title = _check_course_title(course.campus, title, course)
    changes = audit.apply_changes(
        course,
        {
            "title": title,
            "title_en": _clean_title_en(title_en),
            "track": Track(track),
            "description": description.strip(),
        },
    )
    if changes:
        audit.record(
            actor, "course.updated", course, changes, label=course.title, campus_id=course.campus_id
        )


def _check_cohort(
    course: Course,
    number: int | None,
    recruit_start_on: date | None,
    recruit_end_on: date | None,
    start_on: date | None,
    end_on: date | None,
    capacity: int | None,
    cohort: Cohort | None = None,
) -> None:
    """Every problem of a cohort's values at once (DomainErrors), or None when they are fine.

    A value that is None was not given or did not parse (the form says so): the rules that
    need it are skipped, the others still run.
    """
    problems = Problems()
    if number is not None and number < 1:
        problems.add(gettext("The cohort number must be 1 or more."), "number")
    if capacity is not None and capacity < 1:
        problems.add(gettext("Enter a capacity above zero."), "capacity")
    elif capacity is not None and cohort is not None and capacity < cohort.seats_taken:
        problems.add(
            gettext(
                "%(n)d places are already taken: the capacity cannot be lower.",
                n=cohort.seats_taken,
            ),
            "capacity",
        )
    if recruit_start_on and recruit_end_on and recruit_end_on < recruit_start_on:
        problems.add(gettext("Recruiting cannot close before it opens."), "recruit_end_on")
    if recruit_end_on and start_on and start_on < recruit_end_on:
        problems.add(gettext("Training cannot start before recruiting closes."), "start_on")
    if start_on and end_on and end_on < start_on:
        problems.add(gettext("Training cannot end before it starts."), "end_on")
    if number is not None and number >= 1:
        clash = db.session.scalar(
            db.select(Cohort.id).where(Cohort.course_id == course.id, Cohort.number == number)
        )
        if clash is not None and (cohort is None or clash != cohort.id):
            problems.add_error(
                Conflict(gettext("This course already has cohort %(n)d.", n=number), "number")
            )
    if number is None:
        problems.add(gettext("The cohort number must be 1 or more."), "number")
    if capacity is None:
        problems.add(gettext("Enter a capacity above zero."), "capacity")
    problems.raise_any()


def check_cohort(course: Course, values: dict, cohort: Cohort | None = None) -> None:
    """The cohort form's service checks, all at once, without changing anything."""
    _check_cohort(course, cohort=cohort, **values)


def check_course(
    actor: User, campus: Campus | None, title: str | None, course: Course | None = None
) -> None:
    """The course form's service checks (campus, title), all at once, changing nothing."""
    problems = Problems()
    if course is not None:
        campus = course.campus
    else:
        try:
            campus = _check_campus(actor, campus)
        except DomainError as error:
            problems.add_error(error)
            campus = None  # out of scope: its courses are not compared
    if campus is not None and title is not None:
        with problems.check():
            _check_course_title(campus, title, course)
    problems.raise_any()


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
