"""Who may do what: the one role × action table, the @require decorator and campus scope.

Every view is decorated with @require(action). The route walk test reads the action
of each endpoint and checks the answers of every role against ACTIONS, so a route
without an entry fails the suite.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user
from sqlalchemy import Select

from .extensions import db, login_manager
from .models import (
    Application,
    Campus,
    ClassDay,
    Cohort,
    CohortEvent,
    CohortStaff,
    Company,
    Course,
    DataRequest,
    Enrollment,
    InterviewSlot,
    Outcome,
    Referral,
    Role,
    UploadedFile,
    User,
)

A, M, C, ME, T = Role.ADMIN, Role.MANAGER, Role.COORDINATOR, Role.MENTOR, Role.TRAINEE
ALL_ROLES = frozenset(Role)

PUBLIC = "public"  # anyone, logged in or not
AUTHENTICATED = "authenticated"  # any logged-in user

# action -> roles allowed. Campus scope applies on top for every role but admin.
ACTIONS: dict[str, frozenset[Role]] = {
    AUTHENTICATED: ALL_ROLES,
    "campus.view": frozenset({A}),
    "campus.manage": frozenset({A}),
    "user.view": frozenset({A}),
    "user.manage": frozenset({A}),
    "user.export": frozenset({A}),
    "audit.view": frozenset({A}),
    "audit.review": frozenset({A}),  # the monthly access review (admin/review.py)
    "api_token.manage": frozenset({A}),  # anyone's API tokens; one's own: AUTHENTICATED
    "mail.view": frozenset({A}),
    "mail.manage": frozenset({A}),
    "retention.view": frozenset({A}),
    "course.view": frozenset({A, M, C}),
    "course.manage": frozenset({A, M}),
    "cohort.view": frozenset({A, M, C}),
    "cohort.manage": frozenset({A, M}),
    "application.view": frozenset({A, M, C}),
    "application.score": frozenset({A, M, C}),
    "application.decide": frozenset({A, M}),
    "application.settings": frozenset({A, M}),
    "application.import": frozenset({A, M}),
    "interview.manage": frozenset({A, M}),
    "roster.view": frozenset({A, M, C}),
    "roster.manage": frozenset({A, M}),
    "roster.export": frozenset({A, M}),
    "calendar.manage": frozenset({A, M}),
    "attendance.record": frozenset({A, M}),
    "attendance.import": frozenset({A, M}),
    "checkin.screen": frozenset({A, M}),
    "checkin.self": frozenset({T}),
    "notification.preferences": ALL_ROLES,
    "trainee.self": frozenset({T}),
    "schedule.view": ALL_ROLES,
    "session.view": ALL_ROLES,
    "session.book": frozenset({T}),
    "session.participate": frozenset({C, ME, T}),
    "session.manage": frozenset({C, ME}),
    "coverage.view": frozenset({A, M, C}),
    "placement.view": frozenset({A, M, C}),
    "placement.record": frozenset({A, C}),
    "placement.import": frozenset({A, M, C}),
    "report.view": frozenset({A, M, C}),
    # 정보주체의 권리: a trainee's own data and requests; the campus answers them.
    "mydata.self": frozenset({T}),
    "datarequest.manage": frozenset({A, M}),
    "webhook.manage": frozenset({A, M}),  # a campus's webhooks (an admin's: every campus)
}

F = TypeVar("F", bound=Callable[..., Any])


def acting_user() -> User:
    """The logged-in user as a model instance (not Flask-Login's proxy), for services."""
    return current_user._get_current_object()


def can(action: str, user: Any = None) -> bool:
    """True when the user's role may take the action (campus scope is checked per record)."""
    user = current_user if user is None else user
    if action == PUBLIC:
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    return user.role in ACTIONS[action]


def require(action: str) -> Callable[[F], F]:
    """Mark a view with its action; refuse anonymous users (log-in page) and other roles (403)."""
    if action != PUBLIC and action not in ACTIONS:
        raise KeyError(f"unknown action {action!r}: add it to permissions.ACTIONS")

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if action != PUBLIC:
                if not current_user.is_authenticated:
                    return login_manager.unauthorized()
                if not can(action):
                    abort(403)
            return view(*args, **kwargs)

        wrapped.required_action = action  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def is_admin(user: Any = None) -> bool:
    user = current_user if user is None else user
    return user.is_authenticated and user.role == Role.ADMIN


def campus_of(obj: Any) -> int | None:
    if isinstance(obj, Campus):
        return obj.id
    if isinstance(obj, Course | User):
        return obj.campus_id
    if isinstance(obj, Cohort):
        return obj.course.campus_id
    if isinstance(obj, Application):
        return obj.cohort.course.campus_id
    if isinstance(obj, Outcome | Referral):
        return obj.enrollment.cohort.course.campus_id
    if isinstance(obj, Company | DataRequest):
        return obj.campus_id
    if isinstance(obj, Enrollment | ClassDay | CohortEvent):
        cohort = db.session.get(Cohort, obj.cohort_id)
        return cohort.course.campus_id if cohort else None
    if isinstance(obj, UploadedFile) and obj.target_id is None:
        return None  # trainee records and certifications: the uploader's alone, no campus
    if isinstance(obj, InterviewSlot | UploadedFile):
        cohort = db.session.get(
            Cohort, obj.cohort_id if isinstance(obj, InterviewSlot) else obj.target_id
        )
        return cohort.course.campus_id if cohort else None
    raise TypeError(f"no campus scope known for {type(obj).__name__}")


def in_scope(obj: Any, user: Any = None) -> bool:
    """Admins see every campus; everyone else only records of their own campus."""
    user = current_user if user is None else user
    return user.role == Role.ADMIN or campus_of(obj) == user.campus_id


def load_in_scope(model: type, object_id: int, user: Any = None) -> Any:
    """Load a record or answer 404, also when it lies outside the user's campus."""
    obj = db.session.get(model, object_id)
    if obj is None or not in_scope(obj, user):
        abort(404)
    return obj


def scope_campus_id(user: Any = None) -> int | None:
    """The campus the user's lists and figures keep to; None for an admin (every campus)."""
    user = current_user if user is None else user
    return None if user.role == Role.ADMIN else user.campus_id


def scope_campus(stmt: Select, campus_column: Any, user: Any = None) -> Select:
    """Restrict a query to the user's campus unless they are an admin."""
    campus_id = scope_campus_id(user)
    return stmt if campus_id is None else stmt.where(campus_column == campus_id)


def assigned_cohort_ids(user: User) -> Select:
    return db.select(CohortStaff.cohort_id).where(CohortStaff.user_id == user.id)
