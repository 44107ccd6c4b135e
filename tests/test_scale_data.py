"""`flask demo-data --scale N`: Seoul's history at N times its size, with realistic shapes.

One small load (scale 0.02: 12 cohorts) is checked from every side: counts in proportion,
the database's constraints, the selection funnel, attendance, sessions and outcomes in
their ranges, the denormalised figures equal to the records, the demo log-ins intact;
then a second load is refused.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from sesac_ms.audit import describe
from sesac_ms.audit_text import ACTIONS, describe_entry
from sesac_ms.clock import SEOUL, today_in_seoul
from sesac_ms.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from sesac_ms.extensions import db
from sesac_ms.models import (
    Application,
    Attendance,
    AuditEntry,
    ClassDay,
    CoachingSession,
    Cohort,
    CohortStaff,
    Enrollment,
    Outcome,
    PersonalDataAccess,
    User,
)
from sesac_ms.models.applications import HOLDS_SEAT
from sesac_ms.models.sessions import OCCUPYING
from sesac_ms.scale_data.names import STAFF_DOMAIN
from tests.conftest import login

SCALE = 0.02
# Seoul's real size (scale 1), as the generator's docstring states it.
AT_SCALE_1 = {
    Cohort: 600,
    Enrollment: 17_500,
    Application: 102_000,
    CoachingSession: 174_500,
    Attendance: 1_700_000,
    Outcome: 13_000,
    AuditEntry: 100_000,
}


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def user_id(email: str) -> int:
    return db.session.scalar(sa.select(User.id).where(User.email == email))


def test_scale_data_has_seouls_shapes_and_loads_once(app, runner):
    demo = runner.invoke(args=["demo-data"])
    assert demo.exit_code == 0, demo.output
    before = {model: count(model) for model in AT_SCALE_1}
    first_new = db.session.scalar(sa.select(sa.func.max(Cohort.id))) + 1
    trainee = user_id("trainee@sesac.example")
    trainee_record = (
        count(Enrollment, Enrollment.user_id == trainee),
        count(CoachingSession, CoachingSession.trainee_id == trainee),
        count(Attendance, Attendance.enrollment_id.in_(
            sa.select(Enrollment.id).where(Enrollment.user_id == trainee)
        )),
    )  # fmt: skip

    result = runner.invoke(args=["demo-data", "--scale", str(SCALE)])

    assert result.exit_code == 0, result.output
    assert "Scale 0.02 loaded" in result.output
    assert "attendance" in result.output  # the summary of rows per table
    added = {model: count(model) - before[model] for model in AT_SCALE_1}
    # In proportion to Seoul's size (a small sample: within 30%).
    for model, real in AT_SCALE_1.items():
        assert 0.7 * real * SCALE <= added[model] <= 1.3 * real * SCALE, (model, added[model])

    _check_constraints()
    _check_funnel_and_seats(first_new)
    _check_attendance()
    _check_sessions(first_new)
    _check_outcomes()
    _check_logs()
    # The generated logs carry their hashes: their days seal and verify (audit_chain.py).
    verified = runner.invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    assert verified.output.startswith("intact: ")

    # The demo staff have the demo campus's busy history; the demo trainee their own record.
    for email in ("coordinator@sesac.example", "mentor@sesac.example"):
        staff_id = user_id(email)
        assert count(CoachingSession, CoachingSession.staff_id == staff_id) > 50, email
        assert count(CohortStaff, CohortStaff.user_id == staff_id) > 1, email
    statuses = set(
        db.session.scalars(
            sa.select(Cohort.status)
            .join(CohortStaff, CohortStaff.cohort_id == Cohort.id)
            .where(CohortStaff.user_id == user_id("coordinator@sesac.example"))
        )
    )
    assert {"finished", "in_progress", "recruiting"} <= {str(s) for s in statuses}
    assert trainee_record == (
        count(Enrollment, Enrollment.user_id == trainee),
        count(CoachingSession, CoachingSession.trainee_id == trainee),
        count(Attendance, Attendance.enrollment_id.in_(
            sa.select(Enrollment.id).where(Enrollment.user_id == trainee)
        )),
    )  # fmt: skip

    # Only the demo accounts have a password, and they still log in.
    with_password = db.session.scalars(sa.select(User.email).where(User.password_hash.is_not(None)))
    assert sorted(with_password) == sorted(email for _, email, _ in DEMO_ACCOUNTS)
    for _, email, _ in DEMO_ACCOUNTS:
        browser = app.test_client()
        response = login(browser, email, DEMO_PASSWORD)
        assert response.status_code == 302, email
        assert urlsplit(response.location).path == "/"
        assert browser.get("/").status_code == 200

    again = runner.invoke(args=["demo-data", "--scale", str(SCALE)])

    assert again.exit_code == 1
    assert "already in this database" in again.output
    assert count(Cohort) - before[Cohort] == added[Cohort]


def _check_constraints() -> None:
    """Every foreign key holds (unique and check constraints held at each insert)."""
    if db.engine.dialect.name == "sqlite":
        assert db.session.execute(sa.text("PRAGMA foreign_key_check")).all() == []
    users = count(User, User.email.like(f"%@{STAFF_DOMAIN}"))
    assert users > 0


def _check_funnel_and_seats(first_new: int) -> None:
    held = dict(
        db.session.execute(
            sa.select(Application.cohort_id, sa.func.count())
            .where(Application.stage.in_(HOLDS_SEAT))
            .group_by(Application.cohort_id)
        ).all()
    )
    for cohort in db.session.scalars(sa.select(Cohort)):
        assert cohort.seats_taken == held.get(cohort.id, 0), cohort.label()
    stages = Counter(
        dict(
            db.session.execute(
                sa.select(Application.stage, sa.func.count()).group_by(Application.stage)
            ).all()
        )  # fmt: skip
    )
    total = sum(stages.values())
    assert 0.55 <= (stages["rejected"] + stages["withdrawn"]) / total <= 0.9
    # Accepted means enrolled once the cohort started: one enrollment per enrolled applicant.
    enrolled_apps = count(Application, Application.stage == "enrolled")
    assert enrolled_apps == count(Enrollment, Enrollment.application_id.is_not(None))
    started = db.session.scalars(
        sa.select(Cohort).where(
            Cohort.status.in_(("finished", "in_progress")), Cohort.id >= first_new
        )
    ).all()
    for cohort in started:
        assert 25 <= cohort.capacity <= 35
        enrolled = count(Enrollment, Enrollment.cohort_id == cohort.id)
        applied = count(Application, Application.cohort_id == cohort.id)
        assert 0.9 * cohort.capacity <= enrolled == cohort.seats_taken <= cohort.capacity
        assert 4 * cohort.capacity <= applied <= 9 * cohort.capacity
    finished = Counter(
        str(s)
        for s in db.session.scalars(
            sa.select(Enrollment.status)
            .join(Cohort, Cohort.id == Enrollment.cohort_id)
            .where(Cohort.status == "finished", Enrollment.application_id.is_not(None))
        )
    )
    done = finished["completed"] + finished["early_employed"]
    assert 0.75 <= done / sum(finished.values()) <= 0.93
    running = Counter(
        str(s)
        for s in db.session.scalars(
            sa.select(Enrollment.status)
            .join(Cohort, Cohort.id == Enrollment.cohort_id)
            .where(Cohort.status == "in_progress")
        )
    )
    assert running["enrolled"] / sum(running.values()) >= 0.85


def _check_attendance() -> None:
    marks = Counter(
        dict(
            db.session.execute(
                sa.select(Attendance.status, sa.func.count()).group_by(Attendance.status)
            ).all()
        )  # fmt: skip
    )
    total = sum(marks.values())
    assert 0.85 <= marks["present"] / total <= 0.97
    assert all(marks[m] for m in ("late", "left_early", "absent", "excused"))
    # Only class days of the trainee's own cohort, none in the future.
    wrong = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Attendance)
        .join(Enrollment, Enrollment.id == Attendance.enrollment_id)
        .join(ClassDay, ClassDay.id == Attendance.class_day_id)
        .where(sa.or_(ClassDay.cohort_id != Enrollment.cohort_id, ClassDay.day > today_in_seoul()))
    )
    assert wrong == 0


def _check_sessions(first_new: int) -> None:
    sessions = db.session.execute(
        sa.select(
            CoachingSession.trainee_id,
            CoachingSession.staff_id,
            CoachingSession.starts_at,
            CoachingSession.ends_at,
            CoachingSession.cohort_id,
        ).where(CoachingSession.status.in_(OCCUPYING))
    ).all()
    # Nobody is in two sessions at once.
    for person in (0, 1):
        by_person: dict[int, list] = {}
        for row in sessions:
            by_person.setdefault(row[person], []).append((row.starts_at, row.ends_at))
        for times in by_person.values():
            times.sort()
            for (_, ends), (starts, _) in zip(times, times[1:], strict=False):
                assert ends <= starts
    # Never during the trainee's class hours (09:00–18:00 on a class day of the cohort).
    class_days = {
        (c, d) for c, d in db.session.execute(sa.select(ClassDay.cohort_id, ClassDay.day))
    }
    for row in sessions:
        local = row.starts_at.astimezone(SEOUL)
        if (row.cohort_id, local.date()) in class_days:
            end = row.ends_at.astimezone(SEOUL)
            assert local.hour >= 18 or (end.hour, end.minute) <= (9, 0), row
    per_trainee = count(CoachingSession, CoachingSession.cohort_id >= first_new) / count(
        Enrollment, Enrollment.cohort_id >= first_new
    )
    assert 8 <= per_trainee <= 12


def _check_outcomes() -> None:
    today = today_in_seoul()
    current = db.session.execute(
        sa.select(Outcome.enrollment_id, Outcome.kind, Outcome.outcome_on, Cohort.end_on)
        .join(Enrollment, Enrollment.id == Outcome.enrollment_id)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .where(Outcome.is_current)
    ).all()
    assert len({row.enrollment_id for row in current}) == len(current)  # one current each
    completed = count(Enrollment, Enrollment.status.in_(("completed", "early_employed")))
    assert 0.55 <= len(current) / completed <= 0.9
    kinds = Counter(str(row.kind) for row in current)
    assert kinds["employed"] / len(current) >= 0.7
    assert kinds["excluded"] > 0
    within = sum(1 for row in current if -60 <= (row.outcome_on - row.end_on).days <= 180)
    assert within / len(current) >= 0.8
    assert all(row.outcome_on <= today + timedelta(days=31) for row in current)
    # Illness only with its own consent (read back decrypted: SQL cannot compare encrypted
    # values); no outcome for one who did not complete.
    excluded = db.session.execute(
        sa.select(Outcome.exclusion_reason, Outcome.health_consent_at).where(
            Outcome.kind == "excluded"
        )
    ).all()
    assert any(reason == "illness" for reason, _ in excluded)
    assert all(consent is not None for reason, consent in excluded if reason == "illness")
    assert all(consent is None for reason, consent in excluded if reason != "illness")
    not_completed = count(
        Outcome,
        Outcome.enrollment_id.in_(
            sa.select(Enrollment.id).where(
                Enrollment.status.not_in(("completed", "early_employed"))
            )
        ),
    )
    assert not_completed == 0
    from sesac_ms.reports.tallies import check

    assert check() == []  # the per-cohort figures were rebuilt from the records


def _check_logs() -> None:
    entries = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.actor_label.like(f"%@{STAFF_DOMAIN}>"))
        .order_by(AuditEntry.id)  # fmt: skip
    ).all()
    assert entries
    assert {e.action for e in entries} <= set(ACTIONS)
    times = [e.at for e in entries]
    assert times == sorted(times)  # ids follow time, as the log pages list them
    assert max(times) <= db.session.scalar(sa.select(sa.func.max(AuditEntry.at)))
    for entry in entries[:: max(1, len(entries) // 200)]:
        assert describe_entry(entry).headline
    accesses = db.session.scalars(
        sa.select(PersonalDataAccess).order_by(PersonalDataAccess.id.desc()).limit(200)
    ).all()
    for access in accesses:
        assert describe(access)


@pytest.mark.parametrize("value", ["0", "-1", "10.5", "abc"])
def test_a_scale_out_of_range_is_refused_naming_the_option(app, runner, value):
    result = runner.invoke(args=["demo-data", "--scale", value])

    assert result.exit_code == 2
    assert "--scale" in result.output
    assert count(Cohort) == 0


def test_a_seed_without_a_scale_is_refused(app, runner):
    result = runner.invoke(args=["demo-data", "--seed", "3"])

    assert result.exit_code == 2
    assert "--seed applies only with --scale" in result.output
