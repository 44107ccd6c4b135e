"""Importing applicants from CSV and XLSX: the reader's parsers, then upload → preview → confirm."""

from __future__ import annotations

import io
import re
from datetime import date, datetime

import pytest
import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import force_locale
from openpyxl import Workbook

from sesac_ms.applications import importing
from sesac_ms.extensions import db
from sesac_ms.imports.reader import (
    CellError,
    Column,
    match_headers,
    parse_choice,
    parse_date,
    parse_yes_no,
    read_table,
)
from sesac_ms.models import (
    Application,
    AuditEntry,
    Education,
    EmploymentStatus,
    OutboxMessage,
    UploadedFile,
)
from sesac_ms.models.applications import OUTSIDE_SEOUL

HEADER = [
    "성명",
    "이메일",
    "연락처",
    "생년월일",
    "거주지",
    "서울소재대학",
    "취업상태",
    "학력",
    "지원동기",
    "포트폴리오",
    "개인정보동의",
]
ROWS = [
    [
        "김하늘",
        "Sky.Kim@Example.com",
        "010-1234-5678",
        "1999-03-14",
        "구로구",
        "N",
        "미취업",
        "대졸",
        "데이터 분석가가 되고 싶습니다.",
        "",
        "Y",
    ],
    [
        "이민",
        "min@example.com",
        "01098765432",
        "2001.11.02",
        "서울 외",
        "Y",
        "student",
        "college",
        "AI 서비스를 만들고 싶습니다.",
        "https://github.com/min",
        "y",
    ],
]


@pytest.fixture(autouse=True)
def english(app):
    """Messages in English, whatever the catalogs say; the users below choose English too."""
    with force_locale("en"):
        yield


def csv_bytes(header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> bytes:
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


def the_file_as(kind: str) -> tuple[str, bytes]:
    if kind == "xlsx":
        rows = [list(row) for row in ROWS]
        rows[0][3] = date(1999, 3, 14)  # a real Excel date cell
        rows[1][3] = datetime(2001, 11, 2)
        return "지원자.xlsx", xlsx_bytes(HEADER, rows)
    encoding = {"utf-8": "utf-8", "utf-8-bom": "utf-8-sig", "cp949": "cp949"}[kind]
    return "지원자.csv", csv_bytes(HEADER, ROWS, encoding)


def url(endpoint: str, **values) -> str:
    with current_app.test_request_context():
        return url_for(endpoint, **values)


def upload(client, cohort, filename: str, content: bytes):
    return client.post(
        url("applications.import_applicants", cohort_id=cohort.id),
        data={"file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def last_upload() -> UploadedFile | None:
    return db.session.scalar(db.select(UploadedFile).order_by(UploadedFile.id.desc()))


def confirm(client, upload_id: int):
    return client.post(url("applications.confirm_import", upload_id=upload_id))


def flashes(client) -> list[str]:
    with client.session_transaction() as session:
        return [message for _category, message in session.get("_flashes", [])]


def error_cells(html: str) -> set[tuple[str, str]]:
    """(row, column) of every line of the preview's error table."""
    table = html.split('id="import-errors"', 1)[1].split("</table>", 1)[0]
    return {
        (row, column)
        for row, column, _ in re.findall(
            r"<tr><td[^>]*>(.*?)</td><td[^>]*>(.*?)</td><td[^>]*>(.*?)</td></tr>", table
        )
    }


def applications_of(cohort) -> list[Application]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            db.select(Application)
            .where(Application.cohort_id == cohort.id)
            .order_by(Application.email)
        )
    )


# --- the reader ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "2025-08-29",
        "2025.08.29",
        "2025/08/29",
        "20250829",
        "2025. 8. 29.",
        "2025.8.29",
        " 2025-08-29 ",
        "2025-08-29 00:00:00",
        "2025년 8월 29일",
        date(2025, 8, 29),
        datetime(2025, 8, 29, 0, 0),
    ],
)
def test_parse_date_reads_every_form_staff_write(app, value):
    assert parse_date(value) == date(2025, 8, 29)


@pytest.mark.parametrize(
    "value",
    [
        "29/08/2025",
        "2025-02-30",
        "2025-08",
        "2025-08/29",
        "202508290",
        "내일",
        "08-29-2025",
    ],
)
def test_parse_date_refuses_anything_else(app, value):
    with pytest.raises(CellError, match="date"):
        parse_date(value)


def test_parse_date_leaves_empty_cells_empty(app):
    assert parse_date("") is None and parse_date("  ") is None and parse_date(None) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Y", True),
        ("y", True),
        ("yes", True),
        ("TRUE", True),
        ("예", True),
        ("O", True),
        ("N", False),
        ("no", False),
        ("FALSE", False),
        ("아니오", False),
        ("x", False),
        ("", None),
    ],
)
def test_parse_yes_no(app, value, expected):
    assert parse_yes_no(value) is expected


