"""Page links in real Chromium, on a phone: named, marked, reached and followed by keyboard.

The demo campus gets enough companies for a second page and the access log enough entries
for an "Older" page. On a 390 px screen each list's page links fit without sideways
scrolling, axe-core finds no serious problem, and the keyboard alone (Tab, then Enter)
follows a page link to the next page, where the filters of the URL are still applied.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Browser, expect

from sesac_ms import audit
from sesac_ms.auth.services import find_user_by_email
from sesac_ms.demo import DEMO_CAMPUS
from sesac_ms.extensions import db
from sesac_ms.models import Campus, Company, PersonalDataAccess
from sesac_ms.models.audit import AccessAction
from tests.browser.test_keyboard import PHONE, focused, log_in_by_keyboard
from tests.browser.test_sweep import AXE, AXE_RUN_JS, AXE_TAGS, BLOCKING_IMPACTS, OVERFLOW_JS

pytestmark = pytest.mark.browser


def back_to(page, selector: str) -> None:
    """Press Shift+Tab until the focus is on `selector`; each page link on the way shows it."""
    for _ in range(40):
        page.keyboard.press("Shift+Tab")
        now = focused(page)
        if now is None:
            continue
        if page.evaluate("() => !!document.activeElement.closest('nav[aria-label=\"Pages\"]')"):
            assert now["indicated"] and now["onScreen"], f"no visible focus on {now}"
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} not reached by Shift+Tab")


PREFIX = "페이지 점검 기업"


@pytest.fixture
def long_lists(live_app: Flask) -> Iterator[None]:
    """60 companies on the demo campus and 60 access-log entries (both append-only or
    harmless to the other browser tests: names nobody else looks for)."""
    with live_app.app_context():
        campus = db.session.scalar(db.select(Campus).where(Campus.name_ko == DEMO_CAMPUS))
        have = db.session.scalar(db.select(db.func.count()).where(Company.name.startswith(PREFIX)))
        if not have:
            db.session.add_all(
                Company(campus_id=campus.id, name=f"{PREFIX} {n:02d}") for n in range(60)
            )
            admin = find_user_by_email("admin@sesac.example")
            for n in range(60):
                audit.record_access(admin, AccessAction.VIEW, f"점검 대상 {n:02d}", person=admin)
            db.session.commit()
        assert db.session.scalar(db.select(db.func.count()).select_from(PersonalDataAccess)) > 50
    yield


@pytest.mark.parametrize(
    ("email", "url", "link_name", "expect_in_url"),
    [
        ("coordinator@sesac.example", "/placements/companies", "2", "page=2"),
        ("admin@sesac.example", "/admin/access-log?action=view", "Older", "before="),
    ],
    ids=["numbered", "keyset"],
)
def test_page_links_on_a_phone_by_keyboard(
    browser: Browser,
    live_server: str,
    live_app: Flask,
    long_lists,
    email,
    url,
    link_name,
    expect_in_url,
):
    with live_app.app_context():
        user = find_user_by_email(email)
        user.locale = "en"
        db.session.commit()
    context = browser.new_context(base_url=live_server, viewport=PHONE)
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    try:
        log_in_by_keyboard(page, live_server, email)
        page.goto(f"{live_server}{url}")
        pages = page.get_by_role("navigation", name="Pages")
        expect(pages).to_be_visible()
        current = pages.locator('[aria-current="page"]')
        if link_name.isdigit():
            expect(current).to_have_text("1")
        assert page.evaluate(OVERFLOW_JS) is None, "sideways scroll at 390 px"
        blocking = [
            v for v in page.evaluate(AXE_RUN_JS, AXE_TAGS) if v["impact"] in BLOCKING_IMPACTS
        ]
        assert not blocking, blocking

        # From the footer back to the page links (the filter form above is not under test).
        href = pages.get_by_role("link", name=link_name, exact=True).get_attribute("href")
        page.locator("footer button").first.focus()
        back_to(page, f'nav[aria-label="Pages"] a[href="{href}"]')
        page.keyboard.press("Enter")
        page.wait_for_url(lambda now: expect_in_url in now)
        if "action=view" in url:
            assert "action=view" in page.url  # the filter goes along
        expect(page.get_by_role("navigation", name="Pages")).to_be_visible()
        assert page.evaluate(OVERFLOW_JS) is None, "sideways scroll at 390 px"
    finally:
        context.close()
        with live_app.app_context():
            find_user_by_email(email).locale = "ko"
            db.session.commit()
