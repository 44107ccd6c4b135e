"""The referrals page as the coordinator uses it: every row at a step before the last has
its own status form, with its own CSRF token and no id (every row repeats the same fields,
named by their aria-label), so the page holds each id once; the cohorts offered are
escaped and the chosen one selected, however the kept options were made.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta
from html.parser import HTMLParser

import pytest

from sesac_ms.applications.services import today_in_seoul
from sesac_ms.extensions import db
from sesac_ms.models import (
    CohortStatus,
    Enrollment,
    EnrollmentStatus,
    Referral,
    ReferralStatus,
    Role,
)
from sesac_ms.placements import services
from tests.conftest import login

ENDED = today_in_seoul() - timedelta(days=60)


class Page(HTMLParser):
    """Every id on the page, and the status forms (their action, and each element inside
    them as (tag, attributes))."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.forms: dict[str, list[tuple[str, dict[str, str]]]] = {}
        self._form: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if "id" in attributes:
            self.ids.append(attributes["id"])
        if tag == "form" and attributes.get("action", "").endswith("/status"):
            self._form = attributes["action"]
            self.forms[self._form] = []
        elif self._form is not None:
            self.forms[self._form].append((tag, attributes))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None


@pytest.fixture
def referrals(make_cohort, make_course, make_user, campus) -> list[Referral]:
    """A finished cohort (its course's title needing escapes) with a referral at each step."""
    course = make_course(title="R&D <데이터> 과정")
    cohort = make_cohort(
        course=course,
        status=CohortStatus.FINISHED,
        recruit_start_on=ENDED - timedelta(days=150),
        recruit_end_on=ENDED - timedelta(days=130),
        start_on=ENDED - timedelta(days=120),
        end_on=ENDED,
    )
    actor = make_user(Role.COORDINATOR, name="추천 코디")
    company = services.create_company(actor, campus_id=campus.id, name="한빛제조")
    made = []
    for n, status in enumerate(ReferralStatus):
        trainee = make_user(Role.TRAINEE, name=f"교육생{n}")
        enrollment = Enrollment(
            cohort_id=cohort.id,
            user_id=trainee.id,
            status=EnrollmentStatus.COMPLETED,
            status_on=ENDED,
        )
        db.session.add(enrollment)
        db.session.flush()
        referral = services.refer(actor, enrollment, company, position="분석", consent=True)
        referral.status = status
        made.append(referral)
    db.session.commit()
    return made


def _open(referrals: list[Referral]) -> set[str]:
    return {
        f"/placements/referrals/{r.id}/status"
        for r in referrals
        if r.status not in (ReferralStatus.HIRED, ReferralStatus.NOT_HIRED)
    }


@pytest.mark.parametrize("query", ["", "?cohort_id={cohort}"], ids=["list", "with the form"])
def test_the_referrals_page_holds_each_id_once(client, login_as, referrals, query):
    login_as(Role.COORDINATOR, locale="en")
    url = "/placements/referrals" + query.format(cohort=referrals[0].enrollment.cohort_id)

    page = Page(client.get(url).get_data(as_text=True))

    assert set(page.forms) == _open(referrals)  # a form on each row with a next step
    repeated = [i for i, n in Counter(page.ids).items() if n > 1]
    assert not repeated, f"ids on the page more than once: {repeated}"
    for fields in page.forms.values():
        assert [a for _, a in fields if "id" in a] == []
        named = {a["name"]: a for t, a in fields if t in ("select", "input")}
        assert named["status"]["aria-label"] == "Next step"
        assert named["started_on"]["aria-label"] == "Job starts on (when hired)"


def test_no_step_is_chosen_beforehand_and_none_chosen_changes_nothing(client, login_as, referrals):
    login_as(Role.COORDINATOR, locale="en")
    html = client.get("/placements/referrals").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="status"[^>]*>(.*?)</select>', html, re.S)
    assert select is not None
    assert select.group(1).startswith('<option value="">—</option>')
    assert "selected" not in select.group(1)

    proposed = referrals[0]
    response = client.post(
        f"/placements/referrals/{proposed.id}/status", data={"status": ""}, follow_redirects=True
    )
    assert "Choose the next step." in response.get_data(as_text=True)
    db.session.expire_all()
    assert proposed.status == ReferralStatus.PROPOSED


def test_every_status_form_carries_the_csrf_token(make_app, make_user, referrals):
    app = make_app(WTF_CSRF_ENABLED=True)
    browser = app.test_client()
    coordinator = make_user(Role.COORDINATOR, locale="en")
    html = browser.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    assert login(browser, coordinator.email, csrf_token=token).status_code == 302

    page = Page(browser.get("/placements/referrals").get_data(as_text=True))

    assert set(page.forms) == _open(referrals)
    for fields in page.forms.values():
        [csrf] = [a for t, a in fields if a.get("name") == "csrf_token"]
        assert csrf["type"] == "hidden" and csrf["value"] and "id" not in csrf


def test_the_cohorts_offered_are_escaped_and_the_chosen_one_selected(client, login_as, referrals):
    login_as(Role.COORDINATOR, locale="ko")
    cohort = referrals[0].enrollment.cohort
    escaped = "R&amp;D &lt;데이터&gt; 과정"

    listed = client.get("/placements/referrals").get_data(as_text=True)
    chosen = client.get(f"/placements/referrals?cohort_id={cohort.id}").get_data(as_text=True)

    assert f'<option value="{cohort.id}">' in listed and escaped in listed
    assert f'<option value="{cohort.id}" selected>' in chosen and escaped in chosen
    assert "<데이터>" not in listed + chosen
