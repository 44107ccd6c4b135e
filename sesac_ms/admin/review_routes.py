"""Routes of the monthly access review: the month's page, recording it reviewed, its download."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from .. import audit
from ..downloads import file_response
from ..errors import DomainError
from ..extensions import db
from ..forms import show_domain_error
from ..permissions import acting_user, require
from . import bp, review
from .forms import ROLE_LABELS, RecordReviewForm, ReviewExportForm, ReviewMonthForm


def _month_asked(form: ReviewMonthForm) -> review.Month:
    """The month in the query string, else the previous month (the one due for review);
    a malformed month is shown beside its field and the previous month instead."""
    if form.validate() and form.month.data:
        try:
            return review.Month.parse(form.month.data)
        except DomainError as error:
            form.month.errors = [error.message]
    return review.previous_month()


def _page(
    month: review.Month, record_form: RecordReviewForm, month_form: ReviewMonthForm | None = None
) -> str:
    """The month's page; viewing it is logged, as it names users and what they did."""
    summary = review.month_review(month)
    audit.log_list_access(
        acting_user(), "admin.access_review", {"month": str(month)}, len(summary.rows)
    )
    return render_template(
        "admin/access_review.html",
        review=summary,
        rules=review.rule_texts(),
        month_form=month_form or ReviewMonthForm(formdata=None, month=str(month)),
        record_form=record_form,
        role_labels=ROLE_LABELS,
    )


@bp.get("/access-review")
@require("audit.review")
def access_review() -> ResponseReturnValue:
    month_form = ReviewMonthForm(request.args)
    month = _month_asked(month_form)
    if not month_form.month.errors:
        month_form = None  # the month shown, written as the month picker writes it
    html = _page(month, RecordReviewForm(formdata=None, month=str(month)), month_form)
    db.session.commit()  # the access-log entry, once the page is built from the loaded rows
    return html


@bp.post("/access-review/record")
@require("audit.review")
def record_access_review() -> ResponseReturnValue:
    form = RecordReviewForm()
    try:
        month: review.Month | None = review.Month.parse(form.month.data or "")
    except DomainError:
        month = None
    if form.validate_on_submit() and month is not None:
        try:
            review.record_review(acting_user(), month, form.note.data or "")
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
            if error.field == "month":  # the month is a hidden field: say it on top
                flash(error.message, "danger")
        else:
            db.session.commit()
            flash(gettext("%(month)s was recorded as reviewed.", month=str(month)), "success")
            return redirect(url_for("admin.access_review", month=str(month)))
    elif month is None:
        flash(gettext("Choose the month to record as reviewed."), "danger")
    month = month or review.previous_month()
    html = _page(month, form)
    db.session.commit()
    return html


@bp.route("/access-review/export", methods=["GET", "POST"])
@require("audit.review")
def export_access_review() -> ResponseReturnValue:
    month_form = ReviewMonthForm(request.args)
    month = _month_asked(month_form)
    form = ReviewExportForm()
    if form.validate_on_submit():
        content, mimetype, filename = review.export(
            acting_user(), month, form.format.data, form.reason.data
        )
        db.session.commit()
        return file_response(content, mimetype, filename)
    return render_template("admin/access_review_export.html", form=form, month=month)
