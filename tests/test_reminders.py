"""Reminders sent by the daily cron, each once: follow-ups due, and retention checks due
6 and 12 months after a job started (the graduate, and the cohort's coordinators in one
digest each). The clock is fixed: the services take `now` or `today`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from sesac_ms.clock import today_in_seoul
from sesac_ms.extensions import db
from sesac_ms.links import external_url
from sesac_ms.models import (
    CoachingSession,
    Cohort,
    CohortStaff,
    CohortStatus,
    Enrollment,
    EnrollmentStatus,
    FollowUp,
    OutboxMessage,
    RetentionReminder,
    Role,
    SessionKind,
    SessionStatus,
    StaffRole,
    User,
)
from sesac_ms.placements import retention_reminders, services
from sesac_ms.placements.retention_reminders import months_after, send_retention_reminders
from sesac_ms.placements.services import OutcomeData
from sesac_ms.sessions import reminders
from sesac_ms.sessions.reminders import send_follow_up_reminders

SEOUL = ZoneInfo("Asia/Seoul")
# 07:00 on 2 December in Seoul is still 1 December in UTC: "tomorrow" is 3 December.
NOW = datetime(2026, 12, 2, 7, 0, tzinfo=SEOUL)
TODAY = date(2026, 12, 1)


def messages(kind: str) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            db.select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        )
    )


@pytest.fixture
def person(make_user) -> Callable[..., User]:
    """A user who reads English, to read the messages."""

    def factory(role: Role, name: str, **values) -> User:
        return make_user(role, name=name, locale="en", **values)

    return factory


# --- follow-ups -------------------------------------------------------------------------------


@pytest.fixture
def coaching(make_cohort, person) -> Callable[..., CoachingSession]:
    """A session held a week ago, of a trainee of a running cohort, with its follow-ups."""
    cohort = make_cohort(
        status=CohortStatus.IN_PROGRESS, start_on=date(2026, 10, 1), end_on=date(2027, 2, 26)
    )
    coach = person(Role.COORDINATOR, "Coach Kim")

    def factory(trainee: User, *follow_ups: tuple[str, date | None]) -> CoachingSession:
        db.session.add(Enrollment(cohort_id=cohort.id, user_id=trainee.id))
        starts_at = datetime(2026, 11, 25, 14, 0, tzinfo=SEOUL)
        session = CoachingSession(
            cohort_id=cohort.id,
            trainee_id=trainee.id,
            staff_id=coach.id,
            kind=SessionKind.PORTFOLIO,
            status=SessionStatus.COMPLETED,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=1),
            created_by_id=coach.id,
        )
        db.session.add(session)
        db.session.flush()
        for text, due_on in follow_ups:
            db.session.add(FollowUp(session_id=session.id, text=text, due_on=due_on))
        db.session.commit()
        return session

    return factory


def follow_up(text: str) -> FollowUp:
    db.session.expire_all()
    return db.session.scalar(db.select(FollowUp).where(FollowUp.text == text))


def test_a_follow_up_due_tomorrow_or_today_in_seoul_is_told_once(coaching, person):
    trainee = person(Role.TRAINEE, "Trainee Park")
    session = coaching(
        trainee,
        ("Fix the CV", date(2026, 12, 3)),  # tomorrow in Seoul
        ("Send the portfolio", date(2026, 12, 2)),  # today, never told
        ("Read the job ads", date(2026, 12, 4)),  # the day after tomorrow
        ("Book a mock interview", date(2026, 12, 1)),  # yesterday in Seoul (UTC's today)
        ("Think about it", None),  # no date
    )
    coaching(person(Role.TRAINEE, "Trainee Done"), ("Done already", date(2026, 12, 3)))
    follow_up("Done already").done_at = NOW
    closed = person(Role.TRAINEE, "Trainee Gone", active=False)
    coaching(closed, ("Nobody reads this", date(2026, 12, 3)))
    db.session.commit()

    assert send_follow_up_reminders(now=NOW) == 2
    db.session.commit()
    told = messages("follow_up_due")
    assert [m.recipient for m in told] == [trainee.email, trainee.email]
    bodies = " ".join(m.body for m in told)
    assert "Fix the CV" in bodies and "Send the portfolio" in bodies
    assert "Read the job ads" not in bodies and "Book a mock interview" not in bodies
    link = external_url("sessions.show", session_id=session.id)
    assert all(m.body.endswith(link) for m in told)
    assert told[0].subject == "[SeSAC] Follow-up due on Dec 2, 2026"
    assert follow_up("Fix the CV").reminded_at is not None
    assert follow_up("Done already").reminded_at is None  # done: never told
    assert follow_up("Nobody reads this").reminded_at is None  # a closed account

    # A second run, even later the same day, tells nobody twice.
    assert send_follow_up_reminders(now=NOW + timedelta(hours=3)) == 0
    db.session.commit()
    assert len(messages("follow_up_due")) == 2

    # The next day: the follow-up due then was told the day before; the next one is due.
    assert send_follow_up_reminders(now=NOW + timedelta(days=1)) == 1
    db.session.commit()
    assert "Read the job ads" in messages("follow_up_due")[-1].body


def test_a_follow_up_written_after_the_days_run_and_due_today_is_told_the_next_run(
    coaching, person
):
    trainee = person(Role.TRAINEE, "Trainee Park")
    session = coaching(trainee)
    assert send_follow_up_reminders(now=NOW) == 0
    db.session.add(FollowUp(session_id=session.id, text="Call the company", due_on=NOW.date()))
    db.session.commit()
    assert send_follow_up_reminders(now=NOW + timedelta(hours=1)) == 1
    db.session.commit()
    assert [m.recipient for m in messages("follow_up_due")] == [trainee.email]


def test_a_follow_up_another_run_told_since_it_was_read_is_not_told_again(
    make_app, coaching, person
):
    trainee = person(Role.TRAINEE, "Trainee Park")
    coaching(trainee, ("Fix the CV", date(2026, 12, 3)))
    due = reminders.due_follow_ups(NOW)  # this run read it ...
    assert len(due) == 1
    with make_app().app_context():  # ... another worker tells it and commits
        assert send_follow_up_reminders(now=NOW) == 1
        db.session.commit()
    assert [reminders._claim(item, NOW) for item, _ in due] == [False]  # so this one does not
    db.session.commit()
    assert len(messages("follow_up_due")) == 1


# --- retention checks -------------------------------------------------------------------------


def test_months_after_keeps_the_day_or_takes_the_months_last():
    assert months_after(date(2026, 6, 1), 6) == date(2026, 12, 1)
    assert months_after(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert months_after(date(2027, 8, 31), 6) == date(2028, 2, 29)
    assert months_after(date(2025, 12, 15), 12) == date(2026, 12, 15)
    assert months_after(date(2026, 12, 1), -6) == date(2026, 6, 1)
    assert months_after(date(2026, 3, 31), -1) == date(2026, 2, 28)


@pytest.fixture
def graduates(make_cohort, make_course, person):
    """Two ended cohorts, their coordinators, and a way to add a graduate with a job."""
    cohorts = [
        make_cohort(
            course=make_course(title=title),
            status=CohortStatus.FINISHED,
            recruit_start_on=date(2025, 5, 1),
            recruit_end_on=date(2025, 5, 20),
            start_on=date(2025, 6, 2),
            end_on=date(2025, 10, 31),
        )
        for title in ("데이터 분석", "웹 개발")
    ]
    shared = person(Role.COORDINATOR, "Coord Both")
    second = person(Role.COORDINATOR, "Coord Second")
    mentor = person(Role.MENTOR, "Mentor Lee")
    away = person(Role.COORDINATOR, "Coord Away", active=False)
    for cohort, user, role in (
        (cohorts[0], shared, StaffRole.COORDINATOR),
        (cohorts[1], shared, StaffRole.COORDINATOR),
        (cohorts[1], second, StaffRole.COORDINATOR),
        (cohorts[0], mentor, StaffRole.MENTOR),
        (cohorts[0], away, StaffRole.COORDINATOR),
    ):
        db.session.add(CohortStaff(cohort_id=cohort.id, user_id=user.id, role=role))
    db.session.commit()

    def graduate(
        cohort: Cohort, name: str, started: date, company: str = "Hanbit", **values
    ) -> Enrollment:
        user = person(Role.TRAINEE, name, **values)
        enrollment = Enrollment(
            cohort_id=cohort.id,
            user_id=user.id,
            status=EnrollmentStatus.COMPLETED,
            status_on=cohort.end_on,
        )
        db.session.add(enrollment)
        db.session.flush()
        services.record_outcome(None, enrollment, job(started, company))
        db.session.commit()
        return enrollment

    return cohorts, graduate, {"shared": shared, "second": second, "mentor": mentor}


def job(started: date, company: str = "Hanbit", kind: str = "employed") -> OutcomeData:
    employed = kind == "employed"
    return OutcomeData(
        kind=kind,
        outcome_on=started,
        company=company,
        job_title="Data analyst",
        industry="IT",
        employment_type="permanent" if employed else None,
    )


def told_names() -> list[str]:
    return sorted(m.recipient.split("@")[0] for m in messages("retention_check"))


def test_a_retention_check_is_told_at_6_and_12_months_once_with_a_digest(graduates):
    cohorts, graduate, staff = graduates
    six = graduate(cohorts[0], "Six Months", date(2026, 6, 1))  # due today
    twelve = graduate(cohorts[1], "Twelve Months", date(2025, 11, 27), "Daon")  # 4 days ago
    month_end = graduate(cohorts[0], "Month End", date(2026, 5, 31))  # due 30 November
    graduate(cohorts[0], "Tomorrow", date(2026, 6, 2))  # due tomorrow: not yet
    graduate(cohorts[0], "Too Late", date(2026, 5, 20))  # due 20 November: past catching up
    graduate(cohorts[0], "Closed", date(2026, 6, 1), active=False)  # a closed account
    checked = graduate(cohorts[1], "Checked", date(2026, 6, 1))
    services.record_retention(
        staff["second"], services.current_outcome(checked), 6, TODAY, "still_employed"
    )
    changed = graduate(cohorts[1], "Changed Jobs", date(2026, 6, 1))
    services.record_outcome(None, changed, job(date(2026, 9, 1), "Nuri"))  # the current one
    founded = graduate(cohorts[1], "Founder", date(2025, 1, 1))
    services.record_outcome(None, founded, job(date(2026, 6, 1), "Own Lab", kind="founded"))
    db.session.commit()
    emails = {e.id: e.user.email.split("@")[0] for e in (six, twelve, month_end)}

    run = send_retention_reminders(today=TODAY)
    db.session.commit()

    assert (run.graduates, run.digests) == (3, 2)
    assert told_names() == sorted(emails.values())
    by_recipient = {m.recipient: m for m in messages("retention_check")}
    six_months = by_recipient[six.user.email]
    assert six_months.subject == "[SeSAC] How is your job going?"
    assert "It is 6 months since you started at Hanbit." in six_months.body
    assert six_months.body.endswith(external_url("cohorts.my_training", enrollment=six.id))
    assert "It is 12 months since you started at Daon." in by_recipient[twelve.user.email].body

    digests = {m.recipient: m for m in messages("retention_checks_due")}
    assert set(digests) == {staff["shared"].email, staff["second"].email}
    both = digests[staff["shared"].email]
    assert both.subject == "[SeSAC] Retention checks due"
    assert "- Six Months (Hanbit): 6-month retention check" in both.body
    assert "- Month End (Hanbit): 6-month retention check" in both.body
    assert "- Twelve Months (Daon): 12-month retention check" in both.body
    assert both.body.endswith(external_url("placements.index"))  # two cohorts
    second = digests[staff["second"].email]
    assert "Twelve Months" in second.body and "Six Months" not in second.body
    assert second.body.endswith(external_url("placements.index", cohort_id=cohorts[1].id))

    # The same day again, and the next day: nobody twice; the one due tomorrow then.
    again = send_retention_reminders(today=TODAY)
    db.session.commit()
    assert (again.graduates, again.digests) == (0, 0)
    later = send_retention_reminders(today=TODAY + timedelta(days=1))
    db.session.commit()
    assert (later.graduates, later.digests) == (1, 1)
    assert (
        "- Tomorrow (Hanbit): 6-month retention check" in messages("retention_checks_due")[-1].body
    )
    assert len(messages("retention_check")) == 4
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RetentionReminder)) == 4


def test_the_12_month_check_is_told_after_the_6_month_one(graduates):
    cohorts, graduate, staff = graduates
    enrollment = graduate(cohorts[0], "Both Checks", date(2025, 12, 1))
    outcome = services.current_outcome(enrollment)
    assert send_retention_reminders(today=date(2026, 6, 1)).graduates == 1
    db.session.commit()
    services.record_retention(staff["shared"], outcome, 6, date(2026, 6, 3), "still_employed")
    db.session.commit()
    assert send_retention_reminders(today=date(2026, 6, 2)).graduates == 0
    assert send_retention_reminders(today=TODAY).graduates == 1
    db.session.commit()
    told = messages("retention_check")
    assert ["6 months" in told[0].body, "12 months" in told[1].body] == [True, True]
    reminded = db.session.scalars(
        db.select(RetentionReminder.months).where(RetentionReminder.outcome_id == outcome.id)
    ).all()
    assert sorted(reminded) == [6, 12]


def test_a_check_another_run_told_since_it_was_read_is_not_told_again(make_app, graduates):
    cohorts, graduate, staff = graduates
    graduate(cohorts[0], "Six Months", date(2026, 6, 1))
    due = retention_reminders.due_checks(TODAY)  # this run read it ...
    assert len(due) == 1
    with make_app().app_context():  # ... another worker tells it and commits
        assert send_retention_reminders(today=TODAY).graduates == 1
        db.session.commit()
    assert [retention_reminders._claim(c.outcome.id, c.months) for c in due] == [False]
    db.session.commit()
    assert len(messages("retention_check")) == 1


# --- the commands -----------------------------------------------------------------------------


def test_the_commands_send_each_reminder_once(runner, coaching, graduates, person):
    today = today_in_seoul()
    trainee = person(Role.TRAINEE, "Trainee Park")
    coaching(trainee, ("Fix the CV", today + timedelta(days=1)))
    cohorts, graduate, staff = graduates
    graduate(cohorts[0], "Six Months", months_after(today, -6))

    first = runner.invoke(args=["sessions", "follow-up-reminders"])
    second = runner.invoke(args=["sessions", "follow-up-reminders"])
    assert first.exit_code == second.exit_code == 0, first.output
    assert first.output.strip() == "1 follow-up reminder(s) queued"
    assert second.output.strip() == "0 follow-up reminder(s) queued"

    first = runner.invoke(args=["placements", "retention-reminders"])
    second = runner.invoke(args=["placements", "retention-reminders"])
    assert first.exit_code == second.exit_code == 0, first.output
    assert first.output.strip() == (
        "1 retention check reminder(s) queued, 1 coordinator digest(s) queued"
    )
    assert second.output.strip() == (
        "0 retention check reminder(s) queued, 0 coordinator digest(s) queued"
    )
    assert [len(messages(k)) for k in ("follow_up_due", "retention_check")] == [1, 1]
    assert [m.recipient for m in messages("retention_checks_due")] == [staff["shared"].email]
