"""Requests to correct, delete or see personal data, and the campus's answers to them.

A trainee (from "My data") or an applicant (from the private status link) asks; the answer
is due ten days later (`DUE_DAYS`, the legal deadline, counted in calendar days). A manager
of the person's campus, or an administrator, resolves it: done or refused, with a note on
what was done, audited. The lists put overdue requests first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select
from sqlalchemy.orm import aliased

from .. import audit
from ..clock import today_in_seoul
from ..errors import Conflict, Problems
from ..extensions import db
from ..models import Application, Campus, DataRequest, RequestKind, RequestStatus, Role, User
from ..models.types import utcnow
from ..permissions import scope_campus

DUE_DAYS = 10  # 개인정보 보호법 시행령 제41조④·제43조③·제44조: within 10 days
TEXT_MAX_LENGTH = 2000
RESOLUTION_MAX_LENGTH = 2000
# Open requests one person may have at a time: enough for any real need, and a bound on
# what an anonymous status link can pile onto a campus's list.
MAX_OPEN_PER_PERSON = 5

KIND_LABELS = {
    RequestKind.CORRECTION: _l("Correct my data"),
    RequestKind.DELETION: _l("Delete my data"),
    RequestKind.ACCESS: _l("See data the download does not hold"),
}
STATUS_LABELS = {
    RequestStatus.OPEN: _l("Open"),
    RequestStatus.DONE: _l("Done as asked"),
    RequestStatus.REFUSED: _l("Refused"),
}
# What a manager may answer with.
ANSWERS = (RequestStatus.DONE, RequestStatus.REFUSED)


def kind_label(kind: RequestKind | str) -> str:
    return str(KIND_LABELS[RequestKind(kind)])


def status_label(status: RequestStatus | str) -> str:
    return str(STATUS_LABELS[RequestStatus(status)])


def due_for(day: date) -> date:
    return day + timedelta(days=DUE_DAYS)


# --- asking -----------------------------------------------------------------------------------


def check_request(kind: str | None, text: str | None) -> None:
    """Every problem with a request at once (DomainErrors naming kind and text), else None."""
    problems = Problems()
    if kind is not None and kind not in set(RequestKind):
        problems.add(gettext("Choose what you are asking for."), "kind")
    if text is not None:
        if not text.strip():
            problems.add(
                gettext("Say what is wrong or what you want, so the campus can act on it."), "text"
            )
        elif len(text.strip()) > TEXT_MAX_LENGTH:
            problems.add(
                gettext("Keep it under %(n)d characters.", n=TEXT_MAX_LENGTH),
                "text",
            )
    problems.raise_any()


def _requester_label(user: User | None, application: Application | None) -> str:
    if user is not None:
        return f"{user.name} <{user.email}>"
    assert application is not None
    return f"{application.name} <{application.email}>"


def ask(
    actor: User | None,
    kind: str,
    text: str,
    *,
    user: User | None = None,
    application: Application | None = None,
) -> DataRequest:
    """Store a request from a trainee's account (`user`) or an applicant's `application`.

    `actor` is the trainee, or None for an applicant (who has no account). Raises
    InvalidInput/DomainErrors for a bad kind or text, Conflict when the person already has
    MAX_OPEN_PER_PERSON open requests. Flushes, never commits.
    """
    if (user is None) == (application is None):
        raise ValueError("a request comes from an account or an application, not both")
    check_request(kind, text)
    whose = DataRequest.user_id == user.id if user else DataRequest.application_id == application.id
    open_now = db.session.scalar(
        sa.select(sa.func.count(DataRequest.id)).where(
            whose, DataRequest.status == RequestStatus.OPEN
        )
    )
    if open_now >= MAX_OPEN_PER_PERSON:
        raise Conflict(
            gettext(
                "You have %(n)d open requests already: the campus answers them first. "
                "Add to one of them by writing to your campus.",
                n=open_now,
            ),
            "text",
        )
    # Trainees always belong to a campus (users.campus_unless_admin); applicants to the
    # cohort's.
    campus_id = user.campus_id if user is not None else application.cohort.campus_id
    request = DataRequest(
        kind=RequestKind(kind),
        campus_id=campus_id,
        user_id=user.id if user else None,
        application_id=application.id if application else None,
        text=text.strip(),
        due_on=due_for(today_in_seoul()),
    )
    db.session.add(request)
    audit.record(
        actor,
        "datarequest.created",
        request,
        {"kind": [None, request.kind], "text": [None, request.text]},
        label=_requester_label(user, application),
        campus_id=campus_id,
    )
    return request


# --- answering -------------------------------------------------------------------------------


def check_resolution(status: str | None, note: str | None) -> None:
    """Every problem with an answer at once (DomainErrors naming status and note), else None."""
    problems = Problems()
    if status is not None and status not in {s.value for s in ANSWERS}:
        problems.add(gettext("Choose whether the request was done or refused."), "status")
    if note is not None:
        if not note.strip():
            problems.add(
                gettext("Say what was done, or why it was refused: the person reads this answer."),
                "note",
            )
        elif len(note.strip()) > RESOLUTION_MAX_LENGTH:
            problems.add(
                gettext("Keep it under %(n)d characters.", n=RESOLUTION_MAX_LENGTH), "note"
            )
    problems.raise_any()


def resolve(actor: User, request: DataRequest, status: str, note: str) -> None:
    """Answer an open request: done or refused, with a note the person reads.

    The caller has checked the actor may (campus scope). Raises InvalidInput/DomainErrors
    for a bad answer, Conflict when the request was answered already (a second manager in
    another tab). The update is conditional, so two answers at once leave one. Flushes.
    """
    check_resolution(status, note)
    resolved_at = utcnow()
    answered = db.session.execute(
        sa.update(DataRequest)
        .where(DataRequest.id == request.id, DataRequest.status == RequestStatus.OPEN)
        .values(
            status=RequestStatus(status),
            resolved_at=resolved_at,
            resolved_by_id=actor.id,
            resolution=note.strip(),
        )
        .execution_options(synchronize_session=False)
    )
    if answered.rowcount != 1:
        db.session.refresh(request)
        raise Conflict(gettext("This request was answered already."))
    db.session.refresh(request)
    audit.record(
        actor,
        "datarequest.resolved",
        request,
        {"status": [RequestStatus.OPEN, request.status], "resolution": [None, request.resolution]},
        label=requester_label(request),
        campus_id=request.campus_id,
    )


# --- lists ----------------------------------------------------------------------------------


@dataclass
class RequestRow:
    request: DataRequest
    name: str | None  # None: the account or application is gone (destroyed)
    email: str | None
    campus: Campus
    applicant: bool
    resolver: str | None
    today: date

    @property
    def overdue(self) -> bool:
        return self.request.is_open and self.request.due_on < self.today

    @property
    def days_left(self) -> int:
        return (self.request.due_on - self.today).days


def requester_label(request: DataRequest) -> str:
    """Who asked, as the audit log names them (two small look-ups, for one request)."""
    if request.user_id is not None:
        user = db.session.get(User, request.user_id)
        if user is not None:
            return _requester_label(user, None)
    if request.application_id is not None:
        application = db.session.get(Application, request.application_id)
        if application is not None:
            return _requester_label(None, application)
    return gettext("a person whose record was destroyed")


def _rows_query(viewer: User) -> Select:
    requester, resolver = aliased(User), aliased(User)
    stmt = (
        sa.select(
            DataRequest,
            sa.func.coalesce(requester.name, Application.name),
            sa.func.coalesce(requester.email, Application.email),
            Campus,
            DataRequest.user_id.is_(None).label("applicant"),
            resolver.name,
        )
        .join(Campus, Campus.id == DataRequest.campus_id)
        .outerjoin(requester, requester.id == DataRequest.user_id)
        .outerjoin(Application, Application.id == DataRequest.application_id)
        .outerjoin(resolver, resolver.id == DataRequest.resolved_by_id)
    )
    return scope_campus(stmt, DataRequest.campus_id, viewer)


def request_rows_query(viewer: User, show: str) -> Select:
    """The viewer's campus's requests (every campus for an administrator): `open` ones by
    deadline, so overdue ones come first; `all` of them, open ones first, newest first."""
    stmt = _rows_query(viewer)
    if show == "open":
        return stmt.where(DataRequest.status == RequestStatus.OPEN).order_by(
            DataRequest.due_on, DataRequest.id
        )
    return stmt.order_by(
        (DataRequest.status == RequestStatus.OPEN).desc(),
        DataRequest.created_at.desc(),
        DataRequest.id.desc(),
    )


def as_rows(results: list[Any]) -> list[RequestRow]:
    today = today_in_seoul()
    return [
        RequestRow(request, name, email, campus, bool(applicant), resolver, today)
        for request, name, email, campus, applicant, resolver in results
    ]


def request_row(viewer: User, request_id: int) -> RequestRow | None:
    """One request with who asked, when the viewer may see it (None: 404)."""
    result = db.session.execute(_rows_query(viewer).where(DataRequest.id == request_id)).first()
    return as_rows([tuple(result)])[0] if result is not None else None


@dataclass
class OpenCounts:
    open: int = 0
    overdue: int = 0
    recorded: bool | None = None  # with open_counts(recorded_column=…): is that month reviewed


def open_counts(viewer: User, recorded_column: Any = None) -> OpenCounts:
    """Open and overdue requests of the viewer's campus (all campuses for an admin): one query.

    With `recorded_column` (admin.review.review_recorded of a month), that column is read by
    the same query and returned as `recorded`: the admin dashboard's reminders at once."""
    if viewer.role not in (Role.ADMIN, Role.MANAGER):
        return OpenCounts()
    today = today_in_seoul()
    counts = sa.select(
        sa.func.count(DataRequest.id).label("open"),
        sa.func.count(DataRequest.id).filter(DataRequest.due_on < today).label("overdue"),
    ).where(DataRequest.status == RequestStatus.OPEN)
    counts = scope_campus(counts, DataRequest.campus_id, viewer).subquery("counts")
    stmt = sa.select(counts.c.open, counts.c.overdue)
    if recorded_column is not None:
        stmt = stmt.add_columns(recorded_column.label("recorded"))
    row = db.session.execute(stmt).one()
    found = OpenCounts(row.open or 0, row.overdue or 0)
    found.recorded = bool(row.recorded) if recorded_column is not None else None
    return found


def requests_of(user: User | None = None, application: Application | None = None) -> list[Any]:
    """A person's own requests, newest first, for their page."""
    if user is not None:  # also what they asked as an applicant, before their account
        whose = sa.or_(
            DataRequest.user_id == user.id,
            DataRequest.application_id.in_(
                sa.select(Application.id).where(Application.user_id == user.id)
            ),
        )
    else:
        assert application is not None
        whose = DataRequest.application_id == application.id
    return list(
        db.session.scalars(
            sa.select(DataRequest).where(whose).order_by(DataRequest.created_at.desc())
        )
    )
