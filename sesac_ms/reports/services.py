"""The employment and certification reports of docs/formats.md, aggregated in SQL.

    employment target = completed − excluded
    employment rate   = (employed + founded) / employment target

Totals are Σ numerators ÷ Σ targets, never an average of rates. `--within-days N` counts
only outcomes dated on or before the cohort's end date plus N days.

"Not yet counted" (집계중) is decided here and only here (`window_closed`), and every
surface (report page, charts, dashboard cards, CSV/XLSX/JSON, CLI) shows what these
functions return: a window of N days after a cohort's end is closed once that last day
has passed in Seoul (end + N < today), because an outcome dated on the last day still
counts. A row counts only its cohorts whose window has closed; a row none of whose
cohorts has closed shows its counts so far with no rate (`window_open`: 집계중; an empty
cell in CSV/XLSX, `null` in JSON), never 0% or a partial rate. An outcome dated after
today (a job that starts next month) counts nowhere yet: it would be a projection.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext

from .. import spreadsheet_out
from ..clock import today_in_seoul
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
    # No cohort of the row has closed its window: the counts are so far, the rate is not yet.
    window_open: bool = field(default=False, repr=False)
    # Cohorts of the row whose window is still open, left out of its figures.
    pending: int = field(default=0, repr=False)

    def as_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values.pop("window_open")
        values.pop("pending")
        return values


def window_closed(end_on: date, days: int, today: date) -> bool:
    """The window of `days` after a cohort's end has closed: its last day has passed.

    Outcomes dated on or before end + days count, so on that very day the figure can
    still change; from the next day (in Seoul) it is final.
    """
    return end_on + timedelta(days=days) < today


def _closed_sql(days: int | None, today: date) -> Any:
    """window_closed() as SQL, on Cohort.end_on; every cohort is counted without a window."""
    if days is None:
        return sa.true()
    return date_plus_days(Cohort.end_on, days) < today


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


def _outcome_join(within_days: int | None, today: date) -> Any:
    """The current outcome, if dated by today (and within the window, if one is given)."""
    condition = sa.and_(
        Outcome.enrollment_id == Enrollment.id, Outcome.is_current, Outcome.outcome_on <= today
    )
    if within_days is not None:
        condition = sa.and_(
            condition, Outcome.outcome_on <= date_plus_days(Cohort.end_on, within_days)
        )
    return condition


def _count_if(condition: Any) -> Any:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def _counted(kind: OutcomeKind) -> Any:
    return _count_if(Outcome.kind == kind)


def _measures(within_days: int | None, today: date) -> list[Any]:
    """The row's figures over its closed cohorts, the same over all of them, and the open ones."""
    closed = _closed_sql(within_days, today)
    kinds = (
        ("excluded", OutcomeKind.EXCLUDED),
        ("employed", OutcomeKind.EMPLOYED),
        ("founded", OutcomeKind.FOUNDED),
    )
    return [
        _count_if(closed).label("completed"),
        *(_count_if(sa.and_(closed, Outcome.kind == kind)).label(name) for name, kind in kinds),
        sa.func.count(Enrollment.id).label("so_far_completed"),
        *(_counted(kind).label(f"so_far_{name}") for name, kind in kinds),
        sa.func.count(sa.distinct(sa.case((sa.not_(closed), Cohort.id)))).label("pending"),
    ]


def _campus_name(locale: str) -> sa.ColumnElement[str]:
    """The campus name in the locale's language. Pages ask in theirs; downloads and the CLI
    keep the Korean names the other offices use."""
    return Campus.name_en if locale == "en" else Campus.name_ko


def _course_title(locale: str) -> sa.ColumnElement[str]:
    """The course title in the locale's language: the English title when there is one."""
    return sa.func.coalesce(Course.title_en, Course.title) if locale == "en" else Course.title


