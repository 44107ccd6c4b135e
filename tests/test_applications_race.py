"""Accepting never exceeds capacity, even when managers accept at the same moment; an
applicant enrolled by several requests at once is enrolled once, without a server error.

Twenty workers, each a test client of its own logged in as a different manager, are
released together by a barrier and accept at once. The requests run in their threads'
own app contexts, so each has its own session and database connection, as gunicorn
workers would. On SQLite the database is a file (WAL, busy timeout); with
TEST_DATABASE_URL the same race runs on PostgreSQL.

On SQLite this holds because pysqlite's legacy transaction control starts a transaction
only at the first INSERT/UPDATE/DELETE: the conditional UPDATE of cohorts.seats_taken
is then the transaction's first statement and waits for the write lock under
busy_timeout. Were transactions begun at the first SELECT (SQLAlchemy's "emit BEGIN
ourselves" recipe, or Python 3.12's autocommit=False), the UPDATE would have to upgrade a
read snapshot, which SQLite refuses at once with "database is locked" (no busy wait),
and these tests would fail with server errors; such a change needs BEGIN IMMEDIATE.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from html import unescape

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale, gettext

from sesac_ms.applications import services
from sesac_ms.applications.tokens import token_for
from sesac_ms.extensions import db
from sesac_ms.models import (
    Application,
    AuditEntry,
    Cohort,
    Enrollment,
    OutboxMessage,
    Role,
    Stage,
    User,
)
from sesac_ms.models.applications import HOLDS_SEAT
from tests.conftest import login
from tests.test_applications import opened_stamp

WORKERS = 20
CAPACITY = 5


def en(message: str, **values) -> str:
    with force_locale("en"):
        return gettext(message, **values)


def logged_in_managers(app: Flask, make_user, n: int) -> list[FlaskClient]:
    """n clients, each logged in (before the race) as a different manager of the campus."""
    clients = []
    for i in range(n):
        manager = make_user(Role.MANAGER, locale="en", name=f"Manager {i:02d}")
        client = app.test_client()
        assert login(client, manager.email).status_code == 302
        clients.append(client)
    return clients


def anonymous_clients(app: Flask, n: int) -> list[FlaskClient]:
    """n visitors (applicants) reading in English."""
    clients = [app.test_client() for _ in range(n)]
    for client in clients:
        with client.session_transaction() as session:
            session["locale"] = "en"
    return clients


def race(
    clients: list[FlaskClient], url_of: Callable[[int], str], data: dict | None = None
) -> list[tuple[int, str]]:
    """POST url_of(i) from client i, all released at once; then follow the redirect.

    Returns (status of the POST, text of the page it led to or answered) per worker;
    any exception in a worker fails the test with the worker's traceback.
    """
    barrier = threading.Barrier(len(clients))
    results: list[tuple[int, str] | None] = [None] * len(clients)
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            client = clients[i]
            barrier.wait(timeout=60)
            response = client.post(url_of(i), data=data or {"reason": f"race {i}"})
            page = client.get(response.location) if response.status_code == 302 else response
            results[i] = (response.status_code, unescape(page.get_data(as_text=True)))
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


def stored(cohort_id: int) -> tuple[int, int, int]:
    """(seats_taken, applications accepted, applications holding a seat) as stored."""
    db.session.expire_all()
    seats = db.session.scalar(db.select(Cohort.seats_taken).where(Cohort.id == cohort_id))
    per_stage = dict(
        db.session.execute(
            db.select(Application.stage, sa.func.count())
            .where(Application.cohort_id == cohort_id)
            .group_by(Application.stage)
        ).all()
    )
    held = sum(per_stage.get(stage, 0) for stage in HOLDS_SEAT)
    return seats, per_stage.get(Stage.ACCEPTED, 0), held


def test_twenty_managers_accepting_twenty_applicants_fill_exactly_the_five_places(
    app, make_user, make_open_cohort, make_application
):
    cohort = make_open_cohort(capacity=CAPACITY)
    cohort_id = cohort.id
    ids = [make_application(cohort, name=f"Racer {i:02d}").id for i in range(WORKERS)]
    clients = logged_in_managers(app, make_user, WORKERS)

    results = race(clients, lambda i: f"/applications/{ids[i]}/accept")

    assert [status for status, _ in results] == [302] * WORKERS  # never a server error
    assert stored(cohort_id) == (CAPACITY, CAPACITY, CAPACITY)
    full = en(
        "The cohort is full: all %(n)d places are taken. Waitlist the applicant instead.",
        n=CAPACITY,
    )
    winners = [i for i, (_, page) in enumerate(results) if f"Racer {i:02d} is accepted." in page]
    losers = [i for i, (_, page) in enumerate(results) if full in page]
    assert len(winners) == CAPACITY
    assert len(losers) == WORKERS - CAPACITY
    assert set(winners) | set(losers) == set(range(WORKERS))
    accepted = set(
        db.session.scalars(
            db.select(Application.id).where(
                Application.cohort_id == cohort_id, Application.stage == Stage.ACCEPTED
            )
        )
    )
    assert accepted == {ids[i] for i in winners}
    assert (
        len(
            set(
                db.session.scalars(
                    db.select(AuditEntry.actor_id).where(
                        AuditEntry.action == "application.accepted"
                    )
                )
            )
        )
        == CAPACITY
    )  # each winner's own manager is recorded, once
    still_open = db.session.scalar(
        db.select(sa.func.count())
        .select_from(Application)
        .where(Application.cohort_id == cohort_id, Application.stage == Stage.SUBMITTED)
    )
    assert still_open == WORKERS - CAPACITY  # the losers were left untouched


def test_twenty_managers_accepting_the_same_applicant_accept_once(
    app, make_user, make_open_cohort, make_application
):
    cohort = make_open_cohort(capacity=CAPACITY)
    cohort_id = cohort.id
    application_id = make_application(cohort, name="Only One").id
    clients = logged_in_managers(app, make_user, WORKERS)

    results = race(clients, lambda i: f"/applications/{application_id}/accept")

    assert [status for status, _ in results] == [302] * WORKERS
    assert stored(cohort_id) == (1, 1, 1)
    moved_on = en(
        "%(name)s is now “%(stage)s”; this step does not apply.",
        name="Only One",
        stage=en("Accepted"),
    )
    assert sum("Only One is accepted." in page for _, page in results) == 1
    assert sum(moved_on in page for _, page in results) == WORKERS - 1
    assert (
        db.session.scalar(
            db.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "application.accepted")
        )
        == 1
    )


def test_ten_accepted_applicants_withdrawing_at_once_offer_each_place_once(
    app, make_user, make_open_cohort, make_application
):
    """Each freed place goes to a different waitlisted applicant; places nobody can take
    are given back, so seats_taken still counts exactly who holds a place."""
    cohort = make_open_cohort(capacity=10)
    cohort_id = cohort.id
    manager = make_user(Role.MANAGER)
    accepted = [make_application(cohort) for _ in range(10)]
    waiting = [make_application(cohort) for _ in range(4)]
    for application in accepted:
        services.accept(manager, application)
    for application in waiting:
        services.waitlist(manager, application)
    db.session.commit()
    tokens = [token_for(application.status_nonce) for application in accepted]
    waiting_ids = {application.id for application in waiting}
    clients = anonymous_clients(app, len(tokens))

    results = race(clients, lambda i: f"/applications/status/{tokens[i]}/withdraw")

    assert [status for status, _ in results] == [302] * len(tokens)
    assert all(en("Your application is withdrawn.") in page for _, page in results)
    offered = set(
        db.session.scalars(
            db.select(Application.id).where(
                Application.cohort_id == cohort_id, Application.stage == Stage.OFFERED
            )
        )
    )
    assert offered == waiting_ids
    assert stored(cohort_id) == (4, 0, 4)
    assert (
        db.session.scalar(
            db.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "application.offered")
        )
        == 4
    )


def test_accepting_and_rejecting_the_same_applicants_at_once_keeps_the_count(
    app, make_user, make_open_cohort, make_application
):
    """Ten applicants, each accepted by one manager and rejected by another at the same
    moment: whichever comes second, seats_taken still counts who holds a place."""
    cohort = make_open_cohort(capacity=10)
    cohort_id = cohort.id
    ids = [make_application(cohort).id for _ in range(10)]
    clients = logged_in_managers(app, make_user, 2 * len(ids))

    def url(i: int) -> str:
        return f"/applications/{ids[i // 2]}/{'accept' if i % 2 == 0 else 'reject'}"

    results = race(clients, url)

    assert [status for status, _ in results] == [302] * len(clients)
    seats, accepted, held = stored(cohort_id)
    assert seats == held == accepted


def test_the_same_application_sent_five_times_at_once_is_stored_once(app, make_open_cohort):
    """A double (here fivefold) submit: one application, and five identical answers.

    The page never says that the address applied already (anyone could ask it). A
    submission that finds the stored application is mailed its link instead; one that
    raced past that check loses at the unique constraint (on PostgreSQL its INSERT waits
    for the winner's commit, on SQLite for the write lock) and, rolled back, says the same.
    """
    cohort = make_open_cohort()
    cohort_id = cohort.id
    clients = anonymous_clients(app, 5)
    data = {
        "name": "Double Click",
        "email": "double@example.com",
        "phone": "010-1234-5678",
        "birth_date": "2000-03-15",
        "district": "구로구",
        "employment_status": "unemployed",
        "education": "university",
        "motivation": "Twice, by accident.",
        "consent": "y",
        "opened": opened_stamp(),
    }

    results = race(clients, lambda i: f"/applications/apply/{cohort_id}", data)

    assert [status for status, _ in results] == [302] * 5
    assert len({page for _, page in results}) == 1
    db.session.expire_all()
    (application,) = db.session.scalars(
        db.select(Application).where(Application.email == "double@example.com")
    )
    mails = db.session.scalars(
        db.select(OutboxMessage).where(OutboxMessage.recipient == "double@example.com")
    ).all()
    label = cohort.label(application.locale)
    with force_locale(application.locale):
        received = gettext("[SeSAC] Application received: %(cohort)s", cohort=label)
        again = gettext("[SeSAC] You already applied: %(cohort)s", cohort=label)
    subjects = [mail.subject for mail in mails]
    assert subjects.count(received) == 1 and set(subjects) <= {received, again}
    link = f"/applications/status/{token_for(application.status_nonce)}"
    assert all(link in mail.body for mail in mails)


def enrolment_counts(email: str) -> tuple[int, int, int, int]:
    """(users, enrolments, user.created entries, set-password mails) of the address."""
    db.session.expire_all()
    users = db.session.scalars(db.select(User.id).where(User.email == email)).all()

    def number(stmt) -> int:
        return db.session.scalar(db.select(sa.func.count()).select_from(stmt.subquery()))

    return (
        len(users),
        number(db.select(Enrollment.id).where(Enrollment.user_id.in_(users))),
        number(
            db.select(AuditEntry.id).where(
                AuditEntry.action == "user.created", AuditEntry.object_label == email
            )
        ),
        number(
            db.select(OutboxMessage.id).where(
                OutboxMessage.recipient == email,
                OutboxMessage.body.contains("/auth/set-password/"),
            )
        ),
    )


def test_five_enrol_clicks_on_one_applicant_at_once_enrol_once(
    app, make_user, make_open_cohort, make_application
):
    """A double click, two tabs: several enrol requests for one accepted applicant at once.

    enroll moves the stage to enrolled (a conditional UPDATE ... WHERE stage = 'accepted')
    before it creates the account: on PostgreSQL the other requests' UPDATE waits for the
    winner's row lock and then finds the stage moved on; on SQLite it is their first
    write, so it waits for the write lock and then matches no row. Each is told "already
    enrolled" having written nothing. Creating the account before that UPDATE (as enroll
    once did) lets every request insert the same e-mail, and all but one end in a 500 on
    uq_users_email.
    """
    cohort = make_open_cohort(capacity=CAPACITY)
    cohort_id = cohort.id
    application = make_application(cohort, name="Double Tap", email="double.tap@example.com")
    services.accept(make_user(Role.MANAGER), application)
    db.session.commit()
    application_id = application.id
    clients = logged_in_managers(app, make_user, 5)

    results = race(clients, lambda i: f"/applications/{application_id}/enroll")

    assert [status for status, _ in results] == [302] * 5  # never a server error
    enrolled = en("{name} is enrolled; the trainee account is ready.").format(name="Double Tap")
    already = en("%(name)s is already enrolled.", name="Double Tap")
    assert sum(enrolled in page for _, page in results) == 1
    assert sum(already in page for _, page in results) == 4
    # The winner's enrolment is whole: one account, linked, on the roster, one mail.
    assert enrolment_counts("double.tap@example.com") == (1, 1, 1, 1)
    user = db.session.scalar(db.select(User).where(User.email == "double.tap@example.com"))
    stored_application = db.session.get(Application, application_id)
    assert (stored_application.stage, stored_application.user_id) == (Stage.ENROLLED, user.id)
    enrollment = db.session.scalar(db.select(Enrollment).where(Enrollment.user_id == user.id))
    assert (enrollment.cohort_id, enrollment.application_id) == (cohort_id, application_id)
    assert (user.role, user.campus_id) == (Role.TRAINEE, cohort.campus_id)
    for action in ("application.enrolled", "roster.enrolled"):
        assert (
            db.session.scalar(
                db.select(sa.func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == action)
            )
            == 1
        )
    assert stored(cohort_id) == (1, 0, 1)  # the place is held once, by the enrolment


def test_enrolling_two_applications_of_one_address_at_once_makes_one_account(
    app, make_user, make_open_cohort, make_application
):
    """One person accepted in two cohorts, both enrolled at the same moment: no server
    error and one account. The first to create it wins; on PostgreSQL the other's insert
    waits for it and fails on uq_users_email, on SQLite the other finds it only after
    its look-up; either way the other is asked to enrol again (and nothing of it is kept),
    and enrolling again links the one account."""
    email = "two.cohorts@example.com"
    manager = make_user(Role.MANAGER)
    ids = []
    for _ in range(2):
        application = make_application(make_open_cohort(), name="Two Cohorts", email=email)
        services.accept(manager, application)
        ids.append(application.id)
    db.session.commit()
    clients = logged_in_managers(app, make_user, 2)

    results = race(clients, lambda i: f"/applications/{ids[i]}/enroll")

    assert [status for status, _ in results] == [302, 302]
    enrolled = en("{name} is enrolled; the trainee account is ready.").format(name="Two Cohorts")
    again = en(
        "The account of %(email)s was being created by another enrolment at the same moment: "
        "enrol again.",
        email=email,
    )
    won = [enrolled in page for _, page in results]
    assert all(ok or again in page for ok, (_, page) in zip(won, results, strict=True))
    assert any(won)
    users, enrolments, created, _mails = enrolment_counts(email)
    assert (users, enrolments, created) == (1, sum(won), 1)

    for i, ok in enumerate(won):
        if not ok:  # the manager enrols again, and the account is linked
            page = unescape(
                clients[i]
                .get(clients[i].post(f"/applications/{ids[i]}/enroll").location)
                .get_data(as_text=True)
            )
            assert enrolled in page
    users, enrolments, created, _mails = enrolment_counts(email)
    assert (users, enrolments, created) == (1, 2, 1)


def test_enrolling_twice_in_a_row_says_already_enrolled(
    app, make_user, make_open_cohort, make_application
):
    """The same double submit without the race: the second answer is a message, not a 500."""
    cohort = make_open_cohort()
    application = make_application(cohort, name="Twice", email="twice@example.com")
    services.accept(make_user(Role.MANAGER), application)
    db.session.commit()
    (client,) = logged_in_managers(app, make_user, 1)
    url = f"/applications/{application.id}/enroll"

    pages = []
    for _ in range(2):
        response = client.post(url, data={"reason": ""})
        assert response.status_code == 302
        pages.append(unescape(client.get(response.location).get_data(as_text=True)))

    assert en("{name} is enrolled; the trainee account is ready.").format(name="Twice") in pages[0]
    assert en("%(name)s is already enrolled.", name="Twice") in pages[1]
    assert enrolment_counts("twice@example.com") == (1, 1, 1, 1)
