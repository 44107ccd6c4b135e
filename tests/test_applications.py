"""Applicant selection: the public form, eligibility, the pipeline, stages, scores,
interviews, decisions, the waitlist and enrolment (services and routes).

Pages are read in English (staff log in with locale="en", the public client asks for
it), and expected texts come from the app's own catalogue. The capacity race is in
test_applications_race.py.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale, format_date, gettext
from itsdangerous import TimestampSigner

from sesac_ms.applications import services
from sesac_ms.applications.forms import OPENED, form_age_signer
from sesac_ms.applications.recruiting import cohort_slug
from sesac_ms.applications.services import CohortFull, NotOpen, SlotTaken, today_in_seoul
from sesac_ms.applications.tokens import token_for
from sesac_ms.errors import Conflict, InvalidInput
from sesac_ms.extensions import db
from sesac_ms.models import (
    Application,
    ApplicationScore,
    AuditEntry,
    Cohort,
    CohortStatus,
    Education,
    EmploymentStatus,
    Enrollment,
    InterviewSlot,
    OutboxMessage,
    PersonalDataAccess,
    Role,
    Stage,
    User,
)
from sesac_ms.models.applications import HOLDS_SEAT, OUTSIDE_SEOUL
from sesac_ms.models.audit import AccessAction
from sesac_ms.models.types import utcnow
from tests.conftest import login

SEOUL = ZoneInfo("Asia/Seoul")


# --- helpers ---------------------------------------------------------------------------


def en(message: str, **values) -> str:
    """The message as an English reader sees it, from the app's own catalogue."""
    with force_locale("en"):
        return gettext(message, **values)


def en_date(day: date) -> str:
    with force_locale("en"):
        return format_date(day)


def english(client: FlaskClient) -> FlaskClient:
    with client.session_transaction() as session:
        session["locale"] = "en"
    return client


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def plain(page: str) -> str:
    """The page's text without tags, its whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def follow(client: FlaskClient, response) -> str:
    """The page a post/redirect/get leads to, with its flashed messages."""
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return text(client.get(response.location))


def alerts(page: str, category: str) -> list[str]:
    found = re.findall(
        rf'<div class="alert alert-{category}[^"]*"[^>]*>\s*(.*?)\s*<button', page, re.S
    )
    return [" ".join(message.split()) for message in found]


def field_errors(response, name: str) -> list[str]:
    """The messages the forms macro renders beside the field called `name`."""
    html = response.get_data(as_text=True)
    for block in re.split(r'<div class="(?:form-check )?mb-3', html):
        if re.search(rf'<(?:input|select|textarea)\b[^>]*\bname="{name}"', block):
            found = re.findall(r'<div class="invalid-feedback">(.*?)</div>', block, re.S)
            return [unescape(message.strip()) for message in found]
    raise AssertionError(f"the page has no field {name!r}")


def names_on(response) -> list[str]:
    """Applicants listed on a pipeline page, in their order."""
    return [
        unescape(name)
        for name in re.findall(
            r'<td><a href="/applications/\d+">([^<]*)</a>', response.get_data(as_text=True)
        )
    ]


def count(model, *where) -> int:
    return db.session.scalar(db.select(sa.func.count()).select_from(model).where(*where))


def reload(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def status_url(application: Application) -> str:
    return f"/applications/status/{token_for(application.status_nonce)}"


def mails_to(email: str) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            db.select(OutboxMessage)
            .where(OutboxMessage.recipient == email)
            .order_by(OutboxMessage.id)
        )
    )


def audit_entries(action: str) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            db.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


def assert_seats_consistent(cohort: Cohort, expected: int) -> None:
    """seats_taken is the count of accepted + offered + enrolled applications."""
    db.session.expire_all()
    seats = db.session.scalar(db.select(Cohort.seats_taken).where(Cohort.id == cohort.id))
    held = count(Application, Application.cohort_id == cohort.id, Application.stage.in_(HOLDS_SEAT))
    assert (seats, held) == (expected, expected)


class _OpenedAMinuteAgo(TimestampSigner):
    def get_timestamp(self) -> int:
        return super().get_timestamp() - 60


def opened_stamp() -> str:
    """The form's signed opening time, a minute ago: as a person filling it in sends it."""
    return form_age_signer(signer=_OpenedAMinuteAgo).dumps(OPENED)


