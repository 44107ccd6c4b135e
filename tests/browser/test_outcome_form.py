"""The outcome form in real Chromium: only the part of the chosen outcome shows (app.js hides
and disables the others), and a contradiction or gap is refused with every problem beside
its field at once. Read-only over the demo data: every submission here is refused.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from sesac_ms.demo import DEMO_PASSWORD
from sesac_ms.extensions import db
from sesac_ms.models import Enrollment, EnrollmentStatus

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
SHOTS = Path("/work/notes/shots/B")


def _log_in(page: Page) -> None:
    page.goto("/auth/login")
    page.locator('input[name="email"]').fill("admin@sesac.example")
    page.locator('input[name="password"]').fill(DEMO_PASSWORD)
    page.locator('input[name="password"]').press("Enter")
    page.wait_for_url(lambda url: "/auth/login" not in url)


def _part(page: Page, kinds: str):
    return page.locator(f'fieldset[data-outcome-kinds="{kinds}"]')


@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_outcome_form_shows_only_the_chosen_part_and_every_error_at_once(
    browser: Browser, live_server: str, live_app: Flask, width
):
    with live_app.app_context():
        enrollment_id = db.session.scalar(
            db.select(Enrollment.id)
            .where(Enrollment.status == EnrollmentStatus.COMPLETED)
            .order_by(Enrollment.id)
        )
    assert enrollment_id is not None, "the demo data has completed trainees"
    context = browser.new_context(base_url=live_server, viewport=WIDTHS[width], locale="en-GB")
    try:
        page = context.new_page()
        _log_in(page)
        page.goto(f"/placements/{enrollment_id}")
        kind = page.locator("select#kind")

        kind.select_option("employed")
        expect(_part(page, "employed founded")).to_be_visible()
        expect(_part(page, "employed")).to_be_visible()
        expect(_part(page, "excluded")).to_be_hidden()
        expect(page.locator("[data-outcome-note]")).to_be_hidden()

        kind.select_option("excluded")
        expect(_part(page, "excluded")).to_be_visible()
        expect(_part(page, "employed founded")).to_be_hidden()
        expect(_part(page, "employed")).to_be_hidden()
        expect(page.locator("#salary_band")).to_be_disabled()  # a hidden part is not sent

        # An exclusion without its reason, with no date, marked verified without a method.
        page.locator("#outcome_on").fill("")
        page.locator("#verification_state").select_option("verified")
        SHOTS.mkdir(parents=True, exist_ok=True)
        with page.expect_navigation():
            page.locator('form[action$="/outcome"] button[type="submit"]').click()
        for field in ("outcome_on", "exclusion_reason", "verification"):
            expect(page.locator(f"#{field}-error")).to_be_visible()
            expect(page.locator(f'form[action$="/outcome"] #{field}')).to_have_attribute(
                "aria-invalid", "true"
            )
        expect(_part(page, "excluded")).to_be_visible()  # the chosen kind is kept
        page.screenshot(path=str(SHOTS / f"outcome_form_errors_{width}.png"), full_page=True)
        width_of_page = page.evaluate("document.documentElement.scrollWidth")
        assert width_of_page <= WIDTHS[width]["width"]
    finally:
        context.close()
