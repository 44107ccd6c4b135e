"""Long lists come in pages: the logs by key (newest first, no COUNT), the others numbered.

Walking a list's page links from the first page to the last shows every row once, in
order, with the filters kept; a page or key in the URL that means nothing shows a page,
never an error. The page links are a named navigation with the current page marked.
The coordinator's dashboard counts trainees waiting for an outcome in SQL: its figures
equal a count of the raw rows.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
import sqlalchemy as sa

from sesac_ms.clock import today_in_seoul
from sesac_ms.extensions import db
from sesac_ms.models import (
    AuditEntry,
    Cohort,
    CohortStatus,
    Company,
    Course,
    Enrollment,
    EnrollmentStatus,
    Outcome,
    OutcomeKind,
    PersonalDataAccess,
    Role,
    Track,
    User,
)
from sesac_ms.models.audit import AccessAction
from sesac_ms.placements import lists
from sesac_ms.placements import services as placements

TODAY = today_in_seoul()
BAD_VALUES = ["abc", "-3", "1.5", "", "99999999999999999999999999", "１２", "2;DROP"]


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def link(html: str, label: str) -> str | None:
    """The address of the page link called `label`, None when it is not a link."""
    found = re.search(rf'<a class="page-link" href="([^"]*)"[^>]*>{re.escape(label)}</a>', html)
    return unescape(found.group(1)) if found else None


def marks(html: str, prefix: str) -> list[str]:
    """The MARK-… labels the page shows, in the page's order (a row naming one twice, once)."""
    return list(dict.fromkeys(re.findall(rf"{prefix}-\d+", html)))


# --- the logs: keyset pages ---------------------------------------------------------------


def _audit_entries(n: int, action: str = "cohort.updated", prefix: str = "MARK") -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    for i in range(n):
        db.session.add(
            AuditEntry(
                at=start + timedelta(minutes=i),
                actor_label="김매니저 <manager@sesac.example>",
                action=action,
                object_type="Cohort",
                object_id=1,
                object_label=f"{prefix}-{i:03d}",
                changes={},
            )
        )
    db.session.commit()


def _access_entries(n: int, action: str = "view", prefix: str = "MARK") -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    for i in range(n):
        db.session.add(
            PersonalDataAccess(
                at=start + timedelta(minutes=i),
                actor_label="관리자 <admin@sesac.example>",
                action=AccessAction(action),
                subject_type="User",
                subject_label=f"{prefix}-{i:03d}",
            )
        )
    db.session.commit()


LOGS = {
    "audit": ("/admin/audit", _audit_entries, {"action": "user."}, "user.updated"),
    "access": ("/admin/access-log", _access_entries, {"action": "download"}, "download"),
}


@pytest.fixture
def admin(login_as) -> User:
    return login_as(Role.ADMIN, locale="en")


def walk(client, url: str, prefix: str, label: str = "Older") -> list[list[str]]:
    """Follow the `label` links from `url` to the end: the marks of every page on the way."""
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, url
        html = text(response)
        pages.append(marks(html, prefix))
        url = link(html, label)
        assert len(pages) < 20, "the links go round in circles"
    return pages


@pytest.mark.parametrize("log", LOGS)
def test_a_log_pages_newest_first_by_key_and_shows_every_entry_once(client, admin, log):
    url, add, _, _ = LOGS[log]
    add(120)

    first = text(client.get(url))
    assert link(first, "Newer") is None and link(first, "Newest") is None
    older = link(first, "Older")
    assert older and re.search(r"before=\d+", older) and "page=" not in older

    pages = walk(client, url, "MARK")
    assert [len(page) for page in pages] == [50, 50, 20]
    shown = [mark for page in pages for mark in page]
    assert shown == [f"MARK-{i:03d}" for i in reversed(range(120))]  # none missed or twice

    # And back: "Newer" from the last page retraces the same pages, up to the newest.
    last = text(client.get(older))
    last = text(client.get(link(last, "Older")))
    assert marks(last, "MARK") == pages[2] and link(last, "Older") is None
    back = walk(client, link(last, "Newer"), "MARK", label="Newer")
    assert back == [pages[1], pages[0]]


