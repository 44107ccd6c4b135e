"""The report page's charts: the campuses' bars, each cohort's curve of the share employed
by days after its end, and the retention rates at 6 and 12 months. Split from
reports.services, which re-exports them."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext

from ..clock import today_in_seoul
from ..extensions import db
from ..models import Campus, Cohort, CohortEmployment, Course, Enrollment, Outcome, OutcomeKind
from .services import (
    TODAY,
    EmploymentRow,
    _campus_name,
    _course_title,
    _outcome_join,
    rate,
    window_closed,
)
from .sql import COMPLETED
from .sql import count_if as _count_if


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
    stmt = _curves_query(tuple(days), db.engine.dialect.name)
    params = {"today": today, "cohort_ids": list(cohort_ids)}
    result = {}
    for cohort_id, end_on, completed, *counts in db.session.execute(stmt, params).all():
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


@functools.lru_cache(maxsize=16)
def _curves_query(days: tuple[int, ...], dialect: str) -> Any:
    """employed_by_days' statement, built once per set of marks (building costs more than
    running it on a few cohorts)."""
    outcome_days = (
        sa.func.julianday(Outcome.outcome_on) - sa.func.julianday(Cohort.end_on)
        if dialect == "sqlite"
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
    return (
        db.select(Cohort.id, Cohort.end_on, *columns)
        .select_from(Enrollment)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .outerjoin(Outcome, _outcome_join(None, TODAY))
        .where(
            Enrollment.status.in_(COMPLETED),
            Cohort.id.in_(sa.bindparam("cohort_ids", expanding=True)),
        )
        .group_by(Cohort.id, Cohort.end_on)
    )


@dataclass
class CampusBar:
    """One bar of the chart by campus, placed: 24 px a row, 2.4 px a percentage point."""

    campus: str
    y: int
    window_open: bool
    width: float | None = None  # the bar (None while not yet counted)
    rate_text: str = ""


def campus_bars(campus_rows: list[EmploymentRow]) -> list[CampusBar]:
    """The campus rows with a rate, then those not yet counted, as bars (rows with neither
    draw nothing)."""
    rows = [row for row in campus_rows if row.rate is not None] + [
        row for row in campus_rows if row.window_open
    ]
    return [
        CampusBar(row.campus, 24 * i + 5, True)
        if row.window_open
        else CampusBar(row.campus, 24 * i + 5, False, 2.4 * row.rate, row.rate_text)
        for i, row in enumerate(rows)
    ]


@dataclass
class CurveLine:
    """A cohort's curve as drawn: its polyline's points, its legend's counted marks
    ("30d 50%") and, while some window is open, the first open mark ("60d")."""

    label: str
    points: str
    marks: list[str]
    open: bool
    open_from: str = ""


def curve_lines(
    cohorts: list[Cohort], curves: dict[int, list[CurvePoint]], day_marks: list[int], locale: str
) -> list[CurveLine]:
    """The curves of the cohorts that have one, in the cohorts' order (one colour each)."""
    last, day = day_marks[-1], gettext("d")
    lines = []
    for cohort in cohorts:
        points = curves.get(cohort.id)
        if not points:
            continue
        marks = [
            f"{p.days}{day} " + (f"{p.rate:.0f}%" if p.rate is not None else "—")
            for p in points
            if p.counted
        ]
        open_marks = [p for p in points if not p.counted]
        lines.append(
            CurveLine(
                cohort.label(locale),
                " ".join(
                    f"{round(40 + 350 * p.days / last, 1)},{round(200 - 1.9 * p.rate, 1)}"
                    for p in points
                    if p.rate is not None
                ),
                marks,
                bool(open_marks),
                f"{open_marks[0].days}{day}" if open_marks and marks else "",
            )
        )
    return lines


def retention_rates(
    campus_id: int | None = None,
    *,
    by_cohort: bool = False,
    locale: str = "ko",
    cohort_ids: list[int] | None = None,
) -> list[dict[str, Any]]:
    """직무유지율 per campus (or cohort) and check (6, 12 months): still employed ÷ checked.

    Summed from the per-cohort rows; `cohort_ids` keeps to those cohorts (a report page's)."""
    stmt = _retention_query(by_cohort, locale, bool(campus_id), cohort_ids is not None)
    params: dict[str, Any] = {}
    if campus_id:
        params["campus_id"] = campus_id
    if cohort_ids is not None:
        params["cohort_ids"] = list(cohort_ids)
    rows = []
    for label, checked_6, retained_6, checked_12, retained_12 in db.session.execute(
        stmt, params
    ).all():
        for months, checked, retained in (
            (6, checked_6, retained_6),
            (12, checked_12, retained_12),
        ):
            if checked:
                rows.append(
                    {
                        "campus": label,
                        "months": months,
                        "checked": int(checked),
                        "retained": int(retained),
                        "rate": rate(int(retained), int(checked)),
                    }
                )
    return rows


@functools.lru_cache(maxsize=16)
def _retention_query(by_cohort: bool, locale: str, by_campus: bool, some_cohorts: bool) -> Any:
    """retention_rates' statement, built once per shape."""
    if not by_cohort:
        name = _campus_name(locale)
    elif locale == "en":
        name = (
            Campus.name_en + " #" + sa.cast(Cohort.number, sa.String) + " " + _course_title(locale)
        )
    else:
        name = Campus.name_ko + " " + sa.cast(Cohort.number, sa.String) + "기 " + Course.title
    tally = CohortEmployment
    sums = [
        sa.func.coalesce(sa.func.sum(getattr(tally, f"{what}_{months}m")), 0)
        for months in (6, 12)
        for what in ("checked", "retained")
    ]
    stmt = (
        db.select(name, *sums)
        .select_from(tally)
        .join(Cohort, Cohort.id == tally.cohort_id)
        .join(Course, Course.id == Cohort.course_id)
        .join(Campus, Campus.id == Course.campus_id)
        .where((tally.checked_6m > 0) | (tally.checked_12m > 0))
        .group_by(name)
        .order_by(name)
    )
    if by_campus:
        stmt = stmt.where(Campus.id == sa.bindparam("campus_id", type_=sa.Integer))
    if some_cohorts:
        stmt = stmt.where(Cohort.id.in_(sa.bindparam("cohort_ids", expanding=True)))
    return stmt


# --- output ----------------------------------------------------------------------------
