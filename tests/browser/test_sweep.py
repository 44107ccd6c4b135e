"""Every page of every role, in Korean and English, on a phone, in real Chromium.

For each role (and an anonymous visitor) and each locale, one browser context at 390 px
logs in once and opens every GET page the role may open (built from `app.url_map` and
`permissions.ACTIONS`, with the URL arguments filled from the demo data of the live server).
On that one visit it runs every check. A second context at desktop width opens the role's
first page only, for what a phone hides: the navigation bar, expanded.

- axe-core (vendored in tests/browser/vendor/axe-core) with the WCAG 2.0/2.1 A and AA rules:
  no serious or critical violation (KWCAG 2.2 follows WCAG 2.1 AA);
- in English, no Hangul in the page's text (hidden text, such as a collapsed menu, included)
  except text users typed (names, course titles without an English title, company names,
  notes: read from the database) and elements marked `lang="ko"` (the language switch);
- at 390 px, no sideways scrolling (`scrollWidth <= innerWidth`).

Every failure of a role's sweep is collected and reported once, one line a problem, so a
single run shows everything; each role is a test of its own, so the suite's workers share
the sweep. Downloads, feeds, health checks and POST-only routes are not
pages and are left out; a page answering anything but 200 is a failure.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, url_for
from playwright.sync_api import Browser, BrowserContext, Page
from playwright.sync_api import Error as PlaywrightError

from sesac_ms.applications.recruiting import RecruitingFilters, cohort_slug, recruiting_cohorts
from sesac_ms.applications.services import ApplicantDetails, check_open, submit_application
from sesac_ms.applications.tokens import token_for
from sesac_ms.auth.services import find_user_by_email, issue_password_link
from sesac_ms.clock import SEOUL
from sesac_ms.demo import DEMO_CAMPUS, DEMO_PASSWORD
from sesac_ms.errors import DomainError
from sesac_ms.extensions import db
from sesac_ms.models import (
    Application,
    ApplicationScore,
    AvailabilitySlot,
    Campus,
    ClassDay,
    CoachingSession,
    Cohort,
    CohortEvent,
    Company,
    Course,
    DataRequest,
    Enrollment,
    EnrollmentStatus,
    FollowUp,
    InterviewSlot,
    OutboxMessage,
    Outcome,
    Passkey,
    Referral,
    RetentionCheck,
    Role,
    SessionKind,
    User,
    WebhookDelivery,
    WebhookSubscription,
)
from sesac_ms.models.privacy import RequestKind
from sesac_ms.models.types import utcnow
from sesac_ms.permissions import ACTIONS, PUBLIC
from sesac_ms.sessions.services import book_slot
from sesac_ms.webhooks.subscriptions import subscribe
from tests.conftest import PUBLIC_ADDRESS, dns

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
LOCALES = ("ko", "en")
ROLES: dict[str, str | None] = {
    "anonymous": None,
    "admin": "admin@sesac.example",
    "manager": "manager@sesac.example",
    "coordinator": "coordinator@sesac.example",
    "mentor": "mentor@sesac.example",
    "trainee": "trainee@sesac.example",
}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = {"serious", "critical"}
HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]+")
# Not pages: files, feeds, probes. A rule's last part tells most (".csv", ".ics", "export").
NOT_PAGES = {
    "static",
    "main.health",
    "main.ready",
    "sessions.feed",
    "sessions.trainee_search",
    "api_docs.openapi_json",
}
# Public pages the same for everyone but the navigation (checked on every other page), and
# heavy to draw: opened by the anonymous visitor alone.
ANONYMOUS_ONLY = {"api_docs.docs_page"}
NOT_PAGE_SUFFIXES = (".csv", ".ics", ".json", ".xlsx", "/export", ".txt", ".xml", ".ico", ".png")

# Text of every text node and of the attributes a person sees or hears, except inside
# scripts and styles and inside elements in another language than English (the language
# switch says "한국어" in Korean, on purpose).
PAGE_TEXT_JS = """() => {
  const skip = 'script,style,noscript,[lang]:not([lang|="en"])';
  const texts = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest(skip)) continue;
    const text = node.nodeValue.replace(/\\s+/g, ' ').trim();
    if (text) texts.push(text);
  }
  const attributes = ['placeholder', 'aria-label', 'title', 'alt', 'aria-description'];
  for (const element of document.body.querySelectorAll('*')) {
    if (element.closest(skip)) continue;
    for (const name of attributes) {
      const value = element.getAttribute(name);
      if (value) texts.push(value);
    }
    if (element.matches('input[type=submit],input[type=button]') && element.value) {
      texts.push(element.value);
    }
  }
  return texts;
}"""

# Sideways scrolling, and the widest elements that stick out (to tell where to look).
OVERFLOW_JS = """() => {
  const width = window.innerWidth;
  const scroll = document.documentElement.scrollWidth;
  if (scroll <= width) return null;
  const culprits = [];
  for (const element of document.body.querySelectorAll('*')) {
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.right <= width + 1) continue;
    if (element.parentElement && element.parentElement.getBoundingClientRect().right > width + 1
        && element.parentElement !== document.body) continue;
    let name = element.tagName.toLowerCase();
    if (element.id) name += '#' + element.id;
    if (element.classList.length) name += '.' + [...element.classList].slice(0, 3).join('.');
    culprits.push(name + ' (' + Math.round(box.right) + 'px)');
    if (culprits.length >= 3) break;
  }
  return {scroll, width, culprits};
}"""

AXE_RUN_JS = """async (tags) => {
  const result = await axe.run(document, {
    runOnly: {type: 'tag', values: tags},
    resultTypes: ['violations'],
  });
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.length,
    targets: v.nodes.slice(0, 3).map(n => n.target.join(' ')),
    summary: v.nodes.length ? (v.nodes[0].failureSummary || '').split('\\n')[1] || '' : '',
  }));
}"""


@dataclass
class SweepWorld:
    """URL argument values from the live server's demo data, and the text users typed."""

    values: dict[str, Any]
    role_values: dict[str, dict[str, Any]]
    user_text: list[str]


