"""A running cohort: its class calendar, events, attendance, completion, deposits and exports.

Read as the campus manager meets it: the calendar leaves out weekends and Korean public
holidays, attendance is marked for the whole roster at once and turned into the rule's rate
and flags, completion and dropping out follow the rules with an audit entry each, and the
roster leaves the building only with a reason. Coordinators look, trainees see only themselves,
other campuses see nothing.

"Today" is pinned to 2026-11-25 so that the autumn cohorts below lie in the past.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, format_date, gettext
from openpyxl import load_workbook

from sesac_ms.cohorts import roster
from sesac_ms.errors import Conflict, InvalidInput
from sesac_ms.extensions import db
from sesac_ms.models import (
    Attendance,
    AttendanceStatus,
    AuditEntry,
    ClassDay,
    Cohort,
    CohortEvent,
    CohortStatus,
    DepositStatus,
    DropReason,
    Enrollment,
    EnrollmentStatus,
    PersonalDataAccess,
    Role,
    User,
)
from sesac_ms.models.audit import AccessAction
from tests.conftest import login

TODAY = date(2026, 11, 25)
SEOUL = ZoneInfo("Asia/Seoul")
CODES = {
    "P": AttendanceStatus.PRESENT,
    "L": AttendanceStatus.LATE,
    "E": AttendanceStatus.LEFT_EARLY,
    "A": AttendanceStatus.ABSENT,
    "X": AttendanceStatus.EXCUSED,
}


# --- helpers ---------------------------------------------------------------------------


def ko(message: str, **values) -> str:
    """The message as a Korean user reads it, from the app's own catalogue."""
    with force_locale("ko"):
        return gettext(message, **values)


def ko_date(day: date) -> str:
    with force_locale("ko"):
        return format_date(day)


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def flashes(response) -> list[str]:
    found = re.findall(r'role="alert">\s*(.*?)\s*<button', response.get_data(as_text=True), re.S)
    return [unescape(message) for message in found]


def field_errors(response, name: str) -> list[str]:
    """The messages the forms macro renders beside the field called `name`."""
    html = response.get_data(as_text=True)
    for block in re.split(r'<div class="(?:form-check )?mb-3', html):
        if re.search(rf'<(?:input|select|textarea)\b[^>]*\bname="{name}"', block):
            found = re.findall(r'<div class="invalid-feedback">(.*?)</div>', block, re.S)
            return [unescape(message.strip()) for message in found]
    raise AssertionError(f"the page has no field {name!r}")


def table_row(response, name: str) -> str:
    """The text of the table row that names the trainee."""
    for row in re.findall(r"<tr\b.*?</tr>", response.get_data(as_text=True), re.S):
        if f">{name}<" in row:
            return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)))
    raise AssertionError(f"no row for {name!r}")


def audit_entries(action: str) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            db.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


def count(model) -> int:
    return db.session.scalar(db.select(sa.func.count()).select_from(model))


def class_day(cohort: Cohort, day: date) -> ClassDay:
    found = db.session.scalar(
        db.select(ClassDay).where(ClassDay.cohort_id == cohort.id, ClassDay.day == day)
    )
    assert found is not None, f"{day} is not on the calendar"
    return found


def attend(actor: User, cohort: Cohort, patterns: dict[Enrollment, str]) -> None:
    """Mark the cohort's class days in order; pattern letters P L E A X, "." = not taken."""
    days = roster.class_days(cohort, include_cancelled=False)
    for index, day in enumerate(days):
        marks = {
            enrollment.id: (CODES[pattern[index]].value, "")
            for enrollment, pattern in patterns.items()
            if index < len(pattern) and pattern[index] != "."
        }
        if marks:
            roster.record_attendance(actor, cohort, day, marks)
    db.session.commit()


