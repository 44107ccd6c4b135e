"""The JSON API: tokens, the permissions of the pages, problem details, cursor pages, ETags,
rate limits, the access log, and decisions through the same services as the pages."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sesac_ms.api import tokens
from sesac_ms.errors import DomainErrors
from sesac_ms.extensions import db
from sesac_ms.models import ApiToken, AuditEntry, PersonalDataAccess, Role, Stage
from sesac_ms.models.types import utcnow
from tests.conftest import login


def graduate(make_cohort, make_user):
    """A trainee who completed a cohort that ended in 2025 (not yet committed)."""
    from datetime import date

    from sesac_ms.models import Enrollment, EnrollmentStatus

    cohort = make_cohort(
        recruit_start_on=date(2025, 1, 6),
        recruit_end_on=date(2025, 1, 31),
        start_on=date(2025, 3, 3),
        end_on=date(2025, 8, 29),
    )
    trainee = make_user(Role.TRAINEE)
    enrollment = Enrollment(
        cohort_id=cohort.id,
        user_id=trainee.id,
        status=EnrollmentStatus.COMPLETED,
        status_on=cohort.end_on,
    )
    enrollment.cohort, enrollment.user = cohort, trainee
    return enrollment


@pytest.fixture
def token_for(app):
    """A working token of `user` (read-write unless told), as its Authorization header."""

    def factory(user, *, can_write: bool = True, resources=None, days: int = 30) -> dict:
        made = tokens.create_token(
            user, "test program", days=days, can_write=can_write, resources=resources
        )
        db.session.commit()
        return {"Authorization": f"Bearer {made.secret}"}

    return factory


def test_a_token_is_stored_hashed_and_acts_as_its_owner(app, client, make_user, token_for):
    manager = make_user(Role.MANAGER, name="김매니저")
    headers = token_for(manager)
    secret = headers["Authorization"].split()[1]
    stored = db.session.scalar(db.select(ApiToken))
    assert stored.token_hash == tokens.hash_secret(secret) and secret not in stored.prefix + "…"
    assert secret.startswith(stored.prefix)
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["name"] == "김매니저" and body["role"] == "manager"
    assert body["token"]["can_write"] is True and body["token"]["resources"] == []
    assert body["token"]["expires_at"].endswith("+09:00")
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    # made and logged: the audit log names the token, the access log every use
    made = db.session.scalar(
        db.select(AuditEntry).where(AuditEntry.action == "user.api_token_made")
    )
    assert made.object_id == manager.id and made.changes == {"api_token": [None, "test program"]}
    use = db.session.scalar(db.select(PersonalDataAccess).where(PersonalDataAccess.page == "api"))
    assert use.actor_id == manager.id and use.detail == "GET /api/v1/me → 200 · test program"
    assert db.session.get(ApiToken, stored.id).last_used_at is not None


@pytest.mark.parametrize(
    "header",
    ["", "Bearer ", "Bearer sesac_not-a-token", "Basic dXNlcjpwYXNz", "Bearer x" * 30],
)
def test_without_a_working_token_the_answer_is_401_as_a_problem(client, header):
    response = client.get("/api/v1/me", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    problem = response.get_json()
    assert problem["status"] == 401 and problem["title"] == "Unauthorized" and problem["detail"]


def test_a_logged_in_browser_cookie_does_not_authenticate_the_api(client, make_user):
    manager = make_user(Role.MANAGER)
    assert login(client, manager.email).status_code == 302
    assert client.get("/api/v1/me").status_code == 401
    # and a token does not open a page
    made = tokens.create_token(manager, "p", days=30, can_write=False)
    db.session.commit()
    other = client.application.test_client()
    page = other.get("/auth/account", headers={"Authorization": f"Bearer {made.secret}"})
    assert page.status_code == 302 and "/auth/login" in page.location


def test_expired_revoked_and_deactivated_tokens_stop_working(app, client, make_user, token_for):
    manager = make_user(Role.MANAGER)
    headers = token_for(manager)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    token = db.session.scalar(db.select(ApiToken))
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    token.expires_at = utcnow() + timedelta(days=1)
    manager.active = False
    db.session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    manager.active = True
    db.session.commit()
    tokens.revoke(manager, token.id)
    db.session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert db.session.scalar(
        db.select(AuditEntry.action).where(AuditEntry.action == "user.api_token_revoked")
    )


def test_only_the_owner_or_an_admin_revokes_a_token(app, make_user):
    owner, other, admin = make_user(Role.MANAGER), make_user(Role.MANAGER), make_user(Role.ADMIN)
    token = tokens.create_token(owner, "p", days=30, can_write=False).token
    db.session.commit()
    with pytest.raises(tokens.NotAllowed):
        tokens.revoke(other, token.id)
    assert tokens.revoke(admin, token.id).revoked_by_id == admin.id


def test_making_a_token_reports_every_problem_at_once(app, make_user):
    owner = make_user(Role.MANAGER)
    with pytest.raises(DomainErrors) as refused:
        tokens.create_token(owner, " ", days=7, can_write=False, resources=["everything"])
    assert {e.field for e in refused.value.errors} == {"name", "days", "resources"}


def test_the_role_and_the_token_narrowing_both_bound_a_token(app, client, make_user, token_for):
    trainee = make_user(Role.TRAINEE)
    assert client.get("/api/v1/cohorts", headers=token_for(trainee)).status_code == 403
    manager = make_user(Role.MANAGER)
    narrow = token_for(manager, resources=["reports"])
    assert client.get("/api/v1/cohorts", headers=narrow).status_code == 403
    assert client.get("/api/v1/reports/employment", headers=narrow).status_code == 200
    assert client.get("/api/v1/me", headers=narrow).status_code == 200  # always


def test_lists_are_cursor_paged_in_a_stable_order(app, client, make_user, make_cohort, token_for):
    manager = make_user(Role.MANAGER)
    made = [make_cohort(number=n) for n in range(1, 8)]
    headers = token_for(manager)
    seen, url = [], "/api/v1/cohorts?limit=3"
    while url:
        response = client.get(url, headers=headers)
        assert response.status_code == 200
        body = response.get_json()
        seen += [item["id"] for item in body["items"]]
        assert len(body["items"]) <= 3
        cursor = body["next_cursor"]
        assert ("Link" in response.headers) == (cursor is not None)
        url = f"/api/v1/cohorts?limit=3&cursor={cursor}" if cursor is not None else None
    assert seen == sorted(c.id for c in made)
    bad = client.get("/api/v1/cohorts?cursor=nonsense&limit=0&colour=red", headers=headers)
    assert bad.status_code == 422
    pointers = {(e["location"], e["pointer"]) for e in bad.get_json()["errors"]}
    # every problem of the query at once
    assert pointers == {("query", "/cursor"), ("query", "/limit"), ("query", "/colour")}


def test_other_campus_records_are_not_found(
    app, client, make_user, make_campus, make_cohort, token_for
):
    cohort = make_cohort()
    outsider = make_user(Role.MANAGER, campus=make_campus("중랑", name_en="Jungnang"))
    headers = token_for(outsider)
    assert client.get(f"/api/v1/cohorts/{cohort.id}", headers=headers).status_code == 404
    assert client.get("/api/v1/cohorts", headers=headers).get_json()["items"] == []
    response = client.get(
        f"/api/v1/reports/employment?campus_id={cohort.campus_id}", headers=headers
    )
    assert response.status_code == 403


def test_reads_carry_an_etag_and_answer_304_when_unchanged(
    app, client, make_user, make_cohort, token_for
):
    cohort = make_cohort()
    headers = token_for(make_user(Role.MANAGER))
    first = client.get(f"/api/v1/cohorts/{cohort.id}", headers=headers)
    assert first.status_code == 200 and first.headers["ETag"]
    again = client.get(
        f"/api/v1/cohorts/{cohort.id}", headers={**headers, "If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304 and again.data == b""
    cohort.capacity += 1
    db.session.commit()
    changed = client.get(
        f"/api/v1/cohorts/{cohort.id}", headers={**headers, "If-None-Match": first.headers["ETag"]}
    )
    assert changed.status_code == 200 and changed.get_json()["capacity"] == cohort.capacity


def test_a_decision_needs_the_etag_and_goes_through_the_services(
    app, client, make_user, make_open_cohort, make_application, token_for
):
    cohort = make_open_cohort(capacity=1)
    first, second = make_application(cohort), make_application(cohort)
    headers = token_for(make_user(Role.MANAGER, locale="en"))  # answers in the owner's language
    url = f"/api/v1/applications/{first.id}"
    etag = client.get(url, headers=headers).headers["ETag"]
    assert client.patch(url, json={"stage": "accepted"}, headers=headers).status_code == 428
    stale = client.patch(url, json={"stage": "accepted"}, headers={**headers, "If-Match": "x"})
    assert stale.status_code == 412
    done = client.patch(url, json={"stage": "accepted"}, headers={**headers, "If-Match": etag})
    assert done.status_code == 200 and done.get_json()["stage"] == "accepted"
    db.session.refresh(cohort)
    assert cohort.seats_taken == 1
    assert db.session.scalar(
        db.select(AuditEntry.actor_id).where(AuditEntry.action == "application.accepted")
    )
    # the cohort is full: the service's refusal, as a 409 problem
    url2 = f"/api/v1/applications/{second.id}"
    etag2 = client.get(url2, headers=headers).headers["ETag"]
    full = client.patch(url2, json={"stage": "accepted"}, headers={**headers, "If-Match": etag2})
    assert full.status_code == 409 and "full" in full.get_json()["detail"]
    # a rejection without a reason: 422, beside the field
    no_reason = client.patch(
        url2, json={"stage": "rejected"}, headers={**headers, "If-Match": etag2}
    )
    assert no_reason.status_code == 422
    assert no_reason.get_json()["errors"][0]["pointer"] == "/reason"
    db.session.refresh(second)
    assert second.stage == Stage.SUBMITTED


def test_a_read_only_token_cannot_decide(
    app, client, make_user, make_open_cohort, make_application, token_for
):
    application = make_application(make_open_cohort())
    headers = token_for(make_user(Role.MANAGER, locale="en"), can_write=False)
    response = client.patch(
        f"/api/v1/applications/{application.id}",
        json={"stage": "accepted"},
        headers={**headers, "If-Match": "*"},
    )
    assert response.status_code == 403 and "read-only" in response.get_json()["detail"]


def test_the_rate_limit_is_per_token_with_ratelimit_headers(make_app, make_user, campus):
    limited = make_app(RATELIMIT_ENABLED=True, API_RATE_LIMIT="3 per minute")
    with limited.app_context():
        user = make_user(Role.MANAGER)
        one = tokens.create_token(user, "one", days=30, can_write=False).secret
        two = tokens.create_token(user, "two", days=30, can_write=False).secret
        db.session.commit()
        client = limited.test_client()
        answers = [
            client.get("/api/v1/me", headers={"Authorization": f"Bearer {one}"}) for _ in range(4)
        ]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert answers[0].headers["RateLimit-Limit"] == "3"
        assert answers[0].headers["RateLimit-Remaining"] == "2"
        assert answers[3].mimetype == "application/problem+json"
        other = client.get("/api/v1/me", headers={"Authorization": f"Bearer {two}"})
        assert other.status_code == 200


def test_unknown_api_urls_and_methods_answer_as_problems(client):
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    wrong = client.delete("/api/v1/cohorts")
    assert wrong.status_code == 405 and wrong.mimetype == "application/problem+json"


def test_the_openapi_document_is_generated_and_the_docs_page_served(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    assert "/api/v1/applications/{application_id}" in document["paths"]
    patch = document["paths"]["/api/v1/applications/{application_id}"]["patch"]
    assert {"401", "403", "404", "409", "412", "422", "428", "429"} <= set(patch["responses"])
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and b"swagger-ui-bundle.js" in page.data


def test_an_id_too_long_for_the_database_finds_nothing(client, make_user, token_for):
    """A page or an API URL with an id past 32 bits answers 404, not a driver overflow."""
    headers = token_for(make_user(Role.MANAGER))
    assert client.get("/api/v1/cohorts/99999999999999999999", headers=headers).status_code == 404
    manager = make_user(Role.MANAGER)
    login(client, manager.email)
    assert client.get("/cohorts/99999999999999999999").status_code == 404


def test_a_list_costs_the_same_queries_for_many_items_as_for_few(
    app, client, make_user, make_open_cohort, make_application, token_for, count_queries
):
    headers = token_for(make_user(Role.MANAGER))
    few, many = make_open_cohort(), make_open_cohort()
    make_application(few)
    for _ in range(12):
        make_application(many)

    def cost(url: str) -> int:
        db.session.expire_all()
        with count_queries() as n:
            assert client.get(url, headers=headers).status_code == 200
            return n()

    assert cost(f"/api/v1/applications?cohort_id={few.id}") == cost(
        f"/api/v1/applications?cohort_id={many.id}"
    )
    assert cost("/api/v1/cohorts?limit=1") == cost("/api/v1/cohorts?limit=50")


def test_reading_applicants_is_in_the_access_log_with_whom_and_how_many(
    app, client, make_user, make_open_cohort, make_application, token_for
):
    cohort = make_open_cohort()
    applications = [make_application(cohort) for _ in range(3)]
    headers = token_for(make_user(Role.COORDINATOR))
    assert (
        client.get(f"/api/v1/applications?cohort_id={cohort.id}", headers=headers).status_code
        == 200
    )
    assert (
        client.get(f"/api/v1/applications/{applications[0].id}", headers=headers).status_code == 200
    )
    listed, shown = db.session.scalars(
        db.select(PersonalDataAccess)
        .where(PersonalDataAccess.page == "api")
        .order_by(PersonalDataAccess.id)
    ).all()
    assert listed.people_count == 3
    assert shown.subject_type == "Application" and shown.subject_id == applications[0].id
    assert shown.subject_label == f"{applications[0].name} <{applications[0].email}>"


def test_a_class_day_is_marked_through_the_attendance_service(
    app, client, make_user, make_cohort, token_for
):
    from datetime import date as date_type

    from sesac_ms.models import Attendance, ClassDay, Enrollment, MarkSource

    cohort = make_cohort(start_on=date_type(2026, 3, 2), end_on=date_type(2026, 8, 31))
    trainees = [make_user(Role.TRAINEE, name=f"교육생{i}") for i in range(2)]
    enrollments = [Enrollment(cohort_id=cohort.id, user_id=t.id) for t in trainees]
    day = ClassDay(cohort_id=cohort.id, day=date_type(2026, 3, 3), added_by_hand=True)
    db.session.add_all([*enrollments, day])
    db.session.flush()
    # the first trainee checked in late: changing that mark needs a reason
    db.session.add(
        Attendance(
            enrollment_id=enrollments[0].id,
            class_day_id=day.id,
            status="late",
            source=MarkSource.CHECK_IN,
        )
    )
    db.session.commit()
    headers = token_for(make_user(Role.MANAGER, locale="en"))
    url = f"/api/v1/cohorts/{cohort.id}/class-days/{day.id}/attendance"
    sheet = client.get(url, headers=headers)
    assert sheet.status_code == 200
    assert [m["status"] for m in sheet.get_json()["marks"]] == ["late", None]
    etag = sheet.headers["ETag"]
    marks = [
        {"enrollment_id": enrollments[0].id, "status": "present"},
        {"enrollment_id": enrollments[1].id, "status": "absent"},
    ]
    refused = client.put(url, json={"marks": marks}, headers={**headers, "If-Match": etag})
    assert refused.status_code == 422
    assert refused.get_json()["errors"][0]["pointer"] == "/marks/0/note"
    assert db.session.scalar(db.select(db.func.count()).select_from(Attendance)) == 1  # none
    marks[0]["note"] = "출입 카드 오류"
    done = client.put(url, json={"marks": marks}, headers={**headers, "If-Match": etag})
    assert done.status_code == 200
    assert [m["status"] for m in done.get_json()["marks"]] == ["present", "absent"]
    stale = client.put(url, json={"marks": marks}, headers={**headers, "If-Match": etag})
    assert stale.status_code == 412  # the sheet changed since that ETag


def test_placements_and_follow_ups_within_scope_without_health_data(
    app, client, make_user, make_cohort, token_for
):

    from sesac_ms.models import (
        CoachingSession,
        ExclusionReason,
        FollowUp,
        Outcome,
        OutcomeKind,
        SessionKind,
    )

    enrollment = graduate(make_cohort, make_user)
    cohort, trainee = enrollment.cohort, enrollment.user
    other, coordinator = make_user(Role.TRAINEE), make_user(Role.COORDINATOR)
    db.session.add(enrollment)
    db.session.flush()
    db.session.add(
        Outcome(
            enrollment_id=enrollment.id,
            kind=OutcomeKind.EXCLUDED,
            outcome_on=cohort.end_on,
            exclusion_reason=ExclusionReason.ILLNESS,
            health_consent_at=utcnow(),
            evidence="진단서: 입원 치료",
        )
    )
    sessions = [
        CoachingSession(
            cohort_id=cohort.id,
            trainee_id=person.id,
            staff_id=coordinator.id,
            kind=SessionKind.CAREER,
            starts_at=utcnow() - timedelta(days=1),
            ends_at=utcnow() - timedelta(days=1, minutes=-30),
        )
        for person in (trainee, other)
    ]
    db.session.add_all(sessions)
    db.session.flush()
    db.session.add_all([FollowUp(session_id=s.id, text=f"할 일 {s.trainee_id}") for s in sessions])
    db.session.commit()

    staff = token_for(coordinator)
    outcomes = client.get("/api/v1/outcomes", headers=staff)
    assert outcomes.status_code == 200
    [shown] = outcomes.get_json()["items"]
    assert shown["kind"] == "excluded"
    assert "illness" not in outcomes.get_data(as_text=True)
    assert "진단서" not in outcomes.get_data(as_text=True)
    assert len(client.get("/api/v1/follow-ups", headers=staff).get_json()["items"]) == 2
    mine = client.get("/api/v1/follow-ups", headers=token_for(trainee)).get_json()["items"]
    assert [item["text"] for item in mine] == [f"할 일 {trainee.id}"]
    assert client.get("/api/v1/outcomes", headers=token_for(trainee)).status_code == 403


def test_scores_outcomes_and_follow_ups_are_written_through_the_services(
    app, client, make_user, make_cohort, make_open_cohort, make_application, token_for
):

    from sesac_ms.models import (
        ApplicationScore,
        CoachingSession,
        FollowUp,
        SessionKind,
    )

    coordinator = make_user(Role.COORDINATOR, locale="en")
    headers = token_for(coordinator)
    application = make_application(make_open_cohort())
    scored = client.post(
        f"/api/v1/applications/{application.id}/scores",
        json={"stage": "screening", "score": 87, "comment": "명확한 동기"},
        headers=headers,
    )
    assert scored.status_code == 200 and scored.get_json()["average_score"] == 87
    assert db.session.scalar(db.select(ApplicationScore.evaluator_id)) == coordinator.id

    enrollment = graduate(make_cohort, make_user)
    cohort, trainee = enrollment.cohort, enrollment.user
    db.session.add(enrollment)
    db.session.commit()
    outcome = {
        "enrollment_id": enrollment.id,
        "kind": "employed",
        "outcome_on": "2025-09-15",
        "company": "한빛소프트",
        "employment_type": "permanent",
        "insured": True,
    }
    made = client.post("/api/v1/outcomes", json=outcome, headers=headers)
    assert made.status_code == 201 and made.get_json()["company"] == "한빛소프트"
    assert client.post("/api/v1/outcomes", json=outcome, headers=headers).status_code == 200
    wrong = client.post(
        "/api/v1/outcomes", json={**outcome, "kind": "founded", "insured": True}, headers=headers
    )
    assert wrong.status_code == 422 and wrong.get_json()["errors"]  # a job's field on a business
    url = f"/api/v1/outcomes/{made.get_json()['id']}"
    etag = client.get(url, headers=headers).headers["ETag"]
    verified = client.patch(
        url,
        json={"verification_state": "verified", "verification": "insurance_record"},
        headers={**headers, "If-Match": etag},
    )
    assert verified.status_code == 200
    assert verified.get_json()["verification_state"] == "verified"

    session = CoachingSession(
        cohort_id=cohort.id,
        trainee_id=trainee.id,
        staff_id=coordinator.id,
        kind=SessionKind.CAREER,
        starts_at=utcnow() - timedelta(days=1),
        ends_at=utcnow() - timedelta(days=1, minutes=-30),
    )
    db.session.add(session)
    db.session.flush()
    follow_up = FollowUp(session_id=session.id, text="이력서 고치기")
    db.session.add(follow_up)
    db.session.commit()
    mine = token_for(trainee)
    url = f"/api/v1/follow-ups/{follow_up.id}"
    assert client.patch(url, json={"done": True}, headers=mine).status_code == 428
    etag = client.get(url, headers=mine).headers["ETag"]
    done = client.patch(url, json={"done": True}, headers={**mine, "If-Match": etag})
    assert done.status_code == 200 and done.get_json()["done_at"] is not None


def test_staff_publish_times_and_refer_graduates_through_the_services(
    app, client, make_user, make_cohort, token_for
):

    from sesac_ms.clock import SEOUL
    from sesac_ms.models import AvailabilitySlot, Company, Referral

    coordinator = make_user(Role.COORDINATOR, locale="en")
    headers = token_for(coordinator)
    when = (utcnow() + timedelta(days=3)).astimezone(SEOUL).replace(hour=19, minute=0)
    published = client.post(
        "/api/v1/availability",
        json={"kind": "career", "starts_at": when.isoformat(), "location": "상담실", "weeks": 2},
        headers=headers,
    )
    assert published.status_code == 201 and len(published.get_json()["items"]) == 2
    assert db.session.scalar(db.select(db.func.count()).select_from(AvailabilitySlot)) == 2
    again = client.post(
        "/api/v1/availability",
        json={"kind": "career", "starts_at": when.isoformat(), "location": "상담실"},
        headers=headers,
    )
    assert again.status_code == 409  # the same time is taken by the first

    enrollment = graduate(make_cohort, make_user)
    company = Company(campus_id=coordinator.campus_id, name="한빛제조", industry="제조")
    db.session.add_all([enrollment, company])
    db.session.commit()
    body = {"enrollment_id": enrollment.id, "company_id": company.id, "position": "QA"}
    refused = client.post("/api/v1/referrals", json={**body, "consent": False}, headers=headers)
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["pointer"] == "/consent"
    made = client.post("/api/v1/referrals", json={**body, "consent": True}, headers=headers)
    assert made.status_code == 201 and made.get_json()["status"] == "proposed"
    url = f"/api/v1/referrals/{made.get_json()['id']}"
    etag = client.get(url, headers=headers).headers["ETag"]
    moved = client.patch(url, json={"status": "sent"}, headers={**headers, "If-Match": etag})
    assert moved.status_code == 200 and moved.get_json()["status"] == "sent"
    assert db.session.scalar(db.select(Referral.status)) == "sent"
