"""Importing trainee records and certification attempts (docs/formats.md), web and CLI.

One small records file, written the ways campus staff save it (UTF-8, UTF-8 with a BOM,
CP949; Korean or English headers in any order; XLSX with real date cells), is imported
and what is stored is checked against a hand count: enrollments, outcomes, accounts, new
campus, course and cohorts, and the employment report. A second import changes nothing;
a file with errors is refused whole, naming every bad row and column.
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta
from html import unescape

import pytest
import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import force_locale
from openpyxl import Workbook

from sesac_ms.applications.services import today_in_seoul
from sesac_ms.clock import SEOUL
from sesac_ms.extensions import db
from sesac_ms.imports import uploads
from sesac_ms.imports.reader import CellError
from sesac_ms.models import (
    AuditEntry,
    Campus,
    CertificationAttempt,
    Cohort,
    CohortStatus,
    Course,
    DropReason,
    EmploymentType,
    Enrollment,
    EnrollmentStatus,
    Exam,
    ExclusionReason,
    OutboxMessage,
    Outcome,
    OutcomeKind,
    Role,
    Track,
    UploadedFile,
    User,
)
from sesac_ms.placements import importing
from sesac_ms.reports.services import EmploymentFilters, certification_report, employment_report

COURSE = "AI 활용 데이터분석 취업캠프"
KEYS = [
    "campus",
    "course",
    "cohort",
    "cohort_start",
    "cohort_end",
    "name",
    "email",
    "phone",
    "birth_date",
    "status",
    "status_date",
    "outcome",
    "company",
    "job_title",
    "industry",
    "employment_type",
    "insured",
    "outcome_date",
    "exclusion_reason",
    "sensitive_consent",
]
KOREAN = {column.key: column.korean for column in importing.RECORD_COLUMNS}
DATE_KEYS = {
    "cohort_start",
    "cohort_end",
    "birth_date",
    "status_date",
    "outcome_date",
    "sensitive_consent",
}


@pytest.fixture(autouse=True)
def english(app):
    """Messages in English, whatever the catalogs say; the users below choose English too."""
    with force_locale("en"):
        yield


@pytest.fixture
def world(app, campus, make_campus, make_course, make_cohort, make_user):
    """구로 with a finished cohort 1 of COURSE, 마포 with no course yet, one known trainee."""
    mapo = make_campus("마포", name_en="Mapo", district="마포구", opening_order=3)
    course = make_course(campus=campus, title=COURSE)
    cohort = make_cohort(
        course=course,
        number=1,
        status=CohortStatus.FINISHED,
        recruit_start_on=date(2025, 1, 6),
        recruit_end_on=date(2025, 2, 14),
        start_on=date(2025, 3, 3),
        end_on=date(2025, 8, 29),
    )
    choi = make_user("trainee", email="choi@example.com", name="최유리")
    return {"guro": campus, "mapo": mapo, "cohort": cohort, "choi": choi}


def record_rows() -> list[dict[str, object]]:
    """The trainee-records file: rows 2–10 as the spreadsheet numbers them."""
    today = today_in_seoul()
    start, end = today - timedelta(days=60), today + timedelta(days=60)
    rows = [
        dict(campus="구로", course=COURSE, cohort="1기", name="김하늘",
             email="sky@example.com", phone="010-1234-5678", birth_date="1999-03-14",
             status="수료", status_date="2025-08-29", outcome="취업", company="한빛소프트",
             job_title="데이터 분석가", industry="게임", employment_type="정규직", insured="Y",
             outcome_date="2025-09-15"),
        dict(campus="Guro", course=COURSE, cohort="1", name="이민", email="Min@Example.com",
             phone="01098765432", status="completed", status_date="2025.08.29",
             outcome="founded", company="민스튜디오", industry="컨설팅",
             outcome_date="2025/10/01"),
        dict(campus="구로", course=COURSE, cohort="1기", name="박서준", email="park@example.com",
             status="수료", status_date="20250829", outcome="취업제외",
             outcome_date="2025-09-01", exclusion_reason="진학"),
        dict(campus="구로", course=COURSE, cohort="1기", name="최유리", email="choi@example.com",
             status="중도탈락", status_date="2025-05-10"),
        dict(campus="구로", course=COURSE, cohort="1기", name="정우성", email="jung@example.com",
             status="수료", status_date="2025-08-29"),
        dict(campus="마포", course="AI 엔지니어 과정", cohort="2기", cohort_start="2025-02-03",
             cohort_end="2025-07-31", name="한지민", email="han@example.com", status="수료",
             status_date="2025-07-31", outcome="employed", company="마이크로소프트 파트너",
             job_title="AI 엔지니어", industry="컨설팅", employment_type="contract",
             insured="N", outcome_date="2025-08-20"),
        dict(campus="마포", course="AI 엔지니어 과정", cohort="2", cohort_start="2025-02-03",
             cohort_end="2025-07-31", name="오세훈", email="oh@example.com",
             status="completed", status_date="2025-07-31", outcome="취업",
             company="에너지솔루션", industry="에너지", employment_type="인턴",
             outcome_date="2025-12-01"),
        dict(campus="종로", course="Smart AI Master 과정", cohort="1기",
             cohort_start=start.isoformat(), cohort_end=end.isoformat(), name="윤아",
             email="yoona@example.com", status="교육중"),
        dict(campus="종로", course="Smart AI Master 과정", cohort="1", name="강다니엘",
             email="daniel@example.com", status="in_training"),
    ]  # fmt: skip
    return [{key: row.get(key, "") for key in KEYS} for row in rows]


def csv_bytes(header: list[str], rows: list[list[object]], encoding: str = "utf-8") -> bytes:
    lines = [",".join(header)] + [",".join(f'"{cell}"' for cell in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_bytes(header: list[str], rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def as_date(text: object) -> object:
    """A date cell's value as Excel holds it (a real date), from any form of the file."""
    if not text:
        return None
    digits = re.sub(r"\D", "", str(text))
    return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))


