"""Tested as a new user would: apply → screen → interview → accept/waitlist/reject → withdraw →
waitlisted promoted → enrolled trainee logs in, in real headless Chromium.

Four applicants apply on a phone; the manager of 구로 screens them on a desktop with two
places left; the accepted A withdraws, so the waitlisted C is offered the place, takes it, is
enrolled and logs in as a trainee. Every step checks what the person sees (badges, flash
messages); mails are read from the live server's outbox, as the person would read them.

Labels are looked up in the compiled Korean catalog (what the server shows): a message not
translated yet falls back to its English msgid, so the test passes before and after the
catalog is complete.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from sesac_ms.demo import DEMO_PASSWORD
from sesac_ms.extensions import db
from sesac_ms.models import Application, OutboxMessage

from .dialogs import confirm_dialogs
from .korean import t

pytestmark = pytest.mark.browser

SEOUL = ZoneInfo("Asia/Seoul")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
COHORT = "(구로2기/AI융합) AI 활용 데이터분석 취업캠프"
MANAGER = ("manager@sesac.example", "김매니저")
NEW_PASSWORD = "새싹에서 다시 시작하는 봄"  # 12+ characters

# key: (name, e-mail, phone, birth date)
APPLICANTS = {
    "A": ("강하늘", "applicant.a@example.com", "010-2345-6781", "1999-03-14"),
    "B": ("윤서연", "applicant.b@example.com", "01034567892", "2001-07-02"),
    "C": ("정민호", "applicant.c@example.com", "010-4567-8903", "1997-11-23"),
    "D": ("한지우", "applicant.d@example.com", "010-5678-9014", "2002-01-30"),
}


def flash(page: Page, text: str):
    return page.get_by_role("alert").filter(has_text=text)


def stage_badge(page: Page):
    """The stage badge next to the page heading (applicant page and status page)."""
    return page.locator("h1 ~ .badge, dd .badge").first


def shot(page: Page, output_path: str, name: str) -> None:
    Path(output_path).mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(Path(output_path) / f"selection-{name}.png"), full_page=True)


def accept_dialogs(page: Page) -> list[str]:
    """Confirm every confirmation dialog on the page; returns the list its sentences go into."""
    return confirm_dialogs(page)


def mails_to(app: Flask, email: str) -> list[tuple[str, str]]:
    """(subject, body) of every mail queued for an address, oldest first."""
    with app.app_context():
        return [
            (m.subject, m.body)
            for m in db.session.scalars(
                db.select(OutboxMessage)
                .where(OutboxMessage.recipient == email)
                .order_by(OutboxMessage.id)
            )
        ]


def link_in(mail: tuple[str, str], base_url: str) -> str:
    match = re.search(r"https?://\S+", mail[1])
    assert match, f"no link in the mail {mail[0]!r}"
    assert match.group(0).startswith(base_url), match.group(0)
    return match.group(0)


def mail_with_subject(app: Flask, email: str, subject: str) -> tuple[str, str]:
    found = [mail for mail in mails_to(app, email) if mail[0] == subject]
    assert found, f"no mail {subject!r} to {email}: {[m[0] for m in mails_to(app, email)]}"
    return found[-1]


def apply(page: Page, base_url: str, key: str) -> None:
    """An applicant opens the list of recruiting cohorts, picks 구로2기 and sends the form."""
    name, email, phone, birth_date = APPLICANTS[key]
    page.goto(f"{base_url}/applications/open")
    expect(
        page.get_by_role("heading", name=t("Cohorts recruiting now"), exact=True)
    ).to_be_visible()
    page.get_by_role("link", name=COHORT).click()
    expect(page.get_by_role("heading", name=t("Apply"), exact=True)).to_be_visible()
    page.get_by_label(t("Name"), exact=True).fill(name)
    page.get_by_label(t("E-mail"), exact=True).fill(email)
    page.get_by_label(t("Mobile phone"), exact=True).fill(phone)
    page.get_by_label(t("Birth date"), exact=True).fill(birth_date)
    page.get_by_label(t("District you live in"), exact=True).select_option(label="구로구")
    page.get_by_label(t("Current employment"), exact=True).select_option(label=t("Not employed"))
    page.get_by_label(t("Education"), exact=True).select_option(label=t("University"))
    page.get_by_label(t("Why do you apply?"), exact=True).fill(
        f"{name}: 데이터 분석가로 취업하고 싶어 지원합니다. 공공데이터로 프로젝트를 해 봤습니다."
    )
    page.get_by_label(
        t("I agree to the collection and use of my personal data as described above (required).")
    ).check()


def submit_application(page: Page, key: str, app: Flask, base_url: str) -> None:
    """Send the form, then open the private status link, which comes by mail only."""
    page.get_by_role("button", name=t("Send my application")).click()
    expect(page).to_have_url(re.compile(r"/apply/\d+-[a-z0-9-]+/sent$"))
    expect(page.get_by_role("heading", name=t("Check your e-mail"), exact=True)).to_be_visible()
    page.goto(link_in(mails_to(app, APPLICANTS[key][1])[-1], base_url))
    expect(page.get_by_role("heading", name=t("Your application"), exact=True)).to_be_visible()
    expect(page.get_by_text(APPLICANTS[key][0], exact=True)).to_be_visible()
    expect(stage_badge(page)).to_have_text(t("Submitted"))


def log_in(page: Page, base_url: str, email: str, password: str) -> None:
    if not page.url.startswith(f"{base_url}/auth/login"):
        page.goto(f"{base_url}/auth/login")
    page.get_by_label(t("E-mail"), exact=True).fill(email)
    page.get_by_label(t("Password"), exact=True).fill(password)
    page.get_by_role("button", name=t("Log in")).click()
    expect(page.get_by_role("heading", name=t("Dashboard"), exact=True)).to_be_visible()


def open_applicant(page: Page, key: str) -> None:
    """From an applicant's page or the cohort's page, go to the pipeline and open one."""
    name = APPLICANTS[key][0]
    page.get_by_role("link", name=COHORT).first.click()
    expect(page.get_by_role("heading", name=t("Applicants"), exact=True)).to_be_visible()
    page.get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()


def decide(page: Page, key: str, button: str, message: str, reason: str | None = None) -> None:
    """Press a decision button on the applicant's page, with a reason if given."""
    name = APPLICANTS[key][0]
    if reason is not None:
        form = page.locator("form").filter(has=page.get_by_role("button", name=button, exact=True))
        form.get_by_label(t("Reason"), exact=True).fill(reason)
    page.get_by_role("button", name=button, exact=True).click()
    expect(flash(page, message.format(name=name))).to_be_visible()