def test_parse_yes_no_refuses_other_words(app):
    with pytest.raises(CellError, match="Y or N"):
        parse_yes_no("maybe")


def test_parse_choice_takes_korean_and_english_spellings(app):
    choices = importing.EMPLOYMENT_CHOICES
    assert parse_choice("재직", choices) == EmploymentStatus.EMPLOYED
    assert parse_choice("Self-Employed", choices) == EmploymentStatus.SELF_EMPLOYED
    assert parse_choice(" self_employed ", choices) == EmploymentStatus.SELF_EMPLOYED
    with pytest.raises(CellError, match="미취업/unemployed"):
        parse_choice("백수", choices)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("구로구", "구로구"),
        ("구로", "구로구"),
        ("서울 구로구", "구로구"),
        ("서울특별시 중구", "중구"),
        ("중", "중구"),
        ("중랑", "중랑구"),
        ("서울 외", OUTSIDE_SEOUL),
        ("outside_seoul", OUTSIDE_SEOUL),
    ],
)
def test_districts_are_read_with_or_without_구(app, value, expected):
    assert importing.parse_district(value) == expected


@pytest.mark.parametrize("value", ["부산", "구로동", "서울"])
def test_other_places_are_not_districts(app, value):
    with pytest.raises(CellError, match="Seoul district"):
        importing.parse_district(value)


COLUMNS = [
    Column("name", "name", "성명", True),
    Column("email", "email", "이메일", True),
    Column("birth_date", "birth_date", "생년월일", False),
    Column("note", "note", "비고", False),
]


def test_headers_match_in_korean_or_english_in_any_order_spaces_and_case_ignored(app):
    match = match_headers([" 이메일 ", "Memo", "", "Birth Date", "NAME"], COLUMNS)
    assert match.positions == {"email": 0, "birth_date": 3, "name": 4}
    assert match.written == {"email": "이메일", "birth_date": "Birth Date", "name": "NAME"}
    assert match.unknown == ["Memo"]
    assert match.errors == []


def test_a_missing_required_column_is_named_on_the_header_row(app):
    match = match_headers(["성명", "생년월일"], COLUMNS)
    assert [(e.row, e.column) for e in match.errors] == [(1, "이메일 (email)")]
    assert "이메일" in match.errors[0].message and "email" in match.errors[0].message


def test_a_column_given_twice_is_an_error(app):
    match = match_headers(["name", "이메일", "성명"], COLUMNS)
    assert [(e.row, e.column) for e in match.errors] == [(1, "성명")]


def test_rows_keep_the_spreadsheet_numbers_and_empty_rows_are_skipped(app):
    content = (
        "\ufeff\r\n 성명 ,EMAIL,unknown\r\n 김하늘 , a@example.com ,x\r\n,,\r\n"
        "이민,b@example.com\r\n"
    )
    table = read_table("a.csv", content.encode("utf-8"), COLUMNS)
    assert table.headers == {"name": "성명", "email": "EMAIL"}
    assert table.unknown_headers == ["unknown"]
    assert [(row.number, row.values) for row in table.rows] == [
        (3, {"name": "김하늘", "email": "a@example.com"}),
        (5, {"name": "이민", "email": "b@example.com"}),
    ]


def test_xlsx_rows_are_numbered_as_excel_shows_them_and_dates_arrive_as_dates(app):
    content = xlsx_bytes(
        ["이메일", "성명", "생년월일"],
        [
            ["a@example.com", "김하늘", date(1999, 3, 14)],
            [None, None, None],
            ["b@example.com", "이민", 20011102],
        ],
    )
    table = read_table("a.xlsx", content, COLUMNS)
    assert [row.number for row in table.rows] == [2, 4]
    assert parse_date(table.rows[0].values["birth_date"]) == date(1999, 3, 14)
    assert table.rows[1].values["birth_date"] == "20011102"


def test_the_preview_takes_english_headers_in_any_order_and_excel_numbers(app, make_cohort):
    cohort = make_cohort()
    header = [
        " Consent",
        "Motivation",
        "EDUCATION",
        "employment status",
        "District",
        "Phone",
        "Birth Date",
        "E-mail",
        "Name ",
        "note",
    ]
    row = [
        "Y",
        "배우고 싶습니다.",
        "graduate",
        "재직",
        "서울특별시 강남구",
        1012345678,
        datetime(1995, 1, 31),
        "Kim@Example.com",
        "  김  하늘 ",
        "memo",
    ]
    result = importing.preview(cohort, "en.xlsx", xlsx_bytes(header, [row]))
    assert result.errors == []
    assert result.unknown_headers == ["note"]
    (only,) = result.rows
    assert only.number == 2
    details = only.details
    assert (details.name, details.email, details.phone) == (
        "김 하늘",
        "kim@example.com",
        "010-1234-5678",
    )
    assert (details.birth_date, details.district) == (date(1995, 1, 31), "강남구")
    assert details.employment_status == EmploymentStatus.EMPLOYED
    assert details.education == Education.GRADUATE and details.seoul_university is False


