"""The access log records every page that lists people, once per request, with what it showed;
the administrator reads it as sentences, filtered by who looked, whose data and when.

The records come from test_permissions' `world` (one campus with a cohort, an applicant,
trainees, 1:1 sessions, a placement and a referral), with names told apart.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from sesac_ms import audit
from sesac_ms.extensions import db
from sesac_ms.models import (
    AuditEntry,
    CoachingSession,
    Cohort,
    Company,
    PersonalDataAccess,
    Role,
    SessionKind,
    User,
)
from sesac_ms.models.audit import AccessAction
from sesac_ms.models.types import utcnow
from tests.conftest import login
from tests.test_permissions import build_url, routes, world  # noqa: F401 (world: a fixture)


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def field_errors(response, name: str) -> list[str]:
    """The messages the forms macro renders beside the field called `name`."""
    html = response.get_data(as_text=True)
    for block in re.split(r'<div class="(?:form-check )?mb-3', html):
        if re.search(rf'<(?:input|select|textarea)\b[^>]*\bname="{name}"', block):
            found = re.findall(r'<div class="invalid-feedback">(.*?)</div>', block, re.S)
            return [unescape(message.strip()) for message in found]
    raise AssertionError(f"the page has no field {name!r}")


def logged() -> list[PersonalDataAccess]:
    return list(db.session.scalars(db.select(PersonalDataAccess).order_by(PersonalDataAccess.id)))


def last_id() -> int:
    return db.session.scalar(db.select(sa.func.max(PersonalDataAccess.id))) or 0


def new_since(mark: int) -> list[PersonalDataAccess]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            db.select(PersonalDataAccess)
            .where(PersonalDataAccess.id > mark)
            .order_by(PersonalDataAccess.id)
        )
    )


@pytest.fixture
def scene(world, make_application, make_user):  # noqa: F811
    """The world with told-apart names, a booked interview and slot, a company contact and a
    session next week (dashboards list the coming days)."""
    values = world["values"]
    users = world["users"]
    trainee = users[Role.TRAINEE]
    coordinator = users[Role.COORDINATOR]
    graduate = db.session.scalar(db.select(User).where(User.email == "graduate@sesac.example"))
    target = db.session.get(User, values["user_id"])
    cohort = db.session.get(Cohort, values["cohort_id"])
    trainee.name, graduate.name, target.name = "김하나", "이두리", "박세나"
    first = make_application(cohort, name="최지원", email="choi@example.com")
    make_application(cohort, name="정지원", email="jung@example.com")
    make_application(cohort, name="한지원", email="han@example.com")
    first.interview_slot_id = values["slot_id"]
    session = db.session.get(CoachingSession, values["session_id"])
    session.slot_id = values["sessions.slot_id"]
    company = db.session.get(Company, db.session.scalar(db.select(sa.func.min(Company.id))))
    company.contact_name = "담당자 오"
    cohort.deposit_amount = 100_000
    soon = utcnow() + timedelta(days=3)
    db.session.add(
        CoachingSession(
            cohort_id=cohort.id,
            trainee_id=trainee.id,
            staff_id=coordinator.id,
            kind=SessionKind.CAREER,
            starts_at=soon,
            ends_at=soon + timedelta(hours=1),
            location="상담실",
        )
    )
    db.session.commit()
    original = db.session.get(type(first), values["application_id"])
    return {
        **world,
        "cohort": cohort,
        "applicants": [original.name, "최지원", "정지원", "한지원"],
        "admin": make_user(Role.ADMIN, name="관리자", locale="en"),
        "manager": make_user(Role.MANAGER, name="매니저", locale="en"),
    }


def visit(app, user: User, url: str):
    client = app.test_client()
    assert login(client, user.email).status_code == 302
    mark = last_id()
    response = client.get(url)
    assert response.status_code == 200, url
    return response, new_since(mark)


def audit_count() -> int:
    return db.session.scalar(db.select(sa.func.count()).select_from(AuditEntry))


# page key, who looks, endpoint, query, names the page shows (None: counted from the database),
# the filters logged (keys), whether the entry names the cohort
M, C, A = "manager", Role.COORDINATOR, "admin"
LISTS = [
    ("applications.pipeline", M, "applications.pipeline", "", "applicants", {}, True),
    (
        "applications.pipeline",
        M,
        "applications.pipeline",
        "q=최지원&stage=submitted&eligible=yes",
        ["최지원"],
        {"search", "stage", "eligibility"},
        True,
    ),
    ("applications.interviews", M, "applications.interviews", "", ["최지원"], {}, True),
    ("cohorts.roster", M, "cohorts.roster_page", "", ["김하나", "이두리"], {}, True),
    (
        "cohorts.attendance",
        M,
        "cohorts.attendance",
        "",
        ["김하나", "이두리"],
        {"day"},
        True,
    ),
    ("cohorts.deposits", M, "cohorts.deposits", "", ["김하나", "이두리"], {}, True),
    ("sessions.coverage", M, "sessions.coverage", "", ["김하나"], {}, True),
    ("sessions.schedule", C, "sessions.schedule", "", ["김하나"], {"month"}, False),
    ("sessions.slots", C, "sessions.slots", "", ["김하나"], {}, False),
    ("placements.index", C, "placements.index", "", ["이두리"], {}, False),
    (
        "placements.index",
        C,
        "placements.index",
        "missing=1",
        [],
        {"showing"},
        False,
    ),
    ("placements.referrals", C, "placements.referrals", "", ["이두리"], {}, False),
    (
        "placements.companies",
        C,
        "placements.companies",
        "",
        ["담당자 오"],
        {},
        False,
    ),
    ("main.dashboard", C, "main.dashboard", "", ["김하나"], {}, False),
    (
        "admin.users",
        A,
        "admin.users",
        "role=trainee",
        ["김하나", "이두리", "박세나"],
        {"role"},
        False,
    ),
    ("admin.audit", A, "admin.audit_log", "", None, {}, False),
    ("main.recent_changes", A, "main.dashboard", "", None, {}, False),
]


@pytest.mark.parametrize(
    ("page", "who", "endpoint", "query", "names", "filters", "of_cohort"),
    LISTS,
    ids=[f"{case[0]}?{case[3]}" if case[3] else case[0] for case in LISTS],
)
def test_a_page_listing_people_is_logged_once_with_what_it_showed(
    app, scene, page, who, endpoint, query, names, filters, of_cohort
):
    user = scene[who] if who in ("manager", "admin") else scene["users"][who]
    if names == "applicants":
        names = scene["applicants"]
    url = build_url(app, endpoint, scene["values"]) + (f"?{query}" if query else "")

    response, entries = visit(app, user, url)

    assert len(entries) == 1, [(e.page, e.people_count) for e in entries]
    [entry] = entries
    if names is None:  # the audit log's entries, as many as the page holds
        expected = min(audit_count(), 8 if page == "main.recent_changes" else 50)
    else:
        expected = len(names)
        page_text = text(response)
        assert all(name in page_text for name in names), names
    assert (entry.page, entry.action, entry.people_count) == (page, AccessAction.VIEW, expected)
    assert (entry.actor_id, entry.person_id) == (user.id, None)
    assert set(entry.filters or {}) == set(filters)
    if of_cohort:
        assert (entry.subject_type, entry.subject_id) == ("Cohort", scene["cohort"].id)
        assert entry.subject_label == scene["cohort"].label()


def test_the_filters_are_logged_as_the_page_showed_them(app, scene):
    url = build_url(app, "applications.pipeline", scene["values"])
    query = urlencode({"q": " 최지원 ", "stage": "submitted", "score_min": 10, "eligible": "no"})

    _, [entry] = visit(app, scene["manager"], f"{url}?{query}")

    assert entry.filters == {
        "stage": "Submitted",
        "eligibility": "Flagged",
        "score": "10–",
        "search": "최지원",
    }
    assert entry.people_count == 0  # the applicant has no flags: nobody was shown


def test_the_deposits_of_a_cohort_without_a_deposit_name_nobody_and_log_nothing(app, scene):
    scene["cohort"].deposit_amount = 0
    db.session.commit()

    response, entries = visit(
        app, scene["manager"], build_url(app, "cohorts.deposits", scene["values"])
    )

    assert "김하나" not in text(response) and entries == []


def test_a_staff_member_opening_a_session_is_logged_as_a_view_of_that_trainee(app, scene):
    coordinator = scene["users"][Role.COORDINATOR]
    trainee = scene["users"][Role.TRAINEE]
    url = build_url(app, "sessions.show", scene["values"])

    _, [entry] = visit(app, coordinator, url)

    assert (entry.page, entry.person_id, entry.subject_type) == (
        "sessions.show",
        trainee.id,
        "CoachingSession",
    )
    assert entry.subject_label == f"김하나 <{trainee.email}>"
    assert entry.people_count is None


@pytest.mark.parametrize(
    ("who", "endpoint"),
    [
        (Role.TRAINEE, "sessions.show"),  # their own session
        (Role.TRAINEE, "sessions.schedule"),
        (Role.TRAINEE, "main.dashboard"),
        (Role.TRAINEE, "cohorts.my_training"),
        (Role.TRAINEE, "sessions.book"),
        ("manager", "main.dashboard"),  # figures, no names
        ("manager", "reports.employment"),
        ("manager", "reports.certifications"),
        ("manager", "cohorts.index"),
        ("manager", "cohorts.show"),
        ("manager", "cohorts.calendar"),
        ("manager", "cohorts.courses"),
        ("admin", "admin.campuses"),
        ("admin", "admin.access_log"),  # the record itself: reading it is not logged
    ],
)
def test_pages_without_other_peoples_data_log_nothing(app, scene, who, endpoint):
    user = scene[who] if who in ("manager", "admin") else scene["users"][who]

    _, entries = visit(app, user, build_url(app, endpoint, scene["values"]))

    assert entries == []


@pytest.mark.parametrize("role", list(Role))
def test_no_request_writes_more_than_one_access_log_entry(app, make_user, scene, role):
    """Every GET page, as every role: a page is logged once, whatever services built it."""
    user = scene["users"].get(role) or make_user(role)
    client = app.test_client()
    login(client, user.email)
    values = {**scene["values"], **scene["role_values"].get(role, {})}
    doubled, uncommitted = [], []
    for endpoint, _rule, method in routes(app):
        if method != "GET":
            continue
        mark = last_id()
        client.get(build_url(app, endpoint, values))
        # An entry the page logged but never committed would be lost as the request ends.
        if db.session.info.get(audit._PENDING_ACCESS):
            uncommitted.append(endpoint)
            db.session.rollback()
        entries = new_since(mark)
        if len(entries) > 1:
            doubled.append(f"{endpoint}: {[e.page for e in entries]}")
    assert not doubled, "\n".join(doubled)
    assert not uncommitted, uncommitted


def test_a_second_call_in_the_same_request_returns_the_first_entry(app, scene):
    manager = scene["manager"]
    with app.test_request_context("/"):
        first = audit.log_list_access(manager, "cohorts.roster", {}, 2, scope=scene["cohort"])
        again = audit.log_list_access(manager, "cohorts.roster", {}, 5, scope=scene["cohort"])
        db.session.commit()
    assert again is first
    assert [(e.page, e.people_count) for e in logged()] == [("cohorts.roster", 2)]


@pytest.mark.parametrize(
    ("page", "filters", "message"),
    [
        ("cohorts.rooster", {}, "unknown access-log page"),
        ("cohorts.roster", {"colour": "red"}, "unknown access-log filter"),
    ],
)
def test_pages_and_filters_must_be_named_for_people(app, scene, page, filters, message):
    with app.test_request_context("/"), pytest.raises(ValueError, match=message):
        audit.log_list_access(scene["manager"], page, filters, 1)


# --- the administrator's page ------------------------------------------------------------


@pytest.fixture
def trail(app, make_user):
    """Entries by two staff members about two trainees, on three Seoul days."""
    kim = make_user(Role.MANAGER, name="김매니저", email="kim@sesac.example")
    lee = make_user(Role.COORDINATOR, name="이코디", email="lee@sesac.example")
    hana = make_user(Role.TRAINEE, name="문하나", email="hana@sesac.example")
    duri = make_user(Role.TRAINEE, name="서두리", email="duri@sesac.example")
    rows = [
        (kim, AccessAction.VIEW, hana, datetime(2026, 3, 1, 14, 30, tzinfo=UTC)),  # 3-1 23:30
        (kim, AccessAction.DOWNLOAD, None, datetime(2026, 3, 1, 15, 30, tzinfo=UTC)),  # 3-2
        (lee, AccessAction.VIEW, duri, datetime(2026, 2, 20, 1, 0, tzinfo=UTC)),
        (lee, AccessAction.CHANGE, hana, datetime(2026, 3, 5, 1, 0, tzinfo=UTC)),
    ]
    for actor, action, person, at in rows:
        entry = audit.record_access(
            actor,
            action,
            f"{person.name} <{person.email}>" if person else "",
            subject=person,
            page="admin.user" if person else "admin.users_export",
            reason="명단 점검" if action == AccessAction.DOWNLOAD else None,
            people_count=12 if person is None else None,
        )
        entry.at = at  # not yet written: the log is append-only once it is
    db.session.commit()
    return {"kim": kim, "lee": lee, "hana": hana, "duri": duri}


TRAIL_SENTENCES = {
    1: "Viewed a user account: 문하나 <hana@sesac.example>.",
    2: "Downloaded the list of user accounts. 12 people shown.",
    3: "Viewed a user account: 서두리 <duri@sesac.example>.",
    4: "Changed a user account: 문하나 <hana@sesac.example>.",
}


def marks(response) -> set[int]:
    """Which of the trail's entries the page shows, found by their sentences."""
    page = text(response)
    return {number for number, sentence in TRAIL_SENTENCES.items() if sentence in page}