def pipeline_row(page: Page, key: str):
    return page.get_by_role("row").filter(has_text=APPLICANTS[key][1])


def test_apply_select_withdraw_promote_enrol_and_log_in(
    browser: Browser, page: Page, live_server: str, live_app: Flask, output_path: str
) -> None:
    base = live_server
    names = {key: applicant[0] for key, applicant in APPLICANTS.items()}
    emails = {key: applicant[1] for key, applicant in APPLICANTS.items()}
    phones = {key: browser.new_context(viewport=PHONE, locale="ko-KR") for key in APPLICANTS}
    try:
        # --- 1. Four applicants apply on their phones --------------------------------------
        applicant = {key: context.new_page() for key, context in phones.items()}
        apply(applicant["A"], base, "A")
        shot(applicant["A"], output_path, "01-apply-form-phone")
        submit_application(applicant["A"], "A", live_app, base)
        shot(applicant["A"], output_path, "02-status-submitted-phone")
        for key in "BCD":
            apply(applicant[key], base, key)
            submit_application(applicant[key], key, live_app, base)
        for key in APPLICANTS:
            subject = mails_to(live_app, emails[key])[0][0]
            assert subject == t("[SeSAC] Application received: %(cohort)s", cohort=COHORT)
        status_link = {key: link_in(mails_to(live_app, emails[key])[0], base) for key in "AC"}

        # --- 2. The manager leaves two places and selects -------------------------------
        manager = page
        manager.set_viewport_size(DESKTOP)
        dialogs = accept_dialogs(manager)
        log_in(manager, base, MANAGER[0], DEMO_PASSWORD)
        navigation = manager.get_by_role("navigation", name=t("Main navigation"))
        navigation.get_by_role("link", name=t("Cohorts"), exact=True).click()
        manager.get_by_role("link", name=COHORT, exact=True).click()
        manager.get_by_role("link", name=t("Edit"), exact=True).click()
        manager.get_by_label(t("Capacity"), exact=True).fill("2")
        manager.get_by_role("button", name=t("Save"), exact=True).click()
        expect(flash(manager, t("Cohort %(label)s was saved.", label=COHORT))).to_be_visible()

        manager.get_by_role("link", name=t("Applicants"), exact=True).click()
        expect(manager.get_by_role("heading", name=t("Applicants"), exact=True)).to_be_visible()
        places = manager.locator(".card").filter(has_text=t("Places taken"))
        expect(places).to_contain_text("0 / 2")
        for key in APPLICANTS:
            expect(pipeline_row(manager, key).locator(".badge")).to_have_text(t("Submitted"))
        # Submitted → document screening → interview, all four at once.
        for stage in ("Document screening", "Interview"):
            for name in names.values():
                manager.get_by_label(t("Select %(name)s", name=name), exact=True).check()
            manager.get_by_label(t("With the selected"), exact=True).select_option(
                label=t("Move to the next stage")
            )
            manager.get_by_role("button", name=t("Apply to selected")).click()
            expect(flash(manager, t("%(n)d applicant(s) changed.", n=4))).to_be_visible()
            for key in APPLICANTS:
                expect(pipeline_row(manager, key).locator(".badge")).to_have_text(t(stage))
        shot(manager, output_path, "03-pipeline-interview")

        # An interview slot tomorrow at 10:00 (Seoul), with the manager as interviewer.
        manager.get_by_role("link", name=t("Interview slots")).click()
        expect(
            manager.get_by_role("heading", name=t("Interview slots"), exact=True)
        ).to_be_visible()
        tomorrow = datetime.now(SEOUL).date() + timedelta(days=1)
        manager.get_by_label(t("Interviewer"), exact=True).select_option(label=MANAGER[1])
        manager.get_by_label(t("Starts at"), exact=True).fill(f"{tomorrow:%Y-%m-%d}T10:00")
        manager.get_by_label(t("Minutes"), exact=True).fill("30")
        manager.get_by_label(t("Place or online meeting link"), exact=True).fill(
            "새싹 구로캠퍼스 3층 면접실"
        )
        manager.get_by_role("button", name=t("Add"), exact=True).click()
        expect(flash(manager, t("Interview slot added."))).to_be_visible()
        slot_row = manager.get_by_role("row").filter(has_text="새싹 구로캠퍼스 3층 면접실")
        expect(slot_row).to_contain_text(f"{tomorrow:%Y-%m-%d} 10:00–10:30")
        expect(slot_row).to_contain_text(t("Free"))
        shot(manager, output_path, "04-interview-slots")

        # A: gets the slot, is scored and accepted.
        open_applicant(manager, "A")
        expect(stage_badge(manager)).to_have_text(t("Interview"))
        manager.get_by_role("button", name=t("Assign and mail")).click()
        expect(
            flash(manager, t("The interview time was mailed to %(name)s.", name=names["A"]))
        ).to_be_visible()
        # The interview card shows the time, the interviewer and the place.
        expect(manager.get_by_text(f"{tomorrow:%Y-%m-%d} 10:00 · {MANAGER[1]}")).to_contain_text(
            "새싹 구로캠퍼스 3층 면접실"
        )
        mail_with_subject(
            live_app, emails["A"], t("[SeSAC] Your interview: %(cohort)s", cohort=COHORT)
        )
        manager.get_by_label(t("Score (0–100)"), exact=True).fill("88")
        manager.get_by_label(t("Comment"), exact=True).fill("분석 경험이 구체적임")
        manager.get_by_role("button", name=t("Save my score")).click()
        expect(flash(manager, t("Your score was saved."))).to_be_visible()
        expect(manager.get_by_text(t("average %(avg).1f", avg=88.0))).to_be_visible()
        shot(manager, output_path, "05-applicant-A-scored")
        decide(manager, "A", t("Accept"), t("{name} is accepted."))
        expect(stage_badge(manager)).to_have_text(t("Accepted"))

        # B: accepted; the cohort is full now.
        open_applicant(manager, "B")
        decide(manager, "B", t("Accept"), t("{name} is accepted."))
        expect(stage_badge(manager)).to_have_text(t("Accepted"))

        # C: accepting is refused (no place left), so C goes on the waitlist.
        open_applicant(manager, "C")
        manager.get_by_role("button", name=t("Accept"), exact=True).click()
        expect(
            flash(
                manager,
                t(
                    "The cohort is full: all %(n)d places are taken. Waitlist the applicant "
                    "instead.",
                    n=2,
                ),
            )
        ).to_be_visible()
        expect(stage_badge(manager)).to_have_text(t("Interview"))
        decide(manager, "C", t("Waitlist"), t("{name} is on the waitlist."))
        expect(stage_badge(manager)).to_have_text(t("Waitlisted"))
        expect(manager.get_by_text(t("Waitlist #%(n)d", n=1), exact=True)).to_be_visible()

        # D: rejected with a reason.
        open_applicant(manager, "D")
        reason = "면접 불참"
        decide(manager, "D", t("Reject"), t("{name} is rejected."), reason=reason)
        expect(stage_badge(manager)).to_have_text(t("Rejected"))
        expect(manager.get_by_text(f"{t('Reason')}: {reason}")).to_be_visible()

        manager.get_by_role("link", name=COHORT).first.click()
        expect(places).to_contain_text("2 / 2")
        for key, stage in (
            ("A", "Accepted"),
            ("B", "Accepted"),
            ("C", "Waitlisted"),
            ("D", "Rejected"),
        ):
            expect(pipeline_row(manager, key).locator(".badge")).to_have_text(t(stage))
        expect(pipeline_row(manager, "C")).to_contain_text("#1")
        shot(manager, output_path, "06-pipeline-decided")

        # --- 3. A withdraws through the private link of the confirmation mail -------------
        a = applicant["A"]
        a_dialogs = accept_dialogs(a)
        a.goto(status_link["A"])
        expect(stage_badge(a)).to_have_text(t("Accepted"))
        a.get_by_role("button", name=t("Withdraw my application")).click()
        expect(flash(a, t("Your application is withdrawn."))).to_be_visible()
        expect(stage_badge(a)).to_have_text(t("Withdrawn"))
        expect(a.get_by_role("button", name=t("Withdraw my application"))).to_have_count(0)
        assert a_dialogs == [t("Withdraw your application? This cannot be undone.")]
        shot(a, output_path, "07-status-withdrawn-phone")

        # --- 4. The freed place is offered to C, who takes it -----------------------------
        offer = mail_with_subject(
            live_app, emails["C"], t("[SeSAC] A place is free for you: %(cohort)s", cohort=COHORT)
        )
        assert link_in(offer, base) == status_link["C"]
        with live_app.app_context():
            expires: date = db.session.scalar(
                db.select(Application.offer_expires_on).where(Application.email == emails["C"])
            )
        assert expires > datetime.now(SEOUL).date()
        c = applicant["C"]
        c.goto(link_in(offer, base))
        expect(stage_badge(c)).to_have_text(t("Offered a place"))
        expect(
            c.get_by_text(
                t(
                    "A place is free for you. Take it by %(date)s, or it passes to the next "
                    "applicant.",
                    date=format_date(expires, "medium", locale="ko"),
                )
            )
        ).to_be_visible()
        shot(c, output_path, "08-status-offer-phone")
        c.get_by_role("button", name=t("Take the place")).click()
        expect(flash(c, t("You took the place. See you at the start of training."))).to_be_visible()
        expect(stage_badge(c)).to_have_text(t("Accepted"))
        expect(c.get_by_text(t("Training starts"), exact=True)).to_be_visible()

        # --- 5. The manager confirms C's enrolment; C sets a password and logs in ---------
        manager.reload()
        expect(pipeline_row(manager, "A").locator(".badge")).to_have_text(t("Withdrawn"))
        expect(pipeline_row(manager, "C").locator(".badge")).to_have_text(t("Accepted"))
        expect(places).to_contain_text("2 / 2")
        manager.get_by_role("link", name=names["C"], exact=True).click()
        dialogs.clear()
        manager.get_by_role("button", name=t("Confirm enrolment")).click()
        expect(
            flash(
                manager,
                t("{name} is enrolled; the trainee account is ready.").format(name=names["C"]),
            )
        ).to_be_visible()
        expect(stage_badge(manager)).to_have_text(t("Enrolled"))
        assert dialogs == [
            t(
                "%(name)s will be enrolled on the roster and given a trainee account.",
                name=names["C"],
            )
        ]
        shot(manager, output_path, "09-applicant-C-enrolled")

        welcome = mail_with_subject(live_app, emails["C"], t("[SeSAC MS] Set your password"))
        c.goto(link_in(welcome, base))
        expect(c.get_by_role("heading", name=t("Set your password"), exact=True)).to_be_visible()
        c.get_by_label(t("New password"), exact=True).fill(NEW_PASSWORD)
        c.get_by_label(t("New password again"), exact=True).fill(NEW_PASSWORD)
        c.get_by_role("button", name=t("Set password")).click()
        expect(flash(c, t("Your password is set. Log in with it now."))).to_be_visible()
        log_in(c, base, emails["C"], NEW_PASSWORD)
        expect(flash(c, t("Welcome, %(name)s.", name=names["C"]))).to_be_visible()
        shot(c, output_path, "10-trainee-dashboard-phone")
        c.get_by_role("button", name=t("Menu")).click()
        trainee_nav = c.get_by_role("navigation", name=t("Main navigation"))
        expect(trainee_nav.get_by_role("link", name=t("Dashboard"), exact=True)).to_be_visible()
        expect(trainee_nav.get_by_role("link", name=t("Cohorts"), exact=True)).to_have_count(0)
        trainee_nav.get_by_role("link", name=t("My training"), exact=True).click()
        expect(c.get_by_role("heading", name=t("My training"), exact=True)).to_be_visible()
        expect(c.get_by_role("heading", name=COHORT, exact=True)).to_be_visible()
        shot(c, output_path, "11-trainee-my-training-phone")
    finally:
        for context in phones.values():
            context.close()
