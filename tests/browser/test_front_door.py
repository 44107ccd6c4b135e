"""A visitor on a phone finds a cohort on the front door, applies, and meets the limit kindly.

The visitor opens `/`, filters by campus and field, opens the cohort's readable link and
applies. The limit here is one application per address and hour, so a second person on the
same connection gets the 429 page: it says the wait in minutes (and `Retry-After`), keeps
everything they typed and offers the form again, not a staff dashboard.

It runs against a second live server on the same database as `live_server`, with rate
limits on (the shared server runs without them), and its own recruiting cohort on the 마포
campus, so the other flows see the demo data as it was.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect
from werkzeug.serving import make_server

from sesac_ms import create_app
from sesac_ms.clock import today_in_seoul
from sesac_ms.extensions import db, limiter
from sesac_ms.models import Campus, Cohort, CohortStatus, Course, Track

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
TITLE = "AI 서비스 기획 취업캠프"


@pytest.fixture(scope="module")
def limited_server(live_app: Flask) -> Iterator[str]:
    """A server with a limit of one application per address and hour; yields its base URL."""
    was_enabled = limiter.enabled
    app = create_app(
        {
            "SECRET_KEY": live_app.config["SECRET_KEY"],
            "SQLALCHEMY_DATABASE_URI": live_app.config["SQLALCHEMY_DATABASE_URI"],
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "APPLY_RATE_LIMIT": "1 per hour",
            "APPLY_FORM_MIN_SECONDS": 0,
        }
    )
    with app.app_context():
        mapo = db.session.scalar(db.select(Campus).where(Campus.name_ko == "마포"))
        course = Course(campus_id=mapo.id, title=TITLE, track=Track.AI_CORE_SW)
        db.session.add(course)
        db.session.flush()
        today = today_in_seoul()
        db.session.add(
            Cohort(
                course_id=course.id,
                number=1,
                capacity=24,
                status=CohortStatus.RECRUITING,
                recruit_start_on=today - timedelta(days=2),
                recruit_end_on=today + timedelta(days=12),
                start_on=today + timedelta(days=30),
                end_on=today + timedelta(days=150),
            )
        )
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        limiter.enabled = was_enabled  # one limiter per process: leave the others unlimited
        with app.app_context():
            db.engine.dispose()


def fill_form(page: Page, name: str, email: str) -> None:
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("E-mail", exact=True).fill(email)
    page.get_by_label("Mobile phone", exact=True).fill("010-2345-6789")
    page.get_by_label("Birth date", exact=True).fill("2001-05-20")
    page.get_by_label("District you live in", exact=True).select_option(value="마포구")
    page.get_by_label("Current employment", exact=True).select_option(value="unemployed")
    page.get_by_label("Education", exact=True).select_option(value="university")
    page.get_by_label("Why do you apply?", exact=True).fill(f"{name} wants to plan AI services.")
    page.get_by_label(re.compile("I agree to the collection and use")).check()


def test_a_visitor_finds_a_cohort_applies_and_keeps_the_input_at_the_limit(
    browser: Browser, limited_server: str, output_path: str
) -> None:
    os.makedirs(output_path, exist_ok=True)
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(f"{limited_server}/")
        page.get_by_role("button", name="English").click()
        # The front door, not the log-in page.
        expect(page.get_by_role("link", name="Log in (staff and trainees)")).to_be_visible()
        expect(page.get_by_role("heading", name="How selection works")).to_be_visible()
        page.get_by_label("Campus", exact=True).select_option(label="Mapo (1)")
        page.get_by_label("Field", exact=True).select_option(value=Track.AI_CORE_SW.value)
        page.get_by_role("button", name="Show").click()
        expect(page).to_have_url(re.compile(r"/\?campus=\d+&field=ai_core_sw$"))
        cohorts = page.get_by_role("link", name=re.compile(r"^Apply"))
        expect(cohorts).to_have_count(1)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=f"{output_path}/front-door-phone.png", full_page=True)
        page.set_viewport_size(DESKTOP)
        page.screenshot(path=f"{output_path}/front-door-desktop.png", full_page=True)
        page.set_viewport_size(PHONE)

        cohorts.click()
        expect(page).to_have_url(re.compile(r"/apply/\d+-mapo-1$"))
        fill_form(page, "Kim Minji", "minji@example.com")
        page.get_by_role("button", name="Send my application").click()
        expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()

        # A friend on the same Wi-Fi applies next: the limit of one per hour is reached.
        page.go_back()
        page.reload()
        fill_form(page, "Lee Seojun", "seojun@example.com")
        with page.expect_response(re.compile(r"/apply/\d+-mapo-1$")) as sent:
            page.get_by_role("button", name="Send my application").click()
        assert sent.value.status == 429
        assert int(sent.value.headers["retry-after"]) > 0
        expect(page.get_by_role("alert")).to_contain_text(
            re.compile(r"send the form again in \d+ minutes?")
        )
        expect(page.get_by_label("Name", exact=True)).to_have_value("Lee Seojun")
        expect(page.get_by_label("E-mail", exact=True)).to_have_value("seojun@example.com")
        expect(page.get_by_label("Why do you apply?", exact=True)).to_have_value(
            "Lee Seojun wants to plan AI services."
        )
        expect(page.get_by_role("button", name="Send my application")).to_be_visible()
        expect(page.get_by_role("link", name=re.compile("dashboard", re.I))).to_have_count(0)
        page.screenshot(path=f"{output_path}/apply-429-phone.png", full_page=True)
    finally:
        context.close()
