"""Form helpers shared by every blueprint."""

from collections.abc import Callable

from flask import Response, flash, redirect
from flask_wtf import FlaskForm

from .errors import DomainError, each_error
from .extensions import db


def show_domain_error(
    form: FlaskForm,
    error: DomainError,
    *,
    beside_only: bool = False,
    fields: dict[str, str] | None = None,
) -> None:
    """Put a service's refusal beside the field it names, or on top of the form.

    A DomainErrors puts each of its problems beside its own field. With `beside_only`
    (the form's own validators ran too) a field the form already flagged keeps only the
    form's message: the service found the same problem in other words. `fields` maps a
    service's field name to the form's where they differ (e.g. trainee_id → trainee).
    """
    flagged = {name for name, errors in form.errors.items() if errors} if beside_only else set()
    for problem in each_error(error):
        name = (fields or {}).get(problem.field or "", problem.field)
        field = getattr(form, name, None) if name else None
        if field is not None and hasattr(field, "errors"):
            if name in flagged:
                continue
            if not isinstance(field.errors, list):
                field.errors = list(field.errors)
            if problem.message not in field.errors:
                field.errors.append(problem.message)
        else:
            flash(problem.message, "danger")


def validate_all(
    form: FlaskForm, check: Callable[[], object], fields: dict[str, str] | None = None
) -> bool:
    """Validate a submitted form and run the service's checks in the same pass.

    The service stays the authority: `check` is its check-only function, given what the
    form parsed (None where a field did not parse; the check skips those). It runs even
    when the form's own validators failed, so every problem shows at once, each beside
    its field. True when the form was submitted and nothing was wrong.
    """
    if not form.is_submitted():
        return False
    valid = form.validate()
    error = attempt(check)
    if error is not None:
        show_domain_error(form, error, beside_only=True, fields=fields)
        return False
    return valid


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
        for problem in each_error(error):
            flash(problem.message, "danger")
    else:
        db.session.commit()
        flash(success, "success")
    return redirect(target)
