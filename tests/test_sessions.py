"""1:1 sessions: published times, booking, the overlap rule, changes, logging, schedules,
the calendar feed, reminders and coverage.

Read as the people meet it: coordinators and mentors publish times, trainees of their
cohorts book them or staff schedule directly; nobody is in two sessions at once nor in a
session over class hours; every change mails the other person; the trainee reads the
summary but never the staff notes. Times are Seoul wall-clock times counted from today,
so the tests hold whatever day they run. Racing bookings: test_sessions_race.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from html import unescape
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale, gettext
from icalendar import Calendar

from sesac_ms.cohorts import roster
from sesac_ms.errors import NotAllowed
from sesac_ms.extensions import db
from sesac_ms.models import (
    AuditEntry,
    AvailabilitySlot,
    ClassDay,
    CoachingSession,
    Cohort,
    CohortEvent,
    CohortStaff,
    CohortStatus,
    Enrollment,
    EventKind,
    FollowUp,
    OutboxMessage,
    Role,
    SessionKind,
    SessionStatus,
    StaffRole,
    User,
)
from sesac_ms.sessions import agenda, coverage, picker, services
from tests.conftest import login

SEOUL = ZoneInfo("Asia/Seoul")
SECRET = "NOTE-7f3 worried about the family situation"


# --- helpers ---------------------------------------------------------------------------


def en(message: str, **values) -> str:
    """The message as the English-speaking users of these tests read it."""
    with force_locale("en"):
        return gettext(message, **values)


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def flashes(response) -> list[str]:
    found = re.findall(r'role="alert">\s*(.*?)\s*<button', response.get_data(as_text=True), re.S)
    return [unescape(message) for message in found]


def field_errors(response, name: str) -> list[str]:
    """The messages the forms macro renders beside the field called `name`."""
    html = response.get_data(as_text=True)
    for block in re.split(r'<div class="(?:form-check )?mb-3', html):
        if re.search(rf'<(?:input|select|textarea)\b[^>]*\bname="{name}"', block):
            found = re.findall(r'<div class="invalid-feedback">(.*?)</div>', block, re.S)
            return [unescape(message.strip()) for message in found]
    raise AssertionError(f"the page has no field {name!r}")


def today() -> date:
    return datetime.now(SEOUL).date()


def at(days: int, hour: int, minute: int = 0) -> datetime:
    """Seoul wall-clock time, `days` from today."""
    return datetime.combine(today() + timedelta(days=days), time(hour, minute), SEOUL)


def local(moment: datetime) -> str:
    """As a datetime-local input sends it (Seoul time)."""
    return moment.astimezone(SEOUL).strftime("%Y-%m-%dT%H:%M")


def overlap(name: str, start: datetime, end: datetime) -> str:
    return en(
        "%(name)s already has a session from %(start)s to %(end)s.",
        name=name,
        start=start.astimezone(SEOUL).strftime("%m-%d %H:%M"),
        end=end.astimezone(SEOUL).strftime("%H:%M"),
    )


def you_overlap(start: datetime, end: datetime) -> str:
    """The same refusal, to the person whose session it is (the reader)."""
    return en(
        "You already have a session from %(start)s to %(end)s.",
        start=start.astimezone(SEOUL).strftime("%m-%d %H:%M"),
        end=end.astimezone(SEOUL).strftime("%H:%M"),
    )


def when(moment: datetime) -> str:
    """How mails write a session's time (English, Seoul)."""
    return moment.astimezone(SEOUL).strftime("%Y-%m-%d (%a) %H:%M")


def outbox() -> list[tuple[str, str]]:
    """(recipient, body) of every queued message, oldest first."""
    db.session.expire_all()
    return [
        (m.recipient, m.body)
        for m in db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id))
    ]


def count(model, *where) -> int:
    return db.session.scalar(db.select(sa.func.count()).select_from(model).where(*where))


def reload(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def slots_of(staff: User) -> list[AvailabilitySlot]:
    return list(
        db.session.scalars(
            db.select(AvailabilitySlot)
            .where(AvailabilitySlot.staff_id == staff.id)
            .order_by(AvailabilitySlot.starts_at)
        )
    )


def sessions_of(trainee: User) -> list[CoachingSession]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            db.select(CoachingSession)
            .where(CoachingSession.trainee_id == trainee.id)
            .order_by(CoachingSession.starts_at)
        )
    )


def publish(staff: User, starts_at: datetime, kind: str = "mentoring", weeks: int = 1):
    with force_locale("en"):
        slots = services.publish_slots(
            staff, kind=kind, starts_at=starts_at, location="Room 3", weeks=weeks
        )
    db.session.commit()
    return slots[0] if weeks == 1 else slots


def scheduled(
    staff: User, trainee: User, cohort: Cohort, starts_at: datetime, kind: str = "mentoring"
) -> CoachingSession:
    """A session staff scheduled through the service (refused like the page would)."""
    with force_locale("en"):
        session = services.schedule(
            staff,
            trainee=trainee,
            cohort=cohort,
            kind=kind,
            starts_at=starts_at,
            minutes=None,
            location="Room 1",
        )
    db.session.commit()
    return session


def held(
    staff: User,
    trainee: User,
    cohort: Cohort,
    starts_at: datetime,
    kind: SessionKind = SessionKind.MENTORING,
    status: SessionStatus = SessionStatus.COMPLETED,
    minutes: int = 60,
) -> CoachingSession:
    """A session stored as it was held in the past (the services refuse past times)."""
    session = CoachingSession(
        cohort_id=cohort.id,
        trainee_id=trainee.id,
        staff_id=staff.id,
        kind=kind,
        status=status,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        created_by_id=staff.id,
    )
    db.session.add(session)
    db.session.commit()
    return session


def first_class_day(cohort: Cohort, at_least: int = 2) -> date:
    return next(d for d in roster.planned_days(cohort) if d >= today() + timedelta(at_least))


# --- fixtures --------------------------------------------------------------------------


@pytest.fixture
def make_running_cohort(make_cohort) -> Callable[..., Cohort]:
    """A cohort in training: started a month ago, ends in five months."""

    def factory(**values) -> Cohort:
        start = today() - timedelta(days=30)
        values.setdefault("status", CohortStatus.IN_PROGRESS)
        values.setdefault("recruit_start_on", start - timedelta(days=40))
        values.setdefault("recruit_end_on", start - timedelta(days=10))
        values.setdefault("start_on", start)
        values.setdefault("end_on", start + timedelta(days=180))
        return make_cohort(**values)

    return factory


@pytest.fixture
def cohort(make_running_cohort) -> Cohort:
    return make_running_cohort()


@pytest.fixture
def enrol(make_user) -> Callable[..., User]:
    """A trainee enrolled in the cohort (English, to read the messages)."""

    def factory(cohort: Cohort, name: str, campus=None) -> User:
        kwargs = {"campus": campus} if campus is not None else {}
        user = make_user(Role.TRAINEE, name=name, locale="en", **kwargs)
        db.session.add(Enrollment(cohort_id=cohort.id, user_id=user.id))
        db.session.commit()
        return user

    return factory


@pytest.fixture
def staff_of(make_user) -> Callable[..., User]:
    """A coordinator or mentor, assigned to the cohort unless it is None."""

    def factory(cohort: Cohort | None, role: Role, name: str, campus=None) -> User:
        kwargs = {"campus": campus} if campus is not None else {}
        user = make_user(role, name=name, locale="en", **kwargs)
        if cohort is not None:
            db.session.add(
                CohortStaff(cohort_id=cohort.id, user_id=user.id, role=StaffRole(role.value))
            )
            db.session.commit()
        return user

    return factory


