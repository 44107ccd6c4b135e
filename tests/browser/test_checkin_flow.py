"""Self check-in in real headless Chromium: the classroom screen and a trainee's phone.

The manager of 구로 opens the check-in screen of a class day on a desktop; a trainee on a
390 px phone types the code the screen shows and checks in; the manager's attendance sheet
then shows the time and the mark it made. The clock check-in reads is fixed (the server
runs in this process) at 09:12 on a past Wednesday, so the trainee is 12 minutes late.
"""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from playwright.sync_api import Browser, expect

from sesac_ms.auth.services import create_user, find_user_by_email
from sesac_ms.cohorts import checkin
from sesac_ms.demo import DEMO_PASSWORD
from sesac_ms.extensions import db
from sesac_ms.models import ClassDay, Cohort, CohortStatus, Course, Enrollment, Role

from .test_roster_flow import COURSE, DESKTOP, MANAGER, PHONE, log_in, t

pytestmark = pytest.mark.browser

DAY = date(2026, 11, 25)
NOW = datetime.combine(DAY, time(9, 12, 3), tzinfo=ZoneInfo("Asia/Seoul"))
TRAINEE = "checkin.trainee@example.com"


@pytest.fixture
def class_day(live_app: Flask) -> tuple[int, int]:
    """A cohort of its own (so other browser tests see the demo data unchanged) with one
    trainee and one class day."""
    with live_app.app_context():
        course = db.session.scalar(db.select(Course).where(Course.title == COURSE))
        cohort = Cohort(
            course_id=course.id,
            number=77,
            capacity=30,
            status=CohortStatus.IN_PROGRESS,
            recruit_start_on=date(2026, 9, 1),
            recruit_end_on=date(2026, 9, 30),
            start_on=date(2026, 11, 2),
            end_on=date(2027, 3, 31),
        )
        db.session.add(cohort)
        db.session.flush()
        trainee = create_user(
            find_user_by_email(MANAGER),
            email=TRAINEE,
            name="정체크",
            role=Role.TRAINEE,
            campus=course.campus,
            password=DEMO_PASSWORD,
            send_link=False,
        )
        day = ClassDay(cohort_id=cohort.id, day=DAY, added_by_hand=True)
        db.session.add_all([Enrollment(cohort_id=cohort.id, user_id=trainee.id), day])
        db.session.commit()
        return cohort.id, day.id


def test_a_trainee_checks_in_with_the_code_on_the_screen(
    browser: Browser,
    live_server: str,
    class_day: tuple[int, int],
    monkeypatch: pytest.MonkeyPatch,
    output_path: str,
) -> None:
    monkeypatch.setattr(checkin, "clock_now", lambda: NOW)
    cohort_id, day_id = class_day
    base = live_server
    screen = browser.new_context(viewport=DESKTOP, locale="ko-KR").new_page()
    log_in(screen, base, MANAGER)
    screen.goto(f"{base}/check-in/screen/{cohort_id}/{day_id}")
    code = screen.locator("#checkin-code").inner_text().replace(" ", "")
    assert len(code) == 6 and code.isdigit()
    expect(screen.locator("#checkin-qr svg")).to_be_visible()
    Path(output_path).mkdir(parents=True, exist_ok=True)
    screen.screenshot(path=str(Path(output_path) / "checkin-screen.png"), full_page=True)

    phone = browser.new_context(viewport=PHONE, locale="ko-KR").new_page()
    log_in(phone, base, TRAINEE)
    phone.get_by_role("button", name=t("Menu")).click()
    phone.get_by_role("link", name=t("Check in"), exact=True).click()
    phone.get_by_label(t("Code on the screen")).fill(code)
    phone.get_by_label(t("Arriving (check in)")).check()
    phone.get_by_role("button", name=t("Send")).click()
    expect(phone.get_by_role("status")).to_have_text(t("You checked in at %(time)s.", time="09:12"))
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a 390px phone"
    phone.screenshot(path=str(Path(output_path) / "checkin-phone.png"), full_page=True)

    screen.goto(f"{base}/cohorts/{cohort_id}/attendance/{day_id}")
    row = screen.locator("li.list-group-item").filter(has_text="정체크")
    expect(row).to_contain_text(t("In %(time)s", time="09:12"))
    expect(row.get_by_label(t("Late"), exact=True)).to_be_checked()
    screen.screenshot(path=str(Path(output_path) / "checkin-sheet.png"), full_page=True)
