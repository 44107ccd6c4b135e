"""The employment and certification reports give the figures a hand count gives.

A small world of two campuses is counted by hand below; the reports must agree at every
level (campus, course, cohort), with every filter (--within-days, --year, --campus), in
every format (CSV, JSON, XLSX; CLI and web). Totals are Σ numerators ÷ Σ targets, never an
average of rates. The demo reproduces the article (63.4% in total, 종로 76.0% within 30
days; 마포: 21 sat AI-900, 18 passed). A cohort whose window is still open shows "집계중"
(tests/test_not_yet_counted.py follows it through every surface).
Managers see their campus only. The report pages and the admin dashboard run the same
number of SQL statements for 3 campuses as for all 25.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from datetime import date, timedelta
from html import unescape

import pytest
from openpyxl import load_workbook

from sesac_ms.applications.services import today_in_seoul
from sesac_ms.errors import InvalidInput
from sesac_ms.extensions import db
from sesac_ms.models import (
    Campus,
    Cohort,
    CohortStatus,
    Course,
    Enrollment,
    EnrollmentStatus,
    ExclusionReason,
    OutcomeKind,
    Role,
    User,
)
from sesac_ms.placements.services import (
    OutcomeData,
    current_outcome,
    record_attempt,
    record_outcome,
    record_retention,
)
from sesac_ms.reports import services
from sesac_ms.reports.services import EmploymentFilters, employment_report

TODAY = today_in_seoul()
COLUMNS = [
    "campus",
    "course",
    "cohort",
    "completed",
    "excluded",
    "target",
    "employed",
    "founded",
    "rate",
]
END_2024 = date(2024, 12, 20)
END_SPRING = date(2025, 6, 30)
END_SUMMER = date(2025, 8, 29)

COMPLETED = EnrollmentStatus.COMPLETED
EMPLOYED, FOUNDED, EXCLUDED = OutcomeKind.EMPLOYED, OutcomeKind.FOUNDED, OutcomeKind.EXCLUDED


# --- building worlds -------------------------------------------------------------------


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def as_tuples(rows) -> list[tuple]:
    return [tuple(r.as_dict()[c] for c in COLUMNS) for r in rows]


def report(**filters) -> list[tuple]:
    return as_tuples(employment_report(EmploymentFilters(**filters)))


@pytest.fixture
def trainees(make_user, make_cohort, make_course) -> Callable[..., list[Enrollment]]:
    """Put trainees on a cohort that has ended, each with a status and outcomes (oldest first).

    `people` is a list of (status, [(kind, days after the end, extra), ...]).
    """

    def factory(course: Course, number: int, end_on: date, people: list) -> list[Enrollment]:
        cohort = make_cohort(
            course=course,
            number=number,
            status=CohortStatus.FINISHED if end_on < TODAY else CohortStatus.IN_PROGRESS,
            recruit_start_on=end_on - timedelta(days=150),
            recruit_end_on=end_on - timedelta(days=130),
            start_on=end_on - timedelta(days=120),
            end_on=end_on,
        )
        made = []
        for status, outcomes in people:
            user = make_user(Role.TRAINEE, campus=course.campus)
            enrollment = Enrollment(
                cohort_id=cohort.id,
                user_id=user.id,
                status=status,
                status_on=None if status == EnrollmentStatus.ENROLLED else end_on,
            )
            db.session.add(enrollment)
            db.session.flush()
            for kind, days, extra in outcomes:
                record_outcome(
                    None,
                    enrollment,
                    OutcomeData(
                        kind,
                        end_on + timedelta(days=days),
                        company="" if kind == EXCLUDED else "한빛제조",
                        exclusion_reason=ExclusionReason(extra) if kind == EXCLUDED else None,
                    ),
                )
            made.append(enrollment)
        db.session.commit()
        return made

    return factory


def job(days: int) -> tuple:
    return (EMPLOYED, days, None)


def business(days: int) -> tuple:
    return (FOUNDED, days, None)


def excluded(days: int, reason: str = "military") -> tuple:
    return (EXCLUDED, days, reason)


@pytest.fixture
def mapo(make_campus) -> Campus:
    return make_campus("마포", name_en="Mapo", district="마포구", opening_order=3)


@pytest.fixture
def jongno(make_campus) -> Campus:
    return make_campus("종로", name_en="Jongno", district="종로구", opening_order=11)


@pytest.fixture
def counted(mapo, jongno, make_course, trainees, campus) -> dict[str, Campus]:
    """The world counted by hand in the expectations below."""
    ai = make_course(campus=mapo, title="AI 엔지니어 과정")
    trainees(
        ai,
        1,
        END_SUMMER,
        [
            (COMPLETED, [job(10)]),
            (COMPLETED, [job(31)]),  # a day late for the 30-day window
            (COMPLETED, [business(20)]),
            (COMPLETED, [excluded(5)]),
            (COMPLETED, []),
            (EnrollmentStatus.EARLY_EMPLOYED, [job(-10)]),
            (EnrollmentStatus.DROPPED, []),
            (EnrollmentStatus.ENROLLED, []),
        ],
    )
    trainees(ai, 2, END_2024, [(COMPLETED, [job(15)]), (COMPLETED, [])])
    data = make_course(campus=mapo, title="데이터 분석 과정")
    trainees(
        data,
        1,
        END_SPRING,
        [
            (COMPLETED, [job(40)]),
            (COMPLETED, [business(3)]),
            (COMPLETED, [excluded(60, "further_study")]),  # after the 30-day window
        ],
    )
    smart = make_course(campus=jongno, title="Smart AI Master 과정")
    trainees(
        smart,
        1,
        END_SUMMER,
        [
            (COMPLETED, [job(1)]),
            (COMPLETED, [job(2)]),
            (COMPLETED, [job(30)]),  # the last day of the window counts
            (COMPLETED, [job(5), excluded(25, "emigration")]),  # only the current one counts
            (COMPLETED, []),
        ],
    )
    empty = make_course(campus=jongno, title="빈 과정")
    trainees(empty, 1, END_SUMMER, [(COMPLETED, [excluded(3)])])
    # 구로 has a cohort in training only: no row.
    trainees(
        make_course(campus=campus), 1, TODAY + timedelta(days=40), [(EnrollmentStatus.ENROLLED, [])]
    )
    return {"마포": mapo, "종로": jongno}


# Counted by hand from the world above.
BY_COHORT = [
    ("마포", "AI 엔지니어 과정", 1, 6, 1, 5, 3, 1, 80.0),
    ("마포", "AI 엔지니어 과정", 2, 2, 0, 2, 1, 0, 50.0),
    ("마포", "데이터 분석 과정", 1, 3, 1, 2, 1, 1, 100.0),
    ("종로", "Smart AI Master 과정", 1, 5, 1, 4, 3, 0, 75.0),
    ("종로", "빈 과정", 1, 1, 1, 0, 0, 0, None),
    ("", "", "", 17, 4, 13, 8, 2, 76.9),
]
BY_COHORT_30 = [
    ("마포", "AI 엔지니어 과정", 1, 6, 1, 5, 2, 1, 60.0),
    ("마포", "AI 엔지니어 과정", 2, 2, 0, 2, 1, 0, 50.0),
    ("마포", "데이터 분석 과정", 1, 3, 0, 3, 0, 1, 33.3),
    ("종로", "Smart AI Master 과정", 1, 5, 1, 4, 3, 0, 75.0),
    ("종로", "빈 과정", 1, 1, 1, 0, 0, 0, None),
    ("", "", "", 17, 3, 14, 6, 2, 57.1),
]
BY_COURSE = [
    ("마포", "AI 엔지니어 과정", "", 8, 1, 7, 4, 1, 71.4),
    ("마포", "데이터 분석 과정", "", 3, 1, 2, 1, 1, 100.0),
    ("종로", "Smart AI Master 과정", "", 5, 1, 4, 3, 0, 75.0),
    ("종로", "빈 과정", "", 1, 1, 0, 0, 0, None),
    ("", "", "", 17, 4, 13, 8, 2, 76.9),
]
BY_CAMPUS = [
    ("마포", "", "", 11, 2, 9, 5, 2, 77.8),
    ("종로", "", "", 6, 2, 4, 3, 0, 75.0),
    ("", "", "", 17, 4, 13, 8, 2, 76.9),
]
BY_CAMPUS_30 = [
    ("마포", "", "", 11, 1, 10, 3, 2, 50.0),
    ("종로", "", "", 6, 2, 4, 3, 0, 75.0),
    ("", "", "", 17, 3, 14, 6, 2, 57.1),
]


# --- the figures -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"by": "cohort"}, BY_COHORT),
        ({"by": "cohort", "within_days": 30}, BY_COHORT_30),
        ({"by": "course"}, BY_COURSE),
        ({"by": "campus"}, BY_CAMPUS),
        ({"by": "campus", "within_days": 30}, BY_CAMPUS_30),
    ],
    ids=["cohort", "cohort-30", "course", "campus", "campus-30"],
)
def test_the_report_gives_the_hand_count(counted, filters, expected):
    assert report(**filters) == expected


def test_an_outcome_a_day_after_the_window_counts_only_in_a_longer_one(counted):
    first = report(by="cohort", within_days=31)[0]
    assert first == ("마포", "AI 엔지니어 과정", 1, 6, 1, 5, 3, 1, 80.0)
    assert report(by="cohort", within_days=30)[0][6] == 2


@pytest.mark.parametrize("one_campus", [False, True], ids=["all-campuses", "one-campus"])
def test_the_dashboards_two_windows_from_one_statement_are_the_reports(
    counted, count_queries, one_campus
):
    campus_id = counted["마포"].id if one_campus else None
    with count_queries() as statements:
        within, overall = services.employment_reports_by_campus((30, None), campus_id)
    assert statements() == 1

    def alone(within_days):
        return employment_report(
            EmploymentFilters(by="campus", campus_id=campus_id, within_days=within_days)
        )

    for both, single in ((within, alone(30)), (overall, alone(None))):
        assert [(row.campus, row.as_dict(), row.window_open, row.pending) for row in both] == [
            (row.campus, row.as_dict(), row.window_open, row.pending) for row in single
        ]
    assert len(overall) == (2 if one_campus else 3)  # the campuses' rows and the total


def test_year_and_campus_filters_select_cohorts(counted):
    assert report(year=2024) == [
        ("마포", "", "", 2, 0, 2, 1, 0, 50.0),
        ("", "", "", 2, 0, 2, 1, 0, 50.0),
    ]
    assert report(year=2025) == [
        ("마포", "", "", 9, 2, 7, 4, 2, 85.7),
        ("종로", "", "", 6, 2, 4, 3, 0, 75.0),
        ("", "", "", 15, 4, 11, 7, 2, 81.8),
    ]
    assert report(by="cohort", campus_id=counted["종로"].id) == [
        ("종로", "Smart AI Master 과정", 1, 5, 1, 4, 3, 0, 75.0),
        ("종로", "빈 과정", 1, 1, 1, 0, 0, 0, None),
        ("", "", "", 6, 2, 4, 3, 0, 75.0),
    ]
    assert report(year=2023) == [("", "", "", 0, 0, 0, 0, 0, None)]


def test_the_total_adds_numerators_and_targets_and_never_averages_rates(
    make_campus, make_course, trainees
):
    strong, weak = make_campus("강남", opening_order=20), make_campus("송파", opening_order=21)
    trainees(
        make_course(campus=strong), 1, END_SUMMER, [(COMPLETED, [job(5)])] * 9 + [(COMPLETED, [])]
    )
    trainees(make_course(campus=weak), 1, END_SUMMER, [(COMPLETED, [])] * 2)

    rows = report()

    assert [r[-1] for r in rows[:-1]] == [90.0, 0.0]  # their average would be 45.0
    assert rows[-1] == ("", "", "", 12, 0, 12, 9, 0, 75.0)


@pytest.mark.parametrize(
    ("numerator", "target", "expected"),
    [
        (52, 82, 63.4),
        (19, 25, 76.0),
        (2, 3, 66.7),
        (1, 8, 12.5),
        (1, 16, 6.3),
        (3, 16, 18.8),
        (0, 5, 0.0),
        (0, 0, None),
    ],
)
def test_rates_round_half_up_to_one_decimal_as_a_hand_count_does(numerator, target, expected):
    assert services.rate(numerator, target) == expected


def test_a_rate_rounds_half_up_in_the_report_too(make_course, trainees):
    trainees(make_course(), 1, END_SUMMER, [(COMPLETED, [job(3)])] + [(COMPLETED, [])] * 15)
    assert report()[-1][-1] == 6.3  # 1 of 16 = 6.25%


# --- the formats -----------------------------------------------------------------------


def test_the_cli_writes_csv_with_the_columns_in_order_and_empty_rates(counted, runner):
    result = runner.invoke(args=["report", "employment", "--by", "cohort"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == ",".join(COLUMNS)
    assert lines[1] == "마포,AI 엔지니어 과정,1,6,1,5,3,1,80.0"
    assert lines[5] == "종로,빈 과정,1,1,1,0,0,0,"
    assert lines[-1] == ",,,17,4,13,8,2,76.9"
    assert len(lines) == 1 + len(BY_COHORT)


def test_the_cli_writes_json_with_numbers_as_numbers(counted, runner):
    result = runner.invoke(
        args=["report", "employment", "--by", "cohort", "--within-days", "30", "--format", "json"]
    )

    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [list(row) for row in rows] == [COLUMNS] * len(BY_COHORT_30)
    assert [tuple(row.values()) for row in rows] == BY_COHORT_30
    assert isinstance(rows[0]["cohort"], int) and isinstance(rows[0]["rate"], float)
    assert rows[4]["rate"] is None
    assert '"rate": null' in result.output


def test_the_cli_filters_by_campus_name_and_year(counted, runner):
    result = runner.invoke(
        args=["report", "employment", "--campus", "Jongno", "--year", "2025", "--format", "json"]
    )
    assert [tuple(r.values()) for r in json.loads(result.output)] == [
        ("종로", "", "", 6, 2, 4, 3, 0, 75.0),
        ("", "", "", 6, 2, 4, 3, 0, 75.0),
    ]
    result = runner.invoke(args=["report", "employment", "--campus", "마포", "--format", "json"])
    assert json.loads(result.output)[-1]["rate"] == 77.8

    unknown = runner.invoke(args=["report", "employment", "--campus", "Atlantis"])
    assert unknown.exit_code != 0 and "Atlantis" in unknown.output
    negative = runner.invoke(args=["report", "employment", "--within-days", "-1"])
    assert negative.exit_code != 0


def test_the_cli_writes_xlsx_to_a_file(counted, runner, tmp_path):
    path = tmp_path / "employment.xlsx"
    result = runner.invoke(args=["report", "employment", "--format", "xlsx", "--output", str(path)])

    assert result.exit_code == 0, result.output
    sheet = load_workbook(path).active
    values = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    assert list(values[0]) == COLUMNS
    assert values[1] == ("마포", None, None, 11, 2, 9, 5, 2, 77.8)
    assert values[-1][3:] == (17, 4, 13, 8, 2, 76.9)
    assert len(values) == 1 + len(BY_CAMPUS)


def test_the_web_downloads_the_same_files(counted, client, login_as, runner):
    login_as(Role.ADMIN, locale="en")

    response = client.get("/reports/employment?by=cohort&within_days=30&format=json")
    assert response.mimetype == "application/json"
    assert [tuple(r.values()) for r in response.get_json()] == BY_COHORT_30

    response = client.get("/reports/employment?format=csv")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    cli = runner.invoke(args=["report", "employment"])
    assert response.get_data(as_text=True) == cli.output

    response = client.get("/reports/employment?by=course&format=xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert [c.value for c in sheet[1]] == COLUMNS
    assert sheet.max_row == 1 + len(BY_COURSE)

    assert client.get("/reports/employment?format=pdf").status_code == 400


def test_the_web_page_shows_the_rates_with_one_decimal(counted, client, login_as):
    login_as(Role.ADMIN, locale="en")

    page = text(client.get("/reports/employment?by=cohort"))

    cells = table_rows(page)
    assert cells[0][:3] == ["Mapo", "AI 엔지니어 과정", "1"] and cells[0][-1] == "80.0%"
    assert cells[4][:3] == ["Jongno", "빈 과정", "1"] and cells[4][-1] == "—"
    assert cells[-1] == ["Total", "", "", "17", "4", "13", "8", "2", "76.9%"]
    assert "집계중" not in page


def table_rows(page: str) -> list[list[str]]:
    """The cells of the report table's body rows, tags stripped."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


