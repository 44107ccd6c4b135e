"""Placements through the API (read): graduates' outcomes, job referrals and certification
attempts of the campus, and follow-ups of one's own 1:1 sessions."""

from __future__ import annotations

from typing import Any

from flask import abort, g
from flask_babel import gettext
from sqlalchemy.orm import defer

from ..extensions import db
from ..models import (
    CertificationAttempt,
    CoachingSession,
    Cohort,
    Company,
    Course,
    Enrollment,
    FollowUp,
    Outcome,
    Referral,
    User,
)
from ..permissions import load_in_scope, scope_campus
from ..placements import services as placement_services
from ..sessions import services as session_services
from . import Blueprint, paging, schemas
from .guard import api_require, caller
from .problems import committed
from .sessions import visible_session, visible_sessions

blp = Blueprint(
    "api_placements",
    __name__,
    title="Placements",
    description="Outcomes, job referrals, certifications and follow-ups.",
)


def _of_campus(stmt: Any, enrollment_id: Any) -> Any:
    """Records of enrollments of the caller's campus (every campus: an administrator)."""
    stmt = (
        stmt.join(Enrollment, Enrollment.id == enrollment_id)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .join(Course, Course.id == Cohort.course_id)
    )
    return scope_campus(stmt, Course.campus_id, caller())


@blp.route("/outcomes")
@api_require("placement.view", "placements")
@blp.etag
@blp.arguments(schemas.OutcomeQuery, location="query")
@blp.response(200, schemas.page_of(schemas.OutcomeSchema, "OutcomePage"))
@blp.errors()
def list_outcomes(args: dict) -> Any:
    """Graduates' current outcomes, filtered by cohort and kind as on the placements page."""
    stmt = _of_campus(
        db.select(Outcome)
        .where(Outcome.is_current.is_(True))
        # the encrypted health fields are neither shown nor decrypted
        .options(
            defer(Outcome.exclusion_reason),
            defer(Outcome.health_consent_at),
            defer(Outcome.evidence),
        ),
        Outcome.enrollment_id,
    )
    filters = {"cohort_id": Enrollment.cohort_id, "kind": Outcome.kind}
    return paging.listed(stmt, Outcome.id, args, filters, people=True)


@blp.route("/referrals")
@api_require("placement.view", "placements")
@blp.etag
@blp.arguments(schemas.ReferralQuery, location="query")
@blp.response(200, schemas.page_of(schemas.ReferralSchema, "ReferralPage"))
@blp.errors()
def list_referrals(args: dict) -> Any:
    """Job referrals, filtered by cohort and status as on the referrals page."""
    stmt = _of_campus(db.select(Referral), Referral.enrollment_id)
    filters = {"cohort_id": Enrollment.cohort_id, "status": Referral.status}
    return paging.listed(stmt, Referral.id, args, filters, people=True)


@blp.route("/certifications")
@api_require("placement.view", "placements")
@blp.etag
@blp.arguments(schemas.PageQuery, location="query")
@blp.response(200, schemas.page_of(schemas.CertificationSchema, "CertificationPage"))
@blp.errors()
def list_certifications(args: dict) -> Any:
    """Certification attempts of the campus's trainees."""
    stmt = scope_campus(
        db.select(CertificationAttempt).join(User, User.id == CertificationAttempt.user_id),
        User.campus_id,
        caller(),
    )
    return paging.listed(stmt, CertificationAttempt.id, args, people=True)


@blp.route("/follow-ups")
@api_require("session.view", "sessions")
@blp.etag
@blp.arguments(schemas.FollowUpQuery, location="query")
@blp.response(200, schemas.page_of(schemas.FollowUpSchema, "FollowUpPage"))
@blp.errors()
def list_follow_ups(args: dict) -> Any:
    """Follow-ups of the 1:1 sessions you see: your own (a trainee's, a mentor's), or your
    campus's (coordinators and managers)."""
    sessions = visible_sessions(caller()).with_only_columns(CoachingSession.id)
    stmt = db.select(FollowUp).where(FollowUp.session_id.in_(sessions))
    if args.get("open") is not None:
        stmt = stmt.where(
            FollowUp.done_at.is_(None) if args["open"] else FollowUp.done_at.is_not(None)
        )
    return paging.listed(stmt, FollowUp.id, args)


@blp.route("/outcomes", methods=["POST"])
@api_require("placement.record", "placements", write=True)
@blp.arguments(schemas.OutcomeRecord)
@blp.response(201, schemas.OutcomeSchema)
@blp.alt_response(200, schema=schemas.OutcomeSchema, description="Already the current outcome")
@blp.errors(400, 404, 409)
def record_outcome(record: dict) -> Any:
    """Record a completed trainee's outcome; the previous one stays as history. The same
    outcome sent again changes nothing (200)."""
    enrollment = load_in_scope(Enrollment, record["enrollment_id"], caller())
    g.api_subject = enrollment.user
    data = placement_services.OutcomeData(
        kind=record["kind"],
        outcome_on=record["outcome_on"],
        company=record["company"],
        job_title=record["job_title"],
        industry=record["industry"],
        employment_type=record["employment_type"],
        insured=record["insured"],
        exclusion_reason=record["exclusion_reason"],
        health_consent=record["health_consent"],
        evidence=record["evidence"],
    )
    with committed():
        outcome = placement_services.record_outcome(caller(), enrollment, data, source="api")
    if outcome is None:
        return placement_services.current_outcome(enrollment), 200
    return outcome