def form_data(**overrides) -> dict[str, str]:
    data = {
        "opened": opened_stamp(),
        "name": "홍길동",
        "email": "hong@example.com",
        "phone": "010-1234-5678",
        "birth_date": "2000-03-15",
        "district": "구로구",
        "employment_status": "unemployed",
        "education": "university",
        "motivation": "데이터 분석가가 되고 싶습니다.",
        "portfolio_url": "https://github.com/hong",
        "consent": "y",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def in_seoul(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SEOUL)


# --- fixtures --------------------------------------------------------------------------


@pytest.fixture
def public(app: Flask) -> FlaskClient:
    """An anonymous visitor reading in English."""
    return english(app.test_client())


@pytest.fixture
def manager(login_as) -> User:
    """A manager of the campus, logged in with `client`."""
    return login_as(Role.MANAGER, locale="en", name="Manager Kim")


@pytest.fixture
def cohort(make_open_cohort) -> Cohort:
    return make_open_cohort(capacity=4)


@pytest.fixture
def second_manager(app: Flask, make_user) -> tuple[User, FlaskClient]:
    user = make_user(Role.MANAGER, locale="en", name="Manager Lee")
    browser = app.test_client()
    assert login(browser, user.email).status_code == 302
    return user, browser


# --- the public side -------------------------------------------------------------------


def test_open_lists_only_recruiting_cohorts_in_their_window(public, make_course, make_open_cohort):
    today = today_in_seoul()
    shown = make_open_cohort(course=make_course(title="Shown course"))
    make_open_cohort(course=make_course(title="Planned course"), status=CohortStatus.PLANNED)
    make_open_cohort(
        course=make_course(title="Past course"),
        recruit_start_on=today - timedelta(days=20),
        recruit_end_on=today - timedelta(days=1),
    )
    make_open_cohort(
        course=make_course(title="Future course"),
        recruit_start_on=today + timedelta(days=1),
    )
    make_open_cohort(course=make_course(title="Selecting course"), status=CohortStatus.SELECTING)

    assert public.get("/applications/open").location == "/"
    response = public.get("/")

    assert response.status_code == 200
    page = text(response)
    assert "Shown course" in page
    assert f'href="/apply/{shown.id}-{cohort_slug(shown)}"' in page
    for hidden in ("Planned course", "Past course", "Future course", "Selecting course"):
        assert hidden not in page


@pytest.mark.parametrize("why", ["planned", "window past"])
def test_applying_to_a_closed_cohort_answers_410_with_the_reason(public, make_open_cohort, why):
    today = today_in_seoul()
    if why == "planned":
        closed = make_open_cohort(status=CohortStatus.PLANNED)
    else:
        closed = make_open_cohort(
            recruit_start_on=today - timedelta(days=20), recruit_end_on=today - timedelta(days=1)
        )
    reason = en(
        "Recruiting for this cohort is closed (%(start)s – %(end)s).",
        start=en_date(closed.recruit_start_on),
        end=en_date(closed.recruit_end_on),
    )

    response = public.get(f"/apply/{closed.id}-{cohort_slug(closed)}")

    assert response.status_code == 410
    assert reason in text(response)
    assert 'name="motivation"' not in text(response)
    sent = public.post(f"/apply/{closed.id}-{cohort_slug(closed)}", data=form_data())
    assert sent.status_code == 410
    assert count(Application) == 0


def test_a_full_cohort_says_it_is_full(public, make_open_cohort):
    full = make_open_cohort(capacity=2)
    full.seats_taken = 2
    db.session.commit()

    response = public.get(f"/apply/{full.id}-{cohort_slug(full)}")

    assert response.status_code == 410
    assert en("This cohort is full: all %(n)d places are taken.", n=2) in text(response)
    assert public.post(f"/apply/{full.id}-{cohort_slug(full)}", data=form_data()).status_code == 410
    assert count(Application) == 0


def test_an_application_is_stored_with_its_consent_and_mailed_its_private_link(
    public, cohort, make_application
):
    make_application(cohort, name="Someone Else", email="else@example.com", phone="010-9999-8888")
    form_page = text(public.get(f"/apply/{cohort.id}-{cohort_slug(cohort)}"))
    assert (
        en(
            "Notice version %(version)s. We never ask for a resident registration number.",
            version="2026-11",
        )
        in form_page
    )

    response = public.post(
        f"/apply/{cohort.id}-{cohort_slug(cohort)}", data=form_data(email="Hong@Example.COM")
    )

    assert response.status_code == 302
    application = db.session.scalar(
        db.select(Application).where(Application.email == "hong@example.com")
    )
    assert application is not None
    assert response.location == f"/apply/{cohort.id}-{cohort_slug(cohort)}/sent"
    assert application.stage == Stage.SUBMITTED
    assert application.consent_version == "2026-11"
    assert abs(utcnow() - application.consented_at) < timedelta(minutes=1)
    assert (application.source, application.locale, application.phone) == (
        "web",
        "en",
        "010-1234-5678",
    )
    sent = follow(public, response)
    assert en("Check your e-mail") in sent
    assert "/applications/status/" not in sent  # the private link goes by mail only
    (mail,) = mails_to("hong@example.com")
    assert f"http://localhost{status_url(application)}" in mail.body
    page = text(public.get(status_url(application)))
    assert "홍길동" in page and en("Submitted") in page
    for other in ("Someone Else", "else@example.com", "010-9999-8888"):
        assert other not in page
    assert [entry.object_id for entry in audit_entries("application.submitted")][-1] == (
        application.id
    )
    assert public.get("/applications/status/" + "0" * 64).status_code == 404


def _tomorrow() -> str:
    return (today_in_seoul() + timedelta(days=1)).isoformat()


BAD_INPUTS = {
    "missing consent": (
        "consent",
        {"consent": None},
        "Agree to the collection and use of personal data to apply.",
    ),
    "bad email": ("email", {"email": "not-an-email"}, None),
    "birth date in the future": (
        "birth_date",
        {"birth_date": _tomorrow},
        "The birth date must be in the past.",
    ),
    "motivation of 100 kB": ("motivation", {"motivation": "가" * 100_000}, None),
    "phone 12345": ("phone", {"phone": "12345"}, "Enter a mobile number such as 010-1234-5678."),
    "invalid district": ("district", {"district": "Atlantis"}, None),
    "javascript portfolio": (
        "portfolio_url",
        {"portfolio_url": "javascript:alert(1)"},
        "The portfolio link must start with http:// or https://.",
    ),
    "blank name": ("name", {"name": "   "}, None),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_malformed_input_is_refused_beside_its_field_and_nothing_is_stored(public, cohort, case):
    field, overrides, message = BAD_INPUTS[case]
    overrides = {key: value() if callable(value) else value for key, value in overrides.items()}

    response = public.post(f"/apply/{cohort.id}-{cohort_slug(cohort)}", data=form_data(**overrides))

    assert response.status_code == 200
    errors = field_errors(response, field)
    assert errors, f"no message beside {field}"
    if message:
        assert en(message) in errors
    assert count(Application) == 0
    assert count(OutboxMessage) == 0
    assert count(AuditEntry, AuditEntry.action.like("application.%")) == 0


def test_a_script_in_the_name_is_stored_as_text_and_shown_escaped(public, client, manager, cohort):
    script = "<script>alert(1)</script>"
    response = public.post(
        f"/apply/{cohort.id}-{cohort_slug(cohort)}",
        data=form_data(name=script, motivation="<img src=x onerror=alert(2)>"),
    )
    assert response.status_code == 302
    application = db.session.scalar(db.select(Application))
    assert application.name == script

    pages = {
        "status": public.get(status_url(application)),
        "pipeline": client.get(f"/applications/cohorts/{cohort.id}"),
        "applicant": client.get(f"/applications/{application.id}"),
    }
    for name, page in pages.items():
        html = page.get_data(as_text=True)
        assert page.status_code == 200, name
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, name
        assert "<script>alert(1)" not in html, name
    assert "&lt;img src=x onerror=alert(2)&gt;" in pages["applicant"].get_data(as_text=True)
    assert "<img src=x" not in pages["applicant"].get_data(as_text=True)


def test_the_same_email_cannot_apply_twice_to_a_cohort_and_is_mailed_its_link(
    public, cohort, make_open_cohort, make_application
):
    """The form does not say the address applied (anyone could ask); the mailbox is told."""
    earlier = make_application(cohort, email="dup@example.com", locale="en")

    response = public.post(
        f"/apply/{cohort.id}-{cohort_slug(cohort)}", data=form_data(email="DUP@Example.com")
    )

    assert response.status_code == 302
    assert response.location == f"/apply/{cohort.id}-{cohort_slug(cohort)}/sent"
    assert count(Application, Application.email == "dup@example.com") == 1
    assert count(AuditEntry, AuditEntry.action == "application.submitted") == 1
    (mail,) = mails_to("dup@example.com")
    assert mail.subject == en("[SeSAC] You already applied: %(cohort)s", cohort=cohort.label("en"))
    assert f"http://localhost{status_url(earlier)}" in mail.body
    assert reload(earlier).name != "홍길동"  # the stored application is left as it was
    other_cohort = make_open_cohort()
    elsewhere = public.post(
        f"/apply/{other_cohort.id}-{cohort_slug(other_cohort)}",
        data=form_data(email="dup@example.com"),
    )
    assert elsewhere.status_code == 302  # another cohort is another application


def test_an_applicant_withdraws_through_the_status_link(public, cohort, make_application):
    application = make_application(cohort, name="Leaving Lee")
    url = status_url(application)
    assert en("Withdraw my application") in text(public.get(url))

    page = follow(public, public.post(f"{url}/withdraw"))

    assert en("Your application is withdrawn.") in page
    assert en("Withdrawn") in page
    assert en("Withdraw my application") not in page
    assert reload(application).stage == Stage.WITHDRAWN
    (entry,) = audit_entries("application.withdrawn")
    assert (entry.actor_id, entry.object_id) == (None, application.id)
    again = follow(public, public.post(f"{url}/withdraw"))
    assert alerts(again, "danger")
    assert public.post("/applications/status/nonsense/withdraw").status_code == 404


# --- submitting through the service ------------------------------------------------------


def _details(**overrides) -> services.ApplicantDetails:
    values = {
        "name": "홍길동",
        "email": "svc@example.com",
        "phone": "01012345678",
        "birth_date": date(2000, 3, 15),
        "district": "마포구",
        "seoul_university": False,
        "employment_status": "unemployed",
        "education": "college",
        "motivation": "  배우고 싶습니다.  ",
        "portfolio_url": "",
    }
    values.update(overrides)
    return services.ApplicantDetails(**values)


SERVICE_REFUSALS = [
    ({"name": "x" * 101}, "name"),
    ({"birth_date": date(1900, 1, 1)}, "birth_date"),
    ({"employment_status": "astronaut"}, "employment_status"),
    ({"education": "none"}, "education"),
    ({"motivation": "x" * 2001}, "motivation"),
    ({"motivation": "   "}, "motivation"),
    ({"portfolio_url": "https://" + "x" * 500}, "portfolio_url"),
    ({"phone": "02-123-4567"}, "phone"),
]


def test_the_service_checks_every_detail_itself(cohort):
    """Imports call the service without the form, so it checks each field again."""
    refused_on = []
    for overrides, _field in SERVICE_REFUSALS:
        with pytest.raises(InvalidInput) as refused:
            services.submit_application(cohort, _details(**overrides), consent=True)
        refused_on.append(refused.value.field)
        db.session.rollback()
    assert refused_on == [field for _overrides, field in SERVICE_REFUSALS]
    assert count(Application) == 0


def test_the_service_normalises_and_refuses_without_consent_or_outside_the_window(
    cohort, make_cohort
):
    with pytest.raises(InvalidInput) as refused:
        services.submit_application(cohort, _details(), consent=False)
    assert refused.value.field == "consent"
    with pytest.raises(NotOpen):
        services.submit_application(make_cohort(), _details(), consent=True)

    stored = services.submit_application(cohort, _details(), consent=True, send_mail=False)

    assert (stored.phone, stored.motivation, stored.portfolio_url) == (
        "010-1234-5678",
        "배우고 싶습니다.",
        None,
    )


# --- eligibility -----------------------------------------------------------------------


def test_age_is_counted_in_full_years_on_the_start_date(make_cohort, make_application):
    cohort = make_cohort(start_on=date(2026, 2, 9))  # ages 15–39 by default
    forty = make_application(cohort, birth_date=date(1986, 2, 9))
    thirty_nine = make_application(cohort, birth_date=date(1986, 2, 10))
    fifteen = make_application(cohort, birth_date=date(2011, 2, 9))
    fourteen = make_application(cohort, birth_date=date(2011, 2, 10))

    assert [a.age_on(cohort.start_on) for a in (forty, thirty_nine, fifteen, fourteen)] == [
        40,
        39,
        15,
        14,
    ]
    assert forty.eligibility_flags == [{"code": "age", "age": 40, "min": 15, "max": 39}]
    assert fourteen.eligibility_flags == [{"code": "age", "age": 14, "min": 15, "max": 39}]
    assert (forty.eligible, thirty_nine.eligible, fifteen.eligible, fourteen.eligible) == (
        False,
        True,
        True,
        False,
    )


RESIDENCE_AND_EMPLOYMENT = [
    (OUTSIDE_SEOUL, False, EmploymentStatus.UNEMPLOYED, ["seoul"]),
    (OUTSIDE_SEOUL, True, EmploymentStatus.UNEMPLOYED, []),
    ("강남구", False, EmploymentStatus.UNEMPLOYED, []),
    ("강남구", False, EmploymentStatus.EMPLOYED, ["employed"]),
    ("강남구", False, EmploymentStatus.SELF_EMPLOYED, ["employed"]),
    ("강남구", False, EmploymentStatus.STUDENT, []),
    (OUTSIDE_SEOUL, False, EmploymentStatus.EMPLOYED, ["seoul", "employed"]),
]


def test_residence_and_employment_are_flagged(cohort, make_application):
    found = []
    for district, seoul_university, employment, _flags in RESIDENCE_AND_EMPLOYMENT:
        application = make_application(
            cohort,
            district=district,
            seoul_university=seoul_university,
            employment_status=employment,
        )
        codes = [flag["code"] for flag in application.eligibility_flags]
        assert application.eligible is (not codes)
        found.append(codes)
    assert found == [flags for *_case, flags in RESIDENCE_AND_EMPLOYMENT]


def test_flags_are_shown_to_the_manager_and_do_not_block(
    client, manager, make_open_cohort, make_application
):
    cohort = make_open_cohort()
    start = cohort.start_on
    flagged = make_application(
        cohort,
        name="Flagged Park",
        district=OUTSIDE_SEOUL,
        employment_status=EmploymentStatus.EMPLOYED,
        birth_date=date(start.year - 45, 1, 1),
    )
    age = flagged.age_on(start)

    page = text(client.get(f"/applications/{flagged.id}"))
    listing = text(client.get(f"/applications/cohorts/{cohort.id}"))

    expected = [
        en(
            "Age %(age)s (full years) on the start date is outside %(min)s–%(max)s.",
            age=age,
            min=15,
            max=39,
        ),
        en("Lives outside Seoul and does not attend a Seoul university."),
        en("Currently employed or self-employed."),
    ]
    for message in expected:
        assert message in page and message in listing
    follow(client, client.post(f"/applications/{flagged.id}/accept"))
    assert reload(flagged).stage == Stage.ACCEPTED


SETTINGS = {
    "uses_screening": "y",
    "uses_interview": "y",
    "min_age": "15",
    "max_age": "39",
    "require_seoul": "y",
    "require_unemployed": "y",
    "offer_days": "3",
}


def test_changing_the_settings_re_flags_the_applications(
    client, manager, make_cohort, make_application
):
    cohort = make_cohort(start_on=date(2026, 2, 9))
    forty = make_application(cohort, birth_date=date(1986, 2, 9))
    employed = make_application(cohort, employment_status=EmploymentStatus.EMPLOYED)
    fine = make_application(cohort)
    assert (forty.eligible, employed.eligible, fine.eligible) == (False, False, True)

    response = client.post(
        f"/applications/cohorts/{cohort.id}/settings",
        data={**SETTINGS, "max_age": "45", "require_unemployed": None},
    )

    page = follow(client, response)
    assert en("Selection settings saved; %(n)d application(s) re-checked.", n=3) in page
    assert [reload(a).eligible for a in (forty, employed, fine)] == [True, True, True]
    assert reload(forty).eligibility_flags == []
    (entry,) = audit_entries("cohort.selection_settings")
    assert entry.actor_id == manager.id
    assert entry.changes["max_age"] == [39, 45]
    assert entry.changes["require_unemployed"] == [True, False]

    follow(client, client.post(f"/applications/cohorts/{cohort.id}/settings", data=SETTINGS))
    assert [reload(a).eligible for a in (forty, employed, fine)] == [False, False, True]


def test_settings_refuse_a_lowest_age_above_the_highest(client, manager, cohort):
    response = client.post(
        f"/applications/cohorts/{cohort.id}/settings",
        data={**SETTINGS, "min_age": "40", "max_age": "30"},
    )

    assert response.status_code == 200
    assert en("The lowest age cannot be above the highest.") in field_errors(response, "max_age")
    cohort = reload(cohort)
    assert (cohort.min_age, cohort.max_age) == (15, 39)
    assert audit_entries("cohort.selection_settings") == []


def test_a_stage_with_applicants_in_it_cannot_be_turned_off(
    client, manager, cohort, make_application
):
    make_application(cohort, stage=Stage.SCREENING)

    response = client.post(
        f"/applications/cohorts/{cohort.id}/settings", data={**SETTINGS, "uses_screening": None}
    )

    assert response.status_code == 200
    assert en(
        "Applicants are in the stage “%(stage)s”: move them on before turning it off.",
        stage=en("Document screening"),
    ) in text(response)
    assert reload(cohort).uses_screening is True


# --- the pipeline ----------------------------------------------------------------------


@pytest.fixture
def pipeline(cohort, make_application, make_user):
    """Six applicants and one withdrawn for four places, three of them scored."""
    evaluator = make_user(Role.COORDINATOR, name="Evaluator Yoon")
    people = {
        "Alpha Park": {"stage": Stage.SUBMITTED},
        "Bravo Choi": {"stage": Stage.SCREENING},
        "Charlie Jung": {"stage": Stage.SCREENING, "district": OUTSIDE_SEOUL},
        "Delta Kang": {"stage": Stage.INTERVIEW, "phone": "010-5555-0001"},
        "Echo Han": {"email": "echo.special@example.com"},
        "Foxtrot Seo": {"stage": Stage.SUBMITTED},
        "Golf Withdrawn": {"stage": Stage.WITHDRAWN},
    }
    made = {name: make_application(cohort, name=name, **values) for name, values in people.items()}
    for name, score in (("Alpha Park", 90), ("Bravo Choi", 60), ("Charlie Jung", 75)):
        services.record_score(evaluator, made[name], Stage.SCREENING, score)
    db.session.commit()
    return made


PIPELINE_FILTERS = {
    "stage=screening": {"Bravo Choi", "Charlie Jung"},
    "stage=withdrawn": {"Golf Withdrawn"},
    "eligible=no": {"Charlie Jung"},
    "eligible=yes": {
        "Alpha Park",
        "Bravo Choi",
        "Delta Kang",
        "Echo Han",
        "Foxtrot Seo",
        "Golf Withdrawn",
    },
    "score_min=70": {"Alpha Park", "Charlie Jung"},
    "score_min=70&score_max=80": {"Charlie Jung"},
    "score_max=65": {"Bravo Choi"},
    "q=echo.special": {"Echo Han"},
    "q=5555-0001": {"Delta Kang"},
    "q=ALPHA": {"Alpha Park"},
    "stage=screening&eligible=yes&score_min=50": {"Bravo Choi"},
    "score_min=abc&stage=nonsense": {
        "Alpha Park",
        "Bravo Choi",
        "Charlie Jung",
        "Delta Kang",
        "Echo Han",
        "Foxtrot Seo",
        "Golf Withdrawn",
    },
}


def test_the_pipeline_filters_by_stage_eligibility_score_and_text(
    client, manager, cohort, pipeline
):
    shown = {}
    for query in PIPELINE_FILTERS:
        response = client.get(f"/applications/cohorts/{cohort.id}?{query}")
        assert response.status_code == 200, query
        shown[query] = set(names_on(response))
    assert shown == PIPELINE_FILTERS


def test_the_pipeline_sorts_by_score_and_counts_stages_and_the_ratio(
    client, manager, cohort, pipeline
):
    by_score = client.get(f"/applications/cohorts/{cohort.id}?sort=score")
    assert names_on(by_score)[:3] == ["Alpha Park", "Charlie Jung", "Bravo Choi"]
    assert len(names_on(by_score)) == 7

    html = by_score.get_data(as_text=True)
    counts = dict(re.findall(r'stage=(\w+)">[^<]*<strong>(\d+)</strong>', html))
    assert counts == {
        "submitted": "3",
        "screening": "2",
        "interview": "1",
        "withdrawn": "1",
    }
    assert "1.5 : 1" in html  # six applicants (the withdrawn one not counted) for 4 places
    assert "0 / 4" in html
    assert "90.0" in html and "75.0" in html


def test_the_pipeline_pages_by_fifty_and_keeps_the_filters(client, manager, make_open_cohort):
    cohort = make_open_cohort(capacity=60)
    for n in range(53):
        services.submit_application(
            cohort,
            _details(name=f"Page {n:02d}", email=f"page{n}@example.com"),
            consent=True,
            source="import",
            send_mail=False,
        )
    db.session.commit()

    first = client.get(f"/applications/cohorts/{cohort.id}?stage=submitted&sort=name")

    assert names_on(first) == [f"Page {n:02d}" for n in range(50)]
    assert en("%(total)d in all", total=53) in text(first)
    link = unescape(re.search(r'href="([^"]*page=2[^"]*)"', first.get_data(as_text=True))[1])
    assert "stage=submitted" in link and "sort=name" in link
    assert names_on(client.get(link)) == ["Page 50", "Page 51", "Page 52"]


def test_the_pipeline_runs_as_many_queries_for_13_applications_as_for_3(
    client, manager, cohort, make_application, make_user, count_queries
):
    evaluator = make_user(Role.COORDINATOR)

    def add(n: int) -> None:
        for _ in range(n):
            application = make_application(cohort)
            services.record_score(evaluator, application, Stage.SCREENING, 50)
            services.record_score(manager, application, Stage.SCREENING, 70)
        db.session.commit()

    url = f"/applications/cohorts/{cohort.id}"
    add(3)
    client.get(url)
    with count_queries() as few:
        response = client.get(url)
    assert len(names_on(response)) == 3
    add(10)
    client.get(url)
    with count_queries() as many:
        response = client.get(url)

    assert len(names_on(response)) == 13
    assert "60.0" in response.get_data(as_text=True)
    assert many() == few()


# --- the applicant's page and who may see it -------------------------------------------


def test_the_applicant_page_shows_what_was_sent_its_history_and_logs_the_view(
    client, manager, cohort, make_application
):
    application = make_application(
        cohort,
        name="Data Kim",
        email="data.kim@example.com",
        phone="010-2222-3333",
        motivation="I want to analyse Seoul's open data.",
        portfolio_url="https://github.com/datakim",
        education=Education.GRADUATE,
    )
    services.advance(manager, application)
    db.session.commit()

    response = client.get(f"/applications/{application.id}")

    assert response.status_code == 200
    page = text(response)
    for shown in (
        "Data Kim",
        "data.kim@example.com",
        "010-2222-3333",
        "I want to analyse Seoul's open data.",
        "https://github.com/datakim",
        en("Graduate school"),
        en("Document screening"),
        "2026-11",
    ):
        assert shown in page
    # The history reads as sentences, with field and value labels and no internal codes.
    assert "application.submitted" not in page and "submitted → screening" not in page
    assert (
        en(
            "%(actor)s moved %(subject)s on to the next stage.",
            actor=manager.name,
            subject=en("this application"),
        )
        in page
    )
    assert (
        en(
            "%(field)s changed from “%(old)s” to “%(new)s”.",
            field=en("Stage"),
            old=en("Submitted"),
            new=en("Document screening"),
        )
        in page
    )
    (access,) = db.session.scalars(db.select(PersonalDataAccess)).all()
    assert (access.actor_id, access.action, access.subject_type, access.subject_id) == (
        manager.id,
        AccessAction.VIEW,
        "Application",
        application.id,
    )
    assert "data.kim@example.com" in access.subject_label


def test_a_coordinator_may_view_and_score_but_not_decide(
    client, login_as, cohort, make_application
):
    coordinator = login_as(Role.COORDINATOR, locale="en")
    application = make_application(cohort)
    base = f"/applications/{application.id}"

    page = client.get(base)
    assert page.status_code == 200
    assert f'action="{base}/accept"' not in page.get_data(as_text=True)
    follow(client, client.post(f"{base}/score", data={"stage": "screening", "score": "80"}))
    (score,) = db.session.scalars(db.select(ApplicationScore)).all()
    assert (score.evaluator_id, score.score) == (coordinator.id, 80)

    for action in ("accept", "waitlist", "reject", "advance", "enroll", "waitlist-up"):
        assert client.post(f"{base}/{action}", data={"reason": "x"}).status_code == 403, action
    bulk = client.post(
        f"/applications/cohorts/{cohort.id}/bulk",
        data={"ids": [str(application.id)], "action": "accept"},
    )
    assert bulk.status_code == 403
    assert client.get(f"/applications/cohorts/{cohort.id}/settings").status_code == 403
    assert client.get(f"/applications/cohorts/{cohort.id}/interviews").status_code == 403
    assert reload(application).stage == Stage.SUBMITTED
    assert reload(cohort).seats_taken == 0


def test_a_manager_of_another_campus_sees_nothing(
    client, login_as, make_campus, make_user, cohort, make_application
):
    login_as(Role.MANAGER, campus=make_campus(), locale="en")
    application = make_application(cohort, name="Hidden Han")
    tomorrow = today_in_seoul() + timedelta(days=1)
    slot = services.create_slot(
        None,
        cohort,
        interviewer=make_user(Role.MENTOR),
        starts_at=in_seoul(tomorrow, 9),
        minutes=30,
        location="Room 1",
    )
    db.session.commit()

    gets = [
        f"/applications/{application.id}",
        f"/applications/cohorts/{cohort.id}",
        f"/applications/cohorts/{cohort.id}/settings",
        f"/applications/cohorts/{cohort.id}/interviews",
    ]
    for url in gets:
        assert client.get(url).status_code == 404, url
    posts = [
        f"/applications/{application.id}/accept",
        f"/applications/{application.id}/score",
        f"/applications/{application.id}/interview",
        f"/applications/cohorts/{cohort.id}/bulk",
        f"/applications/interviews/{slot.id}/delete",
    ]
    for url in posts:
        assert client.post(url, data={"stage": "screening", "score": "1"}).status_code == 404, url
    assert reload(application).stage == Stage.SUBMITTED
    assert count(ApplicationScore) == 0
    assert count(InterviewSlot) == 1
    assert count(PersonalDataAccess) == 0


# --- stages ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "screening, assessment, interview, path",
    [
        (True, False, True, [Stage.SCREENING, Stage.INTERVIEW]),
        (True, True, True, [Stage.SCREENING, Stage.ASSESSMENT, Stage.INTERVIEW]),
        (False, False, True, [Stage.INTERVIEW]),
        (True, True, False, [Stage.SCREENING, Stage.ASSESSMENT]),
    ],
)
def test_advancing_follows_the_stages_the_cohort_uses(
    client, manager, cohort, make_application, screening, assessment, interview, path
):
    cohort.uses_screening, cohort.uses_assessment, cohort.uses_interview = (
        screening,
        assessment,
        interview,
    )
    db.session.commit()
    application = make_application(cohort, name="Step Cho")
    url = f"/applications/{application.id}/advance"

    visited = []
    for _ in path:
        page = follow(client, client.post(url))
        assert en("{name} moved to the next stage.").format(name="Step Cho") in page
        visited.append(reload(application).stage)
    page = follow(client, client.post(url))

    assert visited == path
    assert en("%(name)s has no further stage: decide instead.", name="Step Cho") in alerts(
        page, "danger"
    )
    assert reload(application).stage == path[-1]
    assert len(audit_entries("application.stage_changed")) == len(path)


# --- scores ----------------------------------------------------------------------------


def test_scores_are_0_to_100_per_evaluator_with_comments_and_an_average(
    client, manager, second_manager, cohort, make_application
):
    other, other_client = second_manager
    application = make_application(cohort, stage=Stage.SCREENING)
    url = f"/applications/{application.id}/score"

    for bad in ("101", "-1", "", "abc"):
        response = client.post(url, data={"stage": "screening", "score": bad})
        assert field_errors(response, "score"), bad  # beside the field, on the page it came from
    assert count(ApplicationScore) == 0

    follow(
        client,
        client.post(url, data={"stage": "screening", "score": "70", "comment": "Clear goals"}),
    )
    follow(
        other_client,
        other_client.post(
            url, data={"stage": "screening", "score": "90", "comment": "Strong portfolio"}
        ),
    )
    page = text(client.get(f"/applications/{application.id}"))
    assert en("average %(avg).1f", avg=80.0) == "average 80.0"
    assert "average 80.0" in page
    assert "Manager Kim: 70 — Clear goals" in plain(page)
    assert "Manager Lee: 90 — Strong portfolio" in plain(page)
    assert "80.0" in text(client.get(f"/applications/cohorts/{cohort.id}"))

    follow(
        client,
        client.post(
            url, data={"stage": "screening", "score": "75", "comment": "On second thought"}
        ),
    )
    rows = {
        row.evaluator_id: (row.score, row.comment)
        for row in db.session.scalars(db.select(ApplicationScore))
    }
    assert rows == {manager.id: (75, "On second thought"), other.id: (90, "Strong portfolio")}
    assert "average 82.5" in text(client.get(f"/applications/{application.id}"))
    assert audit_entries("application.scored")[-1].changes["score"] == [70, 75]


def test_a_stage_the_cohort_does_not_use_cannot_be_scored(
    client, manager, cohort, make_application
):
    application = make_application(cohort, stage=Stage.SCREENING)
    assert cohort.uses_assessment is False

    response = client.post(
        f"/applications/{application.id}/score", data={"stage": "assessment", "score": "50"}
    )
    assert field_errors(response, "stage")
    with force_locale("en"), pytest.raises(InvalidInput) as refused:
        services.record_score(manager, application, Stage.ASSESSMENT, 50)
    assert refused.value.message == en(
        "This cohort does not use the stage “%(stage)s”.", stage=en("Basic-skills assessment")
    )
    with pytest.raises(InvalidInput):
        services.record_score(manager, application, Stage.SCREENING, 101)
    db.session.rollback()
    assert count(ApplicationScore) == 0


# --- interviews ------------------------------------------------------------------------


def test_interview_slots_are_in_the_future_and_never_overlap_for_one_interviewer(
    client, manager, cohort, make_user
):
    mentor = make_user(Role.MENTOR, name="Mentor Oh")
    tomorrow = today_in_seoul() + timedelta(days=1)
    url = f"/applications/cohorts/{cohort.id}/interviews"

    def add(who: User, when: str, minutes: str = "30"):
        return client.post(
            url,
            data={
                "interviewer_id": str(who.id),
                "starts_at": when,
                "minutes": minutes,
                "location": "Room 3",
            },
        )

    assert add(manager, f"{tomorrow}T10:00").status_code == 302
    (slot,) = db.session.scalars(db.select(InterviewSlot)).all()
    assert slot.starts_at == in_seoul(tomorrow, 10)
    assert slot.ends_at == in_seoul(tomorrow, 10, 30)

    past = add(manager, f"{today_in_seoul() - timedelta(days=1)}T10:00")
    assert en("The interview must start in the future.") in field_errors(past, "starts_at")
    overlap = add(manager, f"{tomorrow}T10:15")
    assert en(
        "%(name)s already has an interview slot at that time.", name="Manager Kim"
    ) in field_errors(overlap, "starts_at")
    around = add(manager, f"{tomorrow}T09:45", minutes="60")
    assert field_errors(around, "starts_at")
    assert add(manager, f"{tomorrow}T10:30").status_code == 302  # right after: no overlap
    assert add(mentor, f"{tomorrow}T10:00").status_code == 302  # another interviewer
    assert count(InterviewSlot) == 3


def test_a_slot_is_mailed_to_one_applicant_and_cannot_be_given_twice(
    client, manager, cohort, make_application
):
    tomorrow = today_in_seoul() + timedelta(days=1)
    slot = services.create_slot(
        manager,
        cohort,
        interviewer=manager,
        starts_at=in_seoul(tomorrow, 14),
        minutes=30,
        location="https://meet.example/sesac",
    )
    first = make_application(cohort, name="First Ryu", stage=Stage.INTERVIEW)
    second = make_application(cohort, name="Second Noh", stage=Stage.INTERVIEW)
    db.session.commit()

    page = follow(
        client, client.post(f"/applications/{first.id}/interview", data={"slot_id": str(slot.id)})
    )

    assert en("The interview time was mailed to %(name)s.", name="First Ryu") in page
    assert reload(first).interview_slot_id == slot.id
    (mail,) = mails_to(first.email)
    assert f"{tomorrow.isoformat()} 14:00" in mail.body
    assert "https://meet.example/sesac" in mail.body
    assert status_url(first) in mail.body
    assert f"{tomorrow.isoformat()} 14:00" in text(client.get(f"/applications/{first.id}"))
    assert f"{tomorrow.isoformat()} 14:00" in text(client.get(status_url(first)))

    page = follow(
        client, client.post(f"/applications/{second.id}/interview", data={"slot_id": str(slot.id)})
    )
    assert en("That slot already has an applicant.") in alerts(page, "danger")
    assert reload(second).interview_slot_id is None
    assert mails_to(second.email) == []
    with force_locale("en"), pytest.raises(SlotTaken) as taken:
        services.assign_slot(manager, reload(second), reload(slot))
    assert taken.value.message == en("That slot already has an applicant.")
    db.session.rollback()
    assert reload(second).interview_slot_id is None


def test_a_slot_with_an_applicant_cannot_be_removed(client, manager, cohort, make_application):
    tomorrow = today_in_seoul() + timedelta(days=1)
    taken = services.create_slot(
        manager,
        cohort,
        interviewer=manager,
        starts_at=in_seoul(tomorrow, 9),
        minutes=30,
        location="Room 1",
    )
    free = services.create_slot(
        manager,
        cohort,
        interviewer=manager,
        starts_at=in_seoul(tomorrow, 11),
        minutes=30,
        location="Room 1",
    )
    applicant = make_application(cohort, name="Slot Holder", stage=Stage.INTERVIEW)
    services.assign_slot(manager, applicant, taken)
    db.session.commit()
    taken_id, free_id = taken.id, free.id

    listing = text(client.get(f"/applications/cohorts/{cohort.id}/interviews"))
    assert "Slot Holder" in listing

    page = follow(client, client.post(f"/applications/interviews/{taken_id}/delete"))
    assert en("An applicant has this slot; give them another first.") in alerts(page, "danger")
    page = follow(client, client.post(f"/applications/interviews/{free_id}/delete"))
    assert en("Interview slot removed.") in page
    assert list(db.session.scalars(db.select(InterviewSlot.id))) == [taken_id]
    assert len(audit_entries("interview_slot.deleted")) == 1


# --- decisions -------------------------------------------------------------------------


def test_decisions_are_audited_with_who_when_and_why(client, manager, cohort, make_application):
    accepted = make_application(cohort, name="Accept Ahn", stage=Stage.INTERVIEW)
    waiting = make_application(cohort, name="Wait Woo", stage=Stage.INTERVIEW)
    rejected = make_application(cohort, name="Reject Roh", stage=Stage.SCREENING)
    started = utcnow()

    page = follow(
        client,
        client.post(f"/applications/{accepted.id}/accept", data={"reason": "Strong interview"}),
    )
    assert "Accept Ahn is accepted." in page
    follow(
        client,
        client.post(f"/applications/{waiting.id}/waitlist", data={"reason": "Good, but later"}),
    )
    page = follow(client, client.post(f"/applications/{rejected.id}/reject", data={"reason": " "}))
    assert en("Give the reason for the rejection.") in alerts(page, "danger")
    assert reload(rejected).stage == Stage.SCREENING
    follow(
        client,
        client.post(
            f"/applications/{rejected.id}/reject", data={"reason": "Not enough experience"}
        ),
    )

    expected = {
        "application.accepted": (accepted, ["interview", "accepted"], "Strong interview"),
        "application.waitlisted": (waiting, ["interview", "waitlisted"], "Good, but later"),
        "application.rejected": (rejected, ["screening", "rejected"], "Not enough experience"),
    }
    for action, (application, stages, reason) in expected.items():
        (entry,) = audit_entries(action)
        assert entry.actor_id == manager.id
        assert manager.email in entry.actor_label
        assert entry.object_id == application.id
        assert entry.changes["stage"] == stages
        assert entry.changes["reason"] == [None, reason]
        assert entry.at >= started - timedelta(seconds=1)
        stored = reload(application)
        assert (stored.decided_by_id, stored.decision_reason) == (manager.id, reason)
        assert stored.decided_at is not None
        assert len(mails_to(application.email)) == 1
    assert reload(waiting).waitlist_rank == 1
    assert_seats_consistent(cohort, 1)


def test_the_waitlist_is_ranked_in_order_and_can_be_reordered(
    client, manager, cohort, make_application
):
    first, second, third = (
        make_application(cohort, name=name) for name in ("Wait One", "Wait Two", "Wait Three")
    )
    for application in (first, second, third):
        follow(client, client.post(f"/applications/{application.id}/waitlist"))
    assert [reload(a).waitlist_rank for a in (first, second, third)] == [1, 2, 3]

    follow(client, client.post(f"/applications/{third.id}/waitlist-up"))
    assert [reload(a).waitlist_rank for a in (first, second, third)] == [1, 3, 2]
    follow(client, client.post(f"/applications/{first.id}/waitlist-down"))
    assert [reload(a).waitlist_rank for a in (first, second, third)] == [2, 3, 1]
    follow(client, client.post(f"/applications/{third.id}/waitlist-up"))  # already first

    response = client.get(f"/applications/cohorts/{cohort.id}?sort=rank")
    assert names_on(response) == ["Wait Three", "Wait One", "Wait Two"]
    assert len(audit_entries("application.waitlist_moved")) == 2
    status = text(client.get(status_url(third)))
    assert en("Waitlist rank") in status


def test_bulk_accept_fills_the_places_and_names_those_refused(
    client, manager, make_open_cohort, make_application
):
    cohort = make_open_cohort(capacity=3)
    applications = [make_application(cohort, name=f"Bulk {n}") for n in range(1, 6)]

    response = client.post(
        f"/applications/cohorts/{cohort.id}/bulk",
        data={"ids": [str(a.id) for a in applications], "action": "accept", "reason": ""},
    )

    page = follow(client, response)
    full = en(
        "The cohort is full: all %(n)d places are taken. Waitlist the applicant instead.", n=3
    )
    assert en("%(n)d applicant(s) changed.", n=3) in alerts(page, "success")
    assert alerts(page, "warning") == [f"Bulk 4: {full}", f"Bulk 5: {full}"]
    assert [reload(a).stage for a in applications] == [Stage.ACCEPTED] * 3 + [Stage.SUBMITTED] * 2
    assert_seats_consistent(cohort, 3)
    assert len(audit_entries("application.accepted")) == 3


def test_bulk_reject_needs_a_reason_and_stays_on_this_site(
    client, manager, cohort, make_application
):
    applications = [make_application(cohort) for _ in range(3)]
    ids = [str(a.id) for a in applications]
    url = f"/applications/cohorts/{cohort.id}/bulk"

    page = follow(client, client.post(url, data={"ids": ids, "action": "reject", "reason": ""}))
    assert en("Give the reason for the rejection.") in alerts(page, "danger")
    assert [reload(a).stage for a in applications] == [Stage.SUBMITTED] * 3

    response = client.post(
        url,
        data={
            "ids": ids,
            "action": "reject",
            "reason": "Outside the target group",
            "back": "https://evil.example/phish",
        },
    )
    assert response.status_code == 302
    assert "evil.example" not in response.location
    assert [reload(a).stage for a in applications] == [Stage.REJECTED] * 3
    assert {e.changes["reason"][1] for e in audit_entries("application.rejected")} == {
        "Outside the target group"
    }
    back = client.post(
        url,
        data={"ids": ids, "action": "advance", "back": f"/applications/cohorts/{cohort.id}?q=x"},
    )
    assert back.location.endswith(f"/applications/cohorts/{cohort.id}?q=x")


def test_accepting_beyond_capacity_is_refused_by_the_service(
    manager, make_open_cohort, make_application
):
    cohort = make_open_cohort(capacity=1)
    first, second = make_application(cohort), make_application(cohort)
    services.accept(manager, first)
    db.session.commit()

    with pytest.raises(CohortFull):
        services.accept(manager, second)
    db.session.rollback()

    assert reload(second).stage == Stage.SUBMITTED
    assert_seats_consistent(cohort, 1)
    with pytest.raises(Conflict):
        services.accept(manager, reload(first))  # already accepted


def _accepted_behind_the_sessions_back(application: Application) -> None:
    """Another manager accepts the applicant in their own transaction, meanwhile."""
    with db.engine.begin() as other:
        other.execute(
            sa.update(Cohort)
            .where(Cohort.id == application.cohort_id)
            .values(seats_taken=Cohort.seats_taken + 1)
        )
        other.execute(
            sa.update(Application)
            .where(Application.id == application.id)
            .values(stage=Stage.ACCEPTED)
        )


@pytest.mark.parametrize("step", ["reject", "withdraw"])
def test_a_step_taken_on_a_stale_stage_never_leaks_a_place(manager, cohort, make_application, step):
    """The page was loaded while the applicant was in the interview; before the step is
    stored, another manager accepts them. The step must not move them from 'accepted'
    as if they held no place: either it is refused or the place is given back."""
    application = make_application(cohort, stage=Stage.INTERVIEW)
    assert application.stage == Stage.INTERVIEW  # loaded, as the request would
    _accepted_behind_the_sessions_back(application)

    try:
        if step == "reject":
            services.reject(manager, application, "Not a fit")
        else:
            services.withdraw(application)
    except Conflict:
        db.session.rollback()
    else:
        db.session.commit()

    assert_seats_consistent(cohort, 1 if reload(application).stage == Stage.ACCEPTED else 0)


# --- the waitlist moves up -------------------------------------------------------------


def test_a_freed_place_is_offered_to_the_first_waitlisted_and_passes_on(
    app, client, manager, public, make_open_cohort, make_application
):
    cohort = make_open_cohort(capacity=2)  # three days to take an offer
    first, second = (
        make_application(cohort, name="Acc One"),
        make_application(cohort, name="Acc Two"),
    )
    waiting = [make_application(cohort, name=f"Wait {n}") for n in (1, 2, 3)]
    for application in (first, second):
        services.accept(manager, application)
    for application in waiting:
        services.waitlist(manager, application)
    db.session.commit()
    assert_seats_consistent(cohort, 2)
    today = today_in_seoul()

    # An accepted applicant withdraws: the first waitlisted is offered the place.
    follow(public, public.post(f"{status_url(first)}/withdraw"))
    offered = reload(waiting[0])
    assert offered.stage == Stage.OFFERED
    assert offered.offer_expires_on == today + timedelta(days=3)
    offer_mail = mails_to(offered.email)[-1]
    with force_locale(offered.locale):
        assert format_date(offered.offer_expires_on) in offer_mail.body
    assert status_url(offered) in offer_mail.body
    assert reload(waiting[1]).stage == Stage.WAITLISTED
    assert_seats_consistent(cohort, 2)

    # Taking the offer through the status link.
    page = text(public.get(status_url(offered)))
    assert en("Take the place") in page
    page = follow(public, public.post(f"{status_url(offered)}/accept-offer"))
    assert en("You took the place. See you at the start of training.") in page
    assert reload(offered).stage == Stage.ACCEPTED
    assert_seats_consistent(cohort, 2)

    # The other accepted applicant withdraws; the next offer is not taken in time.
    follow(public, public.post(f"{status_url(second)}/withdraw"))
    lapsing = reload(waiting[1])
    assert lapsing.stage == Stage.OFFERED
    later = lapsing.offer_expires_on + timedelta(days=1)
    with force_locale("en"), pytest.raises(Conflict):
        services.accept_offer(lapsing, today=later)
    db.session.rollback()
    assert services.expire_offers(today=lapsing.offer_expires_on) == 0  # the last day still counts
    assert services.expire_offers(today=later) == 1
    db.session.commit()
    assert reload(lapsing).stage == Stage.LAPSED
    last = reload(waiting[2])
    assert last.stage == Stage.OFFERED
    assert last.offer_expires_on == later + timedelta(days=3)
    assert_seats_consistent(cohort, 2)
    assert len(audit_entries("application.offer_lapsed")) == 1

    # The CLI (cron) lapses the last offer; nobody is left to offer it to.
    last.offer_expires_on = today - timedelta(days=1)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["applications", "expire-offers"])
    assert result.exit_code == 0, result.output
    assert "1 offer(s) lapsed" in result.output
    assert reload(last).stage == Stage.LAPSED
    assert_seats_consistent(cohort, 1)


