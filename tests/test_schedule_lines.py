"""A staff schedule's lines, made straight from the rows, read as the folded agenda reads."""

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
    return coordinator


@pytest.mark.parametrize("locale", ["ko", "en"])
@pytest.mark.parametrize("upcoming", [NEAR, FAR], ids=["near", "far"])
def test_staff_lines_are_the_folded_agendas_lines(
    app: Flask, coordinator, locale: str, upcoming: tuple[date, date]
) -> None:
    with app.test_request_context(), force_locale(locale):
        shown = schedule_lines.staff_schedule(
            coordinator, MONTH, upcoming, session_url="/sessions/"
        )
        expected = schedule_lines.schedule_of(
            agenda.fold_class_days(agenda.agenda(coordinator, *MONTH)),
            agenda.fold_class_weeks(agenda.agenda(coordinator, *upcoming)),
            session_url="/sessions/",
        )

    assert shown == expected
    assert shown.trainees == 2
    lines = [line for day in sorted(shown.month) for line in shown.month[day]]
    assert {line.kind for line in lines} == {"session", "class", "event"}
    assert any(line.week for line in shown.upcoming)
    assert any(line.href for line in shown.upcoming)