@pytest.fixture
def client_of(app: Flask) -> Callable[[User], FlaskClient]:
    """A client of its own, logged in through the form as the user."""

    def factory(user: User) -> FlaskClient:
        client = app.test_client()
        assert login(client, user.email).status_code == 302
        return client

    return factory


@pytest.fixture
def mentor(staff_of, cohort) -> User:
    return staff_of(cohort, Role.MENTOR, "Mentor Lee")


@pytest.fixture
def coordinator(staff_of, cohort) -> User:
    return staff_of(cohort, Role.COORDINATOR, "Coach Kim")


@pytest.fixture
def trainee(enrol, cohort) -> User:
    return enrol(cohort, "Trainee Park")


# --- who may open what ------------------------------------------------------------------


PAGES_BY_ROLE = [
    (Role.TRAINEE, "/sessions/slots", 403),
    (Role.TRAINEE, "/sessions/new", 403),
    (Role.TRAINEE, "/sessions/log", 403),
    (Role.TRAINEE, "/sessions/book", 200),
    (Role.MENTOR, "/sessions/book", 403),
    (Role.MENTOR, "/sessions/slots", 200),
    (Role.COORDINATOR, "/sessions/log", 200),
    (Role.COORDINATOR, "/sessions/new", 200),
    (Role.MANAGER, "/sessions/slots", 403),
    (Role.MANAGER, "/sessions/", 200),
]


def test_pages_answer_by_role(make_user, client_of):
    # One test, not one per case: each case would cost a database reset.
    clients = {role: client_of(make_user(role, locale="en")) for role, _, _ in PAGES_BY_ROLE}
    answers = [(role, url, clients[role].get(url).status_code) for role, url, _ in PAGES_BY_ROLE]
    assert answers == PAGES_BY_ROLE


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get("/sessions/")
    assert response.status_code == 302
    assert "/auth/login" in response.location


# --- publishing times -------------------------------------------------------------------


def test_publishing_one_time_and_weekly_times_with_the_length_of_each_kind(
    app, client_of, coordinator
):
    app.config["SESSION_MINUTES"] = {**app.config["SESSION_MINUTES"], "career": 45}
    client = client_of(coordinator)

    once = client.post(
        "/sessions/slots",
        data={"kind": "career", "starts_at": local(at(7, 14)), "weeks": 1, "location": "Room 3"},
    )
    weekly = client.post(
        "/sessions/slots",
        data={
            "kind": "mock_interview",
            "starts_at": local(at(8, 10)),
            "weeks": 3,
            "location": "https://meet.example/abc",
        },
    )

    assert once.status_code == weekly.status_code == 302
    assert en("%(n)d time(s) published.", n=3) in flashes(client.get(weekly.location))
    assert [
        (s.kind, s.starts_at, s.ends_at - s.starts_at, s.location) for s in slots_of(coordinator)
    ] == [
        (SessionKind.CAREER, at(7, 14), timedelta(minutes=45), "Room 3"),
        (SessionKind.MOCK_INTERVIEW, at(8, 10), timedelta(minutes=40), "https://meet.example/abc"),
        (SessionKind.MOCK_INTERVIEW, at(15, 10), timedelta(minutes=40), "https://meet.example/abc"),
        (SessionKind.MOCK_INTERVIEW, at(22, 10), timedelta(minutes=40), "https://meet.example/abc"),
    ]
    page = text(client.get("/sessions/slots"))
    assert len(re.findall(r"/sessions/slots/\d+/delete", page)) == 4  # a Remove button each


def test_my_times_say_who_booked_each_and_the_class_hours_in_as_many_queries_for_more(
    client_of, mentor, enrol, cohort, count_queries
):
    park, choi = enrol(cohort, "Trainee Park"), enrol(cohort, "Trainee Choi")
    booked = services.book_slot(park, publish(mentor, at(3, 19))).id
    open_time = publish(mentor, at(4, 19)).id
    db.session.commit()
    hours = f"{cohort.label('en')} · 09:00–18:00"
    mentor_id, choi_id = mentor.id, choi.id
    client = client_of(mentor)
    client.get("/sessions/slots")  # the first request loads the translations

    def shown() -> tuple[str, int]:
        db.session.expunge_all()  # nothing the test loaded may spare the page a query
        with count_queries() as queries:
            page = text(client.get("/sessions/slots"))
        return page, queries()

    page, few = shown()
    assert f'href="/sessions/{booked}">{en("Booked by %(name)s", name="Trainee Park")}' in page
    assert re.findall(r"/sessions/slots/(\d+)/delete", page) == [str(open_time)]
    assert hours in page  # trainees of the cohort cannot book during its class hours

    mentor, choi = db.session.get(User, mentor_id), db.session.get(User, choi_id)
    for days in (5, 6, 7):
        publish(mentor, at(days, 19))
    services.book_slot(choi, publish(mentor, at(8, 19)))
    db.session.commit()
    page, more = shown()
    assert en("Booked by %(name)s", name="Trainee Choi") in page
    assert len(re.findall(r"/sessions/slots/\d+/delete", page)) == 4
    assert more == few <= 10


def test_publishing_over_your_own_time_is_refused_as_a_whole(client_of, coordinator):
    publish(coordinator, at(14, 14), kind="mentoring")  # 14:00–15:00
    client = client_of(coordinator)

    def post(starts_at: datetime, weeks: int = 1, kind: str = "career"):
        data = {"kind": kind, "starts_at": local(starts_at), "weeks": weeks, "location": "R"}
        return client.post("/sessions/slots", data=data)

    inside = post(at(14, 14, 30))
    series = post(at(7, 14, 50), weeks=2)  # its second week clashes: none of it is published

    assert inside.status_code == series.status_code == 200
    assert field_errors(inside, "starts_at") == [
        en(
            "You already have a slot or a session at %(when)s.",
            when=at(14, 14, 30).strftime("%Y-%m-%d %H:%M"),
        )
    ]
    assert field_errors(series, "starts_at") == [
        en(
            "You already have a slot or a session at %(when)s.",
            when=at(14, 14, 50).strftime("%Y-%m-%d %H:%M"),
        )
    ]
    assert [s.starts_at for s in slots_of(coordinator)] == [at(14, 14)]

    assert post(at(14, 15)).status_code == 302  # back-to-back is fine
    assert post(at(14, 13, 30)).status_code == 302  # ends at 14:00 as the other starts
    past = post(at(-1, 10))
    assert field_errors(past, "starts_at") == [en("The time must be in the future.")]
    assert [s.starts_at for s in slots_of(coordinator)] == [at(14, 13, 30), at(14, 14), at(14, 15)]


def test_staff_cannot_publish_over_a_session_they_already_have(
    client_of, coordinator, trainee, cohort
):
    scheduled(coordinator, trainee, cohort, at(4, 19))
    response = client_of(coordinator).post(
        "/sessions/slots",
        data={"kind": "career", "starts_at": local(at(4, 19, 30)), "weeks": 1, "location": "R"},
    )
    assert field_errors(response, "starts_at") == [
        en(
            "You already have a slot or a session at %(when)s.",
            when=at(4, 19, 30).strftime("%Y-%m-%d %H:%M"),
        )
    ]
    assert slots_of(coordinator) == []


# --- booking ------------------------------------------------------------------------------