@dataclass
class Report:
    failures: list[str] = field(default_factory=list)
    visits: int = 0
    checked: set[tuple[str, str, str, str]] = field(default_factory=set)
    seconds: dict[str, float] = field(default_factory=lambda: {"load": 0.0, "checks": 0.0})

    def fail(self, where: str, problem: str) -> None:
        self.failures.append(f"{where}: {problem}")


def _one(statement: Any) -> Any:
    return db.session.scalars(statement.limit(1)).first()


def _ensure_records(campus: Campus) -> None:
    """Records the demo data may lack, so pages that show one have one to show.

    An application on the recruiting cohort, and a booked 1:1 session of the demo trainee
    with the demo coordinator and with the demo mentor, plus one open time to book.
    Added only when missing, so another test's records (or a fuller demo) are used as is.
    """
    trainee = find_user_by_email("trainee@sesac.example")
    recruiting = _one(
        db.select(Cohort)
        .join(Course, Course.id == Cohort.course_id)
        .where(Course.campus_id == campus.id, Cohort.recruit_end_on >= datetime.now(SEOUL).date())
        .order_by(Cohort.id)
    )
    has_application = _one(
        db.select(Application.id)
        .join(Cohort, Cohort.id == Application.cohort_id)
        .join(Course, Course.id == Cohort.course_id)
        .where(Course.campus_id == campus.id)
    )
    if has_application is None and recruiting is not None:
        submit_application(
            recruiting,
            ApplicantDetails(
                name="한누리",
                email="sweep.applicant@example.com",
                phone="010-2222-3333",
                birth_date=datetime(1999, 5, 5).date(),
                district="구로구",
                seoul_university=False,
                employment_status="unemployed",
                education="university",
                motivation="데이터 분석가가 되고 싶습니다.",
            ),
            consent=True,
            send_mail=False,
        )
    # Evenings a few days ahead: after class hours, away from the other browser tests' times.
    day = datetime.now(SEOUL).date() + timedelta(days=9)
    for offset, email in enumerate(("coordinator@sesac.example", "mentor@sesac.example")):
        staff = find_user_by_email(email)
        booked = _one(
            db.select(CoachingSession.id).where(
                CoachingSession.trainee_id == trainee.id, CoachingSession.staff_id == staff.id
            )
        )
        if booked is not None:
            continue
        starts = datetime.combine(day + timedelta(days=offset), clock_time(20), SEOUL)
        slot = AvailabilitySlot(
            staff_id=staff.id,
            kind=SessionKind.MENTORING,
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            location="새싹 구로캠퍼스 상담실 (점검)",
        )
        db.session.add(slot)
        db.session.flush()
        book_slot(trainee, slot)
    open_starts = datetime.combine(day + timedelta(days=3), clock_time(20), SEOUL)
    coordinator = find_user_by_email("coordinator@sesac.example")
    open_slot = db.select(AvailabilitySlot.id).where(AvailabilitySlot.starts_at == open_starts)
    if _one(open_slot) is None:
        db.session.add(
            AvailabilitySlot(
                staff_id=coordinator.id,
                kind=SessionKind.PORTFOLIO,
                starts_at=open_starts,
                ends_at=open_starts + timedelta(hours=1),
                location="새싹 구로캠퍼스 상담실 (점검)",
            )
        )
    db.session.commit()