@pytest.mark.parametrize("log", LOGS)
def test_a_log_keeps_its_filter_in_the_page_links(client, admin, log):
    url, add, filters, action = LOGS[log]
    add(30, prefix="OTHER")  # entries the filter leaves out, between the ones it keeps
    add(60, action=action, prefix="KEPT")
    add(30, prefix="OTHER")
    query = "&".join(f"{k}={v}" for k, v in filters.items())

    first = text(client.get(f"{url}?{query}"))
    older = link(first, "Older")
    assert older and all(f"{k}={v}" in older for k, v in filters.items())
    pages = walk(client, f"{url}?{query}", "(?:KEPT|OTHER)")
    shown = [mark for page in pages for mark in page]
    assert shown == [f"KEPT-{i:03d}" for i in reversed(range(60))]


@pytest.mark.parametrize("log", LOGS)
@pytest.mark.parametrize("name", ["before", "after"])
@pytest.mark.parametrize("value", BAD_VALUES)
def test_a_bad_key_shows_the_newest_page(client, admin, log, name, value):
    url, add, _, _ = LOGS[log]
    add(55)

    response = client.get(f"{url}?{name}={value}")

    assert response.status_code == 200
    shown = marks(text(response), "MARK")
    assert shown == [f"MARK-{i:03d}" for i in reversed(range(5, 55))]


@pytest.mark.parametrize("log", LOGS)
def test_a_key_past_either_end_shows_an_empty_page_that_links_back(client, admin, log):
    url, add, _, _ = LOGS[log]
    add(55)
    model = AuditEntry if log == "audit" else PersonalDataAccess
    oldest = db.session.scalar(db.select(sa.func.min(model.id)))

    response = client.get(f"{url}?before={oldest}")
    html = text(response)
    assert response.status_code == 200 and marks(html, "MARK") == []
    assert link(html, "Older") is None
    newer = link(html, "Newer")  # back to the oldest entries, none skipped
    assert marks(text(client.get(newer)), "MARK")[-1] == "MARK-000"

    both = client.get(f"{url}?before={oldest + 30}&after={oldest + 2}")  # asking both ways
    assert marks(text(both), "MARK")[0] == "MARK-054"


@pytest.mark.parametrize("log", LOGS)
def test_a_log_page_never_counts_the_log(app, client, admin, log):
    url, add, _, _ = LOGS[log]
    add(120)
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement.lower())

    second = link(text(client.get(url)), "Older")
    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        for page in (url, second, f"{url}?after=3"):
            assert client.get(page).status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)

    table = "audit_entries" if log == "audit" else "personal_data_access"
    on_log = [s for s in statements if table in s]
    assert on_log and not any("count(" in s for s in on_log)


def test_the_access_log_names_which_page_of_the_audit_log_was_shown(client, admin):
    _audit_entries(60)
    second = link(text(client.get("/admin/audit")), "Older")
    key = re.search(r"before=(\d+)", second).group(1)

    client.get(second)

    entry = db.session.scalar(
        db.select(PersonalDataAccess)
        .where(PersonalDataAccess.page == "admin.audit")
        .order_by(PersonalDataAccess.id.desc())
    )
    assert entry.filters == {"page": f"entries before no. {key}"}
    total = db.session.scalar(db.select(sa.func.count()).select_from(AuditEntry))
    assert entry.people_count == total - 50  # the entries the second page showed


# --- numbered pages ------------------------------------------------------------------------


@pytest.fixture
def ended(make_cohort, make_course, campus) -> Cohort:
    return make_cohort(
        course=make_course(campus=campus),
        status=CohortStatus.FINISHED,
        recruit_start_on=TODAY - timedelta(days=250),
        recruit_end_on=TODAY - timedelta(days=230),
        start_on=TODAY - timedelta(days=220),
        end_on=TODAY - timedelta(days=100),
    )


