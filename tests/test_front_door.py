"""The public front door: `/` for visitors, readable cohort links, every form error at once,
"I lost my link", and abuse protection that counts only real applications.

A visitor is not logged in; the limits are switched on per test with a tiny setting and a
client address of the test's own, so no two tests share a bucket.
"""

from __future__ import annotations

import re
import uuid

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner

from sesac_ms.applications import services
from sesac_ms.applications.forms import OPENED, form_age_signer
from sesac_ms.applications.recruiting import cohort_slug
from sesac_ms.errors import InvalidInput
from sesac_ms.models import Application, CohortStatus, OutboxMessage, Role, Track
from tests.test_applications import (
    count,
    en,
    english,
    field_errors,
    form_data,
    mails_to,
    status_url,
    text,
)


def address() -> str:
    return f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"


def apply_path(cohort) -> str:
    return f"/apply/{cohort.id}-{cohort_slug(cohort)}"


def stamp(seconds_ago: int) -> str:
    """A form-age token as if the form had been opened `seconds_ago`."""

    class Backdated(TimestampSigner):
        def get_timestamp(self) -> int:
            return super().get_timestamp() - seconds_ago

    return form_age_signer(signer=Backdated).dumps(OPENED)


def input_value(response, name: str) -> str | None:
    match = re.search(rf'<input\b[^>]*\bname="{name}"[^>]*>', response.get_data(as_text=True))
    if match is None:
        return None
    value = re.search(r'\bvalue="([^"]*)"', match.group(0))
    return value.group(1) if value else ""


@pytest.fixture
def visitor(app: Flask) -> FlaskClient:
    return english(app.test_client())


@pytest.fixture
def limited(make_app):
    """An app with the limits on; `limited(SETTING=...)` returns an English client of it."""

    def factory(**limits) -> FlaskClient:
        limited_app = make_app(RATELIMIT_ENABLED=True, **limits)
        return english(limited_app.test_client())

    return factory


# --- the front page ------------------------------------------------------------------------


def test_visitors_get_the_public_page_and_users_their_dashboard(
    visitor, client, login_as, make_course, make_open_cohort
):
    cohort = make_open_cohort(course=make_course(title="Data Camp"), capacity=25)
    cohort.deposit_amount = 100_000
    make_open_cohort(course=make_course(title="Planned Camp"), status=CohortStatus.PLANNED)

    page = text(visitor.get("/"))

    assert "Data Camp" in page and "Planned Camp" not in page
    assert f'href="{apply_path(cohort)}"' in page
    assert en("%(n)d places", n=25) in page
    assert "100,000" in page  # the refundable deposit, with the cohort
    assert en("How selection works") in page
    assert 'action="/apply/lost-link"' in page
    assert 'href="/auth/login"' in page
    assert 'action="/auth/logout"' not in page
    login_as(Role.MANAGER)
    assert 'action="/auth/logout"' in text(client.get("/"))  # logged in: the dashboard


def test_the_filters_are_in_the_url_labelled_and_narrow_the_list(
    visitor, campus, make_campus, make_course, make_open_cohort
):
    other = make_campus("마포", name_en="Mapo", district="마포구", opening_order=3)
    guro_dx = make_open_cohort(course=make_course(title="Guro DX", track=Track.AI_CONVERGENCE_DX))
    guro_sw = make_open_cohort(course=make_course(title="Guro SW", track=Track.AI_CORE_SW))
    mapo_sw = make_open_cohort(
        course=make_course(campus=other, title="Mapo SW", track=Track.AI_CORE_SW)
    )

    page = text(visitor.get(f"/?campus={campus.id}&field=ai_core_sw"))

    assert "Guro SW" in page
    assert "Guro DX" not in page and "Mapo SW" not in page
    assert '<label class="form-label" for="filter-campus">' in page
    assert '<label class="form-label" for="filter-field">' in page
    assert f'<option value="{campus.id}" selected>' in page
    by_field = text(visitor.get("/?field=ai_core_sw"))
    assert "Guro SW" in by_field and "Mapo SW" in by_field and "Guro DX" not in by_field
    # A value that is not a choice is ignored rather than an error.
    everything = text(visitor.get("/?campus=999999&field=cooking"))
    assert all(c.course.title in everything for c in (guro_dx, guro_sw, mapo_sw))
    # Campuses are listed in opening order with their count of open cohorts.
    assert everything.index("Mapo (1)") < everything.index("Guro (2)")


def test_the_front_page_runs_the_same_queries_for_two_cohorts_or_twelve(
    visitor, make_campus, make_course, make_open_cohort, count_queries
):
    def add(n: int) -> None:
        for _ in range(n):
            make_open_cohort(course=make_course(campus=make_campus()))

    add(2)
    with count_queries() as few:
        assert visitor.get("/").status_code == 200
    add(10)
    with count_queries() as many:
        page = text(visitor.get("/"))
    assert len(re.findall(r'href="/apply/\d+-', page)) == 12
    assert many() == few()