def _user_text() -> list[str]:
    """Every stored string a user typed (or imported) that pages may show in either locale."""
    columns = [
        User.name,
        Application.name,
        Application.motivation,
        Application.decision_reason,
        ApplicationScore.comment,
        InterviewSlot.location,
        Company.name,
        Company.industry,
        Company.contact_name,
        Company.openings,
        Outcome.company,
        Outcome.job_title,
        Outcome.industry,
        Outcome.evidence,
        Outcome.salary_band,
        Referral.position,
        Referral.note,
        RetentionCheck.note,
        Enrollment.status_note,
        ClassDay.note,
        CohortEvent.title,
        CohortEvent.place,
        CohortEvent.description,
        AvailabilitySlot.location,
        CoachingSession.location,
        CoachingSession.summary,
        CoachingSession.staff_notes,
        CoachingSession.cancel_reason,
        FollowUp.text,
        OutboxMessage.subject,
        OutboxMessage.body,
        Course.description,
        Passkey.name,
        DataRequest.text,
        DataRequest.resolution,
    ]
    found: set[str] = set()
    for column in columns:
        for value in db.session.scalars(db.select(column).distinct()):
            if value and HANGUL.search(value):
                found.update(line.strip() for line in str(value).splitlines() if line.strip())
    # A course title is the course's own name in Korean; in English it shows its English
    # title when it has one, so only titles without one are user text in English.
    without_english = (Course.title_en.is_(None)) | (Course.title_en == "")
    found.update(db.session.scalars(db.select(Course.title).where(without_english)))
    return sorted(found, key=len, reverse=True)


def _open(cohort: Cohort) -> bool:
    try:
        check_open(cohort)
    except DomainError:
        return False
    return True


def _data_request(campus: Campus, trainee) -> int:
    """A trainee's open correction request, for the data-request pages."""
    request = DataRequest(
        kind=RequestKind.CORRECTION,
        campus_id=campus.id,
        user_id=trainee.id,
        text="전화번호가 바뀌었습니다.",
        due_on=datetime.now(SEOUL).date() + timedelta(days=10),
    )
    db.session.add(request)
    db.session.flush()
    return request.id


