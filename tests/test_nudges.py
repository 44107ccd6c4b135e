"""At-risk nudges: a trainee hears when the absences they can afford reach 2, 1 and 0, once
per threshold, and the campus managers get one digest per cohort."""

from __future__ import annotations

from datetime import date

import pytest

from sesac_ms.cohorts import attendance_figures
from sesac_ms.cohorts.nudges import send_nudges
from sesac_ms.extensions import db
from sesac_ms.models import (
    Attendance,
    AttendanceNudge,
    ClassDay,
    CohortStatus,
    Enrollment,
    OutboxMessage,
    Role,
)

TODAY = date(2026, 11, 27)
NOVEMBER = [date(2026, 11, d) for d in (2, 3, 4, 5, 6, 9, 10, 11, 12, 13)]
DECEMBER = [date(2026, 12, d) for d in (1, 2, 3, 4, 7, 8, 9, 10, 11, 14)]


@pytest.fixture
def running(app, make_cohort, make_user, monkeypatch):
    monkeypatch.setattr(attendance_figures, "today_in_seoul", lambda: TODAY)
    cohort = make_cohort(
        status=CohortStatus.IN_PROGRESS, start_on=date(2026, 11, 2), end_on=date(2026, 12, 31)
    )
    days = [ClassDay(cohort_id=cohort.id, day=d, added_by_hand=True) for d in NOVEMBER + DECEMBER]
    db.session.add_all(days)
    people = {}
    for name, marks in (("위험", "PPPPPPPLAA"), ("성실", "PPPPPPPPPP")):
        user = make_user(Role.TRAINEE, name=name, email=f"{name}@example.com")
        enrollment = Enrollment(cohort_id=cohort.id, user_id=user.id)
        db.session.add(enrollment)
        db.session.flush()
        for day, mark in zip(days, marks, strict=False):
            status = {"P": "present", "L": "late", "A": "absent"}[mark]
            db.session.add(
                Attendance(enrollment_id=enrollment.id, class_day_id=day.id, status=status)
            )
        people[name] = enrollment
    manager = make_user(Role.MANAGER, name="매니저", email="manager.nudge@example.com")
    make_user(Role.MANAGER, name="쉬는매니저", email="inactive@example.com", active=False)
    db.session.commit()
    return cohort, days, people, manager


def messages(kind: str) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            db.select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        )
    )


def test_each_threshold_is_told_once_with_a_digest_for_the_manager(app, running):
    cohort, days, people, manager = running
    run = send_nudges(TODAY)
    db.session.commit()
    assert (run.cohorts, run.trainees, run.digests) == (1, 1, 1)
    told = messages("attendance_at_risk")
    assert [m.recipient for m in told] == ["위험@example.com"]
    assert "2" in told[0].body
    digest = messages("attendance_digest")
    assert [m.recipient for m in digest] == [manager.email]
    assert "위험" in digest[0].body and "성실" not in digest[0].body

    again = send_nudges(TODAY)  # the same day again: nobody twice
    db.session.commit()
    assert (again.trainees, again.digests) == (0, 0)
    assert len(messages("attendance_at_risk")) == 1

    # The late day becomes an absence: one left, told once more; then nothing new.
    late = db.session.scalar(
        db.select(Attendance).where(
            Attendance.enrollment_id == people["위험"].id, Attendance.class_day_id == days[7].id
        )
    )
    late.status = "absent"
    db.session.commit()
    assert send_nudges(TODAY).trainees == 1
    db.session.commit()
    assert send_nudges(TODAY).trainees == 0
    thresholds = db.session.scalars(
        db.select(AttendanceNudge.threshold).where(
            AttendanceNudge.enrollment_id == people["위험"].id
        )
    ).all()
    assert sorted(thresholds) == [1, 2]
    assert len(messages("attendance_at_risk")) == 2


def test_a_cohort_that_has_ended_or_a_trainee_who_left_is_not_nudged(app, running):
    cohort, days, people, manager = running
    people["위험"].status = "dropped"
    people["위험"].status_on = TODAY
    db.session.commit()
    assert send_nudges(TODAY).trainees == 0
    people["위험"].status = "enrolled"
    cohort.status = CohortStatus.FINISHED
    db.session.commit()
    assert send_nudges(TODAY).cohorts == 0


def test_the_cli_runs_the_nudges(app, running, runner):
    result = runner.invoke(args=["attendance", "nudges"])
    assert result.exit_code == 0, result.output
    assert "trainee(s) told" in result.output
