"""Webhook subscriptions of a campus and their deliveries (managers; administrators: all)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, gettext
from wtforms import SelectChoice

from .. import paging
from ..auth.forms import ButtonForm
from ..cohorts.services import campuses_for
from ..extensions import db
from ..forms import attempt, finish, show_domain_error
from ..models import Campus, Role
from ..permissions import acting_user, require
from . import bp, subscriptions
from .events import EVENTS
from .forms import WebhookForm

ALL_CAMPUSES = 0  # the campus choice of an administrator's subscription to every campus


def _form() -> WebhookForm:
    user = acting_user()
    form = WebhookForm()
    locale = str(get_locale())
    choices = [SelectChoice(c.id, c.display_name(locale)) for c in campuses_for(user)]
    if user.role == Role.ADMIN:
        choices.insert(0, SelectChoice(ALL_CAMPUSES, gettext("Every campus")))
    form.campus_id.choices = choices
    return form


def _list_page(form: WebhookForm, new: subscriptions.NewSubscription | None = None) -> str:
    page = paging.numbered(subscriptions.visible_query(acting_user()), per_page=30)
    return render_template(
        "webhooks/index.html", form=form, new=new, page=page, event_labels=EVENTS
    )


@bp.get("")
@require("webhook.manage")
def index() -> ResponseReturnValue:
    return _list_page(_form())


@bp.post("")
@require("webhook.manage")
def create() -> ResponseReturnValue:
    """Subscribe; the signing secret is shown on this one response only."""
    form = _form()
    form.validate_on_submit()
    user = acting_user()
    chosen = form.campus_id.data
    campus = db.session.get(Campus, chosen) if isinstance(chosen, int) and chosen else None
    made: list[subscriptions.NewSubscription] = []
    error = attempt(
        lambda: made.append(
            subscriptions.subscribe(user, form.url.data or "", form.events.data or [], campus)
        )
    )
    if error is not None or form.errors:
        db.session.rollback()
        if error is not None:
            show_domain_error(form, error, beside_only=True)
        return _list_page(form)
    db.session.commit()
    return _list_page(_form(), made[0])


def _load(subscription_id: int):  # noqa: ANN202 - a WebhookSubscription
    subscription = subscriptions.load(acting_user(), subscription_id)
    if subscription is None:
        abort(404)
    return subscription


@bp.get("/<int:subscription_id>")
@require("webhook.manage")
def show(subscription_id: int) -> ResponseReturnValue:
    """A subscription and its deliveries, newest first, with the answers they got."""
    subscription = _load(subscription_id)
    page = paging.numbered(subscriptions.deliveries_query(subscription), per_page=50)
    return render_template(
        "webhooks/show.html", subscription=subscription, page=page, event_labels=EVENTS
    )


def _act(subscription_id: int, action, done: str) -> ResponseReturnValue:  # noqa: ANN001
    subscription = _load(subscription_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    error = attempt(lambda: action(acting_user(), subscription))
    return finish(error, done, url_for("webhooks.show", subscription_id=subscription_id))


@bp.post("/<int:subscription_id>/pause")
@require("webhook.manage")
def pause(subscription_id: int) -> ResponseReturnValue:
    return _act(subscription_id, subscriptions.pause, gettext("The webhook is paused."))


@bp.post("/<int:subscription_id>/resume")
@require("webhook.manage")
def resume(subscription_id: int) -> ResponseReturnValue:
    return _act(
        subscription_id,
        subscriptions.resume,
        gettext("The webhook is on again: pending deliveries go out with the next run."),
    )


@bp.post("/<int:subscription_id>/delete")
@require("webhook.manage")
def delete(subscription_id: int) -> ResponseReturnValue:
    subscription = _load(subscription_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    subscriptions.remove(acting_user(), subscription)
    db.session.commit()
    flash(gettext("The webhook is deleted with its deliveries."), "success")
    return redirect(url_for("webhooks.index"))