def test_a_trainee_sees_and_books_only_times_of_the_staff_of_the_cohort(
    client_of, staff_of, enrol, make_running_cohort, mentor, cohort
):
    outsider = staff_of(None, Role.COORDINATOR, "Coach Outsider")  # same campus, not assigned
    other_cohort = make_running_cohort()
    elsewhere = staff_of(other_cohort, Role.MENTOR, "Mentor Elsewhere")
    own = publish(mentor, at(3, 19))
    foreign = publish(outsider, at(3, 20))
    other = publish(elsewhere, at(3, 21))
    trainee = enrol(cohort, "Trainee Park")
    client = client_of(trainee)

    page = text(client.get("/sessions/book"))

    assert "Mentor Lee" in page
    assert "Coach Outsider" not in page and "Mentor Elsewhere" not in page
    assert f"/sessions/book/{own.id}" in page
    for slot in (foreign, other):
        assert client.post(f"/sessions/book/{slot.id}").status_code == 404
    assert client.post("/sessions/book/999999").status_code == 404
    assert count(CoachingSession) == 0


def test_booking_schedules_the_session_and_mails_the_staff_member(
    client_of, enrol, mentor, trainee, cohort
):
    slot = publish(mentor, at(3, 19), kind="portfolio")
    client = client_of(trainee)

    response = client.post(f"/sessions/book/{slot.id}")

    assert response.status_code == 302
    (session,) = sessions_of(trainee)
    assert response.location.endswith(f"/sessions/{session.id}")
    assert (session.staff_id, session.cohort_id, session.kind, session.status) == (
        mentor.id,
        cohort.id,
        SessionKind.PORTFOLIO,
        SessionStatus.SCHEDULED,
    )
    assert (session.starts_at, session.ends_at, session.location, session.slot_id) == (
        at(3, 19),
        at(3, 20),
        "Room 3",
        slot.id,
    )
    page = client.get(response.location)
    assert en(
        "Booked: %(kind)s with %(name)s.", kind=en("Portfolio coaching"), name="Mentor Lee"
    ) in flashes(page)
    [(recipient, body)] = outbox()
    assert recipient == mentor.email
    assert (
        en(
            "%(other)s booked a %(kind)s session with you on %(when)s.",
            other="Trainee Park",
            kind=en("Portfolio coaching"),
            when=when(at(3, 19)),
        )
        in body
    )
    assert f"/sessions/book/{slot.id}" not in text(client.get("/sessions/book"))

    # The same time again, by someone else: a clear refusal, no second session.
    latecomer = client_of(enrol(cohort, "Trainee Late"))
    again = latecomer.post(f"/sessions/book/{slot.id}", follow_redirects=True)
    assert again.status_code == 200
    assert en("Someone booked this time just before you. Choose another.") in flashes(again)
    assert count(CoachingSession) == 1
    assert len(outbox()) == 1


def test_a_time_in_the_past_cannot_be_booked(client_of, mentor, trainee):
    start = datetime.now(SEOUL).replace(second=0, microsecond=0) - timedelta(hours=1)
    slot = AvailabilitySlot(
        staff_id=mentor.id,
        kind=SessionKind.CAREER,
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        location="Room 3",
    )
    db.session.add(slot)
    db.session.commit()
    client = client_of(trainee)

    assert f"/sessions/book/{slot.id}" not in text(client.get("/sessions/book"))
    response = client.post(f"/sessions/book/{slot.id}", follow_redirects=True)

    assert en("This time has passed.") in flashes(response)
    assert count(CoachingSession) == 0


def test_a_trainee_cannot_book_over_their_own_session_but_back_to_back_is_fine(
    client_of, mentor, coordinator, trainee, cohort
):
    scheduled(mentor, trainee, cohort, at(4, 14))  # 14:00–15:00
    clash = publish(coordinator, at(4, 14, 30), kind="career")
    after = publish(coordinator, at(4, 15), kind="career")  # 15:00–15:30
    before = publish(coordinator, at(4, 13, 30), kind="career")  # 13:30–14:00
    client = client_of(trainee)

    listed = text(client.get("/sessions/book"))
    assert f"/sessions/book/{clash.id}" not in listed
    assert f"/sessions/book/{after.id}" in listed and f"/sessions/book/{before.id}" in listed

    # Posted anyway (an old tab): refused in the second person, never by the trainee's name.
    refused = client.post(f"/sessions/book/{clash.id}", follow_redirects=True)

    assert you_overlap(at(4, 14), at(4, 15)) in flashes(refused)
    assert not any("Trainee Park" in message for message in flashes(refused))
    for slot in (after, before):
        booked = client.post(f"/sessions/book/{slot.id}", follow_redirects=True)
        assert en(
            "Booked: %(kind)s with %(name)s.", kind=en("Career counselling"), name="Coach Kim"
        ) in flashes(booked)
    assert [(s.starts_at, s.staff_id) for s in sessions_of(trainee)] == [
        (at(4, 13, 30), coordinator.id),
        (at(4, 14), mentor.id),
        (at(4, 15), coordinator.id),
    ]


def test_staff_cannot_be_in_two_sessions_at_once(client_of, coordinator, enrol, cohort):
    first = enrol(cohort, "Trainee One")
    second = enrol(cohort, "Trainee Two")
    scheduled(coordinator, first, cohort, at(5, 10), kind="career")  # 10:00–10:30
    client = client_of(coordinator)

    def post(starts_at: datetime):
        return client.post(
            "/sessions/new",
            data={
                "trainee": f"{second.id}:{cohort.id}",
                "kind": "career",
                "starts_at": local(starts_at),
                "minutes": "",
                "location": "",
            },
        )

    refused = post(at(5, 10, 15))
    assert refused.status_code == 200
    assert field_errors(refused, "starts_at") == [you_overlap(at(5, 10), at(5, 10, 30))]
    assert sessions_of(second) == []
    assert post(at(5, 10, 30)).status_code == 302
    assert [s.starts_at for s in sessions_of(second)] == [at(5, 10, 30)]


def test_no_session_over_the_trainees_class_hours(
    client_of, make_user, mentor, coordinator, trainee, cohort
):
    manager = make_user(Role.MANAGER)
    day = first_class_day(cohort)
    # Published before the manager generated the class days: the time became unbookable.
    in_class = publish(mentor, datetime.combine(day, time(14), SEOUL))
    after_class = publish(mentor, datetime.combine(day, time(18), SEOUL))
    roster.generate_class_days(manager, cohort)
    db.session.commit()
    client = client_of(trainee)
    message = en(
        "%(name)s has class on %(day)s from %(start)s to %(end)s.",
        name="Trainee Park",
        day=day.isoformat(),
        start="09:00",
        end="18:00",
    )

    listed = text(client.get("/sessions/book"))
    assert f"/sessions/book/{in_class.id}" not in listed
    assert f"/sessions/book/{after_class.id}" in listed
    refused = client.post(f"/sessions/book/{in_class.id}", follow_redirects=True)
    booked = client.post(f"/sessions/book/{after_class.id}")

    # The trainee reads it in the second person; staff (below) read the trainee's name.
    assert flashes(refused) == [
        en(
            "You have class at that time (%(day)s, %(start)s–%(end)s). "
            "Choose a time outside your class hours.",
            day=day.isoformat(),
            start="09:00",
            end="18:00",
        )
    ]
    assert booked.status_code == 302
    assert [s.starts_at for s in sessions_of(trainee)] == [datetime.combine(day, time(18), SEOUL)]

    # Staff scheduling directly meet the same rule: 08:30 for an hour runs into class.
    coach = client_of(coordinator)
    data = {
        "trainee": f"{trainee.id}:{cohort.id}",
        "kind": "mentoring",
        "starts_at": f"{day.isoformat()}T08:30",
        "minutes": "",
        "location": "",
    }
    early = coach.post("/sessions/new", data=data)
    assert field_errors(early, "starts_at") == [message]
    assert coach.post("/sessions/new", data={**data, "minutes": 30}).status_code == 302

    # A cancelled class day is free.
    class_day = db.session.scalar(
        db.select(ClassDay).where(ClassDay.cohort_id == cohort.id, ClassDay.day == day)
    )
    roster.cancel_class_day(manager, class_day, "field trip")
    db.session.commit()
    assert (
        coach.post(
            "/sessions/new", data={**data, "starts_at": f"{day.isoformat()}T13:00"}
        ).status_code
        == 302
    )
    assert len(sessions_of(trainee)) == 3


