"""Courses and cohorts: a manager opens them through the forms, moves them along and staffs them.

Every change leaves an audit entry; staff of another campus see nothing of it, and a
coordinator may look but not touch.
"""

from __future__ import annotations

import re
from datetime import date
from html import unescape

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext

from sesac_ms.cohorts import services
from sesac_ms.errors import Conflict, InvalidInput, NotAllowed
from sesac_ms.extensions import db
from sesac_ms.models import (
    AuditEntry,
    Cohort,
    CohortStaff,
    CohortStatus,
    Course,
    Role,
    StaffRole,
    Track,
)

VALID_COHORT = {
    "number": "1",
    "recruit_start_on": "2026-01-05",
    "recruit_end_on": "2026-01-30",
    "start_on": "2026-02-09",
    "end_on": "2026-06-30",
    "capacity": "30",
}


def ko(message: str, **values) -> str:
    """The message as a Korean user reads it, from the app's own catalogue."""
    with force_locale("ko"):
        return gettext(message, **values)


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def field_errors(response, name: str) -> list[str]:
    """The messages the forms macro renders beside the field called `name`."""
    html = response.get_data(as_text=True)
    for block in re.split(r'<div class="(?:form-check )?mb-3', html):
        if re.search(rf'<(?:input|select|textarea)\b[^>]*\bname="{name}"', block):
            found = re.findall(r'<div class="invalid-feedback">(.*?)</div>', block, re.S)
            return [unescape(message.strip()) for message in found]
    raise AssertionError(f"the page has no field {name!r}")


