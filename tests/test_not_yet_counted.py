"""A window that has not closed is "not yet counted" (집계중) on every surface, never 0% or 100%.

The rule lives in one place, `reports.services.window_closed` (outcomes dated up to N days
after a cohort's end count, so the window closes once end + N has passed in Seoul), and the
dashboard card, the report table, both charts, the CSV, XLSX and JSON downloads and the
CLI all show what the service returns. A cohort that completed today, with one of its two
trainees starting a job today, used to read "0.0%" on the dashboard card and 100% at 30,
90 and 180 days on the chart; once its window has closed, the real rate shows everywhere.
"""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from html import unescape

import pytest
from openpyxl import load_workbook

from sesac_ms.clock import today_in_seoul
from sesac_ms.extensions import db
from sesac_ms.models import (
    Campus,
    Cohort,
    CohortStatus,
    Enrollment,
    EnrollmentStatus,
    OutcomeKind,
    Role,
)
from sesac_ms.placements.services import OutcomeData, record_outcome
from sesac_ms.reports.services import (
    EmploymentFilters,
    employed_by_days,
    employment_report,
    window_closed,
)

TODAY = today_in_seoul()
TITLE = "AI 활용 데이터분석 취업캠프"
DAY_MARKS = [0, 30, 60, 90, 180]
NOT_YET = "Not yet counted"


def completed_cohort(make_user, make_cohort, campus: Campus, end_on: date, job_on: date) -> Cohort:
    """Two trainees completed on `end_on`; one starts a job on `job_on`, one has no outcome."""
    cohort = make_cohort(
        number=1,
        status=CohortStatus.FINISHED if end_on < TODAY else CohortStatus.IN_PROGRESS,
        recruit_start_on=end_on - timedelta(days=150),
        recruit_end_on=end_on - timedelta(days=130),
        start_on=end_on - timedelta(days=120),
        end_on=end_on,
    )
    cohort.course.title = TITLE
    for n in range(2):
        user = make_user(Role.TRAINEE, campus=campus)
        enrollment = Enrollment(
            cohort_id=cohort.id,
            user_id=user.id,
            status=EnrollmentStatus.COMPLETED,
            status_on=end_on,
        )
        db.session.add(enrollment)
        db.session.flush()
        if n == 0:
            record_outcome(None, enrollment, OutcomeData(OutcomeKind.EMPLOYED, job_on, "한빛제조"))
    db.session.commit()
    return cohort


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return unescape(response.get_data(as_text=True))


def card(dashboard: str, label: str) -> str:
    """The figure of the dashboard card with this label, tags stripped."""
    match = re.search(re.escape(label) + r'</div><div class="stat">(.*?)</div>', dashboard)
    assert match, label
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def report_rates(report_page: str) -> list[str]:
    """The last cell (the rate) of every row of the report table."""
    body = report_page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    return [
        re.sub(r"<[^>]+>", "", re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)[-1]).strip()
        for r in rows
    ]


def chart_legend(report_page: str) -> str:
    chart = report_page.split("Share employed by days after the end", 1)[1]
    legend = chart.split("</svg>", 1)[1]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", legend.split("</ul>", 1)[0])).strip()


def after_campus(lines: list[str]) -> list[str]:
    """CSV lines without the campus column (its language follows the page's)."""
    return [line.split(",", 1)[1] for line in lines]


def downloads(client, runner, query: str) -> tuple[list[str], list[tuple], list[dict], str]:
    """The CSV lines, XLSX rows and JSON objects of the web, and the CLI's CSV."""
    csv_text = page(client, f"/reports/employment?{query}&format=csv")
    xlsx = load_workbook(io.BytesIO(client.get(f"/reports/employment?{query}&format=xlsx").data))
    json_rows = client.get(f"/reports/employment?{query}&format=json").get_json()
    cli = runner.invoke(args=["report", "employment", "--by", "cohort", "--within-days", "30"])
    assert cli.exit_code == 0, cli.output
    rows = [tuple(r) for r in xlsx.active.iter_rows(values_only=True)]
    return csv_text.splitlines(), rows, json_rows, cli.output


