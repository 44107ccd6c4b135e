"""Every registered route, as every role and anonymous, answers as permissions.ACTIONS says.

A new route without @require fails here, and so does a route whose answer differs
from the table. A second walk checks campus scope: staff of another campus get 404.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from flask import Flask

from sesac_ms.api import tokens
from sesac_ms.applications.tokens import token_for
from sesac_ms.auth.services import issue_password_link
from sesac_ms.extensions import db
from sesac_ms.models import (
    AvailabilitySlot,
    ClassDay,
    CoachingSession,
    CohortEvent,
    CohortStaff,
    Company,
    DataRequest,
    Enrollment,
    EnrollmentStatus,
    EventKind,
    FollowUp,
    InterviewSlot,
    Outcome,
    OutcomeKind,
    Passkey,
    Referral,
    RequestKind,
    Role,
    SessionKind,
    StaffRole,
    UploadedFile,
    WebhookSubscription,
)
from sesac_ms.models.types import utcnow
from sesac_ms.permissions import ACTIONS, PUBLIC
from sesac_ms.sessions.agenda import new_feed_link
from tests.conftest import login

SKIPPED_ENDPOINTS = {"static"}
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def routes(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, rule, method) for every route the app registers."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIPPED_ENDPOINTS:
            continue
        for method in sorted(rule.methods - IGNORED_METHODS):
            found.append((rule.endpoint, rule.rule, method))
    return found


def action_of(app: Flask, endpoint: str) -> str:
    action = getattr(app.view_functions[endpoint], "required_action", None)
    assert action is not None, f"{endpoint} has no @require(...): add it and a row in ACTIONS"
    assert action == PUBLIC or action in ACTIONS, f"{endpoint}: unknown action {action}"
    return action


@pytest.fixture
def world(app, make_campus, campus, make_user, make_open_cohort, make_application):
    """Records of one campus for every URL parameter, and a second campus."""
    cohort = make_open_cohort()
    mentor = make_user(Role.MENTOR)
    staff = CohortStaff(cohort_id=cohort.id, user_id=mentor.id, role=StaffRole.MENTOR)
    db.session.add(staff)
    target = make_user(Role.TRAINEE, email="target@sesac.example")
    link = issue_password_link(target)
    application = make_application(cohort)
    slot = InterviewSlot(
        cohort_id=cohort.id,
        interviewer_id=mentor.id,
        starts_at=utcnow() + timedelta(days=3),
        ends_at=utcnow() + timedelta(days=3, minutes=30),
        location="상담실",
    )
    upload = UploadedFile(
        kind="applicants",
        filename="a.csv",
        content=b"name\n",
        uploaded_by_id=mentor.id,
        target_id=cohort.id,
    )
    trainee = make_user(Role.TRAINEE, email="enrolled@sesac.example")
    enrollment = Enrollment(cohort_id=cohort.id, user_id=trainee.id)
    class_day = ClassDay(cohort_id=cohort.id, day=cohort.start_on, added_by_hand=True)
    event = CohortEvent(
        cohort_id=cohort.id,
        kind=EventKind.SPECIAL_LECTURE,
        title="특강",
        starts_at=utcnow() + timedelta(days=40),
        ends_at=utcnow() + timedelta(days=40, hours=2),
    )
    db.session.add_all([slot, upload, enrollment, class_day, event])
    coordinator = make_user(Role.COORDINATOR)
    db.session.add(
        CohortStaff(cohort_id=cohort.id, user_id=coordinator.id, role=StaffRole.COORDINATOR)
    )
    available = AvailabilitySlot(
        staff_id=coordinator.id,
        kind=SessionKind.MENTORING,
        starts_at=utcnow() + timedelta(days=2, hours=3),
        ends_at=utcnow() + timedelta(days=2, hours=4),
        location="상담실",
    )
    session = CoachingSession(
        cohort_id=cohort.id,
        trainee_id=trainee.id,
        staff_id=coordinator.id,
        kind=SessionKind.PORTFOLIO,
        starts_at=utcnow() - timedelta(hours=2),
        ends_at=utcnow() - timedelta(hours=1),
        location="상담실",
    )
    mentor_slot = AvailabilitySlot(
        staff_id=mentor.id,
        kind=SessionKind.MENTORING,
        starts_at=utcnow() + timedelta(days=5, hours=3),
        ends_at=utcnow() + timedelta(days=5, hours=4),
        location="온라인",
    )
    mentor_session = CoachingSession(
        cohort_id=cohort.id,
        trainee_id=trainee.id,
        staff_id=mentor.id,
        kind=SessionKind.MENTORING,
        starts_at=utcnow() - timedelta(hours=5),
        ends_at=utcnow() - timedelta(hours=4),
        location="온라인",
    )
    db.session.add_all([available, session, mentor_slot, mentor_session])
    db.session.flush()
    follow_up = FollowUp(session_id=session.id, text="이력서 고치기")
    mentor_follow_up = FollowUp(session_id=mentor_session.id, text="포트폴리오 정리")
    db.session.add_all([follow_up, mentor_follow_up])
    feed_link = new_feed_link(target)  # a user the walk never logs in as
    graduate = make_user(Role.TRAINEE, email="graduate@sesac.example")
    completed = Enrollment(
        cohort_id=cohort.id,
        user_id=graduate.id,
        status=EnrollmentStatus.COMPLETED,
        status_on=cohort.end_on,
    )
    company = Company(campus_id=campus.id, name="한빛제조", industry="제조")
    db.session.add_all([completed, company])
    db.session.flush()
    outcome = Outcome(
        enrollment_id=completed.id,
        kind=OutcomeKind.EMPLOYED,
        company="한빛제조",
        outcome_on=cohort.end_on,
        insured=True,
    )
    referral = Referral(
        enrollment_id=completed.id, company_id=company.id, sharing_consent_at=utcnow()
    )
    # Someone else's passkey: removing it is refused to everyone (a message, no change).
    passkey = Passkey(
        user_id=target.id, name="열쇠", credential_id=b"walk-credential", public_key=b"key"
    )
    db.session.add_all([outcome, referral, passkey])
    data_request = DataRequest(  # the enrolled trainee's, answered by their campus
        kind=RequestKind.CORRECTION,
        campus_id=campus.id,
        user_id=trainee.id,
        text="전화번호 정정",
        due_on=cohort.start_on,
    )
    db.session.add(data_request)
    api_token = tokens.create_token(target, "someone else's", days=30, can_write=False).token
    webhook = WebhookSubscription(
        campus_id=campus.id,
        owner_id=target.id,
        url="https://partner.example/hooks",
        events="session.booked",
        secret_encrypted="not read by the walk",
    )
    db.session.add(webhook)
    db.session.commit()
    return {
        "values": {
            "campus_id": campus.id,
            "course_id": cohort.course_id,
            "cohort_id": cohort.id,
            "staff_id": staff.id,
            "user_id": target.id,
            "application_id": application.id,
            "slot_id": slot.id,
            "upload_id": upload.id,
            "enrollment_id": enrollment.id,
            "day_id": class_day.id,
            "event_id": event.id,
            "session_id": session.id,
            "outcome_id": outcome.id,
            "referral_id": referral.id,
            "follow_up_id": follow_up.id,
            "passkey_id": passkey.id,
            "sessions.slot_id": available.id,
            "api_sessions.slot_id": available.id,
            "sessions.token": feed_link.rsplit("/", 1)[1].removesuffix(".ics"),
            "token": link.rsplit("/", 1)[1],
            # the applicant's private status link, for the applications blueprint
            "applications.token": token_for(application.status_nonce),
            "privacy.token": token_for(application.status_nonce),
            "request_id": data_request.id,
            "token_id": api_token.id,
            "subscription_id": webhook.id,
        },
        # 1:1 sessions are seen by the people in them: these roles walk as those people.
        "users": {Role.COORDINATOR: coordinator, Role.MENTOR: mentor, Role.TRAINEE: trainee},
        "role_values": {
            Role.MENTOR: {
                "session_id": mentor_session.id,
                "follow_up_id": mentor_follow_up.id,
                "sessions.slot_id": mentor_slot.id,
                "api_sessions.slot_id": mentor_slot.id,
            }
        },
        "campus": campus,
        "other_campus": make_campus("중랑", name_en="Jungnang", district="중랑구"),
    }


def build_url(app: Flask, endpoint: str, values: dict) -> str:
    """Fill the rule's parameters; "<blueprint>.<name>" values win for that blueprint."""
    rule = next(r for r in app.url_map.iter_rules(endpoint=endpoint))
    blueprint = endpoint.split(".")[0]
    arguments = {
        name: values.get(f"{blueprint}.{name}", values.get(name)) for name in rule.arguments
    }
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **arguments)