def audit_entries(action: str | None = None) -> list[AuditEntry]:
    stmt = db.select(AuditEntry).order_by(AuditEntry.id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    return list(db.session.scalars(stmt))


def count(model) -> int:
    return db.session.scalar(db.select(sa.func.count()).select_from(model))


@pytest.fixture
def other_campus(make_campus):
    return make_campus("중랑", name_en="Jungnang", district="중랑구", opening_order=25)


@pytest.fixture
def manager(login_as):
    return login_as(Role.MANAGER)


# --- opening courses and cohorts ------------------------------------------------------


def test_manager_opens_a_course_and_its_first_cohort_through_the_forms(client, campus, manager):
    response = client.post(
        "/cohorts/courses/new",
        data={
            "campus_id": campus.id,
            "title": "AI 활용 데이터분석 취업캠프",
            "track": Track.AI_CONVERGENCE_DX.value,
            "description": "데이터 분석 실무",
        },
        follow_redirects=True,
    )

    assert response.request.path == "/cohorts/courses"
    assert ko("Course “%(title)s” was created.", title="AI 활용 데이터분석 취업캠프") in text(
        response
    )
    course = db.session.scalar(db.select(Course))
    assert (course.campus_id, course.title, course.track) == (
        campus.id,
        "AI 활용 데이터분석 취업캠프",
        Track.AI_CONVERGENCE_DX,
    )
    [created] = audit_entries("course.created")
    assert created.actor_id == manager.id
    assert created.object_id == course.id
    assert created.changes["title"] == [None, "AI 활용 데이터분석 취업캠프"]

    response = client.post(
        f"/cohorts/courses/{course.id}/cohorts/new", data=VALID_COHORT, follow_redirects=True
    )

    cohort = db.session.scalar(db.select(Cohort))
    assert response.request.path == f"/cohorts/{cohort.id}"
    assert "(구로1기/AI융합) AI 활용 데이터분석 취업캠프" in text(response)
    assert (cohort.number, cohort.capacity, cohort.status) == (1, 30, CohortStatus.PLANNED)
    assert (cohort.recruit_start_on, cohort.end_on) == (date(2026, 1, 5), date(2026, 6, 30))
    [opened] = audit_entries("cohort.created")
    assert opened.actor_id == manager.id
    assert opened.object_label == "(구로1기/AI융합) AI 활용 데이터분석 취업캠프"
    assert opened.changes["capacity"] == [None, 30]
    assert opened.changes["start_on"] == [None, "2026-02-09"]


@pytest.mark.parametrize(
    ("field", "bad", "message"),
    [
        (
            "recruit_end_on",
            {"recruit_end_on": "2026-01-04"},
            "Recruiting cannot close before it opens.",
        ),
        ("start_on", {"start_on": "2026-01-29"}, "Training cannot start before recruiting closes."),
        ("end_on", {"end_on": "2026-02-08"}, "Training cannot end before it starts."),
        ("capacity", {"capacity": "0"}, "Enter a capacity above zero."),
        ("capacity", {"capacity": "-5"}, "Enter a capacity between 1 and 1000."),
        ("number", {"number": "1"}, "This course already has cohort %(n)d."),
    ],
    ids=[
        "recruiting-closes-before-opening",
        "training-before-recruiting-closes",
        "end-before-start",
        "capacity-zero",
        "capacity-negative",
        "duplicate-number",
    ],
)
def test_a_cohort_with_bad_input_is_refused_beside_the_field(
    client, manager, make_course, make_cohort, field, bad, message
):
    course = make_course()
    make_cohort(course=course, number=1)
    entries_before = len(audit_entries())

    response = client.post(
        f"/cohorts/courses/{course.id}/cohorts/new", data={**VALID_COHORT, "number": "2", **bad}
    )

    assert response.status_code == 200
    assert ko(message, n=1) in field_errors(response, field)
    others = [name for name in VALID_COHORT if name != field]
    assert all(field_errors(response, name) == [] for name in others)
    assert db.session.scalars(
        db.select(Cohort.number).where(Cohort.course_id == course.id)
    ).all() == [1]
    assert len(audit_entries()) == entries_before


def test_the_same_cohort_number_in_another_course_is_fine(
    client, manager, make_course, make_cohort
):
    make_cohort(course=make_course(title="웹 개발 과정"), number=1)
    course = make_course(title="클라우드 과정")

    response = client.post(f"/cohorts/courses/{course.id}/cohorts/new", data=VALID_COHORT)

    assert response.status_code == 302
    assert db.session.scalar(db.select(Cohort.number).where(Cohort.course_id == course.id)) == 1


def test_editing_a_cohort_audits_only_the_changed_fields(client, manager, make_cohort):
    cohort = make_cohort(number=3, capacity=30)

    response = client.post(
        f"/cohorts/{cohort.id}/edit", data={**VALID_COHORT, "number": "3", "capacity": "40"}
    )

    assert response.status_code == 302
    db.session.refresh(cohort)
    assert cohort.capacity == 40
    [entry] = audit_entries("cohort.updated")
    assert entry.actor_id == manager.id
    assert entry.changes == {"capacity": [30, 40]}


def test_editing_a_cohort_onto_a_taken_number_is_refused(client, manager, make_course, make_cohort):
    course = make_course()
    make_cohort(course=course, number=1)
    cohort = make_cohort(course=course, number=2)

    response = client.post(f"/cohorts/{cohort.id}/edit", data={**VALID_COHORT, "number": "1"})

    assert ko("This course already has cohort %(n)d.", n=1) in field_errors(response, "number")
    db.session.refresh(cohort)
    assert cohort.number == 2
    assert audit_entries("cohort.updated") == []


# --- course titles ----------------------------------------------------------------------


def test_a_course_title_is_unique_per_campus(client, campus, manager, make_course):
    make_course(title="AI 활용 데이터분석 취업캠프")

    response = client.post(
        "/cohorts/courses/new",
        data={
            "campus_id": campus.id,
            "title": "  AI 활용  데이터분석 취업캠프 ",
            "track": Track.AI_CONVERGENCE_DX.value,
        },
    )

    assert response.status_code == 200
    assert field_errors(response, "title") == [
        ko("This campus already has a course with this title.")
    ]
    assert count(Course) == 1


def test_renaming_a_course_onto_another_title_is_refused(client, manager, make_course):
    make_course(title="웹 개발 과정")
    course = make_course(title="클라우드 과정")

    response = client.post(
        f"/cohorts/courses/{course.id}/edit",
        data={"title": "웹 개발 과정", "track": Track.AI_CORE_SW.value},
    )

    assert field_errors(response, "title") == [
        ko("This campus already has a course with this title.")
    ]
    db.session.refresh(course)
    assert course.title == "클라우드 과정"

    response = client.post(
        f"/cohorts/courses/{course.id}/edit",
        data={"title": "클라우드 엔지니어 과정", "track": Track.AI_CONVERGENCE_DX.value},
    )

    assert response.status_code == 302
    [entry] = audit_entries("course.updated")
    assert entry.actor_id == manager.id
    assert entry.changes == {"title": ["클라우드 과정", "클라우드 엔지니어 과정"]}


def test_the_same_course_title_on_another_campus_is_fine(
    client, campus, other_campus, login_as, make_course
):
    login_as(Role.ADMIN)
    make_course(title="AI 활용 데이터분석 취업캠프")

    response = client.post(
        "/cohorts/courses/new",
        data={
            "campus_id": other_campus.id,
            "title": "AI 활용 데이터분석 취업캠프",
            "track": Track.AI_CONVERGENCE_DX.value,
        },
    )

    assert response.status_code == 302
    assert sorted(db.session.scalars(db.select(Course.campus_id))) == sorted(
        [campus.id, other_campus.id]
    )


def test_a_manager_cannot_open_a_course_on_another_campus(client, other_campus, manager):
    response = client.post(
        "/cohorts/courses/new",
        data={"campus_id": other_campus.id, "title": "남의 과정", "track": Track.AI_CORE_SW.value},
    )

    assert response.status_code == 200
    assert field_errors(response, "campus_id")
    assert count(Course) == 0


def test_the_service_refuses_a_course_outside_the_actors_campus(app, other_campus, make_user):
    manager = make_user(Role.MANAGER)

    with pytest.raises(NotAllowed) as refused:
        services.create_course(
            manager, campus=other_campus, title="남의 과정", track=Track.AI_CORE_SW
        )

    assert refused.value.field == "campus_id"


# --- the cohort label ---------------------------------------------------------------------


def test_the_cohort_label_reads_as_campuses_write_it(make_campus, make_course, make_cohort, campus):
    dx = make_cohort(course=make_course(title="AI 활용 데이터분석 취업캠프"), number=1)
    mapo = make_campus("마포", name_en="Mapo", district="마포구", opening_order=3)
    sw = make_cohort(
        course=make_course(campus=mapo, title="AI 엔지니어 과정", track=Track.AI_CORE_SW), number=2
    )

    assert dx.label() == "(구로1기/AI융합) AI 활용 데이터분석 취업캠프"
    assert sw.label() == "(마포2기/AI핵심) AI 엔지니어 과정"
    assert dx.label("en") == "(Guro #1) AI 활용 데이터분석 취업캠프"


# --- status -----------------------------------------------------------------------------


def test_a_cohort_opens_recruiting_one_step_on(client, manager, make_cohort):
    cohort = make_cohort()

    response = client.post(
        f"/cohorts/{cohort.id}/status", data={"status": "recruiting"}, follow_redirects=True
    )

    assert ko("The cohort is now “%(status)s”.", status=ko("Recruiting")) in text(response)
    db.session.refresh(cohort)
    assert cohort.status == CohortStatus.RECRUITING
    [entry] = audit_entries("cohort.status_changed")
    assert entry.actor_id == manager.id
    assert entry.object_id == cohort.id
    assert entry.changes == {"status": ["planned", "recruiting"]}


STEP = "A cohort moves one step at a time; it is now “%(status)s”."


@pytest.mark.parametrize(
    ("now", "requested", "message"),
    [
        (CohortStatus.PLANNED, "selecting", STEP),
        (CohortStatus.PLANNED, "finished", STEP),
        (CohortStatus.RECRUITING, "planned", STEP),
        (CohortStatus.FINISHED, "in_progress", STEP),
        (CohortStatus.PLANNED, "planned", STEP),
        (CohortStatus.PLANNED, "cancelled", "Unknown cohort status."),
        (CohortStatus.PLANNED, "", "Unknown cohort status."),
    ],
    ids=["skip-one", "skip-to-end", "backwards", "after-finished", "same", "unknown", "empty"],
)
def test_a_status_change_out_of_order_is_refused(
    client, manager, make_cohort, now, requested, message
):
    cohort = make_cohort(status=now)

    response = client.post(
        f"/cohorts/{cohort.id}/status", data={"status": requested}, follow_redirects=True
    )

    with force_locale("ko"):
        expected = gettext(message, status=services.status_label(now))
    assert response.request.path == f"/cohorts/{cohort.id}"
    assert expected in text(response)
    db.session.refresh(cohort)
    assert cohort.status == now
    assert audit_entries("cohort.status_changed") == []


# --- staff --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.MENTOR])
def test_a_manager_assigns_and_removes_campus_staff(client, manager, make_user, make_cohort, role):
    cohort = make_cohort()
    person = make_user(role, name="이잡코디")

    response = client.post(
        f"/cohorts/{cohort.id}/staff", data={"user_id": person.id}, follow_redirects=True
    )

    assert ko("%(name)s was assigned.", name="이잡코디") in text(response)
    staff = db.session.scalar(db.select(CohortStaff))
    assert (staff.cohort_id, staff.user_id, staff.role) == (
        cohort.id,
        person.id,
        StaffRole(role.value),
    )
    [assigned] = audit_entries("cohort.staff_assigned")
    assert assigned.actor_id == manager.id
    assert assigned.changes == {"staff": [None, f"이잡코디 <{person.email}> ({role.value})"]}

    response = client.post(f"/cohorts/{cohort.id}/staff/{staff.id}/remove", follow_redirects=True)

    assert ko("%(name)s is no longer assigned.", name="이잡코디") in text(response)
    assert ko("Nobody assigned yet.") in text(response)
    assert count(CohortStaff) == 0
    [removed] = audit_entries("cohort.staff_removed")
    assert removed.actor_id == manager.id
    assert removed.changes == {"staff": [f"이잡코디 <{person.email}> ({role.value})", None]}


@pytest.mark.parametrize(
    "kind", ["other-campus-coordinator", "trainee", "manager", "inactive-mentor"]
)
def test_only_active_coordinators_and_mentors_of_the_campus_can_be_assigned(
    client, manager, make_user, make_cohort, other_campus, kind
):
    cohort = make_cohort()
    person = {
        "other-campus-coordinator": lambda: make_user(Role.COORDINATOR, campus=other_campus),
        "trainee": lambda: make_user(Role.TRAINEE),
        "manager": lambda: make_user(Role.MANAGER),
        "inactive-mentor": lambda: make_user(Role.MENTOR, active=False),
    }[kind]()

    page = client.get(f"/cohorts/{cohort.id}")
    response = client.post(
        f"/cohorts/{cohort.id}/staff", data={"user_id": person.id}, follow_redirects=True
    )

    assert f"({person.email})" not in text(page)  # not offered in the picker either
    assert ko("Choose an active coordinator or mentor of this cohort's campus.") in text(response)
    assert count(CohortStaff) == 0
    assert audit_entries("cohort.staff_assigned") == []


def test_the_service_refuses_staff_of_another_campus_and_a_second_assignment(
    app, make_user, make_cohort, other_campus
):
    manager = make_user(Role.MANAGER)
    cohort = make_cohort()

    with pytest.raises(InvalidInput) as refused:
        services.assign_staff(manager, cohort, make_user(Role.MENTOR, campus=other_campus))
    assert refused.value.field == "user_id"
    with pytest.raises(InvalidInput):
        services.assign_staff(manager, cohort, make_user(Role.TRAINEE))

    mentor = make_user(Role.MENTOR)
    services.assign_staff(manager, cohort, mentor)
    with pytest.raises(Conflict):
        services.assign_staff(manager, cohort, mentor)


def test_staff_of_another_cohort_cannot_be_removed_through_this_one(
    client, manager, make_user, make_cohort
):
    cohort, other = make_cohort(), make_cohort()
    staff = CohortStaff(
        cohort_id=other.id, user_id=make_user(Role.MENTOR).id, role=StaffRole.MENTOR
    )
    db.session.add(staff)
    db.session.commit()

    response = client.post(f"/cohorts/{cohort.id}/staff/{staff.id}/remove")

    assert response.status_code == 404
    assert count(CohortStaff) == 1


# --- campus scope and roles ---------------------------------------------------------------


def test_a_manager_of_another_campus_sees_nothing_of_this_campus(
    client, login_as, make_course, make_cohort, make_user, other_campus
):
    ours = make_cohort(course=make_course(title="구로 과정"), number=7)
    theirs = make_cohort(course=make_course(campus=other_campus, title="중랑 과정"), number=1)
    coordinator = make_user(Role.COORDINATOR)
    login_as(Role.MANAGER, campus=other_campus)

    listing = text(client.get("/cohorts/"))
    filtered = text(client.get(f"/cohorts/?campus_id={ours.course.campus_id}"))
    courses = text(client.get("/cohorts/courses"))

    assert theirs.label() in listing
    assert "구로 과정" not in listing
    assert "구로 과정" not in filtered
    assert "구로 과정" not in courses and "중랑 과정" in courses
    course_id = ours.course_id
    for method, url, data in [
        ("get", f"/cohorts/{ours.id}", None),
        ("get", f"/cohorts/{ours.id}/edit", None),
        ("post", f"/cohorts/{ours.id}/edit", VALID_COHORT),
        ("post", f"/cohorts/{ours.id}/status", {"status": "recruiting"}),
        ("post", f"/cohorts/{ours.id}/staff", {"user_id": coordinator.id}),
        ("get", f"/cohorts/courses/{course_id}/edit", None),
        ("get", f"/cohorts/courses/{course_id}/cohorts/new", None),
        ("post", f"/cohorts/courses/{course_id}/cohorts/new", {**VALID_COHORT, "number": "8"}),
    ]:
        response = getattr(client, method)(url, data=data)
        assert response.status_code == 404, (method, url)
    db.session.refresh(ours)
    assert (ours.status, ours.number) == (CohortStatus.PLANNED, 7)
    assert count(Cohort) == 2
    assert count(CohortStaff) == 0


def test_a_coordinator_views_cohorts_of_the_campus_but_cannot_change_them(
    client, login_as, make_cohort, make_user
):
    cohort = make_cohort(number=4)
    mentor = make_user(Role.MENTOR)
    login_as(Role.COORDINATOR)

    page = client.get(f"/cohorts/{cohort.id}")
    courses = client.get("/cohorts/courses")

    assert page.status_code == 200
    assert cohort.label() in text(page)
    assert f"/cohorts/{cohort.id}/edit" not in text(page)
    assert f"/cohorts/{cohort.id}/status" not in text(page)
    assert courses.status_code == 200 and "/cohorts/courses/new" not in text(courses)
    for method, url, data in [
        ("get", f"/cohorts/{cohort.id}/edit", None),
        ("post", f"/cohorts/{cohort.id}/edit", {**VALID_COHORT, "number": "4"}),
        ("post", f"/cohorts/{cohort.id}/status", {"status": "recruiting"}),
        ("post", f"/cohorts/{cohort.id}/staff", {"user_id": mentor.id}),
        ("get", "/cohorts/courses/new", None),
        ("get", f"/cohorts/courses/{cohort.course_id}/cohorts/new", None),
    ]:
        response = getattr(client, method)(url, data=data)
        assert response.status_code == 403, (method, url)
    db.session.refresh(cohort)
    assert cohort.status == CohortStatus.PLANNED
    assert count(CohortStaff) == 0
    assert audit_entries("cohort.status_changed") == []
