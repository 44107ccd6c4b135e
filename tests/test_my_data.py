"""My data (정보주체의 열람·정정·삭제 요구): a trainee downloads everything held about them and
asks for corrections; an applicant does the same from the private status link; the campus
answers within ten days, audited; the export keeps up with the schema.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from html import unescape

import pytest
import sqlalchemy as sa

from sesac_ms.api import tokens
from sesac_ms.applications.tokens import token_for
from sesac_ms.clock import today_in_seoul
from sesac_ms.errors import Conflict
from sesac_ms.extensions import db
from sesac_ms.models import (
    ApplicationScore,
    Attendance,
    AttendanceNudge,
    AttendanceStatus,
    AuditEntry,
    CertificationAttempt,
    ClassDay,
    CoachingSession,
    CohortStatus,
    Company,
    Course,
    DataRequest,
    Enrollment,
    EnrollmentStatus,
    Exam,
    ExclusionReason,
    FollowUp,
    InterviewSlot,
    Outcome,
    OutcomeKind,
    Passkey,
    PersonalDataAccess,
    Referral,
    RequestKind,
    RequestStatus,
    RetentionCheck,
    RetentionReminder,
    RetentionResult,
    Role,
    SessionKind,
    SessionStatus,
    Stage,
    TotpCredential,
)
from sesac_ms.models.audit import AccessAction
from sesac_ms.models.types import utcnow
from sesac_ms.privacy import export as my_data
from sesac_ms.privacy import requests
from tests.conftest import login
from tests.test_english_pages import foreign_text, typed_values

COMMENT = "면접 태도 불량 — 평가자 메모"
STAFF_NOTE = "가정 형편 어려움, 상담 필요 (직원 전용)"
REFERRAL_NOTE = "담당자에게 이력서 보완 요청함 (코디네이터 메모)"
SUMMARY = "포트폴리오 구성을 함께 검토했습니다"
EVIDENCE = "진단서 제출 (질병)"
EVALUATOR = "박평가 위원"


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


# --- a trainee with a record in every table the export covers ------------------------------


@pytest.fixture
def build_trainee(app, campus, make_user, make_cohort, make_application):
    """`build_trainee(n)`: a trainee with n rows in each covered table (and an application
    with n scores), so a test can compare the export of a short and a long record."""
    counter = iter(range(1, 10**6))

    def build(n: int = 1, passkeys: bool = False, **user_values):
        """A passkey is a second factor: a trainee with one could not log in by password
        alone, so only the tests that read the export directly ask for them."""
        cohort = make_cohort(
            status=CohortStatus.FINISHED,
            start_on=date(2026, 2, 2),
            end_on=date(2026, 6, 30),
        )
        manager = make_user(Role.MANAGER)
        coordinator = make_user(Role.COORDINATOR, name="최코디")
        trainee = make_user(Role.TRAINEE, name="김교육", phone="010-2222-3333", **user_values)
        application = make_application(cohort, name="김교육", email=trainee.email)
        application.user_id = trainee.id
        application.stage = Stage.ENROLLED
        slot = InterviewSlot(
            cohort_id=cohort.id,
            interviewer_id=manager.id,
            starts_at=datetime(2026, 1, 20, 1, 0, tzinfo=UTC),
            ends_at=datetime(2026, 1, 20, 1, 30, tzinfo=UTC),
            location="면접실 A",
        )
        db.session.add(slot)
        db.session.flush()
        application.interview_slot_id = slot.id
        stages = [Stage.SCREENING, Stage.INTERVIEW, Stage.ASSESSMENT]
        for k in range(n):
            evaluator = make_user(Role.MANAGER, name=f"{EVALUATOR}{k}")
            db.session.add(
                ApplicationScore(
                    application_id=application.id,
                    stage=stages[k % 3],
                    evaluator_id=evaluator.id,
                    evaluator_label=f"{EVALUATOR}{k}",
                    score=70 + k,
                    comment=COMMENT,
                )
            )
        enrollment = Enrollment(
            cohort_id=cohort.id,
            user_id=trainee.id,
            application_id=application.id,
            status=EnrollmentStatus.COMPLETED,
            status_on=cohort.end_on,
        )
        db.session.add(enrollment)
        db.session.flush()
        for k in range(n):
            day = ClassDay(cohort_id=cohort.id, day=cohort.start_on + timedelta(days=k))
            db.session.add(day)
            db.session.flush()
            db.session.add(
                Attendance(
                    enrollment_id=enrollment.id,
                    class_day_id=day.id,
                    status=AttendanceStatus.LATE,
                    arrived_at=datetime(2026, 2, 2, 0, 12, tzinfo=UTC) + timedelta(days=k),
                    left_at=datetime(2026, 2, 2, 9, 0, tzinfo=UTC) + timedelta(days=k),
                    minutes_late=12,
                    note="버스 지연",
                )
            )
            db.session.add(AttendanceNudge(enrollment_id=enrollment.id, threshold=2 - k % 3))
            session = CoachingSession(
                cohort_id=cohort.id,
                trainee_id=trainee.id,
                staff_id=coordinator.id,
                kind=SessionKind.PORTFOLIO,
                status=SessionStatus.COMPLETED,
                starts_at=datetime(2026, 3, 2, 5, 0, tzinfo=UTC) + timedelta(days=k),
                ends_at=datetime(2026, 3, 2, 6, 0, tzinfo=UTC) + timedelta(days=k),
                location="상담실",
                summary=SUMMARY,
                staff_notes=STAFF_NOTE,
            )
            db.session.add(session)
            db.session.flush()
            db.session.add(FollowUp(session_id=session.id, text="이력서 고치기", due_on=None))
            exam = Exam(name=f"AI-9{next(counter):02d}")
            db.session.add(exam)
            db.session.flush()
            db.session.add(
                CertificationAttempt(
                    user_id=trainee.id, exam_id=exam.id, exam_on=date(2026, 5, 1), passed=True
                )
            )
            company = Company(campus_id=campus.id, name=f"한빛제조{next(counter)}")
            db.session.add(company)
            db.session.flush()
            db.session.add(
                Referral(
                    enrollment_id=enrollment.id,
                    company_id=company.id,
                    position="데이터 분석",
                    sharing_consent_at=utcnow(),
                    note=REFERRAL_NOTE,
                )
            )
            if passkeys:
                db.session.add(
                    Passkey(
                        user_id=trainee.id,
                        name=f"내 휴대폰 {k}",
                        credential_id=f"credential-{trainee.id}-{k}".encode(),
                        public_key=b"public-key-bytes",
                    )
                )
                tokens.create_token(trainee, f"내 앱 {k}", days=30, can_write=False)
            db.session.add(
                DataRequest(
                    kind=RequestKind.CORRECTION,
                    campus_id=campus.id,
                    user_id=trainee.id,
                    text=f"주소 정정 {k}",
                    due_on=today_in_seoul() + timedelta(days=10),
                )
            )
        # An earlier illness exclusion (health data, its own consent), then a job.
        db.session.add(
            Outcome(
                enrollment_id=enrollment.id,
                kind=OutcomeKind.EXCLUDED,
                outcome_on=date(2026, 7, 1),
                exclusion_reason=ExclusionReason.ILLNESS,
                health_consent_at=datetime(2026, 7, 1, 2, 0, tzinfo=UTC),
                evidence=EVIDENCE,
                is_current=False,
            )
        )
        job = Outcome(
            enrollment_id=enrollment.id,
            kind=OutcomeKind.EMPLOYED,
            outcome_on=date(2026, 8, 1),
            company="한빛제조",
            insured=True,
        )
        db.session.add(job)
        db.session.flush()
        for months in (6, 12)[: max(1, min(n, 2))]:
            db.session.add(
                RetentionCheck(
                    outcome_id=job.id,
                    months=months,
                    checked_on=date(2027, 2, 1),
                    result=RetentionResult.STILL_EMPLOYED,
                )
            )
            db.session.add(RetentionReminder(outcome_id=job.id, months=months))
        db.session.add(
            TotpCredential(
                user_id=trainee.id,
                secret_encrypted="gAAAA-not-shown",  # set up, not confirmed: no code asked
            )
        )
        db.session.commit()
        return trainee

    return build


def download_json(client) -> dict:
    response = client.get("/privacy/me/data.json")
    assert response.status_code == 200
    return json.loads(response.get_data(as_text=True))


def reach(document, path: str) -> list:
    """The values at a dotted path, lists flattened on the way: "outcomes.retention_checks"."""
    found = [document]
    for key in path.split("."):
        step = []
        for item in found:
            value = item[key] if isinstance(item, dict) else None
            if isinstance(value, list):
                step.extend(value)
            elif value is not None:
                step.append(value)
        found = step
    return found


# --- the export: what is in it, what is not -------------------------------------------------


def test_a_trainee_downloads_everything_held_about_them_as_json(app, client, build_trainee):
    trainee = build_trainee()
    assert login(client, trainee.email).status_code == 302

    response = client.get("/privacy/me/data.json")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=my-data-")
    assert "no-store" in response.headers["Cache-Control"]
    body = response.get_data(as_text=True)
    data = json.loads(body)
    assert data["format"] == my_data.FORMAT
    assert data["person"]["email"] == trainee.email
    assert data["person"]["phone"] == "010-2222-3333"
    [application] = data["applications"]
    assert application["consent_version"] == app.config["CONSENT_NOTICE_VERSION"]
    assert application["scores"] == [
        {
            "stage": "screening",
            "score": 70,
            "scored_at": application["scores"][0]["scored_at"],
            "updated_at": application["scores"][0]["updated_at"],
        }
    ]
    assert application["interview"]["location"] == "면접실 A"
    [enrollment] = data["enrollments"]
    [mark] = enrollment["attendance"]
    assert mark["status"] == "late" and mark["arrived_at"].startswith("2026-02-02T00:12")
    [session] = data["sessions"]
    assert session["summary"] == SUMMARY
    assert session["follow_ups"][0]["text"] == "이력서 고치기"
    illness = next(o for o in data["outcomes"] if o["kind"] == "excluded")
    assert illness["health_data"] is True
    assert illness["exclusion_reason"] == "illness" and illness["evidence"] == EVIDENCE
    assert data["referrals"][0]["position"] == "데이터 분석"
    assert {c["kind"] for c in data["consents"]} == {"application", "referral", "health"}
    assert data["second_factor"]["authenticator_app"][0]["confirmed_at"] is None
    assert data["withheld"]  # what was left out, and why, in words

    # Nothing private to others or secret reaches the file.
    for private in (COMMENT, EVALUATOR, STAFF_NOTE, REFERRAL_NOTE, "gAAAA-not-shown"):
        assert private not in body
    for secret in ("password_hash", "feed_token", "status_token", "credential", "public-key"):
        assert secret not in body
    assert trainee.password_hash not in body


def test_the_download_is_in_the_access_log_as_the_person_downloading_their_own(
    client, build_trainee
):
    trainee = build_trainee()
    login(client, trainee.email)

    client.get("/privacy/me/data.json")
    client.get("/privacy/me/data.html")

    entries = db.session.scalars(
        sa.select(PersonalDataAccess).where(PersonalDataAccess.page == "privacy.my_data")
    ).all()
    assert [e.detail for e in entries] == ["JSON", "HTML"]
    for entry in entries:
        assert entry.action == AccessAction.DOWNLOAD
        assert entry.actor_id == trainee.id and entry.person_id == trainee.id
        assert entry.reason


def test_the_printable_page_reads_alone_and_keeps_staff_notes_out(client, build_trainee):
    trainee = build_trainee()
    login(client, trainee.email)

    page = client.get("/privacy/me/data.html")

    assert page.status_code == 200 and page.mimetype == "text/html"
    assert page.headers["Content-Disposition"].startswith("inline")
    assert "no-store" in page.headers["Cache-Control"]
    policy = page.headers["Content-Security-Policy"]
    assert "style-src 'sha256-" in policy and "unsafe-inline" not in policy
    assert "<script" not in page.get_data(as_text=True)
    shown = text(page)
    assert SUMMARY in shown and EVIDENCE in shown and "면접실 A" in shown
    for private in (COMMENT, EVALUATOR, STAFF_NOTE, REFERRAL_NOTE):
        assert private not in shown
    saved = client.get("/privacy/me/data.html?download=1")
    assert saved.headers["Content-Disposition"].startswith("attachment; filename=my-data-")


def test_the_trainee_sees_their_consents_with_date_and_notice_version(app, client, build_trainee):
    trainee = build_trainee()
    login(client, trainee.email)

    page = text(client.get("/privacy/me"))

    version = app.config["CONSENT_NOTICE_VERSION"]
    assert version in page
    assert "한빛제조" in page  # the consent to share with the referral's company
    consents = db.session.scalar(sa.select(sa.func.count()).select_from(Referral))
    assert consents == 1


def test_other_roles_have_no_my_data_page(client, login_as):
    login_as(Role.COORDINATOR)
    assert client.get("/privacy/me").status_code == 403
    assert client.get("/privacy/me/data.json").status_code == 403


# --- completeness against the schema ---------------------------------------------------------


def person_tables(metadata: sa.MetaData) -> set[str]:
    """Tables that hold rows about a person: those referring to users, applications or
    enrollments, and those referring to such a table, and so on."""
    found = set(my_data.PERSON_TABLES)
    grew = True
    while grew:
        grew = False
        for table in metadata.tables.values():
            if table.name in found:
                continue
            if any(fk.column.table.name in found for fk in table.foreign_keys):
                found.add(table.name)
                grew = True
    return found


def unaccounted(metadata: sa.MetaData) -> set[str]:
    return person_tables(metadata) - set(my_data.COVERED) - set(my_data.WITHHELD)


def test_every_table_about_a_person_is_exported_or_excluded_on_purpose(app):
    assert unaccounted(db.metadata) == set(), (
        "tables with a person's id that the export neither covers nor excludes: add each "
        "to privacy/export.py COVERED (and the export) or WITHHELD (with the reason)"
    )
    assert set(my_data.COVERED) & set(my_data.WITHHELD) == set()
    # Every name in the lists is a real table that refers to a person.
    assert set(my_data.COVERED) | set(my_data.WITHHELD) <= person_tables(db.metadata)


def test_a_new_table_with_a_persons_id_fails_the_check(app):
    """The check itself: a table added with a user's id (or one chained to a covered table)
    and put in neither list is named."""
    metadata = sa.MetaData()
    for table in db.metadata.tables.values():
        table.to_metadata(metadata)
    sa.Table(
        "trainee_badges",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.ForeignKey("users.id")),
    )
    sa.Table(
        "follow_up_comments",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("follow_up_id", sa.ForeignKey("follow_ups.id")),
    )
    assert unaccounted(metadata) == {"trainee_badges", "follow_up_comments"}


def test_every_covered_table_reaches_the_export(app, build_trainee):
    trainee = build_trainee(passkeys=True)
    with app.test_request_context():
        data = json.loads(my_data.as_json(my_data.person_export(trainee)))

    assert data["second_factor"]["passkeys"][0]["name"] == "내 휴대폰 0"
    assert "public-key" not in json.dumps(data)
    assert data["api_tokens"][0]["name"] == "내 앱 0"
    assert tokens.SECRET_PREFIX not in json.dumps(data)  # neither the secret nor its start

    empty = [t for t, covered in my_data.COVERED.items() if not reach(data, covered.path)]
    assert empty == []


# --- a fixed number of queries ------------------------------------------------------------


def test_the_export_costs_the_same_queries_for_a_long_record_as_for_a_short_one(
    app, build_trainee, count_queries
):
    short, long = build_trainee(1, passkeys=True), build_trainee(3, passkeys=True)

    def measure(user) -> tuple[int, dict]:
        db.session.expire_all()
        with app.test_request_context(), count_queries() as n:
            export = my_data.person_export(user)
            return n(), export

    short_count, short_export = measure(short)
    long_count, long_export = measure(long)

    assert len(long_export["sessions"]) == 3 and len(short_export["sessions"]) == 1
    assert len(long_export["enrollments"][0]["attendance"]) == 3
    assert long_count == short_count
    assert short_count <= 20


# --- requests: asked, answered, audited, on time ---------------------------------------------


def ask(client, kind="correction", body="제 전화번호는 010-1234-5678 입니다."):
    return client.post("/privacy/me/requests", data={"kind": kind, "text": body})


def test_a_correction_request_is_answered_by_a_manager_and_audited(
    client, app, campus, build_trainee, make_user
):
    trainee = build_trainee()
    login(client, trainee.email)
    response = ask(client)
    assert response.status_code == 302 and response.location.endswith("/privacy/me")
    request = db.session.scalars(
        sa.select(DataRequest).where(DataRequest.text.startswith("제 전화번호"))
    ).one()
    assert request.due_on == today_in_seoul() + timedelta(days=10)
    assert request.campus_id == campus.id and request.status == RequestStatus.OPEN
    created = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "datarequest.created")
    ).one()
    assert created.actor_id == trainee.id and created.object_id == request.id

    manager = make_user(Role.MANAGER)
    staff = app.test_client()
    login(staff, manager.email)
    listed = text(staff.get("/privacy/requests"))
    assert "김교육" in listed and "제 전화번호" not in listed  # the text is on its own page
    page = text(staff.get(f"/privacy/requests/{request.id}"))
    assert "제 전화번호는 010-1234-5678" in page

    answer = staff.post(
        f"/privacy/requests/{request.id}",
        data={"status": "done", "note": "신청서의 전화번호를 고쳤습니다."},
    )

    assert answer.status_code == 302
    db.session.expire_all()
    request = db.session.get(DataRequest, request.id)
    assert request.status == RequestStatus.DONE
    assert request.resolved_by_id == manager.id and request.resolved_at is not None
    resolved = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "datarequest.resolved")
    ).one()
    assert resolved.actor_id == manager.id
    assert resolved.changes["status"] == ["open", "done"]
    assert resolved.changes["resolution"] == [None, "신청서의 전화번호를 고쳤습니다."]
    viewed = db.session.scalars(
        sa.select(PersonalDataAccess).where(PersonalDataAccess.page == "privacy.request")
    ).all()
    assert viewed and viewed[0].person_id == trainee.id
    # The trainee reads the answer on their page; the request is no longer open.
    assert "신청서의 전화번호를 고쳤습니다." in text(client.get("/privacy/me"))
    assert "제 전화번호" not in text(staff.get("/privacy/requests"))
    with app.test_request_context(), pytest.raises(Conflict):
        requests.resolve(manager, request, "refused", "다시")


def test_every_problem_of_a_request_shows_beside_its_field(client, login_as):
    login_as(Role.TRAINEE)

    response = ask(client, kind="everything", body="   ")

    assert response.status_code == 200
    assert field_errors(response, "kind") and field_errors(response, "text")
    assert db.session.scalar(sa.select(sa.func.count(DataRequest.id))) == 0


def test_an_answer_needs_a_note_and_a_choice(client, app, build_trainee, make_user):
    trainee = build_trainee()
    request = db.session.scalars(sa.select(DataRequest).where(DataRequest.user_id == trainee.id))
    request = request.first()
    login(client, make_user(Role.MANAGER).email)

    response = client.post(f"/privacy/requests/{request.id}", data={"status": "maybe"})

    assert response.status_code == 200
    assert field_errors(response, "status") and field_errors(response, "note")
    db.session.refresh(request)
    assert request.status == RequestStatus.OPEN


def test_a_person_has_at_most_a_few_open_requests(client, login_as):
    login_as(Role.TRAINEE)
    for n in range(requests.MAX_OPEN_PER_PERSON):
        assert ask(client, body=f"정정 {n}").status_code == 302

    refused = ask(client, body="하나 더")

    assert refused.status_code == 200
    assert field_errors(refused, "text")
    count = db.session.scalar(sa.select(sa.func.count(DataRequest.id)))
    assert count == requests.MAX_OPEN_PER_PERSON


def test_open_requests_are_listed_by_deadline_overdue_first_and_flagged(
    client, campus, make_campus, make_user
):
    trainee = make_user(Role.TRAINEE, name="정교육")
    other_campus = make_campus("중랑", name_en="Jungnang")
    other = make_user(Role.TRAINEE, campus=other_campus, name="오교육")
    today = today_in_seoul()

    def add(user, due, status=RequestStatus.OPEN, text="정정"):
        request = DataRequest(
            kind=RequestKind.CORRECTION,
            campus_id=user.campus_id,
            user_id=user.id,
            text=text,
            due_on=due,
            status=status,
            resolved_at=None if status == RequestStatus.OPEN else utcnow(),
        )
        db.session.add(request)
        db.session.commit()
        return request

    later = add(trainee, today + timedelta(days=7))
    overdue = add(trainee, today - timedelta(days=2))
    answered = add(trainee, today - timedelta(days=5), RequestStatus.DONE)
    elsewhere = add(other, today - timedelta(days=1))

    manager = make_user(Role.MANAGER)
    login(client, manager.email)
    page = client.get("/privacy/requests").get_data(as_text=True)
    links = re.findall(r'/privacy/requests/(\d+)"', page)
    assert links == [str(overdue.id), str(later.id)]  # own campus, open, overdue first
    assert page.count('class="table-danger"') == 1  # the overdue one, flagged
    everything = client.get("/privacy/requests?show=all").get_data(as_text=True)
    assert str(answered.id) in re.findall(r'/privacy/requests/(\d+)"', everything)
    dashboard = text(client.get("/"))
    assert "/privacy/requests" in dashboard

    with client.application.test_request_context():
        counts = requests.open_counts(manager)
    assert (counts.open, counts.overdue) == (2, 1)

    head_office = client.application.test_client()
    login(head_office, make_user(Role.ADMIN).email)
    every_campus = head_office.get("/privacy/requests").get_data(as_text=True)
    assert re.findall(r'/privacy/requests/(\d+)"', every_campus) == [
        str(overdue.id),
        str(elsewhere.id),
        str(later.id),
    ]


def test_a_manager_of_another_campus_gets_404(client, build_trainee, make_campus, make_user):
    trainee = build_trainee()
    request = db.session.scalars(
        sa.select(DataRequest).where(DataRequest.user_id == trainee.id)
    ).first()
    outsider = make_user(Role.MANAGER, campus=make_campus("중랑", name_en="Jungnang"))
    login(client, outsider.email)

    assert client.get(f"/privacy/requests/{request.id}").status_code == 404
    answer = client.post(f"/privacy/requests/{request.id}", data={"status": "done", "note": "고침"})
    assert answer.status_code == 404
    assert f"/privacy/requests/{request.id}" not in client.get("/privacy/requests").get_data(
        as_text=True
    )
    db.session.refresh(request)
    assert request.status == RequestStatus.OPEN


# --- the applicant, through the private status link ---------------------------------------


@pytest.fixture
def scored_applicant(app, make_open_cohort, make_application, make_user):
    cohort = make_open_cohort()
    application = make_application(cohort, name="이지원", email="jiwon@example.com")
    evaluator = make_user(Role.MANAGER, name=EVALUATOR)
    db.session.add(
        ApplicationScore(
            application_id=application.id,
            stage=Stage.SCREENING,
            evaluator_id=evaluator.id,
            evaluator_label=EVALUATOR,
            score=85,
            comment=COMMENT,
        )
    )
    db.session.commit()
    return application


def test_an_applicant_downloads_their_application_from_the_status_link(app, scored_applicant):
    public = app.test_client()
    token = token_for(scored_applicant.status_nonce)
    status = text(public.get(f"/applications/status/{token}"))
    assert f"/privacy/applicant/{token}" in status

    page = public.get(f"/privacy/applicant/{token}")
    assert page.status_code == 200
    assert app.config["CONSENT_NOTICE_VERSION"] in text(page)

    response = public.get(f"/privacy/applicant/{token}/data.json")

    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "no-store" in response.headers["Cache-Control"]
    body = response.get_data(as_text=True)
    data = json.loads(body)
    [application] = data["applications"]
    assert application["email"] == "jiwon@example.com"
    assert [s["score"] for s in application["scores"]] == [85]
    assert data["consents"][0]["notice_version"] == app.config["CONSENT_NOTICE_VERSION"]
    assert COMMENT not in body and EVALUATOR not in body
    assert "person" not in data  # no account, no account data
    printable = text(public.get(f"/privacy/applicant/{token}/data.html"))
    assert "jiwon@example.com" in printable and COMMENT not in printable
    [logged_json, logged_html] = db.session.scalars(
        sa.select(PersonalDataAccess)
        .where(PersonalDataAccess.page == "privacy.applicant_data")
        .order_by(PersonalDataAccess.id)
    ).all()
    assert logged_json.action == AccessAction.DOWNLOAD and logged_json.actor_id is None
    assert logged_json.subject_id == scored_applicant.id and logged_html.detail == "HTML"


def test_an_applicant_asks_for_deletion_and_the_campus_sees_it(
    app, campus, scored_applicant, make_user
):
    public = app.test_client()
    token = token_for(scored_applicant.status_nonce)

    response = public.post(
        f"/privacy/applicant/{token}/requests",
        data={"kind": "deletion", "text": "지원을 취소했으니 제 정보를 지워 주세요."},
    )

    assert response.status_code == 302
    request = db.session.scalars(sa.select(DataRequest)).one()
    assert request.kind == RequestKind.DELETION
    assert request.application_id == scored_applicant.id and request.user_id is None
    assert request.campus_id == campus.id
    created = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "datarequest.created")
    ).one()
    assert created.actor_id is None and "jiwon@example.com" in created.object_label
    assert "지원을 취소했으니" in text(public.get(f"/privacy/applicant/{token}"))

    staff = app.test_client()
    login(staff, make_user(Role.MANAGER).email)
    listed = text(staff.get("/privacy/requests"))
    assert "이지원" in listed


def test_a_wrong_status_link_finds_nothing(app):
    public = app.test_client()
    for url in ("/privacy/applicant/nonsense", "/privacy/applicant/" + "0" * 64 + "/data.json"):
        assert public.get(url).status_code == 404
    refused = public.post("/privacy/applicant/nonsense/requests", data={"text": "x"})
    assert refused.status_code == 404


def test_the_applicant_routes_are_rate_limited_like_other_status_actions(
    make_app, make_open_cohort, make_application
):
    limited = make_app(RATELIMIT_ENABLED=True, STATUS_ACTION_RATE_LIMIT="1 per hour")
    with limited.app_context():
        application = make_application(make_open_cohort())
        token = token_for(application.status_nonce)
        public = limited.test_client()

        assert public.get(f"/privacy/applicant/{token}/data.json").status_code == 200
        again = public.get(f"/privacy/applicant/{token}/data.json")

        assert again.status_code == 429
        assert int(again.headers["Retry-After"]) > 0


# --- in English, only what people typed is Korean ----------------------------------------------


def test_my_data_pages_in_english_show_no_korean_but_typed_data(app, client, build_trainee):
    trainee = build_trainee(locale="en")
    for course in db.session.scalars(sa.select(Course)):
        course.title_en = f"Data analysis bootcamp {course.id}"
    db.session.commit()
    login(client, trainee.email)
    # Typed data stored encrypted (the evidence of an illness) is not read by the scan.
    typed = sorted([*typed_values(), EVIDENCE], key=len, reverse=True)

    for url in ("/privacy/me", "/privacy/me/data.html"):
        html = client.get(url).get_data(as_text=True)
        assert 'lang="en"' in html[:200]
        assert foreign_text(html, typed) == [], url
