"""Races through the API hold as through the pages: twenty managers' tokens accepting twenty
applicants of a five-place cohort at once fill exactly five places, on SQLite and PostgreSQL
(tests/test_applications_race.py explains how threads stand for workers)."""

from __future__ import annotations

import threading

from sesac_ms.api import tokens
from sesac_ms.extensions import db
from sesac_ms.models import AuditEntry, Role, SessionStatus
from tests.test_applications_race import CAPACITY, WORKERS, stored
from tests.test_sessions_race import (
    assign,
    cohort,
    enrol,
    publish,
    stored_sessions,
    tomorrow_evening,
)

__all__ = ["cohort"]  # the in-progress cohort fixture of the sessions' race


def bearer(user) -> dict[str, str]:
    secret = tokens.create_token(user, "race", days=30, can_write=True).secret
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def release(send, n: int) -> list[tuple[int, dict]]:
    """Run send(i) for i < n in threads released together; every answer, or the first error."""
    barrier = threading.Barrier(n)
    answers: list[tuple[int, dict] | None] = [None] * n
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            barrier.wait(timeout=60)
            response = send(i)
            answers[i] = (response.status_code, response.get_json())
        except BaseException as error:  # reported in the main thread
            errors.append(error)
            barrier.abort()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors[0]
    return answers  # type: ignore[return-value]


def test_twenty_tokens_accepting_at_once_fill_exactly_the_places(
    app, make_user, make_open_cohort, make_application
):
    cohort = make_open_cohort(capacity=CAPACITY)
    cohort_id = cohort.id
    ids = [make_application(cohort).id for _ in range(WORKERS)]
    headers = [
        bearer(make_user(Role.MANAGER, locale="en", name=f"Manager {i:02d}"))
        for i in range(WORKERS)
    ]
    clients = [app.test_client() for _ in range(WORKERS)]
    etags = [
        clients[i].get(f"/api/v1/applications/{ids[i]}", headers=headers[i]).headers["ETag"]
        for i in range(WORKERS)
    ]
    answers = release(
        lambda i: clients[i].patch(
            f"/api/v1/applications/{ids[i]}",
            json={"stage": "accepted"},
            headers={**headers[i], "If-Match": etags[i]},
        ),
        WORKERS,
    )
    statuses = sorted(status for status, _ in answers)  # type: ignore[misc]
    assert statuses == [200] * CAPACITY + [409] * (WORKERS - CAPACITY)  # never a 5xx
    assert all(
        "full" in body["detail"]
        for status, body in answers
        if status == 409  # type: ignore[misc]
    )
    assert stored(cohort_id) == (CAPACITY, CAPACITY, CAPACITY)
    accepted = db.session.scalars(
        db.select(AuditEntry.actor_id).where(AuditEntry.action == "application.accepted")
    ).all()
    assert len(accepted) == len(set(accepted)) == CAPACITY


def test_ten_trainee_tokens_booking_one_time_at_once_leave_one_session(app, make_user, cohort):
    mentor = assign(make_user, cohort, Role.MENTOR, "Mentor Lee")
    slot_id = publish(mentor, tomorrow_evening()).id
    trainees = [enrol(make_user, cohort, f"Racer {i:02d}") for i in range(10)]
    headers = [bearer(trainee) for trainee in trainees]
    clients = [app.test_client() for _ in trainees]

    answers = release(
        lambda i: clients[i].post(f"/api/v1/availability/{slot_id}/booking", headers=headers[i]),
        len(trainees),
    )

    statuses = [status for status, _ in answers]
    assert sorted(statuses) == [201] + [409] * 9  # never a 5xx
    winner = statuses.index(201)
    [session] = stored_sessions()
    assert (session.trainee_id, session.slot_id, session.status) == (
        trainees[winner].id,
        slot_id,
        SessionStatus.SCHEDULED,
    )
    assert answers[winner][1]["id"] == session.id
