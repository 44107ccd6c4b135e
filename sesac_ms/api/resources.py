"""Read-only resources of the API: who the token is, campuses and courses, cohorts with
their class days, and the employment report. Each reads through the services the pages use,
scoped to the token owner's campus as the pages are."""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_babel import get_locale, gettext

from ..cohorts import services as cohort_services
from ..cohorts.roster import class_days
from ..extensions import db
from ..models import Campus, Cohort, Course, Role
from ..permissions import AUTHENTICATED, load_in_scope, scope_campus
from ..reports import services as reports
from . import Blueprint, paging, schemas
from .guard import api_require, caller, current_token

me = Blueprint("api_me", __name__, title="Me", description="The token and its owner.")
campuses = Blueprint(
    "api_campuses", __name__, title="Campuses", description="Campuses and their courses."
)
cohorts = Blueprint(
    "api_cohorts", __name__, title="Cohorts", description="Cohorts and their class days."
)
report_blp = Blueprint(
    "api_reports", __name__, title="Reports", description="Employment and certification figures."
)
BLUEPRINTS = (me, campuses, cohorts, report_blp)


@me.route("/me")
@api_require(AUTHENTICATED, "me")
@me.etag
@me.response(200, schemas.MeSchema)
@me.errors()
def who_am_i() -> Any:
    """The token's owner (role and campus, which bound everything the token sees) and the
    token itself."""
    token = current_token()
    user = token.user  # type: ignore[union-attr]
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "role": user.role,
        "campus_id": user.campus_id,
        "locale": user.locale,
        "token": token,
    }


@campuses.route("/campuses")
@api_require(AUTHENTICATED, "campuses")
@campuses.etag
@campuses.arguments(schemas.PageQuery, location="query")
@campuses.response(200, schemas.page_of(schemas.CampusSchema, "CampusPage"))
@campuses.errors()
def list_campuses(args: dict) -> Any:
    """Campuses: every campus for an administrator, one's own for everyone else."""
    return paging.listed(scope_campus(db.select(Campus), Campus.id, caller()), Campus.id, args)


@campuses.route("/campuses/<int:campus_id>")
@api_require(AUTHENTICATED, "campuses")
@campuses.etag
@campuses.response(200, schemas.CampusSchema)
@campuses.errors(404)
def show_campus(campus_id: int) -> Any:
    return load_in_scope(Campus, campus_id, caller())


@campuses.route("/courses")
@api_require("course.view", "campuses")
@campuses.etag
@campuses.arguments(schemas.CourseQuery, location="query")
@campuses.response(200, schemas.page_of(schemas.CourseSchema, "CoursePage"))
@campuses.errors()
def list_courses(args: dict) -> Any:
    """Courses, filtered by campus as on the courses page."""
    stmt = cohort_services.courses_query(caller(), args.get("campus_id"))
    return paging.listed(stmt, Course.id, args)


@campuses.route("/courses/<int:course_id>")
@api_require("course.view", "campuses")
@campuses.etag
@campuses.response(200, schemas.CourseSchema)
@campuses.errors(404)
def show_course(course_id: int) -> Any:
    return load_in_scope(Course, course_id, caller())


@cohorts.route("/cohorts")
@api_require("cohort.view", "cohorts")
@cohorts.etag
@cohorts.arguments(schemas.CohortQuery, location="query")
@cohorts.response(200, schemas.page_of(schemas.CohortSchema, "CohortPage"))
@cohorts.errors()
def list_cohorts(args: dict) -> Any:
    """Cohorts, filtered by campus, course and status as on the cohorts page."""
    stmt = cohort_services.cohorts_query(
        caller(),
        campus_id=args.get("campus_id"),
        course_id=args.get("course_id"),
        status=args.get("status"),
    )
    return paging.listed(stmt, Cohort.id, args)


@cohorts.route("/cohorts/<int:cohort_id>")
@api_require("cohort.view", "cohorts")
@cohorts.etag
@cohorts.response(200, schemas.CohortDetailSchema)
@cohorts.errors(404)
def show_cohort(cohort_id: int) -> Any:
    """A cohort with its class days, cancelled ones included (they say so)."""
    cohort = load_in_scope(Cohort, cohort_id, caller())
    cohort.class_days = class_days(cohort)  # type: ignore[attr-defined]
    return cohort


def _report_campus(asked: int | None) -> int | None:
    """The campus a report covers: an administrator's choice (None: all), else one's own."""
    user = caller()
    if user.role == Role.ADMIN:
        return asked
    if asked not in (None, user.campus_id):
        abort(403, description=gettext("You can see the figures of your own campus only."))
    return user.campus_id


@report_blp.route("/reports/employment")
@api_require("report.view", "reports")
@report_blp.etag
@report_blp.arguments(schemas.EmploymentQuery, location="query")
@report_blp.response(200, schemas.EmploymentReportSchema)
@report_blp.errors()
def employment_report(args: dict) -> Any:
    """The employment report with the CLI's filters and figures (docs/formats.md): rows at
    the `by` level, then the total. Names are in the token owner's language."""
    filters = reports.EmploymentFilters(
        by=args["by"],
        campus_id=_report_campus(args.get("campus_id")),
        year=args.get("year"),
        within_days=args.get("within_days"),
    )
    rows = reports.employment_report(filters, locale=str(get_locale()))
    return {"rows": rows[:-1], "total": rows[-1]}


@report_blp.route("/reports/certifications")
@api_require("report.view", "reports")
@report_blp.etag
@report_blp.arguments(schemas.CertificationQuery, location="query")
@report_blp.response(200, schemas.CertificationReportSchema)
@report_blp.errors()
def certification_report(args: dict) -> Any:
    """The certification report with the CLI's filters and figures (docs/formats.md)."""
    rows = reports.certification_report(
        by_campus=args["by"] == "campus",
        campus_id=_report_campus(args.get("campus_id")),
        locale=str(get_locale()),
    )
    return {"rows": rows}
