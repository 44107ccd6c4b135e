"""The manager's side: a cohort's pipeline, an applicant's page, decisions and interviews."""

from __future__ import annotations

from functools import partial

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from wtforms import SelectChoice

from .. import audit
from ..auth.forms import ButtonForm
from ..auth.safe_next import safe_next
from ..clock import SEOUL
from ..cohorts.routes import url_parts
from ..errors import DomainError
from ..extensions import db
from ..forms import attempt, finish, flash_form_errors, show_domain_error, validate_all
from ..models import Application, Cohort, InterviewSlot, Stage, User
from ..models.applications import IN_SELECTION
from ..permissions import acting_user, load_in_scope, require
from . import bp, lists, services
from .forms import (
    EDUCATION_LABELS,
    EMPLOYMENT_LABELS,
    AssignSlotForm,
    ReasonForm,
    ScoreForm,
    SettingsForm,
    SlotForm,
)


def _filters() -> services.PipelineFilters:
    def number(name: str) -> int | None:
        value = request.args.get(name, type=int)
        return value if value is not None and 0 <= value <= 100 else None

    return services.PipelineFilters(
        stage=request.args.get("stage", ""),
        eligible=request.args.get("eligible", ""),
        score_min=number("score_min"),
        score_max=number("score_max"),
        q=request.args.get("q", "")[:100],
        sort=request.args.get("sort", "submitted"),
    )


def _shown(filters: services.PipelineFilters, page_number: int) -> dict[str, object]:
    """The pipeline's filters as the page shows them, for the access log."""
    score = ""
    if filters.score_min is not None or filters.score_max is not None:
        low = "" if filters.score_min is None else filters.score_min
        high = "" if filters.score_max is None else filters.score_max
        score = f"{low}–{high}"
    return {
        "stage": services.stage_label(filters.stage) if filters.stage in set(Stage) else "",
        "eligibility": {"yes": gettext("No flags"), "no": gettext("Flagged")}.get(
            filters.eligible, ""
        ),
        "score": score,
        "search": filters.q.strip(),
        "page": page_number if page_number > 1 else None,
    }


@bp.get("/cohorts/<int:cohort_id>")
@require("application.view")
def pipeline(cohort_id: int) -> ResponseReturnValue:
    cohort = load_in_scope(Cohort, cohort_id)
    if services.expire_offers():
        db.session.commit()
        db.session.refresh(cohort)
    filters = _filters()
    counts = services.stage_counts(cohort)
    page, rows = lists.applicants_page(cohort, filters, counts)
    audit.log_list_access(
        acting_user(),
        "applications.pipeline",
        _shown(filters, page.page),
        len(rows),
        scope=cohort,
        scope_label=cohort.label(),
    )
    html = render_template(
        "applications/pipeline.html",
        cohort=cohort,
        page=page,
        rows=rows,
        filters=filters,
        counts=counts,
        ratio=services.competition_ratio(counts, cohort.capacity),
        stages=[(stage.value, services.stage_label(stage)) for stage in Stage],
        reason_form=ReasonForm(),
        bulk_actions=services.BULK_ACTIONS,
        show_url=url_parts("applications.show", "application_id")[0],
    )
    db.session.commit()  # the access-log entry, once the page is built from the loaded rows
    return html