def reload(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


# --- fixtures --------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch: pytest.MonkeyPatch) -> date:
    monkeypatch.setattr(roster, "today_in_seoul", lambda: TODAY)
    return TODAY


@pytest.fixture
def make_running_cohort(make_cohort) -> Callable[..., Cohort]:
    def factory(start_on: date, end_on: date, **values) -> Cohort:
        cohort = make_cohort(
            start_on=start_on, end_on=end_on, status=CohortStatus.IN_PROGRESS, **values
        )
        for key, value in values.items():
            setattr(cohort, key, value)
        db.session.commit()
        return cohort

    return factory


@pytest.fixture
def autumn(make_running_cohort) -> Cohort:
    """2026-09-21 … 10-09: Chuseok (9/24–26), 개천절 (10/3, substitute 10/5), 한글날 (10/9)."""
    return make_running_cohort(date(2026, 9, 21), date(2026, 10, 9))


@pytest.fixture
def staff(make_user) -> User:
    """A manager of the campus acting through the services (not logged in)."""
    return make_user(Role.MANAGER, name="김매니저")


@pytest.fixture
def enrol(make_user) -> Callable[..., Enrollment]:
    def factory(cohort: Cohort, name: str, campus=None, **values) -> Enrollment:
        kwargs = {"campus": campus} if campus is not None else {}
        user = make_user(Role.TRAINEE, name=name, **kwargs)
        enrollment = Enrollment(cohort_id=cohort.id, user_id=user.id, **values)
        db.session.add(enrollment)
        db.session.commit()
        return enrollment

    return factory


@pytest.fixture
def manager(login_as, client) -> User:
    user = login_as(Role.MANAGER, name="박매니저")
    client.get("/")  # read the welcome message, so a page shows only what the test caused
    return user


@pytest.fixture
def other_campus(make_campus):
    return make_campus("중랑", name_en="Jungnang", district="중랑구", opening_order=25)


# --- calendar --------------------------------------------------------------------------

AUTUMN_CLASS_DAYS = [
    date(2026, 9, 21),
    date(2026, 9, 22),
    date(2026, 9, 23),
    # 9/24–9/26 추석 연휴
    date(2026, 9, 28),
    date(2026, 9, 29),
    date(2026, 9, 30),
    date(2026, 10, 1),
    date(2026, 10, 2),
    # 10/3 개천절 (Saturday), 10/5 its substitute holiday
    date(2026, 10, 6),
    date(2026, 10, 7),
    date(2026, 10, 8),
    # 10/9 한글날
]


def test_calendar_leaves_out_weekends_and_korean_holidays_and_is_idempotent(staff, autumn):
    off = roster.korean_holidays(autumn.start_on, autumn.end_on)
    assert set(off) == {
        date(2026, 9, 24),
        date(2026, 9, 25),
        date(2026, 9, 26),
        date(2026, 10, 3),
        date(2026, 10, 5),
        date(2026, 10, 9),
    }
    assert "추석" in off[date(2026, 9, 25)] and "한글날" in off[date(2026, 10, 9)]

    assert roster.generate_class_days(staff, autumn) == (11, 0)
    db.session.commit()
    assert [d.day for d in roster.class_days(autumn)] == AUTUMN_CLASS_DAYS
    assert all(d.day.weekday() < 5 for d in roster.class_days(autumn))

    assert roster.generate_class_days(staff, autumn) == (0, 0)
    db.session.commit()
    assert count(ClassDay) == 11
    entries = audit_entries("calendar.generated")
    assert len(entries) == 1 and entries[0].changes == {"added": 11, "removed": 0}


def test_regenerating_after_a_pattern_change_keeps_days_by_hand_and_days_with_attendance(
    staff, autumn, enrol
):
    trainee = enrol(autumn, "한지우")
    roster.generate_class_days(staff, autumn)
    roster.add_class_day(staff, autumn, date(2026, 9, 24), "추석 보강")  # a holiday, by hand
    attend(staff, autumn, {trainee: "P"})  # 9/21, a Monday
    roster.update_rules(
        staff,
        autumn,
        class_weekdays="24",
        class_starts_at=autumn.class_starts_at,
        class_ends_at=autumn.class_ends_at,
        lates_per_absence=3,
        completion_threshold=80,
        deposit_amount=0,
    )  # Wednesdays and Fridays only
    added, removed = roster.generate_class_days(staff, autumn)
    db.session.commit()
    days = [d.day for d in roster.class_days(autumn)]
    assert days == [
        date(2026, 9, 21),  # has attendance
        date(2026, 9, 23),
        date(2026, 9, 24),  # by hand
        date(2026, 9, 30),
        date(2026, 10, 2),
        date(2026, 10, 7),
    ]
    assert (added, removed) == (0, 6)


def test_generating_through_the_page_shows_the_days_and_the_holidays_left_out(
    client, manager, autumn
):
    response = client.post(f"/cohorts/{autumn.id}/calendar/generate", follow_redirects=True)
    assert ko(
        "Class days generated: %(added)d added, %(removed)d removed.", added=11, removed=0
    ) in flashes(response)
    # The calendar shows a month at a time: today's, or the cohort's nearest (its last).
    assert "2026-10-08" in text(response) and "2026-09-23" not in text(response)
    page = text(client.get(f"/cohorts/{autumn.id}/calendar?month=2026-09"))
    assert "2026-09-23" in page and "2026-09-28" in page
    assert "2026-09-25" not in page.split(ko("Public holidays left out"))[0]
    holidays_part = page.split(ko("Public holidays left out"))[1]
    assert "추석" in holidays_part and "한글날" in holidays_part and "개천절" in holidays_part


def test_the_calendar_shows_one_month_at_a_time_with_the_others_a_click_away(
    client, manager, autumn
):
    roster.generate_class_days(manager, autumn)
    db.session.commit()
    url = f"/cohorts/{autumn.id}/calendar"

    def shown(page) -> list[str]:
        """The dates of the class days listed, in order."""
        return re.findall(r"(\d{4}-\d{2}-\d{2})</td>", page.get_data(as_text=True))

    # Today (11/25) is after the cohort: its nearest month, October, is shown first.
    october = client.get(url)
    assert shown(october) == [d.isoformat() for d in AUTUMN_CLASS_DAYS[6:]]
    html = october.get_data(as_text=True)
    assert f'href="{url}?month=2026-09"' in html  # September, one click away…
    assert 'aria-current="page">2026-10 <span class="small">(5)</span>' in html
    assert '2026-09 <span class="small">(6)</span>' in html  # …with its class days
    assert f"({len(AUTUMN_CLASS_DAYS)})" in html  # the cohort's whole count stays on top
    september = client.get(f"{url}?month=2026-09")
    assert shown(september) == [d.isoformat() for d in AUTUMN_CLASS_DAYS[:6]]
    # A month outside the cohort, or no month at all, lands on the nearest one.
    assert shown(client.get(f"{url}?month=2026-01")) == shown(september)
    assert shown(client.get(f"{url}?month=2030-12")) == shown(october)
    assert shown(client.get(f"{url}?month=soon")) == shown(october)
    # Cancelling a day comes back to that day's month.
    monday = class_day(autumn, date(2026, 9, 28))
    response = client.post(f"{url}/days/{monday.id}/cancel", data={"note": ""})
    assert response.headers["Location"].endswith(f"{url}?month=2026-09")


@pytest.mark.parametrize("day", ["2026-09-20", "2026-10-10", "2027-01-04"])
def test_a_day_added_outside_the_cohort_is_refused_naming_the_dates(client, manager, autumn, day):
    response = client.post(
        f"/cohorts/{autumn.id}/calendar/days", data={"day": day, "note": ""}, follow_redirects=True
    )
    expected = ko(
        "%(day)s is outside the cohort (%(start)s – %(end)s).",
        day=ko_date(date.fromisoformat(day)),
        start=ko_date(autumn.start_on),
        end=ko_date(autumn.end_on),
    )
    assert expected in field_errors(response, "day")  # beside the field, on the calendar
    assert ko_date(date(2026, 9, 21)) in expected and ko_date(date(2026, 10, 9)) in expected
    assert count(ClassDay) == 0
    assert audit_entries("calendar.day_added") == []


def test_a_day_added_by_hand_and_a_day_cancelled(client, manager, autumn):
    client.post(f"/cohorts/{autumn.id}/calendar/generate")
    response = client.post(
        f"/cohorts/{autumn.id}/calendar/days",
        data={"day": "2026-10-09", "note": "한글날 보강"},
        follow_redirects=True,
    )
    assert ko("Class day added.") in flashes(response)
    added = class_day(autumn, date(2026, 10, 9))
    assert added.added_by_hand and added.note == "한글날 보강" and not added.cancelled

    response = client.post(
        f"/cohorts/{autumn.id}/calendar/days", data={"day": "2026-09-28"}, follow_redirects=True
    )
    assert ko("%(day)s is already a class day.", day=ko_date(date(2026, 9, 28))) in field_errors(
        response, "day"
    )

    monday = class_day(autumn, date(2026, 9, 28))
    response = client.post(
        f"/cohorts/{autumn.id}/calendar/days/{monday.id}/cancel",
        data={"note": "강사 사정"},
        follow_redirects=True,
    )
    assert ko("Class day cancelled.") in flashes(response)
    assert reload(monday).cancelled and monday.note == "강사 사정"
    response = client.post(
        f"/cohorts/{autumn.id}/calendar/days/{monday.id}/cancel", follow_redirects=True
    )
    assert ko("This day is already cancelled.") in flashes(response)
    # Cancelled days are no class days: the generator does not bring them back.
    assert roster.generate_class_days(manager, autumn) == (0, 0)
    assert len(roster.class_days(autumn, include_cancelled=False)) == 11  # 11 + 1 − 1
    # Adding it again reinstates it.
    client.post(f"/cohorts/{autumn.id}/calendar/days", data={"day": "2026-09-28"})
    assert not reload(monday).cancelled
    assert [
        e.action
        for e in db.session.scalars(
            db.select(AuditEntry)
            .where(AuditEntry.action.like("calendar.day%"))
            .order_by(AuditEntry.id)
        )
    ] == ["calendar.day_added", "calendar.day_cancelled", "calendar.day_added"]


def test_a_day_of_another_cohort_cannot_be_cancelled_through_this_one(
    client, manager, autumn, make_running_cohort
):
    other = make_running_cohort(date(2026, 9, 21), date(2026, 10, 9))
    roster.generate_class_days(manager, other)
    db.session.commit()
    day = class_day(other, date(2026, 9, 21))
    assert client.post(f"/cohorts/{autumn.id}/calendar/days/{day.id}/cancel").status_code == 404
    assert not reload(day).cancelled


EVENT = {
    "kind": "company_visit",
    "title": "본사 견학 — 클라우드 기업",
    "starts_at": "2026-09-30T14:00",
    "ends_at": "2026-09-30T17:00",
    "place": "판교 본사 3층",
    "description": "신분증 지참",
}


def test_an_event_is_added_with_its_time_place_and_description(client, manager, autumn):
    response = client.post(f"/cohorts/{autumn.id}/events", data=EVENT, follow_redirects=True)
    assert ko("Event added to the calendar.") in flashes(response)
    event = db.session.scalar(db.select(CohortEvent))
    assert event.starts_at == datetime(2026, 9, 30, 14, 0, tzinfo=SEOUL)
    assert event.ends_at == datetime(2026, 9, 30, 17, 0, tzinfo=SEOUL)
    assert (event.place, event.description) == ("판교 본사 3층", "신분증 지참")
    page = text(response)
    assert "본사 견학 — 클라우드 기업" in page and "판교 본사 3층" in page
    assert ko("Company visit") in page
    assert audit_entries("calendar.event_created")[0].object_id == event.id

    response = client.post(f"/cohorts/{autumn.id}/events/{event.id}/delete", follow_redirects=True)
    assert ko("Event removed.") in flashes(response)
    assert count(CohortEvent) == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ends_at": "2026-09-30T13:00"}, lambda c: ko("The event must end after it starts.")),
        ({"ends_at": "2026-09-30T14:00"}, lambda c: ko("The event must end after it starts.")),
        (
            {"starts_at": "2026-10-12T14:00", "ends_at": "2026-10-12T16:00"},
            lambda c: ko(
                "%(day)s is outside the cohort (%(start)s – %(end)s).",
                day=ko_date(date(2026, 10, 12)),
                start=ko_date(c.start_on),
                end=ko_date(c.end_on),
            ),
        ),
        ({"title": "   "}, None),  # the form's own required-field message
    ],
    ids=["ends-before-start", "ends-when-it-starts", "outside-the-cohort", "blank-title"],
)
def test_a_bad_event_is_refused_with_a_message(client, manager, autumn, change, message):
    response = client.post(
        f"/cohorts/{autumn.id}/events", data={**EVENT, **change}, follow_redirects=True
    )
    shown = [m for name in ("title", "starts_at", "ends_at") for m in field_errors(response, name)]
    assert len(shown) == 1 if message is None else message(autumn) in shown
    assert count(CohortEvent) == 0
    assert audit_entries("calendar.event_created") == []


