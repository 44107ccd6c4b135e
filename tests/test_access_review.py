"""The monthly access review (제8조②): crafted months of access, each unusual pattern flagged
by its rule, a normal month not flagged, the record of the review, its download and command.

Access-log rows are written by the app's own `audit.record_access` and dated in the past
before they are stored; failed log-ins, lockouts and second-factor resets go through the
real log-in form and admin page, and are found in the current month.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from html import unescape

import openpyxl
import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from sesac_ms import audit
from sesac_ms.admin import review
from sesac_ms.clock import SEOUL, today_in_seoul
from sesac_ms.extensions import db
from sesac_ms.models import (
    AccessReview,
    AuditEntry,
    Campus,
    Cohort,
    Enrollment,
    Passkey,
    PersonalDataAccess,
    Role,
    User,
)
from sesac_ms.models.audit import AccessAction
from tests.conftest import login

MARCH = review.Month(2026, 3)  # 3/1 (a Sunday) and 3/2 (its alternative holiday) are holidays


def seoul(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SEOUL)


@pytest.fixture
def place(campus, make_campus, make_course, make_cohort, make_user):
    """A manager of 구로 with a cohort and trainee there, and a cohort and trainee of 중랑."""
    other = make_campus("중랑", name_en="Jungnang", district="중랑구")
    home_cohort = make_cohort(course=make_course(campus=campus))
    other_cohort = make_cohort(course=make_course(campus=other))
    home_trainee = make_user(Role.TRAINEE, campus=campus, name="구로 교육생")
    other_trainee = make_user(Role.TRAINEE, campus=other, name="중랑 교육생")
    home = Enrollment(cohort_id=home_cohort.id, user_id=home_trainee.id)
    away = Enrollment(cohort_id=other_cohort.id, user_id=other_trainee.id)
    db.session.add_all([home, away])
    db.session.commit()
    return {
        "manager": make_user(Role.MANAGER, campus=campus, name="김매니저"),
        "home_cohort": home_cohort,
        "other_cohort": other_cohort,
        "home": home,
        "away": away,
        "other_trainee": other_trainee,
    }


def access(actor: User | None, at: datetime, action=AccessAction.VIEW, **values):
    """One access-log entry written by the app's service, dated `at`."""
    values.setdefault("subject_label", "기록")
    if action == AccessAction.DOWNLOAD:
        values.setdefault("reason", "수료 서류 제출")
    label = values.pop("subject_label")
    entry = audit.record_access(actor, action, label, **values)
    entry.at = at
    db.session.flush()
    return entry


def row_of(summary: review.MonthReview, user: User) -> review.ReviewRow:
    (row,) = [row for row in summary.rows if row.user_id == user.id]
    return row


def rules_of(row: review.ReviewRow) -> dict[str, int]:
    return {flag.rule: flag.count for flag in row.flags}


def normal_work(manager: User, place: dict) -> None:
    """A month as it should be: the own campus's data, in working hours, small downloads."""
    access(manager, seoul(10, 9, 5), subject=place["home_cohort"], page="cohorts.roster")
    access(manager, seoul(10, 19, 59), subject=place["home"], page="cohorts.trainee")
    access(manager, seoul(11, 8, 0), subject=place["home"], page="cohorts.trainee")
    access(
        manager,
        seoul(12, 14),
        AccessAction.DOWNLOAD,
        subject=place["home_cohort"],
        page="cohorts.roster_export",
        detail="XLSX",
        people_count=100,  # not more than 100: not a bulk download
    )
    db.session.commit()


def test_a_normal_month_is_not_flagged(app, place):
    manager = place["manager"]
    normal_work(manager, place)

    summary = review.month_review(MARCH)

    row = row_of(summary, manager)
    assert (row.views, row.downloads, row.people_downloaded) == (3, 1, 100)
    assert row.people_viewed == 1 + 1 + 1  # a list of no stated size counts as one person
    assert (row.off_hours, row.bulk_downloads, row.other_campus) == (0, 0, 0)
    assert row.flags == []
    assert summary.flagged == []
    assert summary.ended and summary.record is None


def test_off_hours_weekends_and_holidays_are_flagged(app, place):
    manager = place["manager"]
    normal_work(manager, place)
    for at in (
        seoul(10, 20, 0),  # Tuesday, 20:00: the working day is over
        seoul(11, 7, 59),  # Wednesday, before 08:00
        seoul(14, 11),  # Saturday
        seoul(2, 10),  # Monday, the alternative holiday of 3·1절
        seoul(31, 23, 30),  # the month's last evening (14:30 UTC: still March in Seoul)
    ):
        access(manager, at, subject=place["home"], page="cohorts.trainee")
    access(manager, seoul(1, 10, month=4), subject=place["home"])  # April: another month
    db.session.commit()

    row = row_of(review.month_review(MARCH), manager)

    assert row.off_hours == 5
    assert rules_of(row) == {"off_hours": 5}


