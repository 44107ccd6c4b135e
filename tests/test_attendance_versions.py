"""A cohort's attendance figures are kept under its attendance version: read back while its
records stand still, never once a mark, a check-in, a class day or its trainees move."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from sesac_ms.clock import SEOUL
from sesac_ms.cohorts import attendance_figures, attendance_versions, checkin, roster, roster_pages
from sesac_ms.extensions import db
from sesac_ms.models import (
    Attendance,
    AttendanceStatus,
    AttendanceVersion,
    ClassDay,
    CohortStatus,
    Enrollment,
    Role,
)

TODAY = date(2026, 11, 25)
STATUSES = [status.value for status in AttendanceStatus]


@pytest.fixture(autouse=True)
def pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(attendance_figures, "today_in_seoul", lambda: TODAY)
    monkeypatch.setattr(roster, "today_in_seoul", lambda: TODAY)
    monkeypatch.setattr(
        checkin, "clock_now", lambda: datetime.combine(TODAY, time(9, 20), tzinfo=SEOUL)
    )


@pytest.fixture
def world(make_cohort, make_user):
    """Two running cohorts of one course, class days on weekdays around today, trainees."""
    staff = make_user(Role.MANAGER, name="김매니저")
    first = make_cohort(
        status=CohortStatus.IN_PROGRESS, start_on=date(2026, 11, 2), end_on=date(2026, 12, 11)
    )
    second = make_cohort(
        course=first.course,
        status=CohortStatus.IN_PROGRESS,
        start_on=date(2026, 11, 2),
        end_on=date(2026, 12, 11),
    )
    for cohort in (first, second):
        roster.generate_class_days(staff, cohort)
        for number in range(4):
            trainee = make_user(Role.TRAINEE, name=f"교육생{cohort.id}-{number}")
            db.session.add(Enrollment(cohort_id=cohort.id, user_id=trainee.id))
    db.session.commit()
    return staff, [first, second]


def fresh(cohort):
    return attendance_figures._work_out(cohort, TODAY)


def _with_statements(call):  # noqa: ANN001, ANN202
    """What `call()` returns, and the SQL statements it ran."""
    statements: list[str] = []

    def before(conn, cursor, statement, *args) -> None:  # noqa: ANN001, ANN002
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        return call(), statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)


def _days(cohort, *, cancelled: bool = False) -> list[ClassDay]:
    return [day for day in roster.class_days(cohort) if day.cancelled == cancelled]


def _trainees(cohort) -> list[Enrollment]:
    return list(
        db.session.scalars(
            db.select(Enrollment).where(Enrollment.cohort_id == cohort.id).order_by(Enrollment.id)
        )
    )


def _mark(pick, staff, cohorts):
    cohort = pick.choice(cohorts)
    day = pick.choice([d for d in _days(cohort) if d.day <= TODAY])
    enrollment = pick.choice(_trainees(cohort))
    roster.record_attendance(staff, cohort, day, {enrollment.id: (pick.choice(STATUSES), "")})


def _change_mark(pick, staff, cohorts):
    marks = list(db.session.scalars(db.select(Attendance).order_by(Attendance.id)))
    if marks:
        mark = pick.choice(marks)
        mark.status = pick.choice(STATUSES)
        mark.minutes_late = pick.choice([0, 5, 30])


def _remove_mark(pick, staff, cohorts):
    marks = list(db.session.scalars(db.select(Attendance).order_by(Attendance.id)))
    if marks:
        db.session.delete(pick.choice(marks))


def _cancel_day(pick, staff, cohorts):
    cohort = pick.choice(cohorts)
    roster.cancel_class_day(staff, pick.choice(_days(cohort)), "휴강")


def _add_day(pick, staff, cohorts):
    cohort = pick.choice(cohorts)
    taken = {day.day for day in roster.class_days(cohort)}
    free = [
        cohort.start_on + timedelta(days=n)
        for n in range((cohort.end_on - cohort.start_on).days + 1)
        if cohort.start_on + timedelta(days=n) not in taken
    ]
    roster.add_class_day(staff, cohort, pick.choice(free), "보강")


def _enrol(pick, staff, cohorts, make_user):
    trainee = make_user(Role.TRAINEE)
    db.session.add(Enrollment(cohort_id=pick.choice(cohorts).id, user_id=trainee.id))


def _move(pick, staff, cohorts):
    cohort = pick.choice(cohorts)
    other = cohorts[1] if cohort is cohorts[0] else cohorts[0]
    trainees = _trainees(cohort)
    if len(trainees) > 1:
        pick.choice(trainees).cohort_id = other.id


def _check_in(pick, staff, cohorts):
    cohort = pick.choice(cohorts)
    if not any(day.day == TODAY for day in _days(cohort)):
        return
    enrollment = pick.choice(_trainees(cohort))
    code = checkin.screen_code(cohort, TODAY).code
    try:
        checkin.check_in(enrollment.user, code, checkin.IN, cohort_id=cohort.id)
    except Exception:  # noqa: BLE001 - already checked in: nothing moved, still compared
        db.session.rollback()


def _rules(pick, staff, cohorts):
    cohort = pick.choice(cohorts)
    cohort.completion_threshold = pick.choice([70, 80, 90])
    cohort.lates_per_absence = pick.choice([1, 2, 3])


CHANGES = [_mark, _change_mark, _remove_mark, _cancel_day, _add_day, _move, _check_in, _rules]


@pytest.mark.parametrize("seed", [1, 2])
def test_kept_figures_always_equal_figures_worked_out_afresh(world, make_user, seed):
    staff, cohorts = world
    pick = random.Random(seed)
    for _ in range(30):
        # Kept before the change: the first cohort's figures whole (its trainee pages read
        # them back), the second's one trainee at a time (as their pages keep them).
        roster.summaries(cohorts[0])
        for enrollment in _trainees(cohorts[1]):
            roster.summary_of(enrollment)
        for cohort in cohorts:
            for enrollment in _trainees(cohort):
                roster_pages.attendance_record(enrollment, TODAY)
        change = pick.choice([*CHANGES, _enrol])
        if change is _enrol:
            _enrol(pick, staff, cohorts, make_user)
        else:
            change(pick, staff, cohorts)
        db.session.commit()
        for cohort in cohorts:
            afresh = fresh(cohort)
            for enrollment in _trainees(cohort):
                assert roster.summary_of(enrollment) == afresh.get(enrollment.id), change.__name__
                assert roster_pages.attendance_record(
                    enrollment, TODAY
                ) == roster_pages._attendance_record(enrollment, TODAY), change.__name__
            assert roster.summaries(cohort) == afresh, change.__name__


def test_figures_are_read_back_until_a_mark_moves(world):
    staff, (cohort, _) = world
    first = roster.summaries(cohort)
    again, statements = _with_statements(lambda: roster.summaries(cohort))
    assert again is first
    assert len(statements) == 1 and "attendance_versions" in statements[0]
    day = _days(cohort)[0]
    enrollment = _trainees(cohort)[0]
    roster.record_attendance(staff, cohort, day, {enrollment.id: ("absent", "")})
    db.session.commit()
    after = roster.summaries(cohort)
    assert after is not first
    assert after[enrollment.id].absent == 1


def test_a_check_in_past_the_orm_raises_the_version(world):
    _, (cohort, _) = world
    before = attendance_versions.current(cohort.id)
    enrollment = _trainees(cohort)[0]
    code = checkin.screen_code(cohort, TODAY).code
    checkin.check_in(enrollment.user, code, checkin.IN, cohort_id=cohort.id)
    db.session.commit()
    assert attendance_versions.current(cohort.id) > before
    assert roster.summaries(cohort)[enrollment.id].days == 1


def test_a_rolled_back_change_leaves_the_version(world):
    staff, (cohort, _) = world
    before = attendance_versions.current(cohort.id)
    roster.cancel_class_day(staff, _days(cohort)[0], "휴강")
    db.session.flush()
    db.session.rollback()
    assert attendance_versions.current(cohort.id) == before


def test_a_deleted_cohort_keeps_its_raised_number(world):
    """A later cohort given the same id must not start from a number figures were kept at."""
    _, (_, cohort) = world
    before = attendance_versions.current(cohort.id)
    cohort_id = cohort.id
    db.session.execute(sa.delete(Attendance))
    for enrollment in _trainees(cohort):
        db.session.delete(enrollment)
    for day in roster.class_days(cohort):
        db.session.delete(day)
    db.session.delete(cohort)
    db.session.commit()
    number = db.session.scalar(
        db.select(AttendanceVersion.number).where(AttendanceVersion.cohort_id == cohort_id)
    )
    assert number > before


def test_one_trainees_page_reads_only_their_figures(world, monkeypatch):
    staff, (cohort, _) = world
    trainees = _trainees(cohort)
    for index, day in enumerate(d for d in _days(cohort) if d.day <= TODAY):
        marks = {e.id: (STATUSES[(index + n) % len(STATUSES)], "") for n, e in enumerate(trainees)}
        roster.record_attendance(staff, cohort, day, marks)
    db.session.commit()
    whole = fresh(cohort)
    for enrollment in trainees:
        assert roster.summary_of(enrollment) == whole[enrollment.id]


def test_a_trainees_page_reads_the_rosters_kept_figures(world):
    """After the roster, a trainee's page sums nothing: one read of the cohort's version."""
    staff, (cohort, _) = world
    enrollment = _trainees(cohort)[0]
    roster.record_attendance(staff, cohort, _days(cohort)[0], {enrollment.id: ("late", "")})
    db.session.commit()
    whole = roster.summaries(cohort)
    assert enrollment.cohort is cohort  # loaded, as the page loads it
    summary, statements = _with_statements(lambda: roster.summary_of(enrollment))
    assert summary is whole[enrollment.id] and summary.late == 1
    assert all("attendance_versions" in statement for statement in statements)


def test_refresh_after_sql_by_hand_has_the_figures_worked_out_again(world, runner):
    staff, (cohort, other) = world
    day = _days(cohort)[0]
    enrollment = _trainees(cohort)[0]
    roster.record_attendance(staff, cohort, day, {enrollment.id: ("present", "")})
    db.session.commit()
    assert roster.summaries(cohort)[enrollment.id].absent == 0
    db.session.execute(  # past the ORM: nothing raises the version
        sa.update(Attendance)
        .where(Attendance.enrollment_id == enrollment.id)
        .values(status="absent")
    )
    db.session.commit()
    assert roster.summaries(cohort)[enrollment.id].absent == 0  # the kept figures
    other_before = attendance_versions.current(other.id)

    refused = runner.invoke(
        args=["attendance", "refresh", "--cohort", str(cohort.id), "--cohort", "999999"]
    )
    assert refused.exit_code == 2
    assert "no cohort has the id 999999; nothing was changed" in refused.output
    assert roster.summaries(cohort)[enrollment.id].absent == 0

    done = runner.invoke(args=["attendance", "refresh", "--cohort", str(cohort.id)])
    assert done.exit_code == 0, done.output
    assert "raised the attendance version of 1 cohort(s)" in done.output
    db.session.expire_all()
    assert roster.summaries(cohort)[enrollment.id].absent == 1
    assert attendance_versions.current(other.id) == other_before

    every = runner.invoke(args=["attendance", "refresh"])
    assert every.exit_code == 0, every.output
    assert "raised the attendance version of 2 cohort(s)" in every.output
    assert attendance_versions.current(other.id) > other_before
