"""Retention enforced for everything: `flask retention run` destroys exactly what has outlived
its period (nothing a day younger), anonymised trainees keep the reports of past cohorts
exact, a dry run changes nothing, the forecast of a month, the audit entry with the counts,
a failing category rolled back whole, the CLI and the admin page."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext

from sesac_ms import retention
from sesac_ms.auth.services import issue_password_link
from sesac_ms.clock import today_in_seoul
from sesac_ms.extensions import db
from sesac_ms.models import (
    Application,
    ApplicationScore,
    Attendance,
    AttendanceStatus,
    AuditEntry,
    CertificationAttempt,
    ClassDay,
    CoachingSession,
    Company,
    Enrollment,
    EnrollmentStatus,
    Exam,
    FollowUp,
    OutboxMessage,
    Outcome,
    OutcomeKind,
    Passkey,
    PasswordToken,
    PersonalDataAccess,
    Referral,
    RetentionCheck,
    RetentionResult,
    Role,
    SessionKind,
    SessionStatus,
    Stage,
    UploadedFile,
    User,
)
from sesac_ms.models.audit import AccessAction
from sesac_ms.models.types import utcnow
from sesac_ms.placements.services import OutcomeData, record_outcome
from sesac_ms.reports import tallies
from sesac_ms.reports.services import EmploymentFilters, employment_report, report_differences
from sesac_ms.retention.categories import audit_chain_installed
from sesac_ms.retention.days import start_of_day, years_before

# "Today" of the service-level runs: in the past, as the database refuses to delete a log
# entry younger than two years by the real clock (models/audit.py).
T = today_in_seoul() - timedelta(days=200)
F = date(2030, 3, 15)  # "today" of the forecasts, which change nothing
SECOND = timedelta(seconds=1)
SIMPLE = ("applicants", "session_notes", "uploaded_files", "outbox_messages")


def cohort_ending(make_cohort, end_on: date, **values):
    return make_cohort(
        recruit_start_on=end_on - timedelta(days=200),
        recruit_end_on=end_on - timedelta(days=190),
        start_on=values.pop("start_on", end_on - timedelta(days=180)),
        end_on=end_on,
        **values,
    )


def cohort_starting(make_cohort, start_on: date):
    return make_cohort(
        recruit_start_on=start_on - timedelta(days=40),
        recruit_end_on=start_on - timedelta(days=10),
        start_on=start_on,
        end_on=start_on + timedelta(days=150),
    )


def upload(uploader: User, created_at) -> UploadedFile:
    row = UploadedFile(
        kind="records",
        filename="records.csv",
        content=b"name,email\n",
        uploaded_by_id=uploader.id,
        created_at=created_at,
    )
    db.session.add(row)
    return row


def message(**values) -> OutboxMessage:
    row = OutboxMessage(recipient="someone@example.com", subject="안내", body="본문", **values)
    db.session.add(row)
    return row


def session_of(trainee: User, staff: User, cohort, ends_at, **values) -> CoachingSession:
    row = CoachingSession(
        cohort_id=cohort.id,
        trainee_id=trainee.id,
        staff_id=staff.id,
        kind=SessionKind.CAREER,
        status=SessionStatus.COMPLETED,
        starts_at=ends_at - timedelta(hours=1),
        ends_at=ends_at,
        **values,
    )
    db.session.add(row)
    return row


def audit_log_entry(at) -> AuditEntry:
    row = AuditEntry(
        at=at, actor_label="system", action="user.updated", object_type="User", changes={}
    )
    db.session.add(row)
    return row


# --- each category: older than its period destroyed, the boundary day kept ----------------


@pytest.fixture
def boundary_world(make_cohort, make_application, make_user):
    """For each simple category, one row a day past its period and one on its last day."""
    applicants_cut = T - timedelta(days=365)
    old = cohort_starting(make_cohort, applicants_cut - timedelta(days=1))
    last_day = cohort_starting(make_cohort, applicants_cut)
    rows = {
        "old_rejected": make_application(old, stage=Stage.REJECTED),
        "old_accepted": make_application(old, stage=Stage.ACCEPTED),
        "kept_rejected": make_application(last_day, stage=Stage.REJECTED),
    }
    staff = make_user(Role.COORDINATOR)
    # the trainee's cohort ends near T: the trainee is not due, only the notes are
    recent = cohort_ending(make_cohort, T - timedelta(days=10))
    trainee = make_user(Role.TRAINEE)
    db.session.add(Enrollment(cohort_id=recent.id, user_id=trainee.id))
    notes_cut = start_of_day(years_before(T, 3))
    rows["old_notes"] = session_of(
        trainee, staff, recent, notes_cut - SECOND, staff_notes="불안해함", summary="이력서 검토"
    )
    rows["kept_notes"] = session_of(trainee, staff, recent, notes_cut, staff_notes="면담 기록")
    rows["old_without_notes"] = session_of(
        trainee, staff, recent, notes_cut - timedelta(days=400), summary="요약"
    )
    uploads_cut = start_of_day(T - timedelta(days=30))
    rows["old_upload"] = upload(staff, uploads_cut - SECOND)
    rows["kept_upload"] = upload(staff, uploads_cut)
    outbox_cut = start_of_day(T - timedelta(days=90))
    long_ago = outbox_cut - timedelta(days=30)
    rows["old_sent"] = message(created_at=long_ago, sent_at=outbox_cut - SECOND)
    rows["old_given_up"] = message(created_at=long_ago, given_up_at=outbox_cut - SECOND)
    rows["kept_sent"] = message(created_at=long_ago, sent_at=outbox_cut)
    rows["still_waiting"] = message(created_at=long_ago, queued_at=long_ago)
    access_cut = start_of_day(T - timedelta(days=730))
    rows["old_audit"] = audit_log_entry(access_cut - SECOND)
    rows["kept_audit"] = audit_log_entry(access_cut)
    db.session.commit()
    return {name: (type(row), row.id) for name, row in rows.items()}


def exists(entry: tuple) -> bool:
    model, row_id = entry
    return db.session.get(model, row_id) is not None


def test_each_category_destroys_what_is_past_its_period_and_keeps_its_last_day(app, boundary_world):
    world = boundary_world
    expected = {"applicants": 1, "trainees": 0, "session_notes": 1}
    expected |= {"uploaded_files": 1, "outbox_messages": 2}
    forecast = retention.run(T, dry_run=True).counts

    result = retention.run(T)

    assert result.ok
    assert {k: result.counts[k] for k in expected} == expected
    assert {k: forecast[k] for k in expected} == expected  # the dry run counted the same
    db.session.expire_all()
    assert not exists(world["old_rejected"])
    assert exists(world["old_accepted"]) and exists(world["kept_rejected"])
    old_notes = db.session.get(CoachingSession, world["old_notes"][1])
    assert old_notes.staff_notes == "" and old_notes.summary == "이력서 검토"
    assert db.session.get(CoachingSession, world["kept_notes"][1]).staff_notes == "면담 기록"
    assert not exists(world["old_upload"]) and exists(world["kept_upload"])
    assert not exists(world["old_sent"]) and not exists(world["old_given_up"])
    assert exists(world["kept_sent"]) and exists(world["still_waiting"])
    if audit_chain_installed():
        assert not exists(world["old_audit"]) and exists(world["kept_audit"])
    else:
        assert result.counts["access_records"] is None  # not wired yet: left alone
        assert exists(world["old_audit"])

    again = retention.run(T)  # a second run the same day finds nothing left
    assert {k: again.counts[k] for k in expected} == dict.fromkeys(expected, 0)


def test_the_run_writes_one_audit_entry_with_the_counts_and_a_log_line_per_category(
    app, boundary_world, app_log
):
    retention.run(T)

    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "retention.run"))
    counts = {k: entry.changes[k] for k in (*SIMPLE, "trainees")}
    assert counts == {
        "applicants": 1,
        "session_notes": 1,
        "uploaded_files": 1,
        "outbox_messages": 2,
        "trainees": 0,
    }
    assert entry.actor_id is None and entry.object_id is None
    # counts, never contents
    assert "불안해함" not in str(entry.changes) and "@" not in str(entry.changes)
    logged = app_log.text
    assert "retention: uploaded_files: 1 destroyed" in logged
    assert f"retention run of {T}: applicants=1, trainees=0, session_notes=1" in logged
    # the applicant category keeps its own entry per cohort, naming the ids it destroyed
    assert db.session.scalar(
        db.select(sa.func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "applications.destroyed")
    )


# --- trainees: anonymised, the reports of past cohorts unchanged ---------------------------


@pytest.fixture
def graduates(app, make_cohort, make_user, make_application, campus):
    """Trainees of a cohort that ended the day before their retention's boundary, with
    everything the app keeps about them, and trainees still kept."""
    today = today_in_seoul()
    cut = years_before(today, 5)
    old = cohort_ending(make_cohort, cut - timedelta(days=1))
    boundary = cohort_ending(make_cohort, cut)
    staff = make_user(Role.COORDINATOR)
    company = Company(campus_id=campus.id, name="한빛제조")
    exam = Exam(name="AI-900")
    class_day = ClassDay(cohort_id=old.id, day=old.end_on - timedelta(days=3))
    db.session.add_all([company, exam, class_day])
    db.session.flush()

    def trainee(cohort, status, name, **values):
        person = make_user(Role.TRAINEE, name=name, phone="010-1234-5678", **values)
        enrollment = Enrollment(
            cohort_id=cohort.id,
            user_id=person.id,
            status=status,
            status_on=cohort.end_on,
            status_note="개인 사정으로 중도 포기" if status == EnrollmentStatus.DROPPED else "",
        )
        db.session.add(enrollment)
        db.session.flush()
        return person, enrollment

    employed, employed_at = trainee(old, EnrollmentStatus.COMPLETED, "김취업")
    excluded, excluded_at = trainee(old, EnrollmentStatus.COMPLETED, "이입대")
    dropped, _ = trainee(old, EnrollmentStatus.DROPPED, "박중도")
    returning, _ = trainee(old, EnrollmentStatus.COMPLETED, "최재수강")  # back in a later one
    db.session.add(Enrollment(cohort_id=boundary.id, user_id=returning.id))
    recent, recent_at = trainee(boundary, EnrollmentStatus.COMPLETED, "정최근")
    job = record_outcome(
        None,
        employed_at,
        OutcomeData(
            OutcomeKind.EMPLOYED,
            old.end_on + timedelta(days=20),
            company="한빛제조",
            job_title="데이터 분석가",
            salary_band="3000_3600",
            evidence="재직증명서 2026-08",
        ),
    )
    record_outcome(
        None,
        excluded_at,
        OutcomeData(
            OutcomeKind.EXCLUDED, old.end_on + timedelta(days=10), exclusion_reason="military"
        ),
    )
    record_outcome(
        None,
        recent_at,
        OutcomeData(OutcomeKind.FOUNDED, boundary.end_on + timedelta(days=5), company="정랩"),
    )
    db.session.add_all(
        [
            RetentionCheck(
                outcome_id=job.id,
                months=6,
                checked_on=job.outcome_on + timedelta(days=183),
                result=RetentionResult.STILL_EMPLOYED,
                note="팀장 통화",
            ),
            Attendance(
                enrollment_id=employed_at.id,
                class_day_id=class_day.id,
                status=AttendanceStatus.EXCUSED,
                note="병원 진료",
            ),
            Referral(
                enrollment_id=employed_at.id,
                company_id=company.id,
                sharing_consent_at=utcnow(),
                note="적극 추천",
            ),
            CertificationAttempt(
                user_id=employed.id, exam_id=exam.id, exam_on=old.end_on, passed=True, score=800
            ),
            Passkey(user_id=employed.id, name="열쇠", credential_id=b"c-1", public_key=b"k"),
        ]
    )
    meeting = session_of(
        employed,
        staff,
        old,
        start_of_day(old.end_on),
        summary="포트폴리오 검토",
        staff_notes="자신감 부족",
        links="https://portfolio.example/kim",
    )
    db.session.flush()
    db.session.add(FollowUp(session_id=meeting.id, text="이력서 고치기"))
    application = make_application(old, email=employed.email, stage=Stage.ENROLLED)
    application.user_id = employed.id
    employed_at.application_id = application.id
    db.session.add(
        ApplicationScore(
            application_id=application.id,
            stage=Stage.INTERVIEW,
            evaluator_id=staff.id,
            evaluator_label="평가자",
            score=90,
            comment="성실함",
        )
    )
    issue_password_link(dropped)
    # a trainee account never enrolled: kept for the period from its creation
    never = make_user(Role.TRAINEE, name="등록안함")
    never.created_at = start_of_day(cut) - SECOND
    never_kept = make_user(Role.TRAINEE, name="등록안함2")
    never_kept.created_at = start_of_day(cut)
    db.session.commit()
    return {
        "destroyed": [employed, excluded, dropped, never],
        "kept": [returning, recent, never_kept, staff],
        "employed": employed,
        "employed_at": employed_at,
        "application": application,
        "meeting": meeting,
        "today": today,
    }


def report_rows(today: date) -> list[tuple]:
    return [
        tuple(row.as_dict().values())
        for by in ("campus", "course", "cohort")
        for row in employment_report(EmploymentFilters(by=by), today)
    ]


def test_trainees_past_their_retention_are_anonymised_and_the_reports_stay_exact(
    app, runner, graduates
):
    today = graduates["today"]
    application_id, meeting_id = graduates["application"].id, graduates["meeting"].id
    before = report_rows(today)
    kept_before = {u.id: (u.name, u.email, u.phone) for u in graduates["kept"]}
    assert retention.category("trainees").count_due(today) == 4

    result = retention.run(today)

    assert result.ok and result.counts["trainees"] == 4
    db.session.expire_all()
    for person in graduates["destroyed"]:
        user = db.session.get(User, person.id)
        assert user.name == f"#{user.id}"
        assert user.email == f"destroyed-{user.id}@destroyed.invalid"
        assert user.phone is None and user.password_hash is None and not user.active
        assert user.role == Role.TRAINEE and user.campus_id is not None
    for person in graduates["kept"]:
        user = db.session.get(User, person.id)
        assert (user.name, user.email, user.phone) == kept_before[user.id]
    employed = graduates["employed"]
    assert db.session.get(Application, application_id) is None
    assert not db.session.scalars(db.select(ApplicationScore)).all()
    enrollment = db.session.get(Enrollment, graduates["employed_at"].id)
    assert enrollment.status == EnrollmentStatus.COMPLETED and enrollment.application_id is None
    assert (
        db.session.scalar(
            db.select(sa.func.count()).select_from(Enrollment).where(Enrollment.status_note != "")
        )
        == 0
    )
    outcome = db.session.scalar(
        db.select(Outcome).where(Outcome.enrollment_id == enrollment.id, Outcome.is_current)
    )
    assert outcome.kind == OutcomeKind.EMPLOYED and outcome.company == "한빛제조"
    assert outcome.job_title is None and outcome.salary_band is None and outcome.evidence == ""
    assert db.session.scalar(db.select(RetentionCheck.note)) == ""
    assert db.session.scalar(db.select(Attendance)).status == AttendanceStatus.EXCUSED
    assert db.session.scalar(db.select(Attendance.note)) == ""
    assert db.session.scalar(db.select(Referral.note)) == ""
    meeting = db.session.get(CoachingSession, meeting_id)
    assert (meeting.summary, meeting.staff_notes, meeting.links) == ("", "", "")
    assert meeting.status == SessionStatus.COMPLETED
    assert not db.session.scalars(db.select(FollowUp)).all()
    assert not db.session.scalars(db.select(Passkey).where(Passkey.user_id == employed.id)).all()
    assert not db.session.scalars(db.select(PasswordToken)).all()
    assert db.session.scalar(db.select(CertificationAttempt)).user_id == employed.id

    # the figures of past cohorts: unchanged, and still equal to a recount of the records
    assert report_rows(today) == before
    assert tallies.check() == [] and report_differences(today) == []
    checked = runner.invoke(args=["report", "check"])
    assert checked.exit_code == 0, checked.output
    assert retention.run(today).counts["trainees"] == 0  # nobody is destroyed twice


def test_an_anonymised_trainee_cannot_log_in(app, client, graduates):
    retention.run(graduates["today"])
    user = db.session.get(User, graduates["employed"].id)

    response = client.post("/auth/login", data={"email": user.email, "password": "x" * 12})

    assert response.status_code == 200  # the form again, no session


# --- a failure rolls its category back whole; the others are done --------------------------


@pytest.fixture
def refusing_account_updates(app):
    """The database refuses any change of a user's e-mail: the trainee category's last
    statement fails after its earlier ones ran."""
    if db.engine.dialect.name == "postgresql":
        create = [
            "CREATE FUNCTION refuse_email_change() RETURNS trigger AS "
            "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_email_change BEFORE UPDATE OF email ON users "
            "FOR EACH ROW EXECUTE FUNCTION refuse_email_change()",
        ]
        drop = [
            "DROP TRIGGER IF EXISTS refuse_email_change ON users",
            "DROP FUNCTION IF EXISTS refuse_email_change()",
        ]
    else:
        create = [
            "CREATE TRIGGER refuse_email_change BEFORE UPDATE OF email ON users "
            "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        ]
        drop = ["DROP TRIGGER IF EXISTS refuse_email_change"]
    for statement in create:
        db.session.execute(sa.text(statement))
    db.session.commit()
    yield
    db.session.rollback()
    for statement in drop:
        db.session.execute(sa.text(statement))
    db.session.commit()


def test_a_failing_category_is_rolled_back_whole_and_the_others_still_run(
    app, graduates, make_user, refusing_account_updates
):
    today = graduates["today"]
    old_upload = upload(make_user(Role.MANAGER), start_of_day(today - timedelta(days=60)))
    db.session.commit()
    upload_id = old_upload.id

    result = retention.run(today)

    assert set(result.failed) == {"trainees"} and not result.ok
    assert result.counts["uploaded_files"] == 1
    db.session.expire_all()
    assert db.session.get(UploadedFile, upload_id) is None
    # nothing of the trainees' destruction stayed: their application, notes, follow-ups
    assert db.session.get(Application, graduates["application"].id) is not None
    meeting = db.session.get(CoachingSession, graduates["meeting"].id)
    assert meeting.summary == "포트폴리오 검토"  # (its staff notes: 3 years, so they went)
    assert db.session.scalars(db.select(FollowUp)).all()
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "retention.run"))
    assert "trainees" not in entry.changes and entry.changes["uploaded_files"] == 1


# --- the forecast of a month ---------------------------------------------------------------


def test_the_forecast_counts_what_the_runs_of_the_month_will_destroy(app, make_user):
    uploader = make_user(Role.MANAGER)
    # 30 days kept: an upload of day X goes with the run of X + 31 days
    for day in (date(2030, 1, 2), date(2030, 2, 28), date(2030, 3, 1), date(2030, 3, 30)):
        upload(uploader, start_of_day(day) + timedelta(hours=9))
    upload(uploader, start_of_day(date(2030, 3, 31)))  # goes on 1 May
    db.session.commit()

    april = retention.month_forecast(date(2030, 4, 1), today=F)
    march = retention.month_forecast(date(2030, 3, 1), today=F)

    assert april["uploaded_files"] == 2  # 1 and 30 March
    # this month: what falls due by its end, and what is due already but not destroyed yet
    assert march["uploaded_files"] == 2  # 2 January (overdue) and 28 February
    assert set(april) == {c.key for c in retention.CATEGORIES}
    with pytest.raises(ValueError):
        retention.month_forecast(date(2030, 2, 1), today=F)


# --- the CLI -------------------------------------------------------------------------------


@pytest.fixture
def due_today(app, make_user):
    today = today_in_seoul()
    uploader = make_user(Role.MANAGER)
    upload(uploader, start_of_day(today - timedelta(days=31)))
    message(sent_at=start_of_day(today - timedelta(days=91)))
    db.session.commit()
    return today


def _counted(table) -> int:
    return db.session.scalar(db.select(sa.func.count()).select_from(table))


def test_a_dry_run_prints_what_would_go_and_changes_nothing(runner, due_today):
    result = runner.invoke(args=["retention", "run", "--dry-run"])

    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines() if line.strip()}
    assert lines["uploaded_files"].split()[1] == "1" and "would be destroyed" in result.output
    assert lines["outbox_messages"].split()[1] == "1"
    assert "UPLOAD_RETENTION_DAYS" in lines["uploaded_files"]
    assert "nothing was changed" in result.output
    assert _counted(UploadedFile) == 1 and _counted(OutboxMessage) == 1
    assert not db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "retention.run"))


def test_the_run_command_destroys_prints_the_counts_and_audits_them(runner, due_today):
    result = runner.invoke(args=["retention", "run"])

    assert result.exit_code == 0, result.output
    assert "uploaded_files" in result.output and "1 destroyed" in result.output
    if not audit_chain_installed():
        assert "access_records" in result.output and "skipped" in result.output
    assert _counted(UploadedFile) == 0 and _counted(OutboxMessage) == 0
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "retention.run"))
    assert entry.changes["uploaded_files"] == 1 and entry.changes["outbox_messages"] == 1


def test_the_old_purge_command_still_destroys_unselected_applicants(runner):
    result = runner.invoke(args=["applications", "purge-expired"])

    assert result.exit_code == 0 and "0 application(s) destroyed" in result.output


def test_a_bad_period_refuses_to_run_and_destroys_nothing(app, runner, due_today):
    app.config["UPLOAD_RETENTION_DAYS"] = 0
    app.config["TRAINEE_RETENTION_YEARS"] = "five"

    result = runner.invoke(args=["retention", "run"])

    assert result.exit_code == 1
    assert "UPLOAD_RETENTION_DAYS=0" in result.output and "TRAINEE_RETENTION_YEARS" in result.output
    assert _counted(UploadedFile) == 1 and _counted(OutboxMessage) == 1


def test_the_periods_come_from_the_environment(make_app, monkeypatch):
    monkeypatch.setenv("SESAC_TRAINEE_RETENTION_YEARS", "7")
    monkeypatch.setenv("SESAC_OUTBOX_RETENTION_DAYS", "30")
    app = make_app()
    with app.app_context():
        assert retention.category("trainees").cutoff(F) == date(2023, 3, 15)
        assert retention.category("outbox_messages").cutoff(F) == date(2030, 2, 13)


def test_the_report_command_forecasts_a_month(runner, make_user):
    today = today_in_seoul()
    upload(make_user(Role.MANAGER), start_of_day(today))  # goes 31 days from today
    db.session.commit()
    month = today + timedelta(days=31)

    result = runner.invoke(args=["retention", "report", "--month", f"{month:%Y-%m}"])

    assert result.exit_code == 0, result.output
    assert f"To be destroyed in {month:%Y-%m}" in result.output
    lines = {line.split()[0]: line for line in result.output.splitlines()[1:]}
    assert lines["uploaded_files"].split()[1] == "1"
    assert set(lines) == {c.key for c in retention.CATEGORIES}

    default = runner.invoke(args=["retention", "report"])
    following = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    assert f"To be destroyed in {following:%Y-%m}" in default.output

    assert runner.invoke(args=["retention", "report", "--month", "2000-01"]).exit_code == 2
    assert runner.invoke(args=["retention", "report", "--month", "next"]).exit_code == 2


# --- the admin page ------------------------------------------------------------------------


def _text(response) -> str:
    return unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("locale", ["ko", "en"])
def test_the_admin_page_shows_the_table_the_forecast_and_the_last_run(
    app, client, login_as, make_user, locale
):
    login_as(Role.ADMIN, locale=locale)
    today = today_in_seoul()
    upload(make_user(Role.MANAGER), start_of_day(today))
    db.session.commit()
    month = today + timedelta(days=31)

    before = _text(client.get("/admin/retention"))
    page = _text(client.get(f"/admin/retention?month={month:%Y-%m}"))
    retention.run(today)
    after = _text(client.get("/admin/retention"))

    with app.test_request_context(), force_locale(locale):
        for each in retention.CATEGORIES:
            assert str(each.label) in page and str(each.meaning) in page
            assert each.period() in page
        uploads = str(retention.category("uploaded_files").label)
        not_yet = gettext(
            'The retention job has not run yet. Schedule it daily: see the README, "Retention".'
        )
    assert not_yet in before and not_yet not in after
    counted = re.search(re.escape(uploads) + r'</th>.*?class="text-end">(\d+)</td>', page, re.S)
    assert counted and counted.group(1) == "1"
    assert f"{month:%Y-%m}" in page


def test_a_month_already_over_is_refused_beside_its_field(client, login_as):
    login_as(Role.ADMIN, locale="en")

    page = _text(client.get("/admin/retention?month=2000-01"))
    bad = _text(client.get("/admin/retention?month=13-2026"))

    assert "Choose this month or a later one." in page
    assert 'aria-invalid="true"' in page
    assert "Give a month as YYYY-MM." in bad


@pytest.mark.parametrize("role", [Role.MANAGER, Role.COORDINATOR, Role.MENTOR, Role.TRAINEE])
def test_only_admins_see_the_retention_page(client, login_as, role):
    login_as(role)

    assert client.get("/admin/retention").status_code == 403
    assert "/admin/retention" not in _text(client.get("/"))


def test_the_access_log_counts_both_logs(app):
    cut = start_of_day(T - timedelta(days=730))
    audit_log_entry(cut - SECOND)
    audit_log_entry(cut)
    db.session.add(
        PersonalDataAccess(
            at=cut - SECOND,
            actor_label="system",
            action=AccessAction.VIEW,
            subject_type="User",
            subject_label="someone",
        )
    )
    db.session.add(
        PersonalDataAccess(
            at=cut,
            actor_label="system",
            action=AccessAction.VIEW,
            subject_type="User",
            subject_label="someone",
        )
    )
    db.session.commit()

    assert retention.category("access_records").count_due(T) == 2
    if audit_chain_installed():  # the logs' own count agrees
        from sesac_ms.audit_chain import count_prunable

        assert sum(count_prunable(start_of_day(T)).values()) == 2