@bp.post("/cohorts/<int:cohort_id>/bulk")
@require("application.decide")
def bulk(cohort_id: int) -> ResponseReturnValue:
    cohort = load_in_scope(Cohort, cohort_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        abort(400)
    ids = [int(value) for value in request.form.getlist("ids") if value.isdigit()]
    try:
        done, refused = services.bulk(
            acting_user(), cohort, ids, request.form.get("action", ""), form.reason.data or ""
        )
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
        if done:
            flash(gettext("%(n)d applicant(s) changed.", n=done), "success")
        for message in refused:
            flash(message, "warning")
    # "back" keeps the pipeline's filters; only a path on this site, never another host.
    return redirect(
        safe_next(request.form.get("back")) or url_for("applications.pipeline", cohort_id=cohort_id)
    )


@bp.route("/cohorts/<int:cohort_id>/settings", methods=["GET", "POST"])
@require("application.settings")
def settings(cohort_id: int) -> ResponseReturnValue:
    cohort = load_in_scope(Cohort, cohort_id)
    form = SettingsForm(obj=cohort)
    values = services.SelectionSettings(
        **{
            name: getattr(form, name).data
            for name in (
                "uses_screening",
                "uses_assessment",
                "uses_interview",
                "min_age",
                "max_age",
                "require_seoul",
                "require_unemployed",
                "offer_days",
            )
        }
    )
    if validate_all(form, lambda: services.check_selection_settings(cohort, values)):
        try:
            rechecked = services.update_selection_settings(acting_user(), cohort, values)
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            db.session.commit()
            flash(
                gettext("Selection settings saved; %(n)d application(s) re-checked.", n=rechecked),
                "success",
            )
            return redirect(url_for("applications.pipeline", cohort_id=cohort_id))
    return render_template("applications/settings.html", cohort=cohort, form=form)


@bp.get("/<int:application_id>")
@require("application.view")
def show(application_id: int) -> ResponseReturnValue:
    application = load_in_scope(Application, application_id)
    services.log_view(acting_user(), application)
    score_form = _score_form(application)
    if application.stage in services.stages_of(application.cohort):
        score_form.stage.data = application.stage.value
    html = _show_page(application, score_form, _slot_form(application))
    db.session.commit()  # the access-log entry, once the page is built from the loaded rows
    return html


def _score_form(application: Application) -> ScoreForm:
    form = ScoreForm()
    form.stage.choices = [
        SelectChoice(s.value, services.stage_label(s))
        for s in services.stages_of(application.cohort)
    ]
    return form


def _slot_form(application: Application) -> AssignSlotForm:
    form = AssignSlotForm()
    form.slot_id.choices = [
        SelectChoice(
            s.id,
            f"{s.starts_at.astimezone(SEOUL):%Y-%m-%d %H:%M} · {s.interviewer.name} · {s.location}",
        )
        for s in services.free_slots(application.cohort)
    ]
    return form


def _show_page(
    application: Application, score_form: ScoreForm, slot_form: AssignSlotForm
) -> ResponseReturnValue:
    """The applicant's page; a form posted from it comes back with its problems beside it."""
    cohort = application.cohort
    return render_template(
        "applications/show.html",
        application=application,
        cohort=cohort,
        scores=services.scores_by_stage(application),
        history=services.history(application),
        next_stage=services.next_stage(application),
        stage_label=services.stage_label,
        flag_message=services.flag_message,
        score_form=score_form,
        slot_form=slot_form,
        reason_form=ReasonForm(),
        button=ButtonForm(),
        in_selection=IN_SELECTION,
        employment_labels=EMPLOYMENT_LABELS,
        education_labels=EDUCATION_LABELS,
    )


def _decide(application_id: int, action, success: str) -> ResponseReturnValue:
    application = load_in_scope(Application, application_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        action(application, form.reason.data or "")
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
        flash(success.format(name=application.name), "success")
    return redirect(url_for("applications.show", application_id=application_id))


@bp.post("/<int:application_id>/advance")
@require("application.decide")
def advance(application_id: int) -> ResponseReturnValue:
    return _decide(
        application_id,
        lambda a, reason: services.advance(acting_user(), a),
        gettext("{name} moved to the next stage."),
    )


@bp.post("/<int:application_id>/accept")
@require("application.decide")
def accept(application_id: int) -> ResponseReturnValue:
    return _decide(
        application_id,
        lambda a, reason: services.accept(acting_user(), a, reason),
        gettext("{name} is accepted."),
    )


@bp.post("/<int:application_id>/waitlist")
@require("application.decide")
def waitlist(application_id: int) -> ResponseReturnValue:
    return _decide(
        application_id,
        lambda a, reason: services.waitlist(acting_user(), a, reason),
        gettext("{name} is on the waitlist."),
    )


@bp.post("/<int:application_id>/reject")
@require("application.decide")
def reject(application_id: int) -> ResponseReturnValue:
    return _decide(
        application_id,
        lambda a, reason: services.reject(acting_user(), a, reason),
        gettext("{name} is rejected."),
    )


@bp.post("/<int:application_id>/waitlist-up")
@require("application.decide")
def waitlist_up(application_id: int) -> ResponseReturnValue:
    return _decide(
        application_id,
        lambda a, reason: services.move_in_waitlist(acting_user(), a, -1),
        gettext("{name} moved up the waitlist."),
    )


@bp.post("/<int:application_id>/waitlist-down")
@require("application.decide")
def waitlist_down(application_id: int) -> ResponseReturnValue:
    return _decide(
        application_id,
        lambda a, reason: services.move_in_waitlist(acting_user(), a, 1),
        gettext("{name} moved down the waitlist."),
    )


@bp.post("/<int:application_id>/enroll")
@require("application.decide")
def enroll(application_id: int) -> ResponseReturnValue:
    return _decide(
        application_id,
        lambda a, reason: services.enroll(acting_user(), a),
        gettext("{name} is enrolled; the trainee account is ready."),
    )


@bp.post("/<int:application_id>/score")
@require("application.score")
def score(application_id: int) -> ResponseReturnValue:
    application = load_in_scope(Application, application_id)
    form = _score_form(application)
    check = partial(services.check_score, application, form.stage.data, form.score.data)
    if validate_all(form, check):
        try:
            services.record_score(
                acting_user(),
                application,
                form.stage.data,
                form.score.data,
                form.comment.data or "",
            )
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(gettext("Your score was saved."), "success")
    elif application.stage in IN_SELECTION:
        # Every problem beside its field, on the page the form was posted from.
        return _show_page(application, form, _slot_form(application))
    else:
        flash_form_errors(form)  # the page shows no score form now
    return redirect(url_for("applications.show", application_id=application_id))


@bp.post("/<int:application_id>/interview")
@require("interview.manage")
def assign_interview(application_id: int) -> ResponseReturnValue:
    application = load_in_scope(Application, application_id)
    form = _slot_form(application)
    slot = db.session.get(InterviewSlot, form.slot_id.data) if form.slot_id.data else None
    if validate_all(form, partial(services.check_assignment, application, slot)):
        try:
            services.assign_slot(acting_user(), application, slot)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(
                gettext("The interview time was mailed to %(name)s.", name=application.name),
                "success",
            )
    elif application.stage == Stage.INTERVIEW and form.slot_id.choices:
        # Every problem beside its field, on the page the form was posted from.
        return _show_page(application, _score_form(application), form)
    else:
        flash_form_errors(form)  # the page shows no slot form now
    return redirect(url_for("applications.show", application_id=application_id))


@bp.route("/cohorts/<int:cohort_id>/interviews", methods=["GET", "POST"])
@require("interview.manage")
def interviews(cohort_id: int) -> ResponseReturnValue:
    cohort = load_in_scope(Cohort, cohort_id)
    form = SlotForm()
    form.interviewer_id.choices = [
        SelectChoice(id_, name) for id_, name in services.interviewer_names(cohort)
    ]
    starts_at = form.starts_at.data.replace(tzinfo=SEOUL) if form.starts_at.data else None
    interviewer = (
        db.session.get(User, form.interviewer_id.data) if form.interviewer_id.data else None
    )
    check = partial(
        services.check_slot,
        cohort,
        interviewer=interviewer,
        starts_at=starts_at,
        minutes=form.minutes.data,
        location=form.location.data,
    )
    if validate_all(form, check):
        try:
            services.create_slot(
                acting_user(),
                cohort,
                interviewer=interviewer,
                starts_at=starts_at,
                minutes=form.minutes.data,
                location=form.location.data,
            )
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            db.session.commit()
            flash(gettext("Interview slot added."), "success")
            return redirect(url_for("applications.interviews", cohort_id=cohort_id))
    slots = lists.slot_rows(cohort)
    audit.log_list_access(
        acting_user(),
        "applications.interviews",
        {},
        sum(slot.application_id is not None for slot in slots),
        scope=cohort,
        scope_label=cohort.label(),
    )
    html = render_template(
        "applications/interviews.html",
        cohort=cohort,
        form=form,
        slots=slots,
        show_url=url_parts("applications.show", "application_id")[0],
        delete_url=url_parts("applications.delete_interview", "slot_id"),
    )
    db.session.commit()  # the access-log entry, once the page is built from the loaded rows
    return html


@bp.post("/interviews/<int:slot_id>/delete")
@require("interview.manage")
def delete_interview(slot_id: int) -> ResponseReturnValue:
    slot = load_in_scope(InterviewSlot, slot_id)
    cohort_id = slot.cohort_id
    if not ButtonForm().validate_on_submit():
        abort(400)
    return finish(
        attempt(lambda: services.delete_slot(acting_user(), slot)),
        gettext("Interview slot removed."),
        url_for("applications.interviews", cohort_id=cohort_id),
    )
