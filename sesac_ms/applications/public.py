"""The public side: open cohorts, the application form and the applicant's private status page."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, gettext

from ..auth.forms import ButtonForm
from ..errors import DomainError
from ..extensions import db, limiter
from ..forms import show_domain_error
from ..models import Cohort, Stage
from ..models.applications import IN_SELECTION
from ..permissions import PUBLIC, require
from . import bp, services
from .forms import ApplicationForm
from .tokens import token_for


def _apply_rate_limit() -> str:
    return current_app.config["APPLY_RATE_LIMIT"]


def _only_posts() -> bool:
    return request.method != "POST"


@bp.get("/open")
@require(PUBLIC)
def open_cohorts() -> ResponseReturnValue:
    return render_template("applications/open.html", cohorts=services.open_cohorts())


@bp.route("/apply/<int:cohort_id>", methods=["GET", "POST"])
@require(PUBLIC)
@limiter.limit(_apply_rate_limit, exempt_when=_only_posts)
def apply(cohort_id: int) -> ResponseReturnValue:
    cohort = db.get_or_404(Cohort, cohort_id)
    try:
        services.check_open(cohort)
    except DomainError as closed:
        return render_template(
            "applications/closed.html", cohort=cohort, message=closed.message
        ), 410
    form = ApplicationForm()
    if form.validate_on_submit():
        details = services.ApplicantDetails(
            name=form.name.data,
            email=form.email.data,
            phone=form.phone.data,
            birth_date=form.birth_date.data,
            district=form.district.data,
            seoul_university=form.seoul_university.data,
            employment_status=form.employment_status.data,
            education=form.education.data,
            motivation=form.motivation.data,
            portfolio_url=form.portfolio_url.data,
        )
        try:
            application = services.submit_application(
                cohort, details, consent=form.consent.data, locale=str(get_locale())
            )
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            db.session.commit()
            flash(
                gettext("Your application was received. We also mailed you the link to this page."),
                "success",
            )
            return redirect(
                url_for("applications.status", token=token_for(application.status_nonce))
            )
    elif request.method == "POST" and not form.consent.data:
        form.consent.errors = list(form.consent.errors) + [
            gettext("Agree to the collection and use of personal data to apply.")
        ]
    return render_template(
        "applications/apply.html",
        form=form,
        cohort=cohort,
        consent_version=current_app.config["CONSENT_NOTICE_VERSION"],
    )


def _by_token(token: str):
    application = services.find_by_token(token)
    if application is None:
        abort(404)
    return application


@bp.get("/status/<token>")
@require(PUBLIC)
def status(token: str) -> ResponseReturnValue:
    application = _by_token(token)
    return render_template(
        "applications/status.html",
        application=application,
        token=token,
        stage_label=services.stage_label,
        button=ButtonForm(),
        can_withdraw=application.stage
        in (*IN_SELECTION, Stage.WAITLISTED, Stage.ACCEPTED, Stage.OFFERED),
    )


def _status_action(token: str, action, success: str) -> ResponseReturnValue:
    application = _by_token(token)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        action(application)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
        flash(success, "success")
    return redirect(url_for("applications.status", token=token))


@bp.post("/status/<token>/withdraw")
@require(PUBLIC)
@limiter.limit(_apply_rate_limit)
def withdraw(token: str) -> ResponseReturnValue:
    return _status_action(token, services.withdraw, gettext("Your application is withdrawn."))


@bp.post("/status/<token>/accept-offer")
@require(PUBLIC)
@limiter.limit(_apply_rate_limit)
def accept_offer(token: str) -> ResponseReturnValue:
    return _status_action(
        token,
        services.accept_offer,
        gettext("You took the place. See you at the start of training."),
    )


@bp.post("/status/<token>/decline-offer")
@require(PUBLIC)
@limiter.limit(_apply_rate_limit)
def decline_offer(token: str) -> ResponseReturnValue:
    return _status_action(
        token, services.withdraw, gettext("You declined the place; your application is withdrawn.")
    )