def test_the_working_hours_are_a_setting(app, make_user):
    app.config.update(REVIEW_WORKDAY_STARTS_HOUR=9, REVIEW_WORKDAY_ENDS_HOUR=18)
    manager = make_user(Role.MANAGER)
    access(manager, seoul(10, 8, 30))
    access(manager, seoul(10, 18, 0))
    access(manager, seoul(10, 12, 0))
    db.session.commit()

    row = row_of(review.month_review(MARCH), manager)

    assert row.off_hours == 2
    with force_locale("en"):
        assert "09:00–18:00" in review.rule_texts()["off_hours"]


def test_a_download_of_more_than_n_people_is_flagged(app, place):
    manager = place["manager"]
    normal_work(manager, place)
    access(
        manager,
        seoul(12, 15),
        AccessAction.DOWNLOAD,
        subject=place["home_cohort"],
        page="cohorts.roster_export",
        detail="CSV",
        people_count=150,
    )
    db.session.commit()

    row = row_of(review.month_review(MARCH), manager)

    assert (row.downloads, row.people_downloaded, row.largest_download) == (2, 250, 150)
    assert rules_of(row) == {"bulk_download": 1}


def test_access_to_people_of_another_campus_is_flagged(app, place, make_user, make_application):
    manager = place["manager"]
    normal_work(manager, place)
    access(manager, seoul(12, 10), subject=place["away"], page="cohorts.trainee")
    access(manager, seoul(12, 11), subject=place["other_cohort"], page="cohorts.roster")
    application = make_application(place["other_cohort"])
    access(manager, seoul(12, 12), subject=application, page="applications.show")
    access(manager, seoul(12, 13), subject=place["other_trainee"], page="admin.user")
    # An administrator belongs to no campus: every campus is theirs.
    admin = make_user(Role.ADMIN, name="운영본부")
    access(admin, seoul(12, 10), subject=place["away"], page="cohorts.trainee")
    db.session.commit()

    summary = review.month_review(MARCH)

    assert rules_of(row_of(summary, manager)) == {"other_campus": 4}
    assert row_of(summary, admin).flags == []


def test_failed_log_ins_and_a_lockout_are_counted_without_keeping_unknown_addresses(
    app, client, make_user
):
    owner = make_user(Role.MANAGER, name="잠긴 매니저")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):  # the last one locks the account
        assert login(client, owner.email, "guessing wrong").status_code == 200
    for _ in range(3):
        login(client, "nobody-here@sesac.example", "guessing wrong")
    db.session.commit()

    summary = review.month_review(review.Month.of(today_in_seoul()))

    row = row_of(summary, owner)
    assert (row.failed_logins, row.lockouts) == (5, 1)
    assert rules_of(row) == {"failed_logins": 5, "lockout": 1}
    (unknown,) = [row for row in summary.rows if row.kind == review.UNKNOWN]
    assert unknown.failed_logins == 3
    assert rules_of(unknown) == {"failed_logins": 3}
    # The unknown address is counted, not kept: no entry names it.
    entries = db.session.scalars(sa.select(AuditEntry)).all()
    assert not any("nobody-here" in repr((e.object_label, e.changes)) for e in entries)
    assert {e.action for e in entries if e.object_id is None} == {"user.login_failed_unknown"}


def test_fewer_failed_log_ins_than_the_setting_are_not_flagged(app, client, make_user):
    owner = make_user(Role.COORDINATOR)
    for _ in range(app.config["REVIEW_FAILED_LOGINS"] - 1):
        login(client, owner.email, "guessing wrong")
    assert login(client, owner.email).status_code == 302

    row = row_of(review.month_review(review.Month.of(today_in_seoul())), owner)

    assert (row.failed_logins, row.flags) == (2, [])


def test_a_second_factor_reset_is_flagged(app, client, login_as, make_user):
    person = make_user(Role.COORDINATOR, name="초기화 대상")
    db.session.add(
        Passkey(user_id=person.id, name="열쇠", credential_id=b"review-key", public_key=b"key")
    )
    db.session.commit()
    login_as(Role.ADMIN)

    response = client.post(f"/admin/users/{person.id}/reset-second-factor")

    assert response.status_code == 302
    row = row_of(review.month_review(review.Month.of(today_in_seoul())), person)
    assert rules_of(row) == {"second_factor_reset": 1}