# --- the open window ---------------------------------------------------------------------


def test_a_cohort_whose_window_is_open_shows_in_progress_not_a_low_rate(
    client, login_as, campus, make_course, trainees
):
    course = make_course(campus=campus, title="AI 활용 데이터분석 취업캠프")
    trainees(course, 1, TODAY - timedelta(days=100), [(COMPLETED, [job(5)]), (COMPLETED, [])])
    trainees(course, 2, TODAY - timedelta(days=10), [(COMPLETED, [job(5)]), (COMPLETED, [])])
    login_as(Role.ADMIN, locale="en")

    rows = table_rows(text(client.get("/reports/employment?by=cohort&within_days=30")))
    assert rows[0][2] == "1" and rows[0][-1] == "50.0%"
    assert rows[1][2] == "2" and rows[1][-1] == "Not yet counted"
    # The total counts the closed cohort only, and says what it leaves out.
    assert rows[2][-1] == "50.0% 1 cohort not yet counted"

    rows = table_rows(text(client.get("/reports/employment?by=cohort")))
    assert [r[-1] for r in rows] == ["50.0%", "50.0%", "50.0%"]

    flagged = employment_report(EmploymentFilters(by="cohort", within_days=30))
    assert [(r.window_open, r.pending) for r in flagged] == [(False, 0), (True, 1), (False, 1)]
    assert "1 cohort not yet counted" in text(client.get("/"))  # the dashboard's 30 days too


