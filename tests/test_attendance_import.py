"""Importing attendance marks of class days (docs/formats.md, "Attendance"), web and CLI.

One small file, written the ways campus staff save it (UTF-8 with English headers, CP949
with the Korean ones and Korean marks, XLSX with real date and time cells), marks three
class days of a running cohort, some rows by status and some by arrival and departure
times (late by 25 minutes, under half a day, exactly half a day). What is stored is
checked against a hand count; a second import changes nothing; a file with any bad row
is refused whole, naming every bad row and column, and writes nothing.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, time, timedelta
from html import unescape

import pytest
from flask import current_app
from flask_babel import force_locale

from sesac_ms.clock import SEOUL, now_in_seoul, today_in_seoul
from sesac_ms.cohorts import attendance_import
from sesac_ms.cohorts.attendance_import_rows import ATTENDANCE_COLUMNS, parse_clock
from sesac_ms.extensions import db
from sesac_ms.imports import uploads
from sesac_ms.imports.reader import CellError
from sesac_ms.models import (
    Attendance,
    AttendanceStatus,
    AuditEntry,
    ClassDay,
    CohortStatus,
    Enrollment,
    EnrollmentStatus,
    MarkSource,
    UploadedFile,
    User,
)
from tests.conftest import login
from tests.test_placements_import import (
    applicant_upload,
    count,
    csv_bytes,
    flashes,
    last_upload,
    url,
    xlsx_bytes,
)
from tests.test_upload_limits import WIDE, assert_refused_beside_the_file

COURSE = "AI 활용 데이터분석 취업캠프"
KEYS = ["campus", "cohort", "email", "date", "status", "arrival", "departure", "reason"]
KOREAN = {column.key: column.korean for column in ATTENDANCE_COLUMNS}
KOREAN_MARKS = {"present": "출석", "late": "지각", "absent": "결석", "excused": "공가"}
TODAY = today_in_seoul()
D1, D2, D3 = (TODAY - timedelta(days=n) for n in (10, 9, 8))


@pytest.fixture(autouse=True)
def english(app):
    """Messages in English, whatever the catalogs say; the users below choose English too."""
    with force_locale("en"):
        yield


@pytest.fixture
def world(app, campus, make_campus, make_course, make_cohort, make_user):
    """구로's running cohort 1 (class 09:00–18:00, 10 grace minutes) with three past class
    days, a cancelled one and one to come; two trainees, a third who dropped out on D2;
    마포 with a cohort 1 of its own."""
    cohort = make_cohort(
        course=make_course(campus=campus, title=COURSE),
        number=1,
        status=CohortStatus.IN_PROGRESS,
        recruit_start_on=TODAY - timedelta(days=80),
        recruit_end_on=TODAY - timedelta(days=50),
        start_on=TODAY - timedelta(days=40),
        end_on=TODAY + timedelta(days=100),
    )
    days = {}
    for day in (D1, D2, D3, TODAY - timedelta(days=7), TODAY + timedelta(days=3)):
        days[day] = ClassDay(cohort_id=cohort.id, day=day)
    days[TODAY - timedelta(days=7)].cancelled = True
    db.session.add_all(days.values())
    people = {}
    for email, name in (
        ("sky@example.com", "김하늘"),
        ("min@example.com", "이민"),
        ("park@example.com", "박준"),
    ):
        user = make_user("trainee", email=email, name=name)
        people[email] = Enrollment(cohort_id=cohort.id, user_id=user.id)
    people["park@example.com"].status = EnrollmentStatus.DROPPED
    people["park@example.com"].status_on = D2
    db.session.add_all(people.values())
    mapo = make_campus("마포", name_en="Mapo", district="마포구", opening_order=3)
    mapo_cohort = make_cohort(course=make_course(campus=mapo, title="AI 엔지니어 과정"), number=1)
    db.session.commit()
    return {
        "guro": campus,
        "mapo": mapo,
        "cohort": cohort,
        "mapo_cohort": mapo_cohort,
        "days": days,
        "enrollments": people,
    }


def mark_rows() -> list[dict[str, object]]:
    """The file: rows 2–8 as the spreadsheet numbers them."""
    rows = [
        dict(campus="구로", cohort="1기", email="sky@example.com", date=D1, status="present"),
        dict(campus="Guro", cohort="1", email="Min@Example.com", date=D1,
             arrival="09:25", departure="18:00"),  # late, 25 minutes
        dict(campus="구로", cohort="1", email="sky@example.com", date=D2,
             arrival="09:05", departure="17:55"),  # within the 10 grace minutes: present
        dict(campus="구로", cohort="1", email="min@example.com", date=D2,
             arrival="13:40"),  # to the end: 4 h 20 of 9 h, under half: absent
        dict(campus="구로", cohort="1", email="sky@example.com", date=D3, status="excused",
             reason="진단서"),
        dict(campus="구로", cohort="1", email="min@example.com", date=D3,
             arrival="09:00", departure="13:30"),  # exactly half a day: not absent
        dict(campus="구로", cohort="1", email="park@example.com", date=D2, status="absent",
             reason="연락 없음"),  # the day park left can still be marked
    ]  # fmt: skip
    return [{key: row.get(key, "") for key in KEYS} for row in rows]


def as_time(text: object) -> object:
    if not text:
        return None
    hours, minutes = str(text).split(":")
    return time(int(hours), int(minutes))


def marks_file(kind: str, rows: list[dict[str, object]] | None = None) -> tuple[str, bytes]:
    """The file as `kind`: English headers in UTF-8; Korean headers, dates written the
    Korean way and Korean marks in CP949; English headers in another order in XLSX, with
    date and time cells."""
    rows = mark_rows() if rows is None else rows
    if kind == "xlsx":
        keys = list(reversed(KEYS))
        cells = []
        for row in rows:
            values = dict(row, arrival=as_time(row["arrival"]), departure=as_time(row["departure"]))
            values["cohort"] = int(re.sub(r"\D", "", str(values["cohort"])))
            cells.append([values[key] or None for key in keys])
        return "출결.xlsx", xlsx_bytes(keys, cells)
    if kind == "cp949":
        cells = []
        for row in rows:
            values = dict(row, status=KOREAN_MARKS.get(str(row["status"]), row["status"]))
            if isinstance(values["date"], date):
                values["date"] = values["date"].strftime("%Y. %m. %d.")
            cells.append([values[key] for key in KEYS])
        return "출결.csv", csv_bytes([KOREAN[key] for key in KEYS], cells, "cp949")
    return "attendance.csv", csv_bytes(KEYS, [[row[key] for key in KEYS] for row in rows])


FORMATS = ["utf-8", "cp949", "xlsx"]


def upload(client, filename: str, content: bytes):
    return client.post(
        url("cohorts.import_attendance"),
        data={"file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def confirm(client, upload_id: int):
    return client.post(url("cohorts.confirm_attendance_import", upload_id=upload_id))


def error_lines(html: str) -> set[tuple[str, str, str]]:
    """(row, column, problem) of every line of the preview's error table."""
    table = html.split('id="import-errors"', 1)[1].split("</table>", 1)[0]
    return {
        tuple(unescape(cell) for cell in line)
        for line in re.findall(
            r"<tr><td[^>]*>(.*?)</td><td[^>]*>(.*?)</td><td[^>]*>(.*?)</td></tr>", table
        )
    }