@pytest.fixture
def trainees(make_user, ended, campus) -> Callable[..., list[Enrollment]]:
    """`n` completed trainees of the ended cohort named MARK-000…; every other one placed."""

    def make(n: int, *, prefix: str = "MARK", placed: bool = True, status=None):
        made = []
        for i in range(n):
            user = make_user(Role.TRAINEE, campus=campus, name=f"{prefix}-{i:03d}")
            enrollment = Enrollment(
                cohort_id=ended.id,
                user_id=user.id,
                status=status or EnrollmentStatus.COMPLETED,
                status_on=ended.end_on if status != EnrollmentStatus.ENROLLED else None,
            )
            db.session.add(enrollment)
            db.session.flush()
            if placed and i % 2 and enrollment.status != EnrollmentStatus.ENROLLED:
                placements.record_outcome(
                    None,
                    enrollment,
                    placements.OutcomeData(OutcomeKind.EMPLOYED, ended.end_on, company="누리"),
                )
            made.append(enrollment)
        db.session.commit()
        return made

    return make


@pytest.fixture
def coordinator(login_as) -> User:
    return login_as(Role.COORDINATOR, locale="en")


def _companies(n: int, campus_id: int) -> None:
    db.session.add_all(
        Company(campus_id=campus_id, name=f"MARK-{i:03d}", contact_name="담당") for i in range(n)
    )
    db.session.commit()


def _courses(n: int, campus_id: int) -> None:
    db.session.add_all(
        Course(campus_id=campus_id, title=f"MARK-{i:03d}", track=Track.AI_CORE_SW) for i in range(n)
    )
    db.session.commit()


def _referrals(trainees, n: int, campus_id: int) -> None:
    company = Company(campus_id=campus_id, name="데이터웨이브")
    db.session.add(company)
    actor = db.session.scalar(db.select(User).where(User.role == Role.COORDINATOR))
    for enrollment in trainees(n):
        placements.refer(actor, enrollment, company, position="분석", consent=True)
    db.session.commit()


def _numbered_walk(client, url: str) -> list[list[str]]:
    return walk(client, url, "MARK", label="Next")


def test_completed_trainees_come_in_numbered_pages_with_every_trainee_once(
    client, coordinator, trainees
):
    trainees(120)

    first = text(client.get("/placements/"))
    nav = first[first.index('<nav aria-label="Pages">') :]
    assert '<span class="page-link" aria-current="page">1</span>' in nav
    assert 'page=3">3</a>' in nav and "Page 1 of 3" in nav and "120 in all" in nav
    assert 'aria-disabled="true">Previous<' in nav
    pages = _numbered_walk(client, "/placements/")
    assert [len(page) for page in pages] == [50, 50, 20]
    shown = sorted(mark for page in pages for mark in page)
    assert shown == [f"MARK-{i:03d}" for i in range(120)]

    second = text(client.get("/placements/?page=2"))
    assert link(second, "Previous") == "/placements/"  # page 1 has no page number
    assert marks(second, "MARK") == pages[1]


def test_the_filter_without_an_outcome_is_kept_across_pages(client, coordinator, trainees):
    trainees(120)  # 60 of them placed

    pages = _numbered_walk(client, "/placements/?missing=1")

    shown = sorted(mark for page in pages for mark in page)
    assert shown == [f"MARK-{i:03d}" for i in range(0, 120, 2)]
    assert "missing=1" in link(text(client.get("/placements/?missing=1")), "Next")


@pytest.mark.parametrize(
    ("url", "make"),
    [
        ("/placements/companies", lambda trainees, campus: _companies(60, campus.id)),
        ("/placements/referrals", lambda trainees, campus: _referrals(trainees, 60, campus.id)),
        ("/cohorts/courses", lambda trainees, campus: _courses(60, campus.id)),
    ],
    ids=["companies", "referrals", "courses"],
)
def test_companies_referrals_and_courses_come_in_pages(
    client, coordinator, trainees, campus, url, make
):
    make(trainees, campus)

    pages = _numbered_walk(client, url)

    assert [len(page) for page in pages] == [50, 10]
    assert sorted(m for page in pages for m in page) == [f"MARK-{i:03d}" for i in range(60)]


@pytest.mark.parametrize("value", BAD_VALUES)
def test_a_bad_page_number_shows_the_first_page(client, coordinator, trainees, value):
    trainees(60)
    first = marks(text(client.get("/placements/")), "MARK")

    response = client.get(f"/placements/?page={value}")

    assert response.status_code == 200
    assert marks(text(response), "MARK") == first