def test_a_declined_offer_and_a_rejected_acceptance_pass_the_place_on(
    client, manager, public, make_open_cohort, make_application
):
    cohort = make_open_cohort(capacity=1)
    holder = make_application(cohort, name="Holder")
    first, second = make_application(cohort, name="Next 1"), make_application(cohort, name="Next 2")
    services.accept(manager, holder)
    services.waitlist(manager, first)
    services.waitlist(manager, second)
    db.session.commit()

    follow(client, client.post(f"/applications/{holder.id}/reject", data={"reason": "No show"}))
    assert reload(first).stage == Stage.OFFERED
    assert_seats_consistent(cohort, 1)

    page = follow(public, public.post(f"{status_url(first)}/decline-offer"))
    assert en("You declined the place; your application is withdrawn.") in page
    assert reload(first).stage == Stage.WITHDRAWN
    assert reload(second).stage == Stage.OFFERED
    assert_seats_consistent(cohort, 1)


# --- enrolment -------------------------------------------------------------------------


def test_enrolment_creates_the_roster_entry_and_a_trainee_account(
    client, manager, cohort, make_application
):
    application = make_application(cohort, name="New Trainee", email="new.trainee@example.com")
    services.accept(manager, application)
    db.session.commit()

    page = follow(client, client.post(f"/applications/{application.id}/enroll"))

    assert (
        en("{name} is enrolled; the trainee account is ready.").format(name="New Trainee") in page
    )
    user = db.session.scalar(db.select(User).where(User.email == "new.trainee@example.com"))
    assert (user.role, user.campus_id, user.name) == (Role.TRAINEE, cohort.campus_id, "New Trainee")
    (enrollment,) = db.session.scalars(db.select(Enrollment)).all()
    assert (enrollment.cohort_id, enrollment.user_id, enrollment.application_id) == (
        cohort.id,
        user.id,
        application.id,
    )
    stored = reload(application)
    assert (stored.stage, stored.user_id) == (Stage.ENROLLED, user.id)
    assert any("/auth/set-password/" in m.body for m in mails_to("new.trainee@example.com"))
    assert_seats_consistent(cohort, 1)

    page = follow(client, client.post(f"/applications/{application.id}/enroll"))
    assert en("%(name)s is already enrolled.", name="New Trainee") in alerts(page, "danger")
    assert count(Enrollment) == 1
    assert count(User, User.email == "new.trainee@example.com") == 1


