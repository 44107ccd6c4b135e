"""A week of a running cohort, in real headless Chromium: calendar, attendance, completion.

The manager of 구로 generates the class calendar of the demo's running cohort on a desktop,
marks the last week's attendance on a phone (one trainee absent every day), sees that trainee
flagged below the completion threshold on the roster, completes the others and drops the
absent one with a reason — after the bad inputs are refused beside their fields. The dropped
trainee then logs in on a phone, sees their own record and is refused another's page.

Labels are looked up in the Korean catalogue (messages.po): a message not translated yet
falls back to its English msgid, so the test passes before and after the catalogue is done.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import Flask
from playwright.sync_api import Browser, Page, expect

import sesac_ms
from sesac_ms.auth.services import create_user, find_user_by_email
from sesac_ms.cohorts import roster
from sesac_ms.demo import DEMO_PASSWORD
from sesac_ms.extensions import db
from sesac_ms.models import AttendanceStatus, ClassDay, Cohort, Course, Enrollment, Role

from .dialogs import confirm_dialogs

pytestmark = pytest.mark.browser

KO_PO = Path(sesac_ms.__file__).parent / "translations/ko/LC_MESSAGES/messages.po"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
COURSE = "AI 활용 데이터분석 취업캠프"
COHORT = f"(구로1기/AI융합) {COURSE}"
MANAGER = "manager@sesac.example"
ABSENT = "강민준"  # absent all week: flagged, then dropped
COMPLETED = ("김서윤", "박지호")
EARLY_EMPLOYED = "이하은"
TRAINEES = (ABSENT, *COMPLETED, EARLY_EMPLOYED)


@cache
def _korean() -> dict[str, str]:
    """msgid → Korean msgstr of the catalogue, for gettext without a context (pgettext's
    entries share msgids); fuzzy entries are not compiled, so not used."""
    with KO_PO.open("rb") as file:
        catalog = read_po(file)
    return {
        m.id: m.string
        for m in catalog
        if isinstance(m.id, str) and m.id and m.string and not m.fuzzy and m.context is None
    }


def t(msgid: str, **values: object) -> str:
    """The text the Korean UI shows for an English msgid, as gettext builds it."""
    text = _korean().get(msgid, msgid)
    return text % values if values else text


@dataclass
class Week:
    cohort_id: int
    enrollments: dict[str, int]  # trainee name → enrollment id
    emails: dict[str, str]
    end_on: date


@pytest.fixture(scope="module")
def week(live_app: Flask) -> Week:
    """Four trainees with accounts on the running 구로 cohort's roster, as if enrolled."""
    with live_app.app_context():
        cohort = db.session.scalar(
            db.select(Cohort).join(Course).where(Course.title == COURSE, Cohort.number == 1)
        )
        assert cohort is not None and cohort.label() == COHORT
        manager = find_user_by_email(MANAGER)
        enrollments, emails = {}, {}
        for n, name in enumerate(TRAINEES, start=1):
            email = f"roster.trainee{n}@example.com"
            user = create_user(
                manager,
                email=email,
                name=name,
                role=Role.TRAINEE,
                campus=cohort.course.campus,
                password=DEMO_PASSWORD,
                send_link=False,
            )
            enrollment = Enrollment(cohort_id=cohort.id, user_id=user.id)
            db.session.add(enrollment)
            db.session.flush()
            enrollments[name], emails[name] = enrollment.id, email
        db.session.commit()
        return Week(cohort.id, enrollments, emails, cohort.end_on)


def missing_class_days(app: Flask, cohort_id: int) -> int:
    """How many days the generator will add (the demo data may have generated them already)."""
    with app.app_context():
        cohort = db.session.get(Cohort, cohort_id)
        existing = {day.day for day in roster.class_days(cohort)}
        return len(set(roster.planned_days(cohort)) - existing)


def last_week(app: Flask, cohort_id: int) -> list[date]:
    """The last five class days before today."""
    with app.app_context():
        cohort = db.session.get(Cohort, cohort_id)
        today = roster.today_in_seoul()
        days = [d.day for d in roster.class_days(cohort, include_cancelled=False)]
        past = [day for day in days if day < today]
        assert len(past) >= 5, "the demo cohort started 40 days ago"
        return past[-5:]


def changes_expected(app: Flask, cohort_id: int, day: date) -> int:
    """Records the sheet will change: everyone not marked yet, and the absent trainee."""
    with app.app_context():
        cohort = db.session.get(Cohort, cohort_id)
        class_day = db.session.scalar(
            db.select(ClassDay).where(ClassDay.cohort_id == cohort_id, ClassDay.day == day)
        )
        return sum(
            1
            for enrollment, record in roster.sheet(cohort, class_day)
            if record is None
            or (enrollment.user.name == ABSENT and record.status != AttendanceStatus.ABSENT)
        )