def test_an_unknown_event_kind_is_refused(client, manager, autumn):
    response = client.post(
        f"/cohorts/{autumn.id}/events", data={**EVENT, "kind": "party"}, follow_redirects=True
    )
    assert field_errors(response, "kind") and count(CohortEvent) == 0
    with pytest.raises(InvalidInput) as refused:
        roster.create_event(
            manager,
            autumn,
            kind="party",
            title="x",
            starts_at=datetime(2026, 9, 30, 14, tzinfo=SEOUL),
            ends_at=datetime(2026, 9, 30, 15, tzinfo=SEOUL),
        )
    assert refused.value.field == "kind"
    with pytest.raises(InvalidInput) as refused:
        roster.create_event(
            manager,
            autumn,
            kind="hackathon",
            title="  ",
            starts_at=datetime(2026, 9, 30, 14, tzinfo=SEOUL),
            ends_at=datetime(2026, 9, 30, 15, tzinfo=SEOUL),
        )
    assert refused.value.message == ko("Enter the event's title.")


# --- attendance rate and flags ---------------------------------------------------------


@pytest.fixture
def ten_days(make_running_cohort, staff) -> Cohort:
    """2026-09-07 … 09-18: ten weekdays, no public holiday."""
    cohort = make_running_cohort(date(2026, 9, 7), date(2026, 9, 18))
    roster.generate_class_days(staff, cohort)
    db.session.commit()
    assert len(roster.class_days(cohort)) == 10
    return cohort


def test_attendance_rate_follows_the_rule(staff, ten_days, enrol):
    trainees = {
        "lates": (enrol(ten_days, "가람"), "PPPPPPLLLA"),  # (9 − ⌊3/3⌋) / 10
        "excused": (enrol(ten_days, "나래"), "PPPPPPPPXX"),  # 공가 is not held against
        "mixed": (enrol(ten_days, "다온"), "PPPPPLLEEA"),  # lates and early leaves together
        "absent": (enrol(ten_days, "라온"), "PPPPPPPAAA"),
        "to date": (enrol(ten_days, "마루"), "PPPPA....."),  # only the days taken count
    }
    attend(staff, ten_days, dict(trainees.values()))
    figures = roster.summaries(ten_days)
    rate = {key: figures[e.id].rate for key, (e, _) in trainees.items()}
    assert rate == {"lates": 80.0, "excused": 100.0, "mixed": 80.0, "absent": 70.0, "to date": 80.0}
    lates = figures[trainees["lates"][0].id]
    assert (lates.days, lates.present, lates.late, lates.absent) == (10, 6, 3, 1)
    assert figures[trainees["excused"][0].id].excused == 2
    mixed = figures[trainees["mixed"][0].id]
    assert (mixed.late, mixed.left_early) == (2, 2)
    assert figures[trainees["to date"][0].id].days == 5

    roster.update_rules(
        staff,
        ten_days,
        class_weekdays="01234",
        class_starts_at=ten_days.class_starts_at,
        class_ends_at=ten_days.class_ends_at,
        lates_per_absence=2,
        completion_threshold=80,
        deposit_amount=0,
    )
    figures = roster.summaries(ten_days)
    assert figures[trainees["lates"][0].id].rate == 80.0  # ⌊3/2⌋ = 1 still
    assert figures[trainees["mixed"][0].id].rate == 70.0  # ⌊4/2⌋ = 2 now
    assert "below" in figures[trainees["mixed"][0].id].flags

    roster.update_rules(
        staff,
        ten_days,
        class_weekdays="01234",
        class_starts_at=ten_days.class_starts_at,
        class_ends_at=ten_days.class_ends_at,
        lates_per_absence=1,
        completion_threshold=80,
        deposit_amount=0,
    )
    assert roster.summaries(ten_days)[trainees["lates"][0].id].rate == 60.0