@pytest.fixture
def admin_client(app, make_user):
    client = app.test_client()
    login(client, make_user(Role.ADMIN, name="관리자", locale="en").email)
    return client


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ({}, {1, 2, 3, 4}),
        ({"who": "김매니저"}, {1, 2}),
        ({"who": "LEE@sesac"}, {3, 4}),
        ({"who": "{lee}"}, {3, 4}),
        ({"person": "hana@sesac.example"}, {1, 4}),
        ({"person": "서두리"}, {3}),
        ({"person": "{hana}"}, {1, 4}),
        ({"action": "download"}, {2}),
        ({"date_from": "2026-03-01", "date_to": "2026-03-01"}, {1}),  # Seoul days
        ({"date_from": "2026-03-02"}, {2, 4}),
        ({"who": "김매니저", "person": "문하나", "date_to": "2026-03-01"}, {1}),
    ],
)
def test_the_access_log_filters_by_who_looked_whose_data_action_and_date(
    admin_client, trail, query, shown
):
    query = {k: v.format(**{n: u.id for n, u in trail.items()}) for k, v in query.items()}

    response = admin_client.get("/admin/access-log?" + urlencode(query))

    assert response.status_code == 200
    assert marks(response) == shown
    for name, value in query.items():  # the form shows the filters it applied
        assert f'value="{value}"' in response.get_data(as_text=True) or name == "action"


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"date_from": "2026-02-30"}, "date_from", "Not a valid date value."),
        ({"date_from": "2026-03-05", "date_to": "2026-03-01"}, "date_to", "The end date is"),
        ({"action": "delete"}, "action", "Not a valid choice."),
        ({"who": "x" * 101}, "who", "Field cannot be longer than 100 characters."),
    ],
)
def test_a_wrong_filter_is_explained_beside_its_field(admin_client, trail, query, field, message):
    response = admin_client.get("/admin/access-log?" + urlencode(query))

    assert response.status_code == 200
    errors = field_errors(response, field)
    assert len(errors) == 1 and errors[0].startswith(message), errors