def _webhook(campus: Campus) -> int:
    """A webhook of the campus with a delivered and a failing delivery, for its pages."""
    manager = find_user_by_email("manager@sesac.example")
    with dns({"partner.example": PUBLIC_ADDRESS}):  # a public name; no DNS server asked
        made = subscribe(manager, "https://partner.example/hooks", ["session.booked"], campus)
    db.session.flush()
    sid = made.subscription.id
    body = {"event": "session.booked", "object": {"type": "session", "id": 1}, "changes": {}}
    now = utcnow()
    db.session.add_all(
        [
            WebhookDelivery(subscription_id=sid, event="session.booked", payload=body,
                            attempts=1, delivered_at=now, last_status=200, last_response="ok"),
            WebhookDelivery(subscription_id=sid, event="session.booked", payload=body,
                            attempts=2, last_status=500, last_response="Internal Server Error",
                            next_attempt_at=now + timedelta(minutes=5)),
        ]
    )  # fmt: skip
    db.session.flush()
    return sid


@pytest.fixture(scope="module")
def world(live_app: Flask, live_server: str) -> SweepWorld:
    with live_app.test_request_context():
        campus = db.session.scalar(db.select(Campus).where(Campus.name_ko == DEMO_CAMPUS))
        _ensure_records(campus)
        today = datetime.now(SEOUL).date()
        running = _one(
            db.select(Cohort)
            .join(Course, Course.id == Cohort.course_id)
            .where(Course.campus_id == campus.id, Cohort.start_on <= today, Cohort.end_on >= today)
            .order_by(Cohort.id)
        )
        # A cohort whose form is open now (earlier browser tests may have filled or closed
        # one): what the front door lists, and the form itself accepts.
        recruiting = next(
            (cohort for cohort in recruiting_cohorts(RecruitingFilters()) if _open(cohort)), None
        )
        application = _one(
            db.select(Application)
            .join(Cohort, Cohort.id == Application.cohort_id)
            .join(Course, Course.id == Cohort.course_id)
            .where(Course.campus_id == campus.id)
            .order_by(Application.id)
        )
        trainee = find_user_by_email("trainee@sesac.example")
        enrollment = _one(
            db.select(Enrollment).where(
                Enrollment.cohort_id == running.id, Enrollment.user_id == trainee.id
            )
        )
        completed = _one(
            db.select(Enrollment)
            .join(Cohort, Cohort.id == Enrollment.cohort_id)
            .join(Course, Course.id == Cohort.course_id)
            .join(Outcome, Outcome.enrollment_id == Enrollment.id)
            .where(Course.campus_id == campus.id, Enrollment.status == EnrollmentStatus.COMPLETED)
        )
        day = _one(
            db.select(ClassDay)
            .where(ClassDay.cohort_id == running.id, ClassDay.day <= today)
            .order_by(ClassDay.day.desc())
        )

        def session_with(email: str) -> int:
            staff = find_user_by_email(email)
            return _one(
                db.select(CoachingSession.id).where(
                    CoachingSession.trainee_id == trainee.id,
                    CoachingSession.staff_id == staff.id,
                )
            )

        data_request = _one(
            db.select(DataRequest.id).where(DataRequest.campus_id == campus.id)
        ) or _data_request(campus, trainee)
        webhook = _one(
            db.select(WebhookSubscription.id).where(WebhookSubscription.campus_id == campus.id)
        ) or _webhook(campus)
        # A set-password link of a trainee nobody logs in as in the browser tests.
        stranger = find_user_by_email("guro1-05@trainee.sesac.example") or trainee
        password_token = issue_password_link(stranger).rsplit("/", 1)[1]
        db.session.commit()
        values: dict[str, Any] = {
            "campus_id": campus.id,
            "course_id": running.course_id,
            "cohort_id": running.id,
            "applications.cohort_id": application.cohort_id if application else running.id,
            # the public application form of a cohort now recruiting
            "apply.cohort_id": recruiting.id if recruiting else None,
            "apply.slug": cohort_slug(recruiting) if recruiting else None,
            "user_id": trainee.id,
            "application_id": application.id if application else None,
            "applications.token": token_for(application.status_nonce) if application else None,
            "enrollment_id": enrollment.id,
            "placements.enrollment_id": (completed or enrollment).id,
            "day_id": day.id if day else None,
            "session_id": session_with("coordinator@sesac.example"),
            "token": password_token,
            # the applicant's "my data" page opens with their private status token
            "privacy.token": token_for(application.status_nonce) if application else None,
            "request_id": data_request,
            "subscription_id": webhook,
        }
        role_values = {"mentor": {"session_id": session_with("mentor@sesac.example")}}
        return SweepWorld(values, role_values, _user_text())


