"""Placements through the API (read): graduates' outcomes, job referrals and certification
attempts of the campus, and follow-ups of one's own 1:1 sessions."""

from __future__ import annotations

from typing import Any

from flask import g
from sqlalchemy.orm import defer

from ..extensions import db
from ..models import (
    CertificationAttempt,
    CoachingSession,
    Cohort,
    Course,
    Enrollment,
    FollowUp,
    Outcome,
    Referral,
    User,
)
from ..permissions import scope_campus
from . import Blueprint, paging, schemas
from .guard import api_require, current_token
from .sessions import visible_sessions

blp = Blueprint(
    "api_placements",
    __name__,
    title="Placements",
    description="Outcomes, job referrals, certifications and follow-ups.",
)


def _user() -> Any:
    return current_token().user  # type: ignore[union-attr]


def _of_campus(stmt: Any, enrollment_id: Any) -> Any:
    """Records of enrollments of the caller's campus (every campus: an administrator)."""
    stmt = (
        stmt.join(Enrollment, Enrollment.id == enrollment_id)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .join(Course, Course.id == Cohort.course_id)
    )
    return scope_campus(stmt, Course.campus_id, _user())


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
    if args.get("cohort_id"):
        stmt = stmt.where(Enrollment.cohort_id == args["cohort_id"])
    if args.get("kind"):
        stmt = stmt.where(Outcome.kind == args["kind"])
    found = paging.page(stmt, Outcome.id, args)
    g.api_people_count = len(found["items"])
    return found, paging.next_link(found["next_cursor"])


@blp.route("/referrals")
@api_require("placement.view", "placements")
@blp.etag
@blp.arguments(schemas.ReferralQuery, location="query")
@blp.response(200, schemas.page_of(schemas.ReferralSchema, "ReferralPage"))
@blp.errors()
def list_referrals(args: dict) -> Any:
    """Job referrals, filtered by cohort and status as on the referrals page."""
    stmt = _of_campus(db.select(Referral), Referral.enrollment_id)
    if args.get("cohort_id"):
        stmt = stmt.where(Enrollment.cohort_id == args["cohort_id"])
    if args.get("status"):
        stmt = stmt.where(Referral.status == args["status"])
    found = paging.page(stmt, Referral.id, args)
    g.api_people_count = len(found["items"])
    return found, paging.next_link(found["next_cursor"])


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
        _user(),
    )
    found = paging.page(stmt, CertificationAttempt.id, args)
    g.api_people_count = len(found["items"])
    return found, paging.next_link(found["next_cursor"])


@blp.route("/follow-ups")
@api_require("session.view", "sessions")
@blp.etag
@blp.arguments(schemas.FollowUpQuery, location="query")
@blp.response(200, schemas.page_of(schemas.FollowUpSchema, "FollowUpPage"))
@blp.errors()
def list_follow_ups(args: dict) -> Any:
    """Follow-ups of the 1:1 sessions you see: your own (a trainee's, a mentor's), or your
    campus's (coordinators and managers)."""
    sessions = visible_sessions(_user()).with_only_columns(CoachingSession.id)
    stmt = db.select(FollowUp).where(FollowUp.session_id.in_(sessions))
    if args.get("open") is not None:
        stmt = stmt.where(
            FollowUp.done_at.is_(None) if args["open"] else FollowUp.done_at.is_not(None)
        )
    found = paging.page(stmt, FollowUp.id, args)
    return found, paging.next_link(found["next_cursor"])
