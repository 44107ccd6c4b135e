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
from ..rate_limits import apply_limit
from . import bp, services
from .forms import ApplicationForm


def _only_posts() -> bool:
    return request.method != "POST"


@bp.get("/open")
@require(PUBLIC)
def open_cohorts() -> ResponseReturnValue:
    return render_template("applications/open.html", cohorts=services.open_cohorts())


@bp.route("/apply/<int:cohort_id>", methods=["GET", "POST"])
@require(PUBLIC)
@limiter.limit(apply_limit, exempt_when=_only_posts)
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
        # A first application and one from an address that already applied are answered
        # alike (the latter is mailed its link): the page tells nobody who applied.
        sent = redirect(url_for("applications.sent", cohort_id=cohort.id))
        try:
            services.apply_online(
                cohort, details, consent=form.consent.data, locale=str(get_locale())
            )
        except services.AlreadyApplied:  # lost a double-submit race; the winner mails
            db.session.rollback()
            return sent
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            db.session.commit()
            return sent
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


@bp.get("/apply/<int:cohort_id>/sent")
@require(PUBLIC)
def sent(cohort_id: int) -> ResponseReturnValue:
    """After the form: the private link is in the mailbox, never on this page."""
    cohort = db.get_or_404(Cohort, cohort_id)
    return render_template("applications/sent.html", cohort=cohort)


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
@limiter.limit(apply_limit)
def withdraw(token: str) -> ResponseReturnValue:
    return _status_action(token, services.withdraw, gettext("Your application is withdrawn."))


@bp.post("/status/<token>/accept-offer")
@require(PUBLIC)
@limiter.limit(apply_limit)
def accept_offer(token: str) -> ResponseReturnValue:
    return _status_action(
        token,
        services.accept_offer,
        gettext("You took the place. See you at the start of training."),
    )


@bp.post("/status/<token>/decline-offer")
@require(PUBLIC)
@limiter.limit(apply_limit)
def decline_offer(token: str) -> ResponseReturnValue:
    return _status_action(
        token, services.withdraw, gettext("You declined the place; your application is withdrawn.")
    )