def pages_for(app: Flask, role: str, world: SweepWorld) -> Iterator[tuple[str, str]]:
    """(endpoint, URL) of every GET page the role may open.

    Logged in, public pages are opened only when they take no argument (`/` is the
    dashboard then; the log-in page sends one there): the application form of a cohort
    and the private links are a visitor's, checked anonymously.
    """
    values = {**world.values, **world.role_values.get(role, {})}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint in NOT_PAGES:
            continue
        if rule.rule.endswith(NOT_PAGE_SUFFIXES):
            continue
        action = getattr(app.view_functions[rule.endpoint], "required_action", None)
        if action is None:
            continue  # tests/test_permissions.py fails such a route already
        if hasattr(app.view_functions[rule.endpoint], "api_resource"):
            continue  # the JSON API (tests/test_api*.py), answered to tokens, not browsers
        if role == "anonymous":
            if action != PUBLIC:
                continue
        elif action == PUBLIC:
            if rule.arguments or rule.endpoint in ANONYMOUS_ONLY:
                continue  # a visitor's page of one record (a form, a private link): anonymously
        elif Role(role) not in ACTIONS[action]:
            continue
        blueprint = rule.endpoint.split(".")[0]
        arguments = {
            name: values.get(f"{blueprint}.{name}", values.get(name)) for name in rule.arguments
        }
        missing = sorted(name for name, value in arguments.items() if value is None)
        if missing:
            yield rule.endpoint, f"!{rule.rule}: no value for {', '.join(missing)} in `world`"
            continue
        with app.test_request_context():
            yield rule.endpoint, url_for(rule.endpoint, **arguments)


def set_locale(app: Flask, email: str, locale: str) -> None:
    with app.app_context():
        user = find_user_by_email(email)
        user.locale = locale
        db.session.commit()


def open_context(
    browser: Browser, base: str, app: Flask, role: str, locale: str, width: str
) -> BrowserContext:
    """A context of the role in the locale, logged in, with axe-core in every page."""
    context = browser.new_context(base_url=base, viewport=WIDTHS[width])
    context.add_init_script(path=str(AXE))  # init scripts are not subject to the page's CSP
    page = context.new_page()
    email = ROLES[role]
    if email is None:
        page.goto("/auth/login")
        if locale != "ko":
            page.locator(f'footer button[name="locale"][value="{locale}"]').click()
            page.wait_for_load_state("load")
    else:
        set_locale(app, email, locale)
        page.goto("/auth/login")
        page.locator('input[name="email"]').fill(email)
        page.locator('input[name="password"]').fill(DEMO_PASSWORD)
        page.locator('input[name="password"]').press("Enter")
        page.wait_for_url(lambda url: "/auth/login" not in url)
    return context


def hangul_outside_user_text(texts: list[str], user_text: list[str]) -> list[str]:
    found: list[str] = []
    for text in texts:
        if not HANGUL.search(text):
            continue
        rest = text
        for typed in user_text:
            if typed in rest:
                rest = rest.replace(typed, " ")
        hangul = HANGUL.search(rest)
        if hangul:  # the Hangul left, with a little of the text around it
            start, end = max(0, hangul.start() - 25), hangul.end() + 25
            snippet = rest[start:end].strip()
            found.append(("…" if start else "") + snippet + ("…" if end < len(rest) else ""))
    return sorted(set(found))


