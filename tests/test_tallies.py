"""The per-cohort employment figures (reports.tallies) always equal a recount of the records.

Random changes — trainees completing, dropping or moving cohort, outcomes recorded,
replaced, re-dated, undone, retention checks, a cohort's end date moved, enrollments
deleted — each committed, then: every cohort's stored row equals its recount, and the
report summed from the rows equals the report counted from the records at every grouping,
kept window and campus, on several "todays" (so windows open and close, and outcomes dated
after today count nowhere yet). A window the rows do not keep is counted from the records.
Two transactions changing one cohort at once leave it right too.
"""

from __future__ import annotations

import random
import threading
from datetime import date, timedelta

import pytest

from sesac_ms.extensions import db
from sesac_ms.models import (
    CohortEmployment,
    Enrollment,
    EnrollmentStatus,
    ExclusionReason,
    Outcome,
    OutcomeKind,
    RetentionCheck,
    RetentionResult,
    Role,
)
from sesac_ms.reports import tallies
from sesac_ms.reports.services import EmploymentFilters, employment_report, report_differences
from tests.test_reports import table_rows

TODAY = date(2026, 11, 27)
STATUSES = list(EnrollmentStatus)


def _outcome(rng: random.Random, enrollment: Enrollment, end_on: date) -> Outcome:
    kind = rng.choice(list(OutcomeKind))
    return Outcome(
        enrollment_id=enrollment.id,
        kind=kind,
        # From before the end to after today: windows, "so far" and dates still to come.
        outcome_on=end_on + timedelta(days=rng.randint(-20, 400)),
        exclusion_reason=ExclusionReason.MILITARY if kind == OutcomeKind.EXCLUDED else None,
    )


def _current(enrollment: Enrollment) -> Outcome | None:
    return db.session.scalar(
        db.select(Outcome).where(Outcome.enrollment_id == enrollment.id, Outcome.is_current)
    )


def _random_change(rng: random.Random, world: dict) -> None:
    enrollments = world["enrollments"]
    enrollment = rng.choice(enrollments)
    cohort = enrollment.cohort
    step = rng.randrange(9)
    if step <= 2:
        current = _current(enrollment)
        if current is not None:
            current.is_current = False
            db.session.flush()
        db.session.add(_outcome(rng, enrollment, cohort.end_on))
    elif step == 3:
        enrollment.status = rng.choice(STATUSES)
    elif step == 4:
        current = _current(enrollment)
        if current is not None:
            current.outcome_on = cohort.end_on + timedelta(days=rng.randint(-20, 400))
            if rng.random() < 0.5:
                current.is_current = False  # the outcome undone: none is current now
    elif step == 5:
        cohort.end_on = cohort.end_on + timedelta(days=rng.randint(-40, 40))
        cohort.start_on = min(cohort.start_on, cohort.end_on)
    elif step == 6:
        current = _current(enrollment)
        if current is not None and current.kind == OutcomeKind.EMPLOYED:
            months = rng.choice((6, 12))
            exists = db.session.scalar(
                db.select(RetentionCheck).where(
                    RetentionCheck.outcome_id == current.id, RetentionCheck.months == months
                )
            )
            if exists is None:
                db.session.add(
                    RetentionCheck(
                        outcome_id=current.id,
                        months=months,
                        checked_on=TODAY,
                        result=rng.choice(list(RetentionResult)),
                    )
                )
            else:
                exists.result = rng.choice(list(RetentionResult))
    elif step == 7:
        others = [c for c in world["cohorts"] if c.id != cohort.id]
        taken = {e.cohort_id for e in enrollments if e.user_id == enrollment.user_id}
        free = [c for c in others if c.id not in taken]
        if free:
            enrollment.cohort_id = rng.choice(free).id  # moved to another cohort
    elif len(enrollments) > 5:
        enrollments.remove(enrollment)
        db.session.delete(enrollment)  # its outcomes and checks go with it (cascade)
    db.session.commit()


@pytest.fixture
def world(make_campus, make_course, make_cohort, make_user):
    return make_world(make_campus, make_course, make_cohort, make_user)


