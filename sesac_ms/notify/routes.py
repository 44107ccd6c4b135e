"""The notification preferences page: every logged-in user's own, nobody else's."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from ..extensions import db
from ..forms import attempt, show_domain_error, validate_all
from ..permissions import acting_user, require
from . import preferences
from .channels import phones_reachable
from .forms import PreferencesForm

bp = Blueprint("notify", __name__, url_prefix="/notify")


@bp.route("/preferences", methods=["GET", "POST"])
@require("notification.preferences")
def preferences_page() -> ResponseReturnValue:
    # Only the acting user's own settings: nothing here names another record or campus.
    user = acting_user()
    form = PreferencesForm()
    if not form.is_submitted():
        form.phone.data = user.phone or ""
        form.channel.data = user.notify_channel
        form.essential_only.data = user.notify_opt_out
    if validate_all(form, lambda: preferences.check(form.phone.data, form.channel.data)):
        choice = preferences.Preferences(
            phone=form.phone.data,
            channel=form.channel.data,
            essential_only=form.essential_only.data,
        )
        error = attempt(lambda: preferences.update(user, user, choice))
        if error is None:
            db.session.commit()
            flash(gettext("Your message settings are saved."), "success")
            return redirect(url_for("notify.preferences_page"))
        db.session.rollback()
        show_domain_error(form, error)
    return render_template(
        "notify/preferences.html",
        form=form,
        phones=phones_reachable(current_app.config),
    )