# --- who sees what ----------------------------------------------------------------------


def test_a_manager_sees_only_their_campus_whatever_they_ask(counted, client, login_as):
    login_as(Role.MANAGER, campus=counted["마포"], locale="en")
    other = counted["종로"].id

    rows = client.get(f"/reports/employment?campus_id={other}&format=json").get_json()
    assert [tuple(r.values()) for r in rows] == [BY_CAMPUS[0], ("", "", "", *BY_CAMPUS[0][3:])]

    page = text(client.get(f"/reports/employment?campus_id={other}&by=cohort"))
    assert "Mapo" in page and "Jongno" not in page and "Smart AI Master" not in page
    assert 'name="campus_id"' not in page

    rows = client.get(f"/reports/certifications?campus_id={other}&format=json").get_json()
    assert rows == []

    dashboard = text(client.get("/"))
    assert "Mapo" in dashboard and "Jongno" not in dashboard
    assert "77.8%" in dashboard  # 마포's cumulative rate, not the total of both campuses


def test_an_admin_sees_every_campus_or_the_one_chosen(counted, client, login_as):
    login_as(Role.ADMIN, locale="en")
    rows = client.get("/reports/employment?format=json").get_json()
    assert [tuple(r.values()) for r in rows] == BY_CAMPUS
    rows = client.get(f"/reports/employment?campus_id={counted['종로'].id}&format=json").get_json()
    assert [r["campus"] for r in rows] == ["종로", ""]


