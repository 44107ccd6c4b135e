"""Domain errors that services raise, and the HTTP error pages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, g, make_response, render_template, request, session
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from werkzeug.exceptions import HTTPException

from .database import UNAVAILABLE_ERRORS, is_database_unavailable
from .extensions import db

API_PREFIX = "/api/"


def is_api_request() -> bool:
    """An API request: its errors are problem details (sesac_ms/api/problems.py)."""
    return request.path.startswith(API_PREFIX)


class DomainError(Exception):
    """A business rule said no. `field` names the form field the message belongs beside."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(DomainError):
    """The acting user may not do this to this record."""


class Conflict(DomainError):
    """The change clashes with what is stored (a duplicate, a state that moved on)."""


class InvalidInput(DomainError):
    """The input breaks a rule that a form field alone cannot check."""


class DomainErrors(InvalidInput):
    """Several problems found in one pass, each a DomainError naming its field.

    A service checks every field before it refuses, so the user sees every problem at
    once instead of one per submission. `Problems` collects them.
    """

    def __init__(self, errors: list[DomainError]) -> None:
        super().__init__(" ".join(error.message for error in errors))
        self.errors = errors


def each_error(error: DomainError) -> list[DomainError]:
    """The single problems inside a refusal: itself, or those of a DomainErrors."""
    return list(error.errors) if isinstance(error, DomainErrors) else [error]


class Problems:
    """What a service's checks found, to refuse with all of it at once.

    `with problems.check(): ...` records the DomainError the block raises and goes on;
    `problems.add(...)` records one directly; `problems.raise_any()` raises the single
    problem itself (so a caller catching Conflict still sees Conflict) or DomainErrors.
    """

    def __init__(self) -> None:
        self.found: list[DomainError] = []

    def add(self, message: str, field: str | None = None) -> None:
        self.found.append(InvalidInput(message, field))

    def add_error(self, error: DomainError) -> None:
        self.found.extend(each_error(error))

    @contextmanager
    def check(self) -> Iterator[None]:
        try:
            yield
        except DomainError as error:
            self.add_error(error)

    def on(self, field: str) -> bool:
        """Whether a problem was found with this field already."""
        return any(error.field == field for error in self.found)

    def __bool__(self) -> bool:
        return bool(self.found)

    def raise_any(self) -> None:
        if len(self.found) == 1:
            raise self.found[0]
        if self.found:
            raise DomainErrors(self.found)


def register_error_handlers(app: Flask) -> None:
    """The error pages. 500 and 503 render without the database (errors/_standalone.html).

    A database that is down or did not answer in time (lock, statement or pool timeout,
    SQLite's "database is locked") gets the 503 page with Retry-After, from wherever it
    is raised: the view, the user look-up, or a 4xx page's navigation.
    """

    def render_page(code: int, error: HTTPException | None = None) -> ResponseReturnValue:
        if is_api_request():
            from .api.problems import http_problem, problem

            return http_problem(error) if error is not None else problem(code)
        # These pages carry the navigation, which reads current_user: the database.
        try:
            return render_template(f"errors/{code}.html"), code
        except UNAVAILABLE_ERRORS as error:
            if not is_database_unavailable(error):
                raise
            return database_unavailable(error)

    for code in (400, 403, 404, 405, 413, 429):
        app.register_error_handler(code, lambda e, code=code: render_page(code, e))

    @app.errorhandler(500)
    def internal_error(error: Exception) -> ResponseReturnValue:
        original = getattr(error, "original_exception", None)
        if is_database_unavailable(original):
            return database_unavailable(original)
        _rollback_quietly()
        if is_api_request():
            from .api.problems import problem

            return problem(500)
        return render_standalone("errors/500.html"), 500, {"Cache-Control": "no-store"}

    def unavailable(error: Exception) -> ResponseReturnValue:
        if not is_database_unavailable(error):
            raise error  # an error in the statement itself: the 500 path logs it
        return database_unavailable(error)

    for kind in UNAVAILABLE_ERRORS:
        app.register_error_handler(kind, unavailable)

    @app.errorhandler(HTTPException)
    def other_http_error(error: HTTPException):
        if is_api_request():
            from .api.problems import http_problem

            return http_problem(error)
        if request.accept_mimetypes.accept_html and error.code in (401, 410):
            return render_page(404)
        return error


def database_unavailable(error: BaseException | None) -> ResponseReturnValue:
    """The 503 page: roll back what the request did, and ask the client to come back."""
    cause = getattr(error, "orig", None) or error
    first_line = (str(cause).strip().splitlines() or [""])[0]
    current_app.logger.warning(
        "database unavailable (%s: %s) on %s %s",
        type(cause).__name__,
        first_line,
        request.method,
        request.url_rule.rule if request.url_rule else "(no route)",
    )
    _rollback_quietly()
    if is_api_request():
        from .api.problems import problem

        response = problem(503)
    else:
        response = make_response(render_standalone("errors/unavailable.html"), 503)
    response.headers["Retry-After"] = str(int(current_app.config["UNAVAILABLE_RETRY_AFTER"]))
    response.headers["Cache-Control"] = "no-store"
    return response


def render_standalone(template: str) -> str:
    """Render an error page in the session's language without touching the database.

    Not through render_template: its context processors include Flask-Login's, which
    loads `current_user` (a query) for every template, whether it uses it or not.
    """
    _leave_the_user_unknown()
    with force_locale(error_locale()):
        return current_app.jinja_env.get_template(template).render(request=request, g=g)


def _leave_the_user_unknown() -> None:
    """If the request has not loaded the user yet, it will not: the look-up is a query.

    Functions that run after the error page (after_request hooks asking whether the
    request is logged in) would otherwise look the user up, and with the database away
    fail again and wait again. They see an anonymous user instead; the error responses
    set `Cache-Control: no-store` themselves, as a logged-in page's would be.
    """
    if "_login_user" not in g:  # Flask-Login's per-request cache of current_user
        current_app.login_manager._update_request_context_with_user()


def error_locale() -> str:
    """The session's language, else the browser's best match, else Korean: no user look-up.

    Log-in and the language switch keep the user's choice in the session cookie.
    """
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    return (
        request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def _rollback_quietly() -> None:
    """Roll the request's transaction back; on a dead connection this may fail too."""
    try:
        db.session.rollback()
    except Exception:  # the page must still render
        current_app.logger.warning("rolling back after an error failed", exc_info=True)