def test_the_rule_numbers_are_set_per_cohort_through_the_page(client, manager, ten_days, enrol):
    trainee = enrol(ten_days, "다온")
    attend(manager, ten_days, {trainee: "PPPPPLLEEA"})
    rules = {
        "class_weekdays": "01234",
        "class_starts_at": "09:00",
        "class_ends_at": "18:00",
        "lates_per_absence": "2",
        "completion_threshold": "75",
        "deposit_amount": "0",
    }
    response = client.post(
        f"/cohorts/{ten_days.id}/calendar/rules", data=rules, follow_redirects=True
    )
    assert ko("Roster rules saved.") in flashes(response)
    assert (reload(ten_days).lates_per_absence, ten_days.completion_threshold) == (2, 75)
    row = table_row(client.get(f"/cohorts/{ten_days.id}/roster"), "다온")
    assert "70.0%" in row and ko("Below the completion threshold") in row
    assert audit_entries("cohort.roster_rules")[0].changes["lates_per_absence"] == [3, 2]

    response = client.post(
        f"/cohorts/{ten_days.id}/calendar/rules",
        data={**rules, "class_ends_at": "08:00"},
        follow_redirects=True,
    )
    assert ko("Class must end after it starts.") in field_errors(response, "class_ends_at")
    response = client.post(
        f"/cohorts/{ten_days.id}/calendar/rules",
        data={**rules, "class_weekdays": "0178"},
        follow_redirects=True,
    )
    assert ko("Class weekdays are digits 0 (Monday) to 6 (Sunday), e.g. 01234.") in field_errors(
        response, "class_weekdays"
    )
    assert reload(ten_days).class_weekdays == "01234"


@pytest.fixture
def six_weeks(make_running_cohort, staff) -> Cohort:
    """2026-09-21 … 10-30: 6 class days in September, 20 in October (holidays left out)."""
    cohort = make_running_cohort(date(2026, 9, 21), date(2026, 10, 30))
    roster.generate_class_days(staff, cohort)
    db.session.commit()
    days = roster.class_days(cohort)
    assert len(days) == 26 and sum(d.day.month == 9 for d in days) == 6
    return cohort


FLAG_CASES = {
    # name: (26 days, the first 6 in September; expected rate; expected flags)
    "steady": ("P" * 26, 100.0, []),
    "month3": ("AAA" + "P" * 23, 23 / 26 * 100, ["expulsion"]),  # 3 of September's 6 days
    "month2": ("AA" + "P" * 24, 24 / 26 * 100, []),
    "total6": ("P" * 6 + "A" * 6 + "P" * 14, 20 / 26 * 100, ["below", "expulsion"]),  # 6 > 5.2
    "total5": ("P" * 6 + "A" * 5 + "P" * 15, 21 / 26 * 100, ["at_risk"]),  # 1 absence left
    "risk4": ("P" * 6 + "A" * 4 + "P" * 16, 22 / 26 * 100, ["at_risk"]),
    "lates9": ("P" * 6 + "L" * 9 + "P" * 11, 23 / 26 * 100, []),  # lates are no absences
}


def test_flags_below_at_risk_and_expulsion_by_month_and_by_total(staff, six_weeks, enrol):
    enrollments = {name: enrol(six_weeks, name) for name in FLAG_CASES}
    attend(staff, six_weeks, {enrollments[n]: case[0] for n, case in FLAG_CASES.items()})
    figures = roster.summaries(six_weeks)
    for name, (_, rate, flags) in FLAG_CASES.items():
        summary = figures[enrollments[name].id]
        assert summary.rate == pytest.approx(rate), name
        assert summary.flags == flags, name
        assert summary.whole_course_days == 26


def test_the_roster_shows_rates_and_flags_and_sorts(client, manager, six_weeks, enrol):
    enrollments = {name: enrol(six_weeks, name) for name in FLAG_CASES}
    attend(manager, six_weeks, {enrollments[n]: case[0] for n, case in FLAG_CASES.items()})
    enrol(six_weeks, "신입")  # nothing taken yet
    response = client.get(f"/cohorts/{six_weeks.id}/roster")
    assert response.status_code == 200
    assert ko("%(n)d trainees", n=8) in text(response)
    month3 = table_row(response, "month3")
    assert "88.5%" in month3 and ko("Meets an expulsion flag (absences)") in month3
    assert ko("Below the completion threshold") not in month3
    total6 = table_row(response, "total6")
    assert "76.9%" in total6 and ko("Below the completion threshold") in total6
    assert ko("Meets an expulsion flag (absences)") in total6
    assert ko("At risk of falling below the threshold") in table_row(response, "risk4")
    steady = table_row(response, "steady")
    assert "100.0%" in steady and ko("At risk of falling below the threshold") not in steady
    assert "—" in table_row(response, "신입")

    html = client.get(f"/cohorts/{six_weeks.id}/roster?sort=rate").get_data(as_text=True)
    order = ["total6", "total5", "risk4", "steady", "신입"]
    positions = [html.index(f">{name}<") for name in order]
    assert positions == sorted(positions)
    html = client.get(f"/cohorts/{six_weeks.id}/roster?sort=name").get_data(as_text=True)
    assert html.index(">lates9<") < html.index(">month2<") < html.index(">steady<")


# --- taking attendance -----------------------------------------------------------------


@pytest.fixture
def class_of_three(autumn, staff, enrol) -> tuple[Cohort, list[Enrollment]]:
    roster.generate_class_days(staff, autumn)
    db.session.commit()
    return autumn, [enrol(autumn, name) for name in ("강하늘", "윤서연", "정민호")]


def radio_checked(html: str, enrollment_id: int, status: str) -> bool:
    tag = re.search(rf'<input[^>]*id="s-{enrollment_id}-{status}"[^>]*>', html)
    assert tag, f"no radio {status} for {enrollment_id}"
    return bool(re.search(r"\schecked\b", tag.group(0)))


