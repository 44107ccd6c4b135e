"""Report figures kept between requests (reports.figures_cache) are never shown stale.

After every one of many random changes to the records (tests/test_tallies.py's), the
report page at each grouping and window, and the admin's dashboard, show what they show
when worked out afresh; so does another worker's app that kept figures from before the
change. A change rolled back leaves the version as it was; the second request for the
same figures reads them back instead of summing again.
"""

from __future__ import annotations

import random
import re
from html import unescape

import pytest
import sqlalchemy as sa

from sesac_ms.extensions import db
from sesac_ms.models import Role
from sesac_ms.reports import figures_cache
from tests.test_reports import table_rows
from tests.test_tallies import _random_change, make_world


@pytest.fixture
def world(make_campus, make_course, make_cohort, make_user):
    return make_world(make_campus, make_course, make_cohort, make_user)


PAGES = [
    f"/reports/employment?by={by}{window}"
    for by in ("campus", "course", "cohort")
    for window in ("", "&within_days=30")
]


def _shown(client, url: str) -> list[list[str]]:
    response = client.get(url)
    assert response.status_code == 200
    return table_rows(unescape(response.get_data(as_text=True)))


def _afresh(client, url: str) -> list[list[str]]:
    figures_cache.forget()
    return _shown(client, url)


@pytest.mark.parametrize("seed", [5, 6])
def test_kept_figures_follow_every_change(app, make_app, world, login_as, seed):
    admin = login_as(Role.ADMIN, locale="en")
    # A second worker on the same database, logged in as the same admin.
    other = make_app()
    other_client = other.test_client()
    with other.app_context():
        response = other_client.post(
            "/auth/login", data={"email": admin.email, "password": "correct horse battery"}
        )
        assert response.status_code == 302
    client = app.test_client()
    client.post("/auth/login", data={"email": admin.email, "password": "correct horse battery"})
    rng = random.Random(seed)
    for step in range(24):
        for url in PAGES:
            _shown(client, url)  # kept, to be found after the change if it were stale
        with other.app_context():
            for url in PAGES:
                _shown(other_client, url)
        _random_change(rng, world)
        for url in PAGES[step % 3 :: 3]:
            kept = _shown(client, url)
            with other.app_context():
                kept_elsewhere = _shown(other_client, url)
            assert kept == kept_elsewhere == _afresh(client, url), (step, url)


def test_a_renamed_campus_is_shown_at_once(app, world, login_as, client):
    login_as(Role.ADMIN, locale="en")
    before = _shown(client, PAGES[0])
    campus = world["cohorts"][0].course.campus
    campus.name_en = "Renamed campus"
    db.session.commit()
    after = _shown(client, PAGES[0])
    assert "Renamed campus" in [row[0] for row in after]
    assert "Renamed campus" not in [row[0] for row in before]


def test_a_change_rolled_back_keeps_the_version(app, world):
    enrollment = world["enrollments"][0]
    db.session.commit()
    figures_cache.raise_version(db.session.connection())
    db.session.commit()
    version = figures_cache.current_version()
    enrollment.status = "dropped"
    db.session.flush()
    assert figures_cache.current_version() == version + 1  # raised with the change...
    db.session.rollback()
    assert figures_cache.current_version() == version  # ...and gone with it


def test_the_same_figures_are_read_back_not_summed_again(
    app,
    world,
    login_as,
    client,
    count_queries,
):
    login_as(Role.ADMIN)
    url = "/reports/employment?by=cohort"
    with count_queries() as worked_out:  # count_queries forgets what was kept
        first = client.get(url).get_data()
    statements: list[str] = []

    def before(conn, cursor, statement, *args) -> None:  # noqa: ANN001, ANN002
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        second = client.get(url).get_data(as_text=True)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)
    assert table_rows(first.decode()) == table_rows(second)
    assert not any("cohort_employment" in statement for statement in statements)
    assert len(statements) < worked_out()


def _active_trainees(client) -> int:
    html = client.get("/").get_data(as_text=True)
    card = html.split("Active accounts", 1)[1]
    block = card.split("Trainees", 1)[1]
    return int(re.search(r'class="stat">(\d+)<', block).group(1))


