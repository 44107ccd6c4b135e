"""Histories people can read, in real Chromium: the audit log, the dashboard's recent changes
and a trainee's placement history show sentences, never an action code, a class name or ∅.

Read-only over the demo data (which writes entries of many kinds as it is loaded), so the
other browser tests see the same world. The application history is checked through the
test client in tests/test_audit_text.py, where an application can be made and moved on.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import force_locale
from playwright.sync_api import Browser, Page

from sesac_ms import audit_text
from sesac_ms.auth.services import find_user_by_email
from sesac_ms.demo import DEMO_PASSWORD
from sesac_ms.extensions import db
from sesac_ms.models import AuditEntry, Outcome

pytestmark = pytest.mark.browser

ADMIN = "admin@sesac.example"
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
CODE = re.compile(r"\b[a-z_]+\.[a-z_]+\b")
CLASS_NAMES = re.compile(
    r"\b(Enrollment|CoachingSession|OutcomeRecord|InterviewSlot|CohortEvent|UploadedFile"
    r"|CertificationAttempt|AuditEntry|RetentionCheck)\b"
)
DATA = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+|[\w-]+\.(xlsx|csv)\b")  # typed, not codes


def _set_locale(app: Flask, locale: str) -> None:
    with app.app_context():
        find_user_by_email(ADMIN).locale = locale
        db.session.commit()


def _readable(page: Page, selector: str, where: str) -> str:
    shown = DATA.sub("", page.locator(selector).inner_text())
    assert "∅" not in shown, where
    assert not CODE.search(shown), f"{where}: {CODE.search(shown).group()!r}"
    assert not CLASS_NAMES.search(shown), f"{where}: {CLASS_NAMES.search(shown).group()!r}"
    return shown


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("locale", ["ko", "en"])
def test_histories_read_as_sentences(
    browser: Browser, live_server: str, live_app: Flask, output_path: str, locale, width
):
    with live_app.test_request_context(), force_locale(locale):
        newest = db.session.scalar(db.select(AuditEntry).order_by(AuditEntry.id.desc()))
        headline = audit_text.describe_entry(newest).headline
        enrollment_id = db.session.scalar(db.select(Outcome.enrollment_id).order_by(Outcome.id))
        sources = {audit_text.source_label(s) for s in ("web", "import")}
    assert enrollment_id is not None, "the demo data records outcomes"
    _set_locale(live_app, locale)
    context = browser.new_context(base_url=live_server, viewport=WIDTHS[width])
    try:
        page = context.new_page()
        page.goto("/auth/login")
        page.locator('input[name="email"]').fill(ADMIN)
        page.locator('input[name="password"]').fill(DEMO_PASSWORD)
        page.locator('input[name="password"]').press("Enter")
        page.wait_for_url(lambda url: "/auth/login" not in url)
        Path(output_path).mkdir(parents=True, exist_ok=True)

        for url, selector in (
            ("/admin/audit", "main table"),
            ("/", 'main .card:has(a[href$="/admin/audit"])'),  # recent changes
            (f"/placements/{enrollment_id}", "main .list-group:has(li.fw-semibold)"),  # history
        ):
            page.goto(url)
            where = f"{url} {locale} {width}"
            shown = _readable(page, selector, where)
            if url != f"/placements/{enrollment_id}":
                assert DATA.sub("", headline) in shown, where  # typed data is left out
            else:
                assert any(source in shown for source in sources), where
            name = url.strip("/").replace("/", "-") or "dashboard"
            page.screenshot(
                path=str(Path(output_path) / f"histories-{name}-{locale}-{width}.png"),
                full_page=True,
            )
    finally:
        context.close()
        _set_locale(live_app, "ko")
