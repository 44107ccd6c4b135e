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

import functools
import operator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext, ngettext
from sqlalchemy.orm import contains_eager

from .. import spreadsheet_out
from ..clock import today_in_seoul
from ..errors import InvalidInput
from ..extensions import db
from ..models import (
    TALLY_WINDOWS,
    Campus,
    Cohort,
    CohortEmployment,
    Course,
    Enrollment,
    Outcome,
    OutcomeKind,
)
from . import summed
from .sql import COMPLETED, plus_days
from .sql import count_if as _count_if

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
    cohort_id: int | None = field(default=None, repr=False)  # rows by cohort

    def as_dict(self) -> dict[str, Any]:
        # The shown fields, in order; every one a plain value (asdict would deep-copy them).
        return {name: getattr(self, name) for name in EMPLOYMENT_COLUMNS}

    # What a page shows, worked out here once rather than by a template macro per row.
    @property
    def rate_text(self) -> str:
        """The rate as a page shows it ("78.3%"), or "" (no rate: not yet counted, or — )."""
        return "" if self.rate is None else f"{self.rate:.1f}%"

    @property
    def pending_text(self) -> str:
        """The cohorts a counted row leaves out because their window is still open."""
        if not self.pending or self.window_open:
            return ""
        return ngettext(
            "%(num)d cohort not yet counted", "%(num)d cohorts not yet counted", self.pending
        )


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
    # end + days < today, as end < today − days: one date for the statement rather than
    # date arithmetic on every cohort's row.
    if isinstance(today, date):
        return Cohort.end_on < today - timedelta(days=days)
    if db.engine.dialect.name == "sqlite":
        return Cohort.end_on < sa.func.date(today, f"-{int(days)} days")
    return Cohort.end_on < today - sa.literal(int(days))


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
    return plus_days(db.engine.dialect.name, column, days)


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


def _counted(kind: OutcomeKind) -> Any:
    return _count_if(Outcome.kind == kind)


MEASURES = (
    "completed",
    "excluded",
    "employed",
    "founded",
    "so_far_completed",
    "so_far_excluded",
    "so_far_employed",
    "so_far_founded",
    "pending",
)


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
    filters: EmploymentFilters,
    today: date | None = None,
    *,
    locale: str = "ko",
    from_records: bool = False,
) -> list[EmploymentRow]:
    """Rows at the chosen level, then the total row; one SQL query whatever the size.
    Campuses and courses are named in the locale's language.

    The figures are summed from the per-cohort rows (reports.tallies) for the windows kept
    there, and counted from the records for any other window (or with `from_records`, as
    `report_differences` does to prove them equal).
    """
    _check(filters)
    query, params = _query(filters, today or today_in_seoul(), locale, from_records=from_records)
    records = list(db.session.execute(query.ordered, params).mappings())
    return _with_total(records, filters.by)


def _with_total(records: list[Any], by: str) -> list[EmploymentRow]:
    """The rows at the level `by`, then their total row."""
    rows = [_named(record, by) for record in records]
    # Every measure is a sum or a count over cohorts, each in one row: the total adds them.
    rows.append(_row({name: sum(int(r[name]) for r in records) for name in MEASURES}))
    return rows


def employment_reports_by_campus(
    windows: tuple[int | None, ...], campus_id: int | None, today: date | None = None
) -> list[list[EmploymentRow]]:
    """The by-campus report for each of `windows` (a kept window or None for no window),
    each as employment_report gives it, all from one SQL statement (the dashboard's cards).
    """
    today = today or today_in_seoul()
    parts, params = [], {}
    for number, within_days in enumerate(windows):
        filters = EmploymentFilters(by="campus", campus_id=campus_id, within_days=within_days)
        _check(filters)
        if within_days is not None and within_days not in TALLY_WINDOWS:
            raise ValueError(f"not a kept window: {within_days}")
        query, params = _query(filters, today, "ko")  # named as the campuses are keyed
        parts.append(query.ordered.order_by(None).add_columns(sa.literal(number).label("report")))
    both = sa.union_all(*parts).subquery("reports")
    stmt = sa.select(both).order_by(
        both.c.report, both.c.opening_order.nulls_last(), both.c.campus_name
    )
    records: list[list[Any]] = [[] for _ in windows]
    for record in db.session.execute(stmt, params).mappings():
        records[record["report"]].append(record)
    return [_with_total(found, "campus") for found in records]


