"""The public side: the application form at /apply/<id>-<slug>, and the applicant's status page.

Abuse protection that does not punish applicants: bots meet a honeypot field and a signed
form-age token; only submissions that pass every check count against the limits (per
client address and per e-mail address and cohort), and a limit reached re-renders the
form with everything typed, the real wait in minutes and `Retry-After`.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, gettext

from ..auth.forms import ButtonForm
from ..auth.services import normalise_email
from ..errors import DomainError
from ..extensions import db
from ..forms import show_domain_error
from ..models import Application, Cohort, Stage
from ..models.applications import IN_SELECTION
from ..permissions import PUBLIC, require
from ..rate_limits import APPLY_ADDRESS, APPLY_EMAIL, STATUS_ACTION, minutes, wait_for
from . import bp, services
from .forms import ApplicationForm
from .front import apply_url, sent_url
from .front import bp as front_bp
from .recruiting import cohort_slug

# --- the old public addresses, still in mails and bookmarks -----------------------------


@bp.get("/open")
@require(PUBLIC)
def open_cohorts() -> ResponseReturnValue:
    return redirect(url_for("main.dashboard"))


@bp.route("/apply/<int:cohort_id>", methods=["GET", "POST"])
@require(PUBLIC)
def apply(cohort_id: int) -> ResponseReturnValue:
    """A form page opened before the move still sends its answers here: take them."""
    if request.method == "POST":
        return form(cohort_id)
    return redirect(apply_url(db.get_or_404(Cohort, cohort_id)))


@bp.get("/apply/<int:cohort_id>/sent")
@require(PUBLIC)
def sent(cohort_id: int) -> ResponseReturnValue:
    return redirect(sent_url(db.get_or_404(Cohort, cohort_id)))


# --- the form ------------------------------------------------------------------------------


def _details(form: ApplicationForm) -> services.ApplicantDetails:
    return services.ApplicantDetails(
        name=form.name.data or "",
        email=form.email.data or "",
        phone=form.phone.data or "",
        birth_date=form.birth_date.data,
        district=form.district.data or "",
        seoul_university=bool(form.seoul_university.data),
        employment_status=form.employment_status.data or "",
        education=form.education.data or "",
        motivation=form.motivation.data or "",
        portfolio_url=form.portfolio_url.data,
    )


def _validate_all(form: ApplicationForm, details: services.ApplicantDetails) -> bool:
    """The form's own checks and the service's, in one pass: every problem beside its field.

    A field the form flagged already keeps the form's message alone (the service found
    the same problem in other words).
    """
    valid = form.validate()
    problems = services.validate_application(details, consent=bool(form.consent.data))
    for name, message in problems.items():
        field = getattr(form, name)
        if not field.errors:
            field.errors = [message]
    return valid and not problems


@front_bp.route("/<int:cohort_id>", methods=["GET", "POST"])
@front_bp.route("/<int:cohort_id>-<slug>", methods=["GET", "POST"])
@require(PUBLIC)
def form(cohort_id: int, slug: str | None = None) -> ResponseReturnValue:
    cohort = db.get_or_404(Cohort, cohort_id)
    if request.method == "GET" and slug != cohort_slug(cohort):
        return redirect(apply_url(cohort))
    try:
        services.check_open(cohort)
    except DomainError as closed:
        return render_template(
            "applications/closed.html", cohort=cohort, message=closed.message
        ), 410
    form = ApplicationForm()
    notice: str | None = None
    wait = 0
    if form.is_submitted():
        if form.is_bot():  # answered as a person would be, and nothing is stored or counted
            return redirect(sent_url(cohort))
        details = _details(form)
        valid = _validate_all(form, details)
        if getattr(form, "csrf_token", None) is not None and form.csrf_token.errors:
            notice = gettext(
                "The page was open too long and its session ended. Your answers are kept "
                "below: check them and send the form again."
            )
        else:
            notice = form.age_problem()
        if valid and notice is None:
            email_key = f"{normalise_email(details.email)}:{cohort.id}"
            wait = wait_for(APPLY_ADDRESS) or wait_for(APPLY_EMAIL, email_key)
            if not wait:
                answer = _submit(form, cohort, details)
                if answer is not None:
                    return answer
    form.stamp()
    page = render_template(
        "applications/apply.html",
        form=form,
        cohort=cohort,
        notice=notice,
        wait_minutes=minutes(wait) if wait else None,
        consent_version=current_app.config["CONSENT_NOTICE_VERSION"],
    )
    if wait:
        return page, 429, {"Retry-After": str(wait)}
    return page


def _submit(
    form: ApplicationForm, cohort: Cohort, details: services.ApplicantDetails
) -> ResponseReturnValue | None:
    """Store the application; the redirect to the sent page, or None with the refusal shown."""
    # A first application and one from an address that already applied are answered
    # alike (the latter is mailed its link): the page tells nobody who applied.
    try:
        services.apply_online(cohort, details, consent=True, locale=str(get_locale()))
    except services.AlreadyApplied:  # lost a double-submit race; the winner mails
        db.session.rollback()
    except DomainError as error:
        db.session.rollback()
        show_domain_error(form, error)
        return None
    else:
        db.session.commit()
    return redirect(sent_url(cohort))


@front_bp.get("/<int:cohort_id>/sent")
@front_bp.get("/<int:cohort_id>-<slug>/sent")
@require(PUBLIC)
def sent_page(cohort_id: int, slug: str | None = None) -> ResponseReturnValue:
    """After the form: the private link is in the mailbox, never on this page."""
    cohort = db.get_or_404(Cohort, cohort_id)
    if slug != cohort_slug(cohort):
        return redirect(sent_url(cohort))
    return render_template("applications/sent.html", cohort=cohort)


# --- the applicant's private status page --------------------------------------------------


def _by_token(token: str) -> Application:
    application = services.find_by_token(token)
    if application is None:
        abort(404)
    return application


def _status_page(application: Application, token: str, wait: int = 0) -> ResponseReturnValue:
    page = render_template(
        "applications/status.html",
        application=application,
        token=token,
        stage_label=services.stage_label,
        button=ButtonForm(),
        can_withdraw=application.stage
        in (*IN_SELECTION, Stage.WAITLISTED, Stage.ACCEPTED, Stage.OFFERED),
        wait_minutes=minutes(wait) if wait else None,
    )
    if wait:
        return page, 429, {"Retry-After": str(wait)}
    return page


@bp.get("/status/<token>")
@require(PUBLIC)
def status(token: str) -> ResponseReturnValue:
    return _status_page(_by_token(token), token)


def _status_action(
    token: str, action: Callable[[Application], None], success: str
) -> ResponseReturnValue:
    application = _by_token(token)
    if not ButtonForm().validate_on_submit():
        abort(400)
    wait = wait_for(STATUS_ACTION)
    if wait:
        return _status_page(application, token, wait)
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
def withdraw(token: str) -> ResponseReturnValue:
    return _status_action(token, services.withdraw, gettext("Your application is withdrawn."))


@bp.post("/status/<token>/accept-offer")
@require(PUBLIC)
def accept_offer(token: str) -> ResponseReturnValue:
    return _status_action(
        token,
        services.accept_offer,
        gettext("You took the place. See you at the start of training."),
    )


@bp.post("/status/<token>/decline-offer")
@require(PUBLIC)
def decline_offer(token: str) -> ResponseReturnValue:
    return _status_action(
        token, services.withdraw, gettext("You declined the place; your application is withdrawn.")
    )