def records_file(kind: str, rows: list[dict[str, object]] | None = None) -> tuple[str, bytes]:
    """The records file as `kind`: Korean headers (utf-8, cp949), English headers in
    another order (utf-8-bom, xlsx); the XLSX holds real dates and number cells."""
    rows = record_rows() if rows is None else rows
    english = kind in ("utf-8-bom", "xlsx")
    keys = list(reversed(KEYS)) if english else KEYS
    header = keys if english else [KOREAN[key] for key in keys]
    if kind == "xlsx":
        cells = []
        for row in rows:
            values = dict(row)
            for key in DATE_KEYS:
                values[key] = as_date(values[key])
            values["cohort"] = int(re.sub(r"\D", "", str(values["cohort"])))
            if values["phone"]:
                values["phone"] = int(re.sub(r"\D", "", str(values["phone"])))  # 1012345678
            cells.append([values[key] for key in keys])
        return "교육생이력.xlsx", xlsx_bytes(header, cells)
    encoding = {"utf-8": "utf-8", "utf-8-bom": "utf-8-sig", "cp949": "cp949"}[kind]
    return "교육생이력.csv", csv_bytes(header, [[row[k] for k in keys] for row in rows], encoding)


FORMATS = ["utf-8", "utf-8-bom", "cp949", "xlsx"]


def url(endpoint: str, **values) -> str:
    with current_app.test_request_context():
        return url_for(endpoint, **values)


