"""Importing applicants gathered outside the system: upload → preview → confirm."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from .. import spreadsheet_out
from ..auth.forms import ButtonForm
from ..downloads import file_response
from ..errors import DomainError
from ..extensions import db
from ..forms import show_domain_error
from ..models import Cohort, UploadedFile
from ..models.applications import OUTSIDE_SEOUL
from ..permissions import acting_user, load_in_scope, require
from . import bp, importing
from .forms import EDUCATION_LABELS, EMPLOYMENT_LABELS, UploadForm


def _render(
    cohort: Cohort,
    form: UploadForm,
    preview: importing.Preview | None = None,
    upload: UploadedFile | None = None,
) -> str:
    return render_template(
        "applications/import.html",
        cohort=cohort,
        form=form,
        preview=preview,
        upload=upload,
        columns=importing.COLUMNS,
        confirm_form=ButtonForm(formdata=None),
        employment_labels=EMPLOYMENT_LABELS,
        education_labels=EDUCATION_LABELS,
        outside_seoul=OUTSIDE_SEOUL,
    )


@bp.route("/cohorts/<int:cohort_id>/import", methods=["GET", "POST"])
@require("application.import")
def import_applicants(cohort_id: int) -> ResponseReturnValue:
    cohort = load_in_scope(Cohort, cohort_id)
    form = UploadForm()
    if not form.validate_on_submit():
        return _render(cohort, form)
    file = form.file.data
    filename = (file.filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    content = file.read()
    try:
        preview = importing.preview(cohort, filename, content)
    except DomainError as error:  # not a table at all
        show_domain_error(form, error)
        return _render(cohort, form)
    upload = None
    if preview.can_import:  # kept only when it can be imported: it holds personal data
        upload = importing.store_upload(acting_user(), cohort, filename, content)
        db.session.commit()
    return _render(cohort, form, preview, upload)


@bp.post("/imports/<int:upload_id>/confirm")
@require("application.import")
def confirm_import(upload_id: int) -> ResponseReturnValue:
    upload = load_in_scope(UploadedFile, upload_id)
    cohort = importing.cohort_of(upload)
    if cohort is None:
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        result = importing.import_file(acting_user(), cohort, upload)
    except importing.ImportRefused as error:  # the file or the cohort changed meanwhile
        db.session.rollback()
        flash(error.message, "danger")
        form = UploadForm(formdata=None)
        preview = importing.Preview(filename=upload.filename, errors=error.errors)
        return _render(cohort, form, preview)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for("applications.import_applicants", cohort_id=cohort.id))
    db.session.commit()
    flash(
        gettext(
            "%(created)d applicant(s) imported from %(file)s; %(skipped)d already there, skipped.",
            created=result.created,
            file=upload.filename,
            skipped=result.skipped,
        ),
        "success",
    )
    return redirect(url_for("applications.pipeline", cohort_id=cohort.id))


@bp.get("/cohorts/<int:cohort_id>/import/template.csv")
@require("application.import")
def import_template(cohort_id: int) -> ResponseReturnValue:
    """An empty file with the Korean headers, as Excel opens it (UTF-8 with a BOM)."""
    load_in_scope(Cohort, cohort_id)
    return file_response(
        spreadsheet_out.csv_bytes([column.korean for column in importing.COLUMNS], []),
        spreadsheet_out.CSV_MIMETYPE,
        "applicants.csv",
    )
