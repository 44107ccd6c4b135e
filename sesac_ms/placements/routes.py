"""Routes of the placements blueprint: outcomes, retention, certifications, referrals."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import partial

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, gettext
from markupsafe import Markup, escape
from wtforms import SelectChoice

from .. import audit, paging
from ..clock import SEOUL, today_in_seoul
from ..cohorts.routes import url_parts
from ..errors import DomainError
from ..extensions import db
from ..forms import finish, flash_form_errors, form_fields, show_domain_error, validate_all
from ..i18n_speed import dates_shown
from ..models import Campus, Cohort, Company, Enrollment, Outcome, OutcomeKind, Referral, Role
from ..permissions import acting_user, can, load_in_scope, require
from . import bp, lists, services
from .forms import (
    EMPLOYMENT_TYPE_LABELS,
    OUTCOME_LABELS,
    REFERRAL_LABELS,
    RETENTION_LABELS,
    STATE_LABELS,
    VERIFICATION_LABELS,
    AttemptForm,
    CompanyForm,
    OutcomeForm,
    ReferralForm,
    ReferralStatusForm,
    RetentionForm,
    VerifyForm,
    exclusion_labels,
)


def _labels() -> dict:
    return {
        "outcome_labels": OUTCOME_LABELS,
        "type_labels": EMPLOYMENT_TYPE_LABELS,
        "exclusion_labels": exclusion_labels(services.may_see_health(acting_user())),
        "verification_labels": VERIFICATION_LABELS,
        "state_labels": STATE_LABELS,
        "retention_labels": RETENTION_LABELS,
        "referral_labels": REFERRAL_LABELS,
    }


def _translated(labels: dict) -> dict:
    """Labels translated once for the page (a lazy label is translated again each time a
    row shows it)."""
    return {key: str(label) for key, label in labels.items()}


COMPLETED_PAGE_SIZE = 50


@bp.get("/")
@require("placement.view")
def index() -> ResponseReturnValue:
    cohort_id = request.args.get("cohort_id", type=int)
    missing = request.args.get("missing") == "1"
    # The total and each page's range of end dates come from the per-cohort figures.
    ends = lists.completed_by_end(acting_user(), cohort_id, missing=missing)
    page = paging.numbered(
        lists.completed_query(acting_user(), cohort_id, missing=missing),
        COMPLETED_PAGE_SIZE,
        total=ends.total,
        narrow=ends.narrow,
    )
    cohort = db.session.get(Cohort, cohort_id) if cohort_id else None
    audit.log_list_access(
        acting_user(),
        "placements.index",
        {
            "cohort": cohort.label() if cohort else "",
            "showing": gettext("only those without an outcome") if missing else "",
            "page": page.page if page.page > 1 else None,
        },
        len(page.items),
    )
    html = render_template(
        "placements/index.html",
        page=page,
        missing=missing,
        # Each row puts its own id after this URL, and shows dates formatted once each.
        trainee_url=url_parts("placements.trainee", "enrollment_id")[0],
        dates=_row_dates(page.items),
        cohorts=_cohort_labels(page.items),
        waiting=lists.without_outcome(acting_user(), today_in_seoul()),
        **{
            **_labels(),
            "outcome_labels": _translated(OUTCOME_LABELS),
            "state_labels": _translated(STATE_LABELS),
        },
    )
    db.session.commit()  # the access-log entry, once the page is built from the loaded rows
    return html


def _row_dates(rows: list) -> dict:
    """The completed list's dates as the `date` filter shows them, formatted once per date
    (a page of 50 trainees holds a few cohorts' end dates)."""
    days = set()
    for row in rows:
        days.add(row.status_on or row.end_on)
        if row.kind is not None:
            days.add(row.outcome_on)
    return dates_shown(days)


def _cohort_labels(rows: list) -> dict[int, str]:
    """Each cohort's label on the completed list, made once per cohort, not per trainee."""
    locale = str(get_locale())
    labels: dict[int, str] = {}
    for row in rows:
        if row.cohort_id not in labels:
            cohort = lists.CohortChoice(row.cohort_id, row.cohort_number, row.Course)
            labels[row.cohort_id] = cohort.label(locale)
    return labels


_TRAINEE_FORMS = "placements/_trainee_forms.html"


def _trainee_page(
    enrollment: Enrollment,
    outcome_form: OutcomeForm | None = None,
    attempt_form: AttemptForm | None = None,
    retention_form: RetentionForm | None = None,
) -> ResponseReturnValue:
    """The trainee's placement page; a form given is one posted back with its problems, the
    others are shown blank."""
    history = services.outcome_history(enrollment)
    return render_template(
        "placements/trainee.html",
        enrollment=enrollment,
        history=history,
        current=next((o for o in history if o.is_current), None),
        checks=services.retention_checks(history),
        # A blank form's fields are rendered once per language and kept (form_fields).
        outcome_fields=form_fields(_TRAINEE_FORMS, "outcome_fields", outcome_form, OutcomeForm),
        verify_fields=form_fields(_TRAINEE_FORMS, "verify_fields", None, VerifyForm),
        retention_fields=form_fields(
            _TRAINEE_FORMS, "retention_fields", retention_form, RetentionForm
        ),
        attempt_fields=form_fields(_TRAINEE_FORMS, "attempt_fields", attempt_form, AttemptForm),
        attempts=services.attempts_of(enrollment.user),
        **_labels(),
    )


@bp.get("/<int:enrollment_id>")
@require("placement.view")
def trainee(enrollment_id: int) -> ResponseReturnValue:
    enrollment = lists.trainee_enrollment(acting_user(), enrollment_id)
    if enrollment is None:
        abort(404)
    services.log_view(acting_user(), enrollment)
    html = _trainee_page(enrollment)
    db.session.commit()  # the access-log entry, once the page is built from the loaded rows
    return html


@bp.post("/<int:enrollment_id>/outcome")
@require("placement.record")
def record_outcome(enrollment_id: int) -> ResponseReturnValue:
    enrollment = load_in_scope(Enrollment, enrollment_id)
    form = OutcomeForm()
    data = services.OutcomeData(
        kind=form.kind.data,
        outcome_on=form.outcome_on.data,
        company=form.company.data or "",
        job_title=form.job_title.data or "",
        industry=form.industry.data or "",
        employment_type=form.employment_type.data or None,
        insured={"y": True, "n": False}.get(form.insured.data),
        salary_band=form.salary_band.data or "",
        exclusion_reason=form.exclusion_reason.data or None,
        health_consent=form.health_consent.data,
        evidence=form.evidence.data or "",
        verification=form.verification.data or None,
        verification_state=form.verification_state.data,
    )
    if validate_all(form, lambda: services.check_outcome(enrollment, data)):
        try:
            outcome = services.record_outcome(acting_user(), enrollment, data)
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            db.session.commit()
            flash(
                gettext("Outcome recorded.")
                if outcome
                else gettext("Nothing changed: this is already the current outcome."),
                "success",
            )
            return redirect(url_for("placements.trainee", enrollment_id=enrollment_id))
    return _trainee_page(enrollment, form)


def _outcome(outcome_id: int) -> Outcome:
    return load_in_scope(Outcome, outcome_id)


def _back(outcome: Outcome, error: DomainError | None, success: str) -> ResponseReturnValue:
    return finish(
        error, success, url_for("placements.trainee", enrollment_id=outcome.enrollment_id)
    )


@bp.post("/outcomes/<int:outcome_id>/verify")
@require("placement.record")
def verify(outcome_id: int) -> ResponseReturnValue:
    outcome = _outcome(outcome_id)
    form = VerifyForm()
    if not form.validate_on_submit():
        return _back(outcome, DomainError(gettext("Choose the state.")), "")
    try:
        services.set_verification(
            acting_user(), outcome, form.verification.data or None, form.verification_state.data
        )
    except DomainError as error:
        return _back(outcome, error, "")
    return _back(outcome, None, gettext("Verification saved."))


@bp.post("/outcomes/<int:outcome_id>/retention")
@require("placement.record")
def retention(outcome_id: int) -> ResponseReturnValue:
    outcome = _outcome(outcome_id)
    form = RetentionForm()
    months = int(form.months.data) if str(form.months.data or "").isdigit() else None

    def check() -> object:
        return services.check_retention(outcome, months, form.checked_on.data, form.result.data)

    if validate_all(form, check):
        try:
            services.record_retention(
                acting_user(),
                outcome,
                int(form.months.data),
                form.checked_on.data,
                form.result.data,
                form.note.data or "",
            )
        except DomainError as error:
            return _back(outcome, error, "")
        return _back(outcome, None, gettext("Retention check saved."))
    if not (outcome.is_current and outcome.kind == OutcomeKind.EMPLOYED):
        flash_form_errors(form)  # the page shows no retention form for this outcome
        return redirect(url_for("placements.trainee", enrollment_id=outcome.enrollment_id))
    # Every problem beside its field, on the page the form was posted from.
    return _trainee_page(outcome.enrollment, retention_form=form)


@bp.post("/<int:enrollment_id>/certifications")
@require("placement.record")
def record_attempt(enrollment_id: int) -> ResponseReturnValue:
    enrollment = load_in_scope(Enrollment, enrollment_id)
    form = AttemptForm()
    if form.validate_on_submit():
        try:
            services.record_attempt(
                acting_user(),
                enrollment.user,
                form.exam.data,
                form.exam_on.data,
                form.result.data == "pass",
                form.score.data,
            )
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            db.session.commit()
            flash(gettext("Exam attempt recorded."), "success")
            return redirect(url_for("placements.trainee", enrollment_id=enrollment_id))
    # Every problem beside its field, on the page the form was posted from.
    return _trainee_page(enrollment, attempt_form=form)


# --- companies and referrals ------------------------------------------------------------


def _company_form() -> CompanyForm:
    from ..cohorts.services import campuses_for

    form = CompanyForm()
    form.campus_id.choices = [
        SelectChoice(c.id, c.display_name(str(get_locale()))) for c in campuses_for(acting_user())
    ]
    if request.method == "GET" and acting_user().campus_id:
        form.campus_id.data = acting_user().campus_id
    return form


COMPANY_PAGE_SIZE = 50
REFERRAL_PAGE_SIZE = 50


def _companies_page(form: CompanyForm) -> ResponseReturnValue:
    page = paging.numbered(lists.companies_query(acting_user()), COMPANY_PAGE_SIZE)
    contacts = sum(1 for c in page.items if c.contact_name or c.contact_email or c.contact_phone)
    audit.log_list_access(
        acting_user(),
        "placements.companies",
        {"page": page.page if page.page > 1 else None},
        contacts,
    )
    html = render_template("placements/companies.html", form=form, page=page)
    db.session.commit()  # the access-log entry, once the page is built from the loaded rows
    return html


@bp.get("/companies")
@require("placement.view")
def companies() -> ResponseReturnValue:
    return _companies_page(_company_form())


@bp.post("/companies")
@require("placement.record")
def create_company() -> ResponseReturnValue:
    form = _company_form()
    if validate_all(form, lambda: services.check_company(form.campus_id.data, form.name.data)):
        try:
            company = services.create_company(
                acting_user(),
                campus_id=form.campus_id.data,
                name=form.name.data,
                industry=form.industry.data or "",
                contact_name=form.contact_name.data or "",
                contact_email=form.contact_email.data or "",
                contact_phone=form.contact_phone.data or "",
                openings=form.openings.data or "",
            )
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            db.session.commit()
            flash(gettext("Company %(name)s added.", name=company.name), "success")
            return redirect(url_for("placements.companies"))
    return _companies_page(form)


@dataclass
class _Referring:
    """The referral form and what it names: chosen from one cohort's trainees, sent to a
    company of that cohort's campus (bounded lists, however long the history)."""

    form: ReferralForm
    # The cohorts offered, as the choice's <option>s (_cohort_options).
    cohort_options: Markup
    # Admins choose the campus first (the cohorts offered are that campus's); None for others.
    campuses: list[Campus] | None = None
    campus_id: int | None = None
    cohort: lists.CohortChoice | None = None
    enrollment: Enrollment | None = None
    company: Company | None = None


def _referring() -> _Referring | None:
    """The form for those who may refer (None for others). The cohort is the one asked for
    (`cohort_id`), or on a post the cohort of the trainee posted; the companies offered
    are those of the cohort's campus, or on a post those of the posted company's campus
    (a company of another campus is then refused beside its field, not as "not a choice")."""
    if not can("placement.record"):
        return None
    user = acting_user()
    form = ReferralForm()
    posted = request.method == "POST"
    enrollment = lists.referable_enrollment(user, form.enrollment_id.data) if posted else None
    company = lists.company_in_scope(user, form.company_id.data) if posted else None
    wanted = enrollment.cohort_id if enrollment else request.args.get("cohort_id", type=int)
    campuses, chosen_campus = None, None
    if user.role == Role.ADMIN:
        from ..cohorts.services import campuses_for

        campuses = campuses_for(user)
        # The campus asked for, else that of the cohort asked for (or of the trainee posted).
        chosen_campus = None if enrollment else request.args.get("campus_id", type=int)
        if chosen_campus is None and wanted:
            chosen_campus = lists.cohort_campus_id(wanted)
    cohorts_of = lists.referral_campus(user, chosen_campus)
    cohort = next((c for c in lists.referral_cohorts(cohorts_of) if c.id == wanted), None)
    trainees = lists.referable_trainees(cohort) if cohort else []
    names = Counter(e.user.name for e in trainees)  # two of a name: told apart by e-mail
    form.enrollment_id.choices = [
        SelectChoice(
            e.id, e.user.name if names[e.user.name] == 1 else f"{e.user.name} · {e.user.email}"
        )
        for e in trainees
    ]
    campus_id = company.campus_id if company else cohort.campus_id if cohort else None
    form.company_id.choices = [
        SelectChoice(c.id, c.name) for c in (lists.campus_companies(campus_id) if campus_id else [])
    ]
    form.matching_day_id.choices = [SelectChoice(0, "—")]
    if cohort is not None or posted:  # the page shows the form (placements/referrals.html)
        form.matching_day_id.choices += [
            SelectChoice(e.id, f"{e.starts_at.astimezone(SEOUL):%Y-%m-%d} {e.title}")
            for e in services.matching_days(user)
        ]
    return _Referring(
        form,
        _cohort_options(cohorts_of, cohort.id if cohort else None),
        campuses,
        chosen_campus,
        cohort,
        enrollment,
        company,
    )


def _cohort_options(campus_id: int | None, chosen: int | None) -> Markup:
    """The referral form's cohorts of the campus (lists.referral_cohorts) as <option>s, the
    chosen one selected: labelled and escaped once per campus and language, kept with the
    cohorts under the figures' version (reports.figures_cache), as a campus offers a
    hundred cohorts after a few years."""
    from ..reports import figures_cache

    locale = str(get_locale())

    def options() -> tuple[tuple[int, str, str], ...]:
        return tuple(
            (c.id, f'<option value="{c.id}"', f">{escape(c.label(locale))}</option>")
            for c in lists.referral_cohorts(campus_id)
        )

    kept = figures_cache.figures(("referral cohort options", campus_id, locale), options)
    return Markup(
        "".join(
            f"{start} selected{end}" if cohort_id == chosen else start + end
            for cohort_id, start, end in kept
        )
    )


def _referrals_page(referring: _Referring | None, total: int | None = None) -> ResponseReturnValue:
    page = paging.numbered(
        lists.referrals_query(acting_user()),
        REFERRAL_PAGE_SIZE,
        total=lists.referral_count(acting_user()) if total is None else total,
    )
    audit.log_list_access(
        acting_user(),
        "placements.referrals",
        {"page": page.page if page.page > 1 else None},
        len({referral.enrollment_id for referral in page.items}),
    )
    html = render_template(
        "placements/referrals.html",
        referring=referring,
        page=page,
        # Every row's status form: the same fields, and the page's CSRF field (status_form);
        # the row's referral id goes in its URL, between the status_url's parts. A row shows
        # the form while its referral has a next step.
        status_fields=form_fields(
            "placements/_referral_forms.html", "status_fields", None, ReferralStatusForm
        ),
        status_form=ReferralStatusForm(formdata=None),
        status_url=url_parts("placements.referral_status", "referral_id"),
        next_steps=services.REFERRAL_NEXT,
        referral_labels=_translated(REFERRAL_LABELS),
    )
    db.session.commit()  # the access-log entry, once the page is built from the loaded rows
    return html


@bp.get("/referrals")
@require("placement.view")
def referrals() -> ResponseReturnValue:
    # Counted first: the figures' version comes with the count, for the form's cohorts.
    total = lists.referral_count(acting_user())
    return _referrals_page(_referring(), total)


@bp.post("/referrals")
@require("placement.record")
def create_referral() -> ResponseReturnValue:
    referring = _referring()
    assert referring is not None  # the route requires placement.record
    form = referring.form
    # The choices hold only trainees and companies in the user's scope.
    enrollment_ids = {choice.value for choice in form.enrollment_id.choices}
    company_ids = {choice.value for choice in form.company_id.choices}
    enrollment = referring.enrollment if form.enrollment_id.data in enrollment_ids else None
    company = referring.company if form.company_id.data in company_ids else None
    check = partial(
        services.check_referral,
        acting_user(),
        enrollment,
        company,
        consent=form.consent.data,
        matching_day_id=form.matching_day_id.data or None,
    )
    if validate_all(form, check) and enrollment is not None and company is not None:
        try:
            services.refer(
                acting_user(),
                enrollment,
                company,
                position=form.position.data or "",
                consent=form.consent.data,
                note=form.note.data or "",
                matching_day_id=form.matching_day_id.data or None,
            )
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            db.session.commit()
            flash(gettext("Referral recorded."), "success")
            return redirect(url_for("placements.referrals", cohort_id=enrollment.cohort_id))
    return _referrals_page(referring)


@bp.post("/referrals/<int:referral_id>/status")
@require("placement.record")
def referral_status(referral_id: int) -> ResponseReturnValue:
    referral = load_in_scope(Referral, referral_id)
    form = ReferralStatusForm()
    if not form.validate_on_submit():
        flash(gettext("Choose the next step."), "danger")
        return redirect(url_for("placements.referrals"))
    try:
        services.advance_referral(
            acting_user(), referral, form.status.data, started_on=form.started_on.data
        )
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
        flash(gettext("Referral updated."), "success")
    return redirect(url_for("placements.referrals"))
