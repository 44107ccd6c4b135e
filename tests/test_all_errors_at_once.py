"""Every error at once: a form submitted with every field wrong shows every problem in the
one response, each beside its field, whether the form's own validators or the service's
checks found it (issue 11, item 3; the outcome form's contradictions are item 8).

The public application form has its own test (tests/test_public_form.py and the like).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from html import unescape

import pytest
from flask.testing import FlaskClient

from sesac_ms.applications import services as applications
from sesac_ms.clock import SEOUL
from sesac_ms.extensions import db
from sesac_ms.models import (
    ApplicationScore,
    AvailabilitySlot,
    ClassDay,
    Cohort,
    CohortEvent,
    CohortStatus,
    Company,
    DepositStatus,
    Enrollment,
    EnrollmentStatus,
    InterviewSlot,
    Outcome,
    RetentionCheck,
    Role,
    Stage,
    User,
)
from sesac_ms.placements import services as placements
from sesac_ms.placements.forms import SALARY_BAND_LABELS

ERROR_BLOCK = re.compile(
    r'id="([\w-]+)-error"[^>]*>((?:\s*<div class="invalid-feedback">.*?</div>)+)'
)
FEEDBACK = re.compile(r'<div class="invalid-feedback">(.*?)</div>', re.S)


def errors_beside(response) -> dict[str, list[str]]:
    """Field id → the messages rendered beside that field (templates/_macros/forms.html)."""
    html = response.get_data(as_text=True)
    return {
        field: [unescape(m).strip() for m in FEEDBACK.findall(body)]
        for field, body in ERROR_BLOCK.findall(html)
    }


def assert_beside(response, expected: dict[str, str]) -> None:
    """Each expected message (a fragment) shows beside its field, all in this one response."""
    assert response.status_code == 200
    found = errors_beside(response)
    missing = {
        field: part
        for field, part in expected.items()
        if not any(part in message for message in found.get(field, []))
    }
    assert not missing, f"not beside their fields: {missing}; the page shows {found}"


@pytest.fixture
def staff(login_as) -> User:
    """A coordinator of the campus, reading English."""
    return login_as(Role.COORDINATOR, locale="en", name="이잡코디")


@pytest.fixture
def completed(make_cohort, make_user) -> Enrollment:
    end = date.today() - timedelta(days=40)
    cohort = make_cohort(
        status=CohortStatus.FINISHED,
        recruit_start_on=end - timedelta(days=150),
        recruit_end_on=end - timedelta(days=130),
        start_on=end - timedelta(days=120),
        end_on=end,
    )
    trainee = make_user(Role.TRAINEE, name="박수료")
    enrollment = Enrollment(
        cohort_id=cohort.id, user_id=trainee.id, status=EnrollmentStatus.COMPLETED, status_on=end
    )
    db.session.add(enrollment)
    db.session.commit()
    return enrollment


# --- the outcome form: contradictions refused, all at once (item 8) -----------------------


def test_an_outcome_that_contradicts_itself_is_refused_field_by_field(
    client: FlaskClient, staff, completed
):
    response = client.post(
        f"/placements/{completed.id}/outcome",
        data={
            "kind": "founded",
            "outcome_on": "not a date",
            "company": "",
            "employment_type": "permanent",
            "insured": "y",
            "salary_band": "연봉 3천 정도",
            "exclusion_reason": "further_study",
            "health_consent": "y",
            "verification_state": "verified",
            "verification": "",
        },
    )

    assert_beside(
        response,
        {
            "outcome_on": "This field is required.",
            "company": "Enter the company or business name.",
            "employment_type": "This applies to a job only",
            "insured": "This applies to a job only",
            "salary_band": "Choose a salary band from the list.",
            "exclusion_reason": "A reason applies to an exclusion only",
            "health_consent": "for an illness exclusion only",
            "verification": "Choose how it was verified.",
        },
    )
    assert db.session.scalars(db.select(Outcome)).all() == []


def test_an_exclusion_refuses_the_fields_of_a_job(client: FlaskClient, staff, completed):
    response = client.post(
        f"/placements/{completed.id}/outcome",
        data={
            "kind": "excluded",
            "outcome_on": date.today().isoformat(),
            "company": "한빛제조",
            "job_title": "분석가",
            "salary_band": "3000_3600",
            "exclusion_reason": "",
            "verification_state": "unverified",
        },
    )

    assert_beside(
        response,
        {
            "company": "This applies to a job or a business only",
            "job_title": "This applies to a job or a business only",
            "salary_band": "This applies to a job only",
            "exclusion_reason": "Choose the reason for the exclusion.",
        },
    )
    assert db.session.scalars(db.select(Outcome)).all() == []


def test_a_job_with_a_band_from_the_list_is_stored(client: FlaskClient, staff, completed):
    assert set(SALARY_BAND_LABELS) == set(placements.SALARY_BANDS)
    response = client.post(
        f"/placements/{completed.id}/outcome",
        data={
            "kind": "employed",
            "outcome_on": date.today().isoformat(),
            "company": "한빛제조",
            "employment_type": "permanent",
            "salary_band": "3000_3600",
            "verification": "",
            "verification_state": "unverified",
        },  # the exclusion's part is not sent: the script disables it for a job
    )
    assert response.status_code == 302
    [outcome] = db.session.scalars(db.select(Outcome)).all()
    assert (outcome.salary_band, outcome.exclusion_reason) == ("3000_3600", None)


def test_the_form_marks_which_fields_belong_to_which_outcome(client: FlaskClient, staff, completed):
    html = client.get(f"/placements/{completed.id}").get_data(as_text=True)
    assert 'data-outcome-kind=""' in html  # the select the script follows
    parts = dict(re.findall(r'data-outcome-kinds="([\w ]+)">\s*<legend[^>]*>([^<]+)', html))
    assert set(parts) == {"employed founded", "employed", "excluded"}
    assert "data-outcome-note" in html  # without the script, a note says which apply
    assert '<select class="form-select" id="salary_band"' in html  # a list, not free text


def test_undoing_a_verification_is_a_separate_confirmed_action(
    client: FlaskClient, staff, completed
):
    client.post(
        f"/placements/{completed.id}/outcome",
        data={
            "kind": "employed",
            "outcome_on": date.today().isoformat(),
            "company": "한빛제조",
            "verification": "",
            "verification_state": "unverified",
        },
    )
    [outcome] = db.session.scalars(db.select(Outcome)).all()
    verify = f"/placements/outcomes/{outcome.id}/verify"
    response = client.post(verify, data={"verification_state": "verified"}, follow_redirects=True)
    assert "Choose how it was verified." in response.get_data(as_text=True)
    client.post(verify, data={"verification_state": "verified", "verification": "insurance_record"})
    db.session.refresh(outcome)
    assert outcome.verification_state == "verified"

    html = client.get(f"/placements/{completed.id}").get_data(as_text=True)
    forms = re.findall(
        r'<form [^>]*action="' + re.escape(verify) + r'"[^>]*>.*?</form>', html, re.S
    )
    assert len(forms) == 1  # verified: only the way back, no select defaulting to "not verified"
    assert "data-confirm=" in forms[0] and 'value="unverified"' in forms[0]
    assert "Mark unverified" in forms[0] and "<select" not in forms[0]

    client.post(verify, data={"verification_state": "unverified"})
    db.session.refresh(outcome)
    assert (outcome.verification_state, outcome.verification) == ("unverified", None)


# --- cohorts --------------------------------------------------------------------------


def test_the_cohort_form_shows_every_problem_at_once(
    client: FlaskClient, login_as, make_cohort, make_course
):
    login_as(Role.MANAGER, locale="en")
    course = make_course()
    make_cohort(course=course, number=3)
    today = date.today()

    response = client.post(
        f"/cohorts/courses/{course.id}/cohorts/new",
        data={
            "number": "3",
            "recruit_start_on": (today + timedelta(days=10)).isoformat(),
            "recruit_end_on": today.isoformat(),
            "start_on": (today - timedelta(days=1)).isoformat(),
            "end_on": (today - timedelta(days=5)).isoformat(),
            "capacity": "0",
        },
    )

    assert_beside(
        response,
        {
            "number": "already has cohort 3",
            "recruit_end_on": "Recruiting cannot close before it opens.",
            "start_on": "Training cannot start before recruiting closes.",
            "end_on": "Training cannot end before it starts.",
            "capacity": "capacity",
        },
    )


def test_the_course_form_shows_every_problem_at_once(
    client: FlaskClient, login_as, make_course, campus
):
    login_as(Role.MANAGER, locale="en")
    make_course(title="데이터 분석")

    response = client.post(
        "/cohorts/courses/new",
        data={"campus_id": campus.id, "title": "데이터  분석", "track": "nonsense"},
    )

    assert_beside(
        response,
        {"title": "already has a course with this title", "track": "Not a valid choice"},
    )


# --- users ----------------------------------------------------------------------------


def test_the_user_form_shows_every_problem_at_once(client: FlaskClient, login_as, make_user):
    login_as(Role.ADMIN, campus=None, locale="en")
    taken = make_user(Role.MANAGER, email="taken@sesac.example")

    response = client.post(
        "/admin/users/new",
        data={"email": taken.email, "name": "", "role": "manager", "campus_id": "0"},
    )

    assert_beside(
        response,
        {
            "email": "already exists",
            "name": "This field is required.",
            "campus_id": "Choose the campus this person belongs to.",
        },
    )


# --- sessions ---------------------------------------------------------------------------


@pytest.fixture
def in_training(make_cohort, make_user) -> tuple[User, Enrollment]:
    today = date.today()
    cohort = make_cohort(
        status=CohortStatus.IN_PROGRESS,
        recruit_start_on=today - timedelta(days=60),
        recruit_end_on=today - timedelta(days=40),
        start_on=today - timedelta(days=30),
        end_on=today + timedelta(days=60),
    )
    trainee = make_user(Role.TRAINEE, name="최교육생")
    enrollment = Enrollment(cohort_id=cohort.id, user_id=trainee.id)
    db.session.add(enrollment)
    db.session.commit()
    return trainee, enrollment


def test_the_quick_log_form_shows_every_problem_at_once(client: FlaskClient, staff, in_training):
    trainee, enrollment = in_training
    later = (date.today() + timedelta(days=3)).isoformat()

    response = client.post(
        "/sessions/log",
        data={
            "trainee": f"{trainee.id}:{enrollment.cohort_id}",
            "kind": "career",
            "starts_at": f"{later}T10:00",
            "minutes": "30",
            "location": "",
            "summary": "",
            "follow_up_lines": "이력서 고치기 | 다음주\nportfolio | 2026-13-40",
        },
    )

    assert_beside(
        response,
        {
            "starts_at": "has already taken place",
            "summary": "Write the summary the trainee sees.",
            "follow_up_lines": "Follow-up line 1",
        },
    )
    assert any("Follow-up line 2" in m for m in errors_beside(response)["follow_up_lines"])


def test_the_schedule_form_shows_every_problem_at_once(client: FlaskClient, staff, in_training):
    response = client.post(
        "/sessions/new",
        data={
            "trainee": "",
            "kind": "nonsense",
            "starts_at": "yesterday",
            "minutes": "2",
        },
    )

    assert_beside(
        response,
        {
            "trainee": "This field is required.",
            "kind": "Not a valid choice",
            "starts_at": "This field is required.",
            "minutes": "between 5 and 480",
        },
    )


def test_the_session_log_shows_every_problem_beside_its_field(
    client: FlaskClient, staff, in_training
):
    trainee, enrollment = in_training
    session = client.post(
        "/sessions/log",
        data={
            "trainee": f"{trainee.id}:{enrollment.cohort_id}",
            "kind": "career",
            "starts_at": f"{date.today() - timedelta(days=1)}T10:00",
            "minutes": "30",
            "summary": "상담함",
        },
    )
    assert session.status_code == 302
    session_path = session.location.split("localhost")[-1]

    response = client.post(
        f"{session_path}/log", data={"summary": "", "follow_up_lines": "x | someday"}
    )

    assert_beside(
        response,
        {"summary": "Write the summary the trainee sees.", "follow_up_lines": "Follow-up line 1"},
    )


# --- placements: referrals, companies, certifications ----------------------------------


def test_the_referral_form_shows_every_problem_at_once(
    client: FlaskClient, login_as, completed, make_campus
):
    login_as(Role.ADMIN, campus=None, locale="en")
    elsewhere = make_campus("마포", name_en="Mapo", district="마포구", opening_order=3)
    company = Company(campus_id=elsewhere.id, name="다른캠퍼스기업")
    db.session.add(company)
    db.session.commit()

    response = client.post(
        "/placements/referrals",
        data={
            "enrollment_id": completed.id,
            "company_id": company.id,
            "position": "x" * 201,
            "matching_day_id": "0",
        },
    )

    assert_beside(
        response,
        {
            "company_id": "Choose a company of this campus.",
            "consent": "record it only with the trainee's consent",
            "position": "Field cannot be longer than 200 characters.",
        },
    )


def test_the_company_form_shows_every_problem_at_once(client: FlaskClient, staff, campus):
    db.session.add(Company(campus_id=campus.id, name="한빛제조"))
    db.session.commit()

    response = client.post(
        "/placements/companies",
        data={"campus_id": campus.id, "name": "한빛제조", "contact_email": "not-an-email"},
    )

    assert_beside(
        response,
        {"name": "already has a company named", "contact_email": "Invalid email address."},
    )


def test_the_certification_form_shows_its_problems_beside_the_fields(
    client: FlaskClient, staff, completed
):
    response = client.post(
        f"/placements/{completed.id}/certifications",
        data={"exam": "", "exam_on": "", "result": "maybe", "score": "-3"},
    )

    assert_beside(
        response,
        {
            "exam": "This field is required.",
            "exam_on": "This field is required.",
            "result": "Not a valid choice",
            "score": "at least 0",
        },
    )


def test_the_campus_form_shows_every_problem_at_once(client: FlaskClient, login_as, campus):
    login_as(Role.ADMIN, campus=None, locale="en")

    response = client.post(
        "/admin/campuses/new",
        data={
            "name_ko": campus.name_ko,
            "name_en": campus.name_en,
            "district": "",
            "opening_order": str(campus.opening_order),
            "session_cancel_cutoff_hours": "500",
        },
    )

    assert_beside(
        response,
        {
            "name_ko": "Another campus has this Korean name.",
            "name_en": "Another campus has this English name.",
            "district": "This field is required.",
            "opening_order": "Another campus has this opening order.",
            "session_cancel_cutoff_hours": "240",
        },
    )


# --- selection: settings and interview slots (the public form is tested elsewhere) -----


def test_the_selection_settings_show_every_problem_at_once(
    client: FlaskClient, login_as, make_open_cohort, make_application
):
    login_as(Role.MANAGER, locale="en")
    cohort = make_open_cohort(capacity=4)
    make_application(cohort, stage=Stage.SCREENING)

    response = client.post(
        f"/applications/cohorts/{cohort.id}/settings",
        data={"uses_interview": "y", "min_age": "40", "max_age": "20", "offer_days": "0"},
    )

    assert_beside(
        response,
        {
            "uses_screening": "move them on before turning it off",
            "max_age": "The lowest age cannot be above the highest.",
            "offer_days": "between 1 and 30",
        },
    )


def test_the_interview_slot_form_shows_every_problem_at_once(
    client: FlaskClient, login_as, make_open_cohort
):
    manager = login_as(Role.MANAGER, locale="en")
    cohort = make_open_cohort(capacity=4)

    response = client.post(
        f"/applications/cohorts/{cohort.id}/interviews",
        data={
            "interviewer_id": manager.id,
            "starts_at": f"{date.today() - timedelta(days=1)}T10:00",
            "minutes": "3",
            "location": " ",
        },
    )

    assert_beside(
        response,
        {
            "starts_at": "The interview must start in the future.",
            "minutes": "between 5 and 240",
            "location": "This field is required.",
        },
    )


# --- placements: the retention check -------------------------------------------------


def test_the_retention_check_shows_every_problem_beside_its_field(
    client: FlaskClient, staff, completed
):
    started = date.today() - timedelta(days=20)
    client.post(
        f"/placements/{completed.id}/outcome",
        data={
            "kind": "employed",
            "outcome_on": started.isoformat(),
            "company": "한빛제조",
            "verification": "",
            "verification_state": "unverified",
        },
    )
    [outcome] = db.session.scalars(db.select(Outcome)).all()

    response = client.post(
        f"/placements/outcomes/{outcome.id}/retention",
        data={
            "months": "9",
            "checked_on": (started - timedelta(days=3)).isoformat(),
            "result": "maybe",
        },
    )

    assert_beside(
        response,
        {
            "retention_months": "Not a valid choice",
            "retention_on": "The check date must be after the job started.",
            "retention_result": "Not a valid choice",
        },
    )
    assert db.session.scalars(db.select(RetentionCheck)).all() == []


# --- selection: an applicant's score and interview slot ---------------------------------


def test_the_score_form_shows_every_problem_beside_its_field(
    client: FlaskClient, login_as, make_open_cohort, make_application
):
    login_as(Role.MANAGER, locale="en")
    application = make_application(make_open_cohort(capacity=4), stage=Stage.SCREENING)

    response = client.post(
        f"/applications/{application.id}/score",
        data={"stage": "nonsense", "score": "150", "comment": "x" * 2001},
    )

    assert_beside(
        response,
        {
            "stage": "Not a valid choice",
            "score": "between 0 and 100",
            "comment": "longer than 2000",
        },
    )
    assert db.session.scalars(db.select(ApplicationScore)).all() == []


def test_the_slot_assignment_says_beside_the_field_why_the_slot_cannot_be_given(
    client: FlaskClient, login_as, make_open_cohort, make_application
):
    manager = login_as(Role.MANAGER, locale="en")
    cohort = make_open_cohort(capacity=4)
    other = make_open_cohort(capacity=4, number=9)
    tomorrow = date.today() + timedelta(days=1)

    def slot(of, hour: int) -> InterviewSlot:
        starts_at = datetime(tomorrow.year, tomorrow.month, tomorrow.day, hour, tzinfo=SEOUL)
        made = applications.create_slot(
            manager, of, interviewer=manager, starts_at=starts_at, minutes=30, location="3층"
        )
        db.session.commit()
        return made

    taken, _free, elsewhere = slot(cohort, 10), slot(cohort, 11), slot(other, 12)
    holder = make_application(cohort, stage=Stage.INTERVIEW, interview_slot_id=taken.id)
    applicant = make_application(cohort, stage=Stage.INTERVIEW)

    for chosen, message in (
        (taken, "That slot already has an applicant."),
        (elsewhere, "Choose a slot of this cohort."),
    ):
        response = client.post(
            f"/applications/{applicant.id}/interview", data={"slot_id": chosen.id}
        )
        assert_beside(response, {"slot_id": message})
    db.session.refresh(applicant)
    assert (applicant.interview_slot_id, holder.interview_slot_id) == (None, taken.id)


# --- a running cohort: calendar, roster rules and deposits -------------------------------


def test_the_calendar_forms_show_every_problem_at_once(client: FlaskClient, login_as, in_training):
    login_as(Role.MANAGER, locale="en")
    cohort = db.session.get(Cohort, in_training[1].cohort_id)
    calendar = f"/cohorts/{cohort.id}"
    after = (cohort.end_on + timedelta(days=10)).isoformat()

    response = client.post(
        f"{calendar}/calendar/rules",
        data={
            "class_weekdays": "0178",
            "class_starts_at": "18:00",
            "class_ends_at": "09:00",
            "lates_per_absence": "11",
            "completion_threshold": "200",
            "deposit_amount": "-5",
        },
    )
    assert_beside(
        response,
        {
            "class_weekdays": "Class weekdays are digits 0 (Monday) to 6 (Sunday)",
            "class_ends_at": "Class must end after it starts.",
            "lates_per_absence": "between 1 and 10",
            "completion_threshold": "between 1 and 100",
            "deposit_amount": "between 0 and",
        },
    )

    response = client.post(
        f"{calendar}/events",
        data={
            "kind": "party",
            "title": " ",
            "starts_at": f"{after}T14:00",
            "ends_at": f"{after}T13:00",
            "place": "x" * 301,
        },
    )
    assert_beside(
        response,
        {
            "kind": "Not a valid choice",
            "title": "This field is required.",
            "starts_at": "is outside the cohort",
            "ends_at": "The event must end after it starts.",
            "place": "longer than 300",
        },
    )

    response = client.post(f"{calendar}/calendar/days", data={"day": after, "note": "x" * 201})
    assert_beside(response, {"day": "is outside the cohort", "note": "longer than 200"})

    db.session.refresh(cohort)
    assert (cohort.class_weekdays, cohort.lates_per_absence) != ("0178", 11)
    assert db.session.scalars(db.select(CohortEvent)).all() == []
    assert db.session.scalars(db.select(ClassDay)).all() == []


def test_the_deposit_form_shows_every_problem_at_once(client: FlaskClient, login_as, in_training):
    login_as(Role.MANAGER, locale="en")
    _, enrollment = in_training
    enrollment.cohort.deposit_amount = 100_000
    enrollment.deposit_status = DepositStatus.DUE
    db.session.commit()

    response = client.post(
        f"/cohorts/{enrollment.cohort_id}/roster/{enrollment.id}/deposit",
        data={"action": "refunded", "on": ""},
    )

    assert_beside(
        response, {"action": "it cannot be marked", "deposit_on": "This field is required."}
    )
    db.session.refresh(enrollment)
    assert enrollment.deposit_status == DepositStatus.DUE


def test_the_slot_form_shows_every_problem_at_once(client: FlaskClient, staff):
    response = client.post(
        "/sessions/slots",
        data={
            "kind": "career",
            "starts_at": f"{date.today() - timedelta(days=1)}T10:00",
            "weeks": "30",
            "location": " ",
        },
    )

    assert_beside(
        response,
        {
            "starts_at": "The time must be in the future.",
            "weeks": "between 1 and 26",
            "location": "This field is required.",
        },
    )
    assert db.session.scalars(db.select(AvailabilitySlot)).all() == []