def counts() -> dict[str, int]:
    db.session.expire_all()
    return {model.__name__: count(model) for model in (Attendance, AuditEntry, UploadedFile)}


def cli(runner, tmp_path, filename: str, content: bytes, *options: str):
    path = tmp_path / filename
    path.write_bytes(content)
    return runner.invoke(args=["import-attendance", *options, str(path)])


def seoul(day: date, hours: int, minutes: int) -> datetime:
    return datetime.combine(day, time(hours, minutes), tzinfo=SEOUL).astimezone(UTC)


def stored() -> dict[tuple[str, date], tuple]:
    """(e-mail, day) -> (status, minutes late, minutes early, arrival, departure, note)."""
    db.session.expire_all()
    found = db.session.execute(
        db.select(User.email, ClassDay.day, Attendance)
        .join(Enrollment, Enrollment.id == Attendance.enrollment_id)
        .join(User, User.id == Enrollment.user_id)
        .join(ClassDay, ClassDay.id == Attendance.class_day_id)
    ).all()
    return {
        (email, day): (
            mark.status,
            mark.minutes_late,
            mark.minutes_left_early,
            mark.arrived_at,
            mark.left_at,
            mark.note,
        )
        for email, day, mark in found
    }


def check_stored() -> None:
    """What the file holds, worked out by hand from the cohort's hours."""
    A = AttendanceStatus
    assert stored() == {
        ("sky@example.com", D1): (A.PRESENT, 0, 0, None, None, ""),
        ("min@example.com", D1): (A.LATE, 25, 0, seoul(D1, 9, 25), seoul(D1, 18, 0), ""),
        ("sky@example.com", D2): (A.PRESENT, 5, 5, seoul(D2, 9, 5), seoul(D2, 17, 55), ""),
        ("min@example.com", D2): (A.ABSENT, 280, 0, seoul(D2, 13, 40), None, ""),
        ("sky@example.com", D3): (A.EXCUSED, 0, 0, None, None, "진단서"),
        ("min@example.com", D3): (A.LEFT_EARLY, 0, 270, seoul(D3, 9, 0), seoul(D3, 13, 30), ""),
        ("park@example.com", D2): (A.ABSENT, 0, 0, None, None, "연락 없음"),
    }
    sources = set(db.session.scalars(db.select(Attendance.source)))
    assert sources == {MarkSource.IMPORT}


