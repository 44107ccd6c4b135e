"""List pages and the dashboard run a fixed number of SQL statements, however many rows they show.

Each page is measured with 2 rows and again with 12: a count that grows is an N+1.
"""

from __future__ import annotations

from collections.abc import Callable
from html import unescape

import pytest

from sesac_ms import audit
from sesac_ms.extensions import db
from sesac_ms.models import CohortStaff, CohortStatus, Role, StaffRole


@pytest.fixture
def rows(campus, make_campus, make_course, make_cohort, make_user):
    """Row makers: each adds `n` rows a page lists and returns what the page must then show."""

    def cohorts(n: int, *, own_campus: bool) -> list[str]:
        shown = []
        for _ in range(n):
            home = campus if own_campus else make_campus()
            cohort = make_cohort(course=make_course(campus=home), status=CohortStatus.RECRUITING)
            mentor = make_user(Role.MENTOR, campus=home)
            db.session.add(
                CohortStaff(cohort_id=cohort.id, user_id=mentor.id, role=StaffRole.MENTOR)
            )
            audit.record(None, "cohort.created", cohort, label=cohort.label(), campus_id=home.id)
            shown.append(cohort.label())
        db.session.commit()
        return shown

    def users(n: int) -> list[str]:
        return [make_user(Role.TRAINEE, campus=make_campus()).email for _ in range(n)]

    def courses(n: int, *, own_campus: bool) -> list[str]:
        return [make_course(campus=campus if own_campus else make_campus()).title for _ in range(n)]

    def audit_entries(n: int) -> list[str]:
        shown = []
        for _ in range(n):
            person = make_user(Role.TRAINEE, campus=make_campus())
            audit.record(
                None,
                "user.updated",
                person,
                {"name": ["a", "b"]},
                label=f"entry of {person.email}",
                campus_id=person.campus_id,
            )
            shown.append(f"entry of {person.email}")
        db.session.commit()
        return shown

    return {
        "cohorts as admin": lambda n: cohorts(n, own_campus=False),
        "cohorts as manager": lambda n: cohorts(n, own_campus=True),
        "users": users,
        "audit log": audit_entries,
        "courses as admin": lambda n: courses(n, own_campus=False),
        "courses as manager": lambda n: courses(n, own_campus=True),
        "dashboard as admin": lambda n: cohorts(n, own_campus=False),
        "dashboard as manager": lambda n: cohorts(n, own_campus=True),
    }


PAGES = [
    ("cohorts as admin", Role.ADMIN, "/cohorts/"),
    ("cohorts as manager", Role.MANAGER, "/cohorts/"),
    ("users", Role.ADMIN, "/admin/users"),
    ("audit log", Role.ADMIN, "/admin/audit"),
    ("courses as admin", Role.ADMIN, "/cohorts/courses"),
    ("courses as manager", Role.MANAGER, "/cohorts/courses"),
    ("dashboard as admin", Role.ADMIN, "/"),
    ("dashboard as manager", Role.MANAGER, "/"),
]


@pytest.mark.parametrize(("page", "role", "url"), PAGES, ids=[page for page, _, _ in PAGES])
def test_the_page_runs_as_many_queries_for_12_rows_as_for_2(
    client, login_as, count_queries, rows, page, role, url
):
    login_as(role)
    add: Callable[[int], list[str]] = rows[page]

    def measure(expected: list[str]) -> int:
        db.session.expunge_all()  # nothing loaded by the test may spare the page a query
        with count_queries() as statements:
            response = client.get(url)
        assert response.status_code == 200
        html = unescape(response.get_data(as_text=True))
        missing = [item for item in expected if item not in html]
        assert not missing, f"{page} does not show {missing}"
        return statements()

    shown = add(2)
    client.get(url)  # warm up: first-request work is not the page's
    with_two = measure(shown)
    shown += add(10)
    with_twelve = measure(shown)

    assert with_twelve == with_two, f"{page}: {with_two} queries for 2 rows, {with_twelve} for 12"
