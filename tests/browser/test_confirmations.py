"""Consequential actions ask first, in the one dialog of base.html, naming whom they touch.

Three representative actions, in real headless Chromium: the manager accepts an applicant
(desktop), the demo trainee cancels a 1:1 session (phone), and the manager starts to record a
trainee as dropped out (phone). Each time the button opens the dialog with a sentence built on
the server that names the person; Esc and Cancel leave everything as it was (checked in the
database) and give the focus back to the button; the dialog's action button performs it.
Never a window.confirm: the page fails on any native dialog.

Labels come from the compiled Korean catalog (what the server shows); a message not translated
yet falls back to its English msgid, so the test passes before and after the catalog is done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from playwright.sync_api import Browser, Dialog, Locator, Page, expect

from sesac_ms.applications.services import ApplicantDetails, submit_application
from sesac_ms.auth.services import find_user_by_email
from sesac_ms.clock import today_in_seoul
from sesac_ms.extensions import db
from sesac_ms.models import (
    Application,
    CoachingSession,
    Cohort,
    CohortStatus,
    Course,
    Enrollment,
    EnrollmentStatus,
    SessionKind,
    SessionStatus,
    Stage,
)
from sesac_ms.sessions import services as sessions

from .korean import log_in, t

pytestmark = pytest.mark.browser

SEOUL = ZoneInfo("Asia/Seoul")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
COURSE = "AI 활용 데이터분석 취업캠프"  # 구로1기 runs; every demo account is on 구로
MANAGER = "manager@sesac.example"
COORDINATOR = ("coordinator@sesac.example", "이잡코디")
TRAINEE = "trainee@sesac.example"
APPLICANT = "한결단"
DROPPING = "정시우"  # a demo trainee of 구로1기, below the attendance threshold


@dataclass
class Setting:
    application_id: int
    session_id: int
    cohort_id: int
    dropping_id: int


@pytest.fixture(scope="module")
def setting(live_app: Flask) -> Setting:
    """An applicant on a cohort of this test's own, a session of the demo trainee, a trainee."""
    with live_app.app_context():
        running = db.session.scalar(
            db.select(Cohort).join(Course).where(Course.title == COURSE, Cohort.number == 1)
        )
        today = today_in_seoul()
        cohort = Cohort(
            course_id=running.course_id,
            number=91,
            capacity=5,
            status=CohortStatus.RECRUITING,
            recruit_start_on=today - timedelta(days=3),
            recruit_end_on=today + timedelta(days=10),
            start_on=today + timedelta(days=40),
            end_on=today + timedelta(days=160),
        )
        db.session.add(cohort)
        db.session.flush()
        application = submit_application(
            cohort,
            ApplicantDetails(
                name=APPLICANT,
                email="confirm.applicant@example.com",
                phone="010-2345-6789",
                birth_date=today.replace(year=today.year - 25, day=1),
                district="구로구",
                seoul_university=False,
                employment_status="unemployed",
                education="university",
                motivation="데이터 분석 일을 하고 싶습니다.",
            ),
            consent=True,
            source="import",
            send_mail=False,
        )
        trainee = find_user_by_email(TRAINEE)
        if (
            db.session.scalar(
                db.select(Enrollment.id).where(
                    Enrollment.cohort_id == running.id, Enrollment.user_id == trainee.id
                )
            )
            is None
        ):
            db.session.add(Enrollment(cohort_id=running.id, user_id=trainee.id))
            db.session.flush()
        evening = today + timedelta(days=9)
        session = sessions.schedule(
            find_user_by_email(COORDINATOR[0]),
            trainee=trainee,
            cohort=running,
            kind=SessionKind.CAREER,
            starts_at=datetime.combine(evening, time(20, 30), SEOUL),
            minutes=30,
            location="새싹 구로캠퍼스 상담실 (확인 대화상자 테스트)",
        )
        dropping = db.session.scalar(
            db.select(Enrollment)
            .join(Enrollment.user)
            .where(Enrollment.cohort_id == running.id, Enrollment.user.has(name=DROPPING))
        )
        assert dropping is not None and dropping.status == EnrollmentStatus.ENROLLED
        db.session.commit()
        return Setting(application.id, session.id, running.id, dropping.id)


def no_native_dialogs(page: Page) -> Page:
    def fail(dialog: Dialog) -> None:
        dialog.dismiss()
        pytest.fail(f"a native dialog opened: {dialog.message!r}")

    page.on("dialog", fail)
    return page


def dialog_of(page: Page) -> Locator:
    return page.get_by_role("dialog", name=t("Please confirm"))


def asks_and_backs_out(page: Page, button: Locator, sentence: str) -> None:
    """The button opens the dialog with the sentence; Esc, then Cancel, change nothing."""
    dialog = dialog_of(page)
    button.click()
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(sentence)
    expect(dialog.get_by_role("button", name=t("Cancel"), exact=True)).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(button).to_be_focused()
    button.click()
    expect(dialog).to_contain_text(sentence)
    dialog.get_by_role("button", name=t("Cancel"), exact=True).click()
    expect(dialog).to_be_hidden()