def test_entries_read_as_sentences_without_internal_codes(app, scene, admin_client):
    manager = scene["manager"]
    pipeline = build_url(app, "applications.pipeline", scene["values"])
    visit(app, manager, f"{pipeline}?stage=submitted&q=최지원&page=1")
    roster = build_url(app, "cohorts.roster_page", scene["values"])
    visit(app, manager, roster)
    client = app.test_client()
    login(client, manager.email)
    client.post(
        build_url(app, "cohorts.export_roster", scene["values"]),
        data={"reason": "수료 예정자 확인", "format": "xlsx"},
    )

    page = text(admin_client.get("/admin/access-log"))
    table = page[page.index("<tbody>") : page.index("</tbody>")]

    cohort = scene["cohort"].label("en")  # the English reader gets the live label in English
    assert (
        f"Viewed the applicant list of a cohort: {cohort}. 1 person shown. "
        "Filters: stage “Submitted”, search “최지원”."
    ) in page
    assert f"Viewed the roster of a cohort: {cohort}. 2 people shown." in page
    assert "Downloaded the roster of a cohort: " in page and "File format: XLSX." in page
    for code in [*audit.PAGES, *(f"{k}=" for k in audit.FILTERS), "_id", "Cohort", "None"]:
        assert code not in table, code