def test_the_page_shows_each_flag_with_its_rule_in_both_languages(app, client, place, make_user):
    manager = place["manager"]
    normal_work(manager, place)
    access(manager, seoul(14, 11), subject=place["away"], page="cohorts.trainee")
    access(
        manager,
        seoul(12, 15),
        AccessAction.DOWNLOAD,
        subject=place["home_cohort"],
        page="cohorts.roster_export",
        people_count=150,
    )
    db.session.commit()
    for locale in ("en", "ko"):
        admin = make_user(Role.ADMIN, locale=locale)
        login(client, admin.email)
        response = client.get("/admin/access-review?month=2026-03")
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
        html = unescape(response.get_data(as_text=True))
        with force_locale(locale):
            texts = review.rule_texts()
        for rule in ("off_hours", "bulk_download", "other_campus"):
            assert texts[rule] in html, (locale, rule)
        assert "김매니저" in html
        client.post("/auth/logout")
    with force_locale("en"):
        texts = review.rule_texts()
    assert texts["bulk_download"] == (
        "Bulk download: the data of more than 100 people downloaded at once."
    )
    assert texts["off_hours"].startswith("Off-hours: personal data used outside 08:00–20:00")
    # Looking at the review is itself logged: it names users and what they did.
    (viewed,) = db.session.scalars(
        sa.select(PersonalDataAccess).where(PersonalDataAccess.page == "admin.access_review")
    ).all()[:1]
    assert viewed.filters == {"month": "2026-03"}


def test_a_malformed_month_is_shown_beside_its_field(client, login_as):
    login_as(Role.ADMIN, locale="en")

    response = client.get("/admin/access-review?month=2026-13")

    assert response.status_code == 200
    html = unescape(response.get_data(as_text=True))
    assert "Give a month as YYYY-MM, e.g. 2026-10." in html
    assert f"Monthly access review · {review.previous_month()}" in html


def test_recording_the_review_ends_the_dashboards_reminder(client, login_as):
    admin = login_as(Role.ADMIN, locale="en", name="검토 관리자")
    due = review.previous_month()
    reminder = f"The personal-data access of {due} is not reviewed yet."
    assert reminder in unescape(client.get("/").get_data(as_text=True))

    page = unescape(client.get(f"/admin/access-review?month={due}").get_data(as_text=True))
    assert f"Record {due} as reviewed" in page
    response = client.post(
        "/admin/access-review/record", data={"month": str(due), "note": "이상 없음. 확인함."}
    )

    assert response.status_code == 302
    assert response.location.endswith(f"/admin/access-review?month={due}")
    page = unescape(client.get(response.location).get_data(as_text=True))
    assert "검토 관리자" in page and "이상 없음. 확인함." in page
    record = db.session.scalar(sa.select(AccessReview))
    assert (record.month, record.reviewed_by_id, record.note) == (
        str(due),
        admin.id,
        "이상 없음. 확인함.",
    )
    (entry,) = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "access_review.recorded")
    )
    assert (entry.actor_id, entry.object_label) == (admin.id, str(due))
    assert entry.changes["note"] == [None, "이상 없음. 확인함."]
    assert reminder not in unescape(client.get("/").get_data(as_text=True))

    # Once only; and never a month that is not over.
    again = client.post("/admin/access-review/record", data={"month": str(due), "note": ""})
    assert again.status_code == 200
    assert f"{due} was recorded as reviewed already." in unescape(again.get_data(as_text=True))
    now = review.Month.of(today_in_seoul())
    early = client.post("/admin/access-review/record", data={"month": str(now)})
    assert "A month can be recorded as reviewed once it is over." in unescape(
        early.get_data(as_text=True)
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AccessReview)) == 1