def is_login_redirect(response) -> bool:
    """Sent to the log-in page by Flask-Login (it carries next=), not a deliberate redirect."""
    parts = urlsplit(response.location or "")
    return response.status_code == 302 and parts.path == "/auth/login" and "next=" in parts.query


def is_api(app: Flask, endpoint: str) -> bool:
    """An API operation (sesac_ms/api): authenticated by a bearer token, never a cookie."""
    return hasattr(app.view_functions[endpoint], "api_resource")


def bearer(user) -> dict[str, str]:
    """A read-write token of the user for every resource, with `If-Match: *` so that a
    write reaches its checks of role and campus (the ETag itself is tested in test_api)."""
    secret = tokens.create_token(user, "walk", days=30, can_write=True).secret
    db.session.commit()
    return {"Authorization": f"Bearer {secret}", "If-Match": "*"}


# A valid body for API writes, so the campus walk reaches the record (not the body's check).
API_BODIES = {
    "api_applications.change_application": {"stage": "rejected", "reason": "walk"},
    "api_sessions.change_session": {"status": "cancelled", "reason": "walk"},
    "api_roster.record_attendance": {"marks": [{"enrollment_id": 1, "status": "present"}]},
    "api_applications.score_application": {"stage": "screening", "score": 50},
    "api_placements.verify_outcome": {"verification_state": "unverified"},
    "api_placements.change_referral": {"status": "sent"},
}