def employment_report(
    filters: EmploymentFilters, today: date | None = None, *, locale: str = "ko"
) -> list[EmploymentRow]:
    """Rows at the chosen level, then the total row; two SQL queries whatever the size.
    Campuses and courses are named in the locale's language."""
    if filters.by not in LEVELS:
        raise InvalidInput(gettext("Group by campus, course or cohort."), "by")
    if filters.within_days is not None and filters.within_days < 0:
        raise InvalidInput(gettext("The number of days cannot be negative."), "within_days")
    today = today or today_in_seoul()
    group = [_campus_name(locale).label("campus_name"), Campus.opening_order]
    if filters.by in ("course", "cohort"):
        group += [_course_title(locale).label("course_title")]
    if filters.by == "cohort":
        group += [Cohort.number, Cohort.id]
    measures = _measures(filters.within_days, today)
    base = (
        db.select(*group, *measures)
        .select_from(Enrollment)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .join(Course, Course.id == Cohort.course_id)
        .join(Campus, Campus.id == Course.campus_id)
        .outerjoin(Outcome, _outcome_join(filters.within_days, today))
        .where(Enrollment.status.in_(COMPLETED))
    )
    if filters.campus_id:
        base = base.where(Campus.id == filters.campus_id)
    if filters.year:
        base = base.where(
            Cohort.end_on >= date(filters.year, 1, 1), Cohort.end_on <= date(filters.year, 12, 31)
        )
    ordered = base.group_by(*group).order_by(
        Campus.opening_order.nulls_last(), group[0], *group[2:]
    )
    rows = []
    for record in db.session.execute(ordered).mappings():
        row = _row(record)
        row.campus = record["campus_name"]
        if filters.by in ("course", "cohort"):
            row.course = record["course_title"]
        if filters.by == "cohort":
            row.cohort = int(record["number"])
        rows.append(row)
    total = db.session.execute(base.with_only_columns(*measures)).mappings().one()
    rows.append(_row(total))
    return rows


def _row(record: Any) -> EmploymentRow:
    """The figures of the row's closed cohorts; if none has closed, its figures so far."""
    pending = int(record["pending"])
    window_open = not int(record["completed"]) and pending > 0
    prefix = "so_far_" if window_open else ""
    completed, excluded = int(record[prefix + "completed"]), int(record[prefix + "excluded"])
    employed, founded = int(record[prefix + "employed"]), int(record[prefix + "founded"])
    target = completed - excluded
    return EmploymentRow(
        completed=completed,
        excluded=excluded,
        target=target,
        employed=employed,
        founded=founded,
        rate=None if window_open else rate(employed + founded, target),
        window_open=window_open,
        pending=pending,
    )


@dataclass(frozen=True)
class CurvePoint:
    """One point of a cohort's curve: the share employed (or founded) within `days` of its end.

    `counted` is False while that window is open: the chart leaves the point out and says
    "not yet counted". `rate` is None then, and where the target is 0.
    """

    days: int
    rate: float | None
    counted: bool


def employed_by_days(
    cohort_ids: list[int], days: list[int], today: date | None = None
) -> dict[int, list[CurvePoint]]:
    """For each cohort, the share of its target employed (or founded) within each day count.

    One query. A window that has not closed gives no figure (window_closed), so a cohort
    that completed today has no point at all rather than 100% at every mark.
    """
    if not cohort_ids:
        return {}
    today = today or today_in_seoul()
    outcome_days = (
        sa.func.julianday(Outcome.outcome_on) - sa.func.julianday(Cohort.end_on)
        if db.engine.dialect.name == "sqlite"
        else Outcome.outcome_on - Cohort.end_on
    )
    # Per mark, as the report's --within-days N counts: exclusions and jobs dated by end + N.
    columns = [sa.func.count(Enrollment.id)]
    for n in days:
        within = outcome_days <= n
        columns.append(_count_if(sa.and_(Outcome.kind == OutcomeKind.EXCLUDED, within)))
        columns.append(
            _count_if(
                sa.and_(Outcome.kind.in_((OutcomeKind.EMPLOYED, OutcomeKind.FOUNDED)), within)
            )
        )
    stmt = (
        db.select(Cohort.id, Cohort.end_on, *columns)
        .select_from(Enrollment)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .outerjoin(Outcome, _outcome_join(None, today))
        .where(Enrollment.status.in_(COMPLETED), Cohort.id.in_(cohort_ids))
        .group_by(Cohort.id, Cohort.end_on)
    )
    result = {}
    for cohort_id, end_on, completed, *counts in db.session.execute(stmt).all():
        if isinstance(end_on, str):
            end_on = date.fromisoformat(end_on)
        points = []
        for i, n in enumerate(days):
            excluded, placed = int(counts[2 * i]), int(counts[2 * i + 1])
            counted = window_closed(end_on, n, today)
            value = rate(placed, int(completed) - excluded) if counted else None
            points.append(CurvePoint(n, value, counted))
        result[cohort_id] = points
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
    campus_id: int | None = None, *, by_cohort: bool = False, locale: str = "ko"
) -> list[dict[str, Any]]:
    """직무유지율 per campus (or cohort) and check (6, 12 months): still employed ÷ checked."""
    if not by_cohort:
        name = _campus_name(locale)
    elif locale == "en":
        name = (
            Campus.name_en + " #" + sa.cast(Cohort.number, sa.String) + " " + _course_title(locale)
        )
    else:
        name = Campus.name_ko + " " + sa.cast(Cohort.number, sa.String) + "기 " + Course.title
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
    *, by_campus: bool = False, campus_id: int | None = None, locale: str = "ko"
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
        group = [_campus_name(locale), Campus.opening_order, Exam.name]
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
