"""Form helpers shared by every blueprint."""

from collections.abc import Callable

from flask import Response, flash, redirect
from flask_wtf import FlaskForm

from .errors import DomainError
from .extensions import db


def show_domain_error(form: FlaskForm, error: DomainError) -> None:
    """Put a service's refusal beside the field it names, or on top of the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors"):
        if not isinstance(field.errors, list):
            field.errors = list(field.errors)
        field.errors.append(error.message)
    else:
        flash(error.message, "danger")


def flash_form_errors(form: FlaskForm) -> None:
    """Show a form's field errors as messages, for forms posted from another page."""
    for errors in form.errors.values():
        for message in errors:
            flash(message, "danger")


def attempt(action: Callable[[], object]) -> DomainError | None:
    """Run a service call; return the DomainError it raised, or None when it went through."""
    try:
        action()
    except DomainError as error:
        return error
    return None


def finish(error: DomainError | None, success: str, target: str) -> Response:
    """End a POST that a service handled: roll back and show the refusal, or commit and
    show the success; then redirect (post/redirect/get)."""
    if error is not None:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
        flash(success, "success")
    return redirect(target)
