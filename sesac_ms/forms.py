"""Form helpers shared by every blueprint."""

from collections.abc import Callable

from flask import Response, current_app, flash, get_template_attribute, redirect
from flask_babel import get_locale
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import Field
from wtforms.csrf.core import CSRFTokenField
from wtforms.form import BaseForm
from wtforms.widgets import HiddenInput

from .errors import DomainError, each_error
from .extensions import db


def hidden_fields(*sources: BaseForm | Field) -> Markup:
    """The hidden inputs of the forms (all of each form's, as `hidden_tag()` renders them)
    and fields given, the CSRF token's without an id: a page carries several forms (base.html
    adds log-out and language), each with its token, and ids must be unique on a page (WCAG
    2.1 4.1.1). Nothing refers to the token by id. Templates use this, never `hidden_tag()`.
    A missing field (the token while CSRF is off: Jinja's Undefined) renders nothing."""
    fields = [
        field
        for source in sources
        for field in (source if isinstance(source, BaseForm) else [source])
    ]
    return Markup("\n").join(
        field(id=False) if isinstance(field, CSRFTokenField) else field()
        for field in fields
        if isinstance(field, Field) and isinstance(field.widget, HiddenInput)
    )


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


def form_fields(
    template: str, macro: str, form: FlaskForm | None, blank: Callable[..., FlaskForm]
) -> Markup:
    """A form's fields, rendered by `macro` of `template`: those of a form posted back with
    its problems, or a blank form's (`blank(formdata=None)`), rendered once per language and
    kept with the app: the same HTML every time, and a good part of a page's rendering. The
    macro leaves out the CSRF field, which is the page's own."""

    def render(form: FlaskForm) -> Markup:
        return get_template_attribute(template, macro)(form)

    if form is not None:
        return render(form)
    if current_app.jinja_env.auto_reload:  # templates being edited: nothing kept
        return render(blank(formdata=None))
    kept = current_app.extensions.setdefault("sesac_blank_form_fields", {})
    key = (template, macro, str(get_locale()))
    if key not in kept:
        kept[key] = render(blank(formdata=None))
    return kept[key]