# --- upload, preview, confirm ---------------------------------------------------------------


@pytest.mark.parametrize("kind", ["utf-8", "utf-8-bom", "cp949", "xlsx"])
def test_a_manager_imports_the_same_file_in_every_format(client, login_as, make_cohort, kind):
    cohort = make_cohort()
    manager = login_as("manager", locale="en")
    filename, content = the_file_as(kind)

    response = upload(client, cohort, filename, content)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "김하늘" in html and "min@example.com" in html and 'id="import-errors"' not in html
    stored = last_upload()
    assert stored.kind == "applicants" and stored.target_id == cohort.id
    assert stored.uploaded_by_id == manager.id and stored.imported_at is None
    assert url("applications.confirm_import", upload_id=stored.id) in html
    assert applications_of(cohort) == []  # the preview writes nothing

    response = confirm(client, stored.id)
    assert response.status_code == 302
    assert response.location.endswith(url("applications.pipeline", cohort_id=cohort.id))
    assert any("2 applicant(s) imported" in message for message in flashes(client))

    min_, sky = applications_of(cohort)
    assert (sky.name, sky.email, sky.phone, sky.birth_date) == (
        "김하늘",
        "sky.kim@example.com",
        "010-1234-5678",
        date(1999, 3, 14),
    )
    assert (sky.district, sky.seoul_university) == ("구로구", False)
    assert (sky.employment_status, sky.education) == (
        EmploymentStatus.UNEMPLOYED,
        Education.UNIVERSITY,
    )
    assert sky.portfolio_url is None and sky.source == "import" and sky.consented_at
    assert (min_.phone, min_.birth_date, min_.district) == (
        "010-9876-5432",
        date(2001, 11, 2),
        OUTSIDE_SEOUL,
    )
    assert min_.seoul_university and min_.employment_status == EmploymentStatus.STUDENT
    assert min_.education == Education.COLLEGE and min_.portfolio_url == "https://github.com/min"
    db.session.refresh(stored)
    assert stored.imported_at is not None
    assert db.session.scalar(db.select(sa.func.count()).select_from(OutboxMessage)) == 0
    entry = db.session.scalar(
        db.select(AuditEntry).where(AuditEntry.action == "applications.imported")
    )
    assert entry.actor_id == manager.id and entry.object_id == stored.id
    assert entry.changes["created"] == 2 and entry.changes["skipped"] == 0


def test_importing_the_same_file_twice_changes_nothing(client, login_as, make_cohort):
    cohort = make_cohort()
    login_as("manager", locale="en")
    filename, content = the_file_as("utf-8")
    upload(client, cohort, filename, content)
    confirm(client, last_upload().id)
    first = [(a.id, a.email) for a in applications_of(cohort)]
    assert len(first) == 2

    html = upload(client, cohort, filename, content).get_data(as_text=True)
    assert "Already imported, skipped: 2" in html
    assert "Nothing new to import" in html
    again = last_upload()
    assert url("applications.confirm_import", upload_id=again.id) not in html

    response = confirm(client, again.id)  # posted anyway: nothing new is created
    assert response.status_code == 302
    assert [(a.id, a.email) for a in applications_of(cohort)] == first


def test_a_file_with_errors_is_refused_whole_with_every_bad_row_named(
    client, login_as, make_cohort
):
    cohort = make_cohort()
    login_as("manager", locale="en")
    header = [h for h in HEADER if h != "지원동기"]  # a required column missing
    good = [
        "김하늘",
        "sky@example.com",
        "010-1234-5678",
        "1999-03-14",
        "구로구",
        "N",
        "미취업",
        "대졸",
        "",
        "Y",
    ]
    rows = [
        good,
        good[:1] + ["not-an-email"] + good[2:],  # row 3
        ["박서준", "park@example.com"] + good[2:3] + ["1999-02-30"] + good[4:],  # row 4
        ["최유리", "choi@example.com"] + good[2:-1] + ["N"],  # row 5: no consent
        ["김하늘2", "SKY@example.com"] + good[2:],  # row 6: the e-mail of row 2 again
    ]

    response = upload(client, cohort, "지원자.csv", csv_bytes(header, rows))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert error_cells(html) == {
        ("1", "지원동기 (motivation)"),
        ("3", "이메일"),
        ("4", "생년월일"),
        ("5", "개인정보동의"),
        ("6", "이메일"),
    }
    assert "not-an-email" in html and "1999-02-30" in html and "also on row 2" in html
    assert "Nothing can be imported" in html
    assert "/confirm" not in html
    assert applications_of(cohort) == []
    assert last_upload() is None  # a file that cannot be imported is not kept