# --- a whole file ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", FORMATS)
def test_a_manager_previews_then_imports_the_file_in_every_format(client, login_as, world, kind):
    manager = login_as("manager", campus=world["guro"], locale="en")
    before = counts()
    filename, content = marks_file(kind)

    response = upload(client, filename, content)
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert 'id="import-errors"' not in html, html
    assert "New: 7" in html and "Updated: 0" in html and "Unchanged: 0" in html
    assert "25 minutes late" in html and "09:25–18:00" in html
    stored_upload = last_upload()
    assert (stored_upload.kind, stored_upload.target_id) == ("attendance", None)
    assert stored_upload.uploaded_by_id == manager.id
    assert url("cohorts.confirm_attendance_import", upload_id=stored_upload.id) in html
    assert counts() == {**before, "UploadedFile": before["UploadedFile"] + 1}  # nothing else

    response = confirm(client, stored_upload.id)
    assert response.status_code == 302
    assert response.location.endswith(url("cohorts.import_attendance"))
    assert any("7 new, 0 updated, 0 unchanged" in m for m in flashes(client))
    check_stored()
    assert set(db.session.scalars(db.select(Attendance.recorded_by_id))) == {manager.id}
    db.session.refresh(stored_upload)
    assert stored_upload.imported_at is not None and stored_upload.content == b""

    # One audit entry per class day, naming each trainee's mark as the sheet's entry does.
    entries = db.session.scalars(
        db.select(AuditEntry)
        .where(AuditEntry.action == "attendance.imported")
        .order_by(AuditEntry.object_label)
    ).all()
    assert [entry.object_label[-10:] for entry in entries] == [
        D1.isoformat(),
        D2.isoformat(),
        D3.isoformat(),
    ]
    assert {(e.actor_id, e.object_id, e.campus_id) for e in entries} == {
        (manager.id, world["cohort"].id, world["guro"].id)
    }
    assert entries[1].changes == {"김하늘": [None, "present"], "이민": [None, "absent"],
                                  "박준": [None, "absent"]}  # fmt: skip


@pytest.mark.parametrize("kind", FORMATS)
def test_the_cli_imports_the_file_and_a_second_import_changes_nothing(
    runner, tmp_path, world, kind
):
    result = cli(runner, tmp_path, *marks_file(kind))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "created 7, updated 0, unchanged 0"
    check_stored()
    entry = db.session.scalar(
        db.select(AuditEntry).where(AuditEntry.action == "attendance.imported").limit(1)
    )
    assert (entry.actor_id, entry.actor_label) == (None, "system")
    assert set(db.session.scalars(db.select(Attendance.recorded_by_id))) == {None}
    after_first = counts()

    again = "cp949" if kind != "cp949" else "xlsx"  # the same rows, written another way
    result = cli(runner, tmp_path, *marks_file(again))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "created 0, updated 0, unchanged 7"
    assert counts() == after_first  # no mark, no audit entry
    check_stored()