def test_cohort_links_are_readable_and_old_addresses_still_lead_there(visitor, make_open_cohort):
    cohort = make_open_cohort()
    readable = apply_path(cohort)
    assert re.fullmatch(rf"/apply/{cohort.id}-guro-{cohort.number}", readable)

    assert visitor.get(readable).status_code == 200
    for old in (
        f"/apply/{cohort.id}",
        f"/apply/{cohort.id}-some-old-name",
        f"/applications/apply/{cohort.id}",
    ):
        assert visitor.get(old).location == readable, old
    assert visitor.get(f"/applications/apply/{cohort.id}/sent").location == readable + "/sent"
    assert visitor.get("/applications/open").location == "/"
    assert visitor.get("/apply/").location == "/"
    assert visitor.get("/apply/999999").status_code == 404


# --- every error at once -------------------------------------------------------------------


EVERY_FIELD_WRONG = {
    "name": "   ",
    "email": "not-an-email",
    "phone": "12345",
    "birth_date": "2999-01-01",
    "district": "Atlantis",
    "employment_status": "astronaut",
    "education": "none",
    "motivation": "",
    "portfolio_url": "javascript:alert(1)",
    "consent": None,
}


def test_the_form_shows_every_problem_at_once_beside_its_field(visitor, make_open_cohort):
    cohort = make_open_cohort()

    response = visitor.post(apply_path(cohort), data=form_data(**EVERY_FIELD_WRONG))

    assert response.status_code == 200
    for field in EVERY_FIELD_WRONG:
        assert field_errors(response, field), f"no message beside {field}"
    assert en("Enter a mobile number such as 010-1234-5678.") in field_errors(response, "phone")
    assert en("The portfolio link must start with http:// or https://.") in field_errors(
        response, "portfolio_url"
    )
    assert en("Agree to the collection and use of personal data to apply.") in field_errors(
        response, "consent"
    )
    assert input_value(response, "email") == "not-an-email"  # what was typed stays
    assert count(Application) == 0 and count(OutboxMessage) == 0


def test_the_service_reports_every_problem_and_still_refuses_alone(app, make_open_cohort):
    cohort = make_open_cohort()
    details = services.ApplicantDetails(
        name="",
        email="not-an-email",
        phone="12345",
        birth_date=None,
        district="Atlantis",
        seoul_university=False,
        employment_status="astronaut",
        education="none",
        motivation="",
        portfolio_url="javascript:alert(1)",
    )

    problems = services.validate_application(details, consent=False)

    assert set(problems) == set(EVERY_FIELD_WRONG)
    with pytest.raises(InvalidInput):
        services.submit_application(cohort, details, consent=True, send_mail=False)
    assert count(Application) == 0


# --- bots ----------------------------------------------------------------------------------


def test_a_filled_honeypot_looks_sent_but_stores_nothing(visitor, make_open_cohort):
    cohort = make_open_cohort()
    form = text(visitor.get(apply_path(cohort)))
    honeypot = re.search(r'<div class="visually-hidden" aria-hidden="true">(.*?)</div>', form, re.S)
    assert honeypot and 'tabindex="-1"' in honeypot.group(1) and "<label" in honeypot.group(1)

    response = visitor.post(apply_path(cohort), data=form_data(homepage="http://spam.example"))

    assert response.location == apply_path(cohort) + "/sent"
    assert count(Application) == 0 and count(OutboxMessage) == 0


@pytest.mark.parametrize(
    "opened", ["seconds ago", "two days ago", "forged", "missing"], ids=lambda o: o
)
def test_a_form_sent_too_fast_or_too_late_is_asked_again_with_the_input_kept(
    visitor, make_open_cohort, opened
):
    cohort = make_open_cohort()
    token = {
        "seconds ago": lambda: stamp(0),
        "two days ago": lambda: stamp(2 * 24 * 3600),
        "forged": lambda: stamp(60)[:-2] + "xx",
        "missing": lambda: None,
    }[opened]()

    response = visitor.post(apply_path(cohort), data=form_data(opened=token, name="Kim Minji"))

    assert response.status_code == 200
    page = text(response)
    assert "send the form again" in page
    assert input_value(response, "name") == "Kim Minji"
    assert count(Application) == 0
    # The re-rendered form carries a token that a person's second try passes with: the
    # same when it is only too early, a new one when it was old or not ours.
    fresh = input_value(response, "opened")
    assert fresh and (fresh == token) == (opened == "seconds ago")


# --- limits that count only real applications ----------------------------------------------