@blp.route("/outcomes/<int:outcome_id>", methods=["PATCH"])
@api_require("placement.record", "placements", write=True)
@blp.etag
@blp.arguments(schemas.VerificationChange)
@blp.response(200, schemas.OutcomeSchema)
@blp.errors(400, 404)
def verify_outcome(change: dict, outcome_id: int) -> Any:
    """Set how the outcome was verified. Send the ETag you read as If-Match."""
    outcome = load_in_scope(Outcome, outcome_id, caller())
    blp.check_etag(outcome, schemas.OutcomeSchema)
    with committed():
        placement_services.set_verification(
            caller(),
            outcome,
            change["verification"].value if change["verification"] else None,
            change["verification_state"].value,
        )
    return outcome


@blp.route("/outcomes/<int:outcome_id>", methods=["GET"])
@api_require("placement.view", "placements")
@blp.etag
@blp.response(200, schemas.OutcomeSchema)
@blp.errors(404)
def show_outcome(outcome_id: int) -> Any:
    return load_in_scope(Outcome, outcome_id, caller())


def _own_follow_up(follow_up_id: int) -> FollowUp:
    """A follow-up of a session the caller sees (session pages' rule), or 404."""
    follow_up = db.session.get(FollowUp, follow_up_id)
    if follow_up is None:
        abort(404)
    visible_session(follow_up.session_id)
    return follow_up


@blp.route("/follow-ups/<int:follow_up_id>", methods=["GET"])
@api_require("session.view", "sessions")
@blp.etag
@blp.response(200, schemas.FollowUpSchema)
@blp.errors(404)
def show_follow_up(follow_up_id: int) -> Any:
    return _own_follow_up(follow_up_id)


@blp.route("/follow-ups/<int:follow_up_id>", methods=["PATCH"])
@api_require("session.participate", "sessions", write=True)
@blp.etag
@blp.arguments(schemas.FollowUpChange)
@blp.response(200, schemas.FollowUpSchema)
@blp.errors(400, 404)
def finish_follow_up(change: dict, follow_up_id: int) -> Any:
    """Mark a follow-up of one of your sessions done (either person in it)."""
    user = caller()
    follow_up = _own_follow_up(follow_up_id)
    if user.id not in (follow_up.session.staff_id, follow_up.session.trainee_id):
        abort(403, description=gettext("Only the two people in a session change it."))
    blp.check_etag(follow_up, schemas.FollowUpSchema)
    session_services.complete_follow_up(user, follow_up)
    db.session.commit()
    return follow_up


@blp.route("/referrals", methods=["POST"])
@api_require("placement.record", "placements", write=True)
@blp.arguments(schemas.ReferralCreate)
@blp.response(201, schemas.ReferralSchema)
@blp.errors(400, 404)
def create_referral(referral: dict) -> Any:
    """Propose a trainee to a company of the campus, with the trainee's consent to share."""
    enrollment = load_in_scope(Enrollment, referral["enrollment_id"], caller())
    company = load_in_scope(Company, referral["company_id"], caller())
    g.api_subject = enrollment.user
    with committed():
        made = placement_services.refer(
            caller(),
            enrollment,
            company,
            position=referral["position"],
            consent=referral["consent"],
        )
    return made


@blp.route("/referrals/<int:referral_id>", methods=["GET"])
@api_require("placement.view", "placements")
@blp.etag
@blp.response(200, schemas.ReferralSchema)
@blp.errors(404)
def show_referral(referral_id: int) -> Any:
    return load_in_scope(Referral, referral_id, caller())


@blp.route("/referrals/<int:referral_id>", methods=["PATCH"])
@api_require("placement.record", "placements", write=True)
@blp.etag
@blp.arguments(schemas.ReferralChange)
@blp.response(200, schemas.ReferralSchema)
@blp.errors(400, 404, 409)
def change_referral(change: dict, referral_id: int) -> Any:
    """Move a referral on: proposed → sent → interview → hired or not hired (a hire with the
    job's start day becomes the graduate's outcome). Send the ETag you read as If-Match."""
    referral = load_in_scope(Referral, referral_id, caller())
    g.api_subject = referral.enrollment.user
    blp.check_etag(referral, schemas.ReferralSchema)
    with committed():
        placement_services.advance_referral(
            caller(), referral, change["status"].value, started_on=change["started_on"]
        )
    return referral