@dataclass
class ReportPage:
    """One page of rows and the total row of every row; pages like the long lists
    (templates/_macros/pagination.html reads page, pages, total, has_prev, …)."""

    rows: list[EmploymentRow]
    total_row: EmploymentRow
    page: int
    per_page: int
    total: int  # rows at the chosen level, on every page

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1

    def iter_pages(self, **edges: int) -> Any:
        from flask_sqlalchemy.pagination import Pagination

        return Pagination.iter_pages(self, **edges)  # reads only .page and .pages


def employment_report_page(
    filters: EmploymentFilters,
    page: int = 1,
    per_page: int = 50,
    today: date | None = None,
    *,
    locale: str = "ko",
) -> ReportPage:
    """The report one page at a time (the page shows cohorts by the hundred); the total row
    still covers every row. Two queries; a page past the end is the last page."""
    _check(filters)
    today = today or today_in_seoul()
    query, params = _query(filters, today, locale)
    total = _row(db.session.execute(query.total, params).mappings().one())
    return _page_of(query, params, filters.by, page, per_page, total)


def employment_report_with_campuses(
    filters: EmploymentFilters,
    page: int = 1,
    per_page: int = 50,
    today: date | None = None,
    *,
    locale: str = "ko",
) -> tuple[ReportPage, list[EmploymentRow]]:
    """The report page and the rows by campus its chart draws, in two queries (one when
    grouped by campus or course): the total row adds the campus rows, as employment_report's
    does, rather than being counted again; the campus rows add the course rows (a course
    is at one campus, and every measure is a sum or a count over cohorts)."""
    _check(filters)
    today = today or today_in_seoul()
    if filters.by == "course":
        query, params = _query(filters, today, locale)
        course_records = list(db.session.execute(query.ordered, params).mappings())
        records = _campus_sums(course_records)
    else:
        by_campus = EmploymentFilters(
            by="campus",
            campus_id=filters.campus_id,
            year=filters.year,
            within_days=filters.within_days,
        )
        query, params = _query(by_campus, today, locale)
        records = list(db.session.execute(query.ordered, params).mappings())
    campus_rows = [_named(record, "campus") for record in records]
    total = _row({name: sum(int(r[name]) for r in records) for name in MEASURES})
    if filters.by in ("campus", "course"):
        listed = course_records if filters.by == "course" else campus_rows
        pages = max(1, -(-len(listed) // per_page))
        page = min(max(1, page), pages)
        rows = listed[(page - 1) * per_page : page * per_page]
        if filters.by == "course":
            rows = [_named(record, "course") for record in rows]
        return ReportPage(rows, total, page, per_page, len(listed)), campus_rows
    query, params = _query(filters, today, locale)
    return _page_of(query, params, filters.by, page, per_page, total), campus_rows


def _campus_sums(records: list[Any]) -> list[dict[str, Any]]:
    """Rows by course (or cohort), in report order, added up by campus in the same order."""
    measures = operator.itemgetter(*MEASURES)
    sums: dict[Any, list[Any]] = {}
    for record in records:
        name = record["campus_name"]
        values = measures(record)
        campus = sums.get((record["opening_order"], name))
        if campus is None:
            sums[(record["opening_order"], name)] = [name, *values]
        else:
            for i, value in enumerate(values, 1):
                campus[i] += value
    return [
        {"campus_name": name, **{m: int(v) for m, v in zip(MEASURES, values, strict=True)}}
        for name, *values in sums.values()
    ]


def _page_of(
    query: _Query,
    params: dict[str, Any],
    by: str,
    page: int,
    per_page: int,
    total: EmploymentRow,
) -> ReportPage:
    """One page of the report's rows (a page past the end is the last page)."""
    page = max(1, page)

    def rows_of(number: int) -> list[Any]:
        paged = {**params, "limit": per_page, "offset": (number - 1) * per_page}
        return list(db.session.execute(query.counted, paged).mappings())

    records = rows_of(page)
    if not records and page > 1:
        count = sa.select(sa.func.count()).select_from(query.ordered.subquery())
        row_count = int(db.session.execute(count, params).scalar_one())
        page = max(1, -(-row_count // per_page))
        records = rows_of(page)
    row_count = int(records[0]["row_count"]) if records else 0
    rows = [_named(record, by) for record in records]
    return ReportPage(rows, total, page, per_page, row_count)


def _check(filters: EmploymentFilters) -> None:
    if filters.by not in LEVELS:
        raise InvalidInput(gettext("Group by campus, course or cohort."), "by")
    if filters.within_days is not None and filters.within_days < 0:
        raise InvalidInput(gettext("The number of days cannot be negative."), "within_days")


@dataclass
class _Query:
    ordered: Any  # the rows at the chosen level, in report order
    total: Any  # the same figures over every row
    counted: Any  # a page of ordered (params limit, offset), each with the number of rows


TODAY = sa.bindparam("today", type_=sa.Date)


def _query(
    filters: EmploymentFilters, today: date, locale: str, *, from_records: bool = False
) -> tuple[_Query, dict[str, Any]]:
    """The report's statements for these filters, and the values they are run with.

    The statements are built once per shape (grouping, window, which filters, language) and
    kept: building one costs more than running it on the per-cohort rows.
    """
    kept = not from_records and (
        filters.within_days is None or filters.within_days in TALLY_WINDOWS
    )
    query = _built_query(
        filters.by,
        filters.within_days,
        bool(filters.campus_id),
        bool(filters.year),
        locale,
        kept,
        db.engine.dialect.name,
    )
    params: dict[str, Any] = {"today": today}
    if filters.campus_id:
        params["campus_id"] = filters.campus_id
    if filters.year:
        params["year_from"], params["year_to"] = (
            date(filters.year, 1, 1),
            date(filters.year, 12, 31),
        )
    return query, params


@functools.lru_cache(maxsize=128)
def _built_query(
    by: str,
    within_days: int | None,
    by_campus: bool,
    by_year: bool,
    locale: str,
    kept: bool,
    dialect: str,  # date arithmetic differs (date_plus_days)
) -> _Query:
    group = [_campus_name(locale).label("campus_name"), Campus.opening_order]
    if by in ("course", "cohort"):
        group += [_course_title(locale).label("course_title")]
    if by == "cohort":
        group += [Cohort.number, Cohort.id]
    if kept:
        measures, base = summed.measures_and_base(within_days, TODAY)
    else:
        measures = _measures(within_days, TODAY)
        base = (
            sa.select()
            .select_from(Enrollment)
            .join(Cohort, Cohort.id == Enrollment.cohort_id)
            .outerjoin(Outcome, _outcome_join(within_days, TODAY))
            .where(Enrollment.status.in_(COMPLETED))
        )

    def filtered(stmt: Any) -> Any:
        stmt = stmt.join(Course, Course.id == Cohort.course_id).join(
            Campus, Campus.id == Course.campus_id
        )
        return _campus_and_year(stmt, by_campus, by_year)

    base = filtered(base)
    order = (Campus.opening_order.nulls_last(), group[0], *group[2:])
    ordered = base.add_columns(*group, *measures).group_by(*group).order_by(*order)
    if by == "cohort" and kept:
        # A row per cohort, each one of the per-cohort rows: the page's cohorts are chosen
        # (and counted) from those rows alone, and only theirs are summed, rather than
        # summing every cohort to keep fifty.
        listed = filtered(
            sa.select(Cohort.id)
            .select_from(CohortEmployment)
            .join(Cohort, Cohort.id == CohortEmployment.cohort_id)
            .where(CohortEmployment.completed > 0)
        )
        names = (Campus.opening_order.nulls_last(), _campus_name(locale), _course_title(locale))
        page_ids = (
            listed.order_by(*names, Cohort.number, Cohort.id)
            .limit(sa.bindparam("limit", type_=sa.Integer))
            .offset(sa.bindparam("offset", type_=sa.Integer))
            .correlate(None)
        )
        row_count = (
            sa.select(sa.func.count()).select_from(listed.subquery()).correlate(None)
        ).scalar_subquery()
        counted = ordered.where(Cohort.id.in_(page_ids)).add_columns(row_count.label("row_count"))
    else:
        counted = (
            ordered.add_columns(sa.func.count().over().label("row_count"))
            .limit(sa.bindparam("limit", type_=sa.Integer))
            .offset(sa.bindparam("offset", type_=sa.Integer))
        )
    return _Query(ordered, base.add_columns(*measures), counted)


def report_differences(today: date | None = None) -> list[str]:
    """Every grouping and kept window, all campuses and each: the report summed from the
    per-cohort rows against the same report counted from the records. Lines that differ."""
    today = today or today_in_seoul()
    campus_ids = [None, *db.session.scalars(db.select(Campus.id).order_by(Campus.id))]
    differences = []
    for campus_id in campus_ids:
        for by in LEVELS:
            for within_days in (None, *TALLY_WINDOWS):
                filters = EmploymentFilters(by=by, campus_id=campus_id, within_days=within_days)
                summed_rows = employment_report(filters, today)
                counted_rows = employment_report(filters, today, from_records=True)
                if _comparable(summed_rows) != _comparable(counted_rows):
                    differences.append(
                        f"by={by} campus_id={campus_id or 'all'} "
                        f"within_days={within_days if within_days is not None else 'any'}: "
                        f"summed {_comparable(summed_rows)} != counted {_comparable(counted_rows)}"
                    )
    return differences


def _comparable(rows: list[EmploymentRow]) -> list[tuple]:
    return [(*row.as_dict().values(), row.window_open, row.pending) for row in rows]


def _named(record: Any, by: str) -> EmploymentRow:
    row = _row(record)
    row.campus = record["campus_name"]
    if by in ("course", "cohort"):
        row.course = record["course_title"]
    if by == "cohort":
        row.cohort = int(record["number"])
        row.cohort_id = int(record["id"])
    return row


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


def reported_cohorts(
    filters: EmploymentFilters, limit: int = 8, today: date | None = None
) -> list[Cohort]:
    """The cohorts the curve chart draws (one colour each, oldest first): the latest `limit`
    with completed trainees whose 30-day window has closed, so each has a line to draw;
    if none has, the latest ones, which the legend shows as not yet counted."""
    stmt = _reported_query(bool(filters.campus_id), bool(filters.year), db.engine.dialect.name)
    params: dict[str, Any] = {"today": today or today_in_seoul(), "limit": limit}
    if filters.campus_id:
        params["campus_id"] = filters.campus_id
    if filters.year:
        params["year_from"], params["year_to"] = (
            date(filters.year, 1, 1),
            date(filters.year, 12, 31),
        )
    latest = list(db.session.scalars(stmt, params))
    return latest[::-1]


@functools.lru_cache(maxsize=16)
def _reported_query(by_campus: bool, by_year: bool, dialect: str) -> Any:
    """reported_cohorts' statement, built once per shape (building it cost more than
    running it)."""
    # The joins the filters need are the ones the labels load (no second join of courses).
    stmt = (
        db.select(Cohort)
        .join(CohortEmployment, CohortEmployment.cohort_id == Cohort.id)
        .join(Cohort.course)
        .join(Course.campus)
        .options(contains_eager(Cohort.course).contains_eager(Course.campus))
        .where(CohortEmployment.completed > 0)
        .order_by(_closed_sql(30, TODAY).desc(), Cohort.end_on.desc(), Cohort.id.desc())
        .limit(sa.bindparam("limit", type_=sa.Integer))
    )
    return _campus_and_year(stmt, by_campus, by_year)


def _campus_and_year(stmt: Any, by_campus: bool, by_year: bool) -> Any:
    """The report's campus and year filters as bound parameters (`campus_id`, `year_from`,
    `year_to`), so one statement serves every campus and year; stmt reaches Course and Cohort."""
    if by_campus:
        stmt = stmt.where(Course.campus_id == sa.bindparam("campus_id", type_=sa.Integer))
    if by_year:
        stmt = stmt.where(
            Cohort.end_on >= sa.bindparam("year_from", type_=sa.Date),
            Cohort.end_on <= sa.bindparam("year_to", type_=sa.Date),
        )
    return stmt


# --- charts ----------------------------------------------------------------------------


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


# The charts live in reports.charts and the certification report in reports.certifications;
# callers import them from here too.
from .certifications import (  # noqa: E402
    CERTIFICATION_COLUMNS,
    CertificationRow,
    certification_differences,
    certification_report,
)
from .charts import (  # noqa: E402
    CampusBar,
    CurveLine,
    CurvePoint,
    campus_bars,
    curve_lines,
    employed_by_days,
    retention_rates,
)

__all__ = [
    "CampusBar",
    "CurveLine",
    "CurvePoint",
    "campus_bars",
    "curve_lines",
    "employed_by_days",
    "retention_rates",
    "CERTIFICATION_COLUMNS",
    "CertificationRow",
    "certification_differences",
    "certification_report",
]