def test_enrolment_links_an_existing_trainee_account_by_email(
    client, manager, cohort, make_application, make_user
):
    existing = make_user(Role.TRAINEE, email="known@example.com", name="Known Trainee")
    application = make_application(cohort, email="Known@Example.com")
    services.accept(manager, application)
    db.session.commit()
    users_before = count(User)

    follow(client, client.post(f"/applications/{application.id}/enroll"))

    assert count(User) == users_before
    (enrollment,) = db.session.scalars(db.select(Enrollment)).all()
    assert enrollment.user_id == existing.id
    assert reload(application).user_id == existing.id
    assert not any("/auth/set-password/" in m.body for m in mails_to("known@example.com"))


def test_the_email_of_a_staff_account_cannot_be_enrolled(
    client, manager, cohort, make_application, make_user
):
    staff = make_user(Role.COORDINATOR, email="staff.member@example.com")
    application = make_application(cohort, email="staff.member@example.com")
    services.accept(manager, application)
    db.session.commit()

    page = follow(client, client.post(f"/applications/{application.id}/enroll"))

    assert en(
        "%(email)s belongs to a staff account; it cannot be enrolled as a trainee.",
        email="staff.member@example.com",
    ) in alerts(page, "danger")
    assert count(Enrollment) == 0
    assert reload(application).stage == Stage.ACCEPTED
    assert reload(staff).role == Role.COORDINATOR
    assert_seats_consistent(cohort, 1)
