"""The report pages: employment rate and certifications, with filters, charts and downloads."""

from __future__ import annotations

from dataclasses import astuple
from datetime import date
from typing import Any

from flask import abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale

from ..downloads import file_response
from ..errors import DomainError
from ..models import Role
from ..paging import requested_page
from ..permissions import acting_user, require
from . import bp, figures_cache, services

DAY_MARKS = [0, 30, 60, 90, 180]
PER_PAGE = 50  # rows of the report table per page; downloads carry every row


def _campus_filter() -> int | None:
    """Admins choose; everyone else sees their own campus only."""
    user = acting_user()
    if user.role == Role.ADMIN:
        return request.args.get("campus_id", type=int)
    return user.campus_id


def _download(columns, rows, fmt: str, name: str) -> ResponseReturnValue:
    try:
        content = services.render(columns, rows, fmt)
    except DomainError:
        abort(400)
    return file_response(content, services.MIMETYPES[fmt], f"{name}.{fmt}")


@bp.get("/employment")
@require("report.view")
def employment() -> ResponseReturnValue:
    from ..cohorts.services import campuses_for

    by = request.args.get("by", "campus")
    by = by if by in services.LEVELS else "campus"
    # A value no form offers (a hand-edited URL) is left out rather than failing the page.
    within = request.args.get("within_days", type=int)
    year = request.args.get("year", type=int)
    filters = services.EmploymentFilters(
        by=by,
        campus_id=_campus_filter(),
        year=year if year is not None and 2000 <= year <= 2100 else None,
        within_days=within if within is not None and 0 <= within <= 3650 else None,
    )
    fmt = request.args.get("format")
    # Downloads keep the Korean names the other offices use, as the CLI writes them.
    locale = "ko" if fmt else str(get_locale())
    if fmt:
        if fmt not in services.MIMETYPES:
            abort(400)
        # The file is the figures written out: kept with them (figures_cache), as writing
        # a workbook of a thousand cohorts costs far more than summing them.
        content = figures_cache.figures(
            ("employment download", astuple(filters), fmt),
            lambda: _employment_file(filters, fmt),
        )
        return file_response(content, services.MIMETYPES[fmt], f"employment.{fmt}")
    page = requested_page()
    shown = figures_cache.figures(
        ("employment", astuple(filters), page, locale),
        lambda: _employment_figures(filters, page, locale),
    )
    return render_template(
        "reports/employment.html",
        **shown,
        filters=filters,
        campuses=campuses_for(acting_user()),
        day_marks=DAY_MARKS,
        years=range(date.today().year, 2020, -1),
    )


def _employment_file(filters: services.EmploymentFilters, fmt: str) -> bytes:
    """The report as a download, in Korean as the CLI writes it (every row, no paging);
    `fmt` is one of services.MIMETYPES (the route answered 400 to any other)."""
    rows = services.employment_report(filters, locale="ko")
    return services.render(services.EMPLOYMENT_COLUMNS, [r.as_dict() for r in rows], fmt)


def _employment_figures(
    filters: services.EmploymentFilters, page: int, locale: str
) -> dict[str, Any]:
    """Everything the report page shows that the records decide: the page of rows, the
    campus bars, the cohorts' curves and the retention rates (kept by figures_cache)."""
    report, campus_rows = services.employment_report_with_campuses(
        filters, page, PER_PAGE, locale=locale
    )
    cohorts = services.reported_cohorts(filters)
    curves = services.employed_by_days([c.id for c in cohorts], DAY_MARKS)
    by_cohort = filters.by == "cohort"
    return {
        "report": report,
        "bars": services.campus_bars(campus_rows),
        "lines": services.curve_lines(cohorts, curves, DAY_MARKS, locale),
        "retention": services.retention_rates(
            filters.campus_id,
            by_cohort=by_cohort,
            locale=locale,
            cohort_ids=[row.cohort_id for row in report.rows] if by_cohort else None,
        ),
    }


@bp.get("/certifications")
@require("report.view")
def certifications() -> ResponseReturnValue:
    from ..cohorts.services import campuses_for

    by_campus = request.args.get("by") == "campus"
    fmt = request.args.get("format")
    rows = services.certification_report(
        by_campus=by_campus,
        campus_id=_campus_filter(),
        locale="ko" if fmt else str(get_locale()),
    )
    if fmt:
        return _download(
            services.CERTIFICATION_COLUMNS, [r.as_dict() for r in rows], fmt, "certifications"
        )
    return render_template(
        "reports/certifications.html",
        rows=rows,
        by_campus=by_campus,
        campuses=campuses_for(acting_user()),
        campus_id=_campus_filter(),
    )