def test_a_dry_run_says_what_importing_would_do_and_writes_nothing(runner, tmp_path, world):
    before = counts()
    result = cli(runner, tmp_path, *marks_file("utf-8"), "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        "would create 7, update 0, leave 0 unchanged (dry run: nothing was written)"
    )
    assert counts() == before

    rows = mark_rows()
    rows[0]["status"] = "sick"
    result = cli(runner, tmp_path, *marks_file("utf-8", rows), "--dry-run")
    assert result.exit_code == 1
    assert "row 2, column status: “sick” is not one of:" in result.output
    assert "Nothing was imported: 1 error(s)." in result.output
    assert counts() == before


def test_uploading_the_same_file_again_offers_nothing_to_import(client, login_as, world):
    login_as("admin", locale="en")
    upload(client, *marks_file("utf-8"))
    confirm(client, last_upload().id)
    after_first = counts()

    html = upload(client, *marks_file("xlsx")).get_data(as_text=True)
    assert "Unchanged: 7" in html and "Nothing to import" in html
    assert "/confirm" not in html
    assert counts() == after_first  # not even the upload is kept


def test_a_changed_file_updates_only_what_changed(runner, tmp_path, world):
    assert cli(runner, tmp_path, *marks_file("utf-8")).exit_code == 0
    rows = mark_rows()
    rows[0].update(status="late")  # sky, D1: present → late
    rows[3].update(departure="17:00")  # min, D2: the times change, still absent
    result = cli(runner, tmp_path, *marks_file("utf-8", rows))
    assert result.stdout.strip() == "created 0, updated 2, unchanged 5"
    A = AttendanceStatus
    marks = stored()
    assert marks[("sky@example.com", D1)][0] == A.LATE
    assert marks[("min@example.com", D2)] == (
        A.ABSENT, 280, 60, seoul(D2, 13, 40), seoul(D2, 17, 0), ""
    )  # fmt: skip
    entries = db.session.scalars(
        db.select(AuditEntry)
        .where(AuditEntry.action == "attendance.imported")
        .order_by(AuditEntry.id.desc())
        .limit(2)
    ).all()
    # A changed status reads "from … to …"; changed times alone name the status kept.
    assert sorted((entry.changes for entry in entries), key=str) == [
        {"김하늘": ["present", "late"]},
        {"이민": "absent"},
    ]


def test_a_status_row_overrides_a_check_in_mark_and_keeps_its_times(
    runner, tmp_path, world, make_user
):
    manager = make_user("manager")
    sky = world["enrollments"]["sky@example.com"]
    checked_in = Attendance(
        enrollment_id=sky.id,
        class_day_id=world["days"][D1].id,
        status=AttendanceStatus.LATE,
        note="",
        recorded_by_id=manager.id,
        arrived_at=seoul(D1, 9, 40),
        minutes_late=40,
        source=MarkSource.CHECK_IN,
    )
    db.session.add(checked_in)
    db.session.commit()
    row = dict.fromkeys(KEYS, "") | dict(
        campus="구로", cohort="1", email="sky@example.com", date=D1, status="present"
    )
    # As on the sheet, changing what check-in times made needs a reason on record.
    result = cli(runner, tmp_path, *marks_file("utf-8", [row]))
    assert result.exit_code == 1
    assert (
        "row 2, column reason: Say why you change 김하늘's mark made from check-in times."
        in result.output
    )
    db.session.refresh(checked_in)
    assert (checked_in.status, checked_in.source) == (AttendanceStatus.LATE, MarkSource.CHECK_IN)

    row.update(status="공가", reason="병원 진료 확인서")
    result = cli(runner, tmp_path, *marks_file("utf-8", [row]))
    assert result.stdout.strip() == "created 0, updated 1, unchanged 0", result.output
    db.session.refresh(checked_in)
    assert (checked_in.status, checked_in.note, checked_in.source) == (
        AttendanceStatus.EXCUSED,
        "병원 진료 확인서",
        MarkSource.IMPORT,
    )
    assert (checked_in.arrived_at, checked_in.minutes_late) == (seoul(D1, 9, 40), 40)
    assert checked_in.recorded_by_id is None  # the system, from the command line


def test_without_a_reason_column_stored_notes_are_kept(runner, tmp_path, world, make_user):
    sky = world["enrollments"]["sky@example.com"]
    db.session.add(
        Attendance(
            enrollment_id=sky.id,
            class_day_id=world["days"][D1].id,
            status=AttendanceStatus.PRESENT,
            note="버스 지연",
        )
    )
    db.session.commit()
    content = csv_bytes(["campus", "cohort", "email", "date", "status"],
                        [["구로", "1", "sky@example.com", D1, "present"]])  # fmt: skip
    result = cli(runner, tmp_path, "a.csv", content)
    assert result.stdout.strip() == "created 0, updated 0, unchanged 1", result.output
    assert stored()[("sky@example.com", D1)][5] == "버스 지연"