def check_page(
    page: Page, where: str, locale: str, width: str, world: SweepWorld, report: Report
) -> None:
    for violation in page.evaluate(AXE_RUN_JS, AXE_TAGS):
        if violation["impact"] in BLOCKING_IMPACTS:
            report.fail(
                where,
                f"axe {violation['impact']} {violation['id']} ({violation['help']}) on "
                f"{violation['nodes']} element(s): "
                + ", ".join(f"`{target}`" for target in violation["targets"])
                + (f": {violation['summary'].strip()}" if violation["summary"] else ""),
            )
    if locale == "en":
        hangul = hangul_outside_user_text(page.evaluate(PAGE_TEXT_JS), world.user_text)
        if hangul:
            report.fail(where, "Hangul in English: " + " | ".join(hangul[:6]))
    if width == "phone":
        overflow = page.evaluate(OVERFLOW_JS)
        if overflow:
            report.fail(
                where,
                f"sideways scroll at 390 px: {overflow['scroll']}px wide; "
                f"sticking out: {', '.join(overflow['culprits']) or '?'}",
            )


def visit(
    page: Page, url: str, where: str, locale: str, width: str, world: SweepWorld, report: Report
) -> None:
    """Open one page and run every check on it, unless this context checked it already."""
    started = time.monotonic()
    try:
        response = page.goto(url)
    except PlaywrightError as error:
        report.fail(where, f"did not load: {str(error).splitlines()[0]}")
        return
    report.visits += 1
    report.seconds["load"] += time.monotonic() - started
    if response is None or response.status != 200:
        report.fail(where, f"HTTP {response.status if response else '?'}")
        return
    if "text/html" not in response.headers.get("content-type", ""):
        report.fail(where, "not an HTML page: add it to NOT_PAGES")
        return
    # A page drawing part of itself after loading (the API documentation) says so with
    # aria-busy until it is done: check the finished page.
    try:
        page.wait_for_function(
            "() => !document.querySelector('[aria-busy=\"true\"]')", timeout=10_000
        )
    except PlaywrightError:
        report.fail(where, "still busy (aria-busy) after 10 seconds")
        return
    final = (where.split(" ", 3)[0], locale, width, page.url)
    if final in report.checked:
        return  # redirected to a page this context checked already
    report.checked.add(final)
    started = time.monotonic()
    try:
        check_page(page, where, locale, width, world, report)
    except PlaywrightError as error:
        report.fail(where, f"checks did not run: {str(error).splitlines()[0]}")
    report.seconds["checks"] += time.monotonic() - started


def sweep(
    browser: Browser, base: str, app: Flask, world: SweepWorld, role: str, report: Report
) -> None:
    """Every page of the role in each locale at 390 px, and its first page at desktop width:
    one logged-in context for each locale and width."""
    pages = list(pages_for(app, role, world))
    try:
        for locale in LOCALES:
            for width in WIDTHS:
                context = open_context(browser, base, app, role, locale, width)
                try:
                    for endpoint, url in pages if width == "phone" else pages[:1]:
                        if url.startswith("!"):
                            report.fail(f"{role} {locale} {width} ({endpoint})", url[1:])
                            continue
                        where = f"{role} {locale} {width} {url} ({endpoint})"
                        visit(context.pages[0], url, where, locale, width, world, report)
                finally:
                    context.close()
    finally:
        if ROLES[role] is not None:
            set_locale(app, ROLES[role], "ko")  # the demo account as the other tests expect


# One test per role, so the suite's workers share the sweep (it is the longest test).
@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_of_every_role_in_both_locales_and_widths_passes_the_checks(
    browser: Browser, live_server: str, live_app: Flask, world: SweepWorld, role: str
) -> None:
    report = Report()
    started = time.monotonic()
    sweep(browser, live_server, live_app, world, role, report)
    took = time.monotonic() - started
    print(
        f"sweep as {role}: {report.visits} visits, {len(report.checked)} pages checked in "
        f"{took:.0f} s (loading {report.seconds['load']:.0f} s, checks "
        f"{report.seconds['checks']:.0f} s)"
    )
    assert report.visits > 20, "the sweep reached too few pages: check the log-in"
    if report.failures:
        pytest.fail(
            f"{len(report.failures)} problem(s) in {report.visits} visits:\n"
            + "\n".join(sorted(report.failures)),
            pytrace=False,
        )