def make_world(make_campus, make_course, make_cohort, make_user) -> dict:
    """Two campuses, six cohorts ended at various dates, six completed trainees each."""
    rng = random.Random(1)
    campuses = [make_campus(), make_campus()]
    cohorts = []
    for i in range(6):
        end_on = TODAY + timedelta(days=rng.randint(-500, 30))
        cohorts.append(
            make_cohort(
                course=make_course(campus=campuses[i % 2]),
                start_on=end_on - timedelta(days=120),
                end_on=end_on,
                recruit_start_on=end_on - timedelta(days=200),
                recruit_end_on=end_on - timedelta(days=130),
            )
        )
    enrollments = []
    for cohort in cohorts:
        for _ in range(6):
            trainee = make_user(Role.TRAINEE, campus=cohort.course.campus)
            enrollment = Enrollment(
                cohort_id=cohort.id,
                user_id=trainee.id,
                status=rng.choice((EnrollmentStatus.COMPLETED, EnrollmentStatus.EARLY_EMPLOYED)),
            )
            db.session.add(enrollment)
            enrollments.append(enrollment)
    db.session.commit()
    return {"cohorts": cohorts, "enrollments": enrollments}


@pytest.mark.parametrize("seed", [11, 22])
def test_random_changes_keep_the_figures_equal_to_the_records(app, world, seed):
    rng = random.Random(seed)
    for step in range(60):
        _random_change(rng, world)
        if step % 20 == 19:
            assert tallies.check() == []
            for today in (TODAY, TODAY - timedelta(days=200), TODAY + timedelta(days=90)):
                assert report_differences(today) == []
    # A window the rows do not keep is counted from the records: the same rule.
    for days in (0, 45, 120):
        for by in ("campus", "course", "cohort"):
            filters = EmploymentFilters(by=by, within_days=days)
            assert employment_report(filters, TODAY) == employment_report(
                filters, TODAY, from_records=True
            )
    assert db.session.scalar(db.select(db.func.count()).select_from(CohortEmployment)) > 0


def test_the_check_finds_a_wrong_row_and_fix_rewrites_it(app, world, runner):
    cohort = world["cohorts"][0]
    db.session.execute(
        CohortEmployment.__table__.update()
        .where(CohortEmployment.cohort_id == cohort.id)
        .values(completed=999, employed_30d=7)
    )
    db.session.commit()
    [(cohort_id, figures)] = tallies.check()
    assert cohort_id == cohort.id
    assert figures["completed"][0] == 999 and figures["employed_30d"][0] == 7

    failed = runner.invoke(args=["report", "check"])
    assert failed.exit_code == 1
    assert f"cohort {cohort.id}: completed kept 999 counted " in failed.stderr
    assert "differ from the records" in failed.stderr

    fixed = runner.invoke(args=["report", "check", "--fix"])
    assert fixed.exit_code == 0, fixed.output
    assert "equal the records" in fixed.output
    assert tallies.check() == []


def test_two_transactions_changing_one_cohort_at_once_leave_it_right(app, world):
    """Each records an outcome for a different trainee of the same cohort, in its own
    session and connection, released together; the row must count both."""
    cohort = world["cohorts"][0]
    ids = [e.id for e in world["enrollments"] if e.cohort_id == cohort.id][:4]
    for enrollment_id in ids:
        for outcome in db.session.scalars(
            db.select(Outcome).where(Outcome.enrollment_id == enrollment_id)
        ):
            outcome.is_current = False
    db.session.commit()
    job_starts = cohort.end_on + timedelta(days=10)
    barrier = threading.Barrier(len(ids))
    errors: list[BaseException] = []

    def record(enrollment_id: int) -> None:
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                db.session.add(
                    Outcome(
                        enrollment_id=enrollment_id,
                        kind=OutcomeKind.EMPLOYED,
                        outcome_on=job_starts,
                    )
                )
                db.session.commit()
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=record, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    db.session.expire_all()
    assert tallies.check() == []
    row = db.session.get(CohortEmployment, cohort.id)
    assert row.employed_30d >= len(ids)


# --- the report page, by the page ----------------------------------------------------------


def _cohorts_with_completions(n, make_course, make_cohort, make_user, campus):
    course = make_course(campus=campus)
    for number in range(1, n + 1):
        end_on = TODAY - timedelta(days=400 - number)
        cohort = make_cohort(
            course=course,
            number=number,
            start_on=end_on - timedelta(days=120),
            end_on=end_on,
            recruit_start_on=end_on - timedelta(days=200),
            recruit_end_on=end_on - timedelta(days=130),
        )
        trainee = make_user(Role.TRAINEE, campus=campus)
        enrollment = Enrollment(
            cohort_id=cohort.id, user_id=trainee.id, status=EnrollmentStatus.COMPLETED
        )
        db.session.add(enrollment)
        db.session.flush()
        if number % 2:
            db.session.add(
                Outcome(
                    enrollment_id=enrollment.id,
                    kind=OutcomeKind.EMPLOYED,
                    outcome_on=end_on + timedelta(days=10),
                )
            )
    db.session.commit()