# --- staff scheduling directly ---------------------------------------------------------------


def test_staff_schedule_only_their_own_trainees(
    client_of, staff_of, enrol, make_campus, make_course, make_running_cohort, mentor, cohort
):
    coordinator = staff_of(None, Role.COORDINATOR, "Coach Campus")  # campus-wide, no cohort
    other_cohort = make_running_cohort()
    far_campus = make_campus("중랑", name_en="Jungnang")
    far_cohort = make_running_cohort(course=make_course(campus=far_campus))
    ours = enrol(cohort, "Trainee Ours")
    theirs = enrol(other_cohort, "Trainee Theirs")
    far = enrol(far_cohort, "Trainee Far", campus=far_campus)

    def post(client, trainee: User, cohort: Cohort, starts_at: datetime):
        return client.post(
            "/sessions/new",
            data={
                "trainee": f"{trainee.id}:{cohort.id}",
                "kind": "mentoring",
                "starts_at": local(starts_at),
                "minutes": "",
                "location": "Zoom",
            },
        )

    as_mentor = client_of(mentor)
    page = text(as_mentor.get("/sessions/new"))
    assert "Trainee Ours" in page
    assert "Trainee Theirs" not in page and "Trainee Far" not in page
    assert post(as_mentor, theirs, other_cohort, at(3, 19)).status_code == 200
    past = post(as_mentor, ours, cohort, at(-1, 19))
    assert field_errors(past, "starts_at") == [en("The time must be in the future.")]
    assert post(as_mentor, ours, cohort, at(3, 19)).status_code == 302
    with force_locale("en"), pytest.raises(NotAllowed) as refused:
        services.schedule(
            mentor,
            trainee=theirs,
            cohort=other_cohort,
            kind="mentoring",
            starts_at=at(3, 21),
            minutes=None,
            location="",
        )
    assert refused.value.message == en(
        "%(name)s is not one of your trainees.", name="Trainee Theirs"
    )
    db.session.rollback()

    as_coordinator = client_of(coordinator)
    page = text(as_coordinator.get("/sessions/new"))
    assert "Trainee Ours" in page and "Trainee Theirs" in page
    assert "Trainee Far" not in page
    assert post(as_coordinator, theirs, other_cohort, at(3, 19)).status_code == 302
    assert post(as_coordinator, far, far_cohort, at(3, 20)).status_code == 200
    with force_locale("en"), pytest.raises(NotAllowed):
        services.schedule(
            coordinator,
            trainee=far,
            cohort=far_cohort,
            kind="career",
            starts_at=at(3, 21),
            minutes=None,
            location="",
        )
    db.session.rollback()

    assert [
        (s.trainee_id, s.staff_id)
        for s in db.session.scalars(db.select(CoachingSession).order_by(CoachingSession.id))
    ] == [(ours.id, mentor.id), (theirs.id, coordinator.id)]
    mails = outbox()
    assert [recipient for recipient, _ in mails] == [ours.email, theirs.email]
    assert (
        en(
            "%(other)s scheduled a %(kind)s session with you on %(when)s.",
            other="Mentor Lee",
            kind=en("Industry mentoring"),
            when=when(at(3, 19)),
        )
        in mails[0][1]
    )


# --- changes ------------------------------------------------------------------------------


def test_rescheduling_into_an_overlap_is_refused_and_a_move_mails_the_trainee(
    client_of, staff_of, coordinator, enrol, cohort
):
    first = enrol(cohort, "Trainee One")
    second = enrol(cohort, "Trainee Two")
    scheduled(coordinator, first, cohort, at(6, 10), kind="career")  # 10:00–10:30
    moving = scheduled(coordinator, second, cohort, at(6, 14), kind="career")
    mails = len(outbox())
    client = client_of(coordinator)

    refused = client.post(
        f"/sessions/{moving.id}/reschedule",
        data={"starts_at": local(at(6, 10, 15))},
        follow_redirects=True,
    )

    assert you_overlap(at(6, 10), at(6, 10, 30)) in flashes(refused)
    assert reload(moving).starts_at == at(6, 14)
    assert len(outbox()) == mails

    moved = client.post(
        f"/sessions/{moving.id}/reschedule",
        data={"starts_at": local(at(6, 10, 30))},
        follow_redirects=True,
    )
    assert en("Session moved; the trainee was told by mail.") in flashes(moved)
    moving = reload(moving)
    assert (moving.starts_at, moving.ends_at) == (at(6, 10, 30), at(6, 11))
    recipient, body = outbox()[-1]
    assert recipient == second.email
    assert (
        en(
            "Your %(kind)s session with %(other)s moved to %(when)s.",
            kind=en("Career counselling"),
            other="Coach Kim",
            when=when(at(6, 10, 30)),
        )
        in body
    )

    # The trainee asks staff to move it; another mentor does not even see it.
    assert (
        client_of(second)
        .post(f"/sessions/{moving.id}/reschedule", data={"starts_at": local(at(7, 10))})
        .status_code
        == 403
    )
    stranger = staff_of(cohort, Role.MENTOR, "Mentor Stranger")
    assert (
        client_of(stranger)
        .post(f"/sessions/{moving.id}/reschedule", data={"starts_at": local(at(7, 10))})
        .status_code
        == 404
    )
    assert reload(moving).starts_at == at(6, 10, 30)


def test_cancelling_needs_a_reason_and_trainees_respect_the_campus_cut_off(
    client_of, campus, mentor, trainee, enrol, cohort
):
    campus.session_cancel_cutoff_hours = 48
    db.session.commit()
    now = datetime.now(SEOUL).replace(second=0, microsecond=0)
    soon = scheduled(mentor, trainee, cohort, now + timedelta(hours=36))
    slot = publish(mentor, now + timedelta(hours=72))
    client = client_of(trainee)
    client.post(f"/sessions/book/{slot.id}")
    later = sessions_of(trainee)[-1]
    mails = len(outbox())

    for reason in ("", "   "):
        response = client.post(
            f"/sessions/{later.id}/cancel", data={"reason": reason}, follow_redirects=True
        )
        assert en("Give the reason for cancelling.") in flashes(response)
    inside = client.post(
        f"/sessions/{soon.id}/cancel", data={"reason": "Sick"}, follow_redirects=True
    )
    assert en(
        "Sessions can be cancelled up to %(n)d hours before they start; contact your coordinator.",
        n=48,
    ) in flashes(inside)
    assert reload(soon).status == reload(later).status == SessionStatus.SCHEDULED
    assert len(outbox()) == mails

    outside = client.post(
        f"/sessions/{later.id}/cancel", data={"reason": "Job interview"}, follow_redirects=True
    )
    assert en("Session cancelled; the other person was told by mail.") in flashes(outside)
    later = reload(later)
    assert (later.status, later.cancel_reason) == (SessionStatus.CANCELLED, "Job interview")
    recipient, body = outbox()[-1]
    assert recipient == mentor.email
    assert "Job interview" in body

    # Staff may cancel inside the cut-off; the trainee hears of it.
    by_staff = client_of(mentor).post(
        f"/sessions/{soon.id}/cancel", data={"reason": "Mentor ill"}, follow_redirects=True
    )
    assert en("Session cancelled; the other person was told by mail.") in flashes(by_staff)
    assert reload(soon).status == SessionStatus.CANCELLED
    recipient, body = outbox()[-1]
    assert recipient == trainee.email
    assert "Mentor ill" in body
    assert len(outbox()) == mails + 2

    # The freed time can be booked again, by another trainee.
    again = client_of(enrol(cohort, "Trainee Next")).post(f"/sessions/book/{slot.id}")
    assert again.status_code == 302
    assert count(CoachingSession, CoachingSession.slot_id == slot.id) == 1
    assert count(CoachingSession, CoachingSession.status == SessionStatus.SCHEDULED) == 1


