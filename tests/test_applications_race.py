"""Accepting never exceeds capacity, even when managers accept at the same moment.

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
from sesac_ms.models import Application, AuditEntry, Cohort, OutboxMessage, Role, Stage
from sesac_ms.models.applications import HOLDS_SEAT
from tests.conftest import login

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
    """A double (here fivefold) submit: one application, the others told it exists."""
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
    }

    results = race(clients, lambda i: f"/applications/apply/{cohort_id}", data)

    statuses = [status for status, _ in results]
    pages = [page for _, page in results]
    assert sorted(statuses) == [200, 200, 200, 200, 302]
    duplicate = en(
        "An application with this e-mail address was already sent to this cohort. "
        "Use the link in its confirmation mail."
    )
    assert sum(duplicate in page for page in pages) == 4
    db.session.expire_all()
    assert (
        db.session.scalar(
            db.select(sa.func.count())
            .select_from(Application)
            .where(Application.email == "double@example.com")
        )
        == 1
    )
    assert (
        db.session.scalar(
            db.select(sa.func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.recipient == "double@example.com")
        )
        == 1
    )