def test_the_service_refuses_a_stored_file_with_errors_and_writes_nothing(
    app, make_cohort, make_user
):
    cohort = make_cohort()
    manager = make_user("manager")
    rows = [list(ROWS[0]), list(ROWS[1])]
    rows[1][3] = "2001-13-02"
    stored = importing.store_upload(manager, cohort, "a.csv", csv_bytes(HEADER, rows))
    db.session.commit()
    with pytest.raises(importing.ImportRefused) as refused:
        importing.import_file(manager, cohort, stored)
    db.session.rollback()
    assert [(e.row, e.column) for e in refused.value.errors] == [(3, "생년월일")]
    assert applications_of(cohort) == []
    db.session.refresh(stored)
    assert stored.imported_at is None


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("applicants.txt", b"name,email\n", "Upload a .csv or .xlsx file."),
        ("applicants.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Upload a .csv or .xlsx file."),
        ("applicants.xlsx", "성명,이메일\n".encode(), "not a valid .xlsx workbook"),
        ("applicants.csv", b"\xff\xfe\xff\xfe\x00\xff", "could not be read as text"),
        ("applicants.csv", b"\r\n\r\n", "The file is empty"),
    ],
)
def test_a_file_that_is_no_table_is_refused_with_a_message(
    client, login_as, make_cohort, filename, content, message
):
    cohort = make_cohort()
    login_as("manager", locale="en")
    response = upload(client, cohort, filename, content)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in html
    assert 'id="preview-title"' not in html
    assert last_upload() is None


def test_confirming_twice_imports_once(client, login_as, make_cohort):
    cohort = make_cohort()
    login_as("manager", locale="en")
    upload(client, cohort, *the_file_as("utf-8"))
    stored = last_upload()
    confirm(client, stored.id)
    response = confirm(client, stored.id)
    assert response.status_code == 302
    assert response.location.endswith(url("applications.import_applicants", cohort_id=cohort.id))
    assert "This file was already imported." in flashes(client)
    assert len(applications_of(cohort)) == 2


def test_another_user_cannot_confirm_someone_elses_upload(
    app, client, login_as, make_cohort, make_user
):
    cohort = make_cohort()
    uploader = make_user("manager")
    stored = importing.store_upload(uploader, cohort, "a.csv", the_file_as("utf-8")[1])
    db.session.commit()
    login_as("manager", locale="en")
    response = confirm(client, stored.id)
    assert response.status_code == 302
    assert any("Only the person who uploaded" in message for message in flashes(client))
    assert applications_of(cohort) == []


def test_a_manager_of_another_campus_gets_404(
    client, login_as, make_cohort, make_campus, make_user
):
    cohort = make_cohort()
    stored = importing.store_upload(make_user("manager"), cohort, "a.csv", the_file_as("utf-8")[1])
    db.session.commit()
    login_as("manager", campus=make_campus("중랑", name_en="Jungnang", district="중랑구"))
    assert client.get(url("applications.import_applicants", cohort_id=cohort.id)).status_code == 404
    assert upload(client, cohort, *the_file_as("utf-8")).status_code == 404
    assert confirm(client, stored.id).status_code == 404
    assert client.get(url("applications.import_template", cohort_id=cohort.id)).status_code == 404
    assert applications_of(cohort) == []


@pytest.mark.parametrize("role", ["coordinator", "mentor", "trainee"])
def test_only_managers_and_admins_import(client, login_as, make_cohort, role):
    cohort = make_cohort()
    login_as(role)
    assert client.get(url("applications.import_applicants", cohort_id=cohort.id)).status_code == 403


def test_the_page_lists_the_columns_and_offers_a_template(client, login_as, make_cohort):
    cohort = make_cohort()
    login_as("manager", locale="en")
    html = client.get(url("applications.import_applicants", cohort_id=cohort.id)).get_data(
        as_text=True
    )
    for column in importing.COLUMNS:
        assert column.korean in html and f"<code>{column.english}</code>" in html
    assert 'enctype="multipart/form-data"' in html
    response = client.get(url("applications.import_template", cohort_id=cohort.id))
    assert response.mimetype == "text/csv"
    assert response.data.startswith("\ufeff성명,이메일".encode())
    table = read_table("applicants.csv", response.data, importing.COLUMNS)
    assert table.errors == [] and table.rows == []