def test_staff_mark_completed_or_no_show_only_once_the_session_has_started(
    client_of, staff_of, mentor, trainee, cohort
):
    future = scheduled(mentor, trainee, cohort, at(3, 19))
    started = held(
        mentor,
        trainee,
        cohort,
        datetime.now(SEOUL) - timedelta(hours=2),
        status=SessionStatus.SCHEDULED,
    )
    client = client_of(mentor)
    mails = len(outbox())

    def mark(session: CoachingSession, status: str, as_client: FlaskClient = client):
        return as_client.post(
            f"/sessions/{session.id}/mark", data={"status": status}, follow_redirects=True
        )

    assert en("No-show") not in text(client.get(f"/sessions/{future.id}"))
    assert en("No-show") in text(client.get(f"/sessions/{started.id}"))
    too_early = mark(future, "completed")
    assert en("The session has not started yet.") in flashes(too_early)
    assert reload(future).status == SessionStatus.SCHEDULED
    assert en("Mark a session completed or no-show.") in flashes(mark(started, "cancelled"))
    assert en("Mark a session completed or no-show.") in flashes(mark(started, "bogus"))
    assert reload(started).status == SessionStatus.SCHEDULED

    no_show = mark(started, "no_show")
    assert en("Session marked “%(status)s”.", status=en("No-show")) in flashes(no_show)
    assert reload(started).status == SessionStatus.NO_SHOW
    recipient, body = outbox()[-1]
    assert recipient == trainee.email
    assert "You missed your" in body
    assert len(outbox()) == mails + 1

    mark(started, "completed")
    assert reload(started).status == SessionStatus.COMPLETED

    assert (
        client_of(trainee)
        .post(f"/sessions/{started.id}/mark", data={"status": "no_show"})
        .status_code
        == 403
    )
    stranger = staff_of(cohort, Role.MENTOR, "Mentor Stranger")
    assert mark(started, "no_show", client_of(stranger)).status_code == 404
    assert reload(started).status == SessionStatus.COMPLETED


# --- logging, notes and follow-ups -----------------------------------------------------------


def test_a_quick_log_records_a_session_never_scheduled_with_its_follow_ups(
    client_of, coordinator, trainee, cohort
):
    client = client_of(coordinator)
    started = at(-1, 19)
    data = {
        "trainee": f"{trainee.id}:{cohort.id}",
        "kind": "portfolio",
        "starts_at": local(started),
        "minutes": 45,
        "location": "Cafe",
        "summary": "Portfolio reviewed: add tests to project B.",
        "staff_notes": SECRET,
        "links": "https://github.com/example/b",
        "follow_up_lines": "Add tests to project B | 2026-12-01\n\n  Rewrite the README  \n",
    }

    bad_date = client.post(
        "/sessions/log", data={**data, "follow_up_lines": "Fine | 2026-12-01\nBroken | next friday"}
    )
    future = client.post("/sessions/log", data={**data, "starts_at": local(at(1, 10))})
    too_long = client.post("/sessions/log", data={**data, "minutes": 600})

    assert bad_date.status_code == future.status_code == too_long.status_code == 200
    assert field_errors(bad_date, "follow_up_lines") == [
        en(
            "Follow-up line %(n)d: “%(due)s” is not a date (write 2026-12-01).",
            n=2,
            due="next friday",
        )
    ]
    assert field_errors(future, "starts_at") == [
        en("A session to log has already taken place: choose a past time, or schedule it instead.")
    ]
    assert field_errors(too_long, "minutes")
    assert count(CoachingSession) == 0 and count(FollowUp) == 0

    response = client.post("/sessions/log", data=data)

    assert response.status_code == 302
    (session,) = sessions_of(trainee)
    assert response.location.endswith(f"/sessions/{session.id}")
    assert (session.status, session.kind, session.staff_id) == (
        SessionStatus.COMPLETED,
        SessionKind.PORTFOLIO,
        coordinator.id,
    )
    assert (session.starts_at, session.ends_at) == (started, started + timedelta(minutes=45))
    assert (session.summary, session.staff_notes, session.links) == (
        data["summary"],
        SECRET,
        data["links"],
    )
    assert [
        (f.text, f.due_on, f.done_at)
        for f in db.session.scalars(db.select(FollowUp).order_by(FollowUp.id))
    ] == [("Add tests to project B", date(2026, 12, 1), None), ("Rewrite the README", None, None)]
    [(recipient, body)] = outbox()
    assert recipient == trainee.email
    assert (
        en(
            "%(other)s wrote the summary of your %(kind)s session of %(when)s.",
            other="Coach Kim",
            kind=en("Portfolio coaching"),
            when=when(started),
        )
        in body
    )
    assert "NOTE-7f3" not in body
    changes = " ".join(str(e.changes) for e in db.session.scalars(db.select(AuditEntry)))
    assert "NOTE-7f3" not in changes  # notes stay out of the audit trail


def test_the_trainee_reads_the_summary_but_staff_notes_stay_with_the_campus_staff(
    client_of, staff_of, make_user, make_campus, coordinator, mentor, trainee, enrol, cohort
):
    session = held(mentor, trainee, cohort, at(-2, 19))
    with force_locale("en"):
        services.log(
            mentor,
            session,
            services.SessionLog("Great mock interview; work on the STAR format.", SECRET, "", []),
        )
    db.session.commit()

    def page(user: User):
        return client_of(user).get(f"/sessions/{session.id}")

    as_trainee = page(trainee)
    assert as_trainee.status_code == 200
    assert "Great mock interview; work on the STAR format." in text(as_trainee)
    assert "NOTE-7f3" not in as_trainee.get_data(as_text=True)
    assert en("Log this session") not in text(as_trainee)
    for outsider in (
        staff_of(cohort, Role.MENTOR, "Mentor Other"),  # same cohort, not in the session
        enrol(cohort, "Trainee Other"),
        staff_of(
            None, Role.COORDINATOR, "Coach Far", campus=make_campus("중랑", name_en="Jungnang")
        ),
    ):
        response = page(outsider)
        assert response.status_code == 404
        assert "NOTE-7f3" not in response.get_data(as_text=True)
    for insider in (mentor, coordinator, make_user(Role.MANAGER, locale="en")):
        response = page(insider)
        assert response.status_code == 200
        assert SECRET in text(response)
    # Neither does the trainee's schedule nor their calendar feed show the notes.
    assert "NOTE-7f3" not in client_of(trainee).get("/sessions/").get_data(as_text=True)
    assert b"NOTE-7f3" not in agenda.ical(reload(trainee))