def _cohort_cells(page: str) -> list[str]:
    return [row[2] for row in table_rows(page)]


def test_the_report_by_cohort_pages_fifty_rows_and_totals_every_row(
    app, client, login_as, campus, make_course, make_cohort, make_user
):
    _cohorts_with_completions(57, make_course, make_cohort, make_user, campus)
    login_as(Role.ADMIN, locale="en")

    first = client.get("/reports/employment?by=cohort").get_data(as_text=True)
    cells = _cohort_cells(first)
    assert cells[:50] == [str(n) for n in range(1, 51)] and cells[50] == ""  # then the total

    total = table_rows(first)[-1]
    assert total[:6] == ["Total", "", "", "57", "0", "57"] and total[6] == "29"
    assert "Page 1 of 2" in first and "57 in all" in first

    second = client.get("/reports/employment?by=cohort&page=2").get_data(as_text=True)
    assert _cohort_cells(second)[:-1] == [str(n) for n in range(51, 58)]
    assert table_rows(second)[-1] == total  # the total covers every page
    # Past the end: the last page; not a number: the first.
    assert (
        _cohort_cells(client.get("/reports/employment?by=cohort&page=9").get_data(as_text=True))[0]
        == "51"
    )
    assert (
        _cohort_cells(client.get("/reports/employment?by=cohort&page=x").get_data(as_text=True))[0]
        == "1"
    )
    # Downloads carry every row.
    assert len(client.get("/reports/employment?by=cohort&format=json").get_json()) == 58
    # Hand-edited filters no form offers are left out, not a server error.
    for query in ("within_days=99999999", "year=99999", "year=0", "within_days=-3"):
        assert client.get(f"/reports/employment?by=cohort&{query}").status_code == 200


def test_the_report_page_runs_as_many_queries_for_many_cohorts_as_for_few(
    app, client, login_as, campus, make_course, make_cohort, make_user, count_queries
):
    login_as(Role.ADMIN, locale="en")
    counts = []
    for n in (2, 60):
        _cohorts_with_completions(n, make_course, make_cohort, make_user, campus)
        for by in ("campus", "cohort"):
            with count_queries() as queries:
                assert client.get(f"/reports/employment?by={by}&within_days=30").status_code == 200
            counts.append(queries())
    assert counts[:2] == counts[2:]
    assert max(counts) <= 10


# --- certifications ------------------------------------------------------------------------


def test_random_attempts_keep_the_exam_figures_equal_to_the_attempts(app, make_campus, make_user):
    from sesac_ms.models import CertificationAttempt, Exam, User
    from sesac_ms.reports import exam_tallies
    from sesac_ms.reports.services import certification_differences

    rng = random.Random(5)
    campuses = [make_campus(), make_campus()]
    exams = [Exam(name=f"시험 {n}") for n in range(3)]
    db.session.add_all(exams)
    people = [make_user(Role.TRAINEE, campus=rng.choice(campuses)) for _ in range(8)]
    db.session.commit()
    attempts: list[CertificationAttempt] = []
    for step in range(80):
        move = rng.randrange(6)
        if move <= 2 or not attempts:
            attempt = CertificationAttempt(
                user_id=rng.choice(people).id,
                exam_id=rng.choice(exams).id,
                exam_on=TODAY - timedelta(days=rng.randint(0, 10**4)),
                passed=rng.random() < 0.5,
            )
            db.session.add(attempt)
            attempts.append(attempt)
        elif move == 3:
            rng.choice(attempts).passed = rng.random() < 0.5
        elif move == 4:
            attempt = rng.choice(attempts)
            attempts.remove(attempt)
            db.session.delete(attempt)
        else:
            rng.choice(people).campus_id = rng.choice(campuses).id  # a trainee moves campus
        db.session.commit()
        if step % 20 == 19:
            assert exam_tallies.check(db.session.connection()) == []
            assert certification_differences() == []
    # A trainee deleted takes their attempts along (the database cascades).
    gone = db.session.get(User, attempts[0].user_id)
    attempts = [a for a in attempts if a.user_id != gone.id]
    db.session.delete(gone)
    db.session.commit()
    assert exam_tallies.check(db.session.connection()) == []
    assert certification_differences() == []