def test_the_dashboard_counts_accounts_as_they_change(app, login_as, client, make_user):
    login_as(Role.ADMIN, locale="en")
    before = _active_trainees(client)
    trainee = make_user(Role.TRAINEE)
    assert _active_trainees(client) == before + 1
    version = figures_cache.current_version()
    trainee.last_login_at = trainee.created_at  # a log-in: counted the same
    db.session.commit()
    assert _active_trainees(client) == before + 1
    assert figures_cache.current_version() == version  # and nothing kept is forgotten
    trainee.active = False
    db.session.commit()
    assert _active_trainees(client) == before
    trainee.active, trainee.role = True, Role.MENTOR
    db.session.commit()
    assert _active_trainees(client) == before


def test_a_moved_completion_date_moves_the_trainees_waiting_for_an_outcome(app, world):
    from datetime import timedelta

    from sesac_ms.clock import today_in_seoul
    from sesac_ms.models import Outcome, User
    from sesac_ms.placements.lists import without_outcome

    admin = User(email="admin-wait@example.com", name="관리자", role=Role.ADMIN)
    db.session.add(admin)
    enrollment = world["enrollments"][0]
    db.session.execute(sa.delete(Outcome).where(Outcome.enrollment_id == enrollment.id))
    today = today_in_seoul()
    enrollment.status_on = today - timedelta(days=10)
    db.session.commit()
    with app.test_request_context():
        recent = without_outcome(admin, today)
    enrollment.status_on = today - timedelta(days=400)  # the same status, another date
    db.session.commit()
    with app.test_request_context():
        moved = without_outcome(admin, today)
        figures_cache.forget()
        assert moved == without_outcome(admin, today)  # as worked out afresh
    assert moved[180] == recent[180] + 1


def _accounts_file(client) -> list[list[str]]:
    import csv
    import io

    response = client.post("/admin/users/export", data={"reason": "계정 점검 (분기)"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_the_accounts_download_follows_every_change_of_what_it_lists(
    app, login_as, client, make_user, make_campus
):
    """The file is kept under the figures' version: each change below must show at once,
    and the file must equal one written afresh."""
    from sesac_ms.models import PersonalDataAccess

    login_as(Role.ADMIN, locale="ko")
    trainee = make_user(Role.TRAINEE, name="가교육생", email="ga@sesac.example")
    other = make_campus("중랑", name_en="Jungnang", district="중랑구", opening_order=25)

    def row() -> list[str]:
        found = [r for r in _accounts_file(client) if r[1] == trainee.email]
        return found[0] if found else []

    changes = [
        lambda: setattr(trainee, "name", "나교육생"),
        lambda: setattr(trainee, "email", "na@sesac.example"),
        lambda: setattr(trainee, "campus_id", other.id),
        lambda: setattr(other, "name_ko", "중랑2"),
        lambda: setattr(trainee, "active", False),
        lambda: setattr(trainee, "role", Role.MENTOR),
    ]
    before = row()
    for change in changes:
        change()
        db.session.commit()
        shown = row()
        assert shown != before
        kept = _accounts_file(client)
        figures_cache.forget()
        assert kept == _accounts_file(client)  # as written afresh
        before = shown
    assert before[:2] == ["나교육생", "na@sesac.example"] and before[3:] == ["중랑2", "N"]
    added = make_user(Role.TRAINEE, email="new@sesac.example")
    assert any(r[1] == added.email for r in _accounts_file(client))
    # Each download is still logged, kept file or not.
    downloads = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(PersonalDataAccess)
        .where(PersonalDataAccess.page == "admin.users_export")
    )
    assert downloads == 1 + 3 * len(changes) + 1


def test_the_referral_forms_cohorts_follow_their_trainees(
    app, login_as, client, make_user, make_cohort
):
    """Kept under the figures' version: a cohort is offered once a trainee may be referred
    from it, and no longer once none may."""
    from html import unescape

    from sesac_ms.models import CohortStatus, Enrollment, EnrollmentStatus

    login_as(Role.COORDINATOR, locale="en")
    cohort = make_cohort(status=CohortStatus.IN_PROGRESS)
    label = cohort.label("en")

    def offered() -> bool:
        return label in unescape(client.get("/placements/referrals").get_data(as_text=True))

    assert not offered()
    trainee = make_user(Role.TRAINEE)
    enrollment = Enrollment(cohort_id=cohort.id, user_id=trainee.id)
    db.session.add(enrollment)
    db.session.commit()
    assert offered()
    enrollment.status = EnrollmentStatus.DROPPED
    db.session.commit()
    assert not offered()
