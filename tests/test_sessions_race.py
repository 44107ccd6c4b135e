"""Nobody is in two sessions at once, even when bookings race.

Ten workers, each a test client of its own, are released together by a barrier and book
at once. The requests run in their threads' own app contexts, so each has its own
database session and connection, as gunicorn workers would. On SQLite the database is a
file (WAL, busy_timeout 10 s); with TEST_DATABASE_URL the same races run on PostgreSQL.

A booking first bumps `users.schedule_version` of the trainee and the staff member
(ordered by id), then checks for overlaps. On PostgreSQL the UPDATE takes the row lock:
a racing booking of either person waits for the first to commit, and its next statements
(READ COMMITTED) see the committed session. On SQLite pysqlite's legacy transaction
control begins the transaction at that first UPDATE, which waits for the write lock
under busy_timeout; the checks that follow then read after the winner's commit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, time, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale, gettext

from sesac_ms.extensions import db
from sesac_ms.models import (
    AvailabilitySlot,
    CoachingSession,
    Cohort,
    CohortStaff,
    CohortStatus,
    Enrollment,
    OutboxMessage,
    Role,
    SessionStatus,
    StaffRole,
    User,
)
from sesac_ms.sessions import services
from tests.conftest import login

WORKERS = 10
SEOUL = ZoneInfo("Asia/Seoul")


def en(message: str, **values) -> str:
    with force_locale("en"):
        return gettext(message, **values)


def race(clients: list[FlaskClient], url_of: Callable[[int], str]) -> list[tuple[int, str]]:
    """POST url_of(i) from client i, all released at once; then follow the redirect.

    Returns (status of the POST, text of the page it led to) per worker; any exception
    in a worker fails the test with the worker's traceback.
    """
    barrier = threading.Barrier(len(clients))
    results: list[tuple[int, str] | None] = [None] * len(clients)
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            client = clients[i]
            barrier.wait(timeout=60)
            response = client.post(url_of(i))
            page = ""
            if response.status_code == 302:
                page = unescape(client.get(response.location).get_data(as_text=True))
            results[i] = (response.status_code, page)
        except BaseException as error:  # reported in the main thread
            errors.append(error)
            barrier.abort()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    if errors:
        raise errors[0]
    return results  # type: ignore[return-value]


def logged_in(app: Flask, user: User) -> FlaskClient:
    client = app.test_client()
    assert login(client, user.email).status_code == 302
    return client


@pytest.fixture
def cohort(make_cohort) -> Cohort:
    today = datetime.now(SEOUL).date()
    return make_cohort(
        status=CohortStatus.IN_PROGRESS,
        recruit_start_on=today - timedelta(days=60),
        recruit_end_on=today - timedelta(days=40),
        start_on=today - timedelta(days=30),
        end_on=today + timedelta(days=150),
    )


def assign(make_user, cohort: Cohort, role: Role, name: str) -> User:
    user = make_user(role, name=name, locale="en")
    db.session.add(CohortStaff(cohort_id=cohort.id, user_id=user.id, role=StaffRole(role.value)))
    db.session.commit()
    return user


def enrol(make_user, cohort: Cohort, name: str) -> User:
    user = make_user(Role.TRAINEE, name=name, locale="en")
    db.session.add(Enrollment(cohort_id=cohort.id, user_id=user.id))
    db.session.commit()
    return user


def publish(staff: User, starts_at: datetime) -> AvailabilitySlot:
    [slot] = services.publish_slots(staff, kind="mentoring", starts_at=starts_at, location="Room 3")
    db.session.commit()
    return slot


def tomorrow_evening() -> datetime:
    """19:00 in Seoul the day after tomorrow: no class day exists in these tests anyway."""
    day = datetime.now(SEOUL).date() + timedelta(days=2)
    return datetime.combine(day, time(19), SEOUL)


def stored_sessions() -> list[CoachingSession]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(CoachingSession).order_by(CoachingSession.id)))


def mails() -> list[str]:
    return list(db.session.scalars(db.select(OutboxMessage.recipient).order_by(OutboxMessage.id)))


def test_ten_trainees_racing_for_the_same_time_leave_one_session(app, make_user, cohort):
    mentor = assign(make_user, cohort, Role.MENTOR, "Mentor Lee")
    slot = publish(mentor, tomorrow_evening())
    trainees = [enrol(make_user, cohort, f"Racer {i:02d}") for i in range(WORKERS)]
    clients = [logged_in(app, trainee) for trainee in trainees]
    slot_id, ids = slot.id, [t.id for t in trainees]

    results = race(clients, lambda i: f"/sessions/book/{slot_id}")

    assert [status for status, _ in results] == [302] * WORKERS  # never a server error
    booked = en("Booked: %(kind)s with %(name)s.", kind=en("Industry mentoring"), name="Mentor Lee")
    taken = en("Someone booked this time just before you. Choose another.")
    winners = [i for i, (_, page) in enumerate(results) if booked in page]
    losers = [i for i, (_, page) in enumerate(results) if taken in page]
    assert len(winners) == 1
    assert len(losers) == WORKERS - 1
    assert set(winners) | set(losers) == set(range(WORKERS))
    [session] = stored_sessions()
    assert (session.trainee_id, session.slot_id, session.status) == (
        ids[winners[0]],
        slot_id,
        SessionStatus.SCHEDULED,
    )
    assert mails() == [mentor.email]  # one booking, one mail


def test_one_trainee_racing_for_ten_staff_at_the_same_time_gets_one_session(app, make_user, cohort):
    starts_at = tomorrow_evening()
    staff = [
        assign(make_user, cohort, Role.MENTOR if i % 2 else Role.COORDINATOR, f"Staff {i:02d}")
        for i in range(WORKERS)
    ]
    slot_ids = [publish(member, starts_at).id for member in staff]
    trainee = enrol(make_user, cohort, "Trainee Park")
    clients = [logged_in(app, trainee) for _ in range(WORKERS)]  # ten tabs, one person

    results = race(clients, lambda i: f"/sessions/book/{slot_ids[i]}")

    assert [status for status, _ in results] == [302] * WORKERS  # never a server error
    busy = en(  # to the trainee who is booking: the second person
        "You already have a session from %(start)s to %(end)s.",
        start=starts_at.strftime("%m-%d %H:%M"),
        end=(starts_at + timedelta(hours=1)).strftime("%H:%M"),
    )
    winners = [i for i, (_, page) in enumerate(results) if "Booked: " in page]
    losers = [i for i, (_, page) in enumerate(results) if busy in page]
    assert len(winners) == 1
    assert len(losers) == WORKERS - 1
    assert set(winners) | set(losers) == set(range(WORKERS))
    [session] = stored_sessions()
    assert (session.trainee_id, session.slot_id, session.starts_at) == (
        trainee.id,
        slot_ids[winners[0]],
        starts_at,
    )
    assert mails() == [staff[winners[0]].email]
    # Nine times are still open for the others of the cohort.
    open_slots = db.session.scalar(
        db.select(sa.func.count())
        .select_from(AvailabilitySlot)
        .where(
            AvailabilitySlot.id.not_in(
                db.select(CoachingSession.slot_id).where(CoachingSession.slot_id.is_not(None))
            )
        )
    )
    assert open_slots == WORKERS - 1
