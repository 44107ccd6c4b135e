"""Placements as the job coordinator meets them: outcomes, health data, verification,
retention, companies and referrals, exam attempts, and the dashboard's reminders.

A completed trainee has one current outcome; recording another keeps the earlier one as
history. An illness exclusion is health data: it needs its own consent and managers see
only that something sensitive is there. A referral needs the trainee's consent to share
their data, and a hire through it becomes the employment outcome. Every change leaves an
audit entry. Other campuses see nothing; mentors and trainees see no placements at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from html import unescape

import pytest
from flask_babel import force_locale, gettext

from sesac_ms.applications.services import today_in_seoul
from sesac_ms.errors import Conflict, NotAllowed
from sesac_ms.extensions import db
from sesac_ms.models import (
    AuditEntry,
    CertificationAttempt,
    Cohort,
    CohortStatus,
    Company,
    Enrollment,
    EnrollmentStatus,
    ExclusionReason,
    Outcome,
    OutcomeKind,
    PersonalDataAccess,
    Referral,
    ReferralStatus,
    RetentionCheck,
    Role,
    User,
)
from sesac_ms.models.audit import AccessAction
from sesac_ms.placements import lists, services
from sesac_ms.placements.services import OutcomeData
from sesac_ms.reports.services import retention_rates
from tests.conftest import login

TODAY = today_in_seoul()
ENDED = TODAY - timedelta(days=60)


# --- helpers ---------------------------------------------------------------------------


def ko(message: str, **values) -> str:
    with force_locale("ko"):
        return gettext(message, **values)


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def flashes(response) -> list[str]:
    found = re.findall(r'role="alert">\s*(.*?)\s*<button', response.get_data(as_text=True), re.S)
    return [unescape(message) for message in found]


def current_block(response) -> str:
    """The "Current outcome" line of the trainee page."""
    match = re.search(r'<p class="mb-1 fw-semibold">(.*?)</p>', text(response), re.S)
    return match.group(1) if match else ""


def outcomes_of(enrollment: Enrollment) -> list[Outcome]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            db.select(Outcome).where(Outcome.enrollment_id == enrollment.id).order_by(Outcome.id)
        )
    )


def audit_actions(action: str) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            db.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


def employed(company: str = "한빛제조", days: int = 10, **values) -> dict:
    """The outcome form's fields for a job starting `days` after the cohort's end."""
    return {
        "kind": "employed",
        "outcome_on": (ENDED + timedelta(days=days)).isoformat(),
        "company": company,
        "job_title": values.pop("job_title", "데이터 분석가"),
        "industry": values.pop("industry", "IT"),
        "employment_type": values.pop("employment_type", "permanent"),
        "insured": values.pop("insured", ""),
        "exclusion_reason": values.pop("exclusion_reason", ""),
        "verification": values.pop("verification", ""),
        "verification_state": values.pop("verification_state", "unverified"),
        **values,
    }


def illness(consent: bool) -> dict:
    data = employed(
        company="",
        kind="excluded",
        exclusion_reason="illness",
        employment_type="",
        job_title="",
        industry="",
    )
    if consent:
        data["health_consent"] = "y"
    return data


# --- fixtures --------------------------------------------------------------------------


@pytest.fixture
def other_campus(make_campus):
    return make_campus("마포", name_en="Mapo", district="마포구", opening_order=3)


@pytest.fixture
def ended_cohort(make_cohort, make_course) -> Callable[..., Cohort]:
    def factory(campus=None, end_on: date = ENDED) -> Cohort:
        course = make_course(campus=campus) if campus else make_course()
        return make_cohort(
            course=course,
            status=CohortStatus.FINISHED,
            recruit_start_on=end_on - timedelta(days=150),
            recruit_end_on=end_on - timedelta(days=130),
            start_on=end_on - timedelta(days=120),
            end_on=end_on,
        )

    return factory


@pytest.fixture
def enrol(make_user) -> Callable[..., Enrollment]:
    """A trainee on the cohort with the given status (completed on the cohort's end date)."""

    def factory(
        cohort: Cohort,
        status: EnrollmentStatus = EnrollmentStatus.COMPLETED,
        status_on: date | None = None,
        name: str = "김교육",
    ) -> Enrollment:
        trainee = make_user(Role.TRAINEE, campus=cohort.course.campus, name=name)
        if status_on is None and status != EnrollmentStatus.ENROLLED:
            status_on = cohort.end_on
        enrollment = Enrollment(
            cohort_id=cohort.id, user_id=trainee.id, status=status, status_on=status_on
        )
        db.session.add(enrollment)
        db.session.commit()
        return enrollment

    return factory


@pytest.fixture
def completed(ended_cohort, enrol) -> Enrollment:
    return enrol(ended_cohort(), name="박수료")


@pytest.fixture
def coordinator(login_as) -> User:
    return login_as(Role.COORDINATOR, locale="en", name="이잡코디")


def other_client(app, user: User):
    """A second browser, logged in as another person."""
    browser = app.test_client()
    assert login(browser, user.email).status_code == 302
    return browser


# --- outcomes --------------------------------------------------------------------------


def test_an_outcome_recorded_on_the_web_becomes_current_and_the_earlier_stays_in_history(
    client, coordinator, completed
):
    url = f"/placements/{completed.id}/outcome"

    response = client.post(url, data=employed("한빛제조"), follow_redirects=True)
    assert "Outcome recorded." in flashes(response)
    assert "한빛제조" in current_block(response)
    [first] = outcomes_of(completed)
    assert (first.kind, first.company, first.is_current) == (OutcomeKind.EMPLOYED, "한빛제조", True)
    assert first.insured is True  # the default for a permanent job
    assert first.recorded_by_id == coordinator.id

    response = client.post(url, data=employed("누리컨설팅", days=40), follow_redirects=True)
    assert "Outcome recorded." in flashes(response)
    first, second = outcomes_of(completed)
    assert (first.is_current, second.is_current) == (False, True)
    assert (first.company, second.company) == ("한빛제조", "누리컨설팅")
    assert services.current_outcome(completed).id == second.id
    assert "누리컨설팅" in current_block(response)
    history = text(response).split(">History<", 1)[1]
    assert "한빛제조" in history and "누리컨설팅" in history

    response = client.post(url, data=employed("누리컨설팅", days=40), follow_redirects=True)
    assert "Nothing changed: this is already the current outcome." in flashes(response)
    assert len(outcomes_of(completed)) == 2

    entries = audit_actions("outcome.recorded")
    assert len(entries) == 2
    assert entries[1].actor_id == coordinator.id
    assert entries[1].changes["company"] == ["한빛제조", "누리컨설팅"]
    assert entries[1].campus_id == completed.cohort.course.campus_id


def test_an_early_employed_trainee_counts_as_completed(client, coordinator, ended_cohort, enrol):
    early = enrol(ended_cohort(), EnrollmentStatus.EARLY_EMPLOYED, status_on=ENDED - timedelta(30))
    response = client.post(
        f"/placements/{early.id}/outcome",
        data=employed(days=-30),
        follow_redirects=True,
    )
    assert "Outcome recorded." in flashes(response)
    assert [o.kind for o in outcomes_of(early)] == [OutcomeKind.EMPLOYED]


REFUSALS = {
    "in training": (
        EnrollmentStatus.ENROLLED,
        employed(),
        "Only completed trainees have an outcome",
    ),
    "dropped": (EnrollmentStatus.DROPPED, employed(), "Only completed trainees have an outcome"),
    "employed without a company": (
        EnrollmentStatus.COMPLETED,
        employed(company=""),
        "Enter the company or business name.",
    ),
    "founded without a name": (
        EnrollmentStatus.COMPLETED,
        employed(company="  ", kind="founded"),
        "Enter the company or business name.",
    ),
    "excluded without a reason": (
        EnrollmentStatus.COMPLETED,
        employed(company="", kind="excluded"),
        "Choose the reason for the exclusion.",
    ),
    "illness without its consent": (
        EnrollmentStatus.COMPLETED,
        illness(consent=False),
        "An illness exclusion is health data",
    ),
    "no date": (EnrollmentStatus.COMPLETED, employed(outcome_on=""), "This field is required."),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_outcomes_that_break_a_rule_are_refused_and_nothing_is_stored(
    client, coordinator, ended_cohort, enrol, case
):
    status, data, message = REFUSALS[case]
    enrollment = enrol(ended_cohort(), status)

    response = client.post(f"/placements/{enrollment.id}/outcome", data=data)

    assert response.status_code == 200
    assert message in text(response)
    assert outcomes_of(enrollment) == []
    assert audit_actions("outcome.recorded") == []


def test_the_service_refuses_an_outcome_for_a_trainee_in_training(ended_cohort, enrol):
    enrollment = enrol(ended_cohort(), EnrollmentStatus.ENROLLED)
    with pytest.raises(Conflict):
        services.record_outcome(None, enrollment, OutcomeData(OutcomeKind.EMPLOYED, ENDED, "A"))


def test_an_illness_exclusion_needs_consent_and_only_coordinators_and_admins_see_its_reason(
    app, client, coordinator, completed, make_user
):
    url = f"/placements/{completed.id}/outcome"
    assert client.post(url, data=illness(consent=True), follow_redirects=True).status_code == 200
    [outcome] = outcomes_of(completed)
    assert outcome.kind == OutcomeKind.EXCLUDED
    assert outcome.exclusion_reason == ExclusionReason.ILLNESS
    assert outcome.health_consent_at is not None

    page = client.get(f"/placements/{completed.id}")
    assert "Illness" in current_block(page)

    admin = make_user(Role.ADMIN, locale="en")
    assert "Illness" in current_block(other_client(app, admin).get(f"/placements/{completed.id}"))

    manager_en = make_user(Role.MANAGER, locale="en")
    page = text(other_client(app, manager_en).get(f"/placements/{completed.id}"))
    assert "sensitive" in page
    assert "Illness" not in page

    manager_ko = make_user(Role.MANAGER)
    page = text(other_client(app, manager_ko).get(f"/placements/{completed.id}"))
    assert ko("sensitive") in page
    assert ko("Illness") not in page

    # Nor does the audit log keep it, even when a later outcome replaces it.
    client.post(url, data=employed("한빛제조"))
    first, second = audit_actions("outcome.recorded")
    assert first.changes["exclusion_reason"] == [None, "(sensitive)"]
    assert second.changes["exclusion_reason"][0] == "(sensitive)"
    assert "illness" not in str(first.changes) + str(second.changes)


def test_a_coordinator_updates_the_verification(client, coordinator, completed):
    client.post(f"/placements/{completed.id}/outcome", data=employed())
    [outcome] = outcomes_of(completed)

    response = client.post(
        f"/placements/outcomes/{outcome.id}/verify",
        data={"verification": "insurance_record", "verification_state": "verified"},
        follow_redirects=True,
    )

    assert "Verification saved." in flashes(response)
    [outcome] = outcomes_of(completed)
    assert (outcome.verification, outcome.verification_state) == ("insurance_record", "verified")
    [entry] = audit_actions("outcome.verified")
    assert entry.changes["verification_state"] == ["unverified", "verified"]
    assert "Employment insurance record" in text(response)


def test_retention_is_checked_at_six_and_twelve_months_and_feeds_the_report(
    client, coordinator, ended_cohort, enrol
):
    cohort = ended_cohort(end_on=TODAY - timedelta(days=400))
    stays, leaves = enrol(cohort, name="유지"), enrol(cohort, name="퇴사")
    for enrollment in (stays, leaves):
        services.record_outcome(
            None, enrollment, OutcomeData(OutcomeKind.EMPLOYED, cohort.end_on, "한빛제조")
        )
    db.session.commit()
    stays_job, leaves_job = outcomes_of(stays)[0], outcomes_of(leaves)[0]
    six_months = (cohort.end_on + timedelta(days=183)).isoformat()

    response = client.post(
        f"/placements/outcomes/{stays_job.id}/retention",
        data={"months": "6", "checked_on": six_months, "result": "still_employed"},
        follow_redirects=True,
    )
    assert "Retention check saved." in flashes(response)
    assert "Still employed there" in text(response)
    client.post(
        f"/placements/outcomes/{leaves_job.id}/retention",
        data={"months": "6", "checked_on": six_months, "result": "left"},
    )
    # Saving the 6-month check again corrects it instead of adding a second one.
    client.post(
        f"/placements/outcomes/{leaves_job.id}/retention",
        data={"months": "6", "checked_on": six_months, "result": "left", "note": "이직 준비"},
    )
    response = client.post(
        f"/placements/outcomes/{stays_job.id}/retention",
        data={"months": "12", "checked_on": six_months, "result": "still_employed"},
        follow_redirects=True,
    )

    checks = db.session.scalars(db.select(RetentionCheck).order_by(RetentionCheck.id)).all()
    assert [(c.outcome_id, c.months, c.result) for c in checks] == [
        (stays_job.id, 6, "still_employed"),
        (leaves_job.id, 6, "left"),
        (stays_job.id, 12, "still_employed"),
    ]
    assert checks[1].note == "이직 준비"
    assert len(audit_actions("outcome.retention")) == 4
    campus = cohort.course.campus.name_ko
    assert retention_rates() == [
        {"campus": campus, "months": 6, "checked": 2, "retained": 1, "rate": 50.0},
        {"campus": campus, "months": 12, "checked": 1, "retained": 1, "rate": 100.0},
    ]
    report = text(client.get("/reports/employment"))
    assert "Job retention" in report and "50.0%" in report


@pytest.mark.parametrize(
    ("months", "days", "field", "message"),
    [
        ("3", 200, "retention_months", "Not a valid choice."),
        ("6", -1, "retention_on", "The check date must be after the job started."),
    ],
)
def test_a_retention_check_out_of_the_rules_is_refused(
    client, coordinator, completed, months, days, field, message
):
    client.post(f"/placements/{completed.id}/outcome", data=employed(days=0))
    [job] = outcomes_of(completed)
    response = client.post(
        f"/placements/outcomes/{job.id}/retention",
        data={
            "months": months,
            "checked_on": (job.outcome_on + timedelta(days=days)).isoformat(),
            "result": "still_employed",
        },
    )
    # Beside the field, on the trainee's page the form was posted from.
    html = response.get_data(as_text=True)
    beside = re.search(rf'id="{field}-error"[^>]*>(.*?)</div>\s*</div>', html, re.S)
    assert beside and message in unescape(beside.group(1))
    assert db.session.scalars(db.select(RetentionCheck)).all() == []


def test_retention_is_for_jobs_only(completed, make_user):
    excluded = services.record_outcome(
        None,
        completed,
        OutcomeData(OutcomeKind.EXCLUDED, ENDED, exclusion_reason=ExclusionReason.MILITARY),
    )
    with pytest.raises(Conflict):
        services.record_retention(make_user(Role.COORDINATOR), excluded, 6, TODAY, "left")


# --- companies and referrals ------------------------------------------------------------


def test_a_referral_needs_consent_and_a_hire_becomes_the_employment_outcome(
    client, coordinator, campus, completed
):
    response = client.post(
        "/placements/companies",
        data={"campus_id": campus.id, "name": " 한빛 제조 ", "industry": "제조"},
        follow_redirects=True,
    )
    assert "Company 한빛 제조 added." in flashes(response)
    company = db.session.scalar(db.select(Company))
    assert (company.name, company.industry, company.campus_id) == ("한빛 제조", "제조", campus.id)
    assert len(audit_actions("company.created")) == 1

    referral_form = {
        "enrollment_id": completed.id,
        "company_id": company.id,
        "position": "AI 엔지니어",
        "matching_day_id": 0,
    }
    response = client.post("/placements/referrals", data=referral_form)
    assert response.status_code == 200
    assert "record it only with the trainee's consent" in text(response)
    assert db.session.scalars(db.select(Referral)).all() == []

    response = client.post(
        "/placements/referrals", data={**referral_form, "consent": "y"}, follow_redirects=True
    )
    assert "Referral recorded." in flashes(response)
    referral = db.session.scalar(db.select(Referral))
    assert referral.status == ReferralStatus.PROPOSED
    assert referral.sharing_consent_at is not None
    shared = db.session.scalar(
        db.select(PersonalDataAccess).where(PersonalDataAccess.action == AccessAction.CHANGE)
    )
    assert (shared.page, shared.detail) == ("placements.referral", "한빛 제조")

    status_url = f"/placements/referrals/{referral.id}/status"
    response = client.post(status_url, data={"status": "hired"}, follow_redirects=True)
    assert "This referral cannot move to that step." in flashes(response)
    for step in ("sent", "interview"):
        response = client.post(status_url, data={"status": step}, follow_redirects=True)
        assert "Referral updated." in flashes(response)
    response = client.post(status_url, data={"status": "hired"}, follow_redirects=True)
    assert "Enter the date the job starts." in flashes(response)
    db.session.expire_all()
    assert referral.status == ReferralStatus.INTERVIEW
    assert outcomes_of(completed) == []

    started = (ENDED + timedelta(days=21)).isoformat()
    response = client.post(
        status_url, data={"status": "hired", "started_on": started}, follow_redirects=True
    )
    assert "Referral updated." in flashes(response)
    db.session.expire_all()
    assert referral.status == ReferralStatus.HIRED
    [outcome] = outcomes_of(completed)
    assert (outcome.kind, outcome.company, outcome.job_title, outcome.industry) == (
        OutcomeKind.EMPLOYED,
        "한빛 제조",
        "AI 엔지니어",
        "제조",
    )
    assert outcome.outcome_on.isoformat() == started
    assert outcome.is_current and outcome.insured is True

    updates = audit_actions("referral.updated")
    assert [e.changes["status"] for e in updates] == [
        ["proposed", "sent"],
        ["sent", "interview"],
        ["interview", "hired"],
    ]
    assert len(audit_actions("referral.created")) == 1
    assert len(audit_actions("outcome.recorded")) == 1


def test_a_trainee_hired_while_in_training_keeps_the_hire_without_an_outcome(
    coordinator, ended_cohort, enrol, campus
):
    """The referral form offers trainees still in training; their hire must not get stuck.

    Their outcome is recorded once they complete (조기취업 counts as completion).
    """
    running = ended_cohort(end_on=TODAY + timedelta(days=30))
    enrollment = enrol(running, EnrollmentStatus.ENROLLED)
    company = services.create_company(coordinator, campus_id=campus.id, name="별빛게임즈")
    referral = services.refer(coordinator, enrollment, company, position="QA", consent=True)
    for step in ("sent", "interview", "hired"):
        services.advance_referral(coordinator, referral, step, started_on=TODAY)
    db.session.commit()

    assert referral.status == ReferralStatus.HIRED
    assert outcomes_of(enrollment) == []


def test_a_company_of_another_campus_cannot_receive_a_referral(
    coordinator, completed, other_campus
):
    elsewhere = services.create_company(coordinator, campus_id=other_campus.id, name="누리")
    with pytest.raises(NotAllowed):
        services.refer(coordinator, completed, elsewhere, position="", consent=True)


# --- certifications on the trainee page --------------------------------------------------


def test_exam_attempts_are_recorded_once_per_date(client, coordinator, completed):
    url = f"/placements/{completed.id}/certifications"
    client.post(url, data={"exam": "AI-900", "exam_on": "2025-08-20", "result": "fail"})
    response = client.post(
        url,
        data={"exam": "ai-900", "exam_on": "2025-09-10", "result": "pass", "score": "760"},
        follow_redirects=True,
    )
    assert "Exam attempt recorded." in flashes(response)
    client.post(
        url, data={"exam": "AI-900", "exam_on": "2025-09-10", "result": "pass", "score": "760"}
    )

    attempts = db.session.scalars(
        db.select(CertificationAttempt).order_by(CertificationAttempt.exam_on)
    ).all()
    assert [(a.exam.name, a.passed, a.score) for a in attempts] == [
        ("AI-900", False, None),
        ("AI-900", True, 760),
    ]
    assert len(audit_actions("certification.recorded")) == 2


def test_the_trainee_page_shows_its_forms_blank_in_each_language_after_a_posted_one(
    app, client, coordinator, completed, make_user
):
    """Blank forms' fields are rendered once per language and kept (routes._fields): a form
    posted back shows its own values and problems, and the pages after it are blank again."""
    page = f"/placements/{completed.id}"
    client.get(page)  # shows the welcome of the log-in
    blank = client.get(page).get_data(as_text=True)
    assert "Exam date" in blank and 'value="AI-900"' not in blank

    posted = client.post(f"{page}/certifications", data={"exam": "AI-900", "result": "pass"})
    assert posted.status_code == 200
    html = posted.get_data(as_text=True)
    assert 'value="AI-900"' in html
    assert 'id="exam_on-error"' in html and 'aria-invalid="true"' in html
    assert client.get(page).get_data(as_text=True) == blank

    korean = text(other_client(app, make_user(Role.COORDINATOR)).get(page))
    assert ko("Exam date") in korean and "Exam date" not in korean
    assert "Exam date" in text(client.get(page))


# --- who sees what ----------------------------------------------------------------------


def test_a_coordinator_sees_only_the_placements_of_their_campus(
    client, coordinator, completed, ended_cohort, enrol, other_campus
):
    elsewhere = enrol(ended_cohort(campus=other_campus), name="남의캠퍼스")

    listing = text(client.get("/placements/"))
    assert "박수료" in listing and "남의캠퍼스" not in listing
    assert client.get(f"/placements/{elsewhere.id}").status_code == 404
    assert client.post(f"/placements/{elsewhere.id}/outcome", data=employed()).status_code == 404
    assert outcomes_of(elsewhere) == []
    assert client.get(f"/placements/{completed.id}").status_code == 200

    viewed = db.session.scalar(
        db.select(PersonalDataAccess).where(PersonalDataAccess.page == "placements.trainee")
    )
    assert viewed.subject_id == completed.id and viewed.actor_id == coordinator.id


def test_an_admin_sees_every_campus(client, login_as, completed, ended_cohort, enrol, other_campus):
    enrol(ended_cohort(campus=other_campus), name="남의캠퍼스")
    login_as(Role.ADMIN, locale="en")
    listing = text(client.get("/placements/"))
    assert "박수료" in listing and "남의캠퍼스" in listing


def test_a_manager_looks_but_does_not_record(client, login_as, completed):
    login_as(Role.MANAGER, locale="en")
    page = client.get(f"/placements/{completed.id}")
    assert page.status_code == 200
    assert "Save the outcome" not in text(page)
    assert client.post(f"/placements/{completed.id}/outcome", data=employed()).status_code == 403
    assert outcomes_of(completed) == []


@pytest.mark.parametrize("role", [Role.MENTOR, Role.TRAINEE])
@pytest.mark.parametrize(
    "url",
    [
        "/placements/",
        "/placements/{id}",
        "/placements/referrals",
        "/placements/companies",
        "/reports/employment",
        "/reports/certifications",
    ],
)
def test_mentors_and_trainees_see_no_placements_or_reports(client, login_as, completed, role, url):
    login_as(role, locale="en")
    assert client.get(url.format(id=completed.id)).status_code == 403
    home = text(client.get("/"))
    assert "/placements/" not in home and "/reports/" not in home


# --- the coordinator's dashboard -------------------------------------------------------


def test_the_dashboard_counts_trainees_without_an_outcome_30_90_180_days_on(
    client, coordinator, ended_cohort, enrol, other_campus
):
    for days in (10, 40, 100, 200):
        cohort = ended_cohort(end_on=TODAY - timedelta(days=days))
        enrol(cohort)
    placed = enrol(ended_cohort(end_on=TODAY - timedelta(days=300)))
    services.record_outcome(
        None, placed, OutcomeData(OutcomeKind.EMPLOYED, placed.cohort.end_on, "한빛제조")
    )
    enrol(ended_cohort(end_on=TODAY - timedelta(days=200)), EnrollmentStatus.DROPPED)
    enrol(ended_cohort(campus=other_campus, end_on=TODAY - timedelta(days=200)))
    db.session.commit()

    page = client.get("/").get_data(as_text=True)
    shown = dict(
        re.findall(
            r"No outcome (\d+)\+ days after completion</div>\s*<div class=\"stat\">(\d+)", page
        )
    )
    assert shown == {"30": "3", "90": "2", "180": "1"}
    assert lists.without_outcome(coordinator, TODAY) == {30: 3, 90: 2, 180: 1}


def test_the_completed_list_counts_from_the_kept_figures_what_it_lists(
    client, coordinator, ended_cohort, enrol, other_campus
):
    first = ended_cohort(end_on=TODAY - timedelta(days=40))
    second = ended_cohort(end_on=TODAY - timedelta(days=400))
    for cohort in (first, first, second):
        enrol(cohort)
    placed = enrol(second)
    services.record_outcome(
        None, placed, OutcomeData(OutcomeKind.EMPLOYED, second.end_on, "한빛제조")
    )
    enrol(second, EnrollmentStatus.DROPPED)
    enrol(ended_cohort(campus=other_campus, end_on=TODAY - timedelta(days=40)))
    db.session.commit()

    def listed(cohort_id=None, missing=False):
        query = lists.completed_query(coordinator, cohort_id, missing=missing)
        return len(db.session.execute(query).all())

    for cohort_id in (None, first.id, second.id):
        for missing in (False, True):
            assert lists.completed_count(coordinator, cohort_id, missing=missing) == listed(
                cohort_id, missing
            )
    assert lists.completed_count(coordinator) == 4
    assert lists.completed_count(coordinator, missing=True) == 3
    assert client.get("/placements/?missing=1").status_code == 200


def test_each_completed_page_sorts_only_the_end_dates_it_covers_and_lists_the_same_rows(
    client, coordinator, ended_cohort, enrol, other_campus, monkeypatch
):
    # Cohorts of 0-3 trainees, two of them ending on the same day, one with no one completed.
    sizes = {400: 2, 300: 3, 200: 1, 100: 0}
    for days, size in sizes.items():
        cohort = ended_cohort(end_on=TODAY - timedelta(days=days))
        for i in range(size):
            enrol(cohort, name=f"교육생{days}-{i}")
    twin = ended_cohort(end_on=TODAY - timedelta(days=300))
    placed = enrol(twin, name="취업자")
    enrol(twin, name="미정")
    services.record_outcome(
        None, placed, OutcomeData(OutcomeKind.EMPLOYED, twin.end_on, "한빛제조")
    )
    enrol(ended_cohort(campus=other_campus, end_on=TODAY - timedelta(days=300)))
    db.session.commit()

    for missing in (False, True):
        query = lists.completed_query(coordinator, missing=missing)
        every = [row.id for row in db.session.execute(query).all()]
        ends = lists.completed_by_end(coordinator, missing=missing)
        assert ends.total == len(every) == (7 if missing else 8)
        for limit in (1, 2, 3, 4, 50):
            for offset in range(len(every) + 2):
                narrowed = ends.narrow(query, offset, limit)
                if offset >= len(every):
                    assert narrowed is None
                    continue
                stmt, within = narrowed
                rows = db.session.execute(stmt.limit(limit).offset(within)).all()
                assert [row.id for row in rows] == every[offset : offset + limit]

    # Through the page: three a page, the last page past the end, the same names in order.
    from sesac_ms.placements import routes

    monkeypatch.setattr(routes, "COMPLETED_PAGE_SIZE", 3)
    names = [row.name for row in db.session.execute(lists.completed_query(coordinator))]
    shown = []
    for number in (1, 2, 3):
        page = client.get(f"/placements/?page={number}").get_data(as_text=True)
        shown += re.findall(r'<a href="/placements/\d+">([^<]+)</a>', page)
    assert shown == names
    last = client.get("/placements/?page=99").get_data(as_text=True)
    assert re.findall(r'<a href="/placements/\d+">([^<]+)</a>', last) == names[6:]


def test_the_placement_pages_run_a_fixed_number_of_queries(
    client, coordinator, campus, ended_cohort, enrol, count_queries
):
    company = services.create_company(coordinator, campus_id=campus.id, name="데이터웨이브")
    db.session.commit()

    def add(n: int) -> None:
        cohort = ended_cohort(end_on=TODAY - timedelta(days=100))
        for i in range(n):
            enrollment = enrol(cohort, name=f"교육생{i}")
            services.refer(coordinator, enrollment, company, position="분석", consent=True)
            if i % 2:
                services.record_outcome(
                    None, enrollment, OutcomeData(OutcomeKind.EMPLOYED, cohort.end_on, "누리")
                )
        enrol(ended_cohort(end_on=TODAY + timedelta(days=30)), EnrollmentStatus.ENROLLED)
        db.session.commit()

    trainee = enrol(ended_cohort(end_on=TODAY - timedelta(days=100)))
    exam_on = TODAY - timedelta(days=50)

    def add_history(n: int) -> None:
        nonlocal exam_on
        for i in range(n):
            services.record_outcome(
                None, trainee, OutcomeData(OutcomeKind.EMPLOYED, TODAY, f"회사{exam_on}{i}")
            )
            exam_on += timedelta(days=1)
            services.record_attempt(coordinator, trainee.user, "AI-900", exam_on, True, 700)
        db.session.commit()

    def measure() -> list[int]:
        counts = []
        for url in (
            "/placements/",
            "/placements/?missing=1",
            "/placements/referrals",
            f"/placements/{trainee.id}",
            "/",
        ):
            with count_queries() as n:
                assert client.get(url).status_code == 200
            counts.append(n())
        return counts

    add(2)
    add_history(2)
    few = measure()
    assert max(few) <= 10
    add(10)
    add_history(10)
    assert measure() == few


def test_an_older_matching_day_than_the_form_offers_is_still_accepted(
    coordinator, campus, completed
):
    from datetime import UTC, datetime

    from sesac_ms.models import CohortEvent, EventKind

    days = []
    for n in range(services.MATCHING_DAYS_OFFERED + 1):
        starts = datetime(2025, 1, 1, 5, tzinfo=UTC) + timedelta(days=n)
        day = CohortEvent(
            cohort_id=completed.cohort_id,
            kind=EventKind.MATCHING_DAY,
            title=f"매칭데이 {n}",
            starts_at=starts,
            ends_at=starts + timedelta(hours=3),
        )
        db.session.add(day)
        days.append(day)
    db.session.commit()
    oldest = days[0]
    assert oldest.id not in {e.id for e in services.matching_days(coordinator)}
    company = services.create_company(coordinator, campus_id=campus.id, name="한빛 제조")
    services.check_referral(
        coordinator, completed, company, consent=True, matching_day_id=oldest.id
    )
    # One that is not a matching day of this campus is refused, as before.
    with pytest.raises(Exception, match="matching day of this campus"):
        services.check_referral(
            coordinator, completed, company, consent=True, matching_day_id=10**9
        )