# --- refusals ----------------------------------------------------------------------------------


def bad_rows() -> list[tuple[dict[str, object], str, str]]:
    """(row, column, a piece of the message): one rule each, each row of its own trainee
    (bad0@example.com …) unless it names another."""
    good = dict(campus="구로", cohort="1", date=D1, status="present")
    cases = [
        (dict(campus="부산"), "campus", "No campus is named “부산”."),
        (dict(cohort="2"), "cohort", "구로 has no cohort 2."),
        (dict(cohort="이기"), "cohort", "is not a cohort number"),
        (dict(email="nobody@example.com"), "email", "No trainee on this cohort's roster"),
        (dict(email="not-an-address"), "email", "is not a valid e-mail address"),
        (dict(date=TODAY - timedelta(days=20)), "date", "is not a class day of this cohort"),
        (dict(date=TODAY - timedelta(days=7)), "date", "is cancelled"),
        (dict(date=TODAY + timedelta(days=3)), "date", "can be taken on that day, not before"),
        (dict(date="2026-02-30"), "date", "is not a date that exists"),
        (dict(email="park@example.com", date=D3), "date", "left the cohort on"),
        (dict(status="sick"), "status", "“sick” is not one of: 출석/present"),
        (dict(arrival="09:00"), "status", "Give a status or the times, not both"),
        (dict(status="", departure="18:00"), "arrival", "needs the arrival time too"),
        (dict(status=""), "status", "Give a status, or the arrival time."),
        (dict(status="", arrival="9.05"), "arrival", "“9.05” is not a time: write it as 09:05."),
        (dict(status="", arrival="25:00"), "arrival", "is not a time that exists"),
        (dict(status="", arrival="10:00", departure="09:00"), "departure", "is not after"),
        (dict(status="excused"), "reason", "An excused day needs its reason"),
        (dict(status="공가", reason="x" * 201), "reason", "201 characters; 200 at most."),
    ]
    return [({key: {**good, "email": f"bad{n}@example.com", **change}.get(key, "")
              for key in KEYS}, column, message)
            for n, (change, column, message) in enumerate(cases)]  # fmt: skip


def test_a_file_with_bad_rows_is_refused_whole_naming_every_row_and_column(
    client, login_as, world, make_user
):
    login_as("manager", campus=world["guro"], locale="en")
    cases = bad_rows()
    for n in range(len(cases)):
        trainee = make_user("trainee", email=f"bad{n}@example.com")
        db.session.add(Enrollment(cohort_id=world["cohort"].id, user_id=trainee.id))
    db.session.commit()
    duplicate = dict(mark_rows()[0])  # the same trainee and day as row 2
    rows = [*mark_rows(), *(row for row, _, _ in cases), duplicate]
    before = counts()

    html = unescape(upload(client, *marks_file("utf-8", rows)).get_data(as_text=True))
    lines = error_lines(html)
    for number, (_row, column, message) in enumerate(cases, start=9):
        assert any(
            line[0] == str(number) and line[1] == column and message in line[2] for line in lines
        ), (number, column, message, sorted(lines))
    last = str(9 + len(cases))
    assert (last, "date", "Row 2 marks this trainee on the same day.") in lines
    assert len(lines) == len(cases) + 1  # nothing else: the good rows pass
    assert f"the file has {len(cases) + 1} error(s)" in html
    assert 'id="import-rows"' not in html and "/confirm" not in html
    assert counts() == before  # not even the upload is kept


def test_the_cli_refuses_a_file_with_one_bad_row_and_writes_nothing(runner, tmp_path, world):
    rows = mark_rows()
    rows[4]["reason"] = ""  # excused without its proof
    before = counts()
    result = cli(runner, tmp_path, *marks_file("xlsx", rows))
    assert result.exit_code == 1
    assert "row 6, column reason: An excused day needs its reason" in result.output
    assert "Nothing was imported: 1 error(s)." in result.output
    assert counts() == before