def test_the_sheet_starts_everyone_as_present_and_saves_the_whole_class_at_once(
    client, manager, class_of_three
):
    cohort, (a, b, c) = class_of_three
    day = class_day(cohort, date(2026, 9, 28))
    url = f"/cohorts/{cohort.id}/attendance/{day.id}"
    html = client.get(url).get_data(as_text=True)
    for enrollment in (a, b, c):
        assert radio_checked(html, enrollment.id, "present")
        for status in ("late", "left_early", "absent", "excused"):
            assert not radio_checked(html, enrollment.id, status)
    assert f'aria-label="{a.user.name}"' in html  # each row is a labelled radio group

    response = client.post(
        url,
        data={
            f"status-{a.id}": "present",
            f"status-{b.id}": "late",
            f"note-{b.id}": "버스 지연",
            f"status-{c.id}": "absent",
        },
    )
    assert response.status_code == 302 and response.location.endswith(
        f"/cohorts/{cohort.id}/roster"
    )
    assert ko("Attendance saved (%(n)d changed).", n=3) in flashes(client.get(response.location))
    stored = {
        r.enrollment_id: (r.status, r.note, r.recorded_by_id)
        for r in db.session.scalars(db.select(Attendance))
    }
    assert stored == {
        a.id: (AttendanceStatus.PRESENT, "", manager.id),
        b.id: (AttendanceStatus.LATE, "버스 지연", manager.id),
        c.id: (AttendanceStatus.ABSENT, "", manager.id),
    }
    entry = audit_entries("attendance.recorded")[0]
    assert entry.changes["정민호"] == [None, "absent"] and "2026-09-28" in entry.object_label

    html = client.get(url).get_data(as_text=True)
    assert radio_checked(html, b.id, "late") and not radio_checked(html, b.id, "present")
    assert 'value="버스 지연"' in html

    response = client.post(
        url,
        data={
            f"status-{a.id}": "present",
            f"status-{b.id}": "late",
            f"note-{b.id}": "버스 지연",
            f"status-{c.id}": "excused",
            f"note-{c.id}": "예비군 훈련 (증빙 제출)",
        },
        follow_redirects=True,
    )
    assert ko("Attendance saved (%(n)d changed).", n=1) in flashes(response)
    assert len(audit_entries("attendance.recorded")) == 2
    assert count(Attendance) == 3


def _refusal(case: str, cohort: Cohort, trainees: list[Enrollment], monkeypatch, make_other):
    """Arrange one bad submission; returns (class day, form data, the message expected)."""
    a, b, c = trainees
    day = class_day(cohort, date(2026, 9, 30))
    data = {f"status-{a.id}": "present", f"status-{b.id}": "present"}
    if case == "unknown status":
        data[f"status-{c.id}"] = "sleeping"
        return day, data, ko("“%(value)s” is not an attendance status.", value="sleeping")
    if case == "future day":
        monkeypatch.setattr(roster, "today_in_seoul", lambda: date(2026, 9, 29))
        return (
            day,
            data,
            ko(
                "Attendance for %(day)s can be taken on that day, not before.", day=ko_date(day.day)
            ),
        )
    if case == "cancelled day":
        roster.cancel_class_day(a.user, day, "")
        db.session.commit()
        return day, data, ko("Class on %(day)s is cancelled.", day=ko_date(day.day))
    if case == "dropped before the day":
        roster.set_status(
            a.user, c, EnrollmentStatus.DROPPED, on=date(2026, 9, 29), drop_reason="personal"
        )
        db.session.commit()
        data[f"status-{c.id}"] = "present"
        return (
            day,
            data,
            ko(
                "%(name)s is no longer on the roster (%(status)s) and cannot be marked.",
                name="정민호",
                status=ko("Dropped out"),
            ),
        )
    if case == "another cohort's trainee":
        stranger = make_other()
        data[f"status-{stranger.id}"] = "present"
        return day, data, ko("A trainee on the form is not on this cohort's roster.")
    raise AssertionError(case)


@pytest.mark.parametrize(
    "case",
    [
        "unknown status",
        "future day",
        "cancelled day",
        "dropped before the day",
        "another cohort's trainee",
    ],
)
def test_bad_attendance_is_refused_with_a_message_and_nothing_is_stored(
    client, manager, class_of_three, case, monkeypatch, make_running_cohort, enrol
):
    cohort, trainees = class_of_three

    def stranger() -> Enrollment:
        return enrol(make_running_cohort(date(2026, 9, 21), date(2026, 10, 9)), "남의기수")

    day, data, message = _refusal(case, cohort, trainees, monkeypatch, stranger)
    response = client.post(f"/cohorts/{cohort.id}/attendance/{day.id}", data=data)
    assert response.status_code == 200
    assert message in flashes(response)
    assert count(Attendance) == 0
    assert audit_entries("attendance.recorded") == []


def test_a_trainee_who_left_is_on_the_sheet_until_the_day_they_left(
    client, manager, class_of_three
):
    cohort, (a, b, c) = class_of_three
    roster.set_status(
        manager, c, EnrollmentStatus.DROPPED, on=date(2026, 9, 29), drop_reason="health"
    )
    db.session.commit()
    before = class_day(cohort, date(2026, 9, 29))
    after = class_day(cohort, date(2026, 9, 30))
    assert f"s-{c.id}-present" in client.get(f"/cohorts/{cohort.id}/attendance/{before.id}").text
    assert f"s-{c.id}-present" not in client.get(f"/cohorts/{cohort.id}/attendance/{after.id}").text
    response = client.post(
        f"/cohorts/{cohort.id}/attendance/{before.id}",
        data={
            f"status-{a.id}": "present",
            f"status-{b.id}": "present",
            f"status-{c.id}": "left_early",
        },
    )
    assert response.status_code == 302
    assert (
        db.session.scalar(db.select(Attendance.status).where(Attendance.enrollment_id == c.id))
        == AttendanceStatus.LEFT_EARLY
    )


def test_a_day_of_another_cohort_is_not_found(client, manager, class_of_three, make_running_cohort):
    cohort, (a, _, _) = class_of_three
    other = make_running_cohort(date(2026, 9, 21), date(2026, 10, 9))
    roster.generate_class_days(manager, other)
    db.session.commit()
    day = class_day(other, date(2026, 9, 28))
    assert client.get(f"/cohorts/{cohort.id}/attendance/{day.id}").status_code == 404
    assert (
        client.post(
            f"/cohorts/{cohort.id}/attendance/{day.id}", data={f"status-{a.id}": "present"}
        ).status_code
        == 404
    )
    assert count(Attendance) == 0


# --- completion, dropping out, expulsion -----------------------------------------------


@pytest.fixture
def finishing(autumn, staff, enrol) -> tuple[Cohort, dict[str, Enrollment]]:
    """11 class days; 강하늘 attended 8 (72.7%), the others every day."""
    roster.generate_class_days(staff, autumn)
    trainees = {
        name: enrol(autumn, name) for name in ("강하늘", "윤서연", "정민호", "한지우", "오세훈")
    }
    attend(
        staff,
        autumn,
        {e: ("PPPPPPPPAAA" if name == "강하늘" else "P" * 11) for name, e in trainees.items()},
    )
    return autumn, trainees


def status_url(cohort: Cohort, enrollment: Enrollment) -> str:
    return f"/cohorts/{cohort.id}/roster/{enrollment.id}/status"


