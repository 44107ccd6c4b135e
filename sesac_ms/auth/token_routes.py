"""Personal access tokens of the API on the account page; the administrator's list of all."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from ..api import tokens
from ..api.forms import ApiTokenForm
from ..errors import DomainError
from ..extensions import db
from ..forms import attempt, show_domain_error
from ..permissions import AUTHENTICATED, acting_user, require
from . import bp
from .forms import ButtonForm


def _tokens_page(form: ApiTokenForm, new: tokens.NewToken | None = None) -> ResponseReturnValue:
    user = acting_user()
    return render_template(
        "auth/api_tokens.html",
        form=form,
        new=new,
        tokens=tokens.tokens_of(user),
        resource_labels=tokens.RESOURCES,
        now=tokens.utcnow(),
    )


@bp.get("/account/tokens")
@require(AUTHENTICATED)
def api_tokens() -> ResponseReturnValue:
    return _tokens_page(ApiTokenForm())


@bp.post("/account/tokens")
@require(AUTHENTICATED)
def create_api_token() -> ResponseReturnValue:
    """Make a token and show its secret on this one response (never stored, never again)."""
    form = ApiTokenForm()
    form.validate_on_submit()
    made: list[tokens.NewToken] = []
    error = attempt(
        lambda: made.append(
            tokens.create_token(
                acting_user(),
                form.name.data or "",
                days=form.days.data if isinstance(form.days.data, int) else 0,
                can_write=form.access.data == "write",
                resources=form.resources.data or [],
            )
        )
    )
    if error is not None or form.errors:
        db.session.rollback()
        if error is not None:
            show_domain_error(form, error, beside_only=True)
        return _tokens_page(form)
    db.session.commit()
    return _tokens_page(ApiTokenForm(formdata=None), made[0])


@bp.post("/account/tokens/<int:token_id>/revoke")
@require(AUTHENTICATED)
def revoke_api_token(token_id: int) -> ResponseReturnValue:
    """Revoke one's own token; an administrator may revoke anyone's (from the admin list)."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        token = tokens.revoke(acting_user(), token_id)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for("auth.api_tokens"))
    db.session.commit()
    flash(
        gettext("The token “%(name)s” is revoked: it no longer works.", name=token.name), "success"
    )
    if token.user_id != acting_user().id:
        return redirect(url_for("admin.api_tokens"))
    return redirect(url_for("auth.api_tokens"))