def test_a_file_without_status_or_arrival_columns_is_refused_on_its_header(app, world):
    content = csv_bytes(
        ["campus", "cohort", "email", "date"], [["구로", "1", "sky@example.com", D1]]
    )
    preview = attendance_import.preview_attendance("a.csv", content)
    assert [(e.row, e.message[:24]) for e in preview.errors] == [(1, "Add a column headed “출결”")]


def test_a_file_with_no_rows_is_refused(app, world):
    preview = attendance_import.preview_attendance("a.csv", csv_bytes(KEYS, []))
    assert [e.message for e in preview.errors] == [
        "The file has no attendance rows under its header."
    ]


def test_a_time_that_has_not_come_yet_is_refused(app, world):
    today = ClassDay(cohort_id=world["cohort"].id, day=TODAY)
    db.session.add(today)
    db.session.commit()
    if now_in_seoul().time() >= time(23, 59):
        pytest.skip("the last minute of the day in Seoul: no later time to give")
    row = dict(campus="구로", cohort="1", email="sky@example.com", date=TODAY, arrival="23:59")
    preview = attendance_import.preview_attendance(
        "a.csv", csv_bytes(KEYS, [[row.get(key, "") for key in KEYS]])
    )
    assert [(e.row, e.column, e.message) for e in preview.errors] == [
        (2, "arrival", "This time has not come yet.")
    ]


def test_a_trainee_on_two_cohorts_of_one_number_needs_the_course(
    runner, tmp_path, world, make_course, make_cohort
):
    other = make_cohort(course=make_course(campus=world["guro"], title="웹 개발 과정"), number=1)
    sky = world["enrollments"]["sky@example.com"]
    db.session.add(Enrollment(cohort_id=other.id, user_id=sky.user_id))
    db.session.add(ClassDay(cohort_id=other.id, day=D1))
    db.session.commit()
    row = ["구로", "1", "sky@example.com", D1, "present"]
    header = ["campus", "cohort", "email", "date", "status"]
    result = cli(runner, tmp_path, "a.csv", csv_bytes(header, [row]))
    assert result.exit_code == 1
    assert "row 2, column 과정명 (course): This trainee is on 2 cohorts numbered 1" in result.output

    result = cli(
        runner, tmp_path, "a.csv", csv_bytes(["과정명", *header], [["웹 개발 과정", *row]])
    )
    assert result.stdout.strip() == "created 1, updated 0, unchanged 0", result.output
    mark = db.session.scalar(db.select(Attendance))
    assert db.session.get(ClassDay, mark.class_day_id).cohort_id == other.id


# --- who may import what -----------------------------------------------------------------------


def test_a_manager_imports_rows_of_their_own_campus_only(client, login_as, world):
    login_as("manager", campus=world["mapo"], locale="en")
    html = unescape(upload(client, *marks_file("utf-8")).get_data(as_text=True))
    lines = error_lines(html)
    assert len(lines) == 7
    assert all(
        column == "campus" and message == "Not your campus: you may import rows of 마포 only."
        for _row, column, message in lines
    )
    assert count(Attendance) == 0 and count(UploadedFile) == 0


def test_only_the_uploader_may_confirm_and_only_once(client, login_as, world, make_user):
    uploader = make_user("admin", locale="en")
    stored_upload = uploads.store_upload(
        uploader, attendance_import.UPLOAD_KIND, *marks_file("utf-8")
    )
    db.session.commit()
    login_as("admin", locale="en")  # another admin: the upload is not theirs
    assert confirm(client, stored_upload.id).status_code == 404
    db.session.refresh(stored_upload)
    assert stored_upload.imported_at is None and count(Attendance) == 0

    own = current_app.test_client()
    login(own, uploader.email)
    assert confirm(own, stored_upload.id).status_code == 302
    assert confirm(own, stored_upload.id).status_code == 302  # a second click
    assert "This file was already imported." in flashes(own)
    assert count(Attendance) == 7


def test_an_upload_of_another_import_is_not_confirmed_here(client, login_as, world):
    manager = login_as("manager", campus=world["guro"], locale="en")
    other = applicant_upload(manager, world["cohort"])
    response = confirm(client, other.id)
    assert response.status_code == 302
    assert "This upload is not an attendance file." in flashes(client)
    db.session.refresh(other)
    assert other.imported_at is None


