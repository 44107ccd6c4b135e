"""The dashboards' lists, read as plain rows: who, when, which cohorts, in either language."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from html import unescape

from sesac_ms.clock import SEOUL, today_in_seoul
from sesac_ms.extensions import db
from sesac_ms.models import (
    CoachingSession,
    CohortStaff,
    CohortStatus,
    Enrollment,
    Role,
    SessionKind,
    SessionStatus,
)
from tests.conftest import login


def _at(days: int, hour: int) -> datetime:
    return datetime.combine(today_in_seoul() + timedelta(days=days), time(hour), SEOUL)


def _card(html: str, title: str) -> str:
    return unescape(html.split(title, 1)[1].split("</ul>", 1)[0])


def test_sessions_and_cohorts_are_listed_for_each_side(app, make_user, make_cohort):
    cohort = make_cohort(status=CohortStatus.IN_PROGRESS)
    mentor = make_user(Role.MENTOR, name="Mina Mentor", locale="en")
    trainee = make_user(Role.TRAINEE, name="Tom Trainee", locale="en")
    other = make_user(Role.TRAINEE, name="Olga Other", locale="en")
    db.session.add_all(
        [
            CohortStaff(cohort_id=cohort.id, user_id=mentor.id, role=Role.MENTOR),
            Enrollment(cohort_id=cohort.id, user_id=trainee.id),
            Enrollment(cohort_id=cohort.id, user_id=other.id),
        ]
    )
    for who, days, hour, status in [
        (trainee, 0, 23, SessionStatus.SCHEDULED),  # today, late
        (other, 3, 10, SessionStatus.SCHEDULED),  # upcoming
        (other, 4, 10, SessionStatus.CANCELLED),  # cancelled: not listed
    ]:
        db.session.add(
            CoachingSession(
                cohort_id=cohort.id,
                trainee_id=who.id,
                staff_id=mentor.id,
                kind=SessionKind.MENTORING,
                status=status,
                starts_at=_at(days, hour),
                ends_at=_at(days, hour) + timedelta(minutes=50),
            )
        )
    db.session.commit()

    staff = app.test_client()
    login(staff, mentor.email)
    html = staff.get("/").get_data(as_text=True)
    assert "23:00 · Tom Trainee" in _card(html, "Sessions today")
    upcoming = _card(html, "Next sessions")
    assert "10:00 · Olga Other" in upcoming and upcoming.count("Olga Other") == 1
    assert cohort.label("en") in unescape(html)

    mine = app.test_client()
    login(mine, trainee.email)
    html = mine.get("/").get_data(as_text=True)
    assert "23:00 · Mina Mentor" in _card(html, "Sessions today")
    assert "Olga" not in html  # another trainee's session is not theirs
    assert cohort.label("en") in unescape(html)