def upload(client, endpoint: str, filename: str, content: bytes):
    return client.post(
        url(endpoint),
        data={"file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def last_upload() -> UploadedFile | None:
    return db.session.scalar(db.select(UploadedFile).order_by(UploadedFile.id.desc()))


def confirm(client, upload_id: int):
    return client.post(url("placements.confirm_import", upload_id=upload_id))


def flashes(client) -> list[str]:
    with client.session_transaction() as session:
        return [message for _category, message in session.get("_flashes", [])]


def error_cells(html: str) -> set[tuple[str, str]]:
    """(row, column) of every line of the preview's error table."""
    table = html.split('id="import-errors"', 1)[1].split("</table>", 1)[0]
    return {
        (row, unescape(column))
        for row, column, _ in re.findall(
            r"<tr><td[^>]*>(.*?)</td><td[^>]*>(.*?)</td><td[^>]*>(.*?)</td></tr>", table
        )
    }


def count(model) -> int:
    return db.session.scalar(db.select(sa.func.count()).select_from(model))


def counts() -> dict[str, int]:
    db.session.expire_all()
    return {
        model.__name__: count(model)
        for model in (
            Campus,
            Course,
            Cohort,
            User,
            Enrollment,
            Outcome,
            AuditEntry,
            CertificationAttempt,
            Exam,
            UploadedFile,
            OutboxMessage,
        )
    }


def write(tmp_path, filename: str, content: bytes) -> str:
    path = tmp_path / filename
    path.write_bytes(content)
    return str(path)


def cli_import(runner, tmp_path, filename: str, content: bytes, command="import-records"):
    return runner.invoke(args=[command, write(tmp_path, filename, content)])


def enrollment_of(email: str) -> Enrollment:
    return db.session.scalar(db.select(Enrollment).join(Enrollment.user).where(User.email == email))


def outcome_of(email: str) -> Outcome | None:
    return db.session.scalar(
        db.select(Outcome)
        .join(Enrollment, Enrollment.id == Outcome.enrollment_id)
        .join(User, User.id == Enrollment.user_id)
        .where(User.email == email, Outcome.is_current)
    )


def check_stored(world) -> None:
    """What the file holds, counted by hand."""
    db.session.expire_all()
    statuses = dict(
        db.session.execute(
            db.select(Enrollment.status, sa.func.count()).group_by(Enrollment.status)
        ).all()
    )
    assert statuses == {
        EnrollmentStatus.COMPLETED: 6,
        EnrollmentStatus.DROPPED: 1,
        EnrollmentStatus.ENROLLED: 2,
    }
    kinds = dict(
        db.session.execute(db.select(Outcome.kind, sa.func.count()).group_by(Outcome.kind)).all()
    )
    assert kinds == {OutcomeKind.EMPLOYED: 3, OutcomeKind.FOUNDED: 1, OutcomeKind.EXCLUDED: 1}
    assert count(Outcome) == 5  # one each: no history yet

    sky = outcome_of("sky@example.com")
    assert (sky.company, sky.job_title, sky.industry, sky.outcome_on) == (
        "한빛소프트",
        "데이터 분석가",
        "게임",
        date(2025, 9, 15),
    )
    assert (sky.employment_type, sky.insured, sky.source) == (
        EmploymentType.PERMANENT,
        True,
        "import",
    )
    assert outcome_of("min@example.com").kind == OutcomeKind.FOUNDED
    park = outcome_of("park@example.com")
    assert (park.kind, park.exclusion_reason, park.company) == (
        OutcomeKind.EXCLUDED,
        ExclusionReason.FURTHER_STUDY,
        None,
    )
    han = outcome_of("han@example.com")
    assert (han.employment_type, han.insured) == (EmploymentType.CONTRACT, False)
    oh = outcome_of("oh@example.com")
    assert (oh.employment_type, oh.insured) == (EmploymentType.INTERN, True)  # default Y
    assert outcome_of("jung@example.com") is None

    choi = enrollment_of("choi@example.com")
    assert (choi.status, choi.status_on, choi.drop_reason) == (
        EnrollmentStatus.DROPPED,
        date(2025, 5, 10),
        DropReason.OTHER,
    )
    assert choi.user_id == world["choi"].id and choi.cohort_id == world["cohort"].id
    sky_enrollment = enrollment_of("sky@example.com")
    assert (sky_enrollment.status_on, sky_enrollment.cohort_id) == (
        date(2025, 8, 29),
        world["cohort"].id,
    )
    assert enrollment_of("yoona@example.com").status_on is None

    # The new campus, courses and cohorts, made from the rows.
    jongno = db.session.scalar(db.select(Campus).where(Campus.name_ko == "종로"))
    assert (jongno.name_en, jongno.district) == ("종로", "")
    assert count(Campus) == 3
    mapo_course = db.session.scalar(db.select(Course).where(Course.campus_id == world["mapo"].id))
    assert (mapo_course.title, mapo_course.track) == ("AI 엔지니어 과정", Track.AI_CORE_SW)
    mapo_cohort = db.session.scalar(db.select(Cohort).where(Cohort.course_id == mapo_course.id))
    assert (mapo_cohort.number, mapo_cohort.start_on, mapo_cohort.end_on) == (
        2,
        date(2025, 2, 3),
        date(2025, 7, 31),
    )
    assert (mapo_cohort.status, mapo_cohort.capacity) == (CohortStatus.FINISHED, 2)
    assert mapo_cohort.recruit_start_on == mapo_cohort.recruit_end_on == date(2025, 2, 3)
    jongno_cohort = enrollment_of("yoona@example.com").cohort
    assert jongno_cohort.course.campus_id == jongno.id
    assert jongno_cohort.course.title == "Smart AI Master 과정"
    assert (jongno_cohort.status, jongno_cohort.capacity) == (CohortStatus.IN_PROGRESS, 2)
    assert jongno_cohort.start_on == today_in_seoul() - timedelta(days=60)
    assert enrollment_of("daniel@example.com").cohort_id == jongno_cohort.id

    # Accounts: eight new trainees of the row's campus, no password, no mail; 최유리 kept.
    trainees = db.session.scalars(db.select(User).where(User.role == Role.TRAINEE)).all()
    assert len(trainees) == 9
    new = [user for user in trainees if user.id != world["choi"].id]
    assert all(user.password_hash is None for user in new)
    by_email = {user.email: user for user in trainees}
    assert by_email["min@example.com"].name == "이민"
    assert by_email["han@example.com"].campus_id == world["mapo"].id
    assert by_email["daniel@example.com"].campus_id == jongno.id
    assert count(OutboxMessage) == 0

    # The employment report of formats.md gives the hand-counted figures.
    report = {
        row.campus: (row.completed, row.excluded, row.target, row.employed, row.founded, row.rate)
        for row in employment_report(EmploymentFilters(by="campus"))
    }
    assert report == {
        "마포": (2, 0, 2, 2, 0, 100.0),
        "구로": (4, 1, 3, 1, 1, 66.7),
        "": (6, 1, 5, 3, 1, 80.0),  # the total row
    }


# --- the cell parsers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"), [("3", 3), ("3기", 3), (" 12 기", 12), ("제3기", 3)]
)
def test_a_cohort_is_a_number_with_or_without_기(app, value, expected):
    assert importing.parse_cohort_number(value) == expected


@pytest.mark.parametrize("value", ["0", "3반", "삼기", "3.5", "-1"])
def test_other_cohort_numbers_are_refused(app, value):
    with pytest.raises(CellError, match="such as 3"):
        importing.parse_cohort_number(value)


# --- trainee records -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", FORMATS)
def test_an_admin_imports_the_records_file_in_every_format(client, login_as, world, kind):
    admin = login_as("admin", locale="en")
    before = counts()
    filename, content = records_file(kind)

    response = upload(client, "placements.import_records", filename, content)
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert 'id="import-errors"' not in html, html
    assert "New: 9" in html and "Updated: 0" in html
    assert "Campus 종로" in html and "8 trainee account(s)" in html
    assert "Cohort 2 of “AI 엔지니어 과정” at 마포: 2025-02-03 – 2025-07-31" in html
    stored = last_upload()
    assert (stored.kind, stored.target_id, stored.uploaded_by_id) == ("records", None, admin.id)
    assert url("placements.confirm_import", upload_id=stored.id) in html
    assert counts() == {**before, "UploadedFile": before["UploadedFile"] + 1}  # nothing else

    response = confirm(client, stored.id)
    assert response.status_code == 302
    assert response.location.endswith(url("placements.import_records"))
    assert any("9 new, 0 updated, 0 unchanged" in m for m in flashes(client))
    check_stored(world)
    db.session.refresh(stored)
    assert stored.imported_at is not None and stored.content == b""
    entry = db.session.scalar(
        db.select(AuditEntry).where(AuditEntry.action == "placements.records_imported")
    )
    assert (entry.actor_id, entry.object_id) == (admin.id, stored.id)
    assert entry.changes["created"] == 9 and entry.changes["accounts"] == 8
    outcome_entry = db.session.scalar(
        db.select(AuditEntry).where(AuditEntry.action == "outcome.recorded").limit(1)
    )
    assert outcome_entry.actor_id == admin.id


@pytest.mark.parametrize("kind", FORMATS)
def test_the_cli_imports_the_records_file_in_every_format(runner, tmp_path, world, kind):
    result = cli_import(runner, tmp_path, *records_file(kind))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        "created 9, updated 0, unchanged 0 "
        "(new: 1 campus(es), 2 course(s), 2 cohort(s), 8 trainee account(s))"
    )
    check_stored(world)
    entry = db.session.scalar(
        db.select(AuditEntry).where(AuditEntry.action == "roster.enrolled").limit(1)
    )
    assert (entry.actor_id, entry.actor_label) == (None, "system")


