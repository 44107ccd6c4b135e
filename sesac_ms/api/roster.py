"""Rosters and attendance through the API: the trainees of a cohort, a class day's sheet,
and marks for it through the same service as the attendance page (its checks, the
check-in reason rule and the audit log)."""

from __future__ import annotations

from typing import Any

from flask import abort, g

from ..cohorts import roster
from ..extensions import db
from ..models import ClassDay, Cohort, Course, Enrollment
from ..permissions import load_in_scope, scope_campus
from . import Blueprint, paging, schemas
from .guard import api_require, caller
from .problems import committed

blp = Blueprint(
    "api_roster", __name__, title="Rosters", description="Trainees of cohorts and attendance."
)


@blp.route("/enrollments")
@api_require("roster.view", "roster")
@blp.etag
@blp.arguments(schemas.EnrollmentQuery, location="query")
@blp.response(200, schemas.page_of(schemas.EnrollmentSchema, "EnrollmentPage"))
@blp.errors()
def list_enrollments(args: dict) -> Any:
    """Trainees of the campus's cohorts, filtered by cohort and status as on the roster."""
    stmt = (
        db.select(Enrollment)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .join(Course, Course.id == Cohort.course_id)
    )
    stmt = scope_campus(stmt, Course.campus_id, caller())
    filters = {"cohort_id": Enrollment.cohort_id, "status": Enrollment.status}
    return paging.listed(stmt, Enrollment.id, args, filters, people=True)


def _sheet_of(cohort_id: int, day_id: int) -> tuple[Cohort, ClassDay, dict[str, Any]]:
    cohort = load_in_scope(Cohort, cohort_id, caller())
    class_day = db.session.get(ClassDay, day_id)
    if class_day is None or class_day.cohort_id != cohort.id:
        abort(404)
    marks = [
        {
            "enrollment_id": enrollment.id,
            "name": enrollment.user.name,
            "status": record.status if record else None,
            "note": record.note if record else "",
            "arrived_at": record.arrived_at if record else None,
            "left_at": record.left_at if record else None,
            "minutes_late": record.minutes_late if record else 0,
            "minutes_left_early": record.minutes_left_early if record else 0,
            "source": record.source if record else None,
        }
        for enrollment, record in roster.sheet(cohort, class_day)
    ]
    g.api_people_count = len(marks)
    return cohort, class_day, {"class_day": class_day, "marks": marks}


@blp.route("/cohorts/<int:cohort_id>/class-days/<int:day_id>/attendance", methods=["GET"])
@api_require("roster.view", "roster")
@blp.etag
@blp.response(200, schemas.SheetSchema)
@blp.errors(404)
def attendance_sheet(cohort_id: int, day_id: int) -> Any:
    """The class day's sheet: every trainee to mark, with what is recorded."""
    return _sheet_of(cohort_id, day_id)[2]


@blp.route("/cohorts/<int:cohort_id>/class-days/<int:day_id>/attendance", methods=["PUT"])
@api_require("attendance.record", "roster", write=True)
@blp.etag
@blp.arguments(schemas.SheetChange)
@blp.response(200, schemas.SheetSchema)
@blp.errors(400, 404, 409)
def record_attendance(change: dict, cohort_id: int, day_id: int) -> Any:
    """Mark trainees for the day, all or none. Send the sheet's ETag as If-Match, so marks
    someone else (or a check-in) made meanwhile are not overwritten."""
    cohort, class_day, sheet = _sheet_of(cohort_id, day_id)
    blp.check_etag(sheet, schemas.SheetSchema)
    marks = {m["enrollment_id"]: (m["status"].value, m["note"]) for m in change["marks"]}
    # the service names a trainee's reason "note-<enrollment id>", as the sheet's field
    pointers = {
        f"note-{mark['enrollment_id']}": f"/marks/{index}/note"
        for index, mark in enumerate(change["marks"])
    }
    with committed(pointers):
        roster.record_attendance(caller(), cohort, class_day, marks)
    return _sheet_of(cohort_id, day_id)[2]