def test_completion_below_the_threshold_needs_a_written_override(client, manager, finishing):
    cohort, trainees = finishing
    low = trainees["강하늘"]
    form = {"status": "completed", "on": "2026-10-09", "drop_reason": "", "note": ""}
    response = client.post(status_url(cohort, low), data=form)
    assert response.status_code == 200
    assert field_errors(response, "note") == [
        ko(
            "Attendance is %(rate)s, under %(threshold)d%%: write why completion is granted "
            "anyway.",
            rate="72.7%",
            threshold=80,
        )
    ]
    assert reload(low).status == EnrollmentStatus.ENROLLED
    assert audit_entries("roster.status_changed") == []

    override = "공가 증빙이 늦게 제출됨 — 센터장 승인 (2026-10-08)"
    response = client.post(status_url(cohort, low), data={**form, "note": override})
    assert response.status_code == 302
    low = reload(low)
    assert (low.status, low.status_on, low.status_note) == (
        EnrollmentStatus.COMPLETED,
        date(2026, 10, 9),
        override,
    )
    page = text(client.get(response.location))
    assert ko("%(name)s is now “%(status)s”.", name="강하늘", status=ko("Completed")) in page
    assert override in page
    entry = audit_entries("roster.status_changed")[0]
    assert entry.object_id == low.id and entry.actor_id == manager.id
    assert entry.changes["status"] == ["enrolled", "completed"]
    assert entry.changes["status_note"] == ["", override]


def test_completion_early_employment_dropping_out_and_expulsion(client, manager, finishing):
    cohort, t = finishing
    ok = client.post(
        status_url(cohort, t["윤서연"]), data={"status": "completed", "on": "2026-10-09"}
    )
    assert ok.status_code == 302 and reload(t["윤서연"]).status == EnrollmentStatus.COMPLETED

    ok = client.post(
        status_url(cohort, t["정민호"]), data={"status": "early_employed", "on": "2026-10-02"}
    )
    assert ok.status_code == 302
    assert reload(t["정민호"]).status == EnrollmentStatus.EARLY_EMPLOYED

    drop = {"status": "dropped", "on": "2026-10-01", "drop_reason": "health", "note": ""}
    refused = client.post(status_url(cohort, t["한지우"]), data={**drop, "drop_reason": ""})
    assert field_errors(refused, "drop_reason") == [ko("Choose why the trainee dropped out.")]
    refused = client.post(status_url(cohort, t["한지우"]), data={**drop, "on": "2026-10-20"})
    assert field_errors(refused, "on") == [
        ko(
            "%(day)s is outside the cohort (%(start)s – %(end)s).",
            day=ko_date(date(2026, 10, 20)),
            start=ko_date(cohort.start_on),
            end=ko_date(cohort.end_on),
        )
    ]
    refused = client.post(status_url(cohort, t["한지우"]), data={**drop, "on": ""})
    assert field_errors(refused, "on") == [ko("Enter a date.")]
    refused = client.post(status_url(cohort, t["한지우"]), data={**drop, "status": "graduated"})
    assert refused.status_code == 200 and field_errors(refused, "status")
    assert reload(t["한지우"]).status == EnrollmentStatus.ENROLLED

    ok = client.post(status_url(cohort, t["한지우"]), data=drop, follow_redirects=True)
    dropped = reload(t["한지우"])
    assert (dropped.status, dropped.status_on, dropped.drop_reason) == (
        EnrollmentStatus.DROPPED,
        date(2026, 10, 1),
        DropReason.HEALTH,
    )
    assert ko("Health") in text(ok) and ko("Dropped out") in text(ok)

    refused = client.post(
        status_url(cohort, t["오세훈"]), data={"status": "expelled", "on": "2026-10-06"}
    )
    assert field_errors(refused, "note") == [ko("Write why the trainee is expelled.")]
    ok = client.post(
        status_url(cohort, t["오세훈"]),
        data={"status": "expelled", "on": "2026-10-06", "note": "무단결석 누적"},
    )
    assert ok.status_code == 302 and reload(t["오세훈"]).status == EnrollmentStatus.EXPELLED

    changed = {e.object_id: e.changes["status"][1] for e in audit_entries("roster.status_changed")}
    assert changed == {
        t["윤서연"].id: "completed",
        t["정민호"].id: "early_employed",
        t["한지우"].id: "dropped",
        t["오세훈"].id: "expelled",
    }
    assert audit_entries("roster.status_changed")[2].changes["drop_reason"] == [None, "health"]


def test_set_status_refuses_a_status_that_does_not_exist(staff, finishing):
    _, trainees = finishing
    with pytest.raises(InvalidInput) as refused:
        roster.set_status(staff, trainees["윤서연"], "graduated", on=date(2026, 10, 9))
    assert refused.value.field == "status"
    assert refused.value.message == ko("“%(value)s” is not a trainee status.", value="graduated")


def test_set_status_works_out_the_rate_itself_when_not_given_one(staff, finishing):
    _, t = finishing
    with pytest.raises(InvalidInput) as refused:
        roster.set_status(staff, t["강하늘"], "completed", on=date(2026, 10, 9))
    assert refused.value.field == "note" and "72.7%" in refused.value.message
    roster.set_status(staff, t["윤서연"], "completed", on=date(2026, 10, 9))
    assert t["윤서연"].status == EnrollmentStatus.COMPLETED


# --- deposits --------------------------------------------------------------------------


def deposit(client, cohort: Cohort, enrollment: Enrollment, action: str, on: str = "2026-10-09"):
    return client.post(
        f"/cohorts/{cohort.id}/roster/{enrollment.id}/deposit",
        data={"action": action, "on": on},
        follow_redirects=True,
    )


def test_deposit_is_paid_refunded_on_completion_only_or_forfeited(client, manager, finishing):
    cohort, t = finishing
    cohort.deposit_amount = 100_000
    for name in ("윤서연", "한지우"):
        t[name].deposit_status = DepositStatus.DUE
    db.session.commit()
    done, gone = t["윤서연"], t["한지우"]

    refused = deposit(client, cohort, done, "refunded")
    assert ko(
        "The deposit is “%(status)s”; it cannot be marked “%(to)s”.",
        status=ko("Due"),
        to=ko("Refunded"),
    ) in field_errors(refused, "action")
    assert ko("Deposit updated.") in flashes(deposit(client, cohort, done, "paid", "2026-09-21"))
    assert reload(done).deposit_paid_on == date(2026, 9, 21)
    refused = deposit(client, cohort, done, "refunded")
    assert ko("A deposit is returned on completion only.") in field_errors(refused, "action")
    assert reload(done).deposit_status == DepositStatus.PAID

    page = text(client.get(f"/cohorts/{cohort.id}/deposits"))
    assert ko("No refund is due.") in page
    roster.set_status(manager, done, EnrollmentStatus.COMPLETED, on=date(2026, 10, 9))
    db.session.commit()
    assert roster.refunds_due(cohort) == [done]
    page = text(client.get(f"/cohorts/{cohort.id}/deposits"))
    due = page.split(ko("Refunds due"))[1].split(ko("All trainees"))[0]
    assert "윤서연" in due and "한지우" not in due

    assert ko("Deposit updated.") in flashes(deposit(client, cohort, done, "refunded"))
    done = reload(done)
    assert (done.deposit_status, done.deposit_settled_on) == (
        DepositStatus.REFUNDED,
        date(2026, 10, 9),
    )
    assert roster.refunds_due(cohort) == []

    deposit(client, cohort, gone, "paid", "2026-09-21")
    roster.set_status(
        manager, gone, EnrollmentStatus.DROPPED, on=date(2026, 10, 1), drop_reason="personal"
    )
    db.session.commit()
    assert ko("Deposit updated.") in flashes(
        deposit(client, cohort, gone, "forfeited", "2026-10-01")
    )
    assert reload(gone).deposit_status == DepositStatus.FORFEITED
    assert roster.refunds_due(cohort) == []
    assert [e.changes["deposit_status"][1] for e in audit_entries("roster.deposit")] == [
        "paid",
        "refunded",
        "paid",
        "forfeited",
    ]