def test_importing_the_same_records_twice_changes_nothing(runner, tmp_path, world):
    filename, content = records_file("xlsx")
    assert cli_import(runner, tmp_path, filename, content).exit_code == 0
    after_first = counts()

    result = cli_import(runner, tmp_path, *records_file("cp949"))  # the same rows, as CSV
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("created 0, updated 0, unchanged 9 (new: 0 campus(es)")
    assert counts() == after_first
    check_stored(world)


def test_uploading_the_same_records_again_offers_nothing_to_import(client, login_as, world):
    login_as("admin", locale="en")
    filename, content = records_file("utf-8")
    upload(client, "placements.import_records", filename, content)
    confirm(client, last_upload().id)
    after_first = counts()

    html = upload(client, "placements.import_records", filename, content).get_data(as_text=True)
    assert "Unchanged: 9" in html and "Nothing to import" in html
    assert "/confirm" not in html
    assert counts() == after_first  # not even the upload is kept
    check_stored(world)


def test_a_changed_file_updates_only_what_changed_and_keeps_outcome_history(
    runner, tmp_path, world
):
    assert cli_import(runner, tmp_path, *records_file("utf-8")).exit_code == 0
    before = counts()
    rows = record_rows()
    rows[0]["company"] = "한빛소프트 AI"  # 김하늘 changed job
    rows[4].update(outcome="취업", company="그린에너지", outcome_date="2025-10-01")  # 정우성
    result = cli_import(runner, tmp_path, *records_file("utf-8", rows))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("created 0, updated 2, unchanged 7")
    db.session.expire_all()
    assert count(Outcome) == before["Outcome"] + 2
    assert outcome_of("sky@example.com").company == "한빛소프트 AI"
    history = db.session.scalars(
        db.select(Outcome).where(Outcome.enrollment_id == enrollment_of("sky@example.com").id)
    ).all()
    assert sorted((o.company, o.is_current) for o in history) == [
        ("한빛소프트", False),
        ("한빛소프트 AI", True),
    ]
    assert outcome_of("jung@example.com").company == "그린에너지"
    assert count(Enrollment) == before["Enrollment"]


ERROR_HEADER = [KOREAN[key] for key in KEYS if key != "name"]  # a required column missing


def error_file() -> tuple[str, bytes]:
    good = dict(
        campus="구로",
        course=COURSE,
        cohort="1",
        email="sky@example.com",
        status="수료",
        status_date="2025-08-29",
        outcome="취업",
        company="한빛소프트",
        outcome_date="2025-09-15",
    )
    rows = [
        good,  # row 2
        {**good, "email": "not-an-email"},  # row 3
        {**good, "email": "b@example.com", "status": "수료예정"},  # row 4
        {**good, "email": "c@example.com", "status": "중도탈락",
         "status_date": "2025-05-01"},  # row 5: an outcome for a dropped trainee
        {**good, "email": "d@example.com", "company": ""},  # row 6: employed, no company
        {**good, "email": "e@example.com", "course": "새 과정"},  # row 7: new cohort, no dates
    ]  # fmt: skip
    cells = [[row.get(key, "") for key in KEYS if key != "name"] for row in rows]
    return "errors.csv", csv_bytes(ERROR_HEADER, cells)


EXPECTED_ERRORS = {
    ("1", "성명 (name)"),
    ("3", "이메일"),
    ("4", "수료상태"),
    ("5", "취업상태"),
    ("6", "회사명"),
    ("7", "교육시작일"),
    ("7", "교육종료일"),
}


def test_a_records_file_with_errors_is_refused_whole_on_the_web(client, login_as, world):
    login_as("admin", locale="en")
    before = counts()
    response = upload(client, "placements.import_records", *error_file())
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert error_cells(html) == EXPECTED_ERRORS
    assert "not-an-email" in html and "수료예정" in html
    assert "Only completed trainees have an outcome" in html
    assert "Required for employed and founded." in html
    assert "is not stored yet: give its start and end dates" in html
    assert "Nothing can be imported" in html and "/confirm" not in html
    assert counts() == before  # nothing stored, not even the upload


def test_a_records_file_with_errors_is_refused_whole_by_the_cli(runner, tmp_path, world):
    before = counts()
    result = cli_import(runner, tmp_path, *error_file())
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    found = {
        match.groups() for line in lines if (match := re.match(r"row (\d+), column (.+?): ", line))
    }
    assert found == EXPECTED_ERRORS
    assert len(lines) == len(EXPECTED_ERRORS) + 1  # one line each, then the summary
    assert counts() == before


def test_the_service_refuses_and_writes_nothing_when_one_row_is_wrong(app, world):
    rows = record_rows()
    rows[-1]["status"] = "휴학"
    before = counts()
    with pytest.raises(importing.ImportRefused) as refused:
        importing.import_records(None, *records_file("utf-8", rows))
    db.session.rollback()
    assert [(e.row, e.column) for e in refused.value.errors] == [(10, "수료상태")]
    assert counts() == before


