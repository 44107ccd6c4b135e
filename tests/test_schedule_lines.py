"""A staff schedule's lines, made straight from the rows: the agenda's lines, with a day's
classes folded into one line in the month and a week of a cohort's classes into one line in
the next days."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from flask import Flask
from flask_babel import force_locale

from sesac_ms.clock import SEOUL
from sesac_ms.extensions import db
from sesac_ms.models import (
    ClassDay,
    CoachingSession,
    CohortEvent,
    CohortStaff,
    EventKind,
    Role,
    SessionKind,
    SessionStatus,
    StaffRole,
)
from sesac_ms.sessions import agenda, schedule_lines

MONDAY = date(2026, 11, 30)
# The month view of December 2026 (Sunday 11-29 to Saturday 2027-01-02), and two spans of
# next days: close to it (one read) and months away (read apiece).
MONTH = (date(2026, 11, 29), date(2027, 1, 2))
NEAR = (date(2026, 12, 3), date(2026, 12, 17))
FAR = (date(2027, 3, 1), date(2027, 3, 15))


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), SEOUL)


@pytest.fixture
def coordinator(make_user, make_cohort):
    """A coordinator of two cohorts, one with other class hours, over December and March:
    days with one class and with two, a cancelled day, sessions and events."""
    coordinator = make_user(Role.COORDINATOR, name="Coach Kim")
    trainee = make_user(Role.TRAINEE, name="최교육생")
    other = make_user(Role.TRAINEE, name="Trainee <Park>")
    early = make_cohort()
    late = make_cohort()
    late.class_starts_at, late.class_ends_at = time(13), time(21)
    for cohort in (early, late):
        db.session.add(
            CohortStaff(cohort_id=cohort.id, user_id=coordinator.id, role=StaffRole.COORDINATOR)
        )
    days = [MONDAY + timedelta(days=n) for n in range(-7, 42)]
    days += [FAR[0] + timedelta(days=n) for n in range(21)]
    for day in days:
        if day.weekday() < 5:  # one Wednesday cancelled
            cancelled = day == MONDAY + timedelta(days=9)
            db.session.add(ClassDay(cohort_id=early.id, day=day, cancelled=cancelled))
        if day.weekday() in (0, 1, 3) and (day < MONDAY + timedelta(days=14) or day >= FAR[0]):
            db.session.add(ClassDay(cohort_id=late.id, day=day))
    sessions = [
        (trainee, _at(MONDAY, 19), SessionStatus.SCHEDULED, SessionKind.CAREER),
        (
            other,
            _at(MONDAY + timedelta(days=4), 8, 30),
            SessionStatus.COMPLETED,
            SessionKind.MENTORING,
        ),
        (
            trainee,
            _at(MONDAY + timedelta(days=10), 23, 30),
            SessionStatus.NO_SHOW,
            SessionKind.MENTORING,
        ),
        (other, _at(date(2027, 1, 2), 23, 45), SessionStatus.SCHEDULED, SessionKind.CAREER),
        (trainee, _at(date(2027, 3, 2), 10), SessionStatus.SCHEDULED, SessionKind.CAREER),
        (other, _at(MONDAY + timedelta(days=5), 9), SessionStatus.CANCELLED, SessionKind.CAREER),
    ]
    for person, starts, status, kind in sessions:
        db.session.add(
            CoachingSession(
                cohort_id=early.id,
                trainee_id=person.id,
                staff_id=coordinator.id,
                kind=kind,
                status=status,
                starts_at=starts,
                ends_at=starts + timedelta(minutes=45),
                location="Room <1>" if kind == SessionKind.CAREER else "",
            )
        )
    for day, place in ((MONDAY + timedelta(days=8), "Hall"), (date(2027, 3, 3), "")):
        db.session.add(
            CohortEvent(
                cohort_id=late.id,
                kind=EventKind.JOB_FAIR,
                title="Matching day & talks",
                starts_at=_at(day, 9, 30),
                ends_at=_at(day, 17),
                place=place,
            )
        )
    db.session.commit()
    coordinator.cohorts_staffed = (early, late)  # for the tests: the cohorts' labels
    return coordinator


# What the lines say, by language: weekday names, "Class" and "N classes".
WEEKDAYS = {"ko": "월화수목금토일", "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}
CLASS = {"ko": ("수업", "수업: {}", "수업 {}개"), "en": ("Class", "Class: {}", "{} classes")}


def _folded_month(items: list[agenda.AgendaItem], plain: schedule_lines.Schedule, locale: str):
    """The plain agenda's month lines with each day's classes folded, as the rule reads: a
    day of one class keeps its line; a day of several has one line, "N classes", in the
    place of the earliest (the agenda is in time order), and no other class line."""
    _, _, several = CLASS[locale]
    folded: dict[date, list[schedule_lines.MonthLine]] = {}
    classes: dict[date, int] = {}
    for item in items:
        if item.kind == "class":
            classes[item.day] = classes.get(item.day, 0) + 1
    for day, lines in plain.month.items():
        kept = []
        for line in lines:
            if line.kind != "class" or classes[day] == 1:
                kept.append(line)
            elif not any(other.kind == "class" for other in kept):
                text = several.format(classes[day])
                kept.append(schedule_lines.MonthLine("class", text, text))
        folded[day] = kept
    return folded


def _week(locale: str, first: date, last: date, days: str, hours: str, cohort: str):
    names = WEEKDAYS[locale]
    for number, name in enumerate(("Mon", "Tue", "Wed", "Thu", "Fri")):
        days = days.replace(name, names[number])
    title = f"{CLASS[locale][0]} {days} {hours}"
    return schedule_lines.NextLine(f"{first:%m-%d} – {last:%m-%d}", title, cohort=cohort, week=True)


def _lone_day(locale: str, day: date, hours: str, cohort: str):
    when = f"{WEEKDAYS[locale][day.weekday()]} {day:%m-%d} {hours}"
    return schedule_lines.NextLine(when, CLASS[locale][1].format(cohort))


def _expected_classes(locale: str, upcoming: tuple[date, date], early: str, late: str):
    """The next days' class lines, written out: the early cohort has class Monday to Friday
    (Wednesday 12-09 cancelled) 09:00–18:00, the late one Monday, Tuesday and Thursday
    13:00–21:00 until 12-14 and again from March."""
    day, nine, one = date, "09:00–18:00", "13:00–21:00"
    if upcoming == NEAR:  # Thursday 12-03 to Thursday 12-17
        return [
            _week(locale, day(2026, 12, 3), day(2026, 12, 4), "Thu–Fri", nine, early),
            _lone_day(locale, day(2026, 12, 3), one, late),
            _week(locale, day(2026, 12, 7), day(2026, 12, 11), "Mon–Tue, Thu–Fri", nine, early),
            _week(locale, day(2026, 12, 7), day(2026, 12, 10), "Mon–Tue, Thu", one, late),
            _week(locale, day(2026, 12, 14), day(2026, 12, 17), "Mon–Thu", nine, early),
        ]
    return [  # Monday 03-01 to Monday 03-15
        _week(locale, day(2027, 3, 1), day(2027, 3, 5), "Mon–Fri", nine, early),
        _week(locale, day(2027, 3, 1), day(2027, 3, 4), "Mon–Tue, Thu", one, late),
        _week(locale, day(2027, 3, 8), day(2027, 3, 12), "Mon–Fri", nine, early),
        _week(locale, day(2027, 3, 8), day(2027, 3, 11), "Mon–Tue, Thu", one, late),
        _lone_day(locale, day(2027, 3, 15), nine, early),
        _lone_day(locale, day(2027, 3, 15), one, late),
    ]


@pytest.mark.parametrize("locale", ["ko", "en"])
@pytest.mark.parametrize("upcoming", [NEAR, FAR], ids=["near", "far"])
def test_staff_lines_are_the_agendas_lines_with_class_days_folded(
    app: Flask, coordinator, locale: str, upcoming: tuple[date, date]
) -> None:
    early, late = (cohort.label(locale) for cohort in coordinator.cohorts_staffed)
    with app.test_request_context(), force_locale(locale):
        shown = schedule_lines.staff_schedule(
            coordinator, MONTH, upcoming, session_url="/sessions/"
        )
        month_items = agenda.agenda(coordinator, *MONTH)
        next_items = agenda.agenda(coordinator, *upcoming)
        plain = schedule_lines.schedule_of(month_items, next_items, session_url="/sessions/")

    assert shown.month == _folded_month(month_items, plain, locale)
    # The next days: sessions and events as the agenda's lines, in its order; classes folded
    # by week, cohort and hours, each line in its first day's place.
    not_classes = [
        line for item, line in zip(next_items, plain.upcoming, strict=True) if item.kind != "class"
    ]
    classes = _expected_classes(locale, upcoming, early, late)
    assert [line for line in shown.upcoming if line in not_classes] == not_classes
    assert [line for line in shown.upcoming if line not in not_classes] == classes
    assert len(shown.upcoming) == len(not_classes) + len(classes)
    assert shown.trainees == plain.trainees == 2
    lines = [line for day in sorted(shown.month) for line in shown.month[day]]
    assert {line.kind for line in lines} == {"session", "class", "event"}
    assert any(line.href for line in shown.upcoming)


def test_the_month_folds_a_day_of_several_classes_into_one_line(app: Flask, coordinator) -> None:
    early = coordinator.cohorts_staffed[0].label("en")
    with app.test_request_context(), force_locale("en"):
        month = schedule_lines.staff_schedule(
            coordinator, MONTH, NEAR, session_url="/sessions/"
        ).month
    monday, wednesday, friday = date(2026, 12, 7), date(2026, 12, 9), date(2026, 12, 11)
    assert [line for line in month[monday] if line.kind == "class"] == [
        schedule_lines.MonthLine("class", "2 classes", "2 classes")
    ]
    assert not any(line.kind == "class" for line in month.get(wednesday, []))  # cancelled
    assert [line for line in month[friday] if line.kind == "class"] == [
        schedule_lines.MonthLine("class", f"Class: {early}", "Class")
    ]
