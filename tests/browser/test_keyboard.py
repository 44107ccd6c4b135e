"""The keyboard alone, in real Chromium: the attendance sheet and booking a 1:1 session.

Only Tab, arrows, Enter, Space and Escape are pressed (typing only into text fields): the
skip link comes first and jumps to the content; every control on the way is reached, shows
where the focus is, and does what it says. On a desktop the manager of 구로 opens the
account menu, then marks one trainee with another status and a note; on a phone the demo
trainee opens the folded menu, books an open time, and cancels it through the dialog.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as clock_time
from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from sesac_ms.auth.services import find_user_by_email
from sesac_ms.clock import SEOUL
from sesac_ms.demo import DEMO_CAMPUS, DEMO_PASSWORD
from sesac_ms.extensions import db
from sesac_ms.models import (
    Attendance,
    AttendanceStatus,
    AvailabilitySlot,
    Campus,
    ClassDay,
    CoachingSession,
    Cohort,
    Course,
    Enrollment,
    SessionKind,
    SessionStatus,
)

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
NOTE = "키보드로 기록: 버스 지연"
LOCATION = "새싹 구로캠퍼스 코칭룸 (키보드 점검)"
TAB_LIMIT = 120

# What has the focus, and whether a sighted keyboard user can see it: an outline or a
# focus shadow on the element (on the label of a button-styled radio).
FOCUS_JS = r"""() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const shown = e.matches('.btn-check') ? document.querySelector(`label[for="${e.id}"]`) : e;
  const style = getComputedStyle(shown);
  const clear = (colour) => /^rgba\(.*,\s*0\)$/.test(colour) || colour === 'transparent';
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0
    && !clear(style.outlineColor);
  // A shadow shows only with a colour that is not transparent and a length that is not 0.
  const shadow = style.boxShadow !== 'none' && !/rgba\([^)]*,\s*0\)/.test(style.boxShadow)
    && /[1-9]/.test(style.boxShadow.replace(/rgba?\([^)]*\)/g, ''));
  const box = shown.getBoundingClientRect();
  return {
    key: e.id || e.getAttribute('name') || e.getAttribute('href') || e.textContent.trim(),
    tag: e.tagName.toLowerCase(), name: e.getAttribute('name') || '', value: e.value || '',
    text: (e.textContent || '').trim().slice(0, 40),
    indicated: outline || shadow,
    onScreen: box.width > 0 && box.height > 0,
  };
}"""


def focused(page: Page) -> dict | None:
    return page.evaluate(FOCUS_JS)


def tab_to(page: Page, selector: str, seen: list[dict] | None = None) -> dict:
    """Press Tab until the focus is on `selector`; every stop on the way must show its focus."""
    for _ in range(TAB_LIMIT):
        page.keyboard.press("Tab")
        now = focused(page)
        if now is None:
            continue
        assert now["indicated"], f"no visible focus on {now}"
        assert now["onScreen"], f"focus on something not shown: {now}"
        if seen is not None:
            seen.append(now)
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return now
    raise AssertionError(f"{selector} not reached in {TAB_LIMIT} presses of Tab")


def log_in_by_keyboard(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/auth/login")
    # The log-in page puts the focus in the e-mail field itself.
    if not page.evaluate("() => document.activeElement.matches('input[name=email]')"):
        tab_to(page, 'input[name="email"]')
    page.keyboard.type(email)
    tab_to(page, 'input[name="password"]')
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/auth/login" not in url)


def skip_to_content(page: Page) -> None:
    """On a page just opened, the first Tab reaches the skip link, shown on focus; Enter
    moves the focus to <main>, from where Tab goes on into the content."""
    page.keyboard.press("Tab")
    link = page.locator("a.skip-link")
    expect(link).to_be_focused()
    box = link.bounding_box()
    assert box and box["width"] > 20 and box["height"] > 10, "the skip link is not shown on focus"
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()


@dataclass
class Sheet:
    url: str
    day_id: int
    enrollment_ids: list[int]
    first_before: tuple[AttendanceStatus, str] | None


@pytest.fixture
def sheet(live_app: Flask) -> Iterator[Sheet]:
    """The first class day of the running 구로 cohort; its first row is put back afterwards."""
    with live_app.app_context():
        campus = db.session.scalar(db.select(Campus).where(Campus.name_ko == DEMO_CAMPUS))
        today = datetime.now(SEOUL).date()
        cohort = db.session.scalars(
            db.select(Cohort)
            .join(Course, Course.id == Cohort.course_id)
            .where(Course.campus_id == campus.id, Cohort.start_on <= today, Cohort.end_on >= today)
            .order_by(Cohort.id)
        ).first()
        day = db.session.scalars(
            db.select(ClassDay)
            .where(ClassDay.cohort_id == cohort.id, ClassDay.day < today)
            .where(ClassDay.cancelled.is_(False))
            .order_by(ClassDay.day)
        ).first()
        enrollment_ids = list(
            db.session.scalars(
                db.select(Enrollment.id)
                .where(Enrollment.cohort_id == cohort.id)
                .order_by(Enrollment.id)
            )
        )
        record = db.session.scalar(
            db.select(Attendance).where(
                Attendance.class_day_id == day.id, Attendance.enrollment_id == enrollment_ids[0]
            )
        )
        before = (record.status, record.note) if record else None
        url = f"/cohorts/{cohort.id}/attendance/{day.id}"
        day_id = day.id
    yield Sheet(url, day_id, enrollment_ids, before)
    with live_app.app_context():
        record = db.session.scalar(
            db.select(Attendance).where(
                Attendance.class_day_id == day_id, Attendance.enrollment_id == enrollment_ids[0]
            )
        )
        if before is None and record is not None:
            db.session.delete(record)
        elif before is not None and record is not None:
            record.status, record.note = before
        db.session.commit()


def test_the_attendance_sheet_by_keyboard_only(
    browser: Browser, live_server: str, live_app: Flask, sheet: Sheet
) -> None:
    context = browser.new_context(base_url=live_server, viewport=DESKTOP)
    page = context.new_page()
    try:
        log_in_by_keyboard(page, live_server, "manager@sesac.example")
        # The account menu opens with Space; Escape closes it.
        tab_to(page, "#main-nav .dropdown-toggle")
        page.keyboard.press("Space")
        menu = page.locator("#main-nav .dropdown-menu")
        expect(menu).to_be_visible()
        tab_to(page, '#main-nav .dropdown-menu a[href="/auth/password"]')
        page.keyboard.press("Escape")
        expect(menu).to_be_hidden()
        page.goto(sheet.url)
        skip_to_content(page)
        seen: list[dict] = []
        first = sheet.enrollment_ids[0]
        tab_to(page, f'input[name="status-{first}"]', seen)
        start = page.evaluate("() => document.activeElement.value")
        page.keyboard.press("ArrowRight")  # the next status in the group, checked at once
        chosen = page.evaluate("() => document.activeElement.value")
        assert chosen != start
        expect(page.locator(f'input[name="status-{first}"][value="{chosen}"]')).to_be_checked()
        tab_to(page, f'input[name="note-{first}"]', seen)
        page.keyboard.type(NOTE)
        save = page.locator("main form button[type=submit]")
        tab_to(page, "main form button[type=submit]", seen)
        expect(save).to_be_focused()
        names = {stop["name"] for stop in seen}
        for enrollment_id in sheet.enrollment_ids:
            assert f"status-{enrollment_id}" in names, f"row {enrollment_id}'s status not reached"
            assert f"note-{enrollment_id}" in names, f"row {enrollment_id}'s note not reached"
        page.keyboard.press("Enter")
        page.wait_for_url(lambda url: urlsplit(url).path.endswith("/roster"))
        expect(page.get_by_role("alert").first).to_be_visible()
        with live_app.app_context():
            record = db.session.scalar(
                db.select(Attendance).where(
                    Attendance.class_day_id == sheet.day_id, Attendance.enrollment_id == first
                )
            )
            assert record is not None
            assert record.status == AttendanceStatus(chosen)
            assert record.note == NOTE
    finally:
        context.close()


@pytest.fixture
def open_time(live_app: Flask) -> Iterator[int]:
    """An open evening time of the demo coordinator, removed afterwards."""
    with live_app.app_context():
        coordinator = find_user_by_email("coordinator@sesac.example")
        starts = datetime.combine(
            datetime.now(SEOUL).date() + timedelta(days=15), clock_time(20), SEOUL
        )
        slot = AvailabilitySlot(
            staff_id=coordinator.id,
            kind=SessionKind.MENTORING,
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            location=LOCATION,
        )
        db.session.add(slot)
        db.session.commit()
        slot_id = slot.id
    yield slot_id
    with live_app.app_context():
        slot = db.session.get(AvailabilitySlot, slot_id)
        if slot is not None:
            db.session.delete(slot)
            db.session.commit()


def test_booking_and_cancelling_a_session_by_keyboard_only_on_a_phone(
    browser: Browser, live_server: str, live_app: Flask, open_time: int
) -> None:
    context = browser.new_context(base_url=live_server, viewport=PHONE)
    page = context.new_page()
    try:
        log_in_by_keyboard(page, live_server, "trainee@sesac.example")
        # The menu is folded on a phone: its button opens it from the keyboard.
        tab_to(page, ".navbar-toggler")
        page.keyboard.press("Enter")
        expect(page.locator("#main-nav")).to_be_visible()
        tab_to(page, '#main-nav a[href="/sessions/"]')
        page.keyboard.press("Enter")
        page.wait_for_url(lambda url: urlsplit(url).path == "/sessions/")
        skip_to_content(page)
        tab_to(page, 'main a[href="/sessions/book"]')
        page.keyboard.press("Enter")
        page.wait_for_url(lambda url: urlsplit(url).path == "/sessions/book")
        skip_to_content(page)
        book = f'form[action="/sessions/book/{open_time}"]'
        asks = page.locator(book).get_attribute("data-confirm") is not None
        tab_to(page, f"{book} button")
        with page.expect_navigation():
            page.keyboard.press("Space")
            if asks:
                confirm_in_dialog(page)
        with live_app.app_context():
            session = db.session.scalar(
                db.select(CoachingSession).where(CoachingSession.slot_id == open_time)
            )
            assert session is not None and session.status == SessionStatus.SCHEDULED
            session_id = session.id
        assert urlsplit(page.url).path == f"/sessions/{session_id}"
        expect(page.get_by_text(LOCATION).first).to_be_visible()

        # Cancelling: the reason, then the button, then the dialog's own button.
        skip_to_content(page)
        tab_to(page, 'input[name="reason"], textarea[name="reason"]')
        page.keyboard.type("면접 일정과 겹칩니다")
        cancel = 'form[action$="/cancel"]'
        assert page.locator(cancel).get_attribute("data-confirm"), "cancelling must ask first"
        tab_to(page, f"{cancel} button[type=submit]")
        with page.expect_navigation():
            page.keyboard.press("Enter")
            confirm_in_dialog(page)
        with live_app.app_context():
            session = db.session.get(CoachingSession, session_id)
            assert session.status == SessionStatus.CANCELLED
    finally:
        context.close()


def confirm_in_dialog(page: Page) -> None:
    """The confirmation dialog opens with the focus inside; Tab reaches its action button."""
    page.locator("#confirm-dialog").wait_for(state="visible")
    inside = "() => document.getElementById('confirm-dialog').contains(document.activeElement)"
    page.wait_for_function(inside)  # it takes the focus once shown (app.js)
    tab_to(page, "#confirm-dialog [data-confirm-ok]")
    page.keyboard.press("Enter")