@pytest.mark.parametrize(
    "url", ["/placements/?page=99", "/placements/companies?page=99", "/admin/users?page=99"]
)
def test_a_page_past_the_end_shows_the_last_page(client, login_as, trainees, campus, url):
    trainees(60)
    _companies(60, campus.id)
    login_as(Role.ADMIN if url.startswith("/admin") else Role.COORDINATOR, locale="en")

    response = client.get(url)

    assert response.status_code == 200
    html = text(response)
    assert "Page 2 of 2" in html and link(html, "Next") is None and link(html, "Previous")


def test_the_applicant_list_of_a_cohort_pages_with_its_filters(
    client, login_as, make_open_cohort, make_application
):
    cohort = make_open_cohort(capacity=200)
    for i in range(70):
        make_application(cohort, name=f"MARK-{i:03d}", email=f"m{i}@example.com")
    login_as(Role.MANAGER, locale="en")
    url = f"/applications/cohorts/{cohort.id}?stage=submitted"

    pages = _numbered_walk(client, url)

    assert [len(page) for page in pages] == [50, 20]
    assert sorted(m for page in pages for m in page) == [f"MARK-{i:03d}" for i in range(70)]
    second = link(text(client.get(url)), "Next")
    assert "stage=submitted" in second and "page=2" in second


# --- the referral form: one cohort's trainees at a time ------------------------------------


def test_the_referral_form_offers_the_trainees_of_the_chosen_cohort(
    client, coordinator, trainees, ended, make_cohort, make_course, make_user, campus
):
    trainees(3, prefix="DONE")
    trainees(2, prefix="TRAINING", status=EnrollmentStatus.ENROLLED)
    trainees(1, prefix="DROPPED", status=EnrollmentStatus.DROPPED)
    elsewhere = make_cohort(course=make_course(campus=campus), status=CohortStatus.IN_PROGRESS)
    other = make_user(Role.TRAINEE, campus=campus, name="OTHER-COHORT")
    db.session.add(Enrollment(cohort_id=elsewhere.id, user_id=other.id))
    db.session.add(Company(campus_id=campus.id, name="데이터웨이브"))
    db.session.commit()

    chooser = text(client.get("/placements/referrals"))
    assert "Choose the cohort first" in chooser and 'name="enrollment_id"' not in chooser
    assert ended.label("en") in chooser and elsewhere.label("en") in chooser

    page = text(client.get(f"/placements/referrals?cohort_id={ended.id}"))
    form = page[
        page.index('name="enrollment_id"') : page.index(
            "</select>", page.index('name="enrollment_id"')
        )
    ]
    assert sorted(re.findall(r">((?:DONE|TRAINING|DROPPED|OTHER)[-\w]*)<", form)) == [
        "DONE-000",
        "DONE-001",
        "DONE-002",
        "TRAINING-000",
        "TRAINING-001",
    ]
    assert "데이터웨이브" in page


def test_an_admin_chooses_the_campus_before_the_cohort_of_a_referral(
    client, login_as, trainees, ended, make_cohort, make_course, make_user, make_campus, campus
):
    trainees(2, prefix="DONE")
    elsewhere = make_cohort(
        course=make_course(campus=make_campus("강남", name_en="Gangnam")),
        status=CohortStatus.IN_PROGRESS,
    )
    other = make_user(Role.TRAINEE, campus=elsewhere.course.campus, name="GANGNAM-TRAINEE")
    db.session.add(Enrollment(cohort_id=elsewhere.id, user_id=other.id))
    db.session.add(Company(campus_id=campus.id, name="데이터웨이브"))
    db.session.commit()
    login_as(Role.ADMIN, locale="en")

    # No cohort list before a campus is chosen: every campus's history would be hundreds.
    chooser = text(client.get("/placements/referrals"))
    assert 'name="campus_id"' in chooser and 'name="cohort_id"' not in chooser
    assert "Choose the campus first" in chooser
    assert ended.label("en") not in chooser and elsewhere.label("en") not in chooser

    # The campus chosen: its cohorts only.
    cohorts = text(client.get(f"/placements/referrals?campus_id={campus.id}"))
    assert ended.label("en") in cohorts and elsewhere.label("en") not in cohorts
    assert "Choose the cohort first" in cohorts and 'name="enrollment_id"' not in cohorts

    # A cohort asked for (the page a referral returns to) chooses its campus too.
    page = text(client.get(f"/placements/referrals?cohort_id={ended.id}"))
    assert f'value="{campus.id}" selected' in page
    assert "DONE-000" in page and "GANGNAM-TRAINEE" not in page and "데이터웨이브" in page

    # A cohort of another campus than the one chosen is not offered.
    stale = text(
        client.get(f"/placements/referrals?campus_id={campus.id}&cohort_id={elsewhere.id}")
    )
    assert 'name="enrollment_id"' not in stale and "GANGNAM-TRAINEE" not in stale


