"""Who is calling the API: the bearer token, never a cookie; what it may do; its access log.

`authenticate_request` runs before anything else reads `current_user` for a request under
API_PREFIX, and puts the token's owner (or an anonymous user) there, so the session cookie
of a browser never authenticates the API and needs no CSRF token. `api_require` is the
API's @require: the same permissions table, then the token's own narrowing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, g, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from .. import audit
from ..errors import is_api_request
from ..extensions import db, limiter, login_manager
from ..models import ApiToken
from ..models.audit import AccessAction
from ..models.types import utcnow
from ..permissions import ACTIONS, can
from ..rate_limits import worker_share
from . import tokens

F = TypeVar("F", bound=Callable[..., Any])
PUBLIC_ENDPOINTS = frozenset({"api_docs.openapi_json", "api_docs.docs_page"})
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _bearer_secret() -> str | None:
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    return secret.strip() or None if scheme.lower() == "bearer" else None


def is_token_request() -> bool:
    """An API operation: authenticated by its token alone (the document and its page are
    ordinary public pages)."""
    return is_api_request() and request.endpoint not in PUBLIC_ENDPOINTS


def authenticate_request() -> None:
    """Set the caller of an API request from its bearer token (before_request, first)."""
    if not is_token_request():
        return
    g.api_token = None
    secret = _bearer_secret()
    token = tokens.authenticate(secret) if secret else None
    g.api_token = token
    # Flask-Login reads g._login_user before it would look at the session cookie.
    g._login_user = token.user if token is not None else login_manager.anonymous_user()


def current_token() -> ApiToken | None:
    return g.get("api_token")


def caller() -> Any:
    """The token's owner, inside an operation (api_require has checked there is one)."""
    return current_token().user  # type: ignore[union-attr]


def rate_key() -> str:
    """Requests are counted per token (per address for those without a working token)."""
    secret = _bearer_secret()
    if secret:
        return "api-token:" + tokens.hash_secret(secret)[:32]
    return "api-address:" + (request.remote_addr or "")


def rate_limit() -> str:
    return worker_share(current_app.config["API_RATE_LIMIT"])


def api_require(action: str, resource: str, *, write: bool = False) -> Callable[[F], F]:
    """The API's @require: a working token (401), a role the table allows (403), and a
    token narrowed to allow this resource and, for writes, not read-only (403)."""
    if action not in ACTIONS:
        raise KeyError(f"unknown action {action!r}: add it to permissions.ACTIONS")

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            token = current_token()
            if token is None:
                abort(401)
            if not can(action, token.user):
                abort(403)
            if not tokens.allows(token, resource, write):
                abort(
                    403,
                    description=gettext("This token is read-only.")
                    if write and not token.can_write
                    else gettext(
                        "This token is not allowed to use “%(resource)s”.", resource=resource
                    ),
                )
            return view(*args, **kwargs)

        wrapped.required_action = action  # type: ignore[attr-defined]
        wrapped.api_resource = resource  # type: ignore[attr-defined]
        wrapped.api_write = write  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def finish_response(response: Any) -> Any:
    """After every API response: no caching of what is one person's, the rate-limit headers
    (RateLimit-*, IETF draft), and the use written to the access log with the token's
    last use. Requests without a working token leave no trace but the request log."""
    if not is_token_request():
        return response
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("Authorization")
    _rate_limit_headers(response)
    token = current_token()
    if token is not None:
        _record_use(token, response.status_code)
    return response


def _rate_limit_headers(response: Any) -> None:
    current = getattr(limiter, "current_limit", None)
    if current is None:
        return
    response.headers["RateLimit-Limit"] = str(current.limit.amount)
    response.headers["RateLimit-Remaining"] = str(max(0, current.remaining))
    response.headers["RateLimit-Reset"] = str(max(0, int(current.reset_at - time.time())))
    response.headers["RateLimit-Policy"] = f"{current.limit.amount};w={current.limit.get_expiry()}"


def _record_use(token: ApiToken, status: int) -> None:
    query = f"?{request.query_string.decode(errors='replace')}" if request.query_string else ""
    what = f"{request.method} {request.path}{query} → {status}"
    try:
        subject = g.get("api_subject")  # one person's record the answer showed or changed
        audit.record_access(
            token.user,
            AccessAction.VIEW if request.method in READ_METHODS else AccessAction.CHANGE,
            f"{subject.name} <{subject.email}>" if subject is not None else token.name,
            subject=subject,
            page="api",
            detail=f"{what} · {token.name}",
            people_count=g.get("api_people_count"),  # how many people a list showed
        )
        db.session.execute(
            db.update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=utcnow())
        )
        db.session.commit()
    except Exception:  # noqa: BLE001 - the answer is made; say so in the log, keep it
        db.session.rollback()
        current_app.logger.exception("writing the API access log failed")