def test_the_access_log_pages_with_the_filters_kept_in_the_url(app, admin_client, make_user):
    staff = make_user(Role.MANAGER, name="많이본사람", email="busy@sesac.example")
    for n in range(55):
        audit.record_access(
            staff, AccessAction.VIEW, f"사람{n:02d} <p{n}@example.com>", page="admin.user"
        )
    db.session.commit()

    page = text(admin_client.get("/admin/access-log?who=busy"))
    assert page.count("많이본사람") == 50 and "사람54" in page and "사람04" not in page
    older = re.search(r'href="([^"]*before=\d+[^"]*)"[^>]*>Older<', page)
    assert older and "who=busy" in older.group(1)  # the filters stay in the URL
    second = text(admin_client.get(unescape(older.group(1))))
    assert second.count("많이본사람") == 5 and "사람04" in second
    assert re.search(r'<a class="page-link" href="[^"]*after=\d+[^"]*">Newer<', second)
    assert 'aria-disabled="true">Older<' in second and not re.search(r"<a [^>]*>Older<", second)


def test_the_access_log_page_runs_as_many_queries_for_12_rows_as_for_2(
    app, admin_client, make_user, make_campus
):
    staff_id = make_user(Role.MANAGER).id

    def add(n: int) -> None:
        staff = db.session.get(User, staff_id)  # the measurements forget what the test loaded
        for _ in range(n):
            person = make_user(Role.TRAINEE, campus=make_campus())
            audit.record_access(
                staff, AccessAction.VIEW, f"{person.name} <{person.email}>", subject=person
            )
        db.session.commit()

    def measure() -> tuple[int, list[str]]:
        db.session.expunge_all()
        statements: list[str] = []

        def before(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", before)
        try:
            assert admin_client.get("/admin/access-log").status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", before)
        return len(statements), statements

    add(2)
    admin_client.get("/admin/access-log")  # warm up
    with_two, _ = measure()
    add(10)
    with_twelve, statements = measure()

    assert with_twelve == with_two
    assert not any("count(" in s.lower() for s in statements), "no COUNT over the whole log"


def test_the_admin_can_go_from_a_person_to_who_looked_at_their_data(app, scene, admin_client):
    trainee = scene["users"][Role.TRAINEE]
    coordinator = scene["users"][Role.COORDINATOR]
    visit(app, coordinator, build_url(app, "sessions.show", scene["values"]))

    person_page = admin_client.get(f"/admin/users/{trainee.id}")
    link = re.search(r'href="([^"]*access-log\?person=\d+)"', person_page.get_data(as_text=True))
    response = admin_client.get(unescape(link.group(1)))

    assert f"Viewed a 1:1 session with its notes: 김하나 <{trainee.email}>." in text(response)


def test_the_reason_the_application_writes_is_shown_in_the_readers_language(app):
    from flask_babel import force_locale

    from sesac_ms.audit import SELF_ACCESS_REASON, reason_text

    with app.test_request_context(), force_locale("en"):
        assert reason_text(SELF_ACCESS_REASON).startswith("The person viewing their own data")
        assert reason_text("채용 연계 확인") == "채용 연계 확인"  # typed by staff: as it is
        assert reason_text(None) == ""
    with app.test_request_context(), force_locale("ko"):
        assert reason_text(SELF_ACCESS_REASON) == SELF_ACCESS_REASON