def test_a_coordinator_sees_the_reports_of_their_campus(counted, client, login_as):
    login_as(Role.COORDINATOR, campus=counted["종로"], locale="en")
    rows = client.get("/reports/employment?by=cohort&format=json").get_json()
    assert [r["campus"] for r in rows] == ["종로", "종로", ""]


# --- certifications ----------------------------------------------------------------------


@pytest.fixture
def attempts(mapo, jongno, make_user) -> None:
    """마포: one passed on the second try, one failed twice, one passed SQLD; 종로: one pass."""
    retried, failed, sqld = (make_user(Role.TRAINEE, campus=mapo) for _ in range(3))
    passed = make_user(Role.TRAINEE, campus=jongno)
    record_attempt(None, retried, "AI-900", date(2025, 8, 20), False, 610)
    record_attempt(None, retried, "AI-900", date(2025, 9, 10), True, 760)
    record_attempt(None, failed, "AI-900", date(2025, 8, 20), False, 500)
    record_attempt(None, failed, "ai-900", date(2025, 9, 10), False, 640)
    record_attempt(None, sqld, "SQLD", date(2025, 9, 6), True)
    record_attempt(None, passed, "AI-900", date(2025, 8, 20), True, 900)
    db.session.commit()


def cert_rows(rows) -> list[tuple]:
    return [tuple(r.as_dict().values()) for r in rows]