def test_a_cohort_without_deposit_refuses_one(staff, finishing):
    _, t = finishing
    with pytest.raises(Conflict) as refused:
        roster.record_deposit(staff, t["윤서연"], "paid", date(2026, 9, 21))
    assert refused.value.message == ko("This cohort asks no deposit.")


# --- export ----------------------------------------------------------------------------


@pytest.fixture
def hostile(finishing, enrol) -> tuple[Cohort, Enrollment]:
    cohort, _ = finishing
    return cohort, enrol(cohort, "=cmd|' /C calc'!A0")


def test_a_download_without_a_reason_is_refused_and_not_logged(client, manager, hostile):
    cohort, _ = hostile
    assert client.get(f"/cohorts/{cohort.id}/roster/export").status_code == 200
    response = client.post(
        f"/cohorts/{cohort.id}/roster/export", data={"reason": "", "format": "csv"}
    )
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "Content-Disposition" not in response.headers
    assert field_errors(response, "reason") == [ko("Say why you download this personal data.")]
    assert count(PersonalDataAccess) == 0


EXPECTED_HEADERS = [
    "Name",
    "E-mail",
    "Status",
    "Status date",
    "Attendance rate (%)",
    "Days taken",
    "Absent",
    "Late",
    "Left early",
    "Excused",
    "Deposit",
    "1:1 sessions",
    "Certifications passed",
    "Outcome",
]


def test_the_roster_downloads_as_csv_with_korean_headers_and_no_formulas(client, manager, hostile):
    cohort, bad = hostile
    reason = "고용노동부 수료 현황 보고"
    response = client.post(
        f"/cohorts/{cohort.id}/roster/export", data={"reason": reason, "format": "csv"}
    )
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f"attachment; filename=roster-{cohort.id}.csv"
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == [ko(h) for h in EXPECTED_HEADERS]
    assert all(re.search("[가-힣]", header) for header in rows[0]), rows[0]
    by_name = {row[0]: row for row in rows[1:]}
    assert "'=cmd|' /C calc'!A0" in by_name and "=cmd|' /C calc'!A0" not in by_name
    assert by_name["강하늘"][2] == ko("In training") and by_name["강하늘"][4] == "72.7"
    assert by_name["윤서연"][4:8] == ["100.0", "11", "0", "0"]
    assert by_name["'=cmd|' /C calc'!A0"][1] == bad.user.email
    logged = db.session.scalars(db.select(PersonalDataAccess)).all()
    assert len(logged) == 1
    assert (logged[0].action, logged[0].reason, logged[0].actor_id, logged[0].detail) == (
        AccessAction.DOWNLOAD,
        reason,
        manager.id,
        "CSV",
    )
    assert (logged[0].page, logged[0].people_count) == ("cohorts.roster_export", len(rows) - 1)


def test_the_roster_downloads_as_xlsx_with_the_formula_neutralised(client, manager, hostile):
    cohort, _ = hostile
    response = client.post(
        f"/cohorts/{cohort.id}/roster/export", data={"reason": "수료 예정자 확인", "format": "xlsx"}
    )
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == [ko(h) for h in EXPECTED_HEADERS]
    cells = {row[0].value: row[0] for row in sheet.iter_rows(min_row=2)}
    assert "'=cmd|' /C calc'!A0" in cells and cells["'=cmd|' /C calc'!A0"].data_type == "s"
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)
    assert db.session.scalar(db.select(PersonalDataAccess.reason)) == "수료 예정자 확인"


# --- query count -----------------------------------------------------------------------


def test_the_roster_page_costs_the_same_queries_for_2_and_12_trainees(
    client, manager, make_running_cohort, enrol, count_queries
):
    def cohort_of(n: int) -> Cohort:
        cohort = make_running_cohort(date(2026, 9, 21), date(2026, 10, 9), deposit_amount=100_000)
        roster.generate_class_days(manager, cohort)
        trainees = [
            enrol(cohort, f"교육생{i:02d}", deposit_status=DepositStatus.PAID) for i in range(n)
        ]
        attend(manager, cohort, {e: "PLEAXPPPPPP" for e in trainees})
        roster.set_status(
            manager,
            trainees[0],
            EnrollmentStatus.DROPPED,
            on=date(2026, 10, 8),
            drop_reason="other",
        )
        db.session.commit()
        return cohort

    small, large = cohort_of(2), cohort_of(12)
    client.get(f"/cohorts/{small.id}/roster")  # warm up
    counts = {}
    for cohort, n in ((small, 2), (large, 12)):
        db.session.expire_all()
        with count_queries() as queries:
            response = client.get(f"/cohorts/{cohort.id}/roster")
        assert response.status_code == 200
        assert text(response).count("90.9%") == n  # (10 − ⌊2/3⌋) / 11
        counts[n] = queries()
    assert counts[2] == counts[12], counts


def test_the_roster_shows_sessions_certifications_and_outcome_of_each_trainee(
    client, manager, make_running_cohort, enrol, make_user
):
    from sesac_ms.models import (
        CertificationAttempt,
        CoachingSession,
        Exam,
        Outcome,
        OutcomeKind,
        SessionKind,
        SessionStatus,
    )
    from sesac_ms.models.types import utcnow

    cohort = make_running_cohort(date(2026, 9, 21), date(2026, 10, 9))
    done = enrol(cohort, "수료생", status=EnrollmentStatus.COMPLETED, status_on=date(2026, 10, 9))
    other = enrol(cohort, "교육생")
    coordinator = make_user(Role.COORDINATOR)
    exam = Exam(name="AI-900")
    db.session.add(exam)
    db.session.flush()
    for kind, status in (
        (SessionKind.MENTORING, SessionStatus.COMPLETED),
        (SessionKind.MENTORING, SessionStatus.COMPLETED),
        (SessionKind.PORTFOLIO, SessionStatus.NO_SHOW),  # not had: not counted
    ):
        start = utcnow() - timedelta(days=30 + len(kind))
        db.session.add(
            CoachingSession(
                cohort_id=cohort.id,
                trainee_id=done.user_id,
                staff_id=coordinator.id,
                kind=kind,
                status=status,
                starts_at=start,
                ends_at=start + timedelta(hours=1),
            )
        )
    db.session.add_all(
        [
            CertificationAttempt(
                user_id=done.user_id,
                exam_id=exam.id,
                exam_on=date(2026, 10, 1),
                passed=True,
                score=800,
            ),
            CertificationAttempt(
                user_id=other.user_id,
                exam_id=exam.id,
                exam_on=date(2026, 10, 1),
                passed=False,
                score=500,
            ),
            Outcome(
                enrollment_id=done.id,
                kind=OutcomeKind.EMPLOYED,
                company="한빛제조",
                outcome_on=date(2026, 10, 20),
                insured=True,
            ),
        ]
    )
    db.session.commit()

    page = text(client.get(f"/cohorts/{cohort.id}/roster"))
    row = page[page.index("수료생") : page.index("</tr>", page.index("수료생"))]
    assert "현직자 멘토링 2" in row and "포트폴리오" not in row
    assert "AI-900" in row and "취업" in row
    other_row = page[page.index("교육생</a>") : page.index("</tr>", page.index("교육생</a>"))]
    assert "AI-900" not in other_row  # sat it, did not pass


