"""Applications through the API: read by staff of the campus, moved and decided by managers
through the same services as the applicant pages (capacity, races, audit, mail)."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_babel import gettext
from sqlalchemy.orm import undefer

from ..applications import services
from ..errors import Conflict
from ..extensions import db
from ..models import Application, Cohort, Course, Stage
from ..permissions import load_in_scope, scope_campus
from . import Blueprint, paging, schemas
from .guard import api_require, caller
from .problems import committed

blp = Blueprint(
    "api_applications", __name__, title="Applications", description="Applications to cohorts."
)


@blp.route("/applications")
@api_require("application.view", "applications")
@blp.etag
@blp.arguments(schemas.ApplicationQuery, location="query")
@blp.response(200, schemas.page_of(schemas.ApplicationSchema, "ApplicationPage"))
@blp.errors()
def list_applications(args: dict) -> Any:
    """Applications of the campus, filtered by cohort, stage and eligibility as on the
    applicant list, in the order they were made."""
    stmt = (
        db.select(Application)
        .options(undefer(Application.average_score))
        .join(Cohort, Cohort.id == Application.cohort_id)
        .join(Course, Course.id == Cohort.course_id)
    )
    stmt = scope_campus(stmt, Course.campus_id, caller())
    filters = {
        "cohort_id": Application.cohort_id,
        "stage": Application.stage,
        "eligible": Application.eligible,
    }
    return paging.listed(stmt, Application.id, args, filters, people=True)


@blp.route("/applications/<int:application_id>", methods=["GET"])
@api_require("application.view", "applications")
@blp.etag
@blp.response(200, schemas.ApplicationSchema)
@blp.errors(404)
def show_application(application_id: int) -> Any:
    application = load_in_scope(Application, application_id, caller())
    g.api_subject = application
    return application


def _move(application: Application, stage: Stage, reason: str) -> None:
    actor = caller()
    if stage == Stage.ACCEPTED:
        services.accept(actor, application, reason)
    elif stage == Stage.WAITLISTED:
        services.waitlist(actor, application, reason)
    elif stage == Stage.REJECTED:
        services.reject(actor, application, reason)
    elif stage == services.next_stage(application):
        services.advance(actor, application)
    else:
        raise Conflict(
            gettext(
                "%(name)s is now “%(stage)s”; this step does not apply.",
                name=application.name,
                stage=services.stage_label(application.stage),
            ),
            "stage",
        )


@blp.route("/applications/<int:application_id>", methods=["PATCH"])
@api_require("application.decide", "applications", write=True)
@blp.etag
@blp.arguments(schemas.ApplicationChange)
@blp.response(200, schemas.ApplicationSchema)
@blp.errors(400, 404, 409)
def change_application(change: dict, application_id: int) -> Any:
    """Move an application to its next selection stage, or decide it: accepted (within the
    cohort's places), waitlisted, or rejected (with a reason). Send the ETag you read as
    If-Match, so a decision someone took meanwhile is not overwritten."""
    application = load_in_scope(Application, application_id, caller())
    g.api_subject = application
    blp.check_etag(application, schemas.ApplicationSchema)
    with committed():
        _move(application, Stage(change["stage"]), change.get("reason", ""))
    return application


@blp.route("/applications/<int:application_id>/scores", methods=["POST"])
@api_require("application.score", "applications", write=True)
@blp.arguments(schemas.ScoreChange)
@blp.response(200, schemas.ApplicationSchema)
@blp.errors(400, 404, 409)
def score_application(score: dict, application_id: int) -> Any:
    """Give or change your score (0–100) for a selection stage the cohort uses."""
    application = load_in_scope(Application, application_id, caller())
    g.api_subject = application
    with committed():
        services.record_score(
            caller(), application, score["stage"], score["score"], score.get("comment", "")
        )
    db.session.refresh(application)
    return application