def test_certifications_count_people_not_attempts(attempts, mapo):
    assert cert_rows(services.certification_report()) == [
        ("", "AI-900", 3, 2, 66.7),
        ("", "SQLD", 1, 1, 100.0),
    ]
    assert cert_rows(services.certification_report(by_campus=True)) == [
        ("마포", "AI-900", 2, 1, 50.0),
        ("마포", "SQLD", 1, 1, 100.0),
        ("종로", "AI-900", 1, 1, 100.0),
    ]
    assert cert_rows(services.certification_report(campus_id=mapo.id)) == [
        ("", "AI-900", 2, 1, 50.0),
        ("", "SQLD", 1, 1, 100.0),
    ]


def test_the_certification_report_from_the_cli_and_the_web(attempts, runner, client, login_as):
    result = runner.invoke(args=["report", "certifications", "--by", "campus"])
    assert result.exit_code == 0, result.output
    assert list(csv.reader(io.StringIO(result.output))) == [
        ["campus", "exam", "candidates", "passed", "rate"],
        ["마포", "AI-900", "2", "1", "50.0"],
        ["마포", "SQLD", "1", "1", "100.0"],
        ["종로", "AI-900", "1", "1", "100.0"],
    ]
    result = runner.invoke(
        args=["report", "certifications", "--campus", "Jongno", "--format", "json"]
    )
    assert json.loads(result.output) == [
        {"campus": "", "exam": "AI-900", "candidates": 1, "passed": 1, "rate": 100.0}
    ]

    login_as(Role.ADMIN, locale="en")
    page = text(client.get("/reports/certifications?by=campus"))
    assert re.search(r"Mapo</td><td>AI-900</td><td[^>]*>2</td><td[^>]*>1</td><td[^>]*>50.0%", page)
    response = client.get("/reports/certifications?format=xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert [c.value for c in sheet[1]] == ["campus", "exam", "candidates", "passed", "rate"]


def test_a_manager_sees_the_certifications_of_their_campus(attempts, mapo, client, login_as):
    login_as(Role.MANAGER, campus=mapo, locale="en")
    rows = client.get("/reports/certifications?by=campus&format=json").get_json()
    assert [(r["campus"], r["exam"]) for r in rows] == [("마포", "AI-900"), ("마포", "SQLD")]


# --- the article, from the demo data --------------------------------------------------------


def test_the_demo_reproduces_the_articles_figures(app, client, login_as, runner):
    from sesac_ms.demo import load_demo_data

    login_as(Role.ADMIN, locale="en")
    load_demo_data()
    db.session.commit()

    # The article's cohorts ended in 2025; 구로's completed cohort (2026) is counted apart.
    result = runner.invoke(
        args=["report", "employment", "--within-days", "30", "--year", "2025", "--format", "json"]
    )
    rows = {row["campus"]: row for row in json.loads(result.output)}
    assert rows[""] == {
        "campus": "",
        "course": "",
        "cohort": "",
        "completed": 86,
        "excluded": 4,
        "target": 82,
        "employed": 52,
        "founded": 0,
        "rate": 63.4,
    }
    assert rows["종로"]["rate"] == 76.0
    assert max(r["rate"] for name, r in rows.items() if name) == 76.0

    result = runner.invoke(args=["report", "certifications", "--by", "campus", "--format", "json"])
    assert {
        "campus": "마포",
        "exam": "AI-900",
        "candidates": 21,
        "passed": 18,
        "rate": 85.7,
    } in json.loads(result.output)

    page = text(client.get("/reports/employment?within_days=30&year=2025"))
    assert "63.4%" in page and "76.0%" in page

    # 구로, every demo account's campus, has a completed cohort with results of its own:
    # 12 employed and 1 founded of 20 within 30 days, 16 of 20 in all.
    result = runner.invoke(args=["report", "employment", "--campus", "구로", "--format", "json"])
    assert json.loads(result.output)[0]["rate"] == 80.0
    result = runner.invoke(
        args=["report", "employment", "--campus", "구로", "--within-days", "30", "--format", "json"]
    )
    assert [r["rate"] for r in json.loads(result.output)] == [65.0, 65.0]
    dashboard = text(client.get("/"))
    assert "76.0%" in dashboard  # 종로 within 30 days
    assert "63.7%" in dashboard  # every campus within 30 days: (52 + 13) / (82 + 20)
    assert "77.5%" in dashboard  # cumulative: (52 + 11 later + 16 at 구로) / 102


# --- a fixed number of queries ----------------------------------------------------------------


@pytest.fixture
def campuses_with_results(
    make_campus, make_course, trainees, make_user
) -> Callable[[list[Campus]], None]:
    """Give each campus a finished cohort: one of two employed, retained, certified."""

    def add(homes: list[Campus]) -> None:
        for home in homes:
            course = make_course(campus=home)
            placed, _waiting = trainees(
                course, 1, END_SUMMER, [(COMPLETED, [job(10)]), (COMPLETED, [])]
            )
            record_retention(
                make_user(Role.COORDINATOR, campus=home),
                current_outcome(placed),
                6,
                END_SUMMER + timedelta(days=200),
                "still_employed",
            )
            record_attempt(None, placed.user, "AI-900", END_SUMMER, True)
        db.session.commit()

    return add


PAGES = [
    "/reports/employment?within_days=30",
    "/reports/employment?by=cohort&within_days=30",
    "/reports/certifications?by=campus",
    "/",
]


def test_reports_and_the_dashboard_for_all_25_campuses_run_a_fixed_number_of_queries(
    client, login_as, campus, make_campus, campuses_with_results, count_queries
):
    admin: User = login_as(Role.ADMIN, locale="en")
    campuses_with_results([campus, make_campus(), make_campus()])
    assert db.session.scalar(db.select(db.func.count(Campus.id))) == 3

    def measure() -> dict[str, int]:
        counts = {}
        for url in PAGES:
            with count_queries() as n:
                assert client.get(url).status_code == 200
            counts[url] = n()
        return counts

    few = measure()
    campuses_with_results([make_campus() for _ in range(22)])
    assert db.session.scalar(db.select(db.func.count(Campus.id))) == 25
    many = measure()

    assert many == few
    page = text(client.get("/reports/employment?within_days=30"))
    assert page.count("50.0%") >= 25  # every campus's row and its chart bar
    assert admin.role == Role.ADMIN


def test_the_report_rejects_bad_filters(app):
    with pytest.raises(InvalidInput):
        employment_report(EmploymentFilters(by="district"))
    with pytest.raises(InvalidInput):
        employment_report(EmploymentFilters(within_days=-1))


def test_cohorts_without_completed_trainees_are_not_reported(make_course, trainees):
    trainees(make_course(), 1, END_SUMMER, [(EnrollmentStatus.DROPPED, [])])
    assert report(by="cohort") == [("", "", "", 0, 0, 0, 0, 0, None)]
    assert db.session.scalar(db.select(db.func.count(Cohort.id))) == 1


@pytest.mark.parametrize("by", ["campus", "course", "cohort"])
def test_the_api_gives_the_reports_figures(app, client, counted, make_user, by):
    """/api/v1/reports/employment: the report's rows (then its total) for the same filters."""
    from sesac_ms.api import tokens

    admin = make_user(Role.ADMIN)
    secret = tokens.create_token(admin, "statistics", days=30, can_write=False).secret
    db.session.commit()
    for query, filters in (
        (f"by={by}", EmploymentFilters(by=by)),
        (f"by={by}&within_days=30", EmploymentFilters(by=by, within_days=30)),
    ):
        response = client.get(
            f"/api/v1/reports/employment?{query}", headers={"Authorization": f"Bearer {secret}"}
        )
        assert response.status_code == 200
        body = response.get_json()
        expected = [row.as_dict() for row in employment_report(filters)]
        got = [{k: v for k, v in row.items() if k != "cohort_id"} for row in body["rows"]]
        assert got + [{k: v for k, v in body["total"].items() if k != "cohort_id"}] == expected
