"""Errors of the API in one shape: RFC 9457 problem details, every field's problem at once.

    {"type": "about:blank", "title": "Unprocessable Content", "status": 422,
     "detail": "The request has 2 problems.",
     "errors": [{"location": "json", "pointer": "/reason", "detail": "…"}]}

Served as `application/problem+json`. The pages' error handlers (errors.py) hand requests
under errors.API_PREFIX to `http_problem`, so an unknown API URL or a database outage answers in
this shape too, never with an HTML page.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from http import HTTPStatus
from typing import Any

from flask import Response, abort, json
from flask_babel import gettext, ngettext
from werkzeug.exceptions import HTTPException

from ..errors import Conflict, DomainError, NotAllowed, each_error
from ..extensions import db

PROBLEM_TYPE = "application/problem+json"


def problem(
    status: int,
    detail: str | None = None,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_TYPE)
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _flatten(messages: Any, location: str, path: str = "") -> Iterable[dict[str, str]]:
    """webargs' nested {"json": {"field": ["message", …]}} as one entry per message."""
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            yield from _flatten(value, location, f"{path}/{key}")
    elif isinstance(messages, list | tuple):
        for item in messages:
            yield from _flatten(item, location, path)
    else:
        yield {"location": location, "pointer": path or "/", "detail": str(messages)}


def _summary(count: int) -> str:
    return ngettext("The request has %(num)d problem.", "The request has %(num)d problems.", count)


def validation_problem(messages: Mapping[str, Any]) -> Response:
    errors = [entry for location, found in messages.items() for entry in _flatten(found, location)]
    return problem(422, _summary(len(errors)), errors=errors)


DETAILS = {
    400: lambda: gettext("The request body is not valid JSON."),
    401: lambda: gettext(
        "Send a working access token: Authorization: Bearer <token>. Make one on your account page."
    ),
    403: lambda: gettext("Your role or this token does not allow this."),
    404: lambda: gettext("There is no such resource, or it is not one you can see."),
    405: lambda: gettext("This resource does not take that method."),
    412: lambda: gettext("The record changed since you read it: read it again, then retry."),
    428: lambda: gettext("Send If-Match with the ETag you read, so no one else's change is lost."),
    429: lambda: gettext("Too many requests with this token: wait, then retry."),
    503: lambda: gettext("The service is unavailable for a moment: retry shortly."),
}


def http_problem(error: HTTPException) -> Response:
    """An HTTP error raised in an API request, as a problem (or a bare 304)."""
    code = error.code or 500
    if code == 304:
        return Response(status=304)
    messages = (getattr(error, "data", None) or {}).get("messages")
    if code == 422 and messages:
        return validation_problem(messages)
    headers = {}
    if code == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="sesac-ms"'
    if code == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    description = getattr(error, "description", None)
    custom = description if description and description != type(error).description else None
    detail = custom or (DETAILS[code]() if code in DETAILS else None)
    return problem(code, detail, headers=headers)


def domain_problem(error: DomainError, pointers: Mapping[str, str] | None = None) -> Response:
    """A service's refusal: 403 for NotAllowed, 409 for a conflict, 422 for bad input.
    `pointers` maps a service's field name to where it is in the request body."""
    found = each_error(error)
    if isinstance(error, NotAllowed):
        status = 403
    elif isinstance(error, Conflict):
        status = 409
    else:
        status = 422
    errors = [
        {
            "location": "json",
            "pointer": (pointers or {}).get(e.field, f"/{e.field}") if e.field else "/",
            "detail": e.message,
        }
        for e in found
    ]
    detail = found[0].message if len(found) == 1 else _summary(len(found))
    return problem(status, detail, errors=errors)


@contextmanager
def committed(pointers: Mapping[str, str] | None = None) -> Iterator[None]:
    """Run an operation's change through its service: commit it, or roll it back and answer
    the service's refusal as a problem (`pointers` as for `domain_problem`)."""
    try:
        yield
    except DomainError as error:
        db.session.rollback()
        abort(domain_problem(error, pointers))
    db.session.commit()
