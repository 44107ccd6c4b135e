"""A 1:1 coaching session from start to end, in real headless Chromium.

The coordinator of 구로1기 publishes a portfolio-coaching time two evenings ahead (desktop); the
demo trainee books it on a phone; the coordinator logs it with a summary, staff-only notes and
a follow-up (before the start the session stays scheduled: only a started session is
completed); the trainee sees the summary and the follow-up but never the notes, and finds the
follow-up on My schedule. The trainee's private calendar link serves an iCalendar feed that
holds the session at the booked time in Seoul; once revoked, the same link answers 404. Last,
the evening comes (the session is moved into the past in the database) and the coordinator
marks it completed, which the trainee sees.

Labels are looked up in the compiled Korean catalog (what the server shows): a message not
translated yet falls back to its English msgid, so the test passes before and after the
catalog is complete.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from flask import Flask
from icalendar import Calendar
from playwright.sync_api import Browser, Page, expect

from sesac_ms.auth.services import find_user_by_email
from sesac_ms.extensions import db
from sesac_ms.models import (
    ClassDay,
    CoachingSession,
    Cohort,
    Course,
    Enrollment,
    EnrollmentStatus,
)

from .dialogs import confirm_dialogs
from .korean import log_in, t

pytestmark = pytest.mark.browser

SEOUL = ZoneInfo("Asia/Seoul")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
COURSE = "AI 활용 데이터분석 취업캠프"  # 구로1기, in progress; the coordinator is assigned
COORDINATOR = ("coordinator@sesac.example", "이잡코디")
TRAINEE = ("trainee@sesac.example", "최교육생")
LOCATION = "새싹 구로캠퍼스 5층 코칭룸 (세션 흐름 테스트)"
SUMMARY = "포트폴리오 README를 정리하고 대표 프로젝트 2개를 골랐습니다."
STAFF_NOTE = "STAFF-ONLY-NOTE: 면접 불안이 커 보임, 모의면접 권유"
FOLLOW_UP = "이력서 수정"


def flash(page: Page, text: str):
    return page.get_by_role("alert").filter(has_text=text)


def shot(page: Page, output_path: str, name: str) -> None:
    Path(output_path).mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(Path(output_path) / f"sessions-{name}.png"), full_page=True)


def enrol_demo_trainee(app: Flask) -> None:
    """Put the demo trainee in 구로1기 unless the demo data (or another test) already did."""
    with app.app_context():
        trainee = find_user_by_email(TRAINEE[0])
        cohort = db.session.scalar(
            db.select(Cohort)
            .join(Course, Course.id == Cohort.course_id)
            .where(Course.title == COURSE, Cohort.number == 1)
        )
        enrollment = db.session.scalar(
            db.select(Enrollment).where(
                Enrollment.cohort_id == cohort.id, Enrollment.user_id == trainee.id
            )
        )
        if enrollment is None:
            db.session.add(Enrollment(cohort_id=cohort.id, user_id=trainee.id))
            db.session.commit()
        else:
            assert enrollment.status == EnrollmentStatus.ENROLLED, enrollment.status


def next_class_day(app: Flask) -> tuple[date, str, str]:
    """A class day of 구로1기 two or more days ahead, its class hours, and its label."""
    with app.app_context():
        day, cohort = db.session.execute(
            db.select(ClassDay.day, Cohort)
            .join(Cohort, Cohort.id == ClassDay.cohort_id)
            .join(Course, Course.id == Cohort.course_id)
            .where(
                Course.title == COURSE,
                Cohort.number == 1,
                ClassDay.cancelled.is_(False),
                ClassDay.day >= datetime.now(SEOUL).date() + timedelta(days=2),
            )
            .order_by(ClassDay.day)
            .limit(1)
        ).one()
        hours = f"{cohort.class_starts_at:%H:%M}–{cohort.class_ends_at:%H:%M}"
        return day, hours, cohort.label("ko")


def test_publish_book_log_follow_up_and_calendar_feed(
    browser: Browser, page: Page, live_server: str, live_app: Flask, output_path: str
) -> None:
    base = live_server
    enrol_demo_trainee(live_app)
    starts = datetime.combine(datetime.now(SEOUL).date() + timedelta(days=2), time(19), SEOUL)
    due = starts.date() + timedelta(days=4)
    kind = t("Portfolio coaching")

    # --- 1. The coordinator publishes a portfolio-coaching time (desktop) -----------------
    coordinator = page
    coordinator.set_viewport_size(DESKTOP)
    log_in(coordinator, base, COORDINATOR[0])
    coordinator.get_by_role("navigation", name=t("Main navigation")).get_by_role(
        "link", name=t("My schedule"), exact=True
    ).click()
    expect(coordinator.get_by_role("heading", name=t("My schedule"), exact=True)).to_be_visible()
    coordinator.get_by_role("link", name=t("My available times"), exact=True).click()
    expect(
        coordinator.get_by_role("heading", name=t("My available times"), exact=True)
    ).to_be_visible()
    # A time in class hours: 구로1기 is the coordinator's only cohort, so nobody could book
    # it; the refusal stands beside the time and names the cohort and its hours.
    class_day, hours, label = next_class_day(live_app)
    coordinator.get_by_label(t("Kind"), exact=True).select_option(label=kind)
    coordinator.get_by_label(t("Starts at"), exact=True).fill(f"{class_day:%Y-%m-%d}T14:00")
    coordinator.get_by_label(t("Place or online meeting link"), exact=True).fill(LOCATION)
    coordinator.get_by_role("button", name=t("Publish"), exact=True).click()
    starts_field = coordinator.locator("div.mb-3", has=coordinator.locator("#starts_at"))
    refusal = starts_field.locator(".invalid-feedback")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text(f"{label} {hours}")
    expect(refusal).to_contain_text(f"{class_day:%Y-%m-%d}")
    shot(coordinator, output_path, "00-slot-in-class-refused")

    coordinator.get_by_label(t("Kind"), exact=True).select_option(label=kind)
    coordinator.get_by_label(t("Starts at"), exact=True).fill(f"{starts:%Y-%m-%dT%H:%M}")
    coordinator.get_by_label(t("Place or online meeting link"), exact=True).fill(LOCATION)
    coordinator.get_by_role("button", name=t("Publish"), exact=True).click()
    expect(flash(coordinator, t("%(n)d time(s) published.", n=1))).to_be_visible()
    slot_item = coordinator.get_by_role("listitem").filter(has_text=LOCATION)
    expect(slot_item).to_contain_text(f"{starts:%Y-%m-%d}")
    expect(slot_item).to_contain_text(f"19:00–20:00 · {kind}")
    expect(slot_item.get_by_role("button", name=t("Remove"), exact=True)).to_be_visible()
    shot(coordinator, output_path, "01-slot-published")

    phone = browser.new_context(
        viewport=PHONE, locale="ko-KR", timezone_id="Asia/Seoul", base_url=base
    )
    try:
        # --- 2. The trainee books it on a phone -----------------------------------------
        trainee = phone.new_page()
        confirm_dialogs(trainee)  # revoking the calendar link asks first
        log_in(trainee, base, TRAINEE[0])
        trainee.get_by_role("button", name=t("Menu")).click()
        trainee.get_by_role("navigation", name=t("Main navigation")).get_by_role(
            "link", name=t("My schedule"), exact=True
        ).click()
        expect(trainee.get_by_role("heading", name=t("My schedule"), exact=True)).to_be_visible()
        trainee.get_by_role("link", name=t("Book a 1:1 session"), exact=True).click()
        expect(
            trainee.get_by_role("heading", name=t("Book a 1:1 session"), exact=True)
        ).to_be_visible()
        offer = trainee.get_by_role("listitem").filter(has_text=LOCATION)
        expect(offer).to_contain_text(f"{kind} · {COORDINATOR[1]}")
        expect(offer).to_contain_text(f"{starts:%Y-%m-%d}")
        offer.get_by_role("button", name=t("Book"), exact=True).click()
        expect(trainee).to_have_url(re.compile(r"/sessions/\d+$"))
        session_url = trainee.url
        session_id = int(session_url.rsplit("/", 1)[1])
        expect(
            flash(trainee, t("Booked: %(kind)s with %(name)s.", kind=kind, name=COORDINATOR[1]))
        ).to_be_visible()
        expect(trainee.get_by_role("heading", name=kind, exact=True)).to_be_visible()
        expect(trainee.locator("h1 ~ .badge")).to_have_text(t("Scheduled"))
        expect(trainee.get_by_text(LOCATION)).to_be_visible()
        expect(trainee.get_by_text(t("No summary yet."))).to_be_visible()
        shot(trainee, output_path, "02-booked-phone")

        # --- 3. The coordinator logs it: summary, staff notes, a follow-up -----------------
        coordinator.reload()
        coordinator.get_by_role(
            "link", name=t("Booked by %(name)s", name=TRAINEE[1]), exact=True
        ).click()
        expect(coordinator).to_have_url(session_url)
        expect(coordinator.locator("h1 ~ .badge")).to_have_text(t("Scheduled"))
        # In the future: no completed/no-show buttons, only the log form.
        expect(coordinator.get_by_role("button", name=t("No-show"), exact=True)).to_have_count(0)
        coordinator.get_by_label(t("Summary the trainee sees"), exact=True).fill(SUMMARY)
        coordinator.get_by_label(t("Notes only staff see"), exact=True).fill(STAFF_NOTE)
        coordinator.get_by_label(
            t("Follow-ups, one per line (“what | 2026-12-01”)"), exact=True
        ).fill(f"{FOLLOW_UP} | {due:%Y-%m-%d}")
        coordinator.get_by_role("button", name=t("Save the log"), exact=True).click()
        expect(flash(coordinator, t("Session logged."))).to_be_visible()
        # Not started yet: logged, but still scheduled (mark() and log() agree).
        expect(coordinator.locator("h1 ~ .badge")).to_have_text(t("Scheduled"))
        expect(coordinator.get_by_text(STAFF_NOTE).first).to_be_visible()
        due_text = t("due %(date)s", date=format_date(due, "medium", locale="ko"))
        expect(coordinator.get_by_role("listitem").filter(has_text=FOLLOW_UP)).to_contain_text(
            due_text
        )
        shot(coordinator, output_path, "03-logged")

        # --- 4. The trainee sees the summary and the follow-up, never the notes -----------
        trainee.goto(session_url)
        expect(trainee.locator("h1 ~ .badge")).to_have_text(t("Scheduled"))
        expect(trainee.get_by_text(SUMMARY)).to_be_visible()
        follow_up = trainee.get_by_role("listitem").filter(has_text=FOLLOW_UP)
        expect(follow_up).to_contain_text(due_text)
        expect(follow_up.get_by_role("button", name=t("Done"), exact=True)).to_be_visible()
        expect(trainee.get_by_text(t("Staff notes"), exact=True)).to_have_count(0)
        expect(trainee.get_by_role("button", name=t("Save the log"))).to_have_count(0)
        assert "STAFF-ONLY-NOTE" not in trainee.content()
        shot(trainee, output_path, "04-summary-phone")

        trainee.get_by_role("link", name=t("My schedule")).last.click()
        expect(trainee.get_by_role("heading", name=t("My schedule"), exact=True)).to_be_visible()
        follow_ups = trainee.locator(".card").filter(has_text=t("Your follow-ups"))
        expect(follow_ups.get_by_role("listitem").filter(has_text=FOLLOW_UP)).to_contain_text(
            due_text
        )
        assert "STAFF-ONLY-NOTE" not in trainee.content()

        # --- 5. The calendar link serves the session; revoked, it is gone -----------------
        trainee.get_by_role("button", name=t("Create my calendar link"), exact=True).click()
        expect(
            flash(
                trainee,
                t("Your private calendar link is ready; an older link no longer works."),
            )
        ).to_be_visible()
        link = trainee.get_by_label(t("Calendar feed link"), exact=True)
        expect(link).to_have_attribute("readonly", "")
        feed_url = link.input_value()
        assert re.search(r"/sessions/feed/[0-9a-f]{64}\.ics$", feed_url), feed_url
        # The link is built from PUBLIC_BASE_URL; fetch it from this live server.
        feed_url = base + urlsplit(feed_url).path
        shot(trainee, output_path, "05-schedule-feed-phone")

        response = trainee.request.get(feed_url)
        assert response.status == 200, response.status
        assert response.headers["content-type"].startswith("text/calendar")
        calendar = Calendar.from_ical(response.body())
        events = {
            str(event["UID"]): event
            for event in calendar.walk("VEVENT")  # classes, cohort events and sessions
        }
        event = events.get(f"session-{session_id}@sesac-ms")
        assert event is not None, sorted(events)
        start = event.decoded("DTSTART")
        assert start == starts, start
        assert start.utcoffset() == timedelta(hours=9), start
        assert event["DTSTART"].params.get("TZID") == "Asia/Seoul", event["DTSTART"].params
        assert event.decoded("DTEND") == starts + timedelta(minutes=60)
        assert str(event["SUMMARY"]) == f"{kind} · {COORDINATOR[1]}"
        assert str(event["LOCATION"]) == LOCATION
        assert str(event["DESCRIPTION"]) == SUMMARY
        assert "STAFF-ONLY-NOTE" not in response.text()

        trainee.get_by_role("button", name=t("Revoke"), exact=True).click()
        expect(flash(trainee, t("Your calendar link is revoked."))).to_be_visible()
        expect(trainee.get_by_label(t("Calendar feed link"), exact=True)).to_have_count(0)
        expect(
            trainee.get_by_role("button", name=t("Create my calendar link"), exact=True)
        ).to_be_visible()
        assert trainee.request.get(feed_url).status == 404

        # --- 6. The evening comes; the coordinator marks the session completed ------------
        with live_app.app_context():
            held = db.session.get(CoachingSession, session_id)
            ended = datetime.now(SEOUL) - timedelta(minutes=5)
            held.starts_at, held.ends_at = ended - timedelta(minutes=60), ended
            db.session.commit()
        coordinator.reload()
        coordinator.get_by_role("button", name=t("Completed"), exact=True).click()
        expect(
            flash(coordinator, t("Session marked “%(status)s”.", status=t("Completed")))
        ).to_be_visible()
        expect(coordinator.locator("h1 ~ .badge")).to_have_text(t("Completed"))
        expect(coordinator.get_by_text(SUMMARY).first).to_be_visible()
        shot(coordinator, output_path, "06-completed")
        trainee.goto(session_url)
        expect(trainee.locator("h1 ~ .badge")).to_have_text(t("Completed"))
        expect(trainee.get_by_text(SUMMARY)).to_be_visible()
        expect(trainee.get_by_role("listitem").filter(has_text=FOLLOW_UP)).to_contain_text(due_text)
        assert "STAFF-ONLY-NOTE" not in trainee.content()
        shot(trainee, output_path, "07-completed-phone")
    finally:
        phone.close()