def test_rejected_submissions_do_not_count_and_the_429_keeps_the_input(limited, make_open_cohort):
    visitor = limited(APPLY_RATE_LIMIT="2 per hour")
    cohort = make_open_cohort()
    here = address()

    def send(**values):
        return visitor.post(
            apply_path(cohort), data=form_data(**values), environ_base={"REMOTE_ADDR": here}
        )

    for _ in range(5):
        assert send(email="typo").status_code == 200  # refused by validation, not counted
    assert send(email="one@example.com").status_code == 302
    assert send(email="two@example.com").status_code == 302
    refused = send(email="three@example.com", motivation="I want to learn data analysis.")

    assert refused.status_code == 429
    wait = int(refused.headers["Retry-After"])
    assert 0 < wait <= 3601
    page = text(refused)
    said = re.search(r"send the form again in (\d+) minutes?\.", page)
    assert said and int(said.group(1)) in (-(-wait // 60), -(-(wait + 1) // 60))  # rounded up
    assert input_value(refused, "email") == "three@example.com"
    assert "I want to learn data analysis." in page
    assert re.search(r'<form method="post"', page)  # the form itself, ready to send again
    assert "/auth/login" not in page.split("<main", 1)[1].split("</main>")[0]
    assert "dashboard" not in page.lower().split("<main", 1)[1]
    assert count(Application) == 2
    # Another address (another campus) is not held up.
    other = visitor.post(
        apply_path(cohort),
        data=form_data(email="four@example.com"),
        environ_base={"REMOTE_ADDR": address()},
    )
    assert other.status_code == 302


def test_one_email_is_bounded_per_cohort_from_any_address(limited, make_open_cohort):
    visitor = limited(APPLY_EMAIL_RATE_LIMIT="1 per hour")
    cohort = make_open_cohort()

    def send(email: str):
        return visitor.post(
            apply_path(cohort), data=form_data(email=email), environ_base={"REMOTE_ADDR": address()}
        )

    assert send("same@example.com").status_code == 302
    assert send("SAME@example.com").status_code == 429
    assert send("else@example.com").status_code == 302
    assert len(mails_to("same@example.com")) == 1


def test_status_actions_have_a_bucket_of_their_own(
    limited, make_open_cohort, make_application, app
):
    visitor = limited(APPLY_RATE_LIMIT="1 per hour", STATUS_ACTION_RATE_LIMIT="1 per hour")
    cohort = make_open_cohort()
    here = address()
    first, second = make_application(cohort), make_application(cohort)
    environ = {"REMOTE_ADDR": here}
    assert (
        visitor.post(apply_path(cohort), data=form_data(), environ_base=environ).status_code == 302
    )

    withdrawn = visitor.post(status_url(first) + "/withdraw", environ_base=environ)
    refused = visitor.post(status_url(second) + "/withdraw", environ_base=environ)

    assert withdrawn.status_code == 302  # the apply bucket is full; this one is not
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "try again in" in text(refused)
    assert en("Withdraw my application") in text(refused)  # the status page, to try again
    assert second.stage.value == "submitted"


# --- "I lost my link" ----------------------------------------------------------------------


def comparable(response, email: str) -> str:
    return response.get_data(as_text=True).replace(email, "EMAIL")


def test_lost_link_answers_alike_and_mails_only_an_address_that_applied(
    visitor, app, make_open_cohort, make_application
):
    first, second = make_open_cohort(), make_open_cohort()
    applications = [
        make_application(first, email="kim@example.com"),
        make_application(second, email="kim@example.com"),
    ]
    other = english(app.test_client())

    known = visitor.post("/apply/lost-link", data={"email": "Kim@Example.com"})
    unknown = other.post("/apply/lost-link", data={"email": "nobody@example.com"})

    assert known.status_code == unknown.status_code == 302
    assert known.location == unknown.location
    shown_known, shown_unknown = visitor.get(known.location), other.get(unknown.location)
    assert shown_known.status_code == shown_unknown.status_code == 200
    assert comparable(shown_known, "kim@example.com") == comparable(
        shown_unknown, "nobody@example.com"
    )
    (mail,) = mails_to("kim@example.com")
    for application in applications:
        assert f"http://localhost{status_url(application)}" in mail.body
    assert mails_to("nobody@example.com") == []


def test_lost_link_refuses_a_bad_address_beside_the_field(visitor):
    response = visitor.post("/apply/lost-link", data={"email": "not-an-email"})
    assert response.status_code == 200
    assert field_errors(response, "email")


def test_lost_link_is_bounded_per_email_and_keeps_the_address(limited, make_open_cohort):
    visitor = limited(LOST_LINK_EMAIL_RATE_LIMIT="1 per hour")

    def ask():
        return visitor.post(
            "/apply/lost-link",
            data={"email": "flood@example.com"},
            environ_base={"REMOTE_ADDR": address()},
        )

    assert ask().status_code == 302
    refused = ask()
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert input_value(refused, "email") == "flood@example.com"
    assert "send it again in" in text(refused)