def api_answer_ok(response, allowed: bool, role) -> bool:
    if not allowed:
        return response.status_code == (401 if role is None else 403)
    # Reached: what the operation itself says of an empty request, never a refusal or a 500.
    return response.status_code in (200, 201, 204, 304, 409, 412, 422, 428)


@pytest.mark.parametrize("role", [None, *Role], ids=lambda r: r or "anonymous")
def test_every_route_answers_every_role_as_the_table_says(app, make_user, world, role):
    failures = []
    token_headers: dict[str, str] = {}
    for endpoint, _rule, method in routes(app):
        action = action_of(app, endpoint)
        client = app.test_client()
        values = world["values"]
        if role is not None:
            user = world["users"].get(role) or make_user(role)
            if is_api(app, endpoint):
                token_headers = token_headers or bearer(user)
            else:
                assert login(client, user.email).status_code == 302
            values = {**values, **world["role_values"].get(role, {})}
        url = build_url(app, endpoint, values)
        allowed = action == PUBLIC or (role is not None and role in ACTIONS[action])
        if is_api(app, endpoint):
            response = client.open(url, method=method, json={}, headers=token_headers)
            if not api_answer_ok(response, allowed, role):
                answer = response.get_data(as_text=True)[:200]
                failures.append(
                    f"{method} {url} ({endpoint}, {action}) as {role}: "
                    f"{response.status_code} {answer}"
                )
            continue
        response = client.open(url, method=method, data={})
        if allowed:
            ok = response.status_code in (200, 302) and not (
                action != PUBLIC and is_login_redirect(response)
            )
        elif role is None:
            ok = is_login_redirect(response)
        else:
            ok = response.status_code == 403
        if not ok:
            failures.append(
                f"{method} {url} ({endpoint}, {action}) as {role}: "
                f"{response.status_code} {response.location or ''}"
            )
    assert not failures, "\n".join(failures)


SCOPED_PARAMETERS = {
    "subscription_id",
    "campus_id",
    "course_id",
    "cohort_id",
    "staff_id",
    "application_id",
    "slot_id",
    "upload_id",
    "enrollment_id",
    "day_id",
    "event_id",
    "outcome_id",
    "referral_id",
    "request_id",
}


@pytest.mark.parametrize("role", [Role.MANAGER, Role.COORDINATOR, Role.MENTOR, Role.TRAINEE])
def test_staff_of_another_campus_get_404_for_this_campus_records(app, make_user, world, role):
    checked = 0
    failures = []
    for endpoint, _rule, method in routes(app):
        action = action_of(app, endpoint)
        rule = next(r for r in app.url_map.iter_rules(endpoint=endpoint))
        if action == PUBLIC or role not in ACTIONS[action]:
            continue
        if not rule.arguments & SCOPED_PARAMETERS:
            continue
        client = app.test_client()
        outsider = make_user(role, campus=world["other_campus"])
        url = build_url(app, endpoint, world["values"])
        if is_api(app, endpoint):
            body = API_BODIES.get(endpoint, {})
            response = client.open(url, method=method, json=body, headers=bearer(outsider))
        else:
            login(client, outsider.email)
            response = client.open(url, method=method, data={})
        checked += 1
        if response.status_code != 404:
            failures.append(f"{method} {endpoint}: {response.status_code}")
    assert not failures, "\n".join(failures)
    if role in (Role.MANAGER, Role.COORDINATOR):
        assert checked > 0


def test_every_action_in_the_table_is_used_by_a_route(app):
    used = {action_of(app, endpoint) for endpoint, _, _ in routes(app)}
    assert set(ACTIONS) - used == set()


def test_every_api_route_honours_the_tokens_narrowing_and_revocation(app, make_user, world):
    """As an administrator (whom the table allows everything): a token narrowed to another
    resource is refused (403), a read-only one is refused every write (403), and a revoked
    one is not a token at all (401)."""
    admin = make_user(Role.ADMIN)
    made = {
        "other": tokens.create_token(
            admin, "other", days=30, can_write=True, resources=["reports"]
        ),
        "read": tokens.create_token(admin, "read", days=30, can_write=False),
        "revoked": tokens.create_token(admin, "revoked", days=30, can_write=True),
    }
    tokens.revoke(admin, made["revoked"].token.id)
    db.session.commit()
    failures, checked = [], 0
    for endpoint, _rule, method in routes(app):
        view = app.view_functions[endpoint]
        if not is_api(app, endpoint):
            continue
        url = build_url(app, endpoint, world["values"])
        body = API_BODIES.get(endpoint, {})
        expected = {"revoked": 401}
        if view.api_resource not in ("reports", "me"):
            expected["other"] = 403
        if view.api_write:
            expected["read"] = 403
        for name, status in expected.items():
            headers = {"Authorization": f"Bearer {made[name].secret}", "If-Match": "*"}
            response = app.test_client().open(url, method=method, json=body, headers=headers)
            checked += 1
            if response.status_code != status:
                failures.append(f"{method} {url} with the {name} token: {response.status_code}")
    assert checked > 20
    assert not failures, "\n".join(failures)