# --- the coordinator's dashboard counts in SQL ---------------------------------------------


def test_the_dashboard_counts_equal_a_count_of_the_raw_rows(
    client, coordinator, make_cohort, make_course, make_user, campus, make_campus
):
    rng = random.Random(12)
    elsewhere = make_campus()
    for n in range(40):
        home = campus if n % 5 else elsewhere
        end_on = TODAY - timedelta(days=rng.randrange(-30, 400))
        cohort = make_cohort(
            course=make_course(campus=home),
            status=CohortStatus.FINISHED,
            recruit_start_on=end_on - timedelta(days=200),
            recruit_end_on=end_on - timedelta(days=190),
            start_on=end_on - timedelta(days=180),
            end_on=end_on,
        )
        status = rng.choice(list(EnrollmentStatus))
        user = make_user(Role.TRAINEE, campus=home, name=f"교육생{n}")
        early = end_on - timedelta(days=rng.randrange(0, 60))
        status_on = early if status != EnrollmentStatus.ENROLLED and rng.random() < 0.5 else None
        enrollment = Enrollment(
            cohort_id=cohort.id, user_id=user.id, status=status, status_on=status_on
        )
        db.session.add(enrollment)
        db.session.flush()
        if status in placements.COMPLETED and rng.random() < 0.5:
            placements.record_outcome(
                None,
                enrollment,
                placements.OutcomeData(OutcomeKind.EMPLOYED, end_on, company="누리"),
            )
            if rng.random() < 0.5:  # history: the current outcome is an exclusion now
                current = placements.current_outcome(enrollment)
                current.is_current = False
                db.session.flush()
    db.session.commit()

    expected = {30: 0, 90: 0, 180: 0}
    for enrollment in db.session.scalars(db.select(Enrollment)):
        if enrollment.status not in placements.COMPLETED:
            continue
        if enrollment.cohort.course.campus_id != campus.id:
            continue
        has_current = db.session.scalar(
            db.select(sa.func.count())
            .select_from(Outcome)
            .where(Outcome.enrollment_id == enrollment.id, Outcome.is_current)
        )
        if has_current:
            continue
        waited = (TODAY - (enrollment.status_on or enrollment.cohort.end_on)).days
        for days in expected:
            expected[days] += waited >= days

    assert lists.without_outcome(coordinator, TODAY) == expected
    html = client.get("/").get_data(as_text=True)
    shown = dict(
        re.findall(
            r"No outcome (\d+)\+ days after completion</div>\s*<div class=\"stat\">(\d+)", html
        )
    )
    assert {int(k): int(v) for k, v in shown.items()} == expected


def test_the_dashboard_says_how_many_active_cohorts_it_leaves_out(
    client, login_as, make_cohort, make_course, campus
):
    from sesac_ms.main.services import COHORTS_SHOWN

    course = make_course(campus=campus)
    for _ in range(COHORTS_SHOWN + 3):
        make_cohort(course=course, status=CohortStatus.IN_PROGRESS)
    make_cohort(course=course, status=CohortStatus.FINISHED)
    login_as(Role.MANAGER, locale="en")

    html = text(client.get("/"))

    assert "3 more active cohorts: see the list of cohorts" in html


def test_no_placement_list_is_capped(coordinator, trainees):
    """The lists used to stop at 2,000 rows, and the dashboard counted from them."""
    trainees(5, placed=False)
    stmt = lists.completed_query(coordinator)
    assert stmt._limit_clause is None
    assert lists.without_outcome(coordinator, TODAY + timedelta(days=1000)) == {
        30: 5,
        90: 5,
        180: 5,
    }
