"""The employment and certification reports of docs/formats.md, aggregated in SQL.

    employment target = completed − excluded
    employment rate   = (employed + founded) / employment target

Totals are Σ numerators ÷ Σ targets, never an average of rates. `--within-days N` counts
only outcomes dated on or before the cohort's end date plus N days; a cohort whose
window has not closed yet is flagged (`window_open`) so the web shows "집계중".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext

from .. import spreadsheet_out
from ..errors import InvalidInput
from ..extensions import db
from ..models import (
    Campus,
    CertificationAttempt,
    Cohort,
    Course,
    Enrollment,
    EnrollmentStatus,
    Exam,
    Outcome,
    OutcomeKind,
    RetentionCheck,
    RetentionResult,
    User,
)

COMPLETED = (EnrollmentStatus.COMPLETED, EnrollmentStatus.EARLY_EMPLOYED)
LEVELS = ("campus", "course", "cohort")
EMPLOYMENT_COLUMNS = (
    "campus",
    "course",
    "cohort",
    "completed",
    "excluded",
    "target",
    "employed",
    "founded",
    "rate",
)
CERTIFICATION_COLUMNS = ("campus", "exam", "candidates", "passed", "rate")


@dataclass
class EmploymentFilters:
    by: str = "campus"
    campus_id: int | None = None
    year: int | None = None
    within_days: int | None = None


@dataclass
class EmploymentRow:
    campus: str = ""
    course: str = ""
    cohort: int | str = ""
    completed: int = 0
    excluded: int = 0
    target: int = 0
    employed: int = 0
    founded: int = 0
    rate: float | None = None
    window_open: bool = field(default=False, repr=False)

    def as_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values.pop("window_open")
        return values


def rate(numerator: int, target: int) -> float | None:
    """A percentage with one decimal, None where the target is 0.

    Rounded half up from the exact fraction, as a hand count or Excel's ROUND does
    (1 of 16 is 6.3%); float rounding would give 6.2.
    """
    if not target:
        return None
    exact = Decimal(100 * int(numerator)) / Decimal(int(target))
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def date_plus_days(column: Any, days: int) -> Any:
    """column + days, on PostgreSQL and SQLite alike."""
    if db.engine.dialect.name == "sqlite":
        return sa.func.date(column, f"+{int(days)} days")
    return column + sa.literal(int(days))


def _outcome_join(within_days: int | None) -> Any:
    condition = sa.and_(Outcome.enrollment_id == Enrollment.id, Outcome.is_current)
    if within_days is not None:
        condition = sa.and_(
            condition, Outcome.outcome_on <= date_plus_days(Cohort.end_on, within_days)
        )
    return condition


def _counted(kind: OutcomeKind) -> Any:
    return sa.func.coalesce(sa.func.sum(sa.case((Outcome.kind == kind, 1), else_=0)), 0)


def employment_report(filters: EmploymentFilters, today: date | None = None) -> list[EmploymentRow]:
    """Rows at the chosen level, then the total row; two SQL queries whatever the size."""
    if filters.by not in LEVELS:
        raise InvalidInput(gettext("Group by campus, course or cohort."), "by")
    if filters.within_days is not None and filters.within_days < 0:
        raise InvalidInput(gettext("The number of days cannot be negative."), "within_days")
    today = today or date.today()
    group = [Campus.name_ko, Campus.opening_order]
    if filters.by in ("course", "cohort"):
        group += [Course.title]
    if filters.by == "cohort":
        group += [Cohort.number, Cohort.id]
    measures = [
        sa.func.count(Enrollment.id).label("completed"),
        _counted(OutcomeKind.EXCLUDED).label("excluded"),
        _counted(OutcomeKind.EMPLOYED).label("employed"),
        _counted(OutcomeKind.FOUNDED).label("founded"),
        sa.func.max(Cohort.end_on).label("last_end"),
    ]
    base = (
        db.select(*group, *measures)
        .select_from(Enrollment)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .join(Course, Course.id == Cohort.course_id)
        .join(Campus, Campus.id == Course.campus_id)
        .outerjoin(Outcome, _outcome_join(filters.within_days))
        .where(Enrollment.status.in_(COMPLETED))
    )
    if filters.campus_id:
        base = base.where(Campus.id == filters.campus_id)
    if filters.year:
        base = base.where(
            Cohort.end_on >= date(filters.year, 1, 1), Cohort.end_on <= date(filters.year, 12, 31)
        )
    ordered = base.group_by(*group).order_by(
        Campus.opening_order.nulls_last(), Campus.name_ko, *group[2:]
    )
    rows = []
    for record in db.session.execute(ordered).mappings():
        row = _row(record, filters, today)
        row.campus = record["name_ko"]
        if filters.by in ("course", "cohort"):
            row.course = record["title"]
        if filters.by == "cohort":
            row.cohort = int(record["number"])
        rows.append(row)
    total = db.session.execute(base.with_only_columns(*measures)).mappings().one()
    total_row = _row(total, filters, today)
    total_row.window_open = False
    rows.append(total_row)
    return rows


def _row(record: Any, filters: EmploymentFilters, today: date) -> EmploymentRow:
    completed, excluded = int(record["completed"]), int(record["excluded"])
    employed, founded = int(record["employed"]), int(record["founded"])
    target = completed - excluded
    last_end = record["last_end"]
    if isinstance(last_end, str):
        last_end = date.fromisoformat(last_end)
    window_open = bool(
        filters.within_days is not None
        and last_end is not None
        and last_end + timedelta(days=filters.within_days) >= today
    )
    return EmploymentRow(
        completed=completed,
        excluded=excluded,
        target=target,
        employed=employed,
        founded=founded,
        rate=rate(employed + founded, target),
        window_open=window_open,
    )


def employed_by_days(cohort_ids: list[int], days: list[int]) -> dict[int, list[float | None]]:
    """For each cohort, the share of its target employed (or founded) within each day count."""
    if not cohort_ids:
        return {}
    outcome_days = (
        sa.func.julianday(Outcome.outcome_on) - sa.func.julianday(Cohort.end_on)
        if db.engine.dialect.name == "sqlite"
        else Outcome.outcome_on - Cohort.end_on
    )
    columns = [sa.func.count(Enrollment.id), _counted(OutcomeKind.EXCLUDED)]
    for n in days:
        columns.append(
            sa.func.coalesce(
                sa.func.sum(
                    sa.case(
                        (
                            sa.and_(
                                Outcome.kind.in_((OutcomeKind.EMPLOYED, OutcomeKind.FOUNDED)),
                                outcome_days <= n,
                            ),
                            1,
                        ),
                        else_=0,
                    )
                ),
                0,
            )
        )
    stmt = (
        db.select(Cohort.id, *columns)
        .select_from(Enrollment)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .outerjoin(Outcome, _outcome_join(None))
        .where(Enrollment.status.in_(COMPLETED), Cohort.id.in_(cohort_ids))
        .group_by(Cohort.id)
    )
    result = {}
    for cohort_id, completed, excluded, *counts in db.session.execute(stmt).all():
        target = int(completed) - int(excluded)
        result[cohort_id] = [rate(int(c), target) for c in counts]
    return result


def reported_cohorts(filters: EmploymentFilters) -> list[Cohort]:
    stmt = (
        db.select(Cohort)
        .join(Cohort.course)
        .join(Course.campus)
        .where(
            Cohort.id.in_(db.select(Enrollment.cohort_id).where(Enrollment.status.in_(COMPLETED)))
        )
        .order_by(Cohort.end_on, Campus.opening_order)
    )
    if filters.campus_id:
        stmt = stmt.where(Course.campus_id == filters.campus_id)
    if filters.year:
        stmt = stmt.where(
            Cohort.end_on >= date(filters.year, 1, 1), Cohort.end_on <= date(filters.year, 12, 31)
        )
    return list(db.session.scalars(stmt.limit(40)))


def retention_rates(
    campus_id: int | None = None, *, by_cohort: bool = False
) -> list[dict[str, Any]]:
    """직무유지율 per campus (or cohort) and check (6, 12 months): still employed ÷ checked."""
    name = (
        Campus.name_ko + " " + sa.cast(Cohort.number, sa.String) + "기 " + Course.title
        if by_cohort
        else Campus.name_ko
    )
    stmt = (
        db.select(
            name,
            RetentionCheck.months,
            sa.func.count(RetentionCheck.id),
            sa.func.coalesce(
                sa.func.sum(
                    sa.case((RetentionCheck.result == RetentionResult.STILL_EMPLOYED, 1), else_=0)
                ),
                0,
            ),
        )
        .select_from(RetentionCheck)
        .join(Outcome, Outcome.id == RetentionCheck.outcome_id)
        .join(Enrollment, Enrollment.id == Outcome.enrollment_id)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .join(Course, Course.id == Cohort.course_id)
        .join(Campus, Campus.id == Course.campus_id)
        .group_by(name, RetentionCheck.months)
        .order_by(name, RetentionCheck.months)
    )
    if campus_id:
        stmt = stmt.where(Campus.id == campus_id)
    return [
        {
            "campus": c,
            "months": m,
            "checked": int(n),
            "retained": int(r),
            "rate": rate(int(r), int(n)),
        }
        for c, m, n, r in db.session.execute(stmt).all()
    ]


@dataclass
class CertificationRow:
    campus: str
    exam: str
    candidates: int
    passed: int
    rate: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def certification_report(
    *, by_campus: bool = False, campus_id: int | None = None
) -> list[CertificationRow]:
    """Per exam (and campus): trainees who sat it and those with at least one pass."""
    passed_once = sa.func.max(sa.case((CertificationAttempt.passed, 1), else_=0))
    per_person = (
        db.select(
            CertificationAttempt.exam_id, CertificationAttempt.user_id, passed_once.label("passed")
        )
        .group_by(CertificationAttempt.exam_id, CertificationAttempt.user_id)
        .subquery()
    )
    group = [Exam.name]
    if by_campus:
        group = [Campus.name_ko, Campus.opening_order, Exam.name]
    stmt = (
        db.select(
            *group,
            sa.func.count(per_person.c.user_id),
            sa.func.coalesce(sa.func.sum(per_person.c.passed), 0),
        )
        .select_from(per_person)
        .join(Exam, Exam.id == per_person.c.exam_id)
        .join(User, User.id == per_person.c.user_id)
        .outerjoin(Campus, Campus.id == User.campus_id)
        .group_by(*group)
    )
    if campus_id:
        stmt = stmt.where(User.campus_id == campus_id)
    stmt = stmt.order_by(*([Campus.opening_order.nulls_last()] if by_campus else []), Exam.name)
    rows = []
    for record in db.session.execute(stmt).all():
        campus = record[0] if by_campus else ""
        exam, candidates, passed = record[-3], int(record[-2]), int(record[-1])
        rows.append(
            CertificationRow(campus or "", exam, candidates, passed, rate(passed, candidates))
        )
    return rows


# --- output ----------------------------------------------------------------------------


def render(columns: tuple[str, ...], rows: list[dict[str, Any]], fmt: str) -> bytes:
    """The report as a file, through the one writer (formulas neutralised in CSV and XLSX).

    The CSV has no BOM and Unix line ends: it is the CLI's standard output as much as a
    download, and the web serves the very same bytes.
    """
    table = [[row[c] for c in columns] for row in rows]
    if fmt == "csv":
        return spreadsheet_out.csv_bytes(columns, table, bom=False, line_end="\n")
    if fmt == "json":
        return spreadsheet_out.json_bytes(columns, table)
    if fmt == "xlsx":
        return spreadsheet_out.xlsx_bytes(columns, table)
    raise InvalidInput(gettext("Choose csv, json or xlsx."), "format")


MIMETYPES = {
    "csv": spreadsheet_out.CSV_MIMETYPE,
    "json": spreadsheet_out.JSON_MIMETYPE,
    "xlsx": spreadsheet_out.XLSX_MIMETYPE,
}