@pytest.mark.parametrize(
    ("index", "change", "row", "column", "message"),
    [
        (0, {"outcome": "취업제외", "company": "", "exclusion_reason": "질병"}, 2, "민감정보동의",
         "Give the date of their written consent in the sensitive_consent column"),
        (0, {"outcome": "취업제외", "company": "", "exclusion_reason": ""}, 2, "제외사유",
         "Required for excluded."),
        (0, {"outcome_date": ""}, 2, "취업일", "Required for employed"),
        (0, {"status_date": ""}, 2, "수료일", "Required for completed and dropped trainees"),
        (0, {"status_date": "2025-01-02"}, 2, "수료일", "before the cohort starts (2025-03-03)"),
        (0, {"status_date": "2099-01-02"}, 2, "수료일", "in the future"),
        (0, {"cohort_start": "2025-03-04"}, 2, "교육시작일", "stored with 2025-03-03"),
        (0, {"insured": "maybe"}, 2, "고용보험", "Write Y or N"),
        (0, {"phone": "02-123"}, 2, "연락처", "mobile number"),
        (0, {"employment_type": "알바"}, 2, "고용형태", "정규직/permanent"),
        (0, {"outcome_date": "2099-01-01"}, 2, "취업일", "too far in the future"),
        (0, {"cohort": "1반"}, 2, "기수", "such as 3"),
        (0, {"email": "manager@sesac.example"}, 2, "이메일", "belongs to a staff account"),
        (0, {"email": "min@example.com", "name": "이민"}, 3, "이메일", "also on row 2"),
        (5, {"email": "min@example.com"}, 7, "성명", "another name (이민)"),
        (6, {"cohort_end": "2025-08-01"}, 8, "교육종료일", "An earlier row gives"),
        (7, {"cohort_end": "2020-01-01"}, 9, "교육종료일", "cannot end before it starts"),
    ],
)  # fmt: skip
def test_each_rule_of_a_row_is_named_by_its_row_and_column(
    app, world, make_user, index, change, row, column, message
):
    make_user("manager", email="manager@sesac.example")
    rows = record_rows()
    rows[index].update(change)
    preview = importing.preview_records(*records_file("utf-8", rows))
    assert [(e.row, e.column) for e in preview.errors] == [(row, column)]
    assert message in preview.errors[0].message
    assert preview.rows == []


def test_a_manager_imports_rows_of_their_own_campus_only(client, login_as, world):
    manager = login_as("manager", campus=world["guro"], locale="en")
    html = unescape(
        upload(client, "placements.import_records", *records_file("utf-8")).get_data(as_text=True)
    )
    assert error_cells(html) == {(str(row), "캠퍼스") for row in (7, 8, 9, 10)}
    assert "Not your campus: you may import rows of 구로 only." in html
    assert last_upload() is None

    guro_rows = record_rows()[:5]
    upload(client, "placements.import_records", *records_file("xlsx", guro_rows))
    stored = last_upload()
    assert confirm(client, stored.id).status_code == 302
    db.session.expire_all()
    assert count(Enrollment) == 5 and count(Campus) == 2
    entry = db.session.scalar(
        db.select(AuditEntry).where(AuditEntry.action == "placements.records_imported")
    )
    assert (entry.actor_id, entry.campus_id) == (manager.id, world["guro"].id)


def test_a_coordinator_imports_into_stored_cohorts_only(client, login_as, world):
    login_as("coordinator", campus=world["guro"], locale="en")
    rows = record_rows()[:5]
    rows.append(
        {
            **rows[0],
            "course": "새 과정",
            "cohort_start": "2025-03-03",
            "cohort_end": "2025-08-29",
            "email": "new@example.com",
        }
    )  # row 7
    html = unescape(
        upload(client, "placements.import_records", *records_file("utf-8", rows)).get_data(
            as_text=True
        )
    )
    assert error_cells(html) == {("7", "과정명")}
    assert "you may not create cohorts" in html

    upload(client, "placements.import_records", *records_file("utf-8", rows[:5]))
    assert confirm(client, last_upload().id).status_code == 302
    db.session.expire_all()
    assert count(Enrollment) == 5 and count(Outcome) == 3


def test_only_the_uploader_may_confirm_a_records_upload(client, login_as, world, make_user):
    uploader = make_user("admin")
    stored = uploads.store_upload(uploader, importing.RECORDS, *records_file("utf-8"))
    db.session.commit()
    login_as("admin", locale="en")  # another admin: the upload is not theirs
    assert confirm(client, stored.id).status_code == 404
    db.session.refresh(stored)
    assert stored.imported_at is None and count(Enrollment) == 0


def test_confirming_twice_imports_once(client, login_as, world):
    login_as("admin", locale="en")
    upload(client, "placements.import_records", *records_file("utf-8"))
    stored = last_upload()
    confirm(client, stored.id)
    response = confirm(client, stored.id)
    assert response.status_code == 302
    assert "This file was already imported." in flashes(client)
    assert count(Enrollment) == 9


def applicant_upload(uploader: User, cohort: Cohort) -> UploadedFile:
    """An upload of the applicant import (it is for a cohort), stored as its page stores it."""
    stored = UploadedFile(
        kind="applicants",
        filename="a.csv",
        content=b"x",
        uploaded_by_id=uploader.id,
        target_id=cohort.id,
    )
    db.session.add(stored)
    db.session.commit()
    return stored


def test_an_applicant_upload_is_not_confirmed_here(client, login_as, world, make_user):
    manager = login_as("manager", campus=world["guro"], locale="en")
    stored = applicant_upload(manager, world["cohort"])
    response = confirm(client, stored.id)
    assert response.status_code == 302
    assert any("not a trainee-records or certifications file" in m for m in flashes(client))
    db.session.refresh(stored)
    assert stored.imported_at is None