def test_logging_an_upcoming_session_keeps_it_scheduled_and_notes_alone_mail_nobody(
    client_of, mentor, trainee, cohort
):
    session = scheduled(mentor, trainee, cohort, at(3, 19))
    client = client_of(mentor)
    mails = len(outbox())

    notes = client.post(
        f"/sessions/{session.id}/log",
        data={"summary": "", "staff_notes": "prepare questions"},
        follow_redirects=True,
    )
    assert en("Write the summary the trainee sees.") in text(notes)  # beside the field
    prepared = client.post(
        f"/sessions/{session.id}/log",
        data={"summary": "Bring your CV.", "staff_notes": "prepare questions"},
        follow_redirects=True,
    )
    assert en("Session logged.") in flashes(prepared)
    session = reload(session)
    assert session.status == SessionStatus.SCHEDULED  # not completed before it took place
    assert len(outbox()) == mails + 1
    assert outbox()[-1][0] == trainee.email

    client.post(
        f"/sessions/{session.id}/log",
        data={"summary": "Bring your CV.", "staff_notes": "ask about project B"},
    )
    assert reload(session).staff_notes == "ask about project B"
    assert len(outbox()) == mails + 1  # the trainee sees nothing new: no mail


def test_follow_ups_stay_on_the_trainees_schedule_until_done(
    client_of, mentor, trainee, enrol, cohort
):
    session = held(mentor, trainee, cohort, at(-1, 19))
    with force_locale("en"):
        services.log(
            mentor,
            session,
            services.SessionLog(
                "Good start.",
                "",
                "",
                services.parse_follow_ups("Update the résumé | 2026-12-01\nPractise the pitch"),
            ),
        )
    db.session.commit()
    resume, pitch = db.session.scalars(db.select(FollowUp).order_by(FollowUp.id)).all()
    client = client_of(trainee)

    page = text(client.get("/sessions/"))
    assert en("Your follow-ups") in page
    assert "Update the résumé" in page and "Practise the pitch" in page

    other = client_of(enrol(cohort, "Trainee Other"))
    assert other.post(f"/sessions/follow-ups/{resume.id}/done").status_code == 404
    assert "Update the résumé" not in text(other.get("/sessions/"))
    done = client.post(f"/sessions/follow-ups/{resume.id}/done", follow_redirects=True)
    assert en("Follow-up done.") in flashes(done)

    page = text(client.get("/sessions/"))
    assert "Update the résumé" not in page and "Practise the pitch" in page
    assert reload(resume).done_at is not None and reload(pitch).done_at is None
    assert "Update the résumé" in text(client.get(f"/sessions/{session.id}"))  # struck through
    client.post(f"/sessions/follow-ups/{pitch.id}/done")
    assert en("Your follow-ups") not in text(client.get("/sessions/"))


# --- schedules -------------------------------------------------------------------------------


def test_the_month_view_shows_class_days_events_and_sessions(
    client_of, make_user, mentor, trainee, cohort
):
    roster.generate_class_days(make_user(Role.MANAGER), cohort)
    session = scheduled(mentor, trainee, cohort, at(20, 19))
    db.session.add(
        CohortEvent(
            cohort_id=cohort.id,
            kind=EventKind.JOB_FAIR,
            title="Matching day at Guro",
            starts_at=at(21, 14),
            ends_at=at(21, 17),
            place="Hall",
        )
    )
    db.session.commit()
    client = client_of(trainee)

    response = client.get(f"/sessions/?month={at(20, 19).strftime('%Y-%m')}")
    page = text(response)

    assert response.status_code == 200
    assert f"/sessions/{session.id}" in page
    assert "Matching day at Guro" in page
    assert "month-item-class" in page
    assert neighbours(page) == neighbours_of(at(20, 19).date())
    december = client.get("/sessions/?month=2026-12")
    assert december.status_code == 200
    assert neighbours(text(december)) == ["2026-11", "2027-01"]


def test_staff_see_a_days_classes_as_one_line_in_the_month(
    client_of, make_user, make_running_cohort, staff_of, enrol, cohort, count_queries
):
    other = make_running_cohort()
    coordinator = staff_of(cohort, Role.COORDINATOR, "Coach Kim")
    db.session.add(
        CohortStaff(cohort_id=other.id, user_id=coordinator.id, role=StaffRole.COORDINATOR)
    )
    manager = make_user(Role.MANAGER)
    roster.generate_class_days(manager, cohort)
    roster.generate_class_days(manager, other)
    db.session.commit()
    trainee = enrol(cohort, "Trainee Park")
    session = scheduled(coordinator, trainee, cohort, at(2, 19))
    month = at(2, 19).strftime("%Y-%m")
    days = {
        day
        for day in db.session.scalars(
            db.select(ClassDay.day).where(ClassDay.cohort_id == cohort.id)
        )
        if day.strftime("%Y-%m") == month
    }
    client = client_of(coordinator)
    client.get(f"/sessions/?month={month}")  # the first request loads the translations

    with count_queries() as queries:
        page = text(client.get(f"/sessions/?month={month}"))

    assert queries() <= 10
    cells = re.findall(r'class="month-item month-item-(\w+)[^"]*"[^>]*>([^<]*)<', page)
    # Two cohorts, one line a day: "2 classes" (days outside the month shown too).
    assert [label for kind, label in cells if kind == "class"].count("2 classes") >= len(days)
    assert not [label for kind, label in cells if kind == "class" and label != "2 classes"]
    assert f"/sessions/{session.id}" in page
    # The trainee, in one cohort, sees each class day as "Class".
    mine = text(client_of(trainee).get(f"/sessions/?month={month}"))
    assert "2 classes" not in mine and en("Class") in mine


def test_a_schedule_runs_as_many_queries_for_a_busy_month_as_for_a_quiet_one(
    client_of, make_user, make_running_cohort, staff_of, enrol, cohort, count_queries
):
    coordinator = staff_of(cohort, Role.COORDINATOR, "Coach Kim")
    manager = make_user(Role.MANAGER)
    roster.generate_class_days(manager, cohort)
    park = enrol(cohort, "Trainee Park")
    first = scheduled(coordinator, park, cohort, at(2, 19))
    people = {coordinator.id: client_of(coordinator), park.id: client_of(park)}
    for client in people.values():
        client.get("/sessions/")  # the first request loads the translations

    def measured() -> dict[int, tuple[int, str]]:
        shown = {}
        for user_id, client in people.items():
            db.session.expire_all()  # nothing the test loaded may spare the page a query
            with count_queries() as queries:
                page = text(client.get("/sessions/"))
            shown[user_id] = queries(), page
        return shown

    quiet = measured()
    other = make_running_cohort()
    db.session.add(
        CohortStaff(cohort_id=other.id, user_id=coordinator.id, role=StaffRole.COORDINATOR)
    )
    roster.generate_class_days(manager, other)
    db.session.add(
        CohortEvent(
            cohort_id=cohort.id,
            kind=EventKind.JOB_FAIR,
            title="Matching day at Guro",
            starts_at=at(3, 14),
            ends_at=at(3, 17),
            place="Hall",
        )
    )
    db.session.commit()
    choi = enrol(other, "Trainee Choi")
    later = [scheduled(coordinator, choi, other, at(days, 19)) for days in (4, 5, 6)]
    busy = measured()

    for user_id, (count, page) in busy.items():
        assert count == quiet[user_id][0] <= 10
        assert f"/sessions/{first.id}" in page and "Matching day at Guro" in page
    coordinator_page = busy[coordinator.id][1]
    assert all(f"/sessions/{session.id}" in coordinator_page for session in later)
    assert "Trainee Choi" in coordinator_page and "Trainee Choi" not in busy[park.id][1]