# --- permissions and the trainee's own page --------------------------------------------


def test_a_coordinator_views_the_roster_but_cannot_change_it(client, login_as, finishing):
    cohort, t = finishing
    login_as(Role.COORDINATOR)
    page = client.get(f"/cohorts/{cohort.id}/roster")
    assert page.status_code == 200 and "강하늘" in text(page)
    assert f"/cohorts/{cohort.id}/attendance/" not in page.text  # no attendance button
    assert client.get(f"/cohorts/{cohort.id}/roster/{t['강하늘'].id}").status_code == 200
    calendar = client.get(f"/cohorts/{cohort.id}/calendar")
    assert calendar.status_code == 200 and "/calendar/generate" not in calendar.text
    day = class_day(cohort, date(2026, 9, 21))
    assert client.get(f"/cohorts/{cohort.id}/attendance/{day.id}").status_code == 403
    assert (
        client.post(
            f"/cohorts/{cohort.id}/attendance/{day.id}", data={f"status-{t['강하늘'].id}": "absent"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            status_url(cohort, t["강하늘"]),
            data={"status": "dropped", "on": "2026-10-01", "drop_reason": "personal"},
        ).status_code
        == 403
    )
    assert client.post(f"/cohorts/{cohort.id}/calendar/generate").status_code == 403
    assert (
        client.post(
            f"/cohorts/{cohort.id}/roster/export", data={"reason": "궁금해서요", "format": "csv"}
        ).status_code
        == 403
    )
    assert reload(t["강하늘"]).status == EnrollmentStatus.ENROLLED
    assert count(PersonalDataAccess) == 2  # the roster list and the trainee page


def test_staff_of_another_campus_find_nothing(client, login_as, finishing, other_campus):
    cohort, t = finishing
    login_as(Role.MANAGER, campus=other_campus)
    day = class_day(cohort, date(2026, 9, 21))
    for url in (
        f"/cohorts/{cohort.id}/roster",
        f"/cohorts/{cohort.id}/calendar",
        f"/cohorts/{cohort.id}/attendance/{day.id}",
        f"/cohorts/{cohort.id}/deposits",
        f"/cohorts/{cohort.id}/roster/{t['강하늘'].id}",
        f"/cohorts/{cohort.id}/roster/export",
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(
            f"/cohorts/{cohort.id}/attendance/{day.id}", data={f"status-{t['강하늘'].id}": "absent"}
        ).status_code
        == 404
    )
    assert (
        client.post(
            status_url(cohort, t["강하늘"]),
            data={"status": "expelled", "on": "2026-10-01", "note": "x"},
        ).status_code
        == 404
    )
    assert count(Attendance) == 11 * 5


def test_a_trainee_sees_only_their_own_training(client, finishing, make_running_cohort, enrol):
    cohort, t = finishing
    roster.create_event(
        t["강하늘"].user,
        cohort,
        kind="special_lecture",
        title="인사담당자 특강",
        starts_at=datetime(2026, 10, 7, 15, tzinfo=SEOUL),
        ends_at=datetime(2026, 10, 7, 17, tzinfo=SEOUL),
        place="3층 강의실",
    )
    roster.cancel_class_day(t["강하늘"].user, class_day(cohort, date(2026, 10, 8)), "")
    other_cohort = make_running_cohort(date(2026, 9, 21), date(2026, 10, 9))
    elsewhere = enrol(other_cohort, "다른기수생")
    db.session.commit()
    me = t["강하늘"]
    assert login(client, me.user.email).status_code == 302

    for url in (
        f"/cohorts/{cohort.id}/roster",
        f"/cohorts/{cohort.id}/calendar",
        f"/cohorts/{cohort.id}/roster/{t['윤서연'].id}",
        f"/cohorts/{cohort.id}/roster/{me.id}",
        f"/cohorts/{cohort.id}/attendance/{class_day(cohort, date(2026, 9, 21)).id}",
        f"/cohorts/{cohort.id}/deposits",
        f"/cohorts/{cohort.id}/roster/export",
    ):
        assert client.get(url).status_code == 403, url

    html_of_me = client.get("/cohorts/me").get_data(as_text=True)
    page = unescape(html_of_me)
    assert cohort.label() in page
    assert "인사담당자 특강" in page and "3층 강의실" in page
    # 8 attended of 10 days taken (10/8 cancelled is left out of the rate)
    assert "80.0%" in page
    assert html_of_me.count(f"<td>{ko('Absent')}</td>") == 2 and ko("Cancelled") in page
    assert ko("In training") in page
    for name in ("윤서연", "정민호", "한지우", "오세훈", "다른기수생"):
        assert name not in page
    # Naming someone else's enrollment shows one's own, never theirs.
    page = text(client.get(f"/cohorts/me?enrollment={elsewhere.id}"))
    assert cohort.label() in page and other_cohort.label() not in page


def test_a_trainee_not_yet_enrolled_and_staff_on_the_trainee_page(client, login_as):
    login_as(Role.TRAINEE)
    assert ko("You are not on a cohort roster yet.") in text(client.get("/cohorts/me"))
    client.post("/auth/logout")
    login_as(Role.MANAGER)
    assert client.get("/cohorts/me").status_code == 403


def test_a_trainee_page_view_is_logged_as_personal_data_access(client, manager, finishing):
    cohort, t = finishing
    response = client.get(f"/cohorts/{cohort.id}/roster/{t['강하늘'].id}")
    assert response.status_code == 200 and "72.7%" in text(response)
    logged = db.session.scalar(db.select(PersonalDataAccess))
    assert (logged.action, logged.subject_id, logged.actor_id) == (
        AccessAction.VIEW,
        t["강하늘"].id,
        manager.id,
    )