@pytest.mark.parametrize(
    ("role", "status"),
    [("admin", 200), ("manager", 200), ("coordinator", 200), ("mentor", 403), ("trainee", 403)],
)
def test_who_may_import(client, login_as, world, role, status):
    login_as(role, locale="en")
    for endpoint in ("placements.import_records", "placements.import_certifications"):
        assert client.get(url(endpoint)).status_code == status


@pytest.mark.parametrize(
    ("endpoint", "columns"),
    [
        ("placements.import_records", importing.RECORD_COLUMNS),
        ("placements.import_certifications", importing.CERTIFICATION_COLUMNS),
    ],
)
def test_the_page_lists_the_columns_of_formats_md(client, login_as, world, endpoint, columns):
    login_as("coordinator", locale="en")
    html = client.get(url(endpoint)).get_data(as_text=True)
    for column in columns:
        assert column.korean in html and f"<code>{column.english}</code>" in html
    assert 'enctype="multipart/form-data"' in html


def test_a_file_that_is_no_table_is_refused_with_a_message(client, login_as, world):
    login_as("admin", locale="en")
    response = upload(client, "placements.import_records", "records.txt", b"campus\n")
    html = response.get_data(as_text=True)
    assert "Upload a .csv or .xlsx file." in html and 'id="preview-title"' not in html


def test_the_cli_reports_an_unreadable_file(runner, tmp_path, world):
    result = cli_import(runner, tmp_path, "records.csv", b"\xff\xfe\xff\xfe\x00\xff")
    assert result.exit_code == 1 and result.stderr.startswith("Error: ")


# --- illness exclusions, with the trainee's consent to health data ---------------------------

CONSENT = "민감정보동의"
MISSING_CONSENT = (
    "An illness exclusion is health data: it needs the trainee's separate consent. Give the "
    "date of their written consent in the sensitive_consent column, or leave "
    "this row's outcome empty and record the exclusion in the trainee's outcome form with "
    "that consent."
)


def illness_rows(consent: object = "2025-09-05") -> list[dict[str, object]]:
    """The records file, with 박서준 (row 4) excluded for illness, with or without consent."""
    rows = record_rows()
    rows[2].update(exclusion_reason="질병", sensitive_consent=consent)
    return rows


def outcome_entry(outcome: Outcome) -> AuditEntry:
    return db.session.scalar(
        db.select(AuditEntry).where(
            AuditEntry.action == "outcome.recorded", AuditEntry.object_id == outcome.id
        )
    )