def other_names(app: Flask, cohort_id: int) -> list[str]:
    with app.app_context():
        cohort = db.session.get(Cohort, cohort_id)
        return [e.user.name for e in roster.roster(cohort) if e.user.name != ABSENT]


def shot(page: Page, output_path: str, name: str) -> None:
    Path(output_path).mkdir(parents=True, exist_ok=True)
    # Transitions fast-forwarded, so a radio just clicked is shown in its checked colours.
    page.screenshot(
        path=str(Path(output_path) / f"roster-{name}.png"), full_page=True, animations="disabled"
    )


def flash(page: Page, text: str):
    return page.get_by_role("alert").filter(has_text=text)


def log_in(page: Page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/auth/login")
    page.get_by_label(t("E-mail"), exact=True).fill(email)
    page.get_by_label(t("Password"), exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name=t("Log in")).click()
    page.wait_for_url(re.compile(r"/$"))


def roster_row(page: Page, name: str):
    return page.get_by_role("row").filter(has=page.get_by_role("link", name=name, exact=True))


def status_form(page: Page):
    return page.locator("form").filter(has=page.get_by_label(t("Reason for dropping out")))


def error_beside(page: Page, label: str):
    """The invalid-feedback message the forms macro shows under the labelled field."""
    return (
        page.locator(".mb-3")
        .filter(has=page.get_by_label(label, exact=True))
        .locator(".invalid-feedback")
    )


def set_status(page: Page, status: str, on: date | str, *, reason: str = "—", note: str = ""):
    form = status_form(page)
    form.get_by_label(t("Status"), exact=True).select_option(label=status)
    form.get_by_label(t("Date"), exact=True).fill(str(on))
    form.get_by_label(t("Reason for dropping out"), exact=True).select_option(label=reason)
    form.get_by_label(t("Note or written override"), exact=True).fill(note)
    form.get_by_role("button", name=t("Save"), exact=True).click()
    page.wait_for_load_state("load")


def test_a_week_of_attendance_completion_and_the_trainees_own_page(
    browser: Browser, live_server: str, live_app: Flask, week: Week, output_path: str
) -> None:
    base = live_server
    manager = browser.new_context(viewport=DESKTOP, locale="ko-KR").new_page()
    confirm_dialogs(manager)  # each change of status asks first, naming the trainee
    log_in(manager, base, MANAGER)

    # The calendar, generated from the cohort's dates, public holidays left out.
    manager.get_by_role("navigation", name=t("Main navigation")).get_by_role(
        "link", name=t("Cohorts"), exact=True
    ).click()
    manager.get_by_role("link", name=COHORT, exact=True).click()
    manager.get_by_role("link", name=t("Calendar"), exact=True).click()
    added = missing_class_days(live_app, week.cohort_id)
    manager.get_by_role("button", name=t("Generate from the dates")).click()
    message = t(
        "Class days generated: %(added)d added, %(removed)d removed.", added=added, removed=0
    )
    expect(flash(manager, message)).to_be_visible()
    assert missing_class_days(live_app, week.cohort_id) == 0
    days = last_week(live_app, week.cohort_id)
    for day in days:  # a month at a time: last week may lie in the month before
        manager.goto(f"{base}/cohorts/{week.cohort_id}/calendar?month={day:%Y-%m}")
        expect(manager.get_by_role("row").filter(has_text=day.isoformat())).to_have_count(1)
    shot(manager, output_path, "calendar")

    # A week of attendance on a phone: everyone starts as present, one is absent every day.
    manager.set_viewport_size(PHONE)
    for n, day in enumerate(days):
        manager.goto(f"{base}/cohorts/{week.cohort_id}/calendar?month={day:%Y-%m}")
        manager.get_by_role("row").filter(has_text=day.isoformat()).get_by_role(
            "link", name=t("Attendance"), exact=True
        ).click()
        expect(manager.get_by_role("heading", level=1)).to_contain_text(day.isoformat())
        for name in TRAINEES:
            group = manager.get_by_role("radiogroup", name=name, exact=True)
            expect(group.get_by_label(t("Present"), exact=True)).to_be_checked()
        absent = manager.get_by_role("radiogroup", name=ABSENT, exact=True)
        absent.get_by_text(t("Absent"), exact=True).click()
        expect(absent.get_by_label(t("Absent"), exact=True)).to_be_checked()
        expect(absent.get_by_label(t("Present"), exact=True)).not_to_be_checked()
        changed = changes_expected(live_app, week.cohort_id, day)
        if n == 0:
            shot(manager, output_path, "attendance-phone")
        manager.get_by_role("button", name=t("Save attendance")).click()
        expect(flash(manager, t("Attendance saved (%(n)d changed).", n=changed))).to_be_visible()
        expect(manager.get_by_role("heading", level=1)).to_have_text(COHORT)

    # The roster: the absent trainee is below the threshold and flagged, the others are not.
    manager.set_viewport_size(DESKTOP)
    manager.goto(f"{base}/cohorts/{week.cohort_id}/roster")
    flagged = roster_row(manager, ABSENT)
    expect(flagged).to_contain_text("0.0%")
    expect(flagged).to_contain_text(t("Below the completion threshold"))
    for name in (*COMPLETED, EARLY_EMPLOYED):
        expect(roster_row(manager, name)).to_contain_text("100.0%")
        expect(roster_row(manager, name)).not_to_contain_text(t("Below the completion threshold"))
    shot(manager, output_path, "roster-flagged")

    # Completion of the others, with the date.
    last_day = days[-1]
    for name, status in (
        (COMPLETED[0], "Completed"),
        (COMPLETED[1], "Completed"),
        (EARLY_EMPLOYED, "Completed by early employment"),
    ):
        manager.goto(f"{base}/cohorts/{week.cohort_id}/roster")
        manager.get_by_role("link", name=name, exact=True).click()
        set_status(manager, t(status), last_day)
        expect(
            flash(manager, t("%(name)s is now “%(status)s”.", name=name, status=t(status)))
        ).to_be_visible()

    # The absent trainee: completion is refused without a written override, dropping out
    # without a reason or with a date outside the cohort is refused, each beside its field.
    manager.goto(f"{base}/cohorts/{week.cohort_id}/roster")
    manager.get_by_role("link", name=ABSENT, exact=True).click()
    set_status(manager, t("Completed"), last_day)
    expect(error_beside(manager, t("Note or written override"))).to_have_text(
        t(
            "Attendance is %(rate)s, under %(threshold)d%%: write why completion is granted "
            "anyway.",
            rate="0.0%",
            threshold=80,
        )
    )
    set_status(manager, t("Dropped out"), last_day)
    expect(error_beside(manager, t("Reason for dropping out"))).to_have_text(
        t("Choose why the trainee dropped out.")
    )
    outside = week.end_on.replace(year=week.end_on.year + 1)
    set_status(manager, t("Dropped out"), outside, reason=t("Absence"))
    expect(error_beside(manager, t("Date"))).to_contain_text(outside.strftime("%Y"))
    expect(manager.locator("h1 ~ .badge").first).to_have_text(t("In training"))
    set_status(
        manager, t("Dropped out"), last_day, reason=t("Absence"), note="연락 두절, 본인 의사 확인"
    )
    expect(
        flash(manager, t("%(name)s is now “%(status)s”.", name=ABSENT, status=t("Dropped out")))
    ).to_be_visible()
    expect(manager.locator("h1 ~ .badge").first).to_have_text(t("Dropped out"))
    reason = manager.locator("dt").filter(has_text=t("Reason for dropping out"))
    expect(reason.locator("xpath=following-sibling::dd[1]")).to_have_text(t("Absence"))
    shot(manager, output_path, "trainee-dropped")

    manager.goto(f"{base}/cohorts/{week.cohort_id}/roster")
    expect(roster_row(manager, ABSENT)).to_contain_text(t("Dropped out"))
    for name in COMPLETED:
        expect(roster_row(manager, name)).to_contain_text(t("Completed"))
    expect(roster_row(manager, EARLY_EMPLOYED)).to_contain_text(t("Completed by early employment"))
    shot(manager, output_path, "roster-after")
    manager.context.close()

    # The dropped trainee, on their phone: their own record, nobody else's.
    trainee = browser.new_context(viewport=PHONE, locale="ko-KR").new_page()
    log_in(trainee, base, week.emails[ABSENT])
    trainee.get_by_role("button", name=t("Menu")).click()
    trainee.get_by_role("navigation", name=t("Main navigation")).get_by_role(
        "link", name=t("My training"), exact=True
    ).click()
    expect(trainee.get_by_role("heading", name=t("My training"))).to_be_visible()
    expect(trainee.get_by_role("heading", name=COHORT)).to_be_visible()
    expect(trainee.locator("dd").filter(has_text=t("Dropped out"))).to_have_count(1)
    expect(trainee.get_by_text("0.0%", exact=True)).to_be_visible()
    for day in days:
        expect(trainee.get_by_role("row").filter(has_text=day.isoformat())).to_contain_text(
            t("Absent")
        )
    content = trainee.locator("main")
    for name in other_names(live_app, week.cohort_id):
        expect(content).not_to_contain_text(name)
    shot(trainee, output_path, "me-phone")

    someone_else = f"{base}/cohorts/{week.cohort_id}/roster/{week.enrollments[COMPLETED[0]]}"
    response = trainee.goto(someone_else)
    assert response is not None and response.status == 403
    expect(trainee.get_by_role("heading", name=t("Not allowed"))).to_be_visible()
    expect(content).not_to_contain_text(COMPLETED[0])
    response = trainee.goto(f"{base}/cohorts/{week.cohort_id}/roster")
    assert response is not None and response.status == 403
    shot(trainee, output_path, "someone-else-403")
    trainee.context.close()