def test_a_cohort_completed_today_is_not_yet_counted_on_any_surface(
    app, client, runner, login_as, make_user, make_cohort, campus
):
    cohort = completed_cohort(make_user, make_cohort, campus, TODAY, job_on=TODAY)
    login_as(Role.MANAGER, campus=campus, locale="en")

    # The service: counts so far, no rate; the chart has no point at any mark.
    rows = employment_report(EmploymentFilters(by="cohort", within_days=30))
    assert [(r.window_open, r.rate, r.completed, r.employed) for r in rows] == [
        (True, None, 2, 1),
        (True, None, 2, 1),
    ]
    points = employed_by_days([cohort.id], DAY_MARKS)[cohort.id]
    assert [(p.days, p.counted, p.rate) for p in points] == [(d, False, None) for d in DAY_MARKS]

    # The dashboard card and the campus table beside it agree.
    dashboard = page(client, "/")
    assert card(dashboard, "Employment rate within 30 days") == NOT_YET
    assert not re.search(r"(?<![\d.])0\.0%", dashboard)

    # The report: table, bar chart, curve and its legend.
    report = page(client, "/reports/employment?by=cohort&within_days=30")
    assert report_rates(report) == [NOT_YET, NOT_YET]
    assert "<rect" not in report and not re.search(r'<polyline points="[^"]', report)
    legend = chart_legend(report)
    assert legend.endswith(f"{TITLE}: {NOT_YET}")  # no figure at any mark
    assert "%" not in legend
    assert "%" not in chart_legend(page(client, "/reports/employment"))

    # The files and the CLI: the counts so far, an empty rate (JSON null).
    csv_lines, xlsx_rows, json_rows, cli = downloads(client, runner, "by=cohort&within_days=30")
    assert after_campus(csv_lines[1:]) == [f"{TITLE},1,2,0,2,1,0,", ",,2,0,2,1,0,"]
    assert xlsx_rows[1][-1] is None and xlsx_rows[2][-1] is None
    assert [r["rate"] for r in json_rows] == [None, None]
    assert after_campus(cli.splitlines()) == after_campus(csv_lines)


def test_once_the_window_has_closed_the_real_rate_shows_on_every_surface(
    app, client, runner, login_as, make_user, make_cohort, campus
):
    end = TODAY - timedelta(days=31)  # end + 30 was yesterday
    cohort = completed_cohort(make_user, make_cohort, campus, end, job_on=end + timedelta(days=5))
    login_as(Role.MANAGER, campus=campus, locale="en")

    points = employed_by_days([cohort.id], DAY_MARKS)[cohort.id]
    assert [(p.counted, p.rate) for p in points] == [
        (True, 0.0),
        (True, 50.0),
        (False, None),
        (False, None),
        (False, None),
    ]
    dashboard = page(client, "/")
    assert card(dashboard, "Employment rate within 30 days") == "50.0%"
    assert NOT_YET not in dashboard

    report = page(client, "/reports/employment?by=cohort&within_days=30")
    assert report_rates(report) == ["50.0%", "50.0%"]
    assert re.search(r'<rect [^>]*width="120.0"', report)  # the campus bar: 2.4 px a point
    assert chart_legend(report).endswith(f"0d 0% · 30d 50% · 60d– {NOT_YET}")

    csv_lines, xlsx_rows, json_rows, cli = downloads(client, runner, "by=cohort&within_days=30")
    assert after_campus(csv_lines[1:]) == [f"{TITLE},1,2,0,2,1,0,50.0", ",,2,0,2,1,0,50.0"]
    assert xlsx_rows[1][-1] == 50.0 and xlsx_rows[2][-1] == 50.0
    assert [r["rate"] for r in json_rows] == [50.0, 50.0]
    assert after_campus(cli.splitlines()) == after_campus(csv_lines)


@pytest.mark.parametrize(
    ("days_since_end", "closed"),
    [(0, False), (29, False), (30, False), (31, True), (400, True)],
)
def test_a_30_day_window_closes_once_its_last_day_has_passed(days_since_end, closed):
    end = date(2025, 8, 29)
    assert window_closed(end, 30, end + timedelta(days=days_since_end)) is closed


def test_the_report_applies_the_same_boundary_and_never_counts_a_job_not_started_yet(
    app, make_user, make_cohort, campus
):
    end = date(2025, 8, 29)
    completed_cohort(make_user, make_cohort, campus, end, job_on=end + timedelta(days=30))

    def row(today: date, within_days: int | None = 30) -> tuple:
        total = employment_report(EmploymentFilters(within_days=within_days), today=today)[-1]
        return total.window_open, total.employed, total.rate

    assert row(end + timedelta(days=30)) == (True, 1, None)  # the job's own day: still open
    assert row(end + timedelta(days=31)) == (False, 1, 50.0)
    # A job that starts tomorrow is a projection: not counted yet, even without a window.
    assert row(end + timedelta(days=29), within_days=None) == (False, 0, 0.0)