@pytest.mark.parametrize(
    ("role", "status"),
    [("admin", 200), ("manager", 200), ("coordinator", 403), ("mentor", 403), ("trainee", 403)],
)
def test_who_may_import(client, login_as, world, role, status):
    login_as(role, locale="en")
    assert client.get(url("cohorts.import_attendance")).status_code == status
    assert client.get(url("cohorts.attendance_import_template")).status_code == status


def test_the_roster_links_to_the_page_which_lists_the_columns(client, login_as, world):
    login_as("manager", campus=world["guro"], locale="en")
    roster = client.get(url("cohorts.roster_page", cohort_id=world["cohort"].id))
    assert url("cohorts.import_attendance") in roster.get_data(as_text=True)
    html = client.get(url("cohorts.import_attendance")).get_data(as_text=True)
    for column in ATTENDANCE_COLUMNS:
        assert column.korean in html and f"<code>{column.english}</code>" in html
    template = client.get(url("cohorts.attendance_import_template"))
    assert (
        template.get_data()
        == "\ufeff캠퍼스,과정명,기수,이메일,날짜,출결,입실,퇴실,사유\r\n".encode()
    )


# --- hostile files -----------------------------------------------------------------------------


def test_a_hostile_upload_is_refused_beside_the_file_and_stores_nothing(client, login_as, world):
    login_as("manager", campus=world["guro"], locale="en")
    response = upload(client, "wide.xlsx", WIDE)
    assert_refused_beside_the_file(response)
    assert count(UploadedFile) == 0 and count(Attendance) == 0


def test_the_cli_refuses_a_hostile_file_and_one_over_the_size_limit(app, runner, tmp_path, world):
    before = counts()
    result = cli(runner, tmp_path, "wide.xlsx", WIDE)
    assert result.exit_code == 1
    assert "16,384" in result.output
    app.config["IMPORT_MAX_FILE_BYTES"] = 1_000
    result = cli(runner, tmp_path, "big.csv", b"x" * 3_000)
    assert result.exit_code == 1
    assert "Error: The file is" in result.output and "Split it into smaller files." in result.output
    assert counts() == before


# --- the preview page costs the same queries however long the file ------------------------------


def test_the_preview_costs_the_same_queries_for_3_rows_or_36(
    client, login_as, world, make_user, count_queries
):
    login_as("manager", campus=world["guro"], locale="en")
    emails = []
    for n in range(12):
        user = make_user("trainee", email=f"t{n}@example.com", name=f"교육생{n}")
        db.session.add(Enrollment(cohort_id=world["cohort"].id, user_id=user.id))
        emails.append(user.email)
    db.session.commit()

    def rows(people: list[str]) -> list[dict[str, object]]:
        return [
            {**dict.fromkeys(KEYS, ""), "campus": "구로", "cohort": "1", "email": email,
             "date": day, "status": "", "arrival": "09:12", "departure": "18:00"}
            for email in people for day in (D1, D2, D3)
        ]  # fmt: skip

    with count_queries() as few:
        html = upload(client, *marks_file("utf-8", rows(emails[:1]))).get_data(as_text=True)
    assert "New: 3" in html
    with count_queries() as many:
        html = upload(client, *marks_file("utf-8", rows(emails))).get_data(as_text=True)
    assert "New: 36" in html
    assert many() == few()


# --- cells ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("09:05", time(9, 5)),
        ("9:05", time(9, 5)),
        ("09:05:30", time(9, 5, 30)),
        ("오전 9:05", time(9, 5)),
        ("오후 6:00", time(18, 0)),
        ("오후 12:30", time(12, 30)),
        ("오전 12:10", time(0, 10)),
        ("6:00 PM", time(18, 0)),
        ("9:05 am", time(9, 5)),
    ],
)
def test_times_as_campus_files_write_them(app, value, expected):
    assert parse_clock(value) == (expected, None)


@pytest.mark.parametrize("value", ["9.05", "0905", "24:00", "9:60", "오후 13:00", "오전 9:05 PM"])
def test_other_times_are_refused(app, value):
    with pytest.raises(CellError):
        parse_clock(value)


def test_an_excel_date_and_time_cell_gives_its_date_too(app):
    assert parse_clock(datetime(2026, 3, 2, 9, 5)) == (
        time(9, 5),
        date(2026, 3, 2),
    )