def test_the_trainee_picker_lists_recent_trainees_and_finds_the_others(
    client_of,
    staff_of,
    enrol,
    make_running_cohort,
    make_campus,
    make_course,
    cohort,
    monkeypatch,
    count_queries,
):
    monkeypatch.setattr(picker, "PICKER_LIMIT", 3)
    coordinator = staff_of(cohort, Role.COORDINATOR, "Coach Kim")
    trainees = [enrol(cohort, f"Trainee {name}") for name in ("Ahn", "Baek", "Cho", "Do", "Eom")]
    far_cohort = make_running_cohort(
        course=make_course(campus=make_campus("중랑", name_en="Jungnang"))
    )
    far = enrol(far_cohort, "Trainee Far")
    held(coordinator, trainees[3], cohort, at(-2, 19))  # met lately: Do
    client = client_of(coordinator)

    with count_queries() as queries:
        page = text(client.get("/sessions/log"))

    assert queries() <= 10
    assert "Trainee Do" in page and "Trainee Ahn" not in page
    assert en("Your recent trainees are listed: search to find another.") in page
    assert 'name="q"' in page and "js/trainee-search.js" in page

    # Without the script: the search reloads the page; the one match is chosen.
    found = client.get("/sessions/log?q=baek").get_data(as_text=True)
    assert re.search(rf'<option selected value="{trainees[1].id}:{cohort.id}">Trainee Baek', found)
    assert "Trainee Do" not in found
    # The script asks for the same choices; at most the limit, and never outside the campus.
    answer = client.get("/sessions/trainees?q=trainee").get_json()
    assert [label.split(" · ")[0] for _, label in answer["choices"]] == [
        "Trainee Ahn",
        "Trainee Baek",
        "Trainee Cho",
    ]
    assert answer["more"] is True
    assert answer["message"] == en(
        "The first %(n)d matches are listed: type more of the name.", n=3
    )
    assert client.get("/sessions/trainees?q=far").get_json()["choices"] == []
    assert client_of(trainees[0]).get("/sessions/trainees?q=a").status_code == 403

    # A trainee the page did not list is still accepted; one outside the campus is not.
    data = {
        "trainee": f"{trainees[4].id}:{cohort.id}",
        "kind": "career",
        "starts_at": local(at(-1, 19)),
        "minutes": 30,
        "summary": "Talked about the CV.",
    }
    assert client.post("/sessions/log", data=data).status_code == 302
    refused = client.post("/sessions/log", data={**data, "trainee": f"{far.id}:{far_cohort.id}"})
    assert refused.status_code == 200 and field_errors(refused, "trainee")
    assert [s.trainee_id for s in sessions_of(trainees[4])] == [trainees[4].id]


def test_the_picker_lists_few_trainees_whole_and_asks_for_a_search_past_the_limit(
    client_of, staff_of, enrol, cohort, monkeypatch
):
    monkeypatch.setattr(picker, "PICKER_LIMIT", 3)
    coordinator = staff_of(cohort, Role.COORDINATOR, "Coach Kim")
    first = [enrol(cohort, f"Trainee {name}") for name in ("Cho", "Ahn", "Baek")]
    client = client_of(coordinator)
    answer = client.get("/sessions/trainees").get_json()
    assert [label.split(" · ")[0] for _, label in answer["choices"]] == [
        "Trainee Ahn",
        "Trainee Baek",
        "Trainee Cho",
    ]
    assert answer["more"] is False and answer["message"] == ""
    assert answer["choices"][0][0] == f"{first[1].id}:{cohort.id}"

    enrol(cohort, "Trainee Do")  # one past the limit, and none of them met yet
    answer = client.get("/sessions/trainees").get_json()
    assert answer["choices"] == [] and answer["more"] is True
    assert answer["message"] == en("Search for the trainee by name.")


def neighbours(page: str) -> list[str]:
    """The months the ‹ and › links of the month view lead to."""
    return re.findall(r'href="/sessions/\?month=(\d{4}-\d{2})" aria-label=', page)


def neighbours_of(day: date) -> list[str]:
    first = day.replace(day=1)
    previous = (first - timedelta(days=1)).replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return [previous.strftime("%Y-%m"), following.strftime("%Y-%m")]


BAD_MONTHS = ["2026-13", "abc", "", "2026", "2026-12-01", "0001-01", "9999-12", "-1-01"]


def test_a_bad_month_falls_back_to_this_month(client_of, trainee):
    client = client_of(trainee)
    for month in BAD_MONTHS:
        response = client.get(f"/sessions/?month={month}")
        assert response.status_code == 200, month
        assert neighbours(text(response)) == neighbours_of(today()), month


def test_each_person_sees_only_their_own_sessions(
    client_of, staff_of, mentor, trainee, enrol, cohort
):
    other_mentor = staff_of(cohort, Role.MENTOR, "Mentor Other")
    other_trainee = enrol(cohort, "Trainee Other")
    ours = scheduled(mentor, trainee, cohort, at(2, 19))
    theirs = scheduled(other_mentor, other_trainee, cohort, at(2, 20))

    mentor_agenda = text(client_of(mentor).get("/sessions/"))
    assert f"/sessions/{ours.id}" in mentor_agenda and "Trainee Park" in mentor_agenda
    assert f"/sessions/{theirs.id}" not in mentor_agenda
    trainee_client = client_of(trainee)
    trainee_agenda = text(trainee_client.get("/sessions/"))
    assert f"/sessions/{ours.id}" in trainee_agenda and "Mentor Lee" in trainee_agenda
    assert f"/sessions/{theirs.id}" not in trainee_agenda
    assert client_of(mentor).get(f"/sessions/{theirs.id}").status_code == 404
    assert trainee_client.get(f"/sessions/{theirs.id}").status_code == 404
    assert (
        trainee_client.post(f"/sessions/{theirs.id}/cancel", data={"reason": "x"}).status_code
        == 404
    )
    assert reload(theirs).status == SessionStatus.SCHEDULED


# --- calendar feed ----------------------------------------------------------------------------


def feed_path(response) -> str:
    found = re.search(
        r'value="(http://localhost/sessions/feed/[0-9a-f]+\.ics)"', response.get_data(as_text=True)
    )
    assert found, "no calendar link on the page"
    return urlsplit(found.group(1)).path