def test_the_review_downloads_as_csv_and_xlsx_through_the_one_writer(
    client, login_as, place, make_user
):
    manager = place["manager"]
    sneaky = make_user(Role.MANAGER, name='=HYPERLINK("http://evil.example")')
    access(sneaky, seoul(14, 11), subject=place["home"])
    normal_work(manager, place)
    admin = login_as(Role.ADMIN, locale="en")

    refused = client.post("/admin/access-review/export?month=2026-03", data={"format": "csv"})
    assert refused.status_code == 200
    assert "Say why you download this personal data." in refused.get_data(as_text=True)

    response = client.post(
        "/admin/access-review/export?month=2026-03",
        data={"format": "csv", "reason": "월간 점검 보관"},
    )
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=access-review-2026-03.csv"
    )
    assert response.headers["Cache-Control"] == "no-store"
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    with force_locale("ko"):
        headers, _rows = review.table(review.month_review(MARCH))
        off_hours = review.rule_texts()["off_hours"]
    assert table[0] == headers
    by_name = {row[0]: row for row in table[1:]}
    assert by_name["김매니저"][4:7] == ["3", "3", "1"]
    assert by_name['\'=HYPERLINK("http://evil.example")'][-1] == f"{off_hours} (1)"
    (download,) = db.session.scalars(
        sa.select(PersonalDataAccess).where(PersonalDataAccess.page == "admin.access_review_export")
    )
    assert (download.actor_id, download.action, download.reason) == (
        admin.id,
        AccessAction.DOWNLOAD,
        "월간 점검 보관",
    )
    assert (download.people_count, download.detail, download.filters) == (
        2,
        "CSV",
        {"month": "2026-03"},
    )

    response = client.post(
        "/admin/access-review/export?month=2026-03",
        data={"format": "xlsx", "reason": "월간 점검 보관"},
    )
    assert response.headers["Content-Disposition"].endswith("access-review-2026-03.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    cells = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert cells[0] == headers
    names = [row[0] for row in cells[1:]]
    assert '\'=HYPERLINK("http://evil.example")' in names and "김매니저" in names


def test_the_command_prints_the_month_and_writes_files(app, runner, place, tmp_path):
    manager = place["manager"]
    normal_work(manager, place)
    access(manager, seoul(14, 11), subject=place["away"], page="cohorts.trainee")
    db.session.commit()

    result = runner.invoke(args=["audit", "review", "--month", "2026-03", "--lang", "en"])

    assert result.exit_code == 0, result.output
    assert "access review of 2026-03" in result.output
    assert "Off-hours" in result.output and "Failed log-ins" in result.output
    assert "김매니저 <" in result.output
    with force_locale("en"):
        texts = review.rule_texts()
    assert f"! {texts['off_hours']} (1)" in result.output
    assert f"! {texts['other_campus']} (1)" in result.output
    assert "not recorded as reviewed yet" in result.output

    output = tmp_path / "march.xlsx"
    result = runner.invoke(
        args=["audit", "review", "--month", "2026-03", "--format", "xlsx", "--output", output]
    )
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(output).active
    assert sheet.max_row == 3  # the header, the manager and the totals
    result = runner.invoke(args=["audit", "review", "--month", "2026-03", "--format", "csv"])
    assert result.exit_code == 0 and "김매니저" in result.output
    logged = db.session.scalars(
        sa.select(PersonalDataAccess).where(PersonalDataAccess.page == "admin.access_review_export")
    ).all()
    assert [(e.actor_id, e.actor_label) for e in logged] == [(None, "system")] * 2

    assert runner.invoke(args=["audit", "review", "--month", "2026-13"]).exit_code == 2
    assert runner.invoke(args=["audit", "review", "--format", "xlsx"]).exit_code == 2


def test_the_page_runs_as_many_queries_for_12_users_as_for_2(
    client, login_as, count_queries, campus, place, make_user
):
    login_as(Role.ADMIN)
    made = []
    ids = {"campus": campus.id, "away": place["away"].id, "cohort": place["home_cohort"].id}

    def add(n: int) -> None:
        # Loaded anew: the measurements forget everything the test loaded.
        away = db.session.get(Enrollment, ids["away"])
        cohort = db.session.get(Cohort, ids["cohort"])
        home = db.session.get(Campus, ids["campus"])
        for _ in range(n):
            user = make_user(Role.MANAGER, campus=home, name=f"매니저{len(made)}")
            made.append(user.name)
            for day in (10, 14):  # a weekday and a Saturday
                access(user, seoul(day, 11), subject=away, page="cohorts.trainee")
            access(
                user,
                seoul(12, 15),
                AccessAction.DOWNLOAD,
                subject=cohort,
                page="cohorts.roster_export",
                people_count=150,
            )
            for action in ("user.login_failed", "user.locked", "user.second_factor_reset"):
                entry = audit.record(None, action, user, label=user.email)
                entry.at = seoul(13, 3)
        db.session.commit()

    def measure() -> int:
        db.session.expunge_all()
        with count_queries() as statements:
            response = client.get("/admin/access-review?month=2026-03")
        assert response.status_code == 200
        html = unescape(response.get_data(as_text=True))
        assert all(name in html for name in made)
        return statements()

    add(2)
    client.get("/admin/access-review?month=2026-03")  # warm up
    with_two = measure()
    add(10)
    with_twelve = measure()

    assert with_twelve == with_two, f"{with_two} queries for 2 users, {with_twelve} for 12"