def test_an_illness_exclusion_with_consent_is_stored_as_the_outcome_form_stores_it(
    client, login_as, world
):
    admin = login_as("admin", locale="en")
    html = unescape(
        upload(
            client, "placements.import_records", *records_file("utf-8", illness_rows())
        ).get_data(as_text=True)
    )
    assert 'id="import-errors"' not in html and "New: 9" in html
    assert "Excluded from the employment target · Illness" in html  # an admin sees health data
    assert confirm(client, last_upload().id).status_code == 302

    db.session.expire_all()
    park = outcome_of("park@example.com")
    assert (park.kind, park.exclusion_reason, park.source) == (
        OutcomeKind.EXCLUDED,
        ExclusionReason.ILLNESS,
        "import",
    )
    # The consent: the file's date (that day in Seoul), recorded by the importing user.
    assert park.health_consent_at == datetime(2025, 9, 5, tzinfo=SEOUL)
    assert park.health_consent_at.astimezone(SEOUL).date() == date(2025, 9, 5)
    assert park.recorded_by_id == admin.id
    # The rest of the file is stored as ever; no other row has a consent.
    assert count(Outcome) == 5
    # (Read back decrypted: every outcome stores a sealed consent record, given or not.)
    assert [o.id for o in db.session.scalars(db.select(Outcome)) if o.health_consent_at] == [
        park.id
    ]

    # The outcome form, for 정우성 (completed, no outcome yet): the same fields, the same
    # audit entry; only the moment of the consent (when the box is ticked) and the source
    # differ.
    jung = enrollment_of("jung@example.com")
    response = client.post(
        url("placements.record_outcome", enrollment_id=jung.id),
        data={
            "kind": "excluded",
            "outcome_on": "2025-09-01",
            "exclusion_reason": "illness",
            "health_consent": "y",
            "employment_type": "",
            "insured": "",
            "verification": "",
            "verification_state": "unverified",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    by_form = outcome_of("jung@example.com")
    park = outcome_of("park@example.com")
    assert by_form.source == "web" and by_form.health_consent_at is not None
    columns = [c.key for c in Outcome.__table__.columns]
    differ = {"id", "enrollment_id", "health_consent_at", "source", "created_at"}
    assert {c: getattr(park, c) for c in columns if c not in differ} == {
        c: getattr(by_form, c) for c in columns if c not in differ
    }
    imported_entry, form_entry = outcome_entry(park), outcome_entry(by_form)
    assert imported_entry.actor_id == form_entry.actor_id == admin.id
    assert imported_entry.changes == form_entry.changes
    assert imported_entry.changes["exclusion_reason"] == [None, "(sensitive)"]  # not in the log

    # The same file again changes nothing.
    before = counts()
    html = unescape(
        upload(
            client, "placements.import_records", *records_file("utf-8", illness_rows())
        ).get_data(as_text=True)
    )
    assert "Unchanged: 9" in html and "Nothing to import" in html
    assert counts() == before


def test_the_cli_imports_an_illness_exclusion_with_consent_once(runner, tmp_path, world):
    result = cli_import(runner, tmp_path, *records_file("xlsx", illness_rows()))  # a date cell
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("created 9, updated 0, unchanged 0")
    park = outcome_of("park@example.com")
    assert park.exclusion_reason == ExclusionReason.ILLNESS
    assert park.health_consent_at == datetime(2025, 9, 5, tzinfo=SEOUL)
    assert park.recorded_by_id is None  # the system
    entry = outcome_entry(park)
    assert (entry.actor_id, entry.actor_label) == (None, "system")
    assert entry.changes["exclusion_reason"] == [None, "(sensitive)"]
    after_first = counts()

    # Again, as Korean Excel saves CSV, with the date written another way.
    result = cli_import(runner, tmp_path, *records_file("cp949", illness_rows("2025.09.05")))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("created 0, updated 0, unchanged 9")
    assert counts() == after_first


def test_an_illness_exclusion_without_consent_is_refused_by_the_cli(runner, tmp_path, world):
    before = counts()
    result = cli_import(runner, tmp_path, *records_file("utf-8", illness_rows("")))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"row 4, column {CONSENT}: {MISSING_CONSENT}",
        "Nothing was imported: 1 error(s).",
    ]
    assert counts() == before


def test_a_file_without_the_consent_column_names_it_on_the_illness_row(app, world):
    """A file made before the column existed: only its illness rows are refused."""
    keys = [key for key in KEYS if key != "sensitive_consent"]
    rows = illness_rows("")
    content = csv_bytes([KOREAN[k] for k in keys], [[row[k] for k in keys] for row in rows])
    preview = importing.preview_records("old.csv", content)
    assert [(e.row, e.column, e.message) for e in preview.errors] == [
        (4, "민감정보동의 (sensitive_consent)", MISSING_CONSENT)
    ]

    content = csv_bytes(
        [KOREAN[k] for k in keys], [[row[k] for k in keys] for row in record_rows()]
    )
    assert importing.preview_records("old.csv", content).errors == []


@pytest.mark.parametrize(
    ("consent", "message"),
    [
        ("2099-01-01", "The consent is dated in the future: give the date the trainee signed it."),
        ("tomorrow", "The consent is dated in the future: give the date the trainee signed it."),
        ("동의", "“동의” says the trainee consented, but not when: give the date of the "
                 "written consent, e.g. 2025-08-29."),
        ("Y", "“Y” says the trainee consented, but not when"),
        ("2025-02-30", "“2025-02-30” is not a date that exists."),
        ("지난주", "“지난주” is not a date: write it as 2025-08-29."),
    ],
)  # fmt: skip
def test_a_wrong_consent_date_is_refused_in_its_column(app, world, consent, message):
    if consent == "tomorrow":
        consent = (today_in_seoul() + timedelta(days=1)).isoformat()
    preview = importing.preview_records(*records_file("utf-8", illness_rows(consent)))
    assert [(e.row, e.column) for e in preview.errors] == [(4, CONSENT)]
    assert preview.errors[0].message.startswith(message)
    assert preview.rows == []


def test_consent_given_today_is_taken(app, world):
    today = today_in_seoul()
    importing.import_records(None, *records_file("utf-8", illness_rows(today.isoformat())))
    db.session.commit()
    assert outcome_of("park@example.com").health_consent_at.astimezone(SEOUL).date() == today


def test_the_consent_column_is_ignored_on_rows_without_an_illness_exclusion(app, world):
    """Campus files fill it in for everyone: on other rows there is no health data for it
    to cover, so it is neither checked nor stored."""
    rows = record_rows()
    rows[0]["sensitive_consent"] = "동의"  # employed
    rows[1]["sensitive_consent"] = "2099-01-01"  # founded
    rows[2]["sensitive_consent"] = "2025-09-05"  # excluded for further study
    rows[3]["sensitive_consent"] = "모름"  # dropped, no outcome
    rows[4]["sensitive_consent"] = "2025-09-05"  # completed, no outcome
    result = importing.import_records(None, *records_file("utf-8", rows))
    db.session.commit()
    assert result.created == 9
    assert [o for o in db.session.scalars(db.select(Outcome)) if o.health_consent_at] == []
    assert outcome_of("park@example.com").exclusion_reason == ExclusionReason.FURTHER_STUDY


@pytest.mark.parametrize(("role", "shown"), [("manager", "sensitive"), ("coordinator", "Illness")])
def test_the_preview_shows_an_illness_exclusion_to_whom_may_see_health_data(
    client, login_as, world, role, shown
):
    login_as(role, campus=world["guro"], locale="en")
    rows = illness_rows()[:5]  # 구로's rows
    html = unescape(
        upload(client, "placements.import_records", *records_file("utf-8", rows)).get_data(
            as_text=True
        )
    )
    assert 'id="import-errors"' not in html, html
    assert f"Excluded from the employment target · {shown}" in html
    assert ("· Illness" in html) == (role == "coordinator")


# --- certification attempts ------------------------------------------------------------------

CERT_KEYS = ["email", "exam", "exam_date", "result", "score"]
CERT_KOREAN = [column.korean for column in importing.CERTIFICATION_COLUMNS]
CERT_ROWS = [
    ["sky@example.com", "AI-900", "2025-07-01", "합격", "820"],
    ["Min@example.com", "ai-900", "2025.07.01", "fail", "640"],
    ["sky@example.com", "AZ-104", "20250801", "불합격", ""],
    ["han@example.com", "AI-900", "2025/06/20", "pass", "900"],
]


@pytest.fixture
def trainees(runner, tmp_path, world):
    assert cli_import(runner, tmp_path, *records_file("utf-8")).exit_code == 0
    return world


def cert_file(rows=CERT_ROWS, korean: bool = True) -> tuple[str, bytes]:
    return "자격증.csv", csv_bytes(CERT_KOREAN if korean else CERT_KEYS, rows)


def attempts() -> set[tuple[str, str, date, bool, int | None]]:
    db.session.expire_all()
    return {
        (a.user.email, a.exam.name, a.exam_on, a.passed, a.score)
        for a in db.session.scalars(db.select(CertificationAttempt))
    }


EXPECTED_ATTEMPTS = {
    ("sky@example.com", "AI-900", date(2025, 7, 1), True, 820),
    ("min@example.com", "AI-900", date(2025, 7, 1), False, 640),
    ("sky@example.com", "AZ-104", date(2025, 8, 1), False, None),
    ("han@example.com", "AI-900", date(2025, 6, 20), True, 900),
}


@pytest.mark.parametrize("korean", [True, False], ids=["korean", "english"])
def test_the_cli_imports_certifications_idempotently(runner, tmp_path, trainees, korean):
    result = cli_import(runner, tmp_path, *cert_file(korean=korean), "import-certifications")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "created 4, updated 0, unchanged 0"
    assert attempts() == EXPECTED_ATTEMPTS
    assert count(Exam) == 2  # ai-900 is AI-900
    report = {(r.exam, r.candidates, r.passed) for r in certification_report()}
    assert report == {("AI-900", 3, 2), ("AZ-104", 1, 0)}

    before = counts()
    again = cli_import(runner, tmp_path, *cert_file(korean=korean), "import-certifications")
    assert again.stdout.strip() == "created 0, updated 0, unchanged 4"
    assert counts() == before

    rows = [list(row) for row in CERT_ROWS]
    rows[2][4] = "610"
    changed = cli_import(runner, tmp_path, *cert_file(rows), "import-certifications")
    assert changed.stdout.strip() == "created 0, updated 1, unchanged 3"
    assert ("sky@example.com", "AZ-104", date(2025, 8, 1), False, 610) in attempts()


def test_certifications_of_unknown_people_are_refused_whole(runner, tmp_path, trainees, make_user):
    make_user("coordinator", email="coach@sesac.example")
    rows = [
        *CERT_ROWS,
        ["nobody@example.com", "AI-900", "2025-07-01", "합격", "700"],  # row 6
        ["coach@sesac.example", "AI-900", "2025-07-01", "합격", "700"],  # row 7: staff
        ["oh@example.com", "AI-900", "2025-07-01", "통과", "-5"],  # row 8
        ["oh@example.com", "AI-900", "2099-07-01", "합격", ""],  # row 9
        ["han@example.com", "ai-900 ", "2025-06-20", "합격", ""],  # row 10: as row 5
    ]
    before = counts()
    result = cli_import(runner, tmp_path, *cert_file(rows), "import-certifications")
    assert result.exit_code == 1
    found = {
        (int(m[1]), m[2])
        for m in re.finditer(r"^row (\d+), column (.+?): ", result.stderr, re.MULTILINE)
    }
    assert found == {(6, "이메일"), (7, "이메일"), (8, "결과"), (8, "점수"), (9, "응시일"),
                     (10, "자격증")}  # fmt: skip
    assert counts() == before


def test_certifications_through_the_web(client, login_as, trainees):
    coordinator = login_as("coordinator", campus=trainees["guro"], locale="en")
    html = unescape(
        upload(client, "placements.import_certifications", *cert_file()).get_data(as_text=True)
    )
    # 한지민 is a trainee of 마포: not this coordinator's to import.
    assert error_cells(html) == {("5", "이메일")}
    assert "No trainee of your campus has this e-mail address" in html

    html = upload(client, "placements.import_certifications", *cert_file(CERT_ROWS[:3]))
    html = unescape(html.get_data(as_text=True))
    assert "New: 3" in html and "김하늘" in html
    stored = last_upload()
    assert stored.kind == "certifications" and stored.uploaded_by_id == coordinator.id
    response = confirm(client, stored.id)
    assert response.location.endswith(url("placements.import_certifications"))
    assert any("3 new, 0 updated, 0 unchanged" in m for m in flashes(client))
    assert attempts() == EXPECTED_ATTEMPTS - {
        ("han@example.com", "AI-900", date(2025, 6, 20), True, 900)
    }


def test_cells_that_the_rows_outcome_kind_has_no_place_for_are_ignored(runner, tmp_path, world):
    """Campus files fill every column: a founder marked insured N with an employment type,
    an exclusion beside a company. The import keeps what the kind holds, refuses nothing."""
    rows = record_rows()
    rows[1].update(insured="N", employment_type="정규직", exclusion_reason="진학")  # founded
    rows[2].update(company="어느회사", job_title="연구원", insured="Y")  # excluded: further study
    result = cli_import(runner, tmp_path, "records.csv", records_file("utf-8", rows)[1])
    assert result.exit_code == 0, result.output
    founded, excluded = outcome_of("min@example.com"), outcome_of("park@example.com")
    assert (founded.kind, founded.company, founded.insured) == (
        OutcomeKind.FOUNDED,
        "민스튜디오",
        None,
    )
    assert founded.employment_type is None and founded.exclusion_reason is None
    assert (excluded.kind, excluded.company, excluded.job_title) == (
        OutcomeKind.EXCLUDED,
        None,
        None,
    )
