"""1:1 sessions through the API: a trainee's bookable times and booking, everyone's own
sessions within their scope, and cancelling, marking and logging them through the same
services as the session pages (overlap rule, booking races, audit, mail)."""

from __future__ import annotations

from typing import Any

from flask import abort, g
from flask_babel import gettext

from ..errors import InvalidInput
from ..extensions import db
from ..models import AvailabilitySlot, CoachingSession, Cohort, Course, Role, SessionStatus
from ..sessions import services
from . import Blueprint, paging, schemas
from .guard import api_require, caller
from .problems import committed

blp = Blueprint(
    "api_sessions",
    __name__,
    title="Sessions",
    description="1:1 mentoring, portfolio coaching, mock interviews and career counselling.",
)


@blp.route("/availability")
@api_require("session.book", "sessions")
@blp.etag
@blp.response(200, schemas.SlotList)
@blp.errors()
def bookable_times() -> Any:
    """The times you can book now: your cohort's staff's free times, clear of your classes
    and sessions (as the booking page shows them)."""
    return {"items": services.open_slots_for(caller())}


@blp.route("/availability", methods=["POST"])
@api_require("session.manage", "sessions", write=True)
@blp.arguments(schemas.SlotPublish)
@blp.response(201, schemas.SlotList)
@blp.errors(400, 409)
def publish_times(times: dict) -> Any:
    """Offer a time for a kind of session, once or weekly for up to 26 weeks, as the
    availability page does (coordinators and mentors): never over your own sessions, nor
    over class hours unless `during_class`."""
    with committed():
        slots = services.publish_slots(
            caller(),
            kind=times["kind"],
            starts_at=times["starts_at"],
            location=times["location"],
            weeks=times["weeks"],
            during_class=times["during_class"],
        )
    return {"items": slots}


@blp.route("/availability/<int:slot_id>/booking", methods=["POST"])
@api_require("session.book", "sessions", write=True)
@blp.response(201, schemas.SessionSchema)
@blp.errors(404, 409, 422)
def book(slot_id: int) -> Any:
    """Book a time: one booking wins a time however many ask at once; the others get 409."""
    trainee = caller()
    slot = db.session.get(AvailabilitySlot, slot_id)
    if slot is None or not services.slot_of_my_cohort(trainee, slot):
        abort(404)
    with committed():
        session = services.book_slot(trainee, slot)
    return session


def visible_sessions(user: Any) -> Any:
    """The sessions the user sees, as on the session pages (services.can_see)."""
    stmt = db.select(CoachingSession)
    if user.role == Role.TRAINEE:
        return stmt.where(CoachingSession.trainee_id == user.id)
    if user.role == Role.MENTOR:
        return stmt.where(CoachingSession.staff_id == user.id)
    if user.role == Role.ADMIN:
        return stmt
    return (
        stmt.join(Cohort, Cohort.id == CoachingSession.cohort_id)
        .join(Course, Course.id == Cohort.course_id)
        .where(Course.campus_id == user.campus_id)
    )


@blp.route("/sessions")
@api_require("session.view", "sessions")
@blp.etag
@blp.arguments(schemas.SessionQuery, location="query")
@blp.response(200, schemas.page_of(schemas.SessionSchema, "SessionPage"))
@blp.errors()
def list_sessions(args: dict) -> Any:
    """Your sessions (a trainee's, a mentor's own), or your campus's (coordinators and
    managers), filtered by status and kind."""
    filters = {"status": CoachingSession.status, "kind": CoachingSession.kind}
    return paging.listed(visible_sessions(caller()), CoachingSession.id, args, filters)


def visible_session(session_id: int) -> CoachingSession:
    """A session the caller sees (the session pages' rule), or 404."""
    session = db.session.get(CoachingSession, session_id)
    if session is None or not services.can_see(caller(), session):
        abort(404)
    return session


@blp.route("/sessions/<int:session_id>", methods=["GET"])
@api_require("session.view", "sessions")
@blp.etag
@blp.response(200, schemas.SessionSchema)
@blp.errors(404)
def show_session(session_id: int) -> Any:
    session = visible_session(session_id)
    if caller().id != session.trainee_id:
        g.api_subject = session.trainee
    return session


def _change(user: Any, session: CoachingSession, change: dict) -> None:
    """As on the session page: either person cancels; its staff member marks and logs."""
    status = change.get("status")
    logs = {key: change[key] for key in ("summary", "staff_notes", "links") if key in change}
    if (logs or status in ("completed", "no_show")) and user.id != session.staff_id:
        abort(403, description=gettext("Only the session's staff member logs and marks it."))
    if status is None and not logs:
        raise InvalidInput(gettext("Send a status, or the summary, notes or links to log."))
    if status == "cancelled":
        services.cancel(user, session, change.get("reason", ""))
    elif status is not None:
        services.mark(user, session, SessionStatus(status))
    if logs:
        current = {
            "summary": session.summary,
            "staff_notes": session.staff_notes,
            "links": session.links,
        }
        services.log(user, session, services.SessionLog(**{**current, **logs}))


@blp.route("/sessions/<int:session_id>", methods=["PATCH"])
@api_require("session.participate", "sessions", write=True)
@blp.etag
@blp.arguments(schemas.SessionChange)
@blp.response(200, schemas.SessionSchema)
@blp.errors(400, 404, 409)
def change_session(change: dict, session_id: int) -> Any:
    """Cancel a session (either person, with a reason), or, as its staff, mark it completed
    or a no-show, and log its summary, staff notes and links. Send the ETag you read as
    If-Match."""
    user = caller()
    session = visible_session(session_id)
    if user.id not in (session.staff_id, session.trainee_id):
        abort(403, description=gettext("Only the two people in a session change it."))
    g.api_subject = session.trainee
    blp.check_etag(session, schemas.SessionSchema)
    with committed():
        _change(user, session, change)
    return session
