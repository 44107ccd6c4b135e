"""Domain errors that services raise, and the HTTP error pages."""

from __future__ import annotations

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

from .extensions import db


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


def register_error_handlers(app: Flask) -> None:
    def render_error(code: int):
        return render_template(f"errors/{code}.html"), code

    for code in (400, 403, 404, 405, 413, 429):
        app.register_error_handler(code, lambda e, code=code: render_error(code))

    @app.errorhandler(500)
    def internal_error(error: Exception):
        db.session.rollback()
        return render_error(500)

    @app.errorhandler(HTTPException)
    def other_http_error(error: HTTPException):
        if request.accept_mimetypes.accept_html and error.code in (401, 410):
            return render_error(404)
        return error