def stage_of(app: Flask, application_id: int) -> Stage:
    with app.app_context():
        return db.session.get(Application, application_id).stage


def test_accepting_an_applicant_asks_first(
    browser: Browser, live_server: str, live_app: Flask, setting: Setting
) -> None:
    page = no_native_dialogs(browser.new_context(viewport=DESKTOP, locale="ko-KR").new_page())
    log_in(page, live_server, MANAGER)
    page.goto(f"{live_server}/applications/{setting.application_id}")
    accept = page.get_by_role("button", name=t("Accept"), exact=True)
    sentence = t("%(name)s will be accepted. An acceptance mail is sent to them.", name=APPLICANT)
    asks_and_backs_out(page, accept, sentence)
    assert stage_of(live_app, setting.application_id) == Stage.SUBMITTED

    accept.click()
    dialog = dialog_of(page)
    expect(dialog).to_contain_text(APPLICANT)
    dialog.get_by_role("button", name=t("Accept"), exact=True).click()
    expect(page.get_by_role("alert").first).to_contain_text(
        t("{name} is accepted.").format(name=APPLICANT)
    )
    assert stage_of(live_app, setting.application_id) == Stage.ACCEPTED
    page.context.close()


def test_a_trainee_cancelling_a_session_is_asked_first(
    browser: Browser, live_server: str, live_app: Flask, setting: Setting
) -> None:
    page = no_native_dialogs(browser.new_context(viewport=PHONE, locale="ko-KR").new_page())
    log_in(page, live_server, TRAINEE)
    page.goto(f"{live_server}/sessions/{setting.session_id}")
    page.get_by_label(t("Reason"), exact=True).fill("면접 일정과 겹칩니다.")
    cancel = page.get_by_role("button", name=t("Cancel the session"), exact=True)
    expect(cancel).to_be_visible()
    button_text = cancel.inner_text()
    asks_and_backs_out(page, cancel, COORDINATOR[1])
    with live_app.app_context():
        assert db.session.get(CoachingSession, setting.session_id).status == SessionStatus.SCHEDULED

    cancel.click()
    dialog = dialog_of(page)
    expect(dialog).to_contain_text(COORDINATOR[1])
    dialog.get_by_role("button", name=button_text, exact=True).click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("alert").first).to_be_visible()
    with live_app.app_context():
        session = db.session.get(CoachingSession, setting.session_id)
        assert session.status == SessionStatus.CANCELLED
        assert session.cancel_reason == "면접 일정과 겹칩니다."
    page.context.close()


def test_recording_a_drop_out_names_the_trainee_and_can_be_called_off(
    browser: Browser, live_server: str, live_app: Flask, setting: Setting
) -> None:
    page = no_native_dialogs(browser.new_context(viewport=PHONE, locale="ko-KR").new_page())
    log_in(page, live_server, MANAGER)
    page.goto(f"{live_server}/cohorts/{setting.cohort_id}/roster/{setting.dropping_id}")
    expect(page.get_by_role("heading", name=DROPPING, exact=True)).to_be_visible()
    form = page.locator("form[data-confirm-field='status']")
    form.get_by_label(t("Status"), exact=True).select_option("dropped")
    save = form.get_by_role("button", name=t("Save"), exact=True)
    sentence = t("%(name)s will be recorded as having dropped out of the course.", name=DROPPING)
    asks_and_backs_out(page, save, sentence)
    # The sentence follows the choice.
    form.get_by_label(t("Status"), exact=True).select_option("expelled")
    save.click()
    expect(dialog_of(page)).to_contain_text(
        t("%(name)s will be expelled from the course.", name=DROPPING)
    )
    expect(dialog_of(page).get_by_role("button", name=t("Cancel"), exact=True)).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog_of(page)).to_be_hidden()
    with live_app.app_context():
        assert db.session.get(Enrollment, setting.dropping_id).status == EnrollmentStatus.ENROLLED
    page.context.close()


def test_an_answer_given_while_the_dialog_opens_is_acted_on(browser: Browser, live_server: str):
    """Bootstrap ignores hide() while the dialog fades in: an OK given then (a quick tap, a
    test's click, Enter) must still go through once it has opened, not leave it open."""
    page = no_native_dialogs(browser.new_context(viewport=PHONE, locale="ko-KR").new_page())
    page.goto(f"{live_server}/auth/login")
    page.evaluate(
        """() => {
            const form = document.createElement("form");
            form.method = "get";
            form.action = "/healthz";
            form.dataset.confirm = "Sure?";
            form.innerHTML = "<button type='submit'>Go</button>";
            document.querySelector("main").appendChild(form);
            form.requestSubmit(form.querySelector("button"));
            document.querySelector("[data-confirm-ok]").click();  // in the same tick: fading in
        }"""
    )
    page.wait_for_url("**/healthz*", timeout=5000)
    page.context.close()