def test_the_private_calendar_feed_parses_and_can_be_replaced_and_revoked(
    app, client_of, make_user, mentor, trainee, cohort, monkeypatch
):
    roster.generate_class_days(make_user(Role.MANAGER), cohort)
    session = scheduled(mentor, trainee, cohort, at(5, 19))
    with force_locale("en"):
        services.log(mentor, session, services.SessionLog("Bring your CV.", SECRET, "", []))
    db.session.commit()
    client = client_of(trainee)
    anonymous = app.test_client()

    created = client.post("/sessions/feed-link", follow_redirects=True)
    assert en("Your private calendar link is ready; an older link no longer works.") in flashes(
        created
    )
    path = feed_path(created)
    response = anonymous.get(path)

    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert b"NOTE-7f3" not in response.data
    calendar = Calendar.from_ical(response.data)
    [event] = [
        e for e in calendar.walk("VEVENT") if str(e["uid"]) == f"session-{session.id}@sesac-ms"
    ]
    start = event["dtstart"].dt
    assert start == session.starts_at == at(5, 19)
    assert (start.hour, start.utcoffset()) == (19, timedelta(hours=9))
    assert event["dtstart"].params["TZID"] == "Asia/Seoul"
    assert event["dtend"].dt == at(5, 20)
    assert str(event["summary"]) == f"{en('Industry mentoring')} · Mentor Lee"
    assert str(event["description"]) == "Bring your CV."
    assert any(str(e["summary"]).startswith("Class:") for e in calendar.walk("VEVENT"))
    # RFC 5545: every TZID used is described by a VTIMEZONE.
    assert [str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")] == ["Asia/Seoul"]

    # Calendar apps match events by UID: another worker process (another string hash seed)
    # must give the same UIDs.
    uids = sorted(str(e["uid"]) for e in calendar.walk("VEVENT"))
    monkeypatch.setattr(services, "hash", lambda value: 1234567, raising=False)
    again = Calendar.from_ical(anonymous.get(path).data)
    assert sorted(str(e["uid"]) for e in again.walk("VEVENT")) == uids

    renewed = feed_path(client.post("/sessions/feed-link", follow_redirects=True))
    assert renewed != path
    assert anonymous.get(path).status_code == 404
    assert anonymous.get(renewed).status_code == 200

    revoked = client.post("/sessions/feed-link/revoke", follow_redirects=True)
    assert en("Your calendar link is revoked.") in flashes(revoked)
    assert anonymous.get(renewed).status_code == 404
    assert anonymous.get("/sessions/feed/not-a-token.ics").status_code == 404
    assert "/sessions/feed/" not in text(client.get("/sessions/"))


# --- reminders --------------------------------------------------------------------------------


def test_reminders_go_once_to_both_people_of_sessions_starting_tomorrow_in_seoul(
    staff_of, enrol, cohort
):
    coach = staff_of(cohort, Role.COORDINATOR, "Coach Kim")
    mentor = staff_of(cohort, Role.MENTOR, "Mentor Lee")
    early, late, later, off = (enrol(cohort, f"Trainee {n}") for n in ("A", "B", "C", "D"))
    now = datetime(2026, 12, 1, 23, 30, tzinfo=SEOUL)  # 14:30 UTC, still 1 December there
    # 00:30 on the 2nd in Seoul is the 1st in UTC: tomorrow only by the Seoul date.
    first = held(
        coach,
        early,
        cohort,
        datetime(2026, 12, 2, 0, 30, tzinfo=SEOUL),
        status=SessionStatus.SCHEDULED,
    )
    second = held(
        mentor,
        late,
        cohort,
        datetime(2026, 12, 2, 23, 0, tzinfo=SEOUL),
        status=SessionStatus.SCHEDULED,
    )
    held(
        coach,
        later,
        cohort,
        datetime(2026, 12, 3, 0, 30, tzinfo=SEOUL),
        status=SessionStatus.SCHEDULED,
    )  # the day after tomorrow
    held(
        mentor,
        off,
        cohort,
        datetime(2026, 12, 2, 10, 0, tzinfo=SEOUL),
        status=SessionStatus.CANCELLED,
    )

    with force_locale("en"):
        sent = services.send_reminders(now=now)
    db.session.commit()
    with force_locale("en"):
        again = services.send_reminders(now=now + timedelta(minutes=10))
    db.session.commit()

    assert (sent, again) == (2, 0)
    mails = outbox()
    assert sorted(recipient for recipient, _ in mails) == sorted(
        [early.email, coach.email, late.email, mentor.email]
    )
    assert all("Reminder:" in body for _, body in mails)
    assert reload(first).reminder_sent_at is not None
    assert reload(second).reminder_sent_at is not None


def test_the_reminders_command_queues_each_reminder_once(runner, coordinator, trainee, cohort):
    scheduled(coordinator, trainee, cohort, at(1, 20))
    scheduled(coordinator, trainee, cohort, at(2, 20))  # the day after tomorrow
    mails = len(outbox())

    first = runner.invoke(args=["mail", "reminders"])
    second = runner.invoke(args=["mail", "reminders"])

    assert first.exit_code == second.exit_code == 0, first.output
    assert first.output.strip() == "1 session reminder(s) queued"
    assert second.output.strip() == "0 session reminder(s) queued"
    assert sorted(r for r, _ in outbox()[mails:]) == sorted([trainee.email, coordinator.email])


# --- coverage ---------------------------------------------------------------------------------


def stat(page: str, label: str) -> str:
    found = re.search(rf'{re.escape(label)}</div><div class="stat">([^<]*)</div>', page)
    assert found, f"no figure {label!r}"
    return found.group(1)


def test_coverage_counts_missing_kinds_and_the_no_show_rate(
    client_of, coordinator, mentor, enrol, cohort
):
    ann, bob, cho, dan = (
        enrol(cohort, name) for name in ("Ann Trainee", "Bob Trainee", "Cho Trainee", "Dan Trainee")
    )
    past = datetime.now(SEOUL) - timedelta(days=3)
    held(mentor, ann, cohort, past, SessionKind.MENTORING)
    held(coordinator, ann, cohort, past - timedelta(days=1), SessionKind.PORTFOLIO)
    held(
        mentor, bob, cohort, past - timedelta(days=2), SessionKind.MENTORING, SessionStatus.NO_SHOW
    )
    held(coordinator, cho, cohort, past - timedelta(days=3), SessionKind.CAREER)
    held(
        coordinator,
        dan,
        cohort,
        past - timedelta(days=4),
        SessionKind.MENTORING,
        SessionStatus.CANCELLED,
    )
    scheduled(mentor, dan, cohort, at(3, 19))  # upcoming: not yet covered

    response = client_of(coordinator).get(f"/sessions/coverage/{cohort.id}")
    page = text(response)

    assert response.status_code == 200
    assert stat(page, en("No %(kind)s yet", kind=en("Industry mentoring"))) == "3"
    assert stat(page, en("No %(kind)s yet", kind=en("Portfolio coaching"))) == "3"
    assert stat(page, en("No %(kind)s yet", kind=en("Mock interview"))) == "4"
    assert stat(page, en("No %(kind)s yet", kind=en("Career counselling"))) == "3"
    assert stat(page, en("No-show rate")) == "25.0%"  # 1 no-show of 4 sessions held or missed
    assert [row.name for row in coverage.to_contact(cohort)] == [
        "Bob Trainee",
        "Dan Trainee",
        "Cho Trainee",
        "Ann Trainee",
    ]
    rows, _, _ = coverage.coverage(cohort)
    assert {r.name: (r.total, r.no_shows) for r in rows} == {
        "Ann Trainee": (2, 0),
        "Bob Trainee": (0, 1),
        "Cho Trainee": (1, 0),
        "Dan Trainee": (0, 0),
    }

    assert client_of(mentor).get(f"/sessions/coverage/{cohort.id}").status_code == 403
    assert client_of(ann).get(f"/sessions/coverage/{cohort.id}").status_code == 403


def test_coverage_is_refused_outside_the_campus(login_as, client, make_campus, cohort):
    login_as(Role.COORDINATOR, campus=make_campus("중랑", name_en="Jungnang"))
    assert client.get(f"/sessions/coverage/{cohort.id}").status_code == 404


def test_the_coverage_page_runs_as_many_queries_for_8_trainees_as_for_2(
    client_of, count_queries, coordinator, mentor, enrol, make_running_cohort, cohort
):
    bigger = make_running_cohort()
    past = datetime.now(SEOUL) - timedelta(days=3)
    for group, size in ((cohort, 2), (bigger, 8)):
        for i in range(size):
            trainee = enrol(group, f"Trainee {group.id}-{i}")
            session = held(mentor, trainee, group, past - timedelta(hours=2 * i + group.id * 30))
            db.session.add(FollowUp(session_id=session.id, text="Update the résumé"))
            held(
                mentor,
                trainee,
                group,
                past - timedelta(hours=2 * i + 1 + group.id * 30),
                SessionKind.CAREER,
                SessionStatus.NO_SHOW,
            )
    db.session.commit()
    client = client_of(coordinator)
    client.get(f"/sessions/coverage/{cohort.id}")  # warm up

    counts = []
    for group in (cohort, bigger):
        db.session.expire_all()
        with count_queries() as queries:
            response = client.get(f"/sessions/coverage/{group.id}")
        assert response.status_code == 200
        counts.append(queries())
    assert counts[0] == counts[1]
    assert "50.0%" in text(response)
